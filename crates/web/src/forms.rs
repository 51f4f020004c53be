//! Form fields as the browser sent them, and their parsing into the use cases' inputs. The
//! rules stay in the domain's `parse` functions; this only says which field is which.

use supportdesk_app::AppError;
use supportdesk_domain::InvalidValue;

/// The fields of a posted form, in order; a name may repeat (checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The fields as sent.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, `None` when missing or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Every value of `name` (checkboxes of one name).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
    }

    /// The value of `name`, parsed; a validation error naming the field when it is missing or bad.
    pub fn required<T>(&self, name: &str, parse: impl Fn(&str) -> Result<T, InvalidValue>) -> Result<T, AppError> {
        let raw = self.get(name).ok_or_else(|| AppError::invalid(name, "must not be blank"))?;
        Ok(parse(raw)?)
    }

    /// The value of `name` parsed when present and not blank.
    pub fn optional<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, InvalidValue>,
    ) -> Result<Option<T>, AppError> {
        self.text(name).map(parse).transpose().map_err(AppError::from)
    }

    /// The `version` field: the ticket version the form was rendered from.
    pub fn version(&self) -> Result<Option<i64>, AppError> {
        match self.text("version") {
            None => Ok(None),
            Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| AppError::invalid("version", "must be a number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn blank_fields_read_as_missing() {
        let f = fields(&[("a", "  "), ("b", " x ")]);
        assert_eq!(f.text("a"), None);
        assert_eq!(f.text("b"), Some("x"));
        assert_eq!(f.text("c"), None);
    }

    #[test]
    fn repeated_fields_are_all_kept() {
        let f = fields(&[("p", "1"), ("q", "2"), ("p", "3")]);
        assert_eq!(f.all("p"), vec!["1", "3"]);
        assert_eq!(f.get("p"), Some("1"));
    }

    #[test]
    fn a_version_that_is_not_a_number_is_a_validation_error() {
        assert!(matches!(fields(&[("version", "x")]).version(), Err(AppError::Validation(_))));
        assert_eq!(fields(&[("version", "7")]).version().ok().flatten(), Some(7));
        assert_eq!(fields(&[]).version().ok().flatten(), None);
    }
}

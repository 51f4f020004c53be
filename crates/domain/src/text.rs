//! Validated text values: every type here can only hold a value that obeys its rule.

use std::fmt;

use crate::error::{InvalidValue, Rule};

/// Trims `raw` and checks its length in characters against `min..=max`.
pub(crate) fn bounded_field(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, InvalidValue> {
    let trimmed = raw.trim();
    if trimmed.is_empty() && min > 0 {
        return Err(InvalidValue::new(field, Rule::Required));
    }
    let length = trimmed.chars().count();
    if length < min || length > max {
        return Err(InvalidValue::new(field, Rule::Length { min, max }));
    }
    // PostgreSQL's text cannot hold U+0000: refused here, it is a 400, not a failed write.
    if trimmed.contains('\0') {
        return Err(InvalidValue::new(field, Rule::Format("text without NUL characters")));
    }
    Ok(trimmed.to_owned())
}

/// Declares a newtype over `String` with a private field, `as_str`, `Display` and `AsRef<str>`.
macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned `String`.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Declares a text type whose rule is a length range after trimming.
macro_rules! bounded_text {
    ($(#[$meta:meta])* $name:ident, $field:literal, $min:expr, $max:expr) => {
        text_type!($(#[$meta])* $name);

        impl $name {
            /// Fewest characters allowed, after trimming.
            pub const MIN_CHARS: usize = $min;
            /// Most characters allowed, after trimming.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and accepts it when its length is within bounds.
            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                bounded_field($field, raw, $min, $max).map(Self)
            }
        }
    };
}

bounded_text!(
    /// A ticket's subject: 3 to 200 characters after trimming.
    ///
    /// ```
    /// use supportdesk_domain::Subject;
    /// assert_eq!(Subject::parse("  Order not received ").unwrap().as_str(), "Order not received");
    /// assert!(Subject::parse("no").is_err());
    /// ```
    Subject, "subject", 3, 200
);

bounded_text!(
    /// The description a ticket is opened with: 10 to 10,000 characters. It becomes the first message.
    Description, "description", 10, 10_000
);

bounded_text!(
    /// The body of a reply or an internal note: 1 to 10,000 characters.
    MessageBody, "body", 1, 10_000
);

bounded_text!(
    /// Why a ticket was resolved or closed: 1 to 2,000 characters.
    ResolutionNote, "resolutionNote", 1, 2_000
);

bounded_text!(
    /// What a customer adds to their satisfaction rating: 1 to 2,000 characters.
    SatisfactionComment, "comment", 1, 2_000
);

bounded_text!(
    /// A person's display name: 1 to 200 characters.
    PersonName, "name", 1, 200
);

bounded_text!(
    /// A category's display name: 1 to 100 characters.
    CategoryName, "name", 1, 100
);

bounded_text!(
    /// A shop's order or delivery reference: 1 to 100 characters.
    ExternalRef, "orderId", 1, 100
);

impl ExternalRef {
    /// Parses a delivery reference, reporting errors under `deliveryId`.
    pub fn parse_delivery(raw: &str) -> Result<Self, InvalidValue> {
        Self::parse(raw).map_err(|e| e.for_field("deliveryId"))
    }
}

impl Subject {
    /// Makes a subject from a description: its first sentence or line, cut at a word
    /// boundary to at most [`Subject::GENERATED_MAX_CHARS`] characters.
    ///
    /// ```
    /// use supportdesk_domain::{Description, Subject};
    /// let description = Description::parse("My parcel never arrived. It was due on Monday.").unwrap();
    /// assert_eq!(Subject::from_description(&description).as_str(), "My parcel never arrived.");
    /// ```
    pub fn from_description(description: &Description) -> Self {
        let text = description.as_str();
        let first_line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or(text);
        let candidates = [first_sentence(first_line), first_line, text];
        for candidate in candidates {
            let cut = cut_at_word_boundary(candidate, Self::GENERATED_MAX_CHARS);
            // A subject is one line: newlines and runs of spaces become one space.
            if let Ok(subject) = Self::parse(&cut.split_whitespace().collect::<Vec<_>>().join(" ")) {
                return subject;
            }
        }
        // A cut at a word boundary can be too short ("a" then a long word, or "a" then many
        // spaces): take the first characters with whitespace collapsed instead. A description
        // is at least 10 characters after trimming, so this is at least 3 ("a b").
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let head: String = collapsed.chars().take(Self::GENERATED_MAX_CHARS).collect();
        Self(head.trim_end().to_owned())
    }

    /// Most characters of a subject made from a description.
    pub const GENERATED_MAX_CHARS: usize = 80;
}

/// The text up to and including the first `.`, `!` or `?` that ends a sentence.
fn first_sentence(line: &str) -> &str {
    let mut chars = line.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') {
            let ends_sentence = chars.peek().is_none_or(|(_, next)| next.is_whitespace());
            if ends_sentence {
                return &line[..index + c.len_utf8()];
            }
        }
    }
    line
}

/// At most `max` characters of `text`, cut before the word that would cross the limit.
fn cut_at_word_boundary(text: &str, max: usize) -> &str {
    let text = text.trim();
    let Some((limit, _)) = text.char_indices().nth(max) else {
        return text;
    };
    let head = &text[..limit];
    let next_is_boundary = text[limit..].starts_with(char::is_whitespace);
    if next_is_boundary {
        return head.trim_end();
    }
    match head.rfind(char::is_whitespace) {
        Some(space) if !head[..space].trim().is_empty() => head[..space].trim_end(),
        _ => head,
    }
}

text_type!(
    /// An email address, lower-cased. The check is deliberately shallow: one `@`, a dotted
    /// domain, no spaces, at most 254 characters; the shop owns the real verification.
    ///
    /// ```
    /// use supportdesk_domain::Email;
    /// assert_eq!(Email::parse(" Alex@Example.COM ").unwrap().as_str(), "alex@example.com");
    /// assert!(Email::parse("alex@localhost").is_err());
    /// ```
    Email
);

impl Email {
    /// Trims, lower-cases and checks the shape of an email address.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = bounded_field("email", raw, 3, 254)?.to_lowercase();
        let shape = "an email address like name@example.com";
        let invalid = || InvalidValue::new("email", Rule::Format(shape));
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        Ok(Self(value))
    }
}

/// Checks that every character of `value` satisfies `allowed`.
pub(crate) fn charset_field(
    field: &'static str,
    value: String,
    allowed: impl Fn(char) -> bool,
    shape: &'static str,
) -> Result<String, InvalidValue> {
    if value.chars().all(allowed) {
        Ok(value)
    } else {
        Err(InvalidValue::new(field, Rule::Format(shape)))
    }
}

text_type!(
    /// A tag: lowercase `[a-z0-9_-]{1,32}`. Input is trimmed and lower-cased first.
    ///
    /// ```
    /// use supportdesk_domain::Tag;
    /// assert_eq!(Tag::parse("VIP").unwrap().as_str(), "vip");
    /// assert!(Tag::parse("two words").is_err());
    /// ```
    Tag
);

impl Tag {
    /// Most characters in a tag.
    pub const MAX_CHARS: usize = 32;

    /// Trims, lower-cases and checks a tag.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = bounded_field("tags", raw, 1, Self::MAX_CHARS)?.to_lowercase();
        charset_field(
            "tags",
            value,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-',
            "lowercase letters, digits, '_' or '-'",
        )
        .map(Self)
    }
}

text_type!(
    /// A category slug: `[a-z0-9-]{1,64}`, unique within a tenant.
    Slug
);

impl Slug {
    /// Trims, lower-cases and checks a slug.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = bounded_field("slug", raw, 1, 64)?.to_lowercase();
        charset_field(
            "slug",
            value,
            |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            "lowercase letters, digits or '-'",
        )
        .map(Self)
    }
}

text_type!(
    /// A tenant (store) key, `[A-Za-z0-9._-]{1,64}`; every read and write is scoped to one.
    ///
    /// ```
    /// use supportdesk_domain::TenantKey;
    /// assert_eq!(TenantKey::default().as_str(), "default");
    /// assert!(TenantKey::parse("shop one").is_err());
    /// ```
    TenantKey
);

impl TenantKey {
    /// Checks a tenant key; it is case-sensitive and not trimmed.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let length = raw.chars().count();
        if !(1..=64).contains(&length) {
            return Err(InvalidValue::new("tenant", Rule::Length { min: 1, max: 64 }));
        }
        charset_field(
            "tenant",
            raw.to_owned(),
            |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'),
            "letters, digits, '.', '_' or '-'",
        )
        .map(Self)
    }
}

impl Default for TenantKey {
    fn default() -> Self {
        Self("default".to_owned())
    }
}

/// A ticket's tags: at most 20 distinct [`Tag`]s, in the order first given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// Most tags on one ticket.
    pub const MAX: usize = 20;

    /// Parses each tag, drops repeats and checks the count.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, InvalidValue> {
        let mut tags: Vec<Tag> = Vec::with_capacity(raw.len());
        for item in raw {
            let tag = Tag::parse(item.as_ref())?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Self::from_tags(tags)
    }

    /// Accepts already parsed tags, dropping repeats and checking the count.
    pub fn from_tags(tags: Vec<Tag>) -> Result<Self, InvalidValue> {
        let mut unique: Vec<Tag> = Vec::with_capacity(tags.len());
        for tag in tags {
            if !unique.contains(&tag) {
                unique.push(tag);
            }
        }
        if unique.len() > Self::MAX {
            return Err(InvalidValue::new("tags", Rule::TooMany { max: Self::MAX }));
        }
        Ok(Self(unique))
    }

    /// The tags in order.
    pub fn as_slice(&self) -> &[Tag] {
        &self.0
    }

    /// Whether `tag` is one of them.
    pub fn contains(&self, tag: &Tag) -> bool {
        self.0.contains(tag)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tags as strings.
    pub fn iter_str(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Tag::as_str)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Vec::<String>::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn description(text: &str) -> Description {
        Description::parse(text).unwrap()
    }

    #[test]
    fn subject_is_the_first_sentence_of_the_description() {
        let subject = Subject::from_description(&description("Wrong size delivered! I ordered M."));
        assert_eq!(subject.as_str(), "Wrong size delivered!");
    }

    #[test]
    fn subject_is_the_first_line_when_it_has_no_sentence_end() {
        let subject = Subject::from_description(&description("Parcel damaged\nThe box was open"));
        assert_eq!(subject.as_str(), "Parcel damaged");
    }

    #[test]
    fn subject_is_cut_at_a_word_boundary_to_80_characters() {
        let long = "word ".repeat(40);
        let subject = Subject::from_description(&description(&long));
        assert!(subject.as_str().chars().count() <= 80);
        assert!(subject.as_str().ends_with("word"));
    }

    #[test]
    fn subject_of_one_huge_word_is_cut_hard() {
        let subject = Subject::from_description(&description(&"x".repeat(300)));
        assert_eq!(subject.as_str().chars().count(), 80);
    }

    #[test]
    fn a_too_short_first_sentence_falls_back_to_the_line() {
        let subject = Subject::from_description(&description("K. My order 1234 is late"));
        assert_eq!(subject.as_str(), "K. My order 1234 is late");
    }

    #[test]
    fn decimal_points_do_not_end_a_sentence() {
        let subject = Subject::from_description(&description("Charged 12.50 twice. Please refund."));
        assert_eq!(subject.as_str(), "Charged 12.50 twice.");
    }

    #[test]
    fn subject_length_is_counted_in_characters_not_bytes() {
        assert!(Subject::parse("ééé").is_ok());
        assert_eq!(Subject::parse(&"é".repeat(201)).unwrap_err().rule, Rule::Length { min: 3, max: 200 });
    }

    #[test]
    fn blank_values_are_reported_as_required() {
        assert_eq!(MessageBody::parse("   ").unwrap_err(), InvalidValue::new("body", Rule::Required));
    }

    #[test]
    fn tags_are_lowercased_deduplicated_and_capped_at_twenty() {
        let tags = Tags::parse(&["VIP", "vip", "late-delivery"]).unwrap();
        assert_eq!(tags.iter_str().collect::<Vec<_>>(), ["vip", "late-delivery"]);
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(Tags::parse(&many).unwrap_err().rule, Rule::TooMany { max: 20 });
    }

    #[test]
    fn a_tag_longer_than_32_characters_is_refused() {
        assert!(Tag::parse(&"a".repeat(33)).is_err());
        assert!(Tag::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for bad in ["@example.com", "alex@", "alex@example", "alex@.com", "a lex@example.com", "alex@example..com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn slugs_are_lowercase_letters_digits_and_dashes() {
        assert_eq!(Slug::parse("Order").unwrap().as_str(), "order");
        assert!(Slug::parse("order_1").is_err());
    }
}

//! Attachment metadata: supportdesk stores where a file is, never the file itself.

use crate::error::{InvalidValue, Rule};
use crate::text::{bounded_field, charset_field};

/// A file attached to a message, stored elsewhere (the shop's CDN, an object store).
///
/// ```
/// use supportdesk_domain::Attachment;
/// let photo = Attachment::parse("photo.jpg", "https://cdn.example.com/p.jpg", "image/jpeg", 12_345).unwrap();
/// assert_eq!(photo.file_name(), "photo.jpg");
/// assert!(Attachment::parse("x", "ftp://example.com/x", "image/jpeg", 1).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(rename_all = "camelCase"))]
pub struct Attachment {
    file_name: String,
    url: String,
    content_type: String,
    size_bytes: u64,
}

impl Attachment {
    /// Most attachments on one message.
    pub const MAX_PER_MESSAGE: usize = 20;
    /// Largest size a metadata record may claim: 1 GiB.
    pub const MAX_SIZE_BYTES: u64 = 1 << 30;

    /// Checks each part: a file name of 1..255 characters, an `http(s)` URL of at most 2,048
    /// characters, a `type/subtype` content type, and a size up to [`Self::MAX_SIZE_BYTES`].
    pub fn parse(file_name: &str, url: &str, content_type: &str, size_bytes: u64) -> Result<Self, InvalidValue> {
        let file_name = bounded_field("attachments.fileName", file_name, 1, 255)?;
        let url = bounded_field("attachments.url", url, 1, 2048)?;
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.chars().any(char::is_whitespace) {
            return Err(InvalidValue::new("attachments.url", Rule::Format("an http or https URL")));
        }
        let content_type = bounded_field("attachments.contentType", content_type, 3, 255)?.to_lowercase();
        let content_type = charset_field(
            "attachments.contentType",
            content_type,
            |c| c.is_ascii_graphic(),
            "a media type like image/jpeg",
        )?;
        if content_type.split('/').count() != 2 || content_type.starts_with('/') || content_type.ends_with('/') {
            return Err(InvalidValue::new("attachments.contentType", Rule::Format("a media type like image/jpeg")));
        }
        if size_bytes > Self::MAX_SIZE_BYTES {
            return Err(InvalidValue::new(
                "attachments.sizeBytes",
                Rule::Range { min: 0, max: Self::MAX_SIZE_BYTES as i64 },
            ));
        }
        Ok(Self { file_name, url, content_type, size_bytes })
    }

    /// Checks the number of attachments on one message.
    pub fn check_count(count: usize) -> Result<(), InvalidValue> {
        if count > Self::MAX_PER_MESSAGE {
            return Err(InvalidValue::new("attachments", Rule::TooMany { max: Self::MAX_PER_MESSAGE }));
        }
        Ok(())
    }

    /// The file's name as the customer or agent uploaded it.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Where the file can be fetched.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its media type, lower-cased.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Its size in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }
}

//! List cursors: opaque, signed positions in a list (`?cursor=` -> `meta.nextCursor`).
//!
//! A cursor holds where the last page ended (the last item's sort value and id, or an
//! offset for an order without a key) and is signed with HMAC-SHA256 under a service secret,
//! over its bytes and the list it belongs to: the tenant, the kind of caller and every filter
//! and the sort. A cursor of another tenant, another caller kind, another filter or sort, a
//! forged or garbled one, all fail the check alike: a 400 on `cursor` (`docs/decisions.md`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use supportdesk_domain::{Priority, TenantKey};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AppError;

/// The version byte at the front of every cursor, so the encoding can change.
const VERSION: u8 = 1;
/// How many bytes of the HMAC a cursor carries: 128 bits.
const TAG_BYTES: usize = 16;
/// The message of every refused cursor: which check failed is not told.
const REFUSED: &str = "is not a cursor this service issued for this list (same filters and sort)";

/// Where a cursor says the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorPoint {
    /// After the item with this sort value and id (keyset).
    After {
        /// The last item's sort value.
        value: CursorValue,
        /// The last item's id: the tie-breaker.
        id: Uuid,
    },
    /// After this many items: for orders with no key to continue from (relevance).
    Offset(u64),
}

/// The sort value of the item a keyset cursor continues after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorValue {
    /// A time.
    At(OffsetDateTime),
    /// A priority.
    Priority(Priority),
    /// An optional time (`None`: after every time).
    Due(Option<OffsetDateTime>),
    /// A text (a name).
    Text(String),
}

/// The list a cursor belongs to: it is signed into the cursor, and a cursor used on another
/// list fails the check.
#[derive(Debug, Clone, Copy)]
pub struct CursorScope<'a> {
    /// The tenant.
    pub tenant: &'a TenantKey,
    /// The kind of caller: `staff` or `customer`.
    pub principal_kind: &'a str,
    /// Which list (`tickets`, `customers` ...).
    pub list: &'a str,
    /// The list's filters and sort in a canonical form.
    pub filters: &'a str,
}

/// Signs and checks cursors with one secret.
#[derive(Clone)]
pub struct CursorSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorSigner").finish_non_exhaustive()
    }
}

impl CursorSigner {
    /// A signer with this secret (the service's `list-cursors` secret).
    pub fn new(secret: &[u8]) -> Self {
        Self { key: secret.to_vec() }
    }

    fn tag(&self, scope: &CursorScope<'_>, body: &[u8]) -> Option<[u8; TAG_BYTES]> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        // Each part is length-prefixed, so that no two scopes write the same bytes.
        for part in [scope.tenant.as_str(), scope.principal_kind, scope.list, scope.filters] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(body);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(full.get(..TAG_BYTES)?);
        Some(tag)
    }

    /// The cursor of `point` in the list `scope`.
    pub fn encode(&self, scope: &CursorScope<'_>, point: &CursorPoint) -> String {
        let mut body = vec![VERSION];
        match point {
            CursorPoint::Offset(offset) => {
                body.push(b'o');
                body.extend_from_slice(&offset.to_be_bytes());
            }
            CursorPoint::After { value, id } => {
                match value {
                    CursorValue::At(at) => {
                        body.push(b't');
                        body.extend_from_slice(&at.unix_timestamp_nanos().to_be_bytes());
                    }
                    CursorValue::Priority(priority) => {
                        body.push(b'p');
                        body.extend_from_slice(&priority.rank().to_be_bytes());
                    }
                    CursorValue::Due(Some(at)) => {
                        body.push(b'd');
                        body.extend_from_slice(&at.unix_timestamp_nanos().to_be_bytes());
                    }
                    CursorValue::Due(None) => body.push(b'n'),
                    CursorValue::Text(text) => {
                        body.push(b's');
                        body.extend_from_slice(&(text.len() as u32).to_be_bytes());
                        body.extend_from_slice(text.as_bytes());
                    }
                }
                body.extend_from_slice(id.as_bytes());
            }
        }
        let tag = self.tag(scope, &body).unwrap_or([0; TAG_BYTES]);
        body.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(body)
    }

    /// Checks `raw` against the list `scope` and reads it.
    ///
    /// # Errors
    ///
    /// `Validation` on `cursor` when it is garbled, forged, or made for another list.
    pub fn decode(&self, scope: &CursorScope<'_>, raw: &str) -> Result<CursorPoint, AppError> {
        let refused = || AppError::invalid("cursor", REFUSED);
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| refused())?;
        if bytes.len() < 2 + TAG_BYTES {
            return Err(refused());
        }
        let (body, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
        let expected = self.tag(scope, body).ok_or_else(refused)?;
        // Constant-time comparison of the tags.
        let differs = expected.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differs != 0 || body.first() != Some(&VERSION) {
            return Err(refused());
        }
        let mut reader = Reader { rest: body.get(1..).unwrap_or_default() };
        let point = match reader.byte() {
            Some(b'o') => CursorPoint::Offset(u64::from_be_bytes(reader.array()?)),
            Some(kind) => {
                let value = match kind {
                    b't' => CursorValue::At(reader.time()?),
                    b'p' => CursorValue::Priority(
                        Priority::from_rank(i16::from_be_bytes(reader.array()?)).ok_or_else(refused)?,
                    ),
                    b'd' => CursorValue::Due(Some(reader.time()?)),
                    b'n' => CursorValue::Due(None),
                    b's' => {
                        let len = u32::from_be_bytes(reader.array()?) as usize;
                        let text = reader.take(len).ok_or_else(refused)?;
                        CursorValue::Text(String::from_utf8(text.to_vec()).map_err(|_| refused())?)
                    }
                    _ => return Err(refused()),
                };
                CursorPoint::After { value, id: Uuid::from_bytes(reader.array()?) }
            }
            None => return Err(refused()),
        };
        if !reader.rest.is_empty() {
            return Err(refused());
        }
        Ok(point)
    }
}

/// Reads a cursor's body front to back.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(*first)
    }

    fn take(&mut self, len: usize) -> Option<&[u8]> {
        if self.rest.len() < len {
            return None;
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AppError> {
        self.take(N)
            .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
            .ok_or_else(|| AppError::invalid("cursor", REFUSED))
    }

    fn time(&mut self) -> Result<OffsetDateTime, AppError> {
        let nanos = i128::from_be_bytes(self.array()?);
        OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| AppError::invalid("cursor", REFUSED))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn scope<'a>(tenant: &'a TenantKey, filters: &'a str) -> CursorScope<'a> {
        CursorScope { tenant, principal_kind: "staff", list: "tickets", filters }
    }

    #[test]
    fn a_cursor_reads_back_only_on_its_own_list() {
        let signer = CursorSigner::new(b"secret");
        let tenant = TenantKey::parse("acme").unwrap();
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_789).unwrap();
        let id = Uuid::from_u128(42);
        let point = CursorPoint::After { value: CursorValue::At(at), id };
        let cursor = signer.encode(&scope(&tenant, "status=open"), &point);
        assert_eq!(
            signer.decode(&scope(&tenant, "status=open"), &cursor).unwrap(),
            CursorPoint::After { value: CursorValue::At(at), id }
        );
        let other_filters = signer.decode(&scope(&tenant, "status=closed"), &cursor).unwrap_err();
        assert!(matches!(other_filters, AppError::Validation(_)), "{other_filters:?}");
        let beta = TenantKey::parse("beta").unwrap();
        assert!(signer.decode(&scope(&beta, "status=open"), &cursor).is_err());
        let customer = CursorScope { principal_kind: "customer", ..scope(&tenant, "status=open") };
        assert!(signer.decode(&customer, &cursor).is_err());
        assert!(CursorSigner::new(b"other").decode(&scope(&tenant, "status=open"), &cursor).is_err());
        // Any flipped bit is refused.
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        for i in 0..bytes.len() {
            bytes[i] ^= 1;
            let forged = URL_SAFE_NO_PAD.encode(&bytes);
            assert!(signer.decode(&scope(&tenant, "status=open"), &forged).is_err(), "byte {i}");
            bytes[i] ^= 1;
        }
        for garbled in ["", "!!!", "AAAA", &cursor[..cursor.len() - 2]] {
            assert!(signer.decode(&scope(&tenant, "status=open"), garbled).is_err(), "{garbled}");
        }
    }

    #[test]
    fn every_kind_of_point_reads_back() {
        let signer = CursorSigner::new(b"secret");
        let tenant = TenantKey::parse("acme").unwrap();
        let s = scope(&tenant, "");
        let id = Uuid::from_u128(7);
        for (point, owned) in [
            (CursorPoint::Offset(40), CursorPoint::Offset(40)),
            (
                CursorPoint::After { value: CursorValue::Priority(Priority::High), id },
                CursorPoint::After { value: CursorValue::Priority(Priority::High), id },
            ),
            (
                CursorPoint::After { value: CursorValue::Due(None), id },
                CursorPoint::After { value: CursorValue::Due(None), id },
            ),
        ] {
            assert_eq!(signer.decode(&s, &signer.encode(&s, &point)).unwrap(), owned);
        }
        let named = signer.encode(&s, &CursorPoint::After { value: CursorValue::Text("Zoë Brown".into()), id });
        assert_eq!(
            signer.decode(&s, &named).unwrap(),
            CursorPoint::After { value: CursorValue::Text("Zoë Brown".into()), id }
        );
    }
}

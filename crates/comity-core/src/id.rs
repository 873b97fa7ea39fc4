//! Identifiers of requests, parties and actors.

use std::{fmt, str::FromStr};

use uuid::Uuid;

/// The identifier comity gives a request on intake: a UUIDv7 (RFC 9562 §5.7), so
/// identifiers sort by time of receipt and index well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(Uuid);

/// Why a string is not a request id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a request id: expected a UUID such as 0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f")]
pub struct RequestIdError(String);

impl RequestId {
    /// A fresh identifier for a request received at `now` (milliseconds since the epoch).
    pub fn new_at(unix_millis: u64) -> Self {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            unix_millis / 1000,
            ((unix_millis % 1000) * 1_000_000) as u32,
        );
        Self(Uuid::new_v7(ts))
    }

    /// Parses the hyphenated form.
    pub fn parse(s: &str) -> Result<Self, RequestIdError> {
        Uuid::try_parse(s).map(Self).map_err(|_| RequestIdError(s.to_owned()))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for RequestId {
    type Err = RequestIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The identifier of a party (an authority, a provider, a reviewer body): a short,
/// stable slug chosen at registration, such as `fr-tj-paris` or `example-mail`.
///
/// Slugs rather than opaque numbers, because they appear in request documents written
/// by people and in logs read by auditors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyId(String);

/// Why a string is not a party id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a party id: use 2 to 64 characters of lower-case letters, digits and single \
     hyphens, starting with a letter (such as \"fr-tj-paris\")"
)]
pub struct PartyIdError(String);

impl PartyId {
    /// Parses a slug.
    pub fn parse(s: &str) -> Result<Self, PartyIdError> {
        let ok = (2..=64).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && !s.contains("--")
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok { Ok(Self(s.to_owned())) } else { Err(PartyIdError(s.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who did something: a party, a person of a party, or comity itself.
///
/// Free-form until accounts exist (issue 5 binds it to the authenticated principal);
/// it must be printable and short because it is written into every event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActorId(String);

/// Why a string is not an actor id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the actor must be 1 to 128 printable characters without spaces, got {0:?}")]
pub struct ActorIdError(String);

impl ActorId {
    pub fn parse(s: &str) -> Result<Self, ActorIdError> {
        let ok = (1..=128).contains(&s.chars().count())
            && s.chars().all(|c| !c.is_control() && !c.is_whitespace());
        if ok { Ok(Self(s.to_owned())) } else { Err(ActorIdError(s.to_owned())) }
    }

    /// comity itself, for steps no person took.
    pub fn system() -> Self {
        Self("comity".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client's key for one submission, so that a retry after a timeout or a dropped
/// connection does not create a second request (the `Idempotency-Key` header of
/// draft-ietf-httpapi-idempotency-key-header). Keys are scoped to the issuing authority.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a string is not an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "an Idempotency-Key must be 1 to 255 visible ASCII characters without spaces (a UUID is a good choice), got {0}"
)]
pub struct IdempotencyKeyError(String);

impl IdempotencyKeyError {
    /// What was given, as much as an answer should repeat: an outside test sent a 100 KB
    /// key and had it echoed back whole (issue 12, finding 7), and a key may hold control
    /// characters. At most 32 characters, escaped, and the length.
    fn of(given: &str) -> Self {
        let shown: String = given.chars().take(32).flat_map(char::escape_default).collect();
        let chars = given.chars().count();
        Self(if chars > 32 { format!("\"{shown}…\" ({chars} characters)") } else { format!("\"{shown}\"") })
    }
}

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, IdempotencyKeyError> {
        let ok = (1..=255).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        if ok { Ok(Self(s.to_owned())) } else { Err(IdempotencyKeyError::of(s)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_ids() {
        let check = |s: &str, ok: bool| assert_eq!(PartyId::parse(s).is_ok(), ok, "{s:?}");
        check("fr-tj-paris", true);
        check("example-mail", true);
        check("ie1", true);
        check("a", false);
        check("Fr-tj", false);
        check("-fr", false);
        check("fr-", false);
        check("fr--tj", false);
        check("1fr", false);
        check("fr tj", false);
        check(&"a".repeat(65), false);
    }

    #[test]
    fn request_ids_round_trip_and_sort_by_time() {
        let a = RequestId::new_at(1_700_000_000_000);
        let b = RequestId::new_at(1_700_000_001_000);
        assert!(a < b);
        assert_eq!(RequestId::parse(&a.to_string()), Ok(a));
        assert!(RequestId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn idempotency_keys() {
        assert!(IdempotencyKey::parse("0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
    }

    #[test]
    fn actor_ids() {
        assert!(ActorId::parse("ie-dpc:reviewer-7").is_ok());
        assert!(ActorId::parse("").is_err());
        assert!(ActorId::parse("two words").is_err());
    }
}

//! Log entries: what happened, when, to which request, by whom, and a commitment to the
//! content. Never the content itself: the log is public, and personal data must not be.
//!
//! The encoding is text, one field per line, so that anyone can read an entry from a
//! data tile with no library of comity's (see `docs/log.md`):
//!
//! ```text
//! comity-log-entry/v1
//! kind: lifecycle.under_review
//! time: 2026-11-26T10:00:00.000000Z
//! request: 0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f
//! actor: comity
//! commitment: 3q2+7w...=
//! ```
//!
//! The commitment is SHA-256(salt ‖ content) with a random 32-byte salt that the store
//! keeps beside the content. Whoever holds the content and its salt can show which entry
//! is theirs; nobody else can test a guess against the public log, because of the salt.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, SecondsFormat, Utc};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// The first line of every entry; a later version of the format changes it.
pub const ENTRY_HEADER: &str = "comity-log-entry/v1";

/// A random salt for a commitment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Salt(pub [u8; 32]);

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A salt is half of a secret: keep it out of logs and panics.
        f.write_str("Salt(..)")
    }
}

impl Salt {
    /// A fresh salt from the operating system's generator.
    pub fn random() -> Salt {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Salt(bytes)
    }
}

/// SHA-256(salt ‖ content).
pub fn commit(salt: &Salt, content: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.0);
    h.update(content);
    h.finalize().into()
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What happened, as a dotted name: `lifecycle.<state>`, `screening`, `read`, ...
    kind: String,
    time: DateTime<Utc>,
    /// The request it concerns, if any.
    request: Option<String>,
    actor: String,
    commitment: [u8; 32],
}

/// Why an entry cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("the {0} field must be 1 to 128 printable characters without spaces or line breaks")]
    Field(&'static str),
    #[error("not a comity log entry: {0}")]
    Malformed(String),
}

fn check_field(name: &'static str, value: &str) -> Result<(), EntryError> {
    let ok = (1..=128).contains(&value.chars().count())
        && value.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if ok { Ok(()) } else { Err(EntryError::Field(name)) }
}

fn field(name: &'static str, value: &str) -> Result<String, EntryError> {
    check_field(name, value).map(|()| value.to_owned())
}

/// An entry's fields, borrowed from its bytes: what [`Entry::from_bytes`] reads, without
/// allocating (the audit verifier reads millions).
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    pub kind: &'a str,
    pub time: DateTime<Utc>,
    pub request: Option<&'a str>,
    pub actor: &'a str,
    pub commitment: [u8; 32],
}

impl<'a> Fields<'a> {
    /// Reads an entry's bytes; only the exact encoding of `Entry::to_bytes` is accepted.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Fields<'a>, EntryError> {
        let bad = |why: &str| EntryError::Malformed(why.to_owned());
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.strip_suffix('\n').ok_or_else(|| bad("no final line break"))?.split('\n');
        if lines.next() != Some(ENTRY_HEADER) {
            return Err(bad("the first line is not comity-log-entry/v1"));
        }
        let mut fields = [("", ""); 5];
        let mut count = 0;
        for line in lines {
            if count == fields.len() {
                return Err(bad("the fields are not kind, time, [request,] actor, commitment in that order"));
            }
            fields[count] = line.split_once(": ").ok_or_else(|| bad("a line is not `name: value`"))?;
            count += 1;
        }
        let names = fields[..count].iter().map(|(n, _)| *n);
        let with_request = if names.clone().eq(["kind", "time", "request", "actor", "commitment"]) {
            true
        } else if names.eq(["kind", "time", "actor", "commitment"]) {
            false
        } else {
            return Err(bad("the fields are not kind, time, [request,] actor, commitment in that order"));
        };
        let value = |n: usize| fields[n].1;
        let time = DateTime::parse_from_rfc3339(value(1))
            .map_err(|_| bad("the time is not RFC 3339"))?
            .with_timezone(&Utc);
        let (request, actor, commitment_text) =
            if with_request { (Some(value(2)), value(3), value(4)) } else { (None, value(2), value(3)) };
        let mut commitment = [0u8; 36];
        let commitment: [u8; 32] = STANDARD
            .decode_slice(commitment_text, &mut commitment)
            .ok()
            .and_then(|n| commitment[..n].try_into().ok())
            .ok_or_else(|| bad("the commitment is not 32 bytes of base64"))?;
        check_field("kind", value(0))?;
        if let Some(r) = request {
            check_field("request", r)?;
        }
        check_field("actor", actor)?;
        // One entry, one encoding, one hash. The lines above are exactly `name: value`
        // in the order `to_bytes` writes them, and kind, request and actor are kept
        // verbatim, so the bytes are canonical when the time and the commitment are
        // written back as they were read.
        let mut encoded = [0u8; 44];
        let canonical = time.to_rfc3339_opts(SecondsFormat::Micros, true) == value(1)
            && STANDARD
                .encode_slice(commitment, &mut encoded)
                .is_ok_and(|n| &encoded[..n] == commitment_text.as_bytes());
        if !canonical {
            return Err(bad("not in canonical form"));
        }
        Ok(Fields { kind: value(0), time, request, actor, commitment })
    }
}

impl Entry {
    /// Makes an entry. Fields are checked so that the encoding stays one line each.
    pub fn new(
        kind: &str,
        time: DateTime<Utc>,
        request: Option<&str>,
        actor: &str,
        commitment: [u8; 32],
    ) -> Result<Entry, EntryError> {
        Ok(Entry {
            kind: field("kind", kind)?,
            time,
            request: request.map(|r| field("request", r)).transpose()?,
            actor: field("actor", actor)?,
            commitment,
        })
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn time(&self) -> DateTime<Utc> {
        self.time
    }

    pub fn request(&self) -> Option<&str> {
        self.request.as_deref()
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    pub fn commitment(&self) -> &[u8; 32] {
        &self.commitment
    }

    /// The entry's bytes, as they are hashed into the tree and served in data tiles.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(200);
        out.push_str(ENTRY_HEADER);
        out.push_str("\nkind: ");
        out.push_str(&self.kind);
        out.push_str("\ntime: ");
        out.push_str(&self.time.to_rfc3339_opts(SecondsFormat::Micros, true));
        if let Some(r) = &self.request {
            out.push_str("\nrequest: ");
            out.push_str(r);
        }
        out.push_str("\nactor: ");
        out.push_str(&self.actor);
        out.push_str("\ncommitment: ");
        out.push_str(&STANDARD.encode(self.commitment));
        out.push('\n');
        out.into_bytes()
    }

    /// Reads an entry's bytes; only the exact encoding of `to_bytes` is accepted, so an
    /// entry has one encoding and one hash.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, EntryError> {
        let f = Fields::parse(bytes)?;
        let entry = Entry {
            kind: f.kind.to_owned(),
            time: f.time,
            request: f.request.map(str::to_owned),
            actor: f.actor.to_owned(),
            commitment: f.commitment,
        };
        debug_assert_eq!(entry.to_bytes(), bytes, "Fields::parse accepts only canonical bytes");
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn entry(request: Option<&str>) -> Entry {
        let time = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        Entry::new("lifecycle.under_review", time, request, "comity", commit(&Salt([7; 32]), b"document"))
            .unwrap()
    }

    #[test]
    fn entries_round_trip_in_one_canonical_encoding() {
        for e in [entry(Some("0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f")), entry(None)] {
            let bytes = e.to_bytes();
            assert_eq!(Entry::from_bytes(&bytes).unwrap(), e);
            assert!(bytes.starts_with(
                b"comity-log-entry/v1\nkind: lifecycle.under_review\ntime: 2026-11-26T10:00:00.000000Z\n"
            ));
        }
        let text = String::from_utf8(entry(None).to_bytes()).unwrap();
        for broken in [
            text.replace("v1", "v2"),
            text.replace("kind: ", "kind:"),
            text.replace("2026-11-26T10:00:00.000000Z", "2026-11-26T10:00:00Z"),
            text.trim_end().to_owned(),
            text.replace("actor: comity\n", ""),
            text.replace("commitment: ", "commitment: AAAA"),
            format!("{text}extra: field\n"),
        ] {
            assert!(Entry::from_bytes(broken.as_bytes()).is_err(), "accepted {broken:?}");
        }
    }

    /// Every single-byte change of an entry is either refused or still the exact
    /// encoding of what was read: the reader's canonical check (which compares only the
    /// time and the commitment) misses nothing that re-encoding the whole entry would catch.
    #[test]
    fn a_changed_byte_is_refused_or_canonical() {
        let bytes = entry(Some("0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f")).to_bytes();
        let mut accepted = 0;
        for at in 0..bytes.len() {
            for b in
                [b'0', b'1', b'9', b'A', b'a', b'Z', b'+', b'/', b'=', b':', b' ', b'\n', b'-', b'.', 0xff]
            {
                let mut changed = bytes.clone();
                changed[at] = b;
                if let Ok(e) = Entry::from_bytes(&changed) {
                    assert_eq!(
                        e.to_bytes(),
                        changed,
                        "accepted a non-canonical {:?}",
                        String::from_utf8_lossy(&changed)
                    );
                    accepted += 1;
                }
            }
        }
        assert!(accepted > 100, "{accepted}");
    }

    #[test]
    fn fields_cannot_break_the_encoding() {
        let time = Utc::now();
        assert!(Entry::new("a\nb", time, None, "comity", [0; 32]).is_err());
        assert!(Entry::new("kind", time, Some("two words"), "comity", [0; 32]).is_err());
        assert!(Entry::new("kind", time, None, "", [0; 32]).is_err());
    }

    #[test]
    fn commitments_bind_the_content_and_hide_it_behind_the_salt() {
        let salt = Salt([1; 32]);
        assert_eq!(commit(&salt, b"a"), commit(&salt, b"a"));
        assert_ne!(commit(&salt, b"a"), commit(&salt, b"b"));
        assert_ne!(commit(&salt, b"a"), commit(&Salt([2; 32]), b"a"));
        assert_ne!(Salt::random(), Salt::random());
        assert_eq!(format!("{:?}", Salt([9; 32])), "Salt(..)");
    }
}

//! Log entries: what happened, when, to which request, and a commitment to who did it and
//! to the content. Never the content itself, nor who: the log is public, and personal
//! data, parties and requests must not be (issue 12, finding 3).
//!
//! The encoding is text, one field per line, so that anyone can read an entry from a
//! data tile with no library of comity's (see `docs/log.md`):
//!
//! ```text
//! comity-log-entry/v2
//! kind: lifecycle.under_review
//! time: 2026-11-26T10:00:00.000000Z
//! request: 8JCjcy0fM2lUaFq0o6lUP2m1a1b9zWQ3rZ8Zr3Xj6nA=
//! commitment: 3q2+7w...=
//! ```
//!
//! The `request` line is a [`RequestTag`]: a hash of the request id under a random salt
//! kept with the request, the same for all of one request's entries (so that the public
//! can still follow a request's lifecycle and recompute transparency figures) but
//! unlinkable to the request by anyone who lacks that salt. The commitment is
//! SHA-256(salt ‖ actor ‖ LF ‖ content) with a random 32-byte salt per entry that the
//! store keeps beside the content. Whoever holds the actor, the content and its salt can
//! show which entry is theirs; nobody else can test a guess against the public log,
//! because of the salt.
//!
//! Entries written before version 2 (`comity-log-entry/v1`) named the request id and the
//! actor in the clear. They stay in the log, which is append-only, and are still read
//! (each in its one encoding); [`Entry::v1`] makes one, for tests and tools that read
//! old logs.

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, SecondsFormat, Utc};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// The first line of every entry written now.
pub const ENTRY_HEADER: &str = "comity-log-entry/v2";

/// The first line of the entries written before version 2, which named the request and
/// the actor in the clear.
pub const ENTRY_HEADER_V1: &str = "comity-log-entry/v1";

/// The prefix of a [`RequestTag`]'s hash, so that a tag can never be mistaken for (or
/// made equal to) any other hash of comity's.
const REQUEST_TAG_DOMAIN: &[u8] = b"comity-log-request/v2\0";

/// Which version of the format an entry is in: each has one encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// `comity-log-entry/v1`: request id and actor in the clear.
    V1,
    /// `comity-log-entry/v2`: a request tag, and the actor inside the commitment.
    V2,
}

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

/// SHA-256(salt ‖ content): the commitment of a `comity-log-entry/v1` entry.
pub fn commit(salt: &Salt, content: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.0);
    h.update(content);
    h.finalize().into()
}

/// SHA-256(salt ‖ actor ‖ LF ‖ content): the commitment of a `comity-log-entry/v2` entry,
/// to who acted as well as to what happened. The framing is unambiguous because an actor
/// holds no line break (it is a checked field, see [`Entry::v1`]).
pub fn commit_as(salt: &Salt, actor: &str, content: &[u8]) -> Result<[u8; 32], EntryError> {
    check_field("actor", actor)?;
    let mut h = Sha256::new();
    h.update(salt.0);
    h.update(actor.as_bytes());
    h.update(b"\n");
    h.update(content);
    Ok(h.finalize().into())
}

/// A request as a `comity-log-entry/v2` entry names it:
/// SHA-256("comity-log-request/v2" ‖ 0x00 ‖ salt ‖ request id), where the salt is the
/// request's own, 32 random bytes kept with it and given to those who may see it.
///
/// All of a request's entries carry the same tag, so that its lifecycle can be followed
/// in the public log; without the salt nobody can tell which request it is, nor test a
/// guessed id (ids are UUIDv7s, whose first 48 bits are the time of intake).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestTag([u8; 32]);

impl RequestTag {
    /// The tag of request `id` under the request's salt.
    pub fn new(salt: &Salt, id: &str) -> RequestTag {
        let mut h = Sha256::new();
        h.update(REQUEST_TAG_DOMAIN);
        h.update(salt.0);
        h.update(id.as_bytes());
        RequestTag(h.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Display for RequestTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&STANDARD.encode(self.0))
    }
}

impl std::fmt::Debug for RequestTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestTag({self})")
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    version: Version,
    /// What happened, as a dotted name: `lifecycle.<state>`, `screening`, `read`, ...
    kind: String,
    time: DateTime<Utc>,
    /// The request it concerns, if any: its id (v1) or its tag in base64 (v2).
    request: Option<String>,
    /// Who acted (v1 only: v2 commits to it instead).
    actor: Option<String>,
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

/// 32 bytes from their canonical base64 (RFC 4648 §4, padded), or `None`.
fn hash_from_base64(text: &str) -> Option<[u8; 32]> {
    let mut decoded = [0u8; 36];
    let bytes: [u8; 32] =
        STANDARD.decode_slice(text, &mut decoded).ok().and_then(|n| decoded[..n].try_into().ok())?;
    // Only the one encoding: base64 lets the last character's low bits vary.
    let mut encoded = [0u8; 44];
    STANDARD.encode_slice(bytes, &mut encoded).ok().filter(|n| &encoded[..*n] == text.as_bytes())?;
    Some(bytes)
}

/// An entry's fields, borrowed from its bytes: what [`Entry::from_bytes`] reads, without
/// allocating (the audit verifier reads millions).
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    pub version: Version,
    pub kind: &'a str,
    pub time: DateTime<Utc>,
    pub request: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub commitment: [u8; 32],
}

impl<'a> Fields<'a> {
    /// Reads an entry's bytes; only the exact encoding of `Entry::to_bytes` is accepted.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Fields<'a>, EntryError> {
        let bad = |why: &str| EntryError::Malformed(why.to_owned());
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.strip_suffix('\n').ok_or_else(|| bad("no final line break"))?.split('\n');
        let version = match lines.next() {
            Some(ENTRY_HEADER) => Version::V2,
            Some(ENTRY_HEADER_V1) => Version::V1,
            _ => return Err(bad("the first line is not comity-log-entry/v2 (or v1)")),
        };
        let order = match version {
            Version::V1 => "the fields are not kind, time, [request,] actor, commitment in that order",
            Version::V2 => "the fields are not kind, time, [request,] commitment in that order",
        };
        let mut fields = [("", ""); 5];
        let mut count = 0;
        for line in lines {
            if count == fields.len() {
                return Err(bad(order));
            }
            fields[count] = line.split_once(": ").ok_or_else(|| bad("a line is not `name: value`"))?;
            count += 1;
        }
        let names = fields[..count].iter().map(|(n, _)| *n);
        let with_request = match version {
            Version::V1 if names.clone().eq(["kind", "time", "request", "actor", "commitment"]) => true,
            Version::V1 if names.clone().eq(["kind", "time", "actor", "commitment"]) => false,
            Version::V2 if names.clone().eq(["kind", "time", "request", "commitment"]) => true,
            Version::V2 if names.eq(["kind", "time", "commitment"]) => false,
            _ => return Err(bad(order)),
        };
        let value = |n: usize| fields[n].1;
        let time = DateTime::parse_from_rfc3339(value(1))
            .map_err(|_| bad("the time is not RFC 3339"))?
            .with_timezone(&Utc);
        let request = with_request.then(|| value(2));
        let next = 2 + usize::from(with_request);
        let actor = (version == Version::V1).then(|| value(next));
        let commitment_text = value(count - 1);
        // One entry, one encoding, one hash. The lines above are exactly `name: value`
        // in the order `to_bytes` writes them, and kind, request and actor are kept
        // verbatim, so the bytes are canonical when the time, the commitment (and a v2
        // request tag) are written back as they were read.
        let commitment = hash_from_base64(commitment_text)
            .ok_or_else(|| bad("the commitment is not 32 bytes in canonical base64"))?;
        check_field("kind", value(0))?;
        if let Some(r) = request {
            check_field("request", r)?;
            if version == Version::V2 && hash_from_base64(r).is_none() {
                return Err(bad("the request is not a request tag (32 bytes in canonical base64)"));
            }
        }
        if let Some(a) = actor {
            check_field("actor", a)?;
        }
        if time.to_rfc3339_opts(SecondsFormat::Micros, true) != value(1) {
            return Err(bad("not in canonical form"));
        }
        Ok(Fields { version, kind: value(0), time, request, actor, commitment })
    }
}

impl Entry {
    /// Makes a `comity-log-entry/v2` entry: the request only as its tag, and a
    /// commitment ([`commit_as`]) to the actor and the content. Fields are checked so
    /// that the encoding stays one line each.
    pub fn new(
        kind: &str,
        time: DateTime<Utc>,
        request: Option<&RequestTag>,
        commitment: [u8; 32],
    ) -> Result<Entry, EntryError> {
        Ok(Entry {
            version: Version::V2,
            kind: field("kind", kind)?,
            time,
            request: request.map(ToString::to_string),
            actor: None,
            commitment,
        })
    }

    /// Makes a `comity-log-entry/v1` entry, as comity wrote them before version 2: the
    /// request id and the actor in the clear, and a commitment ([`commit`]) to the
    /// content. Only for tests and tools that must read or rebuild an old log.
    pub fn v1(
        kind: &str,
        time: DateTime<Utc>,
        request: Option<&str>,
        actor: &str,
        commitment: [u8; 32],
    ) -> Result<Entry, EntryError> {
        Ok(Entry {
            version: Version::V1,
            kind: field("kind", kind)?,
            time,
            request: request.map(|r| field("request", r)).transpose()?,
            actor: Some(field("actor", actor)?),
            commitment,
        })
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn time(&self) -> DateTime<Utc> {
        self.time
    }

    /// The request it concerns: its id in a v1 entry, its [`RequestTag`] (base64) in a
    /// v2 entry.
    pub fn request(&self) -> Option<&str> {
        self.request.as_deref()
    }

    /// Who acted, in a v1 entry; a v2 entry commits to it instead.
    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    pub fn commitment(&self) -> &[u8; 32] {
        &self.commitment
    }

    /// The entry's bytes, as they are hashed into the tree and served in data tiles.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(200);
        out.push_str(match self.version {
            Version::V1 => ENTRY_HEADER_V1,
            Version::V2 => ENTRY_HEADER,
        });
        out.push_str("\nkind: ");
        out.push_str(&self.kind);
        out.push_str("\ntime: ");
        out.push_str(&self.time.to_rfc3339_opts(SecondsFormat::Micros, true));
        if let Some(r) = &self.request {
            out.push_str("\nrequest: ");
            out.push_str(r);
        }
        if let Some(a) = &self.actor {
            out.push_str("\nactor: ");
            out.push_str(a);
        }
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
            version: f.version,
            kind: f.kind.to_owned(),
            time: f.time,
            request: f.request.map(str::to_owned),
            actor: f.actor.map(str::to_owned),
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

    const REQUEST: &str = "0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f";

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn v1(request: Option<&str>) -> Entry {
        Entry::v1("lifecycle.under_review", time(), request, "comity", commit(&Salt([7; 32]), b"document"))
            .unwrap()
    }

    fn v2(request: bool) -> Entry {
        let tag = RequestTag::new(&Salt([5; 32]), REQUEST);
        let commitment = commit_as(&Salt([7; 32]), "clerk.17@fr-tj-paris", b"document").unwrap();
        Entry::new("lifecycle.under_review", time(), request.then_some(&tag), commitment).unwrap()
    }

    #[test]
    fn entries_round_trip_in_one_canonical_encoding() {
        for (e, header) in [
            (v1(Some(REQUEST)), "comity-log-entry/v1"),
            (v1(None), "comity-log-entry/v1"),
            (v2(true), "comity-log-entry/v2"),
            (v2(false), "comity-log-entry/v2"),
        ] {
            let bytes = e.to_bytes();
            assert_eq!(Entry::from_bytes(&bytes).unwrap(), e);
            let start =
                format!("{header}\nkind: lifecycle.under_review\ntime: 2026-11-26T10:00:00.000000Z\n");
            assert!(bytes.starts_with(start.as_bytes()));
        }
        let tag = RequestTag::new(&Salt([5; 32]), REQUEST).to_string();
        for text in
            [String::from_utf8(v1(None).to_bytes()).unwrap(), String::from_utf8(v2(true).to_bytes()).unwrap()]
        {
            let other_version =
                if text.contains("/v1") { text.replace("/v1", "/v2") } else { text.replace("/v2", "/v1") };
            for broken in [
                other_version,
                text.replace("/v1", "/v3").replace("/v2", "/v3"),
                text.replace("kind: ", "kind:"),
                text.replace("2026-11-26T10:00:00.000000Z", "2026-11-26T10:00:00Z"),
                text.trim_end().to_owned(),
                text.replace("actor: comity\n", ""),
                text.replace("commitment: ", "commitment: AAAA"),
                format!("{text}extra: field\n"),
            ]
            .into_iter()
            // Removing the actor line changes nothing in a v2 entry, which has none.
            .filter(|broken| *broken != text)
            {
                assert!(Entry::from_bytes(broken.as_bytes()).is_err(), "accepted {broken:?}");
            }
        }
        // A v2 entry names no actor, and its request is a tag, never an id.
        let text = String::from_utf8(v2(true).to_bytes()).unwrap();
        for broken in [
            text.replace("\ncommitment", "\nactor: comity\ncommitment"),
            text.replace(&tag, REQUEST),
            text.replace(&tag, &tag.replace('=', "")),
        ] {
            assert!(Entry::from_bytes(broken.as_bytes()).is_err(), "accepted {broken:?}");
        }
    }

    /// Every single-byte change of an entry is either refused or still the exact
    /// encoding of what was read: the reader's canonical check (which compares only the
    /// time, the commitment and a v2 tag) misses nothing that re-encoding the whole entry
    /// would catch.
    #[test]
    fn a_changed_byte_is_refused_or_canonical() {
        for bytes in [v1(Some(REQUEST)).to_bytes(), v2(true).to_bytes()] {
            let mut accepted = 0;
            for at in 0..bytes.len() {
                for b in [
                    b'0', b'1', b'2', b'9', b'A', b'a', b'Z', b'+', b'/', b'=', b':', b' ', b'\n', b'-',
                    b'.', 0xff,
                ] {
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
    }

    #[test]
    fn fields_cannot_break_the_encoding() {
        let time = Utc::now();
        assert!(Entry::v1("a\nb", time, None, "comity", [0; 32]).is_err());
        assert!(Entry::v1("kind", time, Some("two words"), "comity", [0; 32]).is_err());
        assert!(Entry::v1("kind", time, None, "", [0; 32]).is_err());
        assert!(Entry::new("a b", time, None, [0; 32]).is_err());
        // The actor's framing in a v2 commitment relies on it holding no line break.
        assert!(commit_as(&Salt([1; 32]), "a\nb", b"").is_err());
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

    /// A v2 commitment binds the actor apart from the content: moving bytes between
    /// them changes it.
    #[test]
    fn v2_commitments_bind_the_actor_and_the_content_apart() {
        let salt = Salt([1; 32]);
        let c = |actor: &str, content: &[u8]| commit_as(&salt, actor, content).unwrap();
        assert_eq!(c("alice@x", b"a"), c("alice@x", b"a"));
        assert_ne!(c("alice@x", b"a"), c("bob@x", b"a"));
        assert_ne!(c("alice@xa", b""), c("alice@x", b"a"));
        assert_eq!(c("alice@x", b"a"), commit(&salt, b"alice@x\na"), "as docs/log.md states it");
    }

    /// One request, one tag under its salt; another salt or another id, another tag; and
    /// the tag is the documented hash.
    #[test]
    fn request_tags_link_a_request_only_under_its_salt() {
        let salt = Salt([5; 32]);
        let tag = RequestTag::new(&salt, REQUEST);
        assert_eq!(tag, RequestTag::new(&salt, REQUEST));
        assert_ne!(tag, RequestTag::new(&Salt([6; 32]), REQUEST));
        assert_ne!(tag, RequestTag::new(&salt, "0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e70"));
        let mut preimage = b"comity-log-request/v2\0".to_vec();
        preimage.extend_from_slice(&salt.0);
        preimage.extend_from_slice(REQUEST.as_bytes());
        assert_eq!(tag.as_bytes(), &<[u8; 32]>::from(Sha256::digest(&preimage)));
        assert!(!tag.to_string().contains(REQUEST));
    }
}

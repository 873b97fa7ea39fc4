//! The manifest of a production: what was produced, for whom, under which decision, and
//! every file with its SHA-256 and size. `docs/package-format.md` describes it field by
//! field.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use comity_auth::jws::{KeyId, PublicKey};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::shown::shown;

/// The value of the manifest's `format` field: this format, version 1.
pub const FORMAT: &str = "comity-production/v1";

/// The name of the manifest's entry in the package.
pub const MANIFEST_NAME: &str = "manifest.json";

/// The name of the signature's entry in the package.
pub const SIGNATURE_NAME: &str = "manifest.sig";

/// The largest `manifest.json`, in bytes: the largest payload comity-auth verifies in a
/// JWS. At about 150 bytes a file entry, room for over ten thousand files.
pub const MAX_MANIFEST_BYTES: usize = comity_auth::jws::MAX_PAYLOAD_BYTES;

/// The manifest of a production package, as `manifest.json` holds it.
///
/// The production pipeline fills every field; [`crate::seal`] checks it (see
/// [`Manifest::check`]), serializes it and signs the exact bytes; [`crate::open`] parses
/// it back, refusing unknown fields and duplicate keys anywhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`]: serialized first, so that a reader knows the format before
    /// anything else.
    pub format: Format,
    /// The id of the request this production answers.
    pub request: String,
    /// The decision that allowed it.
    pub decision: Decision,
    /// The legal basis the decision applied.
    pub legal_basis: LegalBasis,
    /// What the decision let leave.
    pub scope: Scope,
    /// The purpose for which the authority may use the data, and no other.
    pub purpose: String,
    /// When the authority must have deleted the data.
    pub retention_until: RetentionUntil,
    /// The id of the provider that produced the data.
    pub provider: String,
    /// The authority the package is encrypted to.
    pub recipient: Recipient,
    /// The data files, in the order of the package.
    pub files: Vec<FileEntry>,
    /// What redaction masked, as the pipeline counts it (counts by type). Opaque to this
    /// crate; its keys are written sorted, so that the same manifest gives the same bytes.
    #[serde(serialize_with = "sorted_object")]
    pub redaction: Map<String, Value>,
    /// The production event in the audit log.
    pub production: Production,
    /// The provider's production key that signed `manifest.json`.
    pub signing_key: SigningKeyRef,
}

/// The manifest's `format`: always [`FORMAT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Format;

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(FORMAT)
    }
}

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Format, D::Error> {
        let text = String::deserialize(d)?;
        if text == FORMAT {
            Ok(Format)
        } else {
            Err(de::Error::custom(format!("the format is {}, and must be {FORMAT:?}", shown(&text))))
        }
    }
}

/// The decision that allowed the production.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The decision's event number within the request's history.
    pub event: u64,
    /// The decision's index in the audit log.
    pub log_index: u64,
    /// Who decided (an actor id of comity).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The decision's reasons, as the reviewer wrote them.
    pub reason: String,
}

/// The legal basis: the instrument and its provisions, as free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// The instrument, such as `eu-e-evidence` or `budapest-2ap`.
    pub instrument: String,
    /// The provisions applied, such as `Regulation (EU) 2023/1543 Art 5(3)`.
    pub provisions: Vec<String>,
}

/// What the decision let leave: the targets, the window and the data categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The selectors of the targets.
    pub targets: Vec<Target>,
    /// The start of the window, inclusive.
    pub from: DateTime<Utc>,
    /// The end of the window; after `from`.
    pub to: DateTime<Utc>,
    /// The data categories (`subscriber`, `traffic`, `content`, ...).
    pub categories: Vec<String>,
}

/// One target's selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The selector's type, such as `email` or `phone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The selector's value.
    pub value: String,
}

/// When the authority must have deleted the data: a day (the end of that day in UTC) or
/// an instant, written as an RFC 3339 `full-date` or `date-time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionUntil {
    /// A day, `2027-03-01`.
    Date(NaiveDate),
    /// An instant, `2027-03-01T12:00:00Z`.
    Time(DateTime<Utc>),
}

impl fmt::Display for RetentionUntil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetentionUntil::Date(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            RetentionUntil::Time(at) => f.write_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}

impl RetentionUntil {
    /// Parses an RFC 3339 `full-date` (`2027-03-01`) or `date-time`
    /// (`2027-03-01T12:00:00Z`, any offset).
    pub fn parse(text: &str) -> Result<RetentionUntil, String> {
        if text.len() == 10 {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(RetentionUntil::Date)
                .map_err(|_| format!("{} is not a date (YYYY-MM-DD, RFC 3339 full-date)", shown(text)))
        } else {
            DateTime::parse_from_rfc3339(text).map(|t| RetentionUntil::Time(t.with_timezone(&Utc))).map_err(
                |_| {
                    format!(
                        "{} is neither a date (YYYY-MM-DD) nor a time (RFC 3339 date-time, such as \
                         2027-03-01T12:00:00Z)",
                        shown(text)
                    )
                },
            )
        }
    }
}

impl Serialize for RetentionUntil {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RetentionUntil {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RetentionUntil, D::Error> {
        let text = String::deserialize(d)?;
        RetentionUntil::parse(&text).map_err(de::Error::custom)
    }
}

/// The authority a package is encrypted to: its id in comity's registry and its
/// registered age X25519 recipient.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The authority's id.
    pub authority: String,
    /// Its age recipient, `age1...`.
    #[serde(with = "age_recipient")]
    pub age: age::x25519::Recipient,
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("authority", &self.authority)
            .field("age", &self.age.to_string())
            .finish()
    }
}

/// The production event in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Production {
    /// The production's id.
    pub id: String,
    /// The production event's index in the audit log.
    pub log_index: u64,
    /// When the production was made; also the modification time of every entry of the
    /// package's tar.
    pub created_at: DateTime<Utc>,
}

/// The provider's production key: its key id in comity's registry and the public key as
/// a JWK (RFC 8037 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyRef {
    /// The key id, also the `kid` of the signature's header.
    #[serde(with = "key_id")]
    pub kid: KeyId,
    /// The public key, `{"crv":"Ed25519","kty":"OKP","x":"..."}`.
    #[serde(with = "jwk")]
    pub jwk: PublicKey,
}

/// A data file of the package: its name, SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// The file's name in the package.
    pub name: FileName,
    /// The SHA-256 of its bytes.
    pub sha256: Sha256Hash,
    /// Its size in bytes.
    pub size: u64,
}

impl FileEntry {
    /// The entry of the bytes `reader` gives to its end, read once in constant memory.
    pub fn from_reader(name: FileName, reader: impl Read) -> io::Result<FileEntry> {
        let mut hashing = HashingReader::new(reader);
        io::copy(&mut hashing, &mut io::sink())?;
        let (sha256, size) = hashing.finish();
        Ok(FileEntry { name, sha256, size })
    }
}

/// The name of a data file in a package: a plain name that extracts to exactly one file
/// in the directory given, on any system.
///
/// 1 to 100 bytes of UTF-8 (what a ustar header holds without extensions), without `/`,
/// `\`, control characters, leading or trailing spaces, not `.` or `..`, and neither
/// [`MANIFEST_NAME`] nor [`SIGNATURE_NAME`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);

impl FileName {
    /// The longest name, in bytes: the `name` field of a ustar header.
    pub const MAX_LEN: usize = 100;

    /// Parses a file name.
    pub fn parse(text: &str) -> Result<FileName, ManifestError> {
        let bad = |why: &str| Err(ManifestError::FileName { name: shown(text), why: why.to_owned() });
        if text.is_empty() {
            return bad("it is empty");
        }
        if text.len() > FileName::MAX_LEN {
            return bad(&format!(
                "it is {} bytes long, and at most {} fit a tar header",
                text.len(),
                Self::MAX_LEN
            ));
        }
        if text == "." || text == ".." {
            return bad("it names a directory");
        }
        if text.contains(['/', '\\']) {
            return bad("it has a path separator; give a plain file name");
        }
        if text.chars().any(char::is_control) {
            return bad("it has a control character");
        }
        if text.trim() != text {
            return bad("it starts or ends with white space");
        }
        if text == MANIFEST_NAME || text == SIGNATURE_NAME {
            return bad("the package's own entries have this name");
        }
        Ok(FileName(text.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FileName {
    type Error = ManifestError;
    fn try_from(text: String) -> Result<FileName, ManifestError> {
        FileName::parse(&text)
    }
}

impl From<FileName> for String {
    fn from(name: FileName) -> String {
        name.0
    }
}

/// A SHA-256 hash, written as 64 lowercase hexadecimal digits (as `sha256sum` prints it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hash([u8; 32]);

impl Sha256Hash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Hash {
        Sha256Hash(Sha256::digest(bytes).into())
    }

    /// Parses 64 hexadecimal digits, lowercase only, so that each hash has one spelling.
    pub fn parse(text: &str) -> Result<Sha256Hash, ManifestError> {
        let bad = || ManifestError::Sha256(shown(text));
        if text.len() != 64 || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Sha256Hash(bytes))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<[u8; 32]> for Sha256Hash {
    fn from(bytes: [u8; 32]) -> Sha256Hash {
        Sha256Hash(bytes)
    }
}

impl fmt::Display for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hash({self})")
    }
}

impl TryFrom<String> for Sha256Hash {
    type Error = ManifestError;
    fn try_from(text: String) -> Result<Sha256Hash, ManifestError> {
        Sha256Hash::parse(&text)
    }
}

impl From<Sha256Hash> for String {
    fn from(hash: Sha256Hash) -> String {
        hash.to_string()
    }
}

/// What is wrong with a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// A file name that is not a plain name.
    #[error("the file name {name} is not allowed: {why}")]
    FileName {
        /// The name, escaped.
        name: String,
        /// Why not.
        why: String,
    },
    /// A `sha256` that is not 64 lowercase hexadecimal digits.
    #[error("{0} is not a SHA-256 hash: 64 lowercase hexadecimal digits, as sha256sum prints")]
    Sha256(String),
    /// Two files of the same name, or of names that differ only in case (they would
    /// overwrite each other on a case-insensitive file system).
    #[error("two files are named {0} (names must differ in more than case)")]
    DuplicateFile(String),
    /// A text field that is empty or has control characters where an id is expected.
    #[error("the {field} {why}")]
    Field {
        /// The field's path, such as `recipient.authority`.
        field: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// The scope's window does not end after it starts.
    #[error("the scope's window must end after it starts, but it runs from {from} to {to}")]
    Window {
        /// The window's start.
        from: DateTime<Utc>,
        /// The window's end.
        to: DateTime<Utc>,
    },
    /// The manifest is too large to sign and verify.
    #[error("the manifest is {0} bytes, and at most {MAX_MANIFEST_BYTES} are allowed")]
    TooLarge(usize),
    /// The manifest's `format` is not [`FORMAT`].
    #[error("the manifest's format is {0}; this version of comity reads {FORMAT:?}")]
    UnsupportedFormat(String),
    /// The JSON does not have the manifest's shape; the text says where and what.
    #[error("the manifest is not valid: {0}")]
    Json(String),
}

impl Manifest {
    /// Checks what the types cannot: ids are non-empty single-line text, file names are
    /// unique (also ignoring case), and the window ends after it starts.
    pub fn check(&self) -> Result<(), ManifestError> {
        for (field, value) in [
            ("request", &self.request),
            ("provider", &self.provider),
            ("recipient.authority", &self.recipient.authority),
            ("production.id", &self.production.id),
            ("decision.actor", &self.decision.actor),
            ("legal_basis.instrument", &self.legal_basis.instrument),
        ] {
            if value.is_empty() {
                return Err(ManifestError::Field { field, why: "is empty".into() });
            }
            if value.chars().any(char::is_control) {
                return Err(ManifestError::Field {
                    field,
                    why: format!("{} has a control character", shown(value)),
                });
            }
        }
        if self.scope.from >= self.scope.to {
            return Err(ManifestError::Window { from: self.scope.from, to: self.scope.to });
        }
        let mut seen = HashSet::new();
        for file in &self.files {
            if !seen.insert(file.name.as_str().to_lowercase()) {
                return Err(ManifestError::DuplicateFile(shown(file.name.as_str())));
            }
        }
        Ok(())
    }

    /// The manifest as `manifest.json` holds it: pretty-printed JSON (two spaces) and a
    /// final newline, the fields in the order of this struct. These are the bytes signed.
    pub fn to_json(&self) -> Result<Vec<u8>, ManifestError> {
        self.check()?;
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| ManifestError::Json(e.to_string()))?;
        bytes.push(b'\n');
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        Ok(bytes)
    }

    /// Parses `manifest.json`: a JSON object of exactly the manifest's fields, with no
    /// duplicate key at any depth (two parsers must not read two different manifests in
    /// one signed text), then [`Manifest::check`].
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::TooLarge(bytes.len()));
        }
        // The format first, so that a manifest of another version is named as such rather
        // than as a manifest with unknown fields.
        #[derive(Deserialize)]
        struct Probe {
            format: Option<Value>,
        }
        let probe: Probe = serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        match probe.format {
            Some(Value::String(format)) if format == FORMAT => {}
            Some(Value::String(format)) => return Err(ManifestError::UnsupportedFormat(shown(&format))),
            Some(_) => return Err(ManifestError::Json("\"format\" is not a string".into())),
            None => return Err(ManifestError::Json(format!("it has no \"format\"; expected {FORMAT:?}"))),
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        NoDuplicates.deserialize(&mut de).map_err(|e| ManifestError::Json(e.to_string()))?;
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        manifest.check()?;
        Ok(manifest)
    }
}

/// Walks a JSON document and fails on the first object with a key twice.
struct NoDuplicates;

impl<'de> DeserializeSeed<'de> for NoDuplicates {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NoDuplicates {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicates)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "the key {} appears twice in one object",
                    shown(&key)
                )));
            }
            map.next_value_seed(NoDuplicates)?;
        }
        Ok(())
    }
}

/// Writes a JSON object with its keys sorted at every depth, whatever order the map
/// keeps (serde_json's `preserve_order` feature keeps insertion order).
fn sorted_object<S: Serializer>(map: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(&Value::Object(map.clone())).serialize(s)
}

mod age_recipient {
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::shown::shown;

    pub(super) fn serialize<S: Serializer>(r: &age::x25519::Recipient, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(r)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<age::x25519::Recipient, D::Error> {
        let text = String::deserialize(d)?;
        age::x25519::Recipient::from_str(&text).map_err(|why| {
            de::Error::custom(format!("{} is not an age X25519 recipient (age1...): {why}", shown(&text)))
        })
    }
}

mod key_id {
    use comity_auth::jws::KeyId;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub(super) fn serialize<S: Serializer>(kid: &KeyId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kid.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<KeyId, D::Error> {
        let text = String::deserialize(d)?;
        KeyId::parse(&text).map_err(de::Error::custom)
    }
}

mod jwk {
    use comity_auth::jws::PublicKey;
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
    use serde_json::Value;

    /// The JWK's required members in RFC 7638 order, as [`PublicKey::to_jwk`] writes them.
    #[derive(Serialize)]
    struct Jwk<'a> {
        crv: &'a str,
        kty: &'a str,
        x: String,
    }

    pub(super) fn serialize<S: Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
        let x = x_of(key);
        Jwk { crv: "Ed25519", kty: "OKP", x }.serialize(s)
    }

    fn x_of(key: &PublicKey) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.to_bytes())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKey, D::Error> {
        let value = Value::deserialize(d)?;
        if !value.is_object() {
            return Err(de::Error::custom("the signing key's \"jwk\" must be a JSON object"));
        }
        PublicKey::parse(&value.to_string())
            .map_err(|e| de::Error::custom(format!("the signing key's JWK: {e}")))
    }
}

/// A reader that hashes and counts what passes through it.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R> HashingReader<R> {
    pub(crate) fn new(inner: R) -> HashingReader<R> {
        HashingReader { inner, hasher: Sha256::new(), count: 0 }
    }

    /// The hash and the number of bytes read.
    pub(crate) fn finish(self) -> (Sha256Hash, u64) {
        (Sha256Hash(self.hasher.finalize().into()), self.count)
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

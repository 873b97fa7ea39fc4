//! Witnesses: the C2SP tlog-witness protocol and `cosignature/v1` cosignatures
//! (c2sp.org/tlog-witness, c2sp.org/tlog-cosignature), sans I/O.
//!
//! A witness keeps, for each log it knows, the last checkpoint it cosigned. It cosigns a
//! new checkpoint only when the log's signature verifies and a consistency proof shows
//! that the new tree extends the one it cosigned. A log that shows two different trees to
//! two parties (a split view), or rewrites an entry, cannot get the second tree cosigned
//! by a witness that saw the first.
//!
//! This module holds the formats and the witness's decision as a pure function
//! ([`add_checkpoint`]); the `comity witness serve` command adds HTTP and the durable
//! state. A log calls [`encode_add_checkpoint`], reads a 409 with [`parse_tlog_size`],
//! and attaches the cosignatures with [`add_cosignatures`]; an auditor checks one with
//! [`verify_cosignature`].

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::OsRng;
use signed_note::{Note, Signature, StandardVerifier, Verifier as _, is_key_name_valid, key_id};
use tlog_tiles::{Checkpoint, EMPTY_HASH, Hash};

use crate::proof::{ProofError, verify_consistency};

/// The signature type of Ed25519 `cosignature/v1` keys (c2sp.org/tlog-cosignature,
/// "Format": the key ID is `SHA-256(<name> || "\n" || 0x04 || public key)[:4]`, and a
/// vkey has signature type 0x04).
pub const COSIGNATURE_V1_ED25519: u8 = 0x04;

/// The `Content-Type` of a 409 answer that carries the witness's size
/// (c2sp.org/tlog-witness, "add-checkpoint").
pub const TLOG_SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// c2sp.org/tlog-witness, "add-checkpoint": "The client MUST NOT send more than 63
/// consistency proof lines."
pub const MAX_PROOF_LINES: usize = 63;

/// c2sp.org/tlog-cosignature, "Format": the timestamp "MUST NOT exceed 2^63 - 1".
const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Why a witness key, a cosignature or a witness's answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    #[error("the key is not a valid witness key: {0}")]
    Key(String),
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("the cosignature does not verify: {0}")]
    Signature(String),
}

/// A witness's Ed25519 `cosignature/v1` key.
///
/// The public key is published as a note verifier key with signature type 0x04
/// (c2sp.org/tlog-cosignature, "Format"): `name+hash+base64(0x04 || public key)`. The
/// private key is saved in the form Go's `sumdb/note` uses for its keys, with the same
/// type byte: `PRIVATE+KEY+name+hash+base64(0x04 || seed)`. The C2SP specifications do
/// not define a private key format; this one cannot be mistaken for a log key (type 0x01).
#[derive(Clone)]
pub struct WitnessKey {
    name: String,
    id: u32,
    key: SigningKey,
    signer: String,
    verifier: String,
}

impl std::fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessKey").field("verifier", &self.verifier).finish_non_exhaustive()
    }
}

/// The key ID of an Ed25519 cosigner key (c2sp.org/tlog-cosignature, "Format").
fn cosigner_key_id(name: &str, public: &VerifyingKey) -> u32 {
    key_id(name, &[&[COSIGNATURE_V1_ED25519], public.as_bytes().as_slice()].concat())
}

impl WitnessKey {
    /// A new key for the witness named `name` (a schema-less URL, such as
    /// `witness.example.org/w1`; c2sp.org/tlog-cosignature, "Format").
    pub fn generate(name: &str) -> Result<WitnessKey, WitnessError> {
        WitnessKey::new(name, SigningKey::generate(&mut OsRng))
    }

    fn new(name: &str, key: SigningKey) -> Result<WitnessKey, WitnessError> {
        if !is_key_name_valid(name) {
            return Err(WitnessError::Key(format!(
                "{name:?} is not a key name: it must be non-empty, without spaces or '+'"
            )));
        }
        let public = key.verifying_key();
        let id = cosigner_key_id(name, &public);
        let signer = format!(
            "PRIVATE+KEY+{name}+{id:08x}+{}",
            STANDARD.encode([&[COSIGNATURE_V1_ED25519], key.as_bytes().as_slice()].concat())
        );
        let verifier = format!(
            "{name}+{id:08x}+{}",
            STANDARD.encode([&[COSIGNATURE_V1_ED25519], public.as_bytes().as_slice()].concat())
        );
        Ok(WitnessKey { name: name.to_owned(), id, key, signer, verifier })
    }

    /// Reads a key saved with [`WitnessKey::signer_key`].
    pub fn from_signer_key(text: &str) -> Result<WitnessKey, WitnessError> {
        let bad = |why: &str| WitnessError::Key(why.to_owned());
        let rest = text.trim().strip_prefix("PRIVATE+KEY+").ok_or_else(|| bad("no PRIVATE+KEY+ prefix"))?;
        // From the left: base64 may hold a '+', a key name may not.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+name+hash+key"));
        };
        let private = STANDARD.decode(b64).map_err(|_| bad("the key is not base64"))?;
        let (&alg, seed) = private.split_first().ok_or_else(|| bad("the key is empty"))?;
        if alg != COSIGNATURE_V1_ED25519 {
            return Err(bad("not a cosignature/v1 Ed25519 key (type 0x04)"));
        }
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("an Ed25519 seed is 32 bytes"))?;
        let key = WitnessKey::new(name, SigningKey::from_bytes(&seed))?;
        if hash.len() != 8 || u32::from_str_radix(hash, 16).ok() != Some(key.id) {
            return Err(bad("the key hash does not match the key"));
        }
        Ok(key)
    }

    /// The private key, to be kept secret (mode 0600).
    pub fn signer_key(&self) -> &str {
        &self.signer
    }

    /// The public verifier key to publish: `name+hash+base64(0x04 || public key)`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier
    }

    /// The witness's name, the key name of its signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Cosigns a checkpoint body (the note text, without the blank line and signatures)
    /// at `time` (POSIX seconds) and returns the note signature line
    /// `— <name> base64(key ID || timestamp || signature)\n`.
    pub fn cosign(&self, checkpoint_body: &[u8], time: u64) -> Result<String, WitnessError> {
        Note::new(checkpoint_body, &[])
            .map_err(|e| WitnessError::Malformed(format!("the checkpoint is not a note text: {e}")))?;
        if time > MAX_TIMESTAMP {
            return Err(WitnessError::Malformed("the timestamp exceeds 2^63 - 1".into()));
        }
        let signature = self.key.sign(&signed_message(checkpoint_body, time));
        let mut bytes = Vec::with_capacity(4 + 8 + 64);
        bytes.extend_from_slice(&self.id.to_be_bytes());
        bytes.extend_from_slice(&time.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!("— {} {}\n", self.name, STANDARD.encode(bytes)))
    }
}

/// c2sp.org/tlog-cosignature, "Ed25519 signed message": `cosignature/v1`, `time <t>`,
/// then the whole note body, extension lines included.
fn signed_message(body: &[u8], time: u64) -> Vec<u8> {
    let mut message = format!("cosignature/v1\ntime {time}\n").into_bytes();
    message.extend_from_slice(body);
    message
}

/// A witness's public key, read from its verifier key.
#[derive(Debug, Clone)]
struct CosignerKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl CosignerKey {
    fn parse(vkey: &str) -> Result<CosignerKey, WitnessError> {
        let bad = |why: &str| WitnessError::Key(why.to_owned());
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(hash), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+hash+key"));
        };
        let bytes = STANDARD.decode(b64).map_err(|_| bad("the key is not base64"))?;
        if !is_key_name_valid(name) || hash.len() != 8 {
            return Err(bad("expected name+hash+key"));
        }
        let id = u32::from_str_radix(hash, 16).map_err(|_| bad("the key hash is not 8 hex digits"))?;
        if id != key_id(name, &bytes) {
            return Err(bad("the key hash does not match the key"));
        }
        let (&alg, public) = bytes.split_first().ok_or_else(|| bad("the key is empty"))?;
        if alg != COSIGNATURE_V1_ED25519 {
            return Err(bad("not a cosignature/v1 Ed25519 key (type 0x04)"));
        }
        let public: [u8; 32] = public.try_into().map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 public key"))?;
        Ok(CosignerKey { name: name.to_owned(), id, key })
    }

    /// The timestamp of a valid cosignature of `body`, or `None`.
    fn verify(&self, body: &[u8], signature: &Signature) -> Option<u64> {
        if signature.name() != self.name || signature.id() != self.id {
            return None;
        }
        // c2sp.org/tlog-cosignature, "Format": timestamp (u64, big-endian) || signature.
        let bytes: &[u8; 72] = signature.signature().try_into().ok()?;
        let (time, sig) = bytes.split_at(8);
        let time = u64::from_be_bytes(time.try_into().ok()?);
        if time > MAX_TIMESTAMP {
            return None;
        }
        let sig = ed25519_dalek::Signature::from_slice(sig).ok()?;
        self.key.verify_strict(&signed_message(body, time), &sig).ok()?;
        Some(time)
    }
}

/// A signed note split into its text and signature lines (c2sp.org/signed-note).
fn split_note(note: &[u8]) -> Result<(Vec<u8>, Vec<Signature>), WitnessError> {
    let parsed =
        Note::from_bytes(note).map_err(|e| WitnessError::Malformed(format!("not a signed note: {e}")))?;
    // `Note` does not hand out its signatures; it has checked that this split is valid.
    let text = std::str::from_utf8(note).map_err(|_| WitnessError::Malformed("not UTF-8".into()))?;
    let (_, lines) =
        text.rsplit_once("\n\n").ok_or_else(|| WitnessError::Malformed("no signatures".into()))?;
    let signatures = signature_lines(lines.as_bytes())?;
    Ok((parsed.text().to_vec(), signatures))
}

/// Note signature lines, each ending in a newline.
fn signature_lines(lines: &[u8]) -> Result<Vec<Signature>, WitnessError> {
    let text = std::str::from_utf8(lines).map_err(|_| WitnessError::Malformed("not UTF-8".into()))?;
    let body = text
        .strip_suffix('\n')
        .ok_or_else(|| WitnessError::Malformed("signature lines end with a newline".into()))?;
    body.split('\n')
        .map(|line| {
            Signature::from_bytes(line.as_bytes())
                .map_err(|_| WitnessError::Malformed(format!("not a note signature line: {line:?}")))
        })
        .collect()
}

/// Checks the cosignature of the witness `witness_vkey` on a checkpoint note and returns
/// its timestamp (POSIX seconds). Other signatures are ignored.
pub fn verify_cosignature(note: &[u8], witness_vkey: &str) -> Result<u64, WitnessError> {
    let key = CosignerKey::parse(witness_vkey)?;
    let (text, signatures) = split_note(note)?;
    Checkpoint::from_bytes(&text).map_err(|e| WitnessError::Malformed(e.to_string()))?;
    let mine: Vec<&Signature> =
        signatures.iter().filter(|s| s.name() == key.name && s.id() == key.id).collect();
    if mine.is_empty() {
        return Err(WitnessError::Signature(format!("no signature line of {}", key.name)));
    }
    mine.iter()
        .find_map(|s| key.verify(&text, s))
        .ok_or_else(|| WitnessError::Signature(format!("the signature of {} is invalid", key.name)))
}

/// Attaches a witness's answer (its signature lines, c2sp.org/tlog-witness
/// "add-checkpoint") to the checkpoint note it cosigned.
///
/// As the protocol says, the client MUST ignore cosignatures from unknown keys: only the
/// lines that verify with one of `witness_vkeys` are attached, replacing an older line of
/// the same key. It is an error if none does.
pub fn add_cosignatures(
    note: &[u8],
    response: &[u8],
    witness_vkeys: &[&str],
) -> Result<Vec<u8>, WitnessError> {
    let keys: Vec<CosignerKey> =
        witness_vkeys.iter().map(|k| CosignerKey::parse(k)).collect::<Result<_, _>>()?;
    let (text, mut signatures) = split_note(note)?;
    let answered = signature_lines(response)?;
    let valid: Vec<Signature> =
        answered.into_iter().filter(|s| keys.iter().any(|k| k.verify(&text, s).is_some())).collect();
    if valid.is_empty() {
        return Err(WitnessError::Signature("no valid cosignature from a trusted witness key".into()));
    }
    signatures.retain(|s| !valid.iter().any(|v| v.name() == s.name() && v.id() == s.id()));
    signatures.extend(valid);
    let note = Note::new(&text, &signatures).map_err(|e| WitnessError::Malformed(e.to_string()))?;
    Ok(note.to_bytes())
}

/// Reads the body of a 409 answer with `Content-Type: text/x.tlog.size`: the witness's
/// size in decimal and a newline (c2sp.org/tlog-witness, "add-checkpoint").
pub fn parse_tlog_size(body: &[u8]) -> Result<u64, WitnessError> {
    std::str::from_utf8(body)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .and_then(decimal)
        .ok_or_else(|| WitnessError::Malformed("not a text/x.tlog.size body".into()))
}

/// An ASCII decimal with no leading zeroes (`0` for zero).
fn decimal(s: &str) -> Option<u64> {
    let n: u64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

/// Encodes an add-checkpoint request body (c2sp.org/tlog-witness, "add-checkpoint"):
/// `old <size>`, one base64 hash per line, an empty line, then the signed checkpoint.
pub fn encode_add_checkpoint(old_size: u64, proof: &[Hash], note: &[u8]) -> Vec<u8> {
    let mut body = format!("old {old_size}\n").into_bytes();
    for hash in proof {
        body.extend_from_slice(STANDARD.encode(hash.0).as_bytes());
        body.push(b'\n');
    }
    body.push(b'\n');
    body.extend_from_slice(note);
    body
}

/// A parsed add-checkpoint request.
#[derive(Debug, Clone, PartialEq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint, as sent.
    pub note: Vec<u8>,
    text: Vec<u8>,
    origin: String,
    size: u64,
    root: Hash,
}

impl AddCheckpoint {
    /// The checkpoint's origin, which names the log (not yet verified).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The checkpoint's tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The checkpoint's root hash.
    pub fn root(&self) -> Hash {
        self.root
    }
}

/// Parses an add-checkpoint request body; anything malformed is a 400.
pub fn parse_add_checkpoint(body: &[u8]) -> Result<AddCheckpoint, Refusal> {
    let bad = |why: String| Refusal::Malformed(why);
    // The header (old size and proof lines) ends at the first empty line; each of its
    // lines ends in a newline.
    let split = body
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("no empty line after the old size and the proof".into()))?;
    let header = std::str::from_utf8(&body[..split])
        .map_err(|_| bad("the old size and proof lines are not UTF-8".into()))?;
    let note = &body[split + 2..];
    let mut lines = header.split('\n');
    let old_line = lines.next().unwrap_or_default();
    let old_size = old_line
        .strip_prefix("old ")
        .and_then(decimal)
        .ok_or_else(|| bad(format!("the first line must be `old <size>` in decimal, not {old_line:?}")))?;
    let proof: Vec<Hash> = lines
        .map(|line| {
            STANDARD
                .decode(line)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(Hash)
                .ok_or_else(|| bad(format!("a proof line must be one base64 SHA-256 hash, not {line:?}")))
        })
        .collect::<Result<_, _>>()?;
    if proof.len() > MAX_PROOF_LINES {
        return Err(bad(format!("{} proof lines; at most {MAX_PROOF_LINES} are allowed", proof.len())));
    }
    let parsed =
        Note::from_bytes(note).map_err(|e| bad(format!("the checkpoint is not a signed note: {e}")))?;
    let checkpoint = Checkpoint::from_bytes(parsed.text())
        .map_err(|_| bad("the note is not a checkpoint (origin, size, base64 root hash)".into()))?;
    Ok(AddCheckpoint {
        old_size,
        proof,
        note: note.to_vec(),
        text: parsed.text().to_vec(),
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        root: *checkpoint.hash(),
    })
}

/// The logs a witness knows: for each origin, the verifier keys it trusts.
#[derive(Debug, Clone, Default)]
pub struct KnownLogs {
    logs: BTreeMap<String, Vec<String>>,
}

impl KnownLogs {
    pub fn new() -> KnownLogs {
        KnownLogs::default()
    }

    /// Trusts the note verifier key `verifier_key` for the log `origin`. A log may have
    /// several keys; a checkpoint needs a valid signature from one of them.
    pub fn add(&mut self, origin: &str, verifier_key: &str) -> Result<(), WitnessError> {
        if origin.is_empty() || origin.contains('\n') {
            return Err(WitnessError::Malformed(format!("{origin:?} is not a checkpoint origin")));
        }
        StandardVerifier::new(verifier_key.trim())
            .map_err(|e| WitnessError::Key(format!("{verifier_key:?}: {e}")))?;
        self.logs.entry(origin.to_owned()).or_default().push(verifier_key.trim().to_owned());
        Ok(())
    }

    /// The known origins.
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.logs.keys().map(String::as_str)
    }

    pub fn contains(&self, origin: &str) -> bool {
        self.logs.contains_key(origin)
    }
}

/// What a witness remembers of a log: the last checkpoint it cosigned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Witnessed {
    pub size: u64,
    pub root: Hash,
}

impl Witnessed {
    /// Reads the origin and state from a checkpoint note the witness kept (such as
    /// [`Accepted::note`]). It does not verify signatures: the note is the witness's own
    /// record.
    pub fn from_note(note: &[u8]) -> Result<(String, Witnessed), WitnessError> {
        let (text, _) = split_note(note)?;
        let checkpoint = Checkpoint::from_bytes(&text).map_err(|e| WitnessError::Malformed(e.to_string()))?;
        Ok((checkpoint.origin().to_owned(), Witnessed { size: checkpoint.size(), root: *checkpoint.hash() }))
    }
}

/// A checkpoint the witness agreed to cosign.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The new state, to persist durably before answering.
    pub state: Witnessed,
    /// The answer body: the cosignature line.
    pub cosignature: String,
    /// The checkpoint note with the cosignature attached, to keep as the record.
    pub note: Vec<u8>,
}

/// Why a witness refused to cosign, with the status c2sp.org/tlog-witness gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the body is not an add-checkpoint request.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 404: "If the checkpoint origin is unknown, the witness MUST respond with a 404".
    #[error("unknown log: this witness knows no log with origin {0:?}")]
    UnknownLog(String),
    /// 403: "If none of the signatures verify against a trusted public key".
    #[error("no signature of the log {0:?} verifies with a key this witness trusts")]
    BadSignature(String),
    /// 400: "The old size MUST be equal to or lower than the checkpoint size".
    #[error("the old size {old} is larger than the checkpoint size {size}")]
    OldTooLarge { old: u64, size: u64 },
    /// 409 with `text/x.tlog.size`: the old size is not the size the witness cosigned
    /// last.
    #[error("the old size {old} is not the size this witness cosigned last, {witnessed}")]
    OldMismatch { old: u64, witnessed: u64 },
    /// 409: the checkpoint has the size the witness cosigned, with another root. The log
    /// forked.
    #[error("the checkpoint has size {size}, which this witness cosigned with another root hash")]
    RootMismatch { size: u64 },
    /// 422: the consistency proof does not show that the new tree extends the cosigned one.
    #[error("the consistency proof from size {old} to {size} does not verify: {why}")]
    BadProof { old: u64, size: u64, why: String },
}

impl Refusal {
    /// The HTTP status (c2sp.org/tlog-witness, "add-checkpoint").
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Malformed(_) | Refusal::OldTooLarge { .. } => 400,
            Refusal::BadSignature(_) => 403,
            Refusal::UnknownLog(_) => 404,
            Refusal::OldMismatch { .. } | Refusal::RootMismatch { .. } => 409,
            Refusal::BadProof { .. } => 422,
        }
    }

    /// The answer's `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        match self {
            Refusal::OldMismatch { .. } => TLOG_SIZE_CONTENT_TYPE,
            _ => "text/plain; charset=utf-8",
        }
    }

    /// The answer's body: for a 409 on the old size, "the tree size of the latest
    /// cosigned checkpoint in decimal, followed by a newline"; otherwise the reason.
    pub fn body(&self) -> String {
        match self {
            Refusal::OldMismatch { witnessed, .. } => format!("{witnessed}\n"),
            other => format!("{other}\n"),
        }
    }

    /// Whether the refusal may be evidence that the log misbehaved: a validly signed
    /// checkpoint that contradicts what the witness cosigned.
    pub fn is_evidence(&self) -> bool {
        matches!(self, Refusal::RootMismatch { .. } | Refusal::BadProof { .. })
    }
}

/// The witness's decision on an add-checkpoint request (c2sp.org/tlog-witness,
/// "add-checkpoint"), as a pure function.
///
/// `last` is what the witness cosigned for `request.origin()`, if anything. The caller
/// must hold the origin's lock from reading `last` until it has persisted
/// [`Accepted::state`], and persist it before answering: the spec requires the check and
/// the update to be atomic and durable.
pub fn add_checkpoint(
    key: &WitnessKey,
    logs: &KnownLogs,
    last: Option<&Witnessed>,
    request: &AddCheckpoint,
    now: u64,
) -> Result<Accepted, Refusal> {
    let origin = request.origin();
    // "If the checkpoint origin is unknown, the witness MUST respond with a 404".
    let trusted = logs.logs.get(origin).ok_or_else(|| Refusal::UnknownLog(origin.to_owned()))?;
    // "The witness MUST verify the checkpoint signature against the public key(s) it
    // trusts for the checkpoint origin, and it MUST ignore signatures from unknown keys.
    // [...] If none of the signatures verify against a trusted public key, [...] 403".
    let (_, signatures) = split_note(&request.note).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let signed = trusted.iter().filter_map(|k| StandardVerifier::new(k).ok()).any(|verifier| {
        signatures.iter().any(|s| {
            s.name() == verifier.name()
                && s.id() == verifier.key_id()
                && verifier.verify(&request.text, s.signature())
        })
    });
    if !signed {
        return Err(Refusal::BadSignature(origin.to_owned()));
    }
    let (old, size) = (request.old_size, request.size);
    // "The old size MUST be equal to or lower than the checkpoint size. Otherwise, [...] 400".
    if old > size {
        return Err(Refusal::OldTooLarge { old, size });
    }
    // "The witness MUST check that the old size matches the size of the latest checkpoint
    // it cosigned for the checkpoint's origin (or zero if it never cosigned [...]). If it
    // doesn't match, [...] 409 [...] text/x.tlog.size".
    let witnessed = last.map_or(0, |w| w.size);
    if old != witnessed {
        return Err(Refusal::OldMismatch { old, witnessed });
    }
    // The root the witness knows for the old size: the empty tree's if it knows none.
    let old_root = last.map_or(EMPTY_HASH, |w| w.root);
    if old == size {
        // "If the old size matches the checkpoint size, the witness MUST check that the
        // root hashes are also identical. If they don't match, [...] 409".
        if request.root != old_root {
            return Err(Refusal::RootMismatch { size });
        }
        if !request.proof.is_empty() {
            return Err(Refusal::BadProof { old, size, why: "equal sizes need an empty proof".into() });
        }
    } else if old == 0 {
        // "The proof MUST be empty if the old size is zero."
        if !request.proof.is_empty() {
            return Err(Refusal::BadProof { old, size, why: "the proof from size 0 must be empty".into() });
        }
    } else {
        // "The consistency proof lines MUST encode a Merkle Consistency Proof from the old
        // size to the checkpoint size [...]. If [it] doesn't verify, [...] 422".
        let proof: Vec<&[u8]> = request.proof.iter().map(|h| h.0.as_slice()).collect();
        verify_consistency(old, size, &old_root.0, &request.root.0, &proof).map_err(|e| {
            Refusal::BadProof {
                old,
                size,
                why: match e {
                    ProofError::Impossible(why) => why.to_owned(),
                    ProofError::Invalid => "the new tree does not extend the cosigned one".to_owned(),
                },
            }
        })?;
    }
    // "If all the checks above pass, the witness MUST update its record of the latest
    // cosigned checkpoint and respond with [...] 200 [and] cosignatures".
    let cosignature = key
        .cosign(&request.text, now)
        .map_err(|e| Refusal::Malformed(format!("cannot cosign this checkpoint: {e}")))?;
    let (text, mut kept) = split_note(&request.note).map_err(|e| Refusal::Malformed(e.to_string()))?;
    kept.retain(|s| !(s.name() == key.name && s.id() == key.id));
    kept.extend(signature_lines(cosignature.as_bytes()).map_err(|e| Refusal::Malformed(e.to_string()))?);
    let note = Note::new(&text, &kept).map_err(|e| Refusal::Malformed(e.to_string()))?.to_bytes();
    Ok(Accepted { state: Witnessed { size, root: request.root }, cosignature, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LogKey, MemoryTree};

    const ORIGIN: &str = "comity.example/log";
    const NOW: u64 = 1_790_000_000;

    fn tree(n: u64, rewrite: Option<u64>) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            let entry = if Some(i) == rewrite { format!("rewritten {i}\n") } else { format!("entry {i}\n") };
            t.append(entry.as_bytes());
        }
        t
    }

    struct Setup {
        log: LogKey,
        witness: WitnessKey,
        logs: KnownLogs,
    }

    fn setup() -> Setup {
        let log = LogKey::generate(ORIGIN);
        let witness = WitnessKey::generate("witness.example/w1").unwrap();
        let mut logs = KnownLogs::new();
        logs.add(ORIGIN, log.verifier_key()).unwrap();
        Setup { log, witness, logs }
    }

    impl Setup {
        fn request(&self, t: &MemoryTree, old: u64, size: u64) -> AddCheckpoint {
            let note = self.log.sign(ORIGIN, size, t.root(size).unwrap()).unwrap();
            let proof =
                if old == 0 || old == size { vec![] } else { t.prove_consistency(old, size).unwrap() };
            parse_add_checkpoint(&encode_add_checkpoint(old, &proof, &note)).unwrap()
        }

        fn decide(&self, last: Option<&Witnessed>, req: &AddCheckpoint) -> Result<Accepted, Refusal> {
            add_checkpoint(&self.witness, &self.logs, last, req, NOW)
        }
    }

    #[test]
    fn the_body_is_encoded_and_parsed_as_the_spec_shows() {
        let s = setup();
        let t = tree(10, None);
        let note = s.log.sign(ORIGIN, 10, t.root(10).unwrap()).unwrap();
        let proof = t.prove_consistency(4, 10).unwrap();
        let body = encode_add_checkpoint(4, &proof, &note);
        let text = String::from_utf8(body.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "old 4");
        assert_eq!(lines[1], STANDARD.encode(proof[0].0));
        assert_eq!(lines[proof.len() + 1], "");
        assert_eq!(lines[proof.len() + 2], ORIGIN);
        let parsed = parse_add_checkpoint(&body).unwrap();
        assert_eq!((parsed.old_size, &parsed.proof, &parsed.note), (4, &proof, &note));
        assert_eq!((parsed.origin(), parsed.size(), parsed.root()), (ORIGIN, 10, t.root(10).unwrap()));
        // Old size 0, no proof: `old 0`, then the empty line.
        assert!(encode_add_checkpoint(0, &[], &note).starts_with(b"old 0\n\ncomity.example/log\n"));
    }

    #[test]
    fn malformed_bodies_are_400() {
        let s = setup();
        let t = tree(3, None);
        let note = String::from_utf8(s.log.sign(ORIGIN, 3, t.root(3).unwrap()).unwrap()).unwrap();
        let hash = STANDARD.encode([1u8; 32]);
        let too_long = format!("old 1\n{}\n{note}", format!("{hash}\n").repeat(64));
        for body in [
            String::new(),
            note.clone(),
            format!("old 01\n\n{note}"),
            format!("old -1\n\n{note}"),
            format!("old 1 \n\n{note}"),
            format!("new 1\n\n{note}"),
            format!("old 1\nnot base64\n\n{note}"),
            format!("old 1\n{}\n\n{note}", STANDARD.encode([1u8; 31])),
            "old 1\n\nnot a note".to_owned(),
            "old 1\n\ncomity.example/log\nthree\nroot\n\n— x AAAAAAAA\n".to_owned(),
            too_long,
        ] {
            let refusal = parse_add_checkpoint(body.as_bytes()).unwrap_err();
            assert_eq!(refusal.status(), 400, "{body:?}: {refusal}");
        }
    }

    #[test]
    fn a_grown_consistent_log_is_cosigned_and_the_cosignature_verifies() {
        let s = setup();
        let t = tree(20, None);
        let first = s.decide(None, &s.request(&t, 0, 5)).unwrap();
        assert_eq!(first.state, Witnessed { size: 5, root: t.root(5).unwrap() });
        assert!(first.cosignature.starts_with("— witness.example/w1 ") && first.cosignature.ends_with('\n'));
        assert_eq!(verify_cosignature(&first.note, s.witness.verifier_key()), Ok(NOW));
        // The record keeps the log's signature too.
        verify_checkpoint_ok(&s, &first.note);

        let second = s.decide(Some(&first.state), &s.request(&t, 5, 20)).unwrap();
        assert_eq!(second.state, Witnessed { size: 20, root: t.root(20).unwrap() });
        // Asking again for the same checkpoint gives a fresh cosignature, same state.
        let again = s.decide(Some(&second.state), &s.request(&t, 20, 20)).unwrap();
        assert_eq!(again.state, second.state);
        assert_eq!(Witnessed::from_note(&again.note).unwrap(), (ORIGIN.to_owned(), second.state));
    }

    fn verify_checkpoint_ok(s: &Setup, note: &[u8]) {
        crate::verify_checkpoint(note, s.log.verifier_key()).unwrap();
    }

    #[test]
    fn a_log_that_rewrote_an_entry_is_refused() {
        let s = setup();
        let honest = tree(30, None);
        let forked = tree(30, Some(7));
        let seen = s.decide(None, &s.request(&honest, 0, 16)).unwrap().state;
        // Same size, another root: 409.
        let same_size = s.decide(Some(&seen), &s.request(&forked, 16, 16)).unwrap_err();
        assert_eq!((same_size.clone(), same_size.status()), (Refusal::RootMismatch { size: 16 }, 409));
        assert!(same_size.is_evidence());
        // Grown from the rewritten tree, with its own (valid) proof: 422.
        let grown = s.decide(Some(&seen), &s.request(&forked, 16, 30)).unwrap_err();
        assert!(matches!(grown, Refusal::BadProof { old: 16, size: 30, .. }), "{grown}");
        assert_eq!(grown.status(), 422);
        // The honest log still grows.
        assert!(s.decide(Some(&seen), &s.request(&honest, 16, 30)).is_ok());
    }

    #[test]
    fn a_stale_or_future_old_size_is_409_with_the_witness_size() {
        let s = setup();
        let t = tree(20, None);
        let seen = s.decide(None, &s.request(&t, 0, 10)).unwrap().state;
        for old in [0, 5, 12] {
            let refusal = s.decide(Some(&seen), &s.request(&t, old, 20)).unwrap_err();
            assert_eq!(refusal, Refusal::OldMismatch { old, witnessed: 10 });
            assert_eq!(
                (refusal.status(), refusal.content_type(), refusal.body()),
                (409, TLOG_SIZE_CONTENT_TYPE, "10\n".into())
            );
            assert_eq!(parse_tlog_size(refusal.body().as_bytes()), Ok(10));
        }
        // A witness that never cosigned answers 409 with 0.
        let refusal = s.decide(None, &s.request(&t, 10, 20)).unwrap_err();
        assert_eq!(refusal.body(), "0\n");
        // A checkpoint smaller than the one cosigned cannot be submitted with the right
        // old size: 400 (old > size) or 409.
        let smaller = s.decide(Some(&seen), &s.request(&t, 5, 8)).unwrap_err();
        assert_eq!(smaller.status(), 409);
        let mut backwards = s.request(&t, 5, 8);
        backwards.old_size = 10;
        assert_eq!(s.decide(Some(&seen), &backwards).unwrap_err(), Refusal::OldTooLarge { old: 10, size: 8 });
        assert_eq!(parse_tlog_size(b"010\n").ok(), None);
        assert_eq!(parse_tlog_size(b"10").ok(), None);
    }

    #[test]
    fn a_bad_proof_is_422() {
        let s = setup();
        let t = tree(20, None);
        let seen = s.decide(None, &s.request(&t, 0, 10)).unwrap().state;
        let mut req = s.request(&t, 10, 20);
        req.proof[0].0[0] ^= 1;
        assert_eq!(s.decide(Some(&seen), &req).unwrap_err().status(), 422);
        let mut req = s.request(&t, 10, 20);
        req.proof.pop();
        assert_eq!(s.decide(Some(&seen), &req).unwrap_err().status(), 422);
        // From 0 the proof must be empty.
        let mut req = s.request(&t, 0, 10);
        req.proof.push(Hash([0; 32]));
        assert_eq!(s.decide(None, &req).unwrap_err().status(), 422);
    }

    #[test]
    fn unknown_logs_are_404_and_bad_signatures_403() {
        let s = setup();
        let t = tree(4, None);
        // Another origin.
        let other = LogKey::generate("other.example/log");
        let note = other.sign("other.example/log", 4, t.root(4).unwrap()).unwrap();
        let req = parse_add_checkpoint(&encode_add_checkpoint(0, &[], &note)).unwrap();
        assert_eq!(s.decide(None, &req).unwrap_err(), Refusal::UnknownLog("other.example/log".into()));
        assert_eq!(s.decide(None, &req).unwrap_err().status(), 404);
        // The right origin, signed by an unknown key (even one of the same name): 403.
        let impostor = LogKey::generate(ORIGIN);
        let note = impostor.sign(ORIGIN, 4, t.root(4).unwrap()).unwrap();
        let req = parse_add_checkpoint(&encode_add_checkpoint(0, &[], &note)).unwrap();
        assert_eq!(s.decide(None, &req).unwrap_err().status(), 403);
        // A tampered checkpoint: 403.
        let note = String::from_utf8(s.log.sign(ORIGIN, 4, t.root(4).unwrap()).unwrap()).unwrap();
        let req =
            parse_add_checkpoint(&encode_add_checkpoint(0, &[], note.replace("\n4\n", "\n5\n").as_bytes()))
                .unwrap();
        assert_eq!(s.decide(None, &req).unwrap_err().status(), 403);
        // Unknown signatures next to a valid one are ignored.
        let both = format!(
            "{note}{}",
            String::from_utf8(impostor.sign(ORIGIN, 4, t.root(4).unwrap()).unwrap())
                .unwrap()
                .rsplit_once("\n\n")
                .unwrap()
                .1
        );
        let req = parse_add_checkpoint(&encode_add_checkpoint(0, &[], both.as_bytes())).unwrap();
        assert!(s.decide(None, &req).is_ok());
    }

    #[test]
    fn the_cosignature_has_the_spec_layout() {
        let key = WitnessKey::generate("witness.example/w1").unwrap();
        let body = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let line = key.cosign(body, 1_679_315_147).unwrap();
        let b64 = line.strip_prefix("— witness.example/w1 ").unwrap().trim_end();
        let bytes = STANDARD.decode(b64).unwrap();
        assert_eq!(bytes.len(), 4 + 8 + 64);
        // The key ID: SHA-256(name || "\n" || 0x04 || public key)[:4].
        let vkey = key.verifier_key();
        let public = STANDARD.decode(vkey.splitn(3, '+').nth(2).unwrap()).unwrap();
        assert_eq!(public[0], 0x04);
        let id = key_id("witness.example/w1", &public);
        assert_eq!(bytes[..4], id.to_be_bytes());
        assert_eq!(vkey.split('+').nth(1).unwrap(), format!("{id:08x}"));
        assert_eq!(bytes[4..12], 1_679_315_147u64.to_be_bytes());
        // The signature covers "cosignature/v1\ntime <t>\n" and the body.
        let public = VerifyingKey::from_bytes(&public[1..].try_into().unwrap()).unwrap();
        let message = [b"cosignature/v1\ntime 1679315147\n".as_slice(), body].concat();
        let sig = ed25519_dalek::Signature::from_slice(&bytes[12..]).unwrap();
        public.verify_strict(&message, &sig).unwrap();
        assert!(key.cosign(body, 1 << 63).is_err());
        assert!(key.cosign(b"no final newline", 1).is_err());
    }

    #[test]
    fn the_signer_key_is_read_back_and_refused_when_wrong() {
        for _ in 0..50 {
            let key = WitnessKey::generate("witness.example/w1").unwrap();
            let again = WitnessKey::from_signer_key(key.signer_key()).unwrap();
            assert_eq!(again.verifier_key(), key.verifier_key());
        }
        let key = WitnessKey::generate("witness.example/w1").unwrap();
        assert!(!format!("{key:?}").contains("PRIVATE"));
        // A log key is not a witness key, and the other way round.
        let log = LogKey::generate("witness.example/w1");
        assert!(WitnessKey::from_signer_key(log.signer_key()).is_err());
        assert!(LogKey::from_signer_key(key.signer_key()).is_err());
        assert!(CosignerKey::parse(log.verifier_key()).is_err());
        let mut logs = KnownLogs::new();
        assert!(logs.add(ORIGIN, key.verifier_key()).is_err());
        // A wrong hash.
        let wrong = key.signer_key().replacen("+witness.example/w1+", "+witness.example/w2+", 1);
        assert!(WitnessKey::from_signer_key(&wrong).is_err());
        assert!(WitnessKey::generate("has space").is_err());
    }

    #[test]
    fn a_client_attaches_only_valid_cosignatures_of_trusted_witnesses() {
        let s = setup();
        let t = tree(5, None);
        let req = s.request(&t, 0, 5);
        let accepted = s.decide(None, &req).unwrap();
        let stranger = WitnessKey::generate("witness.example/w2").unwrap();
        let text = &req.note[..req.note.windows(2).position(|w| w == b"\n\n").unwrap() + 1];
        let response = format!("{}{}", accepted.cosignature, stranger.cosign(text, NOW).unwrap());
        let note = add_cosignatures(&req.note, response.as_bytes(), &[s.witness.verifier_key()]).unwrap();
        assert_eq!(verify_cosignature(&note, s.witness.verifier_key()), Ok(NOW));
        assert!(
            verify_cosignature(&note, stranger.verifier_key()).is_err(),
            "the unknown witness's line is dropped"
        );
        verify_checkpoint_ok(&s, &note);
        // Attaching a newer cosignature of the same witness replaces the older line.
        let newer = s.witness.cosign(text, NOW + 60).unwrap();
        let note = add_cosignatures(&note, newer.as_bytes(), &[s.witness.verifier_key()]).unwrap();
        assert_eq!(verify_cosignature(&note, s.witness.verifier_key()), Ok(NOW + 60));
        assert_eq!(String::from_utf8(note.clone()).unwrap().matches("— witness.example/w1 ").count(), 1);
        // Nothing trusted in the answer, or a forged line: an error.
        assert!(
            add_cosignatures(
                &req.note,
                stranger.cosign(text, NOW).unwrap().as_bytes(),
                &[s.witness.verifier_key()]
            )
            .is_err()
        );
        let forged = s
            .witness
            .cosign(b"comity.example/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", NOW)
            .unwrap();
        assert!(add_cosignatures(&req.note, forged.as_bytes(), &[s.witness.verifier_key()]).is_err());
        assert!(add_cosignatures(&req.note, b"not a signature\n", &[s.witness.verifier_key()]).is_err());
        // A cosignature moved to another checkpoint does not verify.
        let other = s.log.sign(ORIGIN, 4, t.root(4).unwrap()).unwrap();
        let moved = format!("{}{}", String::from_utf8(other).unwrap(), accepted.cosignature);
        assert!(matches!(
            verify_cosignature(moved.as_bytes(), s.witness.verifier_key()),
            Err(WitnessError::Signature(_))
        ));
    }
}

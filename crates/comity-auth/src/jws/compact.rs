//! The JWS Compact Serialization (RFC 7515 §7.1), for `alg` EdDSA with Ed25519 only
//! (RFC 8037 §3.1).

use std::fmt;

use ed25519_dalek::Signature;
use serde_json::{Map, Value};

use super::key::{KeyId, PublicKey};
use super::refusal::JwsRefusal;
use crate::b64;
use crate::json;

/// The largest payload comity accepts in a JWS, in bytes: a request document may be as
/// large signed as unsigned (the server's body limit is 2 MiB).
pub const MAX_PAYLOAD_BYTES: usize = 2 * 1024 * 1024;

/// The largest protected header comity accepts, in bytes. An `alg`, a `kid` and a `typ`
/// need under a hundred.
pub const MAX_HEADER_BYTES: usize = 4 * 1024;

/// The longest compact JWS comity accepts, in bytes: a header and a payload of the largest
/// sizes, base64url-encoded, and a signature. A server reading a signed body must accept
/// bodies this large.
pub const MAX_COMPACT_LEN: usize =
    encoded_len(MAX_HEADER_BYTES) + 1 + encoded_len(MAX_PAYLOAD_BYTES) + 1 + encoded_len(SIGNATURE_LEN);

const SIGNATURE_LEN: usize = 64;

/// The length of `n` bytes in base64url without padding.
const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// The header members comity refuses even though they are well-formed, and why.
const REFUSED_MEMBERS: [(&str, &str); 6] = [
    (
        "crit",
        "the header lists critical extensions in \"crit\"; comity understands none, and a JWS \
         with critical extensions the recipient does not understand must be refused (RFC 7515 \
         §4.1.11): remove \"crit\"",
    ),
    (
        "b64",
        "the header has \"b64\" (RFC 7797 unencoded payloads); comity accepts only base64url-encoded \
         payloads: remove \"b64\"",
    ),
    ("jwk", EMBEDDED_KEY),
    ("jku", EMBEDDED_KEY),
    ("x5u", EMBEDDED_KEY),
    ("x5c", EMBEDDED_KEY),
];

const EMBEDDED_KEY: &str = "the header carries a key or points to one (\"jwk\", \"jku\", \"x5u\" or \"x5c\", \
    RFC 7515 §4.1.2 to §4.1.6); comity takes the key only from its registry, by \"kid\", never from \
    the message it is to verify: remove the member";

/// A compact JWS that is well-formed and names its key, not yet verified.
///
/// Made by [`parse_compact`]. Look the key up by [`kid`](Compact::kid), then call
/// [`verify`](Compact::verify); only then is the [`payload`](Compact::payload) signed.
#[derive(Clone)]
pub struct Compact {
    kid: KeyId,
    payload: Vec<u8>,
    signing_input: String,
    signature: Signature,
}

impl Compact {
    /// The header's `kid`: the id of the registered key that is to verify the signature.
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// The payload, base64url-decoded. Not to be trusted before [`Compact::verify`]
    /// succeeded.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Verifies the signature over the ASCII signing input `header.payload` (RFC 7515
    /// §5.2 step 8) with `key`.
    ///
    /// Uses `verify_strict`: it also refuses non-canonical signatures and small-order
    /// points (RFC 8032 §5.1.7 and more), so that a signature cannot be changed into
    /// another one that still verifies.
    pub fn verify(&self, key: &PublicKey) -> Result<(), JwsRefusal> {
        verify_signature(&self.signing_input, &self.signature, key)
    }
}

impl fmt::Debug for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compact")
            .field("kid", &self.kid)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Parses a compact JWS (RFC 7515 §7.1) strictly, as comity accepts one.
///
/// It must be exactly three base64url parts without padding (RFC 7515 §2), whose header is
/// a JSON object without duplicate members (RFC 7515 §4) with `"alg":"EdDSA"` (or its
/// RFC 9864 name `"Ed25519"`) and a [`KeyId`] as `kid`. It must not have `crit` (RFC 7515 §4.1.11: comity understands no
/// extension), `b64` (RFC 7797), nor a key of its own (`jwk`, `jku`, `x5u`, `x5c`): the
/// key comes from comity's registry. Other header members (`typ`, `cty`) are ignored, as
/// RFC 7515 §4 asks. At most [`MAX_COMPACT_LEN`] bytes.
///
/// The signature is not verified here; see [`Compact::verify`].
pub fn parse_compact(text: &str) -> Result<Compact, JwsRefusal> {
    let parsed = parse(text, KidRule::Required)?;
    match parsed.kid {
        Some(kid) => Ok(Compact {
            kid,
            payload: parsed.payload,
            signing_input: parsed.signing_input,
            signature: parsed.signature,
        }),
        None => Err(JwsRefusal::malformed(NO_KID)),
    }
}

/// Parses and verifies a compact JWS with `key`, and returns its payload: the same strict
/// rules as [`parse_compact`], except that the header need not have a `kid`.
///
/// For a JWS whose key is known without a `kid`, such as the RFC 8037 §A.4 example; a
/// submission to comity goes through [`parse_compact`].
pub fn verify_compact(text: &str, key: &PublicKey) -> Result<Vec<u8>, JwsRefusal> {
    let parsed = parse(text, KidRule::Optional)?;
    verify_signature(&parsed.signing_input, &parsed.signature, key)?;
    Ok(parsed.payload)
}

const NO_KID: &str = "the protected header has no \"kid\": name the registered key that signed \
    (RFC 7515 §4.1.4)";

fn verify_signature(signing_input: &str, signature: &Signature, key: &PublicKey) -> Result<(), JwsRefusal> {
    key.verifying_key()
        .verify_strict(signing_input.as_bytes(), signature)
        .map_err(|_| JwsRefusal::BadSignature)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KidRule {
    Required,
    Optional,
}

struct Parsed {
    kid: Option<KeyId>,
    payload: Vec<u8>,
    signing_input: String,
    signature: Signature,
}

fn parse(text: &str, kid_rule: KidRule) -> Result<Parsed, JwsRefusal> {
    if text.is_empty() {
        return Err(JwsRefusal::MissingSignature);
    }
    if text.len() > MAX_COMPACT_LEN {
        return Err(JwsRefusal::malformed(format!(
            "the JWS is {} bytes, and comity accepts at most {MAX_COMPACT_LEN} (a payload of at most \
             {MAX_PAYLOAD_BYTES} bytes)",
            text.len()
        )));
    }
    // Count the dots before splitting, so that a text of a million dots costs no million
    // slices.
    let parts = text.bytes().filter(|&b| b == b'.').count() + 1;
    let mut split = text.splitn(3, '.');
    let (Some(header), Some(payload), Some(signature), 3) = (split.next(), split.next(), split.next(), parts)
    else {
        return Err(JwsRefusal::malformed(if parts == 5 {
            "this has five parts, like an encrypted JWE (RFC 7516 §7.1); comity accepts a signed \
             JWS of three parts: header.payload.signature"
                .to_owned()
        } else {
            format!(
                "a compact JWS has exactly three parts separated by '.', header.payload.signature \
                 (RFC 7515 §7.1); this has {parts}"
            )
        }));
    };

    if header.is_empty() {
        return Err(JwsRefusal::malformed("the header part is empty"));
    }
    if header.len() > encoded_len(MAX_HEADER_BYTES) {
        return Err(JwsRefusal::malformed(format!(
            "the header is over {MAX_HEADER_BYTES} bytes; \"alg\" and \"kid\" need a few dozen"
        )));
    }
    let header_bytes =
        b64::decode(header).map_err(|why| JwsRefusal::malformed(format!("the header {why}")))?;
    let members = json::parse_object(&header_bytes).map_err(|why| {
        JwsRefusal::malformed(format!(
            "the protected header must be a JSON object without duplicate members (RFC 7515 §4), \
             but {why}"
        ))
    })?;
    let kid = check_header(&members, kid_rule)?;

    let signing_input = text[..header.len() + 1 + payload.len()].to_owned();
    if payload.len() > encoded_len(MAX_PAYLOAD_BYTES) {
        return Err(JwsRefusal::malformed(format!(
            "the payload is over {MAX_PAYLOAD_BYTES} bytes, the most comity accepts"
        )));
    }
    let payload = b64::decode(payload).map_err(|why| JwsRefusal::malformed(format!("the payload {why}")))?;

    if signature.is_empty() {
        return Err(JwsRefusal::MissingSignature);
    }
    let signature =
        b64::decode(signature).map_err(|why| JwsRefusal::malformed(format!("the signature {why}")))?;
    let signature = <[u8; SIGNATURE_LEN]>::try_from(signature.as_slice()).map_err(|_| {
        JwsRefusal::malformed(format!(
            "the signature is {} bytes; an Ed25519 signature is {SIGNATURE_LEN} (RFC 8032 §5.1.6)",
            signature.len()
        ))
    })?;

    Ok(Parsed { kid, payload, signing_input, signature: Signature::from_bytes(&signature) })
}

/// Checks the protected header's members; returns its `kid`.
fn check_header(members: &Map<String, Value>, kid_rule: KidRule) -> Result<Option<KeyId>, JwsRefusal> {
    match members.get("alg") {
        None => {
            return Err(JwsRefusal::malformed(
                "the protected header has no \"alg\"; it must be \"EdDSA\" (RFC 7515 §4.1.1, RFC 8037 §3.1)",
            ));
        }
        // "EdDSA" (RFC 8037 §3.1) with the Ed25519 keys that are the only ones comity
        // registers, or its fully-specified name "Ed25519" (RFC 9864 §2.2, which deprecates
        // "EdDSA"): both name exactly Ed25519, so accepting both opens no algorithm
        // confusion, and senders whose libraries follow RFC 9864 are not turned away.
        Some(Value::String(alg)) if alg == "EdDSA" || alg == "Ed25519" => {}
        // Anything else, "none" (RFC 7518 §3.6) and "HS256" included, is refused by name.
        Some(Value::String(alg)) => {
            return Err(JwsRefusal::UnsupportedAlgorithm(crate::shown::bounded(alg, 64)));
        }
        Some(other) => {
            return Err(JwsRefusal::malformed(format!(
                "the header's \"alg\" is {}; it must be the string \"EdDSA\"",
                json::describe(other)
            )));
        }
    }
    if let Some((_, why)) = REFUSED_MEMBERS.iter().find(|(name, _)| members.contains_key(*name)) {
        return Err(JwsRefusal::malformed(*why));
    }
    match members.get("kid") {
        None if kid_rule == KidRule::Required => Err(JwsRefusal::malformed(NO_KID)),
        None => Ok(None),
        Some(Value::String(kid)) => KeyId::parse(kid)
            .map(Some)
            .map_err(|e| JwsRefusal::malformed(format!("the header's \"kid\" is an {e}"))),
        Some(other) => Err(JwsRefusal::malformed(format!(
            "the header's \"kid\" is {}; it must be a string, the id of a registered key",
            json::describe(other)
        ))),
    }
}

//! Ed25519 keys as JWKs (RFC 7517, RFC 8037 §2) and PEM, key ids and RFC 7638 thumbprints.

use std::fmt;

use ed25519_dalek::pkcs8::{self, DecodePrivateKey, DecodePublicKey, EncodePublicKey, spki};
use ed25519_dalek::{Signer, VerifyingKey};
use rand_core::OsRng;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use spki::der::pem::LineEnding;

use crate::b64;
use crate::json;
use crate::shown::Shown;

/// Why a key was not accepted. The message says what comity expects instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A private key was given where only a public key belongs.
    #[error(
        "this is a private key; register only the public key (the JWK without its \"d\" member, \
         or what `openssl pkey -pubout` prints)"
    )]
    PrivateKey,
    /// A public key was given where the private key is needed to sign.
    #[error(
        "this is a public key, and signing needs the private key: a JWK with its \"d\" member \
         (RFC 8037 §2), or a PEM \"PRIVATE KEY\" block (`openssl genpkey -algorithm ed25519`)"
    )]
    NotPrivate,
    /// Not an Ed25519 key (another `kty` or `crv`, an RSA or EC key, an OpenSSH key, a
    /// certificate). The text says what it is.
    #[error(
        "{0}: comity accepts Ed25519 keys only, as a JWK {{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\
         \"x\":\"...\"}} (RFC 8037 §2) or as PEM (`openssl pkey -pubout` prints the public key)"
    )]
    Unsupported(String),
    /// An Ed25519 public key of small order (a weak key): signatures that verify under it
    /// can be made without any private key, so they would prove nothing.
    #[error("this Ed25519 public key is of small order (a weak key); generate a new key pair")]
    Weak,
    /// The text is not a well-formed key. The text says what is wrong.
    #[error("malformed key: {0}")]
    Malformed(String),
}

/// A key id: the `kid` of a JWS header (RFC 7515 §4.1.4), 1 to 48 characters of
/// `A-Z a-z 0-9 . _ ~ -`.
///
/// comity gives each registered key an id, by default its RFC 7638 thumbprint (43
/// characters, see [`PublicKey::key_id`]); the character set keeps a key id safe in a
/// URL, a log line and a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

/// A string that is not a [`KeyId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key id: {why}; a key id is 1 to 48 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'")]
pub struct InvalidKeyId {
    why: String,
}

impl KeyId {
    /// The longest key id, in characters.
    pub const MAX_LEN: usize = 48;

    /// Parses a key id.
    pub fn parse(text: &str) -> Result<KeyId, InvalidKeyId> {
        if text.is_empty() {
            return Err(InvalidKeyId { why: "it is empty".into() });
        }
        if let Some(bad) = text.chars().find(|&c| !(c.is_ascii_alphanumeric() || "._~-".contains(c))) {
            return Err(InvalidKeyId { why: format!("it contains {bad:?}") });
        }
        if text.len() > KeyId::MAX_LEN {
            return Err(InvalidKeyId { why: format!("it is {} characters long", text.len()) });
        }
        Ok(KeyId(text.to_owned()))
    }

    /// The key id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ed25519 public key: what a party registers so that comity can verify what it signs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a public key given as a JWK (`{"kty":"OKP","crv":"Ed25519","x":"..."}`,
    /// RFC 8037 §2) or as an SPKI PEM block (`-----BEGIN PUBLIC KEY-----`, RFC 8410 §4, what
    /// `openssl pkey -pubout` prints). Whitespace around the text is ignored.
    ///
    /// Refuses a private key (a JWK with `d`, a PEM private key), every other key type and
    /// curve, and weak keys, each with a message that says what is expected.
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let text = text.trim();
        if text.starts_with('{') {
            let jwk = parse_jwk(text)?;
            if jwk.d.is_some() {
                return Err(KeyError::PrivateKey);
            }
            return PublicKey::from_bytes(&jwk.x);
        }
        if text.starts_with("-----BEGIN PUBLIC KEY-----") {
            let key = VerifyingKey::from_public_key_pem(text).map_err(|e| pem_error("public", &e))?;
            return PublicKey::checked(key);
        }
        Err(not_a_key(text))
    }

    /// The key from its 32-byte encoding (RFC 8032 §5.1.2), the `x` of its JWK.
    ///
    /// Refuses bytes that are not a point on the curve, and weak (small-order) keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| {
            KeyError::Malformed("these 32 bytes are not an Ed25519 public key (not a curve point)".into())
        })?;
        PublicKey::checked(key)
    }

    fn checked(key: VerifyingKey) -> Result<PublicKey, KeyError> {
        if key.is_weak() { Err(KeyError::Weak) } else { Ok(PublicKey(key)) }
    }

    /// The 32-byte encoding (RFC 8032 §5.1.2).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key as a JWK with exactly its required members, in the order and form of
    /// RFC 7638 §3.2: `{"crv":"Ed25519","kty":"OKP","x":"..."}`.
    pub fn to_jwk(&self) -> String {
        format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64::encode(self.0.as_bytes()))
    }

    /// The key as an SPKI PEM block (RFC 8410 §4), as `openssl pkey -pubout` prints it.
    pub fn to_pem(&self) -> String {
        // Encoding a valid key into a `String` cannot fail; the fallback keeps this total.
        self.0.to_public_key_pem(LineEnding::LF).unwrap_or_default()
    }

    /// The RFC 7638 JWK thumbprint: base64url (no padding) of the SHA-256 of the JWK's
    /// required members `{"crv":"Ed25519","kty":"OKP","x":"..."}`, in that order, without
    /// whitespace (RFC 7638 §3, RFC 8037 §2). Tools in every language compute the same.
    pub fn thumbprint(&self) -> String {
        b64::encode(&Sha256::digest(self.to_jwk().as_bytes()))
    }

    /// The default key id of this key: its [thumbprint](PublicKey::thumbprint).
    pub fn key_id(&self) -> KeyId {
        // A thumbprint is 43 base64url characters, always a valid key id.
        KeyId(self.thumbprint())
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey").field(&self.thumbprint()).finish()
    }
}

/// An Ed25519 private key, for the parties that sign with comity's own tools: an
/// authority signing from the command line, comity signing confirmations, and tests.
///
/// Its `Debug` shows only the public key's thumbprint.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> SigningKey {
        SigningKey(ed25519_dalek::SigningKey::generate(&mut OsRng))
    }

    /// Parses a private key given as a JWK with its `d` member (RFC 8037 §2; its `x` must
    /// be present and match `d`) or as a PKCS #8 PEM block (`-----BEGIN PRIVATE KEY-----`,
    /// RFC 8410 §7, what `openssl genpkey -algorithm ed25519` prints).
    pub fn parse(text: &str) -> Result<SigningKey, KeyError> {
        let text = text.trim();
        if text.starts_with('{') {
            let jwk = parse_jwk(text)?;
            let d = jwk.d.ok_or(KeyError::NotPrivate)?;
            let key = ed25519_dalek::SigningKey::from_bytes(&d);
            if key.verifying_key().to_bytes() != jwk.x {
                return Err(KeyError::Malformed("the JWK's \"x\" is not the public key of its \"d\"".into()));
            }
            return Ok(SigningKey(key));
        }
        if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            let key = ed25519_dalek::SigningKey::from_pkcs8_pem(text).map_err(|e| match e {
                pkcs8::Error::PublicKey(e) => pem_error("private", &e),
                other => KeyError::Malformed(format!("this PEM private key is damaged ({other})")),
            })?;
            return Ok(SigningKey(key));
        }
        if text.starts_with("-----BEGIN PUBLIC KEY-----") || text.starts_with("ssh-ed25519 ") {
            return Err(KeyError::NotPrivate);
        }
        match not_a_key(text) {
            KeyError::PrivateKey => Err(KeyError::Unsupported(
                "this private key is not in a form comity reads; give it as a PKCS #8 PEM block \
                 (\"-----BEGIN PRIVATE KEY-----\") or as a JWK with its \"d\" member"
                    .into(),
            )),
            other => Err(other),
        }
    }

    /// The private key as a JWK: `{"crv":"Ed25519","d":"...","kty":"OKP","x":"..."}`
    /// (RFC 8037 §2). Keep it secret.
    pub fn to_jwk_private(&self) -> String {
        format!(
            r#"{{"crv":"Ed25519","d":"{}","kty":"OKP","x":"{}"}}"#,
            b64::encode(self.0.as_bytes()),
            b64::encode(self.0.verifying_key().as_bytes())
        )
    }

    /// The public key, to register.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `payload` as a compact JWS (RFC 7515 §7.1) with the protected header exactly
    /// `{"alg":"EdDSA","kid":"<kid>"}` (RFC 8037 §3.1).
    ///
    /// Ed25519 signatures are deterministic (RFC 8032 §5.1.6): the same key, kid and
    /// payload always give the same JWS.
    pub fn sign_compact(&self, kid: &KeyId, payload: &[u8]) -> String {
        // A key id holds only base64url-safe characters, so it needs no JSON escaping.
        self.sign_with_header(&format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#), payload)
    }

    /// Signs with a header given as JSON text; for [`SigningKey::sign_compact`] and the
    /// RFC 8037 §A.4 vector, whose header has no `kid`.
    pub(crate) fn sign_with_header(&self, header: &str, payload: &[u8]) -> String {
        let signing_input = format!("{}.{}", b64::encode(header.as_bytes()), b64::encode(payload));
        let signature = self.0.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64::encode(&signature.to_bytes()))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public", &self.public()).finish_non_exhaustive()
    }
}

/// The members of an Ed25519 JWK that matter.
struct Jwk {
    x: [u8; 32],
    d: Option<[u8; 32]>,
}

/// Reads an OKP Ed25519 JWK (RFC 8037 §2), public or private.
fn parse_jwk(text: &str) -> Result<Jwk, KeyError> {
    let map =
        json::parse_object(text.as_bytes()).map_err(|e| KeyError::Malformed(format!("the JWK: {e}")))?;
    if !map.contains_key("kty") && map.contains_key("keys") {
        return Err(KeyError::Malformed(
            "this is a JWK Set; give one key, one of the objects inside \"keys\"".into(),
        ));
    }
    let kty = string_member(&map, "kty")?;
    if kty != "OKP" {
        return Err(KeyError::Unsupported(format!("the JWK has \"kty\" {}", Shown::short(kty))));
    }
    let crv = string_member(&map, "crv")?;
    if crv != "Ed25519" {
        return Err(KeyError::Unsupported(format!(
            "the JWK has \"crv\" {} (X25519 and Ed448 keys cannot sign for comity)",
            Shown::short(crv)
        )));
    }
    // The optional members, when present, must allow what comity does with the key
    // (RFC 7517 §4.2 to §4.4).
    if let Some(alg) = map.get("alg").filter(|alg| *alg != "EdDSA") {
        return Err(KeyError::Malformed(format!(
            "the JWK's \"alg\" is {}, and must be \"EdDSA\"",
            json::describe(alg)
        )));
    }
    if let Some(key_use) = map.get("use").filter(|key_use| *key_use != "sig") {
        return Err(KeyError::Malformed(format!(
            "the JWK's \"use\" is {}, and must be \"sig\"",
            json::describe(key_use)
        )));
    }
    let x = bytes_member(&map, "x")?;
    let d = match map.get("d") {
        None => None,
        Some(_) => Some(bytes_member(&map, "d")?),
    };
    Ok(Jwk { x, d })
}

fn string_member<'a>(map: &'a Map<String, Value>, name: &str) -> Result<&'a str, KeyError> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(KeyError::Malformed(format!(
            "the JWK's {name:?} is a JSON {}, and must be a string",
            json::kind(other)
        ))),
        None => Err(KeyError::Malformed(format!("the JWK has no {name:?} member"))),
    }
}

/// A 32-byte member in base64url without padding (RFC 8037 §2, RFC 7515 §2).
fn bytes_member(map: &Map<String, Value>, name: &str) -> Result<[u8; 32], KeyError> {
    let text = string_member(map, name)?;
    let bytes = b64::decode(text).map_err(|why| KeyError::Malformed(format!("the JWK's {name:?} {why}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        KeyError::Malformed(format!("the JWK's {name:?} is {} bytes; an Ed25519 key is 32", bytes.len()))
    })
}

/// The error for a PEM key that `ed25519-dalek` did not read. An unknown algorithm is
/// said in words: the library's message names the OID it expected, not the one it found.
fn pem_error(which: &str, error: &spki::Error) -> KeyError {
    match error {
        spki::Error::OidUnknown { .. } => KeyError::Unsupported(format!(
            "this PEM {which} key is not an Ed25519 key (RFC 8410); an RSA, EC or X25519 key?"
        )),
        other => KeyError::Malformed(format!("this PEM {which} key is damaged ({other})")),
    }
}

/// The error for a text that is neither a JWK nor a PEM block comity reads, saying what
/// it looks like.
fn not_a_key(text: &str) -> KeyError {
    if text.starts_with("-----BEGIN") && text.contains("PRIVATE KEY-----") {
        KeyError::PrivateKey
    } else if text.starts_with("ssh-ed25519 ") {
        KeyError::Unsupported(
            "this is an OpenSSH public key; convert it with `ssh-keygen -e -m PKCS8 -f key.pub`".into(),
        )
    } else if text.starts_with("-----BEGIN CERTIFICATE-----") {
        KeyError::Unsupported(
            "this is a certificate; give its public key (`openssl x509 -pubkey -noout -in cert.pem`)".into(),
        )
    } else if text.starts_with("-----BEGIN") {
        KeyError::Unsupported("this PEM block is not a \"PUBLIC KEY\"".into())
    } else {
        KeyError::Malformed(
            "expected a JWK (a JSON object starting with '{') or a PEM block starting with \
             \"-----BEGIN PUBLIC KEY-----\""
                .into(),
        )
    }
}

//! Secrets at rest, sealed with the server's key: XChaCha20-Poly1305 (RFC 8439 §2.8 with
//! the extended nonce of draft-irtf-cfrg-xchacha).
//!
//! A sealed value is `version (1 byte) ‖ nonce (24 bytes) ‖ ciphertext and tag`. The
//! nonce is random: 192 bits never repeat by chance, so one key can seal any number of
//! values. The associated data (`aad`) names what the value belongs to, for instance
//! `b"totp:user:42"`: a sealed TOTP secret copied into another user's row does not open.
//! The version byte is authenticated too.
//!
//! ```
//! use comity_auth::seal::ServerKey;
//!
//! let key = ServerKey::generate();
//! let sealed = key.seal(b"the secret", b"totp:user:42");
//! assert_eq!(key.open(&sealed, b"totp:user:42")?, b"the secret");
//! assert!(key.open(&sealed, b"totp:user:43").is_err());
//! # Ok::<(), comity_auth::seal::SealError>(())
//! ```

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};

/// The format version of a sealed value.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a sealed value does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// Shorter than a version, a nonce and a tag.
    #[error("the sealed value is {0} bytes, shorter than any sealed value (41)")]
    Truncated(usize),
    /// A version this code does not know.
    #[error("the sealed value has format version {0}; this comity knows version 1")]
    UnknownVersion(u8),
    /// Authentication failed: another key, other associated data, or a changed byte.
    #[error(
        "the sealed value does not open: it was sealed with another server key or for another \
         record, or it was changed"
    )]
    Failed,
}

/// The server's key for secrets at rest: 32 bytes. Its `Debug` does not show it.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl ServerKey {
    /// A new key from the operating system's random number generator.
    pub fn generate() -> ServerKey {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        ServerKey(key)
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> ServerKey {
        ServerKey(bytes)
    }

    /// The key's bytes, to keep in the server's key file.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }

    /// Seals `plaintext` for the record that `aad` names.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = authenticated_data(VERSION, aad);
        let ciphertext = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
            // Encryption fails only for a message over 256 GiB (RFC 8439 §2.8), which no
            // secret at rest is.
            .unwrap_or_default();
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens a value sealed for the record that `aad` names.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN {
            return Err(SealError::Truncated(sealed.len()));
        }
        let (version, rest) = (sealed[0], &sealed[1..]);
        if version != VERSION {
            return Err(SealError::UnknownVersion(version));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let aad = authenticated_data(version, aad);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
            .map_err(|_| SealError::Failed)
    }
}

/// The version byte followed by the caller's associated data, so that a value cannot be
/// passed off as another version's.
fn authenticated_data(version: u8, aad: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(1 + aad.len());
    data.push(version);
    data.extend_from_slice(aad);
    data
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

//! Random bearer secrets for sessions and one-time confirmation links: 32 random bytes in
//! base64url (43 characters). The store keeps only their SHA-256, so a copy of the
//! database opens no session; for why SHA-256 and not a slow hash, see [`crate::token`].
//!
//! ```
//! use comity_auth::opaque::OpaqueToken;
//!
//! let token = OpaqueToken::generate(); // token.text() goes in the cookie or the link
//! assert_eq!(OpaqueToken::hash_of(token.text()), Some(token.hash())); // look it up by hash
//! assert_eq!(OpaqueToken::hash_of("' OR 1=1 --"), None); // garbage never reaches the store
//! ```

use std::fmt;

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::b64;

/// The length of an opaque token's text.
pub const LEN: usize = 43;

/// A new bearer secret: its text, to give out once, and its hash, to store. Its `Debug`
/// does not show the text.
#[derive(Clone)]
pub struct OpaqueToken {
    text: String,
    hash: [u8; 32],
}

impl OpaqueToken {
    /// A new token from the operating system's random number generator.
    pub fn generate() -> OpaqueToken {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        OpaqueToken { text: b64::encode(&bytes), hash: Sha256::digest(bytes).into() }
    }

    /// The token's text: 43 base64url characters.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The SHA-256 of the token's 32 bytes, what the store keeps.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The hash of a presented token, to look it up; `None` when `text` is not a
    /// well-formed token (43 characters of canonical base64url), so that garbage never
    /// reaches the store.
    pub fn hash_of(text: &str) -> Option<[u8; 32]> {
        if text.len() != LEN {
            return None;
        }
        let bytes = b64::decode(text).ok()?;
        let bytes = <[u8; 32]>::try_from(bytes.as_slice()).ok()?;
        Some(Sha256::digest(bytes).into())
    }
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueToken(..)")
    }
}

//! API tokens for systems: `comity_<id>_<secret>`.
//!
//! The id is 16 lowercase base32 characters (80 random bits): public, shown in lists and
//! logs, and the key under which the store finds the token. The secret is 32 random bytes
//! in base64url (43 characters); the store keeps only its SHA-256.
//!
//! Why SHA-256 and not a password hash such as argon2: a password hash is slow to make
//! guessing a weak, human-chosen secret expensive. A 256-bit random secret cannot be
//! guessed at any speed, so a slow hash would add nothing but the same delay to every API
//! call. A stolen table of hashes still gives no token.
//!
//! The `comity_` prefix lets secret scanners (and people) recognize a leaked token.
//!
//! ```
//! use comity_auth::token::ApiToken;
//!
//! let issued = ApiToken::generate(); // show issued.text() once; store id and hash
//! let (id, secret) = ApiToken::parse(issued.text())?; // on each call
//! assert_eq!(&id, issued.id()); // look the stored hash up by id
//! assert!(secret.verify(&issued.hash()));
//! # Ok::<(), comity_auth::token::TokenError>(())
//! ```

use std::fmt;

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::b64;

/// What every API token starts with.
pub const PREFIX: &str = "comity_";

const ID_LEN: usize = 16;
const SECRET_LEN: usize = 43;
/// `comity_` + id + `_` + secret.
const TOKEN_LEN: usize = PREFIX.len() + ID_LEN + 1 + SECRET_LEN;

/// The base32 alphabet of RFC 4648 §6, in lowercase.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Why a text is not an API token. The message describes the expected form and never
/// repeats the text, which may be a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not of the form `comity_<16 base32 characters>_<43 base64url characters>`.
    #[error(
        "this is not a comity API token ({0}); a token is \"comity_\", 16 characters of a-z and \
         2-7, '_', and 43 characters of base64url, 67 characters in all"
    )]
    Malformed(&'static str),
}

/// The public id of an API token: 16 characters of `a-z2-7` (80 random bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(String);

impl TokenId {
    /// Parses a token id.
    pub fn parse(text: &str) -> Result<TokenId, TokenError> {
        if text.len() != ID_LEN {
            return Err(TokenError::Malformed("the id is not 16 characters"));
        }
        if !text.bytes().all(|b| BASE32.contains(&b)) {
            return Err(TokenError::Malformed("the id has a character outside a-z and 2-7"));
        }
        Ok(TokenId(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret part of an API token, as presented. Its `Debug` does not show it.
#[derive(Clone)]
pub struct TokenSecret([u8; 32]);

impl TokenSecret {
    /// The SHA-256 of the secret, what the store keeps.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0).into()
    }

    /// Whether this secret is the one whose hash was stored, compared in constant time so
    /// that the time taken tells nothing about how much of the hash matched.
    pub fn verify(&self, stored_hash: &[u8; 32]) -> bool {
        self.hash().ct_eq(stored_hash).into()
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(..)")
    }
}

/// A newly issued API token: its id, the full token text to give the system once, and
/// the hash to store. Its `Debug` does not show the text.
#[derive(Clone)]
pub struct ApiToken {
    id: TokenId,
    text: String,
    hash: [u8; 32],
}

impl ApiToken {
    /// A new token from the operating system's random number generator.
    pub fn generate() -> ApiToken {
        let mut id = [0u8; 10];
        OsRng.fill_bytes(&mut id);
        let id = TokenId(base32_lower(&id));
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let secret = TokenSecret(secret);
        let text = format!("{PREFIX}{id}_{}", b64::encode(&secret.0));
        ApiToken { id, text, hash: secret.hash() }
    }

    /// The token's public id.
    pub fn id(&self) -> &TokenId {
        &self.id
    }

    /// The full token, `comity_<id>_<secret>`: show it to the system's operator once, and
    /// keep it nowhere.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The SHA-256 of the secret, to store with the id.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// Splits a presented token into its id (to look the stored hash up) and its secret
    /// (to [verify](TokenSecret::verify) against that hash).
    pub fn parse(text: &str) -> Result<(TokenId, TokenSecret), TokenError> {
        let rest =
            text.strip_prefix(PREFIX).ok_or(TokenError::Malformed("it does not start with \"comity_\""))?;
        if text.len() != TOKEN_LEN || !text.is_ascii() {
            return Err(TokenError::Malformed("it is not 67 ASCII characters long"));
        }
        let (id, rest) = rest.split_at(ID_LEN);
        let id = TokenId::parse(id)?;
        let secret = rest.strip_prefix('_').ok_or(TokenError::Malformed("there is no '_' after the id"))?;
        let secret = b64::decode(secret).map_err(|_| TokenError::Malformed("the secret is not base64url"))?;
        let secret = <[u8; 32]>::try_from(secret.as_slice())
            .map_err(|_| TokenError::Malformed("the secret is not 32 bytes"))?;
        Ok((id, TokenSecret(secret)))
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiToken").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Lowercase base32 (RFC 4648 §6) of bytes whose bit count is a multiple of 5, without
/// padding; here 10 bytes become 16 characters.
fn base32_lower(bytes: &[u8; 10]) -> String {
    let mut bits = 0u128;
    for &b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    (0..ID_LEN).rev().map(|i| char::from(BASE32[((bits >> (5 * i)) & 31) as usize])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc4648() {
        // RFC 4648 §10: BASE32("fooba") = "MZXW6YTB"; twice gives 10 bytes.
        assert_eq!(base32_lower(b"foobafooba"), "mzxw6ytbmzxw6ytb");
    }
}

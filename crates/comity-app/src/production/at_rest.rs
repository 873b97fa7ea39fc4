//! Sealed packages at rest, and their crypto-shredding (issue 15, item 3).
//!
//! The package that leaves is encrypted to the authority; the copy comity keeps in its data
//! directory is encrypted again, under a data key of its own: an age X25519 identity drawn
//! for the one production (age's STREAM construction, 64 KiB chunks, so the copy is written
//! and read back in bounded memory). The data key is kept only sealed by the server key
//! (XChaCha20-Poly1305 with the production's id as associated data, so a sealed key moved to
//! another production does not open), in the database's `package_keys`; the server key lives
//! in the data directory, never in the database (envelope encryption: the server key is the
//! key-encryption key, and the place an external KMS would take).
//!
//! Destroying the sealed data key is the shredding: the stored bytes, and any copy of them
//! a backup of the data directory kept, no longer open with anything left on the server.
//!
//! Kept small and apart, so that the request documents' encryption at rest (the same server
//! key as key-encryption key) can share it.

use std::io::{self, Read, Write};

use comity_auth::seal::ServerKey;
use comity_seal::age::{self, secrecy::ExposeSecret, x25519::Identity};

/// A production's data key, in the clear: only ever in memory.
pub struct DataKey(Identity);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// Why a stored package or its key does not open.
#[derive(Debug, thiserror::Error)]
pub enum AtRestError {
    #[error("the sealed data key does not open with this server key (another server key, or edited)")]
    Unwrap,
    #[error("the sealed data key opens to something that is not an age identity")]
    NotAKey,
    #[error("the stored package does not decrypt with its data key: {0}")]
    Decrypt(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What binds a sealed data key to its production.
fn aad(production: &str) -> Vec<u8> {
    format!("comity-package-key/v1 {production}").into_bytes()
}

impl DataKey {
    /// A new data key, for one production.
    pub fn generate() -> DataKey {
        DataKey(Identity::generate())
    }

    /// The data key sealed by the server key, bound to `production`: what the store keeps.
    pub fn wrap(&self, server_key: &ServerKey, production: &str) -> Vec<u8> {
        server_key.seal(self.0.to_string().expose_secret().as_bytes(), &aad(production))
    }

    /// The data key of `production`, from its sealed form.
    pub fn unwrap(server_key: &ServerKey, production: &str, wrapped: &[u8]) -> Result<DataKey, AtRestError> {
        let plain = server_key.open(wrapped, &aad(production)).map_err(|_| AtRestError::Unwrap)?;
        let text = std::str::from_utf8(&plain).map_err(|_| AtRestError::NotAKey)?;
        text.parse::<Identity>().map(DataKey).map_err(|_| AtRestError::NotAKey)
    }

    /// The age identity itself: what `age -d -i` takes, for a test or a key escrow.
    pub fn identity(&self) -> &Identity {
        &self.0
    }

    /// Encrypts what is written to `out`; call `finish` on the writer to end the stream.
    pub fn encrypt<W: Write>(&self, out: W) -> Result<age::stream::StreamWriter<W>, AtRestError> {
        let recipient = self.0.to_public();
        let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| AtRestError::Decrypt(e.to_string()))?;
        Ok(encryptor.wrap_output(out)?)
    }

    /// Decrypts a stored package as it is read.
    pub fn decrypt<R: Read + Send + 'static>(&self, stored: R) -> Result<Box<dyn Read + Send>, AtRestError> {
        let decryptor = age::Decryptor::new(io::BufReader::new(stored))
            .map_err(|e| AtRestError::Decrypt(e.to_string()))?;
        let plain = decryptor
            .decrypt(std::iter::once(&self.0 as &dyn age::Identity))
            .map_err(|e| AtRestError::Decrypt(e.to_string()))?;
        Ok(Box::new(plain))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_stored_package_opens_with_its_own_key_only() {
        let server_key = ServerKey::generate();
        let key = DataKey::generate();
        let mut stored = Vec::new();
        let mut w = key.encrypt(&mut stored).unwrap();
        w.write_all(b"age-encryption.org/v1 inner package").unwrap();
        w.finish().unwrap();
        assert!(!stored.windows(5).any(|w| w == b"inner"), "the stored copy is not in the clear");

        let wrapped = key.wrap(&server_key, "prod-aaaaaaaaaaaaaaaa");
        let back = DataKey::unwrap(&server_key, "prod-aaaaaaaaaaaaaaaa", &wrapped).unwrap();
        let mut plain = Vec::new();
        back.decrypt(std::io::Cursor::new(stored.clone())).unwrap().read_to_end(&mut plain).unwrap();
        assert_eq!(plain, b"age-encryption.org/v1 inner package");

        // Bound to its production, and to its server key.
        assert!(DataKey::unwrap(&server_key, "prod-bbbbbbbbbbbbbbbb", &wrapped).is_err());
        assert!(DataKey::unwrap(&ServerKey::generate(), "prod-aaaaaaaaaaaaaaaa", &wrapped).is_err());
        // Another production's key does not open it.
        assert!(DataKey::generate().decrypt(std::io::Cursor::new(stored)).is_err());
    }
}

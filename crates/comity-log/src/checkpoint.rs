//! Checkpoints: the tree's size and root, signed as a C2SP signed note with Ed25519
//! (c2sp.org/tlog-checkpoint, c2sp.org/signed-note), so that `sumdb`-style tools and any
//! C2SP witness can check them.

use rand_core::OsRng;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

/// A log's signing key and its public verifier key, in the note formats
/// (`PRIVATE+KEY+name+hash+base64` and `name+hash+base64`).
#[derive(Clone)]
pub struct LogKey {
    signer: String,
    verifier: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey").field("verifier", &self.verifier).finish_non_exhaustive()
    }
}

/// Why a key or a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the key is not a valid note signer key: {0}")]
    Key(String),
    #[error("the checkpoint is malformed: {0}")]
    Malformed(String),
    #[error("the checkpoint's signature does not verify with the given key: {0}")]
    Signature(String),
}

impl LogKey {
    /// A new Ed25519 key for the log named `origin` (the checkpoint's first line).
    pub fn generate(origin: &str) -> LogKey {
        let (signer, verifier) = signed_note::generate_key(&mut OsRng, origin);
        LogKey { signer, verifier }
    }

    /// Reads a signer key saved with [`LogKey::signer_key`].
    pub fn from_signer_key(signer: &str) -> Result<LogKey, CheckpointError> {
        StandardSigner::new(signer.trim()).map_err(|e| CheckpointError::Key(e.to_string()))?;
        // The verifier key is derived from the signer key: name, key hash and public key.
        let verifier = verifier_of(signer.trim())
            .ok_or_else(|| CheckpointError::Key("cannot derive the verifier key".into()))?;
        Ok(LogKey { signer: signer.trim().to_owned(), verifier })
    }

    /// The private key, to be kept secret (in the data directory, mode 0600).
    pub fn signer_key(&self) -> &str {
        &self.signer
    }

    /// The public verifier key, to publish: `name+hash+base64`.
    pub fn verifier_key(&self) -> &str {
        &self.verifier
    }

    /// Signs a checkpoint for a tree of `size` entries with root `root`.
    pub fn sign(&self, origin: &str, size: u64, root: Hash) -> Result<Vec<u8>, CheckpointError> {
        let checkpoint =
            Checkpoint::new(origin, size, root, "").map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let mut note =
            Note::new(&checkpoint.to_bytes(), &[]).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let signer = StandardSigner::new(&self.signer).map_err(|e| CheckpointError::Key(e.to_string()))?;
        note.add_sigs(&[&signer]).map_err(|e| CheckpointError::Key(e.to_string()))?;
        Ok(note.to_bytes())
    }

    /// Signs one of comity's statements (such as its answer to an ask for further use of
    /// produced data) as a C2SP signed note with the log's key, so that whoever holds the
    /// log's published verifier key can check it offline. `text` is lines, each ending in
    /// a newline; its first line names what it is, which no checkpoint's origin line does.
    pub fn sign_statement(&self, text: &str) -> Result<Vec<u8>, CheckpointError> {
        let mut note =
            Note::new(text.as_bytes(), &[]).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        let signer = StandardSigner::new(&self.signer).map_err(|e| CheckpointError::Key(e.to_string()))?;
        note.add_sigs(&[&signer]).map_err(|e| CheckpointError::Key(e.to_string()))?;
        Ok(note.to_bytes())
    }
}

/// Verifies a statement signed with [`LogKey::sign_statement`] and returns its text.
pub fn verify_statement(note: &[u8], verifier_key: &str) -> Result<String, CheckpointError> {
    let verifier =
        StandardVerifier::new(verifier_key.trim()).map_err(|e| CheckpointError::Key(e.to_string()))?;
    let note = Note::from_bytes(note).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    String::from_utf8(note.text().to_vec()).map_err(|e| CheckpointError::Malformed(e.to_string()))
}

/// Derives `name+hash+base64` from `PRIVATE+KEY+name+hash+base64`.
fn verifier_of(signer: &str) -> Option<String> {
    use base64::{Engine, engine::general_purpose::STANDARD};
    let rest = signer.strip_prefix("PRIVATE+KEY+")?;
    // Split from the left: a note key name cannot contain '+' and the hash is 8 hex
    // digits, but standard base64 may contain '+', so splitting from the right would
    // break on about one key in several.
    let mut parts = rest.splitn(3, '+');
    let name = parts.next()?;
    let _hash = parts.next()?;
    let private = STANDARD.decode(parts.next()?).ok()?;
    let (alg, seed) = private.split_first()?;
    if *alg != 1 {
        return None;
    }
    let seed: [u8; 32] = seed.try_into().ok()?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    Some(signed_note::new_ed25519_verifier_key(name, &key))
}

/// Checks that `verifier_key` is a note verifier key (`name+hash+base64`, Ed25519), so a
/// mistyped key is named before anything is fetched.
pub fn check_verifier_key(verifier_key: &str) -> Result<(), CheckpointError> {
    StandardVerifier::new(verifier_key.trim()).map(|_| ()).map_err(|e| CheckpointError::Key(e.to_string()))
}

/// Verifies a signed checkpoint with a verifier key and returns its body.
pub fn verify_checkpoint(note: &[u8], verifier_key: &str) -> Result<Checkpoint, CheckpointError> {
    let verifier =
        StandardVerifier::new(verifier_key.trim()).map_err(|e| CheckpointError::Key(e.to_string()))?;
    let note = Note::from_bytes(note).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    Checkpoint::from_bytes(note.text()).map_err(|e| CheckpointError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_checkpoint_verifies_with_the_published_key_only() {
        let key = LogKey::generate("comity.example/log");
        assert!(key.verifier_key().starts_with("comity.example/log+"));
        let root = Hash([7; 32]);
        let note = key.sign("comity.example/log", 42, root).unwrap();
        let text = String::from_utf8(note.clone()).unwrap();
        // c2sp.org/tlog-checkpoint: origin, size, base64 root, blank line, signature.
        assert!(text.starts_with("comity.example/log\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n— comity.example/log "), "{text}");
        let checkpoint = verify_checkpoint(&note, key.verifier_key()).unwrap();
        assert_eq!(
            (checkpoint.origin(), checkpoint.size(), *checkpoint.hash()),
            ("comity.example/log", 42, root)
        );

        let other = LogKey::generate("comity.example/log");
        assert!(matches!(verify_checkpoint(&note, other.verifier_key()), Err(CheckpointError::Signature(_))));
        let tampered = text.replace("\n42\n", "\n43\n");
        assert!(verify_checkpoint(tampered.as_bytes(), key.verifier_key()).is_err());
    }

    /// Regression test: a private key whose base64 holds a '+' was misread (found by CI).
    #[test]
    fn a_saved_signer_key_gives_back_the_same_verifier_key() {
        let mut with_plus = 0;
        for _ in 0..300 {
            let key = LogKey::generate("comity.example/log");
            let again = LogKey::from_signer_key(key.signer_key()).unwrap();
            assert_eq!(again.verifier_key(), key.verifier_key());
            with_plus += usize::from(key.signer_key().matches('+').count() > 4);
        }
        assert!(with_plus > 0, "300 keys should include some whose base64 holds a '+'");
        let key = LogKey::generate("comity.example/log");
        assert!(LogKey::from_signer_key("PRIVATE+KEY+nonsense").is_err());
        assert!(!format!("{key:?}").contains("PRIVATE"), "the private key stays out of Debug");
    }
}

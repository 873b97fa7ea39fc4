//! The audit log's public face and its checkpoints.
//!
//! The tiles (c2sp.org/tlog-tiles) and proofs (RFC 9162 §2.1.3, §2.1.4) are read here from
//! the store; the transports only frame them. Checkpoints are signed here; the server's
//! checkpointer decides when, and hands each to the witnesses (c2sp.org/tlog-witness).

use std::sync::Arc;

use comity_core::{StoreError, StoredCheckpoint};
use comity_log::{Hash, HashMapReader, LogKey, TilePath, hashes_needed};

use crate::{App, Error, Result};

/// A tile or entry bundle, and whether it is full (a full tile never changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    pub bytes: Vec<u8>,
    pub full: bool,
}

impl App {
    /// The latest checkpoint with any witness cosignature lines appended
    /// (c2sp.org/signed-note: signature lines follow each other at the end).
    pub async fn served_checkpoint(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.store().latest_checkpoint().await?.map(|c| served(&c)))
    }

    /// A hash tile or an entry bundle, by its path under `tile/` (c2sp.org/tlog-tiles).
    pub async fn tile(&self, path: &str) -> Result<Tile> {
        let tile = TilePath::parse(&format!("tile/{path}")).map_err(|e| Error::BadInput(e.to_string()))?;
        let store = self.store();
        let size = store.log_size().await?;
        if !tile.exists_in(size) {
            return Err(Error::NotFound(format!("the log of {size} entries does not hold {tile} yet")));
        }
        let bytes = if tile.is_entries() {
            let (first, count) = tile.entry_range();
            let records = store.log_records(first, u32::try_from(count).unwrap_or(u32::MAX)).await?;
            if records.len() as u64 != count {
                return Err(Error::corrupt(format!(
                    "log_entries lacks entries of {tile}: found {} of {count}",
                    records.len()
                )));
            }
            comity_log::encode_bundle(records.iter().map(|r| r.entry.as_slice())).map_err(Error::internal)?
        } else {
            let needed = hashes_needed(|r| comity_log::hash_tile(tile.tile(), r));
            let reader = self.read_hashes(&needed).await?;
            comity_log::hash_tile(tile.tile(), &reader).map_err(Error::internal)?
        };
        Ok(Tile { bytes, full: tile.is_full() })
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>> {
        self.check_size(size).await?;
        if index >= size {
            return Err(Error::BadInput(format!("entry {index} is not in a tree of {size} entries")));
        }
        let needed = hashes_needed(|r| comity_log::inclusion_proof(index, size, r));
        let reader = self.read_hashes(&needed).await?;
        comity_log::inclusion_proof(index, size, &reader).map_err(Error::internal)
    }

    /// The consistency proof between the trees of `from` and `to` entries.
    pub async fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        self.check_size(to).await?;
        if from == 0 || from > to {
            return Err(Error::BadInput(format!(
                "a consistency proof needs 1 <= from <= to; got from={from}, to={to}"
            )));
        }
        let needed = hashes_needed(|r| comity_log::consistency_proof(from, to, r));
        let reader = self.read_hashes(&needed).await?;
        comity_log::consistency_proof(from, to, &reader).map_err(Error::internal)
    }

    async fn check_size(&self, size: u64) -> Result<()> {
        let log = self.store().log_size().await?;
        if size > log {
            return Err(Error::BadInput(format!("the log holds {log} entries, fewer than {size}")));
        }
        Ok(())
    }

    async fn read_hashes(&self, indexes: &[u64]) -> Result<HashMapReader> {
        Ok(indexes.iter().copied().zip(self.log_hashes(indexes).await?).collect())
    }
}

/// A checkpoint's note with its witnesses' cosignature lines appended.
pub fn served(c: &StoredCheckpoint) -> Vec<u8> {
    let mut note = c.note.clone();
    for line in &c.cosignatures {
        note.extend_from_slice(line.trim_end().as_bytes());
        note.push(b'\n');
    }
    note
}

/// The store's checkpoint signer for the log `origin`.
fn signer(key: LogKey, origin: String) -> Arc<comity_core::CheckpointSigner> {
    Arc::new(move |size, root| key.sign(&origin, size, Hash(*root)).map_err(|e| e.to_string()))
}

impl App {
    /// Signs a checkpoint if the log has grown since the last one: the log records it as
    /// an entry of its own and signs the tree that includes it. `None` if it has not grown.
    pub async fn sign_checkpoint(&self, key: &LogKey, origin: &str) -> Result<Option<StoredCheckpoint>> {
        let sign = signer(key.clone(), origin.to_owned());
        Ok(self.store().checkpoint(sign).await?)
    }

    /// Keeps a witness's cosignature line of checkpoint `seq`, served with it from then on.
    pub async fn keep_cosignature(&self, seq: u64, line: &str) -> Result<()> {
        Ok(self.store().add_cosignature(seq, line).await?)
    }

    /// Stored tree hashes by stored-hash index, in the order asked (what a consistency
    /// proof for a witness reads).
    pub async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>> {
        let hashes = self.store().log_hashes(indexes).await.map_err(|e| match e {
            StoreError::NotFound => Error::corrupt("log_hashes lacks a hash of the tree"),
            e => e.into(),
        })?;
        Ok(hashes.into_iter().map(Hash).collect())
    }
}

/// Why a store is not the log its checkpoints signed. A server refuses to start on it,
/// and `comity log verify --data-dir` names it: serving it would fork the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Mismatch {}

impl App {
    /// Whether this server's keys are those of the other servers of its database (issue
    /// 17): the first server to start keeps its log's verifier key and a check sealed with
    /// its server key in the database; a later server with another log key would fork the
    /// log's signatures, and one with another server key could open none of the secrets
    /// and documents sealed before. Either refuses to start, saying which file to copy.
    pub async fn check_shared_keys(
        &self,
        dir: &crate::data_dir::DataDir,
        key: &LogKey,
    ) -> Result<std::result::Result<(), Mismatch>> {
        const CHECK: &[u8] = b"comity server key check";
        let store = self.store();
        let kept = store.claim("log_verifier_key", key.verifier_key()).await?;
        if kept != key.verifier_key() {
            return Ok(Err(Mismatch(format!(
                "this database's log is signed by the key {kept}, but {} holds {}: every server of one \
                 database needs the same log key file; copy it from the server that created the log",
                dir.path().join(crate::data_dir::LOG_KEY_FILE).display(),
                key.verifier_key()
            ))));
        }
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let server_key = &self.settings().server_key;
        let sealed = b64.encode(server_key.seal(CHECK, b"deployment"));
        let kept = store.claim("server_key_check", &sealed).await?;
        let opens = b64.decode(kept.as_bytes()).ok().and_then(|k| server_key.open(&k, b"deployment").ok());
        if opens.as_deref() != Some(CHECK) {
            return Ok(Err(Mismatch(format!(
                "this database's secrets and documents are sealed with another server key than the one in {}: \
                 every server of one database needs the same server key file; copy it from the server that \
                 created the database",
                dir.path().join(crate::data_dir::SERVER_KEY_FILE).display()
            ))));
        }
        Ok(Ok(()))
    }

    /// The store against the checkpoints signed for it: those in the database, and the
    /// one the server keeps in the data directory, apart from the database, so that a
    /// database put back from an older copy is caught as Sunlight's kept checkpoint
    /// catches it. Each must verify with `key`, sign no more entries than the store holds,
    /// and (the kept one) sign the root the store's tree has at its size: a restored copy
    /// written to since has grown past the kept size, but not along the same tree.
    pub async fn check_signed_log(
        &self,
        dir: &crate::data_dir::DataDir,
        key: &LogKey,
    ) -> Result<std::result::Result<(), Mismatch>> {
        // Read in the order a running server writes them (the database's checkpoint, then
        // the kept file), backwards, so that one signing meanwhile cannot look like a cut.
        let kept_note = dir.kept_checkpoint().map_err(Error::internal)?;
        let latest = self.store().latest_checkpoint().await?;
        let size = self.store().log_size().await?;
        let key_file = dir.path().join(crate::data_dir::LOG_KEY_FILE);
        if let Some(latest) = latest {
            // A log has one key for life. A server whose key did not sign the stored
            // checkpoints (a lost key file, or a second PostgreSQL server given a fresh
            // one) would fork the log's signatures.
            if let Err(e) = comity_log::verify_checkpoint(&latest.note, key.verifier_key()) {
                return Ok(Err(Mismatch(format!(
                    "the log's checkpoints were not signed by the key in {} ({e}); every server of one log \
                     needs the same key file: copy it from the server that created the log",
                    key_file.display()
                ))));
            }
            if latest.size > size {
                return Ok(Err(Mismatch(format!(
                    "the database holds {size} log entries, but its checkpoint {} signs {}: the log was cut \
                     short; restore the database from the copy that was running",
                    latest.seq, latest.size
                ))));
            }
        }
        let kept_file = dir.path().join(crate::data_dir::CHECKPOINT_FILE);
        let Some(note) = kept_note else { return Ok(Ok(())) };
        let kept = match comity_log::verify_checkpoint(&note, key.verifier_key()) {
            Ok(kept) => kept,
            Err(e) => {
                return Ok(Err(Mismatch(format!(
                    "{} is not a checkpoint of this log ({e}); it is the checkpoint the server signed \
                     last, and only a server of another log would have written it",
                    kept_file.display()
                ))));
            }
        };
        let restored = "the database was restored from an older copy or entries were deleted, and serving \
                        it would fork the log; restore the database that was running";
        if kept.size() > size {
            return Ok(Err(Mismatch(format!(
                "the database holds {size} log entries, but the checkpoint this server signed and kept in {} \
                 signs {}: {restored}",
                kept_file.display(),
                kept.size()
            ))));
        }
        let needed = hashes_needed(|r| comity_log::root(kept.size(), r));
        let reader = self.read_hashes(&needed).await?;
        let root = comity_log::root(kept.size(), &reader).map_err(Error::internal)?;
        if root != *kept.hash() {
            return Ok(Err(Mismatch(format!(
                "the checkpoint this server signed and kept in {} signs a tree of {} entries that the \
                 database's log does not have (its first {} entries hash to another root): {restored}",
                kept_file.display(),
                kept.size(),
                kept.size()
            ))));
        }
        Ok(Ok(()))
    }
}

//! comity's verifiable audit log.
//!
//! Every step of every request (a lifecycle event, a screening, a decision, a read of
//! personal data) becomes an entry in an append-only Merkle tree, in the formats of the
//! C2SP transparency-log specifications (tlog-tiles, tlog-checkpoint, signed-note), so
//! that tools nobody at comity wrote can check it. An auditor holding only the log's
//! public key can verify that no entry was ever changed, removed or reordered.
//!
//! This crate is sans I/O and depends on no other crate of comity: it is the part an
//! outside auditor would want to read, and it must not change when the rest does.
//!
//! ```
//! use comity_log::{ProofError, verify_consistency};
//! let root = [0u8; 32];
//! // A tree cannot be shown consistent with an empty one: that would prove nothing.
//! assert!(matches!(verify_consistency(0, 5, &root, &root, &[]), Err(ProofError::Impossible(_))));
//! ```
//!
//! **Testing.** With the `testing` feature, `testing` publishes a small sample log as
//! C2SP tiles, for the tests of the crates that read a published log.

pub mod audit;
mod checkpoint;
mod entry;
mod proof;
#[cfg(feature = "testing")]
pub mod testing;
mod tiles;
mod tree;
mod witness;

pub use audit::{AuditError, LogVerifier, Verified, sample};
pub use checkpoint::{CheckpointError, LogKey, check_verifier_key, verify_checkpoint, verify_statement};
pub use entry::{
    ENTRY_HEADER, ENTRY_HEADER_V1, Entry, EntryError, RequestTag, Salt, Version, commit, commit_as,
};
pub use proof::{ProofError, verify_consistency, verify_inclusion};
pub use tiles::{
    BundleError, TILE_HEIGHT, TILE_WIDTH, TilePath, TilePathError, decode_bundle, encode_bundle,
};
pub use tlog_tiles::{Checkpoint, Hash};
pub use tlog_tiles::{EMPTY_HASH, HashReader, Tile};
pub use tree::{
    Appended, Frontier, HashMapReader, MemoryTree, Recorder, TreeError, consistency_proof, hash_tile,
    hashes_needed, inclusion_proof, leaf_hash, root,
};
pub use witness::{
    Accepted, AddCheckpoint, COSIGNATURE_V1_ED25519, KnownLogs, MAX_PROOF_LINES, Refusal,
    TLOG_SIZE_CONTENT_TYPE, WitnessError, WitnessKey, Witnessed, add_checkpoint, add_cosignatures,
    encode_add_checkpoint, parse_add_checkpoint, parse_tlog_size, verify_cosignature,
};

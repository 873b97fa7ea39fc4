//! Verifying RFC 9162 proofs.
//!
//! The Merkle math is `tlog_tiles`' (cloudflare/azul, a port of Go's
//! `golang.org/x/mod/sumdb/tlog`), not comity's own: an audit log is only as trustworthy
//! as the code that checks it, and that code is used and reviewed far more widely. This
//! module states the RFC's preconditions explicitly, so that a verifier built on it
//! answers every case of the transparency-dev test vectors as the RFC does.
//!
//! Hashes come in as byte strings, as they arrive from outside (a checkpoint, a proof in
//! JSON): one of the wrong length is not a hash, and a proof that needs it is invalid.

use tlog_tiles::{Hash, check_record, check_tree};

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The sizes or the index do not describe a provable statement (RFC 9162 §2.1.3.2:
    /// `leaf_index < tree_size`; §2.1.4.2: `0 < first <= second`).
    #[error("{0}")]
    Impossible(&'static str),
    /// The proof does not lead from the given hash(es) to the given root(s).
    #[error("the proof does not verify")]
    Invalid,
}

fn hash(bytes: &[u8]) -> Result<Hash, ProofError> {
    bytes.try_into().map(Hash).map_err(|_| ProofError::Invalid)
}

fn hashes(proof: &[&[u8]]) -> Result<Vec<Hash>, ProofError> {
    proof.iter().map(|h| hash(h)).collect()
}

/// Checks that the leaf `leaf_hash` is at `leaf_index` in the tree of `tree_size`
/// entries with root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: &[u8],
    proof: &[&[u8]],
    root: &[u8],
) -> Result<(), ProofError> {
    if leaf_index >= tree_size {
        return Err(ProofError::Impossible("the leaf index is not inside the tree"));
    }
    check_record(&hashes(proof)?, tree_size, hash(root)?, leaf_index, hash(leaf_hash)?)
        .map_err(|_| ProofError::Invalid)
}

/// Checks that the tree of `size1` entries with root `root1` is a prefix of the tree of
/// `size2` entries with root `root2` (RFC 9162 §2.1.4.2). A tree of size 0 proves
/// nothing, so it is refused rather than accepted vacuously.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[&[u8]],
) -> Result<(), ProofError> {
    if size1 == 0 {
        return Err(ProofError::Impossible("consistency with an empty tree proves nothing"));
    }
    if size1 > size2 {
        return Err(ProofError::Impossible("the first tree is larger than the second"));
    }
    // RFC 9162 §2.1.4.2 step 1: equal sizes verify when the proof is empty and the roots
    // are equal. `tlog_tiles::check_tree` refuses this case (the vector
    // "sizes-are-equal-one-and-proof-is-empty" caught it), so it is stated here.
    if size1 == size2 {
        return if proof.is_empty() && root1 == root2 { Ok(()) } else { Err(ProofError::Invalid) };
    }
    check_tree(&hashes(proof)?, size2, hash(root2)?, size1, hash(root1)?).map_err(|_| ProofError::Invalid)
}

//! The Merkle tree as stored hashes.
//!
//! `tlog_tiles` (like Go's `sumdb/tlog`, and the C2SP tlog-tiles layout) keeps every
//! interior hash that is complete, indexed by `stored_hash_index(level, n)`; appending
//! entry `n` adds `stored_hash_count(n + 1) - stored_hash_count(n)` hashes. A store keeps
//! the same list in a table; [`MemoryTree`] keeps it in memory, for tests and for
//! verifiers that rebuild a tree from its entries.

use tlog_tiles::{
    Hash, HashReader, RecordProof, TreeProof, prove_record, prove_tree, record_hash, stored_hashes, tree_hash,
};

/// A tree held in memory: the list of stored hashes.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

/// Why a tree operation failed: an index outside the tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TreeError(String);

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| self.hashes.get(i as usize).copied().ok_or(tlog_tiles::Error::IndexesNotInTree))
            .collect()
    }
}

impl MemoryTree {
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends an entry's bytes and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, TreeError> {
        let n = self.size;
        let new = stored_hashes(n, entry, self).map_err(|e| TreeError(e.to_string()))?;
        self.hashes.extend(new);
        self.size += 1;
        Ok(n)
    }

    /// The root of the tree of the first `size` entries (RFC 9162 §2.1.1).
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        if size > self.size {
            return Err(TreeError(format!("the tree has {} entries, not {size}", self.size)));
        }
        tree_hash(size, self).map_err(|e| TreeError(e.to_string()))
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<RecordProof, TreeError> {
        if size > self.size {
            return Err(TreeError(format!("the tree has {} entries, not {size}", self.size)));
        }
        prove_record(size, index, self).map_err(|e| TreeError(e.to_string()))
    }

    /// The consistency proof between the trees of `from` and `to` entries.
    pub fn prove_consistency(&self, from: u64, to: u64) -> Result<TreeProof, TreeError> {
        if to > self.size || from == 0 || from > to {
            return Err(TreeError(format!(
                "no consistency proof from {from} to {to} in a tree of {}",
                self.size
            )));
        }
        if from == to {
            return Ok(Vec::new());
        }
        prove_tree(to, from, self).map_err(|e| TreeError(e.to_string()))
    }

    /// The leaf hash of an entry's bytes (RFC 9162 §2.1.1: SHA-256(0x00 ‖ entry)).
    pub fn leaf_hash(entry: &[u8]) -> Hash {
        record_hash(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{verify_consistency, verify_inclusion};

    #[test]
    fn every_proof_of_a_built_tree_verifies_and_a_changed_entry_does_not() {
        let mut tree = MemoryTree::new();
        let entries: Vec<Vec<u8>> = (0..40).map(|i| format!("entry {i}").into_bytes()).collect();
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(tree.append(e).unwrap(), i as u64);
        }
        for size in 1..=40u64 {
            let root = tree.root(size).unwrap();
            for index in 0..size {
                let proof = tree.prove_inclusion(index, size).unwrap();
                let refs: Vec<&[u8]> = proof.iter().map(|h| h.0.as_slice()).collect();
                let leaf = MemoryTree::leaf_hash(&entries[index as usize]);
                assert_eq!(
                    verify_inclusion(index, size, &leaf.0, &refs, &root.0),
                    Ok(()),
                    "{index} in {size}"
                );
                let forged = MemoryTree::leaf_hash(b"forged");
                assert!(verify_inclusion(index, size, &forged.0, &refs, &root.0).is_err());
            }
            for from in 1..=size {
                let proof = tree.prove_consistency(from, size).unwrap();
                let refs: Vec<&[u8]> = proof.iter().map(|h| h.0.as_slice()).collect();
                let old = tree.root(from).unwrap();
                assert_eq!(
                    verify_consistency(from, size, &old.0, &root.0, &refs),
                    Ok(()),
                    "{from} -> {size}"
                );
            }
        }
        // A log that rewrote entry 3 cannot prove consistency with its earlier self.
        let mut forked = MemoryTree::new();
        for (i, e) in entries.iter().enumerate() {
            forked.append(if i == 3 { b"rewritten" } else { e }).unwrap();
        }
        let proof = forked.prove_consistency(10, 40).unwrap();
        let refs: Vec<&[u8]> = proof.iter().map(|h| h.0.as_slice()).collect();
        let honest_old = tree.root(10).unwrap();
        let forked_new = forked.root(40).unwrap();
        assert!(verify_consistency(10, 40, &honest_old.0, &forked_new.0, &refs).is_err());
    }
}

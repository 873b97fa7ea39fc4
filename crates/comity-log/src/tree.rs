//! The Merkle tree as stored hashes.
//!
//! `tlog_tiles` (like Go's `sumdb/tlog`, and the C2SP tlog-tiles layout) keeps every
//! interior hash that is complete, indexed by `stored_hash_index(level, n)`; appending
//! entry `n` adds `stored_hash_count(n + 1) - stored_hash_count(n)` hashes. A store keeps
//! the same list in a table. Three pieces work on that list:
//!
//! - [`Frontier`] appends: it holds only the roots of the complete subtrees on the right
//!   edge (at most 64 hashes), which is all an append or a root needs, so a sequencer
//!   never reads the tree back to grow it.
//! - [`inclusion_proof`], [`consistency_proof`], [`root`] and [`hash_tile`] read it
//!   through a `HashReader`; [`hashes_needed`] says beforehand which hashes they will
//!   read, so a store can fetch exactly those with one query and answer from a
//!   [`HashMapReader`].
//! - [`MemoryTree`] keeps the whole list in memory, for tests and for verifiers that
//!   rebuild a tree from its entries.

use std::{cell::RefCell, collections::HashMap};

use tlog_tiles::{
    Hash, HashReader, Tile, node_hash, prove_record, prove_tree, record_hash, stored_hash_index,
    sub_tree_index, tree_hash,
};

/// Why a tree operation failed: an index outside the tree, or a hash the reader lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TreeError(String);

impl TreeError {
    fn from_tlog(e: tlog_tiles::Error) -> TreeError {
        TreeError(e.to_string())
    }
}

/// The leaf hash of an entry's bytes (RFC 9162 §2.1.1: SHA-256(0x00 ‖ entry)).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    record_hash(entry)
}

/// The growing edge of a tree: its size and the roots of its complete subtrees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontier {
    size: u64,
    /// The hashes at `Frontier::indexes(size)`, in that order.
    hashes: Vec<Hash>,
}

/// What one append adds to the stored hashes: `hashes[i]` is stored at `first + i`.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    /// The entry's index in the tree.
    pub index: u64,
    pub first: u64,
    pub hashes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// The stored-hash indexes a frontier of a tree of `size` entries holds.
    pub fn indexes(size: u64) -> Vec<u64> {
        if size == 0 { Vec::new() } else { sub_tree_index(0, size, Vec::new()) }
    }

    /// The frontier of a tree of `size` entries, from the hashes at
    /// [`Frontier::indexes`]`(size)`, read from a store.
    pub fn from_hashes(size: u64, hashes: Vec<Hash>) -> Result<Frontier, TreeError> {
        if hashes.len() != Frontier::indexes(size).len() {
            return Err(TreeError(format!(
                "a tree of {size} entries has {} frontier hashes, not {}",
                Frontier::indexes(size).len(),
                hashes.len()
            )));
        }
        Ok(Frontier { size, hashes })
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree's root (RFC 9162 §2.1.1): the subtree roots folded from the right.
    pub fn root(&self) -> Hash {
        let mut nodes = self.hashes.iter().rev();
        let Some(last) = nodes.next() else { return tlog_tiles::EMPTY_HASH };
        nodes.fold(*last, |right, left| node_hash(*left, right))
    }

    /// Appends an entry: returns its index and the hashes to store.
    ///
    /// Entry `n`'s leaf completes one subtree per trailing 1 bit of `n`: each pops its left
    /// sibling off the frontier. The hashes come out in `tlog_tiles`' stored order (the
    /// leaf, then each completed parent), as `stored_hashes` would give them.
    pub fn append(&mut self, entry: &[u8]) -> Appended {
        let n = self.size;
        let mut hash = record_hash(entry);
        let mut hashes = Vec::with_capacity(1 + (n + 1).trailing_zeros() as usize);
        hashes.push(hash);
        let mut level = 0;
        while (n >> level) & 1 == 1 {
            // The frontier holds a subtree root for each 1 bit of n, so this never fails.
            let Some(left) = self.hashes.pop() else { break };
            hash = node_hash(left, hash);
            hashes.push(hash);
            level += 1;
        }
        self.hashes.push(hash);
        self.size = n + 1;
        Appended { index: n, first: stored_hash_index(0, n), hashes }
    }
}

/// Stored hashes by index: the answer to a [`hashes_needed`] query.
#[derive(Debug, Clone, Default)]
pub struct HashMapReader(HashMap<u64, Hash>);

impl FromIterator<(u64, Hash)> for HashMapReader {
    fn from_iter<I: IntoIterator<Item = (u64, Hash)>>(iter: I) -> Self {
        HashMapReader(iter.into_iter().collect())
    }
}

impl HashReader for HashMapReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes.iter().map(|i| self.0.get(i).copied().ok_or(tlog_tiles::Error::IndexesNotInTree)).collect()
    }
}

/// A reader that answers zeros and remembers what was asked.
#[derive(Debug, Default)]
pub struct Recorder(RefCell<Vec<u64>>);

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash::default(); indexes.len()])
    }
}

/// The stored-hash indexes that `read` reads. Which hashes a proof, a root or a tile
/// needs depends only on the sizes and indexes, never on the hashes' values, so a dry run
/// against a [`Recorder`] lists them.
pub fn hashes_needed<T>(read: impl FnOnce(&Recorder) -> T) -> Vec<u64> {
    let recorder = Recorder::default();
    let _ = read(&recorder);
    let mut indexes = recorder.0.into_inner();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
}

/// The root of the tree of the first `size` entries (RFC 9162 §2.1.1).
pub fn root<R: HashReader>(size: u64, reader: &R) -> Result<Hash, TreeError> {
    tree_hash(size, reader).map_err(TreeError::from_tlog)
}

/// The inclusion proof of entry `index` in the tree of `size` entries (RFC 9162 §2.1.3.1).
pub fn inclusion_proof<R: HashReader>(index: u64, size: u64, reader: &R) -> Result<Vec<Hash>, TreeError> {
    if index >= size {
        return Err(TreeError(format!("entry {index} is not in a tree of {size} entries")));
    }
    prove_record(size, index, reader).map_err(TreeError::from_tlog)
}

/// The consistency proof between the trees of `from` and `to` entries (RFC 9162
/// §2.1.4.1). Empty when the sizes are equal.
pub fn consistency_proof<R: HashReader>(from: u64, to: u64, reader: &R) -> Result<Vec<Hash>, TreeError> {
    if from == 0 || from > to {
        return Err(TreeError(format!("no consistency proof from a tree of {from} entries to one of {to}")));
    }
    if from == to {
        return Ok(Vec::new());
    }
    prove_tree(to, from, reader).map_err(TreeError::from_tlog)
}

/// A hash tile's bytes: its hashes, 32 bytes each (c2sp.org/tlog-tiles).
pub fn hash_tile<R: HashReader>(tile: &Tile, reader: &R) -> Result<Vec<u8>, TreeError> {
    tile.read_data(reader).map_err(TreeError::from_tlog)
}

/// A tree held in memory: the list of stored hashes.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    frontier: Frontier,
}

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
        self.frontier.size()
    }

    /// Appends an entry's bytes and returns its index.
    pub fn append(&mut self, entry: &[u8]) -> u64 {
        let appended = self.frontier.append(entry);
        debug_assert_eq!(appended.first, self.hashes.len() as u64);
        self.hashes.extend(appended.hashes);
        appended.index
    }

    fn check(&self, size: u64) -> Result<(), TreeError> {
        if size > self.size() {
            return Err(TreeError(format!("the tree has {} entries, not {size}", self.size())));
        }
        Ok(())
    }

    /// The root of the tree of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        self.check(size)?;
        root(size, self)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        self.check(size)?;
        inclusion_proof(index, size, self)
    }

    /// The consistency proof between the trees of `from` and `to` entries.
    pub fn prove_consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, TreeError> {
        self.check(to)?;
        consistency_proof(from, to, self)
    }

    /// The leaf hash of an entry's bytes.
    pub fn leaf_hash(entry: &[u8]) -> Hash {
        leaf_hash(entry)
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
            assert_eq!(tree.append(e), i as u64);
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
            forked.append(if i == 3 { b"rewritten" } else { e });
        }
        let proof = forked.prove_consistency(10, 40).unwrap();
        let refs: Vec<&[u8]> = proof.iter().map(|h| h.0.as_slice()).collect();
        let honest_old = tree.root(10).unwrap();
        let forked_new = forked.root(40).unwrap();
        assert!(verify_consistency(10, 40, &honest_old.0, &forked_new.0, &refs).is_err());
    }

    /// A sequencer that keeps only the frontier, and reloads it from stored hashes as a
    /// restarted process would, stores exactly the hashes `tlog_tiles::stored_hashes`
    /// gives over the whole list, and has the same root as `tree_hash`.
    #[test]
    fn the_frontier_grows_the_reference_tree_and_reloads_from_stored_hashes() {
        struct Reference(Vec<Hash>);
        impl HashReader for Reference {
            fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
                Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
            }
        }
        let mut reference = Reference(Vec::new());
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), tlog_tiles::EMPTY_HASH);
        for i in 0..600u64 {
            let entry = format!("entry {i}");
            let expected = tlog_tiles::stored_hashes(i, entry.as_bytes(), &reference).unwrap();
            let appended = frontier.append(entry.as_bytes());
            assert_eq!((appended.index, appended.first), (i, reference.0.len() as u64));
            assert_eq!(appended.hashes, expected, "entry {i}");
            reference.0.extend(expected);
            assert_eq!(frontier.root(), tree_hash(i + 1, &reference).unwrap(), "size {}", i + 1);
            if i % 37 == 0 {
                let hashes = reference.read_hashes(&Frontier::indexes(i + 1)).unwrap();
                frontier = Frontier::from_hashes(i + 1, hashes).unwrap();
            }
        }
        assert!(Frontier::from_hashes(5, vec![Hash::default()]).is_err());
    }

    /// Proofs built from only the hashes `hashes_needed` names equal proofs built from
    /// the whole tree: a store can fetch exactly those.
    #[test]
    fn the_hashes_a_proof_needs_are_known_beforehand() {
        let mut tree = MemoryTree::new();
        for i in 0..300u64 {
            tree.append(format!("entry {i}").as_bytes());
        }
        let only = |indexes: Vec<u64>| -> HashMapReader {
            indexes.iter().map(|&i| (i, tree.read_hashes(&[i]).unwrap()[0])).collect()
        };
        for (index, size) in [(0, 1), (5, 300), (299, 300), (128, 257)] {
            let reader = only(hashes_needed(|r| inclusion_proof(index, size, r)));
            assert_eq!(
                inclusion_proof(index, size, &reader).unwrap(),
                tree.prove_inclusion(index, size).unwrap()
            );
        }
        for (from, to) in [(1, 2), (7, 300), (256, 300), (300, 300)] {
            let reader = only(hashes_needed(|r| consistency_proof(from, to, r)));
            assert_eq!(
                consistency_proof(from, to, &reader).unwrap(),
                tree.prove_consistency(from, to).unwrap()
            );
        }
        let reader = only(hashes_needed(|r| root(300, r)));
        assert_eq!(root(300, &reader).unwrap(), tree.root(300).unwrap());
        let tile = Tile::new(8, 0, 1, 44, false);
        let reader = only(hashes_needed(|r| hash_tile(&tile, r)));
        assert_eq!(hash_tile(&tile, &reader).unwrap(), hash_tile(&tile, &tree).unwrap());
        assert!(inclusion_proof(300, 300, &tree).is_err());
        assert!(consistency_proof(0, 300, &tree).is_err());
    }
}

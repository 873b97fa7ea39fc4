//! Auditing a published log: rebuilding the tree from its entries, checking the served
//! hash tiles and the signed checkpoints against it, and drawing audit samples.
//!
//! Sans I/O, like the rest of the crate: the caller fetches the tiles (see
//! [`tiles_at`]) and feeds them in order to a [`LogVerifier`].
//!
//! ```
//! use comity_log::{LogKey, MemoryTree, TilePath, encode_bundle, verify_checkpoint};
//! use comity_log::audit::LogVerifier;
//! # use comity_log::{Entry, commit, Salt};
//! # let entry = Entry::v1("read", chrono::Utc::now(), Some("r1"), "comity", commit(&Salt([1; 32]), b"x")).unwrap();
//! let entries = vec![entry.to_bytes(); 3];
//! let mut tree = MemoryTree::new();
//! entries.iter().for_each(|e| { tree.append(e); });
//! let key = LogKey::generate("example.org/log");
//! let note = key.sign("example.org/log", 3, tree.root(3).unwrap()).unwrap();
//! let checkpoint = verify_checkpoint(&note, key.verifier_key()).unwrap();
//!
//! let mut verifier = LogVerifier::new();
//! let bundle = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
//! verifier.push_bundle(&TilePath::entries(0, 3), &bundle).unwrap();
//! let verified = verifier.finish(&checkpoint).unwrap();
//! assert_eq!(verified.size, 3);
//! ```
//!
//! # Memory
//!
//! A verifier keeps the right edge of the tree (at most 64 hashes), the leaf hashes of the
//! last two data tiles (16 KiB), and every hash at the tree levels 8, 16, 24, … that hash
//! tiles of level ≥ 1 list: 32 bytes per 256 entries, about 0.126 byte per entry (126 MB
//! for a billion entries). With [`LogVerifier::collect_requests`] it also keeps each
//! distinct request (its tag, or its id in a v1 entry) once.
//!
//! # Audit sampling
//!
//! [`sample`] draws requests to audit from a signed checkpoint, so that neither the
//! operator nor the auditor chooses them and anyone can recompute the draw. See its
//! documentation, and `docs/log.md`.

use std::collections::HashSet;

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use tlog_tiles::{Checkpoint, EMPTY_HASH, Hash, node_hash, record_hash};

use crate::{TILE_HEIGHT, TILE_WIDTH, TilePath, entry::Fields};

fn b64(hash: &Hash) -> String {
    STANDARD.encode(hash.0)
}

/// Why an audit failed: a discrepancy between what the log serves and what it signed
/// (always naming the first one precisely), or a misuse of the verifier by its caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// An entry that `Entry::from_bytes` refuses (malformed or not canonical).
    #[error("entry {index} is not a comity log entry: {reason}")]
    Entry { index: u64, reason: String },
    /// A data tile that is not an entry bundle of as many entries as its path says.
    #[error("tile {tile} {problem}")]
    Bundle { tile: String, problem: String },
    /// A served hash tile that is not the one the entries give.
    #[error(
        "tile {tile} differs from the entries at hash {index} ({covers}): it serves {found}, the entries give {expected}"
    )]
    HashTile { tile: String, index: u64, covers: String, expected: String, found: String },
    /// A served hash tile of the wrong length.
    #[error("tile {tile} is {found} bytes long, {width} hashes are {expected}")]
    HashTileLength { tile: String, width: u32, expected: usize, found: usize },
    /// The entries read are not as many as the checkpoint says.
    #[error("the log serves {found} entries for a checkpoint of {expected}")]
    Size { expected: u64, found: u64 },
    /// The tree of the entries does not have the checkpoint's root.
    #[error("the tree of {size} entries has root {computed}, the checkpoint says {claimed}")]
    Root { size: u64, computed: String, claimed: String },
    /// The first entries do not have the root an earlier checkpoint signed: the log was
    /// rewritten since (a fork).
    #[error(
        "the log is not consistent with the earlier checkpoint: its first {size} entries have root {computed}, \
         the earlier checkpoint says {claimed}"
    )]
    Inconsistent { size: u64, computed: String, claimed: String },
    /// The earlier checkpoint is larger than the current one.
    #[error("the earlier checkpoint has {earlier} entries, the current one only {now}: the log shrank")]
    Shrunk { earlier: u64, now: u64 },
    /// The earlier checkpoint names another log.
    #[error("the earlier checkpoint is for the log {earlier:?}, the current one for {now:?}")]
    Origin { earlier: String, now: String },
    /// The caller asked something the verifier cannot answer (a tile out of order, a hash
    /// tile whose entries it has not read or no longer keeps). Not a discrepancy of the log.
    #[error("{0}")]
    Misuse(String),
}

impl AuditError {
    /// Whether this is a discrepancy of the log (rather than a misuse by the caller).
    pub fn is_discrepancy(&self) -> bool {
        !matches!(self, AuditError::Misuse(_))
    }
}

/// What a [`LogVerifier`] established.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The size of the earlier checkpoint the log was found consistent with, if one was given.
    pub consistent_with: Option<u64>,
    /// The distinct requests (tags, or ids in v1 entries) in order of first appearance, when collected.
    pub requests: Vec<String>,
}

#[derive(Debug, Clone)]
struct Earlier {
    origin: String,
    size: u64,
    root: Hash,
}

#[derive(Debug, Clone, Default)]
struct Requests {
    seen: HashSet<String>,
    order: Vec<String>,
}

/// Rebuilds a log's tree from its entries, fed in order, and checks served hash tiles and
/// checkpoints against it.
///
/// The hashing is `tlog_tiles`' (`record_hash`, `node_hash`); the verifier keeps the
/// right edge of the tree as the roots of its complete subtrees, as [`crate::Frontier`]
/// does, without its stored-hash bookkeeping, so an append costs one leaf hash and on
/// average one node hash, and allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct LogVerifier {
    size: u64,
    /// The roots of the complete subtrees on the right edge, largest first: one per bit
    /// set in `size`.
    edge: Vec<Hash>,
    /// The leaf hashes from entry `leaves_from` on: the last complete data tile's and the
    /// current one's.
    leaves: Vec<Hash>,
    leaves_from: u64,
    /// `rows[k]` lists every hash at tree level 8·(k+1), left to right: the hashes that the
    /// hash tiles of level k+1 serve.
    rows: Vec<Vec<Hash>>,
    earlier: Option<Earlier>,
    requests: Option<Requests>,
}

impl LogVerifier {
    /// A verifier of the empty tree.
    pub fn new() -> LogVerifier {
        LogVerifier::default()
    }

    /// Also collect the distinct requests (tags, or ids in v1 entries), in order of first appearance (for [`sample`]).
    pub fn collect_requests(mut self) -> LogVerifier {
        self.requests = Some(Requests::default());
        self
    }

    /// Also check that the log is consistent with an earlier verified checkpoint: the
    /// tree of its first `earlier.size()` entries must have the earlier root. The verifier
    /// computes that root when it reaches that size, which is cheaper than a consistency
    /// proof and proves the same.
    pub fn since(mut self, earlier: &Checkpoint) -> LogVerifier {
        self.earlier = Some(Earlier {
            origin: earlier.origin().to_owned(),
            size: earlier.size(),
            root: *earlier.hash(),
        });
        self
    }

    /// The number of entries read so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree of the entries read so far (RFC 9162 §2.1.1).
    pub fn root(&self) -> Hash {
        let mut hashes = self.edge.iter().rev();
        let Some(&last) = hashes.next() else { return EMPTY_HASH };
        hashes.fold(last, |right, &left| node_hash(left, right))
    }

    /// Reads the next entry.
    pub fn push_entry(&mut self, entry: &[u8]) -> Result<(), AuditError> {
        let index = self.size;
        // `Entry::from_bytes`'s parser, without building an `Entry`.
        let parsed =
            Fields::parse(entry).map_err(|e| AuditError::Entry { index, reason: reason(&e.to_string()) })?;
        if let (Some(requests), Some(request)) = (&mut self.requests, parsed.request)
            && !requests.seen.contains(request)
        {
            requests.seen.insert(request.to_owned());
            requests.order.push(request.to_owned());
        }
        self.append(record_hash(entry));
        if let Some(earlier) = &self.earlier
            && earlier.size == self.size
        {
            let computed = self.root();
            if computed != earlier.root {
                return Err(AuditError::Inconsistent {
                    size: self.size,
                    computed: b64(&computed),
                    claimed: b64(&earlier.root),
                });
            }
        }
        Ok(())
    }

    fn append(&mut self, leaf: Hash) {
        let n = self.size;
        if n.is_multiple_of(TILE_WIDTH) && self.leaves.len() as u64 >= 2 * TILE_WIDTH {
            // Keep the last complete tile's leaves and start the next one.
            self.leaves.drain(..TILE_WIDTH as usize);
            self.leaves_from += TILE_WIDTH;
        }
        self.leaves.push(leaf);
        let mut hash = leaf;
        let mut level = 0u32;
        let mut bits = n;
        while bits & 1 == 1 {
            // Entry n completes one subtree per trailing 1 bit of n.
            let left = self.edge.pop().unwrap_or_else(|| unreachable!("one edge hash per bit of the size"));
            hash = node_hash(left, hash);
            bits >>= 1;
            level += 1;
            if level.is_multiple_of(u32::from(TILE_HEIGHT)) {
                let row = (level / u32::from(TILE_HEIGHT) - 1) as usize;
                if self.rows.len() <= row {
                    self.rows.resize_with(row + 1, Vec::new);
                }
                self.rows[row].push(hash);
            }
        }
        self.edge.push(hash);
        self.size = n + 1;
    }

    /// Reads a data tile (an entry bundle) at `tile`, which must be the next one: data
    /// tiles are read in order, and only the last may be partial. The bundle must hold
    /// exactly as many entries as the tile's path says (when a partial tile was fetched
    /// as a full one, pass only its first entries).
    pub fn push_bundle(&mut self, tile: &TilePath, bundle: &[u8]) -> Result<(), AuditError> {
        let name = tile.path();
        let (first, width) = tile.entry_range();
        if !tile.is_entries() {
            return Err(AuditError::Misuse(format!("{name} is a hash tile, not a data tile")));
        }
        if first != self.size {
            return Err(AuditError::Misuse(format!(
                "{name} starts at entry {first}, but the verifier has read {} entries (data tiles are read in order)",
                self.size
            )));
        }
        let bad = |problem: String| AuditError::Bundle { tile: name.clone(), problem };
        let mut rest = bundle;
        let mut count = 0u64;
        while !rest.is_empty() {
            let Some((len, after)) = rest.split_first_chunk::<2>() else {
                return Err(bad(format!("is truncated after {count} entries")));
            };
            let len = usize::from(u16::from_be_bytes(*len));
            if after.len() < len {
                return Err(bad(format!("is truncated after {count} entries")));
            }
            if count == width {
                return Err(bad(format!("holds more than the {width} entries its path says")));
            }
            let (entry, after) = after.split_at(len);
            self.push_entry(entry)?;
            count += 1;
            rest = after;
        }
        if count != width {
            return Err(bad(format!("holds {count} entries, its path says {width}")));
        }
        Ok(())
    }

    /// Compares a served hash tile with the one the entries give. A tile of level 0 can be
    /// checked once its entries are read, until the entries of the tile after the next one
    /// start; a tile of level ≥ 1 at any time after its entries are read.
    pub fn check_hash_tile(&self, tile: &TilePath, served: &[u8]) -> Result<(), AuditError> {
        let name = tile.path();
        if tile.is_entries() {
            return Err(AuditError::Misuse(format!("{name} is a data tile, not a hash tile")));
        }
        let width = tile.width();
        let expected_len = width as usize * 32;
        if served.len() != expected_len {
            return Err(AuditError::HashTileLength {
                tile: name,
                width,
                expected: expected_len,
                found: served.len(),
            });
        }
        let start = tile.index() * TILE_WIDTH;
        let end = start + u64::from(width);
        let hashes: &[Hash] = if tile.level() == 0 {
            if start < self.leaves_from || end > self.size {
                return Err(AuditError::Misuse(format!(
                    "{name} lists the leaves of entries {start}..{end}; the verifier keeps those of entries {}..{}",
                    self.leaves_from, self.size
                )));
            }
            &self.leaves[(start - self.leaves_from) as usize..(end - self.leaves_from) as usize]
        } else {
            let row = self.rows.get(usize::from(tile.level()) - 1).map(Vec::as_slice).unwrap_or_default();
            if end > row.len() as u64 {
                return Err(AuditError::Misuse(format!(
                    "{name} needs more entries than the {} the verifier has read",
                    self.size
                )));
            }
            &row[start as usize..end as usize]
        };
        for (i, (expected, found)) in hashes.iter().zip(served.chunks_exact(32)).enumerate() {
            if expected.0 != found {
                // Hash i of a tile of level L covers 256^L entries.
                let span = 1u64 << (u32::from(TILE_HEIGHT) * u32::from(tile.level()));
                let first = (start + i as u64).saturating_mul(span);
                let covers = if span == 1 {
                    format!("entry {first}")
                } else {
                    format!("entries {first}..{}", first.saturating_add(span))
                };
                return Err(AuditError::HashTile {
                    tile: name,
                    index: i as u64,
                    covers,
                    expected: b64(expected),
                    found: STANDARD.encode(found),
                });
            }
        }
        Ok(())
    }

    /// Checks the tree of the entries read against a verified checkpoint (and the earlier
    /// one given to [`LogVerifier::since`]).
    pub fn finish(self, checkpoint: &Checkpoint) -> Result<Verified, AuditError> {
        if let Some(earlier) = &self.earlier {
            if earlier.origin != checkpoint.origin() {
                return Err(AuditError::Origin {
                    earlier: earlier.origin.clone(),
                    now: checkpoint.origin().to_owned(),
                });
            }
            if earlier.size > checkpoint.size() {
                return Err(AuditError::Shrunk { earlier: earlier.size, now: checkpoint.size() });
            }
            if earlier.size == 0 && earlier.root != EMPTY_HASH {
                return Err(AuditError::Inconsistent {
                    size: 0,
                    computed: b64(&EMPTY_HASH),
                    claimed: b64(&earlier.root),
                });
            }
        }
        if self.size != checkpoint.size() {
            return Err(AuditError::Size { expected: checkpoint.size(), found: self.size });
        }
        let root = self.root();
        if root != *checkpoint.hash() {
            return Err(AuditError::Root {
                size: self.size,
                computed: b64(&root),
                claimed: b64(checkpoint.hash()),
            });
        }
        Ok(Verified {
            origin: checkpoint.origin().to_owned(),
            size: self.size,
            root,
            consistent_with: self.earlier.map(|e| e.size),
            requests: self.requests.map(|r| r.order).unwrap_or_default(),
        })
    }
}

/// `EntryError`'s message without its "not a comity log entry: " prefix, which the
/// audit message already says.
fn reason(message: &str) -> String {
    message.strip_prefix("not a comity log entry: ").unwrap_or(message).to_owned()
}

/// The number of tile levels a tree of `size` entries has: hash tiles exist at levels
/// `0..tile_levels(size)` (level L while `size >> 8L` > 0).
pub fn tile_levels(size: u64) -> u8 {
    (0u8..8).take_while(|&l| size.checked_shr(u32::from(TILE_HEIGHT) * u32::from(l)).unwrap_or(0) > 0).count()
        as u8
}

/// The tiles of a tree of `size` entries at one level, in order: every full tile, then
/// the partial one if any. With `entries`, the data tiles (level must be 0); otherwise
/// the hash tiles of `level`. These are exactly the tiles a checkpoint of that size
/// implies (`tlog_tiles::Tile::new_tiles(8, 0, size)` for the hash tiles).
pub fn tiles_at(size: u64, level: u8, entries: bool) -> impl Iterator<Item = TilePath> {
    let items = size.checked_shr(u32::from(TILE_HEIGHT) * u32::from(level)).unwrap_or(0);
    let full = items / TILE_WIDTH;
    let partial = (items % TILE_WIDTH) as u32;
    let make = move |index: u64, width: u32| {
        if entries { TilePath::entries(index, width) } else { TilePath::hashes(level, index, width) }
    };
    (0..full).map(move |n| make(n, TILE_WIDTH as u32)).chain((partial > 0).then(|| make(full, partial)))
}

/// The domain separation prefix of the audit sample's random stream.
pub const SAMPLE_DOMAIN: &[u8] = b"comity-audit-sample/v1";

/// The deterministic random stream of a sample: the `counter`-th 64-bit word is the first
/// 8 bytes, big-endian, of SHA-256(`SAMPLE_DOMAIN` ‖ root ‖ size as u64 big-endian ‖
/// counter as u64 big-endian), for counter = 0, 1, 2, …
#[derive(Debug)]
struct SampleStream<'a> {
    root: &'a Hash,
    size: u64,
    counter: u64,
}

impl SampleStream<'_> {
    fn next_word(&mut self) -> u64 {
        let mut h = Sha256::new();
        h.update(SAMPLE_DOMAIN);
        h.update(self.root.0);
        h.update(self.size.to_be_bytes());
        h.update(self.counter.to_be_bytes());
        self.counter += 1;
        let digest: [u8; 32] = h.finalize().into();
        let mut word = [0u8; 8];
        word.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(word)
    }

    /// A uniform integer in `0..m` (m ≥ 1): the next word `x` with
    /// `x < 2^64 - (2^64 mod m)`, taken mod m; words at or above the bound are skipped,
    /// so no value is more likely than another.
    fn below(&mut self, m: u64) -> u64 {
        let rem = (u64::MAX % m + 1) % m; // 2^64 mod m
        loop {
            let x = self.next_word();
            if rem == 0 || x < 0u64.wrapping_sub(rem) {
                return x % m;
            }
        }
    }
}

/// Draws `n` requests to audit, without replacement, from the distinct requests (tags, or ids in v1 entries) of the
/// first `size` entries of a log (`requests`, in order of first appearance), seeded by the
/// root of the checkpoint of that size.
///
/// The algorithm, so that anyone can recompute it:
///
/// 1. Let `k` be the number of requests. If `n ≥ k`, the sample is every request, in log
///    order. Otherwise:
/// 2. The random words: word `c` (c = 0, 1, 2, …, one per draw attempt) is the first 8
///    bytes, read as a big-endian unsigned integer, of
///    `SHA-256("comity-audit-sample/v1" ‖ root ‖ u64be(size) ‖ u64be(c))`, where `root`
///    is the checkpoint's 32-byte root hash (not its base64).
/// 3. A uniform integer below `m`: take the next word `x`; if
///    `x ≥ 2^64 − (2^64 mod m)`, discard it and take the next; else the answer is `x mod m`.
/// 4. Partial Fisher–Yates: with `a` the list of requests in log order, for `i` = 0 to
///    n − 1, let `j = i +` (a uniform integer below `k − i`) and swap `a[i]` and `a[j]`.
///    The sample is `a[0..n]`, in that order, so a larger sample of the same checkpoint
///    begins with the smaller one.
///
/// Nobody chooses the sample: the root is fixed once the checkpoint is signed, and
/// changing it means adding entries, which changes the sample unpredictably.
pub fn sample<S: AsRef<str>>(root: &Hash, size: u64, requests: &[S], n: usize) -> Vec<String> {
    let k = requests.len();
    if n >= k {
        return requests.iter().map(|r| r.as_ref().to_owned()).collect();
    }
    let mut order: Vec<usize> = (0..k).collect();
    let mut stream = SampleStream { root, size, counter: 0 };
    for i in 0..n {
        let j = i + stream.below((k - i) as u64) as usize;
        order.swap(i, j);
    }
    order[..n].iter().map(|&i| requests[i].as_ref().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::{Entry, LogKey, MemoryTree, Salt, Tile, commit, encode_bundle, hash_tile, verify_checkpoint};

    const ORIGIN: &str = "comity.example/log";

    fn entries(count: u64, seed: u8) -> Vec<Vec<u8>> {
        let time = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        (0..count)
            .map(|i| {
                let request = format!("req-{}", (i * 7 + u64::from(seed)) % 53);
                let content = format!("content {i} {seed}");
                Entry::v1(
                    "lifecycle.under_review",
                    time + chrono::Duration::microseconds(i as i64),
                    (i % 5 != 0).then_some(request.as_str()),
                    "comity",
                    commit(&Salt([seed; 32]), content.as_bytes()),
                )
                .unwrap()
                .to_bytes()
            })
            .collect()
    }

    /// A published log: its entries, its tree and a signed, verified checkpoint.
    struct Log {
        entries: Vec<Vec<u8>>,
        tree: MemoryTree,
        key: LogKey,
    }

    impl Log {
        fn new(entries: Vec<Vec<u8>>) -> Log {
            let mut tree = MemoryTree::new();
            for e in &entries {
                tree.append(e);
            }
            Log { entries, tree, key: LogKey::generate(ORIGIN) }
        }

        fn checkpoint(&self, size: u64) -> Checkpoint {
            let note = self.key.sign(ORIGIN, size, self.tree.root(size).unwrap()).unwrap();
            verify_checkpoint(&note, self.key.verifier_key()).unwrap()
        }

        fn bundle(&self, tile: &TilePath) -> Vec<u8> {
            let (first, width) = tile.entry_range();
            encode_bundle(self.entries[first as usize..(first + width) as usize].iter().map(Vec::as_slice))
                .unwrap()
        }

        fn hash_tile(&self, tile: &TilePath) -> Vec<u8> {
            hash_tile(tile.tile(), &self.tree).unwrap()
        }

        /// Feeds every data tile in order, checking each level-0 hash tile right after its
        /// entries, then the hash tiles of the upper levels, as `comity log verify` does.
        fn verify_with(
            &self,
            mut verifier: LogVerifier,
            bundle: impl Fn(&TilePath) -> Vec<u8>,
            hashes: impl Fn(&TilePath) -> Vec<u8>,
        ) -> Result<Verified, AuditError> {
            let size = self.tree.size();
            let level0: Vec<TilePath> = tiles_at(size, 0, false).collect();
            for (data, hash) in tiles_at(size, 0, true).zip(&level0) {
                verifier.push_bundle(&data, &bundle(&data))?;
                verifier.check_hash_tile(hash, &hashes(hash))?;
            }
            for level in 1..tile_levels(size) {
                for tile in tiles_at(size, level, false) {
                    verifier.check_hash_tile(&tile, &hashes(&tile))?;
                }
            }
            verifier.finish(&self.checkpoint(size))
        }

        fn verify(&self) -> Result<Verified, AuditError> {
            self.verify_with(LogVerifier::new(), |t| self.bundle(t), |t| self.hash_tile(t))
        }
    }

    #[test]
    fn an_honest_log_verifies_at_every_shape_of_tile() {
        for size in [0, 1, 2, 255, 256, 257, 511, 512, 700, 65_536, 65_536 + 256 * 3 + 7] {
            let log = Log::new(entries(size, 1));
            let verified = log.verify().unwrap_or_else(|e| panic!("size {size}: {e}"));
            assert_eq!((verified.size, verified.root), (size, log.tree.root(size).unwrap()));
        }
    }

    #[test]
    fn the_tiles_listed_are_those_tlog_tiles_publishes() {
        for size in [1, 255, 256, 257, 700, 65_535, 65_536, 65_536 * 3 + 17] {
            let ours: Vec<Tile> = (0..tile_levels(size))
                .flat_map(|level| tiles_at(size, level, false))
                .map(|t| *t.tile())
                .collect();
            assert_eq!(ours, Tile::new_tiles(8, 0, size), "size {size}");
            let data: Vec<(u64, u64)> = tiles_at(size, 0, true).map(|t| t.entry_range()).collect();
            assert_eq!(data.iter().map(|(_, w)| w).sum::<u64>(), size);
            assert!(data.iter().enumerate().all(|(i, (first, _))| *first == i as u64 * 256));
        }
        assert_eq!(tile_levels(0), 0);
        assert_eq!(tile_levels(u64::MAX), 8);
        assert_eq!(tiles_at(u64::MAX, 7, false).count(), 1);
    }

    #[test]
    fn the_verifier_builds_the_tree_tlog_tiles_builds() {
        let es = entries(1000, 2);
        let mut tree = MemoryTree::new();
        let mut verifier = LogVerifier::new();
        assert_eq!(verifier.root(), EMPTY_HASH);
        for e in &es {
            tree.append(e);
            verifier.push_entry(e).unwrap();
            assert_eq!(verifier.root(), tree.root(tree.size()).unwrap());
        }
    }

    fn tamper(log: &Log, index: usize, change: impl Fn(&mut Vec<u8>)) -> impl Fn(&TilePath) -> Vec<u8> + '_ {
        let mut entries = log.entries.clone();
        change(&mut entries[index]);
        move |tile: &TilePath| {
            let (first, width) = tile.entry_range();
            encode_bundle(entries[first as usize..(first + width) as usize].iter().map(Vec::as_slice))
                .unwrap()
        }
    }

    #[test]
    fn each_tampering_is_named_precisely() {
        let log = Log::new(entries(700, 3));
        let hashes = |t: &TilePath| log.hash_tile(t);

        // A byte changed so that the entry no longer parses.
        let err =
            log.verify_with(LogVerifier::new(), tamper(&log, 300, |e| e[0] = b'C'), hashes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "entry 300 is not a comity log entry: the first line is not comity-log-entry/v2 (or v1)"
        );
        // Still an entry, but not the one the log hashed: the hash tile shows it.
        let err = log
            .verify_with(
                LogVerifier::new(),
                tamper(&log, 300, |e| {
                    let at = e.windows(13).position(|w| w == b"actor: comity").unwrap();
                    e[at + 12] = b'Y';
                }),
                hashes,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("tile tile/0/001 differs from the entries at hash 44 (entry 300): it serves "),
            "{err}"
        );
        // The same without hash tiles: the root shows it.
        let mut tampered = log.entries.clone();
        let at = tampered[300].len() - 10; // inside the commitment's base64
        tampered[300][at] = if tampered[300][at] == b'A' { b'B' } else { b'A' };
        let mut verifier = LogVerifier::new();
        for e in &tampered {
            verifier.push_entry(e).unwrap_or_else(|e| panic!("{e}"));
        }
        let err = verifier.finish(&log.checkpoint(700)).unwrap_err();
        assert!(matches!(err, AuditError::Root { size: 700, .. }), "{err}");
        assert!(err.to_string().starts_with("the tree of 700 entries has root "), "{err}");

        // A removed entry: the tile is short.
        let removed = |tile: &TilePath| {
            let mut b = log.bundle(tile);
            if tile.index() == 1 {
                let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
                b.drain(..2 + len);
            }
            b
        };
        let err = log.verify_with(LogVerifier::new(), removed, hashes).unwrap_err();
        assert_eq!(err.to_string(), "tile tile/entries/001 holds 255 entries, its path says 256");

        // Reordered entries: each is valid, the hash tile is not.
        let mut swapped = log.entries.clone();
        swapped.swap(520, 521);
        let reordered = |tile: &TilePath| {
            let (first, width) = tile.entry_range();
            encode_bundle(swapped[first as usize..(first + width) as usize].iter().map(Vec::as_slice))
                .unwrap()
        };
        let err = log.verify_with(LogVerifier::new(), reordered, hashes).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("tile tile/0/002.p/188 differs from the entries at hash 8 (entry 520)"),
            "{err}"
        );

        // A wrong hash tile, at level 0 and at level 1.
        for (bad_tile, at, covers) in
            [("tile/0/001", 17, "entry 273"), ("tile/1/000.p/2", 1, "entries 256..512")]
        {
            let wrong = |t: &TilePath| {
                let mut h = log.hash_tile(t);
                if t.path() == bad_tile {
                    h[at * 32 + 5] ^= 0x80;
                }
                h
            };
            let err = log.verify_with(LogVerifier::new(), |t| log.bundle(t), wrong).unwrap_err();
            assert!(
                err.to_string().starts_with(&format!(
                    "tile {bad_tile} differs from the entries at hash {at} ({covers}): "
                ))
            );
        }
        let short = |t: &TilePath| log.hash_tile(t)[32..].to_vec();
        let err = log.verify_with(LogVerifier::new(), |t| log.bundle(t), short).unwrap_err();
        assert_eq!(err.to_string(), "tile tile/0/000 is 8160 bytes long, 256 hashes are 8192");

        // A wrong checkpoint root (signed by the key, for another tree).
        let mut verifier = LogVerifier::new();
        for e in &log.entries {
            verifier.push_entry(e).unwrap();
        }
        let other = Log::new(entries(700, 4));
        let note = log.key.sign(ORIGIN, 700, other.tree.root(700).unwrap()).unwrap();
        let checkpoint = verify_checkpoint(&note, log.key.verifier_key()).unwrap();
        let err = verifier.clone().finish(&checkpoint).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the tree of 700 entries has root {}, the checkpoint says {}",
                b64(&log.tree.root(700).unwrap()),
                b64(&other.tree.root(700).unwrap())
            )
        );
        let err = verifier.finish(&log.checkpoint(699)).unwrap_err();
        assert_eq!(err.to_string(), "the log serves 700 entries for a checkpoint of 699");
    }

    #[test]
    fn a_log_must_be_consistent_with_an_earlier_checkpoint() {
        let log = Log::new(entries(700, 5));
        for earlier in [0, 1, 256, 300, 700] {
            let verified = log
                .verify_with(
                    LogVerifier::new().since(&log.checkpoint(earlier)),
                    |t| log.bundle(t),
                    |t| log.hash_tile(t),
                )
                .unwrap();
            assert_eq!(verified.consistent_with, Some(earlier));
        }
        // A fork: entry 3 rewritten, then the same entries, signed with the same key.
        let mut forked_entries = log.entries.clone();
        forked_entries[3] = entries(4, 6).pop().unwrap();
        let mut forked = Log::new(forked_entries);
        forked.key = log.key.clone();
        let err = log
            .verify_with(
                LogVerifier::new().since(&forked.checkpoint(300)),
                |t| log.bundle(t),
                |t| log.hash_tile(t),
            )
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "the log is not consistent with the earlier checkpoint: its first 300 entries have root "
            ),
            "{err}"
        );
        // An earlier checkpoint larger than the current one.
        let bigger = Log::new([log.entries.clone(), entries(10, 7)].concat());
        let mut bigger_key = bigger;
        bigger_key.key = log.key.clone();
        let err = log
            .verify_with(
                LogVerifier::new().since(&bigger_key.checkpoint(710)),
                |t| log.bundle(t),
                |t| log.hash_tile(t),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the earlier checkpoint has 710 entries, the current one only 700: the log shrank"
        );
    }

    #[test]
    fn misuse_is_not_a_discrepancy() {
        let log = Log::new(entries(600, 8));
        let mut verifier = LogVerifier::new();
        let err = verifier
            .push_bundle(&TilePath::entries(1, 256), &log.bundle(&TilePath::entries(1, 256)))
            .unwrap_err();
        assert!(!err.is_discrepancy(), "{err}");
        for n in 0..2 {
            let t = TilePath::entries(n, 256);
            verifier.push_bundle(&t, &log.bundle(&t)).unwrap();
        }
        let t = TilePath::entries(2, 88);
        verifier.push_bundle(&t, &log.bundle(&t)).unwrap();
        // Tile 0/000's leaves are no longer kept; 0/001's and 0/002's are.
        let err = verifier.check_hash_tile(&TilePath::hashes(0, 0, 256), &[0; 8192]).unwrap_err();
        assert!(!err.is_discrepancy(), "{err}");
        for t in [TilePath::hashes(0, 1, 256), TilePath::hashes(0, 2, 88), TilePath::hashes(1, 0, 2)] {
            verifier.check_hash_tile(&t, &log.hash_tile(&t)).unwrap();
        }
        let err = verifier.check_hash_tile(&TilePath::hashes(1, 0, 3), &[0; 96]).unwrap_err();
        assert!(!err.is_discrepancy(), "{err}");
    }

    #[test]
    fn requests_are_collected_once_in_order_of_first_appearance() {
        let log = Log::new(entries(700, 9));
        let verified = log
            .verify_with(LogVerifier::new().collect_requests(), |t| log.bundle(t), |t| log.hash_tile(t))
            .unwrap();
        let mut expected: Vec<String> = Vec::new();
        for e in &log.entries {
            if let Some(r) = Entry::from_bytes(e).unwrap().request()
                && !expected.iter().any(|x| x == r)
            {
                expected.push(r.to_owned());
            }
        }
        assert_eq!(verified.requests, expected);
        assert_eq!(verified.requests.len(), 53);
    }

    fn ids(k: usize) -> Vec<String> {
        (0..k).map(|i| format!("request-{i}")).collect()
    }

    fn root_of(i: u64) -> Hash {
        Hash(Sha256::digest(i.to_be_bytes()).into())
    }

    #[test]
    fn the_sample_is_deterministic_seed_sensitive_and_without_duplicates() {
        let requests = ids(100);
        let root = root_of(1);
        let a = sample(&root, 1000, &requests, 10);
        assert_eq!(a, sample(&root, 1000, &requests, 10));
        assert_eq!(a.len(), 10);
        let distinct: HashSet<&String> = a.iter().collect();
        assert_eq!(distinct.len(), 10);
        assert_ne!(a, sample(&root_of(2), 1000, &requests, 10));
        assert_ne!(a, sample(&root, 1001, &requests, 10));
        // A larger sample begins with the smaller one.
        assert_eq!(sample(&root, 1000, &requests, 20)[..10], a[..]);
        // n ≥ k: everything, in log order.
        assert_eq!(sample(&root, 1000, &requests, 100), requests);
        assert_eq!(sample(&root, 1000, &requests, 1000), requests);
        assert!(sample(&root, 1000, &requests, 0).is_empty());
        assert!(sample::<String>(&root, 0, &[], 3).is_empty());
        assert_eq!(sample(&root, 1000, &requests[..1], 1), vec!["request-0"]);
    }

    /// Pinned values, so that a change to the algorithm cannot go unnoticed; the same
    /// examples are in docs/log.md (computed there by a 20-line Python reimplementation)
    /// for reimplementations to check against.
    #[test]
    fn the_sample_stream_is_as_documented() {
        assert_eq!(sample(&Hash([0; 32]), 5, &ids(10), 3), ["request-6", "request-7", "request-1"]);
        let root = Hash(std::array::from_fn(|i| i as u8));
        assert_eq!(
            sample(&root, 1000, &ids(100), 5),
            ["request-62", "request-6", "request-32", "request-74", "request-48"]
        );
        let root = Hash([0; 32]);
        let mut stream = SampleStream { root: &root, size: 5, counter: 0 };
        let mut expected = Sha256::new();
        expected.update(b"comity-audit-sample/v1");
        expected.update([0u8; 32]);
        expected.update(5u64.to_be_bytes());
        expected.update(0u64.to_be_bytes());
        let digest = expected.finalize();
        assert_eq!(stream.next_word(), u64::from_be_bytes(digest[..8].try_into().unwrap()));
        assert_eq!(stream.counter, 1);
        // Rejection: for m = 2^63 + 1, 2^64 mod m = 2^63 - 1, so words ≥ 2^63 + 1 are skipped.
        let mut stream = SampleStream { root: &root, size: 5, counter: 0 };
        let m = (1u64 << 63) + 1;
        for _ in 0..50 {
            let before = stream.counter;
            let v = stream.below(m);
            assert!(v < m);
            let mut check = SampleStream { root: &root, size: 5, counter: before };
            let mut skipped = 0;
            loop {
                let x = check.next_word();
                if x < (1u64 << 63) + 1 {
                    assert_eq!(x % m, v);
                    break;
                }
                skipped += 1;
            }
            assert_eq!(check.counter, stream.counter, "skipped {skipped}");
        }
    }

    /// Over many roots, each request is drawn about equally often, and so is each
    /// request in the first position (a chi-square bound at about p = 0.001; the roots
    /// are fixed, so the test is deterministic).
    #[test]
    fn the_sample_is_roughly_uniform() {
        let k = 10;
        let n = 3;
        let rounds = 3000u64;
        let requests = ids(k);
        let mut chosen = vec![0u64; k];
        let mut first = vec![0u64; k];
        for i in 0..rounds {
            let s = sample(&root_of(i), 777, &requests, n);
            for r in &s {
                chosen[requests.iter().position(|x| x == r).unwrap()] += 1;
            }
            first[requests.iter().position(|x| *x == s[0]).unwrap()] += 1;
        }
        let chi2 = |counts: &[u64], expected: f64| -> f64 {
            counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
        };
        // 9 degrees of freedom: P(χ² > 27.88) = 0.001.
        let all = chi2(&chosen, (rounds * n as u64) as f64 / k as f64);
        let head = chi2(&first, rounds as f64 / k as f64);
        assert!(all < 27.88, "chi-square {all} over {chosen:?}");
        assert!(head < 27.88, "chi-square {head} over {first:?}");
    }
}

//! Proofs over a 10-million-entry tree: `cargo bench -p comity-log --bench proofs`.
//!
//! Builds the stored hashes of a tree of 10,000,000 synthetic entries in memory (a
//! `MemoryTree`: `Frontier` appends collected into the list of stored hashes, indexed as
//! a store's `log_hashes` table is), then times, each call on its own so as to report a
//! distribution: inclusion proofs of random entries, consistency proofs from random sizes
//! to the full tree, the root, and the verification of each kind of proof. Also times the
//! server's path without the database: `hashes_needed` to list the hashes, a
//! `HashMapReader` filled with exactly those, then the proof. Reports how many stored
//! hashes each reads. `COMITY_BENCH_ENTRIES` changes the tree's size.
//! Figures go to docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use std::{hint::black_box, time::Instant};

use chrono::{TimeZone, Utc};
use comity_log::{
    Entry, Hash, HashMapReader, HashReader, MemoryTree, Salt, commit, consistency_proof, hashes_needed,
    inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};

const SAMPLES: usize = 100_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Entry `i`: a real `comity-log-entry/v1` encoding whose commitment's base64 carries `i`.
fn entry(template: &[u8], i: u64) -> Vec<u8> {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut e = template.to_vec();
    // "...commitment: <43 chars>=\n": rewrite 11 of the 43 characters (66 bits), leaving
    // the last one, whose low bits must stay zero.
    let end = e.len() - 3;
    for k in 0..11 {
        e[end - 1 - k] = B64[((i >> (6 * k)) & 63) as usize];
    }
    e
}

fn report(label: &str, mut ns: Vec<u64>, extra: &str) {
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    let mean = ns.iter().sum::<u64>() as f64 / ns.len() as f64 / 1000.0;
    println!(
        "{label}: {} calls, mean {mean:.2} µs, p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs{extra}",
        ns.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}

fn main() {
    let size: u64 =
        std::env::var("COMITY_BENCH_ENTRIES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let time = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
    let template = Entry::v1(
        "read.document",
        time,
        Some("0194f3a2-7c1e-7b3a-9f10-3c5d2e8a4b61"),
        "ie-dpc:auditor",
        commit(&Salt([7; 32]), b"content"),
    )
    .unwrap()
    .to_bytes();
    assert!(Entry::from_bytes(&entry(&template, 12_345)).is_ok());

    let start = Instant::now();
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.append(&entry(&template, i));
    }
    let built = start.elapsed();
    let stored = tlog_hashes(size);
    println!(
        "tree of {size} entries ({} entry bytes each): {stored} stored hashes ({} MB) built in {:.1} s ({:.0} appends/s in memory)",
        template.len(),
        stored * 32 / 1_000_000,
        built.as_secs_f64(),
        size as f64 / built.as_secs_f64()
    );

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let root_hash = tree.root(size).unwrap();

    // The root.
    let reads = hashes_needed(|r| root(size, r)).len();
    let mut ns = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        black_box(root(black_box(size), &tree).unwrap());
        ns.push(t.elapsed().as_nanos() as u64);
    }
    report("root", ns, &format!("; reads {reads} stored hashes"));

    // Inclusion proofs of random entries in the full tree.
    let indexes: Vec<u64> = (0..SAMPLES).map(|_| rng.next() % size).collect();
    let mut ns = Vec::with_capacity(SAMPLES);
    let mut proofs = Vec::with_capacity(SAMPLES);
    for &i in &indexes {
        let t = Instant::now();
        let p = inclusion_proof(i, size, &tree).unwrap();
        ns.push(t.elapsed().as_nanos() as u64);
        proofs.push(p);
    }
    let needed: Vec<usize> =
        indexes.iter().take(1000).map(|&i| hashes_needed(|r| inclusion_proof(i, size, r)).len()).collect();
    let (lo, hi) = (needed.iter().min().unwrap(), needed.iter().max().unwrap());
    let len = proofs[0].len();
    report(
        "inclusion proof, random entry",
        ns,
        &format!("; {len} hashes in a proof, reads {lo}–{hi} stored hashes"),
    );

    // The server's path, without the database: list the hashes, fetch exactly those, prove.
    let mut ns = Vec::with_capacity(SAMPLES / 10);
    for &i in indexes.iter().take(SAMPLES / 10) {
        let t = Instant::now();
        let needed = hashes_needed(|r| inclusion_proof(i, size, r));
        let fetched = tree.read_hashes(&needed).unwrap();
        let reader: HashMapReader = needed.into_iter().zip(fetched).collect();
        black_box(inclusion_proof(i, size, &reader).unwrap());
        ns.push(t.elapsed().as_nanos() as u64);
    }
    report("inclusion proof as the server makes it (hashes_needed, fetch, HashMapReader)", ns, "");

    // Verifying them.
    let leaves: Vec<Hash> = indexes.iter().map(|&i| leaf_hash(&entry(&template, i))).collect();
    let mut ns = Vec::with_capacity(SAMPLES);
    for ((&i, p), leaf) in indexes.iter().zip(&proofs).zip(&leaves) {
        let p: Vec<&[u8]> = p.iter().map(|h| h.0.as_slice()).collect();
        let t = Instant::now();
        verify_inclusion(i, size, &leaf.0, &p, &root_hash.0).unwrap();
        ns.push(t.elapsed().as_nanos() as u64);
    }
    report("verify_inclusion", ns, "");

    // Consistency proofs from random sizes to the full tree.
    let froms: Vec<u64> = (0..SAMPLES).map(|_| 1 + rng.next() % (size - 1)).collect();
    let mut ns = Vec::with_capacity(SAMPLES);
    let mut proofs = Vec::with_capacity(SAMPLES);
    for &from in &froms {
        let t = Instant::now();
        let p = consistency_proof(from, size, &tree).unwrap();
        ns.push(t.elapsed().as_nanos() as u64);
        proofs.push(p);
    }
    let needed: Vec<usize> =
        froms.iter().take(1000).map(|&f| hashes_needed(|r| consistency_proof(f, size, r)).len()).collect();
    let lens: Vec<usize> = proofs.iter().map(Vec::len).collect();
    report(
        "consistency proof, random size to the full tree",
        ns,
        &format!(
            "; {}–{} hashes in a proof, reads {}–{} stored hashes",
            lens.iter().min().unwrap(),
            lens.iter().max().unwrap(),
            needed.iter().min().unwrap(),
            needed.iter().max().unwrap()
        ),
    );

    let count = 1000.min(SAMPLES);
    let old_roots: Vec<Hash> = froms.iter().take(count).map(|&f| tree.root(f).unwrap()).collect();
    let mut ns = Vec::with_capacity(count);
    for ((&from, p), old) in froms.iter().zip(&proofs).zip(&old_roots) {
        let p: Vec<&[u8]> = p.iter().map(|h| h.0.as_slice()).collect();
        let t = Instant::now();
        verify_consistency(from, size, &old.0, &root_hash.0, &p).unwrap();
        ns.push(t.elapsed().as_nanos() as u64);
    }
    report("verify_consistency", ns, "");
}

/// tlog_tiles' stored-hash count of a tree of `n` entries: 2n − popcount(n).
fn tlog_hashes(n: u64) -> u64 {
    2 * n - u64::from(n.count_ones())
}

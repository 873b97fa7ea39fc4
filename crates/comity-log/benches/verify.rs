//! Full-log verification speed: `cargo bench -p comity-log --bench verify`.
//!
//! What `comity log verify --url` does once the tiles have arrived, without the network:
//! 1,000,000 realistic entries (lifecycle events, screenings, reads and checkpoints of
//! requests with UUID ids, each committing to salted content), served as C2SP entry
//! bundles of 256, fed to `audit::LogVerifier` in order; every level-0 hash tile is
//! checked right after its bundle, then every hash tile of the higher levels, then the
//! tree against a signed checkpoint. Reports entries/s and MB/s, with and without the hash
//! tiles. `COMITY_BENCH_ENTRIES` changes the count. Figures go to docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use comity_log::{
    Entry, LogKey, LogVerifier, MemoryTree, Salt, TilePath, audit, commit, encode_bundle, hash_tile,
    verify_checkpoint,
};

const ORIGIN: &str = "comity.bench/log";

fn entries(count: u64) -> Vec<Vec<u8>> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
    let kinds = [
        "lifecycle.received",
        "screening.needs_review",
        "lifecycle.screening",
        "lifecycle.under_review",
        "read.document",
        "read.events",
        "lifecycle.approved",
    ];
    (0..count)
        .map(|i| {
            // About seven entries per request, requests interleaved; every 1,000th entry a
            // checkpoint (no request).
            let request =
                format!("0194f3a2-{:04x}-7b3a-9f10-{:012x}", (i / 7) & 0xffff, (i / 7) * 2_654_435_761);
            let checkpoint = i % 1000 == 999;
            let kind = if checkpoint { "log.checkpoint" } else { kinds[(i % 7) as usize] };
            let actor = if kind.starts_with("read") { "ie-dpc:auditor" } else { "comity" };
            let mut salt = [0u8; 32];
            salt[..8].copy_from_slice(&i.to_be_bytes());
            Entry::v1(
                kind,
                t0 + Duration::microseconds(i as i64 * 250),
                (!checkpoint).then_some(request.as_str()),
                actor,
                commit(&Salt(salt), format!("[\"content\",{i}]").as_bytes()),
            )
            .unwrap()
            .to_bytes()
        })
        .collect()
}

fn main() {
    let count: u64 =
        std::env::var("COMITY_BENCH_ENTRIES").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let all = entries(count);
    let mut tree = MemoryTree::new();
    for e in &all {
        tree.append(e);
    }
    let key = LogKey::generate(ORIGIN);
    let note = key.sign(ORIGIN, count, tree.root(count).unwrap()).unwrap();
    let checkpoint = verify_checkpoint(&note, key.verifier_key()).unwrap();

    let bundles: Vec<(TilePath, Vec<u8>)> = audit::tiles_at(count, 0, true)
        .map(|t| {
            let (first, width) = t.entry_range();
            let b = encode_bundle(all[first as usize..(first + width) as usize].iter().map(Vec::as_slice));
            (t, b.unwrap())
        })
        .collect();
    drop(all);
    let hash_tiles: Vec<Vec<(TilePath, Vec<u8>)>> = (0..audit::tile_levels(count))
        .map(|level| {
            audit::tiles_at(count, level, false).map(|t| (t, hash_tile(t.tile(), &tree).unwrap())).collect()
        })
        .collect();
    drop(tree);
    let bytes: usize = bundles.iter().map(|(_, b)| b.len()).sum();
    let tile_count: usize = hash_tiles.iter().map(Vec::len).sum();
    println!(
        "{count} entries in {} bundles ({} MB, {} bytes per entry on average); {tile_count} hash tiles",
        bundles.len(),
        bytes / 1_000_000,
        bytes as u64 / count,
    );

    for with_tiles in [false, true, false, true] {
        let start = Instant::now();
        let mut verifier = LogVerifier::new().collect_requests();
        for (i, (t, b)) in bundles.iter().enumerate() {
            verifier.push_bundle(t, b).unwrap();
            if with_tiles {
                let (tile, served) = &hash_tiles[0][i];
                verifier.check_hash_tile(tile, served).unwrap();
            }
        }
        if with_tiles {
            for level in &hash_tiles[1..] {
                for (tile, served) in level {
                    verifier.check_hash_tile(tile, served).unwrap();
                }
            }
        }
        let verified = verifier.finish(&checkpoint).unwrap();
        let elapsed = start.elapsed();
        println!(
            "LogVerifier, {}: {count} entries ({} requests) in {:.3} s: {:.0} entries/s, {:.0} MB/s ({:.2}× the 1,000,000/s goal)",
            if with_tiles { "bundles and every hash tile" } else { "bundles only" },
            verified.requests.len(),
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64(),
            bytes as f64 / 1e6 / elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64() / 1e6,
        );
    }
}

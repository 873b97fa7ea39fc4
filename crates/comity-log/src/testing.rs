//! A small log published as static files, for the tests of what reads a published log
//! (`comity-auditor`, and `comity log verify --url` and `comity audit sample` on the
//! command line). Built only with the `testing` feature, which only tests turn on.

use chrono::{Duration, TimeZone, Utc};

use crate::{Entry, LogKey, MemoryTree, Salt, TILE_WIDTH, Tile, TilePath, commit, encode_bundle, hash_tile};

/// `count` entries like those of comity's log: lifecycle events and reads of 41 requests,
/// interleaved, one a second, some naming no request. With `rewritten`, that entry commits
/// to other content: the same log, forked at that entry.
pub fn sample_entries(count: u64, rewritten: Option<u64>) -> Vec<Vec<u8>> {
    let time = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).single().expect("a valid time");
    (0..count)
        .map(|i| {
            let request = format!("0192f3c4-5b6a-7c8d-9e0f-{:012x}", (i * 7) % 41);
            let content = if rewritten == Some(i) { "rewritten".to_owned() } else { format!("event {i}") };
            Entry::v1(
                if i % 3 == 0 { "lifecycle.under_review" } else { "read" },
                time + Duration::seconds(i as i64),
                (i % 9 != 4).then_some(request.as_str()),
                "comity",
                commit(&Salt([3; 32]), content.as_bytes()),
            )
            .expect("a valid entry")
            .to_bytes()
        })
        .collect()
}

/// Publishes the first `size` of `entries` as C2SP tlog-tiles: hands `put` each entry
/// bundle and hash tile at its path, then `checkpoint`, signed by `key` for `origin`, of
/// the first `checkpoint_size` entries (a log may have grown past its checkpoint).
/// Returns the signed checkpoint.
pub fn publish(
    key: &LogKey,
    origin: &str,
    entries: &[Vec<u8>],
    size: u64,
    checkpoint_size: u64,
    mut put: impl FnMut(String, Vec<u8>),
) -> Vec<u8> {
    let mut tree = MemoryTree::new();
    for e in &entries[..size as usize] {
        tree.append(e);
    }
    for start in (0..size).step_by(TILE_WIDTH as usize) {
        let end = (start + TILE_WIDTH).min(size);
        let tile = TilePath::entries(start / TILE_WIDTH, (end - start) as u32);
        let bundle = encode_bundle(entries[start as usize..end as usize].iter().map(Vec::as_slice))
            .expect("entries of a valid size");
        put(tile.path(), bundle);
    }
    for tile in Tile::new_tiles(8, 0, size) {
        let path = TilePath::hashes(tile.level(), tile.level_index(), tile.width()).path();
        put(path, hash_tile(&tile, &tree).expect("the tree holds every hash"));
    }
    let root = tree.root(checkpoint_size).expect("a checkpoint no larger than the tree");
    let note = key.sign(origin, checkpoint_size, root).expect("a valid origin");
    put("checkpoint".into(), note.clone());
    note
}

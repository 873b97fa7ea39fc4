//! The C2SP tlog-tiles static API (c2sp.org/tlog-tiles): which tile a path names, and the
//! entry bundle encoding of data tiles.
//!
//! Tiles are 256 hashes wide (height 8). A hash tile `tile/<L>/<N>[.p/<W>]` holds the
//! hashes at level `8·L` of the tree from `N·256`, a data tile `tile/entries/<N>[.p/<W>]`
//! holds entries `N·256 ..` as an entry bundle. `N` is written in 3-digit groups, all but
//! the last prefixed with `x` (1234067 is `x001/x234/067`); `.p/<W>` marks a partial tile
//! of `W` < 256 items. `tlog_tiles::Tile` (Go's `sumdb/tlog` layout, which names the
//! height in the path) does the arithmetic; this module only maps the C2SP spelling.

use tlog_tiles::Tile;

/// The height of every tile: 2⁸ = 256 hashes or entries.
pub const TILE_HEIGHT: u8 = 8;

/// Items in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// A tile named by a C2SP path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePath(Tile);

/// Why a path names no tile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a tile path: expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], with N in \
     3-digit groups (x001/x234/067) and 1 <= W <= 255"
)]
pub struct TilePathError(String);

/// Why an entry bundle cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("an entry of {0} bytes is longer than an entry bundle allows (65535)")]
    TooLong(usize),
    #[error("the entry bundle is truncated after {0} entries")]
    Truncated(usize),
}

impl TilePath {
    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`; only the canonical
    /// spelling is accepted, so each tile has one path.
    pub fn parse(path: &str) -> Result<TilePath, TilePathError> {
        let bad = || TilePathError(path.to_owned());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let go = match rest.strip_prefix("entries/") {
            Some(n) => format!("tile/{TILE_HEIGHT}/data/{n}"),
            None => format!("tile/{TILE_HEIGHT}/{rest}"),
        };
        // `Tile::from_path` panics on a width of 0 or a level of 64 or more (it asserts in
        // `Tile::new`); a path comes from anyone on the network, so those are refused first.
        if let Some((_, w)) = rest.rsplit_once(".p/")
            && !w.parse::<u32>().is_ok_and(|w| (1..TILE_WIDTH as u32).contains(&w))
        {
            return Err(bad());
        }
        let level = rest.split('/').next().unwrap_or_default();
        if level != "entries" && !level.parse::<u8>().is_ok_and(|l| l < 64) {
            return Err(bad());
        }
        let tile = Tile::from_path(&go).map_err(|_| bad())?;
        let path_again = TilePath(tile).path();
        if path_again != path {
            return Err(bad());
        }
        Ok(TilePath(tile))
    }

    /// A hash tile at `level`, index `index`, holding `width` hashes (1..=256).
    pub fn hashes(level: u8, index: u64, width: u32) -> TilePath {
        TilePath(Tile::new(TILE_HEIGHT, level, index, width, false))
    }

    /// A data tile of `width` entries (1..=256) from entry `index · 256`.
    pub fn entries(index: u64, width: u32) -> TilePath {
        TilePath(Tile::new(TILE_HEIGHT, 0, index, width, true))
    }

    /// The C2SP path, without a leading slash.
    pub fn path(&self) -> String {
        let go = self.0.path();
        let prefix = format!("tile/{TILE_HEIGHT}/");
        let rest = go.strip_prefix(&prefix).unwrap_or(&go);
        match rest.strip_prefix("data/") {
            Some(n) => format!("tile/entries/{n}"),
            None => format!("tile/{rest}"),
        }
    }

    /// The tile in `tlog_tiles`' terms.
    pub fn tile(&self) -> &Tile {
        &self.0
    }

    pub fn is_entries(&self) -> bool {
        self.0.is_data()
    }

    /// The level in the tiling (a hash tile at level L holds tree level 8·L).
    pub fn level(&self) -> u8 {
        self.0.level()
    }

    pub fn index(&self) -> u64 {
        self.0.level_index()
    }

    pub fn width(&self) -> u32 {
        self.0.width()
    }

    /// A full tile never changes; a partial one is replaced by wider ones as the log grows.
    pub fn is_full(&self) -> bool {
        u64::from(self.0.width()) == TILE_WIDTH
    }

    /// For a data tile: the first entry and how many entries it holds.
    pub fn entry_range(&self) -> (u64, u64) {
        (self.index() * TILE_WIDTH, u64::from(self.width()))
    }

    /// Whether a tree of `size` entries has this tile (at this width or wider): the items a
    /// tile at level L lists are complete subtrees of 256^L entries each.
    pub fn exists_in(&self, size: u64) -> bool {
        let level = if self.is_entries() { 0 } else { u32::from(self.level()) };
        let items = size.checked_shr(u32::from(TILE_HEIGHT) * level).unwrap_or(0);
        self.index().saturating_mul(TILE_WIDTH).saturating_add(u64::from(self.width())) <= items
    }
}

impl std::fmt::Display for TilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path())
    }
}

/// Encodes entries as a C2SP entry bundle: each as a big-endian u16 length and its bytes.
pub fn encode_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| BundleError::TooLong(e.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits an entry bundle into its entries.
pub fn decode_bundle(mut bundle: &[u8]) -> Result<Vec<&[u8]>, BundleError> {
    let mut entries = Vec::new();
    while !bundle.is_empty() {
        let truncated = BundleError::Truncated(entries.len());
        let (len, rest) = bundle.split_first_chunk::<2>().ok_or(truncated.clone())?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return Err(truncated);
        }
        let (entry, rest) = rest.split_at(len);
        entries.push(entry);
        bundle = rest;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_c2sp_spelling() {
        for (path, level, index, width, entries) in [
            ("tile/0/000", 0, 0, 256, false),
            ("tile/1/x001/x234/067.p/8", 1, 1_234_067, 8, false),
            ("tile/entries/x001/x234/067", 0, 1_234_067, 256, true),
            ("tile/entries/005.p/1", 0, 5, 1, true),
        ] {
            let tile = TilePath::parse(path).unwrap();
            assert_eq!(
                (tile.level(), tile.index(), tile.width(), tile.is_entries()),
                (level, index, width, entries),
                "{path}"
            );
            assert_eq!(tile.path(), path);
        }
        for bad in [
            "tile/0/0",
            "tile/0/1234",
            "tile/0/001.p/256",
            "tile/0/001.p/0",
            "tile/00/001",
            "tile/0/x000/001",
            "tile/8/0/001",
            "tile/entries/001.p/",
            "checkpoint",
            "tile/0/001/",
            "tile/0/001.p/00",
            "tile/64/000",
            "tile/255/000",
            "tile/entries/001.p/0",
        ] {
            assert!(TilePath::parse(bad).is_err(), "accepted {bad}");
        }
    }

    #[test]
    fn tiles_exist_once_the_tree_holds_them() {
        let t = TilePath::hashes(0, 1, 256);
        assert!(!t.exists_in(511) && t.exists_in(512));
        let p = TilePath::entries(1, 3);
        assert!(!p.exists_in(258) && p.exists_in(259) && p.exists_in(10_000));
        let up = TilePath::hashes(1, 0, 2);
        assert!(!up.exists_in(511) && up.exists_in(512));
        assert!(!TilePath::hashes(7, u64::MAX / 256, 256).exists_in(u64::MAX));
    }

    #[test]
    fn bundles_round_trip_and_refuse_truncation() {
        let entries: Vec<&[u8]> = vec![b"one", b"", b"three"];
        let bundle = encode_bundle(entries.iter().copied()).unwrap();
        assert_eq!(&bundle[..5], b"\x00\x03one");
        assert_eq!(decode_bundle(&bundle).unwrap(), entries);
        assert_eq!(decode_bundle(&bundle[..bundle.len() - 1]), Err(BundleError::Truncated(2)));
        assert_eq!(decode_bundle(b"\x00"), Err(BundleError::Truncated(0)));
        let long = vec![0u8; 70_000];
        assert_eq!(encode_bundle([long.as_slice()]), Err(BundleError::TooLong(70_000)));
    }
}

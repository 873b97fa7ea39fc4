//! comity's remote auditor: checks a published comity log from outside, with nothing but
//! its base URL and its public key.
//!
//! It reads the log's C2SP tlog-tiles static API (c2sp.org/tlog-tiles: `{base}/checkpoint`,
//! `{base}/tile/entries/<N>`, `{base}/tile/<L>/<N>`) and feeds what it reads to
//! `comity_log::audit::LogVerifier`, which does all the checking. [`RemoteLog::verify`] is
//! `comity log verify --url`: every entry rebuilt into the tree, every hash tile compared,
//! the signed checkpoint's root matched, and optionally an earlier checkpoint shown to be a
//! prefix. [`RemoteLog::sample`] is `comity audit sample`: the requests to audit, drawn from
//! a signed checkpoint so that nobody chooses them (docs/log.md, "Audit sampling").
//!
//! ```no_run
//! use comity_auditor::{RemoteLog, check_checkpoint};
//! # async fn audit() -> Result<(), comity_auditor::Error> {
//! let vkey = "comity.example.org/log+1a2b3c4d+AQ...";
//! let log = RemoteLog::new("http://comity.example.org/log")?;
//! let report = log.verify(vkey, None, |p| eprint!("\r{} / {}", p.verified, p.total)).await?;
//! println!("{} entries with the root its checkpoint signs", report.verified.size);
//!
//! // Later: the log still begins with the tree verified today, and a sample of it.
//! let earlier = check_checkpoint(&report.checkpoint, vkey, "the saved checkpoint")?;
//! log.verify(vkey, Some(&earlier), |_| {}).await?;
//! let sample = log.sample(&earlier, 20, |_| {}).await?;
//! for request in sample.drawn {
//!     println!("{request}");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! - The rules are `comity-log`'s, sans I/O; this crate only brings the bytes. An auditor
//!   who wants to know what is checked reads `comity_log::audit`; nothing here decides
//!   whether a log is honest.
//! - It lives beside the log, not in the server: it shares no code with what it audits
//!   apart from the log's format, and speaks only the public static API that any tlog
//!   client can read.
//! - Results are typed ([`Report`], [`Sample`]), and one [`Error`] says whether the log
//!   disagrees with itself or its signatures ([`Error::is_discrepancy`]) or the audit
//!   could not be done (a URL, a key, the network). Nothing here prints: the command line
//!   turns results into output and exit codes, and progress goes to a callback.
//! - Tiles are fetched [`AHEAD`] at a time in the background while the verifier reads them
//!   in order, so a large log is checked at the speed of the network, in the verifier's
//!   bounded memory.
//! - `https://` and `http://` URLs. HTTPS is rustls with the machine's certificate
//!   store (`SSL_CERT_FILE` names another bundle), so a log behind a private CA is read
//!   once that CA is installed. Over plain HTTP the answers are still checked against the
//!   verifier key: TLS hides what is read, the signatures are what make it trustworthy.

use std::{collections::VecDeque, time::Duration};

use comity_log::{
    Checkpoint, CheckpointError, TILE_WIDTH, TilePath,
    audit::{self, AuditError, LogVerifier, Verified},
    verify_checkpoint,
};
use tokio::task::JoinHandle;

/// How many data tiles (and their hash tiles) are fetched ahead of the one being verified.
pub const AHEAD: usize = 8;

/// Why an audit stopped: a discrepancy of the log, or a reason it could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The log's base URL is not one this build can read.
    #[error("{url}: {reason}")]
    Url { url: String, reason: String },
    /// The HTTP client could not be built.
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    /// The log's verifier key is not a note verifier key (`name+hash+base64`).
    #[error("not a note verifier key: {0}")]
    Key(String),
    /// A signed checkpoint that does not verify with the key, or is malformed; `what`
    /// names it ("the checkpoint at http://...").
    #[error("{what}: {error}")]
    Checkpoint { what: String, error: CheckpointError },
    /// What the log serves disagrees with its checkpoint, with itself or with an earlier
    /// checkpoint (or, if not [`AuditError::is_discrepancy`], the verifier was misused).
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A resource the log must serve is not there.
    #[error("GET {url}: 404 Not Found")]
    NotFound { url: String },
    /// A partial tile is gone, and so is the full tile that replaces it.
    #[error("GET {url}: 404 Not Found, and GET {full_url}: 404 Not Found")]
    TileGone { url: String, full_url: String },
    /// The full tile read for a partial one holds fewer items than the partial one.
    #[error("GET {url}: holds fewer than {width} items")]
    ShortTile { url: String, width: u32 },
    /// A GET that failed otherwise: an error status, or the transport's error.
    #[error("GET {url}: {reason}")]
    Get { url: String, reason: String },
    /// A background fetch did not finish (it panicked or was cancelled).
    #[error("a fetch failed: {0}")]
    Task(String),
}

impl Error {
    /// Whether the log disagrees with itself or with its signatures (the command line's
    /// exit code 1), rather than the audit not being possible (exit code 2).
    pub fn is_discrepancy(&self) -> bool {
        match self {
            Error::Checkpoint { .. } => true,
            Error::Audit(e) => e.is_discrepancy(),
            _ => false,
        }
    }
}

/// Verifies a signed checkpoint with the log's verifier key; `what` names the checkpoint
/// in the error ("the checkpoint at http://...", "the earlier checkpoint saved.txt").
pub fn check_checkpoint(note: &[u8], vkey: &str, what: &str) -> Result<Checkpoint, Error> {
    verify_checkpoint(note, vkey).map_err(|e| match e {
        CheckpointError::Key(reason) => Error::Key(reason),
        error => Error::Checkpoint { what: what.to_owned(), error },
    })
}

/// How far the reading of the entries has come, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Entries read and verified so far.
    pub verified: u64,
    /// Entries the checkpoint signs.
    pub total: u64,
}

/// Whether [`RemoteLog::verify_tiles`] also compares the log's hash tiles with the tree
/// its entries give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashTiles {
    /// Fetch and compare every hash tile, at every level.
    Check,
    /// Read only the entries (enough to check the checkpoint's root).
    Skip,
}

/// What [`RemoteLog::verify`] established.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The log's origin, size and root, and the earlier checkpoint's size it is
    /// consistent with, if one was given.
    pub verified: Verified,
    /// The signed checkpoint as the log served it: keep it to check, later, that the log
    /// still begins with this tree.
    pub checkpoint: Vec<u8>,
}

/// What [`RemoteLog::sample`] drew.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The verified tree, with every distinct request in order of first appearance (the
    /// population the sample is drawn from), as the entries name it: by its tag in a
    /// `comity-log-entry/v2` entry, by its id in a v1 entry from before issue 12.
    pub verified: Verified,
    /// The requests drawn, as `comity_log::audit::sample` draws them.
    pub drawn: Vec<String>,
}

/// A published log: the base URL of its C2SP tlog-tiles API.
#[derive(Debug, Clone)]
pub struct RemoteLog {
    client: reqwest::Client,
    base: String,
}

impl RemoteLog {
    /// A log served at `base` (the URL `checkpoint` and `tile/...` are under), `https://`
    /// or `http://`.
    pub fn new(base: &str) -> Result<RemoteLog, Error> {
        let bad = |reason: String| Error::Url { url: base.to_owned(), reason };
        let parsed = reqwest::Url::parse(base).map_err(|e| bad(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad(format!("a log is read over https:// or http://, not {}://", parsed.scheme())));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(RemoteLog { client, base: base.trim_end_matches('/').to_owned() })
    }

    /// The URL of `path` under the log's base.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// Checks the published log (`comity log verify --url`): fetches its checkpoint,
    /// verifies it with `vkey`, rebuilds the tree from every entry, compares every hash
    /// tile, and, given an `earlier` checkpoint already verified, checks that the log
    /// still begins with its tree.
    pub async fn verify(
        &self,
        vkey: &str,
        earlier: Option<&Checkpoint>,
        progress: impl FnMut(Progress),
    ) -> Result<Report, Error> {
        let url = self.url("checkpoint");
        let note = self.get(&url).await?;
        let checkpoint = check_checkpoint(&note, vkey, &format!("the checkpoint at {url}"))?;
        let mut verifier = LogVerifier::new();
        if let Some(earlier) = earlier {
            verifier = verifier.since(earlier);
        }
        let verified = self.verify_tiles(verifier, &checkpoint, HashTiles::Check, progress, |_| {}).await?;
        Ok(Report { verified, checkpoint: note })
    }

    /// Draws `n` requests to audit from a verified checkpoint (`comity audit sample`).
    ///
    /// The requests are read from the entries, which must give the checkpoint's root:
    /// otherwise the log could serve other entries to shape the sample.
    pub async fn sample(
        &self,
        checkpoint: &Checkpoint,
        n: usize,
        progress: impl FnMut(Progress),
    ) -> Result<Sample, Error> {
        let verified = self
            .verify_tiles(
                LogVerifier::new().collect_requests(),
                checkpoint,
                HashTiles::Skip,
                progress,
                |_| {},
            )
            .await?;
        let drawn = audit::sample(&verified.root, verified.size, &verified.requests, n);
        Ok(Sample { verified, drawn })
    }

    /// Reads every data tile the checkpoint's size implies into `verifier` (and, with
    /// [`HashTiles::Check`], every hash tile), then checks the tree against the
    /// checkpoint. `progress` is called after each data tile, `on_entry` with each entry in
    /// log order (what it is given is only proven once this returns `Ok`: the tree is
    /// checked against the checkpoint at the end).
    pub async fn verify_tiles(
        &self,
        mut verifier: LogVerifier,
        checkpoint: &Checkpoint,
        hash_tiles: HashTiles,
        mut progress: impl FnMut(Progress),
        mut on_entry: impl FnMut(&[u8]),
    ) -> Result<Verified, Error> {
        let size = checkpoint.size();
        let check_hashes = hash_tiles == HashTiles::Check;
        let mut pending: VecDeque<(TilePath, Option<TilePath>, Handles)> = VecDeque::new();
        let mut data = audit::tiles_at(size, 0, true);
        let mut hashes = audit::tiles_at(size, 0, false);
        loop {
            while pending.len() < AHEAD {
                let Some(tile) = data.next() else { break };
                let hash = if check_hashes { hashes.next() } else { None };
                let handles = Handles { data: self.spawn_tile(tile), hash: hash.map(|h| self.spawn_tile(h)) };
                pending.push_back((tile, hash, handles));
            }
            let Some((tile, hash, handles)) = pending.pop_front() else { break };
            let bundle = join(handles.data).await?;
            verifier.push_bundle(&tile, &bundle)?;
            // The bundle parsed as the verifier read it: it refused it otherwise.
            for entry in comity_log::decode_bundle(&bundle).into_iter().flatten() {
                on_entry(entry);
            }
            if let (Some(hash), Some(handle)) = (hash, handles.hash) {
                verifier.check_hash_tile(&hash, &join(handle).await?)?;
            }
            progress(Progress { verified: verifier.size(), total: size });
        }
        if check_hashes {
            for level in 1..audit::tile_levels(size) {
                let tiles: Vec<TilePath> = audit::tiles_at(size, level, false).collect();
                for chunk in tiles.chunks(AHEAD * 4) {
                    let handles: Vec<_> = chunk.iter().map(|t| self.spawn_tile(*t)).collect();
                    for (tile, handle) in chunk.iter().zip(handles) {
                        verifier.check_hash_tile(tile, &join(handle).await?)?;
                    }
                }
            }
        }
        Ok(verifier.finish(checkpoint)?)
    }

    /// The log's latest checkpoint as it serves it (a signed note), not yet checked.
    pub async fn checkpoint_note(&self) -> Result<Vec<u8>, Error> {
        self.get(&self.url("checkpoint")).await
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, Error> {
        fetch(&self.client, url).await?.ok_or_else(|| Error::NotFound { url: url.to_owned() })
    }

    /// Fetches a tile in the background. A partial tile that is gone (404) is fetched as
    /// the full tile, and only its first items kept: logs may delete partial tiles once
    /// the full one is published (c2sp.org/tlog-tiles).
    fn spawn_tile(&self, tile: TilePath) -> JoinHandle<Result<Vec<u8>, Error>> {
        let client = self.client.clone();
        let url = self.url(&tile.path());
        let full_url = (!tile.is_full()).then(|| {
            let full = if tile.is_entries() {
                TilePath::entries(tile.index(), TILE_WIDTH as u32)
            } else {
                TilePath::hashes(tile.level(), tile.index(), TILE_WIDTH as u32)
            };
            self.url(&full.path())
        });
        tokio::spawn(async move {
            match (fetch(&client, &url).await?, full_url) {
                (Some(bytes), _) => Ok(bytes),
                (None, Some(full_url)) => match fetch(&client, &full_url).await? {
                    Some(bytes) => {
                        prefix(&tile, bytes).ok_or(Error::ShortTile { url: full_url, width: tile.width() })
                    }
                    None => Err(Error::TileGone { url, full_url }),
                },
                (None, None) => Err(Error::NotFound { url }),
            }
        })
    }
}

struct Handles {
    data: JoinHandle<Result<Vec<u8>, Error>>,
    hash: Option<JoinHandle<Result<Vec<u8>, Error>>>,
}

async fn join(handle: JoinHandle<Result<Vec<u8>, Error>>) -> Result<Vec<u8>, Error> {
    handle.await.map_err(|e| Error::Task(e.to_string()))?
}

/// The first `width` items of a full tile, for a partial tile fetched as a full one.
fn prefix(tile: &TilePath, mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let width = tile.width() as usize;
    let len = if tile.is_entries() {
        // An entry bundle: each entry is a big-endian u16 length and that many bytes
        // (c2sp.org/tlog-tiles, "Log entries").
        let mut at = 0usize;
        for _ in 0..width {
            let len = bytes.get(at..at + 2)?;
            at += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        }
        at
    } else {
        width * 32
    };
    if len > bytes.len() {
        return None;
    }
    bytes.truncate(len);
    Some(bytes)
}

/// GET, with `None` for a 404 and an error naming the URL otherwise.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Option<Vec<u8>>, Error> {
    let failed = |reason: String| Error::Get { url: url.to_owned(), reason };
    let response = client.get(url).send().await.map_err(|e| failed(causes(&e)))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(failed(status.to_string()));
    }
    let bytes = response.bytes().await.map_err(|e| failed(causes(&e)))?;
    Ok(Some(bytes.to_vec()))
}

/// An error with its causes, each said once: reqwest's own message is "error sending
/// request", and what to fix (a name that does not resolve, a certificate nobody trusts)
/// is in its sources.
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use comity_log::encode_bundle;

    use super::*;

    #[test]
    fn a_partial_tile_is_the_prefix_of_the_full_one() {
        let entries: Vec<Vec<u8>> = (0..TILE_WIDTH).map(|i| vec![b'e'; i as usize % 7]).collect();
        let full = encode_bundle(entries.iter().map(Vec::as_slice)).unwrap();
        for width in [1u32, 2, 88, 255] {
            let partial = encode_bundle(entries[..width as usize].iter().map(Vec::as_slice)).unwrap();
            assert_eq!(prefix(&TilePath::entries(2, width), full.clone()), Some(partial), "{width}");
        }
        let hashes: Vec<u8> = (0..TILE_WIDTH * 32).map(|i| i as u8).collect();
        assert_eq!(prefix(&TilePath::hashes(0, 2, 88), hashes.clone()), Some(hashes[..88 * 32].to_vec()));
        // A "full" tile shorter than the partial one it should contain: refused.
        assert_eq!(prefix(&TilePath::hashes(0, 2, 88), hashes[..87 * 32].to_vec()), None);
        assert_eq!(prefix(&TilePath::entries(2, 88), full[..10].to_vec()), None);
    }

    #[test]
    fn http_and_https_urls_are_accepted() {
        assert!(RemoteLog::new("http://127.0.0.1:9/log").is_ok());
        assert!(RemoteLog::new("https://log.example.org/log").is_ok());
        for (url, reason) in [
            ("ftp://log.example.org/log", "a log is read over https:// or http://, not ftp://"),
            ("not a url", "relative URL without a base"),
        ] {
            let err = RemoteLog::new(url).unwrap_err();
            assert!(matches!(&err, Error::Url { .. }) && !err.is_discrepancy(), "{err:?}");
            assert!(err.to_string().starts_with(&format!("{url}: {reason}")), "{err}");
        }
        assert_eq!(RemoteLog::new("http://h/log/").unwrap().url("checkpoint"), "http://h/log/checkpoint");
    }

    #[test]
    fn a_bad_key_is_not_a_discrepancy_and_a_bad_signature_is() {
        let key = comity_log::LogKey::generate("example.org/log");
        let note = key.sign("example.org/log", 0, comity_log::EMPTY_HASH).unwrap();
        assert!(check_checkpoint(&note, key.verifier_key(), "it").is_ok());
        let err = check_checkpoint(&note, "not a key", "it").unwrap_err();
        assert!(matches!(err, Error::Key(_)) && !err.is_discrepancy(), "{err:?}");
        let other = comity_log::LogKey::generate("example.org/log");
        let err = check_checkpoint(&note, other.verifier_key(), "the checkpoint at X").unwrap_err();
        assert!(err.is_discrepancy(), "{err:?}");
        assert!(err.to_string().starts_with("the checkpoint at X: "), "{err}");
    }
}

//! `comity log verify` and `comity audit sample`: checking a published log from outside,
//! with nothing but its base URL and its public key.
//!
//! Both read the C2SP tlog-tiles static API (`{base}/checkpoint`, `{base}/tile/...`) and
//! feed `comity_log::audit::LogVerifier`, which does all the checking. Exit codes: 0 when
//! everything verifies, 1 when the log disagrees with itself or with its signatures (the
//! first discrepancy is printed), 2 for a usage or network error.

use std::{
    collections::VecDeque,
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use clap::{Args, Subcommand};
use comity_log::{
    Checkpoint, CheckpointError, TILE_WIDTH, TilePath,
    audit::{self, AuditError, LogVerifier, Verified},
    verify_checkpoint,
};
use tokio::task::JoinHandle;

/// `comity log ...`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Print the log's verifier key (`name+hash+base64`), creating the key if needed.
    Key {
        /// The data directory holding the key.
        #[arg(long, env = "COMITY_DATA_DIR", default_value = "comity-data")]
        data_dir: PathBuf,
        #[command(flatten)]
        log: crate::logkey::LogArgs,
    },
    /// Check a log and exit 1 on the first discrepancy. With --url: rebuild the published
    /// log's tree from its entries and check it against the signed checkpoint and the hash
    /// tiles. With --data-dir: check the store itself (every event, screening, party and
    /// checkpoint) against its own log.
    Verify(VerifyArgs),
}

/// `comity audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Draw the requests to audit from a signed checkpoint, so that nobody chooses them
    /// (docs/log.md, "Audit sampling").
    Sample(SampleArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: VerifySource,
    /// The log's verifier key (`name+hash+base64`), or a file holding it. Needed with
    /// --url; with --data-dir the key in the directory is used, and must equal this if given.
    #[arg(long)]
    pub vkey: Option<String>,
    /// With --data-dir: the PostgreSQL database holding the store, if it is not SQLite.
    #[arg(long, env = "COMITY_DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub log: crate::logkey::LogArgs,
    /// A checkpoint saved earlier (with --save): the log must still begin with the tree it
    /// signed.
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    pub since: Option<PathBuf>,
    /// Where to save the checkpoint once verified, for a later --since.
    #[arg(long, value_name = "CHECKPOINT_FILE")]
    pub save: Option<PathBuf>,
}

/// Where the log to verify comes from: exactly one source.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct VerifySource {
    /// The base URL of the log's C2SP tlog-tiles API (serving `checkpoint` and `tile/...`).
    #[arg(long)]
    pub url: Option<String>,
    /// The data directory of a comity server: its store and its log key.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// A signed checkpoint, as the log served it.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
    /// The base URL of the log's C2SP tlog-tiles API.
    #[arg(long)]
    pub url: String,
    /// The log's verifier key (`name+hash+base64`), or a file holding it.
    #[arg(long)]
    pub vkey: String,
    /// How many requests to draw.
    #[arg(long)]
    pub n: usize,
    /// Print a JSON object instead of one request id per line.
    #[arg(long)]
    pub json: bool,
}

/// Why a command stopped.
enum Failure {
    /// The log disagrees with itself or its signatures: exit 1.
    Discrepancy(String),
    /// Usage, file or network error: exit 2.
    Error(String),
}

impl From<AuditError> for Failure {
    fn from(e: AuditError) -> Failure {
        if e.is_discrepancy() { Failure::Discrepancy(e.to_string()) } else { Failure::Error(e.to_string()) }
    }
}

fn exit(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Discrepancy(message)) => {
            eprintln!("discrepancy: {message}");
            ExitCode::FAILURE
        }
        Err(Failure::Error(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

pub async fn log(command: LogCommand) -> ExitCode {
    match command {
        LogCommand::Key { data_dir, log } => match crate::logkey::print_key(&data_dir, &log) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => exit(Err(Failure::Error(format!("{e:#}")))),
        },
        LogCommand::Verify(args) => exit(verify(args).await),
    }
}

pub async fn audit(command: AuditCommand) -> ExitCode {
    match command {
        AuditCommand::Sample(args) => exit(sample(args).await),
    }
}

/// The verifier key, given inline or in a file.
fn read_vkey(vkey: &str) -> Result<String, Failure> {
    let path = Path::new(vkey);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Error(format!("cannot read the key file {}: {e}", path.display())))?;
        return Ok(text.trim().to_owned());
    }
    Ok(vkey.trim().to_owned())
}

/// Verifies a signed checkpoint; `what` names it in messages.
fn check_checkpoint(note: &[u8], vkey: &str, what: &str) -> Result<Checkpoint, Failure> {
    verify_checkpoint(note, vkey).map_err(|e| match e {
        CheckpointError::Key(e) => Failure::Error(format!("--vkey is not a note verifier key: {e}")),
        e => Failure::Discrepancy(format!("{what}: {e}")),
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Error(format!("cannot read {}: {e}", path.display())))
}

async fn verify(args: VerifyArgs) -> Result<(), Failure> {
    if let Some(dir) = &args.source.data_dir {
        let vkey = args.vkey.as_deref().map(read_vkey).transpose()?;
        return match crate::logkey::verify_data_dir(
            dir,
            args.database_url.as_deref(),
            &args.log,
            vkey.as_deref(),
        )
        .await
        {
            Ok(Ok(summary)) => {
                println!("{summary}");
                Ok(())
            }
            Ok(Err(discrepancy)) => Err(Failure::Discrepancy(discrepancy)),
            Err(e) => Err(Failure::Error(format!("{e:#}"))),
        };
    }
    let Some(url) = args.source.url else {
        return Err(Failure::Error("give the log's --url or a --data-dir".into()));
    };
    let Some(vkey) = &args.vkey else {
        return Err(Failure::Error(
            "give the log's verifier key with --vkey (`comity log key` prints it)".into(),
        ));
    };
    let vkey = read_vkey(vkey)?;
    let earlier = match &args.since {
        Some(path) => Some(check_checkpoint(
            &read_file(path)?,
            &vkey,
            &format!("the earlier checkpoint {}", path.display()),
        )?),
        None => None,
    };
    let remote = Remote::new(&url)?;
    let note = remote.get(&remote.url("checkpoint")).await?;
    let checkpoint =
        check_checkpoint(&note, &vkey, &format!("the checkpoint at {}", remote.url("checkpoint")))?;
    let mut verifier = LogVerifier::new();
    if let Some(earlier) = &earlier {
        verifier = verifier.since(earlier);
    }
    let verified = remote.verify(verifier, &checkpoint, true).await?;
    println!(
        "verified: {} has {} entries with root {}, as its checkpoint signs; every hash tile matches",
        verified.origin,
        verified.size,
        STANDARD.encode(verified.root.0)
    );
    if let Some(size) = verified.consistent_with {
        println!("consistent: its first {size} entries are the tree of the earlier checkpoint");
    }
    if let Some(path) = &args.save {
        std::fs::write(path, &note)
            .map_err(|e| Failure::Error(format!("cannot save the checkpoint to {}: {e}", path.display())))?;
    }
    Ok(())
}

async fn sample(args: SampleArgs) -> Result<(), Failure> {
    let vkey = read_vkey(&args.vkey)?;
    let note = read_file(&args.checkpoint)?;
    let checkpoint =
        check_checkpoint(&note, &vkey, &format!("the checkpoint {}", args.checkpoint.display()))?;
    let remote = Remote::new(&args.url)?;
    // The requests are read from the entries, which must give the checkpoint's root:
    // otherwise the log could serve other entries to shape the sample.
    let verified = remote.verify(LogVerifier::new().collect_requests(), &checkpoint, false).await?;
    let drawn = audit::sample(&verified.root, verified.size, &verified.requests, args.n);
    if args.json {
        let out = serde_json::json!({
            "origin": verified.origin,
            "size": verified.size,
            "root": STANDARD.encode(verified.root.0),
            "requests": verified.requests.len(),
            "n": args.n,
            "sample": drawn,
        });
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Failure::Error(e.to_string()))?);
    } else {
        for request in drawn {
            println!("{request}");
        }
    }
    Ok(())
}

/// How many tiles are fetched ahead of the one being verified.
const AHEAD: usize = 8;

/// A log's tlog-tiles API.
struct Remote {
    client: reqwest::Client,
    base: String,
}

impl Remote {
    fn new(base: &str) -> Result<Remote, Failure> {
        let parsed = reqwest::Url::parse(base).map_err(|e| Failure::Error(format!("--url {base}: {e}")))?;
        if parsed.scheme() != "http" {
            // reqwest is built without TLS in this workspace (no TLS stack is declared).
            return Err(Failure::Error(format!(
                "--url {base}: only http:// URLs are supported by this build (put an HTTPS proxy in front)"
            )));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| Failure::Error(format!("cannot start the HTTP client: {e}")))?;
        Ok(Remote { client, base: base.trim_end_matches('/').to_owned() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, Failure> {
        get(&self.client, url).await.map_err(Failure::Error)
    }

    /// Fetches a tile in the background. A partial tile that is gone (404) is fetched as
    /// the full tile, and only its first items kept: logs may delete partial tiles once
    /// the full one is published.
    fn spawn_tile(&self, tile: TilePath) -> JoinHandle<Result<Vec<u8>, String>> {
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
                    Some(bytes) => prefix(&tile, bytes)
                        .ok_or_else(|| format!("GET {full_url}: holds fewer than {} items", tile.width())),
                    None => Err(format!("GET {url}: 404 Not Found, and GET {full_url}: 404 Not Found")),
                },
                (None, None) => Err(format!("GET {url}: 404 Not Found")),
            }
        })
    }

    /// Reads every data tile the checkpoint's size implies into the verifier (and, with
    /// `hash_tiles`, every hash tile), then checks the tree against the checkpoint.
    async fn verify(
        &self,
        mut verifier: LogVerifier,
        checkpoint: &Checkpoint,
        hash_tiles: bool,
    ) -> Result<Verified, Failure> {
        let size = checkpoint.size();
        let mut progress = Progress::new(size);
        let mut pending: VecDeque<(TilePath, Option<TilePath>, Handles)> = VecDeque::new();
        let mut data = audit::tiles_at(size, 0, true);
        let mut hashes = audit::tiles_at(size, 0, false);
        loop {
            while pending.len() < AHEAD {
                let Some(tile) = data.next() else { break };
                let hash = if hash_tiles { hashes.next() } else { None };
                let handles = Handles { data: self.spawn_tile(tile), hash: hash.map(|h| self.spawn_tile(h)) };
                pending.push_back((tile, hash, handles));
            }
            let Some((tile, hash, handles)) = pending.pop_front() else { break };
            let bundle = join(handles.data).await?;
            verifier.push_bundle(&tile, &bundle)?;
            if let (Some(hash), Some(handle)) = (hash, handles.hash) {
                verifier.check_hash_tile(&hash, &join(handle).await?)?;
            }
            progress.show(verifier.size());
        }
        progress.done();
        if hash_tiles {
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
}

struct Handles {
    data: JoinHandle<Result<Vec<u8>, String>>,
    hash: Option<JoinHandle<Result<Vec<u8>, String>>>,
}

async fn join(handle: JoinHandle<Result<Vec<u8>, String>>) -> Result<Vec<u8>, Failure> {
    handle.await.map_err(|e| Failure::Error(format!("a fetch failed: {e}")))?.map_err(Failure::Error)
}

/// The first `width` items of a full tile, for a partial tile fetched as a full one.
fn prefix(tile: &TilePath, mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let width = tile.width() as usize;
    let len = if tile.is_entries() {
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
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Option<Vec<u8>>, String> {
    let response = client.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(format!("GET {url}: {status}"));
    }
    let bytes = response.bytes().await.map_err(|e| format!("GET {url}: {e}"))?;
    Ok(Some(bytes.to_vec()))
}

async fn get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    fetch(client, url).await?.ok_or_else(|| format!("GET {url}: 404 Not Found"))
}

/// `entries verified / total` on standard error, when it is a terminal.
struct Progress {
    total: u64,
    shown: Option<Instant>,
    enabled: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        Progress { total, shown: None, enabled: std::io::stderr().is_terminal() && total > 10 * TILE_WIDTH }
    }

    fn show(&mut self, done: u64) {
        if !self.enabled || self.shown.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
            return;
        }
        self.shown = Some(Instant::now());
        eprint!("\r{done} / {} entries verified", self.total);
    }

    fn done(&mut self) {
        if self.enabled && self.shown.is_some() {
            eprintln!("\r{} / {} entries verified", self.total, self.total);
        }
    }
}

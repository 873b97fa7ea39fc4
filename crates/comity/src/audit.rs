//! `comity log verify` and `comity audit sample`: checking a published log from outside,
//! with nothing but its base URL and its public key.
//!
//! The reading and checking are `comity_auditor`'s (`RemoteLog`, over the log's C2SP
//! tlog-tiles static API); this module has the flags, the output and the exit codes: 0 when
//! everything verifies, 1 when the log disagrees with itself or with its signatures (the
//! first discrepancy is printed), 2 for a usage or network error.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use clap::{Args, Subcommand};
use comity_auditor::{RemoteLog, check_checkpoint};
use comity_log::TILE_WIDTH;

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
    /// Print a JSON object instead of one request per line (its tag, or its id in an entry
    /// from before issue 12; docs/log.md, "Audit sampling").
    #[arg(long)]
    pub json: bool,
}

/// Why a command stopped.
pub(crate) enum Failure {
    /// The log disagrees with itself or its signatures: exit 1.
    Discrepancy(String),
    /// Usage, file or network error: exit 2.
    Error(String),
}

impl From<comity_auditor::Error> for Failure {
    fn from(e: comity_auditor::Error) -> Failure {
        // The auditor does not know the flags; its usage errors are named after them here.
        let message = match &e {
            comity_auditor::Error::Url { .. } => format!("--url {e}"),
            comity_auditor::Error::Key(reason) => format!("--vkey is not a note verifier key: {reason}"),
            _ => e.to_string(),
        };
        if e.is_discrepancy() { Failure::Discrepancy(message) } else { Failure::Error(message) }
    }
}

pub(crate) fn exit(result: Result<(), Failure>) -> ExitCode {
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

/// The verifier key, given inline or in a file, checked before anything is fetched.
pub(crate) fn read_vkey(vkey: &str) -> Result<String, Failure> {
    let path = Path::new(vkey);
    let key = if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Error(format!("cannot read the key file {}: {e}", path.display())))?;
        text.trim().to_owned()
    } else {
        vkey.trim().to_owned()
    };
    comity_log::check_verifier_key(&key).map_err(|e| {
        Failure::Error(format!(
            "--vkey {vkey:?} is neither a note verifier key (name+hash+base64, as `comity log key` prints it) nor a file holding one: {e}"
        ))
    })?;
    Ok(key)
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
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
    let remote = RemoteLog::new(&url)?;
    let mut progress = Progress::new();
    let report = remote.verify(&vkey, earlier.as_ref(), |p| progress.show(p)).await?;
    let verified = &report.verified;
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
        std::fs::write(path, &report.checkpoint)
            .map_err(|e| Failure::Error(format!("cannot save the checkpoint to {}: {e}", path.display())))?;
    }
    Ok(())
}

async fn sample(args: SampleArgs) -> Result<(), Failure> {
    let vkey = read_vkey(&args.vkey)?;
    let note = read_file(&args.checkpoint)?;
    let checkpoint =
        check_checkpoint(&note, &vkey, &format!("the checkpoint {}", args.checkpoint.display()))?;
    let remote = RemoteLog::new(&args.url)?;
    let mut progress = Progress::new();
    let sample = remote.sample(&checkpoint, args.n, |p| progress.show(p)).await?;
    if args.json {
        let verified = &sample.verified;
        let out = serde_json::json!({
            "origin": verified.origin,
            "size": verified.size,
            "root": STANDARD.encode(verified.root.0),
            "requests": verified.requests.len(),
            "n": args.n,
            "sample": sample.drawn,
        });
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Failure::Error(e.to_string()))?);
    } else {
        for request in sample.drawn {
            println!("{request}");
        }
    }
    Ok(())
}

/// `entries verified / total` on standard error, when it is a terminal and the log is
/// large enough for it to matter.
pub(crate) struct Progress {
    shown: Option<Instant>,
    terminal: bool,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        Progress { shown: None, terminal: std::io::stderr().is_terminal() }
    }

    pub(crate) fn show(&mut self, p: comity_auditor::Progress) {
        if !self.terminal || p.total <= 10 * TILE_WIDTH {
            return;
        }
        if p.verified == p.total {
            // The last data tile: the line is finished (hash tiles may follow, silently).
            if self.shown.is_some() {
                eprintln!("\r{} / {} entries verified", p.total, p.total);
            }
            return;
        }
        if self.shown.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
            return;
        }
        self.shown = Some(Instant::now());
        eprint!("\r{} / {} entries verified", p.verified, p.total);
    }
}

//! The log's signing key in the data directory, and the local side of `comity log`:
//! `comity log key` and `comity log verify --data-dir`.

use std::{
    io::{IsTerminal, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use clap::Args;
use comity_log::LogKey;

use crate::StoreArgs;

/// The file in the data directory that holds the log's private key.
pub const KEY_FILE: &str = "log-key";

/// The default origin: the checkpoint's first line names the log (c2sp.org/tlog-checkpoint).
/// A deployment sets its own, such as `comity.example.org/log`, before the first start.
pub const DEFAULT_ORIGIN: &str = "comity.localhost/log";

/// Which log, and where its key lives.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// The log's name, the first line of every checkpoint; a unique, schema-less URL such as
    /// `comity.example.org/log`. It is fixed by the key created on first start.
    #[arg(long, env = "COMITY_LOG_ORIGIN", default_value = DEFAULT_ORIGIN)]
    pub log_origin: String,
}

fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// Loads the log key from the data directory, creating it (mode 0600) on first use.
pub fn load_or_create(data_dir: &Path, origin: &str) -> anyhow::Result<LogKey> {
    let path = key_path(data_dir);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the log key {}", path.display()))?;
        let key = LogKey::from_signer_key(&text)
            .with_context(|| format!("reading the log key {}", path.display()))?;
        let name = key.verifier_key().split('+').next().unwrap_or_default();
        if name != origin {
            bail!(
                "the log key in {} is for the log {name:?}, but the configured origin is {origin:?}; \
                 a log keeps its origin for life: set --log-origin {name} (or COMITY_LOG_ORIGIN)",
                path.display()
            );
        }
        return Ok(key);
    }
    if origin.is_empty() || origin.contains(char::is_whitespace) || origin.contains('+') {
        bail!(
            "the log origin {origin:?} must be a non-empty name without spaces or '+', such as comity.example.org/log"
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let key = LogKey::generate(origin);
    write_private(&path, key.signer_key().as_bytes())?;
    tracing::info!(key = %key.verifier_key(), "created the log's signing key");
    Ok(key)
}

/// Writes a new file only its owner can read, and syncs it.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `comity log key`: prints the verifier key, creating the key if the log has none yet.
pub fn print_key(data_dir: &Path, log: &LogArgs) -> anyhow::Result<()> {
    let key = load_or_create(data_dir, &log.log_origin)?;
    println!("{}", key.verifier_key());
    Ok(())
}

/// `comity log verify --data-dir`: the store against its own log and checkpoints.
/// `Ok(Err(discrepancy))` when the store and its log disagree.
pub async fn verify_data_dir(
    data_dir: &Path,
    database_url: Option<&str>,
    log: &LogArgs,
    vkey: Option<&str>,
) -> anyhow::Result<Result<String, String>> {
    let path = key_path(data_dir);
    if !path.exists() {
        bail!("no log key at {}: this data directory has never been served", path.display());
    }
    let key = load_or_create(data_dir, &log.log_origin)?;
    if let Some(vkey) = vkey
        && vkey != key.verifier_key()
    {
        return Ok(Err(format!(
            "the key in {} is {}, not the --vkey given: this is not the log you meant",
            path.display(),
            key.verifier_key()
        )));
    }
    let store = StoreArgs { data_dir: data_dir.to_owned(), database_url: database_url.map(str::to_owned) };
    let store = store.open().await?;
    let tty = std::io::stderr().is_terminal();
    let result = comity_store::verify::verify_store(store.as_ref(), key.verifier_key(), |done, all| {
        if tty {
            eprint!("\rverified {done} of {all} entries");
        }
    })
    .await;
    if tty {
        eprintln!();
    }
    match result {
        Ok(v) => Ok(Ok(format!(
            "verified: {} entries ({} events, {} screenings, {} parties, {} reads, {} trust facts, {} \
             checkpoints); the latest checkpoint signs {} entries",
            v.entries, v.events, v.screenings, v.parties, v.reads, v.journal, v.checkpoints, v.signed_size
        ))),
        Err(comity_store::verify::VerifyError::Discrepancy(d)) => Ok(Err(d)),
        Err(e) => Err(e).context("reading the store"),
    }
}

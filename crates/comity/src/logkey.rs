//! The local side of `comity log`: `comity log key` and `comity log verify --data-dir`.
//! The key itself lives in the data directory (`comity_app::DataDir`).

use std::{io::IsTerminal, path::Path};

use anyhow::Context;
use clap::Args;
use comity_app::DataDir;

use crate::StoreArgs;

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

/// `comity log key`: prints the verifier key of an existing data directory.
pub fn print_key(data_dir: &Path, log: &LogArgs) -> anyhow::Result<()> {
    let key = DataDir::existing(data_dir)?.existing_log_key(&log.log_origin)?;
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
    let dir = DataDir::existing(data_dir)?;
    let path = dir.path().join(comity_app::data_dir::LOG_KEY_FILE);
    let key = dir.existing_log_key(&log.log_origin)?;
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
    let local = store.local().await?;
    let store = local.app.shared_store();
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
    let v = match result {
        Ok(v) => v,
        Err(comity_store::verify::VerifyError::Discrepancy(d)) => return Ok(Err(d)),
        Err(e) => return Err(e).context("reading the store"),
    };
    if let Err(mismatch) = local.app.check_signed_log(&dir, &key).await.context("reading the store")? {
        return Ok(Err(mismatch.0));
    }
    // The packages kept, against what the log says of them: shredded as logged, or whole.
    let packages = match local.app.check_packages().await.context("reading the packages")? {
        Ok(p) => p,
        Err(discrepancy) => return Ok(Err(discrepancy)),
    };
    Ok(Ok(format!(
        "verified: {} entries ({} events, {} screenings, {} parties, {} reads, {} trust facts, {} \
             checkpoints); the columns of {} requests, {} accounts and {} API tokens follow from the log; \
             {} sealed packages open whole{}, {} shredded as logged{}; the latest checkpoint signs {} entries; {} requests' \
             documents shredded as the log records",
        v.entries,
        v.events,
        v.screenings,
        v.parties,
        v.reads,
        v.journal,
        v.checkpoints,
        v.requests,
        v.accounts,
        v.tokens,
        packages.kept,
        if packages.from_files == 0 {
            String::new()
        } else {
            format!(
                " ({} of them from files, sealed before packages were kept in the database)",
                packages.from_files
            )
        },
        packages.shredded,
        if packages.legacy_missing.is_empty() {
            String::new()
        } else {
            format!(
                " ({} from before encryption at rest not in this data directory: {})",
                packages.legacy_missing.len(),
                packages.legacy_missing.join(", ")
            )
        },
        v.signed_size,
        v.shredded,
    )))
}

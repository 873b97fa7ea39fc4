//! `comity transparency verify`: recomputes a published transparency report from the
//! public log and names every figure that differs (issue 16, item 2).
//!
//! ```sh
//! curl -o report.json 'https://comity.example/v1/transparency?from=2027-01-01T00:00:00Z&to=2027-07-01T00:00:00Z'
//! comity transparency verify --url https://comity.example/log --vkey "$VKEY" --report report.json
//! ```
//!
//! It fetches the log's checkpoint, checks it with the verifier key, reads every entry up
//! to it (the tree must give the checkpoint's root), and computes the report's period
//! from the report's first `log_size` entries with the same code comity published it with
//! (`comity_core::transparency::Tally`). Exit 0 when every figure agrees, 1 naming those
//! that differ (or a log that disagrees with its checkpoint), 2 for unreadable input.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Duration;
use clap::{Args, Subcommand};
use comity_auditor::{HashTiles, RemoteLog, check_checkpoint};
use comity_core::CountryCode;
use comity_core::privacy::Epsilon;
use comity_core::transparency::{Publication, Tally};
use comity_log::LogVerifier;
use comity_wire::transparency::TransparencyReport;

use crate::audit::{Failure, Progress, exit, read_file, read_vkey};

#[derive(Debug, Subcommand)]
pub enum TransparencyCommand {
    /// Recompute a published report from the public log; exit 0 if every figure agrees,
    /// 1 naming those that differ.
    Verify(VerifyArgs),
    /// Release the fine breakdown of a period (issuing country × data category ×
    /// outcome) with differential-privacy noise, spending epsilon of the privacy budget;
    /// it is kept and published at GET /v1/transparency/releases/{number}.
    Release(ReleaseArgs),
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The period's start: a day (2027-01-01, from its midnight UTC) or an RFC 3339 time;
    /// requests received from then.
    #[arg(long)]
    from: String,
    /// The period's end, excluded (a day: from its midnight UTC, so `--to 2028-01-01`
    /// ends with 2027); the period must have ended.
    #[arg(long)]
    to: String,
    /// The privacy loss this release spends, such as 0.5: the smaller, the more noise.
    #[arg(long, value_parser = parse_epsilon)]
    epsilon: Epsilon,
    /// The most epsilon any one request's privacy loss may reach over every release that
    /// counts it (the server's --privacy-budget).
    #[arg(long, env = "COMITY_PRIVACY_BUDGET", default_value = "1", value_parser = parse_epsilon)]
    privacy_budget: Epsilon,
    /// Print the release as GET /v1/transparency/releases/{number} serves it (JSON).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: crate::StoreArgs,
}

/// Reads an epsilon flag (`0.5`), or says what one looks like.
pub fn parse_epsilon(text: &str) -> Result<Epsilon, String> {
    Epsilon::parse(text).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The log's base URL, as for `comity log verify` (such as `https://comity.example/log`).
    #[arg(long)]
    url: String,
    /// The log's verifier key, or a file holding it (`comity log key` prints it).
    #[arg(long)]
    vkey: String,
    /// The report, as `GET /v1/transparency` served it (JSON).
    #[arg(long)]
    report: PathBuf,
}

pub async fn run(command: TransparencyCommand) -> ExitCode {
    match command {
        TransparencyCommand::Verify(args) => exit(verify(args).await),
        TransparencyCommand::Release(args) => match release(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

async fn release(args: ReleaseArgs) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    let now = chrono::Utc::now();
    // An RFC 3339 time, or a day (its midnight, UTC), as the portal's forms take them.
    let time = |flag: &str, text: &str| {
        let text = text.trim();
        if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
        }
        chrono::DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&chrono::Utc)).map_err(|e| {
            anyhow::anyhow!(
                "{flag}: {text:?} is neither a day such as 2027-01-01 nor an RFC 3339 time such as 2027-01-01T00:00:00Z ({e})"
            )
        })
    };
    let period = (time("--from", &args.from)?, time("--to", &args.to)?);
    let local = args.store.local().await?;
    let hints = [(
        "privacy_budget_spent",
        "GET /v1/transparency/releases lists the releases and the periods they covered",
    )];
    let made = crate::admin::api(
        local.operator().release_private(period, args.epsilon, args.privacy_budget, now).await,
        &hints,
    )?;
    let resource = comity_wire::transparency::PrivateReleaseResource::new(
        &made.release,
        made.released_at,
        made.log_index,
        made.margin,
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&resource)?);
        return Ok(());
    }
    println!(
        "release {}: the requests received from {} to {}, {} cells (issuing country × data category × outcome)",
        resource.number,
        resource.from.to_rfc3339(),
        resource.to.to_rfc3339(),
        resource.cells.len()
    );
    println!(
        "epsilon {} of a budget of {}; discrete Laplace noise of scale {}: each figure within ±{} of its count in 95 % of cells",
        args.epsilon, args.privacy_budget, resource.scale, resource.margin_95
    );
    println!("published at GET /v1/transparency/releases/{} and on /transparency", resource.number);
    Ok(())
}

async fn verify(args: VerifyArgs) -> Result<(), Failure> {
    let vkey = read_vkey(&args.vkey)?;
    let text = read_file(&args.report)?;
    let report: TransparencyReport = serde_json::from_slice(&text).map_err(|e| {
        Failure::Error(format!(
            "{} is not a transparency report (GET /v1/transparency's JSON): {e}",
            args.report.display()
        ))
    })?;
    if report.kind != comity_wire::transparency::REPORT_TYPE {
        return Err(Failure::Error(format!(
            "{}: its type is {:?}; this comity verifies {}",
            args.report.display(),
            report.kind,
            comity_wire::transparency::REPORT_TYPE
        )));
    }
    if let Some(authority) = &report.authority {
        return Err(Failure::Error(format!(
            "{} is {authority}'s view, which counts only its requests: the public log names no party, so it cannot be recomputed from the log alone (verify the provider's report, GET /v1/transparency)",
            args.report.display()
        )));
    }
    let country = report
        .country
        .as_deref()
        .map(CountryCode::parse)
        .transpose()
        .map_err(|e| Failure::Error(format!("{}: its country: {e}", args.report.display())))?;
    let remote = RemoteLog::new(&args.url)?;
    let note = remote.checkpoint_note().await?;
    let checkpoint =
        check_checkpoint(&note, &vkey, &format!("the checkpoint at {}", remote.url("checkpoint")))?;
    if checkpoint.size() < report.log_size {
        return Err(Failure::Discrepancy(format!(
            "the report counts the log's first {} entries, but its checkpoint signs only {}",
            report.log_size,
            checkpoint.size()
        )));
    }
    let mut tally = Tally::new();
    let mut bad_entry = None;
    let mut progress = Progress::new();
    remote
        .verify_tiles(
            LogVerifier::new(),
            &checkpoint,
            HashTiles::Skip,
            |p| progress.show(p),
            |entry| {
                if tally.size() >= report.log_size || bad_entry.is_some() {
                    return;
                }
                match comity_log::Entry::from_bytes(entry) {
                    Ok(e) => tally.push(e.kind(), e.time(), e.request()),
                    Err(e) => bad_entry = Some(format!("entry {}: {e}", tally.size())),
                }
            },
        )
        .await?;
    if let Some(e) = bad_entry {
        return Err(Failure::Discrepancy(e));
    }
    let rules = Publication {
        band: report.national_security.band,
        delay: Duration::days(report.national_security.delay_days),
        suppress_below: report.suppress_below,
    };
    let computed = tally.report(report.from, report.to, country.as_ref(), &rules, report.generated_at);
    let recomputed = TransparencyReport::new(
        &computed,
        report.country.clone(),
        report.log_vkey.clone(),
        report.generated_at,
        report.suppress_below,
    );
    let published: BTreeMap<(String, String), String> =
        report.figures().into_iter().map(|(t, k, v)| ((t, k), v)).collect();
    let from_log: BTreeMap<(String, String), String> =
        recomputed.figures().into_iter().map(|(t, k, v)| ((t, k), v)).collect();
    let mut differ = Vec::new();
    for ((table, key), value) in &published {
        match from_log.get(&(table.clone(), key.clone())) {
            Some(v) if v == value => {}
            Some(v) => differ.push(format!("{table}.{key}: the report says {value}, the log gives {v}")),
            None => differ.push(format!("{table}.{key}: the report says {value}, the log gives none")),
        }
    }
    for ((table, key), value) in &from_log {
        if !published.contains_key(&(table.clone(), key.clone())) {
            differ.push(format!("{table}.{key}: the report leaves it out, the log gives {value}"));
        }
    }
    if !differ.is_empty() {
        for d in &differ {
            println!("differs: {d}");
        }
        return Err(Failure::Discrepancy(format!(
            "{} of the report's figures differ from the log's first {} entries",
            differ.len(),
            report.log_size
        )));
    }
    println!(
        "verified: every figure of the report ({} to {}, {} figures) is the log's, from its first {} entries \
         under a checkpoint of {} entries",
        report.from.format("%Y-%m-%d"),
        report.to.format("%Y-%m-%d"),
        published.len(),
        report.log_size,
        checkpoint.size()
    );
    Ok(())
}

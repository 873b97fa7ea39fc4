//! `comity screen`: screen a request document offline and print the report.

use std::{path::PathBuf, process::ExitCode};

use chrono::{DateTime, SubsecRound, Utc};
use clap::Args;
use comity_wire::screening::ScreeningReport;

use crate::policies::PolicyArgs;

#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// The request document (JSON); `-` reads standard input.
    file: PathBuf,
    /// The moment of receipt the deadlines run from (RFC 3339); now if left out.
    #[arg(long, value_name = "RFC3339")]
    received_at: Option<DateTime<Utc>>,
    #[command(flatten)]
    policies: PolicyArgs,
}

/// Prints the report as JSON and exits 0 whenever screening ran, whatever the verdict;
/// 2 with a message when the input cannot be read or is not a valid document.
///
/// Offline, screening sees only this request: the anti-bulk rule, which adds up an
/// authority's recent requests, has no history here. `POST /v1/screen` has it.
pub fn run(args: &ScreenArgs) -> ExitCode {
    let name = args.file.display().to_string();
    let bytes = match crate::read_input(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {name}: {e}");
            return ExitCode::from(2);
        }
    };
    let request = match comity_wire::parse_request(&bytes) {
        Ok((_, r)) => r,
        Err(e) => {
            eprintln!("error: {name} is not a valid request document:");
            for p in &e.problems {
                eprintln!("  {}: {}", if p.path.is_empty() { "(document)" } else { &p.path }, p.message);
            }
            return ExitCode::from(2);
        }
    };
    let packs = match args.policies.load() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let Some(pack) = packs.for_request(&request) else {
        eprintln!(
            "error: no policy pack covers instrument {} or purpose {}",
            request.instrument, request.purpose
        );
        return ExitCode::from(2);
    };
    let received_at = args.received_at.unwrap_or_else(Utc::now).trunc_subsecs(6);
    let report = comity_policy::screen(pack, &request, received_at, &[]);
    match serde_json::to_string_pretty(&ScreeningReport::from(&report)) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

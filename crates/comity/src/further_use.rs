//! `comity further-use verify`: checks an answer to an ask for further use (issue 15,
//! item 2) with the log's published verifier key, offline, as whoever receives the data
//! from the authority would.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum FurtherUseCommand {
    /// Check an answer to an ask for further use of produced data (as served at
    /// /v1/requests/{id}/further-use/{ask}/answer): its signature with the log's verifier
    /// key, then print what it grants or refuses. Exits 0 when it verifies, 1 when not.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed answer, a C2SP signed note; `-` for standard input.
    answer: PathBuf,
    /// The log's verifier key (name+hash+base64), as `comity init` printed it and the
    /// portal's public page shows it.
    #[arg(long)]
    vkey: String,
}

pub fn run(command: FurtherUseCommand) -> anyhow::Result<ExitCode> {
    let FurtherUseCommand::Verify(args) = command;
    comity_log::check_verifier_key(&args.vkey)
        .with_context(|| format!("--vkey {:?} is not a verifier key (name+hash+base64)", args.vkey))?;
    let note = if args.answer.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).context("reading standard input")?;
        bytes
    } else {
        std::fs::read(&args.answer).with_context(|| format!("reading {}", args.answer.display()))?
    };
    match comity_log::verify_statement(&note, &args.vkey) {
        Ok(text) if text.starts_with(&format!("{}\n", comity_app::further_use::ANSWER_HEADER)) => {
            print!("{text}");
            eprintln!("verified: signed by {}", args.vkey.split('+').next().unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => {
            eprintln!("refused: the note verifies but is not an answer to an ask for further use");
            Ok(ExitCode::from(1))
        }
        Err(e) => {
            eprintln!("refused: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

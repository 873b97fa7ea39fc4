//! `comity validate`: check request documents the way intake will.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Request documents (JSON); `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Exit 0 when every document is valid, 1 when any has a problem, 2 when one cannot be read.
pub fn run(args: &ValidateArgs) -> ExitCode {
    let mut code = ExitCode::SUCCESS;
    for path in &args.files {
        let name = path.display().to_string();
        let bytes = match crate::read_input(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                return ExitCode::from(2);
            }
        };
        match comity_wire::parse_request(&bytes) {
            Ok((_, request)) => println!(
                "{name}: ok ({} {} request from {} to {}, {} target{})",
                request.instrument,
                request.kind,
                request.issuing.authority,
                request.addressee.provider,
                request.targets.len(),
                if request.targets.len() == 1 { "" } else { "s" },
            ),
            Err(e) => {
                println!(
                    "{name}: {} problem{}",
                    e.problems.len(),
                    if e.problems.len() == 1 { "" } else { "s" }
                );
                for p in &e.problems {
                    let at = if p.path.is_empty() { "(document)" } else { &p.path };
                    println!("  {at}: {}", p.message);
                }
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

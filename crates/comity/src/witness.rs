//! `comity witness`: run a C2SP tlog-witness (c2sp.org/tlog-witness) for comity logs, or
//! for any log that signs C2SP checkpoints with Ed25519.
//!
//! The witness is `comity_witness`'s (its HTTP service, key and durable state, over
//! `comity_log`'s decisions); this module has the flags, the logging set-up and the
//! output.

use std::{io::IsTerminal, net::SocketAddr, path::PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use comity_log::KnownLogs;
use comity_witness::{Config, Server, StateDir};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Serve POST /add-checkpoint (c2sp.org/tlog-witness) for the given logs.
    Serve(ServeArgs),
    /// Print the witness's verifier key (creating the key if missing).
    Key(KeyArgs),
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The witness's state directory: its key and what it cosigned.
    #[arg(long, env = "COMITY_WITNESS_STATE_DIR", default_value = "comity-witness")]
    state_dir: PathBuf,
    /// The witness's name, a schema-less URL such as witness.example.org/w1; needed to
    /// create the key, and checked against it after.
    #[arg(long, env = "COMITY_WITNESS_NAME")]
    name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "COMITY_WITNESS_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    #[command(flatten)]
    key: KeyArgs,
    /// A log to witness, as ORIGIN=VKEY (the checkpoint's origin line and the log's
    /// note verifier key). Repeat for several logs or several keys of one log; in the
    /// environment, separate them with commas.
    #[arg(long = "log", env = "COMITY_WITNESS_LOGS", value_delimiter = ',', required = true)]
    logs: Vec<String>,
}

pub async fn run(command: WitnessCommand) -> anyhow::Result<()> {
    match command {
        WitnessCommand::Key(args) => {
            let key = StateDir::new(args.state_dir).key(args.name.as_deref()).map_err(flags)?;
            println!("{}", key.verifier_key());
            Ok(())
        }
        WitnessCommand::Serve(args) => serve(args).await,
    }
}

/// The witness's errors, with the flag to use where one would help.
fn flags(e: comity_witness::Error) -> anyhow::Error {
    match e {
        comity_witness::Error::NoKey { dir } => {
            anyhow::anyhow!("there is no witness key in {}; give --name to create one", dir.display())
        }
        e => e.into(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let Some(name) = args.key.name else {
        bail!("give the witness's name with --name (or COMITY_WITNESS_NAME)");
    };
    let mut logs = KnownLogs::new();
    for log in &args.logs {
        let Some((origin, vkey)) = log.split_once('=') else {
            bail!("--log {log:?}: expected ORIGIN=VKEY");
        };
        logs.add(origin, vkey).with_context(|| format!("--log {log:?}"))?;
    }
    let config = Config { listen: args.listen, state_dir: StateDir::new(args.key.state_dir), name, logs };
    let server = Server::bind(config).await.map_err(flags)?;
    // On stdout, for scripts and tests that start the witness on port 0.
    println!("comity witness listening on http://{}", server.local_addr());
    server.run(crate::serve::shutdown_signal()).await?;
    Ok(())
}

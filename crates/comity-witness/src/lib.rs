//! comity's C2SP tlog-witness (c2sp.org/tlog-witness), both sides of it.
//!
//! A witness keeps, for each log it knows, the last checkpoint it cosigned, and cosigns a
//! new one only if the log signed it and it extends that tree. A log that showed two
//! different trees to two parties cannot get both cosigned by one witness.
//!
//! - The service, `comity witness serve`: [`Server`] (or [`serve`]) answers
//!   `POST /add-checkpoint` with a [`Witness`] whose key and records live in a
//!   [`StateDir`], each record durable before the answer.
//! - The client, for a log: [`WitnessClient`] submits a checkpoint, proven consistent
//!   with what the witness cosigned before, and returns the witness's cosignature.
//!
//! ```no_run
//! use comity_log::KnownLogs;
//! use comity_witness::{Config, Server, StateDir};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut logs = KnownLogs::new();
//! logs.add("comity.example.org/log", "comity.example.org/log+1a2b3c4d+AQ...")?;
//! let server = Server::bind(Config {
//!     listen: "127.0.0.1:0".parse()?,
//!     state_dir: StateDir::new("comity-witness"),
//!     name: "witness.example.org/w1".into(),
//!     logs,
//! })
//! .await?;
//! println!("{} at http://{}", server.key().verifier_key(), server.local_addr());
//! server.run(std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! - The witness's decision is a pure function of `comity-log`
//!   (`comity_log::add_checkpoint`), and so are the request body, the 409 size and the
//!   cosignatures. This crate adds only HTTP, the key file and the durable records, so the
//!   rules can be read, and tested, without a server.
//! - A witness is its own service, apart from the log server: it shares no state with the
//!   log it watches, only the protocol. The client is here too, beside the service it
//!   talks to, so that both ends of the protocol are tested against each other.
//! - A check and its record are atomic per log (one lock per origin, held from reading
//!   the last checkpoint to persisting the new one), and the record is on disk (a
//!   temporary file, fsync, rename, fsync of the directory) before the witness answers:
//!   the spec says it "MUST persist the new checkpoint before responding".
//! - Configuration comes in as values ([`Config`], `comity_log::KnownLogs`); the command
//!   line's flags, output and logging set-up stay in the binary.

mod client;
mod server;
mod state;

use std::path::PathBuf;

pub use client::{HashSource, ParseError, SourceError, SubmitError, TIMEOUT, WitnessClient};
use comity_log::WitnessError;
pub use server::{Config, Server, Witness};
pub use state::StateDir;

/// Why the witness could not start or keep its state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written, or the address bound.
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The key file is not a witness key.
    #[error("reading {}", path.display())]
    Key {
        path: PathBuf,
        #[source]
        source: WitnessError,
    },
    /// There is no key, and no name to create one with.
    #[error("there is no witness key in {}; a name is needed to create one", dir.display())]
    NoKey { dir: PathBuf },
    /// The name is not a valid key name.
    #[error(transparent)]
    Name(WitnessError),
    /// The key has another name than the one asked for.
    #[error("the key in {} is named {found:?}, not {expected:?}", path.display())]
    WrongName { path: PathBuf, found: String, expected: String },
    /// A log's record is not a checkpoint note.
    #[error("reading {}", path.display())]
    State {
        path: PathBuf,
        #[source]
        source: WitnessError,
    },
    /// A log's record holds a checkpoint of another log.
    #[error("{} holds a checkpoint of {found:?}, not of {origin:?}", path.display())]
    StateOrigin { path: PathBuf, found: String, origin: String },
}

/// Loads the state, binds `config.listen` and serves until `shutdown` completes.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Error> {
    Server::bind(config).await?.run(shutdown).await
}

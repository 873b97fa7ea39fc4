//! `comity witness`: run a C2SP tlog-witness (c2sp.org/tlog-witness) for comity logs, or
//! for any log that signs C2SP checkpoints with Ed25519.
//!
//! The decisions are `comity_log::add_checkpoint`'s; this module adds HTTP, the key file
//! and the durable record of what was cosigned. The state directory holds:
//!
//! - `witness.key`: the private key (mode 0600), created on first start;
//! - `logs/<hex SHA-256 of the origin>`: the last checkpoint cosigned for each log, with
//!   the log's signatures and the witness's cosignature.

use std::{
    collections::HashMap,
    io::{IsTerminal, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use clap::{Args, Subcommand};
use comity_log::{KnownLogs, Refusal, WitnessKey, Witnessed};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
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
            let key = load_or_create_key(&args.state_dir, args.name.as_deref())?;
            println!("{}", key.verifier_key());
            Ok(())
        }
        WitnessCommand::Serve(args) => serve(args).await,
    }
}

/// Reads the key in `dir`, or creates it (mode 0600, durably) when there is none.
fn load_or_create_key(dir: &Path, name: Option<&str>) -> anyhow::Result<WitnessKey> {
    private_dir(dir).with_context(|| format!("creating the state directory {}", dir.display()))?;
    let path = dir.join("witness.key");
    let key = match std::fs::read_to_string(&path) {
        Ok(text) => {
            WitnessKey::from_signer_key(&text).with_context(|| format!("reading {}", path.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let Some(name) = name else {
                bail!("there is no witness key in {}; give --name to create one", dir.display());
            };
            let key = WitnessKey::generate(name)?;
            let mut file = private_file()
                .create_new(true)
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            file.write_all(format!("{}\n", key.signer_key()).as_bytes())
                .and_then(|()| file.sync_all())
                .and_then(|()| sync_dir(dir))
                .with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(path = %path.display(), "created the witness key");
            key
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    match name {
        Some(name) if name != key.name() => {
            bail!("the key in {} is named {:?}, not {name:?}", path.display(), key.name())
        }
        _ => Ok(key),
    }
}

/// Options to write a file only its owner can read (mode 0600 on Unix).
fn private_file() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates a directory only its owner can enter (mode 0700 on Unix).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Flushes a directory's entries (a created or renamed file) to disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Where the last cosigned checkpoint of `origin` is kept.
fn state_path(dir: &Path, origin: &str) -> PathBuf {
    let hash = Sha256::digest(origin.as_bytes());
    let name: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    dir.join("logs").join(name)
}

/// Writes a file so that a crash leaves either the old or the new content: a temporary
/// file, fsync, rename, fsync of the directory.
fn write_durably(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent directory"))?;
    let tmp = path.with_extension("tmp");
    let mut file = private_file().create(true).truncate(true).open(&tmp)?;
    file.write_all(content)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)
}

struct Witness {
    key: WitnessKey,
    logs: KnownLogs,
    dir: PathBuf,
    /// One lock per known log: a request holds it from reading the state to persisting
    /// the new one (c2sp.org/tlog-witness asks for the check and the update to be atomic).
    state: HashMap<String, Mutex<Option<Witnessed>>>,
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let Some(name) = args.key.name.as_deref() else {
        bail!("give the witness's name with --name (or COMITY_WITNESS_NAME)");
    };
    let key = load_or_create_key(&args.key.state_dir, Some(name))?;
    let mut logs = KnownLogs::new();
    for log in &args.logs {
        let Some((origin, vkey)) = log.split_once('=') else {
            bail!("--log {log:?}: expected ORIGIN=VKEY");
        };
        logs.add(origin, vkey).with_context(|| format!("--log {log:?}"))?;
    }
    let dir = args.key.state_dir.clone();
    private_dir(&dir.join("logs")).context("creating the logs directory")?;
    let mut state = HashMap::new();
    for origin in logs.origins() {
        let path = state_path(&dir, origin);
        let last = match std::fs::read(&path) {
            Ok(note) => {
                let (stored, witnessed) =
                    Witnessed::from_note(&note).with_context(|| format!("reading {}", path.display()))?;
                if stored != origin {
                    bail!("{} holds a checkpoint of {stored:?}, not of {origin:?}", path.display());
                }
                tracing::info!(origin, size = witnessed.size, "last cosigned checkpoint");
                Some(witnessed)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        state.insert(origin.to_owned(), Mutex::new(last));
    }
    let witness = Arc::new(Witness { key, logs, dir, state });

    let app = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        // A signed note is at most 1 MB (signed_note's limit); the proof adds 63 lines.
        .layer(DefaultBodyLimit::max(1_100_000))
        .with_state(witness.clone());
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr().context("reading the listening address")?;
    // On stdout, for scripts and tests that start the witness on port 0.
    println!("comity witness listening on http://{addr}");
    tracing::info!(%addr, name = witness.key.name(), vkey = witness.key.verifier_key(), "comity witness is serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(crate::serve::shutdown_signal())
        .await
        .context("serving HTTP")?;
    Ok(())
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn refuse(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    text(status, refusal.content_type(), refusal.body())
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let request = match comity_log::parse_add_checkpoint(&body) {
        Ok(r) => r,
        Err(refusal) => return refuse(&refusal),
    };
    let origin = request.origin().to_owned();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let Some(slot) = witness.state.get(&origin) else {
        // There is a slot for every known log.
        return refuse(&Refusal::UnknownLog(origin));
    };
    let mut last = slot.lock().await;
    match comity_log::add_checkpoint(&witness.key, &witness.logs, last.as_ref(), &request, now) {
        Ok(accepted) => {
            // Durable before the answer: a crash must never make the witness forget what
            // it cosigned (c2sp.org/tlog-witness: "The witness MUST persist the new
            // checkpoint before responding").
            let path = state_path(&witness.dir, &origin);
            let note = accepted.note.clone();
            let written = tokio::task::spawn_blocking(move || write_durably(&path, &note)).await;
            match written {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(origin, error = %e, "cannot persist the cosigned checkpoint");
                    return text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "text/plain; charset=utf-8",
                        "the witness could not record the checkpoint; nothing was cosigned\n".into(),
                    );
                }
                Err(e) => {
                    tracing::error!(origin, error = %e, "the persisting task failed");
                    return text(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "text/plain; charset=utf-8",
                        "the witness could not record the checkpoint; nothing was cosigned\n".into(),
                    );
                }
            }
            let previous = last.map(|w| w.size);
            *last = Some(accepted.state);
            tracing::info!(origin, size = accepted.state.size, ?previous, "cosigned");
            text(StatusCode::OK, "text/plain; charset=utf-8", accepted.cosignature)
        }
        Err(refusal) => {
            if refusal.is_evidence() {
                // c2sp.org/tlog-witness: the witness MAY log such a request, "as it might
                // be proof of log misbehavior".
                tracing::warn!(
                    origin,
                    refusal = %refusal,
                    checkpoint = ?String::from_utf8_lossy(&request.note),
                    "refused a validly signed checkpoint that contradicts the cosigned one",
                );
            } else {
                tracing::info!(origin, status = refusal.status(), refusal = %refusal, "refused");
            }
            refuse(&refusal)
        }
    }
}

//! The witness over HTTP: `POST /add-checkpoint` (c2sp.org/tlog-witness).

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use comity_log::{KnownLogs, Refusal, WitnessKey, Witnessed};
use tokio::{net::TcpListener, sync::Mutex};

use crate::{Error, StateDir, state::write_durably};

/// What a witness needs to serve: where to listen, its state, its name and the logs it
/// witnesses.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on; port 0 picks a free port ([`Server::local_addr`]).
    pub listen: SocketAddr,
    /// The state directory: the key and what was cosigned ([`StateDir`]).
    pub state_dir: StateDir,
    /// The witness's name, a schema-less URL such as `witness.example.org/w1`: the key is
    /// created with it, and must have it after.
    pub name: String,
    /// The logs to witness, each with the verifier keys it trusts.
    pub logs: KnownLogs,
}

/// A witness with its state loaded: the key, the logs it knows, and what it last cosigned
/// for each.
#[derive(Debug)]
pub struct Witness {
    key: WitnessKey,
    logs: KnownLogs,
    state_dir: StateDir,
    /// One lock per known log: a request holds it from reading the state to persisting
    /// the new one (c2sp.org/tlog-witness asks for the check and the update to be atomic).
    state: HashMap<String, Mutex<Option<Witnessed>>>,
}

impl Witness {
    /// Loads (or creates) the key named `name` in `state_dir`, and what was cosigned for
    /// each of `logs`.
    pub fn open(state_dir: StateDir, name: &str, logs: KnownLogs) -> Result<Witness, Error> {
        let key = state_dir.key(Some(name))?;
        state_dir.create_logs_dir()?;
        let mut state = HashMap::new();
        for origin in logs.origins() {
            let last = state_dir.last(origin)?;
            if let Some(last) = &last {
                tracing::info!(origin, size = last.size, "last cosigned checkpoint");
            }
            state.insert(origin.to_owned(), Mutex::new(last));
        }
        Ok(Witness { key, logs, state_dir, state })
    }

    /// The witness's key: its name and the verifier key logs check cosignatures with.
    pub fn key(&self) -> &WitnessKey {
        &self.key
    }

    /// The router: `POST /add-checkpoint`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/add-checkpoint", post(add_checkpoint))
            // A signed note is at most 1 MB (signed_note's limit); the proof adds 63 lines.
            .layer(DefaultBodyLimit::max(1_100_000))
            .with_state(self)
    }
}

/// A witness bound to its address, ready to [`Server::run`].
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    witness: Arc<Witness>,
}

impl Server {
    /// Loads the state ([`Witness::open`]) and binds the address.
    pub async fn bind(config: Config) -> Result<Server, Error> {
        let witness = Witness::open(config.state_dir, &config.name, config.logs)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Io { context: format!("listening on {}", config.listen), source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Io { context: "reading the listening address".into(), source })?;
        Ok(Server { listener, addr, witness: Arc::new(witness) })
    }

    /// The address it listens on (the port chosen, for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The witness's key.
    pub fn key(&self) -> &WitnessKey {
        self.witness.key()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), Error> {
        let key = self.witness.key();
        tracing::info!(addr = %self.addr, name = key.name(), vkey = key.verifier_key(), "comity witness is serving");
        axum::serve(self.listener, self.witness.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|source| Error::Io { context: "serving HTTP".into(), source })
    }
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn refuse(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    text(status, refusal.content_type(), refusal.body())
}

fn not_recorded() -> Response {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain; charset=utf-8",
        "the witness could not record the checkpoint; nothing was cosigned\n".into(),
    )
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
            let path = witness.state_dir.log_path(&origin);
            let note = accepted.note.clone();
            match tokio::task::spawn_blocking(move || write_durably(&path, &note)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(origin, error = %e, "cannot persist the cosigned checkpoint");
                    return not_recorded();
                }
                Err(e) => {
                    tracing::error!(origin, error = %e, "the persisting task failed");
                    return not_recorded();
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

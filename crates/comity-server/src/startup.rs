//! Start-up: from a [`Config`] to a running server, in the order that refuses clearly.
//!
//! [`Application::build`] is what `comity serve` runs and what every server test runs
//! (`spawn_app`), so the tests go through the real start-up:
//!
//! 1. the port is bound first, so a port in use is found before anything is created;
//! 2. the data directory is created and checked writable, and an SQLite directory is
//!    locked, so a second server on it is refused, told which one holds it;
//! 3. the log key and the server key are read (or made, on the first start);
//! 4. the store is opened and checked writable: a read-only database refuses to start
//!    rather than answer `500` at its first write;
//! 5. the log is checked against its checkpoints: the stored ones must be signed by this
//!    key, and neither they nor the one kept in the data directory may sign more entries
//!    than the store holds (a database restored from an older copy, or cut short, would
//!    otherwise fork the log);
//! 6. each policy pack version not yet kept is kept (its text, as a `pack.adopted` fact);
//!    screenings a crash interrupted are finished; the demo is seeded if asked for;
//! 7. the checkpointer, the sweeper of deadlines, the delivery worker of notices and the
//!    task that shares limits with the other servers (heartbeats and failure buckets) start.
//!
//! [`Application::run_until_stopped`] serves until the shutdown signal, then signs a last
//! checkpoint so that a clean stop leaves no entry unsigned.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use comity_app::{
    App, DataDir, HashingSettings, NoticeSettings, Notifier, Seeded, Settings, data_dir::DirLock,
};
use comity_core::ActorId;
use comity_log::{Hash, LogKey};
use comity_policy::PackSet;
use comity_witness::{HashSource, WitnessClient};
use tokio::net::TcpListener;

use crate::{AppState, HttpConfig, log::LogConfig};

/// How often the log signs a checkpoint when it has grown (issue 4: at most every second).
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// How often the sweeper acts on the deadlines that passed (issue 13). A deadline is
/// acted on at most this long after it passes; the law's shortest period is 8 hours.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

/// How often each server renews its heartbeat and reads the failure buckets every server
/// shares (issue 17): a client blocked on one server is blocked on the others within this,
/// and a server that stops answering is counted out of the live ones after five of these.
pub const SHARE_INTERVAL: Duration = Duration::from_secs(1);

/// How often the delivery worker feeds the outbox from the log and delivers what is due
/// (issue 13, item 8).
pub const NOTICE_INTERVAL: Duration = Duration::from_secs(5);

/// Everything a server is started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The data directory: the SQLite database (unless `database_url`), the keys, the
    /// productions.
    pub data_dir: PathBuf,
    /// A PostgreSQL URL; when given, the database several servers share.
    pub database_url: Option<String>,
    /// The log's name, the first line of every checkpoint.
    pub log_origin: String,
    pub packs: PackSet,
    pub http: HttpConfig,
    /// The witnesses every checkpoint goes to.
    pub witnesses: Vec<WitnessClient>,
    pub checkpoint_interval: Duration,
    /// How often the deadlines that passed are acted on ([`SWEEP_INTERVAL`]).
    pub sweep_interval: Duration,
    /// How often this server renews its heartbeat and reads the failures every server
    /// counted ([`SHARE_INTERVAL`]).
    pub share_interval: Duration,
    /// Seed the demo's parties, people and requests on the first start, as this actor.
    pub demo: Option<ActorId>,
    /// How many password hashes run at once, and how many one client may have waiting.
    pub hashing: HashingSettings,
    /// The SMTP server e-mail notices go through (`--smtp`); without one they stay
    /// pending, with the reason in their `last_error`.
    pub smtp: Option<comity_notify::SmtpSettings>,
    /// The server's URL as parties reach it, for the link in every notice; by default
    /// `http://` and the address it listens on.
    pub public_url: Option<String>,
    /// How often notices are fed and delivered ([`NOTICE_INTERVAL`]).
    pub notice_interval: Duration,
    /// When a notice is tried again, and when it is given up.
    pub notice_retry: comity_notify::RetryPolicy,
    /// How long after a production's retention date its authority has to attest disposal
    /// before it is escalated (`--disposal-grace-days`).
    pub disposal_grace: chrono::Duration,
    /// How long a request's documents are kept once nothing more is done with it
    /// (`--document-retention-days`; issue 15).
    pub document_retention: chrono::Duration,
    /// How long the authority has to attest deletion of recalled data (`--recall-days`).
    pub recall_within: chrono::Duration,
    /// Breakdown cells below this are suppressed in transparency reports (`--suppress-below`).
    pub suppress_below: u64,
    /// The privacy budget of the differential-privacy releases (`--privacy-budget`).
    pub privacy_budget: comity_core::privacy::Epsilon,
}

/// Why a server did not start: what it was doing, and why that failed.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct StartError {
    what: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StartError {
    fn new(what: impl Into<String>, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StartError { what: what.into(), source: source.into() }
    }
}

/// A server ready to serve: bound, its store open and checked, its checkpointer running.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    data_dir: DataDir,
    key: LogKey,
    origin: String,
    checkpointer: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
    notifier: Notifier,
    delivery: tokio::task::JoinHandle<()>,
    sharer: tokio::task::JoinHandle<()>,
    /// This process, as its heartbeat names it.
    server_id: String,
    seeded: Option<Seeded>,
    _lock: Option<DirLock>,
}

impl Application {
    /// Starts a server from `config` (see the module's docs for the order of the checks).
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let listener = TcpListener::bind(config.listen).await.map_err(|e| {
            StartError::new(
                format!("listening on {}", config.listen),
                format!(
                    "{e}; is another comity (or another program) using that port? choose another --listen"
                ),
            )
        })?;
        let address =
            listener.local_addr().map_err(|e| StartError::new("reading the listening address", e))?;

        let data_dir =
            DataDir::create(&config.data_dir).map_err(|e| StartError::new("the data directory", e))?;
        let lock = match &config.database_url {
            Some(_) => None,
            None => {
                let holder = format!(
                    "pid {}, http://{address}, since {}",
                    std::process::id(),
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
                Some(data_dir.lock(&holder).map_err(|e| StartError::new("the data directory", e))?)
            }
        };
        let key = data_dir.log_key(&config.log_origin).map_err(|e| StartError::new("the log key", e))?;
        let server_key = data_dir.server_key().map_err(|e| StartError::new("the server key", e))?;
        let webhook_key = data_dir.webhook_key().map_err(|e| StartError::new("the webhook key", e))?;
        let mailer = match &config.smtp {
            Some(smtp) => Some(std::sync::Arc::new(
                comity_notify::Mailer::new(smtp)
                    .map_err(|e| StartError::new("setting up e-mail (--smtp)", e))?,
            )),
            None => None,
        };

        let what = match &config.database_url {
            Some(_) => "connecting to the PostgreSQL database".to_owned(),
            None => format!("opening the data directory {}", data_dir.path().display()),
        };
        let store = comity_store::open(config.database_url.as_deref(), data_dir.path())
            .await
            .map_err(|e| StartError::new(what, e))?;
        // A database that answers reads but refuses writes would start, say it is ready and
        // fail the first request; it is refused here instead.
        store.check_writable().await.map_err(|e| {
            StartError::new(
                "checking that the database accepts writes",
                format!(
                    "{e}: comity writes every request and every step to it; give the server a database it \
                     may write (the file's and the directory's permissions for SQLite, the role's privileges \
                     and a primary rather than a read-only standby for PostgreSQL)"
                ),
            )
        })?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
        let settings = Settings {
            server_key,
            jws: comity_auth::jws::Limits::default(),
            productions: Some(data_dir.productions()),
            hashing: config.hashing,
            // One-time links go to their contacts by the mail notices go by.
            link_mail: mailer.clone().map(|mailer| comity_app::LinkMail {
                mailer,
                public_url: public_url.trim_end_matches('/').to_owned(),
            }),
            public_url: config.public_url.as_ref().map(|url| url.trim_end_matches('/').to_owned()),
            log_key: Some(key.clone()),
            disposal_grace: config.disposal_grace,
            document_retention: config.document_retention,
            recall_within: config.recall_within,
            suppress_below: config.suppress_below,
            privacy_budget: config.privacy_budget,
        };
        let app = App::new(store, config.packs, settings);
        app.check_signed_log(&data_dir, &key)
            .await
            .map_err(|e| StartError::new("reading the log", e))?
            .map_err(|mismatch| StartError::new("checking the log", mismatch))?;
        app.check_shared_keys(&data_dir, &key)
            .await
            .map_err(|e| StartError::new("reading the keys this database was started with", e))?
            .map_err(|mismatch| StartError::new("checking the keys", mismatch))?;
        // Each pack version this server judges with is kept, once, before it judges anything
        // (issue 16, item 8): its text stays readable for every request it screens.
        let adopted = app
            .record_packs(chrono::Utc::now())
            .await
            .map_err(|e| StartError::new("keeping the policy packs' versions", e))?;
        for version in &adopted {
            tracing::info!(pack = %version, "a policy pack version judges requests from now on; its text is kept");
        }
        let resumed = app
            .resume_screenings()
            .await
            .map_err(|e| StartError::new("finishing interrupted screenings", e))?;
        if resumed > 0 {
            tracing::warn!(requests = resumed, "finished screenings a previous run left unfinished");
        }
        // Documents from before they were sealed at rest are sealed once, now (issue 15).
        app.seal_in_clear()
            .await
            .map_err(|e| StartError::new("sealing request documents kept in the clear", e))?;
        let seeded = match config.demo {
            Some(seeder) => app
                .seed_demo(&data_dir, seeder, address)
                .await
                .map_err(|e| StartError::new("seeding the demo data", e))?,
            None => None,
        };
        for w in &config.witnesses {
            tracing::info!(url = %w.url(), key = %w.vkey(), "checkpoints go to this witness");
        }
        let checkpointer = spawn_checkpointer(
            app.clone(),
            data_dir.clone(),
            key.clone(),
            config.log_origin.clone(),
            config.checkpoint_interval,
            config.witnesses,
        );
        let sweeper = spawn_sweeper(app.clone(), config.sweep_interval);
        let notice_settings =
            NoticeSettings { retry: config.notice_retry, ..NoticeSettings::new(&public_url) };
        let notifier = Notifier::new(app.clone(), &webhook_key, mailer, notice_settings)
            .map_err(|e| StartError::new("setting up notices", e))?;
        if !notifier.has_mailer() {
            tracing::warn!(
                "no SMTP server configured (--smtp): e-mail notices stay pending until one is; webhooks are sent"
            );
        }
        tracing::info!(
            key_id = notifier.key_id(),
            "webhooks are signed with this key (GET /v1/webhooks/key)"
        );
        let delivery = spawn_notifier(notifier.clone(), config.notice_interval);
        let state = AppState::new(app)
            .with_http(config.http)
            .with_log(LogConfig {
                origin: config.log_origin.clone(),
                verifier_key: key.verifier_key().to_owned(),
            })
            .with_webhook_key(webhook_key_resource(&notifier));
        let server_id = lease_holder();
        let sharer = spawn_sharer(state.clone(), server_id.clone(), config.share_interval);
        Ok(Application {
            listener,
            address,
            state,
            data_dir,
            key,
            origin: config.log_origin,
            checkpointer,
            sweeper,
            notifier,
            delivery,
            sharer,
            server_id,
            seeded,
            _lock: lock,
        })
    }

    /// Where it listens (with the port chosen, if 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The use cases it serves.
    pub fn app(&self) -> &App {
        self.state.app()
    }

    /// The log's verifier key.
    pub fn verifier_key(&self) -> &str {
        self.key.verifier_key()
    }

    /// The delivery worker of notices, whose steps a test may drive at the times it
    /// chooses.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// What the demo seeder made, if it ran.
    pub fn seeded(&self) -> Option<&Seeded> {
        self.seeded.as_ref()
    }

    /// Serves until `shutdown` completes, finishes the requests in flight, then signs a
    /// last checkpoint so that a clean stop leaves no entry unsigned.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let app = self.state.app().clone();
        tracing::info!(addr = %self.address, "comity is serving");
        crate::serve(self.listener, self.state, shutdown)
            .await
            .map_err(|e| StartError::new("serving HTTP", e))?;
        self.checkpointer.abort();
        self.sweeper.abort();
        self.delivery.abort();
        self.sharer.abort();
        // The others count this server out at once, not when its heartbeat runs out.
        if let Err(e) = app.leave(&self.server_id).await {
            tracing::warn!(error = %e, "could not remove this server's heartbeat; the others count it out in a few seconds");
        }
        match app.sign_checkpoint(&self.key, &self.origin).await {
            Ok(Some(c)) => {
                keep(&self.data_dir, &c.note);
                tracing::info!(size = c.size, "signed a last checkpoint");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not sign a last checkpoint"),
        }
        app.store().close().await;
        tracing::info!("comity stopped");
        Ok(())
    }
}

/// Keeps a signed checkpoint in the data directory; a failure is logged, not fatal (the
/// database keeps every checkpoint too).
fn keep(dir: &DataDir, note: &[u8]) {
    if let Err(e) = dir.keep_checkpoint(note) {
        tracing::warn!(error = %e, "could not keep the latest checkpoint in the data directory");
    }
}

/// The store's tree hashes, for the consistency proofs witnesses ask for.
struct StoreHashes(App);

impl HashSource for StoreHashes {
    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, comity_witness::SourceError> {
        self.0.log_hashes(indexes).await.map_err(|e| e.to_string().into())
    }
}

/// Acts on every deadline that passed, once per `interval`, from the start on: what a
/// stopped server left due is done first. Each act is one transaction that closes its
/// clock, so a sweep killed halfway, or two servers sweeping one database, act on each
/// deadline exactly once (`App::sweep`). Runs until aborted.
fn spawn_sweeper(app: App, interval: Duration) -> tokio::task::JoinHandle<()> {
    // Who this server is, for the sweeper's lease: one server sweeps at a time.
    let holder = lease_holder();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let hold = chrono::Duration::from_std(interval * 3).unwrap_or(chrono::Duration::minutes(2));
        loop {
            ticks.tick().await;
            let now = chrono::Utc::now();
            match app.may_sweep(&holder, now, hold).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "the sweeper's lease could not be read; retrying at the next tick");
                    continue;
                }
            }
            match app.sweep(now).await {
                Ok(sweep) if !sweep.acted.is_empty() => {
                    tracing::info!(acted = sweep.acted.len(), taken = sweep.taken, "deadlines acted on")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the sweep of deadlines failed; retrying at the next tick")
                }
            }
        }
    })
}

/// Shares the limits with the other servers of the database (issue 17), from the start
/// on: every `interval` it renews this server's heartbeat (and sets the live servers'
/// count, which divides the per-client request rate) and reads every server's failure
/// buckets; a failure counted here is written as soon as it is counted, without waiting
/// for the tick. Runs until aborted; a database that does not answer is retried at the next
/// tick, and this server's own counts hold meanwhile.
fn spawn_sharer(state: AppState, server: String, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (app, limits) = (state.app(), &state.trust.limits);
        let live_for = chrono::Duration::from_std(interval * 5).unwrap_or(chrono::Duration::seconds(5));
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    let now = chrono::Utc::now();
                    let (live, refreshed) =
                        tokio::join!(app.heartbeat(&server, now, live_for), app.refresh_failures(limits.failures(), now));
                    match live {
                        Ok(live) => {
                            if live != limits.live() {
                                tracing::info!(live, "servers sharing this database; each takes its share of the request rate");
                            }
                            limits.set_live(live);
                        }
                        Err(e) => tracing::warn!(error = %e, "the heartbeat could not be written; retrying at the next tick"),
                    }
                    if let Err(e) = refreshed {
                        tracing::warn!(error = %e, "the failures other servers counted could not be read; retrying at the next tick");
                    }
                }
                () = limits.failures().queued() => {}
            }
            if let Err(e) = app.share_failures(limits.failures(), chrono::Utc::now()).await {
                tracing::warn!(error = %e, "failures could not be shared with the other servers; retrying at the next tick");
            }
        }
    })
}

/// Feeds the outbox from the log and delivers the notices due, once per `interval`, from
/// the start on: what a stopped server left undelivered goes first. Notices are written
/// before they are tried and taken under a lease, so a worker stopped midway, or two
/// servers on one database, neither lose nor double one (`Notifier::step`). Runs until
/// aborted.
fn spawn_notifier(notifier: Notifier, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match notifier.step(chrono::Utc::now()).await {
                Ok(d) if d.delivered + d.retried + d.dead > 0 => {
                    tracing::info!(
                        delivered = d.delivered,
                        retried = d.retried,
                        dead = d.dead,
                        "notices delivered"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "delivering notices failed; retrying at the next tick"),
            }
        }
    })
}

/// The webhook key as a JWK (RFC 8037), named by its id.
fn webhook_key_resource(notifier: &Notifier) -> comity_wire::notice::WebhookKeyResource {
    use base64::Engine;
    comity_wire::notice::WebhookKeyResource {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(notifier.public_key()),
        kid: notifier.key_id().to_owned(),
        alg: "EdDSA".into(),
        use_: "sig".into(),
    }
}

/// This process, as it holds a lease or keeps a heartbeat: its pid and a random part (pids repeat across hosts).
fn lease_holder() -> String {
    let token = comity_auth::opaque::OpaqueToken::generate();
    format!("pid {} {}", std::process::id(), &token.text()[..12])
}

/// Signs a checkpoint whenever the log has grown, at most once per `interval`, keeps it
/// in the data directory and hands it to every witness; their cosignatures are kept with
/// it. Runs until aborted.
fn spawn_checkpointer(
    app: App,
    dir: DataDir,
    key: LogKey,
    origin: String,
    interval: Duration,
    mut witnesses: Vec<WitnessClient>,
) -> tokio::task::JoinHandle<()> {
    let hashes = StoreHashes(app.clone());
    // Several servers of one database sign in turn, never at once: one holds the lease
    // (issue 17), for three intervals, renewed at each; another takes over when it stops.
    let holder = lease_holder();
    let hold = chrono::Duration::from_std(interval * 3).unwrap_or(chrono::Duration::minutes(2));
    tokio::spawn(async move {
        // The first checkpoint one interval after the start, as every later one.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match app.may_checkpoint(&holder, chrono::Utc::now(), hold).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "the checkpointer's lease could not be read; retrying at the next tick");
                    continue;
                }
            }
            match app.sign_checkpoint(&key, &origin).await {
                Ok(Some(c)) => {
                    tracing::debug!(size = c.size, seq = c.seq, "checkpoint signed");
                    keep(&dir, &c.note);
                    for witness in &mut witnesses {
                        match witness.submit(&c.note, &hashes).await {
                            Ok(line) => {
                                if let Err(e) = app.keep_cosignature(c.seq, &line).await {
                                    tracing::warn!(witness = %witness.url(), error = %e, "could not keep a cosignature");
                                }
                            }
                            Err(e) => {
                                tracing::warn!(witness = %witness.url(), size = c.size, error = %e, "a witness did not cosign");
                            }
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "signing a checkpoint failed; retrying at the next tick")
                }
            }
        }
    })
}

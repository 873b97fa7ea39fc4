//! `comity serve`: run the HTTP API.

use std::{io::IsTerminal, net::SocketAddr};

use anyhow::Context;
use clap::Args;
use tracing_subscriber::EnvFilter;

use crate::StoreArgs;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "COMITY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// On first start, register example parties, a person of each role and the example
    /// requests, so there is something to look at; the people's credentials go to
    /// DATA_DIR/demo/credentials.txt. Demo data is for looking only.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    policies: crate::policies::PolicyArgs,
    #[command(flatten)]
    log: crate::logkey::LogArgs,
    /// Send session cookies without `Secure`, for a demo over plain HTTP on a host other
    /// than localhost (browsers treat localhost as secure). Never in production.
    #[arg(long, env = "COMITY_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// comity runs behind a reverse proxy: the client's address is the last
    /// `X-Forwarded-For` entry, not the proxy's.
    #[arg(long, env = "COMITY_BEHIND_PROXY")]
    behind_proxy: bool,
    /// Requests per second each client address may send (twice that in a burst); 0 turns
    /// the limit off.
    #[arg(long, env = "COMITY_RATE_LIMIT", default_value_t = 50)]
    rate_limit: u32,
    /// Failed sign-ins, tokens or signatures a client address may have per minute before
    /// it is blocked for a while.
    #[arg(long, env = "COMITY_FAILURE_LIMIT", default_value_t = 10)]
    failure_limit: u32,
    /// A witness to hand every checkpoint to, as URL=VKEY (its base URL and its
    /// cosignature key, which `comity witness key` prints). Repeat for several; in the
    /// environment, separate them with commas. Their cosignatures are served with the
    /// checkpoint.
    #[arg(long = "witness", env = "COMITY_WITNESSES", value_delimiter = ',')]
    witnesses: Vec<String>,
}

/// How often the log signs a checkpoint when it has grown (issue 4: at most every second).
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // Colour codes only where a person reads a terminal, never into log files.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let packs = args.policies.load()?;
    for p in packs.packs() {
        tracing::info!(pack = %p.id, version = %p.version, hash = %p.hash, "policy pack loaded");
    }
    // The key lives in the data directory, with PostgreSQL too: every server of one log
    // signs with the same key (copy the file), and only the database is shared.
    let key = crate::logkey::load_or_create(&args.store.data_dir, &args.log.log_origin)?;
    let server_key = crate::serverkey::load_or_create(&args.store.data_dir)?;
    let origin = args.log.log_origin.clone();
    tracing::info!(origin = %origin, key = %key.verifier_key(), "audit log");
    let witnesses = args
        .witnesses
        .iter()
        .map(|w| comity_server::log::WitnessConfig::parse(w))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--witness: {e}"))?;
    for w in &witnesses {
        tracing::info!(url = %w.url, key = %w.vkey, "checkpoints go to this witness");
    }
    let store = args.store.open().await?;
    // A log has one key for life. A server whose key did not sign the stored checkpoints
    // (a lost key file, or a second PostgreSQL server given a fresh one) would fork the
    // log's signatures; it stops here instead.
    if let Some(latest) = store.latest_checkpoint().await.context("reading the latest checkpoint")?
        && let Err(e) = comity_log::verify_checkpoint(&latest.note, key.verifier_key())
    {
        anyhow::bail!(
            "the log's checkpoints were not signed by the key in {} ({e}); every server of one log \
             needs the same key file: copy it from the server that created the log",
            args.store.data_dir.join(crate::logkey::KEY_FILE).display()
        );
    }
    let resumed = comity_server::resume_screening(store.as_ref(), &packs)
        .await
        .map_err(|e| anyhow::anyhow!("finishing interrupted screenings: {e:?}"))?;
    if resumed > 0 {
        tracing::warn!(requests = resumed, "finished screenings a previous run left unfinished");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr().context("reading the listening address")?;
    if args.demo {
        crate::demo::seed(store.as_ref(), &packs, &args.store.data_dir, &server_key, addr)
            .await
            .context("seeding the demo data")?;
    }
    let checkpointer = comity_server::log::spawn_checkpointer(
        store.clone(),
        key.clone(),
        origin.clone(),
        CHECKPOINT_INTERVAL,
        witnesses,
    );
    let trust = comity_server::TrustConfig {
        secure_cookies: !args.insecure_cookies,
        behind_proxy: args.behind_proxy,
        rate_limits: comity_server::limits::RateLimits {
            per_second: args.rate_limit,
            failures_per_minute: args.failure_limit,
        },
        ..comity_server::TrustConfig::new(server_key)
    };
    let state = comity_server::AppState::new(store.clone(), packs)
        .with_log(comity_server::log::LogConfig {
            origin: origin.clone(),
            verifier_key: key.verifier_key().to_owned(),
        })
        .with_trust(trust)
        .with_productions(comity_server::production::Productions::new(&args.store.data_dir));
    // The signals are caught from here on: whoever reads the line below and stops the
    // server at once gets a clean stop, not the default end of the process.
    let shutdown = shutdown_signal();
    // On stdout, for scripts and tests that start the server on port 0.
    println!("comity listening on http://{addr}");
    tracing::info!(%addr, "comity is serving");
    comity_server::serve(listener, state, shutdown).await.context("serving HTTP")?;
    checkpointer.abort();
    // Sign what the last requests appended, so a clean stop leaves no entry unsigned.
    match comity_server::log::checkpoint_now(store.as_ref(), &key, &origin).await {
        Ok(Some(size)) => tracing::info!(size, "signed a last checkpoint"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not sign a last checkpoint"),
    }
    tracing::info!("comity stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM; the server then finishes the requests in flight. The
/// signals are caught from the call on, not only once the future is first polled.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        tokio::select! {
            () = received(interrupt) => {},
            () = received(terminate) => {},
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Completes when the signal arrives; never, if it could not be caught.
#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

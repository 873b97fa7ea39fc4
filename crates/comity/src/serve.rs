//! `comity serve`: run the HTTP API.

use std::{io::IsTerminal, net::SocketAddr, time::Duration};

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
    /// the limit off. Several servers on one database each let a client through at this
    /// divided by the live servers, so that behind round-robin it gets about this in all
    /// (docs/deploy.md).
    #[arg(long, env = "COMITY_RATE_LIMIT", default_value_t = 50)]
    rate_limit: u32,
    /// Failed sign-ins, tokens or signatures a client address may have per minute before
    /// it is blocked for a while, counted over every server of the database.
    #[arg(long, env = "COMITY_FAILURE_LIMIT", default_value_t = 10)]
    failure_limit: u32,
    /// Connections each client address may hold open (each IPv6 /64); one more is
    /// answered 429 and closed. 0 turns the limit off. Behind a proxy it is off: limit
    /// connections per client at the proxy.
    #[arg(long, env = "COMITY_CONNECTIONS_PER_ADDRESS", default_value_t = limits().connections_per_address)]
    connections_per_address: usize,
    /// Requests each client address may have being sent or handled at once; one more is
    /// answered 429. 0 turns the limit off.
    #[arg(long, env = "COMITY_IN_FLIGHT_PER_ADDRESS", default_value_t = limits().in_flight_per_address)]
    in_flight_per_address: usize,
    /// Handlers running at once; past this, requests wait up to 10 s for one, then get 503.
    #[arg(long, env = "COMITY_MAX_IN_FLIGHT", default_value_t = limits().max_in_flight as u64,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    max_in_flight: u64,
    /// Of --max-in-flight, how many anonymous requests may take; the rest is kept for
    /// callers with a token or a session. Health checks have slots of their own.
    #[arg(long, env = "COMITY_ANONYMOUS_IN_FLIGHT", default_value_t = limits().anonymous_in_flight as u64,
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    anonymous_in_flight: u64,
    /// Seconds a client has to send a request's line and headers, and an idle connection
    /// stays open; a late head is answered 408.
    #[arg(long, env = "COMITY_HEADER_TIMEOUT", default_value_t = limits().header_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: u64,
    /// Seconds a client has to send a whole body (the longest pause between two reads of
    /// an export streamed in); a late body is answered 408.
    #[arg(long, env = "COMITY_BODY_TIMEOUT", default_value_t = limits().body_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout: u64,
    /// Password hashes (argon2id, about 19 MiB and 15 ms of a core each) run at once; by
    /// default one per core the process may use but one (at least one).
    #[arg(long, env = "COMITY_PASSWORD_HASHERS", value_parser = clap::value_parser!(u16).range(1..))]
    password_hashers: Option<u16>,
    /// Sign-ins one client address (an IPv6 client's /64) may have waiting for a password
    /// hash; past this it is answered 429 at once. Others' sign-ins are served in turn
    /// with its own, never behind all of them.
    #[arg(long, env = "COMITY_PASSWORD_QUEUE", default_value_t = comity_app::DEFAULT_QUEUE_PER_CLIENT, value_parser = clap::value_parser!(u16).range(1..))]
    password_queue: u16,
    /// A witness to hand every checkpoint to, as URL=VKEY (its base URL and its
    /// cosignature key, which `comity witness key` prints). Repeat for several; in the
    /// environment, separate them with commas. Their cosignatures are served with the
    /// checkpoint.
    #[arg(long = "witness", env = "COMITY_WITNESSES", value_delimiter = ',')]
    witnesses: Vec<String>,
    /// The SMTP server e-mail notices go through, as a URL:
    /// `smtps://USER:PASSWORD@HOST:465?from=ADDRESS` (implicit TLS; the port may be left out),
    /// `smtp://USER:PASSWORD@HOST:587?from=ADDRESS` (STARTTLS, required), or
    /// `smtp+insecure://127.0.0.1:PORT?from=ADDRESS` (no TLS, loopback only). Without it,
    /// e-mail notices stay pending (webhooks are sent).
    #[arg(long, env = "COMITY_SMTP", value_parser = check_smtp)]
    smtp: Option<String>,
    /// The server's URL as parties reach it (such as `https://comity.example.org`), for the
    /// link to the request in every notice and the links and commands the portal hands out;
    /// by default http:// and --listen for notices, and for pages the address the browser used.
    #[arg(long, env = "COMITY_PUBLIC_URL")]
    public_url: Option<String>,
    /// How many times a notice is tried before it goes to the dead letters (`comity
    /// notices list --dead`); 30 s, 2 min, 10 min, 1 h, then every 6 h apart.
    #[arg(long, env = "COMITY_NOTICE_ATTEMPTS", default_value_t = comity_notify::RetryPolicy::DEFAULT_ATTEMPTS,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    notice_attempts: u32,
    /// Days after a production's retention date within which the receiving authority must
    /// attest disposal; after them it is escalated and counted (issue 15).
    #[arg(long, env = "COMITY_DISPOSAL_GRACE_DAYS", default_value_t = comity_app::DISPOSAL_GRACE_DAYS,
          value_parser = clap::value_parser!(i64).range(0..=365))]
    disposal_grace_days: i64,
    /// Days from a recall (a remedy case on delivered data) within which the receiving
    /// authority must attest that it deleted the recalled data; after them it is escalated
    /// and counted (docs/after-disclosure.md).
    #[arg(long, env = "COMITY_RECALL_DAYS", default_value_t = comity_app::RECALL_DAYS,
          value_parser = clap::value_parser!(i64).range(1..=365))]
    recall_days: i64,
    /// In the public transparency report, a breakdown's cell with fewer requests than this
    /// is published as suppressed, and the page says so (docs/transparency.md); 1
    /// suppresses none.
    #[arg(long, env = "COMITY_SUPPRESS_BELOW", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    suppress_below: u64,
    /// The privacy budget of the differential-privacy releases of the fine breakdown: the
    /// most epsilon any one request's privacy loss may reach over every release that counts
    /// it (docs/transparency.md). Shown with the releases; `comity transparency release`
    /// checks against its own flag of the same name.
    #[arg(long, env = "COMITY_PRIVACY_BUDGET", default_value = "1", value_parser = crate::transparency::parse_epsilon)]
    privacy_budget: comity_core::privacy::Epsilon,
    /// How many days a request's documents are kept after its last move into closed,
    /// withdrawn or rejected; then the key that opens them is destroyed and they answer
    /// 410 Gone (docs/after-disclosure.md).
    #[arg(long, env = "COMITY_DOCUMENT_RETENTION_DAYS", default_value_t = comity_app::DOCUMENT_RETENTION_DAYS as u32,
          value_parser = clap::value_parser!(u32).range(1..=36_500))]
    document_retention_days: u32,
}

/// Checks the setting where it is given, so a wrong one is named as the flag's.
fn check_smtp(setting: &str) -> Result<String, String> {
    comity_notify::SmtpSettings::parse(setting).map(|_| setting.to_owned()).map_err(|e| e.to_string())
}

/// The defaults of the connection flags: the server's own.
fn limits() -> comity_server::connections::ConnectionLimits {
    comity_server::connections::ConnectionLimits::default()
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        // Colour codes only where a person reads a terminal, never into log files.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if args.anonymous_in_flight > args.max_in_flight {
        anyhow::bail!(
            "--anonymous-in-flight ({}) is a share of --max-in-flight ({}) and cannot be larger; lower it or raise \
             --max-in-flight",
            args.anonymous_in_flight,
            args.max_in_flight
        );
    }
    let packs = args.policies.load()?;
    for p in packs.packs() {
        tracing::info!(pack = %p.id, version = %p.version, hash = %p.hash, "policy pack loaded");
    }
    let witnesses = args
        .witnesses
        .iter()
        .map(|w| comity_witness::WitnessClient::parse(w))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--witness: {e}"))?;
    let config = comity_server::Config {
        listen: args.listen,
        data_dir: args.store.data_dir.clone(),
        database_url: args.store.database_url.clone(),
        log_origin: args.log.log_origin.clone(),
        packs,
        http: comity_server::HttpConfig {
            secure_cookies: !args.insecure_cookies,
            behind_proxy: args.behind_proxy,
            rate_limits: comity_server::limits::RateLimits {
                per_second: args.rate_limit,
                failures_per_minute: args.failure_limit,
            },
            connections: comity_server::connections::ConnectionLimits {
                connections_per_address: args.connections_per_address,
                in_flight_per_address: args.in_flight_per_address,
                max_in_flight: usize::try_from(args.max_in_flight).unwrap_or(usize::MAX),
                anonymous_in_flight: usize::try_from(args.anonymous_in_flight).unwrap_or(usize::MAX),
                header_timeout: Duration::from_secs(args.header_timeout),
                body_timeout: Duration::from_secs(args.body_timeout),
            },
        },
        witnesses,
        checkpoint_interval: comity_server::startup::CHECKPOINT_INTERVAL,
        sweep_interval: comity_server::startup::SWEEP_INTERVAL,
        share_interval: comity_server::startup::SHARE_INTERVAL,
        demo: args.demo.then(crate::admin::actor),
        hashing: comity_app::HashingSettings {
            workers: args
                .password_hashers
                .map_or_else(|| comity_app::HashingSettings::from_machine().workers, usize::from),
            queue_per_client: usize::from(args.password_queue),
        },
        smtp: args
            .smtp
            .as_deref()
            .map(comity_notify::SmtpSettings::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--smtp: {e}"))?,
        public_url: args.public_url.clone(),
        notice_interval: comity_server::startup::NOTICE_INTERVAL,
        notice_retry: comity_notify::RetryPolicy::new(args.notice_attempts)
            .map_err(|e| anyhow::anyhow!("--notice-attempts: {e}"))?,
        disposal_grace: chrono::Duration::days(args.disposal_grace_days),
        recall_within: chrono::Duration::days(args.recall_days),
        suppress_below: args.suppress_below,
        privacy_budget: args.privacy_budget,
        document_retention: chrono::Duration::days(i64::from(args.document_retention_days)),
    };
    // The signals are caught from here on: whoever reads the listening line and stops the
    // server at once gets a clean stop, not the default end of the process.
    let shutdown = shutdown_signal();
    let application = comity_server::Application::build(config).await?;
    tracing::info!(origin = %args.log.log_origin, key = %application.verifier_key(), "audit log");
    if let Some(seeded) = application.seeded() {
        // On standard error, whatever the log level: the first line on standard output is
        // the listening address, which scripts read.
        eprintln!(
            "comity demo: seeded {} authorities, {} providers, {} reviewer bodies, an operator, an auditor, a \
             representative, {} requests and a person of each role. Demo data, for looking only.\n\
             comity demo: the passwords, TOTP secrets, admin token, signing key, and de-sta-berlin's token and \
             age identity for its sealed production are in {}\n\
             comity demo: the others are {}; each signs in the same way, or through POST /v1/session",
            seeded.authorities,
            seeded.providers,
            seeded.reviewers,
            seeded.requests,
            seeded.credentials.display(),
            seeded
                .people
                .iter()
                .filter(|p| **p != seeded.try_first.0)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        );
        let (who, password, secret) = &seeded.try_first;
        eprintln!(
            "\ncomity demo: open http://{addr}/signin in a browser and sign in as {who} (the provider's legal team)\n\
             comity demo:   user name {who}, password {password}\n\
             comity demo:   leave the code empty the first time: the next page sets up an authenticator app from a QR code\n\
             comity demo:   (without a phone: `comity totp code --secret {secret}` prints the code)\n",
            addr = application.address(),
        );
    }
    // On stdout, for scripts and tests that start the server on port 0.
    println!("comity listening on http://{}", application.address());
    application.run_until_stopped(shutdown).await?;
    Ok(())
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    log: crate::logkey::LogArgs,
}

/// `comity init`: what `comity serve` creates on its first start, without serving.
pub async fn init(args: InitArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = comity_app::DataDir::create(&args.store.data_dir)?;
    let key = dir.log_key(&args.log.log_origin)?;
    dir.server_key()?;
    let store = comity_store::open(args.store.database_url.as_deref(), dir.path())
        .await
        .context("opening the database")?;
    store.ping().await.context("opening the database")?;
    println!("{}", key.verifier_key());
    eprintln!(
        "comity data directory {} is ready (the log's verifier key is above); register the operator with \
         `comity operator add`, then start with `comity serve`",
        dir.path().display()
    );
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

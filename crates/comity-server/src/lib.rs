//! comity's HTTP API.
//!
//! Only this crate knows HTTP. Each handler reads what the request brings (the caller,
//! the ids in the path, a strictly parsed body: `extract`), calls one use case of
//! `comity-app`, and answers in the shapes of `comity-wire`. Every error has one JSON
//! shape (`ApiError`), and a malformed body gets the path of its problem instead of a
//! generic rejection.
//!
//! ```no_run
//! # async fn run(store: std::sync::Arc<dyn comity_core::Store>) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let packs = comity_policy::PackSet::builtin().expect("the built-in packs load");
//! let settings = comity_app::Settings::new(comity_auth::seal::ServerKey::generate());
//! let app = comity_app::App::new(store, packs, settings);
//! comity_server::serve(listener, comity_server::AppState::new(app), std::future::pending()).await
//! # }
//! ```

pub mod accounts;
pub mod assignments;
pub mod auth;
mod error;
pub mod extract;
pub mod keys;
pub mod limits;
pub mod log;
mod metrics;
mod ops;
mod parties;
pub mod production;
mod requests;
mod screening;
pub mod session;
pub mod startup;
mod verification;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::StatusCode,
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};
use comity_app::App;
use tokio::net::TcpListener;
use tower_http::{
    timeout::{RequestBodyTimeoutLayer, TimeoutLayer},
    trace::TraceLayer,
};
use utoipa::OpenApi;

pub use error::ApiError;
use metrics::{HttpLabels, Metrics};
pub use startup::{Application, Config, StartError};

/// The largest body accepted. A document naming the maximum of 10,000 targets fits.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Handlers running at once. Past this, requests wait at the door instead of all
/// competing for the database's connections, which would time out under a burst.
const MAX_IN_FLIGHT: usize = 128;

/// How long a client may pause while sending its body, and a handler take to answer
/// (but for the streaming productions), before the connection is answered with 408 or
/// 503 instead of hanging.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler shares: the use cases, and what only HTTP needs.
#[derive(Debug, Clone)]
pub struct AppState {
    pub(crate) app: App,
    metrics: Arc<Metrics>,
    log: Option<Arc<log::LogConfig>>,
    trust: Arc<Trust>,
}

/// How the server treats its clients: cookies, proxies and limits.
#[derive(Debug, Clone, Copy)]
pub struct HttpConfig {
    /// Session cookies are `Secure` (sent over HTTPS and to localhost only). Turn off only
    /// for a demo over plain HTTP on another host.
    pub secure_cookies: bool,
    /// Behind a reverse proxy, the client's address is the last `X-Forwarded-For` entry.
    pub behind_proxy: bool,
    pub rate_limits: limits::RateLimits,
}

impl Default for HttpConfig {
    /// Secure cookies, no proxy, default limits.
    fn default() -> Self {
        Self { secure_cookies: true, behind_proxy: false, rate_limits: limits::RateLimits::default() }
    }
}

/// The client settings and the limiters.
#[derive(Debug)]
pub(crate) struct Trust {
    pub secure_cookies: bool,
    pub behind_proxy: bool,
    pub limits: limits::Limiter,
}

impl Trust {
    fn new(config: HttpConfig) -> Self {
        Trust {
            secure_cookies: config.secure_cookies,
            behind_proxy: config.behind_proxy,
            limits: limits::Limiter::new(config.rate_limits),
        }
    }
}

impl AppState {
    /// The server's state over these use cases, with secure cookies and default limits.
    pub fn new(app: App) -> Self {
        Self {
            app,
            metrics: Arc::new(Metrics::default()),
            log: None,
            trust: Arc::new(Trust::new(HttpConfig::default())),
        }
    }

    /// Sets how clients are treated.
    pub fn with_http(mut self, config: HttpConfig) -> Self {
        self.trust = Arc::new(Trust::new(config));
        self
    }

    /// Names the log's origin and verifier key at `/v1/log`.
    pub fn with_log(mut self, config: log::LogConfig) -> Self {
        self.log = Some(Arc::new(config));
        self
    }

    /// The use cases.
    pub fn app(&self) -> &App {
        &self.app
    }
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "comity",
        description = "Cross-border requests for data: lawful, specific, proportionate, reviewed and auditable.",
        license(name = "Apache-2.0")
    ),
    paths(
        requests::submit, requests::list, requests::get, requests::events, requests::transition,
        requests::screenings, requests::signature, screening::dry_run,
        assignments::assign, assignments::list, assignments::record,
        verification::issue_link, verification::view_link, verification::answer_link,
        verification::signed_confirmation,
        production::create, production::list, production::get,
        production::package, production::acknowledge,
        session::login, session::logout, session::whoami, session::change_password,
        log::info, log::checkpoint, log::tile, log::inclusion, log::consistency, log::request_log,
        parties::add_authority, parties::list_authorities, parties::add_provider, parties::list_providers,
        parties::add_reviewer, parties::list_reviewers, parties::add_auditor, parties::list_auditors,
        parties::add_operator, parties::list_operators,
        keys::add, keys::list, keys::revoke, keys::add_contact_route, keys::list_contacts,
        keys::add_recipient_route, keys::list_recipients, keys::list_production_keys,
        accounts::add_user, accounts::list_users, accounts::disable, accounts::add_token, accounts::list_tokens, accounts::revoke,
        ops::request_schema, ops::healthz, ops::readyz, ops::metrics, ops::openapi,
    ),
    components(schemas(comity_wire::trust::AuthorityRecordResource)),
    modifiers(&BearerAuth),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "requests", description = "Intake and lifecycle of requests for data"),
        (name = "productions", description = "Sealed productions: scope-filtered, redacted, signed and encrypted to the requesting authority; downloads and acknowledgements logged"),
        (name = "verification", description = "Emergency requests confirmed by a second registered contact of the authority"),
        (name = "session", description = "People log in with a password and a TOTP code"),
        (name = "trust", description = "Authorities' signing keys, contacts and track records"),
        (name = "accounts", description = "People's accounts and systems' API tokens (admin)"),
        (name = "screening", description = "Legal screening against the policy pack of each instrument"),
        (name = "log", description = "The audit log: C2SP tlog-tiles, checkpoints and proofs"),
        (name = "parties", description = "Authorities, providers and reviewer bodies (admin)"),
        (name = "documents", description = "Schemas of the documents comity reads"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate, in the OpenAPI description.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("comity_<id>_<secret>")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    // An export's upload and a package's download take as long as their size needs: they
    // stream (their bodies have their own bounds) and are not cut at HANDLER_TIMEOUT.
    let long = Router::new()
        .route("/v1/requests/{id}/productions", post(production::create).get(production::list))
        .route("/v1/requests/{id}/productions/{production}/package", get(production::package));
    Router::new()
        .route("/v1/requests", post(requests::submit).get(requests::list))
        .route("/v1/requests/{id}", get(requests::get))
        .route("/v1/requests/{id}/events", get(requests::events))
        .route("/v1/requests/{id}/transitions", post(requests::transition))
        .route("/v1/requests/{id}/screenings", get(requests::screenings))
        .route("/v1/requests/{id}/log", get(log::request_log))
        .route("/v1/requests/{id}/signature", get(requests::signature))
        .route("/v1/requests/{id}/reviewers", post(assignments::assign).get(assignments::list))
        .route("/v1/requests/{id}/verification", post(verification::signed_confirmation))
        .route("/v1/requests/{id}/verification/links", post(verification::issue_link))
        .route("/v1/requests/{id}/productions/{production}", get(production::get))
        .route("/v1/requests/{id}/productions/{production}/acknowledgement", post(production::acknowledge))
        .route("/v1/verify/{token}", get(verification::view_link).post(verification::answer_link))
        .route("/v1/authorities/{id}/record", get(assignments::record))
        .route("/v1/session", post(session::login).get(session::whoami).delete(session::logout))
        .route("/v1/session/password", post(session::change_password))
        .route("/v1/screen", post(screening::dry_run))
        .route("/v1/log", get(log::info))
        .route("/v1/log/proof/inclusion", get(log::inclusion))
        .route("/v1/log/proof/consistency", get(log::consistency))
        .route("/log/checkpoint", get(log::checkpoint))
        .route("/log/tile/{*path}", get(log::tile))
        .route("/v1/admin/authorities", post(parties::add_authority).get(parties::list_authorities))
        .route("/v1/admin/providers", post(parties::add_provider).get(parties::list_providers))
        .route("/v1/admin/reviewers", post(parties::add_reviewer).get(parties::list_reviewers))
        .route("/v1/admin/auditors", post(parties::add_auditor).get(parties::list_auditors))
        .route("/v1/admin/operators", post(parties::add_operator).get(parties::list_operators))
        .route("/v1/admin/authorities/{id}/keys", post(keys::add).get(keys::list))
        .route("/v1/admin/authorities/{id}/keys/{kid}/revoke", post(keys::revoke))
        .route("/v1/admin/authorities/{id}/contacts", post(keys::add_contact_route).get(keys::list_contacts))
        .route(
            "/v1/admin/authorities/{id}/recipients",
            post(keys::add_recipient_route).get(keys::list_recipients),
        )
        .route("/v1/admin/providers/{id}/keys", get(keys::list_production_keys))
        .route("/v1/admin/users", post(accounts::add_user).get(accounts::list_users))
        .route("/v1/admin/users/{username}/disable", post(accounts::disable))
        .route("/v1/admin/tokens", post(accounts::add_token).get(accounts::list_tokens))
        .route("/v1/admin/tokens/{id}/revoke", post(accounts::revoke))
        .route("/v1/schemas/request", get(ops::request_schema))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, HANDLER_TIMEOUT))
        .merge(long)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        // Outermost first: the client's address and credential, then its rate.
        .layer(middleware::from_fn_with_state(state.clone(), limits::limit))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .layer(TraceLayer::new_for_http())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; GET /openapi.json lists them all")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; GET /openapi.json lists the methods",
    )
}

/// Counts and times every answer by route template.
async fn record(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let labels = HttpLabels { method, route, status: response.status().as_u16() };
    state.metrics.http_requests.get_or_create(&labels).inc();
    state.metrics.http_duration.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    response
}

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With the peer's address, for per-client limits.
    axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

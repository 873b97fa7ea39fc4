//! comity's HTTP API.
//!
//! Only this crate knows HTTP. It turns requests into calls on `comity-core` types and
//! the `Store` trait of `comity-core`, and answers in the shapes of `comity-wire`.
//! Every error has one JSON shape; every handler takes its body as bytes and parses it
//! itself, so that a malformed body gets the path of its problem instead of a generic
//! rejection.
//!
//! ```no_run
//! # async fn run(store: std::sync::Arc<dyn comity_core::Store>) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let packs = comity_policy::PackSet::builtin().expect("the built-in packs load");
//! comity_server::serve(listener, comity_server::AppState::new(store, packs), std::future::pending()).await
//! # }
//! ```

mod error;
pub mod log;
mod metrics;
mod ops;
mod parties;
mod requests;
mod screening;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::StatusCode,
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};
use comity_core::Store;
use comity_policy::PackSet;
use tokio::net::TcpListener;
use tower_http::{
    timeout::{RequestBodyTimeoutLayer, TimeoutLayer},
    trace::TraceLayer,
};
use utoipa::OpenApi;

pub use error::ApiError;
use metrics::{HttpLabels, Metrics};
pub(crate) use requests::require_json as requests_json;
pub use requests::{Accepted, accept, move_request};
pub use screening::{resume as resume_screening, screen_request};

/// The largest body accepted. A document naming the maximum of 10,000 targets fits.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Handlers running at once. Past this, requests wait at the door instead of all
/// competing for the database's connections, which would time out under a burst.
const MAX_IN_FLIGHT: usize = 128;

/// How long a client may take to send its body, and a handler to answer, before the
/// connection is answered with 408 or 503 instead of hanging.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    packs: Arc<PackSet>,
    metrics: Arc<Metrics>,
    log: Option<Arc<log::LogConfig>>,
}

impl AppState {
    /// The server's state: its store and the policy packs it screens with.
    pub fn new(store: Arc<dyn Store>, packs: PackSet) -> Self {
        Self { store, packs: Arc::new(packs), metrics: Arc::new(Metrics::default()), log: None }
    }

    /// Names the log's origin and verifier key at `/v1/log`.
    pub fn with_log(mut self, config: log::LogConfig) -> Self {
        self.log = Some(Arc::new(config));
        self
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
        requests::screenings, screening::dry_run,
        log::info, log::checkpoint, log::tile, log::inclusion, log::consistency, log::request_log,
        parties::add_authority, parties::list_authorities, parties::add_provider, parties::list_providers,
        parties::add_reviewer, parties::list_reviewers,
        ops::request_schema, ops::healthz, ops::readyz, ops::metrics, ops::openapi,
    ),
    tags(
        (name = "requests", description = "Intake and lifecycle of requests for data"),
        (name = "screening", description = "Legal screening against the policy pack of each instrument"),
        (name = "log", description = "The audit log: C2SP tlog-tiles, checkpoints and proofs"),
        (name = "parties", description = "Authorities, providers and reviewer bodies (admin)"),
        (name = "documents", description = "Schemas of the documents comity reads"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/requests", post(requests::submit).get(requests::list))
        .route("/v1/requests/{id}", get(requests::get))
        .route("/v1/requests/{id}/events", get(requests::events))
        .route("/v1/requests/{id}/transitions", post(requests::transition))
        .route("/v1/requests/{id}/screenings", get(requests::screenings))
        .route("/v1/requests/{id}/log", get(log::request_log))
        .route("/v1/screen", post(screening::dry_run))
        .route("/v1/log", get(log::info))
        .route("/v1/log/proof/inclusion", get(log::inclusion))
        .route("/v1/log/proof/consistency", get(log::consistency))
        .route("/log/checkpoint", get(log::checkpoint))
        .route("/log/tile/{*path}", get(log::tile))
        .route("/v1/admin/authorities", post(parties::add_authority).get(parties::list_authorities))
        .route("/v1/admin/providers", post(parties::add_provider).get(parties::list_providers))
        .route("/v1/admin/reviewers", post(parties::add_reviewer).get(parties::list_reviewers))
        .route("/v1/schemas/request", get(ops::request_schema))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .layer(TraceLayer::new_for_http())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, HANDLER_TIMEOUT))
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
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

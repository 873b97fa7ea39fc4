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
pub mod connections;
mod error;
mod evaluation;
pub mod extract;
mod further_use;
mod headers;
pub mod keys;
pub mod limits;
pub mod log;
mod metrics;
pub mod notices;
mod openapi;
mod ops;
mod packs;
mod parties;
mod person_notices;
pub mod portal;
pub mod production;
pub mod receipt;
mod remedies;
mod representatives;
mod requests;
mod screening;
pub mod session;
pub mod startup;
mod transparency;
mod verification;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::StatusCode,
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use comity_app::App;
use tokio::net::TcpListener;
use tower_http::{
    timeout::{RequestBodyTimeoutLayer, TimeoutLayer},
    trace::TraceLayer,
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use error::ApiError;
use metrics::{HttpLabels, Metrics};
pub use startup::{Application, Config, StartError};

/// The largest body accepted. A document naming the maximum of 10,000 targets fits.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How long a handler may take to answer (but for the streaming productions) before it
/// is answered 503 instead of hanging. How long a client may take to send its request is
/// [`connections::ConnectionLimits`]'.
const HANDLER_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler shares: the use cases, and what only HTTP needs.
///
/// One `Arc`: every middleware layer clones the state, and the layers beneath it, on each
/// request (axum's `from_fn`), so a clone must be one reference count, not one per field
/// (a `perf` profile of `/healthz` spent 15% of its time dropping such clones).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

/// The fields of [`AppState`].
#[derive(Debug, Clone)]
pub struct Shared {
    pub(crate) app: App,
    metrics: Arc<Metrics>,
    log: Option<Arc<log::LogConfig>>,
    trust: Arc<Trust>,
    /// The key webhooks are signed with, published at `/v1/webhooks/key`.
    webhook_key: Option<Arc<comity_wire::notice::WebhookKeyResource>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
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
    /// Connections and requests in flight per client, and the time to send a request.
    pub connections: connections::ConnectionLimits,
}

impl Default for HttpConfig {
    /// Secure cookies, no proxy, default limits.
    fn default() -> Self {
        Self {
            secure_cookies: true,
            behind_proxy: false,
            rate_limits: limits::RateLimits::default(),
            connections: connections::ConnectionLimits::default(),
        }
    }
}

/// The client settings and the limiters.
#[derive(Debug)]
pub(crate) struct Trust {
    pub secure_cookies: bool,
    pub behind_proxy: bool,
    pub limits: limits::Limiter,
    pub admission: Arc<connections::Admission>,
}

impl Trust {
    fn new(config: HttpConfig) -> Self {
        Trust {
            secure_cookies: config.secure_cookies,
            behind_proxy: config.behind_proxy,
            limits: limits::Limiter::new(config.rate_limits),
            admission: Arc::new(connections::Admission::new(config.connections)),
        }
    }
}

impl AppState {
    /// The server's state over these use cases, with secure cookies and default limits.
    pub fn new(app: App) -> Self {
        Self(Arc::new(Shared {
            app,
            metrics: Arc::new(Metrics::default()),
            log: None,
            trust: Arc::new(Trust::new(HttpConfig::default())),
            webhook_key: None,
        }))
    }

    /// Sets how clients are treated.
    pub fn with_http(mut self, config: HttpConfig) -> Self {
        Arc::make_mut(&mut self.0).trust = Arc::new(Trust::new(config));
        self
    }

    /// Names the log's origin and verifier key at `/v1/log`.
    pub fn with_log(mut self, config: log::LogConfig) -> Self {
        Arc::make_mut(&mut self.0).log = Some(Arc::new(config));
        self
    }

    /// Publishes the key webhooks are signed with at `/v1/webhooks/key`.
    pub fn with_webhook_key(mut self, key: comity_wire::notice::WebhookKeyResource) -> Self {
        Arc::make_mut(&mut self.0).webhook_key = Some(Arc::new(key));
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
    // Every other path comes from the routes themselves (`routes`); the tiles' path holds
    // a wildcard, which OpenAPI cannot say, so its route is added by hand.
    paths(log::tile),
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
        (name = "screening", description = "Legal screening against the policy pack of each instrument; the packs' versions, texts and changes, public"),
        (name = "log", description = "The audit log: C2SP tlog-tiles, checkpoints and proofs"),
        (name = "parties", description = "Authorities, providers and reviewer bodies: registered, changed, deactivated and suspended with reasons, each change in their history (admin)"),
        (name = "notices", description = "Telling parties: where notices go (webhooks signed with RFC 9421, e-mail), the webhook key, dead letters (admin)"),
        (name = "documents", description = "Schemas of the documents comity reads"),
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "transparency", description = "Transparency reports anyone can recompute from the public log; differential-privacy releases of the fine breakdown"),
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(session::SESSION_COOKIE))),
        );
    }
}

/// Every route, each declared once: its method and path come from its handler's
/// `#[utoipa::path]`, so the router and the OpenAPI description cannot disagree. The first
/// router's handlers answer within [`HANDLER_TIMEOUT`]; the second's stream an export in
/// or a package out, and take as long as their size needs (their bodies have their own
/// bounds).
fn routes() -> (OpenApiRouter<AppState>, OpenApiRouter<AppState>) {
    let bounded = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(requests::submit, requests::list))
        .routes(routes!(requests::get))
        .routes(routes!(requests::events))
        .routes(routes!(requests::clocks))
        .routes(routes!(requests::raise_grounds))
        .routes(routes!(requests::object_conflict))
        .routes(routes!(requests::decide_conflict))
        .routes(routes!(further_use::list, further_use::ask))
        .routes(routes!(further_use::decide))
        .routes(routes!(further_use::record))
        .routes(routes!(further_use::answer))
        .routes(routes!(further_use::counts))
        .routes(routes!(remedies::list, remedies::open))
        .routes(routes!(remedies::show))
        .routes(routes!(remedies::tell))
        .routes(routes!(remedies::notice))
        .routes(routes!(remedies::counts))
        .routes(routes!(transparency::json))
        .routes(routes!(transparency::csv))
        .routes(routes!(transparency::schema))
        .routes(routes!(transparency::art28))
        .routes(routes!(transparency::authority))
        .routes(routes!(transparency::releases))
        .routes(routes!(transparency::release))
        .routes(routes!(transparency::release_csv))
        .routes(routes!(evaluation::show))
        .routes(routes!(evaluation::record))
        .routes(routes!(requests::amend))
        .routes(routes!(requests::documents))
        .routes(routes!(requests::clarifications))
        .routes(routes!(requests::extend_preservation))
        .routes(routes!(requests::transition))
        .routes(routes!(requests::screenings))
        .routes(routes!(log::request_log))
        .routes(routes!(requests::signature))
        .routes(routes!(assignments::assign, assignments::list))
        .routes(routes!(assignments::object))
        .routes(routes!(verification::signed_confirmation))
        .routes(routes!(verification::issue_link))
        .routes(routes!(production::get))
        .routes(routes!(production::acknowledge))
        .routes(routes!(production::attest_disposal))
        .routes(routes!(verification::view_link))
        .routes(routes!(verification::answer_link))
        .routes(routes!(assignments::record))
        .routes(routes!(session::login, session::whoami, session::logout))
        .routes(routes!(session::change_password))
        .routes(routes!(screening::dry_run))
        .routes(routes!(packs::list))
        .routes(routes!(packs::version))
        .routes(routes!(packs::diff))
        .routes(routes!(log::info))
        .routes(routes!(log::inclusion))
        .routes(routes!(log::consistency))
        .routes(routes!(log::checkpoint))
        .route("/log/tile/{*path}", get(log::tile))
        .routes(routes!(parties::add_authority, parties::list_authorities))
        .routes(routes!(parties::add_provider, parties::list_providers))
        .routes(routes!(parties::add_reviewer, parties::list_reviewers))
        .routes(routes!(parties::add_auditor, parties::list_auditors))
        .routes(routes!(parties::add_operator, parties::list_operators))
        .routes(routes!(parties::add_representative, parties::list_representatives))
        .routes(routes!(parties::show, parties::update))
        .routes(routes!(parties::history))
        .routes(routes!(parties::deactivate))
        .routes(routes!(parties::reactivate))
        .routes(routes!(parties::suspend, parties::list_party_suspensions))
        .routes(routes!(parties::lift))
        .routes(routes!(parties::list_suspensions))
        .routes(routes!(representatives::register, representatives::list))
        .routes(routes!(representatives::decision))
        .routes(routes!(person_notices::list))
        .routes(routes!(person_notices::recipient))
        .routes(routes!(person_notices::decision))
        .routes(routes!(person_notices::delivery))
        .routes(routes!(person_notices::text))
        .routes(routes!(keys::add, keys::list))
        .routes(routes!(keys::revoke))
        .routes(routes!(keys::add_contact_route, keys::list_contacts))
        .routes(routes!(keys::update_contact))
        .routes(routes!(keys::remove_contact))
        .routes(routes!(keys::add_recipient_route, keys::list_recipients))
        .routes(routes!(keys::list_production_keys))
        .routes(routes!(notices::add_endpoint, notices::list_endpoints))
        .routes(routes!(notices::remove_endpoint))
        .routes(routes!(notices::list_notices))
        .routes(routes!(notices::retry))
        .routes(routes!(notices::key))
        .routes(routes!(accounts::add_user, accounts::list_users))
        .routes(routes!(accounts::disable))
        .routes(routes!(accounts::add_token, accounts::list_tokens))
        .routes(routes!(accounts::revoke))
        .routes(routes!(ops::request_schema))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi));
    let streaming = OpenApiRouter::new()
        .routes(routes!(production::create, production::list))
        .routes(routes!(production::package));
    (bounded, streaming)
}

/// This API's OpenAPI 3.1 description, as `/openapi.json` serves it.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DESCRIPTION: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DESCRIPTION.get_or_init(|| {
        let (bounded, streaming) = routes();
        let mut api = bounded.split_for_parts().1;
        api.merge(streaming.split_for_parts().1);
        openapi::document_common_answers(&mut api);
        api
    })
}

/// The application's routes, with the layers every request passes.
pub fn router(state: AppState) -> Router {
    let (bounded, streaming) = routes();
    let body_timeout = state.trust.admission.limits().body_timeout;
    Router::new()
        .merge(
            Router::from(bounded)
                // The portal's pages take the same handler slots as the API's calls.
                .merge(portal::router())
                .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, HANDLER_TIMEOUT))
                // The address's requests in flight counted, the body read whole in time,
                // then a handler slot taken.
                .layer(middleware::from_fn_with_state(state.clone(), connections::bounded)),
        )
        .merge(
            // An export streams in as fast as it comes, but may not pause for longer than
            // the body timeout between two reads.
            Router::from(streaming)
                .merge(portal::streaming_router())
                .layer(middleware::from_fn_with_state(state.clone(), connections::streaming))
                .layer(RequestBodyTimeoutLayer::new(body_timeout)),
        )
        .fallback(portal::not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // A page's language and form token, and its own security headers.
        .layer(middleware::from_fn_with_state(state.clone(), portal::context))
        // Outermost first: the client's address and credential, then its rate.
        .layer(middleware::from_fn_with_state(state.clone(), limits::limit))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), record))
        // Outside the limits and the authentication, so their refusals carry them too.
        .layer(middleware::from_fn_with_state(state.clone(), headers::secure))
        .layer(TraceLayer::new_for_http())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn method_not_allowed(request: Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    // A page's address that only takes a form (a move, an enrolment) is opened by the
    // language switch of the page that answered the form: it goes to the page above it.
    if let Some(to) = portal::page_above(request.method(), request.uri()) {
        return axum::response::Redirect::to(&to).into_response();
    }
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; GET /openapi.json lists the methods",
    )
    .into_response()
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
/// in flight. Each connection is counted against its address's limit and must send its
/// requests in time ([`connections`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(state.clone());
    connections::serve(listener, state, router, shutdown).await
}

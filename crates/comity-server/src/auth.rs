//! Who is calling. Three credentials, one result, a [`Caller`]:
//!
//! - an API token (`Authorization: Bearer comity_<id>_<secret>`) for a system;
//! - a session cookie for a person who logged in with a password and a TOTP code
//!   (`session`);
//! - a signature by a key registered for an authority, on a signed submission, which
//!   authenticates that one request only (`comity_app`'s intake checks it).
//!
//! [`authenticate`] runs before every handler. A request that brings no credential goes
//! on anonymous, and each handler that needs a caller takes `extract::Authenticated`, which
//! answers 401 without one. A request that brings a credential that does not hold is
//! refused with 401 there and then: a bad token never quietly becomes anonymous. The
//! answer never says which part was wrong (unknown, expired, revoked), so a token cannot
//! be probed; the server log and `/metrics` say it.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State as AxumState},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{SubsecRound, Utc};

use crate::{
    AppState,
    error::ApiError,
    extract::{Caller, ClientIp, unauthenticated},
    metrics::RefusalLabels,
};

/// Counts a refused credential and leaves a line in the server log. The line names the
/// code and the client; never the credential.
pub fn refused(app: &AppState, code: &str, client: IpAddr, detail: &str) {
    app.metrics.auth_refusals.get_or_create(&RefusalLabels { code: code.to_owned() }).inc();
    app.trust.limits.failed(client);
    tracing::warn!(code, %client, detail, "credential refused");
}

impl AppState {
    /// Counts each refusal of the client at `ip` as [`refused`] does: the closure to give a
    /// use case's `comity_app::Client`.
    pub fn refusals(&self, ip: IpAddr) -> impl Fn(&str, &str) + Send + Sync + '_ {
        move |code, detail| refused(self, code, ip, detail)
    }
}

/// Resolves the request's credential, if any, and records the client's address.
pub async fn authenticate(AxumState(app): AxumState<AppState>, mut request: Request, next: Next) -> Response {
    let client = client_ip(&app, &request);
    request.extensions_mut().insert(client);
    if let Some(wait) = app.trust.limits.blocked(client.0) {
        return crate::limits::too_many(&app, "failures", wait);
    }
    match resolve(&app, request.headers(), client.0).await {
        Ok(Some(caller)) => {
            request.extensions_mut().insert(caller);
        }
        Ok(None) => {}
        // A page answers a session that ended by asking the person to sign in again (and
        // clears the cookie), where the API answers 401.
        Err(e) if e.code() == "session_expired" && crate::portal::is_page_path(request.uri().path()) => {
            request.extensions_mut().insert(crate::portal::SessionEnded);
        }
        Err(e) => return e.into_response(),
    }
    next.run(request).await
}

fn client_ip(app: &AppState, request: &Request) -> ClientIp {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = app
        .trust
        .behind_proxy
        .then(|| {
            request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    ClientIp(forwarded.or(peer).unwrap_or(IpAddr::from([0, 0, 0, 0])))
}

/// The caller a request's credential names; `Ok(None)` when it brings none.
async fn resolve(app: &AppState, headers: &HeaderMap, client: IpAddr) -> Result<Option<Caller>, ApiError> {
    let now = Utc::now().trunc_subsecs(6);
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(token) = token else {
            refused(app, "malformed_authorization", client, "not a Bearer authorization");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the Authorization header must be `Bearer <token>` with an API token from \
                 `comity token create` or POST /v1/admin/tokens",
            )
            .www_authenticate("Bearer realm=\"comity\", error=\"invalid_request\""));
        };
        return match app.app.token_caller(token, now).await? {
            Some(caller) => Ok(Some(caller)),
            None => {
                refused(app, "invalid_token", client, "unknown, expired or revoked API token");
                Err(unauthenticated().www_authenticate("Bearer realm=\"comity\", error=\"invalid_token\""))
            }
        };
    }
    let Some(cookie) = crate::session::session_cookie(headers, app.trust.secure_cookies) else {
        return Ok(None);
    };
    match app.app.session_caller(cookie, now).await? {
        Some(caller) => Ok(Some(caller)),
        None => {
            refused(app, "invalid_session", client, "unknown, expired or ended session");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "your session has ended or expired; log in again with POST /v1/session",
            ))
        }
    }
}

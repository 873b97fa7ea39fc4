//! Who is calling. Three credentials, one result, a [`Caller`]:
//!
//! - an API token (`Authorization: Bearer comity_<id>_<secret>`) for a system;
//! - a session cookie for a person who logged in with a password and a TOTP code
//!   (`crate::session`);
//! - a signature by a key registered for an authority, on a signed submission
//!   (`crate::signed`), which authenticates that one request only.
//!
//! [`authenticate`] runs before every handler. A request that brings no credential goes
//! on anonymous, and each handler that needs a caller takes [`Authenticated`], which
//! answers 401 without one. A request that brings a credential that does not hold is
//! refused with 401 there and then: a bad token never quietly becomes anonymous. The
//! answer never says which part was wrong (unknown, expired, revoked), so a token cannot
//! be probed; the server log and `/metrics` say it.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State as AxumState},
    http::{HeaderMap, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SubsecRound, Utc};
use comity_access::Who;
use comity_auth::{opaque::OpaqueToken, token::ApiToken};
use comity_core::{ActorId, Credential, Party, PartyId, Principal};

use crate::{AppState, error::ApiError, metrics::RefusalLabels};

/// The session cookie's name. The `__Host-` prefix (RFC 6265bis §4.1.3.2) makes browsers
/// refuse it unless it is `Secure`, has `Path=/` and no `Domain`, so no other site or
/// subdomain can set or overwrite it; without TLS (a local demo) the plain name is used.
pub const SESSION_COOKIE: &str = "__Host-comity_session";
pub const SESSION_COOKIE_INSECURE: &str = "comity_session";

/// An authenticated caller: the principal, its organisation as registered, and when the
/// credential ends.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub party: Party,
    pub expires_at: Option<DateTime<Utc>>,
    /// The session's id hash, for logging out.
    pub session: Option<[u8; 32]>,
}

impl Caller {
    /// The actor recorded for what this caller does.
    pub fn actor(&self) -> ActorId {
        self.principal.actor()
    }

    /// The caller as the access policy sees it.
    pub fn who(&self) -> Who {
        // The party is the principal's organisation by construction (see `resolve`).
        Who::new(&self.principal, &self.party).unwrap_or_else(|_| Who {
            actor: self.actor(),
            org: self.principal.org.clone(),
            register: self.party.role(),
            institution: self.party.institution().clone(),
            role: self.principal.role,
            credential: comity_access::CredentialKind::from(&self.principal.credential),
        })
    }

    pub fn org(&self) -> &PartyId {
        &self.principal.org
    }
}

/// Extracts the authenticated caller, or answers 401.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().map(Authenticated).ok_or_else(unauthenticated)
    }
}

/// The caller if there is one, without refusing anonymous requests.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthenticated {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuthenticated(parts.extensions.get::<Caller>().cloned()))
    }
}

/// The client's address: the peer, or with `--behind-proxy` the address the proxy saw
/// (the last `X-Forwarded-For` entry, the one the proxy itself added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// 401 with the one message every missing or failed credential gets.
pub fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "sign in first: send `Authorization: Bearer <token>` (an API token) or log in with \
         POST /v1/session (password and TOTP code)",
    )
    .www_authenticate("Bearer realm=\"comity\"")
}

/// Counts a refused credential and leaves a line in the server log. The line names the
/// code and the client; never the credential.
pub fn refused(app: &AppState, code: &str, client: IpAddr, detail: &str) {
    app.metrics.auth_refusals.get_or_create(&RefusalLabels { code: code.to_owned() }).inc();
    app.trust.limits.failed(client);
    tracing::warn!(code, %client, detail, "credential refused");
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
        return match token_caller(app, token, now).await? {
            Some(caller) => Ok(Some(caller)),
            None => {
                refused(app, "invalid_token", client, "unknown, expired or revoked API token");
                Err(unauthenticated().www_authenticate("Bearer realm=\"comity\", error=\"invalid_token\""))
            }
        };
    }
    let Some(cookie) = session_cookie(headers) else { return Ok(None) };
    match session_caller(app, cookie, now).await? {
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

/// The value of the session cookie, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE || *name == SESSION_COOKIE_INSECURE)
        .map(|(_, value)| value)
}

async fn token_caller(app: &AppState, text: &str, now: DateTime<Utc>) -> Result<Option<Caller>, ApiError> {
    let Ok((id, secret)) = ApiToken::parse(text) else { return Ok(None) };
    let Some(record) = app.store.token(id.as_str()).await? else { return Ok(None) };
    if !secret.verify(&record.secret_hash) || record.revoked_at.is_some() || record.expires_at <= now {
        return Ok(None);
    }
    let principal =
        Principal { org: record.org, role: record.role, credential: Credential::Token(record.id) };
    caller(app, principal, Some(record.expires_at), None).await
}

async fn session_caller(app: &AppState, text: &str, now: DateTime<Utc>) -> Result<Option<Caller>, ApiError> {
    let Some(hash) = OpaqueToken::hash_of(text) else { return Ok(None) };
    let Some(session) = app.store.session(&hash).await? else { return Ok(None) };
    if session.ended_at.is_some() || session.expires_at <= now {
        return Ok(None);
    }
    let Some(user) = app.store.user(&session.username).await? else { return Ok(None) };
    if user.disabled_at.is_some() {
        return Ok(None);
    }
    let principal =
        Principal { org: user.org, role: user.role, credential: Credential::Person(user.username) };
    caller(app, principal, Some(session.expires_at), Some(hash)).await
}

/// A caller for a principal whose organisation is registered and whose role belongs to
/// its register; `None` otherwise (a tampered row, or a party that is gone).
pub async fn caller(
    app: &AppState,
    principal: Principal,
    expires_at: Option<DateTime<Utc>>,
    session: Option<[u8; 32]>,
) -> Result<Option<Caller>, ApiError> {
    let Some(party) = app.trust.parties.get(app.store.as_ref(), &principal.org).await? else {
        return Ok(None);
    };
    if principal.role.register() != party.role() {
        tracing::error!(org = %principal.org, role = %principal.role, "a credential's role does not fit its organisation");
        return Ok(None);
    }
    Ok(Some(Caller { principal, party, expires_at, session }))
}

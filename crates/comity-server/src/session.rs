//! People log in (issue 5, item 4): a password (argon2id) and a TOTP code (RFC 6238),
//! both required, give a session in a `Secure`, `HttpOnly`, `SameSite=Strict` cookie that
//! expires. Failures count per attempted name, whether or not an account has it, and
//! lock the name with a growing back-off; they count per client too (`crate::limits`).
//! Every failure answers the same, so a login never tells whether a user exists, whether
//! the password was right, or whether the code was.

use axum::{
    Json,
    body::Bytes,
    extract::{State as AxumState, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_auth::{opaque::OpaqueToken, password, totp};
use comity_core::{Credential, SessionRecord, UserRecord, Username};
use comity_wire::{
    parse_json,
    trust::{LoginBody, PasswordBody, WhoAmI},
};

use crate::{
    AppState,
    auth::{Authenticated, Caller, ClientIp, SESSION_COOKIE, SESSION_COOKIE_INSECURE},
    error::ApiError,
};

/// Password hashes (argon2id, 19 MiB and about 15 ms each) run off the async workers and
/// one at a time: on a small machine two at once on the workers stalled every other answer
/// (docs/benchmarks.md, "Identity and trust"), and a burst of logins must not take the
/// memory of many hashes at once.
pub(crate) const HASHES_AT_ONCE: usize = 1;

/// Runs a password hash or check on the blocking pool, one at a time.
async fn hashing<T: Send + 'static>(
    app: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = app.trust.hashing.acquire().await.map_err(|e| ApiError::internal(&e))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(&e))
}

/// How long a session lasts: a working day.
pub const SESSION_HOURS: i64 = 8;

/// Failures of one name before it is locked; each further failure doubles the lock, up
/// to an hour.
const FREE_FAILURES: u32 = 5;
const MAX_LOCK_MINUTES: i64 = 60;

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "the user name, password or code is wrong; check all three (the code changes every 30 seconds)",
    )
}

fn locked(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let seconds = u32::try_from((until - now).num_seconds().max(1)).unwrap_or(u32::MAX);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "locked",
        format!("too many failed logins for this name; try again in {seconds} s"),
    )
    .retry_after(seconds)
}

/// The lock after `failures` failures in a row: none for the first few, then 1, 2, 4 ...
/// minutes, at most an hour.
pub fn lock_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let minutes = 1i64.checked_shl(over.min(10)).unwrap_or(i64::MAX).min(MAX_LOCK_MINUTES);
    Some(Duration::minutes(minutes))
}

/// Logs a person in.
#[utoipa::path(
    post, path = "/v1/session", tag = "session",
    request_body(content = LoginBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = WhoAmI),
        (status = 401, description = "The user name, password or code is wrong (never says which)", body = comity_wire::api::ErrorBody),
        (status = 429, description = "Too many failures for this name or from this address", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn login(
    AxumState(app): AxumState<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body: LoginBody = crate::json_body(&headers, body)?;
    let name = body.username.trim().to_lowercase();
    let now = Utc::now().trunc_subsecs(6);
    if let Some(t) = app.store.login_throttle(&name).await?
        && let Some(until) = t.locked_until.filter(|u| *u > now)
    {
        crate::auth::refused(&app, "locked", client, "login while locked");
        return Err(locked(until, now));
    }
    match check(&app, &name, &body, now).await? {
        Some(user) => {
            app.store.clear_login_failures(&name).await?;
            let token = OpaqueToken::generate();
            let session = SessionRecord {
                id_hash: token.hash(),
                username: user.username.clone(),
                created_at: now,
                expires_at: now + Duration::hours(SESSION_HOURS),
                ended_at: None,
            };
            app.store.add_session(&session).await?;
            tracing::info!(user = %user.username, org = %user.org, "logged in");
            let who = WhoAmI {
                actor: format!("{}@{}", user.username, user.org),
                org: user.org.to_string(),
                role: user.role.to_string(),
                credential: "person".into(),
                expires_at: Some(session.expires_at),
            };
            let mut response = Json(who).into_response();
            set_cookie(&app, &mut response, token.text(), SESSION_HOURS * 3600);
            Ok(response)
        }
        None => {
            let failures = app.store.login_failed(&name, now).await?;
            if let Some(lock) = lock_after(failures) {
                app.store.lock_login(&name, now + lock).await?;
            }
            crate::auth::refused(&app, "invalid_credentials", client, "failed login");
            Err(invalid_credentials())
        }
    }
}

/// The account, if the password and the code are right, the code unused, and the
/// account enabled. Spends as long on an unknown name as on a known one.
async fn check(
    app: &AppState,
    name: &str,
    body: &LoginBody,
    now: DateTime<Utc>,
) -> Result<Option<UserRecord>, ApiError> {
    let user = match Username::parse(name) {
        Ok(username) => app.store.user(&username).await?,
        Err(_) => None,
    };
    let given = body.password.clone();
    let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
        hashing(app, move || password::dummy_verify(&given)).await?;
        return Ok(None);
    };
    let stored = user.password_hash.clone();
    if !hashing(app, move || password::verify(&given, &stored)).await? {
        return Ok(None);
    }
    let secret = app
        .trust
        .server_key
        .open(&user.totp_sealed, &crate::accounts::totp_aad(&user.username))
        .map_err(|e| {
            tracing::error!(user = %user.username, error = %e, "the server key does not open this TOTP secret: is it the key the account was created with?");
            ApiError::internal(&e)
        })?;
    let secret = totp::TotpSecret::from_bytes(&secret).map_err(|e| ApiError::internal(&e))?;
    let now_unix = u64::try_from(now.timestamp()).unwrap_or(0);
    let Ok(step) = totp::verify(&secret, &body.totp, now_unix, user.totp_last_step) else {
        return Ok(None);
    };
    // The step is taken in the database, so two logins racing with one code cannot both
    // win (RFC 6238 §5.2).
    if !app.store.use_totp_step(&user.username, step).await? {
        return Ok(None);
    }
    Ok(Some(user))
}

/// Sets (or with `max_age` 0, clears) the session cookie.
fn set_cookie(app: &AppState, response: &mut Response, value: &str, max_age: i64) {
    let cookie = if app.trust.secure_cookies {
        format!("{SESSION_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}")
    } else {
        format!("{SESSION_COOKIE_INSECURE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
    };
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Ends the session.
#[utoipa::path(delete, path = "/v1/session", tag = "session", responses((status = 204, description = "Logged out")))]
pub async fn logout(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response, ApiError> {
    if let Some(hash) = caller.session {
        app.store.end_session(&hash, Utc::now()).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(&app, &mut response, "", 0);
    Ok(response)
}

/// Who is calling.
#[utoipa::path(get, path = "/v1/session", tag = "session", responses((status = 200, body = WhoAmI), (status = 401, body = comity_wire::api::ErrorBody)))]
pub async fn whoami(Authenticated(caller): Authenticated) -> Json<WhoAmI> {
    Json(who_am_i(&caller))
}

pub fn who_am_i(caller: &Caller) -> WhoAmI {
    WhoAmI {
        actor: caller.actor().to_string(),
        org: caller.org().to_string(),
        role: caller.principal.role.to_string(),
        credential: comity_access::CredentialKind::from(&caller.principal.credential).as_str().to_owned(),
        expires_at: caller.expires_at,
    }
}

/// Changes the logged-in person's password.
#[utoipa::path(
    post, path = "/v1/session/password", tag = "session",
    request_body(content = PasswordBody, content_type = "application/json"),
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "The current password is wrong", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The new password does not meet the policy", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn change_password(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    crate::requests_json(&headers)?;
    let Credential::Person(username) = &caller.principal.credential else {
        return Err(ApiError::forbidden("only a person who logged in has a password"));
    };
    let body: PasswordBody = parse_json(&body?)?;
    let user = app.store.user(username).await?.ok_or_else(crate::auth::unauthenticated)?;
    let (current, stored) = (body.current_password.clone(), user.password_hash.clone());
    if !hashing(&app, move || password::verify(&current, &stored)).await? {
        crate::auth::refused(&app, "invalid_credentials", client, "wrong current password");
        return Err(invalid_credentials());
    }
    let new = body.new_password.clone();
    let hash = hashing(&app, move || password::hash(&new))
        .await?
        .map_err(|e| ApiError::invalid_field("invalid_password", "new_password", e.to_string()))?;
    app.store.set_password(username, &hash).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_grows_after_five_failures_up_to_an_hour() {
        let minutes = |n: u32| lock_after(n).map(|d| d.num_minutes());
        assert_eq!([0, 1, 4].map(minutes), [None, None, None]);
        assert_eq!([5, 6, 7, 8, 10, 11, 40, u32::MAX].map(minutes), [1, 2, 4, 8, 32, 60, 60, 60].map(Some));
    }
}

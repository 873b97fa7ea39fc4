//! People log in (issue 5, item 4): `comity_app`'s login over HTTP. The session is a
//! `Secure`, `HttpOnly`, `SameSite=Strict` cookie that expires. Every failure answers the
//! same, so a login never tells whether a user exists, whether the password was right, or
//! whether the code was.

use axum::{
    Json,
    extract::State as AxumState,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use comity_app::{Client, Login, PasswordChange, SESSION_HOURS};
use comity_wire::trust::{LoginBody, PasswordBody, WhoAmI};

use crate::{
    AppState,
    error::ApiError,
    extract::{Authenticated, Caller, ClientIp, JsonBody},
};

/// The session cookie's name. The `__Host-` prefix (RFC 6265bis §4.1.3.2) makes browsers
/// refuse it unless it is `Secure`, has `Path=/` and no `Domain`, so no other site or
/// subdomain can set or overwrite it; without TLS (a local demo) the plain name is used.
pub const SESSION_COOKIE: &str = "__Host-comity_session";
pub const SESSION_COOKIE_INSECURE: &str = "comity_session";

/// The one name the session cookie has on this server: `secure` (`Secure` cookies, the
/// default) or not (`--insecure-cookies`).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SESSION_COOKIE } else { SESSION_COOKIE_INSECURE }
}

/// The value of the session cookie, if the request has one under the name this server
/// sets. Only that name: were the plain name accepted beside the `__Host-` one, a
/// subdomain or a plain-HTTP answer could plant a session cookie (session fixation) that
/// the prefix exists to rule out (issue 12, finding 5).
pub fn session_cookie(headers: &HeaderMap, secure: bool) -> Option<&str> {
    crate::portal::i18n::cookie(headers, cookie_name(secure))
}

/// Logs a person in.
#[utoipa::path(
    post, path = "/v1/session", tag = "session",
    request_body(content = LoginBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in; the session cookie is set", body = WhoAmI),
        (status = 401, description = "The user name, password or code is wrong (never says which)", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The body is not a login (a field missing or unknown)", body = comity_wire::api::ErrorBody),
        (status = 429, description = "Too many attempts for this name from this address (`locked`), too many failures from this address, or too many sign-ins from it waiting (`rate_limited`); `Retry-After` says when to try again", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn login(
    AxumState(app): AxumState<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    // A sign-in takes its place in the client's failure budget before its password is
    // checked, so sign-ins sent at once cannot all be checked against the same budget.
    let _attempt = match app.trust.limits.reserve(client) {
        Ok(place) => place,
        Err(wait) => return Ok(crate::limits::too_many(&app, "failures", wait)),
    };
    let count = app.refusals(client);
    let login = Login { username: body.username, password: body.password, totp: body.totp };
    let opened = app.app.login(&login, &Client::new(client, &count)).await?;
    let user = &opened.user;
    let who = WhoAmI {
        actor: format!("{}@{}", user.username, user.org),
        org: user.org.to_string(),
        role: user.role.to_string(),
        credential: "person".into(),
        expires_at: Some(opened.session.expires_at),
    };
    let mut response = Json(who).into_response();
    set_cookie(&app, &mut response, opened.token.text(), SESSION_HOURS * 3600);
    Ok(response)
}

/// Sets (or with `max_age` 0, clears) the session cookie.
pub(crate) fn set_cookie(app: &AppState, response: &mut Response, value: &str, max_age: i64) {
    if let Ok(v) = HeaderValue::from_str(&session_cookie_header(app.trust.secure_cookies, value, max_age)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The `Set-Cookie` value of the session cookie: `HttpOnly`, `SameSite=Strict`, and
/// `Secure` under the `__Host-` name unless cookies are insecure.
pub(crate) fn session_cookie_header(secure: bool, value: &str, max_age: i64) -> String {
    let name = cookie_name(secure);
    let flag = if secure { " Secure;" } else { "" };
    format!("{name}={value}; Path=/;{flag} HttpOnly; SameSite=Strict; Max-Age={max_age}")
}

/// Ends the session.
#[utoipa::path(delete, path = "/v1/session", tag = "session", responses((status = 204, description = "Logged out")))]
pub async fn logout(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Response, ApiError> {
    app.app.logout(&caller).await?;
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

/// Changes the logged-in person's password. It needs the current password and a current
/// TOTP code; every other session of the account ends, the caller's stays open; the change
/// is a `user.password_changed` entry of the audit log.
#[utoipa::path(
    post, path = "/v1/session/password", tag = "session",
    request_body(content = PasswordBody, content_type = "application/json"),
    responses(
        (status = 204, description = "Changed; every other session of the account has ended"),
        (status = 401, description = "Not logged in, or the current password or the code is wrong (never says which)", body = comity_wire::api::ErrorBody),
        (status = 403, description = "The caller is a system (an API token), which has no password", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The new password does not meet the policy, or the body is not a password change", body = comity_wire::api::ErrorBody),
        (status = 429, description = "Too many attempts for this account from this address; `Retry-After` says when to try again", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn change_password(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<Response, ApiError> {
    let _attempt = match app.trust.limits.reserve(client) {
        Ok(place) => place,
        Err(wait) => return Ok(crate::limits::too_many(&app, "failures", wait)),
    };
    let count = app.refusals(client);
    let client = Client::new(client, &count);
    let change = PasswordChange {
        current_password: body.current_password,
        totp: body.totp,
        new_password: body.new_password,
    };
    app.app.change_password(&caller, &change, &client).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

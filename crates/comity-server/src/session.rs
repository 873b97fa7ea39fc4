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
use comity_app::{Client, Login, SESSION_HOURS};
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
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
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
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<Response, ApiError> {
    let count = app.refusals(client);
    let client = Client::new(client, &count);
    app.app.change_password(&caller, &body.current_password, &body.new_password, &client).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

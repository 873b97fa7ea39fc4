//! Accounts of people and API tokens of systems (issue 5, item 1), for admins of the
//! operator. Secrets are shown once, in the answer that creates them, and stored only
//! as hashes (tokens, passwords) or sealed with the server key (TOTP secrets).

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State as AxumState, rejection::BytesRejection},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_auth::{password, seal::ServerKey, token::ApiToken, totp::TotpSecret};
use comity_core::{
    ActorId, JournalEntry, PartyId, Role, Store, StoreError, TokenRecord, UserRecord, Username, check_name,
};
use comity_wire::trust::{
    DisableBody, TokenBody, TokenResource, UserBody, UserCreated, UserResource, journal,
};

use crate::{AppState, auth::Authenticated, error::ApiError};

/// The issuer an authenticator app shows beside the code.
pub const TOTP_ISSUER: &str = "comity";

/// A token's life unless another is asked for, and the longest it may have.
const DEFAULT_TOKEN_DAYS: i64 = 90;
const MAX_TOKEN_DAYS: i64 = 365;

/// The associated data a user's sealed TOTP secret is bound to: a sealed secret copied
/// to another account does not open there.
pub fn totp_aad(username: &Username) -> Vec<u8> {
    format!("comity-totp:{username}").into_bytes()
}

/// Reads a lifetime such as `90d`, `12h` or `30m`.
pub fn parse_lifetime(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = (text.get(..split).unwrap_or(""), text.get(split..).unwrap_or(""));
    let n: i64 = number.parse().map_err(|_| format!("{text:?} is not a lifetime such as 90d, 12h or 30m"))?;
    let lifetime = match unit {
        "d" => Duration::days(n),
        "h" => Duration::hours(n),
        "m" => Duration::minutes(n),
        _ => return Err(format!("{text:?} is not a lifetime such as 90d, 12h or 30m")),
    };
    if n <= 0 {
        return Err("a lifetime must be positive".to_owned());
    }
    if lifetime > Duration::days(MAX_TOKEN_DAYS) {
        return Err(format!("a token lasts at most {MAX_TOKEN_DAYS} days; issue a new one when it ends"));
    }
    Ok(lifetime)
}

fn role_for(store_party: &comity_core::Party, role: &str, path: &str) -> Result<Role, ApiError> {
    let role = Role::parse(role).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::invalid_field(
            "invalid_role",
            path,
            format!("{role:?} is not a role; use one of {}", known.join(", ")),
        )
    })?;
    if role.register() != store_party.role() {
        return Err(ApiError::invalid_field(
            "invalid_role",
            path,
            format!(
                "{} is {}, whose people and systems are {}s, not {role}s",
                store_party.id(),
                crate::error::a(store_party.role().noun()),
                Role::of_register(store_party.role())
            ),
        ));
    }
    Ok(role)
}

async fn organisation(store: &dyn Store, org: &str) -> Result<comity_core::Party, ApiError> {
    let id = PartyId::parse(org).map_err(|e| ApiError::invalid_field("unknown_org", "org", e.to_string()))?;
    store.party(&id).await?.ok_or_else(|| {
        ApiError::invalid_field(
            "unknown_org",
            "org",
            format!("no party {id} is registered; register it first"),
        )
    })
}

fn journal_entry(kind: &str, actor: &ActorId, org: &PartyId, subject: &str, content: String) -> JournalEntry {
    JournalEntry {
        seq: 0,
        at: Utc::now().trunc_subsecs(6),
        kind: kind.to_owned(),
        actor: actor.clone(),
        party: Some(org.clone()),
        subject: subject.to_owned(),
        request_id: None,
        content,
        log_index: None,
    }
}

/// Creates a person's account with a generated first password (or the one given) and a
/// fresh TOTP secret; the answer is the only place either is ever shown.
pub async fn create_user(
    store: &dyn Store,
    server_key: &ServerKey,
    actor: &ActorId,
    body: &UserBody,
    password: Option<String>,
) -> Result<UserCreated, ApiError> {
    let username = Username::parse(&body.username)
        .map_err(|e| ApiError::invalid_field("invalid_user", "username", e.to_string()))?;
    let org = organisation(store, &body.org).await?;
    let role = role_for(&org, &body.role, "role")?;
    let name =
        check_name(&body.name).map_err(|e| ApiError::invalid_field("invalid_user", "name", e.to_string()))?;
    let password = password.unwrap_or_else(password::generate);
    let hash = password::hash(&password)
        .map_err(|e| ApiError::invalid_field("invalid_password", "password", e.to_string()))?;
    let secret = TotpSecret::generate();
    let uri = secret
        .otpauth_uri(TOTP_ISSUER, &format!("{username}@{}", org.id()))
        .map_err(|e| ApiError::internal(&e))?;
    let user = UserRecord {
        username: username.clone(),
        org: org.id().clone(),
        role,
        name: name.clone(),
        password_hash: hash,
        totp_sealed: server_key.seal(secret.as_bytes(), &totp_aad(&username)),
        totp_last_step: None,
        created_at: Utc::now().trunc_subsecs(6),
        disabled_at: None,
    };
    let content = journal::UserAdded {
        username: username.to_string(),
        org: org.id().to_string(),
        role: role.to_string(),
        name,
    };
    let written = store
        .add_user(
            &user,
            &journal_entry(
                journal::USER_ADDED,
                actor,
                org.id(),
                username.as_str(),
                journal::content(&content),
            ),
        )
        .await?;
    Ok(UserCreated {
        username: username.to_string(),
        org: org.id().to_string(),
        role: role.to_string(),
        password,
        totp_uri: uri,
        totp_secret: secret.base32(),
        log_index: written.log_index,
    })
}

/// Disables an account at once: it can no longer log in, and its sessions end.
pub async fn disable_user(
    store: &dyn Store,
    actor: &ActorId,
    username: &str,
    reason: &str,
) -> Result<UserResource, ApiError> {
    let gone = || ApiError::not_found(format!("no enabled account {username:?}"));
    let username = Username::parse(username).map_err(|_| gone())?;
    let user = store.user(&username).await?.ok_or_else(gone)?;
    let reason = check_name(reason)
        .map_err(|e| ApiError::invalid_field("invalid_user", "reason", format!("give the reason: {e}")))?;
    let now = Utc::now().trunc_subsecs(6);
    let content = journal::UserDisabled { username: username.to_string(), org: user.org.to_string(), reason };
    let entry = journal_entry(
        journal::USER_DISABLED,
        actor,
        &user.org,
        username.as_str(),
        journal::content(&content),
    );
    match store.disable_user(&username, now, &entry).await {
        Ok(_) => Ok(UserResource::from(&UserRecord { disabled_at: Some(now), ..user })),
        Err(StoreError::NotFound) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}

/// Creates an API token; the answer holds the token, shown this once.
pub async fn create_token(
    store: &dyn Store,
    actor: &ActorId,
    body: &TokenBody,
) -> Result<TokenResource, ApiError> {
    let org = organisation(store, &body.org).await?;
    let role = role_for(&org, &body.role, "role")?;
    let label = match &body.label {
        Some(l) => {
            check_name(l).map_err(|e| ApiError::invalid_field("invalid_token", "label", e.to_string()))?
        }
        None => "api".to_owned(),
    };
    let lifetime = match &body.expires_in {
        Some(text) => {
            parse_lifetime(text).map_err(|e| ApiError::invalid_field("invalid_token", "expires_in", e))?
        }
        None => Duration::days(DEFAULT_TOKEN_DAYS),
    };
    let now = Utc::now().trunc_subsecs(6);
    let token = ApiToken::generate();
    let record = TokenRecord {
        id: token.id().as_str().to_owned(),
        org: org.id().clone(),
        role,
        label: label.clone(),
        secret_hash: token.hash(),
        created_at: now,
        expires_at: now + lifetime,
        revoked_at: None,
    };
    let content = journal::TokenCreated {
        id: record.id.clone(),
        org: org.id().to_string(),
        role: role.to_string(),
        label,
        expires_at: record.expires_at,
    };
    store
        .add_token(
            &record,
            &journal_entry(journal::TOKEN_CREATED, actor, org.id(), &record.id, journal::content(&content)),
        )
        .await?;
    Ok(TokenResource { token: Some(token.text().to_owned()), ..token_resource(&record) })
}

pub fn token_resource(t: &TokenRecord) -> TokenResource {
    TokenResource {
        id: t.id.clone(),
        org: t.org.to_string(),
        role: t.role.to_string(),
        label: t.label.clone(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
        token: None,
    }
}

/// Revokes a token at once.
pub async fn revoke_token(store: &dyn Store, actor: &ActorId, id: &str) -> Result<TokenResource, ApiError> {
    let gone = || ApiError::not_found(format!("no active token {id}"));
    let record = store.token(id).await?.ok_or_else(gone)?;
    let now: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    let content = journal::TokenRevoked { id: record.id.clone(), org: record.org.to_string() };
    let entry =
        journal_entry(journal::TOKEN_REVOKED, actor, &record.org, &record.id, journal::content(&content));
    match store.revoke_token(id, now, &entry).await {
        Ok(_) => Ok(token_resource(&TokenRecord { revoked_at: Some(now), ..record })),
        Err(StoreError::NotFound) => Err(gone()),
        Err(e) => Err(e.into()),
    }
}

// ---- the admin API -------------------------------------------------------------------

/// Creates a person's account: its first password and TOTP secret are in the answer,
/// and nowhere else, ever.
#[utoipa::path(
    post, path = "/v1/admin/users", tag = "accounts",
    request_body(content = UserBody, content_type = "application/json"),
    responses(
        (status = 201, body = UserCreated),
        (status = 403, description = "Only an operator's admin manages accounts", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The user name is taken", body = comity_wire::api::ErrorBody),
        (status = 422, description = "A field is not valid, or the role does not fit the organisation", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn add_user(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageAccounts, &On::Accounts)?;
    let body: UserBody = crate::json_body(&headers, body)?;
    let created =
        create_user(app.store.as_ref(), &app.trust.server_key, &caller.actor(), &body, None).await?;
    let mut response = (StatusCode::CREATED, Json(created.clone())).into_response();
    crate::log::receipt(&mut response, created.log_index.as_slice());
    Ok(response)
}

/// The accounts.
#[utoipa::path(get, path = "/v1/admin/users", tag = "accounts", responses((status = 200, body = [UserResource])))]
pub async fn list_users(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<UserResource>>, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageAccounts, &On::Accounts)?;
    let users = app.store.users().await?;
    Ok(Json(users.iter().map(UserResource::from).collect()))
}

/// Disables an account: it can no longer log in, and its sessions end at once.
#[utoipa::path(
    post, path = "/v1/admin/users/{username}/disable", tag = "accounts",
    params(("username" = String, Path, description = "The account")),
    request_body(content = DisableBody, content_type = "application/json"),
    responses(
        (status = 200, body = UserResource),
        (status = 404, description = "No enabled account of that name", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn disable(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(username): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UserResource>, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageAccounts, &On::Accounts)?;
    let body: DisableBody = crate::json_body(&headers, body)?;
    Ok(Json(disable_user(app.store.as_ref(), &caller.actor(), &username, &body.reason).await?))
}

/// Creates an API token for a system of an organisation; the token is in the answer only.
#[utoipa::path(
    post, path = "/v1/admin/tokens", tag = "accounts",
    request_body(content = TokenBody, content_type = "application/json"),
    responses(
        (status = 201, body = TokenResource),
        (status = 422, description = "A field is not valid, or the role does not fit the organisation", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn add_token(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageAccounts, &On::Accounts)?;
    let body: TokenBody = crate::json_body(&headers, body)?;
    Ok((StatusCode::CREATED, Json(create_token(app.store.as_ref(), &caller.actor(), &body).await?)))
}

/// The API tokens, newest first (never their secrets).
#[utoipa::path(get, path = "/v1/admin/tokens", tag = "accounts", responses((status = 200, body = [TokenResource])))]
pub async fn list_tokens(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<TokenResource>>, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageAccounts, &On::Accounts)?;
    Ok(Json(app.store.tokens().await?.iter().map(token_resource).collect()))
}

/// Revokes an API token at once.
#[utoipa::path(
    post, path = "/v1/admin/tokens/{id}/revoke", tag = "accounts",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 200, body = TokenResource), (status = 404, description = "No active token with this id", body = comity_wire::api::ErrorBody))
)]
pub async fn revoke(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<TokenResource>, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageAccounts, &On::Accounts)?;
    Ok(Json(revoke_token(app.store.as_ref(), &caller.actor(), &id).await?))
}

//! The admin API of people's accounts and systems' API tokens (issue 5, item 1):
//! `comity_app::Accounts` over HTTP. Secrets are shown once, in the answer that creates
//! them.

use axum::{Json, extract::Path, http::StatusCode, response::IntoResponse};
use comity_app::{CreatedUser, NewToken, NewUser};
use comity_wire::trust::{DisableBody, TokenBody, TokenResource, UserBody, UserCreated, UserResource};

use crate::{
    error::ApiError,
    extract::{JsonBody, ManageAccounts},
    receipt::with_receipt,
};

pub fn user_created(created: &CreatedUser) -> UserCreated {
    UserCreated {
        username: created.user.username.to_string(),
        org: created.user.org.to_string(),
        role: created.user.role.to_string(),
        password: created.password.clone(),
        totp_uri: created.totp_uri.clone(),
        totp_secret: created.totp_secret.base32(),
        log_index: created.log_index,
    }
}

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
    ManageAccounts(accounts): ManageAccounts,
    JsonBody(body): JsonBody<UserBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new =
        NewUser { username: body.username, org: body.org, role: body.role, name: body.name, password: None };
    let created = user_created(&accounts.create_user(&new).await?);
    Ok(with_receipt((StatusCode::CREATED, Json(created.clone())), created.log_index.as_slice()))
}

/// The accounts.
#[utoipa::path(get, path = "/v1/admin/users", tag = "accounts", responses((status = 200, body = [UserResource])))]
pub async fn list_users(
    ManageAccounts(accounts): ManageAccounts,
) -> Result<Json<Vec<UserResource>>, ApiError> {
    Ok(Json(accounts.users().await?.iter().map(UserResource::from).collect()))
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
    ManageAccounts(accounts): ManageAccounts,
    Path(username): Path<String>,
    JsonBody(body): JsonBody<DisableBody>,
) -> Result<Json<UserResource>, ApiError> {
    Ok(Json(UserResource::from(&accounts.disable_user(&username, &body.reason).await?)))
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
    ManageAccounts(accounts): ManageAccounts,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new = NewToken { org: body.org, role: body.role, label: body.label, expires_in: body.expires_in };
    let created = accounts.create_token(&new).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResource { token: Some(created.token), ..TokenResource::from(&created.record) }),
    ))
}

/// The API tokens, newest first (never their secrets).
#[utoipa::path(get, path = "/v1/admin/tokens", tag = "accounts", responses((status = 200, body = [TokenResource])))]
pub async fn list_tokens(
    ManageAccounts(accounts): ManageAccounts,
) -> Result<Json<Vec<TokenResource>>, ApiError> {
    Ok(Json(accounts.tokens().await?.iter().map(TokenResource::from).collect()))
}

/// Revokes an API token at once.
#[utoipa::path(
    post, path = "/v1/admin/tokens/{id}/revoke", tag = "accounts",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 200, body = TokenResource),
        (status = 404, description = "No active token with this id", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The token is its organisation's last admin credential (`last_admin`): create another admin token first", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn revoke(
    ManageAccounts(accounts): ManageAccounts,
    Path(id): Path<String>,
) -> Result<Json<TokenResource>, ApiError> {
    Ok(Json(TokenResource::from(&accounts.revoke_token(&id).await?)))
}

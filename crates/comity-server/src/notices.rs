//! Telling parties (issue 13, item 8) over HTTP: where a party's notices go (the
//! operator's), the outbox's dead letters, and the public key webhooks are signed with.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::StatusCode,
    response::IntoResponse,
};
use comity_app::NewEndpoint;
use comity_core::NoticeStatus;
use comity_wire::notice::{EndpointBody, EndpointResource, NoticeResource, WebhookKeyResource};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    error::ApiError,
    extract::{JsonBody, ManageRegisters, QueryParams},
};

fn endpoint(body: EndpointBody) -> NewEndpoint {
    NewEndpoint { webhook: body.webhook, email: body.email }
}

/// Registers where a party's notices go: a webhook for its systems, or an e-mail address
/// for its people. Logged as an `endpoint.added` fact.
#[utoipa::path(
    post, path = "/v1/admin/parties/{id}/endpoints", tag = "notices",
    params(("id" = String, Path, description = "The party: an authority, provider, reviewer body, auditor or operator")),
    request_body(content = EndpointBody, content_type = "application/json"),
    responses(
        (status = 201, body = EndpointResource),
        (status = 403, description = "Only an operator's admin manages endpoints", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such party", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The party has this endpoint already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "Not exactly one of webhook and email, or not a usable URL or address", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn add_endpoint(
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EndpointBody>,
) -> Result<impl IntoResponse, ApiError> {
    let added = registers.add_endpoint(&id, &endpoint(body)).await?;
    Ok((StatusCode::CREATED, Json(EndpointResource::from(&added))))
}

/// A party's endpoints (e-mail addresses are personal data: the operator's only).
#[utoipa::path(
    get, path = "/v1/admin/parties/{id}/endpoints", tag = "notices",
    params(("id" = String, Path, description = "The party")),
    responses(
        (status = 200, body = [EndpointResource]),
        (status = 403, description = "Only an operator's admin reads endpoints", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such party", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The id is not a party id", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn list_endpoints(
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
) -> Result<Json<Vec<EndpointResource>>, ApiError> {
    Ok(Json(registers.endpoints(&id).await?.iter().map(EndpointResource::from).collect()))
}

/// Takes an endpoint away; logged as an `endpoint.removed` fact. Notices written for it
/// already are still delivered.
#[utoipa::path(
    post, path = "/v1/admin/parties/{id}/endpoints/remove", tag = "notices",
    params(("id" = String, Path, description = "The party")),
    request_body(content = EndpointBody, content_type = "application/json"),
    responses(
        (status = 200, body = EndpointResource),
        (status = 404, description = "No such party, or it has no such endpoint", body = comity_wire::api::ErrorBody),
        (status = 422, description = "Not exactly one of webhook and email, or the id is not a party id", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn remove_endpoint(
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EndpointBody>,
) -> Result<Json<EndpointResource>, ApiError> {
    Ok(Json(EndpointResource::from(&registers.remove_endpoint(&id, &endpoint(body)).await?)))
}

/// Which notices to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    /// `pending`, `delivered` or `dead` (the dead letters); all if left out.
    status: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<u32>,
}

/// The outbox's notices, newest first: `?status=dead` lists the dead letters.
#[utoipa::path(
    get, path = "/v1/admin/notices", tag = "notices", params(NoticeParams),
    responses(
        (status = 200, body = [NoticeResource]),
        (status = 400, description = "Not a status", body = comity_wire::api::ErrorBody),
        (status = 403, description = "Only an operator's admin reads the outbox", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn list_notices(
    ManageRegisters(registers): ManageRegisters,
    QueryParams(params): QueryParams<NoticeParams>,
) -> Result<Json<Vec<NoticeResource>>, ApiError> {
    let status = match params.status.as_deref() {
        None => None,
        Some(s) => Some(NoticeStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("status {s:?} is not one of pending, delivered, dead"))
        })?),
    };
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(registers.notices(status, limit).await?.iter().map(NoticeResource::from).collect()))
}

/// Puts a dead notice back, to be tried again now; logged as a `notice.retried` fact.
#[utoipa::path(
    post, path = "/v1/admin/notices/{id}/retry", tag = "notices",
    params(("id" = u64, Path, description = "The notice")),
    responses(
        (status = 200, body = NoticeResource),
        (status = 404, description = "No such notice", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The notice is not dead", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn retry(
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
) -> Result<Json<NoticeResource>, ApiError> {
    // Read here rather than by axum's `Path<u64>`, whose refusal is plain text: an id that
    // is not a number names no notice, and says so in the one error shape.
    let id: u64 = id.parse().map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            format!("no notice {id:?}: a notice's id is a number (comity notices list)"),
        )
    })?;
    Ok(Json(NoticeResource::from(&registers.retry_notice(id).await?)))
}

/// The public key webhooks are signed with, as a JWK: a receiver verifies a notice's
/// `Signature` (RFC 9421, `keyid` this key's `kid`) with it.
#[utoipa::path(
    get, path = "/v1/webhooks/key", tag = "notices",
    responses(
        (status = 200, body = WebhookKeyResource),
        (status = 404, description = "This server sends no webhooks", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn key(AxumState(state): AxumState<AppState>) -> Result<Json<WebhookKeyResource>, ApiError> {
    match &state.webhook_key {
        Some(key) => Ok(Json(key.as_ref().clone())),
        None => Err(ApiError::not_found("this server sends no webhooks")),
    }
}

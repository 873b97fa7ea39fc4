//! Reviewer assignment and the authorities' track records (issue 5, items 5 and 6) over
//! HTTP.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::StatusCode,
    response::IntoResponse,
};
use comity_wire::trust::{AssignBody, AuthorityRecordResource};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    error::ApiError,
    extract::Authenticated,
    extract::{JsonBody, RequestIdPath},
    receipt::with_receipt,
};

/// The reviewer bodies assigned to a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reviewers {
    pub reviewers: Vec<String>,
}

/// Assigns a reviewer body to decide on a request. Refused when the reviewer is of the
/// issuing or validating authority's institution, or of the provider's: nobody decides
/// on what their own side asked for or holds.
#[utoipa::path(
    post, path = "/v1/requests/{id}/reviewers", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = AssignBody, content_type = "application/json"),
    responses(
        (status = 201, body = Reviewers),
        (status = 403, description = "The caller may not assign, or the reviewer is not independent of the request's parties", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The reviewer is assigned already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No such reviewer body, or no reason", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn assign(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<AssignBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (reviewers, written) = app.app.assign_reviewer(&caller, id, &body.reviewer, &body.reason).await?;
    let reviewers = reviewers.iter().map(ToString::to_string).collect();
    Ok(with_receipt((StatusCode::CREATED, Json(Reviewers { reviewers })), written.log_index.as_slice()))
}

/// The reviewer bodies assigned to a request.
#[utoipa::path(
    get, path = "/v1/requests/{id}/reviewers", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses((status = 200, body = Reviewers), (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody))
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<Json<Reviewers>, ApiError> {
    let reviewers = app.app.assigned_reviewers(&caller, id).await?;
    Ok(Json(Reviewers { reviewers: reviewers.iter().map(ToString::to_string).collect() }))
}

/// An authority's track record: how many requests, how many rejected, how many of its
/// emergencies a second contact never confirmed.
#[utoipa::path(
    get, path = "/v1/authorities/{id}/record", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    responses(
        (status = 200, body = AuthorityRecordResource),
        (status = 403, description = "Requesters see their own authority's record only", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such authority", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn record(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<AuthorityRecordResource>, ApiError> {
    let (id, record) = app.app.authority_record(&caller, &id).await?;
    Ok(Json(AuthorityRecordResource::new(&id, &record)))
}

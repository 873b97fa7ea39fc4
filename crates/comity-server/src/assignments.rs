//! Reviewer assignment and the authorities' track records (issue 5, items 5 and 6) over
//! HTTP.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::StatusCode,
    response::IntoResponse,
};
use comity_wire::trust::{AssignBody, AuthorityRecordResource, ObjectionBody, ObjectionResource};
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

/// Assigns a reviewer body to decide on a request: the operator's act, where routing by law
/// found none in the register or a provider's objection was upheld (`replaces` takes the
/// objected body off in the same act). The provider never chooses its reviewer. Refused
/// when the body is not of a kind and State the law makes competent, or is of the issuing
/// or validating authority's institution, or of the provider's.
#[utoipa::path(
    post, path = "/v1/requests/{id}/reviewers", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = AssignBody, content_type = "application/json"),
    responses(
        (status = 201, body = Reviewers),
        (status = 403, description = "The caller may not assign (only an operator does), or the reviewer is not independent of the request's parties", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The reviewer is assigned already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No such reviewer body, not a competent one, or no reason", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn assign(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<AssignBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (reviewers, written) =
        app.app.assign_reviewer(&caller, id, &body.reviewer, &body.reason, body.replaces.as_deref()).await?;
    let reviewers = reviewers.iter().map(ToString::to_string).collect();
    Ok(with_receipt((StatusCode::CREATED, Json(Reviewers { reviewers })), written.log_index.as_slice()))
}

/// The provider objects to a reviewer body the law assigned, for a conflict of interest.
/// The objection is logged; an operator decides whether to assign another.
#[utoipa::path(
    post, path = "/v1/requests/{id}/reviewers/objections", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = ObjectionBody, content_type = "application/json"),
    responses(
        (status = 201, body = ObjectionResource),
        (status = 403, description = "Only the addressed provider objects", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The body is not assigned, or no grounds were given", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn object(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<ObjectionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let written = app.app.object_to_reviewer(&caller, id, &body.reviewer, &body.grounds).await?;
    let resource = ObjectionResource { reviewer: body.reviewer, grounds: body.grounds, at: written.at };
    Ok(with_receipt((StatusCode::CREATED, Json(resource)), written.log_index.as_slice()))
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

//! The person concerned, through a representative registered for the request (issue 13,
//! item 6): the operator registers one, and the representative reads the request's
//! decisions and appeals them (the appeal is the move every party makes, `POST
//! /v1/requests/{id}/transitions` to `appealed`).

use axum::{Json, extract::State as AxumState, http::StatusCode, response::IntoResponse};
use comity_app::NewRepresentative;
use comity_wire::api::{
    AppealSeenResource, DecisionSeenResource, DecisionViewResource, ErrorBody, RepresentativeBody,
    RepresentativesResource,
};

use crate::{
    AppState,
    error::ApiError,
    extract::{Authenticated, JsonBody, RequestIdPath},
    receipt::with_receipt,
};

/// Registers a representative of the person concerned for a request, on the mandate the
/// operator was shown; logged as a `representative.registered` fact, which names the
/// person only by a salted commitment.
#[utoipa::path(
    post, path = "/v1/requests/{id}/representatives", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = RepresentativeBody, content_type = "application/json"),
    responses(
        (status = 201, body = RepresentativesResource),
        (status = 403, description = "Only an operator registers representatives, and not one of the request's parties' institutions", body = ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = ErrorBody),
        (status = 409, description = "The representative is registered for the request already", body = ErrorBody),
        (status = 422, description = "No such representative, or no identifier or mandate", body = ErrorBody),
    )
)]
pub async fn register(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<RepresentativeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new = NewRepresentative {
        representative: body.representative,
        represents: body.represents,
        mandate: body.mandate,
    };
    let (representatives, written) = app.app.register_representative(&caller, id, &new).await?;
    let resource = RepresentativesResource {
        request: id.to_string(),
        representatives: representatives.iter().map(ToString::to_string).collect(),
    };
    Ok(with_receipt((StatusCode::CREATED, Json(resource)), written.log_index.as_slice()))
}

/// The representatives registered for a request.
#[utoipa::path(
    get, path = "/v1/requests/{id}/representatives", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = RepresentativesResource),
        (status = 404, description = "No such request, or none the caller may see", body = ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<Json<RepresentativesResource>, ApiError> {
    let representatives = app.app.listed_representatives(&caller, id).await?;
    Ok(Json(RepresentativesResource {
        request: id.to_string(),
        representatives: representatives.iter().map(ToString::to_string).collect(),
    }))
}

/// What a representative registered for the request sees of it: where it stands, its
/// decisions with their grounds and reasoning, its appeals; never its document or
/// targets. The read is logged before it is answered.
#[utoipa::path(
    get, path = "/v1/requests/{id}/decision", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = DecisionViewResource),
        (status = 404, description = "No such request, or none the caller is registered for", body = ErrorBody),
    )
)]
pub async fn decision(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let view = app.app.decision_view(&caller, id).await?;
    let r = &view.request;
    let resource = DecisionViewResource {
        id: r.id.to_string(),
        state: r.state.to_string(),
        version: r.version,
        authority: r.authority.to_string(),
        provider: r.provider.to_string(),
        instrument: r.instrument.to_string(),
        received_at: r.received_at,
        updated_at: r.updated_at,
        decisions: view
            .decisions
            .into_iter()
            .map(|d| DecisionSeenResource {
                decision: d.decision,
                at: d.at,
                by: d.by.to_string(),
                outcome: d.outcome.to_string(),
                grounds: d.grounds,
                reasoning: d.reasoning,
            })
            .collect(),
        appeals: view
            .appeals
            .into_iter()
            .map(|a| AppealSeenResource {
                decision: a.decision,
                at: a.at,
                by: a.by.to_string(),
                grounds: a.grounds,
            })
            .collect(),
    };
    Ok(with_receipt(Json(resource), &[view.log_index]))
}

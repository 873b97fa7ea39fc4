//! Reviewer assignment, with the conflict check of separation of duties, and the
//! authorities' track records (issue 5, items 5 and 6).

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State as AxumState, rejection::BytesRejection, rejection::PathRejection},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use chrono::{SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{ActorId, JournalEntry, Party, PartyId, Store, StoredRequest, check_name};
use comity_wire::trust::{AssignBody, AuthorityRecordResource, journal};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, auth::Authenticated, error::ApiError};

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
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = crate::requests::parse_id(id)?;
    let body: AssignBody = crate::json_body(&headers, body)?;
    let (stored, facts) = crate::access::visible(&app, &caller, id).await?;
    let reviewer = PartyId::parse(&body.reviewer)
        .map_err(|e| ApiError::invalid_field("unknown_reviewer", "reviewer", e.to_string()))?;
    let Some(Party::Reviewer(r)) = app.trust.parties.get(app.store.as_ref(), &reviewer).await? else {
        return Err(ApiError::invalid_field(
            "unknown_reviewer",
            "reviewer",
            format!("no reviewer body {reviewer} is registered"),
        ));
    };
    let reason = check_name(&body.reason).map_err(|e| {
        ApiError::invalid_field("invalid_assignment", "reason", format!("give the reason: {e}"))
    })?;
    let institution = Party::Reviewer(r).institution().clone();
    let action =
        Action::AssignReviewer { reviewer: reviewer.clone(), reviewer_institution: institution.clone() };
    if !crate::access::allowed(&app, &caller, &action, &On::Request(&facts)) {
        let conflicted =
            facts.issuer_institutions.contains(&institution) || facts.provider_institution == institution;
        return Err(ApiError::forbidden(if conflicted {
            format!(
                "{reviewer} is of institution {institution}, which is a party to this request; \
                 assign a reviewer independent of the authority and the provider"
            )
        } else {
            format!(
                "{} of {} may not assign reviewers to this request",
                crate::error::a(caller.principal.role.as_str()),
                caller.org()
            )
        }));
    }
    let written = record_assignment(app.store.as_ref(), &caller.actor(), &stored, &reviewer, reason).await?;
    let mut reviewers: Vec<String> = facts.reviewers.iter().map(PartyId::to_string).collect();
    reviewers.push(reviewer.to_string());
    let mut response = (StatusCode::CREATED, Json(Reviewers { reviewers })).into_response();
    crate::log::receipt(&mut response, written.log_index.as_slice());
    Ok(response)
}

/// Records that `reviewer` decides on `request`: a `reviewer.assigned` journal entry with
/// its audit-log entry. The caller has checked that the assignment is allowed; the API
/// and the demo seeder assign through here.
pub async fn record_assignment(
    store: &dyn Store,
    actor: &ActorId,
    request: &StoredRequest,
    reviewer: &PartyId,
    reason: String,
) -> Result<JournalEntry, ApiError> {
    let fact =
        journal::ReviewerAssigned { request: request.id.to_string(), reviewer: reviewer.to_string(), reason };
    let mut written = store
        .append_journal(&[JournalEntry {
            seq: 0,
            at: Utc::now().trunc_subsecs(6),
            kind: journal::REVIEWER_ASSIGNED.to_owned(),
            actor: actor.clone(),
            party: Some(request.provider.clone()),
            subject: reviewer.to_string(),
            request_id: Some(request.id),
            content: journal::content(&fact),
            log_index: None,
        }])
        .await?;
    written.pop().ok_or_else(|| ApiError::internal(&comity_core::StoreError::NotFound))
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
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Reviewers>, ApiError> {
    let (_, facts) = crate::access::visible(&app, &caller, crate::requests::parse_id(id)?).await?;
    Ok(Json(Reviewers { reviewers: facts.reviewers.iter().map(PartyId::to_string).collect() }))
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
    let id = PartyId::parse(&id).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if caller.org() != &id {
        crate::access::require(&app, &caller, &Action::ReadAggregates, &On::Aggregates)?;
    }
    match app.trust.parties.get(app.store.as_ref(), &id).await? {
        Some(Party::Authority(_)) => {}
        _ => return Err(ApiError::not_found(format!("no authority {id} is registered"))),
    }
    let record = app.store.authority_record(&id).await?;
    Ok(Json(AuthorityRecordResource::new(&id, &record)))
}

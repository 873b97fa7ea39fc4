//! The admin API for the registers: authorities, providers, reviewer bodies, auditors and
//! the operator. Only an operator's admin registers, changes, deactivates and suspends
//! (issue 16); any signed-in caller may read them (ids, countries, names, standing and
//! history, no personal data).

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::{StatusCode, header},
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use comity_app::{NewSuspension, PartyChanges};
use comity_core::{Party, PartyRole};
use comity_wire::{
    DocumentError,
    api::{AuthorityBody, ErrorBody, OrganisationBody, ProviderBody, ReviewerBodyBody},
    register::{
        HistoryEntry, PartyHistoryResource, PartyResource, PartyUpdateBody, ReasonBody, StandingResource,
        SuspensionBody, SuspensionResource,
    },
};
use serde::Serialize;

use crate::{
    AppState,
    error::ApiError,
    extract::{Authenticated, Caller},
    extract::{JsonBody, ManageRegisters},
    receipt::with_receipt,
};

/// Registers the party a body describes and answers 201 with the body.
async fn add<B: Serialize>(
    registers: &comity_app::Registers,
    parsed: B,
    to_party: fn(&B) -> Result<Party, DocumentError>,
    collection: &str,
) -> Result<impl IntoResponse + use<B>, ApiError> {
    let party = to_party(&parsed)?;
    let index = registers.add_party(&party).await?;
    let location = format!("/v1/admin/{collection}/{}", party.id());
    Ok(with_receipt((StatusCode::CREATED, [(header::LOCATION, location)], Json(parsed)), &[index]))
}

async fn list(app: &AppState, caller: &Caller, role: PartyRole) -> Result<Vec<Party>, ApiError> {
    Ok(app.app.parties(caller, role).await?)
}

/// Registers a requesting authority.
#[utoipa::path(
    post, path = "/v1/admin/authorities", tag = "parties",
    request_body(content = AuthorityBody, content_type = "application/json"),
    responses(
        (status = 201, body = AuthorityBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    )
)]
pub async fn add_authority(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<AuthorityBody>,
) -> Result<impl IntoResponse, ApiError> {
    add(&registers, body, AuthorityBody::to_party, "authorities").await
}

/// Lists the registered authorities.
#[utoipa::path(get, path = "/v1/admin/authorities", tag = "parties", responses((status = 200, body = [AuthorityBody])))]
pub async fn list_authorities(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<AuthorityBody>>, ApiError> {
    let parties = list(&app, &caller, PartyRole::Authority).await?;
    Ok(Json(
        parties
            .iter()
            .filter_map(|p| if let Party::Authority(a) = p { Some(a.into()) } else { None })
            .collect(),
    ))
}

/// Registers a provider.
#[utoipa::path(
    post, path = "/v1/admin/providers", tag = "parties",
    request_body(content = ProviderBody, content_type = "application/json"),
    responses(
        (status = 201, body = ProviderBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    )
)]
pub async fn add_provider(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<ProviderBody>,
) -> Result<impl IntoResponse, ApiError> {
    add(&registers, body, ProviderBody::to_party, "providers").await
}

/// Lists the registered providers.
#[utoipa::path(get, path = "/v1/admin/providers", tag = "parties", responses((status = 200, body = [ProviderBody])))]
pub async fn list_providers(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<ProviderBody>>, ApiError> {
    let parties = list(&app, &caller, PartyRole::Provider).await?;
    Ok(Json(
        parties
            .iter()
            .filter_map(|p| if let Party::Provider(x) = p { Some(x.into()) } else { None })
            .collect(),
    ))
}

/// Registers an independent reviewer body.
#[utoipa::path(
    post, path = "/v1/admin/reviewers", tag = "parties",
    request_body(content = ReviewerBodyBody, content_type = "application/json"),
    responses(
        (status = 201, body = ReviewerBodyBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    )
)]
pub async fn add_reviewer(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<ReviewerBodyBody>,
) -> Result<impl IntoResponse, ApiError> {
    add(&registers, body, ReviewerBodyBody::to_party, "reviewers").await
}

/// Lists the registered reviewer bodies.
#[utoipa::path(get, path = "/v1/admin/reviewers", tag = "parties", responses((status = 200, body = [ReviewerBodyBody])))]
pub async fn list_reviewers(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<ReviewerBodyBody>>, ApiError> {
    let parties = list(&app, &caller, PartyRole::Reviewer).await?;
    Ok(Json(
        parties
            .iter()
            .filter_map(|p| if let Party::Reviewer(x) = p { Some(x.into()) } else { None })
            .collect(),
    ))
}

/// Registers an auditor: it reads the log and aggregates, never a request.
#[utoipa::path(
    post, path = "/v1/admin/auditors", tag = "parties",
    request_body(content = OrganisationBody, content_type = "application/json"),
    responses(
        (status = 201, body = OrganisationBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    )
)]
pub async fn add_auditor(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<OrganisationBody>,
) -> Result<impl IntoResponse, ApiError> {
    add(&registers, body, OrganisationBody::to_auditor, "auditors").await
}

/// Lists the registered auditors.
#[utoipa::path(get, path = "/v1/admin/auditors", tag = "parties", responses((status = 200, body = [OrganisationBody])))]
pub async fn list_auditors(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<OrganisationBody>>, ApiError> {
    organisations(&app, &caller, PartyRole::Auditor).await
}

/// Registers a representative of people concerned by requests (a lawyer, a data
/// protection authority; issue 13, item 6). It acts only in the requests it is then
/// registered for (`POST /v1/requests/{id}/representatives`).
#[utoipa::path(
    post, path = "/v1/admin/representatives", tag = "parties",
    request_body(content = OrganisationBody, content_type = "application/json"),
    responses(
        (status = 201, body = OrganisationBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    )
)]
pub async fn add_representative(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<OrganisationBody>,
) -> Result<impl IntoResponse, ApiError> {
    add(&registers, body, OrganisationBody::to_representative, "representatives").await
}

/// Lists the registered representatives.
#[utoipa::path(get, path = "/v1/admin/representatives", tag = "parties", responses((status = 200, body = [OrganisationBody])))]
pub async fn list_representatives(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<OrganisationBody>>, ApiError> {
    organisations(&app, &caller, PartyRole::Representative).await
}

/// Registers an operator of this comity: its admins manage registers, keys and accounts.
#[utoipa::path(
    post, path = "/v1/admin/operators", tag = "parties",
    request_body(content = OrganisationBody, content_type = "application/json"),
    responses(
        (status = 201, body = OrganisationBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "A field is not valid", body = ErrorBody),
    )
)]
pub async fn add_operator(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<OrganisationBody>,
) -> Result<impl IntoResponse, ApiError> {
    add(&registers, body, OrganisationBody::to_operator, "operators").await
}

/// Lists the registered operators.
#[utoipa::path(get, path = "/v1/admin/operators", tag = "parties", responses((status = 200, body = [OrganisationBody])))]
pub async fn list_operators(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<OrganisationBody>>, ApiError> {
    organisations(&app, &caller, PartyRole::Operator).await
}

async fn organisations(
    app: &AppState,
    caller: &Caller,
    role: PartyRole,
) -> Result<Json<Vec<OrganisationBody>>, ApiError> {
    let parties = list(app, caller, role).await?;
    Ok(Json(
        parties
            .iter()
            .filter_map(|p| match p {
                Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => Some(o.into()),
                _ => None,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------
// The register over time (issue 16, items 6 and 7): changes, deactivation, suspensions.

/// The party with its standing now.
fn party_resource(record: &comity_app::PartyRecord, now: DateTime<Utc>) -> PartyResource {
    PartyResource::new(&record.party, Some(StandingResource::new(&record.standing, now)))
}

async fn record_of(app: &AppState, caller: &Caller, id: &str) -> Result<comity_app::PartyRecord, ApiError> {
    Ok(app.app.party_record(caller, id).await?)
}

/// A party of any register, with its standing: whether it is active, and its suspensions.
#[utoipa::path(
    get, path = "/v1/admin/parties/{id}", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    responses(
        (status = 200, body = PartyResource),
        (status = 404, description = "No such party", body = ErrorBody),
    )
)]
pub async fn show(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PartyResource>, ApiError> {
    Ok(Json(party_resource(&record_of(&app, &caller, &id).await?, Utc::now())))
}

/// Changes a party's name, type (an authority's), kind (a reviewer body's) or institution,
/// with the reason. The change is a `party.updated` fact with each field's old and new
/// value, in the journal and the audit log; the party's history keeps every value it had.
#[utoipa::path(
    patch, path = "/v1/admin/parties/{id}", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    request_body(content = PartyUpdateBody, content_type = "application/json"),
    responses(
        (status = 200, body = PartyResource),
        (status = 404, description = "No such party", body = ErrorBody),
        (status = 409, description = "The party was changed meanwhile", body = ErrorBody),
        (status = 422, description = "A field is not valid, does not fit the party's register, or changes nothing", body = ErrorBody),
    )
)]
pub async fn update(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PartyUpdateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let changes = PartyChanges {
        name: body.name,
        authority_type: body.authority_type.map(|t| t.0),
        kind: body.kind.map(|k| k.0),
        institution: body.institution,
        reason: body.reason,
    };
    let now = Utc::now();
    let (_, entry) = registers.update_party(&id, &changes, now).await?;
    let resource = party_resource(&record_of(&app, &caller, &id).await?, now);
    Ok(with_receipt(Json(resource), entry.log_index.as_slice()))
}

/// A party's history: the party as it is and as it was registered, and every change of
/// its details and standing since, oldest first (an authority's contacts' changes too,
/// for who may read its contacts).
#[utoipa::path(
    get, path = "/v1/admin/parties/{id}/history", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    responses(
        (status = 200, body = PartyHistoryResource),
        (status = 404, description = "No such party", body = ErrorBody),
    )
)]
pub async fn history(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PartyHistoryResource>, ApiError> {
    let record = record_of(&app, &caller, &id).await?;
    Ok(Json(PartyHistoryResource {
        party: party_resource(&record, Utc::now()),
        registered: PartyResource::new(&record.registered, None),
        history: record.history.iter().filter_map(HistoryEntry::new).collect(),
    }))
}

/// Deactivates a party, with the reason: from now on it is party to no new request (an
/// authority's submissions are refused, a provider receives none, a reviewer body is
/// assigned none) until it is reactivated. What it is party to keeps its history.
#[utoipa::path(
    post, path = "/v1/admin/parties/{id}/deactivate", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    request_body(content = ReasonBody, content_type = "application/json"),
    responses(
        (status = 200, body = PartyResource),
        (status = 404, description = "No such party", body = ErrorBody),
        (status = 409, description = "It is deactivated already", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    )
)]
pub async fn deactivate(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<impl IntoResponse, ApiError> {
    let now = Utc::now();
    let (_, entry) = registers.deactivate(&id, &body.reason, now).await?;
    let resource = party_resource(&record_of(&app, &caller, &id).await?, now);
    Ok(with_receipt(Json(resource), entry.log_index.as_slice()))
}

/// Reactivates a deactivated party, with the reason.
#[utoipa::path(
    post, path = "/v1/admin/parties/{id}/reactivate", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    request_body(content = ReasonBody, content_type = "application/json"),
    responses(
        (status = 200, body = PartyResource),
        (status = 404, description = "No such party", body = ErrorBody),
        (status = 409, description = "It is not deactivated", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    )
)]
pub async fn reactivate(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<impl IntoResponse, ApiError> {
    let now = Utc::now();
    let (_, entry) = registers.reactivate(&id, &body.reason, now).await?;
    let resource = party_resource(&record_of(&app, &caller, &id).await?, now);
    Ok(with_receipt(Json(resource), entry.log_index.as_slice()))
}

/// Suspends a party as a whole, or one of its privileges (`emergency`: the emergency
/// route), until a date, by a reasoned decision. A suspended authority's submissions (or
/// only its emergencies) are refused with 403, saying why and until when.
#[utoipa::path(
    post, path = "/v1/admin/parties/{id}/suspensions", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    request_body(content = SuspensionBody, content_type = "application/json"),
    responses(
        (status = 201, body = SuspensionResource),
        (status = 404, description = "No such party", body = ErrorBody),
        (status = 422, description = "No reason, an end that is not after now, or a privilege the party does not hold", body = ErrorBody),
    )
)]
pub async fn suspend(
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SuspensionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new =
        NewSuspension { privilege: body.privilege.map(|p| p.0), until: body.until, reason: body.reason };
    let now = Utc::now();
    let (suspension, entry) = registers.suspend(&id, &new, now).await?;
    let resource = SuspensionResource::new(&entry_party(&entry, &id)?, &suspension, now);
    let location = format!("/v1/admin/parties/{}/suspensions/{}", resource.party, resource.number);
    Ok(with_receipt(
        (StatusCode::CREATED, [(header::LOCATION, location)], Json(resource)),
        entry.log_index.as_slice(),
    ))
}

/// The party a register's fact names.
fn entry_party(entry: &comity_core::JournalEntry, id: &str) -> Result<comity_core::PartyId, ApiError> {
    entry.party.clone().ok_or_else(|| ApiError::not_found(format!("no party {id}")))
}

/// A party's suspensions, in force or not, by number, each with its reasons.
#[utoipa::path(
    get, path = "/v1/admin/parties/{id}/suspensions", tag = "parties",
    params(("id" = String, Path, description = "The party")),
    responses(
        (status = 200, body = [SuspensionResource]),
        (status = 404, description = "No such party", body = ErrorBody),
    )
)]
pub async fn list_party_suspensions(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<SuspensionResource>>, ApiError> {
    let record = record_of(&app, &caller, &id).await?;
    let now = Utc::now();
    let standing = &record.standing;
    Ok(Json(standing.suspensions.iter().map(|s| SuspensionResource::new(&standing.party, s, now)).collect()))
}

/// Lifts a suspension before its end, with the reason.
#[utoipa::path(
    post, path = "/v1/admin/parties/{id}/suspensions/{number}/lift", tag = "parties",
    params(("id" = String, Path, description = "The party"), ("number" = u32, Path, description = "The suspension")),
    request_body(content = ReasonBody, content_type = "application/json"),
    responses(
        (status = 200, body = SuspensionResource),
        (status = 400, description = "The suspension is not a number (1, 2, ...)", body = ErrorBody),
        (status = 404, description = "No such party or suspension", body = ErrorBody),
        (status = 409, description = "It was lifted already, or has ended", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    )
)]
pub async fn lift(
    ManageRegisters(registers): ManageRegisters,
    Path((id, number)): Path<(String, String)>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<impl IntoResponse, ApiError> {
    // Read here, not by the extractor, so that a wrong number is answered as JSON.
    let number = number
        .parse::<u32>()
        .map_err(|_| ApiError::bad_request(format!("{number:?} is not a suspension's number (1, 2, ...)")))?;
    let now = Utc::now();
    let (suspension, entry) = registers.lift_suspension(&id, number, &body.reason, now).await?;
    let resource = SuspensionResource::new(&entry_party(&entry, &id)?, &suspension, now);
    Ok(with_receipt(Json(resource), entry.log_index.as_slice()))
}

/// Every suspension of every party, newest decision first: the operator's decisions, with
/// their reasons, for review.
#[utoipa::path(
    get, path = "/v1/admin/suspensions", tag = "parties",
    responses((status = 200, body = [SuspensionResource]))
)]
pub async fn list_suspensions(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<SuspensionResource>>, ApiError> {
    let now = Utc::now();
    let all = app.app.suspensions(&caller).await?;
    Ok(Json(all.iter().map(|(party, s)| SuspensionResource::new(party, s, now)).collect()))
}

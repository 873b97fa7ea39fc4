//! The admin API for the registers: authorities, providers, reviewer bodies, auditors and
//! the operator. Only an operator's admin registers; any signed-in caller may read them
//! (ids, countries and names, no personal data).

use axum::{
    Json,
    extract::State as AxumState,
    http::{StatusCode, header},
    response::IntoResponse,
};
use comity_core::{Party, PartyRole};
use comity_wire::{
    DocumentError,
    api::{AuthorityBody, ErrorBody, OrganisationBody, ProviderBody, ReviewerBodyBody},
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

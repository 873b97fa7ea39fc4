//! Emergency requests are never acted on until verified (issue 5, item 6): the one-time
//! links and signed confirmations of `comity_app` over HTTP.

use axum::{
    Json,
    body::Bytes,
    extract::{State as AxumState, rejection::BytesRejection},
    http::StatusCode,
    response::IntoResponse,
};
use comity_app::{Client, Mailed};
use comity_wire::{
    api::RequestSummary,
    trust::{LinkBody, LinkMailResource, LinkResource, LinkSecretBody, VerificationView, VerifyBody},
};

use crate::{
    AppState,
    error::ApiError,
    extract::{Authenticated, ClientIp},
    extract::{JsonBody, RequestIdPath},
    receipt::with_receipt,
};

/// Issues a one-time link for a registered contact of the request's authority, and, when
/// the server sends mail (`--smtp`), e-mails it to the contact's registered address.
#[utoipa::path(
    post, path = "/v1/requests/{id}/verification/links", tag = "verification",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = LinkBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The link issued. `mail.status` says whether comity e-mailed it to the contact (`sent`: the link is not shown), or not (`failed`, `not_sent`: the link, shown once, to send through the contact's registered channel)", body = LinkResource),
        (status = 403, description = "Only the provider's legal team issues links, and only for an emergency pending verification", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The authority has no such contact", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn issue_link(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<LinkBody>,
) -> Result<impl IntoResponse, ApiError> {
    let issued = app.app.issue_link(&caller, id, &body.contact).await?;
    let mail = match issued.mailed {
        Mailed::Sent { to, message_id } => LinkMailResource {
            status: "sent".to_owned(),
            to: Some(to),
            message_id: Some(message_id),
            message: None,
        },
        Mailed::Failed { to, error } => LinkMailResource {
            status: "failed".to_owned(),
            to: Some(to),
            message_id: None,
            message: Some(format!(
                "the e-mail could not be sent ({error}); the link below is good: pass it on through the \
                 contact's registered channel, or issue another"
            )),
        },
        Mailed::NotSent { reason } => LinkMailResource {
            status: "not_sent".to_owned(),
            to: None,
            message_id: None,
            message: Some(reason),
        },
    };
    let resource = LinkResource {
        url: issued.url,
        mail,
        contact: issued.contact.id.to_string(),
        email: issued.contact.email,
        phone: issued.contact.phone,
        expires_at: issued.expires_at,
    };
    Ok(with_receipt((StatusCode::CREATED, Json(resource)), &issued.log_indexes))
}

/// What a link is for: enough to recognise the request, none of its targets. A POST,
/// because the secret must not be in a URL, and a GET has no body (RFC 9110 §9.3.1).
#[utoipa::path(
    post, path = "/v1/verify/view", tag = "verification",
    request_body(content = LinkSecretBody, content_type = "application/json"),
    responses((status = 200, body = VerificationView), (status = 404, description = "Used, expired or unknown", body = comity_wire::api::ErrorBody))
)]
pub async fn view_link(
    AxumState(app): AxumState<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<LinkSecretBody>,
) -> Result<Json<VerificationView>, ApiError> {
    let count = app.refusals(client);
    let view = app.app.view_link(&body.token, &Client::new(client, &count)).await?;
    let stored = &view.request;
    Ok(Json(VerificationView {
        request: stored.id.to_string(),
        authority: stored.authority.to_string(),
        provider: stored.provider.to_string(),
        reference: stored.reference.clone(),
        received_at: stored.received_at,
        targets: view.targets,
        contact: view.link.contact.to_string(),
        expires_at: view.link.expires_at,
    }))
}

/// The contact confirms or denies, through the link.
#[utoipa::path(
    post, path = "/v1/verify", tag = "verification",
    request_body(content = VerifyBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded; the request moved to under_review (confirmed) or rejected (denied)", body = RequestSummary),
        (status = 404, description = "Used, expired or unknown", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The request is no longer pending verification", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn answer_link(
    AxumState(app): AxumState<AppState>,
    ClientIp(client): ClientIp,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Json<RequestSummary>, ApiError> {
    let count = app.refusals(client);
    let client = Client::new(client, &count);
    let after = app.app.answer_link(&body.token, &body.decision, body.note.as_deref(), &client).await?;
    Ok(Json(RequestSummary::from(&after)))
}

/// A contact's signed confirmation: a compact JWS (`application/jose`) by the contact's
/// registered key, whose claims are `iss` (the authority), `aud` (the provider), `iat`,
/// `exp`, `jti` and `request: {"id": REQUEST ID, "decision": "confirm" | "deny"}`.
#[utoipa::path(
    post, path = "/v1/requests/{id}/verification", tag = "verification",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = String, content_type = "application/jose"),
    responses(
        (status = 200, body = RequestSummary),
        (status = 401, description = "The signature is refused, or not by a registered contact of the authority", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The request is no longer pending verification", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn signed_confirmation(
    AxumState(app): AxumState<AppState>,
    ClientIp(client): ClientIp,
    RequestIdPath(id): RequestIdPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RequestSummary>, ApiError> {
    let body = body?;
    let count = app.refusals(client);
    let after = app.app.confirm_signed(id, &body, &Client::new(client, &count)).await?;
    Ok(Json(RequestSummary::from(&after)))
}

//! The notice to the person concerned (issue 15, item 1): each target's notice, how it
//! reaches the person (the provider), a delay or a bar with reasons (an assigned reviewer),
//! the delivery the provider confirms, and the text it delivers. The sweeper of deadlines
//! writes and sends each notice on the day it is due (`comity_app::person_notices`).

use axum::{
    Json,
    extract::{FromRequestParts, Path, State as AxumState},
    http::{StatusCode, request::Parts},
    response::IntoResponse,
};
use comity_app::{NoticeDecision, NoticeRecipient, PersonNotice};
use comity_core::{PersonNoticeChannel, PersonNoticeStatus, RequestId};
use comity_wire::api::ErrorBody;
use comity_wire::person_notice::{
    NoticeDecisionBody, NoticeDeliveryBody, NoticeRecipientBody, NoticeTextResource, PersonNoticeResource,
    PersonNoticesResource,
};

use crate::{
    AppState,
    error::ApiError,
    extract::{Authenticated, JsonBody, RequestIdPath, request_id},
    receipt::with_receipt,
};

/// The request id and target of `/v1/requests/{id}/notices/{target}/...`.
#[derive(Debug, Clone, Copy)]
pub struct NoticePath(pub RequestId, pub u32);

impl<S: Send + Sync> FromRequestParts<S> for NoticePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((id, target)) = Path::<(String, String)>::from_request_parts(parts, state).await?;
        let target = target.parse::<u32>().map_err(|_| {
            ApiError::bad_request(format!(
                "{target:?} is not a target: give the target's place in the request's targets, from 0"
            ))
        })?;
        Ok(NoticePath(request_id(&id)?, target))
    }
}

/// The wire form of a target's notice.
pub fn resource(n: &PersonNotice) -> PersonNoticeResource {
    let decision = n.decision.as_ref().map(|(d, _)| d);
    PersonNoticeResource {
        target: n.target,
        selector: n.selector.clone(),
        status: n.status.to_string(),
        decided_by: decision.map(|d| d.by.to_string()),
        reasoning: decision.map(|d| d.reasoning.clone()).filter(|r| !r.is_empty()),
        until: decision.and_then(|d| d.until),
        language: n.recipient.as_ref().map(|r| r.language.clone()),
        channel: n.recipient.as_ref().map(|r| r.channel.to_string()),
        address: n.recipient.as_ref().and_then(|r| r.address.clone()),
        due: n.due,
        waiting: n.waiting.map(str::to_owned),
        sent_at: n.sent.as_ref().map(|(_, at, _)| *at),
        commitment: n.sent.as_ref().map(|(s, _, _)| s.commitment.clone()),
        sent_log_index: n.sent.as_ref().and_then(|(_, _, i)| *i),
        delivered_at: n.delivered.as_ref().map(|(at, _)| *at),
        delivery_reference: n.delivered.as_ref().map(|(_, r)| r.clone()).filter(|r| !r.is_empty()),
    }
}

/// The notices to the people concerned by a request, one per target: their status, when
/// each goes out or what it waits for, and its sending and delivery. They name the targets:
/// the read is logged before it is answered.
#[utoipa::path(
    get, path = "/v1/requests/{id}/notices", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = PersonNoticesResource),
        (status = 404, description = "No such request, or none the caller may see", body = ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<Json<PersonNoticesResource>, ApiError> {
    let notices = app.app.person_notices(&caller, id).await?;
    Ok(Json(PersonNoticesResource {
        request: id.to_string(),
        notices: notices.iter().map(resource).collect(),
    }))
}

/// The provider says how the notice to a target reaches the person: in which language, by
/// e-mail from comity or through its own channel. Once the data has been delivered; the
/// notice then goes out when it is due (at once, or when the nondisclosure or a delay ends).
#[utoipa::path(
    post, path = "/v1/requests/{id}/notices/{target}/recipient", tag = "requests",
    params(("id" = String, Path, description = "The request id"), ("target" = u32, Path, description = "The target's place in the request's targets, from 0")),
    request_body(content = NoticeRecipientBody, content_type = "application/json"),
    responses(
        (status = 201, body = PersonNoticeResource),
        (status = 403, description = "Only the provider the request is addressed to says this", body = ErrorBody),
        (status = 404, description = "No such request or target, or none the caller may see", body = ErrorBody),
        (status = 409, description = "The data has not been delivered yet, or the notice was sent already", body = ErrorBody),
        (status = 422, description = "A language comity has no templates for, or a channel without its address", body = ErrorBody),
    )
)]
pub async fn recipient(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    NoticePath(id, target): NoticePath,
    JsonBody(body): JsonBody<NoticeRecipientBody>,
) -> Result<impl IntoResponse, ApiError> {
    let recipient = recipient_of(body.language, &body.channel, body.address)?;
    let (notice, written) = app.app.set_notice_recipient(&caller, id, target, &recipient).await?;
    Ok(with_receipt((StatusCode::CREATED, Json(resource(&notice))), written.log_index.as_slice()))
}

/// An assigned reviewer body decides when the person is told: `immediate`; `delayed` to a
/// last day, with the reviewed reason; or `barred`, with a reasoned decision and the date
/// by which the bar is reviewed again, where the pack allows a bar (the national-security
/// pack delays, never bars).
#[utoipa::path(
    post, path = "/v1/requests/{id}/notices/{target}/decision", tag = "requests",
    params(("id" = String, Path, description = "The request id"), ("target" = u32, Path, description = "The target's place in the request's targets, from 0")),
    request_body(content = NoticeDecisionBody, content_type = "application/json"),
    responses(
        (status = 201, body = PersonNoticeResource),
        (status = 403, description = "Only a reviewer body assigned to the request, of neither side, decides", body = ErrorBody),
        (status = 404, description = "No such request or target, or none the caller may see", body = ErrorBody),
        (status = 409, description = "The notice was sent already", body = ErrorBody),
        (status = 422, description = "No reasoning, no date, or a bar the pack does not allow", body = ErrorBody),
    )
)]
pub async fn decision(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    NoticePath(id, target): NoticePath,
    JsonBody(body): JsonBody<NoticeDecisionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let status = PersonNoticeStatus::parse(body.status.trim()).ok_or_else(|| {
        ApiError::invalid_field("invalid_notice_decision", "status", "is `immediate`, `delayed` or `barred`")
    })?;
    let decision = NoticeDecision { status, reasoning: body.reasoning, until: body.until };
    let (notice, written) = app.app.decide_notice(&caller, id, target, &decision).await?;
    Ok(with_receipt((StatusCode::CREATED, Json(resource(&notice))), written.log_index.as_slice()))
}

/// The provider confirms it delivered, through its own channel, a notice comity handed to
/// it; logged.
#[utoipa::path(
    post, path = "/v1/requests/{id}/notices/{target}/delivery", tag = "requests",
    params(("id" = String, Path, description = "The request id"), ("target" = u32, Path, description = "The target's place in the request's targets, from 0")),
    request_body(content = NoticeDeliveryBody, content_type = "application/json"),
    responses(
        (status = 201, body = PersonNoticeResource),
        (status = 403, description = "Only the provider the request is addressed to confirms", body = ErrorBody),
        (status = 404, description = "No such request or target, or none the caller may see", body = ErrorBody),
        (status = 409, description = "The notice is not written yet, comity e-mailed it, or its delivery was confirmed already", body = ErrorBody),
        (status = 422, description = "No reference", body = ErrorBody),
    )
)]
pub async fn delivery(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    NoticePath(id, target): NoticePath,
    JsonBody(body): JsonBody<NoticeDeliveryBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (notice, written) = app.app.confirm_notice_delivery(&caller, id, target, &body.reference).await?;
    Ok(with_receipt((StatusCode::CREATED, Json(resource(&notice))), written.log_index.as_slice()))
}

/// A sent notice's text, written again word for word, for the provider to deliver through
/// its own channel, with the salt and commitment the person checks it by. The read is
/// logged.
#[utoipa::path(
    get, path = "/v1/requests/{id}/notices/{target}/text", tag = "requests",
    params(("id" = String, Path, description = "The request id"), ("target" = u32, Path, description = "The target's place in the request's targets, from 0")),
    responses(
        (status = 200, body = NoticeTextResource),
        (status = 403, description = "Only the provider the request is addressed to reads it", body = ErrorBody),
        (status = 404, description = "No such request or target, or none the caller may see", body = ErrorBody),
        (status = 409, description = "The notice is not written yet", body = ErrorBody),
    )
)]
pub async fn text(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    NoticePath(id, target): NoticePath,
) -> Result<Json<NoticeTextResource>, ApiError> {
    Ok(Json(text_resource(app.app.person_notice_text(&caller, id, target).await?)))
}

/// How a notice reaches a person, as a body gives it: the channel read here, the rest
/// checked by the use case (a target's notice, or a remedy's).
pub fn recipient_of(
    language: String,
    channel: &str,
    address: Option<String>,
) -> Result<NoticeRecipient, ApiError> {
    let channel = PersonNoticeChannel::parse(channel.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "invalid_notice_recipient",
            "channel",
            "is `email` (comity e-mails the notice) or `provider` (you deliver it through your own channel)",
        )
    })?;
    Ok(NoticeRecipient { language, channel, address })
}

/// The wire form of a notice's text.
pub fn text_resource(t: comity_app::person_notices::NoticeText) -> NoticeTextResource {
    NoticeTextResource {
        language: t.language,
        subject: t.subject,
        text: t.text,
        salt: t.salt,
        commitment: t.commitment,
        check: t.check,
    }
}

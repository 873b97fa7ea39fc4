//! Remedies and correction (issue 15, item 4): a remedy case on data delivered in error
//! recalls it (the authority attests the deletion as it attests a disposal), owes a
//! corrected production where one is due, tells each person affected, and is counted.
//! The rules are `comity_app::remedies`'s.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::StatusCode,
    response::IntoResponse,
};
use comity_app::remedies::{OpenRemedy, RemedyCase};
use comity_core::{RemedyGround, RequestId};
use comity_wire::api::ErrorBody;
use comity_wire::person_notice::NoticeTextResource;
use comity_wire::remedy::{
    CorrectionResource, PersonToldResource, RecalledResource, RemedyBody, RemedyCountsResource,
    RemedyPersonBody, RemedyResource, RemedyToldResource,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, JsonBody, QueryParams, RequestIdPath, request_id};
use crate::further_use::Period;
use crate::person_notices::{recipient_of, text_resource};
use crate::receipt::with_receipt;

/// The wire form of a case.
pub fn resource(c: &RemedyCase) -> RemedyResource {
    RemedyResource {
        case: c.opened.case,
        ground: c.opened.ground.to_string(),
        by: c.opened.by.as_ref().map(ToString::to_string),
        opened_at: c.opened_at,
        log_index: c.log_index,
        description: c.opened.description.clone(),
        status: c.status().to_owned(),
        recall_due: c.opened.recall_due,
        recalled: c
            .recalled
            .iter()
            .map(|p| RecalledResource {
                production: p.id.clone(),
                status: p.status.to_owned(),
                shredded_at: p.shredded_at,
                deleted_at: p.attestation.as_ref().map(|a| a.disposed_at),
            })
            .collect(),
        recall_met_at: c.recall_met.as_ref().map(|(_, at)| *at),
        recall_late: c.recall_met.as_ref().map(|(m, _)| m.late),
        correction: c.opened.correction,
        corrections: c
            .corrections
            .iter()
            .map(|p| CorrectionResource { production: p.id.clone(), status: p.status.to_owned() })
            .collect(),
        persons_told: c
            .persons_told
            .iter()
            .map(|(t, at, log_index)| PersonToldResource {
                person: t.person,
                language: t.language.clone(),
                channel: t.channel.to_string(),
                at: *at,
                commitment: t.commitment.clone(),
                log_index: *log_index,
            })
            .collect(),
    }
}

/// A positive number in a path: a case's or a person's.
fn number(what: &str, value: &str) -> Result<u32, ApiError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request(format!("{value:?} is not a {what}'s number (1, 2, ...)")))
}

/// A request's remedy cases, oldest first.
#[utoipa::path(
    get, path = "/v1/requests/{id}/remedies", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, description = "The cases, oldest first", body = [RemedyResource]),
        (status = 404, description = "No such request, or none the caller may see", body = ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let cases = app.app.remedies(&caller, id).await?;
    Ok(Json(cases.iter().map(resource).collect::<Vec<_>>()))
}

/// The provider, or the reviewer body assigned, opens a remedy case on data delivered in
/// error. What it names is recalled at once: comity's copies are crypto-shredded, and the
/// authority is told to delete its copies and attest it (`comity disposal sign`, then
/// `POST .../productions/{p}/disposal`) within the recall's days.
#[utoipa::path(
    post, path = "/v1/requests/{id}/remedies", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = RemedyBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Opened; the recalled productions are shredded at comity and the authority told", body = RemedyResource),
        (status = 403, description = "Only the provider or the reviewer body assigned opens a case", body = ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = ErrorBody),
        (status = 409, description = "Nothing was delivered, or nothing is left to recall", body = ErrorBody),
        (status = 422, description = "An unknown ground, a production that cannot be recalled, or a description that names someone", body = ErrorBody),
    )
)]
pub async fn open(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<RemedyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let ground = RemedyGround::parse(body.ground.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "invalid_remedy",
            "ground",
            "is wrong_account, out_of_scope, third_party_unmasked or decision_overturned",
        )
    })?;
    let open = OpenRemedy {
        ground,
        productions: body.productions,
        correction: body.correction,
        description: body.description,
    };
    let case = app.app.open_remedy(&caller, id, open).await?;
    let index: Vec<u64> = case.log_index.into_iter().collect();
    Ok(with_receipt((StatusCode::CREATED, Json(resource(&case))), &index))
}

/// One remedy case.
#[utoipa::path(
    get, path = "/v1/requests/{id}/remedies/{case}", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id"), ("case" = u32, Path, description = "The case's number, from 1")),
    responses(
        (status = 200, body = RemedyResource),
        (status = 404, description = "No such request or case, or none the caller may see", body = ErrorBody),
    )
)]
pub async fn show(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, case)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, case) = (request_id(&id)?, number("case", &case)?);
    Ok(Json(resource(&app.app.remedy(&caller, id, case).await?)))
}

/// The provider tells a person affected by a case, in their language: comity e-mails the
/// notice now (the address is used for this message only and never kept), or returns its
/// text for the provider to deliver. The log keeps a commitment to the text, never the
/// text. Refused while the authority's nondisclosure runs.
#[utoipa::path(
    post, path = "/v1/requests/{id}/remedies/{case}/persons", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id"), ("case" = u32, Path, description = "The case's number, from 1")),
    request_body(content = RemedyPersonBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Told (e-mailed, or the text to deliver)", body = RemedyToldResource),
        (status = 403, description = "Only the provider tells the person", body = ErrorBody),
        (status = 404, description = "No such request or case, or none the caller may see", body = ErrorBody),
        (status = 409, description = "The authority's nondisclosure still runs", body = ErrorBody),
        (status = 422, description = "A language comity does not write, an unknown channel, or an address that is not one", body = ErrorBody),
        (status = 503, description = "The e-mail could not be sent (nothing recorded), or comity has no mailer", body = ErrorBody),
    )
)]
pub async fn tell(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, case)): Path<(String, String)>,
    JsonBody(body): JsonBody<RemedyPersonBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, case) = (request_id(&id)?, number("case", &case)?);
    let recipient = recipient_of(body.language, &body.channel, body.address)?;
    let (after, text) = app.app.tell_remedy_person(&caller, id, case, &recipient).await?;
    let told = after.persons_told.last().map(|(t, _, i)| (t.person, *i)).unwrap_or_default();
    let index: Vec<u64> = told.1.into_iter().collect();
    let body = RemedyToldResource { remedy: resource(&after), person: told.0, notice: text_resource(text) };
    Ok(with_receipt((StatusCode::CREATED, Json(body)), &index))
}

/// The notice a person affected was given, written again word for word from the facts,
/// for the provider to deliver or check against its commitment. Logged as a read.
#[utoipa::path(
    get, path = "/v1/requests/{id}/remedies/{case}/persons/{person}/notice", tag = "after disclosure",
    params(
        ("id" = String, Path, description = "The request id"),
        ("case" = u32, Path, description = "The case's number, from 1"),
        ("person" = u32, Path, description = "The person's number in the case, from 1"),
    ),
    responses(
        (status = 200, body = NoticeTextResource),
        (status = 403, description = "Only the provider", body = ErrorBody),
        (status = 404, description = "No such request, case or person, or none the caller may see", body = ErrorBody),
    )
)]
pub async fn notice(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, case, person)): Path<(String, String, String)>,
) -> Result<Json<NoticeTextResource>, ApiError> {
    let (id, case, person): (RequestId, u32, u32) =
        (request_id(&id)?, number("case", &case)?, number("person", &person)?);
    Ok(Json(text_resource(app.app.remedy_notice_text(&caller, id, case, person).await?)))
}

/// Remedy cases in a period: opened by ground, recalls met in time, late and outstanding,
/// corrections sealed and persons told. Figures for the transparency reports.
#[utoipa::path(
    get, path = "/v1/remedies/counts", tag = "after disclosure",
    params(Period),
    responses(
        (status = 200, description = "The counts", body = RemedyCountsResource),
        (status = 400, description = "No period, or a time that is not RFC 3339", body = ErrorBody),
        (status = 403, description = "Only who may read the aggregates", body = ErrorBody),
        (status = 422, description = "The period ends before it starts", body = ErrorBody),
    )
)]
pub async fn counts(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    QueryParams(period): QueryParams<Period>,
) -> Result<impl IntoResponse, ApiError> {
    let c = app.app.remedy_counts(&caller, period.from, period.to).await?;
    Ok(Json(RemedyCountsResource {
        from: period.from,
        to: period.to,
        opened: c.opened.iter().map(|(g, n)| (g.to_string(), *n)).collect(),
        recalls_met: c.recalls_met,
        recalls_met_late: c.recalls_met_late,
        recalls_outstanding: c.recalls_outstanding,
        corrections: c.corrections,
        persons_told: c.persons_told,
    }))
}

//! Purpose limitation and onward transfer (issue 15, item 2): an authority asks to use
//! delivered data for another purpose or to pass it on, the reviewer body assigned to the
//! request answers, comity signs the answer with the log's key, and the authority records
//! each use it makes under a grant. The rules are `comity_app::further_use`'s.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::{StatusCode, header},
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use comity_app::further_use::{FurtherUse, FurtherUseAsk};
use comity_core::RequestId;
use comity_core::journal::FurtherUseKind;
use comity_wire::api::{
    FurtherUseAnswer, FurtherUseBody, FurtherUseCountsResource, FurtherUseDecisionBody, FurtherUseRecordBody,
    FurtherUseRecordResource, FurtherUseResource, FurtherUseTally,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, JsonBody, QueryParams, RequestIdPath, request_id};
use crate::receipt::with_receipt;

fn resource(id: RequestId, f: &FurtherUse) -> FurtherUseResource {
    FurtherUseResource {
        ask: f.asked.ask,
        kind: f.asked.kind.as_str().to_owned(),
        purpose: f.asked.purpose.clone(),
        recipient_country: f.asked.recipient.as_ref().map(|r| r.country.to_string()),
        recipient_body: f.asked.recipient.as_ref().map(|r| r.body.clone()),
        reasons: f.asked.reasons.clone(),
        asked_at: f.asked_at,
        answer: f.decision.as_ref().map(|d| FurtherUseAnswer {
            answer: if d.decision.granted { "granted" } else { "refused" }.to_owned(),
            by: d.decision.by.to_string(),
            conditions: d.decision.conditions.clone(),
            reasoning: d.decision.reasoning.clone(),
            at: d.at,
            log_index: d.log_index,
            signed: format!("/v1/requests/{id}/further-use/{}/answer", f.asked.ask),
        }),
        uses: f
            .uses
            .iter()
            .map(|(u, at, log_index)| FurtherUseRecordResource {
                note: u.note.clone(),
                at: *at,
                log_index: *log_index,
            })
            .collect(),
    }
}

/// The request id and ask number of `/v1/requests/{id}/further-use/{ask}/...`.
fn ask_path(id: &str, ask: &str) -> Result<(RequestId, u32), ApiError> {
    let id = request_id(id)?;
    let ask = ask
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request(format!("{ask:?} is not an ask's number (1, 2, ...)")))?;
    Ok((id, ask))
}

/// A request's asks for further use, each with its answer and the uses recorded under it.
#[utoipa::path(
    get, path = "/v1/requests/{id}/further-use", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, description = "The asks, oldest first", body = [FurtherUseResource]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let asks = app.app.further_uses(&caller, id).await?;
    Ok(Json(asks.iter().map(|f| resource(id, f)).collect::<Vec<_>>()))
}

/// The issuing authority asks, with reasons, to use the data a request delivered for
/// another purpose, or to pass it to another State or body. Until a reviewer grants it,
/// the package's purpose stands as the only one.
#[utoipa::path(
    post, path = "/v1/requests/{id}/further-use", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = FurtherUseBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Asked; the reviewer body assigned to the request answers", body = FurtherUseResource),
        (status = 403, description = "Only the issuing or validating authority asks", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "No data was delivered for this request", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No purpose or reasons, an unknown kind, or a transfer without its recipient", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn ask(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<FurtherUseBody>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = FurtherUseKind::parse(body.kind.trim()).ok_or_else(|| {
        comity_app::Error::invalid(
            "invalid_further_use",
            "kind",
            format!("{:?} is not a kind of further use; use purpose or transfer", body.kind),
        )
    })?;
    let recipient = match (body.recipient_country, body.recipient_body) {
        (None, None) => None,
        (country, body) => Some((country.unwrap_or_default(), body.unwrap_or_default())),
    };
    let ask = FurtherUseAsk { kind, purpose: body.purpose, recipient, reasons: body.reasons };
    let asked = app.app.ask_further_use(&caller, id, ask).await?;
    let index: Vec<u64> = asked.asked_log_index.into_iter().collect();
    Ok(with_receipt((StatusCode::CREATED, Json(resource(id, &asked))), &index))
}

/// The reviewer body assigned to the request grants or refuses an ask, with its reasoning
/// and, for a grant, any conditions; once.
#[utoipa::path(
    post, path = "/v1/requests/{id}/further-use/{ask}/decision", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id"), ("ask" = u32, Path, description = "The ask's number")),
    request_body(content = FurtherUseDecisionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Answered", body = FurtherUseResource),
        (status = 403, description = "Only the reviewer body assigned to the request, of neither party's institution, answers", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request or ask, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "Answered already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "An answer other than granted or refused, no reasoning, or conditions on a refusal", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn decide(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, ask)): Path<(String, String)>,
    JsonBody(body): JsonBody<FurtherUseDecisionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, ask) = ask_path(&id, &ask)?;
    let granted = match body.answer.trim() {
        "granted" => true,
        "refused" => false,
        other => {
            return Err(comity_app::Error::invalid(
                "invalid_further_use",
                "answer",
                format!("{other:?} is not an answer; use granted or refused"),
            )
            .into());
        }
    };
    let decided = app
        .app
        .decide_further_use(&caller, id, ask, granted, body.conditions.as_deref(), &body.reasoning)
        .await?;
    let index: Vec<u64> = decided.decision.as_ref().and_then(|d| d.log_index).into_iter().collect();
    Ok(with_receipt(Json(resource(id, &decided)), &index))
}

/// The authority records a use it made under a granted ask. Without a grant it is refused:
/// the purpose the data was produced for stands as the only one.
#[utoipa::path(
    post, path = "/v1/requests/{id}/further-use/{ask}/uses", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id"), ("ask" = u32, Path, description = "The ask's number")),
    request_body(content = FurtherUseRecordBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = FurtherUseResource),
        (status = 403, description = "Only the issuing or validating authority records", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request or ask, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The ask is not answered, or was refused: no consent", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No note", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn record(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, ask)): Path<(String, String)>,
    JsonBody(body): JsonBody<FurtherUseRecordBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, ask) = ask_path(&id, &ask)?;
    let recorded = app.app.record_further_use(&caller, id, ask, &body.note).await?;
    let index: Vec<u64> = recorded.uses.last().and_then(|(_, _, i)| *i).into_iter().collect();
    Ok(with_receipt((StatusCode::CREATED, Json(resource(id, &recorded))), &index))
}

/// The answer to an ask, signed with the log's key as a C2SP signed note: for the
/// authority to show whoever receives the data. `comity further-use verify --vkey KEY
/// FILE` checks it with the log's published verifier key.
#[utoipa::path(
    get, path = "/v1/requests/{id}/further-use/{ask}/answer", tag = "after disclosure",
    params(("id" = String, Path, description = "The request id"), ("ask" = u32, Path, description = "The ask's number")),
    responses(
        (status = 200, description = "The signed answer", body = String, content_type = "text/plain"),
        (status = 404, description = "No such request or ask, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "Not answered yet", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn answer(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, ask)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, ask) = ask_path(&id, &ask)?;
    let note = app.app.further_use_answer(&caller, id, ask).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

/// The period of `GET /v1/further-use/counts`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// The period's start (RFC 3339), included.
    pub from: DateTime<Utc>,
    /// The period's end (RFC 3339), excluded.
    pub to: DateTime<Utc>,
}

/// Grants and refusals of further use answered in a period, by kind: figures for the
/// transparency reports.
#[utoipa::path(
    get, path = "/v1/further-use/counts", tag = "after disclosure",
    params(Period),
    responses(
        (status = 200, description = "The counts", body = FurtherUseCountsResource),
        (status = 400, description = "No period, or a time that is not RFC 3339", body = comity_wire::api::ErrorBody),
        (status = 403, description = "Only who may read the aggregates", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The period ends before it starts", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn counts(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    QueryParams(period): QueryParams<Period>,
) -> Result<impl IntoResponse, ApiError> {
    let counts = app.app.further_use_counts(&caller, period.from, period.to).await?;
    let tally =
        |t: comity_app::further_use::Tally| FurtherUseTally { granted: t.granted, refused: t.refused };
    Ok(Json(FurtherUseCountsResource {
        from: period.from,
        to: period.to,
        purpose: tally(counts.purpose),
        transfer: tally(counts.transfer),
    }))
}

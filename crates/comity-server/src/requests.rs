//! Intake, reading and moving requests: the HTTP side of `comity_app`'s intake, reads
//! and moves.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State as AxumState},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use comity_app::{Accepted, Listing, QuestionAsked, RequestView, ScopeAsked, Transition};
use comity_core::IdempotencyKey;
use comity_wire::screening::ScreeningReport;
use comity_wire::{
    RequestDocument,
    api::{
        ClarificationResource, ClockResource, ConflictBody, ConflictDecisionBody, ConflictDecisionResult,
        ConflictResource, DocumentVersion, EventResource, ExtensionBody, ExtensionResource, GroundsBody,
        QuestionResource, RequestList, RequestResource, RequestSummary, TransitionBody, TransitionResult,
    },
    parse_json,
    trust::AuthorityRecordResource,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    error::ApiError,
    extract::{Authenticated, ClientIp, MaybeAuthenticated},
    extract::{JsonBody, QueryParams, RequestIdPath},
    metrics::StateLabels,
    receipt::with_receipt,
};

/// Accepts a request: signed by a key registered for its authority (a system), or from
/// a person of that authority who logged in (the portal).
#[utoipa::path(
    post, path = "/v1/requests", tag = "requests",
    request_body(description = "A compact JWS (`application/jose`) whose payload holds `iss`, `aud` (the provider), `iat`, `exp`, `jti` and the `request` document; or, from a logged-in person of the authority, the request document itself (`application/json`)", content(
        (String = "application/jose"),
        (RequestDocument = "application/json"),
    )),
    responses(
        (status = 201, description = "Accepted and stored; `Location` names the new request. A retry with the same `Idempotency-Key` and document (and, if signed, a fresh signature) answers with the request created first and `Idempotent-Replayed: true`", body = RequestResource),
        (status = 400, description = "The body is not JSON", body = comity_wire::api::ErrorBody),
        (status = 401, description = "Not signed, or the signature is refused: the code says why (`malformed_jws`, `unknown_key`, `bad_signature`, `key_not_of_issuer`, `key_revoked`, `key_not_active`, `expired`, `issued_in_future`, `lifetime_too_long`, `wrong_audience`, `issuer_mismatch`, `replayed`, `unsupported_algorithm`, `missing_signature`); or no session", body = comity_wire::api::ErrorBody),
        (status = 403, description = "The caller may not submit for this authority (a system must sign; a person only for their own authority)", body = comity_wire::api::ErrorBody),
        (status = 413, description = "The body is too large", body = comity_wire::api::ErrorBody),
        (status = 415, description = "The body is neither `application/jose` nor `application/json`", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The document has problems, each listed with its path; or the Idempotency-Key was used for another document", body = comity_wire::api::ErrorBody),
    ),
    params(("Idempotency-Key" = Option<String>, Header, description = "A key of your choosing (a UUID) that makes retrying this submission safe: the same key and document never create a second request")),
)]
pub async fn submit(
    AxumState(app): AxumState<AppState>,
    MaybeAuthenticated(caller): MaybeAuthenticated,
    ClientIp(client): ClientIp,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let headers = request.headers().clone();
    let key = idempotency_key(&headers)?;
    let body = Bytes::from_request(request, &()).await;
    let accepted = match media_type(&headers).as_str() {
        // RFC 7515 §9.2.1.
        "application/jose" => {
            let count = app.refusals(client);
            app.app.submit_signed(&body?, key, &comity_app::Client::new(client, &count)).await?
        }
        "application/json" => {
            let caller = caller.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_signature",
                    "sign the request: send it as a compact JWS (`Content-Type: application/jose`) signed \
                     with a key registered for your authority; people submit through the portal after \
                     logging in",
                )
            })?;
            app.app.submit_document(&caller, &body?, key).await?
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "send a signed request as `Content-Type: application/jose`, or (logged in) the document as \
                     `application/json` (got {})",
                    if other.is_empty() { "none".to_owned() } else { format!("{other:?}") }
                ),
            ));
        }
    };
    if !accepted.replayed {
        app.metrics.intakes.inc();
    }
    let mut resource = resource(&app.app.view_accepted(&accepted).await?)?;
    let Accepted { replayed, log, .. } = accepted;
    resource.log_indexes = log.clone();
    let location = format!("/v1/requests/{}", resource.summary.id);
    let mut response = (StatusCode::CREATED, [(header::LOCATION, location)], Json(resource)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    } else {
        crate::receipt::receipt(&mut response, &log);
    }
    Ok(response)
}

/// The media type of the body, lower-case, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// The optional `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let text = value.to_str().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "the Idempotency-Key header is not ASCII",
        )
    })?;
    // The draft writes the key as a structured-field string ("..."); a bare token is
    // accepted too, since that is what most clients send.
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    IdempotencyKey::parse(text)
        .map(Some)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_idempotency_key", e.to_string()))
}

/// Reads one request.
#[utoipa::path(
    get, path = "/v1/requests/{id}", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = RequestResource),
        (status = 400, description = "Not a request id", body = comity_wire::api::ErrorBody),
        (status = 401, description = "Not signed in", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see (the answer is the same)", body = comity_wire::api::ErrorBody),
        (status = 410, description = "The request's documents were destroyed at the end of their retention (`documents_shredded`): the message says when and why", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn get(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let (view, index) = app.app.read_request(&caller, id).await?;
    Ok(with_receipt(Json(resource(&view)?), &[index]))
}

/// A request with its latest screening report, its reviewers and its authority's record.
fn resource(view: &RequestView) -> Result<RequestResource, ApiError> {
    let stored = &view.request;
    let latest = reports(&view.screenings)?.pop();
    let mut resource = RequestResource::new(stored, latest).map_err(|e| {
        ApiError::internal(&comity_core::StoreError::Corrupt(format!("request {}: {e}", stored.id)))
    })?;
    resource.authority_record = Some(AuthorityRecordResource::new(&stored.authority, &view.record));
    resource.reviewers = view.facts.reviewers.iter().map(ToString::to_string).collect();
    Ok(resource)
}

/// Reads the stored reports of a request's screenings.
pub(crate) fn reports(screenings: &[comity_core::Screening]) -> Result<Vec<ScreeningReport>, ApiError> {
    screenings
        .iter()
        .map(|s| {
            parse_json::<ScreeningReport>(s.report.as_bytes()).map_err(|e| {
                ApiError::internal(&comity_core::StoreError::Corrupt(format!(
                    "screening of request {}: {e}",
                    s.request_id
                )))
            })
        })
        .collect()
}

/// Every screening of a request, oldest first.
#[utoipa::path(
    get, path = "/v1/requests/{id}/screenings", tag = "screening",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [ScreeningReport]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn screenings(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let (screenings, index) = app.app.read_screenings(&caller, id).await?;
    Ok(with_receipt(Json(reports(&screenings)?), &[index]))
}

/// The signed submission a request arrived as: the compact JWS, byte for byte, which the
/// provider can show a court and anyone can check against the authority's key.
#[utoipa::path(
    get, path = "/v1/requests/{id}/signature", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, content_type = "application/jose", body = String),
        (status = 404, description = "No such request, none the caller may see, or it was not signed (submitted through the portal)", body = comity_wire::api::ErrorBody),
        (status = 410, description = "The request's documents were destroyed at the end of their retention (`documents_shredded`): the message says when and why", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn signature(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let (jws, index) = app.app.read_signature(&caller, id).await?;
    Ok(with_receipt(([(header::CONTENT_TYPE, "application/jose")], jws), &[index]))
}

/// Filters and page of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only requests in this state.
    state: Option<String>,
    /// Only requests from this authority.
    authority: Option<String>,
    /// Only requests addressed to this provider.
    provider: Option<String>,
    /// The page, from 1.
    page: Option<u32>,
    /// Requests per page, 1 to 200 (default 50).
    per_page: Option<u32>,
}

/// Lists the requests the caller may see, newest first: an authority's own, those
/// addressed to a provider, those assigned to a reviewer body.
#[utoipa::path(
    get, path = "/v1/requests", tag = "requests", params(ListParams),
    responses(
        (status = 200, body = RequestList),
        (status = 400, description = "A filter or page is not valid", body = comity_wire::api::ErrorBody),
        (status = 403, description = "Auditors and admins list no requests", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Json<RequestList>, ApiError> {
    let listing = Listing {
        state: params.state,
        authority: params.authority,
        provider: params.provider,
        page: params.page,
        per_page: params.per_page,
    };
    let (result, page, per_page) = app.app.list_requests(&caller, listing).await?;
    Ok(Json(RequestList {
        items: result.items.iter().map(RequestSummary::from).collect(),
        page,
        per_page,
        total: result.total,
    }))
}

/// A request's events, oldest first.
#[utoipa::path(
    get, path = "/v1/requests/{id}/events", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [EventResource]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn events(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let (events, index) = app.app.read_events(&caller, id).await?;
    let events: Vec<EventResource> = events.iter().map(EventResource::from).collect();
    Ok(with_receipt(Json(events), &[index]))
}

/// A request's deadlines, running and closed, soonest first: what is due when, and what
/// each one's passing did (issue 13).
#[utoipa::path(
    get, path = "/v1/requests/{id}/clocks", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [ClockResource]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn clocks(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<Json<Vec<ClockResource>>, ApiError> {
    let clocks = app.app.request_clocks(&caller, id).await?;
    Ok(Json(clocks.iter().map(ClockResource::from).collect()))
}

/// Answers a request for clarification with an amended document: signed by a key
/// registered for the authority (`application/jose`, as a submission), or from a person of
/// the authority logged in (`application/json`). It keeps the request's parties,
/// instrument, kind and reference; it is screened again, and every version is kept.
#[utoipa::path(
    post, path = "/v1/requests/{id}/amendments", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(description = "The amended document: a compact JWS whose payload holds the claims of a submission, or the document itself from a logged-in person of the authority", content(
        (String = "application/jose"),
        (RequestDocument = "application/json"),
    )),
    responses(
        (status = 200, description = "Amended and screened again; the request is back under review, or rejected if the amended document is inadmissible", body = TransitionResult),
        (status = 401, description = "Not signed, or the signature is refused (the codes of a submission), or no session", body = comity_wire::api::ErrorBody),
        (status = 403, description = "Only the issuing or validating authority answers", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The request is not awaiting clarification", body = comity_wire::api::ErrorBody),
        (status = 415, description = "The body is neither `application/jose` nor `application/json`", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The document has problems, changes the parties, instrument, kind or reference, or changes nothing", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn amend(
    AxumState(app): AxumState<AppState>,
    MaybeAuthenticated(caller): MaybeAuthenticated,
    ClientIp(client): ClientIp,
    RequestIdPath(id): RequestIdPath,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let headers = request.headers().clone();
    let body = Bytes::from_request(request, &()).await;
    let (after, event) = match media_type(&headers).as_str() {
        "application/jose" => {
            let count = app.refusals(client);
            app.app.amend_signed(id, &body?, &comity_app::Client::new(client, &count)).await?
        }
        "application/json" => {
            let caller = caller.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_signature",
                    "sign the amended document as a compact JWS (`Content-Type: application/jose`) with a key \
                     registered for your authority, or log in to send it as a person",
                )
            })?;
            app.app.amend_document(&caller, id, &body?).await?
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "send the amended document signed as `Content-Type: application/jose`, or (logged in) as \
                     `application/json` (got {})",
                    if other.is_empty() { "none".to_owned() } else { format!("{other:?}") }
                ),
            ));
        }
    };
    Ok(moved(&app, &after, &event))
}

/// Every version of a request's document, oldest first, with what each changed. The read
/// is logged.
#[utoipa::path(
    get, path = "/v1/requests/{id}/documents", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [DocumentVersion]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 410, description = "The request's documents were destroyed at the end of their retention (`documents_shredded`): the message says when and why", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn documents(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let (versions, index) = app.app.read_documents(&caller, id).await?;
    let versions = versions
        .into_iter()
        .map(|(d, changed, patch)| {
            Ok(DocumentVersion {
                event: d.seq,
                document: serde_json::from_str(&d.document).map_err(|e| ApiError::internal(&e))?,
                signed: d.signature.is_some(),
                changed,
                patch,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(with_receipt(Json(versions), &[index]))
}

/// The structured questions asked of the authority (Regulation (EU) 2023/1543 Art 10(5),
/// Annex III), oldest first, each with whether the amended document answered it. The read
/// is logged.
#[utoipa::path(
    get, path = "/v1/requests/{id}/clarifications", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [ClarificationResource]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn clarifications(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<impl IntoResponse, ApiError> {
    let (asked, index) = app.app.read_clarifications(&caller, id).await?;
    let asked: Vec<ClarificationResource> = asked
        .into_iter()
        .map(|c| ClarificationResource {
            event: c.event,
            at: c.at,
            by: c.by.to_string(),
            questions: c
                .questions
                .into_iter()
                .map(|q| QuestionResource {
                    reason: q.question.reason.as_str().to_owned(),
                    pointer: q.question.pointer,
                    question: q.question.question,
                    answered: q.answered,
                })
                .collect(),
            answered_by: c.answered_by,
        })
        .collect();
    Ok(with_receipt(Json(asked), &[index]))
}

/// The enforcing authority raises grounds for refusal within its time (Regulation (EU)
/// 2023/1543 Art 12(1)): production stops, the request is rejected (or withdrawn, if it was
/// approved), and data already sent in an emergency must be deleted.
#[utoipa::path(
    post, path = "/v1/requests/{id}/grounds", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = GroundsBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Raised; the request moved", body = TransitionResult),
        (status = 403, description = "Only the enforcing authority assigned to the request raises grounds", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The enforcing State was not notified, or its time ended", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No grounds of the pack, or no reasoning", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn raise_grounds(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<GroundsBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (after, event) = app.app.raise_grounds(&caller, id, &body.grounds, &body.reasoning).await?;
    Ok(moved(&app, &after, &event))
}

/// The provider objects that executing a production order would conflict with the law of
/// a third country (Regulation (EU) 2023/1543 Art 17(1)-(2)), within 10 days of receiving
/// it. Execution is suspended, and the court of the issuing State is assigned to review the
/// order (Art 17(3)).
#[utoipa::path(
    post, path = "/v1/requests/{id}/conflicting-obligations", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = ConflictBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Kept; production is suspended until it is decided", body = ConflictResource),
        (status = 403, description = "Only the addressed provider objects", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "Not a production order under e-Evidence, already produced, objected once already, or the 10 days have passed", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No third country, law or reasoning, or the country is a Member State", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn object_conflict(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<ConflictBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (entry, court) =
        app.app.object_conflict(&caller, id, &body.third_country, &body.law, &body.reasoning).await?;
    let comity_core::Fact::ConflictObjected(o) = &entry.fact else {
        return Err(comity_app::Error::corrupt("the objection was kept as another fact").into());
    };
    let resource = ConflictResource {
        third_country: o.third_country.to_string(),
        law: o.law.clone(),
        reasoning: o.reasoning.clone(),
        at: entry.at,
        court: court.map(|c| c.to_string()),
    };
    Ok(with_receipt((StatusCode::CREATED, Json(resource)), entry.log_index.as_slice()))
}

/// The decision on a provider's objection for conflicting obligations (Regulation (EU)
/// 2023/1543 Art 17(3)-(8)): `upheld` lifts the order (the request is withdrawn), by the
/// issuing authority or the court of its State; `dismissed` lets it proceed, by that court
/// only.
#[utoipa::path(
    post, path = "/v1/requests/{id}/conflicting-obligations/decision", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = ConflictDecisionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Decided", body = ConflictDecisionResult),
        (status = 403, description = "Not the issuing authority or a court of the issuing State, or the authority dismissing", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "No objection awaits a decision", body = comity_wire::api::ErrorBody),
        (status = 422, description = "An outcome other than upheld or dismissed, or no reasoning", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn decide_conflict(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<ConflictDecisionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let upheld = match body.outcome.as_str() {
        "upheld" => true,
        "dismissed" => false,
        other => {
            return Err(comity_app::Error::invalid(
                "invalid_conflict",
                "outcome",
                format!("{other:?} is not an outcome; use upheld or dismissed"),
            )
            .into());
        }
    };
    let decided = app.app.decide_conflict(&caller, id, upheld, &body.reasoning).await?;
    let mut indexes: Vec<u64> = decided.entry.as_ref().and_then(|e| e.log_index).into_iter().collect();
    if let Some(event) = &decided.event {
        app.metrics.transitions.get_or_create(&StateLabels { state: event.to.to_string() }).inc();
        indexes.extend(event.log_index);
    }
    let result = ConflictDecisionResult {
        outcome: body.outcome,
        request: RequestSummary::from(&decided.request),
        event: decided.event.as_ref().map(EventResource::from),
    };
    Ok(with_receipt(Json(result), &indexes))
}

/// The issuing authority extends a preservation once, before it ends (Regulation (EU)
/// 2023/1543 Art 11(1): by 30 days).
#[utoipa::path(
    post, path = "/v1/requests/{id}/preservation/extension", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = ExtensionBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Extended; the preservation now ends at `until`", body = ExtensionResource),
        (status = 403, description = "Only the issuing or validating authority extends", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "No running preservation, or extended once already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No reason", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn extend_preservation(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<ExtensionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (until, entry) = app.app.extend_preservation(&caller, id, &body.reason).await?;
    Ok(with_receipt((StatusCode::CREATED, Json(ExtensionResource { until })), entry.log_index.as_slice()))
}

/// Moves a request to another state, recording who did it and why.
#[utoipa::path(
    post, path = "/v1/requests/{id}/transitions", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = TransitionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Moved; the event is recorded, with the caller as its actor", body = TransitionResult),
        (status = 403, description = "The caller may see the request but not take this step (an authority does not decide; a reviewer decides only what is assigned to it, never for its own institution)", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The lifecycle does not allow this move now, or the request moved meanwhile", body = comity_wire::api::ErrorBody),
        (status = 410, description = "The request's documents were destroyed at the end of their retention: it moves no more", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The reason is missing or not valid; a decision names no grounds of its pack, or an approval leaves a flagged finding unanswered", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn transition(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
    JsonBody(body): JsonBody<TransitionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let transition = Transition {
        to: body.to.0,
        reason: body.reason,
        expected_version: body.expected_version,
        scope: body.scope.map(|s| ScopeAsked {
            targets: s.targets,
            from: s.from,
            to: s.to,
            categories: s.categories.map(|cs| cs.iter().map(|c| c.0).collect()),
        }),
        grounds: body.grounds,
        answers: body.answers.into_iter().map(|a| (a.rule, a.answer)).collect(),
        questions: body
            .questions
            .into_iter()
            .map(|q| QuestionAsked { reason: q.reason, pointer: q.pointer, question: q.question })
            .collect(),
    };
    let (after, event) = app.app.transition(&caller, id, &transition).await?;
    Ok(moved(&app, &after, &event))
}

/// The answer to any act that moved a request (a transition, the enforcing State's
/// grounds, an amendment): the request as it is now and the event, the move counted, its
/// log entry named.
fn moved(
    app: &AppState,
    after: &comity_core::StoredRequest,
    event: &comity_core::Event,
) -> impl IntoResponse + use<> {
    app.metrics.transitions.get_or_create(&StateLabels { state: event.to.to_string() }).inc();
    with_receipt(
        Json(TransitionResult { request: RequestSummary::from(after), event: EventResource::from(event) }),
        event.log_index.as_slice(),
    )
}

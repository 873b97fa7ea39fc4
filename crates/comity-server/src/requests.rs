//! Intake, reading and moving requests.

use axum::{
    Json,
    body::Bytes,
    extract::{
        Path, Query, State as AxumState,
        rejection::{BytesRejection, PathRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use chrono::{SubsecRound, Utc};
use comity_core::{
    ActorId, Event, IdempotencyKey, NewRequest, Party, PartyId, ReadOf, Request, RequestId, RequestQuery,
    State, Store, StoreError, StoredRequest, lifecycle, store::Move,
};
use comity_policy::PackSet;
use comity_wire::screening::ScreeningReport;
use comity_wire::{
    RequestDocument,
    api::{EventResource, RequestList, RequestResource, RequestSummary, TransitionBody, TransitionResult},
    parse_json, parse_request,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{AppState, error::ApiError, metrics::StateLabels};

/// Accepts a request document.
#[utoipa::path(
    post, path = "/v1/requests", tag = "requests",
    request_body(content = RequestDocument, content_type = "application/json"),
    responses(
        (status = 201, description = "Accepted and stored; `Location` names the new request. A retry with the same `Idempotency-Key` and document answers with the request created first and `Idempotent-Replayed: true`", body = RequestResource),
        (status = 400, description = "The body is not JSON", body = comity_wire::api::ErrorBody),
        (status = 413, description = "The body is too large", body = comity_wire::api::ErrorBody),
        (status = 415, description = "The body is not `application/json`", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The document has problems, each listed with its path; or the Idempotency-Key was used for another document", body = comity_wire::api::ErrorBody),
    ),
    params(("Idempotency-Key" = Option<String>, Header, description = "A key of your choosing (a UUID) that makes retrying this submission safe: the same key and document never create a second request")),
)]
pub async fn submit(
    AxumState(app): AxumState<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    require_json(&headers)?;
    let key = idempotency_key(&headers)?;
    let Accepted { request: stored, replayed, log } =
        accept(app.store.as_ref(), &app.packs, &body?, key).await?;
    if !replayed {
        app.metrics.intakes.inc();
    }
    let mut resource = resource(app.store.as_ref(), &stored).await?;
    resource.log_indexes = log.clone();
    let location = format!("/v1/requests/{}", stored.id);
    let mut response = (StatusCode::CREATED, [(header::LOCATION, location)], Json(resource)).into_response();
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    } else {
        crate::log::receipt(&mut response, &log);
    }
    Ok(response)
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

/// What intake did with a submission.
#[derive(Debug)]
pub struct Accepted {
    pub request: StoredRequest,
    /// True when the submission repeated an earlier one under the same idempotency key,
    /// and `request` is the one created then.
    pub replayed: bool,
    /// The audit-log entries the intake appended; empty for a replay, which appends none.
    pub log: Vec<u64>,
}

/// Intake: parses a document, checks its parties and stores it as received. The API,
/// the demo seeder and the command line all accept requests through here.
///
/// With an idempotency key, a submission that repeats an earlier one of the same
/// authority returns the request created then instead of creating another; the same key
/// with a different document is refused, since it is a client error to reuse a key.
pub async fn accept(
    store: &dyn Store,
    packs: &PackSet,
    body: &[u8],
    key: Option<IdempotencyKey>,
) -> Result<Accepted, ApiError> {
    let (document, request) = parse_request(body)?;
    check_parties(store, &request).await?;
    let document_json = serde_json::to_string(&document).map_err(|e| ApiError::internal(&e))?;
    if let Some(key) = &key
        && let Some(earlier) = store.request_by_idempotency_key(&request.issuing.authority, key).await?
    {
        return replay(earlier, &document_json);
    }

    // Microseconds are what both databases keep; truncating here keeps the answer equal
    // to what a later read returns.
    let received_at = Utc::now().trunc_subsecs(6);
    let id = RequestId::new_at(received_at.timestamp_millis().max(0) as u64);
    let new = NewRequest {
        id,
        received_at,
        // Until requests are signed (issue 5), the issuing authority is the submitter.
        actor: ActorId::parse(request.issuing.authority.as_str()).map_err(|e| ApiError::internal(&e))?,
        receipt: "received".to_owned(),
        authority: request.issuing.authority.clone(),
        provider: request.addressee.provider.clone(),
        instrument: request.instrument,
        kind: request.kind,
        emergency: request.emergency,
        reference: request.issuing.reference.clone(),
        document: document_json,
        idempotency_key: key,
        signature: None,
        jti: None,
        targets: request.targets.iter().map(|t| t.selector.clone()).collect(),
        screening: None,
    };
    // Screening is pure and its history read is bounded, so it runs before the write and
    // its report and moves commit with the request: one durable write per intake. If it
    // fails, the request is still stored, as `received`, and `screening::resume`
    // screens it on the next start.
    let screened = crate::screening::screen_request(store, packs, &request, received_at, None)
        .await
        .and_then(|report| {
            crate::screening::plan(id, request.kind, request.emergency, State::Received, &report, received_at)
        });
    let new = match screened {
        Ok(intake) => NewRequest { screening: Some(intake), ..new },
        Err(e) => {
            tracing::error!(request = %id, error = ?e, "screening on intake failed; the request is kept unscreened");
            new
        }
    };
    match store.insert_request(&new).await {
        Ok(intake) => Ok(Accepted { request: intake.request, replayed: false, log: intake.log }),
        // Another submission with the same key won a race with this one.
        Err(StoreError::IdempotencyKeyTaken) => {
            let key = new
                .idempotency_key
                .as_ref()
                .ok_or_else(|| ApiError::internal(&StoreError::IdempotencyKeyTaken))?;
            let earlier = store
                .request_by_idempotency_key(&new.authority, key)
                .await?
                .ok_or_else(|| ApiError::internal(&StoreError::IdempotencyKeyTaken))?;
            replay(earlier, &new.document)
        }
        Err(e) => Err(e.into()),
    }
}

fn replay(earlier: StoredRequest, document_json: &str) -> Result<Accepted, ApiError> {
    if earlier.document == document_json {
        Ok(Accepted { request: earlier, replayed: true, log: Vec::new() })
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            format!(
                "this Idempotency-Key was already used for request {} with a different document; \
                 use a new key for a new request",
                earlier.id
            ),
        ))
    }
}

pub(crate) fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send the document with `Content-Type: application/json` (got {})",
                if content_type.is_empty() { "none".to_owned() } else { format!("{content_type:?}") }
            ),
        ))
    }
}

/// The issuing and validating authorities and the provider must be registered, and the
/// document must describe the issuer as registered: a request cannot promote a police
/// force to a court by saying so.
async fn check_parties(store: &dyn Store, request: &Request) -> Result<(), ApiError> {
    let issuing = &request.issuing;
    check_authority(store, "issuing", &issuing.authority, issuing.authority_type, Some(issuing.country))
        .await?;
    if let Some(v) = &issuing.validated_by {
        check_authority(store, "issuing.validated_by", &v.authority, v.authority_type, None).await?;
    }
    match store.party(&request.addressee.provider).await? {
        Some(Party::Provider(_)) => Ok(()),
        _ => Err(ApiError::invalid_field(
            "unknown_provider",
            "addressee.provider",
            format!(
                "no provider {:?} is registered; register it first (`comity provider add` or POST /v1/admin/providers)",
                request.addressee.provider.as_str()
            ),
        )),
    }
}

async fn check_authority(
    store: &dyn Store,
    at: &str,
    id: &PartyId,
    claimed_type: comity_core::AuthorityType,
    claimed_country: Option<comity_core::CountryCode>,
) -> Result<(), ApiError> {
    let Some(Party::Authority(registered)) = store.party(id).await? else {
        return Err(ApiError::invalid_field(
            "unknown_authority",
            &format!("{at}.authority"),
            format!(
                "no authority {:?} is registered; register it first (`comity authority add` or POST /v1/admin/authorities)",
                id.as_str()
            ),
        ));
    };
    if registered.authority_type != claimed_type {
        return Err(ApiError::invalid_field(
            "authority_mismatch",
            &format!("{at}.authority_type"),
            format!("{} is registered as {}, not {claimed_type}", id, registered.authority_type),
        ));
    }
    if let Some(country) = claimed_country
        && registered.country != country
    {
        return Err(ApiError::invalid_field(
            "authority_mismatch",
            &format!("{at}.country"),
            format!("{} is registered in {}, not {country}", id, registered.country),
        ));
    }
    Ok(())
}

fn parse_id(id: Result<Path<String>, PathRejection>) -> Result<RequestId, ApiError> {
    let Path(id) = id?;
    RequestId::parse(&id).map_err(|e| ApiError::bad_request(e.to_string()))
}

async fn load(store: &dyn Store, id: RequestId) -> Result<StoredRequest, ApiError> {
    store.request(id).await?.ok_or_else(|| ApiError::not_found(format!("no request with id {id}")))
}

/// Reads one request.
#[utoipa::path(
    get, path = "/v1/requests/{id}", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = RequestResource),
        (status = 400, description = "Not a request id", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn get(
    AxumState(app): AxumState<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let stored = load(app.store.as_ref(), parse_id(id)?).await?;
    let resource = resource(app.store.as_ref(), &stored).await?;
    // Logged before it is answered: a read that cannot be logged is not answered.
    let index = crate::log::read(app.store.as_ref(), stored.id, ReadOf::Document).await?;
    let mut response = Json(resource).into_response();
    crate::log::receipt(&mut response, &[index]);
    Ok(response)
}

/// A request with its latest screening report.
async fn resource(store: &dyn Store, stored: &StoredRequest) -> Result<RequestResource, ApiError> {
    let screenings = store.screenings(stored.id).await?;
    let latest = crate::screening::reports(&screenings)?.pop();
    RequestResource::new(stored, latest)
        .map_err(|e| ApiError::internal(&StoreError::Corrupt(format!("request {}: {e}", stored.id))))
}

/// Every screening of a request, oldest first.
#[utoipa::path(
    get, path = "/v1/requests/{id}/screenings", tag = "screening",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [ScreeningReport]),
        (status = 404, description = "No such request", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn screenings(
    AxumState(app): AxumState<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(id)?;
    load(app.store.as_ref(), id).await?;
    let screenings = app.store.screenings(id).await?;
    let reports = crate::screening::reports(&screenings)?;
    let index = crate::log::read(app.store.as_ref(), id, ReadOf::Screenings).await?;
    let mut response = Json(reports).into_response();
    crate::log::receipt(&mut response, &[index]);
    Ok(response)
}

/// Filters and page of a listing.
#[derive(Debug, Deserialize, IntoParams)]
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

/// Lists requests, newest first.
#[utoipa::path(
    get, path = "/v1/requests", tag = "requests", params(ListParams),
    responses(
        (status = 200, body = RequestList),
        (status = 400, description = "A filter or page is not valid", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<RequestList>, ApiError> {
    let Query(params) = params?;
    let state = params
        .state
        .as_deref()
        .map(|s| {
            State::parse(s).ok_or_else(|| {
                let known: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::bad_request(format!("state {s:?} is not a state; use one of: {}", known.join(", ")))
            })
        })
        .transpose()?;
    let party = |v: Option<String>, name: &str| {
        v.map(|v| PartyId::parse(&v).map_err(|e| ApiError::bad_request(format!("{name}: {e}")))).transpose()
    };
    let authority = party(params.authority, "authority")?;
    let provider = party(params.provider, "provider")?;
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(50);
    if page == 0 {
        return Err(ApiError::bad_request("page counts from 1"));
    }
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::bad_request("per_page must be between 1 and 200"));
    }
    let result = app
        .store
        .list_requests(&RequestQuery { state, authority, provider, reviewer: None, page, per_page })
        .await?;
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
        (status = 404, description = "No such request", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn events(
    AxumState(app): AxumState<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(id)?;
    load(app.store.as_ref(), id).await?;
    let events: Vec<EventResource> = app.store.events(id).await?.iter().map(EventResource::from).collect();
    let index = crate::log::read(app.store.as_ref(), id, ReadOf::Events).await?;
    let mut response = Json(events).into_response();
    crate::log::receipt(&mut response, &[index]);
    Ok(response)
}

/// Moves a request to another state, recording who did it and why.
#[utoipa::path(
    post, path = "/v1/requests/{id}/transitions", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = TransitionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Moved; the event is recorded", body = TransitionResult),
        (status = 404, description = "No such request", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The lifecycle does not allow this move now, or the request moved meanwhile", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The actor or reason is missing or not valid", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn transition(
    AxumState(app): AxumState<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(id)?;
    require_json(&headers)?;
    let body: TransitionBody = parse_json(&body?)?;
    let (after, event) = move_request(app.store.as_ref(), id, &body).await?;
    app.metrics.transitions.get_or_create(&StateLabels { state: event.to.to_string() }).inc();
    let mut response =
        Json(TransitionResult { request: RequestSummary::from(&after), event: EventResource::from(&event) })
            .into_response();
    crate::log::receipt(&mut response, event.log_index.as_slice());
    Ok(response)
}

/// Checks and applies a move; the API and the demo seeder both move requests through here.
pub async fn move_request(
    store: &dyn Store,
    id: RequestId,
    body: &TransitionBody,
) -> Result<(StoredRequest, Event), ApiError> {
    let actor = ActorId::parse(body.actor.trim())
        .map_err(|e| ApiError::invalid_field("invalid_transition", "actor", e.to_string()))?;
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid_field(
            "invalid_transition",
            "reason",
            "give the reason for this step; every step is reasoned and the reason is kept",
        ));
    }
    if reason.chars().count() > 10_000 {
        return Err(ApiError::invalid_field(
            "invalid_transition",
            "reason",
            "is longer than 10000 characters",
        ));
    }
    let current = load(store, id).await?;
    if let Some(expected) = body.expected_version
        && expected != current.version
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "the request is at version {} ({}), not {expected}; reload it and decide again",
                current.version, current.state
            ),
        ));
    }
    let to = body.to.0;
    lifecycle::check(current.kind, current.state, to)?;
    let event = store
        .apply_move(&Move {
            request_id: id,
            expected_version: current.version,
            from: current.state,
            to,
            actor,
            at: Utc::now().trunc_subsecs(6),
            reason: reason.to_owned(),
        })
        .await?;
    Ok((current.after(&event), event))
}

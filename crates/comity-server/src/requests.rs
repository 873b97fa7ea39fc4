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
use comity_access::{Action, ListScope, On, RequestFacts, action_for_move, list_scope};
use comity_core::{
    ActorId, Credential, Event, IdempotencyKey, NewRequest, Party, PartyId, ReadOf, Request, RequestId,
    RequestQuery, State, Store, StoreError, StoredRequest, TimeWindow, lifecycle, production::Scope,
    store::Move,
};
use comity_policy::PackSet;
use comity_wire::screening::ScreeningReport;
use comity_wire::{
    RequestDocument,
    api::{EventResource, RequestList, RequestResource, RequestSummary, TransitionBody, TransitionResult},
    parse_json, parse_request,
    trust::{AuthorityRecordResource, journal},
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::{Authenticated, Caller, ClientIp, MaybeAuthenticated},
    error::ApiError,
    metrics::StateLabels,
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
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let key = idempotency_key(&headers)?;
    let (caller, body, submitter) = match media_type(&headers).as_str() {
        // RFC 7515 §9.2.1.
        "application/jose" => {
            let signed = crate::signed::verify(&app, &body?, client).await?;
            let submitter = Submitter {
                actor: signed.caller.actor(),
                authority: signed.caller.org().clone(),
                receipt: format!("received signed by key {} of {}", signed.kid, signed.claims.iss),
                signature: Some(signed.jws),
                jti: Some(signed.claims.jti),
            };
            (signed.caller, Bytes::from(signed.document), submitter)
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
            let submitter = Submitter {
                actor: caller.actor(),
                authority: caller.org().clone(),
                receipt: format!("received through the portal from {}", caller.actor()),
                signature: None,
                jti: None,
            };
            (caller, body?, submitter)
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
    let permit = Permit { app: &app, caller: &caller };
    let Accepted { request: stored, replayed, log } =
        accept(app.store.as_ref(), &app.packs, &body, key, &submitter, Some(&permit)).await?;
    if !replayed {
        app.metrics.intakes.inc();
    }
    let facts = crate::access::facts(&app, &stored).await?;
    let mut resource = resource(&app, &stored, &facts).await?;
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

/// The media type of the body, lower-case, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Who submits: the actor recorded on the receipt, the authority it may submit for, how
/// it arrived, and the signature kept as evidence.
#[derive(Debug, Clone)]
pub struct Submitter {
    pub actor: ActorId,
    pub authority: PartyId,
    pub receipt: String,
    pub signature: Option<String>,
    pub jti: Option<String>,
}

/// The policy check intake makes once the document names its parties.
#[derive(Debug)]
pub struct Permit<'a> {
    app: &'a AppState,
    caller: &'a Caller,
}

impl Permit<'_> {
    async fn check(&self, request: &Request) -> Result<(), ApiError> {
        let facts = crate::access::facts_of(
            self.app,
            &request.issuing.authority,
            request.issuing.validated_by.as_ref().map(|v| &v.authority),
            &request.addressee.provider,
            Vec::new(),
            State::Received,
            request.emergency,
        )
        .await?;
        if crate::access::allowed(self.app, self.caller, &Action::Submit, &On::Request(&facts)) {
            return Ok(());
        }
        Err(if matches!(self.caller.principal.credential, Credential::Token(_)) {
            ApiError::forbidden(
                "a system must sign what it submits: send the request as a compact JWS \
                 (`Content-Type: application/jose`) signed with a key registered for your authority; \
                 an API token alone cannot submit",
            )
        } else {
            ApiError::forbidden(format!(
                "{} of {} may not submit requests for {}",
                crate::error::a(self.caller.principal.role.as_str()),
                self.caller.org(),
                request.issuing.authority
            ))
        })
    }
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
    submitter: &Submitter,
    permit: Option<&Permit<'_>>,
) -> Result<Accepted, ApiError> {
    let (document, request) = parse_request(body)?;
    check_parties(store, &request).await?;
    // Nobody submits for another authority: the document's issuer is who signed or who
    // is logged in, whatever it says.
    if request.issuing.authority != submitter.authority {
        return Err(ApiError::forbidden(format!(
            "you submit for {}, but the document names {} as its issuing authority",
            submitter.authority, request.issuing.authority
        )));
    }
    if let Some(permit) = permit {
        permit.check(&request).await?;
    }
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
        actor: submitter.actor.clone(),
        receipt: submitter.receipt.clone(),
        authority: request.issuing.authority.clone(),
        provider: request.addressee.provider.clone(),
        instrument: request.instrument,
        kind: request.kind,
        emergency: request.emergency,
        reference: request.issuing.reference.clone(),
        document: document_json,
        idempotency_key: key,
        signature: submitter.signature.clone(),
        jti: submitter.jti.clone(),
        validator: request.issuing.validated_by.as_ref().map(|v| v.authority.clone()),
        targets: request.targets.iter().map(|t| t.selector.clone()).collect(),
        screening: None,
    };
    // Screening is pure and its history read is bounded, so it runs before the write and
    // its report and moves commit with the request: one durable write per intake. If it
    // fails, the request is still stored, as `received`, and `screening::resume`
    // screens it on the next start.
    let screened = crate::screening::screen_request(
        store,
        packs,
        &request,
        received_at,
        None,
        crate::screening::History::Authority,
    )
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
        // A replay that raced the first use of its jti.
        Err(StoreError::JtiTaken) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "replayed",
            "a request signed with this jti was already received; sign each submission with a new jti",
        )),
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

/// A JSON body of type `T`: sent as `application/json` (415 otherwise), read whole, and
/// parsed strictly (every problem with its path).
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    require_json(headers)?;
    Ok(parse_json(&body?)?)
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

pub(crate) fn parse_id(id: Result<Path<String>, PathRejection>) -> Result<RequestId, ApiError> {
    let Path(id) = id?;
    request_id(&id)
}

/// A request id from a path, or 400 saying what is wrong with it.
pub(crate) fn request_id(text: &str) -> Result<RequestId, ApiError> {
    RequestId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
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
    )
)]
pub async fn get(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (stored, facts) = crate::access::visible(&app, &caller, parse_id(id)?).await?;
    let resource = resource(&app, &stored, &facts).await?;
    // Logged before it is answered: a read that cannot be logged is not answered.
    let index = crate::log::read(app.store.as_ref(), &caller, stored.id, ReadOf::Document).await?;
    let mut response = Json(resource).into_response();
    crate::log::receipt(&mut response, &[index]);
    Ok(response)
}

/// A request with its latest screening report, its reviewers and its authority's record.
async fn resource(
    app: &AppState,
    stored: &StoredRequest,
    facts: &RequestFacts,
) -> Result<RequestResource, ApiError> {
    let screenings = app.store.screenings(stored.id).await?;
    let latest = crate::screening::reports(&screenings)?.pop();
    let mut resource = RequestResource::new(stored, latest)
        .map_err(|e| ApiError::internal(&StoreError::Corrupt(format!("request {}: {e}", stored.id))))?;
    let record = app.store.authority_record(&stored.authority).await?;
    resource.authority_record = Some(AuthorityRecordResource::new(&stored.authority, &record));
    resource.reviewers = facts.reviewers.iter().map(PartyId::to_string).collect();
    Ok(resource)
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
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (stored, _) = crate::access::visible(&app, &caller, parse_id(id)?).await?;
    let screenings = app.store.screenings(stored.id).await?;
    let reports = crate::screening::reports(&screenings)?;
    let index = crate::log::read(app.store.as_ref(), &caller, stored.id, ReadOf::Screenings).await?;
    let mut response = Json(reports).into_response();
    crate::log::receipt(&mut response, &[index]);
    Ok(response)
}

/// The signed submission a request arrived as: the compact JWS, byte for byte, which the
/// provider can show a court and anyone can check against the authority's key.
#[utoipa::path(
    get, path = "/v1/requests/{id}/signature", tag = "requests",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, content_type = "application/jose", body = String),
        (status = 404, description = "No such request, none the caller may see, or it was not signed (submitted through the portal)", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn signature(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (stored, _) = crate::access::visible(&app, &caller, parse_id(id)?).await?;
    let jws = stored.signature.ok_or_else(|| {
        ApiError::not_found(format!("request {} was submitted through the portal, not signed", stored.id))
    })?;
    let index = crate::log::read(app.store.as_ref(), &caller, stored.id, ReadOf::Document).await?;
    let mut response = ([(header::CONTENT_TYPE, "application/jose")], jws).into_response();
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
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<RequestList>, ApiError> {
    let Query(params) = params?;
    crate::access::require(&app, &caller, &Action::ListRequests, &On::Requests)?;
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
    let mut query = RequestQuery { state, authority, issuer: None, provider, reviewer: None, page, per_page };
    // The scope the policy gives this caller, as a filter on top of the caller's own.
    match list_scope(&caller.who()) {
        ListScope::Authority(a) => query.issuer = Some(a),
        ListScope::Provider(p) if query.provider.as_ref().is_some_and(|q| *q != p) => {
            return Ok(Json(RequestList { items: Vec::new(), page, per_page, total: 0 }));
        }
        ListScope::Provider(p) => query.provider = Some(p),
        ListScope::Reviewer(r) => query.reviewer = Some(r),
        ListScope::Nothing => return Err(ApiError::forbidden("this role lists no requests")),
    }
    let result = app.store.list_requests(&query).await?;
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
    id: Result<Path<String>, PathRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let (stored, _) = crate::access::visible(&app, &caller, parse_id(id)?).await?;
    let events: Vec<EventResource> =
        app.store.events(stored.id).await?.iter().map(EventResource::from).collect();
    let index = crate::log::read(app.store.as_ref(), &caller, stored.id, ReadOf::Events).await?;
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
        (status = 200, description = "Moved; the event is recorded, with the caller as its actor", body = TransitionResult),
        (status = 403, description = "The caller may see the request but not take this step (an authority does not decide; a reviewer decides only what is assigned to it, never for its own institution)", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The lifecycle does not allow this move now, or the request moved meanwhile", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The reason is missing or not valid", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn transition(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_id(id)?;
    let body: TransitionBody = crate::json_body(&headers, body)?;
    let (current, facts) = crate::access::visible(&app, &caller, id).await?;
    let to = body.to.0;
    lifecycle::check(current.kind, current.state, to)?;
    let action =
        action_for_move(current.state, to).ok_or_else(|| ApiError::forbidden("nobody takes this step"))?;
    if action == Action::ConfirmEmergency {
        return Err(ApiError::forbidden(
            "an emergency request moves on only when a second registered contact of its authority \
             confirms it: issue a one-time link (POST /v1/requests/{id}/verification/links) or have \
             the contact send a signed confirmation",
        ));
    }
    crate::access::require_on_request(&app, &caller, &action, &facts)?;
    // Producing and delivering are the production's own steps, so that `producing` always
    // has a production behind it and `delivered` an acknowledged package.
    if to == State::Producing {
        return Err(ApiError::forbidden(
            "a request moves to producing when the provider produces it: POST /v1/requests/{id}/productions \
             with the export (or `comity produce`)",
        ));
    }
    if action == Action::ReceiveProduction {
        return Err(ApiError::forbidden(
            "a request is delivered when the authority acknowledges the sealed package: \
             POST /v1/requests/{id}/productions/{production}/acknowledgement",
        ));
    }
    let (after, event) = move_request(app.store.as_ref(), &current, &body, caller.actor()).await?;
    app.metrics.transitions.get_or_create(&StateLabels { state: event.to.to_string() }).inc();
    let mut response =
        Json(TransitionResult { request: RequestSummary::from(&after), event: EventResource::from(&event) })
            .into_response();
    crate::log::receipt(&mut response, event.log_index.as_slice());
    Ok(response)
}

/// What an approval lets leave, as the journal keeps it with the decision's event: the
/// request's scope, narrowed by the body's. `None` for any other move; a scope given with
/// another move is refused, and a partial approval must say what it keeps.
fn decision_scope(
    current: &StoredRequest,
    body: &TransitionBody,
    actor: &ActorId,
) -> Result<Option<comity_core::JournalEntry>, ApiError> {
    let to = body.to.0;
    let invalid = |message: String| ApiError::invalid_field("invalid_scope", "scope", message);
    if !matches!(to, State::Approved | State::PartiallyApproved) {
        return match body.scope {
            Some(_) => Err(invalid(format!("only an approval has a scope, not a move to {to}"))),
            None => Ok(None),
        };
    }
    let (_, request) = parse_request(current.document.as_bytes()).map_err(|e| {
        ApiError::internal(&StoreError::Corrupt(format!(
            "request {}: its document no longer parses: {e}",
            current.id
        )))
    })?;
    let asked = Scope::of_request(&request);
    let scope = match &body.scope {
        None if to == State::PartiallyApproved => {
            return Err(invalid(
                "a partial approval says what it keeps: give the targets, window or categories it approves"
                    .into(),
            ));
        }
        None => asked.clone(),
        Some(s) => {
            let window = match (s.from, s.to) {
                (None, None) => None,
                (from, until) => Some(
                    TimeWindow::new(
                        from.unwrap_or(asked.window().from()),
                        until.unwrap_or(asked.window().to()),
                    )
                    .map_err(|e| invalid(e.to_string()))?,
                ),
            };
            let categories: Option<Vec<_>> = s.categories.as_ref().map(|cs| cs.iter().map(|c| c.0).collect());
            asked
                .narrow(s.targets.as_deref(), window, categories.as_deref())
                .map_err(|e| invalid(e.to_string()))?
        }
    };
    match (to, scope.is_all_of(&asked)) {
        (State::Approved, false) => {
            return Err(invalid(
                "this scope keeps less than the request asks: move to partially_approved".into(),
            ));
        }
        (State::PartiallyApproved, true) => {
            return Err(invalid("this scope keeps all the request asks: move to approved".into()));
        }
        _ => {}
    }
    let fact = journal::DecisionScope {
        request: current.id.to_string(),
        decision: current.version + 1,
        targets: scope
            .targets()
            .iter()
            .map(|t| journal::ScopedTarget { kind: t.kind().to_string(), value: t.value().to_owned() })
            .collect(),
        from: scope.window().from(),
        to: scope.window().to(),
        categories: scope.categories().iter().map(ToString::to_string).collect(),
    };
    Ok(Some(comity_core::JournalEntry {
        seq: 0,
        at: Utc::now().trunc_subsecs(6),
        kind: journal::DECISION_SCOPE.to_owned(),
        actor: actor.clone(),
        party: Some(current.provider.clone()),
        subject: format!("decision-{}", current.version + 1),
        request_id: Some(current.id),
        content: journal::content(&fact),
        log_index: None,
    }))
}

/// Checks and applies a move by `actor` to a request as it was read; the API, the
/// verification of emergencies and the demo seeder all move requests through here.
pub async fn move_request(
    store: &dyn Store,
    current: &StoredRequest,
    body: &TransitionBody,
    actor: ActorId,
) -> Result<(StoredRequest, Event), ApiError> {
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
    if let Some(expected) = body.expected_version
        && expected != current.version
    {
        return Err(ApiError::conflict(format!(
            "the request is at version {} ({}), not {expected}; reload it and decide again",
            current.version, current.state
        )));
    }
    let to = body.to.0;
    lifecycle::check(current.kind, current.state, to)?;
    let facts = match decision_scope(current, body, &actor)? {
        Some(fact) => vec![fact],
        None => Vec::new(),
    };
    let event = store
        .apply_move(&Move {
            request_id: current.id,
            expected_version: current.version,
            from: current.state,
            to,
            actor,
            at: Utc::now().trunc_subsecs(6),
            reason: reason.to_owned(),
            facts,
        })
        .await?;
    Ok((current.after(&event), event))
}

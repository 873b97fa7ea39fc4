//! Emergency requests are never acted on until verified (issue 5, item 6).
//!
//! In 2021–2022 providers answered forged "emergency" requests sent from hijacked police
//! mailboxes. So an emergency request waits in `pending_verification` until a *second*
//! registered contact of its authority confirms it through a channel other than the one
//! it came by:
//!
//! - **a one-time link**: the provider's legal team asks comity for a link for one of the
//!   authority's registered contacts and sends it through that contact's registered
//!   e-mail or phone (never a channel named in the request). The contact opens it, sees
//!   which request it is (never its targets), and confirms or denies. A link works once,
//!   expires, and is stored only as a hash;
//! - **a signed confirmation**: a contact with a registered key sends a compact JWS whose
//!   claims name the request and the decision.
//!
//! A confirmation moves the request to `under_review`; a denial rejects it. Either is an
//! event with the contact as its actor, in the audit log. The contact must be another
//! than whoever submitted: a different key, a different person.

use std::net::IpAddr;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State as AxumState, rejection::BytesRejection, rejection::PathRejection},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use chrono::{Duration, SubsecRound, Utc};
use comity_access::Action;
use comity_auth::{
    jws::{JwsRefusal, PublicKey, check_claims, parse_compact},
    opaque::OpaqueToken,
};
use comity_core::{ActorId, Contact, JournalEntry, LinkRecord, State, StoredRequest, lifecycle};
use comity_wire::{
    api::{RequestSummary, TransitionBody},
    term::Term,
    trust::{LinkBody, LinkResource, VerificationView, VerifyBody, journal},
};

use crate::{
    AppState,
    auth::{Authenticated, ClientIp},
    error::ApiError,
};

/// How long a link stays good: the 8 hours of an emergency order (Regulation (EU)
/// 2023/1543 Art 10(4)), and a little more for the contact to answer.
const LINK_HOURS: i64 = 12;

/// Issues a one-time link for a registered contact of the request's authority.
#[utoipa::path(
    post, path = "/v1/requests/{id}/verification/links", tag = "verification",
    params(("id" = String, Path, description = "The request id")),
    request_body(content = LinkBody, content_type = "application/json"),
    responses(
        (status = 201, description = "The link, shown once: send it through the contact's registered channel", body = LinkResource),
        (status = 403, description = "Only the provider's legal team issues links, and only for an emergency pending verification", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The authority has no such contact", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn issue_link(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let id = crate::requests::parse_id(id)?;
    let body: LinkBody = crate::json_body(&headers, body)?;
    let (stored, _) = crate::access::actionable(&app, &caller, id, &Action::IssueVerificationLink).await?;
    let contact = contact(&app, &stored, &body.contact).await?;
    let token = OpaqueToken::generate();
    let now = Utc::now().trunc_subsecs(6);
    let link = LinkRecord {
        secret_hash: token.hash(),
        request_id: id,
        contact: contact.id.clone(),
        created_at: now,
        expires_at: now + Duration::hours(LINK_HOURS),
        used_at: None,
    };
    let fact = journal::LinkIssued {
        request: id.to_string(),
        authority: stored.authority.to_string(),
        contact: contact.id.to_string(),
        expires_at: link.expires_at,
    };
    let written = app
        .store
        .add_link(
            &link,
            &JournalEntry {
                seq: 0,
                at: now,
                kind: journal::LINK_ISSUED.to_owned(),
                actor: caller.actor(),
                party: Some(stored.authority.clone()),
                subject: contact.id.to_string(),
                request_id: Some(id),
                content: journal::content(&fact),
                log_index: None,
            },
        )
        .await?;
    let resource = LinkResource {
        url: format!("/v1/verify/{}", token.text()),
        contact: contact.id.to_string(),
        email: contact.email,
        phone: contact.phone,
        expires_at: link.expires_at,
    };
    let mut response = (StatusCode::CREATED, Json(resource)).into_response();
    crate::log::receipt(&mut response, written.log_index.as_slice());
    Ok(response)
}

/// A registered contact of the request's authority, who is not who submitted it.
async fn contact(app: &AppState, stored: &StoredRequest, id: &str) -> Result<Contact, ApiError> {
    let contacts = crate::keys::contacts(app.store.as_ref(), &stored.authority).await?;
    let contact = contacts.into_iter().find(|c| c.id.as_str() == id).ok_or_else(|| {
        ApiError::invalid_field(
            "unknown_contact",
            "contact",
            format!(
                "{} has no registered contact {id:?}; see GET /v1/admin/authorities/{}/contacts",
                stored.authority, stored.authority
            ),
        )
    })?;
    if submitted_by(app, stored).await?.as_deref() == Some(contact_actor(&contact).as_str()) {
        return Err(ApiError::invalid_field(
            "same_person",
            "contact",
            "the contact who confirms must be another person than the one who submitted",
        ));
    }
    Ok(contact)
}

/// The actor recorded for a contact's confirmation.
fn contact_actor(c: &Contact) -> String {
    format!("{}@{}", c.id, c.authority)
}

/// Who submitted the request (the receipt's actor).
async fn submitted_by(app: &AppState, stored: &StoredRequest) -> Result<Option<String>, ApiError> {
    let events = app.store.events(stored.id).await?;
    Ok(events.first().map(|e| e.actor.to_string()))
}

fn invalid_link() -> ApiError {
    ApiError::not_found(
        "this link is not valid: it was used already, it has expired, or it never existed; ask the provider for a new one",
    )
}

/// What a link is for: enough to recognise the request, none of its targets.
#[utoipa::path(
    get, path = "/v1/verify/{token}", tag = "verification",
    params(("token" = String, Path, description = "The link's secret")),
    responses((status = 200, body = VerificationView), (status = 404, description = "Used, expired or unknown", body = comity_wire::api::ErrorBody))
)]
pub async fn view_link(
    AxumState(app): AxumState<AppState>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
) -> Result<Json<VerificationView>, ApiError> {
    let link = live_link(&app, &token, client).await?;
    let stored = app.store.request(link.request_id).await?.ok_or_else(invalid_link)?;
    let targets = serde_json::from_str::<serde_json::Value>(&stored.document)
        .ok()
        .and_then(|d| d.get("targets").and_then(|t| t.as_array()).map(Vec::len))
        .unwrap_or(0);
    Ok(Json(VerificationView {
        request: stored.id.to_string(),
        authority: stored.authority.to_string(),
        provider: stored.provider.to_string(),
        reference: stored.reference.clone(),
        received_at: stored.received_at,
        targets,
        contact: link.contact.to_string(),
        expires_at: link.expires_at,
    }))
}

/// The link, if it is unused and unexpired; guessing counts as a failure of the client.
async fn live_link(app: &AppState, token: &str, client: IpAddr) -> Result<LinkRecord, ApiError> {
    let link = match OpaqueToken::hash_of(token) {
        Some(hash) => app.store.link(&hash).await?,
        None => None,
    };
    match link {
        Some(l) if l.used_at.is_none() && l.expires_at > Utc::now() => Ok(l),
        _ => {
            crate::auth::refused(app, "invalid_link", client, "unknown, used or expired verification link");
            Err(invalid_link())
        }
    }
}

/// The contact confirms or denies, through the link.
#[utoipa::path(
    post, path = "/v1/verify/{token}", tag = "verification",
    params(("token" = String, Path, description = "The link's secret")),
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
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RequestSummary>, ApiError> {
    let body: VerifyBody = crate::json_body(&headers, body)?;
    let confirm = decision(&body.decision)?;
    live_link(&app, &token, client).await?;
    let hash = OpaqueToken::hash_of(&token).ok_or_else(invalid_link)?;
    // Taken in the database: a link works once, however many times it is sent.
    let link = app.store.use_link(&hash, Utc::now()).await?.ok_or_else(invalid_link)?;
    let stored = app.store.request(link.request_id).await?.ok_or_else(invalid_link)?;
    let contact = contact(&app, &stored, link.contact.as_str()).await?;
    let how = format!(
        "{} ({}), a registered contact of {}, through a one-time link",
        contact.name, contact.id, stored.authority
    );
    settle(&app, &stored, &contact, confirm, &how, body.note.as_deref()).await
}

fn decision(text: &str) -> Result<bool, ApiError> {
    match text {
        "confirm" => Ok(true),
        "deny" => Ok(false),
        other => Err(ApiError::invalid_field(
            "invalid_decision",
            "decision",
            format!("{other:?} is not a decision; use \"confirm\" (your authority sent it) or \"deny\""),
        )),
    }
}

/// Moves the request on by the contact's decision.
async fn settle(
    app: &AppState,
    stored: &StoredRequest,
    contact: &Contact,
    confirm: bool,
    how: &str,
    note: Option<&str>,
) -> Result<Json<RequestSummary>, ApiError> {
    if stored.state != State::PendingVerification {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_pending_verification",
            format!("request {} is {}, not pending verification", stored.id, stored.state),
        ));
    }
    let to = if confirm { State::UnderReview } else { State::Rejected };
    lifecycle::check(stored.kind, stored.state, to)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| format!(": {n}")).unwrap_or_default();
    let reason = if confirm {
        format!("emergency confirmed by {how}{note}")
    } else {
        format!("emergency denied by {how}; not acted on{note}")
    };
    let actor = ActorId::parse(&contact_actor(contact)).map_err(|e| ApiError::internal(&e))?;
    let body = TransitionBody { to: Term(to), reason, expected_version: Some(stored.version), scope: None };
    let (after, _) = crate::requests::move_request(app.store.as_ref(), stored, &body, actor).await?;
    tracing::info!(request = %stored.id, contact = %contact.id, confirm, "emergency verification settled");
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
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RequestSummary>, ApiError> {
    let id = crate::requests::parse_id(id)?;
    let body = body?;
    let refuse = |r: JwsRefusal| {
        crate::auth::refused(&app, r.code(), client, "signed confirmation refused");
        ApiError::new(StatusCode::UNAUTHORIZED, r.code(), r.to_string())
    };
    // Unknown requests and refused signatures answer alike: only a registered contact
    // learns whether the request exists.
    let text = std::str::from_utf8(&body).map(|t| t.trim_end_matches(['\r', '\n'])).unwrap_or("");
    let compact = parse_compact(text).map_err(refuse)?;
    let stored = app.store.request(id).await?;
    let contacts = match &stored {
        Some(s) => crate::keys::contacts(app.store.as_ref(), &s.authority).await?,
        None => Vec::new(),
    };
    let kid = compact.kid().as_str();
    let found = contacts.iter().find_map(|c| {
        let key = PublicKey::from_bytes(&c.public_key?).ok()?;
        (key.thumbprint() == kid).then_some((c, key))
    });
    let (Some(stored), Some((contact, key))) = (stored, found) else {
        return Err(refuse(JwsRefusal::unknown_key(kid)));
    };
    compact.verify(&key).map_err(refuse)?;
    let now = Utc::now().trunc_subsecs(6);
    let claims = check_claims(compact.payload(), now.timestamp(), &app.trust.jws).map_err(refuse)?;
    claims.check_issuer(stored.authority.as_str()).map_err(refuse)?;
    claims.check_audience(stored.provider.as_str()).map_err(refuse)?;
    let confirms = claims.request.get("id").and_then(|v| v.as_str());
    if confirms != Some(id.to_string().as_str()) {
        return Err(refuse(JwsRefusal::Malformed(format!(
            "the claims' request.id must be the request confirmed, {id}"
        ))));
    }
    let confirm = decision(claims.request.get("decision").and_then(|v| v.as_str()).unwrap_or(""))?;
    // The second channel must be a second key: the one that signed the request cannot
    // confirm it.
    if let Some(jws) = &stored.signature
        && let Ok(submitted) = parse_compact(jws)
        && let Some((submitting, _)) = crate::keys::key(
            app.store.as_ref(),
            &comity_core::KeyId::parse(submitted.kid().as_str()).map_err(|e| ApiError::internal(&e))?,
        )
        .await?
        && submitting.public_key == key.to_bytes()
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "same_key",
            "the key that signed the request cannot confirm it; a second contact confirms with their own key",
        ));
    }
    let how = format!(
        "{} ({}), a registered contact of {}, with a signed confirmation",
        contact.name, contact.id, stored.authority
    );
    settle(&app, &stored, contact, confirm, &how, None).await
}

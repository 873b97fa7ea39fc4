//! Signed submissions (issue 5, item 2): an authority's system sends a request as a
//! compact JWS (RFC 7515) signed with an Ed25519 key registered for it (RFC 8037),
//! `Content-Type: application/jose` (RFC 7515 §9.2.1). The payload's claims say who
//! sends (`iss`), to whom (`aud`, the provider), when (`iat`, `exp`, at most 15 minutes
//! apart), a unique `jti`, and the `request` document.
//!
//! Every refusal is 401 with its own code (`comity_auth::jws::JwsRefusal::code`), counted
//! in `/metrics`, written to the server log, and kept in the journal (`auth.refused`),
//! so forged and replayed submissions leave a checkable trace. A client that keeps
//! failing is blocked (`crate::limits`).
//!
//! The order of the checks is the order in which each becomes meaningful: the form, the
//! key its `kid` names, the signature under that key, the claims' times, the key's
//! owner and life at `iat`, the audience and the issuer against the document, and last
//! the replay, which only a valid signature can be.

use std::net::IpAddr;

use chrono::{DateTime, SubsecRound, Utc};
use comity_auth::jws::{Claims, JwsRefusal, PublicKey, check_claims, parse_compact};
use comity_core::{ActorId, Credential, JournalEntry, KeyId, KeyUnusable, Party, PartyId, Principal, Role};
use comity_wire::trust::journal;

use crate::{AppState, auth::Caller, error::ApiError};

/// A submission whose signature and claims hold.
#[derive(Debug)]
pub struct Signed {
    /// The key's authority, as a requester, by the key.
    pub caller: Caller,
    pub claims: Claims,
    /// The compact JWS as received: the evidence kept with the request.
    pub jws: String,
    /// The request document, as JSON bytes.
    pub document: Vec<u8>,
    pub kid: KeyId,
}

/// Checks a signed submission; every refusal is recorded before it is answered.
pub async fn verify(app: &AppState, body: &[u8], client: IpAddr) -> Result<Signed, ApiError> {
    let mut seen = Seen::default();
    match check(app, body, &mut seen).await {
        Ok(signed) => Ok(signed),
        Err(Failure::Refused(refusal)) => Err(refuse(app, &refusal, client, &seen).await),
        Err(Failure::Internal(e)) => Err(e),
    }
}

/// What a refusal can say about the submission, for the journal.
#[derive(Debug, Default)]
struct Seen {
    kid: Option<String>,
    iss: Option<String>,
}

enum Failure {
    Refused(JwsRefusal),
    Internal(ApiError),
}

impl From<JwsRefusal> for Failure {
    fn from(r: JwsRefusal) -> Self {
        Failure::Refused(r)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Internal(e)
    }
}

impl From<comity_core::StoreError> for Failure {
    fn from(e: comity_core::StoreError) -> Self {
        Failure::Internal(e.into())
    }
}

async fn check(app: &AppState, body: &[u8], seen: &mut Seen) -> Result<Signed, Failure> {
    // A trailing line break (a file sent with curl --data-binary) is not part of the JWS.
    let text =
        std::str::from_utf8(body).map_err(|_| JwsRefusal::Malformed("the body is not ASCII text".into()))?;
    let text = text.trim_end_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(JwsRefusal::missing_signature().into());
    }
    let compact = parse_compact(text)?;
    seen.kid = Some(compact.kid().as_str().to_owned());
    let kid =
        KeyId::parse(compact.kid().as_str()).map_err(|_| JwsRefusal::unknown_key(compact.kid().as_str()))?;
    let (key, _) = crate::keys::key(app.store.as_ref(), &kid)
        .await?
        .ok_or_else(|| JwsRefusal::unknown_key(kid.as_str()))?;
    let public = PublicKey::from_bytes(&key.public_key).map_err(|e| ApiError::internal(&e))?;
    compact.verify(&public)?;
    let now = Utc::now().trunc_subsecs(6);
    let claims = check_claims(compact.payload(), now.timestamp(), &app.trust.jws)?;
    seen.iss = Some(claims.iss.clone());
    if claims.iss != key.authority.as_str() {
        return Err(JwsRefusal::key_not_of_issuer(kid.as_str(), &claims.iss).into());
    }
    let iat = DateTime::from_timestamp(claims.iat, 0).unwrap_or(now);
    match key.check_use(iat, now) {
        Ok(()) => {}
        Err(KeyUnusable::Revoked { .. }) => return Err(JwsRefusal::key_revoked(kid.as_str()).into()),
        Err(_) => return Err(JwsRefusal::key_not_active(kid.as_str()).into()),
    }
    // The audience is the provider the request is addressed to, and it must be one this
    // comity serves: a request signed for another provider is not for us to act on.
    let addressee = claims.request.get("addressee").and_then(|a| a.get("provider")).and_then(|p| p.as_str());
    let provider_registered = match PartyId::parse(&claims.aud) {
        Ok(p) => matches!(app.trust.parties.get(app.store.as_ref(), &p).await?, Some(Party::Provider(_))),
        Err(_) => false,
    };
    if addressee != Some(claims.aud.as_str()) || !provider_registered {
        return Err(JwsRefusal::wrong_audience(addressee.unwrap_or("(none)"), &claims.aud).into());
    }
    let issuing = claims.request.get("issuing").and_then(|i| i.get("authority")).and_then(|a| a.as_str());
    if issuing != Some(claims.iss.as_str()) {
        // The document names its issuer; the signature is by another: the one who signs
        // is who submits.
        return Err(JwsRefusal::issuer_mismatch(issuing.unwrap_or("(none)"), &claims.iss).into());
    }
    if app.store.request_by_jti(&key.authority, &claims.jti).await?.is_some() {
        return Err(JwsRefusal::replayed(&claims.jti).into());
    }
    let principal = Principal {
        org: key.authority.clone(),
        role: Role::Requester,
        credential: Credential::Key(kid.clone()),
    };
    let caller = crate::auth::caller(app, principal, DateTime::from_timestamp(claims.exp, 0), None)
        .await?
        .ok_or_else(|| JwsRefusal::unknown_key(kid.as_str()))?;
    let document = serde_json::to_vec(&claims.request).map_err(|e| ApiError::internal(&e))?;
    Ok(Signed { caller, claims, jws: text.to_owned(), document, kid })
}

/// The 401 of a refusal, after counting it, logging it and keeping it in the journal.
async fn refuse(app: &AppState, refusal: &JwsRefusal, client: IpAddr, seen: &Seen) -> ApiError {
    let code = refusal.code();
    crate::auth::refused(app, code, client, &refusal.to_string());
    let fact = journal::AuthRefused {
        code: code.to_owned(),
        kid: seen.kid.clone(),
        iss: seen.iss.clone(),
        client: client.to_string(),
    };
    let entry = JournalEntry {
        seq: 0,
        at: Utc::now().trunc_subsecs(6),
        kind: journal::AUTH_REFUSED.to_owned(),
        actor: ActorId::parse("unauthenticated").unwrap_or_else(|_| ActorId::system()),
        party: seen.iss.as_deref().and_then(|i| PartyId::parse(i).ok()),
        subject: code.to_owned(),
        request_id: None,
        content: journal::content(&fact),
        log_index: None,
    };
    if let Err(e) = app.store.append_journal(&[entry]).await {
        tracing::error!(error = %e, code, "a refused signature could not be kept in the journal");
    }
    ApiError::new(axum::http::StatusCode::UNAUTHORIZED, code, refusal.to_string())
}

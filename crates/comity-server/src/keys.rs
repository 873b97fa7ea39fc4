//! The registry of authorities' signing keys and contacts (issue 5, items 2, 3 and 6).
//!
//! Every change is a journal entry with its audit-log entry: a key's whole history
//! (added, rotated with an overlap, revoked with an effective time) is kept and can be
//! checked, and the state of a key is always folded from that history
//! ([`AuthorityKey::from_history`]), never kept as a flag someone could flip.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State as AxumState, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_auth::jws::PublicKey;
use comity_core::{
    ActorId, AuthorityKey, Contact, JournalEntry, JournalQuery, KeyChange, KeyId, Party, PartyId, Store,
    StoreError, Username, check_name,
};
use comity_wire::trust::{
    ContactBody, KeyBody, KeyResource, RecipientBody, RegisteredKey, RevokeBody, journal,
};

use crate::{AppState, auth::Authenticated, error::ApiError};

/// How long a rotated key stays usable by default, and at most.
const DEFAULT_OVERLAP_HOURS: u32 = 24;
const MAX_OVERLAP_HOURS: u32 = 720;

/// The kinds of a key's history.
const KEY_KINDS: [&str; 3] = [journal::KEY_ADDED, journal::KEY_RETIRED, journal::KEY_REVOKED];

fn corrupt(j: &JournalEntry, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&StoreError::Corrupt(format!("journal entry {} ({}): {e}", j.seq, j.kind)))
}

/// Folds journal entries of one key into its history.
fn history(entries: &[JournalEntry]) -> Result<Vec<(DateTime<Utc>, KeyChange)>, ApiError> {
    entries
        .iter()
        .map(|j| {
            let change = match j.kind.as_str() {
                journal::KEY_ADDED => {
                    let added: journal::KeyAdded = journal::read(&j.content).map_err(|e| corrupt(j, e))?;
                    let key = comity_auth::jws::PublicKey::parse(
                        &serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": added.x}).to_string(),
                    )
                    .map_err(|e| corrupt(j, e))?;
                    let authority = PartyId::parse(&added.authority).map_err(|e| corrupt(j, e))?;
                    KeyChange::Added { authority, public_key: key.to_bytes() }
                }
                journal::KEY_RETIRED => {
                    let r: journal::KeyRetired = journal::read(&j.content).map_err(|e| corrupt(j, e))?;
                    let replaced_by = r.replaced_by.as_deref().and_then(|k| KeyId::parse(k).ok());
                    KeyChange::Retired { effective_at: r.effective_at, replaced_by }
                }
                _ => {
                    let r: journal::KeyRevoked = journal::read(&j.content).map_err(|e| corrupt(j, e))?;
                    KeyChange::Revoked { effective_at: r.effective_at, reason: r.reason }
                }
            };
            Ok((j.at, change))
        })
        .collect()
}

/// A key as its history makes it now, and its history's log entries; `None` if no key
/// has this id.
pub async fn key(store: &dyn Store, kid: &KeyId) -> Result<Option<(AuthorityKey, Vec<u64>)>, ApiError> {
    let entries = store.journal(&JournalQuery::kinds(&KEY_KINDS).subject(kid.as_str())).await?;
    let logged = entries.iter().filter_map(|j| j.log_index).collect();
    Ok(AuthorityKey::from_history(kid, &history(&entries)?).map(|k| (k, logged)))
}

/// Every key of an authority, oldest first.
pub async fn keys_of(
    store: &dyn Store,
    authority: &PartyId,
) -> Result<Vec<(AuthorityKey, Vec<u64>)>, ApiError> {
    let added = store.journal(&JournalQuery::kinds(&[journal::KEY_ADDED]).party(authority)).await?;
    let mut keys = Vec::with_capacity(added.len());
    for j in added {
        let kid = KeyId::parse(&j.subject).map_err(|e| corrupt(&j, e))?;
        if let Some(k) = key(store, &kid).await? {
            keys.push(k);
        }
    }
    Ok(keys)
}

/// The API's view of a key.
pub fn key_resource(key: &AuthorityKey, logged: Vec<u64>, now: DateTime<Utc>) -> KeyResource {
    let status = match (&key.revoked, key.retired_at) {
        (Some((t, _)), _) if *t <= now => "revoked",
        (_, Some(t)) if t <= now => "retired",
        (_, Some(_)) => "retiring",
        _ => "active",
    };
    let jwk = PublicKey::from_bytes(&key.public_key)
        .ok()
        .and_then(|k| serde_json::from_str(&k.to_jwk()).ok())
        .unwrap_or(serde_json::Value::Null);
    KeyResource {
        kid: key.kid.to_string(),
        authority: key.authority.to_string(),
        public_key: jwk,
        status: status.to_owned(),
        added_at: key.added_at,
        retired_at: key.retired_at,
        revoked_at: key.revoked.as_ref().map(|(t, _)| *t),
        revocation_reason: key.revoked.as_ref().map(|(_, r)| r.clone()),
        log_indexes: logged,
    }
}

/// Reads a public key given as a JWK object, or as JWK or PEM text.
fn public_key(value: &serde_json::Value, path: &str) -> Result<PublicKey, ApiError> {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    PublicKey::parse(&text).map_err(|e| ApiError::invalid_field("invalid_key", path, e.to_string()))
}

async fn authority(store: &dyn Store, id: &str) -> Result<PartyId, ApiError> {
    let id = PartyId::parse(id).map_err(|e| ApiError::bad_request(e.to_string()))?;
    match store.party(&id).await? {
        Some(Party::Authority(_)) => Ok(id),
        _ => Err(ApiError::not_found(format!("no authority {id} is registered"))),
    }
}

fn entry(kind: &str, actor: &ActorId, authority: &PartyId, subject: &str, content: String) -> JournalEntry {
    JournalEntry {
        seq: 0,
        at: Utc::now().trunc_subsecs(6),
        kind: kind.to_owned(),
        actor: actor.clone(),
        party: Some(authority.clone()),
        subject: subject.to_owned(),
        request_id: None,
        content,
        log_index: None,
    }
}

/// Registers a key for an authority; with `replaces`, a rotation: the replaced key stays
/// usable for the overlap, then is retired. Both are one atomic write.
pub async fn add_key(
    store: &dyn Store,
    actor: &ActorId,
    authority_id: &str,
    body: &KeyBody,
) -> Result<KeyResource, ApiError> {
    let authority = authority(store, authority_id).await?;
    let new_key = public_key(&body.public_key, "public_key")?;
    let kid = match &body.kid {
        Some(k) => {
            KeyId::parse(k).map_err(|e| ApiError::invalid_field("invalid_key", "kid", e.to_string()))?
        }
        None => KeyId::parse(&new_key.thumbprint()).map_err(|e| ApiError::internal(&e))?,
    };
    let now = Utc::now().trunc_subsecs(6);
    let mut entries = vec![entry(
        journal::KEY_ADDED,
        actor,
        &authority,
        kid.as_str(),
        journal::content(&journal::KeyAdded {
            authority: authority.to_string(),
            kid: kid.to_string(),
            x: x_of(&new_key),
            replaces: body.replaces.clone(),
        }),
    )];
    if let Some(old) = &body.replaces {
        let overlap = body.overlap_hours.unwrap_or(DEFAULT_OVERLAP_HOURS);
        if overlap > MAX_OVERLAP_HOURS {
            return Err(ApiError::invalid_field(
                "invalid_key",
                "overlap_hours",
                format!("at most {MAX_OVERLAP_HOURS} hours (30 days)"),
            ));
        }
        let old_id = KeyId::parse(old)
            .map_err(|e| ApiError::invalid_field("invalid_key", "replaces", e.to_string()))?;
        let replaced = key_of(store, &old_id, &authority).await?;
        if !replaced.is_active(now) {
            return Err(ApiError::invalid_field(
                "invalid_key",
                "replaces",
                format!("key {old} is already retired or revoked; add the new key without `replaces`"),
            ));
        }
        entries.push(entry(
            journal::KEY_RETIRED,
            actor,
            &authority,
            old_id.as_str(),
            journal::content(&journal::KeyRetired {
                authority: authority.to_string(),
                kid: old_id.to_string(),
                effective_at: now + Duration::hours(i64::from(overlap)),
                replaced_by: Some(kid.to_string()),
            }),
        ));
    } else if body.overlap_hours.is_some() {
        return Err(ApiError::invalid_field(
            "invalid_key",
            "overlap_hours",
            "an overlap only applies to a rotation: name the key this one replaces in `replaces`",
        ));
    }
    store.append_journal(&entries).await?;
    let (k, logged) = key(store, &kid).await?.ok_or_else(|| ApiError::internal(&StoreError::NotFound))?;
    Ok(key_resource(&k, logged, now))
}

/// The key's `x`: the JWK member, base64url.
fn x_of(key: &PublicKey) -> String {
    serde_json::from_str::<serde_json::Value>(&key.to_jwk())
        .ok()
        .and_then(|v| v.get("x").and_then(|x| x.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// A key of this authority, or 404.
async fn key_of(store: &dyn Store, kid: &KeyId, authority: &PartyId) -> Result<AuthorityKey, ApiError> {
    match key(store, kid).await? {
        Some((k, _)) if &k.authority == authority => Ok(k),
        _ => Err(ApiError::not_found(format!("{authority} has no key {kid}"))),
    }
}

/// Revokes a key, from now or from an earlier time (a compromise found late).
pub async fn revoke_key(
    store: &dyn Store,
    actor: &ActorId,
    authority_id: &str,
    kid: &str,
    body: &RevokeBody,
) -> Result<KeyResource, ApiError> {
    let authority = authority(store, authority_id).await?;
    let kid = KeyId::parse(kid).map_err(|e| ApiError::bad_request(e.to_string()))?;
    key_of(store, &kid, &authority).await?;
    let reason = check_name(&body.reason).map_err(|e| {
        ApiError::invalid_field("invalid_revocation", "reason", format!("give the reason in a line: {e}"))
    })?;
    let now = Utc::now().trunc_subsecs(6);
    let effective_at = body.effective_at.map_or(now, |t| t.trunc_subsecs(6));
    store
        .append_journal(&[entry(
            journal::KEY_REVOKED,
            actor,
            &authority,
            kid.as_str(),
            journal::content(&journal::KeyRevoked {
                authority: authority.to_string(),
                kid: kid.to_string(),
                effective_at,
                reason,
            }),
        )])
        .await?;
    let (k, logged) = key(store, &kid).await?.ok_or_else(|| ApiError::internal(&StoreError::NotFound))?;
    Ok(key_resource(&k, logged, now))
}

/// An authority's registered contacts.
pub async fn contacts(store: &dyn Store, authority: &PartyId) -> Result<Vec<Contact>, ApiError> {
    let entries = store.journal(&JournalQuery::kinds(&[journal::CONTACT_ADDED]).party(authority)).await?;
    entries
        .iter()
        .map(|j| {
            let c: journal::ContactAdded = journal::read(&j.content).map_err(|e| corrupt(j, e))?;
            let public_key = match &c.x {
                Some(x) => Some(
                    PublicKey::parse(
                        &serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x}).to_string(),
                    )
                    .map_err(|e| corrupt(j, e))?
                    .to_bytes(),
                ),
                None => None,
            };
            Ok(Contact {
                authority: authority.clone(),
                id: Username::parse(&c.id).map_err(|e| corrupt(j, e))?,
                name: c.name,
                email: c.email,
                phone: c.phone,
                public_key,
            })
        })
        .collect()
}

/// Registers a contact of an authority.
pub async fn add_contact(
    store: &dyn Store,
    actor: &ActorId,
    authority_id: &str,
    body: &ContactBody,
) -> Result<ContactBody, ApiError> {
    let authority = authority(store, authority_id).await?;
    let id = Username::parse(&body.id)
        .map_err(|e| ApiError::invalid_field("invalid_contact", "id", e.to_string()))?;
    let name = check_name(&body.name)
        .map_err(|e| ApiError::invalid_field("invalid_contact", "name", e.to_string()))?;
    if body.email.is_none() && body.phone.is_none() && body.public_key.is_none() {
        return Err(ApiError::invalid_field(
            "invalid_contact",
            "email",
            "give at least one channel to reach the contact by: email, phone or a public_key they sign with",
        ));
    }
    let channel = |v: &Option<String>, path: &str| -> Result<Option<String>, ApiError> {
        v.as_deref()
            .map(|s| {
                check_name(s).map_err(|e| ApiError::invalid_field("invalid_contact", path, e.to_string()))
            })
            .transpose()
    };
    let email = channel(&body.email, "email")?;
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err(ApiError::invalid_field("invalid_contact", "email", "is not an e-mail address"));
    }
    let phone = channel(&body.phone, "phone")?;
    let x = body.public_key.as_ref().map(|k| public_key(k, "public_key")).transpose()?.map(|k| x_of(&k));
    let content = journal::ContactAdded {
        authority: authority.to_string(),
        id: id.to_string(),
        name: name.clone(),
        email: email.clone(),
        phone: phone.clone(),
        x,
    };
    store
        .append_journal(&[entry(
            journal::CONTACT_ADDED,
            actor,
            &authority,
            id.as_str(),
            journal::content(&content),
        )])
        .await?;
    Ok(ContactBody { id: id.to_string(), name, email, phone, public_key: body.public_key.clone() })
}

fn contact_body(c: &Contact) -> ContactBody {
    ContactBody {
        id: c.id.to_string(),
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        public_key: c
            .public_key
            .and_then(|k| PublicKey::from_bytes(&k).ok())
            .and_then(|k| serde_json::from_str(&k.to_jwk()).ok()),
    }
}

// ---- the admin API -------------------------------------------------------------------

/// Registers a signing key for an authority, or rotates one (`replaces`).
#[utoipa::path(
    post, path = "/v1/admin/authorities/{id}/keys", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    request_body(content = KeyBody, content_type = "application/json"),
    responses(
        (status = 201, body = KeyResource),
        (status = 403, description = "Only an operator's admin manages keys", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such authority, or no such key to replace", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The key id is registered already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The key is not an Ed25519 public key, or a field is not valid", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn add(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageRegisters, &On::Registers)?;
    let body: KeyBody = crate::json_body(&headers, body)?;
    let key = add_key(app.store.as_ref(), &caller.actor(), &id, &body).await?;
    let location = format!("/v1/admin/authorities/{id}/keys/{}", key.kid);
    let mut response =
        (StatusCode::CREATED, [(header::LOCATION, location)], Json(key.clone())).into_response();
    crate::log::receipt(&mut response, &key.log_indexes);
    Ok(response)
}

/// An authority's keys, with their whole history.
#[utoipa::path(
    get, path = "/v1/admin/authorities/{id}/keys", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    responses((status = 200, body = [KeyResource]), (status = 404, description = "No such authority", body = comity_wire::api::ErrorBody))
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<KeyResource>>, ApiError> {
    crate::access::require(&app, &caller, &Action::ReadRegisters, &On::Registers)?;
    let authority = authority(app.store.as_ref(), &id).await?;
    let now = Utc::now();
    let keys = keys_of(app.store.as_ref(), &authority).await?;
    Ok(Json(keys.into_iter().map(|(k, logged)| key_resource(&k, logged, now)).collect()))
}

/// Revokes a key: nothing it signs from `effective_at` on is accepted.
#[utoipa::path(
    post, path = "/v1/admin/authorities/{id}/keys/{kid}/revoke", tag = "trust",
    params(("id" = String, Path, description = "The authority"), ("kid" = String, Path, description = "The key id")),
    request_body(content = RevokeBody, content_type = "application/json"),
    responses(
        (status = 200, body = KeyResource),
        (status = 404, description = "The authority has no such key", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn revoke(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, kid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageRegisters, &On::Registers)?;
    let body: RevokeBody = crate::json_body(&headers, body)?;
    let key = revoke_key(app.store.as_ref(), &caller.actor(), &id, &kid, &body).await?;
    let mut response = Json(key.clone()).into_response();
    crate::log::receipt(&mut response, key.log_indexes.last().map(std::slice::from_ref).unwrap_or_default());
    Ok(response)
}

/// Registers a contact of an authority: a person who confirms its emergency requests.
#[utoipa::path(
    post, path = "/v1/admin/authorities/{id}/contacts", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    request_body(content = ContactBody, content_type = "application/json"),
    responses(
        (status = 201, body = ContactBody),
        (status = 409, description = "The authority has a contact with this id", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn add_contact_route(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageRegisters, &On::Registers)?;
    let body: ContactBody = crate::json_body(&headers, body)?;
    let contact = add_contact(app.store.as_ref(), &caller.actor(), &id, &body).await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// An authority's registered contacts (personal data: admins and providers' legal teams).
#[utoipa::path(
    get, path = "/v1/admin/authorities/{id}/contacts", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    responses((status = 200, body = [ContactBody]))
)]
pub async fn list_contacts(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<ContactBody>>, ApiError> {
    crate::access::require(&app, &caller, &Action::ReadContacts, &On::Registers)?;
    let authority = authority(app.store.as_ref(), &id).await?;
    Ok(Json(contacts(app.store.as_ref(), &authority).await?.iter().map(contact_body).collect()))
}

// ---- productions: the authorities' age recipients and the providers' production keys ----

/// Whether text is an X25519 age recipient: `age1`, then bech32 (lower-case, without `1bio`),
/// 62 characters in all (age-encryption.org/v1). The sealing itself parses it for real.
fn is_age_recipient(text: &str) -> bool {
    const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    text.len() == 62 && text.starts_with("age1") && text[4..].chars().all(|c| BECH32.contains(c))
}

/// Registers an authority's age recipient; productions are encrypted to the latest.
pub async fn add_recipient(
    store: &dyn Store,
    actor: &ActorId,
    authority_id: &str,
    recipient: &str,
) -> Result<RegisteredKey, ApiError> {
    let authority = authority(store, authority_id).await?;
    let recipient = recipient.trim();
    if !is_age_recipient(recipient) {
        return Err(ApiError::invalid_field(
            "invalid_recipient",
            "recipient",
            "is not an X25519 age recipient: `age-keygen -o key.txt` prints one, `age1` and 58 more characters",
        ));
    }
    let fact = journal::RecipientAdded { authority: authority.to_string(), recipient: recipient.to_owned() };
    let written = store
        .append_journal(&[entry(
            journal::RECIPIENT_ADDED,
            actor,
            &authority,
            recipient,
            journal::content(&fact),
        )])
        .await?;
    let j = written.into_iter().next().ok_or_else(|| ApiError::internal(&StoreError::NotFound))?;
    Ok(RegisteredKey {
        key: recipient.to_owned(),
        jwk: None,
        added_at: j.at,
        current: true,
        log_index: j.log_index,
    })
}

/// An authority's age recipients, oldest first; the last is the one in use.
pub async fn recipients(store: &dyn Store, authority: &PartyId) -> Result<Vec<RegisteredKey>, ApiError> {
    let entries = store.journal(&JournalQuery::kinds(&[journal::RECIPIENT_ADDED]).party(authority)).await?;
    let n = entries.len();
    Ok(entries
        .into_iter()
        .enumerate()
        .map(|(i, j)| RegisteredKey {
            key: j.subject,
            jwk: None,
            added_at: j.at,
            current: i + 1 == n,
            log_index: j.log_index,
        })
        .collect())
}

/// A provider, or 404.
async fn provider(store: &dyn Store, id: &str) -> Result<PartyId, ApiError> {
    let id = PartyId::parse(id).map_err(|e| ApiError::bad_request(e.to_string()))?;
    match store.party(&id).await? {
        Some(Party::Provider(_)) => Ok(id),
        _ => Err(ApiError::not_found(format!("no provider {id} is registered"))),
    }
}

/// Registers a provider's production key (its public half); the latest signs.
pub async fn add_production_key(
    store: &dyn Store,
    actor: &ActorId,
    provider_id: &str,
    key: &PublicKey,
) -> Result<RegisteredKey, ApiError> {
    let provider = provider(store, provider_id).await?;
    let kid = key.thumbprint();
    let fact = journal::ProductionKeyAdded { provider: provider.to_string(), kid: kid.clone(), x: x_of(key) };
    let written = store
        .append_journal(&[entry(
            journal::PRODUCTION_KEY_ADDED,
            actor,
            &provider,
            &kid,
            journal::content(&fact),
        )])
        .await?;
    let j = written.into_iter().next().ok_or_else(|| ApiError::internal(&StoreError::NotFound))?;
    let jwk = serde_json::from_str(&key.to_jwk()).ok();
    Ok(RegisteredKey { key: kid, jwk, added_at: j.at, current: true, log_index: j.log_index })
}

/// A provider's production keys, oldest first; the last is the one in use.
pub async fn production_keys(
    store: &dyn Store,
    provider: &PartyId,
) -> Result<Vec<(RegisteredKey, PublicKey)>, ApiError> {
    let entries =
        store.journal(&JournalQuery::kinds(&[journal::PRODUCTION_KEY_ADDED]).party(provider)).await?;
    let n = entries.len();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, j)| {
            let fact: journal::ProductionKeyAdded = journal::read(&j.content).map_err(|e| corrupt(&j, e))?;
            let key = PublicKey::parse(
                &serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": fact.x}).to_string(),
            )
            .map_err(|e| corrupt(&j, e))?;
            let jwk = serde_json::from_str(&key.to_jwk()).ok();
            Ok((
                RegisteredKey {
                    key: j.subject,
                    jwk,
                    added_at: j.at,
                    current: i + 1 == n,
                    log_index: j.log_index,
                },
                key,
            ))
        })
        .collect()
}

/// Registers an authority's age recipient.
#[utoipa::path(
    post, path = "/v1/admin/authorities/{id}/recipients", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    request_body(content = RecipientBody, content_type = "application/json"),
    responses(
        (status = 201, body = RegisteredKey),
        (status = 422, description = "Not an X25519 age recipient", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn add_recipient_route(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    crate::access::require(&app, &caller, &Action::ManageRegisters, &On::Registers)?;
    let body: RecipientBody = crate::json_body(&headers, body)?;
    let added = add_recipient(app.store.as_ref(), &caller.actor(), &id, &body.recipient).await?;
    let mut response = (StatusCode::CREATED, Json(added.clone())).into_response();
    crate::log::receipt(&mut response, added.log_index.as_slice());
    Ok(response)
}

/// An authority's age recipients (public keys).
#[utoipa::path(
    get, path = "/v1/admin/authorities/{id}/recipients", tag = "trust",
    params(("id" = String, Path, description = "The authority")),
    responses((status = 200, body = [RegisteredKey]))
)]
pub async fn list_recipients(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<RegisteredKey>>, ApiError> {
    crate::access::require(&app, &caller, &Action::ReadRegisters, &On::Registers)?;
    let authority = authority(app.store.as_ref(), &id).await?;
    Ok(Json(recipients(app.store.as_ref(), &authority).await?))
}

/// A provider's production keys (public keys): what an authority checks a package's
/// signature against.
#[utoipa::path(
    get, path = "/v1/admin/providers/{id}/keys", tag = "trust",
    params(("id" = String, Path, description = "The provider")),
    responses((status = 200, body = [RegisteredKey]))
)]
pub async fn list_production_keys(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Vec<RegisteredKey>>, ApiError> {
    crate::access::require(&app, &caller, &Action::ReadRegisters, &On::Registers)?;
    let provider = provider(app.store.as_ref(), &id).await?;
    Ok(Json(production_keys(app.store.as_ref(), &provider).await?.into_iter().map(|(k, _)| k).collect()))
}

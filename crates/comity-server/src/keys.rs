//! The admin API of the registries of authorities' signing keys and contacts (issue 5,
//! items 2, 3 and 6), authorities' age recipients and providers' production keys
//! (issue 6): `comity_app::Registers` over HTTP.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::{StatusCode, header},
    response::IntoResponse,
};
use chrono::{DateTime, Utc};
use comity_app::{ContactChanges, KeyView, NewContact, NewKey, Registered, Revocation};
use comity_wire::{
    register::{ContactUpdateBody, ReasonBody},
    trust::{ContactBody, KeyBody, KeyResource, RecipientBody, RegisteredKey, RevokeBody},
};

use crate::{
    AppState,
    error::ApiError,
    extract::Authenticated,
    extract::{JsonBody, ManageRegisters},
    receipt::with_receipt,
};

/// The API's view of a key, at `now`.
fn key_resource(view: &KeyView, now: DateTime<Utc>) -> KeyResource {
    KeyResource::new(&view.key, view.log_indexes.clone(), now)
}

/// A public key the API was given as a JWK object, or as JWK or PEM text.
pub fn key_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn registered_key(r: &Registered) -> RegisteredKey {
    RegisteredKey::new(&r.key, r.public_key.as_ref(), r.added_at, r.current, r.log_index)
}

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
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<KeyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new = NewKey {
        public_key: key_text(&body.public_key),
        kid: body.kid,
        replaces: body.replaces,
        overlap_hours: body.overlap_hours,
    };
    let key = key_resource(&registers.add_key(&id, &new).await?, Utc::now());
    let location = format!("/v1/admin/authorities/{id}/keys/{}", key.kid);
    Ok(with_receipt(
        (StatusCode::CREATED, [(header::LOCATION, location)], Json(key.clone())),
        &key.log_indexes,
    ))
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
    let keys = app.app.authority_keys(&caller, &id).await?;
    let now = Utc::now();
    Ok(Json(keys.iter().map(|k| key_resource(k, now)).collect()))
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
    ManageRegisters(registers): ManageRegisters,
    Path((id, kid)): Path<(String, String)>,
    JsonBody(body): JsonBody<RevokeBody>,
) -> Result<impl IntoResponse, ApiError> {
    let revocation = Revocation { reason: body.reason, effective_at: body.effective_at };
    let key = key_resource(&registers.revoke_key(&id, &kid, &revocation).await?, Utc::now());
    Ok(with_receipt(Json(key.clone()), key.log_indexes.last().map(std::slice::from_ref).unwrap_or_default()))
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
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ContactBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new = NewContact {
        id: body.id,
        name: body.name,
        email: body.email,
        phone: body.phone,
        public_key: body.public_key.as_ref().map(key_text),
    };
    let contact = registers.add_contact(&id, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(ContactBody { public_key: body.public_key, ..ContactBody::from(&contact) }),
    ))
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
    Ok(Json(app.app.authority_contacts(&caller, &id).await?.iter().map(ContactBody::from).collect()))
}

/// Changes an authority's contact (name, e-mail, phone, key), with the reason: a
/// `contact.updated` fact with the contact as it was and as it is (issue 16, item 7).
#[utoipa::path(
    patch, path = "/v1/admin/authorities/{id}/contacts/{contact}", tag = "trust",
    params(("id" = String, Path, description = "The authority"), ("contact" = String, Path, description = "The contact's id")),
    request_body(content = ContactUpdateBody, content_type = "application/json"),
    responses(
        (status = 200, body = ContactBody),
        (status = 404, description = "The authority has no such contact", body = comity_wire::api::ErrorBody),
        (status = 422, description = "A field is not valid, no channel would be left, or nothing changes", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn update_contact(
    ManageRegisters(registers): ManageRegisters,
    Path((id, contact)): Path<(String, String)>,
    JsonBody(body): JsonBody<ContactUpdateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let changes = ContactChanges {
        name: body.name,
        email: body.email,
        phone: body.phone,
        public_key: body.public_key.map(|k| k.as_ref().map(key_text)),
        reason: body.reason,
    };
    let (contact, entry) = registers.update_contact(&id, &contact, &changes, Utc::now()).await?;
    Ok(with_receipt(Json(ContactBody::from(&contact)), entry.log_index.as_slice()))
}

/// Takes a contact off an authority's register, with the reason: they confirm its
/// emergencies no more. Answers 204; the contact's history stays in the authority's.
#[utoipa::path(
    post, path = "/v1/admin/authorities/{id}/contacts/{contact}/remove", tag = "trust",
    params(("id" = String, Path, description = "The authority"), ("contact" = String, Path, description = "The contact's id")),
    request_body(content = ReasonBody, content_type = "application/json"),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "The authority has no such contact", body = comity_wire::api::ErrorBody),
        (status = 422, description = "No reason given", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn remove_contact(
    ManageRegisters(registers): ManageRegisters,
    Path((id, contact)): Path<(String, String)>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<impl IntoResponse, ApiError> {
    let entry = registers.remove_contact(&id, &contact, &body.reason, Utc::now()).await?;
    Ok(with_receipt(StatusCode::NO_CONTENT, entry.log_index.as_slice()))
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
    ManageRegisters(registers): ManageRegisters,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RecipientBody>,
) -> Result<impl IntoResponse, ApiError> {
    let added = registered_key(&registers.add_recipient(&id, &body.recipient).await?);
    Ok(with_receipt((StatusCode::CREATED, Json(added.clone())), added.log_index.as_slice()))
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
    Ok(Json(app.app.authority_recipients(&caller, &id).await?.iter().map(registered_key).collect()))
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
    Ok(Json(app.app.provider_keys(&caller, &id).await?.iter().map(registered_key).collect()))
}

//! The production endpoints: the provider produces from an export, the parties follow the
//! chain of custody, the recipient authority downloads and acknowledges.

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{
        Path, Query, State as AxumState, rejection::BytesRejection, rejection::PathRejection,
        rejection::QueryRejection,
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{SubsecRound, Utc};
use comity_access::Action;
use comity_core::{Move, RequestId, State, StoreError};
use comity_redact::NationalIds;
use comity_seal::RetentionUntil;
use comity_wire::{
    production::{AcknowledgeBody, ProductionResource},
    trust::journal,
};
use http_body_util::BodyExt;
use serde::Deserialize;

use super::{Options, Productions, fact, no_progress, of_request, produce, resource};
use crate::{AppState, auth::Authenticated, error::ApiError, requests::parse_id};

/// The largest export the API takes in one upload; `comity produce` on the server's host
/// reads an export of any size from its file.
pub const MAX_EXPORT_BYTES: u64 = 16 * 1024 * 1024 * 1024;

/// How the provider asks for a production.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProduceParams {
    /// Until when the authority may keep the data: an RFC 3339 date (`2027-06-30`, to the
    /// end of that day, UTC) or date-time; in the future.
    retention_until: String,
    /// Let records of kinds comity does not know through, all their strings masked as
    /// free text (default: refuse them with their line).
    #[serde(default)]
    allow_unknown_kinds: bool,
    /// The national identifiers to mask, by Presidio name, comma-separated
    /// (`UK_NINO,ES_NIF`; default `US_SSN`; `NONE` for none).
    #[serde(default)]
    national_ids: Option<String>,
}

fn productions(app: &AppState) -> Result<&Productions, ApiError> {
    app.productions.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this server keeps no productions: start it with a data directory (`comity serve --data-dir`)",
        )
    })
}

fn parse_production(id: &str) -> Result<String, ApiError> {
    let ok = id.len() == 21
        && id.starts_with("prod-")
        && id[5..].bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(ApiError::bad_request(format!("{id:?} is not a production id (prod-...)")))
    }
}

/// Produces a sealed package from the provider's export.
#[utoipa::path(
    post, path = "/v1/requests/{id}/productions", tag = "productions",
    params(("id" = String, Path, description = "The request id"), ProduceParams),
    request_body(content = String, content_type = "application/x-ndjson", description = "The export: JSON Lines of records (docs/export-format.md)"),
    responses(
        (status = 201, description = "Sealed: the package waits for the authority", body = ProductionResource),
        (status = 403, description = "Only the addressed provider produces", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The request is not approved, or a key or recipient is missing", body = comity_wire::api::ErrorBody),
        (status = 413, description = "The export is larger than the API takes; run `comity produce` on the server", body = comity_wire::api::ErrorBody),
        (status = 422, description = "Lines of the export are not records (each named), or the retention is not in the future", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn create(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    id: Result<Path<String>, PathRejection>,
    params: Result<Query<ProduceParams>, QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let id = parse_id(id)?;
    let productions = productions(&app)?;
    let (current, _) = crate::access::actionable(&app, &caller, id, &Action::Execute).await?;
    let Query(params) =
        params.map_err(|e| ApiError::bad_request(format!("{}; give retention_until", e.body_text())))?;
    let options = options(&params)?;
    // Before the upload is read: a request that cannot be produced gets no 2 GB written.
    super::check_producible(&current)?;
    // The upload goes to the data directory (the export is personal data: it stays where
    // the database is), and is deleted when the production ends, whatever the outcome.
    let incoming = productions.packages().join("incoming");
    std::fs::create_dir_all(&incoming).map_err(|e| ApiError::internal(&e))?;
    let upload = tempfile::Builder::new()
        .prefix(".export-")
        .tempfile_in(&incoming)
        .map_err(|e| ApiError::internal(&e))?;
    let file = upload.as_file().try_clone().map_err(|e| ApiError::internal(&e))?;
    receive(body, tokio::fs::File::from_std(file)).await?;
    let produced =
        produce(app.store.as_ref(), productions, id, &caller.actor(), upload.path(), options, no_progress())
            .await?;
    drop(upload);
    let indexes: Vec<u64> = produced.custody.iter().filter_map(|c| c.log_index).collect();
    let location = format!("/v1/requests/{id}/productions/{}", produced.id);
    let mut response = (StatusCode::CREATED, Json(produced)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    crate::log::receipt(&mut response, &indexes);
    Ok(response)
}

fn options(params: &ProduceParams) -> Result<Options, ApiError> {
    let retention_until = RetentionUntil::parse(params.retention_until.trim())
        .map_err(|e| ApiError::invalid_field("invalid_retention", "retention_until", e))?;
    let national_ids = match &params.national_ids {
        None => NationalIds::default(),
        Some(list) => list.parse().map_err(|e: comity_redact::ConfigError| {
            ApiError::invalid_field("invalid_national_ids", "national_ids", e.to_string())
        })?,
    };
    Ok(Options { retention_until, allow_unknown_kinds: params.allow_unknown_kinds, national_ids })
}

/// Streams the request body to `file`, refusing past [`MAX_EXPORT_BYTES`].
async fn receive(mut body: Body, file: tokio::fs::File) -> Result<(), ApiError> {
    use tokio::io::AsyncWriteExt;
    let mut out = tokio::io::BufWriter::with_capacity(1024 * 1024, file);
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("reading the export failed: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        total += data.len() as u64;
        if total > MAX_EXPORT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the export is larger than the {} GiB the API takes; run `comity produce` on the server's host",
                    MAX_EXPORT_BYTES >> 30
                ),
            ));
        }
        out.write_all(&data).await.map_err(|e| ApiError::internal(&e))?;
    }
    out.flush().await.map_err(|e| ApiError::internal(&e))?;
    Ok(())
}

/// A request's productions and their chains of custody.
#[utoipa::path(
    get, path = "/v1/requests/{id}/productions", tag = "productions",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [ProductionResource]),
        (status = 404, description = "No such request, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<ProductionResource>>, ApiError> {
    let (current, _) = crate::access::visible(&app, &caller, parse_id(id)?).await?;
    Ok(Json(of_request(app.store.as_ref(), current.id).await?))
}

/// One production of a request, if the caller may see the request.
async fn visible_production(
    app: &AppState,
    caller: &crate::auth::Caller,
    id: RequestId,
    production: &str,
    action: Option<&Action>,
) -> Result<(comity_core::StoredRequest, ProductionResource), ApiError> {
    let (current, facts) = crate::access::visible(app, caller, id).await?;
    let production = parse_production(production)?;
    let found = resource(app.store.as_ref(), &production)
        .await?
        .filter(|p| p.request == id.to_string())
        .ok_or_else(|| ApiError::not_found(format!("request {id} has no production {production}")))?;
    if let Some(action) = action {
        crate::access::require_on_request(app, caller, action, &facts)?;
    }
    Ok((current, found))
}

/// One production and its chain of custody.
#[utoipa::path(
    get, path = "/v1/requests/{id}/productions/{production}", tag = "productions",
    params(("id" = String, Path, description = "The request id"), ("production" = String, Path, description = "The production id")),
    responses(
        (status = 200, body = ProductionResource),
        (status = 404, description = "No such request or production, or none the caller may see", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn get(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<ProductionResource>, ApiError> {
    let (id, production) = production_path(path)?;
    let (_, found) = visible_production(&app, &caller, id, &production, None).await?;
    Ok(Json(found))
}

/// Downloads the sealed package: only the issuing authority, and each download is logged
/// before the first byte is sent.
#[utoipa::path(
    get, path = "/v1/requests/{id}/productions/{production}/package", tag = "productions",
    params(("id" = String, Path, description = "The request id"), ("production" = String, Path, description = "The production id")),
    responses(
        (status = 200, description = "The package: an age file (age-encryption.org/v1); `Comity-Package-SHA256` is its hash", content_type = "application/octet-stream"),
        (status = 403, description = "Only the issuing authority receives a production", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request or production, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "The production is not sealed", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn package(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (id, production) = production_path(path)?;
    let productions = productions(&app)?;
    let (current, found) =
        visible_production(&app, &caller, id, &production, Some(&Action::ReceiveProduction)).await?;
    let Some(sealed) = &found.package else {
        return Err(ApiError::conflict(format!(
            "production {} is {}: there is no package to download",
            found.id, found.status
        )));
    };
    let file = tokio::fs::File::open(productions.package_path(&found.id)).await.map_err(|e| {
        tracing::error!(production = %found.id, "the sealed package is missing: {e}");
        ApiError::internal(&e)
    })?;
    let logged =
        journal::ProductionDownloaded { production: found.id.clone(), package_sha256: sealed.sha256.clone() };
    let written = app
        .store
        .append_journal(&[fact(
            journal::PRODUCTION_DOWNLOADED,
            &caller.actor(),
            &current,
            &found.id,
            journal::content(&logged),
        )])
        .await?;
    let mut response =
        Response::new(Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(sealed.bytes));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.age\"", found.id)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&sealed.sha256) {
        headers.insert("comity-package-sha256", v);
    }
    crate::log::receipt(&mut response, &written.iter().filter_map(|j| j.log_index).collect::<Vec<_>>());
    Ok(response)
}

/// The issuing authority acknowledges that it holds the package, by its hash: the request
/// moves from producing to delivered.
#[utoipa::path(
    post, path = "/v1/requests/{id}/productions/{production}/acknowledgement", tag = "productions",
    params(("id" = String, Path, description = "The request id"), ("production" = String, Path, description = "The production id")),
    request_body(content = AcknowledgeBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Acknowledged; the request is delivered", body = ProductionResource),
        (status = 403, description = "Only the issuing authority acknowledges", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request or production, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "Not sealed, not downloaded yet, or acknowledged already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The hash is not the sealed package's: download it again", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn acknowledge(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (id, production) = production_path(path)?;
    let body: AcknowledgeBody = crate::json_body(&headers, body)?;
    let (current, found) =
        visible_production(&app, &caller, id, &production, Some(&Action::ReceiveProduction)).await?;
    let Some(sealed) = &found.package else {
        return Err(ApiError::conflict(format!(
            "production {} is {}: there is nothing to acknowledge",
            found.id, found.status
        )));
    };
    if found.status == "acknowledged" {
        return Err(ApiError::conflict(format!("production {} is acknowledged already", found.id)));
    }
    if !found.custody.iter().any(|c| c.kind == journal::PRODUCTION_DOWNLOADED) {
        return Err(ApiError::conflict(format!(
            "production {} has not been downloaded: download it (GET .../package), check it with `comity package verify`, then acknowledge",
            found.id
        )));
    }
    let given = body.package_sha256.trim().to_ascii_lowercase();
    if given != sealed.sha256 {
        return Err(ApiError::invalid_field(
            "invalid_acknowledgement",
            "package_sha256",
            format!(
                "is not the SHA-256 of the sealed package ({}): the file you hold is not the package; download it again",
                sealed.sha256
            ),
        ));
    }
    let ack = journal::ProductionAcknowledged { production: found.id.clone(), package_sha256: given };
    let entry =
        fact(journal::PRODUCTION_ACKNOWLEDGED, &caller.actor(), &current, &found.id, journal::content(&ack));
    let mut indexes = Vec::new();
    if current.state == State::Producing {
        let event = app
            .store
            .apply_move(&Move {
                request_id: id,
                expected_version: current.version,
                from: State::Producing,
                to: State::Delivered,
                actor: caller.actor(),
                at: Utc::now().trunc_subsecs(6),
                reason: format!(
                    "production {} received: its package's SHA-256 matches the sealed one",
                    found.id
                ),
                facts: vec![entry],
            })
            .await?;
        indexes.extend(event.log_index);
    } else {
        indexes.extend(app.store.append_journal(&[entry]).await?.iter().filter_map(|j| j.log_index));
    }
    let after = resource(app.store.as_ref(), &found.id)
        .await?
        .ok_or_else(|| ApiError::internal(&StoreError::NotFound))?;
    indexes.extend(after.custody.last().and_then(|c| c.log_index));
    indexes.sort_unstable();
    indexes.dedup();
    let mut response = Json(after).into_response();
    crate::log::receipt(&mut response, &indexes);
    Ok(response)
}

/// The request id and production id of `/v1/requests/{id}/productions/{production}/...`.
fn production_path(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(RequestId, String), ApiError> {
    let Path((id, production)) = path?;
    Ok((crate::requests::request_id(&id)?, production))
}

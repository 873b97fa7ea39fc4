//! The production endpoints (issue 6, `docs/production.md`): the provider produces from an
//! export, the parties follow the chain of custody, the recipient authority downloads and
//! acknowledges. The production itself is `comity_app`'s.

use axum::{
    Json,
    body::Body,
    extract::{Query, State as AxumState, rejection::QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use comity_app::Options;
use comity_redact::NationalIds;
use comity_seal::RetentionUntil;
use comity_wire::production::{AcknowledgeBody, AttestationBody, ProductionResource};
use serde::Deserialize;

use crate::{
    AppState,
    error::ApiError,
    extract::Authenticated,
    extract::{JsonBody, ProductionPath, RequestIdPath},
    receipt::with_receipt,
};

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
    /// Regions whose national phone formats are also searched in free text,
    /// comma-separated (`IN,BR`; `ALL` for every region). Always searched: the EU, the
    /// rest of the EEA, Switzerland, the UK, North America and the countries the request
    /// names.
    #[serde(default)]
    phone_regions: Option<String>,
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
    RequestIdPath(id): RequestIdPath,
    params: Result<Query<ProduceParams>, QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let producing = app.app.producing(&caller, id).await?;
    let Query(params) =
        params.map_err(|e| ApiError::bad_request(format!("{}; give retention_until", e.body_text())))?;
    let options = options(
        &params.retention_until,
        params.national_ids.as_deref(),
        params.phone_regions.as_deref(),
        params.allow_unknown_kinds,
    )?;
    // Before the upload is read: a request that cannot be produced gets no 2 GB written.
    producing.check_producible()?;
    // The upload goes to the data directory (the export is personal data: it stays where
    // the database is), and is deleted when the production ends, whatever the outcome. It is
    // this request's body, produced before this request is answered: the upload and the
    // production run on the one server, however a load balancer spreads requests over the
    // servers of a database (issue 17). The package and the keys are the database's.
    let upload = producing.upload()?;
    let file = upload.as_file().try_clone().map_err(|e| ApiError::internal(&e))?;
    receive(body.into_data_stream(), tokio::fs::File::from_std(file)).await?;
    let produced = producing.produce(upload.path(), options, comity_app::no_progress()).await?;
    drop(upload);
    let produced = ProductionResource::from(&produced);
    let indexes: Vec<u64> = produced.custody.iter().filter_map(|c| c.log_index).collect();
    let location = format!("/v1/requests/{id}/productions/{}", produced.id);
    let mut response = (StatusCode::CREATED, Json(produced)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    crate::receipt::receipt(&mut response, &indexes);
    Ok(response)
}

/// A production's options as the provider gives them (the API's query, the portal's form).
pub(crate) fn options(
    retention_until: &str,
    national_ids: Option<&str>,
    phone_regions: Option<&str>,
    allow_unknown_kinds: bool,
) -> Result<Options, ApiError> {
    let retention_until = RetentionUntil::parse(retention_until.trim())
        .map_err(|e| ApiError::invalid_field("invalid_retention", "retention_until", e))?;
    let national_ids = match national_ids.map(str::trim).filter(|l| !l.is_empty()) {
        None => NationalIds::default(),
        Some(list) => list.parse().map_err(|e: comity_redact::ConfigError| {
            ApiError::invalid_field("invalid_national_ids", "national_ids", e.to_string())
        })?,
    };
    let phone_regions =
        phone_regions.unwrap_or_default().parse().map_err(|e: comity_redact::ConfigError| {
            ApiError::invalid_field("invalid_phone_regions", "phone_regions", e.to_string())
        })?;
    Ok(Options { retention_until, allow_unknown_kinds, national_ids, phone_regions, out: None })
}

/// Streams an upload to `file`, refusing past [`MAX_EXPORT_BYTES`].
pub(crate) async fn receive<E: std::fmt::Display>(
    mut chunks: impl futures_util::Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    file: tokio::fs::File,
) -> Result<(), ApiError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let mut out = tokio::io::BufWriter::with_capacity(1024 * 1024, file);
    let mut total = 0u64;
    while let Some(chunk) = chunks.next().await {
        let data = chunk.map_err(|e| ApiError::bad_request(format!("reading the export failed: {e}")))?;
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
    RequestIdPath(id): RequestIdPath,
) -> Result<Json<Vec<ProductionResource>>, ApiError> {
    Ok(Json(app.app.productions_of(&caller, id).await?.iter().map(ProductionResource::from).collect()))
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
    ProductionPath(id, production): ProductionPath,
) -> Result<Json<ProductionResource>, ApiError> {
    Ok(Json(ProductionResource::from(&app.app.production(&caller, id, &production).await?)))
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
        (status = 410, description = "Disposed of at its retention date: comity's copy was crypto-shredded; the details give when, and the authority's attestation", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn package(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ProductionPath(id, production): ProductionPath,
) -> Result<Response, ApiError> {
    let download = app.app.download(&caller, id, &production).await?;
    let found = &download.production;
    let Some(sealed) = &found.package else {
        return Err(ApiError::internal(&comity_core::StoreError::Corrupt(format!(
            "production {} has no package",
            found.id
        ))));
    };
    let (bytes, sha256, id) = (sealed.package_bytes, sealed.package_sha256.clone(), found.id.clone());
    let chunks = futures_util::stream::unfold(download.body, |mut body| async move {
        body.next().await.map(|chunk| (chunk, body))
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.age\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&sha256) {
        headers.insert("comity-package-sha256", v);
    }
    crate::receipt::receipt(&mut response, download.log_index.as_slice());
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
    ProductionPath(id, production): ProductionPath,
    JsonBody(body): JsonBody<AcknowledgeBody>,
) -> Result<Response, ApiError> {
    let (after, indexes) = app.app.acknowledge(&caller, id, &production, &body.package_sha256).await?;
    Ok(with_receipt(Json(ProductionResource::from(&after)), &indexes))
}

/// The issuing authority attests that it disposed of a production's data, with a statement
/// signed by one of its registered keys (issue 15).
#[utoipa::path(
    post, path = "/v1/requests/{id}/productions/{production}/disposal", tag = "productions",
    params(("id" = String, Path, description = "The request id"), ("production" = String, Path, description = "The production id")),
    request_body(content = AttestationBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Attested; the disposal clock is met", body = ProductionResource),
        (status = 403, description = "Only the issuing authority attests", body = comity_wire::api::ErrorBody),
        (status = 404, description = "No such request or production, or none the caller may see", body = comity_wire::api::ErrorBody),
        (status = 409, description = "Nothing was sealed, or it is attested already", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The attestation is not a statement of this production signed by a key of the authority: the message says which check failed", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn attest_disposal(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    ProductionPath(id, production): ProductionPath,
    JsonBody(body): JsonBody<AttestationBody>,
) -> Result<Response, ApiError> {
    let (after, indexes) = app.app.attest_disposal(&caller, id, &production, &body.attestation).await?;
    Ok(with_receipt(Json(ProductionResource::from(&after)), &indexes))
}

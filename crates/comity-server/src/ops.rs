//! Health, readiness, metrics, the schema and the API description.

use axum::{
    Json,
    extract::State as AxumState,
    http::{StatusCode, header},
    response::IntoResponse,
};
use comity_wire::api::HealthBody;

use crate::{AppState, error::ApiError, extract::Authenticated};

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = HealthBody)))]
pub async fn healthz() -> Json<HealthBody> {
    Json(HealthBody { status: "ok".into(), detail: None })
}

/// The process can serve: its database answers and accepts writes.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses((status = 200, body = HealthBody), (status = 503, description = "The database does not answer, or does not accept writes", body = HealthBody))
)]
pub async fn readyz(AxumState(app): AxumState<AppState>) -> impl IntoResponse {
    match app.app.readiness().await {
        Ok(()) => (StatusCode::OK, Json(HealthBody { status: "ok".into(), detail: None })),
        Err(detail) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(HealthBody { status: "unavailable".into(), detail: Some(detail.into()) }),
        ),
    }
}

/// Metrics in the OpenMetrics text format, which Prometheus scrapes with a token
/// (`authorization` in its scrape config). The counts are aggregates: live, exact request
/// counts are not for the public (national-security figures are published only in bands
/// and after a delay, 50 U.S.C. § 1874(a)), so only those who may read aggregates see them.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "Not signed in", body = comity_wire::api::ErrorBody),
        (status = 403, description = "Only auditors, operators, providers and reviewers read aggregates", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn metrics(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<impl IntoResponse, ApiError> {
    let counts = app.app.count_by_state(&caller).await?;
    let overdue = app.app.overdue_by_kind().await?;
    let text = app
        .metrics
        .render(&counts, &overdue, app.app.password_hashing(), app.trust.limits.live())
        .map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text))
}

/// The JSON Schema (draft 2020-12) of the request document, version 1.
#[utoipa::path(
    get, path = "/v1/schemas/request", tag = "documents",
    responses((status = 200, content_type = "application/schema+json", body = Object))
)]
pub async fn request_schema() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/schema+json")], Json(comity_wire::request_schema()))
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200, body = Object)))]
pub async fn openapi() -> impl IntoResponse {
    Json(crate::openapi())
}

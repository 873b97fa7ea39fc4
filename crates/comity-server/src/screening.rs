//! The screening dry run: a request document screened against its pack, nothing stored.

use axum::{
    Json,
    body::Bytes,
    extract::{State as AxumState, rejection::BytesRejection},
    http::HeaderMap,
};
use chrono::{DateTime, Utc};
use comity_wire::{RequestDocument, screening::ScreeningReport};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    error::ApiError,
    extract::Authenticated,
    extract::{QueryParams, require_json},
};

/// When the clocks of a dry run start.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScreenParams {
    /// The moment of receipt the deadlines run from (RFC 3339, 1970 to 9999); now if
    /// left out.
    #[serde(default, with = "comity_wire::time::bounded_option")]
    received_at: Option<DateTime<Utc>>,
}

/// Screens a request document without storing anything: a dry run of intake.
#[utoipa::path(
    post, path = "/v1/screen", tag = "screening", params(ScreenParams),
    request_body(content = RequestDocument, content_type = "application/json"),
    responses(
        (status = 200, description = "The screening report", body = ScreeningReport),
        (status = 400, description = "The body is not JSON, or received_at is not RFC 3339", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The document has problems, each listed with its path", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn dry_run(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    params: Result<QueryParams<ScreenParams>, ApiError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ScreeningReport>, ApiError> {
    // The leave first: a caller who may not screen learns nothing of its input's faults.
    let dry_run = app.app.dry_run(&caller)?;
    let QueryParams(params) = params?;
    require_json(&headers)?;
    let received_at = params.received_at.unwrap_or_else(Utc::now);
    let report = dry_run.screen(&body?, received_at).await?;
    Ok(Json(ScreeningReport::from(&report)))
}

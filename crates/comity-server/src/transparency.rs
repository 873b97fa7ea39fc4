//! Transparency reports (issue 16): the figures of a period as JSON and CSV, public, each
//! computed from the log up to its latest signed checkpoint (`comity_app::transparency`)
//! so that anyone holding the public log can recompute them (`comity transparency verify`).

use axum::{Json, http::header, response::IntoResponse};
use chrono::{DateTime, Utc};
use comity_core::CountryCode;
use comity_wire::api::ErrorBody;
use comity_wire::transparency::TransparencyReport;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::QueryParams;
use axum::extract::State as AxumState;

/// The period (and country) of a report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The period's start (RFC 3339), included: requests received from then.
    pub from: DateTime<Utc>,
    /// The period's end (RFC 3339), excluded.
    pub to: DateTime<Utc>,
    /// Only the requests issued from this country (ISO 3166-1 alpha-2): a State's view.
    pub country: Option<String>,
}

/// The report a query asks for, computed now.
pub async fn report(app: &AppState, query: &ReportQuery) -> Result<TransparencyReport, ApiError> {
    let country = match query.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(CountryCode::parse(c).map_err(|e| {
            ApiError::invalid_field(
                "invalid_period",
                "country",
                format!("{e} (an ISO 3166-1 alpha-2 code, such as FR)"),
            )
        })?),
    };
    let computed = app.app.transparency_report(query.from, query.to, country.as_ref(), Utc::now()).await?;
    Ok(TransparencyReport::new(
        &computed.report,
        country.map(|c| c.to_string()),
        computed.vkey,
        computed.generated_at,
        app.app.publication().suppress_below,
    ))
}

/// The transparency report of a period: requests received from abroad by country,
/// instrument, kind, data category, emergency and outcome; accounts specified; the share
/// under nondisclosure; clarifications, appeals, notices and remedies; national-security
/// figures in bands, after a delay. Public, and recomputable from the public log:
/// `comity transparency verify --url URL --vkey KEY --report FILE`.
#[utoipa::path(
    get, path = "/v1/transparency", tag = "transparency",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report (schema: /v1/schemas/transparency-report)", body = TransparencyReport),
        (status = 400, description = "No period, or a time that is not RFC 3339", body = ErrorBody),
        (status = 422, description = "The period ends before it starts, or the country is not a code", body = ErrorBody),
    )
)]
pub async fn json(
    AxumState(app): AxumState<AppState>,
    QueryParams(query): QueryParams<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(report(&app, &query).await?))
}

/// The same report as CSV (RFC 4180, UTF-8): one row per figure, `table,key,value`, each
/// breakdown a table of its own.
#[utoipa::path(
    get, path = "/v1/transparency.csv", tag = "transparency",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report's figures", body = String, content_type = "text/csv"),
        (status = 400, description = "No period, or a time that is not RFC 3339", body = ErrorBody),
        (status = 422, description = "The period ends before it starts, or the country is not a code", body = ErrorBody),
    )
)]
pub async fn csv(
    AxumState(app): AxumState<AppState>,
    QueryParams(query): QueryParams<ReportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let report = report(&app, &query).await?;
    let name = format!(
        "attachment; filename=\"comity-transparency-{}-{}.csv\"",
        report.from.format("%Y-%m-%d"),
        report.to.format("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        report.to_csv(),
    ))
}

/// The JSON Schema (draft 2020-12) of the transparency report, version 1.
#[utoipa::path(
    get, path = "/v1/schemas/transparency-report", tag = "transparency",
    responses((status = 200, content_type = "application/schema+json", body = Object))
)]
pub async fn schema() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/schema+json")], Json(comity_wire::transparency::report_schema()))
}

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

/// The period of an authority's view.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// The period's start (RFC 3339), included.
    pub from: DateTime<Utc>,
    /// The period's end (RFC 3339), excluded.
    pub to: DateTime<Utc>,
}

/// An authority's view of the transparency report: the same figures, of the requests it
/// issued. For the authority's own people and systems (who hold their requests' log salts,
/// and so can find the same entries in the public log) and whoever may read the aggregates.
#[utoipa::path(
    get, path = "/v1/transparency/authorities/{id}", tag = "transparency",
    params(("id" = String, Path, description = "The authority, such as fr-tj-paris"), PeriodQuery),
    responses(
        (status = 200, description = "The authority's report (schema: /v1/schemas/transparency-report)", body = TransparencyReport),
        (status = 400, description = "No period, or a time that is not RFC 3339", body = ErrorBody),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 403, description = "Another authority's, without the aggregates", body = ErrorBody),
        (status = 404, description = "No such authority", body = ErrorBody),
        (status = 422, description = "The period ends before it starts, or an id that is not one", body = ErrorBody),
    )
)]
pub async fn authority(
    AxumState(app): AxumState<AppState>,
    crate::extract::Authenticated(caller): crate::extract::Authenticated,
    axum::extract::Path(id): axum::extract::Path<String>,
    QueryParams(query): QueryParams<PeriodQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let computed =
        app.app.authority_transparency_report(&caller, &id, (query.from, query.to), Utc::now()).await?;
    let mut report = TransparencyReport::new(
        &computed.report,
        None,
        computed.vkey,
        computed.generated_at,
        app.app.publication().suppress_below,
    );
    report.authority = Some(id.trim().to_owned());
    Ok(Json(report))
}

/// The JSON Schema (draft 2020-12) of the transparency report, version 1.
#[utoipa::path(
    get, path = "/v1/schemas/transparency-report", tag = "transparency",
    responses((status = 200, content_type = "application/schema+json", body = Object))
)]
pub async fn schema() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/schema+json")], Json(comity_wire::transparency::report_schema()))
}

/// Whose and which year's Art 28 statistics.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatisticsQuery {
    /// The authority, such as `fr-tj-paris`.
    pub authority: String,
    /// The year, such as 2027.
    #[param(minimum = 2000, maximum = 9998)]
    pub year: i32,
    /// `issuing` (the orders it issued; the default) or `enforcing` (those notified to it).
    #[serde(rename = "as")]
    pub role: Option<String>,
}

/// The statistics of Regulation (EU) 2023/1543 Art 28 for an issuing or enforcing
/// authority and a year: orders by type, data category, addressee and emergency; executed
/// or not; Art 8 notifications and refusals by ground; the average time from the order to
/// the data; and when they are due (31 March). For the authority's own people and systems,
/// and whoever may read the aggregates.
#[utoipa::path(
    get, path = "/v1/statistics/e-evidence", tag = "transparency",
    params(StatisticsQuery),
    responses(
        (status = 200, body = comity_wire::transparency::Art28Resource),
        (status = 400, description = "No authority or year", body = ErrorBody),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 403, description = "Another authority's, without the aggregates", body = ErrorBody),
        (status = 404, description = "No such authority", body = ErrorBody),
        (status = 422, description = "A role other than issuing or enforcing, or a year outside 2000 to 9998", body = ErrorBody),
    )
)]
pub async fn art28(
    AxumState(app): AxumState<AppState>,
    crate::extract::Authenticated(caller): crate::extract::Authenticated,
    QueryParams(query): QueryParams<StatisticsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    use comity_app::statistics::Role;
    let role = match query.role.as_deref().map(str::trim) {
        None | Some("" | "issuing") => Role::Issuing,
        Some("enforcing") => Role::Enforcing,
        Some(other) => {
            return Err(ApiError::invalid_field(
                "invalid_statistics",
                "as",
                format!("{other:?} is not a role here: give issuing or enforcing"),
            ));
        }
    };
    let s = app.app.art28_statistics(&caller, &query.authority, role, query.year).await?;
    Ok(Json(comity_wire::transparency::Art28Resource {
        authority: query.authority.trim().to_owned(),
        role: if role == Role::Issuing { "issuing" } else { "enforcing" }.to_owned(),
        year: s.year,
        due: s.due,
        by_type: s.by_type,
        by_data_category: s.by_data_category,
        by_addressee: s.by_addressee,
        emergency: s.emergency,
        executed: s.executed,
        not_executed: s.not_executed,
        open: s.open,
        notifications: s.notifications,
        refusals_by_ground: s.refusals_by_ground,
        average_days_to_data: s.average_days_to_data,
    }))
}

/// A release's wire form.
pub fn release_resource(
    r: &comity_app::privacy::PrivateRelease,
) -> comity_wire::transparency::PrivateReleaseResource {
    comity_wire::transparency::PrivateReleaseResource::new(&r.release, r.released_at, r.log_index, r.margin)
}

/// The differential-privacy releases of the fine breakdown (issuing country × data
/// category × outcome), oldest first, and the budget they are held to. Public: every
/// figure in them has noise added, its scale stated.
#[utoipa::path(
    get, path = "/v1/transparency/releases", tag = "transparency",
    responses((status = 200, body = comity_wire::transparency::PrivateReleasesResource))
)]
pub async fn releases(AxumState(app): AxumState<AppState>) -> Result<impl IntoResponse, ApiError> {
    let budget = app.app.private_releases().await?;
    Ok(Json(comity_wire::transparency::PrivateReleasesResource {
        budget: budget.budget.as_f64(),
        mechanism: comity_wire::transparency::RELEASE_MECHANISM.to_owned(),
        releases: budget.releases.iter().map(|r| release_resource(r).summary()).collect(),
    }))
}

/// The release a path names, or a JSON 400 for a number that is none.
async fn release_of(
    app: &AppState,
    number: &str,
) -> Result<comity_wire::transparency::PrivateReleaseResource, ApiError> {
    let number: u32 = number.trim().parse().map_err(|_| {
        ApiError::bad_request(format!(
            "{number:?} is not a release number: GET /v1/transparency/releases lists them"
        ))
    })?;
    Ok(release_resource(&app.app.private_release(number).await?))
}

/// One differential-privacy release, every cell with its noise's scale and its margin at
/// 95 % beside it.
#[utoipa::path(
    get, path = "/v1/transparency/releases/{number}", tag = "transparency",
    params(("number" = u32, Path, description = "The release's number, from 1")),
    responses(
        (status = 200, body = comity_wire::transparency::PrivateReleaseResource),
        (status = 400, description = "A number that is not one", body = ErrorBody),
        (status = 404, description = "No such release", body = ErrorBody),
    )
)]
pub async fn release(
    AxumState(app): AxumState<AppState>,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(release_of(&app, &number).await?))
}

/// A release's cells as CSV (RFC 4180, UTF-8):
/// `country,data_category,outcome,requests,scale,margin_95`.
#[utoipa::path(
    get, path = "/v1/transparency/releases/{number}/cells.csv", tag = "transparency",
    params(("number" = u32, Path, description = "The release's number, from 1")),
    responses(
        (status = 200, description = "The release's cells", body = String, content_type = "text/csv"),
        (status = 400, description = "A number that is not one", body = ErrorBody),
        (status = 404, description = "No such release", body = ErrorBody),
    )
)]
pub async fn release_csv(
    AxumState(app): AxumState<AppState>,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let release = release_of(&app, &number).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"comity-release-{}.csv\"", release.number),
            ),
        ],
        release.to_csv(),
    ))
}

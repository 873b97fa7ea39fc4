//! Evaluation cycles (issue 16, item 6): each issuing authority's and each State's figures
//! over a year and their compliance score (`comity_app::evaluation`), and the operator's
//! record of a cycle as `evaluation.recorded` facts.

use axum::{Json, extract::State as AxumState, http::StatusCode, response::IntoResponse};
use chrono::Utc;
use comity_app::evaluation::Scope;
use comity_wire::api::ErrorBody;
use comity_wire::evaluation::EvaluationsResource;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, JsonBody, ManageRegisters, QueryParams};
use crate::receipt::with_receipt;

/// Which cycle, and whose evaluation.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvaluationQuery {
    /// The cycle's year, such as 2027: the requests received in it (UTC).
    #[param(minimum = 2000, maximum = 9998)]
    pub year: i32,
    /// Only this authority, such as `fr-tj-paris`.
    pub authority: Option<String>,
    /// Only this State (ISO 3166-1 alpha-2), such as `FR`.
    pub country: Option<String>,
}

/// A cycle's evaluations: every issuing authority's and every State's figures
/// (timeliness against every clock, with who owes it; share rejected; emergencies left
/// unconfirmed; appeals decided against the authority; remedies; late disposal
/// attestations; grounds for refusal raised) and its compliance score, with the formula.
/// Whoever may read the aggregates sees every authority and State; an authority's people
/// and systems see its own figures only.
#[utoipa::path(
    get, path = "/v1/evaluations", tag = "transparency",
    params(EvaluationQuery),
    responses(
        (status = 200, body = EvaluationsResource),
        (status = 400, description = "No year, or a parameter that is not one", body = ErrorBody),
        (status = 401, description = "No credential", body = ErrorBody),
        (status = 403, description = "Another authority's, or a State's, without the aggregates", body = ErrorBody),
        (status = 404, description = "No such authority", body = ErrorBody),
        (status = 422, description = "A year outside 2000 to 9998, an authority id or country that is not one, or both an authority and a country", body = ErrorBody),
    )
)]
pub async fn show(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    QueryParams(query): QueryParams<EvaluationQuery>,
) -> Result<Json<EvaluationsResource>, ApiError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let scope = match (given(&query.authority), given(&query.country)) {
        (None, None) => Scope::All,
        (Some(a), None) => Scope::Authority(a),
        (None, Some(c)) => Scope::Country(c),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_field(
                "invalid_evaluation",
                "country",
                "give an authority or a country, not both: an authority's figures are within its State's",
            ));
        }
    };
    let evaluations = app.app.evaluations(&caller, query.year, &scope, Utc::now()).await?;
    Ok(Json(evaluations.resource()))
}

/// The cycle to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The cycle's year, ended, such as 2027.
    pub year: i32,
}

/// Records a cycle's evaluation as it stands now, once the cycle has ended: one
/// `evaluation.recorded` fact per authority and per State, with its figures, its score and
/// the formula's version, each with its audit-log entry (named in the receipt), so that a
/// later suspension can cite it. For the operator's admins.
#[utoipa::path(
    post, path = "/v1/admin/evaluations", tag = "transparency",
    request_body(content = RecordBody, content_type = "application/json"),
    responses(
        (status = 201, body = EvaluationsResource),
        (status = 422, description = "A year outside 2000 to 9998, or a cycle not ended yet", body = ErrorBody),
    )
)]
pub async fn record(
    ManageRegisters(registers): ManageRegisters,
    JsonBody(body): JsonBody<RecordBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (evaluations, written) = registers.record_evaluations(body.year, Utc::now()).await?;
    let indexes: Vec<u64> = written.iter().filter_map(|e| e.log_index).collect();
    Ok(with_receipt((StatusCode::CREATED, Json(evaluations.resource())), &indexes))
}

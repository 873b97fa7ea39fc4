//! Policy packs, public (issue 16, item 8): each pack's history, a version's exact text, and
//! what changed between two versions rule by rule. Civil society reviews them without an
//! account; the number of requests each version judged is for those the access policy lets
//! read aggregates.

use axum::{
    Json,
    extract::{Path, State as AxumState},
};
use comity_wire::packs::{
    PackDiffBody, PackHistoryResource, PackListBody, PackTextResource, PackVersionResource,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    error::ApiError,
    extract::{MaybeAuthenticated, QueryParams},
};

/// Every pack this comity has judged with, each with its versions, oldest first.
#[utoipa::path(
    get, path = "/v1/packs", tag = "screening",
    responses((status = 200, description = "Each pack's versions: hash, when first seen, whether in force, and for those who may read aggregates how many requests each judged", body = PackListBody))
)]
pub async fn list(
    AxumState(app): AxumState<AppState>,
    MaybeAuthenticated(caller): MaybeAuthenticated,
) -> Result<Json<PackListBody>, ApiError> {
    let history = app.app.pack_history(caller.as_ref()).await?;
    Ok(Json(PackListBody { packs: history.iter().map(PackHistoryResource::from).collect() }))
}

/// One version of a pack: its exact text (and the house file layered on it, if any).
#[utoipa::path(
    get, path = "/v1/packs/{id}/versions/{version}", tag = "screening",
    params(
        ("id" = String, Path, description = "The pack's id, such as `eu-e-evidence`"),
        ("version" = String, Path, description = "A version, such as `2026.3`, or the version's hash (its first 12 hex digits or more)"),
    ),
    responses(
        (status = 200, description = "The version and its text", body = PackTextResource),
        (status = 404, description = "No such pack or version; or a version that judged requests before comity kept pack texts", body = comity_wire::api::ErrorBody),
        (status = 409, description = "Two texts carry this version (`ambiguous_version`): name one by its hash", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn version(
    AxumState(app): AxumState<AppState>,
    MaybeAuthenticated(caller): MaybeAuthenticated,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<PackTextResource>, ApiError> {
    let kept = app.app.pack_text(caller.as_ref(), &id, &version).await?;
    Ok(Json(PackTextResource {
        id: kept.version.pack.clone(),
        version: PackVersionResource::from(&kept.version),
        text: kept.text,
        house: kept.house,
        previous: kept.previous.map(|p| p.version),
    }))
}

/// Which versions to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    /// The older version (or its hash); by default the version kept before `to`.
    from: Option<String>,
    /// The newer version (or its hash); by default the version in force.
    to: Option<String>,
}

/// What changed from one version of a pack to another, rule by rule: rules added, removed
/// and changed (citation, provisions, the settings each reads), settings with the rules
/// that read them, grounds, and the pack's version and hash.
#[utoipa::path(
    get, path = "/v1/packs/{id}/diff", tag = "screening",
    params(("id" = String, Path, description = "The pack's id, such as `eu-e-evidence`"), DiffParams),
    responses(
        (status = 200, description = "The changes; `equal` when the two are the same text", body = PackDiffBody),
        (status = 404, description = "No such pack", body = comity_wire::api::ErrorBody),
        (status = 409, description = "A version's text no longer reads with this comity (`pack_unreadable`)", body = comity_wire::api::ErrorBody),
        (status = 422, description = "`from` or `to` names no version of the pack, two texts, or one whose text is not kept; or `to` is the first version and `from` is left out", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn diff(
    AxumState(app): AxumState<AppState>,
    MaybeAuthenticated(caller): MaybeAuthenticated,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<DiffParams>,
) -> Result<Json<PackDiffBody>, ApiError> {
    let compared =
        app.app.pack_diff(caller.as_ref(), &id, params.from.as_deref(), params.to.as_deref()).await?;
    Ok(Json(PackDiffBody::from(&compared.diff)))
}

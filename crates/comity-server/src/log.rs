//! The audit log over HTTP: the C2SP tlog-tiles static API under `/log/`, proofs under
//! `/v1/log/`, receipts on every answer that appends, and the checkpointer.
//!
//! The tiles are the log's public face (c2sp.org/tlog-tiles): any tlog client can fetch
//! `/log/checkpoint`, then `/log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`,
//! and recompute everything. A full tile never changes, so it is served as immutable.

use axum::{
    Json,
    extract::{Path, State as AxumState},
    http::header,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use comity_core::{LogRecord, LogSubject};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    error::ApiError,
    extract::Authenticated,
    extract::{QueryParams, RequestIdPath},
};

/// The log's name and key, for the routes that serve it.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The checkpoint origin line (c2sp.org/tlog-checkpoint), e.g. `comity.example.org/log`.
    pub origin: String,
    /// The verifier key, `origin+hash+base64`.
    pub verifier_key: String,
}

/// The log: its origin, verifier key, size and latest checkpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogInfo {
    pub origin: Option<String>,
    /// The key checkpoints are signed with, in the note format `name+hash+base64`.
    pub verifier_key: Option<String>,
    /// Entries in the log now (the latest checkpoint may sign fewer).
    pub size: u64,
    /// The latest signed checkpoint with any witness cosignatures, as served at `/log/checkpoint`.
    pub checkpoint: Option<String>,
}

/// Describes the log.
#[utoipa::path(get, path = "/v1/log", tag = "log", responses((status = 200, body = LogInfo)))]
pub async fn info(AxumState(app): AxumState<AppState>) -> Result<Json<LogInfo>, ApiError> {
    let size = app.app.store().log_size().await?;
    let checkpoint =
        app.app.served_checkpoint().await?.map(|note| String::from_utf8_lossy(&note).into_owned());
    Ok(Json(LogInfo {
        origin: app.log.as_ref().map(|l| l.origin.clone()),
        verifier_key: app.log.as_ref().map(|l| l.verifier_key.clone()),
        size,
        checkpoint,
    }))
}

/// The latest checkpoint (c2sp.org/tlog-checkpoint), signed as a C2SP signed note.
#[utoipa::path(
    get, path = "/log/checkpoint", tag = "log",
    responses(
        (status = 200, content_type = "text/plain; charset=utf-8", body = String),
        (status = 404, description = "No checkpoint has been signed yet", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn checkpoint(AxumState(app): AxumState<AppState>) -> Result<Response, ApiError> {
    let note = app.app.served_checkpoint().await?.ok_or_else(|| {
        ApiError::not_found("no checkpoint has been signed yet; one follows the first entry within a second")
    })?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], note)
        .into_response())
}

/// A hash tile or an entry bundle (c2sp.org/tlog-tiles).
#[utoipa::path(
    get, path = "/log/tile/{path}", tag = "log",
    params(("path" = String, Path, description = "`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, N in 3-digit groups (x001/x234/067)")),
    responses(
        (status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Not a tile path", body = comity_wire::api::ErrorBody),
        (status = 404, description = "The log does not hold that tile (yet)", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn tile(
    AxumState(app): AxumState<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let tile = app.app.tile(&path).await?;
    // A full tile never changes; a partial one never changes either, but is superseded.
    let cache = if tile.full { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)], tile.bytes)
        .into_response())
}

/// Where an inclusion proof is asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InclusionParams {
    /// The entry's index.
    index: u64,
    /// The size of the tree to prove it in: a checkpoint's size.
    size: u64,
}

/// A proof, hashes in base64 (RFC 9162 §2.1.3 and §2.1.4).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProofBody {
    /// The entry's index, for an inclusion proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The smaller tree, for a consistency proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u64>,
    /// The tree the proof leads to.
    pub size: u64,
    pub proof: Vec<String>,
}

/// The inclusion proof of an entry in a tree of a given size.
#[utoipa::path(
    get, path = "/v1/log/proof/inclusion", tag = "log", params(InclusionParams),
    responses(
        (status = 200, body = ProofBody),
        (status = 400, description = "The index is not inside the tree, or the tree is larger than the log", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn inclusion(
    AxumState(app): AxumState<AppState>,
    QueryParams(InclusionParams { index, size }): QueryParams<InclusionParams>,
) -> Result<Json<ProofBody>, ApiError> {
    let proof = app.app.inclusion_proof(index, size).await?;
    Ok(Json(ProofBody {
        index: Some(index),
        from: None,
        size,
        proof: proof.iter().map(|h| STANDARD.encode(h.0)).collect(),
    }))
}

/// Which trees a consistency proof is asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyParams {
    /// The smaller tree's size, at least 1.
    from: u64,
    /// The larger tree's size.
    to: u64,
}

/// The consistency proof between two sizes of the tree.
#[utoipa::path(
    get, path = "/v1/log/proof/consistency", tag = "log", params(ConsistencyParams),
    responses(
        (status = 200, body = ProofBody),
        (status = 400, description = "The sizes are not 1 <= from <= to <= the log's size", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn consistency(
    AxumState(app): AxumState<AppState>,
    QueryParams(ConsistencyParams { from, to }): QueryParams<ConsistencyParams>,
) -> Result<Json<ProofBody>, ApiError> {
    let proof = app.app.consistency_proof(from, to).await?;
    Ok(Json(ProofBody {
        index: None,
        from: Some(from),
        size: to,
        proof: proof.iter().map(|h| STANDARD.encode(h.0)).collect(),
    }))
}

/// One entry of a request's log, with what opens it: the public entry names the request
/// only by its tag and commits to the actor (issue 12), so those who may list a
/// request's entries get the salts that let them find and check each entry in the
/// public tiles (docs/log.md, "Checking your entries").
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogEntryResource {
    pub index: u64,
    /// The entry as hashed into the tree (`comity-log-entry/v2`, or v1 for entries
    /// written before version 2).
    pub entry: String,
    /// What it records: `event`, `screening`, `read.document`, ...
    pub subject: String,
    /// The event's or screening's number, for those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
    /// Who acted; a v2 entry commits to it without naming it.
    pub actor: String,
    /// The entry's salt, base64: its commitment is SHA-256(salt ‖ actor ‖ LF ‖ content)
    /// (v2) or SHA-256(salt ‖ content) (v1).
    pub salt: String,
    /// The request's salt, base64: a v2 entry's `request` line is
    /// SHA-256("comity-log-request/v2" ‖ 0x00 ‖ salt ‖ request id).
    pub request_salt: String,
}

impl LogEntryResource {
    fn new(r: &LogRecord, request_salt: &[u8; 32]) -> Self {
        let (subject, seq) = match &r.subject {
            LogSubject::Event { seq, .. } => ("event".to_owned(), Some(*seq)),
            LogSubject::Screening { seq, .. } => ("screening".to_owned(), Some(*seq)),
            LogSubject::Read { what, .. } => (format!("read.{}", what.as_str()), None),
            LogSubject::Party(_) => ("party".to_owned(), None),
            LogSubject::Checkpoint { .. } => ("checkpoint".to_owned(), None),
            LogSubject::Journal { .. } => ("journal".to_owned(), None),
        };
        // A v1 entry names its actor itself; a v2 one has it kept beside it.
        let actor = match &r.actor {
            Some(actor) => actor.as_str().to_owned(),
            None => comity_log::Entry::from_bytes(&r.entry)
                .ok()
                .and_then(|e| e.actor().map(str::to_owned))
                .unwrap_or_default(),
        };
        LogEntryResource {
            index: r.index,
            entry: String::from_utf8_lossy(&r.entry).into_owned(),
            subject,
            seq,
            actor,
            salt: STANDARD.encode(r.salt),
            request_salt: STANDARD.encode(request_salt),
        }
    }
}

/// A request's entries in the audit log: its events, screenings and every read of it.
#[utoipa::path(
    get, path = "/v1/requests/{id}/log", tag = "log",
    params(("id" = String, Path, description = "The request id")),
    responses(
        (status = 200, body = [LogEntryResource]),
        (status = 404, description = "No such request", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn request_log(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    RequestIdPath(id): RequestIdPath,
) -> Result<Json<Vec<LogEntryResource>>, ApiError> {
    let log = app.app.request_log(&caller, id).await?;
    Ok(Json(log.records.iter().map(|r| LogEntryResource::new(r, &log.log_salt)).collect()))
}

//! The audit log over HTTP: the C2SP tlog-tiles static API under `/log/`, proofs under
//! `/v1/log/`, receipts on every answer that appends, and the checkpointer.
//!
//! The tiles are the log's public face (c2sp.org/tlog-tiles): any tlog client can fetch
//! `/log/checkpoint`, then `/log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`,
//! and recompute everything. A full tile never changes, so it is served as immutable.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{Path, Query, State as AxumState, rejection::QueryRejection},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{SubsecRound, Utc};
use comity_core::{LogRecord, LogSubject, Read, ReadOf, RequestId, Store, StoreError};
use comity_log::{HashMapReader, LogKey, TilePath, hashes_needed};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{AppState, error::ApiError};

/// The response header naming the audit-log entries an answer appended.
pub const LOG_INDEX_HEADER: &str = "comity-log-index";

/// Sets `Comity-Log-Index: 12, 13` on an answer that appended entries 12 and 13.
pub fn receipt(response: &mut Response, indexes: &[u64]) {
    if indexes.is_empty() {
        return;
    }
    let list = indexes.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(LOG_INDEX_HEADER, value);
    }
}

/// Logs a read of a request's personal data by `caller`; the answer waits for it.
pub async fn read(
    store: &dyn Store,
    caller: &crate::auth::Caller,
    request_id: RequestId,
    what: ReadOf,
) -> Result<u64, ApiError> {
    let read = Read { request_id, what, actor: caller.actor(), at: Utc::now().trunc_subsecs(6) };
    Ok(store.log_read(&read).await?)
}

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
    let size = app.store.log_size().await?;
    let checkpoint =
        app.store.latest_checkpoint().await?.map(|c| String::from_utf8_lossy(&served(&c)).into_owned());
    Ok(Json(LogInfo {
        origin: app.log.as_ref().map(|l| l.origin.clone()),
        verifier_key: app.log.as_ref().map(|l| l.verifier_key.clone()),
        size,
        checkpoint,
    }))
}

/// A checkpoint's note with its witnesses' cosignature lines appended (c2sp.org/signed-note:
/// signature lines follow each other at the end).
fn served(c: &comity_core::StoredCheckpoint) -> Vec<u8> {
    let mut note = c.note.clone();
    for line in &c.cosignatures {
        note.extend_from_slice(line.trim_end().as_bytes());
        note.push(b'\n');
    }
    note
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
    let c = app.store.latest_checkpoint().await?.ok_or_else(|| {
        ApiError::not_found("no checkpoint has been signed yet; one follows the first entry within a second")
    })?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        served(&c),
    )
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
    let tile = TilePath::parse(&format!("tile/{path}")).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let size = app.store.log_size().await?;
    if !tile.exists_in(size) {
        return Err(ApiError::not_found(format!("the log of {size} entries does not hold {tile} yet")));
    }
    let body = if tile.is_entries() {
        let (first, count) = tile.entry_range();
        let records = app.store.log_records(first, u32::try_from(count).unwrap_or(u32::MAX)).await?;
        if records.len() as u64 != count {
            return Err(ApiError::internal(&StoreError::Corrupt(format!(
                "log_entries lacks entries of {tile}: found {} of {count}",
                records.len()
            ))));
        }
        comity_log::encode_bundle(records.iter().map(|r| r.entry.as_slice()))
            .map_err(|e| ApiError::internal(&e))?
    } else {
        let needed = hashes_needed(|r| comity_log::hash_tile(tile.tile(), r));
        let reader = read_hashes(app.store.as_ref(), &needed).await?;
        comity_log::hash_tile(tile.tile(), &reader).map_err(|e| ApiError::internal(&e))?
    };
    // A full tile never changes; a partial one never changes either, but is superseded.
    let cache = if tile.is_full() { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)], body)
        .into_response())
}

async fn read_hashes(store: &dyn Store, indexes: &[u64]) -> Result<HashMapReader, ApiError> {
    let hashes = store.log_hashes(indexes).await.map_err(|e| match e {
        StoreError::NotFound => {
            ApiError::internal(&StoreError::Corrupt("log_hashes lacks a hash of the tree".into()))
        }
        e => e.into(),
    })?;
    Ok(indexes.iter().copied().zip(hashes.into_iter().map(comity_log::Hash)).collect())
}

/// Where an inclusion proof is asked for.
#[derive(Debug, Deserialize, IntoParams)]
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
    params: Result<Query<InclusionParams>, QueryRejection>,
) -> Result<Json<ProofBody>, ApiError> {
    let Query(InclusionParams { index, size }) = params?;
    check_size(app.store.as_ref(), size).await?;
    if index >= size {
        return Err(ApiError::bad_request(format!("entry {index} is not in a tree of {size} entries")));
    }
    let needed = hashes_needed(|r| comity_log::inclusion_proof(index, size, r));
    let reader = read_hashes(app.store.as_ref(), &needed).await?;
    let proof = comity_log::inclusion_proof(index, size, &reader).map_err(|e| ApiError::internal(&e))?;
    Ok(Json(ProofBody {
        index: Some(index),
        from: None,
        size,
        proof: proof.iter().map(|h| STANDARD.encode(h.0)).collect(),
    }))
}

/// Which trees a consistency proof is asked for.
#[derive(Debug, Deserialize, IntoParams)]
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
    params: Result<Query<ConsistencyParams>, QueryRejection>,
) -> Result<Json<ProofBody>, ApiError> {
    let Query(ConsistencyParams { from, to }) = params?;
    check_size(app.store.as_ref(), to).await?;
    if from == 0 || from > to {
        return Err(ApiError::bad_request(format!(
            "a consistency proof needs 1 <= from <= to; got from={from}, to={to}"
        )));
    }
    let needed = hashes_needed(|r| comity_log::consistency_proof(from, to, r));
    let reader = read_hashes(app.store.as_ref(), &needed).await?;
    let proof = comity_log::consistency_proof(from, to, &reader).map_err(|e| ApiError::internal(&e))?;
    Ok(Json(ProofBody {
        index: None,
        from: Some(from),
        size: to,
        proof: proof.iter().map(|h| STANDARD.encode(h.0)).collect(),
    }))
}

async fn check_size(store: &dyn Store, size: u64) -> Result<(), ApiError> {
    let log = store.log_size().await?;
    if size > log {
        return Err(ApiError::bad_request(format!("the log holds {log} entries, fewer than {size}")));
    }
    Ok(())
}

/// One entry of a request's log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogEntryResource {
    pub index: u64,
    /// The entry as hashed into the tree (`comity-log-entry/v1`).
    pub entry: String,
    /// What it records: `event`, `screening`, `read`.
    pub subject: String,
    /// The event's or screening's number, for those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u32>,
}

impl From<&LogRecord> for LogEntryResource {
    fn from(r: &LogRecord) -> Self {
        let (subject, seq) = match &r.subject {
            LogSubject::Event { seq, .. } => ("event", Some(*seq)),
            LogSubject::Screening { seq, .. } => ("screening", Some(*seq)),
            LogSubject::Read { what, .. } => (what.as_str(), None),
            LogSubject::Party(_) => ("party", None),
            LogSubject::Checkpoint { .. } => ("checkpoint", None),
            LogSubject::Journal { .. } => ("journal", None),
        };
        let subject = if matches!(r.subject, LogSubject::Read { .. }) {
            format!("read.{subject}")
        } else {
            subject.to_owned()
        };
        LogEntryResource {
            index: r.index,
            entry: String::from_utf8_lossy(&r.entry).into_owned(),
            subject,
            seq,
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
    crate::auth::Authenticated(caller): crate::auth::Authenticated,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Vec<LogEntryResource>>, ApiError> {
    let id = crate::requests::parse_id(id)?;
    let hidden = || ApiError::not_found(format!("no request with id {id}"));
    let stored = app.store.request(id).await?.ok_or_else(hidden)?;
    // Its entries are public in the tiles anyway; auditors may list them for any request.
    let facts = crate::access::facts(&app, &stored).await?;
    let on = comity_access::On::Request(&facts);
    if !crate::access::allowed(&app, &caller, &comity_access::Action::ViewLogEntries, &on) {
        return Err(hidden());
    }
    let records = app.store.request_log(id).await?;
    Ok(Json(records.iter().map(LogEntryResource::from).collect()))
}

/// A witness the log hands each checkpoint to (c2sp.org/tlog-witness).
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// The witness's base URL; the log POSTs to `{url}/add-checkpoint`.
    pub url: String,
    /// The witness's cosignature verifier key (`name+hash+base64`, type 0x04).
    pub vkey: String,
}

impl WitnessConfig {
    /// Reads `URL=VKEY`.
    pub fn parse(text: &str) -> Result<WitnessConfig, String> {
        let (url, vkey) = text
            .split_once('=')
            .ok_or_else(|| format!("a witness is URL=VKEY, such as https://witness.example.org=witness.example.org+1234abcd+AQ..., not {text:?}"))?;
        let url = url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("the witness URL {url:?} must start with http:// or https://"));
        }
        let vkey = vkey.trim().to_owned();
        // name+hash+base64, split from the left: the base64 may itself hold a '+'.
        let mut parts = vkey.splitn(3, '+');
        let well_formed = matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(name), Some(hash), Some(key))
                if !name.is_empty() && hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                    && STANDARD.decode(key).is_ok_and(|k| k.len() == 33)
        );
        if !well_formed {
            return Err(format!(
                "{vkey:?} is not a witness verifier key (name+hash+base64); `comity witness key` prints it"
            ));
        }
        Ok(WitnessConfig { url, vkey })
    }
}

/// The log's side of the witness protocol: what each witness last cosigned, as far as
/// this process knows (a witness that knows better says so with a 409).
#[derive(Debug)]
struct Witnesses {
    client: reqwest::Client,
    known: Vec<(WitnessConfig, u64)>,
}

impl Witnesses {
    /// Hands checkpoint `c` to every witness and keeps the cosignatures that verify;
    /// true if a witness answered with its own size, so that a second try can prove from it.
    async fn submit(&mut self, store: &dyn Store, c: &comity_core::StoredCheckpoint) -> bool {
        let mut retry = false;
        for i in 0..self.known.len() {
            let (witness, old) = self.known[i].clone();
            match submit_one(&self.client, store, &witness, old, c).await {
                Ok(line) => {
                    self.known[i].1 = c.size;
                    if let Err(e) = store.add_cosignature(c.seq, &line).await {
                        tracing::warn!(witness = %witness.url, error = %e, "could not keep a cosignature");
                    }
                }
                Err(Refused::Behind(size)) => {
                    retry |= size != old;
                    self.known[i].1 = size;
                }
                Err(Refused::Other(why)) => {
                    tracing::warn!(witness = %witness.url, size = c.size, error = %why, "a witness did not cosign");
                }
            }
        }
        retry
    }
}

enum Refused {
    /// The witness has cosigned another size (409): the next attempt proves from there.
    Behind(u64),
    Other(String),
}

async fn submit_one(
    client: &reqwest::Client,
    store: &dyn Store,
    witness: &WitnessConfig,
    old: u64,
    c: &comity_core::StoredCheckpoint,
) -> Result<String, Refused> {
    let other = |e: &dyn std::fmt::Display| Refused::Other(e.to_string());
    // The witness keeps the largest size it cosigned; proving from a smaller one is refused.
    let old = old.min(c.size);
    let proof = if old == 0 || old == c.size {
        Vec::new()
    } else {
        let needed = hashes_needed(|r| comity_log::consistency_proof(old, c.size, r));
        let reader = read_hashes(store, &needed).await.map_err(|e| Refused::Other(format!("{e:?}")))?;
        comity_log::consistency_proof(old, c.size, &reader).map_err(|e| other(&e))?
    };
    let body = comity_log::encode_add_checkpoint(old, &proof, &c.note);
    let response = client
        .post(format!("{}/add-checkpoint", witness.url))
        .body(body)
        .send()
        .await
        .map_err(|e| other(&e))?;
    let status = response.status();
    let text = response.bytes().await.map_err(|e| other(&e))?;
    if status == reqwest::StatusCode::CONFLICT
        && let Ok(size) = comity_log::parse_tlog_size(&text)
    {
        // Prove from the witness's size next time, at once if it is behind us.
        return Err(Refused::Behind(size));
    }
    if !status.is_success() {
        return Err(Refused::Other(format!("{status}: {}", String::from_utf8_lossy(&text).trim())));
    }
    let cosigned =
        comity_log::add_cosignatures(&c.note, &text, &[witness.vkey.as_str()]).map_err(|e| other(&e))?;
    // Keep the witness's line: what `add_cosignatures` appended to the note.
    let line = String::from_utf8_lossy(&cosigned[c.note.len()..]).trim().to_owned();
    comity_log::verify_cosignature(&cosigned, &witness.vkey).map_err(|e| other(&e))?;
    Ok(line)
}

/// The store's checkpoint signer for the log `origin`.
fn signer(key: LogKey, origin: String) -> Arc<comity_core::CheckpointSigner> {
    Arc::new(move |size, root| key.sign(&origin, size, comity_log::Hash(*root)).map_err(|e| e.to_string()))
}

/// Signs a new checkpoint whenever the log has grown, at most once per `interval`, and
/// hands each to the witnesses. Runs until the process ends.
pub fn spawn_checkpointer(
    store: Arc<dyn Store>,
    key: LogKey,
    origin: String,
    interval: Duration,
    witnesses: Vec<WitnessConfig>,
) -> tokio::task::JoinHandle<()> {
    let sign = signer(key, origin);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
    let mut witnesses = Witnesses { client, known: witnesses.into_iter().map(|w| (w, 0)).collect() };
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match store.checkpoint(sign.clone()).await {
                Ok(Some(c)) => {
                    tracing::debug!(size = c.size, seq = c.seq, "checkpoint signed");
                    // A witness that answered with its own size gets the same checkpoint
                    // again at once, proven from there.
                    if witnesses.submit(store.as_ref(), &c).await {
                        witnesses.submit(store.as_ref(), &c).await;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "signing a checkpoint failed; retrying at the next tick")
                }
            }
        }
    })
}

/// Signs a checkpoint now if the log grew: for a clean shutdown, so that no entry is left
/// unsigned.
pub async fn checkpoint_now(
    store: &dyn Store,
    key: &LogKey,
    origin: &str,
) -> Result<Option<u64>, StoreError> {
    let sign = signer(key.clone(), origin.to_owned());
    Ok(store.checkpoint(sign).await?.map(|c| c.size))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression test: a key whose base64 holds a '+' was refused (found by CI).
    #[test]
    fn every_witness_key_is_accepted_and_nonsense_is_not() {
        let mut with_plus = 0;
        for _ in 0..200 {
            let key = comity_log::WitnessKey::generate("witness.example.org/w1").unwrap();
            let vkey = key.verifier_key();
            with_plus += usize::from(vkey.matches('+').count() > 2);
            let parsed = WitnessConfig::parse(&format!("http://127.0.0.1:9/={vkey}")).unwrap();
            assert_eq!((parsed.url.as_str(), parsed.vkey.as_str()), ("http://127.0.0.1:9", vkey));
        }
        assert!(with_plus > 0, "200 keys should include some whose base64 holds a '+'");
        for bad in [
            "http://w",
            "ftp://w=a+01234567+AA==",
            "http://w=a+xyz+AA==",
            "http://w=a+01234567+!!",
            "http://w=+01234567+AA==",
        ] {
            assert!(WitnessConfig::parse(bad).is_err(), "accepted {bad}");
        }
    }
}

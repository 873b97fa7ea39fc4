//! The auditor against a static C2SP tlog-tiles publication: tiles and checkpoints written
//! with `comity_log` at their C2SP paths, served over real HTTP by a file server that knows
//! nothing of comity.
#![allow(clippy::unwrap_used)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use comity_auditor::{Error, Progress, RemoteLog, check_checkpoint};
use comity_log::{
    Entry, LogKey, encode_bundle,
    testing::{self, sample_entries},
};

const ORIGIN: &str = "comity.example/log";

/// Files by path under `/log/`, served with 200, or 404; `fail` answers 500 for one path.
#[derive(Clone, Default)]
struct Files {
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    fail: Arc<Mutex<Option<String>>>,
}

impl Files {
    fn put(&self, path: String, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(path, bytes);
    }

    fn remove(&self, path: &str) {
        assert!(self.files.lock().unwrap().remove(path).is_some(), "no file {path}");
    }
}

async fn file(State(files): State<Files>, Path(path): Path<String>) -> Response {
    if files.fail.lock().unwrap().as_deref() == Some(path.as_str()) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match files.files.lock().unwrap().get(&path) {
        Some(bytes) => bytes.clone().into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves `files` at `http://127.0.0.1:<port>/log/`; returns that base URL.
async fn serve(files: Files) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/log/{*path}", get(file)).with_state(files);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/log")
}

/// Publishes the first `size` entries and the checkpoint of `checkpoint_size` into
/// `files`; returns the signed checkpoint.
fn publish(files: &Files, key: &LogKey, entries: &[Vec<u8>], size: u64, checkpoint_size: u64) -> Vec<u8> {
    testing::publish(key, ORIGIN, entries, size, checkpoint_size, |path, bytes| files.put(path, bytes))
}

#[tokio::test]
async fn an_honest_log_verifies_reports_progress_and_stays_consistent() {
    let files = Files::default();
    let key = LogKey::generate(ORIGIN);
    let note = publish(&files, &key, &sample_entries(700, None), 700, 700);
    let log = RemoteLog::new(&serve(files.clone()).await).unwrap();

    let mut seen = Vec::new();
    let report = log.verify(key.verifier_key(), None, |p| seen.push(p)).await.unwrap();
    assert_eq!((report.verified.origin.as_str(), report.verified.size), (ORIGIN, 700));
    assert_eq!(report.verified.consistent_with, None);
    assert_eq!(report.checkpoint, note, "the checkpoint as served, to keep");
    let verified: Vec<u64> = seen.iter().map(|p| p.verified).collect();
    assert_eq!(verified, [256, 512, 700], "one call per data tile");
    assert!(seen.iter().all(|p| p.total == 700));

    // The log grows (and deletes a partial tile, as logs may): still a prefix.
    let earlier = check_checkpoint(&report.checkpoint, key.verifier_key(), "the saved checkpoint").unwrap();
    publish(&files, &key, &sample_entries(1000, None), 1000, 1000);
    files.remove("tile/entries/002.p/188");
    let report = log.verify(key.verifier_key(), Some(&earlier), |_| {}).await.unwrap();
    assert_eq!((report.verified.size, report.verified.consistent_with), (1000, Some(700)));

    // A fork shown to someone earlier, signed with the same key: a discrepancy.
    let forked_files = Files::default();
    let forked = publish(&forked_files, &key, &sample_entries(300, Some(3)), 300, 300);
    let forked = check_checkpoint(&forked, key.verifier_key(), "the forked checkpoint").unwrap();
    let err = log.verify(key.verifier_key(), Some(&forked), |_| {}).await.unwrap_err();
    assert!(err.is_discrepancy(), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "the log is not consistent with the earlier checkpoint: its first 300 entries have root "
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_checkpoint_behind_the_tiles_reads_partial_tiles_from_full_ones() {
    let files = Files::default();
    let key = LogKey::generate(ORIGIN);
    let all = sample_entries(768, None);
    publish(&files, &key, &all, 600, 600);
    publish(&files, &key, &all, 768, 600);
    files.remove("tile/entries/002.p/88");
    files.remove("tile/0/002.p/88");
    let log = RemoteLog::new(&serve(files.clone()).await).unwrap();
    let report = log.verify(key.verifier_key(), None, |_| {}).await.unwrap();
    assert_eq!(report.verified.size, 600);

    // Without the full tile either, the error names both URLs.
    files.remove("tile/entries/002");
    let err = log.verify(key.verifier_key(), None, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::TileGone { .. }) && !err.is_discrepancy(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "GET {0}: 404 Not Found, and GET {1}: 404 Not Found",
            log.url("tile/entries/002.p/88"),
            log.url("tile/entries/002")
        )
    );
}

#[tokio::test]
async fn tampering_is_a_discrepancy_and_a_missing_or_failing_tile_is_not() {
    let files = Files::default();
    let key = LogKey::generate(ORIGIN);
    let mut all = sample_entries(700, None);
    publish(&files, &key, &all, 700, 700);
    let log = RemoteLog::new(&serve(files.clone()).await).unwrap();

    // Entry 300 rewritten after the fact, still a valid entry: the hash tile disagrees.
    let text = String::from_utf8(all[300].clone()).unwrap();
    all[300] = text.replace("actor: comity", "actor: comitY").into_bytes();
    files.put("tile/entries/001".into(), encode_bundle(all[256..512].iter().map(Vec::as_slice)).unwrap());
    let err = log.verify(key.verifier_key(), None, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::Audit(_)) && err.is_discrepancy(), "{err:?}");
    assert!(err.to_string().starts_with("tile tile/0/001 differs from the entries at hash 44 (entry 300)"));

    // A checkpoint signed by another key: a discrepancy naming the checkpoint's URL.
    let other = LogKey::generate(ORIGIN);
    let err = log.verify(other.verifier_key(), None, |_| {}).await.unwrap_err();
    assert!(err.is_discrepancy(), "{err:?}");
    assert!(err.to_string().starts_with(&format!("the checkpoint at {}: ", log.url("checkpoint"))), "{err}");
    // Not a key at all: the caller's mistake.
    let err = log.verify("not a key", None, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::Key(_)) && !err.is_discrepancy(), "{err:?}");

    // A missing tile, or a server error: the audit could not be done.
    files.remove("tile/entries/000");
    let err = log.verify(key.verifier_key(), None, |_| {}).await.unwrap_err();
    assert!(!err.is_discrepancy(), "{err:?}");
    assert_eq!(err.to_string(), format!("GET {}: 404 Not Found", log.url("tile/entries/000")));
    *files.fail.lock().unwrap() = Some("checkpoint".into());
    let err = log.verify(key.verifier_key(), None, |_| {}).await.unwrap_err();
    assert!(!err.is_discrepancy(), "{err:?}");
    assert_eq!(err.to_string(), format!("GET {}: 500 Internal Server Error", log.url("checkpoint")));
}

#[tokio::test]
async fn the_sample_is_the_librarys_drawn_from_verified_entries() {
    let files = Files::default();
    let key = LogKey::generate(ORIGIN);
    let all = sample_entries(1000, None);
    // The log has grown to 1000 entries; the sample is of the checkpoint at 600.
    let note = publish(&files, &key, &all, 1000, 600);
    publish(&files, &key, &all, 1000, 1000);
    let log = RemoteLog::new(&serve(files.clone()).await).unwrap();
    let checkpoint = check_checkpoint(&note, key.verifier_key(), "the checkpoint").unwrap();

    let mut calls = 0;
    let sample = log.sample(&checkpoint, 5, |_: Progress| calls += 1).await.unwrap();
    assert_eq!(calls, 3);
    let mut requests: Vec<String> = Vec::new();
    for e in &all[..600] {
        if let Some(r) = Entry::from_bytes(e).unwrap().request()
            && !requests.iter().any(|x| x == r)
        {
            requests.push(r.to_owned());
        }
    }
    assert_eq!(sample.verified.requests, requests);
    assert_eq!(sample.drawn, comity_log::sample(checkpoint.hash(), 600, &requests, 5));
    assert_eq!(log.sample(&checkpoint, 5, |_| {}).await.unwrap(), sample, "the same every time");

    // A checkpoint the entries do not give is refused before anything is drawn.
    let forged = key.sign(ORIGIN, 600, comity_log::Hash([9u8; 32])).unwrap();
    let forged = check_checkpoint(&forged, key.verifier_key(), "the forged checkpoint").unwrap();
    let err = log.sample(&forged, 5, |_| {}).await.unwrap_err();
    assert!(err.is_discrepancy(), "{err:?}");
    assert!(err.to_string().starts_with("the tree of 600 entries has root "), "{err}");
}

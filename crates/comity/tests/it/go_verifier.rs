//! Go's own transparency-log code verifies a comity log (issue 12: the log's entries
//! changed to name nobody in the clear, and must still verify with tools nobody at comity
//! wrote). `tests/interop/go/verifylog` checks the checkpoint with
//! `golang.org/x/mod/sumdb/note` and the tiles, the root and an inclusion proof of every
//! entry with `golang.org/x/mod/sumdb/tlog`, against the real `comity serve`.
//!
//! It needs `go` and Debian's `golang-golang-x-mod-dev` (`apt-get install golang-go
//! golang-golang-x-mod-dev`), built in GOPATH mode, with no module proxy. Without them the
//! test prints `SKIPPED (Go interop)` and passes, unless `COMITY_REQUIRE_GO=1`, as CI sets.

use std::{path::PathBuf, process::Command, time::Duration};

use serde_json::Value;

use crate::support::{Data, Server, Trust, example};

const ORIGIN: &str = "comity.test/log";

/// Where Debian puts golang.org/x/mod for GOPATH builds; `COMITY_GOPATH` overrides it.
fn gopath() -> String {
    std::env::var("COMITY_GOPATH").unwrap_or_else(|_| "/usr/share/gocode".to_owned())
}

/// Builds `verifylog`, or says loudly why not (and fails where CI requires it).
fn verifylog() -> Option<PathBuf> {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/go/verifylog");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go");
    let binary = out_dir.join("verifylog");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath())
        .env("GOCACHE", out_dir.join("cache"))
        .env("GOFLAGS", "")
        .output();
    let why_not = match built {
        Ok(o) if o.status.success() => return Some(binary),
        Ok(o) => format!("go build failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => format!("`go` did not run: {e}"),
    };
    assert!(
        std::env::var("COMITY_REQUIRE_GO").as_deref() != Ok("1"),
        "COMITY_REQUIRE_GO=1 but the Go verifier cannot be built: {why_not} \
         (apt-get install golang-go golang-golang-x-mod-dev)"
    );
    eprintln!(
        "\n!!! SKIPPED (Go interop): {why_not}; run `apt-get install golang-go golang-golang-x-mod-dev` to run it\n"
    );
    None
}

fn run(binary: &PathBuf, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_sumdb_verifies_the_log_and_refuses_a_forged_checkpoint() {
    let Some(verifylog) = verifylog() else { return };
    let data = Data::sqlite();
    let server = Server::start(&data, &["--log-origin", ORIGIN]);
    let trust = Trust::setup(&server, &data).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    for _ in 0..3 {
        let r = trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap();
        let read = client.get(server.url(&format!("/v1/requests/{id}"))).bearer_auth(&trust.handler).send();
        assert_eq!(read.await.unwrap().status().as_u16(), 200);
    }
    // The server signs a checkpoint within a second of the log growing; wait for it,
    // boundedly.
    let info = server.signed_log_info(&client).await;
    let size = info["size"].as_u64().unwrap();
    let vkey = info["verifier_key"].as_str().unwrap().to_owned();
    let base = server.url("/log");

    let (ok, text) = run(&verifylog, &[&base, &vkey]);
    assert!(ok, "Go's sumdb/tlog refused the log: {text}");
    assert_eq!(text.trim(), format!("verified {size} entries"));

    // A checkpoint changed after signing is refused by its signature.
    let checkpoint = info["checkpoint"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let forged = dir.path().join("forged");
    let shorter = checkpoint.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size - 1), 1);
    std::fs::write(&forged, shorter).unwrap();
    let (ok, text) = run(&verifylog, &["-checkpoint", forged.to_str().unwrap(), &base, &vkey]);
    assert!(!ok && text.contains("signature"), "a changed checkpoint passed: {text}");
    // One signed with the log's own key over another root is refused by the entries.
    let Data::Sqlite(data_dir) = &data else { unreachable!() };
    let signer = std::fs::read_to_string(data_dir.path().join("log-key")).unwrap();
    let key = comity_log::LogKey::from_signer_key(signer.trim()).unwrap();
    std::fs::write(&forged, key.sign(ORIGIN, size, comity_log::Hash([7; 32])).unwrap()).unwrap();
    let (ok, text) = run(&verifylog, &["-checkpoint", forged.to_str().unwrap(), &base, &vkey]);
    assert!(!ok && text.contains("but the checkpoint signs"), "a checkpoint of another tree passed: {text}");
    // And another log's key is not this log's.
    let other = comity_log::LogKey::generate(ORIGIN);
    let (ok, text) = run(&verifylog, &[&base, other.verifier_key()]);
    assert!(!ok, "another key verified the log: {text}");
}

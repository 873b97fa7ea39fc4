//! `comity witness serve` as a log talks to it: real process, real HTTP, real restarts.

use std::{path::Path, process::Command, time::Duration};

use comity_log::{
    LogKey, MemoryTree, TLOG_SIZE_CONTENT_TYPE, add_cosignatures, encode_add_checkpoint, parse_tlog_size,
    verify_checkpoint, verify_cosignature,
};

use crate::support::{BIN, Server};

const ORIGIN: &str = "comity.test/log";
const NAME: &str = "witness.test/w1";

/// A running `comity witness serve`.
struct Witness(Server);

impl Witness {
    fn start(dir: &Path, logs: &[String]) -> Witness {
        let mut cmd = Command::new(BIN);
        cmd.args(["witness", "serve", "--listen", "127.0.0.1:0", "--name", NAME, "--state-dir"])
            .arg(dir)
            .env_remove("COMITY_WITNESS_LOGS");
        for log in logs {
            cmd.args(["--log", log]);
        }
        Witness(Server::spawn(cmd, "comity witness serve", "comity witness listening on "))
    }

    /// POSTs an add-checkpoint body: status, content type, body.
    async fn add(&self, body: Vec<u8>) -> (u16, String, String) {
        let response =
            reqwest::Client::new().post(self.0.url("/add-checkpoint")).body(body).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    fn kill9(self) {
        self.0.kill9();
    }
}

fn tree(n: u64, rewrite: Option<u64>) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        let entry = if Some(i) == rewrite { format!("rewritten {i}\n") } else { format!("entry {i}\n") };
        t.append(entry.as_bytes());
    }
    t
}

/// The add-checkpoint body for the tree `t` at `size`, proven from `old`.
fn body(key: &LogKey, t: &MemoryTree, old: u64, size: u64) -> (Vec<u8>, Vec<u8>) {
    let note = key.sign(ORIGIN, size, t.root(size).unwrap()).unwrap();
    let proof = if old == 0 || old == size { vec![] } else { t.prove_consistency(old, size).unwrap() };
    (encode_add_checkpoint(old, &proof, &note), note)
}

fn witness_key(dir: &Path) -> String {
    let out = Command::new(BIN).args(["witness", "key", "--state-dir"]).arg(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn witness_cosigns_a_growing_log_refuses_a_fork_and_remembers_it_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let log = LogKey::generate(ORIGIN);
    let logs = vec![format!("{ORIGIN}={}", log.verifier_key())];
    let honest = tree(40, None);
    let forked = tree(40, Some(3));

    let witness = Witness::start(&state, &logs);
    let vkey = witness_key(&state);
    assert!(vkey.starts_with(&format!("{NAME}+")), "{vkey}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.join("witness.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The first checkpoint, from old 0: cosigned, and the cosignature verifies with the
    // key `comity witness key` prints.
    let (request, note) = body(&log, &honest, 0, 10);
    let (status, _, answer) = witness.add(request).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.starts_with(&format!("— {NAME} ")) && answer.ends_with('\n'), "{answer}");
    let cosigned = add_cosignatures(&note, answer.as_bytes(), &[&vkey]).unwrap();
    let time = verify_cosignature(&cosigned, &vkey).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(time <= now && now - time < 120, "{time} vs {now}");
    verify_checkpoint(&cosigned, log.verifier_key()).unwrap();

    // Grown and consistent: cosigned.
    let (status, _, answer) = witness.add(body(&log, &honest, 10, 25).0).await;
    assert_eq!(status, 200, "{answer}");

    // A stale old size: 409 with the witness's size.
    let (status, content_type, answer) = witness.add(body(&log, &honest, 10, 30).0).await;
    assert_eq!((status, content_type.as_str()), (409, TLOG_SIZE_CONTENT_TYPE), "{answer}");
    assert_eq!(parse_tlog_size(answer.as_bytes()), Ok(25));

    // The forked log: same size another root (409), or grown with its own proof (422).
    let (status, content_type, answer) = witness.add(body(&log, &forked, 25, 25).0).await;
    assert_eq!(status, 409, "{answer}");
    assert_ne!(content_type, TLOG_SIZE_CONTENT_TYPE);
    let (status, _, answer) = witness.add(body(&log, &forked, 25, 40).0).await;
    assert_eq!(status, 422, "{answer}");

    // Signed by a key the witness does not trust: 403. Another origin: 404.
    let impostor = LogKey::generate(ORIGIN);
    let (status, _, answer) = witness.add(body(&impostor, &honest, 25, 40).0).await;
    assert_eq!(status, 403, "{answer}");
    let stranger = LogKey::generate("elsewhere.test/log");
    let note = stranger.sign("elsewhere.test/log", 5, honest.root(5).unwrap()).unwrap();
    let (status, _, answer) = witness.add(encode_add_checkpoint(0, &[], &note)).await;
    assert_eq!(status, 404, "{answer}");

    // Garbage is a plain-text 400, never a 500.
    for garbage in [b"".to_vec(), b"old x\n\nnothing".to_vec(), vec![0xff; 100], b"old 25\n\n\n\n".to_vec()] {
        let (status, content_type, answer) = witness.add(garbage).await;
        assert_eq!(status, 400, "{answer}");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert!(!answer.is_empty());
    }

    // kill -9, restart: the witness still knows size 25 and its root.
    witness.kill9();
    let witness = Witness::start(&state, &logs);
    assert_eq!(witness_key(&state), vkey, "the key is reused");
    let (status, _, answer) = witness.add(body(&log, &forked, 25, 40).0).await;
    assert_eq!(status, 422, "{answer}");
    let (status, _, answer) = witness.add(body(&log, &forked, 0, 40).0).await;
    assert_eq!((status, parse_tlog_size(answer.as_bytes())), (409, Ok(25)));
    let (status, _, answer) = witness.add(body(&log, &honest, 25, 40).0).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn witness_serializes_concurrent_requests_for_one_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogKey::generate(ORIGIN);
    let witness = Witness::start(dir.path(), &[format!("{ORIGIN}={}", log.verifier_key())]);
    let t = tree(64, None);
    let (status, _, _) = witness.add(body(&log, &t, 0, 8).0).await;
    assert_eq!(status, 200);
    // Many requests from old 8 at once: exactly one is cosigned, the others see 409.
    let requests = (9..=24).map(|size| witness.add(body(&log, &t, 8, size).0));
    let answers = futures_join_all(requests).await;
    let ok = answers.iter().filter(|(s, _, _)| *s == 200).count();
    assert_eq!(ok, 1, "{answers:?}");
    assert!(answers.iter().all(|(s, _, _)| *s == 200 || *s == 409), "{answers:?}");
}

/// Runs futures concurrently (tokio has no join_all; futures is not a dependency).
async fn futures_join_all<F: std::future::Future<Output = T> + Send, T: Send>(
    futures: impl Iterator<Item = F>,
) -> Vec<T> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut results: Vec<Option<T>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in pinned.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *result = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

#[test]
fn witness_key_needs_a_name_to_create_one_and_refuses_a_log_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).args(["witness", "key", "--state-dir"]).arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    let out = Command::new(BIN)
        .args(["witness", "key", "--name", NAME, "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A bad --log is refused at start with a clear message.
    let out = Command::new(BIN)
        .args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--name",
            NAME,
            "--log",
            "no-key",
            "--state-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ORIGIN=VKEY"));
}

/// The log side: `comity serve --witness URL=VKEY` hands each new checkpoint to the
/// witness, proves each later one consistent with what it cosigned, and serves the
/// cosigned checkpoint, which `comity log verify --url` still accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_submits_every_checkpoint_and_serves_the_cosignature() {
    use crate::support::{Data, Server, Trust, comity, example};
    const LOG: &str = "comity.test/witnessed";
    let data = Data::sqlite();
    let Data::Sqlite(data_dir) = &data else { unreachable!() };
    crate::support::init(&data, LOG);
    let out = comity(
        &["log", "key", "--data-dir", &data_dir.path().display().to_string(), "--log-origin", LOG],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log_vkey = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let state = tempfile::tempdir().unwrap();
    let witness = Witness::start(state.path(), &[format!("{LOG}={log_vkey}")]);
    let witness_vkey = witness_key(state.path());

    let server = Server::start(
        &data,
        &["--log-origin", LOG, "--witness", &format!("{}={witness_vkey}", witness.0.base)],
    );
    let trust = Trust::setup(&server, &data).await;
    let client = reqwest::Client::new();
    let mut cosigned_sizes = Vec::new();
    for round in 0..2 {
        let r = trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await;
        assert_eq!(r.status().as_u16(), 201);
        let size_now: u64 = {
            let info: serde_json::Value =
                client.get(server.url("/v1/log")).send().await.unwrap().json().await.unwrap();
            info["size"].as_u64().unwrap()
        };
        let mut found = None;
        for _ in 0..100 {
            let r = client.get(server.url("/log/checkpoint")).send().await.unwrap();
            // The parties were registered a moment ago, on an empty log: its first
            // checkpoint may not be signed yet.
            if r.status().as_u16() == 404 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let note = r.bytes().await.unwrap();
            let body = comity_log::verify_checkpoint(&note, &log_vkey).unwrap();
            if body.size() > size_now && comity_log::verify_cosignature(&note, &witness_vkey).is_ok() {
                found = Some(body.size());
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let size = found.unwrap_or_else(|| panic!("round {round}: no cosigned checkpoint past {size_now}"));
        cosigned_sizes.push(size);
    }
    assert!(cosigned_sizes[1] > cosigned_sizes[0], "the second checkpoint was proven from the first");
    let out = comity(&["log", "verify", "--url", &server.url("/log"), "--vkey", &log_vkey], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

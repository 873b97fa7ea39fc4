//! The audit log end to end, as an operator and an auditor meet it: `comity serve` signs
//! checkpoints on its own; `comity log key` names the key; `comity log verify --url` and
//! `comity audit sample` check the published log; after a clean stop, `comity log verify
//! --data-dir` checks the store, and catches an edit made behind comity's back.

use std::time::Duration;

use serde_json::Value;
use sqlx::Connection;

use crate::support::{Data, Server, Trust, comity, example, register_parties};

const ORIGIN: &str = "comity.test/log";

fn text(out: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Stops the server as `systemctl stop` would, and waits for it to finish.
pub(crate) fn stop(mut server: Server) {
    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "comity serve exited with {status}");
}

async fn the_log_verifies_inside_and_out_and_an_edit_is_caught(data: Data) {
    let server = Server::start(&data, &["--log-origin", ORIGIN]);
    let trust = Trust::setup(&server, &data).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await;
        assert_eq!(r.status().as_u16(), 201);
        let body: Value = r.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let r =
        client.get(server.url(&format!("/v1/requests/{}", ids[0]))).bearer_auth(&trust.handler).send().await;
    assert_eq!(r.unwrap().status().as_u16(), 200);

    // The server signs a checkpoint within a second of the log growing.
    let info = server.signed_log_info(&client).await;
    let size = info["size"].as_u64().unwrap();
    assert!(info["checkpoint"].as_str().unwrap().starts_with(&format!("{ORIGIN}\n{size}\n")), "{info}");

    let dir = match &data {
        Data::Sqlite(dir) | Data::Postgres(_, dir) => dir.path().display().to_string(),
    };
    let out = comity(&["log", "key", "--data-dir", &dir, "--log-origin", ORIGIN], None);
    let (vkey, err) = text(&out);
    assert!(out.status.success(), "{err}");
    let vkey = vkey.trim().to_owned();
    assert_eq!(vkey, info["verifier_key"].as_str().unwrap());
    assert!(vkey.starts_with(&format!("{ORIGIN}+")));

    // From outside: only the URL and the key.
    let saved = tempfile::NamedTempFile::new().unwrap();
    let saved_path = saved.path().display().to_string();
    let base = server.url("/log");
    let out = comity(&["log", "verify", "--url", &base, "--vkey", &vkey, "--save", &saved_path], None);
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{stdout}{err}");
    assert!(stdout.contains(&format!("has {size} entries")), "{stdout}");
    let out = comity(
        &["audit", "sample", "--checkpoint", &saved_path, "--url", &base, "--vkey", &vkey, "--n", "2"],
        None,
    );
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{err}");
    let drawn: Vec<&str> = stdout.lines().collect();
    assert_eq!(drawn.len(), 2);
    // The public log names requests by their tags (issue 12); whoever may list a request's
    // entries gets its salt, and so its tag.
    let mut tags = Vec::new();
    for id in &ids {
        let log = server.get_json(&client, &format!("/v1/requests/{id}/log"), &trust.handler).await;
        let salt = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            log[0]["request_salt"].as_str().unwrap(),
        )
        .unwrap();
        let salt = comity_log::Salt(salt.try_into().unwrap());
        tags.push(comity_log::RequestTag::new(&salt, id).to_string());
    }
    assert!(drawn.iter().all(|d| tags.iter().any(|t| t == d)), "{drawn:?} not among {tags:?}");

    // A clean stop signs what is left; the store then checks against its own log.
    let r = client
        .get(server.url(&format!("/v1/requests/{}/events", ids[1])))
        .bearer_auth(&trust.handler)
        .send()
        .await;
    assert_eq!(r.unwrap().status().as_u16(), 200);
    stop(server);
    let out = comity(&["log", "verify", "--log-origin", ORIGIN], Some(&data));
    let (stdout, err) = text(&out);
    assert!(out.status.success(), "{stdout}{err}");
    assert!(stdout.starts_with("verified: "), "{stdout}");
    let entries: u64 = stdout["verified: ".len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(
        stdout.contains(&format!(
            "the latest checkpoint signs {entries} entries; 0 requests' documents shredded"
        )),
        "{stdout}"
    );
    let out = comity(&["log", "verify", "--log-origin", "comity.test/other"], Some(&data));
    assert_eq!(out.status.code(), Some(2), "another origin is a usage error: {}", text(&out).1);

    // An operator rewrites a reason behind comity's back, guards and all.
    let edit = match &data {
        Data::Sqlite(dir) => {
            let url = format!("sqlite://{}", dir.path().join(comity_store::DATABASE_FILE).display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(
                "DROP TRIGGER events_no_update; UPDATE events SET reason = 'approved by phone' WHERE seq = 2",
            )
            .execute(&mut conn)
            .await
            .unwrap()
            .rows_affected()
        }
        Data::Postgres(db, _) => {
            let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
            sqlx::raw_sql(
                "ALTER TABLE events DISABLE TRIGGER USER; UPDATE events SET reason = 'approved by phone' WHERE seq = 2",
            )
            .execute(&mut conn)
            .await
            .unwrap()
            .rows_affected()
        }
    };
    assert_eq!(edit, 3);
    let out = comity(&["log", "verify", "--log-origin", ORIGIN], Some(&data));
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{err}");
    assert!(
        err.contains("discrepancy: entry") && err.contains("does not commit to the stored event 2"),
        "{err}"
    );
}

crate::both_databases!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    the_log_verifies_inside_and_out_and_an_edit_is_caught,
);

/// A server with a key that did not sign the log's checkpoints refuses to start, so a
/// lost or mismatched key file never forks the log's signatures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_key_refuses_to_sign_the_log() {
    let data = Data::sqlite();
    crate::support::init(&data, ORIGIN);
    register_parties(&data);
    let server = Server::start(&data, &["--log-origin", ORIGIN]);
    stop(server); // the clean stop signs a checkpoint over the registrations
    let Data::Sqlite(dir) = &data else { unreachable!() };
    std::fs::remove_file(dir.path().join("log-key")).unwrap();
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--log-origin", ORIGIN];
    let data_args = data.args();
    args.extend(data_args.iter().map(String::as_str));
    let out = std::process::Command::new(crate::support::BIN).args(&args).output().unwrap();
    let (_, err) = text(&out);
    assert!(!out.status.success());
    assert!(err.contains("were not signed by the key in") && err.contains("log-key"), "{err}");
}

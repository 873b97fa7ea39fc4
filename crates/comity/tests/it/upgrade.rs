//! A data directory from before issue 12 keeps starting and verifying: its log holds
//! `comity-log-entry/v1` entries, which named requests and actors in the clear, and they
//! stay (the log is append-only); what comity appends from then on is v2. The pack versions
//! that judged its requests are listed, though their texts were not kept then.

use std::{path::Path, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use comity_log::{Entry, RequestTag, Salt, TilePath, Version, decode_bundle};
use sqlx::Connection;

use crate::support::{Data, Server, comity, comity_ok};

const ORIGIN: &str = "comity.localhost/log";

/// The fixture's data directory, rebuilt in a fresh one (see its README).
async fn data_from_before() -> Data {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/before-issue-12");
    let dir = tempfile::tempdir().unwrap();
    for file in ["log-key", "server-key", "checkpoint"] {
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    let url = format!("sqlite://{}?mode=rwc", dir.path().join(comity_store::DATABASE_FILE).display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let dump = std::fs::read_to_string(fixture.join("comity.sql")).unwrap();
    sqlx::raw_sql(&dump).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    Data::Sqlite(dir)
}

/// `comity log verify --data-dir`: how many entries it verified.
fn verify_data_dir(data: &Data) -> u64 {
    let out = comity(&["log", "verify", "--log-origin", ORIGIN], Some(data));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    let count =
        text.strip_prefix("verified: ").and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok());
    count.unwrap_or_else(|| panic!("{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_from_before_v2_entries_starts_verifies_and_grows_in_v2() {
    let data = data_from_before().await;
    assert_eq!(verify_data_dir(&data), 86);

    let server = Server::start(&data, &["--log-origin", ORIGIN]);
    let handler = comity_ok(&["token", "create", "--org", "example-mail", "--role", "handler"], Some(&data))
        .trim()
        .to_owned();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    // A request of before: its new entries are tagged with the salt the upgrade gave it.
    let id = "01a24a54-e132-7f14-92ed-9eb2716d176e";
    let read =
        client.get(server.url(&format!("/v1/requests/{id}"))).bearer_auth(&handler).send().await.unwrap();
    assert_eq!(read.status().as_u16(), 200);
    let log = server.get_json(&client, &format!("/v1/requests/{id}/log"), &handler).await;
    let log = log.as_array().unwrap();
    let salt = Salt(STANDARD.decode(log[0]["request_salt"].as_str().unwrap()).unwrap().try_into().unwrap());
    let tag = RequestTag::new(&salt, id).to_string();
    let entries: Vec<Entry> =
        log.iter().map(|e| Entry::from_bytes(e["entry"].as_str().unwrap().as_bytes()).unwrap()).collect();
    let (old, new): (Vec<&Entry>, Vec<&Entry>) = entries.iter().partition(|e| e.version() == Version::V1);
    assert!(!old.is_empty() && old.iter().all(|e| e.request() == Some(id)), "{log:?}");
    assert_eq!(new.len(), 1, "the read just made: {log:?}");
    assert_eq!(
        (new[0].kind(), new[0].request(), new[0].actor()),
        ("read.document", Some(tag.as_str()), None)
    );
    assert!(log.last().unwrap()["actor"].as_str().unwrap().ends_with("@example-mail"));

    // Issue 16, item 8: the pack versions that judged its requests before comity kept pack
    // texts are listed from their screenings, marked as not kept; the version this server
    // starts with is kept, and in force.
    let packs = server.get_json(&client, "/v1/packs", &handler).await;
    let eu = packs["packs"].as_array().unwrap().iter().find(|p| p["id"] == "eu-e-evidence").unwrap();
    let versions: Vec<(&str, bool, bool, Option<u64>)> = eu["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap(),
                v["text_kept"].as_bool().unwrap(),
                v["in_force"].as_bool().unwrap(),
                v["requests_judged"].as_u64(),
            )
        })
        .collect();
    assert_eq!(versions, [("2026.1", false, false, Some(3)), ("2026.3", true, true, Some(0))], "{eu}");
    let old = client.get(server.url("/v1/packs/eu-e-evidence/versions/2026.1")).send().await.unwrap();
    assert_eq!(old.status().as_u16(), 404, "its text was not kept");

    // From outside, the mixed log verifies, and the tiles hold both versions.
    let info = server.signed_log_info(&client).await;
    let size = info["size"].as_u64().unwrap();
    assert!(size > 86);
    let vkey = info["verifier_key"].as_str().unwrap();
    let out = comity(&["log", "verify", "--url", &server.url("/log"), "--vkey", vkey], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tile = TilePath::entries(0, size as u32);
    let bundle = client.get(server.url(&format!("/log/{tile}"))).send().await.unwrap().bytes().await.unwrap();
    let versions: Vec<Version> =
        decode_bundle(&bundle).unwrap().iter().map(|e| Entry::from_bytes(e).unwrap().version()).collect();
    assert_eq!(versions.iter().position(|v| *v == Version::V2), Some(86), "{versions:?}");
    assert!(versions[86..].iter().all(|v| *v == Version::V2));

    // After a clean stop, the store still checks against its log, v1 and v2 entries alike.
    crate::log_local::stop(server);
    assert!(verify_data_dir(&data) >= size);

    // Issue 15: the documents kept in the clear before were sealed when the server started,
    // and the anti-bulk rule's targets replaced by their keyed hashes; they read as before.
    let Data::Sqlite(dir) = &data else { unreachable!() };
    let url = format!("sqlite://{}", dir.path().join(comity_store::DATABASE_FILE).display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    for (what, query) in [
        (
            "requests",
            "SELECT COUNT(*) FROM requests WHERE document NOT LIKE 'sealed:v1:%' OR signature NOT LIKE 'sealed:v1:%'",
        ),
        (
            "documents",
            "SELECT COUNT(*) FROM documents WHERE document NOT LIKE 'sealed:v1:%' OR signature NOT LIKE 'sealed:v1:%'",
        ),
        ("named_targets", "SELECT COUNT(*) FROM named_targets WHERE value NOT LIKE 'hmac-sha256:%'"),
        (
            "no data key",
            "SELECT COUNT(*) FROM requests WHERE id NOT IN (SELECT request_id FROM document_keys)",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(query).fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 0, "{what} kept in the clear");
    }
    let requests: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM requests").fetch_one(&mut conn).await.unwrap();
    assert!(requests > 0);
    conn.close().await.unwrap();
}

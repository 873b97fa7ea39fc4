//! Disposal on the command line (issue 15): `comity deadlines --apply` at the retention
//! date crypto-shreds comity's copy, `comity log verify --data-dir` still passes and tells
//! the shredding as logged, and `comity disposal sign` makes the attestation the API takes.

use serde_json::{Value, json};

use crate::support::{Data, Server, Trust, comity_ok, example, produce};

#[tokio::test]
async fn shredded_at_the_date_verified_and_attested_from_the_command_line() {
    let data = Data::sqlite();
    let Data::Sqlite(data_dir) = &data else { unreachable!() };
    let data_dir = data_dir.path().to_owned();
    let server = Server::start(&data, &[]);
    let trust = Trust::setup(&server, &data).await;
    let client = reqwest::Client::new();
    let created: Value =
        trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    trust.approve(&client, &server, &id).await;
    let dir = tempfile::tempdir().unwrap();
    let identity = comity_seal::age::x25519::Identity::generate();
    comity_ok(
        &[
            "authority",
            "recipient",
            "add",
            "--authority",
            "fr-tj-paris",
            "--recipient",
            &identity.to_public().to_string(),
        ],
        Some(&data),
    );
    comity_ok(&["provider", "key", "generate", "--provider", "example-mail"], Some(&data));
    let package = dir.path().join("package.age");
    let out = produce(&data, &id, &package, "2030-06-30", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let pid = stderr.split_whitespace().find(|w| w.starts_with("prod-")).unwrap().to_owned();
    // The file written is the package as it leaves: it opens with the authority's identity.
    let bytes = std::fs::read(&package).unwrap();
    comity_seal::open_with(&bytes[..], &identity, None, |_| Ok(std::io::sink())).unwrap();

    let verified = comity_ok(&["log", "verify"], Some(&data));
    assert!(verified.contains("1 sealed packages open whole, 0 shredded as logged"), "{verified}");

    // At the date, the sweep shreds it; the log still verifies, and says so.
    comity_ok(&["deadlines", "--at", "2030-07-01T00:00:00Z", "--apply"], Some(&data));
    assert!(!data_dir.join("productions").join(format!("{pid}.age")).exists());
    let verified = comity_ok(&["log", "verify"], Some(&data));
    assert!(verified.contains("0 sealed packages open whole, 1 shredded as logged"), "{verified}");

    // The authority signs its attestation with its registered key, from the package it holds.
    let key = dir.path().join("fr-tj-paris.jwk");
    std::fs::write(&key, trust.key_of("fr-tj-paris").to_jwk_private()).unwrap();
    let jws = comity_ok(
        &[
            "disposal",
            "sign",
            "--key",
            key.to_str().unwrap(),
            "--request",
            &id,
            "--production",
            &pid,
            "--package",
            package.to_str().unwrap(),
        ],
        None,
    );
    let token: Value = client
        .post(server.url("/v1/admin/tokens"))
        .bearer_auth(&trust.admin)
        .json(&json!({"org": "fr-tj-paris", "role": "requester"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client
        .post(server.url(&format!("/v1/requests/{id}/productions/{pid}/disposal")))
        .bearer_auth(token["token"].as_str().unwrap())
        .json(&json!({"attestation": jws.trim()}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "shredded");
    assert!(body["disposal"]["attestation_kid"].is_string(), "{body}");
}

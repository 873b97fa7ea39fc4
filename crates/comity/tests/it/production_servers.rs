//! Issue 17's acceptance, item 1: "a package sealed on one server downloads and verifies from
//! another". Two `comity serve` processes share one PostgreSQL database, each with its own
//! data directory holding copies of the log and server keys, as `docs/deploy.md` has an
//! operator set them up. The production is made through the first server's API; the first
//! is then stopped, and the authority downloads the package from the second and opens it
//! with the standard `age` tool and `comity package verify`.

use std::{path::Path, process::Command};

use serde_json::{Value, json};

use crate::support::{Data, Server, Trust, comity_ok, example, example_export};

fn sha256_file(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// Every file under `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_ending(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_sealed_through_one_server_downloads_and_verifies_from_another() {
    let Some(data) = Data::postgres().await else { return };
    let Data::Postgres(_, first_dir) = &data else { unreachable!() };
    let first = Server::start(&data, &[]);
    let (second, second_dir) = Server::second(&data);

    // The parties, an approved request, the authority's age recipient and the provider's
    // production key, all through the first server's directory and API.
    let trust = Trust::setup(&first, &data).await;
    let client = reqwest::Client::new();
    let created: Value =
        trust.submit(&client, &first, &example("eu-epoc-traffic.json")).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    trust.approve(&client, &first, &id).await;
    let dir = tempfile::tempdir().unwrap();
    let identity_file = dir.path().join("fr-tj-paris.key");
    let out = Command::new("age-keygen").arg("-o").arg(&identity_file).output().expect("age-keygen runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let recipient = String::from_utf8_lossy(&out.stderr).trim().trim_start_matches("Public key: ").to_owned();
    comity_ok(
        &["authority", "recipient", "add", "--authority", "fr-tj-paris", "--recipient", &recipient],
        Some(&data),
    );
    let provider_key = dir.path().join("example-mail.pub.jwk");
    let public = comity_ok(&["provider", "key", "generate", "--provider", "example-mail"], Some(&data));
    std::fs::write(&provider_key, &public).unwrap();

    // Produced through the first server's API: the export uploaded and produced in one call.
    let export = std::fs::read(example_export()).unwrap();
    let r = client
        .post(first.url(&format!("/v1/requests/{id}/productions?retention_until=2030-06-30")))
        .bearer_auth(&trust.handler)
        .header("content-type", "application/x-ndjson")
        .body(export)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let produced: Value = r.json().await.unwrap();
    let pid = produced["id"].as_str().unwrap().to_owned();
    let sealed_sha = produced["package"]["sha256"].as_str().unwrap().to_owned();

    // Nothing of the package, nor of the provider's key, is left in either data directory;
    // and the first server stops: what the second serves is the database's.
    for dir in [first_dir.path(), second_dir.path()] {
        let mut left = Vec::new();
        files_ending(dir, ".age", &mut left);
        files_ending(dir, ".jwk", &mut left);
        assert!(left.is_empty(), "{left:?}");
    }
    drop(first);

    // The authority's system downloads it from the second server.
    let r = client
        .post(second.url("/v1/admin/tokens"))
        .bearer_auth(&trust.admin)
        .json(&json!({"org": "fr-tj-paris", "role": "requester"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let authority: Value = r.json().await.unwrap();
    let authority = authority["token"].as_str().unwrap().to_owned();
    let download = format!("/v1/requests/{id}/productions/{pid}/package");
    let r = client.get(second.url(&download)).bearer_auth(&authority).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["comity-package-sha256"], sealed_sha.as_str());
    let package = dir.path().join("package.age");
    std::fs::write(&package, r.bytes().await.unwrap()).unwrap();
    assert_eq!(sha256_file(&package), sealed_sha, "the package the first server sealed");

    // `comity package verify`: it decrypts, its manifest is signed by the provider's
    // registered production key, and every file has the size and hash the manifest says.
    let records = dir.path().join("records");
    let verified = comity_ok(
        &[
            "package",
            "verify",
            package.to_str().unwrap(),
            "--identity",
            identity_file.to_str().unwrap(),
            "--provider-key",
            provider_key.to_str().unwrap(),
            "--out",
            records.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    let report: Value = serde_json::from_str(&verified).unwrap();
    assert_eq!(report["key_checked"], true, "{report}");
    assert_eq!(report["manifest"]["request"], id.as_str());
    assert_eq!(report["manifest"]["production"]["id"], pid.as_str());
    let files = report["manifest"]["files"].as_array().unwrap().clone();
    assert!(!files.is_empty());

    // The standard `age` tool opens it with the authority's identity, and the hashes of what
    // it holds are the manifest's.
    let tar = dir.path().join("package.tar");
    let status = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&identity_file)
        .arg("-o")
        .arg(&tar)
        .arg(&package)
        .status()
        .expect("the age tool runs (apt-get install age)");
    assert!(status.success());
    let untarred = dir.path().join("untarred");
    std::fs::create_dir(&untarred).unwrap();
    let status = Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&untarred).status().unwrap();
    assert!(status.success());
    assert_eq!(sha256_file(&untarred.join("manifest.json")), report["manifest_sha256"].as_str().unwrap());
    for file in &files {
        let name = file["name"].as_str().unwrap();
        assert_eq!(sha256_file(&untarred.join(name)), file["sha256"].as_str().unwrap(), "{name}");
        assert_eq!(sha256_file(&records.join(name)), file["sha256"].as_str().unwrap(), "{name}");
    }

    // Acknowledged on the second server by its hash: the request is delivered.
    let r = client
        .post(second.url(&format!("/v1/requests/{id}/productions/{pid}/acknowledgement")))
        .bearer_auth(&authority)
        .json(&json!({"package_sha256": sealed_sha}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    drop(second);
}

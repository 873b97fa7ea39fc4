//! A production from end to end on the command line (issue 6), as a provider and an
//! authority meet it: `comity produce` seals a package for an approved request,
//! `comity package verify` opens it, the standard `age` and `sha256sum` tools reproduce
//! the manifest, and one flipped byte is refused.

use std::{path::Path, process::Command};

use serde_json::Value;

use crate::support::{Data, Server, Trust, comity, comity_ok, example, example_export, produce};

/// The standard `age` tool, when installed. CI installs it and sets COMITY_REQUIRE_AGE=1,
/// so there its absence fails the test; elsewhere the test says loudly what it left out.
fn age_tool() -> Option<&'static str> {
    let present = Command::new("age").arg("--version").output().is_ok_and(|o| o.status.success());
    if present {
        return Some("age");
    }
    assert!(
        std::env::var("COMITY_REQUIRE_AGE").as_deref() != Ok("1"),
        "COMITY_REQUIRE_AGE=1 but the `age` tool is not on PATH (apt-get install age)"
    );
    eprintln!("SKIPPED the interoperability half: the `age` tool is not on PATH (apt-get install age)");
    None
}

fn sha256_file(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_owned()
}

/// Writes an age identity file as `age-keygen` does (one AGE-SECRET-KEY-1... line).
fn write_identity(path: &Path, identity: &comity_seal::age::x25519::Identity) {
    use comity_seal::age::secrecy::ExposeSecret;
    std::fs::write(path, format!("{}\n", identity.to_string().expose_secret())).unwrap();
}

/// The value after `label` in `comity produce`'s report.
fn reported(stderr: &str, label: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {label:?} in:\n{stderr}"))
        .to_owned()
}

#[tokio::test]
async fn a_package_produced_on_the_command_line_opens_with_age_and_verifies() {
    let data = Data::sqlite();
    let server = Server::start(&data, &[]);
    let trust = Trust::setup(&server, &data).await;
    let client = reqwest::Client::new();
    let created: Value =
        trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    trust.approve(&client, &server, &id).await;

    // The authority's age identity, its recipient registered; the provider's production key.
    let dir = tempfile::tempdir().unwrap();
    let identity = comity_seal::age::x25519::Identity::generate();
    let key_file = dir.path().join("fr-tj-paris.key");
    write_identity(&key_file, &identity);
    let recipient = identity.to_public().to_string();
    comity_ok(
        &["authority", "recipient", "add", "--authority", "fr-tj-paris", "--recipient", &recipient],
        Some(&data),
    );
    let provider_key = dir.path().join("example-mail.pub.jwk");
    std::fs::write(
        &provider_key,
        comity_ok(&["provider", "key", "generate", "--provider", "example-mail"], Some(&data)),
    )
    .unwrap();

    // A date in the past is refused before anything is read.
    let package = dir.path().join("package.age");
    let produce = |retention: &str, more: &[&str]| produce(&data, &id, &package, retention, more);
    let past = produce("2020-01-01", &[]);
    assert_eq!(past.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&past.stderr).contains("--retention-until"), "{past:?}");
    assert!(!package.exists());
    // So is a phone region libphonenumber does not know, by its flag and its code.
    let unknown = produce("2030-06-30", &["--phone-regions", "IN,XY"]);
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(1), "{said}");
    assert!(said.contains("--phone-regions") && said.contains("XY"), "{said}");
    assert!(!package.exists());

    let out = produce("2030-06-30", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    // No terminal, so no bar: a line as each phase starts, in order.
    let phases: Vec<&str> = stderr.lines().filter(|l| l.ends_with("...")).collect();
    let size = std::fs::metadata(example_export()).unwrap().len();
    assert_eq!(
        phases,
        [
            format!("checking the export ({size} bytes)..."),
            "redacting the records in scope...".to_owned(),
            "sealing the package...".to_owned()
        ],
        "{stderr}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), package.to_str().unwrap());
    let package_sha = reported(&stderr, "package sha256");
    let manifest_sha = reported(&stderr, "manifest sha256");
    assert_eq!(sha256_file(&package), package_sha, "the package is the one reported");

    // `--out` is written as the package is sealed, not read back from the server's copy
    // after: the server serves the same bytes.
    let production = stderr
        .lines()
        .find_map(|l| l.strip_prefix("production ")?.split_whitespace().next())
        .unwrap()
        .to_owned();
    let r = client
        .post(server.url("/v1/admin/tokens"))
        .bearer_auth(&trust.admin)
        .json(&serde_json::json!({"org": "fr-tj-paris", "role": "requester"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let authority: Value = r.json().await.unwrap();
    let r = client
        .get(server.url(&format!("/v1/requests/{id}/productions/{production}/package")))
        .bearer_auth(authority["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let served = r.bytes().await.unwrap();
    assert!(served == std::fs::read(&package).unwrap(), "the server serves what --out holds");
    // A package already there is never overwritten, and a directory that does not exist is
    // said before the export is read; neither leaves a file behind.
    let again = produce("2030-06-30", &[]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{said}");
    assert!(said.contains("exists already"), "{said}");
    assert!(!said.contains("checking the export"), "{said}");
    assert_eq!(sha256_file(&package), package_sha, "the package is unchanged");
    let nowhere = dir.path().join("missing").join("package.age");
    let missing = crate::support::produce(&data, &id, &nowhere, "2030-06-30", &[]);
    let said = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{said}");
    assert!(said.contains("cannot write the package to") && said.contains("missing"), "{said}");
    let partial: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".comity-package-"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");

    // The authority verifies it with its identity and the provider's registered key.
    let records = dir.path().join("records");
    let verify = |package: &Path, key: &Path, out: &Path| {
        comity(
            &[
                "package",
                "verify",
                package.to_str().unwrap(),
                "--identity",
                key_file.to_str().unwrap(),
                "--provider-key",
                key.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--json",
            ],
            None,
        )
    };
    let verified = verify(&package, &provider_key, &records);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["key_checked"], true);
    assert_eq!(report["manifest_sha256"], manifest_sha.as_str());
    assert_eq!(report["manifest"]["request"], id.as_str());
    assert_eq!(report["manifest"]["recipient"]["authority"], "fr-tj-paris");
    assert_eq!(sha256_file(&records.join("manifest.json")), manifest_sha);
    let files = report["manifest"]["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for file in files {
        let path = records.join(file["name"].as_str().unwrap());
        assert_eq!(sha256_file(&path), file["sha256"].as_str().unwrap(), "{}", path.display());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), file["size"].as_u64().unwrap());
    }
    let left: Vec<_> = std::fs::read_dir(&records).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), files.len() + 2, "the files, manifest.json and manifest.sig only: {left:?}");

    // Another provider key than the registered one is refused, and so is one flipped byte;
    // neither leaves anything in --out.
    let other_key = dir.path().join("other.pub.jwk");
    let other = comity_ok(
        &["authority", "key", "generate", "--out", dir.path().join("o.jwk").to_str().unwrap()],
        None,
    );
    std::fs::write(&other_key, other).unwrap();
    let refused = verify(&package, &other_key, &dir.path().join("not-kept"));
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused"), "{refused:?}");
    assert!(!dir.path().join("not-kept").exists());
    let mut bytes = std::fs::read(&package).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let flipped = dir.path().join("flipped.age");
    std::fs::write(&flipped, &bytes).unwrap();
    let refused = verify(&flipped, &provider_key, &dir.path().join("flipped"));
    assert_eq!(refused.status.code(), Some(1), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("do not use its content"));
    assert!(!dir.path().join("flipped").exists());

    // The standard tools: `age -d -i key` then `tar -x`, and sha256sum reproduces the
    // manifest's hash and every file's.
    let Some(age) = age_tool() else { return };
    let tar = dir.path().join("package.tar");
    let status = Command::new(age)
        .args([
            "-d",
            "-i",
            key_file.to_str().unwrap(),
            "-o",
            tar.to_str().unwrap(),
            package.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let untarred = dir.path().join("untarred");
    std::fs::create_dir(&untarred).unwrap();
    let status = Command::new("tar")
        .args(["-xf", tar.to_str().unwrap(), "-C", untarred.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(sha256_file(&untarred.join("manifest.json")), manifest_sha);
    for file in files {
        let path = untarred.join(file["name"].as_str().unwrap());
        assert_eq!(sha256_file(&path), file["sha256"].as_str().unwrap());
    }
    // Re-encrypted to someone else by a holder of the package, it is refused: the signed
    // manifest names the authority it was sealed for.
    let other = comity_seal::age::x25519::Identity::generate();
    let other_key = dir.path().join("other.key");
    write_identity(&other_key, &other);
    let reencrypted = dir.path().join("reencrypted.age");
    let status = Command::new(age)
        .args([
            "-r",
            &other.to_public().to_string(),
            "-o",
            reencrypted.to_str().unwrap(),
            tar.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let out = comity(
        &["package", "verify", reencrypted.to_str().unwrap(), "--identity", other_key.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[recipient_mismatch]"), "{out:?}");
    // age itself refuses the flipped package.
    let status = Command::new(age)
        .args(["-d", "-i", key_file.to_str().unwrap(), "-o", "/dev/null", flipped.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "age decrypted a package with a flipped byte");
}

//! The command line: validate, the registers, the schema, the demo.

use serde_json::Value;

use crate::support::{Data, Server, add_authority, comity, comity_ok, comity_with, example_path};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn validate_accepts_the_examples_and_names_each_problem() {
    let dir = example_path("");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    files.sort();
    let args: Vec<&str> = std::iter::once("validate").chain(files.iter().map(String::as_str)).collect();
    let out = comity(&args, None);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out).matches(": ok (").count(), files.len(), "{}", stdout(&out));

    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(example_path("mlat-content.json")).unwrap()).unwrap();
    doc["issuing"]["country"] = "UK".into();
    doc["targets"][0]["selector"]["value"] = "5511987654321".into();
    std::fs::write(&bad, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = comity(&["validate", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("2 problems"), "{text}");
    assert!(text.contains("issuing.country: \"UK\" is not an officially assigned"), "{text}");
    assert!(text.contains("GB"), "{text}");
    assert!(text.contains("targets[0].selector.value"), "{text}");

    let out = comity(&["validate", "/nonexistent/request.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
}

#[test]
fn the_registers_are_managed_from_the_command_line() {
    let data = Data::sqlite();
    crate::support::init(&data, crate::support::DEFAULT_ORIGIN);
    let out = comity(&add_authority("fr-tj-paris", "FR", "prosecutor", "Parquet de Paris"), Some(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("registered authority fr-tj-paris"));

    let out = comity(&add_authority("fr-tj-paris", "FR", "judge", "Again"), Some(&data));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already registered"), "{}", stderr(&out));

    let out = comity(&add_authority("x-y", "FR", "sheriff", "N"), Some(&data));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("investigating_judge"), "the error lists the types: {}", stderr(&out));

    let out = comity(
        &[
            "reviewer",
            "add",
            "--id",
            "ie-dpc",
            "--country",
            "IE",
            "--kind",
            "data_protection_authority",
            "--name",
            "Data Protection Commission",
        ],
        Some(&data),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = comity(
        &["provider", "add", "--id", "example-mail", "--country", "IE", "--name", "Example Mail"],
        Some(&data),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let out = comity(&["authority", "list"], Some(&data));
    assert!(stdout(&out).contains("fr-tj-paris  FR  prosecutor  Parquet de Paris"), "{}", stdout(&out));
    let out = comity(&["reviewer", "list", "--json"], Some(&data));
    let listed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(listed[0]["kind"], "data_protection_authority");
    let out = comity(&["provider", "list"], Some(&data));
    assert!(stdout(&out).contains("example-mail"), "{}", stdout(&out));
}

#[test]
fn schema_prints_the_published_schema() {
    let out = comity(&["schema", "request"], None);
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, comity_wire::request_schema());
}

#[test]
fn a_reader_that_closes_the_pipe_ends_the_command_quietly() {
    // `comity schema request | head -1`: the reader goes before comity has written.
    let mut child = std::process::Command::new(crate::support::BIN)
        .args(["schema", "request"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(stderr(&out), "", "no panic message for a closed pipe");
    // As a program ended by SIGPIPE, which a shell reports as 141.
    assert_eq!(out.status.code(), Some(141));
}

#[tokio::test]
async fn the_demo_seeds_once() {
    let data = Data::sqlite();
    let client = reqwest::Client::new();
    let mut credentials = String::new();
    let mut providers = Vec::new();
    for round in 0..2 {
        let server = Server::start(&data, &["--demo"]);
        if round == 0 {
            credentials = demo_credentials(&data);
            // Each provider's system sees the requests addressed to it; together, all.
            for provider in ["example-mail", "example-cloud", "example-social"] {
                let out =
                    comity_ok(&["token", "create", "--org", provider, "--role", "handler"], Some(&data));
                providers.push(out.trim().to_owned());
            }
        } else {
            assert_eq!(demo_credentials(&data), credentials, "the second start seeded nothing");
        }
        let mut total = 0;
        let mut states = Vec::new();
        for token in &providers {
            let list = server.get_json(&client, "/v1/requests", token).await;
            total += list["total"].as_u64().unwrap();
            for item in list["items"].as_array().unwrap() {
                states.push(item["state"].as_str().unwrap().to_owned());
            }
        }
        assert_eq!(total, 6, "{states:?}");
        let produced = if round == 0 { "producing" } else { "delivered" };
        for state in [produced, "preserved", "under_review", "clarification_requested", "partially_approved"]
        {
            assert!(states.iter().any(|s| s == state), "the demo shows a request {state}: {states:?}");
        }
        if round == 0 {
            receive_the_demo_production(&client, &server, &credentials).await;
        }
    }
}

/// What the credentials file tells de-sta-berlin to do with the emergency request's
/// package works: download it, verify it with `comity package verify`, acknowledge it.
async fn receive_the_demo_production(client: &reqwest::Client, server: &Server, credentials: &str) {
    let after = |label: &str| -> String {
        credentials
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(label).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {label:?} in the credentials:\n{credentials}"))
    };
    let token = credentials
        .lines()
        .skip_while(|l| !l.starts_with("de-sta-berlin's system"))
        .find_map(|l| l.trim_start().strip_prefix("token").map(|v| v.trim().to_owned()))
        .unwrap();
    let identity = after("identity");
    let download = credentials.lines().find(|l| l.contains("/productions/")).unwrap().trim().to_owned();
    let path = &download[download.find("/v1/").unwrap()..];
    let r = client.get(server.url(path)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let package = r.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("package.age");
    std::fs::write(&file, &package).unwrap();
    let records = dir.path().join("records");
    let out = comity_ok(
        &[
            "package",
            "verify",
            file.to_str().unwrap(),
            "--identity",
            &identity,
            "--out",
            records.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    let verified: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verified["manifest"]["recipient"]["authority"], "de-sta-berlin");
    assert_eq!(verified["manifest"]["provider"], "example-mail");
    // Only the target's records of the twelve hours, subscriber and identification: the
    // profile and the five logins from the threat's address.
    let mut lines = Vec::new();
    for file in verified["manifest"]["files"].as_array().unwrap() {
        let text = std::fs::read_to_string(records.join(file["name"].as_str().unwrap())).unwrap();
        lines.extend(text.lines().map(str::to_owned));
    }
    let kinds: Vec<String> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|r| r["kind"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "login").count(), 5, "{lines:#?}");
    assert_eq!(kinds.iter().filter(|k| *k == "profile").count(), 1, "{lines:#?}");
    assert_eq!(kinds.len(), 6, "nothing else: {lines:#?}");
    let all = lines.join("\n");
    for third_party in ["Jonas Weber", "+49 30 1234567", "lena", "Lena", "203.0.113.77"] {
        assert!(!all.contains(third_party), "{third_party} left in the production:\n{all}");
    }
    let sha = comity_seal::Sha256Hash::of(&package).to_string();
    let ack = path.replace("/package", "/acknowledgement");
    let r = client
        .post(server.url(&ack))
        .bearer_auth(&token)
        .json(&serde_json::json!({"package_sha256": sha}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
}

/// The demo's credentials file, which only its owner may read.
fn demo_credentials(data: &Data) -> String {
    let Data::Sqlite(dir) = data else { unreachable!() };
    let path = dir.path().join("demo/credentials.txt");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let key = dir.path().join("demo/de-sta-berlin.jwk");
        assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn help_describes_every_command() {
    let out = comity(&["--help"], None);
    let text = stdout(&out);
    for command in [
        "serve",
        "validate",
        "screen",
        "schema",
        "authority",
        "provider",
        "reviewer",
        "token",
        "user",
        "totp",
        "request",
    ] {
        assert!(text.contains(command), "--help does not mention {command}");
    }
    let out = comity(&["serve", "--help"], None);
    for flag in [
        "--data-dir",
        "--listen",
        "--database-url",
        "--demo",
        "--policies",
        "--house",
        "--connections-per-address",
        "--in-flight-per-address",
        "--max-in-flight",
        "--anonymous-in-flight",
        "--header-timeout",
        "--body-timeout",
    ] {
        assert!(stdout(&out).contains(flag), "serve --help does not mention {flag}");
    }
}

/// Issue 12: the connection limits of `comity serve` that cannot hold are refused before
/// anything starts, naming the flag to change.
#[test]
fn serve_refuses_connection_limits_that_cannot_hold() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("data");
    let dir = dir.to_str().unwrap();
    let serve = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir];
    let out = comity(&[&serve[..], &["--max-in-flight", "8", "--anonymous-in-flight", "16"]].concat(), None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("--anonymous-in-flight (16)") && text.contains("--max-in-flight (8)"), "{text}");
    // A timeout of 0 would refuse every request: clap names the range, from the flag or
    // from its environment variable.
    let out = comity(&[&serve[..], &["--header-timeout", "0"]].concat(), None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--header-timeout"), "{}", stderr(&out));
    let out = comity_with(&serve, None, "", &[("COMITY_BODY_TIMEOUT", "0")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--body-timeout"), "{}", stderr(&out));
    assert!(!data.path().join("data").exists(), "nothing was created");
}

#[test]
fn screen_prints_the_report_and_exits_0_whatever_the_verdict() {
    let file = example_path("eu-epoc-emergency-subscriber.json");
    // Received after 18 August 2026, the day the Regulation applies (Art 34(2)).
    let out = comity(&["screen", file.to_str().unwrap(), "--received-at", "2027-02-28T20:00:00Z"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "admissible");
    assert_eq!(
        report["deadlines"]["respond_by"], "2027-03-01T04:00:00Z",
        "8 hours, across the end of February"
    );
    assert_eq!(report["pack"]["id"], "eu-e-evidence");

    let tmp = tempfile::tempdir().unwrap();
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    doc["targets"][0] = serde_json::json!({"selector": {"type": "keyword", "value": "suicide"}});
    let bad = tmp.path().join("keyword.json");
    std::fs::write(&bad, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = comity(&["screen", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "an inadmissible verdict is still a successful screening");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "inadmissible");
}

#[test]
fn screen_exits_2_on_input_it_cannot_read() {
    let out = comity(&["screen", "/nonexistent/request.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read /nonexistent/request.json"), "{}", stderr(&out));

    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, b"{\"instrument\": \"eu-e-evidence\"").unwrap();
    let out = comity(&["screen", bad.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a valid request document"), "{}", stderr(&out));

    let out = comity(
        &["screen", example_path("mlat-content.json").to_str().unwrap(), "--policies", "/nonexistent"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("reading the policy directory /nonexistent"), "{}", stderr(&out));
}

#[test]
fn a_house_file_makes_screening_stricter_and_cannot_loosen_it() {
    let tmp = tempfile::tempdir().unwrap();
    let stricter = tmp.path().join("house.toml");
    std::fs::write(&stricter, "pack = \"eu-e-evidence\"\n[settings]\nmax_window_days = 30\n").unwrap();
    let file = example_path("eu-epoc-traffic.json");
    let out = comity(&["screen", file.to_str().unwrap(), "--house", stricter.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "needs_review", "a 61-day window is over the house's 30 days");
    assert_eq!(report["pack"]["version"], "2026.3+house");

    let looser = tmp.path().join("looser.toml");
    std::fs::write(&looser, "pack = \"eu-e-evidence\"\n[settings]\nmax_targets = 500\n").unwrap();
    let out = comity(&["screen", file.to_str().unwrap(), "--house", looser.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("may only be stricter"), "{}", stderr(&out));
}

//! `comity transparency verify` (issue 16, item 2): a report served by `comity serve` is
//! recomputed from the public log alone, over HTTP, and passes; the same report with one
//! figure changed by one fails, naming that figure; a report that is not one, or a wrong
//! key, is refused with the reason.

use serde_json::Value;

use crate::support::{Data, Server, Trust, comity, example, transition};

#[tokio::test]
async fn a_served_report_verifies_and_a_changed_figure_is_named() {
    let mut backends = vec![Data::sqlite()];
    backends.extend(Data::postgres().await);
    for data in backends {
        check(data).await;
    }
}

async fn check(data: Data) {
    let client = reqwest::Client::new();
    let server = Server::start(&data, &[]);
    let trust = Trust::setup(&server, &data).await;
    let start = chrono::Utc::now() - chrono::Duration::minutes(1);
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["reference"] = format!("REF-TRANSPARENCY-{n}").into();
        let r = trust.submit(&client, &server, &doc).await;
        assert_eq!(r.status().as_u16(), 201);
        let body: Value = r.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    trust.approve(&client, &server, &ids[0]).await;
    let r = client
        .post(server.url(&format!("/v1/requests/{}/transitions", ids[1])))
        .bearer_auth(&trust.reviewer)
        .json(&transition("rejected"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let info = server.signed_log_info(&client).await;
    let vkey = info["verifier_key"].as_str().unwrap().to_owned();

    let end = chrono::Utc::now() + chrono::Duration::minutes(1);
    let query = format!(
        "from={}&to={}",
        start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let report: Value = client
        .get(server.url(&format!("/v1/transparency?{query}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["totals"]["requests"], 3, "{report}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&report).unwrap()).unwrap();
    let base = server.url("/log");
    let verify = |path: &std::path::Path, key: &str| {
        comity(
            &["transparency", "verify", "--url", &base, "--vkey", key, "--report", path.to_str().unwrap()],
            None,
        )
    };
    let out = verify(&file, &vkey);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("verified: every figure"), "{stdout}");

    // One figure changed by one: named, exit 1.
    let mut changed = report.clone();
    let outcome =
        changed["breakdowns"].as_array_mut().unwrap().iter_mut().find(|b| b["name"] == "outcome").unwrap();
    let row = outcome["rows"].as_array_mut().unwrap().iter_mut().find(|r| r["key"] == "rejected").unwrap();
    row["requests"] = (row["requests"].as_u64().unwrap() + 1).into();
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, serde_json::to_vec(&changed).unwrap()).unwrap();
    let out = verify(&forged, &vkey);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("differs: outcome.rejected: the report says 2, the log gives 1"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "only that figure: {stdout}");
    // A report counting more entries than the log signs: a discrepancy too.
    let mut ahead = report.clone();
    ahead["log_size"] = (info["size"].as_u64().unwrap() + 1000).into();
    std::fs::write(&forged, serde_json::to_vec(&ahead).unwrap()).unwrap();
    assert_eq!(verify(&forged, &vkey).status.code(), Some(1));

    // Not a report, or a wrong key: refused with the reason, exit 2 and 1.
    std::fs::write(&forged, b"{\"totals\": 3}").unwrap();
    let out = verify(&forged, &vkey);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a transparency report"), "{out:?}");
    let other = comity_log::LogKey::generate("comity.localhost/log");
    let out = verify(&file, other.verifier_key());
    assert!(!out.status.success(), "another key does not verify the log's checkpoint");

    // The operator releases the fine breakdown with noise (issue 16, item 4): wrong input
    // is refused saying what to give; a release is served at once, to anyone.
    let from = start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let release = |to: &str, epsilon: &str| {
        comity(&["transparency", "release", "--from", &from, "--to", to, "--epsilon", epsilon], Some(&data))
    };
    let out = release(&to, "0");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("such as 0.5"), "{out:?}");
    let out = release(&to, "0.5");
    assert!(!out.status.success(), "the period has not ended");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--to: the period ends"), "{out:?}");
    let ended = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let out = release(&ended, "0.5");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("release 1:") && stdout.contains("noise of scale 8"), "{stdout}");
    let served: Value =
        client.get(server.url("/v1/transparency/releases/1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(served["epsilon"], 0.5, "{served}");
    let out = release(&ended, "0.75");
    assert!(!out.status.success(), "over the budget of 1");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 0.5 is left"), "{out:?}");
    // Days, as the portal's forms take them: a period of days that ended long ago.
    let out = comity(
        &["transparency", "release", "--from", "2020-01-01", "--to", "2021-01-01", "--epsilon", "1"],
        Some(&data),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("from 2020-01-01T00:00:00+00:00 to 2021-01-01T00:00:00+00:00"), "{stdout}");
    let out = comity(
        &["transparency", "release", "--from", "1 January", "--to", "2021-01-01", "--epsilon", "1"],
        Some(&data),
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--from: \"1 January\" is neither a day"),
        "{out:?}"
    );
}

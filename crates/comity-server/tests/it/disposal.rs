//! Issue 15's acceptance, retention and disposal: "at retention, with the attestation, the
//! package answers 410 and cannot be decrypted with any key left on the server; without
//! the attestation, escalation", and "`comity log verify --data-dir` still passes after
//! shredding, and still names a tampered row". Time is a value: the sweep is told when it
//! runs.

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use comity_core::{ClockKind, RequestId};
use serde_json::{Value, json};

use crate::support::{TestApp, example, export};

crate::both_backends!(
    at_retention_with_the_attestation_the_package_is_gone_and_nothing_left_opens_it,
    without_the_attestation_the_authority_is_escalated_and_counted,
    verify_tells_a_shredded_production_from_a_tampered_one,
    the_clerk_attests_disposal_from_the_page_and_the_provider_sees_it,
    a_package_from_before_encryption_at_rest_is_served_verified_and_shredded,
);

/// The end of the retention every production here states: 2030-12-31, to the end of the day.
fn retention_end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-12-31T23:59:59Z").unwrap().with_timezone(&Utc)
}

/// A request of fr-tj-paris approved, produced (retained until 2030-12-31), downloaded and
/// acknowledged: its id, the production's id and the package's SHA-256.
async fn delivered(app: &TestApp) -> (String, String, String) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.approve(&id).await;
    let pid = app.deliver(&id, &export()).await;
    let (_, p) = app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/productions/{pid}")).await;
    let sha = p["package"]["sha256"].as_str().unwrap().to_owned();
    (id, pid, sha)
}

/// A statement of disposal, signed with `authority`'s registered key.
fn attestation(app: &TestApp, authority: &str, id: &str, pid: &str, sha: &str) -> String {
    let key = app.key_of(authority);
    let statement = comity_app::production::disposal::statement(
        RequestId::parse(id).unwrap(),
        pid,
        sha,
        Utc::now() - Duration::minutes(1),
    );
    key.sign_compact(&key.public().key_id(), statement.to_string().as_bytes())
}

/// Whether the real `age` decrypts `file` with the identities in `identities`.
fn age_decrypts(dir: &std::path::Path, identities: &str, file: &std::path::Path) -> bool {
    let keys = dir.join("identities.txt");
    std::fs::write(&keys, identities).unwrap();
    let out =
        Command::new("age").arg("-d").arg("-i").arg(&keys).arg(file).output().expect("the age CLI runs");
    out.status.success()
}

/// Every age identity (`AGE-SECRET-KEY-1...`) in `bytes`.
fn age_identities_in(bytes: &[u8], out: &mut Vec<String>) {
    let text = String::from_utf8_lossy(bytes).to_uppercase();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("AGE-SECRET-KEY-1") {
        let key: String = rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        out.push(key);
        rest = &rest[at + 16..];
    }
}

/// Every file under `dir`, read.
fn every_file(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            every_file(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

async fn at_retention_with_the_attestation_the_package_is_gone_and_nothing_left_opens_it(app: TestApp) {
    let (id, pid, sha) = delivered(&app).await;
    let authority = app.token("fr-tj-paris");
    let copy = tempfile::tempdir().unwrap();

    // comity's copy, in the database (issue 17), is not the package that left: it is
    // encrypted again, at rest.
    let kept = app.stored_package(&pid).await;
    assert!(!kept.is_empty(), "the database keeps the package");
    assert_ne!(comity_seal::Sha256Hash::of(&kept).to_string(), sha, "the copy at rest is the package itself");
    let stolen = copy.path().join("stolen.age");
    std::fs::write(&stolen, &kept).unwrap();

    // Before the date, its data key, opened with the server key, decrypts it with `age`:
    // so a failure after shredding is the key's absence, not the test's method.
    let server_key = comity_app::DataDir::existing(app.files.path()).unwrap().existing_server_key().unwrap();
    let wrapped = app.store.package_key(&pid).await.unwrap().expect("a sealed package has its data key");
    let key = comity_app::production::at_rest::DataKey::unwrap(&server_key, &pid, &wrapped).unwrap();
    use comity_seal::age::secrecy::ExposeSecret;
    let data_key = key.identity().to_string().expose_secret().to_owned();
    assert!(age_decrypts(copy.path(), &data_key, &stolen), "age opens the copy with its data key");

    // The attestation: refused when it is not this package's, or not the authority's key;
    // every refusal says what to fix.
    let path = format!("/v1/requests/{id}/productions/{pid}/disposal");
    let wrong_sha = attestation(&app, "fr-tj-paris", &id, &pid, &"0".repeat(64));
    let (status, body) = authority.post(&path, &json!({"attestation": wrong_sha})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("package_sha256"), "{body}");
    let (status, body) = authority
        .post(&path, &json!({"attestation": attestation(&app, "de-sta-berlin", &id, &pid, &sha)}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("not a key registered for fr-tj-paris"),
        "{body}"
    );
    let (status, body) = authority.post(&path, &json!({"attestation": "not a jws"})).await;
    assert_eq!(status, 422, "{body}");
    // The provider does not attest for the authority.
    let (status, _) = app.provider_of(&id).await.post(&path, &json!({"attestation": wrong_sha})).await;
    assert_eq!(status, 403);

    let signed = attestation(&app, "fr-tj-paris", &id, &pid, &sha);
    let (status, body) = authority.post(&path, &json!({"attestation": signed})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["disposal"]["attestation"], signed.as_str());
    let (status, body) = authority.post(&path, &json!({"attestation": signed})).await;
    assert_eq!(status, 409, "{body}");
    // In time: the attestation's clock is met, not overdue.
    let clocks = app.store.clocks(RequestId::parse(&id).unwrap()).await.unwrap();
    let clock = clocks.iter().find(|c| c.kind == ClockKind::DisposalAttestation).unwrap();
    assert_eq!(clock.closed.map(|(_, o)| o), Some(comity_core::ClockOutcome::Met), "{clock:?}");

    // A second before the date, nothing is shredded; at the date, it is.
    app.app.sweep(retention_end() - Duration::seconds(1)).await.unwrap();
    let (status, _, _) = authority.get_bytes(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
    assert_eq!(status, 200);
    let at = retention_end() + Duration::seconds(1);
    app.app.sweep(at).await.unwrap();
    let (status, body) = authority.get(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "disposed");
    let details = body["error"]["details"].as_array().unwrap();
    let detail = |path: &str| details.iter().find(|d| d["path"] == path).map(|d| d["message"].clone());
    assert!(detail("/shredded_at").unwrap().as_str().unwrap().starts_with("2031-01-01"), "{body}");
    assert_eq!(detail("/attestation/jws"), Some(Value::from(signed.as_str())), "{body}");
    let (_, p) = authority.get(&format!("/v1/requests/{id}/productions/{pid}")).await;
    assert_eq!(p["status"], "shredded", "{p}");
    let (_, p) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}/productions/{pid}")).await;
    assert!(p["disposal"]["shredded_at"].is_string() && p["disposal"]["attestation"].is_string(), "{p}");

    // Nothing left: no file, no key; the copy a thief kept opens with no age identity
    // anywhere in the data directory or the database, nor with anything the server key
    // unwraps.
    assert!(app.stored_package(&pid).await.is_empty(), "the stored package is deleted with its key");
    assert!(app.store.package_chunk_sets().await.unwrap().is_empty());
    assert_eq!(app.store.package_key(&pid).await.unwrap(), None);
    assert!(app.store.package_keys().await.unwrap().is_empty());
    let mut files = Vec::new();
    every_file(app.files.path(), &mut files);
    let mut identities = Vec::new();
    for (_, bytes) in &files {
        age_identities_in(bytes, &mut identities);
    }
    let database = app.database_bytes().await;
    age_identities_in(&database, &mut identities);
    for (path, bytes) in &files {
        assert!(
            !bytes.windows(wrapped.len()).any(|w| w == wrapped.as_slice()),
            "the destroyed data key is still in {}",
            path.display()
        );
    }
    assert!(
        !database.windows(wrapped.len()).any(|w| w == wrapped.as_slice()),
        "the data key is in the database"
    );
    identities.push(app.identity("fr-tj-paris").to_string().expose_secret().to_owned());
    assert!(
        !age_decrypts(copy.path(), &identities.join("\n"), &stolen),
        "a key left on the server opens the copy"
    );

    // The log still verifies, and tells the shredding as logged.
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (0, 1));
    comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {})
        .await
        .unwrap();
}

async fn without_the_attestation_the_authority_is_escalated_and_counted(app: TestApp) {
    let (id, pid, sha) = delivered(&app).await;
    let overdue = |app: &TestApp| {
        let app = app.app.clone();
        async move {
            app.overdue_by_kind()
                .await
                .unwrap()
                .into_iter()
                .find(|(k, _)| *k == ClockKind::DisposalAttestation)
                .map_or(0, |(_, n)| n)
        }
    };
    // Shredded at the date; the attestation is not due until the grace has passed.
    app.app.sweep(retention_end() + Duration::seconds(1)).await.unwrap();
    assert_eq!(overdue(&app).await, 0);
    let grace = Duration::days(comity_app::DISPOSAL_GRACE_DAYS);
    let sweep = app.app.sweep(retention_end() + grace + Duration::seconds(1)).await.unwrap();
    let escalated = sweep
        .acted
        .iter()
        .find(|(d, _)| d.clock.kind == ClockKind::DisposalAttestation)
        .expect("the missing attestation is acted on");
    assert_eq!(escalated.0.outcome, comity_core::ClockOutcome::Overdue);
    assert!(escalated.1.is_some(), "the escalation is logged");
    assert_eq!(overdue(&app).await, 1, "counted while it is missing");
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(app.issue_token(crate::support::OPERATOR).await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("comity_overdue{kind=\"disposal_attestation\"} 1"), "{metrics}");

    // Late, the attestation still counts: the escalation stays in the log, the count ends.
    let signed = attestation(&app, "fr-tj-paris", &id, &pid, &sha);
    let (status, body) = app
        .token("fr-tj-paris")
        .post(&format!("/v1/requests/{id}/productions/{pid}/disposal"), &json!({"attestation": signed}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(overdue(&app).await, 0);
}

async fn verify_tells_a_shredded_production_from_a_tampered_one(app: TestApp) {
    let (_, shredded, _) = delivered(&app).await;
    app.app.sweep(retention_end() + Duration::seconds(1)).await.unwrap();
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (0, 1));

    // A second production, retained later, kept whole: then tampered with.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.approve(&id).await;
    app.prepare_production(&id).await;
    let (status, produced) = app.produce(&id, &export(), "retention_until=2032-12-31").await;
    assert_eq!(status, 201, "{produced}");
    let pid = produced["id"].as_str().unwrap().to_owned();
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (1, 1));

    // A byte of the stored copy changed in the database: named, with its production.
    let original = app.store.package_chunk(&pid, 0).await.unwrap().unwrap();
    let mut flipped = original.clone();
    let last = flipped.len() - 20;
    flipped[last] ^= 1;
    app.replace_chunk(&pid, 0, &flipped).await;
    let found = app.app.check_packages().await.unwrap().unwrap_err();
    assert!(found.contains(&pid), "{found}");
    app.replace_chunk(&pid, 0, &original).await;
    assert_eq!(app.app.check_packages().await.unwrap().unwrap().kept, 1);

    // Its data key deleted behind comity's back: not a shredding, since none is logged.
    app.execute_sql(&format!("DELETE FROM package_keys WHERE production = '{pid}'")).await;
    let found = app.app.check_packages().await.unwrap().unwrap_err();
    assert!(found.contains(&pid) && found.contains("no production.shredded is logged"), "{found}");
    assert!(!found.contains(&shredded), "{found}");
}

async fn the_clerk_attests_disposal_from_the_page_and_the_provider_sees_it(app: TestApp) {
    use crate::portal::{csrf_of, signed_in};
    let (id, pid, sha) = delivered(&app).await;
    let clerk = signed_in(&app, "fr-tj-paris", "clerk.disposal").await;
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("action=\"/requests/{id}/productions/{pid}/disposal\"")), "{page}");
    assert!(page.contains("comity disposal sign"), "the page says how to make the statement");

    // Empty, then not this package's: refused beside the field, nothing recorded.
    let post = |attestation: String, page: String| {
        let clerk = clerk.clone();
        let url = app.url(&format!("/requests/{id}/productions/{pid}/disposal"));
        async move {
            clerk
                .post(url)
                .form(&vec![("csrf", csrf_of(&page)), ("attestation", attestation)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(String::new(), page.clone()).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Paste the signed statement of disposal"));
    let r = post(attestation(&app, "fr-tj-paris", &id, &pid, &"1".repeat(64)), page.clone()).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("error-summary"));

    let r = post(attestation(&app, "fr-tj-paris", &id, &pid, &sha), page).await;
    assert_eq!(r.status(), 303);
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Attested, disposed of on") && !page.contains("Send the attestation"), "{page}");

    // Shredded at the date: the clerk is told the package is gone; the provider's legal team
    // sees where disposal stands, in French too.
    app.app.sweep(retention_end() + Duration::seconds(1)).await.unwrap();
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("can no longer be downloaded") && !page.contains("Download the package"), "{page}");
    let legal = signed_in(&app, "example-mail", "legal.disposal").await;
    let page = legal
        .get(app.url(&format!("/requests/{id}")))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Détruite (clé effacée, fichier supprimé) le") && page.contains("Attestée"),
        "{page}"
    );
}

/// Migration 0022 gives a package sealed before encryption at rest an empty key: its file
/// (from before issue 17 too, so in the data directory and not the database), the package
/// as it left, is served, verified and shredded like the others.
async fn a_package_from_before_encryption_at_rest_is_served_verified_and_shredded(app: TestApp) {
    let (id, pid, sha) = delivered(&app).await;
    let authority = app.token("fr-tj-paris");
    let download = format!("/v1/requests/{id}/productions/{pid}/package");
    let (status, _, package) = authority.get_bytes(&download).await;
    assert_eq!(status, 200);
    // As it was before: the package itself on disk, none in the database, and the empty key
    // the migration wrote.
    let stored = app.files.path().join("productions").join(format!("{pid}.age"));
    std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
    std::fs::write(&stored, &package).unwrap();
    app.execute_sql(&format!("DELETE FROM package_chunks WHERE production = '{pid}'")).await;
    app.execute_sql(&format!(
        "UPDATE package_keys SET wrapped = substr(wrapped, 1, 0) WHERE production = '{pid}'"
    ))
    .await;
    assert_eq!(app.store.package_key(&pid).await.unwrap(), Some(Vec::new()));
    let (status, _, again) = authority.get_bytes(&download).await;
    assert_eq!(status, 200);
    assert_eq!(comity_seal::Sha256Hash::of(&again).to_string(), sha);
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (1, 0));

    app.app.sweep(retention_end() + Duration::seconds(1)).await.unwrap();
    assert!(!stored.exists());
    assert_eq!(authority.get(&download).await.0, 410);
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (0, 1));
}

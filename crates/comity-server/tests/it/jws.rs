//! Signed submissions (issue 5, item 2): each refusal has its own 401 code, is counted in
//! `/metrics` and kept in the journal, and a signature made by another JOSE library is
//! accepted (the interop itself is tested in `comity-auth`).

use comity_auth::jws::{Claims, SigningKey};
use comity_core::{FactKind, JournalQuery};

use serde_json::{Value, json};

use crate::support::{TestApp, claims, example, now_unix};

crate::both_backends!(
    every_refusal_has_its_code_and_leaves_a_trace,
    the_signature_is_kept_as_evidence_and_a_replay_never_creates_a_request,
    key_rotation_keeps_an_overlap_and_revocation_takes_effect,
    a_request_cannot_be_passed_off_as_another_authority,
);

fn doc() -> Value {
    example("eu-epoc-traffic.json")
}

/// `doc`'s claims, edited.
fn with(app: &TestApp, edit: impl FnOnce(&mut Claims)) -> String {
    let mut c = claims("fr-tj-paris", "example-mail", doc());
    edit(&mut c);
    app.sign_claims("fr-tj-paris", &c)
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn refusals(app: &TestApp, code: &str) -> usize {
    let text = app.metrics().await;
    let line = format!("comity_auth_refusals_total{{code=\"{code}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&line)).map_or(0, |n| n.parse().unwrap())
}

async fn every_refusal_has_its_code_and_leaves_a_trace(app: TestApp) {
    let now = now_unix() as i64;
    let stranger = SigningKey::generate();
    let valid = with(&app, |_| {});
    let (header, payload, _) = {
        let mut parts = valid.split('.');
        (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned())
    };
    let paris_kid = app.key_of("fr-tj-paris").public().key_id();
    // A key registered to de-sta-berlin, signing as fr-tj-paris.
    let berlin = app.key_of("de-sta-berlin");
    let as_paris_by_berlin = berlin
        .sign_compact(&berlin.public().key_id(), &claims("fr-tj-paris", "example-mail", doc()).to_payload());
    let cases: Vec<(&str, String, &str)> = vec![
        ("missing_signature", String::new(), "not signed"),
        ("malformed_jws", "not a jws".into(), "malformed"),
        ("malformed_jws", format!("{header}.{payload}"), "malformed"),
        ("unsupported_algorithm", format!("{}.{payload}.", b64(br#"{"alg":"none","kid":"x"}"#)), "EdDSA"),
        (
            "unsupported_algorithm",
            format!("{}.{payload}.c2ln", b64(br#"{"alg":"HS256","kid":"x"}"#)),
            "EdDSA",
        ),
        (
            "unknown_key",
            stranger.sign_compact(
                &stranger.public().key_id(),
                &claims("fr-tj-paris", "example-mail", doc()).to_payload(),
            ),
            "no registered key",
        ),
        (
            "bad_signature",
            stranger.sign_compact(&paris_kid, &claims("fr-tj-paris", "example-mail", doc()).to_payload()),
            "does not verify",
        ),
        (
            "bad_signature",
            format!("{header}.{}.{}", b64(b"{}"), valid.rsplit('.').next().unwrap()),
            "does not verify",
        ),
        ("key_not_of_issuer", as_paris_by_berlin, "not registered to the issuer"),
        (
            "expired",
            with(&app, |c| {
                c.iat = now - 1000;
                c.exp = now - 200;
            }),
            "expired",
        ),
        (
            "issued_in_future",
            with(&app, |c| {
                c.iat = now + 600;
                c.exp = now + 900;
            }),
            "later than now",
        ),
        ("lifetime_too_long", with(&app, |c| c.exp = c.iat + 901), "at most 900 s"),
        ("wrong_audience", with(&app, |c| c.aud = "example-cloud".into()), "audience"),
        (
            "wrong_audience",
            with(&app, |c| {
                c.aud = "nobody-here".into();
                c.request.insert("addressee".into(), json!({"provider": "nobody-here", "country": "IE"}));
            }),
            "audience",
        ),
        (
            "issuer_mismatch",
            with(&app, |c| {
                c.request["issuing"]["authority"] = "de-sta-berlin".into();
            }),
            "iss is \"fr-tj-paris\"",
        ),
    ];
    let journal_before =
        app.store.journal(&JournalQuery::kinds(&[FactKind::AuthRefused])).await.unwrap().len();
    for (code, jws, says) in &cases {
        let before = refusals(&app, code).await;
        let (status, body) = app.post_jws(jws).await;
        assert_eq!(status, 401, "{code}: {body}");
        assert_eq!(body["error"]["code"], *code, "{body}");
        let message = body["error"]["message"].as_str().unwrap().to_lowercase();
        assert!(message.contains(&says.to_lowercase()), "{code}: {message}");
        assert_eq!(refusals(&app, code).await, before + 1, "{code} is counted in /metrics");
    }
    // Each refusal is in the journal, with its code, and so in the audit log.
    let journal = app.store.journal(&JournalQuery::kinds(&[FactKind::AuthRefused])).await.unwrap();
    assert_eq!(journal.len() - journal_before, cases.len());
    for (entry, (code, _, _)) in journal[journal_before..].iter().zip(&cases) {
        assert_eq!(entry.subject, *code);
        assert!(entry.log_index.is_some());
        let fact: Value = serde_json::from_str(&entry.content).unwrap();
        assert_eq!(fact["client"], "127.0.0.1");
    }
    // Nothing refused was stored.
    assert_eq!(app.token("example-mail").get("/v1/requests").await.1["total"], 0);
    // And what is right is accepted.
    let (status, body) = app.post_jws(&valid).await;
    assert_eq!(status, 201, "{body}");
    // A person's JSON without a session, or a system's JSON, is not a signature.
    let (status, body) = app.anonymous().post("/v1/requests", &doc()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_signature")));
    let (status, body) = app.token("fr-tj-paris").post("/v1/requests", &doc()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("must sign"), "{body}");
}

async fn the_signature_is_kept_as_evidence_and_a_replay_never_creates_a_request(app: TestApp) {
    let jws = app.sign(&doc());
    let (status, created) = app.post_jws(&jws).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    // The provider can show what was signed, byte for byte.
    let r = app
        .client
        .get(app.url(&format!("/v1/requests/{id}/signature")))
        .bearer_auth(app.issue_token("example-mail").await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/jose");
    assert_eq!(r.text().await.unwrap(), jws);
    // The receipt's log entry commits to it: the store checks against its log.
    let stored = app.store.request(comity_core::RequestId::parse(id).unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.signature.as_deref(), Some(jws.as_str()));

    // The same JWS again, at once and concurrently: refused, and never a second request.
    let (status, body) = app.post_jws(&jws).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("replayed")), "{body}");
    let jws2 = app.sign(&doc());
    let mut tasks = Vec::new();
    let app = std::sync::Arc::new(app);
    for _ in 0..8 {
        let (app, jws2) = (app.clone(), jws2.clone());
        tasks.push(tokio::spawn(async move { app.post_jws(&jws2).await.0 }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [201, 401, 401, 401, 401, 401, 401, 401]);
    assert_eq!(app.token("example-mail").get("/v1/requests").await.1["total"], 2);
}

async fn key_rotation_keeps_an_overlap_and_revocation_takes_effect(app: TestApp) {
    let admin = app.admin();
    let old = app.key_of("nl-om-rotterdam");
    let new = SigningKey::generate();
    let jwk: Value = serde_json::from_str(&new.public().to_jwk()).unwrap();
    let rotate = json!({"public_key": jwk, "replaces": old.public().key_id().as_str(), "overlap_hours": 1});
    let (status, key) = admin.post("/v1/admin/authorities/nl-om-rotterdam/keys", &rotate).await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(key["kid"], new.public().key_id().as_str());
    let mut doc = example("eu-epoc-pr-preservation.json");
    doc["issuing"]["reference"] = "ROT-1".into();
    let sign = |key: &SigningKey, doc: &Value| {
        key.sign_compact(
            &key.public().key_id(),
            &claims("nl-om-rotterdam", "example-cloud", doc.clone()).to_payload(),
        )
    };
    // Both keys work during the overlap.
    assert_eq!(app.post_jws(&sign(&old, &doc)).await.0, 201);
    assert_eq!(app.post_jws(&sign(&new, &doc)).await.0, 201);
    let (_, keys) = admin.get("/v1/admin/authorities/nl-om-rotterdam/keys").await;
    let statuses: Vec<&str> =
        keys.as_array().unwrap().iter().map(|k| k["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["retiring", "active"]);

    // Revoked from a minute ago: whatever it signs now is refused.
    let revoke =
        json!({"reason": "laptop stolen", "effective_at": chrono::Utc::now() - chrono::Duration::minutes(1)});
    let kid = old.public().key_id();
    let (status, body) = admin
        .post(&format!("/v1/admin/authorities/nl-om-rotterdam/keys/{}/revoke", kid.as_str()), &revoke)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "revoked");
    let (status, body) = app.post_jws(&sign(&old, &doc)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("key_revoked")), "{body}");
    // Retired by a rotation whose overlap is over: not active.
    let newest = SigningKey::generate();
    let jwk: Value = serde_json::from_str(&newest.public().to_jwk()).unwrap();
    let rotate = json!({"public_key": jwk, "replaces": new.public().key_id().as_str(), "overlap_hours": 0});
    assert_eq!(admin.post("/v1/admin/authorities/nl-om-rotterdam/keys", &rotate).await.0, 201);
    let (status, body) = app.post_jws(&sign(&new, &doc)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("key_not_active")), "{body}");
    assert_eq!(app.post_jws(&sign(&newest, &doc)).await.0, 201);

    // The whole history stays, each step in the audit log.
    let (_, keys) = admin.get("/v1/admin/authorities/nl-om-rotterdam/keys").await;
    let history: Vec<(&str, usize)> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["status"].as_str().unwrap(), k["log_indexes"].as_array().unwrap().len()))
        .collect();
    assert_eq!(history, [("revoked", 3), ("retired", 2), ("active", 1)]);

    // Mistakes get clear answers.
    for (body, code) in [
        (json!({"public_key": "not a key"}), "invalid_key"),
        (
            json!({"public_key": serde_json::from_str::<Value>(&SigningKey::generate().to_jwk_private()).unwrap()}),
            "invalid_key",
        ),
        (json!({"public_key": jwk.clone()}), "conflict"),
        (
            json!({"public_key": serde_json::from_str::<Value>(&SigningKey::generate().public().to_jwk()).unwrap(), "replaces": "nope"}),
            "not_found",
        ),
        (
            json!({"public_key": serde_json::from_str::<Value>(&SigningKey::generate().public().to_jwk()).unwrap(), "overlap_hours": 5}),
            "invalid_key",
        ),
    ] {
        let (status, answer) = admin.post("/v1/admin/authorities/nl-om-rotterdam/keys", &body).await;
        assert!((400..500).contains(&status), "{body} -> {answer}");
        assert_eq!(answer["error"]["code"], code, "{body} -> {answer}");
    }
    let (status, _) = admin.post("/v1/admin/authorities/nobody/keys", &json!({"public_key": jwk})).await;
    assert_eq!(status, 404);
    // Only the operator's admin manages keys.
    assert_eq!(
        app.token("example-cloud").post("/v1/admin/authorities/nl-om-rotterdam/keys", &rotate).await.0,
        403
    );
}

async fn a_request_cannot_be_passed_off_as_another_authority(app: TestApp) {
    // Signed by Berlin's key, claiming to be Berlin, but the document says Paris.
    let mut c = claims("de-sta-berlin", "example-mail", doc());
    c.request["issuing"]["authority"] = "fr-tj-paris".into();
    let (status, body) = app.post_jws(&app.sign_claims("de-sta-berlin", &c)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("issuer_mismatch")), "{body}");
    // A person of Berlin, logged in, sending Paris's document through the portal.
    let (status, body) = app.person("de-sta-berlin").await.post("/v1/requests", &doc()).await;
    assert_eq!(status, 403, "{body}");
    // Nothing was stored under either name.
    for authority in ["fr-tj-paris", "de-sta-berlin"] {
        assert_eq!(app.token(authority).get("/v1/requests").await.1["total"], 0, "{authority}");
    }
}

//! Acceptance of issue 5: "a stolen database alone (no server secrets) gives no token,
//! password or TOTP secret in the clear". Every secret comity hands out is looked for
//! in every byte of the database, in every encoding it could be stored in.
//!
//! Acceptance of issue 15: "a copy of the database and data directory after shredding
//! holds no request document, selector or record in the clear", and "`comity log verify
//! --data-dir` still passes after shredding, and still names a tampered row".

use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

use crate::support::{TestApp, example, now_unix, session_cookie, totp_secret};

crate::both_backends!(
    a_copy_of_the_database_holds_no_secret_in_the_clear,
    request_documents_are_sealed_at_rest_and_shredded_at_their_retention,
    verification_tells_a_shredded_row_from_a_tampered_one,
    a_request_whose_documents_were_shredded_moves_no_more,
);

fn encodings(secret: &[u8]) -> Vec<Vec<u8>> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        secret.to_vec(),
        STANDARD.encode(secret).into_bytes(),
        URL_SAFE_NO_PAD.encode(secret).into_bytes(),
        hex.into_bytes(),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() >= 8 && haystack.windows(needle.len()).any(|w| w == needle)
}

async fn a_copy_of_the_database_holds_no_secret_in_the_clear(app: TestApp) {
    let admin = app.admin();
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();

    // An API token.
    let (_, token) = admin.post("/v1/admin/tokens", &json!({"org": "example-mail", "role": "handler"})).await;
    let token = token["token"].as_str().unwrap().to_owned();
    // comity_<16-character id>_<43-character secret>; the secret's base64url may hold '_'.
    let secret_part = token[24..].to_owned();
    secrets.push(("the token".into(), token.clone().into_bytes()));
    secrets.push(("the token's secret".into(), secret_part.clone().into_bytes()));
    for e in encodings(&URL_SAFE_NO_PAD.decode(&secret_part).unwrap()) {
        secrets.push(("the token's secret bytes".into(), e));
    }

    // A person: first password and TOTP secret, and a session.
    let (status, user) = admin
        .post(
            "/v1/admin/users",
            &json!({"username": "legal.3", "org": "example-mail", "role": "handler", "name": "Legal Three"}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let password = user["password"].as_str().unwrap().to_owned();
    let totp = totp_secret(user["totp_secret"].as_str().unwrap());
    secrets.push(("the password".into(), password.clone().into_bytes()));
    secrets
        .push(("the TOTP secret (base32)".into(), user["totp_secret"].as_str().unwrap().as_bytes().to_vec()));
    for e in encodings(totp.as_bytes()) {
        secrets.push(("the TOTP secret".into(), e));
    }
    let code = comity_auth::totp::code_at(&totp, now_unix());
    let r = app
        .client
        .post(app.url("/v1/session"))
        .json(&json!({"username": "legal.3", "password": password, "totp": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cookie = session_cookie(&r).unwrap();
    secrets.push(("the session cookie".into(), cookie.clone().into_bytes()));
    for e in encodings(&URL_SAFE_NO_PAD.decode(&cookie).unwrap()) {
        secrets.push(("the session id".into(), e));
    }

    // A one-time verification link.
    let contact = json!({"id": "duty-officer", "name": "Duty officer", "email": "duty@berlin.example.org"});
    assert_eq!(admin.post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await.0, 201);
    let id = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    let (_, link) = app
        .token("example-mail")
        .post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "duty-officer"}))
        .await;
    let link = link["url"].as_str().unwrap().strip_prefix("/verify#").unwrap().to_owned();
    secrets.push(("the verification link".into(), link.clone().into_bytes()));
    for e in encodings(&URL_SAFE_NO_PAD.decode(&link).unwrap()) {
        secrets.push(("the link's secret".into(), e));
    }

    // A provider's private production key (issue 17): in the database, sealed only.
    let (registered, _) = app.operator().registers().generate_production_key("example-mail").await.unwrap();
    let provider = comity_core::PartyId::parse("example-mail").unwrap();
    let sealed_key = app.store.production_key(&provider, &registered.key).await.unwrap().unwrap();
    let server_key = comity_app::DataDir::existing(app.files.path()).unwrap().existing_server_key().unwrap();
    let key_aad = comity_app::production_key_aad(&provider, &registered.key);
    let jwk: serde_json::Value =
        serde_json::from_slice(&server_key.open(&sealed_key, &key_aad).unwrap()).unwrap();
    let d = jwk["d"].as_str().unwrap();
    secrets.push(("the production key's private JWK".into(), serde_json::to_vec(&jwk).unwrap()));
    for e in encodings(&URL_SAFE_NO_PAD.decode(d).unwrap()) {
        secrets.push(("the production key's private scalar".into(), e));
    }

    let stolen = app.database_bytes().await;
    assert!(stolen.len() > 10_000, "the copy has the database in it");
    // It does hold what is not secret, so the search would find a secret if it were there.
    assert!(contains(&stolen, b"Legal Three"), "the search works");
    for (what, secret) in &secrets {
        assert!(!contains(&stolen, secret), "{what} is in the database in the clear");
    }

    // The sealed TOTP secret is there, and opens with the server key only.
    let user = app.store.user(&comity_core::Username::parse("legal.3").unwrap()).await.unwrap().unwrap();
    let aad = comity_app::totp_aad(&user.username);
    let other = comity_auth::seal::ServerKey::generate();
    assert!(other.open(&user.totp_sealed, &aad).is_err(), "another key opens the TOTP secret");
    assert!(other.open(&sealed_key, &key_aad).is_err(), "another key opens the production key");
    let moved = comity_app::production_key_aad(
        &comity_core::PartyId::parse("example-cloud").unwrap(),
        &registered.key,
    );
    assert!(server_key.open(&sealed_key, &moved).is_err(), "the sealed key opens for another provider");
    assert!(user.password_hash.starts_with("$argon2id$"), "{}", user.password_hash);
}

/// Everything of a request that must never be in the database in the clear: its targets,
/// its text, and the signed submission (whose payload is the document, base64url).
fn document_secrets(doc: &serde_json::Value, jws: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        (
            "the selector".to_owned(),
            doc["targets"][0]["selector"]["value"].as_str().unwrap().as_bytes().to_vec(),
        ),
        ("the justification".to_owned(), doc["justification"].as_str().unwrap().as_bytes()[..60].to_vec()),
        ("the offence".to_owned(), doc["offence"]["description"].as_str().unwrap().as_bytes()[..40].to_vec()),
        (
            "the nondisclosure's reason".to_owned(),
            doc["nondisclosure"]["reason"].as_str().unwrap().as_bytes()[..40].to_vec(),
        ),
        ("the signed submission".to_owned(), jws.as_bytes().to_vec()),
    ];
    // The JWS's payload and signature, each on its own.
    for (n, part) in jws.split('.').enumerate().skip(1) {
        out.push((
            format!("part {n} of the signed submission"),
            part.as_bytes()[..part.len().min(64)].to_vec(),
        ));
    }
    for (what, secret) in out.clone() {
        if what == "the selector" {
            for e in encodings(&secret).into_iter().skip(1) {
                out.push(("the selector, encoded".to_owned(), e));
            }
        }
    }
    out
}

/// A request of the examples, with targets and text of its own, submitted signed.
async fn submit_distinct(app: &TestApp, selector: &str) -> (String, serde_json::Value, String) {
    let mut doc = example("eu-epoc-traffic.json");
    doc["targets"][0]["selector"]["value"] = json!(selector);
    doc["justification"] = json!(format!(
        "Payments to the fake investment site were confirmed by {selector} in every one of the transfers"
    ));
    let jws = app.sign(&doc);
    let (status, body) = app.post_jws(&jws).await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_str().unwrap().to_owned(), doc, jws)
}

/// After the request ended and its retention passed: the sweep that destroys the key.
async fn shred(app: &TestApp, id: &str) {
    assert_eq!(app.move_to(id, "withdrawn").await.0, 200);
    let retention = app.app.settings().document_retention;
    // A day before the end of the retention nothing is destroyed.
    let early = app.app.sweep(chrono::Utc::now() + retention - chrono::Duration::days(1)).await.unwrap();
    assert!(early.shredded.is_empty(), "{early:?}");
    let sweep = app.app.sweep(chrono::Utc::now() + retention + chrono::Duration::days(1)).await.unwrap();
    let shredded: Vec<String> = sweep.shredded.iter().map(|s| s.request.to_string()).collect();
    assert_eq!(shredded, vec![id.to_owned()]);
    // Once only.
    let again = app.app.sweep(chrono::Utc::now() + retention + chrono::Duration::days(2)).await.unwrap();
    assert!(again.shredded.is_empty());
}

async fn request_documents_are_sealed_at_rest_and_shredded_at_their_retention(app: TestApp) {
    let (id, doc, jws) = submit_distinct(&app, "stolen.target@example.org").await;
    let provider = app.provider_of(&id).await;
    let secrets = document_secrets(&doc, &jws);

    // Sealed from the start: the database holds none of it, and the server reads it all.
    let stolen = app.database_bytes().await;
    assert!(contains(&stolen, b"PARQUET-2026-0042"), "the search works: the case reference is not sealed");
    for (what, secret) in &secrets {
        assert!(!contains(&stolen, secret), "{what} is in the database in the clear");
    }
    let (status, read) = provider.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["document"]["targets"][0]["selector"]["value"], "stolen.target@example.org");
    let (status, _, signature) = provider.get_bytes(&format!("/v1/requests/{id}/signature")).await;
    assert_eq!(
        (status, signature),
        (200, jws.clone().into_bytes()),
        "the signature reads back byte for byte"
    );
    let wrapped = app
        .sql(&format!("SELECT wrapped FROM document_keys WHERE request_id = '{id}'"))
        .await
        .expect("the request has a data key");
    // Wrapped by the server key: another key does not unwrap it.
    let rid = comity_core::RequestId::parse(&id).unwrap();
    use comity_app::at_rest::KeyWrap;
    let other = comity_app::at_rest::LocalKeyWrap::new(comity_auth::seal::ServerKey::generate());
    assert!(other.unwrap(rid, &wrapped).is_err(), "another key unwraps the data key");
    shred(&app, &id).await;

    // The documents' endpoints answer 410 Gone, with when and why; the rest still reads.
    for path in [
        format!("/v1/requests/{id}"),
        format!("/v1/requests/{id}/documents"),
        format!("/v1/requests/{id}/signature"),
    ] {
        let (status, body) = provider.get(&path).await;
        assert_eq!(status, 410, "{path}: {body}");
        assert_eq!(body["error"]["code"], "documents_shredded", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("end of their retention") && message.contains("withdrawn"), "{message}");
    }
    assert_eq!(provider.get(&format!("/v1/requests/{id}/events")).await.0, 200);
    let facts = app
        .store
        .journal(&comity_core::JournalQuery::kinds(&[comity_core::FactKind::DocumentsShredded]).request(rid))
        .await
        .unwrap();
    assert_eq!(facts.len(), 1, "the shredding is a fact of the log");

    // A copy of the database and the data directory: no document, no selector, and not
    // the data key either, which the server key in the same copy would unwrap.
    let mut stolen = app.database_bytes().await;
    for entry in walk(app.files.path()) {
        if !entry.file_name().unwrap().to_string_lossy().starts_with(comity_store::DATABASE_FILE) {
            stolen.extend(std::fs::read(&entry).unwrap());
        }
    }
    for (what, secret) in &secrets {
        assert!(!contains(&stolen, secret), "{what} is in the copy in the clear after shredding");
    }
    assert!(!contains(&stolen, &wrapped), "the destroyed data key is still in the copy");
    assert!(app.sql(&format!("SELECT wrapped FROM document_keys WHERE request_id = '{id}'")).await.is_none());

    // The log still verifies: it committed to the documents, never held them.
    app.checkpoint_now().await;
    let verified =
        comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {})
            .await
            .unwrap();
    assert_eq!(verified.shredded, 1, "{verified:?}");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

async fn verification_tells_a_shredded_row_from_a_tampered_one(app: TestApp) {
    let (shredded, _, _) = submit_distinct(&app, "first.target@example.org").await;
    let (kept, _, _) = submit_distinct(&app, "second.target@example.org").await;
    shred(&app, &shredded).await;
    app.checkpoint_now().await;
    let verify = || async {
        comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {}).await
    };
    assert_eq!(verify().await.unwrap().shredded, 1);

    // A shredded request's sealed row changed afterwards is named as changed.
    app.sql(&format!("UPDATE requests SET document = 'sealed:v1:AAAA' || document WHERE id = '{shredded}'"))
        .await;
    let e = verify().await.unwrap_err().to_string();
    assert!(e.contains(&shredded) && e.contains("shredded") && e.contains("changed since"), "{e}");
    app.sql(&format!("UPDATE requests SET document = substr(document, 15) WHERE id = '{shredded}'")).await;
    assert_eq!(verify().await.unwrap().shredded, 1, "the row as it was verifies again");

    // A sealed row changed while its key is kept does not open: named.
    app.sql(&format!(
        "UPDATE requests SET document = 'sealed:v1:' || substr(document, 12) WHERE id = '{kept}'"
    ))
    .await;
    let e = verify().await.unwrap_err().to_string();
    assert!(e.contains(&kept) && e.contains("document"), "{e}");
    app.sql(&format!(
        "UPDATE requests SET document = 'sealed:v1:A' || substr(document, 11) WHERE id = '{kept}'"
    ))
    .await;
    verify().await.unwrap();

    // A key destroyed behind comity's back, with no fact in the log, is named as such.
    app.sql(&format!("DELETE FROM document_keys WHERE request_id = '{kept}'")).await;
    let e = verify().await.unwrap_err().to_string();
    assert!(e.contains(&kept) && e.contains("records no shredding"), "{e}");
}

/// A rejected request whose documents were destroyed at the end of their retention cannot
/// be appealed: 410 Gone saying when and why, never a server error.
async fn a_request_whose_documents_were_shredded_moves_no_more(app: TestApp) {
    let id = app.submit(&crate::support::example("eu-epoc-traffic.json")).await;
    app.assign(&id, crate::support::REVIEWER).await;
    let (status, body) = app.token(crate::support::REVIEWER).move_to(&id, "rejected").await;
    assert_eq!(status, 200, "{body}");
    let retention = app.app.settings().document_retention;
    let sweep = app.app.sweep(chrono::Utc::now() + retention + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(sweep.shredded.len(), 1, "{sweep:?}");
    let (status, body) = app.token("fr-tj-paris").move_to(&id, "appealed").await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "documents_shredded", "{body}");
}

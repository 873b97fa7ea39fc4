//! Acceptance of issue 5: "a stolen database alone (no server secrets) gives no token,
//! password or TOTP secret in the clear". Every secret comity hands out is looked for
//! in every byte of the database, in every encoding it could be stored in.

use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

use crate::support::{TestApp, example, now_unix, session_cookie, totp_secret};

crate::both_backends!(a_copy_of_the_database_holds_no_secret_in_the_clear);

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
    assert!(user.password_hash.starts_with("$argon2id$"), "{}", user.password_hash);
}

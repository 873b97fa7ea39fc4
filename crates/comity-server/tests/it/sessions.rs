//! People log in with a password and a TOTP code; systems carry API tokens (issue 5,
//! items 1, 4 and 7). Every failure answers alike, failures lock the name with a
//! growing back-off and block the client, and nothing tells whether a user exists.

use comity_server::limits::RateLimits;
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, now_unix, session_cookie, spawn_bare};

crate::both_backends!(
    a_person_logs_in_with_password_and_code_and_out_again,
    every_failed_login_answers_alike_and_locks_the_name,
    a_code_is_good_once,
    a_disabled_account_is_out_at_once,
    tokens_expire_are_revoked_and_never_say_why_they_fail,
);

async fn login(app: &TestApp, username: &str, password: &str, code: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/session"))
        .json(&json!({"username": username, "password": password, "totp": code}))
        .send()
        .await
        .unwrap()
}

async fn a_person_logs_in_with_password_and_code_and_out_again(app: TestApp) {
    let (password, secret) = app.create_user("example-mail", "legal.7").await;
    let code = comity_auth::totp::code_at(&secret, now_unix());
    let r = login(&app, "legal.7", &password, &code).await;
    assert_eq!(r.status().as_u16(), 200);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing: {set_cookie}");
    }
    let cookie = session_cookie(&r).unwrap();
    let who: Value = r.json().await.unwrap();
    assert_eq!(
        (who["actor"].as_str(), who["role"].as_str()),
        (Some("legal.7@example-mail"), Some("handler"))
    );

    let with =
        |c: &str| app.client.get(app.url("/v1/session")).header("cookie", format!("comity_session={c}"));
    let me: Value = with(&cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["credential"], "person");
    // The person's reads are logged under their account.
    let id = app.submit(&crate::support::example("eu-epoc-traffic.json")).await;
    let r = app
        .client
        .get(app.url(&format!("/v1/requests/{id}")))
        .header("cookie", format!("comity_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let index: u64 = r.headers()["comity-log-index"].to_str().unwrap().parse().unwrap();
    let entry = app.store.log_records(index, 1).await.unwrap();
    assert_eq!(entry[0].actor.as_ref().map(|a| a.as_str()), Some("legal.7@example-mail"));

    // A password change needs the current one and a fresh code, and the new one must meet
    // the policy (the next step's code: the login used this one's).
    let next = comity_auth::totp::code_at(&secret, now_unix() + 30);
    let change = |current: &str, new: &str| {
        app.client
            .post(app.url("/v1/session/password"))
            .header("cookie", format!("comity_session={cookie}"))
            .json(&json!({"current_password": current, "totp": next, "new_password": new}))
            .send()
    };
    assert_eq!(change("wrong password!", "a new long passphrase").await.unwrap().status().as_u16(), 401);
    assert_eq!(change(&password, "short").await.unwrap().status().as_u16(), 422);
    assert_eq!(change(&password, "a new long passphrase").await.unwrap().status().as_u16(), 204);

    // Logging out ends the session: the cookie no longer works.
    let r = app
        .client
        .delete(app.url("/v1/session"))
        .header("cookie", format!("comity_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let r = with(&cookie).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "session_expired");
    // A forged cookie is refused too, without reaching the store.
    assert_eq!(with("x").send().await.unwrap().status().as_u16(), 401);
}

async fn every_failed_login_answers_alike_and_locks_the_name(app: TestApp) {
    let (password, secret) = app.create_user("de-sta-berlin", "clerk.1").await;
    let code = comity_auth::totp::code_at(&secret, now_unix());
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let attempts = [
        ("clerk.1", "not the password", code.as_str()),
        ("clerk.1", password.as_str(), wrong_code),
        ("nobody.here", password.as_str(), code.as_str()),
        ("Not A Name!", "x", "12"),
    ];
    let mut bodies = Vec::new();
    for (user, pass, code) in attempts {
        let r = login(&app, user, pass, code).await;
        assert_eq!(r.status().as_u16(), 401, "{user}");
        assert!(r.headers().get("set-cookie").is_none());
        bodies.push(r.json::<Value>().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "the answers differ: {bodies:?}");
    assert_eq!(bodies[0]["error"]["code"], "invalid_credentials");

    // Five failures lock the name, known or not, for a growing while: even the right
    // password and code are refused meanwhile.
    for name in ["clerk.1", "ghost.user"] {
        for _ in 0..5 {
            login(&app, name, "wrong password", "000000").await;
        }
        let r = login(&app, name, &password, &code).await;
        assert_eq!(r.status().as_u16(), 429, "{name}");
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=120).contains(&retry), "{retry}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "locked");
    }
}

async fn a_code_is_good_once(app: TestApp) {
    let (password, secret) = app.create_user("gb-nca", "officer.9").await;
    let code = comity_auth::totp::code_at(&secret, now_unix());
    assert_eq!(login(&app, "officer.9", &password, &code).await.status().as_u16(), 200);
    // The same code again, as someone who looked over a shoulder would send it.
    assert_eq!(login(&app, "officer.9", &password, &code).await.status().as_u16(), 401);
}

async fn a_disabled_account_is_out_at_once(app: TestApp) {
    let (password, secret) = app.create_user("fr-tj-paris", "clerk.5").await;
    let code = comity_auth::totp::code_at(&secret, now_unix());
    let r = login(&app, "clerk.5", &password, &code).await;
    let cookie = session_cookie(&r).unwrap();
    let me =
        || app.client.get(app.url("/v1/session")).header("cookie", format!("comity_session={cookie}")).send();
    assert_eq!(me().await.unwrap().status().as_u16(), 200);
    // A stolen account (issue 5: police portal accounts on sale) is disabled by the admin.
    let admin = app.admin();
    let reason = json!({"reason": "credentials seen for sale"});
    assert_eq!(app.token("fr-tj-paris").post("/v1/admin/users/clerk.5/disable", &reason).await.0, 403);
    let (status, user) = admin.post("/v1/admin/users/clerk.5/disable", &reason).await;
    assert_eq!(status, 200, "{user}");
    assert!(user["disabled_at"].is_string());
    // Its session is over, and the right password and a fresh code no longer log in.
    assert_eq!(me().await.unwrap().status().as_u16(), 401);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let code = comity_auth::totp::code_at(&secret, now_unix() + 30);
    let r = login(&app, "clerk.5", &password, &code).await;
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(admin.post("/v1/admin/users/clerk.5/disable", &reason).await.0, 404, "once");
    let (_, users) = admin.get("/v1/admin/users").await;
    let listed = users.as_array().unwrap().iter().find(|u| u["username"] == "clerk.5").unwrap();
    assert!(listed["disabled_at"].is_string());
    // The journal keeps why, in the audit log.
    let facts = app
        .store
        .journal(&comity_core::JournalQuery::kinds(&[comity_core::FactKind::UserDisabled]))
        .await
        .unwrap();
    assert!(facts.iter().any(|j| j.subject == "clerk.5" && j.log_index.is_some()));
}

async fn tokens_expire_are_revoked_and_never_say_why_they_fail(app: TestApp) {
    let admin = app.admin();
    let (status, created) = admin
        .post(
            "/v1/admin/tokens",
            &json!({"org": "example-cloud", "role": "handler", "label": "case system", "expires_in": "1d"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("comity_") && token.len() == 67, "{token}");
    let me = |t: String| app.client.get(app.url("/v1/session")).bearer_auth(t).send();
    let r = me(token.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let who: Value = r.json().await.unwrap();
    assert_eq!((who["org"].as_str(), who["credential"].as_str()), (Some("example-cloud"), Some("token")));
    // Listed without its secret.
    let (_, tokens) = admin.get("/v1/admin/tokens").await;
    assert!(tokens.as_array().unwrap().iter().all(|t| t.get("token").is_none()));

    // Revoked: refused at once, in the same words as one that never existed.
    let id = created["id"].as_str().unwrap();
    assert_eq!(admin.post(&format!("/v1/admin/tokens/{id}/revoke"), &json!({})).await.0, 200);
    let revoked: Value = me(token.clone()).await.unwrap().json().await.unwrap();
    let mut forged = token.clone();
    forged.replace_range(30..31, if &token[30..31] == "A" { "B" } else { "A" });
    let r = me(forged).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let unknown: Value = r.json().await.unwrap();
    assert_eq!(revoked, unknown);
    let r = app
        .client
        .get(app.url("/v1/session"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // A role that does not fit the organisation, or a life beyond a year, is refused.
    for (body, field) in [
        (json!({"org": "example-cloud", "role": "reviewer"}), "role"),
        (json!({"org": "example-cloud", "role": "handler", "expires_in": "400d"}), "expires_in"),
        (json!({"org": "nobody", "role": "handler"}), "org"),
    ] {
        let (status, answer) = admin.post("/v1/admin/tokens", &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["details"][0]["path"], field, "{answer}");
    }
    // Only the operator's admin issues tokens.
    assert_eq!(
        app.token("example-cloud")
            .post("/v1/admin/tokens", &json!({"org": "example-cloud", "role": "handler"}))
            .await
            .0,
        403
    );
}

/// Per-client limits: a burst over the rate gets 429 with Retry-After, and a client that
/// keeps failing to authenticate is blocked from every endpoint for a while.
#[tokio::test]
async fn limits_answer_429_with_retry_after_sqlite() {
    let app =
        spawn_bare(Backend::Sqlite, RateLimits { per_second: 5, failures_per_minute: 3 }).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(app.client.get(app.url("/healthz")).send().await.unwrap());
    }
    let limited = statuses.iter().find(|r| r.status().as_u16() == 429).expect("a burst of 30 is limited");
    assert!(limited.headers().contains_key("retry-after"));
    assert!(statuses.iter().take(10).all(|r| r.status().as_u16() == 200), "a burst of twice the rate passes");
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    // Three bad tokens, then even a good one is refused for a while.
    for _ in 0..4 {
        app.client
            .get(app.url("/v1/session"))
            .bearer_auth("comity_aaaaaaaaaaaaaaaa_bad")
            .send()
            .await
            .unwrap();
    }
    let r = app
        .client
        .get(app.url("/v1/session"))
        .bearer_auth(app.issue_token(crate::support::OPERATOR).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains("failed"), "{body}");
    // From every endpoint, for a while.
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status().as_u16(), 429);
}

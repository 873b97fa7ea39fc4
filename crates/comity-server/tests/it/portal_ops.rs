//! The operator's and the auditor's pages (issue 14): each act of an operator's admin from
//! its form (done, refused field by field, and not found for anyone else), the audit
//! sample, and one walk in a real browser with axe-core on each page.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::portal::{
    assert_accessible_answer_in_both, assert_accessible_in_both, browser, csrf_of, driver, first_sign_in,
    form_client, main_text, signed_in, submit,
};
use crate::support::{Backend, OPERATOR, REVIEWER, TestApp, example, spawn_app};

crate::both_backends!(
    an_operator_registers_parties_from_the_portal,
    an_operator_revokes_a_key_after_saying_why,
    an_operator_creates_an_account_and_disables_it,
    an_operator_creates_a_token_and_revokes_it,
    an_auditor_draws_a_sample_with_each_requests_entries,
    an_operator_rotates_a_key,
    an_operator_answers_an_objection_to_a_reviewer,
);

/// A page's text and status.
async fn get(browser: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = browser.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form from the page at `from` (whose token it carries); the answer's status,
/// `Location` and text.
async fn post(
    browser: &reqwest::Client,
    app: &TestApp,
    from: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, page) = get(browser, app, from).await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf_of(&page))];
    form.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let r = browser.post(app.url(to)).form(&form).send().await.unwrap();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status().as_u16(), location, r.text().await.unwrap())
}

/// Every page of `pages` and every form's address of `forms` answers a signed-in
/// reviewer as a path that does not exist.
async fn not_found_to_others(app: &TestApp, pages: &[&str], forms: &[&str]) {
    let judge = signed_in(app, REVIEWER, "judge.nosy").await;
    let (_, home) = get(&judge, app, "/").await;
    let token = csrf_of(&home);
    for path in pages {
        let (status, page) = get(&judge, app, path).await;
        assert_eq!(status, 404, "{path} is not found to a reviewer: {page}");
    }
    for path in forms {
        let r = judge
            .post(app.url(path))
            .form(&[("csrf", token.as_str()), ("reason", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "a post to {path} is not found to a reviewer either");
    }
}

async fn an_operator_registers_parties_from_the_portal(app: TestApp) {
    let admin = signed_in(&app, OPERATOR, "ops.parties").await;
    let (status, home) = get(&admin, &app, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("href=\"/operator/parties\""), "the home links the parties: {home}");
    let (status, page) = get(&admin, &app, "/operator/parties").await;
    assert_eq!(status, 200);
    assert!(page.contains("fr-tj-paris") && page.contains("Register a provider"), "{page}");

    let provider = [("id", "new-mail"), ("country", "IE"), ("name", "New Mail Ltd")];
    let (status, location, _) =
        post(&admin, &app, "/operator/parties", "/operator/parties/providers", &provider).await;
    assert_eq!((status, location.as_str()), (303, "/operator/parties"));
    let (_, providers) = app.admin().get("/v1/admin/providers").await;
    assert!(providers.as_array().unwrap().iter().any(|p| p["id"] == "new-mail"), "{providers}");

    // Each problem beside its field, the form kept as typed.
    let bad = [("id", "Not An Id"), ("country", "Ireland"), ("name", "Somebody")];
    let (status, _, page) =
        post(&admin, &app, "/operator/parties", "/operator/parties/providers", &bad).await;
    assert_eq!(status, 422, "{page}");
    for field in ["providers-id", "providers-country"] {
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field} has its error: {page}");
        assert!(page.contains(&format!("href=\"#{field}\"")), "the summary links {field}");
    }
    assert!(page.contains("value=\"Somebody\""), "the form keeps what was typed");
    // An id taken is the id's problem; a missing type the type's.
    let (status, _, page) =
        post(&admin, &app, "/operator/parties", "/operator/parties/providers", &provider).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"providers-id-error\""), "{page}");
    let authority = [("id", "es-an-madrid"), ("country", "ES"), ("name", "Audiencia Nacional")];
    let (status, _, page) =
        post(&admin, &app, "/operator/parties", "/operator/parties/authorities", &authority).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"authorities-authority_type-error\""), "{page}");
    let reviewer =
        [("id", "es-aepd"), ("country", "ES"), ("name", "AEPD"), ("kind", "data_protection_authority")];
    let (status, ..) =
        post(&admin, &app, "/operator/parties", "/operator/parties/reviewers", &reviewer).await;
    assert_eq!(status, 303);
    let (_, reviewers) = app.admin().get("/v1/admin/reviewers").await;
    assert!(reviewers.as_array().unwrap().iter().any(|p| p["id"] == "es-aepd"), "{reviewers}");

    not_found_to_others(&app, &["/operator/parties"], &["/operator/parties/providers"]).await;
}

async fn an_operator_revokes_a_key_after_saying_why(app: TestApp) {
    let (_, keys) = app.admin().get("/v1/admin/authorities/fr-tj-paris/keys").await;
    let kid = keys[0]["kid"].as_str().unwrap().to_owned();
    let admin = signed_in(&app, OPERATOR, "ops.keys").await;
    let list = "/operator/authorities/fr-tj-paris/keys";
    let (status, page) = get(&admin, &app, list).await;
    assert_eq!(status, 200);
    let confirm = format!("{list}/{kid}/revoke");
    assert!(page.contains(&format!("href=\"{confirm}\"")), "{page}");
    let (status, page) = get(&admin, &app, &confirm).await;
    assert_eq!(status, 200);
    assert!(page.contains("cannot be undone") && page.contains(&kid), "it says what will happen: {page}");
    let (status, _, page) = post(&admin, &app, &confirm, &confirm, &[("reason", "  ")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"reason-error\""), "{page}");
    let (status, location, _) =
        post(&admin, &app, &confirm, &confirm, &[("reason", "the key was left on a shared drive")]).await;
    assert_eq!((status, location.as_str()), (303, list));
    let (_, keys) = app.admin().get("/v1/admin/authorities/fr-tj-paris/keys").await;
    let key = keys.as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    assert_eq!(key["revocation_reason"], "the key was left on a shared drive", "{key}");
    // Revoked, it has no revocation page any more; nor has an authority that does not exist.
    assert_eq!(get(&admin, &app, &confirm).await.0, 404);
    assert_eq!(get(&admin, &app, "/operator/authorities/no-such/keys").await.0, 404);

    not_found_to_others(&app, &[list, &confirm], &[&confirm]).await;
}

async fn an_operator_creates_an_account_and_disables_it(app: TestApp) {
    let admin = signed_in(&app, OPERATOR, "ops.accounts").await;
    let page = "/operator/accounts";
    let person =
        [("username", "j.martin"), ("name", "Jeanne Martin"), ("org", "example-mail"), ("role", "handler")];
    let (status, _, created) = post(&admin, &app, page, page, &person).await;
    assert_eq!(status, 201, "{created}");
    assert!(created.contains("First password") && created.contains("code class=\"secret\""), "{created}");
    assert!(created.contains("authenticator"), "the enrolment note: {created}");
    let password = created.split("code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap();
    assert!(password.len() >= 12, "a generated password: {password}");
    let (_, list) = get(&admin, &app, page).await;
    assert!(!list.contains(password), "the password is shown once");
    // The person signs in with it for the first time: the page to set up the authenticator.
    let newcomer = form_client();
    let (_, signin) = get(&newcomer, &app, "/signin").await;
    let first =
        [("csrf", csrf_of(&signin).as_str()), ("username", "j.martin"), ("password", password), ("code", "")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let r = newcomer.post(app.url("/signin")).form(&first).send().await.unwrap();
    let enrol = r.text().await.unwrap();
    assert!(enrol.contains("Set up your authenticator"), "the first password works: {enrol}");

    // A role that does not fit the organisation, and a missing organisation.
    let wrong = [("username", "k.wrong"), ("name", "K"), ("org", "example-mail"), ("role", "reviewer")];
    let (status, _, form) = post(&admin, &app, page, page, &wrong).await;
    assert_eq!(status, 422);
    assert!(form.contains("id=\"role-error\""), "{form}");
    let (status, _, form) =
        post(&admin, &app, page, page, &[("username", "k.x"), ("name", "K"), ("role", "handler")]).await;
    assert_eq!(status, 422);
    assert!(form.contains("id=\"org-error\""), "{form}");
    let (status, _, form) = post(&admin, &app, page, page, &person).await;
    assert_eq!(status, 422, "the name is taken");
    assert!(form.contains("id=\"username-error\""), "{form}");

    let confirm = "/operator/accounts/j.martin/disable";
    let (status, text) = get(&admin, &app, confirm).await;
    assert_eq!(status, 200);
    assert!(
        text.contains("Jeanne Martin") && text.contains("cannot be undone"),
        "it says what will happen: {text}"
    );
    let (status, _, text) = post(&admin, &app, confirm, confirm, &[("reason", "")]).await;
    assert_eq!(status, 422);
    assert!(text.contains("id=\"reason-error\""), "{text}");
    let (status, location, _) = post(&admin, &app, confirm, confirm, &[("reason", "left the team")]).await;
    assert_eq!((status, location.as_str()), (303, page));
    let (_, users) = app.admin().get("/v1/admin/users").await;
    let user = users.as_array().unwrap().iter().find(|u| u["username"] == "j.martin").unwrap();
    assert!(!user["disabled_at"].is_null(), "{user}");
    assert_eq!(get(&admin, &app, confirm).await.0, 404, "disabled, there is nothing left to disable");

    let other = "/operator/accounts/ops.accounts/disable";
    not_found_to_others(&app, &[page, other], &[page, other]).await;
}

async fn an_operator_creates_a_token_and_revokes_it(app: TestApp) {
    let admin = signed_in(&app, OPERATOR, "ops.tokens").await;
    let page = "/operator/tokens";
    let token =
        [("org", "example-mail"), ("role", "handler"), ("label", "case system"), ("expires_in", "30d")];
    let (status, _, created) = post(&admin, &app, page, page, &token).await;
    assert_eq!(status, 201, "{created}");
    let secret = created.split("code class=\"secret wrap-anywhere\">").nth(1).unwrap();
    let secret = secret.split('<').next().unwrap().to_owned();
    let id = secret.split('_').nth(1).unwrap().to_owned();
    let api = || reqwest::Client::new().get(app.url("/v1/requests")).bearer_auth(&secret);
    assert_eq!(api().send().await.unwrap().status(), 200, "the token works");
    let (_, list) = get(&admin, &app, page).await;
    assert!(list.contains(&id) && !list.contains(&secret), "listed, never its secret");

    let (status, _, form) = post(
        &admin,
        &app,
        page,
        page,
        &[("org", "example-mail"), ("role", "handler"), ("expires_in", "forever")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(form.contains("id=\"expires_in-error\""), "{form}");

    let confirm = format!("/operator/tokens/{id}/revoke");
    let (status, text) = get(&admin, &app, &confirm).await;
    assert_eq!(status, 200);
    assert!(text.contains("stops working at once"), "{text}");
    let (status, location, _) = post(&admin, &app, &confirm, &confirm, &[]).await;
    assert_eq!((status, location.as_str()), (303, page));
    assert_eq!(api().send().await.unwrap().status(), 401, "revoked, the token works no more");
    assert_eq!(get(&admin, &app, &confirm).await.0, 404);

    not_found_to_others(&app, &[page, &confirm], &[page, &confirm]).await;
}

async fn an_auditor_draws_a_sample_with_each_requests_entries(app: TestApp) {
    let auditor = json!({"id": "ie-audit-office", "country": "IE", "name": "Audit Office"});
    let (status, body) = app.admin().post("/v1/admin/auditors", &auditor).await;
    assert_eq!(status, 201, "{body}");
    let mut ids = Vec::new();
    for name in ["eu-epoc-traffic.json", "us-cloud-act-content.json", "eu-epoc-emergency-subscriber.json"] {
        ids.push(app.submit(&example(name)).await);
    }
    let size = app.checkpoint_now().await;
    let browser = signed_in(&app, "ie-audit-office", "aud.sample").await;
    let (status, home) = get(&browser, &app, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("action=\"/audit/sample\"") && home.contains("nobody"), "{home}");
    let (status, page) = get(&browser, &app, "/audit/sample?n=2").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("{size} entries")), "drawn from the checkpoint of {size}: {page}");
    let drawn: Vec<&String> = ids.iter().filter(|id| page.contains(id.as_str())).collect();
    assert_eq!(drawn.len(), 2, "two of the requests, each with its id: {page}");
    assert!(page.contains("href=\"/log/tile/entries/"), "links to the raw tiles: {page}");
    assert!(page.contains("lifecycle."), "each entry's kind: {page}");
    // The same checkpoint draws the same sample; a smaller one begins it (a sample of
    // every request is all of them in log order).
    let (_, again) = get(&browser, &app, "/audit/sample?n=2").await;
    let (_, smaller) = get(&browser, &app, "/audit/sample?n=1").await;
    let order = |p: &str| {
        let mut found: Vec<(usize, String)> = ids
            .iter()
            .filter_map(|id| p.find(&format!("<code>{id}</code>")).map(|at| (at, id.clone())))
            .collect();
        found.sort();
        found.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    };
    assert_eq!(order(&page), order(&again));
    // The draw is `comity audit sample`'s: over the public tiles' entries, seeded by the
    // checkpoint's root.
    let note = reqwest::get(app.url("/log/checkpoint")).await.unwrap().bytes().await.unwrap();
    let checkpoint = comity_log::verify_checkpoint(&note, app.log_key().verifier_key()).unwrap();
    assert_eq!(checkpoint.size(), size);
    assert!(size < 256, "one tile holds the whole tree");
    let tile = comity_log::TilePath::entries(0, u32::try_from(size).unwrap()).path();
    let bundle = reqwest::get(app.url(&format!("/log/{tile}"))).await.unwrap().bytes().await.unwrap();
    let mut requests: Vec<String> = Vec::new();
    for bytes in comity_log::decode_bundle(&bundle).unwrap() {
        let entry = comity_log::Entry::from_bytes(bytes).unwrap();
        if let Some(r) = entry.request().filter(|r| !requests.iter().any(|q| q == r)) {
            requests.push(r.to_owned());
        }
    }
    let expected = comity_log::sample(checkpoint.hash(), size, &requests, 2);
    let tags: Vec<usize> =
        expected.iter().map(|tag| page.find(tag.as_str()).expect("each tag drawn is on the page")).collect();
    assert!(tags[0] < tags[1], "in the order drawn: {expected:?}");
    assert!(page.contains(&format!("href=\"/log/{tile}\"")), "each entry links its tile: {page}");
    assert_eq!(order(&smaller)[..], order(&page)[..1]);
    let (status, page) = get(&browser, &app, "/audit/sample?n=many").await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"n-error\""), "{page}");
    let admin = signed_in(&app, OPERATOR, "ops.nosy").await;
    assert_eq!(get(&admin, &app, "/audit/sample").await.0, 404, "an auditor's page only");
}

#[tokio::test]
async fn an_operator_registers_a_provider_and_disables_an_account_in_the_browser() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (password, _) = app.create_user(OPERATOR, "admin").await;
    app.create_user("example-mail", "leaving.person").await;
    let downloads = tempfile::tempdir().unwrap();
    let admin = browser(&driver, "en", downloads.path()).await;
    first_sign_in(&admin, &app, "admin", &password).await;
    assert_accessible_in_both(&admin, "the operator's home").await;

    admin.goto(&app.url("/operator/parties")).await.unwrap();
    assert_accessible_in_both(&admin, "the parties").await;
    let button = "form[action='/operator/parties/providers'] button[type=submit]";
    // Sent empty, the form says what is missing, beside each field.
    submit(&admin, admin.find(Locator::Css(button)).await.unwrap()).await;
    admin.find(Locator::Css(".error-summary")).await.unwrap();
    assert_accessible_answer_in_both(
        &admin,
        "the parties with the form's problems",
        async |admin: &Client| {
            admin.goto(&app.url("/operator/parties")).await.unwrap();
            submit(admin, admin.find(Locator::Css(button)).await.unwrap()).await;
            admin.find(Locator::Css(".error-summary")).await.unwrap();
        },
    )
    .await;
    admin.goto(&app.url("/operator/parties")).await.unwrap();
    for (field, value) in
        [("providers-id", "browser-mail"), ("providers-name", "Browser Mail"), ("providers-country", "IE")]
    {
        admin.find(Locator::Id(field)).await.unwrap().send_keys(value).await.unwrap();
    }
    submit(&admin, admin.find(Locator::Css(button)).await.unwrap()).await;
    let text = main_text(&admin).await;
    assert!(text.contains("Browser Mail") && !text.contains("There is a problem"), "{text}");
    assert_accessible_in_both(&admin, "the parties, the provider registered").await;

    admin.goto(&app.url("/operator/accounts")).await.unwrap();
    assert_accessible_in_both(&admin, "the accounts").await;
    let disable =
        admin.find(Locator::Css("a[href='/operator/accounts/leaving.person/disable']")).await.unwrap();
    disable.click().await.unwrap();
    admin.wait().for_element(Locator::Id("reason")).await.unwrap();
    assert_accessible_in_both(&admin, "the confirmation to disable").await;
    admin.find(Locator::Id("reason")).await.unwrap().send_keys("left the provider").await.unwrap();
    submit(&admin, admin.find(Locator::Css("main form button[type=submit]")).await.unwrap()).await;
    let text = main_text(&admin).await;
    let row = text.lines().find(|l| l.contains("leaving.person")).unwrap_or_default().to_owned();
    assert!(row.contains("Disabled"), "{text}");
    assert_accessible_in_both(&admin, "the accounts, one disabled").await;
    let (_, users) = app.admin().get("/v1/admin/users").await;
    let user: &Value = users.as_array().unwrap().iter().find(|u| u["username"] == "leaving.person").unwrap();
    assert!(!user["disabled_at"].is_null(), "{user}");
    // The other pages of the operator, and the confirmation of a revocation (not made).
    admin.goto(&app.url("/operator/tokens")).await.unwrap();
    assert_accessible_in_both(&admin, "the API tokens").await;
    admin.goto(&app.url("/operator/authorities/fr-tj-paris/keys")).await.unwrap();
    assert_accessible_in_both(&admin, "an authority's keys").await;
    admin.find(Locator::Css("main td a[href$='/revoke']")).await.unwrap().click().await.unwrap();
    admin.wait().for_element(Locator::Id("reason")).await.unwrap();
    assert_accessible_in_both(&admin, "the confirmation to revoke a key").await;
    admin.close().await.unwrap();

    // An auditor draws a sample.
    let auditor = json!({"id": "ie-audit-office", "country": "IE", "name": "Audit Office"});
    assert_eq!(app.admin().post("/v1/admin/auditors", &auditor).await.0, 201);
    app.submit(&example("eu-epoc-traffic.json")).await;
    app.submit(&example("us-cloud-act-content.json")).await;
    app.checkpoint_now().await;
    let (password, _) = app.create_user("ie-audit-office", "auditor").await;
    let auditor = browser(&driver, "fr", downloads.path()).await;
    first_sign_in(&auditor, &app, "auditor", &password).await;
    assert_accessible_in_both(&auditor, "the auditor's home, in French").await;
    auditor.find(Locator::Id("n")).await.unwrap().clear().await.unwrap();
    auditor.find(Locator::Id("n")).await.unwrap().send_keys("1").await.unwrap();
    submit(&auditor, auditor.find(Locator::Css("form[action='/audit/sample'] button")).await.unwrap()).await;
    let text = main_text(&auditor).await;
    assert!(text.contains("lifecycle.received"), "one request with its entries: {text}");
    assert_accessible_in_both(&auditor, "an audit sample, in French").await;
    auditor.close().await.unwrap();
}

/// The operator rotates an authority's key from its keys page: the new key is registered,
/// the old one retires after the overlap; a key that does not read is named beside its field.
async fn an_operator_rotates_a_key(app: TestApp) {
    let (_, keys) = app.admin().get("/v1/admin/authorities/fr-tj-paris/keys").await;
    let old = keys[0]["kid"].as_str().unwrap().to_owned();
    let admin = signed_in(&app, OPERATOR, "ops.rotate").await;
    let list = "/operator/authorities/fr-tj-paris/keys";
    let (status, _, page) =
        post(&admin, &app, list, list, &[("public_key", "not a key"), ("replaces", "")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"key-public_key-error\""), "{page}");
    let fresh = comity_auth::jws::SigningKey::generate().public().to_jwk();
    let fields = [("public_key", fresh.as_str()), ("replaces", old.as_str()), ("overlap_hours", "48")];
    let (status, location, _) = post(&admin, &app, list, list, &fields).await;
    assert_eq!((status, location.as_str()), (303, list));
    let (_, keys) = app.admin().get("/v1/admin/authorities/fr-tj-paris/keys").await;
    assert_eq!(keys.as_array().unwrap().len(), 2, "{keys}");
    let replaced = keys.as_array().unwrap().iter().find(|k| k["kid"] == old.as_str()).unwrap();
    assert!(!replaced["retired_at"].is_null(), "the old key retires after the overlap: {replaced}");
    not_found_to_others(&app, &[], &[list]).await;
}

/// A provider's objection to its reviewer body reaches the operator's assignments page,
/// which assigns another body in its place, the reason asked; answered, it is gone.
async fn an_operator_answers_an_objection_to_a_reviewer(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let second =
        serde_json::json!({"id": "ie-court-two", "country": "IE", "kind": "court", "name": "Second court"});
    assert_eq!(app.admin().post("/v1/admin/reviewers", &second).await.0, 201);
    let objection = serde_json::json!({"reviewer": REVIEWER, "grounds": "The judge sat on our board."});
    let (status, body) =
        app.token("example-mail").post(&format!("/v1/requests/{id}/reviewers/objections"), &objection).await;
    assert_eq!(status, 201, "{body}");
    let admin = signed_in(&app, OPERATOR, "ops.assign").await;
    let page = "/operator/assignments";
    let (status, html) = get(&admin, &app, page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("The judge sat on our board.") && html.contains(&id),
        "the objection is listed: {html}"
    );
    let (status, _, html) = post(
        &admin,
        &app,
        page,
        page,
        &[("request", &id), ("replaces", REVIEWER), ("reviewer", "ie-court-two"), ("reason", "")],
    )
    .await;
    assert_eq!(status, 422, "the reason is asked: {html}");
    let fields = [
        ("request", id.as_str()),
        ("replaces", REVIEWER),
        ("reviewer", "ie-court-two"),
        ("reason", "the objection is upheld"),
    ];
    let (status, location, _) = post(&admin, &app, page, page, &fields).await;
    assert_eq!((status, location.as_str()), (303, page));
    let (_, reviewers) = app.token("example-mail").get(&format!("/v1/requests/{id}/reviewers")).await;
    assert!(
        reviewers.to_string().contains("ie-court-two") && !reviewers.to_string().contains(REVIEWER),
        "{reviewers}"
    );
    let (_, html) = get(&admin, &app, page).await;
    assert!(!html.contains("The judge sat on our board."), "answered, the objection is gone");
    not_found_to_others(&app, &[page], &[page]).await;
}

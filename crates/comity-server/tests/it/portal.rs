//! The portal in a real browser (issue 14, item 6): Debian's `chromium`, driven through
//! `chromedriver` over W3C WebDriver (`fantoccini`), against the real server, with
//! `axe-core` (from npm, `npm ci --prefix crates/comity-server/tests/browser`) injected
//! into every page to check it for accessibility.
//!
//! Four people in four browser sessions walk one request: each enrols an authenticator at
//! the first sign-in from the QR page's key, the provider's legal team sees it in its inbox,
//! the judge decides with grounds and an answer to each finding, the clerk (in French)
//! sees it decided. Every role tries another organisation's request by URL and gets the
//! same page as for one that does not exist.
//!
//! Without Chromium, chromedriver or axe-core the tests say so and pass, unless
//! `COMITY_REQUIRE_BROWSER=1` (CI) makes that a failure.

use std::{process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::support::{Backend, REVIEWER, TestApp, example, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

fn axe_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// chromedriver on a port of its own, stopped when dropped.
pub(crate) struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts chromedriver, or says loudly why the browser tests cannot run.
pub(crate) async fn driver() -> Option<Driver> {
    let missing: Vec<String> = [CHROMIUM, CHROMEDRIVER]
        .iter()
        .map(std::path::PathBuf::from)
        .chain([axe_path()])
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "the portal's browser tests need {}: `apt-get install chromium chromium-driver` and \
             `npm ci --prefix crates/comity-server/tests/browser`",
            missing.join(", ")
        );
        assert!(std::env::var("COMITY_REQUIRE_BROWSER").is_err(), "{why}");
        eprintln!("SKIPPED: {why}");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        // People read times in their own zone beside UTC: the browsers run in Paris time.
        .env("TZ", "Europe/Paris")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{url}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Some(Driver { child, url });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url} within 10 s");
}

/// A new browser: headless Chromium with a fresh profile, in `lang`, whose downloads land
/// in `downloads`.
pub(crate) async fn browser(driver: &Driver, lang: &str, downloads: &std::path::Path) -> Client {
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1280,1024".to_owned(),
        format!("--lang={lang}"),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({"binary": CHROMIUM, "args": args, "prefs": {
            "intl.accept_languages": lang,
            "download.default_directory": downloads.display().to_string(),
            "download.prompt_for_download": false,
        }}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Runs axe-core on the page: no serious or critical violation of WCAG 2.2 A and AA.
pub(crate) async fn assert_accessible(browser: &Client, what: &str) {
    let axe = std::fs::read_to_string(axe_path()).unwrap();
    browser.execute(&axe, vec![]).await.unwrap();
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } })
          .then(r => done(r.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + " (" + v.impact + "): " + v.nodes.map(n => n.target.join(" ")).join(", "))))
          .catch(e => done(["axe failed: " + e]));
    "#;
    let violations = browser.execute_async(script, vec![]).await.unwrap();
    assert_eq!(violations, json!([]), "{what}: axe-core finds serious or critical violations");
}

/// Clicks a form's button and waits for the page it loads: the old page's root goes stale.
pub(crate) async fn submit(browser: &Client, button: fantoccini::elements::Element) {
    let old = browser.find(Locator::Css("html")).await.unwrap();
    button.click().await.unwrap();
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the form's answer did not load within 10 s");
}

/// [`assert_accessible`] on a page reached by GET, in both languages: the page as it is,
/// then switched to the other language and back with the switch every page has.
pub(crate) async fn assert_accessible_in_both(browser: &Client, what: &str) {
    assert_accessible(browser, what).await;
    let url = browser.current_url().await.unwrap();
    let lang =
        browser.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().unwrap_or_default();
    let other = if lang == "fr" { "en" } else { "fr" };
    let switch = browser.find(Locator::Css(&format!("a[hreflang='{other}']"))).await.unwrap();
    switch.click().await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("html[lang='{other}']")))
        .await
        .unwrap();
    assert_accessible(browser, &format!("{what}, in {other}")).await;
    let mut back = url.clone();
    back.set_query(Some(&format!("lang={lang}")));
    browser.goto(back.as_str()).await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("html[lang='{lang}']")))
        .await
        .unwrap();
}

/// [`assert_accessible`] on a page that answers a form, in both languages: the page as it
/// is, then `again` (which sends the same form anew) with the other language chosen by the
/// switch, and the first language chosen back. `again` must be harmless to repeat: a form
/// whose answer is its errors, or a confirmation asked before anything is done.
pub(crate) async fn assert_accessible_answer_in_both(
    browser: &Client,
    what: &str,
    again: impl AsyncFn(&Client),
) {
    assert_accessible(browser, what).await;
    let lang =
        browser.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap().unwrap_or_default();
    let other = if lang == "fr" { "en" } else { "fr" };
    let choose = async |tag: &str| {
        let mut home = browser.current_url().await.unwrap();
        home.set_path("/");
        home.set_query(Some(&format!("lang={tag}")));
        home.set_fragment(None);
        browser.goto(home.as_str()).await.unwrap();
        browser
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(&format!("html[lang='{tag}']")))
            .await
            .unwrap();
    };
    choose(other).await;
    again(browser).await;
    let now = browser.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
    assert_eq!(now.as_deref(), Some(other), "{what}: the answer comes in the language chosen");
    assert_accessible(browser, &format!("{what}, in {other}")).await;
    choose(&lang).await;
}

pub(crate) async fn text_of(browser: &Client, css: &str) -> String {
    match browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap(),
        Err(e) => {
            let url = browser.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let page = browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap_or_default();
            panic!("{css}: {e}\nat {url}, the page says:\n{page}")
        }
    }
}

/// Signs a new person in at their first sign-in: user name and password with no code, then
/// the authenticator enrolled from the key the page shows, then its first code.
pub(crate) async fn first_sign_in(browser: &Client, app: &TestApp, username: &str, password: &str) {
    browser.goto(&app.url("/signin")).await.unwrap();
    assert_accessible_in_both(browser, "the sign-in page").await;
    for (field, autocomplete) in
        [("username", "username"), ("password", "current-password"), ("code", "one-time-code")]
    {
        let input = browser.find(Locator::Id(field)).await.unwrap();
        assert_eq!(input.attr("autocomplete").await.unwrap().as_deref(), Some(autocomplete));
    }
    browser.find(Locator::Id("username")).await.unwrap().send_keys(username).await.unwrap();
    browser.find(Locator::Id("password")).await.unwrap().send_keys(password).await.unwrap();
    submit(browser, browser.find(Locator::Css("main form button[type=submit]")).await.unwrap()).await;
    // The enrolment page: a QR code drawn by the server, and the same key in words.
    if browser.find(Locator::Css("figure.qr svg[role=img]")).await.is_err() {
        panic!("{username}: no QR code; the page says: {}", main_text(browser).await);
    }
    assert_accessible(browser, "the enrolment page").await;
    let key: String = text_of(browser, "code.secret").await.split_whitespace().collect();
    let secret = crate::support::totp_secret(&key);
    let code = comity_auth::totp::code_at(&secret, crate::support::now_unix());
    browser.find(Locator::Id("code")).await.unwrap().send_keys(&code).await.unwrap();
    submit(browser, browser.find(Locator::Css("main form button[type=submit]")).await.unwrap()).await;
    let who = text_of(browser, ".who").await;
    assert!(who.starts_with(username), "signed in as {username}: {who}");
}

/// The bytes of the one file the browser downloaded into `dir`, once it is complete.
async fn wait_for_download(dir: &std::path::Path) -> Vec<u8> {
    for _ in 0..200 {
        let done: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "age"))
            .collect();
        if let [file] = done.as_slice() {
            return std::fs::read(file).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no package was downloaded into {} within 10 s", dir.display());
}

/// The page's `main` landmark as the person reads it.
pub(crate) async fn main_text(browser: &Client) -> String {
    text_of(browser, "main").await
}

#[tokio::test]
async fn four_people_walk_a_request_in_the_browser() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    // A request for example-mail from the Paris prosecutor, routed to the Irish court, and
    // one for another provider, which the people of this one must never see.
    let other = app.submit(&example("us-cloud-act-content.json")).await;
    let downloads = tempfile::tempdir().unwrap();
    let nonexistent = "01JD00000000000000000000ZZ";

    let people = [
        ("clerk.paris", "fr-tj-paris", "fr"),
        ("legal.mail", "example-mail", "en"),
        ("judge.dublin", REVIEWER, "en"),
        ("otto.auditor", "demo-auditor", "en"),
    ];
    let mut browsers = Vec::new();
    for (username, org, lang) in people {
        if org == "demo-auditor" {
            let (status, body) = app
                .admin()
                .post("/v1/admin/auditors", &json!({"id": org, "name": "Audit office", "country": "IE"}))
                .await;
            assert_eq!(status, 201, "{body}");
        }
        let (password, _) = app.create_user(org, username).await;
        let browser = browser(&driver, lang, downloads.path()).await;
        first_sign_in(&browser, &app, username, &password).await;
        browsers.push((username, org, lang, browser));
    }

    // The clerk submits the request through the form, in French.
    let clerk = &browsers[0].3;
    clerk.goto(&app.url("/")).await.unwrap();
    clerk.find(Locator::Css("a[href='/requests/new']")).await.unwrap().click().await.unwrap();
    clerk
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("issuing-reference"))
        .await
        .unwrap();
    assert_accessible_in_both(clerk, "the submission form in French").await;
    for (name, value) in traffic_request_fields() {
        let field = clerk.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap();
        match field.tag_name().await.unwrap().as_str() {
            "select" => field.select_by_value(value).await.unwrap(),
            _ => match field.attr("type").await.unwrap().as_deref() {
                Some("radio") | Some("checkbox") => clerk
                    .find(Locator::Css(&format!("[name='{name}'][value='{value}']")))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap(),
                // A date input takes what its locale shows; the value is set as a script would.
                Some("date") => {
                    clerk
                        .execute("arguments[0].value = arguments[1];", vec![json!(field), json!(value)])
                        .await
                        .unwrap();
                }
                _ => field.send_keys(value).await.unwrap(),
            },
        }
    }
    submit(clerk, clerk.find(Locator::Css("main form button[type=submit]")).await.unwrap()).await;
    let url = clerk.current_url().await.unwrap();
    let id = url
        .path()
        .strip_prefix("/requests/")
        .unwrap_or_else(|| panic!("the clerk lands on the request: {url}"))
        .to_owned();
    let page = main_text(clerk).await;
    assert!(page.contains("En contrôle"), "the request is screened and under review: {page}");
    app.assign(&id, REVIEWER).await;
    app.prepare_production(&id).await;

    for (username, org, lang, browser) in &browsers {
        // Home: what this person must do next.
        browser.goto(&app.url("/")).await.unwrap();
        assert_accessible_in_both(browser, &format!("{username}'s home")).await;
        let html_lang = browser.find(Locator::Css("html")).await.unwrap().attr("lang").await.unwrap();
        assert_eq!(html_lang.as_deref(), Some(*lang), "{username}'s pages are in {lang}");
        let home = main_text(browser).await;
        if *org != "demo-auditor" {
            assert!(home.contains("PARQUET-2026-0077"), "{username} lists the request: {home}");
        } else {
            assert!(home.contains("comity log verify --url"), "the auditor is told how to verify: {home}");
        }
        // Another organisation's request reads as one that does not exist.
        browser.goto(&app.url(&format!("/requests/{other}"))).await.unwrap();
        let hidden = main_text(browser).await;
        browser.goto(&app.url(&format!("/requests/{nonexistent}"))).await.unwrap();
        let missing = main_text(browser).await;
        assert_eq!(hidden, missing, "{username}: a hidden request reads as a missing one");
        assert_accessible_in_both(browser, "the not-found page").await;
    }

    // The provider's legal team opens the request: screening with citations, deadlines.
    let legal = &browsers[1].3;
    legal.goto(&app.url(&format!("/requests/{id}"))).await.unwrap();
    assert_accessible_in_both(legal, "the request page for the provider").await;
    let local = text_of(legal, "time + .local-time").await;
    assert!(
        ["CET", "CEST", "GMT+1", "GMT+2"].iter().any(|zone| local.contains(zone)),
        "a time in UTC has the reader's own beside it: {local}"
    );
    // What passes screening is a click away; opened, each rule shows its citation.
    legal.find(Locator::Css("details > summary")).await.unwrap().click().await.unwrap();
    let page = main_text(legal).await;
    for expected in [
        "Screening against the law",
        "rules pass or do not apply",
        "Regulation (EU) 2023/1543 Art 34(2)",
        "Deadlines",
        "What happened, step by step",
    ] {
        assert!(page.contains(expected), "the request page shows {expected:?}: {page}");
    }
    // The provider cannot decide: no decision form is offered to it.
    assert!(legal.find(Locator::Css("input[name=to][value=approved]")).await.is_err());

    // The judge decides: a reason alone is refused with the error beside its field, then
    // grounds and an answer to every flagged finding are given.
    let judge = &browsers[2].3;
    judge.goto(&app.url(&format!("/requests/{id}"))).await.unwrap();
    assert_accessible_in_both(judge, "the request page for the reviewer").await;
    let approve = judge.find(Locator::Css("form.action:has(input[name=to][value=approved])")).await.unwrap();
    approve.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    // The browser's own check stops an empty required reason; the server's check is the
    // one that counts, so the page is the same or carries the server's error.
    let approve = judge.find(Locator::Css("form.action:has(input[name=to][value=approved])")).await.unwrap();
    approve
        .find(Locator::Css("textarea[name=reason]"))
        .await
        .unwrap()
        .send_keys("Necessary and proportionate.")
        .await
        .unwrap();
    submit(judge, approve.find(Locator::Css("button[type=submit]")).await.unwrap()).await;
    let summary = text_of(judge, ".error-summary").await;
    assert!(
        summary.contains("name at least one ground"),
        "a decision without grounds is refused, and says so: {summary}"
    );
    let request_page = app.url(&format!("/requests/{id}"));
    assert_accessible_answer_in_both(judge, "the decision form with its errors", async |judge: &Client| {
        judge.goto(&request_page).await.unwrap();
        let approve =
            judge.find(Locator::Css("form.action:has(input[name=to][value=approved])")).await.unwrap();
        let reason = approve.find(Locator::Css("textarea[name=reason]")).await.unwrap();
        reason.send_keys("Necessary and proportionate.").await.unwrap();
        submit(judge, approve.find(Locator::Css("button[type=submit]")).await.unwrap()).await;
        judge.find(Locator::Css(".error-summary")).await.unwrap();
    })
    .await;
    judge.goto(&request_page).await.unwrap();
    let approve = judge.find(Locator::Css("form.action:has(input[name=to][value=approved])")).await.unwrap();
    approve.find(Locator::Css("input[name=grounds]")).await.unwrap().click().await.unwrap();
    for answer in approve.find_all(Locator::Css("textarea[name^='answer.']")).await.unwrap() {
        answer.send_keys("Considered: the order names one account and two months.").await.unwrap();
    }
    approve
        .find(Locator::Css("textarea[name=reason]"))
        .await
        .unwrap()
        .send_keys("Necessary and proportionate.")
        .await
        .unwrap();
    submit(judge, approve.find(Locator::Css("button[type=submit]")).await.unwrap()).await;
    let page = main_text(judge).await;
    assert!(page.contains("Approved"), "the judge sees the request approved: {page}");

    // As the API says: the same request approved, by the judge.
    let (status, body): (u16, Value) = app.token("example-mail").get(&format!("/v1/requests/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "approved", "{body}");

    // Legal produces from its export, uploaded through the page.
    legal.goto(&app.url(&format!("/requests/{id}"))).await.unwrap();
    assert_accessible_in_both(legal, "the production form").await;
    let export =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/exports/example-mail.jsonl");
    let export = export.canonicalize().unwrap();
    legal.find(Locator::Id("export")).await.unwrap().send_keys(&export.display().to_string()).await.unwrap();
    // Correspondents in India: their national numbers are searched too.
    legal.find(Locator::Id("phone_regions")).await.unwrap().send_keys("IN").await.unwrap();
    submit(legal, legal.find(Locator::Css("#produce button[type=submit]")).await.unwrap()).await;
    let page = main_text(legal).await;
    assert!(page.contains("Sealed, waiting for the authority"), "the package is sealed: {page}");

    // The clerk, in French, downloads the package, checks it, and acknowledges it by its hash.
    clerk.goto(&app.url(&format!("/requests/{id}"))).await.unwrap();
    assert_accessible_in_both(clerk, "the request page in French, with the package to receive").await;
    let page = main_text(clerk).await;
    assert!(page.contains("Scellée, en attente de l'autorité"), "the clerk reads it in French: {page}");
    clerk.find(Locator::Css("a[download]")).await.unwrap().click().await.unwrap();
    let package = wait_for_download(downloads.path()).await;
    let identity = app.identity("fr-tj-paris");
    comity_seal::open_with(&package[..], &identity, None, |_| Ok(std::io::sink()))
        .expect("the package opens whole");
    let sha256 = comity_seal::Sha256Hash::of(&package).to_string();
    let field = clerk.find(Locator::Css("input[name=package_sha256]")).await.unwrap();
    field.send_keys(&sha256).await.unwrap();
    let form = clerk.find(Locator::Css("form[action$='/acknowledgement']")).await.unwrap();
    submit(clerk, form.find(Locator::Css("button[type=submit]")).await.unwrap()).await;
    let page = main_text(clerk).await;
    assert!(page.contains("Remise"), "the request is delivered: {page}");
    assert!(page.contains("Reçue par l'autorité"), "the production is acknowledged: {page}");
    // Delivered: the clerk may ask to use the data further (issue 15, item 2).
    clerk.find(Locator::Css("form[action$='/further-use']")).await.unwrap();
    assert_accessible_in_both(clerk, "the delivered request, with the form to ask for further use").await;

    // An error found after delivery (issue 15, item 4): legal opens a remedy case from the
    // page; the clerk is told the package is recalled, beside the form to attest deletion.
    legal.goto(&app.url(&format!("/requests/{id}"))).await.unwrap();
    assert_accessible_in_both(legal, "the delivered request, with the form to open a remedy case").await;
    let form = legal.find(Locator::Css("form[action$='/remedies']")).await.unwrap();
    form.find(Locator::Css("input[name=ground][value=third_party_unmasked]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    form.find(Locator::Css("textarea[name=description]"))
        .await
        .unwrap()
        .send_keys("a correspondent's address was left unmasked in the traffic records")
        .await
        .unwrap();
    submit(legal, form.find(Locator::Css("button[type=submit]")).await.unwrap()).await;
    let page = main_text(legal).await;
    assert!(page.contains("Recall pending") || page.contains("Rappel en cours"), "the case is open: {page}");
    assert_accessible_in_both(legal, "the request with its remedy case and the form to tell a person").await;
    clerk.goto(&app.url(&format!("/requests/{id}"))).await.unwrap();
    let page = main_text(clerk).await;
    assert!(
        page.contains("Rappelée par le recours 1") || page.contains("Recalled by remedy case 1"),
        "the clerk is told the package was recalled: {page}"
    );
    clerk.find(Locator::Css("form[action$='/disposal']")).await.unwrap();
    assert_accessible_in_both(clerk, "the recalled production, with the form to attest deletion").await;

    for (_, _, _, browser) in browsers {
        browser.close().await.unwrap();
    }
}

/// The public transparency report (issue 16): charts and tables for anyone, without
/// signing in, accessible in both languages.
#[tokio::test]
async fn the_public_transparency_report_is_accessible() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.submit(&example("eu-epoc-traffic.json")).await;
    app.submit(&example("coe-budapest-subscriber.json")).await;
    app.checkpoint_now().await;
    let downloads = tempfile::tempdir().unwrap();
    let reader = browser(&driver, "en", downloads.path()).await;
    reader.goto(&app.url("/")).await.unwrap();
    reader.find(Locator::Css("footer a[href='/transparency']")).await.unwrap().click().await.unwrap();
    let page = main_text(&reader).await;
    assert!(page.contains("Transparency report") && page.contains("By issuing country"), "{page}");
    reader.find(Locator::Css("figure.chart svg[role=img]")).await.unwrap();
    assert_accessible_in_both(&reader, "the public transparency report").await;

    // A differential-privacy release (issue 16, item 4): listed on the report, and its page
    // shows each noisy figure with its noise's scale and margin beside it.
    let now = chrono::Utc::now() + chrono::Duration::minutes(2);
    let from = now - chrono::Duration::days(1);
    let epsilon = comity_core::privacy::Epsilon::parse("0.5").unwrap();
    app.operator()
        .release_private((from, now), epsilon, comity_core::privacy::DEFAULT_BUDGET, now)
        .await
        .unwrap();
    reader.goto(&app.url("/transparency")).await.unwrap();
    reader
        .find(Locator::Css("#releases ~ table a[href='/transparency/releases/1']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = main_text(&reader).await;
    assert!(page.contains("Release 1") && page.contains("Noise scale") && page.contains("±"), "{page}");
    assert_accessible_in_both(&reader, "a differential-privacy release").await;
    reader.close().await.unwrap();

    // Art 28's statistics (issue 16, item 5): the Paris clerk reaches them from the report,
    // signed in, and sees her authority's orders of this year and when they are due.
    let (password, _) = app.create_user("fr-tj-paris", "clerk.stats").await;
    let clerk = browser(&driver, "en", downloads.path()).await;
    first_sign_in(&clerk, &app, "clerk.stats", &password).await;
    clerk.goto(&app.url("/transparency")).await.unwrap();
    clerk.find(Locator::Css("a[href='/statistics/e-evidence']")).await.unwrap().click().await.unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    let year_field = clerk.find(Locator::Id("year")).await.unwrap();
    year_field.clear().await.unwrap();
    year_field.send_keys(&year).await.unwrap();
    submit(&clerk, clerk.find(Locator::Css("main form button[type=submit]")).await.unwrap()).await;
    let page = main_text(&clerk).await;
    assert!(page.contains("e-Evidence statistics (Art 28)"), "{page}");
    assert!(page.contains("Due to the Commission by"), "{page}");
    assert!(page.contains("European Production Order (EPOC)"), "the traffic order, by type: {page}");
    assert_accessible_in_both(&clerk, "the Art 28 statistics").await;
    clerk.close().await.unwrap();
}

/// The evaluations (issue 16, item 6): the operator's admin reaches them from the footer,
/// sees every authority and State with the score, its components and the formula stated,
/// each authority linked to its party page; an authority's clerk sees its own only. Both
/// accessible in both languages.
#[tokio::test]
async fn the_evaluations_are_accessible() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    assert_eq!(app.move_to(&id, "rejected").await.0, 200);
    app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    let downloads = tempfile::tempdir().unwrap();
    let (password, _) = app.create_user(crate::support::OPERATOR, "admin").await;
    let admin = browser(&driver, "en", downloads.path()).await;
    first_sign_in(&admin, &app, "admin", &password).await;
    admin.find(Locator::Css("footer a[href='/evaluations']")).await.unwrap().click().await.unwrap();
    let page = main_text(&admin).await;
    assert!(page.contains("By authority") && page.contains("By State"), "{page}");
    assert!(page.contains("How the score is computed") && page.contains("comity-compliance/v1"), "{page}");
    // fr-tj-paris: one decision, a rejection: 0 of 1, the only component, so a score of 0.
    let row =
        text_of(&admin, "#evaluations-authorities ~ div tr:has(a[href='/operator/party/fr-tj-paris'])").await;
    assert!(row.contains("0/1 (0 %)") && row.contains("0.00"), "{row}");
    assert_accessible_in_both(&admin, "the evaluations, for the operator").await;
    admin.close().await.unwrap();

    let (password, _) = app.create_user("fr-tj-paris", "clerk.evaluations").await;
    let clerk = browser(&driver, "fr", downloads.path()).await;
    first_sign_in(&clerk, &app, "clerk.evaluations", &password).await;
    clerk.goto(&app.url("/evaluations")).await.unwrap();
    let page = main_text(&clerk).await;
    assert!(page.contains("fr-tj-paris") && !page.contains("de-sta-berlin"), "its own only: {page}");
    assert!(!page.contains("Par État") && page.contains("Comment la note est calculée"), "{page}");
    assert_accessible_in_both(&clerk, "the evaluations, for an authority").await;
    clerk.goto(&app.url("/evaluations?year=1999")).await.unwrap();
    clerk.find(Locator::Css("#year-error")).await.unwrap();
    assert_accessible(&clerk, "the evaluations with a year refused").await;
    clerk.close().await.unwrap();
}

#[tokio::test]
async fn the_duty_officer_confirms_an_emergency_from_the_link() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let contact = json!({"id": "duty-officer", "name": "Duty officer", "email": "duty@berlin.example.org"});
    let (status, body) = app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await;
    assert_eq!(status, 201, "{body}");
    let downloads = tempfile::tempdir().unwrap();
    // One emergency for each language: a link works once, so each page is reached by its own.
    // (the browser's language, then what the page says in it: the button, the question, the
    // confirmation, and a used link.)
    let languages = [
        (
            "de",
            "Confirm: we sent it",
            "Did your authority send this request?",
            "Thank you: confirmed",
            "This link does not work",
        ),
        (
            "fr",
            "Confirmer : nous l'avons envoyée",
            "Votre autorité a-t-elle envoyé cette demande ?",
            "Merci : confirmée",
            "Ce lien ne fonctionne pas",
        ),
    ];
    for (lang, button, question, confirmed, used) in languages {
        let id = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
        let (status, link) = app
            .token("example-mail")
            .post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "duty-officer"}))
            .await;
        assert_eq!(status, 201, "{link}");
        let officer = browser(&driver, lang, downloads.path()).await;
        // The link opens the page; its script moves the secret from the address into the form.
        officer.goto(&app.url(link["url"].as_str().unwrap())).await.unwrap();
        assert_eq!(text_of(&officer, "button[value=confirm]").await, button, "in {lang}");
        let lead = text_of(&officer, ".lead").await;
        assert!(lead.contains(question), "in {lang}: {lead}");
        let url = officer.current_url().await.unwrap();
        assert!(url.fragment().is_none(), "the secret is out of the address bar: {url}");
        assert_accessible(&officer, &format!("the duty officer's page, as asked in {lang}")).await;
        let page = main_text(&officer).await;
        for target in example("eu-epoc-emergency-subscriber.json")["targets"].as_array().unwrap() {
            let value = target["selector"]["value"].as_str().unwrap();
            assert!(!page.contains(value), "the page never shows a target: {page}");
        }
        let confirm = officer.find(Locator::Css("button[value=confirm]")).await.unwrap();
        submit(&officer, confirm).await;
        let page = main_text(&officer).await;
        assert!(page.contains(confirmed), "in {lang}: {page}");
        assert_accessible(&officer, &format!("the confirmation page, as asked in {lang}")).await;
        let (_, request) = app.token("example-mail").get(&format!("/v1/requests/{id}")).await;
        assert_eq!(request["state"], "under_review", "confirmed, the request goes on to review: {request}");
        // The link works once.
        officer.goto(&app.url(link["url"].as_str().unwrap())).await.unwrap();
        let page = text_of(&officer, ".lead, main h1").await;
        for _ in 0..100 {
            if text_of(&officer, "main h1").await == used {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(text_of(&officer, "main h1").await, used, "in {lang}: {page}");
        assert_accessible(&officer, &format!("the page of a used link, as asked in {lang}")).await;
        officer.close().await.unwrap();
    }
}

/// A browser's client for the portal without a browser: keeps its cookies, never follows
/// redirects, so each answer is seen as it is.
pub(crate) fn form_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of the hidden `csrf` field of a page.
pub(crate) fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("the page has a form token") + 19;
    page[at..].split('"').next().unwrap().to_owned()
}

crate::both_backends!(
    pages_are_strict_about_where_forms_come_from,
    the_first_sign_in_enrols_the_authenticator_once,
    a_partial_approval_from_its_form_keeps_what_was_ticked,
    a_clerk_submits_a_request_through_the_form_once,
    a_clarification_is_asked_and_answered_through_the_pages,
    the_legal_team_sends_a_one_time_link_from_the_page,
    the_acts_beside_the_moves_are_offered_to_whom_may_do_them,
    a_representative_appeals_from_the_decision_page,
    an_objection_for_conflicting_obligations_is_decided_from_the_page,
);

async fn pages_are_strict_about_where_forms_come_from(app: TestApp) {
    let browser = form_client();
    let page = browser.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "the page's CSP says {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "no inline script or style: {csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<script>") && !html.contains("style="), "nothing inline in the page");
    let token = csrf_of(&html);
    let login = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("username", "nobody".into()),
            ("password", "x".into()),
            ("code", "123456".into()),
        ]
    };
    // A form without the browser's token, with another token, or from another site.
    let refused = browser.post(app.url("/signin")).form(&login("")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("This form has expired"));
    let forged = browser.post(app.url("/signin")).form(&login(&"A".repeat(43))).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let cross = browser
        .post(app.url("/signin"))
        .header("sec-fetch-site", "cross-site")
        .form(&login(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403, "a post another site made is refused");
    // A browser that never loaded a page has no token cookie: refused too.
    let fresh = form_client().post(app.url("/signin")).form(&login(&token)).send().await.unwrap();
    assert_eq!(fresh.status(), 403);
    // With its token, the form is read: a wrong login, said in the person's language.
    let wrong = browser
        .post(app.url("/signin"))
        .header("accept-language", "fr")
        .form(&login(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong.text().await.unwrap().contains("Le nom d'utilisateur, le mot de passe ou le code est faux")
    );
    // A path nothing serves: a page for a browser, the API's error shape for anyone else.
    let page = browser.get(app.url("/no/such/page")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Page not found"));
    let (status, body) = app.anonymous().get("/no/such/page").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}

async fn the_first_sign_in_enrols_the_authenticator_once(app: TestApp) {
    let (password, secret) = app.create_user("example-mail", "first.timer").await;
    let browser = form_client();
    let token = csrf_of(&browser.get(app.url("/signin")).send().await.unwrap().text().await.unwrap());
    let sign_in = |password: &str, code: &str| {
        vec![
            ("csrf", token.clone()),
            ("username", "first.timer".to_owned()),
            ("password", password.to_owned()),
            ("code", code.to_owned()),
        ]
    };
    // A wrong password opens no enrolment, and says nothing of the account.
    let wrong = browser.post(app.url("/signin")).form(&sign_in("wrong password", "")).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    // The right one shows the account's own secret, as a QR code and as a key.
    let enrol = browser.post(app.url("/signin")).form(&sign_in(&password, "")).send().await.unwrap();
    assert_eq!(enrol.status(), 200);
    let page = enrol.text().await.unwrap();
    assert!(page.contains("<svg role=\"img\""), "the QR code is drawn inline as SVG");
    let shown: String = page
        .split("class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(shown, secret.base32(), "the key shown is the account's");
    let ticket = page.split("name=\"ticket\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let finish = |ticket: &str, code: &str| {
        vec![("csrf", token.clone()), ("ticket", ticket.to_owned()), ("code", code.to_owned())]
    };
    // An altered ticket, and a wrong code, open nothing.
    let mut altered = ticket.clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let code = comity_auth::totp::code_at(&secret, crate::support::now_unix());
    let r = browser.post(app.url("/signin/enrol")).form(&finish(&altered, &code)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = browser.post(app.url("/signin/enrol")).form(&finish(&ticket, "000000")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("The code is wrong"));
    // The right code signs in.
    let r = browser.post(app.url("/signin/enrol")).form(&finish(&ticket, &code)).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("first.timer@example-mail"), "signed in");
    // Once enrolled, the ticket is spent and the password alone opens no enrolment again.
    let again = form_client();
    let token2 = csrf_of(&again.get(app.url("/signin")).send().await.unwrap().text().await.unwrap());
    let next = comity_auth::totp::code_at(&secret, crate::support::now_unix() + 30);
    let r = again
        .post(app.url("/signin/enrol"))
        .form(&vec![("csrf", token2.clone()), ("ticket", ticket.clone()), ("code", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a ticket of an enrolled account is spent");
    assert!(r.text().await.unwrap().contains("This set-up has ended"));
    let r = again
        .post(app.url("/signin"))
        .form(&vec![
            ("csrf", token2),
            ("username", "first.timer".to_owned()),
            ("password", password),
            ("code", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "an enrolled account needs its code");
    // Signing out ends the session on the server.
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    let r = browser.post(app.url("/signout")).form(&vec![("csrf", csrf_of(&home))]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let home = browser.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("first.timer@example-mail"), "signed out");
}

/// A person of `org` signed in through the sign-in form, with the form client's cookies.
pub(crate) async fn signed_in(app: &TestApp, org: &str, username: &str) -> reqwest::Client {
    let (password, secret) = app.create_user(org, username).await;
    let browser = form_client();
    let token = csrf_of(&browser.get(app.url("/signin")).send().await.unwrap().text().await.unwrap());
    let code = comity_auth::totp::code_at(&secret, crate::support::now_unix());
    let r = browser
        .post(app.url("/signin"))
        .form(&vec![
            ("csrf", token),
            ("username", username.to_owned()),
            ("password", password),
            ("code", code),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    browser
}

async fn a_partial_approval_from_its_form_keeps_what_was_ticked(app: TestApp) {
    use comity_core::{FactKind, JournalQuery};
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.assign(&id, REVIEWER).await;
    let judge = signed_in(&app, REVIEWER, "judge.form").await;
    let page = judge.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    let form =
        page.split("name=\"to\" value=\"partially_approved\"").nth(1).expect("a partial approval form");
    let form = form.split("</form>").next().unwrap();
    let mut fields = vec![
        ("csrf".to_owned(), csrf_of(&page)),
        ("to".to_owned(), "partially_approved".to_owned()),
        ("reason".to_owned(), "Traffic data is not shown to be necessary.".to_owned()),
        ("scope.target".to_owned(), "invest.desk@example.org".to_owned()),
        ("scope.category".to_owned(), "subscriber".to_owned()),
        ("scope.from".to_owned(), "2026-05-01T00:00:00Z".to_owned()),
        ("scope.to".to_owned(), "2026-06-01T00:00:00Z".to_owned()),
    ];
    let ground = form.split("name=\"grounds\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    fields.push(("grounds".to_owned(), ground.to_owned()));
    for answer in form.split("name=\"answer.").skip(1) {
        let rule = answer.split('"').next().unwrap();
        fields.push((format!("answer.{rule}"), "Considered and answered.".to_owned()));
    }
    // A time that does not read is named beside the scope, and nothing moves.
    let mut wrong = fields.clone();
    wrong.retain(|(k, _)| k != "scope.to");
    wrong.push(("scope.to".to_owned(), "June".to_owned()));
    let r = judge.post(app.url(&format!("/requests/{id}/move"))).form(&wrong).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Write each time in UTC"));
    let r = judge.post(app.url(&format!("/requests/{id}/move"))).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let facts = app.store.journal(&JournalQuery::kinds(&[FactKind::DecisionScope])).await.unwrap();
    let scope: Value = serde_json::from_str(&facts[0].content).unwrap();
    assert_eq!(scope["categories"], json!(["subscriber"]), "only what was ticked may leave");
    assert_eq!(scope["to"], "2026-06-01T00:00:00Z");
}

/// The fields of the submission form that describe `eu-epoc-traffic.json`, as a clerk of
/// fr-tj-paris fills them in.
fn traffic_request_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("instrument", "eu-e-evidence"),
        ("kind", "production"),
        ("purpose", "criminal_investigation"),
        ("issuing.authority_type", "prosecutor"),
        ("issuing.reference", "PARQUET-2026-0077"),
        ("issuing.validated_by.authority", "fr-jld-paris"),
        ("issuing.validated_by.authority_type", "judge"),
        ("addressee.provider", "example-mail"),
        ("addressee.country", "IE"),
        ("offence.description", "Fraude en bande organisée (art. 313-2 du code pénal)"),
        ("offence.max_sentence_months", "120"),
        ("offence.committed_in_issuing_state", "true"),
        ("targets[0].selector.type", "email"),
        ("targets[0].selector.value", "suspect.two@example.org"),
        ("targets[0].residence_country", "FR"),
        ("data_categories", "subscriber"),
        ("data_categories", "traffic"),
        ("time_window.from", "2026-05-01"),
        ("time_window.to", "2026-06-30"),
        ("justification", "Les virements frauduleux du 3 au 28 mai 2026 ont été ordonnés depuis ce compte."),
    ]
}

async fn a_clerk_submits_a_request_through_the_form_once(app: TestApp) {
    let clerk = signed_in(&app, "fr-tj-paris", "clerk.form").await;
    let page = clerk.get(app.url("/requests/new")).send().await.unwrap().text().await.unwrap();
    let key =
        page.split("name=\"idempotency_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let base = |fields: Vec<(&str, &str)>| {
        let issued = page.split("name=\"issued_at\" value=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), csrf_of(&page)),
            ("idempotency_key".into(), key.clone()),
            ("issued_at".into(), issued.to_owned()),
        ];
        form.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        form
    };
    // The intake's own problems, each beside its field: a selector that is not an e-mail
    // address, and a period that ends before it starts.
    let mut wrong = traffic_request_fields();
    wrong.retain(|(k, _)| !["targets[0].selector.value", "time_window.to"].contains(k));
    wrong.push(("targets[0].selector.value", "not an address"));
    wrong.push(("time_window.to", "2026-04-01"));
    let r = clerk.post(app.url("/requests/new")).form(&base(wrong)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"targets-0-selector-value-error\""), "the selector's problem is beside it");
    assert!(html.contains("href=\"#targets-0-selector-value\""), "and linked from the summary");
    assert!(html.contains("value=\"not an address\""), "what was typed is kept");
    let (status, listed) = app.token("fr-tj-paris").get("/v1/requests").await;
    assert_eq!((status, listed["total"].as_u64()), (200, Some(0)), "nothing was submitted: {listed}");
    // Right, and sent twice: one request, recorded as the person's.
    for _ in 0..2 {
        let r =
            clerk.post(app.url("/requests/new")).form(&base(traffic_request_fields())).send().await.unwrap();
        assert_eq!(r.status(), 303, "{:?}", r.text().await);
    }
    let (_, listed) = app.token("fr-tj-paris").get("/v1/requests").await;
    assert_eq!(listed["total"], 1, "a form sent twice makes one request: {listed}");
    let id = listed["items"][0]["id"].as_str().unwrap();
    let (_, events) = app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/events")).await;
    assert_eq!(events[0]["actor"], "clerk.form@fr-tj-paris", "{events}");
    assert_eq!(listed["items"][0]["state"], "under_review", "screened as a signed submission is: {listed}");
}

/// The provider asks a structured question from the request's page; the clerk answers it
/// with an amended request from the form filled in as the request stands, and what the
/// form does not show is kept.
async fn a_clarification_is_asked_and_answered_through_the_pages(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let legal = signed_in(&app, "example-mail", "legal.clarify").await;
    let page = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"question.0.reason\""), "the clarification form asks structured questions");
    let ask = vec![
        ("csrf", csrf_of(&page)),
        ("to", "clarification_requested".to_owned()),
        ("reason", "The justification does not link the account to the fraud.".to_owned()),
        ("question.0.reason", "insufficient_information".to_owned()),
        ("question.0.pointer", "/justification".to_owned()),
        ("question.0.question", "How is the account linked to the transfers?".to_owned()),
        ("question.1.reason", "incomplete".to_owned()),
        ("question.1.pointer", String::new()),
        ("question.1.question", String::new()),
    ];
    let r = legal.post(app.url(&format!("/requests/{id}/move"))).form(&ask).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);

    let clerk = signed_in(&app, "fr-tj-paris", "clerk.clarify").await;
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"/requests/{id}/amend\"")), "the clerk is offered to answer");
    let form =
        clerk.get(app.url(&format!("/requests/{id}/amend"))).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("How is the account linked to the transfers?"), "the question is shown");
    assert!(
        form.contains("value=\"invest.desk@example.org\""),
        "the form is filled in as the request stands"
    );
    assert!(form.contains("value=\"2026-06-30\""), "the period's last day, as the person would choose it");
    // The form as it came, with the justification answered.
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in [
        ("instrument", "eu-e-evidence"),
        ("kind", "production"),
        ("purpose", "criminal_investigation"),
        ("issuing.authority_type", "prosecutor"),
        ("issuing.reference", "PARQUET-2026-0042"),
        ("issuing.validated_by.authority", "fr-jld-paris"),
        ("issuing.validated_by.authority_type", "judge"),
        ("addressee.provider", "example-mail"),
        ("addressee.country", "IE"),
        ("offence.max_sentence_months", "120"),
        ("offence.committed_in_issuing_state", "true"),
        ("targets[0].selector.type", "email"),
        ("targets[0].selector.value", "invest.desk@example.org"),
        ("targets[0].residence_country", "FR"),
        ("targets[0].us_person", "no"),
        ("data_categories", "subscriber"),
        ("data_categories", "traffic"),
        ("time_window.from", "2026-05-01"),
        ("time_window.to", "2026-06-30"),
    ] {
        fields.push((name.to_owned(), value.to_owned()));
    }
    let description = form
        .split("id=\"offence-description\"")
        .nth(1)
        .unwrap()
        .split('>')
        .nth(1)
        .unwrap()
        .split("</textarea")
        .next()
        .unwrap();
    fields.push((
        "offence.description".to_owned(),
        description.replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&"),
    ));
    fields.push((
        "justification".to_owned(),
        "The transfers of 3 to 28 May 2026 were ordered from this account's sessions.".to_owned(),
    ));
    fields.push(("csrf".to_owned(), csrf_of(&form)));
    let r = clerk.post(app.url(&format!("/requests/{id}/amend"))).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);

    let (_, documents) = app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/documents")).await;
    let versions = documents["versions"].as_array().or(documents.as_array()).unwrap().clone();
    assert_eq!(versions.len(), 2, "both versions are kept: {documents}");
    let patch = versions[1]["patch"].to_string();
    assert!(patch.contains("/justification"), "the justification changed: {patch}");
    assert!(!patch.contains("/time_window"), "a period left as shown keeps its instants: {patch}");
    let (_, clarifications) =
        app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/clarifications")).await;
    assert!(
        clarifications.to_string().contains("\"answered\":true"),
        "the question is answered: {clarifications}"
    );
}

/// The provider's legal team sends a one-time link to the authority's registered contact
/// from an emergency's page; without `--smtp` the page shows it once, and it works.
async fn the_legal_team_sends_a_one_time_link_from_the_page(app: TestApp) {
    let contact = json!({"id": "duty-officer", "name": "Duty officer", "email": "duty@berlin.example.org"});
    let (status, body) = app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await;
    assert_eq!(status, 201, "{body}");
    let id = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    let legal = signed_in(&app, "example-mail", "legal.emergency").await;
    let page = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Verify this emergency") && page.contains("value=\"duty-officer\""), "{page}");
    let form = vec![("csrf", csrf_of(&page)), ("contact", "duty-officer".to_owned())];
    let r =
        legal.post(app.url(&format!("/requests/{id}/verification-link"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let page = r.text().await.unwrap();
    assert!(page.contains("comity did not e-mail the link"), "{page}");
    let link = page.split("<pre class=\"command\">").nth(1).unwrap().split('<').next().unwrap();
    let secret = link.split_once("/verify#").expect("a link to the verification page").1;
    let (status, view) = app.anonymous().post("/v1/verify/view", &json!({"token": secret})).await;
    assert_eq!((status, view["contact"].as_str()), (200, Some("duty-officer")), "{view}");
    // A contact the authority does not have is refused, and says so.
    let page = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    let form = vec![("csrf", csrf_of(&page)), ("contact", "nobody".to_owned())];
    let r =
        legal.post(app.url(&format!("/requests/{id}/verification-link"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("error-summary"));
}

/// A link handed out to be passed on is built on `--public-url` where it is set, never on
/// the `Host` the legal team's browser sent (a proxy's inner name, or anything it says).
#[tokio::test]
async fn a_one_time_link_is_built_on_the_public_url() {
    let app = crate::support::spawn_app_configured(Backend::Sqlite, |config| {
        config.public_url = Some("https://comity.example.org/".to_owned());
    })
    .await
    .unwrap();
    let contact = json!({"id": "duty-officer", "name": "Duty officer", "email": "duty@berlin.example.org"});
    let (status, body) = app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await;
    assert_eq!(status, 201, "{body}");
    let id = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    let legal = signed_in(&app, "example-mail", "legal.public").await;
    let page = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    let form = vec![("csrf", csrf_of(&page)), ("contact", "duty-officer".to_owned())];
    let r = legal
        .post(app.url(&format!("/requests/{id}/verification-link")))
        .header("host", "attacker.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let page = r.text().await.unwrap();
    assert_eq!(status, 201, "{page}");
    let link = page.split("<pre class=\"command\">").nth(1).unwrap().split('<').next().unwrap();
    assert!(link.starts_with("https://comity.example.org/verify#"), "{link}");
    assert!(!page.contains("attacker.example"), "{page}");
}

/// The acts beside the moves, each from its form, offered only to whom the policy lets do
/// it: the provider objects to a reviewer body and for conflicting obligations, the
/// enforcing authority raises grounds for refusal, the authority extends a preservation.
async fn the_acts_beside_the_moves_are_offered_to_whom_may_do_them(app: TestApp) {
    use comity_core::{FactKind, JournalQuery};
    // Notified to the enforcing State: committed outside the issuing State.
    let mut doc = example("eu-epoc-traffic.json");
    doc["offence"]["committed_in_issuing_state"] = json!(false);
    let id = app.submit(&doc).await;
    let legal = signed_in(&app, "example-mail", "legal.acts").await;
    let page = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("ie-high-court") && page.contains("ie-enforcing"), "who reviews it is shown");
    assert!(page.contains("/objections") && page.contains("/conflict"), "the provider's acts are offered");
    assert!(!page.contains("/grounds\""), "grounds for refusal are not the provider's");
    // An objection without its grounds is named beside the field.
    let post = |path: &'static str, fields: Vec<(&'static str, String)>, page: String| {
        let legal = legal.clone();
        let url = app.url(&format!("/requests/{id}/{path}"));
        async move {
            let mut form = vec![("csrf", csrf_of(&page))];
            form.extend(fields);
            legal.post(url).form(&form).send().await.unwrap()
        }
    };
    let r = post(
        "objections",
        vec![("reviewer", "ie-high-court".into()), ("grounds", String::new())],
        page.clone(),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"grounds-error\""));
    let r = post(
        "objections",
        vec![("reviewer", "ie-high-court".into()), ("grounds", "The judge sat on our board.".into())],
        page.clone(),
    )
    .await;
    assert_eq!(r.status(), 303);
    let conflict = vec![
        ("third_country", "US".to_owned()),
        ("law", "18 U.S.C. § 2702(a)".to_owned()),
        ("reasoning", "The account's content is stored in the United States for a US person.".to_owned()),
    ];
    let r = post("conflict", conflict, page).await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let facts = app
        .store
        .journal(&JournalQuery::kinds(&[FactKind::ReviewerObjected, FactKind::ConflictObjected]))
        .await
        .unwrap();
    assert_eq!(facts.len(), 2, "both acts are in the journal");
    let page = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("/conflict\""), "one objection for conflicting obligations");

    // The enforcing authority raises grounds for refusal while its window runs.
    let enforcing = signed_in(&app, "ie-enforcing", "enforcing.acts").await;
    let page = enforcing.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains(&format!("action=\"/requests/{id}/grounds\"")),
        "offered to the enforcing authority"
    );
    let ground = page.split("id=\"refusal-").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = vec![
        ("csrf", csrf_of(&page)),
        ("grounds", ground),
        ("reasoning", "The conduct is not an offence in Ireland.".to_owned()),
    ];
    let r = enforcing.post(app.url(&format!("/requests/{id}/grounds"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let (_, request) = app.token("example-mail").get(&format!("/v1/requests/{id}")).await;
    assert_eq!(request["state"], "rejected", "grounds raised stop the request: {request}");

    // The authority extends a preservation once.
    let id = app.submit(&example("eu-epoc-pr-preservation.json")).await;
    let authority =
        example("eu-epoc-pr-preservation.json")["issuing"]["authority"].as_str().unwrap().to_owned();
    let clerk = signed_in(&app, &authority, "clerk.acts").await;
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/extension\""), "the extension is offered while the preservation runs: {page}");
    let form =
        vec![("csrf", csrf_of(&page)), ("reason", "The production order follows next week.".to_owned())];
    let r = clerk.post(app.url(&format!("/requests/{id}/extension"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("/extension\""), "extended once, it is offered no more");
}

/// A representative of the person concerned opens its request by id, sees the decision
/// and its grounds but never the request's contents, and appeals from the page; another
/// request is the not-found page.
async fn a_representative_appeals_from_the_decision_page(app: TestApp) {
    let body = json!({"id": "ie-solicitor-page", "country": "IE", "name": "A solicitor"});
    assert_eq!(app.admin().post("/v1/admin/representatives", &body).await.0, 201);
    let second =
        json!({"id": "ie-court-of-appeal", "country": "IE", "kind": "court", "name": "Court of Appeal"});
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let other = app.submit(&example("eu-epoc-traffic.json")).await;
    assert_eq!(app.admin().post("/v1/admin/reviewers", &second).await.0, 201);
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    let register = json!({"representative": "ie-solicitor-page", "represents": "invest.desk@example.org",
        "mandate": "power of attorney"});
    assert_eq!(app.admin().post(&format!("/v1/requests/{id}/representatives"), &register).await.0, 201);

    let counsel = signed_in(&app, "ie-solicitor-page", "counsel.page").await;
    let home = counsel.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("action=\"/requests/open\""), "the representative opens a request by its id");
    let r = counsel.get(app.url(&format!("/requests/open?id={id}"))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = counsel.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Approved") && page.contains(REVIEWER), "the decision and who made it: {page}");
    assert!(!page.contains("invest.desk"), "never the request's contents");
    let hidden = counsel.get(app.url(&format!("/requests/{other}"))).send().await.unwrap();
    assert_eq!(hidden.status(), 404);
    // An appeal without grounds is refused beside its field; with them, a second body hears it.
    let appeal = |reason: &str| {
        vec![("csrf", csrf_of(&page)), ("to", "appealed".to_owned()), ("reason", reason.to_owned())]
    };
    let r = counsel.post(app.url(&format!("/requests/{id}/move"))).form(&appeal("")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let r = counsel
        .post(app.url(&format!("/requests/{id}/move")))
        .form(&appeal("Our client is a journalist; Art 12(1)(a) was not weighed."))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let page = counsel.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Our client is a journalist"), "the appeal is shown: {page}");
    let (_, request) = app.token("example-mail").get(&format!("/v1/requests/{id}")).await;
    assert_eq!(request["state"], "appealed");
}

/// An objection for conflicting obligations is decided from the request's page: the
/// issuing authority may only uphold it (withdraw its order), and the form says so.
async fn an_objection_for_conflicting_obligations_is_decided_from_the_page(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let objection = json!({"third_country": "US", "law": "18 U.S.C. § 2702(a)",
        "reasoning": "stored in the United States for a US person"});
    let (status, body) = app
        .token("example-mail")
        .post(&format!("/v1/requests/{id}/conflicting-obligations"), &objection)
        .await;
    assert_eq!(status, 201, "{body}");
    let clerk = signed_in(&app, "fr-tj-paris", "clerk.conflict").await;
    let page = clerk.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/conflict/decision\""), "the issuing authority may decide it: {page}");
    let decide = |upheld: &str| {
        vec![
            ("csrf", csrf_of(&page)),
            ("upheld", upheld.to_owned()),
            ("reasoning", "We withdraw.".to_owned()),
        ]
    };
    let url = app.url(&format!("/requests/{id}/conflict/decision"));
    let r = clerk.post(&url).form(&decide("")).send().await.unwrap();
    assert_eq!(r.status(), 422, "no outcome chosen");
    let r = clerk.post(&url).form(&decide("false")).send().await.unwrap();
    assert_eq!(r.status(), 403, "only the court maintains an order");
    let r = clerk.post(&url).form(&decide("true")).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let (_, request) = app.token("example-mail").get(&format!("/v1/requests/{id}")).await;
    assert_eq!(request["state"], "withdrawn", "upheld, the order is lifted: {request}");
}

//! Telling parties (issue 13, item 8): each event a party must act on reaches it, by a
//! signed webhook or by e-mail, with retries and dead letters, and nothing acknowledged is
//! lost.
//!
//! The webhook receiver and the SMTP server are outside implementations: pyauth's
//! `http-message-signatures` verifies the webhooks with the key the server publishes, and
//! `aiosmtpd` takes the mail (comity-notify's `tests/python`; `crates/comity-notify/tests/
//! python/setup` installs them). Without them those tests print `SKIPPED (python tools)`
//! and pass, unless `COMITY_REQUIRE_PYTHON_TOOLS=1` makes them fail. Time is a value: each
//! step of the delivery worker is driven with the `now` the test chooses.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use comity_core::{FactKind, JournalQuery, NoticeStatus};
use serde_json::{Value, json};

use crate::support::{Backend, TestApp, example, spawn_app_configured};

crate::both_backends!(
    a_providers_webhook_gets_a_signed_notice_and_a_retry_after_a_503,
    the_outbox_is_fed_exactly_once_and_keeps_what_a_stopped_worker_took,
    without_smtp_an_email_notice_waits_with_the_reason,
    endpoints_are_validated_and_their_changes_logged,
);

const SETUP: &str = "crates/comity-notify/tests/python/setup";

/// comity-notify's outside implementations.
fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../comity-notify/tests/python")
}

/// The virtual environment's interpreter, when it has the tools; otherwise the test is
/// skipped loudly, or fails under `COMITY_REQUIRE_PYTHON_TOOLS=1` (as comity-notify's
/// own tests do).
pub(crate) fn python(test: &str) -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/notify-python/bin/python");
    let why_not = match Command::new(&python)
        .args(["-c", "import http_message_signatures, aiosmtpd"])
        .output()
    {
        Ok(output) if output.status.success() => return Some(python),
        Ok(output) => {
            format!("the tools are not installed in it: {}", String::from_utf8_lossy(&output.stderr).trim())
        }
        Err(e) => format!("{} cannot be run ({e})", python.display()),
    };
    assert!(
        std::env::var("COMITY_REQUIRE_PYTHON_TOOLS").as_deref() != Ok("1"),
        "{test}: {why_not}. Run `{SETUP}` (COMITY_REQUIRE_PYTHON_TOOLS=1 makes this a failure instead of a skip)"
    );
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n!!! SKIPPED (python tools): {test}: {why_not}; run `{SETUP}` to run it\n"
    );
    None
}

/// A Python server of the tests, stopped when dropped; it prints its port first.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

impl Server {
    pub(crate) fn start(python: &Path, script: &str, args: &[&str]) -> Self {
        let mut child = Command::new(python)
            .arg(python_dir().join(script))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{script} cannot start: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("{script} printed {line:?}, not a port"));
        Self { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The file `n` a Python server kept in `dir`, waiting for it a while.
pub(crate) fn kept(dir: &Path, n: usize) -> Value {
    let file = dir.join(format!("{n}.json"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "nothing was kept as {}", file.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap()
}

/// pyauth's receiver, trusting only the key the server publishes, answering 503 to the
/// first `fail_first` notices and keeping the others in `dir`.
async fn receiver(app: &TestApp, python: &Path, dir: &Path, fail_first: u32) -> Server {
    let (status, jwk) = app.anonymous().get("/v1/webhooks/key").await;
    assert_eq!(status, 200, "{jwk}");
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
    let key = comity_auth::jws::PublicKey::parse(&jwk.to_string()).unwrap();
    assert_eq!(jwk["kid"], key.thumbprint(), "the key id is the key's RFC 7638 thumbprint");
    let pem = dir.join("comity-webhooks.pem");
    std::fs::write(&pem, key.to_pem()).unwrap();
    let out = dir.join("received");
    std::fs::create_dir_all(&out).unwrap();
    let args =
        [pem.to_str().unwrap(), jwk["kid"].as_str().unwrap(), out.to_str().unwrap(), &fail_first.to_string()];
    Server::start(python, "receiver.py", &args)
}

async fn add_endpoint(app: &TestApp, party: &str, body: Value) {
    let (status, added) = app.admin().post(&format!("/v1/admin/parties/{party}/endpoints"), &body).await;
    assert_eq!(status, 201, "{added}");
}

async fn notices(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, listed) = app.admin().get(&format!("/v1/admin/notices{query}")).await;
    assert_eq!(status, 200, "{listed}");
    listed.as_array().unwrap().clone()
}

async fn a_providers_webhook_gets_a_signed_notice_and_a_retry_after_a_503(app: TestApp) {
    let Some(python) = python("a_providers_webhook_gets_a_signed_notice_and_a_retry_after_a_503") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let receiver = receiver(&app, &python, dir.path(), 1).await;
    add_endpoint(
        &app,
        "example-mail",
        json!({"webhook": format!("http://127.0.0.1:{}/comity/notices", receiver.port)}),
    )
    .await;
    let id = app.submit(&example("eu-epoc-traffic.json")).await;

    // The first attempt verifies, but the receiver is down: 503, tried again later.
    let now = Utc::now();
    let step = app.notifier.step(now).await.unwrap();
    assert_eq!((step.fed, step.delivered, step.retried, step.dead), (1, 0, 1, 0), "{step:?}");
    let pending = notices(&app, "?status=pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (pending[0]["attempts"].as_u64(), pending[0]["party"].as_str()),
        (Some(1), Some("example-mail"))
    );
    assert!(pending[0]["last_error"].as_str().unwrap().contains("503"), "{}", pending[0]);

    // Not before its time; then delivered, and pyauth's library verified the signature
    // with the published key before it answered 204.
    assert_eq!(app.notifier.step(now + chrono::Duration::seconds(10)).await.unwrap().delivered, 0);
    let step = app.notifier.step(now + chrono::Duration::seconds(31)).await.unwrap();
    assert_eq!((step.delivered, step.retried), (1, 0), "{step:?}");
    let got = kept(&dir.path().join("received"), 1);
    assert_eq!(got["event"], "request.received");
    assert_eq!(got["request"], id.as_str());
    assert_eq!(got["state"], "received");
    assert_eq!(got["url"], app.url(&format!("/v1/requests/{id}")));
    // Nothing but the request's id, what happened, the state, the time and the links.
    let mut fields: Vec<&str> = got.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["at", "event", "id", "log_index", "request", "state", "url"]);
    let delivered = notices(&app, "?status=delivered").await;
    assert_eq!((delivered.len(), delivered[0]["attempts"].as_u64()), (1, Some(2)));
    // Delivered once: a later step sends nothing again.
    assert_eq!(app.notifier.step(now + chrono::Duration::hours(1)).await.unwrap().delivered, 0);
}

/// A webhook receiver of our own that answers `status` and counts what it got (for the
/// tests of the outbox, which are about counting, not signatures).
async fn counting_receiver(status: u16) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let handler = move || {
        let seen = seen.clone();
        async move {
            seen.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::from_u16(status).unwrap()
        }
    };
    let router = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, count)
}

async fn the_outbox_is_fed_exactly_once_and_keeps_what_a_stopped_worker_took(app: TestApp) {
    let (url, received) = counting_receiver(204).await;
    add_endpoint(&app, "example-mail", json!({"webhook": url})).await;
    let id = app.submit(&example("eu-epoc-traffic.json")).await;

    // Two feeders at once (two servers on one database): one writes, the other finds the
    // cursor moved and writes nothing.
    let from = app.store.notice_cursor().await.unwrap();
    let (a, b) = tokio::join!(app.notifier.feed(), app.notifier.feed());
    let written = a.unwrap().1 + b.unwrap().1;
    let to = app.store.notice_cursor().await.unwrap();
    assert!(to > from);
    assert_eq!(written, 1);
    // The same range fed again is refused whole: the cursor has moved past it.
    let again = app.store.feed_notices(from, to, &[]).await;
    assert!(matches!(again, Err(comity_core::StoreError::Conflict(_))), "{again:?}");
    let listed = notices(&app, "").await;
    assert_eq!(listed.len(), 1, "one notice for one entry and one endpoint: {listed:?}");
    assert_eq!(listed[0]["request"], id.as_str());

    // A worker takes it and stops before delivering (killed): its lease holds the notice
    // for a while, then another worker delivers it. Nothing is lost, nothing doubled.
    let now = Utc::now();
    let taken = app.store.take_notices(now, now + chrono::Duration::minutes(5), 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    let step = app.notifier.step(now).await.unwrap();
    assert_eq!((step.fed, step.delivered), (0, 0), "a leased notice is not taken twice: {step:?}");
    assert_eq!(received.load(Ordering::SeqCst), 0);
    let step = app.notifier.step(now + chrono::Duration::minutes(6)).await.unwrap();
    assert_eq!(step.delivered, 1, "{step:?}");
    assert_eq!(received.load(Ordering::SeqCst), 1);
    assert_eq!(notices(&app, "?status=delivered").await.len(), 1);
}

async fn without_smtp_an_email_notice_waits_with_the_reason(app: TestApp) {
    add_endpoint(&app, "example-mail", json!({"email": "legal@example-mail.test"})).await;
    app.submit(&example("eu-epoc-traffic.json")).await;
    let step = app.notifier.step(Utc::now()).await.unwrap();
    assert_eq!((step.fed, step.delivered, step.retried, step.dead), (1, 0, 1, 0));
    let pending = notices(&app, "?status=pending").await;
    assert_eq!(pending[0]["attempts"], 0, "nothing was sent, so no attempt is counted");
    assert!(pending[0]["last_error"].as_str().unwrap().contains("--smtp"), "{}", pending[0]);
}

async fn endpoints_are_validated_and_their_changes_logged(app: TestApp) {
    let admin = app.admin();
    for (body, field) in [
        (json!({"webhook": "http://receiver.example.org/comity"}), "webhook"),
        (json!({"email": "not an address"}), "email"),
        (json!({"webhook": "https://a.example.org/", "email": "a@example.org"}), "webhook"),
    ] {
        let (status, refused) = admin.post("/v1/admin/parties/example-mail/endpoints", &body).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["details"][0]["path"], field, "{refused}");
    }
    let (status, _) =
        admin.post("/v1/admin/parties/nobody-here/endpoints", &json!({"email": "a@example.org"})).await;
    assert_eq!(status, 404);

    let hook = json!({"webhook": "https://legal.example-mail.com/comity"});
    add_endpoint(&app, "example-mail", hook.clone()).await;
    let (status, _) = admin.post("/v1/admin/parties/example-mail/endpoints", &hook).await;
    assert_eq!(status, 409, "registered once");
    add_endpoint(&app, "example-mail", json!({"email": "Legal Team <legal@example-mail.test>"})).await;
    let (_, listed) = admin.get("/v1/admin/parties/example-mail/endpoints").await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    let (status, removed) = admin.post("/v1/admin/parties/example-mail/endpoints/remove", &hook).await;
    assert_eq!(status, 200, "{removed}");
    let (_, listed) = admin.get("/v1/admin/parties/example-mail/endpoints").await;
    assert_eq!(
        listed,
        json!([{"party": "example-mail", "channel": "email", "address": "Legal Team <legal@example-mail.test>"}])
    );

    let facts = app.store.journal(&JournalQuery::kinds(&FactKind::ENDPOINT)).await.unwrap();
    let kinds: Vec<&str> = facts.iter().map(|j| j.kind().as_str()).collect();
    assert_eq!(kinds, ["endpoint.added", "endpoint.added", "endpoint.removed"]);
    assert!(facts.iter().all(|j| j.log_index.is_some()), "each change has its audit-log entry");
}

/// Dead letters: with two attempts, a receiver that keeps failing ends in the dead
/// letters, logged; the operator puts it back, logged too.
#[tokio::test]
async fn a_receiver_that_keeps_failing_ends_dead_lettered_and_is_put_back() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app_configured(backend, |config| {
            config.notice_retry = comity_notify::RetryPolicy::new(2).unwrap();
        })
        .await
        else {
            continue;
        };
        let (url, received) = counting_receiver(503).await;
        add_endpoint(&app, "example-mail", json!({"webhook": url})).await;
        app.submit(&example("eu-epoc-traffic.json")).await;
        let now = Utc::now();
        assert_eq!(app.notifier.step(now).await.unwrap().retried, 1);
        let step = app.notifier.step(now + chrono::Duration::minutes(1)).await.unwrap();
        assert_eq!((step.retried, step.dead), (0, 1), "{step:?}");
        assert_eq!(received.load(Ordering::SeqCst), 2);
        // Dead: listed for the operator, and never tried again by itself.
        let dead = notices(&app, "?status=dead").await;
        assert_eq!(dead.len(), 1);
        assert!(dead[0]["last_error"].as_str().unwrap().contains("503"), "{}", dead[0]);
        assert_eq!(app.notifier.step(now + chrono::Duration::days(2)).await.unwrap().dead, 0);
        assert_eq!(received.load(Ordering::SeqCst), 2);
        let facts = app.store.journal(&JournalQuery::kinds(&[FactKind::NoticeDead])).await.unwrap();
        assert_eq!(facts.len(), 1);
        assert!(facts[0].log_index.is_some());

        // Only the operator puts it back; then it is tried again.
        let id = dead[0]["id"].as_u64().unwrap();
        let (status, _) =
            app.token("example-mail").post(&format!("/v1/admin/notices/{id}/retry"), &json!({})).await;
        assert_eq!(status, 403);
        let (status, back) = app.admin().post(&format!("/v1/admin/notices/{id}/retry"), &json!({})).await;
        assert_eq!(
            (status, back["status"].as_str(), back["attempts"].as_u64()),
            (200, Some("pending"), Some(0)),
            "{back}"
        );
        let (status, _) = app.admin().post(&format!("/v1/admin/notices/{id}/retry"), &json!({})).await;
        assert_eq!(status, 409, "a pending notice is not put back");
        let retried = app.store.journal(&JournalQuery::kinds(&[FactKind::NoticeRetried])).await.unwrap();
        assert_eq!(retried.len(), 1);
        app.notifier.step(Utc::now() + chrono::Duration::seconds(1)).await.unwrap();
        assert_eq!(received.load(Ordering::SeqCst), 3);
        assert_eq!(NoticeStatus::Pending.as_str(), notices(&app, "").await[0]["status"]);
    }
}

/// E-mail to a person of the provider reaches aiosmtpd, with a link to the request that
/// opens for that person.
#[tokio::test]
async fn an_email_notice_reaches_a_person_with_a_link_that_opens_for_them() {
    let Some(python) = python("an_email_notice_reaches_a_person_with_a_link_that_opens_for_them") else {
        return;
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let dir = tempfile::tempdir().unwrap();
        let sink = Server::start(&python, "smtp_sink.py", &[dir.path().to_str().unwrap()]);
        let smtp = format!("smtp+insecure://127.0.0.1:{}?from=notices@comity.test&timeout=10", sink.port);
        let Some(app) = spawn_app_configured(backend, |config| {
            config.smtp = Some(comity_notify::SmtpSettings::parse(&smtp).unwrap());
        })
        .await
        else {
            continue;
        };
        add_endpoint(&app, "example-mail", json!({"email": "Handler <handler@example-mail.test>"})).await;
        let id = app.submit(&example("eu-epoc-traffic.json")).await;
        let step = app.notifier.step(Utc::now()).await.unwrap();
        assert_eq!(step.delivered, 1, "{step:?}");

        let mail = kept(dir.path(), 1);
        assert_eq!(mail["rcpt_tos"], json!(["handler@example-mail.test"]));
        assert_eq!(mail["from"], "notices@comity.test");
        assert!(mail["subject"].as_str().unwrap().contains(&id), "{}", mail["subject"]);
        let body = mail["body"].as_str().unwrap();
        let link = body.lines().map(str::trim).find(|l| l.starts_with("http")).expect("a link");
        assert_eq!(link, app.url(&format!("/v1/requests/{id}")));
        // The link opens for a person of the provider, and for nobody without a session.
        let path = link.strip_prefix(&app.base).unwrap();
        let (status, request) = app.person("example-mail").await.get(path).await;
        assert_eq!(status, 200, "{request}");
        assert_eq!(app.anonymous().get(path).await.0, 401);
    }
}

/// A one-time verification link reaches the authority's registered contact by e-mail
/// (issue 13, item 8: "e-mail ... to registered contacts for people, carrying one-time
/// verification links as well"), and works: the page opens, the request shows without
/// its targets, the contact confirms, and the request leaves `pending_verification`. The
/// provider's legal team never holds the link, and a second use is refused.
#[tokio::test]
async fn a_verification_link_reaches_the_contact_by_email_and_works_once() {
    let Some(python) = python("a_verification_link_reaches_the_contact_by_email_and_works_once") else {
        return;
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let dir = tempfile::tempdir().unwrap();
        let sink = Server::start(&python, "smtp_sink.py", &[dir.path().to_str().unwrap()]);
        let smtp = format!("smtp+insecure://127.0.0.1:{}?from=notices@comity.test&timeout=10", sink.port);
        let Some(app) = spawn_app_configured(backend, |config| {
            config.smtp = Some(comity_notify::SmtpSettings::parse(&smtp).unwrap());
        })
        .await
        else {
            continue;
        };
        let contact =
            json!({"id": "duty-officer", "name": "Duty Officer", "email": "duty@berlin.example.org"});
        let (status, body) = app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await;
        assert_eq!(status, 201, "{body}");
        let emergency = example("eu-epoc-emergency-subscriber.json");
        let id = app.submit(&emergency).await;
        let provider = app.token("example-mail");
        let (status, link) = provider
            .post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "duty-officer"}))
            .await;
        assert_eq!(status, 201, "{link}");
        assert_eq!(link["mail"]["status"], "sent", "{link}");
        assert!(link.get("url").is_none(), "a link comity e-mailed is shown to nobody else: {link}");

        let mail = kept(dir.path(), 1);
        assert_eq!(mail["rcpt_tos"], json!(["duty@berlin.example.org"]));
        assert_eq!(mail["message_id"], link["mail"]["message_id"]);
        assert!(mail["subject"].as_str().unwrap().contains(&id), "{}", mail["subject"]);
        let body = mail["body"].as_str().unwrap();
        for target in emergency["targets"].as_array().unwrap() {
            let value = target["selector"]["value"].as_str().unwrap();
            assert!(!body.contains(value), "the mail names a target: {body}");
        }
        let url = body.lines().map(str::trim).find(|l| l.starts_with("http")).expect("a link in the mail");
        let (page, secret) = url.split_once('#').expect("the secret in the fragment");
        assert_eq!(page, app.url("/verify"));

        // The link opens the portal's verification page (a browser sends no fragment), whose
        // script, the portal's own, moves the secret into its form (tested in a browser in
        // portal.rs).
        let (status, headers, html) = app.anonymous().get_bytes("/verify").await;
        assert_eq!(status, 200);
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("id=\"verify-secret\"") && html.contains("src=\"/static/comity.js\""));

        // What the page shows: the request, none of its targets.
        let (status, view) = app.anonymous().post("/v1/verify/view", &json!({"token": secret})).await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(
            (view["request"].as_str(), view["contact"].as_str()),
            (Some(id.as_str()), Some("duty-officer"))
        );
        for target in emergency["targets"].as_array().unwrap() {
            assert!(!view.to_string().contains(target["selector"]["value"].as_str().unwrap()), "{view}");
        }
        // The contact confirms; the request goes to review.
        let (status, moved) =
            app.anonymous().post("/v1/verify", &json!({"token": secret, "decision": "confirm"})).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["state"], "under_review");
        let (_, read) = provider.get(&format!("/v1/requests/{id}")).await;
        assert_eq!(read["state"], "under_review");
        // Used once, it is used up.
        let (status, again) =
            app.anonymous().post("/v1/verify", &json!({"token": secret, "decision": "deny"})).await;
        assert_eq!(status, 404, "{again}");
        assert_eq!(app.anonymous().post("/v1/verify/view", &json!({"token": secret})).await.0, 404);

        // The mail is a journal fact with its audit-log entry: to whom and under which
        // Message-ID, never the link.
        let rid = comity_core::RequestId::parse(&id).unwrap();
        let mailed =
            app.store.journal(&JournalQuery::kinds(&[FactKind::LinkMailed]).request(rid)).await.unwrap();
        assert_eq!(mailed.len(), 1);
        let content = &mailed[0].content;
        assert!(content.contains("duty-officer") && !content.contains(secret), "{content}");
        assert!(mailed[0].log_index.is_some());

        // A contact whose mail the server refuses: the link is issued, the answer says the
        // mail failed and why, and hands the link to pass on.
        let refused = json!({"id": "night-desk", "name": "Night desk", "email": "night@refuse.example"});
        assert_eq!(app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &refused).await.0, 201);
        let second = app.submit(&emergency).await;
        let (status, link) = provider
            .post(&format!("/v1/requests/{second}/verification/links"), &json!({"contact": "night-desk"}))
            .await;
        assert_eq!(status, 201, "{link}");
        assert_eq!(link["mail"]["status"], "failed", "{link}");
        assert!(link["mail"]["message"].as_str().unwrap().contains("refused"), "{link}");
        let path = link["url"].as_str().expect("the link, to pass on");
        let secret = path.strip_prefix("/verify#").unwrap();
        assert_eq!(app.anonymous().post("/v1/verify/view", &json!({"token": secret})).await.0, 200);
    }
}

/// Without `--smtp`, the answer says plainly that no mail was sent, and hands the link to
/// the provider's legal team to pass on.
#[tokio::test]
async fn without_smtp_a_verification_link_says_no_mail_was_sent() {
    let Some(app) = crate::support::spawn_app(Backend::Sqlite).await else { return };
    let contact = json!({"id": "duty-officer", "name": "Duty Officer", "email": "duty@berlin.example.org"});
    assert_eq!(app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await.0, 201);
    let id = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    let (status, link) = app
        .token("example-mail")
        .post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "duty-officer"}))
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["mail"]["status"], "not_sent");
    assert!(link["mail"]["message"].as_str().unwrap().contains("no mail was sent"), "{link}");
    assert!(link["url"].as_str().unwrap().starts_with("/verify#"), "{link}");
}

//! The notice to the person concerned (issue 15, item 1): a production's target is told on
//! the day its delay ends, in their language, by e-mail through a real SMTP server
//! (aiosmtpd); a bar needs a reasoned decision and a review date, and the national-security
//! pack refuses one; a notice the provider delivers itself is confirmed and logged; the log
//! and the journal keep a commitment to the text, never the text. Time is a value: the
//! sweeper of deadlines runs at the instants the test picks.

use chrono::{DateTime, Utc};
use comity_core::{Fact, FactKind, JournalQuery, RequestId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::notices::{Server, kept, python};
use crate::support::{Backend, REVIEWER, TestApp, example, export, spawn_app_configured};

crate::both_backends!(
    a_notice_the_provider_delivers_is_confirmed_and_logged,
    a_bar_needs_reasons_and_a_review_date_and_never_under_the_national_security_pack,
    the_reviewer_and_the_provider_act_on_notices_from_the_request_page,
    the_documents_wait_for_a_notice_still_to_be_written,
);

/// A request closed while its notice is delayed beyond the documents' retention: the
/// documents are kept until the notice is written from them, then shredded; the sweep in
/// between never fails on them.
async fn the_documents_wait_for_a_notice_still_to_be_written(app: TestApp) {
    let id = delivered(&app, |doc| {
        doc.as_object_mut().unwrap().remove("nondisclosure");
    })
    .await;
    let until = (Utc::now() + chrono::Duration::days(800)).date_naive();
    let delay = json!({"status": "delayed", "reasoning": "a long investigation", "until": until.to_string()});
    let (status, body) =
        app.token(REVIEWER).post(&format!("/v1/requests/{id}/notices/0/decision"), &delay).await;
    assert_eq!(status, 201, "{body}");
    let provider = app.token("example-mail");
    let recipient = json!({"language": "en", "channel": "provider"});
    let (status, body) = provider.post(&format!("/v1/requests/{id}/notices/0/recipient"), &recipient).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = provider
        .post(
            &format!("/v1/requests/{id}/transitions"),
            &json!({"to": "closed", "reason": "delivered and done"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A year and more later, the retention has ended, but the notice is still to come.
    let sweep = app.app.sweep(Utc::now() + chrono::Duration::days(400)).await.unwrap();
    assert!(sweep.shredded.is_empty(), "{sweep:?}");
    let (status, _) = provider.get(&format!("/v1/requests/{id}/notices")).await;
    assert_eq!(status, 200);
    // The day the delay ends: the notice is written, then the documents go.
    let after = until.succ_opt().unwrap().and_hms_opt(0, 0, 1).unwrap().and_utc();
    let sweep = app.app.sweep(after).await.unwrap();
    assert_eq!(sweep.shredded.len(), 1, "{sweep:?}");
    let sent = facts(&app, &id, FactKind::PersonNoticeSent).await;
    assert_eq!(sent.len(), 1, "the notice was written before the documents went");
    let (status, body) = provider.get(&format!("/v1/requests/{id}/notices")).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "documents_shredded");
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The commitment the log keeps for a text and its salt.
fn commitment(salt: &str, text: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"comity-person-notice/v1\n");
    hash.update(salt.as_bytes());
    hash.update(b"\n");
    hash.update(text.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A request approved and delivered to fr-tj-paris; `tweak` edits the document first.
async fn delivered(app: &TestApp, tweak: impl FnOnce(&mut Value)) -> String {
    let mut doc = example("eu-epoc-traffic.json");
    tweak(&mut doc);
    let id = app.submit(&doc).await;
    let (status, body) = app.move_to(&id, "approved").await;
    assert_eq!(status, 200, "{body}");
    app.deliver(&id, &export()).await;
    id
}

async fn notices(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.token("example-mail").get(&format!("/v1/requests/{id}/notices")).await;
    assert_eq!(status, 200, "{body}");
    body["notices"].as_array().unwrap().clone()
}

async fn facts(app: &TestApp, id: &str, kind: FactKind) -> Vec<comity_core::JournalEntry> {
    let rid = RequestId::parse(id).unwrap();
    app.store.journal(&JournalQuery::kinds(&[kind]).request(rid)).await.unwrap()
}

/// The acceptance: "a production with a delayed notice sends it on the day the delay
/// ends, in the person's language". The authority's nondisclosure runs to 2027-05-01; the
/// reviewer delays the notice further, to 2027-06-14; the provider says the person reads
/// French and gives their address. Nothing goes out when the nondisclosure ends, nor on the
/// delay's last day; on 2027-06-15 one mail in French reaches aiosmtpd, whose text matches
/// the commitment the log keeps and the text the provider can read again.
#[tokio::test]
async fn a_delayed_notice_is_emailed_in_french_on_the_day_the_delay_ends() {
    let Some(python) = python("a_delayed_notice_is_emailed_in_french_on_the_day_the_delay_ends") else {
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
        let id = delivered(&app, |_| {}).await;
        let listed = notices(&app, &id).await;
        assert_eq!(listed.len(), 1, "one notice per target: {listed:?}");
        assert_eq!(
            (listed[0]["status"].as_str(), listed[0]["waiting"].as_str()),
            (Some("immediate"), Some("recipient"))
        );

        let reviewer = app.token(REVIEWER);
        let delay = json!({
            "status": "delayed",
            "reasoning": "the accomplices are still being identified; telling the account holder now would warn them",
            "until": "2027-06-14",
        });
        let (status, body) = reviewer.post(&format!("/v1/requests/{id}/notices/0/decision"), &delay).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!((body["status"].as_str(), body["decided_by"].as_str()), (Some("delayed"), Some(REVIEWER)));

        let recipient = json!({"language": "fr", "channel": "email", "address": "alice@example.fr"});
        let provider = app.token("example-mail");
        let (status, body) =
            provider.post(&format!("/v1/requests/{id}/notices/0/recipient"), &recipient).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["due"], "2027-06-15T00:00:00Z", "the day after the delay's last day: {body}");
        assert_eq!(body["address"], "alice@example.fr");
        // The address is the provider's to know: sealed under the request's data key, it is
        // in no journal row and no byte of the database.
        let recipient = facts(&app, &id, FactKind::PersonNoticeRecipient).await;
        assert!(!recipient[0].content.contains("alice@"), "{}", recipient[0].content);
        let database = app.database_bytes().await;
        assert!(!database.windows(16).any(|w| w == b"alice@example.fr"), "the address is in the clear");
        // The authority sees how the person is told, never where.
        let (status, seen) = app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/notices")).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!(
            (seen["notices"][0]["channel"].as_str(), &seen["notices"][0]["address"]),
            (Some("email"), &Value::Null)
        );

        // The nondisclosure ends: the person is not told yet, for the delay still runs.
        app.app.sweep(at("2027-05-02T00:00:01Z")).await.unwrap();
        app.app.sweep(at("2027-06-14T23:59:59Z")).await.unwrap();
        assert!(!dir.path().join("1.json").exists(), "a notice went out before its day");
        assert!(notices(&app, &id).await[0]["sent_at"].is_null());

        // The day the delay ends: one mail, in French.
        let sweep = app.app.sweep(at("2027-06-15T00:00:01Z")).await.unwrap();
        assert!(!sweep.acted.is_empty(), "{sweep:?}");
        let mail = kept(dir.path(), 1);
        assert_eq!(mail["rcpt_tos"], json!(["alice@example.fr"]));
        let subject = mail["subject"].as_str().unwrap();
        assert!(
            subject.starts_with("Une autorité publique a obtenu des données vous concernant"),
            "{subject}"
        );
        let body = mail["body"].as_str().unwrap().replace("\r\n", "\n");
        for says in [
            "Bonjour",
            "fr-tj-paris",
            "PARQUET-2026-0042",
            "le règlement (UE) 2023/1543",
            "invest.desk@example.org",
            "ne seriez pas informé avant le 2027-06-14",
            "Ce que vous pouvez faire",
            "Ses entrées du journal",
        ] {
            assert!(body.contains(says), "the notice does not say {says:?}:\n{body}");
        }
        let (text, check) = body.split_once("\n\n--\n").expect("the check after the text");
        let text = text.trim_end_matches('\n');
        let salt = check.lines().find_map(|l| l.strip_prefix("Sel : ")).expect("the salt").trim();

        let listed = notices(&app, &id).await;
        let n = &listed[0];
        assert_eq!(
            n["commitment"].as_str().unwrap(),
            commitment(salt, text),
            "the mail is the text committed to"
        );
        assert!(n["sent_log_index"].is_u64(), "{n}");
        assert_eq!(n["delivered_at"], n["sent_at"], "comity's own mail is delivered once sent: {n}");

        // The provider reads the same text again; the journal and the log keep none of it.
        let (status, again) = provider.get(&format!("/v1/requests/{id}/notices/0/text")).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!((again["text"].as_str(), again["salt"].as_str()), (Some(text), Some(salt)));
        let sent = facts(&app, &id, FactKind::PersonNoticeSent).await;
        assert_eq!(sent.len(), 1);
        assert!(
            !sent[0].content.contains("Bonjour") && !sent[0].content.contains("invest.desk"),
            "{}",
            sent[0].content
        );
        let Fact::PersonNoticeSent(s) = &sent[0].fact else { panic!("{:?}", sent[0].fact) };
        assert_eq!((s.language.as_str(), s.commitment.as_str()), ("fr", n["commitment"].as_str().unwrap()));

        // Sent once: a later sweep sends nothing more.
        app.app.sweep(at("2027-06-16T00:00:00Z")).await.unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!dir.path().join("2.json").exists(), "the notice went out twice");
        // It cannot be delayed once sent.
        let (status, body) = reviewer.post(&format!("/v1/requests/{id}/notices/0/decision"), &delay).await;
        assert_eq!(status, 409, "{body}");
    }
}

/// The provider delivers the notice through its own channel: comity writes it when due,
/// the provider reads it and confirms the delivery, which is logged, once.
async fn a_notice_the_provider_delivers_is_confirmed_and_logged(app: TestApp) {
    let id = delivered(&app, |doc| {
        doc.as_object_mut().unwrap().remove("nondisclosure");
    })
    .await;
    let provider = app.token("example-mail");
    let path = |what: &str| format!("/v1/requests/{id}/notices/0/{what}");

    // Bad input is refused with the field to fix.
    for (body, field) in [
        (json!({"language": "de", "channel": "provider"}), "language"),
        (json!({"language": "en", "channel": "pigeon"}), "channel"),
        (json!({"language": "en", "channel": "email"}), "address"),
        (json!({"language": "en", "channel": "email", "address": "not an address"}), "address"),
        (json!({"language": "en", "channel": "provider", "address": "a@example.org"}), "address"),
    ] {
        let (status, answer) = provider.post(&path("recipient"), &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().starts_with(field), "{answer}");
    }
    let (status, answer) = provider
        .post(
            &format!("/v1/requests/{id}/notices/7/recipient"),
            &json!({"language": "en", "channel": "provider"}),
        )
        .await;
    assert_eq!(status, 404, "{answer}");
    let (status, answer) = provider
        .post(
            &format!("/v1/requests/{id}/notices/x/recipient"),
            &json!({"language": "en", "channel": "provider"}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    // Only the provider says how the person is reached.
    let (status, answer) = app
        .token("fr-tj-paris")
        .post(&path("recipient"), &json!({"language": "en", "channel": "provider"}))
        .await;
    assert_eq!(status, 403, "{answer}");
    // Nothing to confirm before the notice is written.
    let (status, answer) = provider.post(&path("delivery"), &json!({"reference": "ticket-1"})).await;
    assert_eq!(status, 409, "{answer}");

    let (status, body) =
        provider.post(&path("recipient"), &json!({"language": "en", "channel": "provider"})).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["due"].is_string(), "immediate, with no nondisclosure: due at delivery: {body}");
    app.app.sweep(Utc::now() + chrono::Duration::minutes(1)).await.unwrap();
    let n = notices(&app, &id).await.remove(0);
    assert!(n["sent_at"].is_string() && n["delivered_at"].is_null(), "{n}");
    // The provider hears of it through its endpoint (here an e-mail address, with no
    // mailer: the notice waits in the outbox, named by its event).
    let endpoint = json!({"email": "legal@example-mail.test"});
    let (status, added) = app.admin().post("/v1/admin/parties/example-mail/endpoints", &endpoint).await;
    assert_eq!(status, 201, "{added}");
    app.notifier.step(Utc::now()).await.unwrap();
    let (status, outbox) = app.admin().get("/v1/admin/notices").await;
    assert_eq!(status, 200, "{outbox}");
    let events: Vec<&str> = outbox.as_array().unwrap().iter().filter_map(|n| n["event"].as_str()).collect();
    assert!(events.contains(&"person_notice.written"), "{outbox}");

    let (status, t) = provider.get(&path("text")).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["language"], "en");
    assert!(t["subject"].as_str().unwrap().contains("example-mail"), "{t}");
    assert_eq!(
        n["commitment"].as_str().unwrap(),
        commitment(t["salt"].as_str().unwrap(), t["text"].as_str().unwrap())
    );
    assert!(t["text"].as_str().unwrap().contains("What you can do"), "{t}");

    let (status, answer) = provider.post(&path("delivery"), &json!({"reference": "  "})).await;
    assert_eq!(status, 422, "{answer}");
    let (status, body) =
        provider.post(&path("delivery"), &json!({"reference": "in-app message 88213"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["delivery_reference"], "in-app message 88213");
    let confirmed = facts(&app, &id, FactKind::PersonNoticeDelivered).await;
    assert_eq!(confirmed.len(), 1);
    assert!(confirmed[0].log_index.is_some(), "the delivery is logged");
    let (status, answer) = provider.post(&path("delivery"), &json!({"reference": "again"})).await;
    assert_eq!(status, 409, "{answer}");
}

/// The acceptance: "a barred notice needs a reasoned decision". A bar without reasoning,
/// or without a date to review it by, is refused with the field to fix; with both it
/// holds, and the notice waits; the national-security pack refuses a bar outright (it may
/// delay, never bar), and only an assigned reviewer decides.
async fn a_bar_needs_reasons_and_a_review_date_and_never_under_the_national_security_pack(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let reviewer = app.token(REVIEWER);
    let path = format!("/v1/requests/{id}/notices/0/decision");
    let cases = [
        (json!({"status": "barred", "until": "2030-01-01"}), "reasoning"),
        (json!({"status": "barred", "reasoning": "   ", "until": "2030-01-01"}), "reasoning"),
        (json!({"status": "barred", "reasoning": "an ongoing covert operation"}), "until"),
        (
            json!({"status": "barred", "reasoning": "an ongoing covert operation", "until": "2020-01-01"}),
            "until",
        ),
        (json!({"status": "delayed", "reasoning": "an ongoing covert operation"}), "until"),
        (json!({"status": "forever", "reasoning": "x"}), "status"),
    ];
    for (body, field) in cases {
        let (status, answer) = reviewer.post(&path, &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_notice_decision", "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().starts_with(field), "{body}: {answer}");
    }
    let bar = json!({"status": "barred", "reasoning": "an ongoing covert operation against the network", "until": "2030-01-01"});
    // The provider does not decide its own notices.
    let (status, answer) = app.token("example-mail").post(&path, &bar).await;
    assert_eq!(status, 403, "{answer}");
    let (status, body) = reviewer.post(&path, &bar).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((body["status"].as_str(), body["until"].as_str()), (Some("barred"), Some("2030-01-01")));
    assert_eq!((body["waiting"].as_str(), body["due"].as_str()), (Some("bar"), None));
    let decided = facts(&app, &id, FactKind::PersonNoticeDecided).await;
    assert_eq!(decided.len(), 1);
    assert!(decided[0].log_index.is_some());

    // National security: delayed at most. A court of the State where the data is held
    // decides (as in the scenarios: the MLAT's, once one is registered and assigned).
    let mut doc = example("mlat-content.json");
    doc["purpose"] = "national_security".into();
    let ns = app.submit(&doc).await;
    let court = "us-dc-court";
    let party = json!({"id": court, "country": "US", "kind": "court", "name": court});
    let (status, answer) = app.admin().post("/v1/admin/reviewers", &party).await;
    assert_eq!(status, 201, "{answer}");
    app.issue_token(court).await;
    let assign = json!({"reviewer": court, "reason": "the register held no competent body on screening"});
    let (status, answer) = app.admin().post(&format!("/v1/requests/{ns}/reviewers"), &assign).await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) =
        app.token(court).post(&format!("/v1/requests/{ns}/notices/0/decision"), &bar).await;
    assert_eq!(status, 422, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("status") && message.contains("never barred"), "{message}");
    let delay =
        json!({"status": "delayed", "reasoning": "an ongoing covert operation", "until": "2029-01-01"});
    let (status, answer) =
        app.token(court).post(&format!("/v1/requests/{ns}/notices/0/decision"), &delay).await;
    assert_eq!(status, 201, "{answer}");

    // The public report counts the bar from the log's entry kind (issue 16, item 1); the
    // national-security request's delay stays out of every exact figure.
    app.checkpoint_now().await;
    let period = format!(
        "from={}&to={}",
        (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let (status, report) = app.anonymous().get(&format!("/v1/transparency?{period}")).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["totals"]["notices_barred"], 1, "{report}");
    assert_eq!(report["totals"]["notices_delayed"], 0, "{report}");
}

/// The portal: the reviewer delays or bars from the request's page, and a bar without
/// reasons is shown again with the problem beside its field; the provider says how the
/// person is told, and confirms the delivery of the notice comity wrote for it.
async fn the_reviewer_and_the_provider_act_on_notices_from_the_request_page(app: TestApp) {
    use crate::portal::{csrf_of, signed_in};
    let id = delivered(&app, |doc| {
        doc.as_object_mut().unwrap().remove("nondisclosure");
    })
    .await;
    let page_of = |client: reqwest::Client| {
        let url = app.url(&format!("/requests/{id}"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };

    let judge = signed_in(&app, REVIEWER, "judge.notices").await;
    let page = page_of(judge.clone()).await;
    assert!(page.contains(&format!("/requests/{id}/notices/0/decision")), "the reviewer may decide: {page}");
    assert!(!page.contains("/notices/0/recipient"), "the reviewer does not say how the person is told");
    let url = app.url(&format!("/requests/{id}/notices/0/decision"));
    let bar = |reasoning: &str| {
        vec![
            ("csrf", csrf_of(&page)),
            ("status", "barred".to_owned()),
            ("until", "2031-01-01".to_owned()),
            ("reasoning", reasoning.to_owned()),
        ]
    };
    let r = judge.post(&url).form(&bar("")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let shown = r.text().await.unwrap();
    assert!(shown.contains("id=\"notice-0-reasoning-error\""), "the problem beside its field: {shown}");
    let r = judge.post(&url).form(&bar("a covert operation still runs")).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let page = page_of(judge.clone()).await;
    assert!(page.contains("a covert operation still runs"), "{page}");
    // Lifted again: the notice goes out once the provider says how.
    let lift = vec![("csrf", csrf_of(&page)), ("status", "immediate".to_owned())];
    let r = judge.post(&url).form(&lift).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);

    let clerk = signed_in(&app, "example-mail", "legal.notices").await;
    let page = page_of(clerk.clone()).await;
    assert!(page.contains("/notices/0/recipient"), "the provider says how the person is told: {page}");
    assert!(!page.contains("/notices/0/decision"), "the provider never delays its own notices");
    let url = app.url(&format!("/requests/{id}/notices/0/recipient"));
    let form =
        vec![("csrf", csrf_of(&page)), ("language", "fr".to_owned()), ("channel", "provider".to_owned())];
    let r = clerk.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    app.app.sweep(Utc::now() + chrono::Duration::minutes(1)).await.unwrap();
    let page = page_of(clerk.clone()).await;
    assert!(page.contains("/notices/0/delivery"), "the written notice waits for its delivery: {page}");
    let url = app.url(&format!("/requests/{id}/notices/0/delivery"));
    let form = vec![("csrf", csrf_of(&page)), ("reference", "courrier 2027-114".to_owned())];
    let r = clerk.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    let n = notices(&app, &id).await.remove(0);
    assert_eq!(n["delivery_reference"], "courrier 2027-114", "{n}");
}

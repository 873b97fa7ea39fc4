//! Issue 15, item 4, remedies and correction: "an error found after delivery opens a remedy
//! case: a recall sent to the authority, which must attest deletion, on a clock; a
//! corrected production where one is due; notice to the person affected; a record in the
//! transparency counts. Withdrawal after delivery uses the same path." The acceptance: "a
//! recall reaches the authority and counts". Time is a value: the sweep is told when it
//! runs.

use chrono::{DateTime, Duration, Utc};
use comity_core::{ClockKind, ClockOutcome, RequestId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{OPERATOR, REVIEWER, TestApp, example, export};

crate::both_backends!(
    a_third_party_unmasked_is_recalled_corrected_told_and_counted,
    a_recall_not_attested_in_time_is_escalated_and_counted,
    a_withdrawal_after_delivery_recalls_what_was_delivered,
    a_case_is_refused_what_it_cannot_do_with_a_reason,
    a_case_is_opened_and_a_person_told_from_the_pages,
);

/// A request of fr-tj-paris, without nondisclosure, approved and delivered: its id and
/// production.
async fn delivered(app: &TestApp) -> (String, String) {
    let mut doc = example("eu-epoc-traffic.json");
    doc.as_object_mut().unwrap().remove("nondisclosure");
    let id = app.submit(&doc).await;
    app.approve(&id).await;
    let pid = app.deliver(&id, &export()).await;
    (id, pid)
}

/// The authority's signed statement that it deleted a production, as `comity disposal
/// sign` makes it.
async fn deletion(app: &TestApp, id: &str, pid: &str) -> String {
    let (_, p) = app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/productions/{pid}")).await;
    let sha = p["package"]["sha256"].as_str().unwrap().to_owned();
    let key = app.key_of("fr-tj-paris");
    let statement = comity_app::production::disposal::statement(
        RequestId::parse(id).unwrap(),
        pid,
        &sha,
        Utc::now() - Duration::minutes(1),
    );
    key.sign_compact(&key.public().key_id(), statement.to_string().as_bytes())
}

async fn counts(app: &TestApp, from: DateTime<Utc>) -> Value {
    let to = (Utc::now() + Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let from = from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, body) = app.token(OPERATOR).get(&format!("/v1/remedies/counts?from={from}&to={to}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn overdue_recalls(app: &TestApp) -> u64 {
    app.app
        .overdue_by_kind()
        .await
        .unwrap()
        .into_iter()
        .find(|(k, _)| *k == ClockKind::Recall)
        .map_or(0, |(_, n)| n)
}

async fn a_third_party_unmasked_is_recalled_corrected_told_and_counted(app: TestApp) {
    let start = Utc::now() - Duration::minutes(1);
    let (id, pid) = delivered(&app).await;
    let provider = app.provider_of(&id).await;
    let authority = app.token("fr-tj-paris");

    // The provider opens the case: the production is recalled, comity's copy shredded.
    let open = json!({
        "ground": "third_party_unmasked",
        "correction": true,
        "description": "a correspondent's address was left unmasked in two traffic records",
    });
    let (status, case) = provider.post(&format!("/v1/requests/{id}/remedies"), &open).await;
    assert_eq!(status, 201, "{case}");
    assert_eq!((case["case"].as_u64(), case["status"].as_str()), (Some(1), Some("recall_pending")), "{case}");
    assert_eq!(case["by"], "example-mail");
    assert_eq!(case["recalled"][0]["production"], pid.as_str());
    assert_eq!(case["recalled"][0]["status"], "shredded", "comity's copy goes at once: {case}");
    let due = DateTime::parse_from_rfc3339(case["recall_due"].as_str().unwrap()).unwrap();
    let days = (due.with_timezone(&Utc) - Utc::now()).num_hours();
    assert!((7 * 24 - 1..=7 * 24).contains(&days), "due in --recall-days (7): {case}");
    assert!(app.stored_package(&pid).await.is_empty(), "the recalled copy is deleted");
    assert_eq!(app.store.package_key(&pid).await.unwrap(), None, "and its key destroyed");
    let (status, gone) = authority.get(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
    assert_eq!(status, 410, "{gone}");
    assert_eq!(gone["error"]["code"], "recalled");
    assert!(gone["error"]["message"].as_str().unwrap().contains("remedy case 1"), "{gone}");

    // The recall reaches the authority (and the provider) through their endpoints.
    for (party, address) in
        [("fr-tj-paris", "clerk@tj-paris.test"), ("example-mail", "legal@example-mail.test")]
    {
        let (status, added) = app
            .admin()
            .post(&format!("/v1/admin/parties/{party}/endpoints"), &json!({"email": address}))
            .await;
        assert_eq!(status, 201, "{added}");
    }
    app.notifier.step(Utc::now()).await.unwrap();
    let (status, outbox) = app.admin().get("/v1/admin/notices").await;
    assert_eq!(status, 200, "{outbox}");
    let recalls: Vec<&str> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "remedy.opened")
        .filter_map(|n| n["party"].as_str())
        .collect();
    assert!(recalls.contains(&"fr-tj-paris") && recalls.contains(&"example-mail"), "{outbox}");

    // The authority attests the deletion as it attests a disposal: the recall is met, in
    // time, and its clock closes as met.
    let signed = deletion(&app, &id, &pid).await;
    let (status, body) = authority
        .post(&format!("/v1/requests/{id}/productions/{pid}/disposal"), &json!({"attestation": signed}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, case) = authority.get(&format!("/v1/requests/{id}/remedies/1")).await;
    assert_eq!(case["status"], "correction_due", "{case}");
    assert_eq!(case["recall_late"], false);
    assert!(case["recalled"][0]["deleted_at"].is_string(), "{case}");
    let clocks = app.store.clocks(RequestId::parse(&id).unwrap()).await.unwrap();
    let recall = clocks.iter().find(|c| c.kind == ClockKind::Recall).unwrap();
    assert_eq!(recall.closed.map(|(_, o)| o), Some(ClockOutcome::Met), "{recall:?}");

    // The corrected production, on the delivered request; then no more without a case.
    let (status, produced) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    let corrected = produced["id"].as_str().unwrap().to_owned();
    let (_, case) = provider.get(&format!("/v1/requests/{id}/remedies/1")).await;
    assert_eq!(case["status"], "closed", "{case}");
    assert_eq!(case["corrections"][0]["production"], corrected.as_str());
    let (status, refused) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("remedy case"), "{refused}");
    let (_, request) = provider.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(request["state"], "delivered", "a correction does not move the request: {request}");

    // The person affected is told, in French, through the provider's channel: the text
    // comes back to deliver, the log keeps only its commitment.
    let (status, told) = provider
        .post(
            &format!("/v1/requests/{id}/remedies/1/persons"),
            &json!({"language": "fr", "channel": "provider"}),
        )
        .await;
    assert_eq!(status, 201, "{told}");
    let text = told["notice"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Bonjour") && text.contains("par erreur") && text.contains("masquées"),
        "{text}"
    );
    assert!(text.contains("fr-tj-paris") && text.contains(&id), "who received it, and the request: {text}");
    let salt = told["notice"]["salt"].as_str().unwrap();
    let mut hash = Sha256::new();
    hash.update(format!("comity-remedy-notice/v1\n{salt}\n{text}").as_bytes());
    let computed: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(told["notice"]["commitment"], computed.as_str(), "the commitment is to the text given");
    assert_eq!(told["remedy"]["persons_told"][0]["commitment"], computed.as_str());
    let (status, again) = provider.get(&format!("/v1/requests/{id}/remedies/1/persons/1/notice")).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["text"], text, "written again word for word");
    // By e-mail without a mailer: refused, nothing recorded.
    let (status, body) = provider
        .post(
            &format!("/v1/requests/{id}/remedies/1/persons"),
            &json!({"language": "en", "channel": "email", "address": "bob@example.org"}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("provider"), "{body}");
    let (_, case) = provider.get(&format!("/v1/requests/{id}/remedies/1")).await;
    assert_eq!(case["persons_told"].as_array().unwrap().len(), 1, "{case}");

    // Counted for the transparency reports.
    let c = counts(&app, start).await;
    assert_eq!(c["opened"]["third_party_unmasked"], 1, "{c}");
    assert_eq!(c["opened"]["wrong_account"], 0, "{c}");
    assert_eq!((c["recalls_met"].as_u64(), c["recalls_met_late"].as_u64()), (Some(1), Some(0)), "{c}");
    assert_eq!((c["corrections"].as_u64(), c["persons_told"].as_u64()), (Some(1), Some(1)), "{c}");
    assert_eq!(c["recalls_outstanding"], 0, "{c}");

    // The log verifies, and tells the recalled production from the corrected one kept.
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (1, 1));
    comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {})
        .await
        .unwrap();
}

async fn a_recall_not_attested_in_time_is_escalated_and_counted(app: TestApp) {
    let start = Utc::now() - Duration::minutes(1);
    let (id, pid) = delivered(&app).await;
    let reviewer = app.token(REVIEWER);
    let open =
        json!({"ground": "decision_overturned", "description": "the approval was overturned on appeal"});
    let (status, case) = reviewer.post(&format!("/v1/requests/{id}/remedies"), &open).await;
    assert_eq!(status, 201, "the reviewer body assigned opens a case too: {case}");
    assert_eq!(case["by"], REVIEWER);
    assert_eq!(counts(&app, start).await["recalls_outstanding"], 1);

    // A second before the date, nothing; after it, escalated and counted until it comes.
    app.app.sweep(Utc::now() + Duration::days(7) - Duration::minutes(5)).await.unwrap();
    assert_eq!(overdue_recalls(&app).await, 0);
    let sweep = app.app.sweep(Utc::now() + Duration::days(7) + Duration::minutes(5)).await.unwrap();
    let escalated = sweep.acted.iter().find(|(d, _)| d.clock.kind == ClockKind::Recall).expect("acted on");
    assert_eq!(escalated.0.outcome, ClockOutcome::Overdue);
    assert_eq!(overdue_recalls(&app).await, 1);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(app.issue_token(OPERATOR).await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("comity_overdue{kind=\"recall\"} 1"), "{metrics}");

    // Late, the attestation ends the count and is counted as late.
    let signed = deletion(&app, &id, &pid).await;
    let (status, body) = app
        .token("fr-tj-paris")
        .post(&format!("/v1/requests/{id}/productions/{pid}/disposal"), &json!({"attestation": signed}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(overdue_recalls(&app).await, 0);
    let (_, case) = reviewer.get(&format!("/v1/requests/{id}/remedies/1")).await;
    assert_eq!(
        (case["status"].as_str(), case["recall_late"].as_bool()),
        (Some("closed"), Some(false)),
        "{case}"
    );
    let c = counts(&app, start).await;
    assert_eq!(c["opened"]["decision_overturned"], 1, "{c}");
    assert_eq!(c["recalls_outstanding"], 0, "{c}");
    assert_eq!(c["recalls_met"].as_u64().unwrap() + c["recalls_met_late"].as_u64().unwrap(), 1, "{c}");
}

async fn a_withdrawal_after_delivery_recalls_what_was_delivered(app: TestApp) {
    let (id, pid) = delivered(&app).await;
    let authority = app.token("fr-tj-paris");
    let (status, body) = authority
        .post(
            &format!("/v1/requests/{id}/transitions"),
            &json!({"to": "withdrawn", "reason": "the investigation was closed"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, cases) = authority.get(&format!("/v1/requests/{id}/remedies")).await;
    assert_eq!(status, 200, "{cases}");
    let case = &cases[0];
    assert_eq!(
        (case["ground"].as_str(), case["by"].as_str()),
        (Some("withdrawn"), Some("fr-tj-paris")),
        "{cases}"
    );
    assert_eq!(case["correction"], false);
    assert_eq!(case["recalled"][0]["production"], pid.as_str());
    assert_eq!(case["recalled"][0]["status"], "shredded", "{cases}");
    let (status, _) = authority.get(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
    assert_eq!(status, 410);
    // The recall clock runs on the withdrawn request, and the attestation meets it.
    let signed = deletion(&app, &id, &pid).await;
    let (status, body) = authority
        .post(&format!("/v1/requests/{id}/productions/{pid}/disposal"), &json!({"attestation": signed}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, case) = authority.get(&format!("/v1/requests/{id}/remedies/1")).await;
    assert_eq!(case["status"], "closed", "{case}");
    // A withdrawn request opens no further case: nothing is left to recall.
    let open = json!({"ground": "wrong_account", "description": "another account's records were included"});
    let (status, body) = app.provider_of(&id).await.post(&format!("/v1/requests/{id}/remedies"), &open).await;
    assert_eq!(status, 409, "{body}");
}

async fn a_case_is_refused_what_it_cannot_do_with_a_reason(app: TestApp) {
    // Before delivery, no case.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let provider = app.provider_of(&id).await;
    let open = json!({"ground": "out_of_scope", "description": "a month too many"});
    let (status, body) = provider.post(&format!("/v1/requests/{id}/remedies"), &open).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("already delivered"), "{body}");

    // With the nondisclosure of the example document, which runs to 2027-05-01.
    let (status, body) = app.move_to(&id, "approved").await;
    assert_eq!(status, 200, "{body}");
    let pid = app.deliver(&id, &export()).await;
    let path = format!("/v1/requests/{id}/remedies");
    for (body, field, says) in [
        (json!({"ground": "lost", "description": "x"}), "ground", "wrong_account"),
        (json!({"ground": "withdrawn", "description": "x"}), "ground", "withdraw the request"),
        (json!({"ground": "out_of_scope", "description": "  "}), "description", "without naming"),
        (
            json!({"ground": "out_of_scope", "description": "records of jane.doe@example.org were sent"}),
            "description",
            "personal data",
        ),
        (
            json!({"ground": "out_of_scope", "description": "x", "productions": ["prod-aaaaaaaaaaaaaaaa"]}),
            "productions",
            "no production",
        ),
    ] {
        let (status, answer) = provider.post(&path, &body).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        let detail = &answer["error"]["details"][0];
        assert_eq!(detail["path"], field, "{answer}");
        assert!(detail["message"].as_str().unwrap().contains(says), "{says}: {answer}");
    }
    // The request's own target named in the description: refused, the log would keep it.
    let doc = example("eu-epoc-traffic.json");
    let target = doc["targets"][0]["selector"]["value"].as_str().unwrap().to_uppercase();
    let (status, answer) = provider
        .post(&path, &json!({"ground": "out_of_scope", "description": format!("the data of {target}")}))
        .await;
    assert_eq!(status, 422, "{answer}");
    // The authority does not open a case on what it received: it withdraws.
    let open = json!({"ground": "out_of_scope", "description": "a month too many"});
    let (status, _) = app.token("fr-tj-paris").post(&path, &open).await;
    assert_eq!(status, 403);

    let (status, case) = provider.post(&path, &open).await;
    assert_eq!(status, 201, "{case}");
    // While the nondisclosure runs, the person is not told; the answer says until when.
    let (status, body) =
        provider.post(&format!("{path}/1/persons"), &json!({"language": "en", "channel": "provider"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2027-05-0"), "{body}");
    // Nothing left to recall: a second case on the same production is refused.
    let again = json!({"ground": "wrong_account", "description": "x", "productions": [pid]});
    let (status, body) = provider.post(&path, &again).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap_or_default().contains("nothing of it left")
            || body["error"]["details"][0]["message"].as_str().unwrap().contains("nothing of it left"),
        "{body}"
    );
    let (status, body) = provider.get(&format!("{path}/9")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = provider.get(&format!("{path}/zero")).await;
    assert_eq!(status, 400, "{body}");
}

async fn a_case_is_opened_and_a_person_told_from_the_pages(app: TestApp) {
    use crate::portal::{csrf_of, signed_in};
    let (id, pid) = delivered(&app).await;
    let page_of = |client: reqwest::Client| {
        let url = app.url(&format!("/requests/{id}"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    // The clerk has no form to open a case: it withdraws instead.
    let clerk = signed_in(&app, "fr-tj-paris", "clerk.remedy").await;
    assert!(!page_of(clerk.clone()).await.contains(&format!("action=\"/requests/{id}/remedies\"")));
    let legal = signed_in(&app, "example-mail", "legal.remedy").await;
    let page = page_of(legal.clone()).await;
    assert!(page.contains(&format!("action=\"/requests/{id}/remedies\"")), "legal may open a case: {page}");
    assert!(page.contains(&format!("value=\"{pid}\"")), "the production to recall is offered: {page}");
    let open = |fields: Vec<(&'static str, String)>, page: String| {
        let legal = legal.clone();
        let url = app.url(&format!("/requests/{id}/remedies"));
        async move {
            let mut form = vec![("csrf", csrf_of(&page))];
            form.extend(fields);
            legal.post(url).form(&form).send().await.unwrap()
        }
    };
    // No ground, then a description naming someone: each refused beside its field.
    let r = open(vec![("description", "too much was sent".to_owned())], page.clone()).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"ground-error\""));
    let r = open(
        vec![
            ("ground", "wrong_account".to_owned()),
            ("description", "the records of bob@example.org".to_owned()),
        ],
        page.clone(),
    )
    .await;
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(text.contains("id=\"description-error\"") && text.contains("personal data"), "{text}");
    let r = open(
        vec![
            ("ground", "wrong_account".to_owned()),
            ("productions", pid.clone()),
            ("correction", "true".to_owned()),
            ("description", "a second account's records were in the export".to_owned()),
        ],
        page,
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let page = page_of(legal.clone()).await;
    assert!(page.contains("Recall pending") && page.contains("a second account"), "{page}");
    // Legal tells the person through its own channel: no address, the text to deliver.
    let tell = app.url(&format!("/requests/{id}/remedies/1/persons"));
    let form = vec![("csrf", csrf_of(&page)), ("language", "en".to_owned())];
    let r = legal.post(&tell).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"remedy-1-channel-error\""));
    let form = vec![
        ("csrf", csrf_of(&page)),
        ("language", "en".to_owned()),
        ("channel", "provider".to_owned()),
        ("address", String::new()),
    ];
    let r = legal.post(&tell).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = page_of(legal.clone()).await;
    let link = format!("/v1/requests/{id}/remedies/1/persons/1/notice");
    assert!(page.contains(&link), "{page}");
    let text: Value = legal.get(app.url(&link)).send().await.unwrap().json().await.unwrap();
    assert!(text["text"].as_str().unwrap().contains("an account the request did not name"), "{text}");
    // The clerk reads the recall, and that the notice was given, not its text.
    let page = page_of(clerk).await;
    assert!(page.contains("Recalled by remedy case 1") && !page.contains(&link), "{page}");
}

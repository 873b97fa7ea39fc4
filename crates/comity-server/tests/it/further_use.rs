//! Purpose limitation and onward transfer (issue 15, item 2): the authority asks, the
//! reviewer body answers, comity signs the answer, and a use without consent is refused.

use serde_json::{Value, json};

use crate::support::{REVIEWER, TestApp, example};

crate::both_backends!(an_onward_transfer_needs_the_reviewers_consent, further_use_is_asked_of_delivered_data);

/// An approved request of fr-tj-paris, produced from the example export and delivered.
async fn delivered(app: &TestApp) -> String {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.assign(&id, REVIEWER).await;
    let reviewer = app.token(REVIEWER);
    let body =
        reviewer.reasoned(&id, json!({"to": "approved", "reason": "necessary and proportionate"})).await;
    let (status, moved) = reviewer.post(&format!("/v1/requests/{id}/transitions"), &body).await;
    assert_eq!(status, 200, "{moved}");
    let export =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/exports/example-mail.jsonl");
    app.deliver(&id, &std::fs::read(export).unwrap()).await;
    id
}

async fn an_onward_transfer_needs_the_reviewers_consent(app: TestApp) {
    let id = delivered(&app).await;
    let authority = app.token("fr-tj-paris");
    let reviewer = app.token(REVIEWER);
    let asks = format!("/v1/requests/{id}/further-use");

    // A transfer names its recipient; the error says which field.
    let (status, body) = authority
        .post(
            &asks,
            &json!({"kind": "transfer", "purpose": "a joint investigation", "reasons": "the same gang"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("recipient_country"), "{body}");
    let transfer = json!({
        "kind": "transfer", "purpose": "a joint investigation team on the same fraud",
        "recipient_country": "DE", "recipient_body": "Bundeskriminalamt",
        "reasons": "the accounts were used from Germany; the BKA investigates the same fraud",
    });
    let (status, asked) = authority.post(&asks, &transfer).await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!((asked["ask"].as_u64(), asked["answer"].is_null()), (Some(1), true), "{asked}");

    // Without an answer, the transfer may not be made: comity refuses to record it.
    let (status, body) =
        authority.post(&format!("{asks}/1/uses"), &json!({"note": "sent to the BKA, ref 7/26"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("not answered"), "{body}");

    // The provider holds the data; it never answers. A refusal has no conditions.
    let refusal = json!({"answer": "refused", "reasoning": "the BKA may ask through its own order"});
    let (status, _) = app.token("example-mail").post(&format!("{asks}/1/decision"), &refusal).await;
    assert_eq!(status, 403);
    let (status, body) = reviewer
        .post(
            &format!("{asks}/1/decision"),
            &json!({"answer": "refused", "conditions": "none", "reasoning": "no"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, answered) = reviewer.post(&format!("{asks}/1/decision"), &refusal).await;
    assert_eq!(status, 200, "{answered}");
    assert_eq!(answered["answer"]["answer"], "refused", "{answered}");
    let (status, body) = reviewer.post(&format!("{asks}/1/decision"), &refusal).await;
    assert_eq!(status, 409, "answered once: {body}");
    let (status, body) =
        authority.post(&format!("{asks}/1/uses"), &json!({"note": "sent to the BKA, ref 7/26"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("refused"), "{body}");

    // Another purpose, granted on conditions: the use is recorded, with its log entry.
    let purpose = json!({
        "kind": "purpose", "purpose": "the prosecution of a related money-laundering offence",
        "reasons": "the same accounts received the proceeds",
    });
    let (status, asked) = authority.post(&asks, &purpose).await;
    assert_eq!((status, asked["ask"].as_u64()), (201, Some(2)), "{asked}");
    let grant = json!({"answer": "granted", "conditions": "only the subscriber records", "reasoning": "the same facts"});
    let (status, answered) = reviewer.post(&format!("{asks}/2/decision"), &grant).await;
    assert_eq!(status, 200, "{answered}");
    let (status, used) =
        authority.post(&format!("{asks}/2/uses"), &json!({"note": "added to case 2026/118"})).await;
    assert_eq!(status, 201, "{used}");
    assert!(used["uses"][0]["log_index"].as_u64().is_some(), "the use is logged: {used}");

    // The answer, signed with the log's key, checks with the published verifier key only.
    let (status, _, note) = authority.get_bytes(&format!("{asks}/2/answer")).await;
    assert_eq!(status, 200);
    let vkey = app.log_key().verifier_key().to_owned();
    let text = comity_log::verify_statement(&note, &vkey).expect("the answer verifies");
    for line in [
        "comity further-use answer v1\n",
        &format!("request {id}\n"),
        "ask 2\n",
        "answer granted\n",
        "conditions only the subscriber records\n",
        &format!("by {REVIEWER}\n"),
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    let forged = String::from_utf8(note.clone()).unwrap().replace("answer granted", "answer refused");
    assert!(comity_log::verify_statement(forged.as_bytes(), &vkey).is_err(), "an edited answer fails");
    let (status, body) = authority.get(&format!("{asks}/3/answer")).await;
    assert_eq!(status, 404, "{body}");

    // The list, for the parties; nothing for another authority.
    let (status, list) = authority.get(&asks).await;
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["recipient_body"], "Bundeskriminalamt");
    assert_eq!(list[1]["uses"].as_array().map(Vec::len), Some(1));
    let (status, _) = app.token("de-sta-berlin").get(&asks).await;
    assert_eq!(status, 404);

    // Counted for the transparency reports, by kind and answer.
    let (status, counts) =
        app.admin().get("/v1/further-use/counts?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z").await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["purpose"], json!({"granted": 1, "refused": 0}), "{counts}");
    assert_eq!(counts["transfer"], json!({"granted": 0, "refused": 1}), "{counts}");
    let (status, counts) =
        app.admin().get("/v1/further-use/counts?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z").await;
    assert_eq!((status, &counts["purpose"]["granted"]), (200, &json!(0)), "{counts}");
    let (status, _) = app.admin().get("/v1/further-use/counts?from=2026-01-01T00:00:00Z").await;
    assert_eq!(status, 400, "a period has both ends");
}

async fn further_use_is_asked_of_delivered_data(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let ask = json!({"kind": "purpose", "purpose": "another case", "reasons": "the same accounts"});
    let (status, body): (u16, Value) =
        app.token("fr-tj-paris").post(&format!("/v1/requests/{id}/further-use"), &ask).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("delivered"), "{body}");
    let (status, body) = app
        .token("fr-tj-paris")
        .post(
            &format!("/v1/requests/{id}/further-use"),
            &json!({"kind": "reuse", "purpose": "x", "reasons": "y"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("purpose or transfer"), "{body}");
    let (status, _) = app.token("fr-tj-paris").get(&format!("/v1/requests/{id}/further-use/0/answer")).await;
    assert_eq!(status, 400, "an ask is numbered from 1");
}

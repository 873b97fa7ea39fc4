//! Purpose limitation and onward transfer (issue 15, item 2): the authority asks, the
//! reviewer body answers, comity signs the answer, and a use without consent is refused.

use serde_json::{Value, json};

use crate::portal::{csrf_of, signed_in};
use crate::support::{REVIEWER, TestApp, example, export};

crate::both_backends!(
    an_onward_transfer_needs_the_reviewers_consent,
    further_use_is_asked_of_delivered_data,
    further_use_is_asked_answered_and_recorded_from_the_pages,
);

/// An approved request of fr-tj-paris, produced from the example export and delivered.
async fn delivered(app: &TestApp) -> String {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.approve(&id).await;
    app.deliver(&id, &export()).await;
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

/// The same acts from the portal's forms: the clerk asks, the judge answers, the clerk
/// records the use and downloads the signed answer; a form's problem is named beside its
/// field, and nobody else is offered a form.
async fn further_use_is_asked_answered_and_recorded_from_the_pages(app: TestApp) {
    let id = delivered(&app).await;
    let page_of = |client: reqwest::Client| {
        let url = app.url(&format!("/requests/{id}"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let clerk = signed_in(&app, "fr-tj-paris", "clerk.further").await;
    let page = page_of(clerk.clone()).await;
    assert!(page.contains(&format!("action=\"/requests/{id}/further-use\"")), "the clerk may ask: {page}");
    let ask = |fields: Vec<(&'static str, &'static str)>, page: String| {
        let clerk = clerk.clone();
        let url = app.url(&format!("/requests/{id}/further-use"));
        async move {
            let mut form = vec![("csrf", csrf_of(&page))];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            clerk.post(url).form(&form).send().await.unwrap()
        }
    };
    let r = ask(
        vec![("kind", "transfer"), ("purpose", "a joint team"), ("reasons", "the same fraud")],
        page.clone(),
    )
    .await;
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(text.contains("id=\"recipient_country-error\"") && text.contains("error-summary"), "{text}");
    let r = ask(
        vec![
            ("kind", "purpose"),
            ("purpose", "a related money-laundering case"),
            ("reasons", "the same accounts"),
        ],
        page,
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());

    // The provider sees the ask, and no form; the judge has the form to answer it.
    let legal = signed_in(&app, "example-mail", "legal.further").await;
    let page = page_of(legal).await;
    assert!(page.contains("a related money-laundering case"), "{page}");
    assert!(!page.contains("/further-use/1/decision") && !page.contains("/further-use/uses"), "{page}");
    let judge = signed_in(&app, REVIEWER, "judge.further").await;
    let page = page_of(judge.clone()).await;
    assert!(page.contains(&format!("action=\"/requests/{id}/further-use/1/decision\"")), "{page}");
    let decide = app.url(&format!("/requests/{id}/further-use/1/decision"));
    let form =
        vec![("csrf", csrf_of(&page)), ("answer", String::new()), ("reasoning", "same facts".to_owned())];
    let r = judge.post(&decide).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"answer-error\""));
    let form = vec![
        ("csrf", csrf_of(&page)),
        ("answer", "granted".to_owned()),
        ("conditions", "subscriber records only".to_owned()),
        ("reasoning", "the same facts and accounts".to_owned()),
    ];
    let r = judge.post(&decide).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);

    // The clerk records the use under the grant, and takes the signed answer.
    let page = page_of(clerk.clone()).await;
    assert!(page.contains("subscriber records only"), "{page}");
    let answer = format!("/v1/requests/{id}/further-use/1/answer");
    assert!(page.contains(&answer), "{page}");
    let form = vec![
        ("csrf", csrf_of(&page)),
        ("ask", "1".to_owned()),
        ("note", "added to case 2026/118".to_owned()),
    ];
    let r =
        clerk.post(app.url(&format!("/requests/{id}/further-use/uses"))).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = page_of(clerk.clone()).await;
    assert!(page.contains("added to case 2026/118"), "{page}");
    let note = clerk.get(app.url(&answer)).send().await.unwrap().bytes().await.unwrap();
    let text =
        comity_log::verify_statement(&note, app.log_key().verifier_key()).expect("the answer verifies");
    assert!(text.contains("answer granted\n"), "{text}");
}

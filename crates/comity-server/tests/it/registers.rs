//! The register grows up (issue 16, items 6 and 7): a party's details changed with the
//! history kept and logged, a party deactivated and reactivated, a party or its emergency
//! route suspended until a date and lifted early, each refused submission saying why and
//! until when, and the errors of bad input.

use chrono::{Duration, TimeZone, Utc};
use comity_core::{PartyId, Privilege, Use};
use serde_json::{Value, json};

use fantoccini::{Client, Locator};

use crate::portal::{
    assert_accessible_answer_in_both, assert_accessible_in_both, browser, csrf_of, driver, first_sign_in,
    main_text, signed_in, submit,
};
use crate::support::{Backend, OPERATOR, REVIEWER, TestApp, example, spawn_app};

crate::both_backends!(
    a_party_is_updated_and_its_history_kept_and_logged,
    a_deactivated_authority_is_refused_and_its_requests_go_on,
    a_deactivated_provider_receives_nothing_and_a_suspended_reviewer_is_not_assigned,
    the_emergency_route_is_suspended_until_its_end_and_lifted_early,
    a_suspension_bars_from_its_decision_to_its_end_on_a_fixed_clock,
    bad_input_is_refused_naming_the_field_to_fix,
    contacts_are_changed_and_removed_with_their_history,
    an_operator_changes_and_suspends_a_party_from_its_page,
);

/// The emergency of de-sta-berlin, and the same sent as an ordinary request.
fn emergency() -> Value {
    example("eu-epoc-emergency-subscriber.json")
}

fn ordinary() -> Value {
    let mut doc = emergency();
    doc["emergency"] = json!(false);
    doc["purpose"] = json!("criminal_investigation");
    doc["issuing"]["reference"] = json!("StA-BER-276-Js-1120/26-ordinary");
    doc
}

async fn verify(app: &TestApp) {
    app.checkpoint_now().await;
    comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {})
        .await
        .unwrap();
}

async fn a_party_is_updated_and_its_history_kept_and_logged(app: TestApp) {
    let admin = app.admin();
    let path = "/v1/admin/parties/fr-tj-paris";
    let change = json!({
        "name": "Parquet du tribunal judiciaire de Paris",
        "authority_type": "court",
        "institution": "fr-tj",
        "reason": "registered with the wrong type and name",
    });
    let answer = admin.send("PATCH", path, Some(&change)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.headers.contains_key("comity-log-index"), "the change has its audit-log entry");
    assert_eq!(answer.body["name"], "Parquet du tribunal judiciaire de Paris");
    assert_eq!(
        (answer.body["authority_type"].as_str(), answer.body["institution"].as_str()),
        (Some("court"), Some("fr-tj"))
    );
    assert_eq!(answer.body["standing"]["active"], true);

    // A second change clears the institution; nothing is overwritten without trace.
    let again = json!({"institution": null, "reason": "the institution was a mistake"});
    assert_eq!(admin.send("PATCH", path, Some(&again)).await.status, 200);
    let (status, history) = app.token(REVIEWER).get(&format!("{path}/history")).await;
    assert_eq!(status, 200, "anyone signed in reads the register's history: {history}");
    assert_eq!(history["registered"]["name"], "Authority fr-tj-paris", "{history}");
    assert_eq!(history["registered"]["authority_type"], "prosecutor", "{history}");
    assert!(history["registered"]["institution"].is_null(), "{history}");
    assert_eq!(history["party"]["authority_type"], "court");
    let acts = history["history"].as_array().unwrap();
    assert_eq!(acts.len(), 2, "{history}");
    assert_eq!(acts[0]["kind"], "party.updated");
    assert_eq!(acts[0]["reason"], "registered with the wrong type and name");
    assert!(acts[0]["actor"].as_str().unwrap().ends_with(&format!("@{OPERATOR}")), "{history}");
    let fields: Vec<(&str, Option<&str>, Option<&str>)> = acts[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["field"].as_str().unwrap(), c["old"].as_str(), c["new"].as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("name", Some("Authority fr-tj-paris"), Some("Parquet du tribunal judiciaire de Paris")),
            ("authority_type", Some("prosecutor"), Some("court")),
            ("institution", None, Some("fr-tj")),
        ]
    );
    assert_eq!(acts[1]["changes"][0], json!({"field": "institution", "old": "fr-tj", "new": null}));
    assert!(acts.iter().all(|a| a["log_index"].is_u64()), "each change is in the audit log: {history}");

    // The change is in force: a document describing the authority as registered before is
    // refused, the register's own listing shows the new name.
    let (status, body) = app.post_jws(&app.sign(&example("eu-epoc-traffic.json"))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("authority_mismatch")), "{body}");
    let (_, listed) = admin.get("/v1/admin/authorities").await;
    let listed = listed.as_array().unwrap().iter().find(|a| a["id"] == "fr-tj-paris").cloned().unwrap();
    assert_eq!(listed["name"], "Parquet du tribunal judiciaire de Paris");

    // Nothing to change, another register's field, no reason: each says what to fix.
    let (status, body) = admin_patch(
        &app,
        path,
        json!({"name": "Parquet du tribunal judiciaire de Paris", "reason": "again"}),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("nothing_changed")), "{body}");
    let (status, body) = admin_patch(&app, path, json!({"kind": "court", "reason": "wrong field"})).await;
    assert_eq!((status, body["error"]["details"][0]["path"].as_str()), (422, Some("kind")), "{body}");
    let (status, body) = admin_patch(
        &app,
        "/v1/admin/parties/example-mail",
        json!({"authority_type": "court", "reason": "x"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["details"][0]["path"].as_str()),
        (422, Some("authority_type")),
        "{body}"
    );
    let (status, body) = admin_patch(&app, path, json!({"name": "New", "reason": "  "})).await;
    assert_eq!((status, body["error"]["details"][0]["path"].as_str()), (422, Some("reason")), "{body}");
    let (status, _) =
        admin_patch(&app, "/v1/admin/parties/nobody-here", json!({"name": "x", "reason": "y"})).await;
    assert_eq!(status, 404);
    // Only an operator's admin changes the register.
    let r = app
        .token("example-mail")
        .send("PATCH", path, Some(&json!({"name": "Mine", "reason": "why not"})))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // The log vouches for the row: it follows from the registration and the changes.
    verify(&app).await;
    // A row changed behind comity's back, without its fact, no longer does.
    app.execute_sql("UPDATE parties SET name = 'Forged' WHERE id = 'fr-tj-paris'").await;
    let found =
        comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {})
            .await
            .unwrap_err()
            .to_string();
    assert!(found.contains("fr-tj-paris"), "{found}");
}

async fn admin_patch(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let a = app.admin().send("PATCH", path, Some(&body)).await;
    (a.status, a.body)
}

async fn a_deactivated_authority_is_refused_and_its_requests_go_on(app: TestApp) {
    let admin = app.admin();
    let earlier = app.submit(&example("eu-epoc-traffic.json")).await;
    let (status, body) = admin
        .post(
            "/v1/admin/parties/fr-tj-paris/deactivate",
            &json!({"reason": "left the agreement on 1 December"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["standing"]["active"], false);
    assert_eq!(body["standing"]["deactivated"]["reason"], "left the agreement on 1 December");

    // Signed by its system, or sent by a person of it as the portal sends it: the same
    // refusal, saying what was decided, when and why.
    let (status, refused) = app.post_jws(&app.sign(&example("eu-epoc-traffic.json"))).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "party_deactivated");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("fr-tj-paris was deactivated on ") && message.contains("left the agreement"),
        "{message}"
    );
    assert_eq!(refused["error"]["details"][0]["path"], "issuing.authority");
    let (status, by_person) =
        app.person("fr-tj-paris").await.post("/v1/requests", &example("eu-epoc-traffic.json")).await;
    assert_eq!(
        (status, by_person["error"]["code"].as_str()),
        (403, Some("party_deactivated")),
        "{by_person}"
    );

    // What it is party to goes on: its request is read and moved as before.
    let provider = app.token("example-mail");
    assert_eq!(provider.get(&format!("/v1/requests/{earlier}")).await.0, 200);
    app.assign(&earlier, REVIEWER).await;
    assert_eq!(app.move_to(&earlier, "clarification_requested").await.0, 200);

    let (status, body) =
        admin.post("/v1/admin/parties/fr-tj-paris/deactivate", &json!({"reason": "again"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("already_deactivated")), "{body}");
    let (status, body) =
        admin.post("/v1/admin/parties/fr-tj-paris/reactivate", &json!({"reason": "rejoined"})).await;
    assert_eq!((status, &body["standing"]["active"]), (200, &json!(true)), "{body}");
    let (status, body) =
        admin.post("/v1/admin/parties/fr-tj-paris/reactivate", &json!({"reason": "again"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_deactivated")), "{body}");
    app.submit(&example("eu-epoc-traffic.json")).await;

    let (_, history) = admin.get("/v1/admin/parties/fr-tj-paris/history").await;
    let kinds: Vec<&str> =
        history["history"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["party.deactivated", "party.reactivated"], "{history}");
    verify(&app).await;
}

async fn a_deactivated_provider_receives_nothing_and_a_suspended_reviewer_is_not_assigned(app: TestApp) {
    let admin = app.admin();
    let (status, _) = admin
        .post("/v1/admin/parties/example-mail/deactivate", &json!({"reason": "closed its service"}))
        .await;
    assert_eq!(status, 200);
    let (status, refused) = app.post_jws(&app.sign(&example("eu-epoc-traffic.json"))).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("party_deactivated")), "{refused}");
    assert_eq!(refused["error"]["details"][0]["path"], "addressee.provider");
    assert!(refused["error"]["message"].as_str().unwrap().contains("receives no new request"), "{refused}");
    admin.post("/v1/admin/parties/example-mail/reactivate", &json!({"reason": "reopened"})).await;

    // The court the law routes the example to, suspended: routing leaves it out, and the
    // operator cannot assign it either.
    let until = (Utc::now() + Duration::days(30)).to_rfc3339();
    let suspension = json!({"until": until, "reason": "decisions left unreasoned for months"});
    let (status, body) = admin.post(&format!("/v1/admin/parties/{REVIEWER}/suspensions"), &suspension).await;
    assert_eq!(status, 201, "{body}");
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let (_, request) = app.token("example-mail").get(&format!("/v1/requests/{id}")).await;
    assert!(request["reviewers"].as_array().is_none_or(|r| r.is_empty()), "{request}");
    let (status, body) = admin
        .post(
            &format!("/v1/requests/{id}/reviewers"),
            &json!({"reviewer": REVIEWER, "reason": "the register's court"}),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("reviewer_unavailable")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("decisions left unreasoned"), "{body}");
    // Lifted, it is assigned again.
    admin
        .post(
            &format!("/v1/admin/parties/{REVIEWER}/suspensions/1/lift"),
            &json!({"reason": "reasons given"}),
        )
        .await;
    let (status, body) = admin
        .post(
            &format!("/v1/requests/{id}/reviewers"),
            &json!({"reviewer": REVIEWER, "reason": "the register's court"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn the_emergency_route_is_suspended_until_its_end_and_lifted_early(app: TestApp) {
    let admin = app.admin();
    let until = (Utc::now() + Duration::days(14)).with_timezone(&Utc);
    let body = json!({
        "privilege": "emergency",
        "until": until.to_rfc3339(),
        "reason": "three forged emergency requests from its mailbox were accepted",
    });
    let answer = admin.send("POST", "/v1/admin/parties/de-sta-berlin/suspensions", Some(&body)).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert!(answer.headers.contains_key("comity-log-index"));
    let suspension = answer.body;
    assert_eq!(
        (suspension["number"].as_u64(), suspension["privilege"].as_str()),
        (Some(1), Some("emergency"))
    );
    assert_eq!(suspension["in_force"], true);

    // An emergency is refused, saying why and until when; an ordinary request is not.
    let (status, refused) = app.post_jws(&app.sign(&emergency())).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("privilege_suspended")), "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("de-sta-berlin's emergency route is suspended until "), "{message}");
    assert!(message.contains(&until.format("%Y-%m-%dT%H:%M").to_string()), "{message}");
    assert!(message.contains("three forged emergency requests"), "{message}");
    let (status, by_person) = app.person("de-sta-berlin").await.post("/v1/requests", &emergency()).await;
    assert_eq!(
        (status, by_person["error"]["code"].as_str()),
        (403, Some("privilege_suspended")),
        "{by_person}"
    );
    app.submit(&ordinary()).await;

    // Reviewable: listed with its reasons, for every signed-in party.
    let (status, all) = app.token("example-mail").get("/v1/admin/suspensions").await;
    assert_eq!(status, 200);
    assert_eq!(all[0]["party"], "de-sta-berlin");
    assert_eq!(all[0]["decided"]["reason"], "three forged emergency requests from its mailbox were accepted");
    let (_, party) = admin.get("/v1/admin/parties/de-sta-berlin").await;
    assert_eq!(party["standing"]["active"], true, "only its emergency route is suspended: {party}");

    // Lifted early, with the reason: emergencies come in again.
    let lift = json!({"reason": "the mailbox was secured and the contacts re-verified"});
    let (status, lifted) = admin.post("/v1/admin/parties/de-sta-berlin/suspensions/1/lift", &lift).await;
    assert_eq!(status, 200, "{lifted}");
    assert_eq!(
        (lifted["in_force"].as_bool(), lifted["lifted"]["reason"].as_str()),
        (Some(false), lift["reason"].as_str())
    );
    let (status, body) = admin.post("/v1/admin/parties/de-sta-berlin/suspensions/1/lift", &lift).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("already_lifted")), "{body}");
    app.submit(&emergency()).await;

    let (_, suspensions) = admin.get("/v1/admin/parties/de-sta-berlin/suspensions").await;
    assert_eq!(suspensions.as_array().unwrap().len(), 1);
    verify(&app).await;
}

/// Time is a value: a suspension decided and read at fixed times bars from its decision to
/// its end, whatever the clock of the machine says.
async fn a_suspension_bars_from_its_decision_to_its_end_on_a_fixed_clock(app: TestApp) {
    let at = |day: u32, hour: u32| Utc.with_ymd_and_hms(2030, 3, day, hour, 0, 0).single().unwrap();
    let registers = app.operator().registers();
    let whole = comity_app::NewSuspension {
        privilege: None,
        until: at(15, 0),
        reason: "disposal of delivered data never attested".into(),
    };
    let (s, entry) = registers.suspend("nl-om-rotterdam", &whole, at(1, 9)).await.unwrap();
    assert_eq!((s.number, entry.at), (1, at(1, 9)));
    let emergency = comity_app::NewSuspension {
        privilege: Some(Privilege::Emergency),
        until: at(30, 0),
        ..whole.clone()
    };
    registers.suspend("nl-om-rotterdam", &emergency, at(2, 9)).await.unwrap();
    let party = PartyId::parse("nl-om-rotterdam").unwrap();
    let standing = app.app.standing(&party).await.unwrap();
    let code = |what: Use, t| standing.check(what, t).err().map(|b| b.code());
    let route = Use::Privilege(Privilege::Emergency);
    assert_eq!(code(Use::NewRequest, at(1, 8)), None, "before its decision");
    assert_eq!(code(Use::NewRequest, at(1, 9)), Some("party_suspended"));
    // Both bar an emergency then; the refusal names the one that ends last, which says
    // when emergencies come in again.
    assert_eq!(code(route, at(10, 0)), Some("privilege_suspended"));
    assert_eq!(code(Use::NewRequest, at(10, 0)), Some("party_suspended"));
    assert_eq!(code(Use::NewRequest, at(15, 0)), None, "it ends as its day begins");
    assert_eq!(code(route, at(15, 0)), Some("privilege_suspended"));
    assert_eq!(code(route, at(30, 0)), None);

    // Lifted at a fixed time, it ends then.
    registers.lift_suspension("nl-om-rotterdam", 2, "attested at last", at(20, 12)).await.unwrap();
    let standing = app.app.standing(&party).await.unwrap();
    assert!(standing.check(route, at(20, 11)).is_err());
    assert!(standing.check(route, at(20, 12)).is_ok());
    // A suspension whose end has passed cannot be lifted; one whose end is not after the
    // decision cannot be decided.
    let e = registers.lift_suspension("nl-om-rotterdam", 1, "late", at(16, 0)).await.unwrap_err();
    assert_eq!(e.code(), "suspension_ended", "{e}");
    let e = registers.suspend("nl-om-rotterdam", &whole, at(15, 0)).await.unwrap_err();
    assert_eq!(e.code(), "invalid_suspension", "{e}");
}

async fn bad_input_is_refused_naming_the_field_to_fix(app: TestApp) {
    let admin = app.admin();
    let future = (Utc::now() + Duration::days(7)).to_rfc3339();
    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    let suspend = |party: &str| format!("/v1/admin/parties/{party}/suspensions");
    let cases: [(&str, Value, u16, &str, &str); 6] = [
        (&suspend("nobody-here"), json!({"until": future, "reason": "r"}), 404, "not_found", ""),
        (
            &suspend("fr-tj-paris"),
            json!({"until": future, "reason": ""}),
            422,
            "invalid_suspension",
            "reason",
        ),
        (
            &suspend("fr-tj-paris"),
            json!({"until": past, "reason": "late"}),
            422,
            "invalid_suspension",
            "until",
        ),
        (
            &suspend("fr-tj-paris"),
            json!({"privilege": "fax", "until": future, "reason": "r"}),
            422,
            "invalid_document",
            "privilege",
        ),
        (
            &suspend("example-mail"),
            json!({"privilege": "emergency", "until": future, "reason": "r"}),
            422,
            "invalid_suspension",
            "privilege",
        ),
        (
            &suspend("fr-tj-paris"),
            json!({"until": "next week", "reason": "r"}),
            422,
            "invalid_document",
            "until",
        ),
    ];
    for (path, body, status, code, field) in cases {
        let (got, answer) = admin.post(path, &body).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{path} {body}: {answer}");
        if !field.is_empty() {
            assert_eq!(answer["error"]["details"][0]["path"], field, "{answer}");
        }
    }
    let (status, body) =
        admin.post("/v1/admin/parties/fr-tj-paris/suspensions/9/lift", &json!({"reason": "r"})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = admin.post("/v1/admin/parties/fr-tj-paris/deactivate", &json!({"reason": ""})).await;
    assert_eq!((status, body["error"]["details"][0]["path"].as_str()), (422, Some("reason")), "{body}");
    let (status, _) = admin.post("/v1/admin/parties/nobody-here/deactivate", &json!({"reason": "r"})).await;
    assert_eq!(status, 404);
    // Only an operator's admin suspends.
    let (status, _) = app
        .token("example-mail")
        .post(&suspend("fr-tj-paris"), &json!({"until": future, "reason": "r"}))
        .await;
    assert_eq!(status, 403);
    // Nothing was recorded by any of them.
    let (_, all) = admin.get("/v1/admin/suspensions").await;
    assert_eq!(all, json!([]));
}

async fn contacts_are_changed_and_removed_with_their_history(app: TestApp) {
    let admin = app.admin();
    let contacts = "/v1/admin/authorities/de-sta-berlin/contacts";
    let duty = json!({"id": "duty-officer", "name": "Duty officer", "email": "bereitschaft@sta.example.de"});
    assert_eq!(admin.post(contacts, &duty).await.0, 201);
    let change =
        json!({"email": null, "phone": "+49 30 0000 0000", "reason": "the desk answers by phone only"});
    let answer = admin.send("PATCH", &format!("{contacts}/duty-officer"), Some(&change)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        (answer.body["phone"].as_str(), answer.body["email"].is_null()),
        (Some("+49 30 0000 0000"), true)
    );
    let (_, listed) = admin.get(contacts).await;
    assert_eq!(listed[0]["phone"], "+49 30 0000 0000", "{listed}");
    // A contact keeps a channel.
    let none = json!({"phone": null, "reason": "no way to reach them"});
    let answer = admin.send("PATCH", &format!("{contacts}/duty-officer"), Some(&none)).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    let answer = admin.send("PATCH", &format!("{contacts}/nobody"), Some(&change)).await;
    assert_eq!(answer.status, 404);

    let answer = admin
        .send("POST", &format!("{contacts}/duty-officer/remove"), Some(&json!({"reason": "left the office"})))
        .await;
    assert_eq!(answer.status, 204);
    assert_eq!(admin.get(contacts).await.1, json!([]));
    // Its id is never given again.
    assert_eq!(admin.post(contacts, &duty).await.0, 409);

    let (_, history) = admin.get("/v1/admin/parties/de-sta-berlin/history").await;
    let kinds: Vec<&str> =
        history["history"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["contact.added", "contact.updated", "contact.removed"], "{history}");
    assert_eq!(
        history["history"][1]["changes"][0],
        json!({"field": "email", "old": "bereitschaft@sta.example.de", "new": null})
    );
    // Contacts are personal data: a reviewer reads the party's history without them.
    let (_, seen) = app.token(REVIEWER).get("/v1/admin/parties/de-sta-berlin/history").await;
    assert_eq!(seen["history"], json!([]), "{seen}");
    verify(&app).await;
}

/// A page's text and status.
async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = browser.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a form from the party's page (whose token it carries): status, `Location`, text.
async fn post_form(
    browser: &reqwest::Client,
    app: &TestApp,
    to: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, from) = page(browser, app, "/operator/party/de-sta-berlin").await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf_of(&from))];
    form.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let r = browser.post(app.url(to)).form(&form).send().await.unwrap();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status().as_u16(), location, r.text().await.unwrap())
}

async fn an_operator_changes_and_suspends_a_party_from_its_page(app: TestApp) {
    let admin = signed_in(&app, OPERATOR, "ops.register").await;
    let (status, parties) = page(&admin, &app, "/operator/parties").await;
    assert_eq!(status, 200);
    assert!(parties.contains("href=\"/operator/party/de-sta-berlin\""), "{parties}");
    let party = "/operator/party/de-sta-berlin";
    let (status, text) = page(&admin, &app, party).await;
    assert_eq!(status, 200);
    assert!(
        text.contains("Never suspended.") && text.contains("No change since its registration."),
        "{text}"
    );

    let update = "/operator/party/de-sta-berlin/update";
    let fields = [
        ("name", "Staatsanwaltschaft Berlin"),
        ("authority_type", "prosecutor"),
        ("institution", ""),
        ("reason", ""),
    ];
    let (status, _, text) = post_form(&admin, &app, update, &fields).await;
    assert_eq!(status, 422);
    assert!(text.contains("id=\"update-reason-error\"") && text.contains("error-summary"), "{text}");
    let fields = [
        ("name", "Staatsanwaltschaft Berlin"),
        ("authority_type", "prosecutor"),
        ("institution", ""),
        ("reason", "its own name"),
    ];
    let (status, location, _) = post_form(&admin, &app, update, &fields).await;
    assert_eq!((status, location.as_str()), (303, party));

    let suspend = "/operator/party/de-sta-berlin/suspend";
    let (status, _, text) = post_form(
        &admin,
        &app,
        suspend,
        &[("privilege", "emergency"), ("until", "2001-01-01"), ("reason", "forged emergencies")],
    )
    .await;
    assert_eq!(status, 422, "an end in the past");
    assert!(text.contains("id=\"suspend-until-error\""), "{text}");
    let until = (Utc::now() + Duration::days(10)).format("%Y-%m-%d").to_string();
    let (status, location, _) = post_form(
        &admin,
        &app,
        suspend,
        &[("privilege", "emergency"), ("until", &until), ("reason", "forged emergencies")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, party));
    let (status, refused) = app.post_jws(&app.sign(&emergency())).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("privilege_suspended")), "{refused}");

    let (_, text) = page(&admin, &app, party).await;
    assert!(text.contains("Staatsanwaltschaft Berlin") && text.contains("forged emergencies"), "{text}");
    assert!(text.contains("Details changed") && text.contains("its own name"), "the history: {text}");
    assert!(
        text.contains("In force") && text.contains("action=\"/operator/party/de-sta-berlin/lift\""),
        "{text}"
    );
    let (status, location, _) = post_form(
        &admin,
        &app,
        "/operator/party/de-sta-berlin/lift",
        &[("suspension", "1"), ("reason", "secured")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, party));
    let (status, location, _) = post_form(
        &admin,
        &app,
        "/operator/party/de-sta-berlin/deactivate",
        &[("reason", "left the agreement")],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, party));
    let (_, text) = page(&admin, &app, party).await;
    assert!(
        text.contains("Deactivated") && text.contains("action=\"/operator/party/de-sta-berlin/reactivate\""),
        "{text}"
    );
    let (_, french) = page(&admin, &app, &format!("{party}?lang=fr")).await;
    assert!(french.contains("Désactivé") && french.contains("Historique"), "{french}");

    // A clerk of the authority sees why the form refuses: the same words as the API's.
    let (status, refused) = app.person("de-sta-berlin").await.post("/v1/requests", &ordinary()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("party_deactivated")), "{refused}");

    // Anyone else: the page and its forms do not exist.
    let judge = signed_in(&app, REVIEWER, "judge.register").await;
    assert_eq!(page(&judge, &app, party).await.0, 404);
    let (_, home) = page(&judge, &app, "/").await;
    let r = judge
        .post(app.url("/operator/party/de-sta-berlin/reactivate"))
        .form(&[("csrf", csrf_of(&home).as_str()), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// The party's page in a real browser, with axe-core: as it is, with a refused form's
/// problems, and with a suspension and its history, in both languages.
#[tokio::test]
async fn an_operator_suspends_an_emergency_route_in_the_browser() {
    let Some(driver) = driver().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (password, _) = app.create_user(OPERATOR, "admin").await;
    app.admin()
        .post(
            "/v1/admin/authorities/de-sta-berlin/contacts",
            &json!({"id": "duty-officer", "name": "Duty officer", "phone": "+49 30 0"}),
        )
        .await;
    let downloads = tempfile::tempdir().unwrap();
    let admin = browser(&driver, "en", downloads.path()).await;
    first_sign_in(&admin, &app, "admin", &password).await;
    let party = app.url("/operator/party/de-sta-berlin");
    admin.goto(&party).await.unwrap();
    assert_accessible_in_both(&admin, "a party's page").await;

    let button = "form[action='/operator/party/de-sta-berlin/suspend'] button[type=submit]";
    submit(&admin, admin.find(Locator::Css(button)).await.unwrap()).await;
    admin.find(Locator::Css(".error-summary")).await.unwrap();
    assert_accessible_answer_in_both(
        &admin,
        "a party's page with the suspension's problems",
        async |admin: &Client| {
            admin.goto(&party).await.unwrap();
            submit(admin, admin.find(Locator::Css(button)).await.unwrap()).await;
            admin.find(Locator::Css(".error-summary")).await.unwrap();
        },
    )
    .await;

    admin.goto(&party).await.unwrap();
    let until = (Utc::now() + Duration::days(10)).format("%Y-%m-%d").to_string();
    // A date input takes the keys of the browser's own format; set its value instead.
    admin
        .execute("document.getElementById('suspend-until').value = arguments[0];", vec![json!(until)])
        .await
        .unwrap();
    admin
        .find(Locator::Css("#suspend-privilege option[value='emergency']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    admin
        .find(Locator::Id("suspend-reason"))
        .await
        .unwrap()
        .send_keys("forged emergencies accepted")
        .await
        .unwrap();
    submit(&admin, admin.find(Locator::Css(button)).await.unwrap()).await;
    let text = main_text(&admin).await;
    assert!(text.contains("In force") && text.contains("forged emergencies accepted"), "{text}");
    assert_accessible_in_both(&admin, "a party's page with a suspension in force").await;
    admin.close().await.unwrap();
    let (status, refused) = app.post_jws(&app.sign(&emergency())).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("privilege_suspended")), "{refused}");
}

//! The person concerned appeals through a representative registered for the request
//! (issue 13, item 6): a lawyer or a data protection authority, registered by the
//! operator for one request, sees that request's decisions (never its targets) and
//! appeals; the appeal goes to a second body, and nothing is produced until it decides.
//! For any other request the representative gets 404, as for one that does not exist.

use comity_core::{Fact, FactKind, JournalQuery, RequestId, State};
use serde_json::json;

use crate::support::export;
use crate::support::{REVIEWER, TestApp, example};

crate::both_backends!(
    a_representative_sees_only_its_requests_decision_and_appeals_to_a_second_body,
    only_an_operator_registers_a_representative_and_the_log_names_nobody,
);

const LAWYER: &str = "ie-solicitor-obrien";
const OTHER: &str = "ie-dpc-complaints";
const LOG_INDEX: &str = comity_server::receipt::LOG_INDEX_HEADER;
const PERSON: &str = "invest.desk@example.org";

async fn register_parties(app: &TestApp) {
    for (id, name) in [(LAWYER, "O'Brien Solicitors"), (OTHER, "Data Protection Commission (complaints)")] {
        let body = json!({"id": id, "country": "IE", "name": name});
        let (status, body) = app.admin().post("/v1/admin/representatives", &body).await;
        assert_eq!(status, 201, "{body}");
    }
    let (_, listed) = app.admin().get("/v1/admin/representatives").await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
}

/// A second court of Ireland, registered after the requests were routed, to hear appeals.
async fn register_second_court(app: &TestApp) {
    let second =
        json!({"id": "ie-court-of-appeal", "country": "IE", "kind": "court", "name": "Court of Appeal"});
    assert_eq!(app.admin().post("/v1/admin/reviewers", &second).await.0, 201);
}

async fn register(app: &TestApp, id: &str, representative: &str) -> (u16, serde_json::Value) {
    let body = json!({
        "representative": representative,
        "represents": PERSON,
        "mandate": "power of attorney signed 2 May 2026",
    });
    app.admin().post(&format!("/v1/requests/{id}/representatives"), &body).await
}

async fn a_representative_sees_only_its_requests_decision_and_appeals_to_a_second_body(app: TestApp) {
    register_parties(&app).await;
    let a = app.submit(&example("eu-epoc-traffic.json")).await;
    let b = app.submit(&example("eu-epoc-traffic.json")).await;
    register_second_court(&app).await;
    for id in [&a, &b] {
        assert_eq!(app.move_to(id, "approved").await.0, 200);
    }
    let (status, body) = register(&app, &a, LAWYER).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["representatives"], json!([LAWYER]));
    assert_eq!(register(&app, &b, OTHER).await.0, 201);
    app.issue_token(LAWYER).await;
    let lawyer = app.token(LAWYER);

    // What the representative sees of its request: where it stands and the decision with
    // its grounds and reasoning, none of the targets; the read is logged.
    let answer = lawyer.send("GET", &format!("/v1/requests/{a}/decision"), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let seen = answer.body;
    assert_eq!(seen["state"], "approved");
    assert_eq!(seen["decisions"][0]["outcome"], "approved", "{seen}");
    assert_eq!(seen["decisions"][0]["by"], REVIEWER);
    assert!(!seen["decisions"][0]["grounds"].as_array().unwrap().is_empty(), "{seen}");
    assert!(!seen.to_string().contains(PERSON), "the representative sees a target: {seen}");
    assert!(answer.headers.contains_key(LOG_INDEX), "the read is logged: {:?}", answer.headers);
    // It never reads the request itself, its events or screenings.
    for path in ["", "/events", "/screenings", "/documents"] {
        assert_eq!(lawyer.get(&format!("/v1/requests/{a}{path}")).await.0, 404, "{path}");
    }
    // Another request, one it is not registered for, is as if it did not exist.
    let nowhere = "01950000-0000-7000-8000-000000000000";
    for id in [b.as_str(), nowhere] {
        let (status, body) = lawyer.get(&format!("/v1/requests/{id}/decision")).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["message"], format!("no request with id {id}"));
        let appeal = json!({"to": "appealed", "reason": "not this one"});
        let (status, body) = lawyer.post(&format!("/v1/requests/{id}/transitions"), &appeal).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["message"], format!("no request with id {id}"));
    }
    app.issue_token(OTHER).await;
    assert_eq!(app.token(OTHER).get(&format!("/v1/requests/{a}/decision")).await.0, 404);
    // It lists nothing: it is told the requests it is registered for.
    assert_eq!(lawyer.get("/v1/requests").await.0, 403);

    // It appeals with grounds; a second body of the kind that decided hears it.
    let appeal =
        json!({"to": "appealed", "reason": "our client is a journalist; Art 12(1)(a) was not weighed"});
    let (status, body) = lawyer.post(&format!("/v1/requests/{a}/transitions"), &appeal).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["request"]["state"], "appealed");
    assert!(body["event"]["actor"].as_str().unwrap().ends_with(&format!("@{LAWYER}")), "{body}");
    let provider = app.provider_of(&a).await;
    let (_, routed) = provider.get(&format!("/v1/requests/{a}/reviewers")).await;
    assert_eq!(routed["reviewers"], json!([REVIEWER, "ie-court-of-appeal"]));
    // It does nothing else: deciding its own appeal, say, is refused.
    let decide = json!({"to": "rejected", "reason": "we win", "grounds": ["sensitive_or_protected"]});
    assert_eq!(lawyer.post(&format!("/v1/requests/{a}/transitions"), &decide).await.0, 403);

    // Provisional protection: nothing is produced while the appeal runs.
    let rid = RequestId::parse(&a).unwrap();
    app.prepare_production(&a).await;
    let (status, body) = app.produce(&a, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(app.store.request(rid).await.unwrap().unwrap().state, State::Appealed);

    // The second body decides, like any decision; the representative sees it.
    let token = app.issue_token("ie-court-of-appeal").await;
    let r = app
        .client
        .post(app.url(&format!("/v1/requests/{a}/transitions")))
        .bearer_auth(token)
        .json(&json!({"to": "rejected", "reason": "the target is a journalist", "grounds": ["sensitive_or_protected"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let (_, seen) = lawyer.get(&format!("/v1/requests/{a}/decision")).await;
    assert_eq!(seen["state"], "rejected");
    assert_eq!(seen["decisions"].as_array().unwrap().len(), 2, "{seen}");
    assert_eq!(seen["decisions"][1]["by"], "ie-court-of-appeal");
    assert_eq!(seen["decisions"][1]["reasoning"], "the target is a journalist");
    assert_eq!(seen["appeals"][0]["grounds"], appeal["reason"]);
    assert!(seen["appeals"][0]["by"].as_str().unwrap().ends_with(&format!("@{LAWYER}")), "{seen}");
}

async fn only_an_operator_registers_a_representative_and_the_log_names_nobody(app: TestApp) {
    register_parties(&app).await;
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    // Not the provider (the other side of the person's appeal), not the authority.
    for org in ["example-mail", "fr-tj-paris"] {
        let body = json!({"representative": LAWYER, "represents": PERSON, "mandate": "we say so"});
        let (status, body) = app.token(org).post(&format!("/v1/requests/{id}/representatives"), &body).await;
        assert_eq!(status, 403, "{org}: {body}");
    }
    // Only a party of the representatives' register, once per request, with a mandate.
    let (status, body) = register(&app, &id, REVIEWER).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(register(&app, &id, LAWYER).await.0, 201);
    assert_eq!(register(&app, &id, LAWYER).await.0, 409);
    let nowhere = "01950000-0000-7000-8000-000000000000";
    assert_eq!(register(&app, nowhere, LAWYER).await.0, 404);
    let (_, listed) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}/representatives")).await;
    assert_eq!(listed["representatives"], json!([LAWYER]));

    // The fact names the representative and commits to the person; it never names them.
    let rid = RequestId::parse(&id).unwrap();
    let facts = app
        .store
        .journal(&JournalQuery::kinds(&[FactKind::RepresentativeRegistered]).request(rid))
        .await
        .unwrap();
    assert_eq!(facts.len(), 1);
    assert!(facts[0].log_index.is_some());
    assert!(!facts[0].content.contains(PERSON), "{}", facts[0].content);
    let salt = app.store.request(rid).await.unwrap().unwrap().log_salt;
    match &facts[0].fact {
        Fact::RepresentativeRegistered(r) => {
            assert_eq!(r.representative.as_str(), LAWYER);
            assert_eq!(r.represents, comity_app::commitment(&salt, PERSON));
        }
        other => panic!("{other:?}"),
    }
}

//! A decision says what may leave (issue 6: "a decision may narrow the request"): an
//! approval records its scope with its event, a partial approval must state it, and no
//! decision may widen what was asked.

use comity_core::{FactKind, JournalQuery};
use serde_json::{Value, json};

use crate::support::{REVIEWER, TestApp, example};

crate::both_backends!(a_decision_records_what_may_leave_and_never_widens_the_request);

async fn a_decision_records_what_may_leave_and_never_widens_the_request(app: TestApp) {
    // Subscriber and traffic data of one target, May and June 2026.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.assign(&id, REVIEWER).await;
    let reviewer = app.token(REVIEWER);
    // Each decision reasoned as a reviewer writes it (grounds, answers), so that only its
    // scope is at fault.
    let decide = |body: Value| {
        let reviewer = reviewer.clone();
        let path = format!("/v1/requests/{id}/transitions");
        let id = id.clone();
        async move {
            let body = reviewer.reasoned(&id, body).await;
            reviewer.post(&path, &body).await
        }
    };
    for (body, says) in [
        (json!({"to": "partially_approved", "reason": "r"}), "says what it keeps"),
        (
            json!({"to": "approved", "reason": "r", "scope": {"categories": ["subscriber"]}}),
            "partially_approved",
        ),
        (
            json!({"to": "partially_approved", "reason": "r", "scope": {"categories": ["subscriber", "traffic"]}}),
            "move to approved",
        ),
        (
            json!({"to": "partially_approved", "reason": "r", "scope": {"categories": ["content"]}}),
            "not a category the request asks",
        ),
        (
            json!({"to": "partially_approved", "reason": "r", "scope": {"targets": ["other@example.org"]}}),
            "not a target",
        ),
        (
            json!({"to": "partially_approved", "reason": "r", "scope": {"to": "2026-08-01T00:00:00Z"}}),
            "within the request",
        ),
        (json!({"to": "clarification_requested", "reason": "r", "scope": {}}), "only an approval"),
    ] {
        let (status, answer) = decide(body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["details"][0]["path"], "scope", "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(says), "{body}: {answer}");
    }
    // A partial approval: the subscriber data of May only, for the target in any spelling.
    let partial = json!({"to": "partially_approved", "reason": "traffic data not shown necessary", "scope": {
        "targets": ["INVEST.DESK@example.org"], "to": "2026-06-01T00:00:00Z", "categories": ["subscriber"]}});
    let (status, moved) = decide(partial).await;
    assert_eq!(status, 200, "{moved}");
    let facts = app.store.journal(&JournalQuery::kinds(&[FactKind::DecisionScope])).await.unwrap();
    assert_eq!(facts.len(), 1, "the scope commits with the decision, and only then");
    let scope: Value = serde_json::from_str(&facts[0].content).unwrap();
    assert_eq!(scope["decision"], moved["event"]["seq"]);
    assert_eq!(scope["targets"], json!([{"type": "email", "value": "invest.desk@example.org"}]));
    assert_eq!(
        (scope["from"].as_str(), scope["to"].as_str()),
        (Some("2026-05-01T00:00:00Z"), Some("2026-06-01T00:00:00Z"))
    );
    assert_eq!(scope["categories"], json!(["subscriber"]));
    assert_eq!(facts[0].actor.as_str(), moved["event"]["actor"].as_str().unwrap());
    assert!(facts[0].log_index.unwrap() > moved["event"]["log_index"].as_u64().unwrap());
}

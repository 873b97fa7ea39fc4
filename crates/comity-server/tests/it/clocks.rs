//! Clocks that act, and review routed by law (issue 13), on both databases with a fixed
//! clock: each scenario passes the time it wants to `App::sweep` and `App::deadlines`
//! (as `comity deadlines --at` does) instead of waiting for it.

use chrono::{DateTime, Duration, Utc};
use comity_core::{ClockKind, ClockOutcome, Fact, FactKind, JournalQuery, RequestId, State};
use serde_json::json;

use crate::support::{REVIEWER, TestApp, example};

crate::both_backends!(
    an_emergency_not_validated_within_48_hours_is_withdrawn_once,
    a_preservation_lapses_at_its_end,
    the_objection_window_ends_and_a_missed_answer_stays_overdue,
    two_sweeps_at_once_act_on_each_deadline_exactly_once,
    the_provider_never_chooses_its_reviewer_and_the_wrong_kind_never_decides
);

async fn received(app: &TestApp, id: &str) -> (RequestId, DateTime<Utc>) {
    let id = RequestId::parse(id).unwrap();
    (id, app.store.request(id).await.unwrap().unwrap().received_at)
}

async fn state(app: &TestApp, id: RequestId) -> State {
    app.store.request(id).await.unwrap().unwrap().state
}

/// The `clock.expired` facts of a request, as (clock, outcome).
async fn expired(app: &TestApp, id: RequestId) -> Vec<(ClockKind, ClockOutcome)> {
    let facts = app.store.journal(&JournalQuery::kinds(&[FactKind::ClockExpired]).request(id)).await.unwrap();
    facts
        .into_iter()
        .filter_map(|j| match j.fact {
            Fact::ClockExpired(c) => Some((c.clock, c.outcome)),
            _ => None,
        })
        .collect()
}

async fn an_emergency_not_validated_within_48_hours_is_withdrawn_once(app: TestApp) {
    // Issued by the police without a prosecutor's or judge's validation: Art 4(5) allows it
    // for subscriber data in an emergency, if it is validated within 48 hours.
    let mut doc = example("eu-epoc-emergency-subscriber.json");
    doc["issuing"]["authority"] = "de-lka-berlin".into();
    doc["issuing"]["authority_type"] = "police".into();
    let id = app.submit(&doc).await;
    let (rid, t0) = received(&app, &id).await;
    let (status, clocks) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}/clocks")).await;
    assert_eq!(status, 200, "{clocks}");
    let validation = clocks.as_array().unwrap().iter().find(|c| c["kind"] == "validation").unwrap();
    let due: DateTime<Utc> = serde_json::from_value(validation["due"].clone()).unwrap();
    assert_eq!(due, t0 + Duration::hours(48));

    // At 47 hours the validation is not due yet; the 8-hour answer is.
    let early = app.app.deadlines(t0 + Duration::hours(47)).await.unwrap();
    assert!(early.iter().all(|d| d.clock.kind != ClockKind::Validation), "{early:?}");
    assert!(early.iter().any(|d| d.clock.kind == ClockKind::RespondBy && d.outcome == ClockOutcome::Overdue));

    // At 48 hours and a minute it is, and says what it will do.
    let at = t0 + Duration::hours(48) + Duration::minutes(1);
    let due = app.app.deadlines(at).await.unwrap();
    let v = due.iter().find(|d| d.clock.kind == ClockKind::Validation).unwrap();
    assert_eq!((v.outcome, v.to), (ClockOutcome::Withdrawn, Some(State::Withdrawn)));
    assert!(v.reason.contains("Art 4(5)"), "{}", v.reason);

    let sweep = app.app.sweep(at).await.unwrap();
    assert_eq!(sweep.acted.len(), 2, "{sweep:?}");
    assert_eq!(state(&app, rid).await, State::Withdrawn);
    // Run again, later: nothing is done twice.
    let again = app.app.sweep(at + Duration::hours(1)).await.unwrap();
    assert!(again.acted.is_empty(), "{again:?}");
    assert_eq!(
        expired(&app, rid).await,
        vec![(ClockKind::RespondBy, ClockOutcome::Overdue), (ClockKind::Validation, ClockOutcome::Withdrawn)]
    );
    // The withdrawal is an event by comity, citing the law, and both acts are in the
    // request's audit-log entries.
    let (_, events) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "withdrawn");
    assert_eq!(last["actor"], "comity");
    let log = app.store.request_log(rid).await.unwrap();
    let kinds: Vec<String> = log.iter().map(|r| String::from_utf8_lossy(&r.entry).into_owned()).collect();
    assert_eq!(kinds.iter().filter(|e| e.contains("clock.expired")).count(), 2, "{kinds:?}");
    // Answered now (withdrawn): no longer overdue.
    assert!(app.app.overdue_by_kind().await.unwrap().iter().all(|(_, n)| *n == 0));
}

async fn a_preservation_lapses_at_its_end(app: TestApp) {
    let id = app.submit(&example("eu-epoc-pr-preservation.json")).await;
    let (rid, t0) = received(&app, &id).await;
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    assert_eq!(app.move_to(&id, "preserved").await.0, 200);
    // Art 11(1): 60 days.
    assert!(app.app.sweep(t0 + Duration::days(59)).await.unwrap().acted.is_empty());
    assert_eq!(state(&app, rid).await, State::Preserved);
    let sweep = app.app.sweep(t0 + Duration::days(60) + Duration::seconds(1)).await.unwrap();
    assert_eq!(sweep.acted.len(), 1, "{sweep:?}");
    assert_eq!(state(&app, rid).await, State::Closed);
    assert_eq!(expired(&app, rid).await, vec![(ClockKind::PreservationEnd, ClockOutcome::Lapsed)]);
}

async fn the_objection_window_ends_and_a_missed_answer_stays_overdue(app: TestApp) {
    // Traffic data from France to a provider in Ireland, for an offence committed in France
    // by a resident there: no notification (Art 8(2)); the answer is due in 10 days.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let (rid, t0) = received(&app, &id).await;
    let at = t0 + Duration::days(10) + Duration::seconds(1);
    let sweep = app.app.sweep(at).await.unwrap();
    let outcomes: Vec<_> = sweep.acted.iter().map(|(d, _)| (d.clock.kind, d.outcome)).collect();
    assert_eq!(outcomes, vec![(ClockKind::RespondBy, ClockOutcome::Overdue)]);
    assert_eq!(state(&app, rid).await, State::UnderReview, "an overdue answer does not move the request");
    // Overdue, and counted, until it is answered.
    let overdue = app.app.overdue_by_kind().await.unwrap();
    assert!(overdue.contains(&(ClockKind::RespondBy, 1)), "{overdue:?}");
    let listed = app.app.deadlines(at + Duration::days(1)).await.unwrap();
    assert!(listed.iter().any(|d| d.clock.request_id == rid && d.outcome == ClockOutcome::Overdue));
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(app.issue_token(crate::support::OPERATOR).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let metrics = r.text().await.unwrap();
    assert!(metrics.contains("comity_overdue{kind=\"respond_by\"} 1"), "{metrics}");
    assert_eq!(app.move_to(&id, "rejected").await.0, 200);
    assert!(app.app.overdue_by_kind().await.unwrap().iter().all(|(_, n)| *n == 0));
}

async fn two_sweeps_at_once_act_on_each_deadline_exactly_once(app: TestApp) {
    let mut ids = Vec::new();
    for n in 0..12 {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["reference"] = format!("REF-SWEEP-{n}").into();
        ids.push(received(&app, &app.submit(&doc).await).await);
    }
    let at = ids.iter().map(|(_, t)| *t).max().unwrap() + Duration::days(11);
    let (a, b) = tokio::join!(app.app.sweep(at), app.app.sweep(at));
    let (a, b) = (a.unwrap(), b.unwrap());
    // Each request's answer is overdue: 12 acts in all, split between the two sweeps, none
    // done twice.
    assert_eq!(a.acted.len() + b.acted.len(), 12, "{} + {}", a.acted.len(), b.acted.len());
    for (id, _) in &ids {
        assert_eq!(expired(&app, *id).await, vec![(ClockKind::RespondBy, ClockOutcome::Overdue)]);
    }
}

async fn the_provider_never_chooses_its_reviewer_and_the_wrong_kind_never_decides(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let provider = app.provider_of(&id).await;
    // Routing by law assigned the court of Ireland, where the provider is established.
    let (_, routed) = provider.get(&format!("/v1/requests/{id}/reviewers")).await;
    assert_eq!(routed["reviewers"], json!([REVIEWER]));
    let (_, events) = provider.get(&format!("/v1/requests/{id}/events")).await;
    let into_review = events.as_array().unwrap().last().unwrap()["reason"].as_str().unwrap().to_owned();
    assert!(into_review.contains("routed by law to ie-high-court, the court of IE"), "{into_review}");

    // The provider cannot pick another.
    let pick = json!({"reviewer": "nl-rechtbank", "reason": "we prefer this one"});
    let (status, body) = provider.post(&format!("/v1/requests/{id}/reviewers"), &pick).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("never chooses its reviewer"), "{body}");
    // It objects, and the objection is logged; the operator decides, and may assign only a
    // competent body.
    let objection = json!({"reviewer": REVIEWER, "grounds": "a judge of this court advised our company"});
    let (status, body) = provider.post(&format!("/v1/requests/{id}/reviewers/objections"), &objection).await;
    assert_eq!(status, 201, "{body}");
    let wrong = json!({"reviewer": "nl-rechtbank", "reason": "objection upheld", "replaces": REVIEWER});
    let (status, body) = app.admin().post(&format!("/v1/requests/{id}/reviewers"), &wrong).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("a court of IE"), "{body}");

    // The objection upheld, the operator puts another court of Ireland in its place.
    let circuit =
        json!({"id": "ie-circuit-court", "country": "IE", "kind": "court", "name": "The Circuit Court"});
    assert_eq!(app.admin().post("/v1/admin/reviewers", &circuit).await.0, 201);
    let upheld = json!({"reviewer": "ie-circuit-court", "reason": "objection upheld", "replaces": REVIEWER});
    let (status, body) = app.admin().post(&format!("/v1/requests/{id}/reviewers"), &upheld).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["reviewers"], json!(["ie-circuit-court"]));
    // The court taken off no longer sees the request, nor decides on it.
    let approve = app
        .token(REVIEWER)
        .reasoned(&id, json!({"to": "approved", "reason": "necessary and proportionate"}))
        .await;
    let (status, _) = app.token(REVIEWER).post(&format!("/v1/requests/{id}/transitions"), &approve).await;
    assert_eq!(status, 404);
    assert_eq!(app.token(REVIEWER).get("/v1/requests").await.1["total"], 0);
    let reviewer = app.issue_token("ie-circuit-court").await;
    let r = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/transitions")))
        .bearer_auth(reviewer)
        .json(&approve)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Every act of it is in the request's log: the assignment, the objection, the change.
    let log = app.store.request_log(RequestId::parse(&id).unwrap()).await.unwrap();
    let facts: Vec<String> = log
        .iter()
        .map(|r| String::from_utf8_lossy(&r.entry).lines().nth(1).unwrap_or_default().to_owned())
        .filter(|kind| kind.contains("reviewer."))
        .collect();
    assert_eq!(
        facts,
        [
            "kind: reviewer.assigned",
            "kind: reviewer.objected",
            "kind: reviewer.unassigned",
            "kind: reviewer.assigned"
        ]
    );
}

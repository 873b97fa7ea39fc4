//! Clocks that act, and review routed by law (issue 13), on both databases with a fixed
//! clock: each scenario passes the time it wants to `App::sweep` and `App::deadlines`
//! (as `comity deadlines --at` does) instead of waiting for it.

use chrono::{DateTime, Duration, Utc};
use comity_core::{ClockKind, ClockOutcome, Fact, FactKind, JournalQuery, RequestId, State};
use serde_json::json;

use crate::support::{REVIEWER, TestApp, example, export};

crate::both_backends!(
    an_emergency_not_validated_within_48_hours_is_withdrawn_once,
    a_preservation_lapses_at_its_end,
    the_objection_window_ends_and_a_missed_answer_stays_overdue,
    two_sweeps_at_once_act_on_each_deadline_exactly_once,
    the_enforcing_state_suspends_production_and_its_grounds_stop_it,
    silence_of_the_enforcing_state_lets_the_request_proceed,
    a_preservation_extended_in_time_lasts_30_days_more,
    an_appeal_blocks_production_until_a_second_body_decides,
    a_decision_is_reasoned_in_the_packs_grounds,
    a_clarification_is_answered_with_an_amended_signed_document_and_screened_again,
    a_clarification_asks_structured_questions_and_keeps_the_difference_as_a_json_patch,
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

/// Traffic data from France for an offence not committed there: Ireland, where the
/// provider is, is notified (Regulation (EU) 2023/1543 Art 8(1)).
fn notified() -> serde_json::Value {
    let mut doc = example("eu-epoc-traffic.json");
    doc["offence"]["committed_in_issuing_state"] = false.into();
    doc
}

async fn the_enforcing_state_suspends_production_and_its_grounds_stop_it(app: TestApp) {
    let id = app.submit(&notified()).await;
    let provider = app.provider_of(&id).await;
    let (_, routed) = provider.get(&format!("/v1/requests/{id}/reviewers")).await;
    assert_eq!(
        routed["reviewers"],
        json!([REVIEWER, "ie-enforcing"]),
        "the court and the enforcing authority"
    );
    // The enforcing authority raises grounds; it does not decide.
    let enforcing = app.token("ie-enforcing");
    let approve = enforcing.reasoned(&id, json!({"to": "approved", "reason": "no objection"})).await;
    let (status, body) = enforcing.post(&format!("/v1/requests/{id}/transitions"), &approve).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("does not decide"), "{body}");
    // The court approves; production waits for the enforcing State's 10 days (Art 10(2)).
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    app.prepare_production(&id).await;
    let (status, body) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("suspended until"), "{body}");
    // A ground that is not the pack's is refused, naming those that are.
    let wrong = json!({"grounds": ["we_dislike_it"], "reasoning": "no"});
    let (status, body) = enforcing.post(&format!("/v1/requests/{id}/grounds"), &wrong).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("ne_bis_in_idem"), "{body}");
    // The court cannot raise them in the enforcing authority's place.
    let grounds =
        json!({"grounds": ["ne_bis_in_idem"], "reasoning": "tried in Ireland for the same acts in 2025"});
    let (status, _) = app.token(REVIEWER).post(&format!("/v1/requests/{id}/grounds"), &grounds).await;
    assert_eq!(status, 403);
    let (status, body) = enforcing.post(&format!("/v1/requests/{id}/grounds"), &grounds).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["request"]["state"], "withdrawn");
    assert!(body["event"]["reason"].as_str().unwrap().contains("Art 12(1)(c)"), "{body}");
    // Production stops for good, and the window's clock closed as objected, once.
    let (status, _) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409);
    let (_, clocks) = provider.get(&format!("/v1/requests/{id}/clocks")).await;
    let window = clocks.as_array().unwrap().iter().find(|c| c["kind"] == "objection_window").unwrap().clone();
    assert_eq!(window["outcome"], "objected");
    let (status, _) = enforcing.post(&format!("/v1/requests/{id}/grounds"), &grounds).await;
    assert_eq!(status, 409, "grounds are raised once");
}

async fn silence_of_the_enforcing_state_lets_the_request_proceed(app: TestApp) {
    let id = app.submit(&notified()).await;
    let (rid, t0) = received(&app, &id).await;
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    let sweep = app.app.sweep(t0 + Duration::days(10) + Duration::seconds(1)).await.unwrap();
    assert!(
        sweep
            .acted
            .iter()
            .any(|(d, _)| d.clock.kind == ClockKind::ObjectionWindow && d.outcome == ClockOutcome::Proceeds),
        "{sweep:?}"
    );
    // The window has closed: grounds come too late, and production goes ahead.
    let late = json!({"grounds": ["ne_bis_in_idem"], "reasoning": "too late"});
    let (status, body) = app.token("ie-enforcing").post(&format!("/v1/requests/{id}/grounds"), &late).await;
    assert_eq!(status, 409, "{body}");
    app.prepare_production(&id).await;
    let (status, body) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(state(&app, rid).await, State::Producing);
}

async fn a_preservation_extended_in_time_lasts_30_days_more(app: TestApp) {
    let id = app.submit(&example("eu-epoc-pr-preservation.json")).await;
    let (rid, t0) = received(&app, &id).await;
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    assert_eq!(app.move_to(&id, "preserved").await.0, 200);
    let authority = app.token("nl-om-rotterdam");
    let path = format!("/v1/requests/{id}/preservation/extension");
    let (status, body) =
        authority.post(&path, &json!({"reason": "a production order follows next week"})).await;
    assert_eq!(status, 201, "{body}");
    let until: DateTime<Utc> = serde_json::from_value(body["until"].clone()).unwrap();
    assert_eq!(until, t0 + Duration::days(90), "60 days and 30 more (Art 11(1))");
    // Once only.
    let (status, body) = authority.post(&path, &json!({"reason": "again"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("only once"), "{body}");
    // Day 61: still preserved; day 90 and a second: lapsed.
    assert!(app.app.sweep(t0 + Duration::days(61)).await.unwrap().acted.is_empty());
    assert_eq!(state(&app, rid).await, State::Preserved);
    let sweep = app.app.sweep(t0 + Duration::days(90) + Duration::seconds(1)).await.unwrap();
    assert_eq!(sweep.acted.len(), 1, "{sweep:?}");
    assert_eq!(state(&app, rid).await, State::Closed);
}

async fn an_appeal_blocks_production_until_a_second_body_decides(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    // A second court of Ireland, registered after the request was routed, to hear appeals.
    let second =
        json!({"id": "ie-court-of-appeal", "country": "IE", "kind": "court", "name": "Court of Appeal"});
    assert_eq!(app.admin().post("/v1/admin/reviewers", &second).await.0, 201);
    let (rid, _) = received(&app, &id).await;
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    // The authority's target's lawyer, say, would appeal through a representative; here the
    // provider appeals, with its grounds.
    let provider = app.provider_of(&id).await;
    let appeal =
        json!({"to": "appealed", "reason": "the target is a journalist; Art 12(1)(a) was not weighed"});
    let (status, body) = provider.post(&format!("/v1/requests/{id}/transitions"), &appeal).await;
    assert_eq!(status, 200, "{body}");
    let (_, routed) = provider.get(&format!("/v1/requests/{id}/reviewers")).await;
    assert_eq!(routed["reviewers"], json!([REVIEWER, "ie-court-of-appeal"]));
    // Provisional protection: nothing is produced while the appeal runs.
    app.prepare_production(&id).await;
    let (status, body) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    // The first court does not hear the appeal against its own decision.
    let first = app.token(REVIEWER);
    let again = first.reasoned(&id, json!({"to": "approved", "reason": "still fine"})).await;
    let (status, body) = first.post(&format!("/v1/requests/{id}/transitions"), &again).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("second body"), "{body}");
    // The second does, like any decision.
    let token = app.issue_token("ie-court-of-appeal").await;
    let r = app
        .client
        .post(app.url(&format!("/v1/requests/{id}/transitions")))
        .bearer_auth(token)
        .json(&json!({"to": "rejected", "reason": "the target is a journalist", "grounds": ["sensitive_or_protected"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    assert_eq!(state(&app, rid).await, State::Rejected);
    let lodged =
        app.store.journal(&JournalQuery::kinds(&[FactKind::AppealLodged]).request(rid)).await.unwrap();
    assert_eq!(lodged.len(), 1);
    let reasoned =
        app.store.journal(&JournalQuery::kinds(&[FactKind::DecisionReasoned]).request(rid)).await.unwrap();
    let by: Vec<String> = reasoned
        .iter()
        .filter_map(|j| match &j.fact {
            Fact::DecisionReasoned(d) => Some(d.by.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(by, [REVIEWER, "ie-court-of-appeal"]);
}

async fn a_decision_is_reasoned_in_the_packs_grounds(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let reviewer = app.token(REVIEWER);
    let path = format!("/v1/requests/{id}/transitions");
    let (status, body) = reviewer.post(&path, &json!({"to": "approved", "reason": "fine"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "grounds", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("necessary_and_proportionate"), "{body}");
    // A ground for rejecting does not reason an approval.
    let wrong = json!({"to": "approved", "reason": "fine", "grounds": ["insufficiently_specific"]});
    assert_eq!(reviewer.post(&path, &wrong).await.0, 422);
    // An answer to a finding screening did not flag is refused, naming those it did.
    let stray = json!({"to": "approved", "reason": "fine", "grounds": ["necessary_and_proportionate"],
        "answers": [{"rule": "eu.not_a_rule", "answer": "x"}]});
    let (status, body) = reviewer.post(&path, &stray).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "answers", "{body}");
    let good =
        reviewer.reasoned(&id, json!({"to": "approved", "reason": "necessary for the fraud inquiry"})).await;
    let (status, moved) = reviewer.post(&path, &good).await;
    assert_eq!(status, 200, "{moved}");
    let rid = RequestId::parse(&id).unwrap();
    let reasoned =
        app.store.journal(&JournalQuery::kinds(&[FactKind::DecisionReasoned]).request(rid)).await.unwrap();
    let Fact::DecisionReasoned(d) = &reasoned[0].fact else { panic!() };
    assert_eq!(d.grounds, ["necessary_and_proportionate"]);
    assert_eq!(d.decision, moved["event"]["seq"].as_u64().unwrap() as u32);
    assert_eq!(d.by.as_str(), REVIEWER);
}

async fn a_clarification_is_answered_with_an_amended_signed_document_and_screened_again(app: TestApp) {
    let doc = example("eu-epoc-traffic.json");
    let id = app.submit(&doc).await;
    let rid = RequestId::parse(&id).unwrap();
    let path = format!("/v1/requests/{id}/amendments");
    let anonymous = app.anonymous();
    // Only while a clarification is asked for.
    let mut amended = doc.clone();
    amended["justification"] =
        "The account received the proceeds of 14 transfers between 2 and 19 May 2026, \
        traced through the bank's records (annex 3 of the file)."
            .into();
    let (status, body) = anonymous.post_raw(&path, "application/jose", app.sign(&amended).into_bytes()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(app.move_to(&id, "clarification_requested").await.0, 200);
    // An amendment keeps the parties: another provider is another request.
    let mut elsewhere = amended.clone();
    elsewhere["addressee"]["provider"] = "example-cloud".into();
    elsewhere["addressee"]["country"] = "NL".into();
    let (status, body) =
        anonymous.post_raw(&path, "application/jose", app.sign(&elsewhere).into_bytes()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "addressee.provider", "{body}");
    // The amended document, signed: screened again, back under review, both versions kept.
    let jws = app.sign(&amended);
    let (status, body) = anonymous.post_raw(&path, "application/jose", jws.clone().into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["request"]["state"], "under_review");
    let reason = body["event"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("amended signed document") && reason.contains("changed: justification"),
        "{reason}"
    );
    let provider = app.provider_of(&id).await;
    let (status, versions) = provider.get(&format!("/v1/requests/{id}/documents")).await;
    assert_eq!(status, 200, "{versions}");
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["event"], 1);
    assert_eq!(versions[1]["changed"], json!(["justification"]));
    assert_eq!(versions[1]["document"]["justification"], amended["justification"]);
    assert_eq!(versions[1]["signed"], true);
    let (_, read) = provider.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["document"]["justification"], amended["justification"], "the request reads as amended");
    assert_eq!(app.store.screenings(rid).await.unwrap().len(), 2, "screened again");
    // The same signature again is a replay.
    assert_eq!(app.move_to(&id, "clarification_requested").await.0, 200);
    let (status, body) = anonymous.post_raw(&path, "application/jose", jws.into_bytes()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "replayed", "{body}");
    // The log vouches for both versions: verification passes.
    app.checkpoint_now().await;
    comity_store::verify::verify_store(app.store.as_ref(), app.log_key().verifier_key(), |_, _| {})
        .await
        .unwrap();
}

async fn a_clarification_asks_structured_questions_and_keeps_the_difference_as_a_json_patch(app: TestApp) {
    let doc = example("eu-epoc-traffic.json");
    let id = app.submit(&doc).await;
    let provider = app.provider_of(&id).await;
    let path = format!("/v1/requests/{id}/transitions");
    let ask = |questions: serde_json::Value| json!({"to": "clarification_requested", "reason": "we cannot execute it as it stands", "questions": questions});
    // A reason of Annex III, and a pointer that reaches the document (or a field it lacks
    // within one it has): anything else is refused, naming the question.
    let (status, body) = provider.post(&path, &ask(json!([{"reason": "unclear", "question": "why?"}]))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "questions[0].reason", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("insufficient_information"), "{body}");
    let stray = json!([{"reason": "incomplete", "pointer": "/nowhere/at/all", "question": "what?"}]);
    let (status, body) = provider.post(&path, &ask(stray)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "questions[0].pointer", "{body}");
    let questions = json!([
        {"reason": "insufficient_information", "pointer": "/justification",
         "question": "How is this account linked to the fraud under investigation?"},
        {"reason": "incomplete", "pointer": "/issuing/validated_by",
         "question": "Which judge validated the order?"}
    ]);
    let (status, body) = provider.post(&path, &ask(questions)).await;
    assert_eq!(status, 200, "{body}");
    // The authority reads the questions; none is answered yet.
    let authority = app.token("fr-tj-paris");
    let (status, asked) = authority.get(&format!("/v1/requests/{id}/clarifications")).await;
    assert_eq!(status, 200, "{asked}");
    assert_eq!(asked[0]["event"], body["event"]["seq"], "{asked}");
    assert_eq!(asked[0]["questions"][0]["pointer"], "/justification");
    assert_eq!(asked[0]["questions"][1]["reason"], "incomplete");
    assert!(asked[0].get("answered_by").is_none(), "{asked}");
    // The amended document answers the question on the justification only.
    let mut amended = doc.clone();
    amended["justification"] =
        "The account received the proceeds of 14 transfers between 2 and 19 May 2026, \
        traced through the bank's records (annex 3 of the file)."
            .into();
    let (status, moved) = app
        .anonymous()
        .post_raw(
            &format!("/v1/requests/{id}/amendments"),
            "application/jose",
            app.sign(&amended).into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    let (_, asked) = authority.get(&format!("/v1/requests/{id}/clarifications")).await;
    assert_eq!(asked[0]["answered_by"], moved["event"]["seq"], "{asked}");
    let answered: Vec<bool> =
        asked[0]["questions"].as_array().unwrap().iter().map(|q| q["answered"].as_bool().unwrap()).collect();
    assert_eq!(answered, [true, false]);
    // Both versions are kept, and their difference as an RFC 6902 JSON Patch.
    let (_, versions) = provider.get(&format!("/v1/requests/{id}/documents")).await;
    assert_eq!(versions[0]["patch"], json!([]));
    assert_eq!(
        versions[1]["patch"],
        json!([{"op": "replace", "path": "/justification", "value": amended["justification"]}])
    );
    // The questions are in the request's log, with the move that asked them.
    let log = app.store.request_log(RequestId::parse(&id).unwrap()).await.unwrap();
    let kinds: Vec<String> = log
        .iter()
        .map(|r| String::from_utf8_lossy(&r.entry).lines().nth(1).unwrap_or_default().to_owned())
        .collect();
    assert!(kinds.iter().any(|k| k == "kind: clarification.asked"), "{kinds:?}");
}

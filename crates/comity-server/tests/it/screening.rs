//! Screening through the API: on intake, as a dry run, across requests, after a crash.

use chrono::{SubsecRound, Utc};
use comity_core::{ActorId, Instrument, NewRequest, PartyId, RequestId, RequestKind};
use serde_json::json;

use crate::support::{TestApp, example};

crate::both_backends!(
    an_inadmissible_request_is_rejected_on_intake_with_its_report,
    a_request_that_needs_review_goes_to_review_with_the_flagged_rules,
    the_dry_run_screens_without_storing,
    many_narrow_requests_that_add_up_to_bulk_go_to_review,
    screening_interrupted_by_a_crash_is_finished_on_resume,
);

async fn an_inadmissible_request_is_rejected_on_intake_with_its_report(app: TestApp) {
    let mut doc = example("eu-epoc-traffic.json");
    doc["targets"] = json!([{"selector": {"type": "geofence", "value": "48.8566,2.3522 r=2km"}}]);
    let (status, created) = app.post_jws(&app.sign(&doc)).await;
    assert_eq!(status, 201, "the request is received and kept, then rejected: {created}");
    assert_eq!(created["state"], "rejected");
    let report = &created["screening"];
    assert_eq!(report["verdict"], "inadmissible");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "general.specific_selectors")
        .unwrap();
    assert_eq!(finding["outcome"], "fail");
    assert!(finding["citation"].as_str().unwrap().contains("2023/1543"), "{finding}");
    assert!(finding["message"].as_str().unwrap().contains("an area names whoever was there"), "{finding}");
    assert_eq!(report["pack"]["id"], "eu-e-evidence");
    assert_eq!(report["pack"]["hash"].as_str().unwrap().len(), 64);

    let id = created["id"].as_str().unwrap();
    let provider = app.token("example-mail");
    let (_, events) = provider.get(&format!("/v1/requests/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "rejected");
    assert!(last["reason"].as_str().unwrap().contains("general.specific_selectors (fail)"), "{last}");
    let (status, screenings) = provider.get(&format!("/v1/requests/{id}/screenings")).await;
    assert_eq!(status, 200);
    assert_eq!(screenings.as_array().unwrap().len(), 1);
    assert_eq!(screenings[0], *report, "the stored report reads back exactly as it was answered");
}

async fn a_request_that_needs_review_goes_to_review_with_the_flagged_rules(app: TestApp) {
    let mut doc = example("us-cloud-act-content.json");
    doc["targets"][0]["protected_role"] = "journalist".into();
    let (_, created) = app.post_jws(&app.sign(&doc)).await;
    assert_eq!(created["state"], "under_review");
    assert_eq!(created["screening"]["verdict"], "needs_review");
    assert_eq!(created["screening"]["required_review"], json!(["court"]));
    let id = created["id"].as_str().unwrap();
    let (_, events) = app.token("example-social").get(&format!("/v1/requests/{id}/events")).await;
    assert!(events[2]["reason"].as_str().unwrap().contains("general.protected_roles (review)"), "{events}");
}

async fn the_dry_run_screens_without_storing(app: TestApp) {
    let doc = example("eu-epoc-emergency-subscriber.json");
    let provider = app.token("example-mail");
    let (status, report) = provider.post("/v1/screen?received_at=2026-11-26T10:00:00Z", &doc).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["verdict"], "admissible");
    assert_eq!(report["deadlines"]["respond_by"], "2026-11-26T18:00:00Z", "8 hours in an emergency");
    assert_eq!(report["received_at"], "2026-11-26T10:00:00Z");
    let (_, list) = provider.get("/v1/requests").await;
    assert_eq!(list["total"], 0, "a dry run stores nothing");

    let (status, _) = provider.post("/v1/screen?received_at=yesterday", &doc).await;
    assert_eq!(status, 400);
    // Both ends of chrono's range made the clocks overflow and the handler panic
    // (issue 12, finding 4); each is now refused where it is read, naming the range.
    for far in ["-262143-01-01T00:00:00Z", "%2B262142-12-31T23:59:59Z", "1969-12-31T23:59:59Z"] {
        let (status, body) = provider.post(&format!("/v1/screen?received_at={far}"), &doc).await;
        assert_eq!(status, 400, "received_at={far}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"), "{message}");
    }
    let (status, report) = provider.post("/v1/screen?received_at=9999-12-31T23:59:59Z", &doc).await;
    assert_eq!(status, 200, "the last second of 9999 is a time clocks can count from: {report}");
    let (status, body) = provider.post("/v1/screen", &json!({"instrument": "eu-e-evidence"})).await;
    assert_eq!(status, 422, "{body}");
    // Signed in or not at all; auditors and admins do not screen requests.
    assert_eq!(app.anonymous().post("/v1/screen", &doc).await.0, 401);
    assert_eq!(app.admin().post("/v1/screen", &doc).await.0, 403);
}

async fn many_narrow_requests_that_add_up_to_bulk_go_to_review(app: TestApp) {
    // Three requests of ten targets each from one authority: the third brings the
    // authority to 30 distinct targets in 30 days, over the pack's 25.
    let mut ids = Vec::new();
    for batch in 0..3 {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["reference"] = format!("PARQUET-2026-10{batch}").into();
        doc["targets"] = (0..10)
            .map(|n| json!({"selector": {"type": "email", "value": format!("member{batch}-{n}@example.org")}, "residence_country": "FR"}))
            .collect();
        let (status, created) = app.post_jws(&app.sign(&doc)).await;
        assert_eq!(status, 201, "{created}");
        let bulk = created["screening"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "general.bulk")
            .unwrap()
            .clone();
        if batch < 2 {
            assert_eq!(bulk["outcome"], "pass", "request {batch}: {bulk}");
        } else {
            assert_eq!(bulk["outcome"], "review", "{bulk}");
            assert_eq!(bulk["related"], json!(ids), "the finding lists the earlier requests");
            assert_eq!(created["state"], "under_review");
        }
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
}

/// A request stored but not screened (the process died between the two) is screened and
/// moved on by `resume_screening`, which `comity serve` runs on start.
async fn screening_interrupted_by_a_crash_is_finished_on_resume(app: TestApp) {
    let (document, request) =
        comity_wire::parse_request(&serde_json::to_vec(&example("mlat-content.json")).unwrap()).unwrap();
    let received_at = Utc::now().trunc_subsecs(6);
    let new = NewRequest {
        id: RequestId::new_at(received_at.timestamp_millis() as u64),
        received_at,
        actor: ActorId::parse("br-mpf-sp").unwrap(),
        receipt: "received".into(),
        authority: PartyId::parse("br-mpf-sp").unwrap(),
        provider: PartyId::parse("example-social").unwrap(),
        instrument: Instrument::Mlat,
        kind: RequestKind::Production,
        emergency: false,
        reference: "MPF-SP-PIC-1.34.001.000412/2026".into(),
        document: serde_json::to_string(&document).unwrap(),
        idempotency_key: None,
        signature: None,
        jti: None,
        validator: None,
        screening: None,
        targets: request.targets.iter().map(|t| t.selector.clone()).collect(),
    };
    app.store.insert_request(&new).await.unwrap();
    let done = app.app.resume_screenings().await.unwrap();
    assert_eq!(done, 1);
    let (_, read) = app.token("example-social").get(&format!("/v1/requests/{}", new.id)).await;
    assert_eq!(read["state"], "under_review");
    assert_eq!(read["screening"]["verdict"], "needs_review");
    assert_eq!(app.app.resume_screenings().await.unwrap(), 0, "nothing is screened twice");
}

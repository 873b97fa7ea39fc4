//! Issue 16, item 6, evaluation cycles: "per cycle for each authority and each State:
//! timeliness against every clock; share rejected; emergencies left unconfirmed; appeals
//! overturned; remedies; late disposal attestations; grounds for refusal raised. From these
//! comes a compliance score with its formula published." A known history of two
//! authorities of two States, on both databases, with time as a value (the sweep is told
//! when it runs): every figure is the count by hand, and the score is the published
//! formula applied here to those counts.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use comity_core::RequestId;
use serde_json::{Value, json};

use crate::support::{OPERATOR, REVIEWER, TestApp, example, export};

crate::both_backends!(
    every_figure_is_the_count_by_hand_and_the_score_its_formula,
    who_reads_what_and_bad_years
);

/// The end of the retention of every production here (`TestApp::deliver`).
fn retention_end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-12-31T23:59:59Z").unwrap().with_timezone(&Utc)
}

/// France's traffic request, without nondisclosure (no notice to send when the sweep runs
/// years ahead).
fn traffic() -> Value {
    let mut doc = example("eu-epoc-traffic.json");
    doc.as_object_mut().unwrap().remove("nondisclosure");
    doc
}

/// A statement that `pid` was disposed of, signed by fr-tj-paris.
async fn attest(app: &TestApp, id: &str, pid: &str) {
    let authority = app.token("fr-tj-paris");
    let (_, p) = authority.get(&format!("/v1/requests/{id}/productions/{pid}")).await;
    let sha = p["package"]["sha256"].as_str().unwrap().to_owned();
    let key = app.key_of("fr-tj-paris");
    let statement = comity_app::production::disposal::statement(
        RequestId::parse(id).unwrap(),
        pid,
        &sha,
        Utc::now() - Duration::minutes(1),
    );
    let signed = key.sign_compact(&key.public().key_id(), statement.to_string().as_bytes());
    let (status, body) = authority
        .post(&format!("/v1/requests/{id}/productions/{pid}/disposal"), &json!({"attestation": signed}))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// What one request of the history contributes, as written down when it was built.
#[derive(Default, Clone)]
struct Story {
    /// How its answer's deadline was kept.
    respond_by: &'static str,
    /// Its emergency's validation (Art 4(5)), its disposal attestation and its recall.
    validation: Option<&'static str>,
    disposal: Option<&'static str>,
    recall: Option<&'static str>,
    /// Its last decision: `Some(true)` a rejection.
    rejected: Option<bool>,
    /// Its emergency's confirmation: `in_time`, `late`, `denied`, `never`.
    emergency: Option<&'static str>,
    /// An appeal decided: (against the authority, overturned).
    appeal: Option<(bool, bool)>,
    delivered: bool,
    remedy: Option<&'static str>,
    /// Grounds for refusal raised; whether it had an objection window.
    grounds: Vec<&'static str>,
    window: bool,
}

/// The figures of a list of stories, summed by hand.
fn by_hand(stories: &[Story]) -> BTreeMap<String, u64> {
    let mut n: BTreeMap<String, u64> = BTreeMap::new();
    let mut add = |k: &str, v: bool| *n.entry(k.to_owned()).or_default() += u64::from(v);
    for s in stories {
        add("requests", true);
        for (clock, kept) in [
            ("respond_by", Some(s.respond_by)),
            ("validation", s.validation),
            ("disposal_attestation", s.disposal),
            ("recall", s.recall),
        ] {
            for t in ["in_time", "late", "overdue", "not_counted"] {
                add(&format!("{clock}.{t}"), kept == Some(t));
            }
        }
        add("decided", s.rejected.is_some());
        add("rejected", s.rejected == Some(true));
        add("emergencies", s.emergency.is_some());
        for e in ["in_time", "late", "denied", "never"] {
            add(&format!("emergency.{e}"), s.emergency == Some(e));
        }
        add("appeals.decided", s.appeal.is_some());
        add("appeals.against", s.appeal.is_some_and(|a| a.0));
        add("appeals.overturned", s.appeal.is_some_and(|a| a.1));
        add("delivered", s.delivered);
        add("remedy.withdrawn", s.remedy == Some("withdrawn"));
        add("delivered_with_authority_remedy", s.delivered && s.remedy == Some("withdrawn"));
        // Each disposal attestation and each recall late or overdue.
        add("late_attestations", matches!(s.disposal, Some("late" | "overdue")));
        add("late_attestations", matches!(s.recall, Some("late" | "overdue")));
        add("open_to_grounds", s.window);
        add("grounds.requests", !s.grounds.is_empty());
        add("grounds.ne_bis_in_idem", s.grounds.contains(&"ne_bis_in_idem"));
    }
    n
}

/// The published formula `comity-compliance/v1`, applied here to the hand counts.
fn formula(n: &BTreeMap<String, u64>) -> Option<f64> {
    let g = |k: &str| n.get(k).copied().unwrap_or(0) as f64;
    let duties = ["validation", "disposal_attestation", "recall"];
    let kept: f64 = duties.iter().map(|c| g(&format!("{c}.in_time"))).sum();
    let passed: f64 = duties
        .iter()
        .map(|c| g(&format!("{c}.in_time")) + g(&format!("{c}.late")) + g(&format!("{c}.overdue")))
        .sum();
    let held = g("emergency.in_time") + g("emergency.late") + g("emergency.denied") + g("emergency.never");
    let components = [
        (25.0, kept, passed),
        (20.0, g("emergency.in_time"), held),
        (15.0, g("decided") - g("rejected"), g("decided")),
        (10.0, g("appeals.decided") - g("appeals.against"), g("appeals.decided")),
        (10.0, g("delivered") - g("delivered_with_authority_remedy"), g("delivered")),
        (20.0, g("open_to_grounds") - g("grounds.requests"), g("open_to_grounds")),
    ];
    let (sum, weights) = components
        .iter()
        .filter(|(_, _, of)| *of > 0.0)
        .fold((0.0, 0.0), |(s, w), (weight, good, of)| (s + weight * good / of, w + weight));
    (weights > 0.0).then(|| (100.0 * sum / weights * 100.0).round() / 100.0)
}

/// What the API says of one evaluation, in the hand count's names.
fn published(e: &Value) -> BTreeMap<String, u64> {
    let f = &e["figures"];
    let mut n: BTreeMap<String, u64> = BTreeMap::new();
    let u = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"));
    n.insert("requests".into(), u(&f["requests"]));
    for c in f["clocks"].as_array().unwrap() {
        let kind = c["kind"].as_str().unwrap();
        if !["respond_by", "validation", "disposal_attestation", "recall"].contains(&kind) {
            continue;
        }
        for t in ["in_time", "late", "overdue", "not_counted"] {
            n.insert(format!("{kind}.{t}"), u(&c[t]));
        }
    }
    n.insert("decided".into(), u(&f["decided"]));
    n.insert("rejected".into(), u(&f["rejected"]));
    let em = &f["emergencies"];
    n.insert("emergencies".into(), u(&em["requests"]));
    n.insert("emergency.in_time".into(), u(&em["confirmed_in_time"]));
    n.insert("emergency.late".into(), u(&em["confirmed_late"]));
    n.insert("emergency.denied".into(), u(&em["denied"]));
    n.insert("emergency.never".into(), u(&em["never_confirmed"]));
    n.insert("appeals.decided".into(), u(&f["appeals"]["decided"]));
    n.insert("appeals.against".into(), u(&f["appeals"]["against_authority"]));
    n.insert("appeals.overturned".into(), u(&f["appeals"]["overturned"]));
    n.insert("delivered".into(), u(&f["remedies"]["delivered"]));
    n.insert("remedy.withdrawn".into(), u(&f["remedies"]["by_ground"]["withdrawn"]));
    n.insert("delivered_with_authority_remedy".into(), u(&f["remedies"]["delivered_with_authority_remedy"]));
    n.insert("late_attestations".into(), u(&f["late_attestations"]));
    n.insert("open_to_grounds".into(), u(&f["grounds"]["open_to_grounds"]));
    n.insert("grounds.requests".into(), u(&f["grounds"]["requests"]));
    n.insert(
        "grounds.ne_bis_in_idem".into(),
        f["grounds"]["by_ground"]["ne_bis_in_idem"].as_u64().unwrap_or(0),
    );
    n
}

async fn every_figure_is_the_count_by_hand_and_the_score_its_formula(app: TestApp) {
    let year = Utc::now().year();
    let mut france: Vec<Story> = Vec::new();
    let mut germany: Vec<Story> = Vec::new();

    // F1: delivered; the disposal attested only after comity escalated its absence.
    let f1 = app.submit(&traffic()).await;
    assert_eq!(app.move_to(&f1, "approved").await.0, 200);
    let p1 = app.deliver(&f1, &export()).await;
    france.push(Story {
        respond_by: "in_time",
        disposal: Some("late"),
        rejected: Some(false),
        delivered: true,
        ..Story::default()
    });

    // F2: answered (rejected) only after its deadline passed.
    let f2 = app.submit(&traffic()).await;
    app.assign(&f2, REVIEWER).await;
    france.push(Story { respond_by: "late", rejected: Some(true), ..Story::default() });

    // F3: approved, appealed by the provider, rejected by a second court: an appeal decided
    // against the authority, overturning the approval.
    let second =
        json!({"id": "ie-court-of-appeal", "country": "IE", "kind": "court", "name": "Court of Appeal"});
    assert_eq!(app.admin().post("/v1/admin/reviewers", &second).await.0, 201);
    // Routing may pick it for the requests that follow: it decides with a token of its own.
    app.issue_token("ie-court-of-appeal").await;
    let f3 = app.submit(&traffic()).await;
    assert_eq!(app.move_to(&f3, "approved").await.0, 200);
    let appeal =
        json!({"to": "appealed", "reason": "the target is a journalist; Art 12(1)(a) was not weighed"});
    let (status, body) =
        app.provider_of(&f3).await.post(&format!("/v1/requests/{f3}/transitions"), &appeal).await;
    assert_eq!(status, 200, "{body}");
    // The body assigned to hear it: a court of Ireland other than the one that decided.
    let (_, routed) = app.provider_of(&f3).await.get(&format!("/v1/requests/{f3}/reviewers")).await;
    let second = routed["reviewers"].as_array().unwrap().last().unwrap().as_str().unwrap().to_owned();
    app.issue_token(&second).await;
    let decision = json!({"to": "rejected", "reason": "the target is a journalist", "grounds": ["sensitive_or_protected"]});
    let (status, body) = app.token(&second).post(&format!("/v1/requests/{f3}/transitions"), &decision).await;
    assert_eq!(status, 200, "{body}");
    france.push(Story {
        respond_by: "in_time",
        rejected: Some(true),
        appeal: Some((true, true)),
        ..Story::default()
    });

    // F4: delivered, then withdrawn by the authority: a remedy case on its own ground, whose
    // recall it meets by attesting the deletion in time.
    let f4 = app.submit(&traffic()).await;
    assert_eq!(app.move_to(&f4, "approved").await.0, 200);
    let p4 = app.deliver(&f4, &export()).await;
    let (status, body) = app
        .token("fr-tj-paris")
        .post(
            &format!("/v1/requests/{f4}/transitions"),
            &json!({"to": "withdrawn", "reason": "the investigation was closed"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    attest(&app, &f4, &p4).await;
    france.push(Story {
        respond_by: "in_time",
        disposal: Some("in_time"),
        recall: Some("in_time"),
        rejected: Some(false),
        delivered: true,
        remedy: Some("withdrawn"),
        ..Story::default()
    });

    // F5: notified to Ireland (the offence not committed in France), whose enforcing
    // authority raises a ground for refusal within its window.
    let mut notified = traffic();
    notified["offence"]["committed_in_issuing_state"] = false.into();
    let f5 = app.submit(&notified).await;
    let grounds =
        json!({"grounds": ["ne_bis_in_idem"], "reasoning": "tried in Ireland for the same acts in 2025"});
    let (status, body) =
        app.token("ie-enforcing").post(&format!("/v1/requests/{f5}/grounds"), &grounds).await;
    assert_eq!(status, 200, "{body}");
    france.push(Story {
        respond_by: "in_time",
        rejected: Some(true),
        grounds: vec!["ne_bis_in_idem"],
        window: true,
        ..Story::default()
    });

    // Germany's emergencies. D1, of the public prosecutor (who may order subscriber data
    // without validation, Art 4(1)(b)), is never confirmed: still held when its 8 hours
    // to answer pass, and after. D2 is confirmed in time by a second contact, then
    // rejected. D3, of the police, must also be validated within 48 hours (Art 4(5)): it
    // is neither confirmed nor validated, and is withdrawn.
    let contact = json!({"id": "duty-officer", "name": "Duty officer", "email": "duty@berlin.example.org"});
    assert_eq!(app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await.0, 201);
    let d1 = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    germany.push(Story { respond_by: "overdue", emergency: Some("never"), ..Story::default() });
    let d2 = app.submit(&example("eu-epoc-emergency-subscriber.json")).await;
    let provider = app.provider_of(&d2).await;
    let (status, link) = provider
        .post(&format!("/v1/requests/{d2}/verification/links"), &json!({"contact": "duty-officer"}))
        .await;
    assert_eq!(status, 201, "{link}");
    let secret = link["url"].as_str().unwrap().strip_prefix("/verify#").unwrap().to_owned();
    let (status, moved) =
        app.anonymous().post("/v1/verify", &json!({"token": secret, "decision": "confirm"})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(app.move_to(&d2, "rejected").await.0, 200);
    germany.push(Story {
        respond_by: "in_time",
        rejected: Some(true),
        emergency: Some("in_time"),
        ..Story::default()
    });
    let mut police = example("eu-epoc-emergency-subscriber.json");
    police["issuing"]["authority"] = "de-lka-berlin".into();
    police["issuing"]["authority_type"] = "police".into();
    let d3 = app.submit(&police).await;
    let berlin_police: Vec<Story> = vec![Story {
        respond_by: "late",
        validation: Some("overdue"),
        emergency: Some("never"),
        ..Story::default()
    }];

    // Time passes: 9 hours (D1's 8 hours to answer pass while it waits), then years, to
    // a week after every production's retention (the disposal attestations are due).
    app.app.sweep(Utc::now() + Duration::hours(9)).await.unwrap();
    let later = retention_end() + Duration::days(comity_app::DISPOSAL_GRACE_DAYS) + Duration::seconds(1);
    app.app.sweep(later).await.unwrap();
    let state = |id: &str| {
        let store = app.store.clone();
        let id = RequestId::parse(id).unwrap();
        async move { store.request(id).await.unwrap().unwrap().state.to_string() }
    };
    assert_eq!(state(&d1).await, "pending_verification");
    assert_eq!(state(&d3).await, "withdrawn", "no validation within 48 hours (Art 4(5))");
    // Then F2 is answered, late, and F1's disposal attested, late.
    assert_eq!(app.move_to(&f2, "rejected").await.0, 200);
    attest(&app, &f1, &p1).await;

    let (status, body) = app.token(OPERATOR).get(&format!("/v1/evaluations?year={year}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["year"], year);
    assert_eq!(body["formula"]["version"], "comity-compliance/v1");
    let weights: Vec<(String, u64)> = body["formula"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c["weight"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        weights,
        [
            ("clocks_kept", 25),
            ("emergencies_confirmed", 20),
            ("requests_not_rejected", 15),
            ("appeals_not_lost", 10),
            ("deliveries_kept", 10),
            ("free_of_grounds", 20)
        ]
        .map(|(n, w)| (n.to_owned(), w))
        .to_vec(),
        "the formula this test applies is the one published"
    );
    let find = |list: &str, key: &str, value: &str| {
        body[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e[key] == value)
            .unwrap_or_else(|| panic!("no {value} in {list}: {body}"))
            .clone()
    };
    for (who, stories) in
        [("fr-tj-paris", &france), ("de-sta-berlin", &germany), ("de-lka-berlin", &berlin_police)]
    {
        let hand = by_hand(stories);
        let authority = find("authorities", "authority", who);
        assert_eq!(published(&authority), hand, "{who}: {authority}");
        assert_eq!(authority["score"].as_f64(), formula(&hand), "{who}: {authority}");
    }
    // A State's are its authorities' together.
    let german: Vec<Story> = germany.iter().chain(&berlin_police).cloned().collect();
    for (country, stories) in [("FR", &france), ("DE", &german)] {
        let hand = by_hand(stories);
        let state = find("states", "country", country);
        assert_eq!(published(&state), hand, "{country}: {state}");
        assert_eq!(state["score"].as_f64(), formula(&hand), "{country}: {state}");
    }
    // An authority with no request has figures of zero and no score.
    let quiet = find("authorities", "authority", "gb-nca");
    assert_eq!(quiet["figures"]["requests"], 0);
    assert!(quiet.get("score").is_none(), "{quiet}");

    // One authority, or one State, asked for by name.
    let (status, one) =
        app.token(OPERATOR).get(&format!("/v1/evaluations?year={year}&authority=fr-tj-paris")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["authorities"].as_array().unwrap().len(), 1);
    assert_eq!(one["states"], json!([]));
    assert_eq!(published(&one["authorities"][0]), by_hand(&france));
    let (status, de) = app.token(OPERATOR).get(&format!("/v1/evaluations?year={year}&country=DE")).await;
    assert_eq!(status, 200, "{de}");
    let ids: Vec<&str> =
        de["authorities"].as_array().unwrap().iter().map(|a| a["authority"].as_str().unwrap()).collect();
    assert_eq!(ids, ["de-lka-berlin", "de-sta-berlin"]);
    assert_eq!(published(&de["states"][0]), by_hand(&german));

    // The authority reads its own, and only its own.
    let (status, own) = app.token("de-sta-berlin").get(&format!("/v1/evaluations?year={year}")).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["authorities"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own["authorities"][0]["authority"], "de-sta-berlin");
    assert_eq!(own["states"], json!([]));

    // Recording a cycle: refused before it ends, naming the year; an ended one is kept as
    // one logged fact per authority and per State.
    let (status, body) = app.admin().post("/v1/admin/evaluations", &json!({"year": year})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "year", "{body}");
    let (now_recorded, written) = app
        .operator()
        .record_evaluations(
            year,
            DateTime::parse_from_rfc3339(&format!("{}-01-01T00:00:01Z", year + 1))
                .unwrap()
                .with_timezone(&Utc),
        )
        .await
        .unwrap();
    assert_eq!(written.len(), now_recorded.authorities.len() + now_recorded.states.len());
    assert!(written.iter().all(|e| e.log_index.is_some()), "each fact has its audit-log entry");
    let france_fact = written
        .iter()
        .find(|e| e.party.as_ref().is_some_and(|p| p.as_str() == "fr-tj-paris"))
        .expect("fr-tj-paris's evaluation is recorded under its id");
    let comity_core::Fact::EvaluationRecorded(fact) = &france_fact.fact else { panic!("{france_fact:?}") };
    assert_eq!((fact.year, fact.formula.as_str()), (year, "comity-compliance/v1"));
    assert_eq!(fact.score, formula(&by_hand(&france)).map(|s| format!("{s:.2}")));
    assert_eq!(fact.figures["rejected"], by_hand(&france)["rejected"]);
    assert_eq!(france_fact.subject, format!("evaluation-{year}-fr-tj-paris"));
    let (status, recorded) = app.admin().post("/v1/admin/evaluations", &json!({"year": 2025})).await;
    assert_eq!(status, 201, "{recorded}");
    assert!(recorded["authorities"].as_array().unwrap().iter().all(|a| a["figures"]["requests"] == 0));
}

async fn who_reads_what_and_bad_years(app: TestApp) {
    let year = Utc::now().year();
    app.submit(&traffic()).await;
    // Another authority asking for fr-tj-paris's figures, or a State's: 403.
    let (status, body) =
        app.token("de-sta-berlin").get(&format!("/v1/evaluations?year={year}&authority=fr-tj-paris")).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) =
        app.token("fr-tj-paris").get(&format!("/v1/evaluations?year={year}&country=FR")).await;
    assert_eq!(status, 403, "{body}");
    // A provider, which weighs a request against its authority's record, reads the
    // aggregates (policies/access.cedar, `aggregates-for-those-who-weigh-requests`).
    let (status, body) = app.token("example-mail").get(&format!("/v1/evaluations?year={year}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["authorities"].as_array().unwrap().len() > 1 && !body["states"].as_array().unwrap().is_empty()
    );
    // Its own, by name too.
    let (status, body) =
        app.token("fr-tj-paris").get(&format!("/v1/evaluations?year={year}&authority=fr-tj-paris")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authorities"][0]["figures"]["requests"], 1);
    // Without a credential: 401.
    assert_eq!(app.anonymous().get(&format!("/v1/evaluations?year={year}")).await.0, 401);
    // A year outside 2000 to 9998 (whose end is the last four-digit date): 422 naming it.
    for bad in ["1999", "9999", "10000", "-5"] {
        let (status, body) = app.token(OPERATOR).get(&format!("/v1/evaluations?year={bad}")).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["error"]["details"][0]["path"], "year", "{body}");
    }
    let (status, body) = app.admin().post("/v1/admin/evaluations", &json!({"year": 1999})).await;
    assert_eq!(status, 422, "{body}");
    // No year, or one that is not a number: 400.
    assert_eq!(app.token(OPERATOR).get("/v1/evaluations").await.0, 400);
    assert_eq!(app.token(OPERATOR).get("/v1/evaluations?year=last").await.0, 400);
    // An authority and a country together, an unknown authority, a country that is not one.
    let (status, body) = app
        .token(OPERATOR)
        .get(&format!("/v1/evaluations?year={year}&authority=fr-tj-paris&country=FR"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        app.token(OPERATOR).get(&format!("/v1/evaluations?year={year}&authority=xx-nobody")).await.0,
        404
    );
    let (status, body) =
        app.token(OPERATOR).get(&format!("/v1/evaluations?year={year}&country=France")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "country", "{body}");
    // Recording is the operator's admins'.
    assert_eq!(app.token("fr-tj-paris").post("/v1/admin/evaluations", &json!({"year": 2025})).await.0, 403);
}

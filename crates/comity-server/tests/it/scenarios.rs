//! Each instrument's path, as a table (issue 13, acceptance): one scenario per path, each
//! step an act by the party whose act it is, at a time given as an offset from the
//! request's receipt, with what it must answer, the state it leaves, what `comity
//! deadlines` lists at that time (the same `App::deadlines` the command calls, read before
//! the act) and the audit-log entries it appends. One runner walks every scenario on
//! SQLite and on PostgreSQL; time is a value (`App::sweep(at)`, `App::deadlines(at)`), so
//! 60 days pass in a millisecond.

use chrono::{DateTime, Duration, Utc};
use comity_core::RequestId;
use serde_json::{Value, json};

use crate::support::{REVIEWER, TestApp, example, export};

crate::both_backends!(every_instrument_walks_its_path);

/// Who acts, and what they do.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// The move, by the party whose step it is (`TestApp::move_to`).
    Move(&'static str),
    /// A named body decides (or tries to): `(body, to)`.
    Decide(&'static str, &'static str),
    /// The provider appeals the decision, with its grounds.
    Appeal,
    /// The deadlines due at the step's time are acted on (`comity deadlines --apply`).
    Sweep,
    /// The provider produces the decision's scope from its export.
    Produce,
    /// The enforcing authority raises a ground for refusal (Regulation (EU) 2023/1543 Art 12).
    RaiseGrounds,
    /// The issuing authority extends the preservation (Art 11(1)).
    Extend,
    /// The provider objects for conflicting obligations with US law (Art 17).
    ObjectConflict,
    /// `(body, outcome)` decides the objection for conflicting obligations.
    DecideConflict(&'static str, &'static str),
    /// The provider asks structured questions (Annex III): a move to `clarification_requested`.
    Ask,
    /// The issuing authority answers a clarification with an amended, signed document.
    Amend,
    /// The operator registers a reviewer body: `(id, country, kind)`.
    Register(&'static str, &'static str, &'static str),
    /// The operator assigns a registered body, with a reason.
    Assign(&'static str),
}

/// One step: the act, when (an offset from receipt), and what must follow.
struct Step {
    act: Act,
    at: Duration,
    /// The HTTP status of the act (200 for a sweep).
    status: u16,
    /// The request's state after it.
    state: &'static str,
    /// What `comity deadlines` lists for the request at `at`, before the act: (clock, outcome).
    due: &'static [(&'static str, &'static str)],
    /// The kinds of the audit-log entries the act appends (reads left out), sorted.
    log: &'static [&'static str],
}

struct Scenario {
    name: &'static str,
    /// The example request of `examples/requests/`, and how this scenario changes it.
    example: &'static str,
    tweak: fn(&mut Value),
    /// The state screening leaves it in, and the reviewer bodies routing by law assigned.
    screened: &'static str,
    routed: &'static [&'static str],
    steps: Vec<Step>,
}

fn step(act: Act, at: Duration, status: u16, state: &'static str) -> Step {
    Step { act, at, status, state, due: &[], log: &[] }
}

impl Step {
    fn due(self, due: &'static [(&'static str, &'static str)]) -> Step {
        Step { due, ..self }
    }
    fn log(self, log: &'static [&'static str]) -> Step {
        Step { log, ..self }
    }
}

fn none(_: &mut Value) {}

/// An emergency order issued by the police without prior validation (Art 4(5)).
fn unvalidated(doc: &mut Value) {
    doc["issuing"]["authority"] = "de-lka-berlin".into();
    doc["issuing"]["authority_type"] = "police".into();
}

/// Traffic data for an offence not committed in the issuing State: the enforcing State,
/// Ireland, is notified (Art 8(1)).
fn notified(doc: &mut Value) {
    doc["offence"]["committed_in_issuing_state"] = false.into();
}

fn national_security(doc: &mut Value) {
    doc["purpose"] = "national_security".into();
}

fn h(n: i64) -> Duration {
    Duration::hours(n)
}

fn d(n: i64) -> Duration {
    Duration::days(n)
}

fn scenarios() -> Vec<Scenario> {
    let now = Duration::zero();
    vec![
        Scenario {
            name: "e-Evidence: an emergency not validated within 48 hours is withdrawn",
            example: "eu-epoc-emergency-subscriber.json",
            tweak: unvalidated,
            screened: "pending_verification",
            routed: &[REVIEWER],
            steps: vec![
                step(Act::Sweep, h(47), 200, "pending_verification")
                    .due(&[("respond_by", "overdue")])
                    .log(&["clock.expired"]),
                step(Act::Sweep, h(48) + Duration::minutes(1), 200, "withdrawn")
                    .due(&[("respond_by", "overdue"), ("validation", "withdrawn")])
                    .log(&["clock.expired", "lifecycle.withdrawn"]),
                step(Act::Sweep, h(49), 200, "withdrawn"),
            ],
        },
        Scenario {
            name: "e-Evidence: the enforcing State's grounds for refusal stop production",
            example: "eu-epoc-traffic.json",
            tweak: notified,
            screened: "under_review",
            routed: &[REVIEWER, "ie-enforcing"],
            steps: vec![
                step(Act::Move("approved"), now, 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
                step(Act::Produce, now, 409, "approved"),
                step(Act::RaiseGrounds, h(1), 200, "withdrawn")
                    .log(&["grounds.raised", "lifecycle.withdrawn"]),
                step(Act::Produce, h(2), 409, "withdrawn"),
                step(Act::Sweep, d(10) + h(1), 200, "withdrawn")
                    .due(&[("respond_by", "met")])
                    .log(&["clock.expired"]),
            ],
        },
        Scenario {
            name: "e-Evidence: the enforcing State's silence lets the request proceed",
            example: "eu-epoc-traffic.json",
            tweak: notified,
            screened: "under_review",
            routed: &[REVIEWER, "ie-enforcing"],
            steps: vec![
                step(Act::Move("approved"), now, 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
                step(Act::Produce, h(1), 409, "approved"),
                step(Act::Sweep, d(10) + h(1), 200, "approved")
                    .due(&[("objection_window", "proceeds"), ("respond_by", "overdue")])
                    .log(&["clock.expired", "clock.expired"]),
                step(Act::Produce, d(10) + h(2), 201, "producing").due(&[("respond_by", "overdue")]).log(&[
                    "lifecycle.producing",
                    "production.sealed",
                    "production.started",
                ]),
            ],
        },
        Scenario {
            name: "e-Evidence: a preservation lapses at its end",
            example: "eu-epoc-pr-preservation.json",
            tweak: none,
            screened: "under_review",
            routed: &["nl-rechtbank"],
            steps: vec![
                step(Act::Move("approved"), now, 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
                step(Act::Move("preserved"), now, 200, "preserved").log(&["lifecycle.preserved"]),
                step(Act::Sweep, d(59), 200, "preserved"),
                step(Act::Sweep, d(60) + h(1), 200, "closed")
                    .due(&[("preservation_end", "lapsed")])
                    .log(&["clock.expired", "lifecycle.closed"]),
            ],
        },
        Scenario {
            name: "e-Evidence: a preservation extended in time lasts 30 days more",
            example: "eu-epoc-pr-preservation.json",
            tweak: none,
            screened: "under_review",
            routed: &["nl-rechtbank"],
            steps: vec![
                step(Act::Move("approved"), now, 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
                step(Act::Move("preserved"), now, 200, "preserved").log(&["lifecycle.preserved"]),
                step(Act::Extend, h(1), 201, "preserved").log(&["preservation.extended"]),
                step(Act::Sweep, d(61), 200, "preserved"),
                step(Act::Sweep, d(90) + h(1), 200, "closed")
                    .due(&[("preservation_end", "lapsed")])
                    .log(&["clock.expired", "lifecycle.closed"]),
            ],
        },
        Scenario {
            name: "e-Evidence: a clarification is answered with an amended document, screened again",
            example: "eu-epoc-traffic.json",
            tweak: none,
            screened: "under_review",
            routed: &[REVIEWER],
            steps: vec![
                step(Act::Ask, now, 200, "clarification_requested")
                    .log(&["clarification.asked", "lifecycle.clarification_requested"]),
                step(Act::Amend, h(1), 200, "under_review")
                    .log(&["lifecycle.under_review", "screening.admissible"]),
                step(Act::Sweep, d(10) + h(1), 200, "under_review")
                    .due(&[("respond_by", "overdue")])
                    .log(&["clock.expired"]),
            ],
        },
        Scenario {
            name: "e-Evidence: conflicting obligations dismissed by the issuing State's court (Art 17)",
            example: "eu-epoc-traffic.json",
            tweak: none,
            screened: "under_review",
            routed: &[REVIEWER],
            steps: vec![
                step(Act::Register("fr-tribunal-paris", "FR", "court"), now, 201, "under_review"),
                step(Act::ObjectConflict, h(1), 201, "under_review")
                    .log(&["conflict.objected", "reviewer.assigned"]),
                // The court of the issuing State reviews the order, not the request itself.
                step(Act::Decide("fr-tribunal-paris", "approved"), h(2), 403, "under_review"),
                // The answer's deadline is suspended with execution: nothing is overdue.
                step(Act::Move("approved"), d(11), 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
                step(Act::Produce, d(11), 409, "approved"),
                // The issuing authority may only withdraw; to maintain, its court decides.
                step(Act::DecideConflict("fr-tj-paris", "dismissed"), d(11), 403, "approved"),
                step(Act::DecideConflict("fr-tribunal-paris", "dismissed"), d(11), 200, "approved")
                    .log(&["conflict.decided"]),
                // Dismissed: the order proceeds, its answer due again after the order's 10 days.
                step(Act::Produce, d(12), 201, "producing").due(&[("respond_by", "overdue")]).log(&[
                    "lifecycle.producing",
                    "production.sealed",
                    "production.started",
                ]),
                step(Act::Sweep, d(22), 200, "producing")
                    .due(&[("respond_by", "overdue")])
                    .log(&["clock.expired"]),
            ],
        },
        Scenario {
            name: "e-Evidence: conflicting obligations upheld, the issuing authority withdraws (Art 17)",
            example: "eu-epoc-traffic.json",
            tweak: none,
            screened: "under_review",
            routed: &[REVIEWER],
            steps: vec![
                step(Act::ObjectConflict, h(1), 201, "under_review")
                    .log(&["conflict.objected", "reviewer.assigned"]),
                // A court of the provider's State does not decide it.
                step(Act::DecideConflict(REVIEWER, "upheld"), h(2), 403, "under_review"),
                step(Act::DecideConflict("fr-tj-paris", "upheld"), h(2), 200, "withdrawn")
                    .log(&["conflict.decided", "lifecycle.withdrawn"]),
                step(Act::ObjectConflict, h(3), 409, "withdrawn"),
            ],
        },
        Scenario {
            name: "e-Evidence: an appeal blocks production until a second body decides",
            example: "eu-epoc-traffic.json",
            tweak: none,
            screened: "under_review",
            routed: &[REVIEWER],
            steps: vec![
                step(Act::Register("ie-court-of-appeal", "IE", "court"), now, 201, "under_review"),
                step(Act::Move("approved"), now, 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
                step(Act::Appeal, now, 200, "appealed").log(&[
                    "appeal.lodged",
                    "lifecycle.appealed",
                    "reviewer.assigned",
                ]),
                step(Act::Produce, now, 409, "appealed"),
                step(Act::Decide(REVIEWER, "approved"), now, 403, "appealed"),
                step(Act::Decide("ie-court-of-appeal", "rejected"), d(1), 200, "rejected")
                    .log(&["decision.reasoned", "lifecycle.rejected"]),
            ],
        },
        Scenario {
            name: "CLOUD Act: reviewed by a court of the issuing side, then produced",
            example: "us-cloud-act-content.json",
            tweak: none,
            screened: "under_review",
            routed: &["gb-ipt"],
            steps: vec![
                step(Act::ObjectConflict, now, 409, "under_review"),
                step(Act::Move("approved"), now, 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
            ],
        },
        Scenario {
            name: "MLAT: the requested State's central authority decides",
            example: "mlat-content.json",
            tweak: none,
            screened: "under_review",
            routed: &["us-oia"],
            steps: vec![
                step(Act::Decide(REVIEWER, "approved"), now, 404, "under_review"),
                step(Act::Move("rejected"), now, 200, "rejected")
                    .log(&["decision.reasoned", "lifecycle.rejected"]),
            ],
        },
        Scenario {
            name: "national security: always a court, whatever the instrument",
            example: "mlat-content.json",
            tweak: national_security,
            screened: "under_review",
            // No court of the United States is registered yet: the request waits for one.
            routed: &[],
            steps: vec![
                step(Act::Register("us-dc-court", "US", "court"), now, 201, "under_review"),
                // The MLAT's central authority is not the court the purpose requires.
                step(Act::Assign("us-oia"), now, 422, "under_review"),
                step(Act::Assign("us-dc-court"), now, 201, "under_review").log(&["reviewer.assigned"]),
                step(Act::Decide("us-dc-court", "rejected"), h(1), 200, "rejected")
                    .log(&["decision.reasoned", "lifecycle.rejected"]),
            ],
        },
        Scenario {
            name: "Budapest: the requested State's court decides; its refusal is appealed",
            example: "coe-budapest-subscriber.json",
            tweak: none,
            screened: "under_review",
            routed: &["nl-rechtbank"],
            steps: vec![
                step(Act::Register("nl-gerechtshof", "NL", "court"), now, 201, "under_review"),
                step(Act::Move("rejected"), now, 200, "rejected")
                    .log(&["decision.reasoned", "lifecycle.rejected"]),
                step(Act::Appeal, h(1), 200, "appealed").log(&[
                    "appeal.lodged",
                    "lifecycle.appealed",
                    "reviewer.assigned",
                ]),
                step(Act::Decide("nl-gerechtshof", "approved"), d(1), 200, "approved").log(&[
                    "decision.reasoned",
                    "decision.scope",
                    "lifecycle.approved",
                ]),
            ],
        },
    ]
}

/// The kinds of a request's audit-log entries, reads left out.
async fn log_kinds(app: &TestApp, id: RequestId) -> Vec<String> {
    app.store
        .request_log(id)
        .await
        .unwrap()
        .iter()
        .filter_map(|r| {
            let entry = String::from_utf8_lossy(&r.entry).into_owned();
            let kind = entry.lines().find_map(|l| l.strip_prefix("kind: ")).map(str::to_owned);
            kind.filter(|k| !k.starts_with("read."))
        })
        .collect()
}

async fn act(app: &TestApp, id: &str, act: Act, at: DateTime<Utc>, doc: &Value) -> (u16, Value) {
    let path = |tail: &str| format!("/v1/requests/{id}/{tail}");
    match act {
        Act::Move(to) => app.move_to(id, to).await,
        Act::Decide(body, to) => app.token(body).move_to(id, to).await,
        Act::Appeal => {
            let appeal = json!({"to": "appealed", "reason": "the decision did not weigh Art 12(1)(a)"});
            let r = app.store.request(RequestId::parse(id).unwrap()).await.unwrap().unwrap();
            app.token(r.provider.as_str()).post(&path("transitions"), &appeal).await
        }
        Act::Sweep => {
            let sweep = app.app.sweep(at).await.unwrap();
            (200, json!(sweep.acted.len()))
        }
        Act::Produce => {
            app.prepare_production(id).await;
            app.produce(id, &export(), "retention_until=2030-12-31").await
        }
        Act::RaiseGrounds => {
            let grounds =
                json!({"grounds": ["ne_bis_in_idem"], "reasoning": "tried in Ireland for the same acts"});
            app.token("ie-enforcing").post(&path("grounds"), &grounds).await
        }
        Act::Extend => {
            let r = app.store.request(RequestId::parse(id).unwrap()).await.unwrap().unwrap();
            let body = json!({"reason": "a production order follows"});
            app.token(r.authority.as_str()).post(&path("preservation/extension"), &body).await
        }
        Act::ObjectConflict => {
            let r = app.store.request(RequestId::parse(id).unwrap()).await.unwrap().unwrap();
            let objection = json!({
                "third_country": "US",
                "law": "18 U.S.C. § 2702(a)",
                "reasoning": "the account's content is stored in the United States and held for a US person; \
                              US law forbids disclosing it to a foreign government outside an agreement"
            });
            app.token(r.provider.as_str()).post(&path("conflicting-obligations"), &objection).await
        }
        Act::DecideConflict(body, outcome) => {
            let decision =
                json!({"outcome": outcome, "reasoning": "weighed against the third country's law"});
            app.token(body).post(&path("conflicting-obligations/decision"), &decision).await
        }
        Act::Ask => {
            let r = app.store.request(RequestId::parse(id).unwrap()).await.unwrap().unwrap();
            let ask = json!({"to": "clarification_requested", "reason": "Annex III", "questions": [
                {"reason": "insufficient_information", "pointer": "/justification",
                 "question": "How is the account linked to the offence?"}]});
            app.token(r.provider.as_str()).post(&path("transitions"), &ask).await
        }
        Act::Amend => {
            let mut amended = doc.clone();
            amended["justification"] =
                "The account received the proceeds of 14 transfers between 2 and 19 May \
                                        2026, traced through the bank's records (annex 3 of the file)."
                    .into();
            let jws = app.sign(&amended);
            app.anonymous().post_raw(&path("amendments"), "application/jose", jws.into_bytes()).await
        }
        Act::Assign(body) => {
            let assign =
                json!({"reviewer": body, "reason": "the register held no competent body on screening"});
            app.admin().post(&path("reviewers"), &assign).await
        }
        Act::Register(body, country, kind) => {
            let party = json!({"id": body, "country": country, "kind": kind, "name": body});
            let answer = app.admin().post("/v1/admin/reviewers", &party).await;
            app.issue_token(body).await;
            answer
        }
    }
}

async fn every_instrument_walks_its_path(app: TestApp) {
    let mut wrong = Vec::new();
    for (n, scenario) in scenarios().into_iter().enumerate() {
        let mut doc = example(scenario.example);
        (scenario.tweak)(&mut doc);
        // Each scenario its own request, so that none is refused as a replay or counted
        // towards another's bulk.
        doc["issuing"]["reference"] = format!("REF-SCENARIO-{n}").into();
        let id = app.submit(&doc).await;
        let rid = RequestId::parse(&id).unwrap();
        let stored = app.store.request(rid).await.unwrap().unwrap();
        let t0 = stored.received_at;
        let mut fail = |what: String| wrong.push(format!("{}: {what}", scenario.name));
        if stored.state.as_str() != scenario.screened {
            fail(format!("screened into {}, not {}", stored.state, scenario.screened));
        }
        let (_, routed) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}/reviewers")).await;
        if routed["reviewers"] != json!(scenario.routed) {
            fail(format!("routed to {}, not {:?}", routed["reviewers"], scenario.routed));
        }
        let mut seen = log_kinds(&app, rid).await.len();
        for (i, s) in scenario.steps.iter().enumerate() {
            let at = t0 + s.at;
            let mut due: Vec<(String, String)> = app
                .app
                .deadlines(at)
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.clock.request_id == rid)
                .map(|d| (d.clock.kind.to_string(), d.outcome.to_string()))
                .collect();
            due.sort();
            let want: Vec<(String, String)> =
                s.due.iter().map(|(k, o)| ((*k).to_owned(), (*o).to_owned())).collect();
            let mut fail =
                |what: String| wrong.push(format!("{} (step {i}, {:?}): {what}", scenario.name, s.act));
            if due != want {
                fail(format!("`comity deadlines` at +{}h lists {due:?}, not {want:?}", s.at.num_hours()));
            }
            let (status, body) = act(&app, &id, s.act, at, &doc).await;
            if status != s.status {
                fail(format!("answered {status}, not {}: {body}", s.status));
            }
            let state = app.store.request(rid).await.unwrap().unwrap().state;
            if state.as_str() != s.state {
                fail(format!("left the request {state}, not {}", s.state));
            }
            let kinds = log_kinds(&app, rid).await;
            let mut added: Vec<String> = kinds[seen..].to_vec();
            added.sort();
            seen = kinds.len();
            if added != s.log {
                fail(format!("logged {added:?}, not {:?}", s.log));
            }
        }
    }
    assert!(wrong.is_empty(), "{} steps went otherwise:\n{}", wrong.len(), wrong.join("\n"));
}

//! The scenario table (`tests/scenarios.json`): each scenario is an example request with
//! an RFC 7396 patch, and the verdict and the failing or review rules a lawyer expects.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use comity_core::{PartyId, RequestId, Selector, SelectorType};
use comity_policy::{Outcome, Prior, Rule, screen};
use serde_json::Value;

use crate::{example, merge_patch, packs, repo};

/// Rules whose outcome never varies by design: they apply to every request of their pack.
const UNCONDITIONAL: [Rule; 3] =
    [Rule::NsIndependentReview, Rule::MlatCentralAuthority, Rule::MlatDualCriminality];

/// Rules that never refuse: their two directions are a field of the report (whether the
/// enforcing State must be notified), checked below.
const INFORMATIONAL: [Rule; 1] = [Rule::EuNotification];

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn history(received_at: DateTime<Utc>, v: Option<&Value>) -> Vec<Prior> {
    let Some(list) = v.and_then(Value::as_array) else { return Vec::new() };
    list.iter()
        .enumerate()
        .map(|(n, h)| {
            let at = received_at - Duration::days(h["days_ago"].as_i64().unwrap());
            Prior {
                disclosed: true,
                id: RequestId::new_at(at.timestamp_millis() as u64 + n as u64),
                received_at: at,
                authority: PartyId::parse(h["authority"].as_str().unwrap()).unwrap(),
                reference: h["reference"].as_str().unwrap().to_owned(),
                targets: h["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| {
                        let kind = SelectorType::parse(t[0].as_str().unwrap()).unwrap();
                        comity_policy::target_key(
                            &Selector::parse(kind, t[1].as_str().unwrap(), None).unwrap(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn every_scenario_gets_the_verdict_and_findings_a_lawyer_expects() {
    let table: Value = serde_json::from_slice(
        &std::fs::read(repo().join("crates/comity-policy/tests/scenarios.json")).unwrap(),
    )
    .unwrap();
    let received_at = time(&table["received_at"]).unwrap();
    let scenarios = table["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 80, "the table holds {} scenarios", scenarios.len());
    let packs = packs();
    let mut flagged_somewhere = BTreeSet::new();
    let mut outcomes: BTreeMap<Rule, BTreeSet<&'static str>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut notifications = BTreeSet::new();

    for s in scenarios {
        let name = s["name"].as_str().unwrap();
        let mut doc = example(s["base"].as_str().unwrap());
        merge_patch(&mut doc, &s["patch"]);
        let (_, request) = comity_wire::parse_request(&serde_json::to_vec(&doc).unwrap())
            .unwrap_or_else(|e| panic!("{name}: the scenario's document does not parse: {e}"));
        let pack = packs.for_request(&request).unwrap();
        // A scenario may be received at its own moment (the day an instrument applies).
        let received_at = s.get("received_at").and_then(time).unwrap_or(received_at);
        let report = screen(pack, &request, received_at, &history(received_at, s.get("history")));

        let mut problems = Vec::new();
        if let Some(id) = s.get("pack").and_then(Value::as_str)
            && report.pack.id != id
        {
            problems.push(format!("judged by pack {}, expected {id}", report.pack.id));
        }
        if report.verdict.as_str() != s["verdict"].as_str().unwrap() {
            problems.push(format!("verdict {}, expected {}", report.verdict.as_str(), s["verdict"]));
        }
        let got: BTreeMap<&str, &str> =
            report.flagged().map(|f| (f.rule.as_str(), f.outcome.as_str())).collect();
        let want: BTreeMap<&str, &str> = s["flagged"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        if got != want {
            problems.push(format!("flagged {got:?}, expected {want:?}"));
        }
        if let Some(n) = s.get("notification_required").and_then(Value::as_bool)
            && report.notification_required != n
        {
            problems.push(format!("notification_required {}, expected {n}", report.notification_required));
        }
        if let Some(reviewers) = s.get("required_review").and_then(Value::as_array) {
            let got: Vec<&str> = report.required_review.iter().map(|r| r.as_str()).collect();
            let want: Vec<&str> = reviewers.iter().map(|r| r.as_str().unwrap()).collect();
            if got != want {
                problems.push(format!("required_review {got:?}, expected {want:?}"));
            }
        }
        if let Some(expected) = s.get("deadlines") {
            let d = &report.deadlines;
            for (key, got) in [
                ("respond_by", d.respond_by),
                ("preservation_until", d.preservation_until),
                ("preservation_extended_until", d.preservation_extended_until),
                ("validation_due", d.validation_due),
                ("objection_window_end", d.objection_window_end),
            ] {
                if got != time(&expected[key]) {
                    problems.push(format!("{key} {got:?}, expected {}", expected[key]));
                }
            }
        }
        if let Some(n) = s.get("related").and_then(Value::as_u64) {
            let related =
                report.findings.iter().find(|f| f.rule == Rule::Bulk).map_or(0, |f| f.related.len());
            if related as u64 != n {
                problems.push(format!("the bulk finding lists {related} earlier requests, expected {n}"));
            }
        }
        if report.findings.iter().any(|f| f.rule == Rule::EuNotification && f.outcome == Outcome::Pass) {
            notifications.insert(report.notification_required);
        }
        // Every rule of the pack appears once, with a citation and a message.
        let listed: Vec<Rule> = report.findings.iter().map(|f| f.rule).collect();
        let pack_rules: Vec<Rule> = pack.rules.iter().map(|r| r.rule).collect();
        if listed != pack_rules {
            problems.push("the findings are not one per rule of the pack, in pack order".into());
        }
        for f in &report.findings {
            if f.citation.is_empty() || f.message.is_empty() {
                problems.push(format!("{} has no citation or no message", f.rule));
            }
            if matches!(f.outcome, Outcome::Fail | Outcome::Clarify | Outcome::Review) {
                flagged_somewhere.insert(f.rule);
            }
            outcomes.entry(f.rule).or_default().insert(f.outcome.as_str());
        }
        if !problems.is_empty() {
            failures.push(format!("{name}:\n    {}", problems.join("\n    ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios are wrong:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );

    // Every rule is exercised in both directions: it refuses, asks for clarification or asks
    // for review somewhere, and it has at least two different outcomes across the table
    // (pass and fail; or, for ns.instrument_scope, which no instrument simply passes, fail
    // and review).
    assert_eq!(notifications.len(), 2, "scenarios cover notification both required and not required");
    for rule in Rule::ALL {
        if INFORMATIONAL.contains(rule) {
            continue;
        }
        assert!(flagged_somewhere.contains(rule), "no scenario makes {rule} fail or ask for review");
        if !UNCONDITIONAL.contains(rule) {
            let seen = outcomes.get(rule).cloned().unwrap_or_default();
            assert!(seen.len() >= 2, "{rule} only ever has the outcomes {seen:?}");
        }
    }
}

//! Issue 13, item 9: a finding cites the exact provision that decided it, while the pack's
//! citation for the rule stays its scope; a missing element the authority can supply is
//! asked for (`clarify`), not refused; an instrument applies only from its date.

use chrono::{DateTime, Utc};
use comity_policy::{Outcome, PackSet, Rule, Verdict, screen};
use serde_json::{Value, json};

use crate::{example, merge_patch, packs};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Screens an example with a patch, as received at `received`, against the shipped packs.
fn screened(base: &str, patch: Value, received: &str) -> comity_policy::Report {
    let mut doc = example(base);
    merge_patch(&mut doc, &patch);
    let (_, request) = comity_wire::parse_request(&serde_json::to_vec(&doc).unwrap()).unwrap();
    let packs = packs();
    screen(packs.for_request(&request).unwrap(), &request, at(received), &[])
}

const AFTER: &str = "2026-11-26T10:00:00Z";

#[test]
fn a_finding_cites_the_provision_that_decided_it() {
    let no_validation = json!({"issuing": {"validated_by": null}});
    // (case, base, patch, rule, outcome, citation)
    let table: Vec<(&str, &str, Value, Rule, Outcome, &str)> = vec![
        (
            "prosecutor issuing a traffic order alone",
            "eu-epoc-traffic.json",
            no_validation.clone(),
            Rule::EuIssuer,
            Outcome::Fail,
            "Regulation (EU) 2023/1543 Art 4(2)",
        ),
        (
            "prosecutor issuing a subscriber order alone",
            "eu-epoc-traffic.json",
            json!({"issuing": {"validated_by": null}, "data_categories": ["subscriber"]}),
            Rule::EuIssuer,
            Outcome::Pass,
            "Regulation (EU) 2023/1543 Art 4(1)",
        ),
        (
            "police preservation without validation",
            "eu-epoc-pr-preservation.json",
            json!({"issuing": {"authority_type": "police", "validated_by": null}, "emergency": false}),
            Rule::EuIssuer,
            Outcome::Fail,
            "Regulation (EU) 2023/1543 Art 4(3)",
        ),
        (
            "emergency subscriber order by the police, to be validated",
            "eu-epoc-emergency-subscriber.json",
            json!({"issuing": {"authority_type": "police", "validated_by": null}}),
            Rule::EuIssuer,
            Outcome::Pass,
            "Regulation (EU) 2023/1543 Art 4(5)",
        ),
        (
            "traffic data for an offence of 24 months",
            "eu-epoc-traffic.json",
            json!({"offence": {"max_sentence_months": 24, "listed_category": null}}),
            Rule::EuOffenceThreshold,
            Outcome::Fail,
            "Regulation (EU) 2023/1543 Art 5(4)",
        ),
        (
            "traffic data without the maximum sentence",
            "eu-epoc-traffic.json",
            json!({"offence": {"max_sentence_months": null, "listed_category": null}}),
            Rule::EuOffenceThreshold,
            Outcome::Clarify,
            "Regulation (EU) 2023/1543 Art 5(4)",
        ),
        (
            "subscriber data for any offence",
            "eu-epoc-traffic.json",
            json!({"data_categories": ["subscriber"]}),
            Rule::EuOffenceThreshold,
            Outcome::Pass,
            "Regulation (EU) 2023/1543 Art 5(3)",
        ),
        (
            "no notification: offence and residence in the issuing State",
            "eu-epoc-traffic.json",
            json!({}),
            Rule::EuNotification,
            Outcome::Pass,
            "Regulation (EU) 2023/1543 Art 8(2)",
        ),
        (
            "notification: a target resides elsewhere",
            "eu-epoc-traffic.json",
            json!({"targets": [{"selector": {"type": "email", "value": "x@example.org"}, "residence_country": "DE"}]}),
            Rule::EuNotification,
            Outcome::Pass,
            "Regulation (EU) 2023/1543 Art 8(1), Art 12(1)",
        ),
        (
            "the date of application",
            "eu-epoc-traffic.json",
            json!({}),
            Rule::AppliesFrom,
            Outcome::Pass,
            "Regulation (EU) 2023/1543 Art 34(2)",
        ),
        (
            "Budapest preservation without the follow-up statement",
            "coe-budapest-subscriber.json",
            json!({"kind": "preservation", "mutual_assistance_to_follow": null}),
            Rule::CoePreservationFields,
            Outcome::Clarify,
            "ETS 185 Art 29(2)(f)",
        ),
        (
            "Budapest preservation without facts or follow-up",
            "coe-budapest-subscriber.json",
            json!({"kind": "preservation", "mutual_assistance_to_follow": false, "justification": ""}),
            Rule::CoePreservationFields,
            Outcome::Clarify,
            "ETS 185 Art 29(2)(b), (e); ETS 185 Art 29(2)(f)",
        ),
        (
            "Budapest content",
            "coe-budapest-subscriber.json",
            json!({"data_categories": ["content"]}),
            Rule::CoeOrderScope,
            Outcome::Fail,
            "CETS 224 Art 7(1), Art 8(1) (subscriber information and traffic data only)",
        ),
        (
            "Budapest traffic data",
            "coe-budapest-subscriber.json",
            json!({"data_categories": ["traffic"]}),
            Rule::CoeOrderScope,
            Outcome::Review,
            "CETS 224 Art 8(1)",
        ),
        (
            "Budapest subscriber information",
            "coe-budapest-subscriber.json",
            json!({}),
            Rule::CoeOrderScope,
            Outcome::Pass,
            "CETS 224 Art 7(1)",
        ),
        (
            "CLOUD Act order for a US person",
            "us-cloud-act-content.json",
            json!({"targets": [{"selector": {"type": "email", "value": "x@example.org"}, "us_person": true}]}),
            Rule::UsPersons,
            Outcome::Fail,
            "18 U.S.C. § 2523(b)(4)(A)",
        ),
        (
            "CLOUD Act order without the maximum sentence",
            "us-cloud-act-content.json",
            json!({"offence": {"max_sentence_months": null, "listed_category": null}}),
            Rule::UsSeriousCrime,
            Outcome::Clarify,
            "18 U.S.C. § 2523(b)(4)(D)(i); US–UK Data Access Agreement, definition of Serious Crime",
        ),
        (
            "e-Evidence used for national security",
            "eu-epoc-traffic.json",
            json!({"purpose": "national_security"}),
            Rule::NsInstrumentScope,
            Outcome::Fail,
            "Regulation (EU) 2023/1543 Art 1(1)",
        ),
        (
            "CLOUD Act used for national security",
            "us-cloud-act-content.json",
            json!({"purpose": "national_security"}),
            Rule::NsInstrumentScope,
            Outcome::Fail,
            "18 U.S.C. § 2523(b)(4)(D)(i)",
        ),
    ];
    let mut wrong = Vec::new();
    for (case, base, patch, rule, outcome, citation) in table {
        let report = screened(base, patch, AFTER);
        let f = report.findings.iter().find(|f| f.rule == rule).unwrap();
        if (f.outcome, f.citation.as_str()) != (outcome, citation) {
            wrong.push(format!(
                "{case}: {rule} {:?} citing {:?}, expected {outcome:?} citing {citation:?}",
                f.outcome, f.citation
            ));
        }
        let pack_citation = packs()
            .packs()
            .iter()
            .find(|p| p.id == report.pack.id)
            .unwrap()
            .citation(rule)
            .unwrap()
            .to_owned();
        if f.rule_citation != pack_citation {
            wrong.push(format!(
                "{case}: the rule's scope is {:?}, the pack cites {pack_citation:?}",
                f.rule_citation
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_pack_still_names_the_instrument_as_the_rules_scope() {
    let report = screened("eu-epoc-traffic.json", json!({"issuing": {"validated_by": null}}), AFTER);
    let f = report.findings.iter().find(|f| f.rule == Rule::EuIssuer).unwrap();
    assert_eq!(f.citation, "Regulation (EU) 2023/1543 Art 4(2)");
    assert_eq!(f.rule_citation, "Regulation (EU) 2023/1543 Art 4(1)-(3), Art 4(5)");
    // A rule that names no narrower provision is cited as the pack cites it.
    let j = report.findings.iter().find(|f| f.rule == Rule::Justification).unwrap();
    assert_eq!(j.citation, j.rule_citation);
}

#[test]
fn e_evidence_applies_from_18_august_2026() {
    // (received at, verdict, outcome of general.applies_from)
    let table = [
        ("2026-08-17T00:00:00Z", Verdict::Inadmissible, Outcome::Fail),
        ("2026-08-17T23:59:59Z", Verdict::Inadmissible, Outcome::Fail),
        ("2026-08-18T00:00:00Z", Verdict::Admissible, Outcome::Pass),
        ("2026-08-18T15:30:00Z", Verdict::Admissible, Outcome::Pass),
    ];
    for (received, verdict, outcome) in table {
        let report = screened("eu-epoc-traffic.json", json!({}), received);
        let f = report.findings.iter().find(|f| f.rule == Rule::AppliesFrom).unwrap();
        assert_eq!((report.verdict, f.outcome), (verdict, outcome), "received {received}: {}", f.message);
        assert_eq!(f.citation, "Regulation (EU) 2023/1543 Art 34(2)");
    }
    let before = screened("eu-epoc-traffic.json", json!({}), "2026-08-17T12:00:00Z");
    let f = before.findings.iter().find(|f| f.rule == Rule::AppliesFrom).unwrap();
    assert_eq!(
        f.message,
        "the request was received on 2026-08-17, before 2026-08-18, the day from which the instrument applies"
    );
}

#[test]
fn a_missing_element_is_asked_for_and_a_fail_still_wins() {
    // Budapest Art 29(2)(f): the statement that a mutual assistance request will follow.
    let report = screened(
        "coe-budapest-subscriber.json",
        json!({"kind": "preservation", "mutual_assistance_to_follow": null}),
        AFTER,
    );
    assert_eq!(report.verdict, Verdict::NeedsClarification);
    let f = report.findings.iter().find(|f| f.rule == Rule::CoePreservationFields).unwrap();
    assert_eq!(f.outcome, Outcome::Clarify);
    assert!(f.message.contains("mutual_assistance_to_follow: true"), "{}", f.message);
    // The same request from a State that is not a Party is refused: a fail outranks it.
    let report = screened(
        "coe-budapest-subscriber.json",
        json!({"kind": "preservation", "mutual_assistance_to_follow": null, "issuing": {"country": "IE"}}),
        AFTER,
    );
    assert_eq!(report.verdict, Verdict::Inadmissible);
    let parties = report.findings.iter().find(|f| f.rule == Rule::CoeParties).unwrap();
    assert_eq!(
        (parties.outcome, parties.message.as_str()),
        (Outcome::Fail, "IE is not a Party to the Convention on Cybercrime")
    );
    // A clarification outranks a review: the authority answers before a reviewer looks.
    let report = screened(
        "coe-budapest-subscriber.json",
        json!({"data_categories": ["traffic"], "justification": ""}),
        AFTER,
    );
    assert_eq!(report.verdict, Verdict::NeedsClarification);
    assert_eq!(Verdict::NeedsReview.as_str(), "needs_review");
    assert!(
        Verdict::NeedsReview < Verdict::NeedsClarification
            && Verdict::NeedsClarification < Verdict::Inadmissible
    );
}

const MINIMAL_EU: &str = r#"
id = "eu-e-evidence"
version = "1"
title = "t"
applies_to = { instrument = "eu-e-evidence" }
[settings]
applies_from = 2026-08-18
[[rule]]
id = "general.applies_from"
citation = "Regulation (EU) 2023/1543 Art 34(2)"
[[rule]]
id = "eu.issuer"
citation = "Regulation (EU) 2023/1543 Art 4"
[rule.provisions]
traffic_content = "Regulation (EU) 2023/1543 Art 4(2)"
"#;

#[test]
fn packs_cite_only_provisions_the_rule_decides_by_and_give_dates_as_dates() {
    let packs = PackSet::parse(&[("eu.toml", MINIMAL_EU)]).unwrap();
    let spec = &packs.packs()[0].rules[1];
    assert_eq!(spec.cite(&["traffic_content"]), "Regulation (EU) 2023/1543 Art 4(2)");
    // A provision the pack does not cite falls back to the rule's citation.
    assert_eq!(spec.cite(&["subscriber_identification"]), "Regulation (EU) 2023/1543 Art 4");
    assert_eq!(spec.cite(&[]), "Regulation (EU) 2023/1543 Art 4");

    let check = |text: &str, says: &str| {
        let err = PackSet::parse(&[("bad.toml", text)]).unwrap_err().to_string();
        assert!(err.starts_with("bad.toml: ") && err.contains(says), "{err} should say {says}");
    };
    check(&MINIMAL_EU.replace("traffic_content =", "art_4_2 ="), "names no provision \"art_4_2\"");
    check(&MINIMAL_EU.replace("= \"Regulation (EU) 2023/1543 Art 4(2)\"", "= \" \""), "no citation");
    check(&MINIMAL_EU.replace("applies_from = 2026-08-18", "applies_from = \"2026-08-18\""), "applies_from");
    check(
        &MINIMAL_EU.replace("applies_from = 2026-08-18", "applies_from = 2026-08-18T00:00:00Z"),
        "applies_from",
    );

    // The date of application is the law's: a house file cannot move it.
    let house = "pack = \"eu-e-evidence\"\n[settings]\napplies_from = 2026-01-01\n";
    let err = packs.with_house("house.toml", house).unwrap_err().to_string();
    assert!(err.contains("applies_from is set by law"), "{err}");
}

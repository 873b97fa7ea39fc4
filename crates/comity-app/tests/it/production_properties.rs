//! Issue 6's property tests of the production pipeline, on random exports: no third-party
//! identifier from the structured fields survives anywhere in a production; every
//! in-scope target record is present; nothing out of scope is.
//!
//! The exports mix targets and third parties in every party field of every kind, mention
//! them in free text (identifiers as written, phone numbers spaced as people write them,
//! display names), and spread records over accounts, times and categories in and out of
//! the decision's scope.

use chrono::{DateTime, Duration, TimeZone, Utc};
use comity_app::production::{
    pipeline,
    records::{Redactor, Targets, masker},
};
use comity_core::{DataCategory, production::Scope};
use comity_redact::{NationalIds, PhoneRegions, Pseudonyms};
use proptest::prelude::*;
use serde_json::{Value, json};

const TARGETS: [&str; 2] = ["invest.desk@example.org", "Second.Target@Example.org"];
const FIRST: [&str; 8] = ["Claire", "Marek", "Ines", "Tomasz", "Aoife", "Jurgen", "Olufemi", "Sakura"];
const LAST: [&str; 8] =
    ["Bernard", "Kowalczyk", "Oyelaran", "Nakashima", "Ferreira", "Lindqvist", "Murphy", "Dubois"];
/// Filler words, none of which holds a name, an address or a number.
const WORDS: [&str; 10] =
    ["bonjour", "the", "transfer", "meeting", "tomorrow", "ok", "see", "invoice", "merci", "call"];

/// A third party: an e-mail address, a phone number (E.164) and a display name.
#[derive(Debug, Clone)]
struct Person {
    email: String,
    phone: String,
    name: String,
}

fn person() -> impl Strategy<Value = Person> {
    (0..8usize, 0..8usize, 0..1000u32, 0..100_000u32).prop_map(|(f, l, n, p)| Person {
        email: format!("{}.{}{n}@mail{}.example.net", FIRST[f].to_lowercase(), LAST[l].to_lowercase(), n % 7),
        phone: format!("+336{:08}", p * 997 % 100_000_000),
        name: format!("{} {}", FIRST[f], LAST[l]),
    })
}

/// Who a party field names: a target (by index) or a third party (by index).
#[derive(Debug, Clone, Copy)]
enum Who {
    Target(usize),
    Third(usize),
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![1 => (0..2usize).prop_map(Who::Target), 3 => (0..12usize).prop_map(Who::Third)]
}

fn party(w: Who, people: &[Person], by_phone: bool) -> Value {
    match w {
        Who::Target(i) => json!({"address": TARGETS[i], "name": "Target"}),
        Who::Third(i) => {
            let p = &people[i % people.len()];
            if by_phone {
                json!({"number": p.phone, "name": p.name})
            } else {
                json!({"address": p.email, "name": p.name})
            }
        }
    }
}

/// A phone number as people write it: `+33 6 12 34 56 78`.
fn spaced(phone: &str) -> String {
    let d = &phone[3..];
    format!("+33 {} {} {} {} {}", &d[..1], &d[1..3], &d[3..5], &d[5..7], &d[7..9])
}

/// Free text mentioning some of the people (by e-mail, spaced phone number or name) and
/// a target, among filler words.
fn text(mentions: &[(Who, u8)], people: &[Person], filler: &[usize]) -> String {
    let mut out: Vec<String> = filler.iter().map(|w| WORDS[*w % WORDS.len()].to_owned()).collect();
    for (k, (w, how)) in mentions.iter().enumerate() {
        let said = match w {
            Who::Target(i) => TARGETS[*i].to_owned(),
            Who::Third(i) => {
                let p = &people[i % people.len()];
                match how % 3 {
                    0 => p.email.clone(),
                    1 => spaced(&p.phone),
                    _ => p.name.clone(),
                }
            }
        };
        out.insert(k.min(out.len()), format!("{said},"));
    }
    out.join(" ")
}

#[derive(Debug, Clone)]
struct Spec {
    account: usize,
    kind: usize,
    category: usize,
    day: i64,
    parties: Vec<Who>,
    mentions: Vec<(Who, u8)>,
    filler: Vec<usize>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..3usize,
        0..6usize,
        0..4usize,
        -20..80i64,
        prop::collection::vec(who(), 1..4),
        prop::collection::vec((who(), any::<u8>()), 0..4),
        prop::collection::vec(0..10usize, 0..6),
    )
        .prop_map(|(account, kind, category, day, parties, mentions, filler)| Spec {
            account,
            kind,
            category,
            day,
            parties,
            mentions,
            filler,
        })
}

const CATEGORIES: [&str; 4] = ["subscriber", "identification", "traffic", "content"];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).single().unwrap()
}

/// One record of the export, from its spec.
fn record(s: &Spec, people: &[Person]) -> Value {
    let account = match s.account {
        0 | 1 => TARGETS[s.account].to_uppercase(), // a target, in another spelling
        _ => people[0].email.clone(),               // a third party's own account
    };
    let time = (start() + Duration::days(s.day) + Duration::minutes(7)).to_rfc3339();
    let p = |i: usize| party(s.parties[i % s.parties.len()], people, i % 2 == 1);
    let all: Vec<Value> = (0..s.parties.len()).map(p).collect();
    let t = text(&s.mentions, people, &s.filler);
    let (kind, data) = match s.kind {
        0 => (
            "message",
            json!({"id": "m1", "direction": "sent", "from": p(0), "to": all, "cc": [p(1)], "size": 10, "subject": t.clone(), "body": t}),
        ),
        1 => ("call", json!({"from": p(0), "to": p(1), "duration_seconds": 60, "type": "voice"})),
        2 => ("file", json!({"name": "notes.txt", "size": 3, "sha256": "00", "shared_with": all, "text": t})),
        3 => ("contact", json!({"contact": p(0), "note": t})),
        4 => ("profile", json!({"name": "Target", "email": TARGETS[0], "recovery": p(1), "address": t})),
        _ => (
            "login",
            json!({"ip": "203.0.113.5", "port": 443, "device": "phone", "user_agent": t, "result": "success"}),
        ),
    };
    json!({"account": account, "kind": kind, "category": CATEGORIES[s.category], "time": time, "data": data})
}

/// Every identifier and display name a record's party fields name.
fn named(record: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["from", "to", "cc", "bcc", "recovery", "contact", "shared_with"] {
        let parties = match &record["data"][field] {
            Value::Array(items) => items.clone(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => continue,
        };
        for p in parties {
            out.extend(
                ["address", "number", "name"].iter().filter_map(|k| p[*k].as_str().map(str::to_owned)),
            );
        }
    }
    out
}

/// The decision's scope: both targets or the first, May and June 2026, some categories.
fn scope(both: bool, categories: &[usize]) -> Scope {
    let mut doc: Value =
        serde_json::from_str(include_str!("../../../../examples/requests/eu-epoc-traffic.json")).unwrap();
    doc["targets"] =
        json!(TARGETS.iter().map(|t| json!({"selector": {"type": "email", "value": t}})).collect::<Vec<_>>());
    doc["data_categories"] = json!(CATEGORIES);
    let (_, request) = comity_wire::parse_request(doc.to_string().as_bytes()).unwrap();
    let targets: Vec<String> =
        if both { TARGETS.map(str::to_owned).to_vec() } else { vec![TARGETS[0].to_owned()] };
    let mut kept: Vec<DataCategory> =
        categories.iter().map(|c| DataCategory::parse(CATEGORIES[*c]).unwrap()).collect();
    kept.sort();
    kept.dedup();
    let window =
        comity_core::TimeWindow::new(start(), Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).single().unwrap())
            .unwrap();
    Scope::of_request(&request).narrow(Some(&targets), Some(window), Some(&kept)).unwrap()
}

/// Runs both passes over `export`, as a production does.
fn produce(export: &[u8], scope: &Scope) -> (u64, Vec<Value>) {
    let targets = Targets::new(scope);
    let pseudonyms = Pseudonyms::generate();
    let survey = pipeline::survey(export, &targets, &pseudonyms, false, &mut |_| {}).unwrap();
    let masker = masker(&targets, &survey.parties, NationalIds::default(), PhoneRegions::default()).unwrap();
    let redactor = Redactor { targets: &targets, parties: &survey.parties, masker: &masker };
    let mut out = Vec::new();
    let written = pipeline::write_records(export, &redactor, &mut out, &mut |_| {}).unwrap();
    assert_eq!(written.records, survey.in_scope);
    let records =
        std::str::from_utf8(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (survey.in_scope, records)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn only_the_scope_leaves_and_no_third_party_survives(
        people in prop::collection::vec(person(), 12),
        specs in prop::collection::vec(spec(), 1..40),
        both in any::<bool>(),
        categories in prop::collection::vec(0..4usize, 1..4),
    ) {
        let scope = scope(both, &categories);
        let records: Vec<Value> = specs.iter().map(|s| record(s, &people)).collect();
        let export: String = records.iter().map(|r| format!("{r}\n")).collect();
        let (_, produced) = produce(export.as_bytes(), &scope);

        // Exactly the in-scope records, in order: the scope is worked out here, by hand.
        let kept_targets: Vec<String> =
            if both { TARGETS.iter().map(|t| t.to_lowercase()).collect() } else { vec![TARGETS[0].to_owned()] };
        let expected: Vec<(&Value, &Spec)> = records
            .iter()
            .zip(&specs)
            .filter(|(r, s)| {
                kept_targets.contains(&r["account"].as_str().unwrap().to_lowercase())
                    && (0..61).contains(&s.day)
                    && categories.contains(&s.category)
            })
            .collect();
        prop_assert_eq!(produced.len(), expected.len());
        for (out, (source, _)) in produced.iter().zip(&expected) {
            prop_assert_eq!(&out["account"], &source["account"]);
            prop_assert_eq!(&out["kind"], &source["kind"]);
            prop_assert_eq!(&out["category"], &source["category"]);
        }

        // No third party named in the in-scope records' party fields survives, by address,
        // number (as written or spaced) or display name.
        let text = produced.iter().map(Value::to_string).collect::<Vec<_>>().join("\n").to_lowercase();
        for (source, _) in &expected {
            for p in named(source) {
                if kept_targets.contains(&p.to_lowercase()) || p == "Target" {
                    continue;
                }
                let mut leaks = vec![p.to_lowercase()];
                if p.starts_with("+33") {
                    leaks.push(spaced(&p));
                }
                for leak in leaks {
                    prop_assert!(!text.contains(&leak), "{} survives in {}", leak, text);
                }
            }
        }
        // The kept targets' own identifiers stay where the export put them.
        for out in &produced {
            prop_assert!(kept_targets.contains(&out["account"].as_str().unwrap().to_lowercase()));
        }
    }
}

#[test]
fn a_production_of_nothing_in_scope_is_empty_and_says_so() {
    let scope = scope(false, &[2]);
    let export = format!(
        "{}\n",
        json!({"account": "someone@example.org", "kind": "call", "category": "traffic",
               "time": "2026-05-02T00:00:00Z", "data": {"from": {"number": "+33612345678"}}})
    );
    let (in_scope, produced) = produce(export.as_bytes(), &scope);
    assert_eq!((in_scope, produced.len()), (0, 0));
}

/// A record of the example's shape: a message from `from` to the first target, with a body
/// of about `body` bytes, numbered by its id.
fn message(n: usize, from: &str, body: usize) -> String {
    let filler = "merci pour la réunion de demain, à bientôt. ".repeat(body / 45 + 1);
    format!(
        "{}\n",
        json!({"account": TARGETS[0], "kind": "message", "category": "content",
               "time": "2026-05-02T10:00:00Z",
               "data": {"id": format!("m{n}"), "direction": "received",
                        "from": {"address": from, "name": "Claire Bernard"},
                        "to": [{"address": TARGETS[0]}], "body": filler}})
    )
}

/// An export of several MiB is read in blocks on every core; what leaves is every record
/// in the export's order, a third party keeps one pseudonym from the first block to the
/// last, and progress runs up to the export's size.
#[test]
fn an_export_of_many_blocks_is_produced_in_order() {
    let scope = scope(false, &[0, 1, 2, 3]);
    let mut export = String::new();
    for n in 0..6_000 {
        let from = if n % 2 == 0 { "claire.bernard@mail1.example.net" } else { "marek@mail2.example.net" };
        export.push_str(&message(n, from, 900));
        if n % 1_000 == 7 {
            export.push('\n'); // an empty line is no record, but is counted
        }
    }
    assert!(export.len() > 5 * 1024 * 1024, "several blocks");
    let targets = Targets::new(&scope);
    let pseudonyms = Pseudonyms::generate();
    let mut seen = Vec::new();
    let survey =
        pipeline::survey(export.as_bytes(), &targets, &pseudonyms, false, &mut |n| seen.push(n)).unwrap();
    assert_eq!((survey.records, survey.in_scope, survey.parties.len()), (6_000, 6_000, 2));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows");
    assert_eq!(seen.last().copied(), Some(export.len() as u64));
    use sha2::Digest;
    assert_eq!(survey.sha256, <[u8; 32]>::from(sha2::Sha256::digest(export.as_bytes())));

    let masker = masker(&targets, &survey.parties, NationalIds::default(), PhoneRegions::default()).unwrap();
    let redactor = Redactor { targets: &targets, parties: &survey.parties, masker: &masker };
    let mut out = Vec::new();
    let written = pipeline::write_records(export.as_bytes(), &redactor, &mut out, &mut |_| {}).unwrap();
    assert_eq!(written.records, 6_000);
    let produced: Vec<Value> =
        std::str::from_utf8(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = produced.iter().map(|r| r["data"]["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..6_000).map(|n| format!("m{n}")).collect();
    assert_eq!(ids, expected, "the records leave in the export's order");
    let pseudonym = |r: &Value| r["data"]["from"]["address"].as_str().unwrap().to_owned();
    assert_ne!(pseudonym(&produced[0]), "claire.bernard@mail1.example.net");
    assert_eq!(
        pseudonym(&produced[0]),
        pseudonym(&produced[5_998]),
        "one pseudonym from first block to last"
    );
    assert_ne!(pseudonym(&produced[0]), pseudonym(&produced[1]));
}

/// Bad lines anywhere in a large export are named by their line numbers, in order, the
/// first twenty of them, with how many there are in all; a line past the limit is named.
#[test]
fn bad_lines_in_any_block_are_named_by_number() {
    let scope = scope(false, &[0, 1, 2, 3]);
    let targets = Targets::new(&scope);
    let pseudonyms = Pseudonyms::generate();
    let mut export = String::new();
    let mut bad = Vec::new();
    for line in 1..=8_000u64 {
        if line % 300 == 0 {
            export.push_str("{\"account\": \"nobody\"}\n");
            bad.push(line);
        } else {
            export.push_str(&message(line as usize, "claire.bernard@mail1.example.net", 700));
        }
    }
    let e = pipeline::survey(export.as_bytes(), &targets, &pseudonyms, false, &mut |_| {}).unwrap_err();
    let pipeline::ExportError::Records { problems, total } = e else { panic!("bad lines: {e}") };
    assert_eq!(total, bad.len() as u64);
    let numbers: Vec<u64> = problems.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, bad[..20].to_vec());
    assert!(problems.iter().all(|(_, why)| why.contains("`kind` is missing")), "{problems:?}");

    // A line longer than the limit, after two blocks of good ones.
    let mut export = String::new();
    for n in 0..3_000 {
        export.push_str(&message(n, "claire.bernard@mail1.example.net", 700));
    }
    export.push_str(&"x".repeat(pipeline::MAX_LINE_BYTES + 1));
    export.push('\n');
    let e = pipeline::survey(export.as_bytes(), &targets, &pseudonyms, false, &mut |_| {}).unwrap_err();
    let pipeline::ExportError::Records { problems, total } = e else { panic!("a long line: {e}") };
    assert_eq!((total, problems[0].0), (1, 3_001));
    assert!(problems[0].1.contains("longer than 16 MiB"), "{problems:?}");
}

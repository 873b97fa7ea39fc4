//! Monotonicity: asking for more never makes a request more admissible.

use chrono::{DateTime, Duration, Utc};
use comity_core::{DataCategory, Selector, SelectorType, Target, TimeWindow};
use comity_policy::{Verdict, screen};
use proptest::prelude::*;

use crate::packs;

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z").unwrap().with_timezone(&Utc)
}

/// A request drawn from the examples, with some of its constraints loosened or tightened
/// so that every verdict occurs.
fn arb_request() -> impl Strategy<Value = comity_core::Request> {
    let docs = crate::examples();
    (0..docs.len(), any::<bool>(), any::<bool>(), prop::option::of(0u32..80), 0u8..4).prop_map(
        move |(i, emergency, drop_validation, sentence, authority)| {
            let mut doc = docs[i].clone();
            doc["emergency"] = emergency.into();
            if drop_validation {
                doc["issuing"].as_object_mut().unwrap().remove("validated_by");
            }
            doc["offence"]["max_sentence_months"] = sentence.into();
            doc["issuing"]["authority_type"] =
                ["judge", "prosecutor", "police", "security_service"][authority as usize].into();
            comity_wire::parse_request(&serde_json::to_vec(&doc).unwrap()).unwrap().1
        },
    )
}

fn arb_selector() -> impl Strategy<Value = Selector> {
    (0..SelectorType::ALL.len(), "[a-z]{1,12}").prop_map(|(k, v)| {
        let kind = SelectorType::ALL[k];
        let value = match kind {
            SelectorType::Email => format!("{v}@example.org"),
            SelectorType::Phone => "+33612345678".to_owned(),
            SelectorType::Ip => "203.0.113.9".to_owned(),
            SelectorType::Domain => format!("{v}.example"),
            _ => v,
        };
        Selector::parse(kind, &value, None).unwrap()
    })
}

fn verdict(r: &comity_core::Request) -> Verdict {
    static PACKS: std::sync::OnceLock<comity_policy::PackSet> = std::sync::OnceLock::new();
    let packs = PACKS.get_or_init(packs);
    screen(packs.for_request(r).unwrap(), r, received(), &[]).verdict
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn adding_a_target_never_makes_a_request_more_admissible(r in arb_request(), s in arb_selector(), role in any::<bool>()) {
        let before = verdict(&r);
        let mut more = r.clone();
        if !more.targets.iter().any(|t| t.selector == s) {
            more.targets.push(Target {
                selector: s,
                residence_country: None,
                located_in: None,
                us_person: None,
                protected_role: role.then_some(comity_core::ProtectedRole::Journalist),
            });
        }
        prop_assert!(verdict(&more) >= before, "{:?} became {:?}", before, verdict(&more));
    }

    #[test]
    fn widening_the_window_never_makes_a_request_more_admissible(r in arb_request(), earlier in 0i64..800, later in 0i64..800) {
        let before = verdict(&r);
        let mut wider = r.clone();
        let w = r.time_window;
        wider.time_window = TimeWindow::new(w.from() - Duration::days(earlier), w.to() + Duration::days(later)).unwrap();
        prop_assert!(verdict(&wider) >= before);
    }

    #[test]
    fn adding_a_category_never_makes_a_request_more_admissible(r in arb_request(), c in 0..DataCategory::ALL.len()) {
        let before = verdict(&r);
        let mut more = r.clone();
        let category = DataCategory::ALL[c];
        if !more.data_categories.contains(&category) {
            more.data_categories.push(category);
        }
        prop_assert!(verdict(&more) >= before);
    }
}

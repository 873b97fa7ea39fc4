//! The packs as files: they load, they are versioned and hashed, and house files can
//! only tighten them.

use comity_core::{Instrument, Purpose};
use comity_policy::{AppliesTo, Outcome, PackError, PackSet, Rule, screen};

use crate::{example, packs};

#[test]
fn the_five_packs_load_with_versions_hashes_and_cited_rules() {
    let packs = packs();
    let mut ids: Vec<&str> = packs.packs().iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["coe-budapest", "eu-e-evidence", "mlat", "national-security", "us-cloud-act"]);
    for p in packs.packs() {
        assert!(!p.version.is_empty());
        assert_eq!(p.hash.len(), 64, "{}: a SHA-256 in hex", p.id);
        assert!(p.rules.iter().all(|r| !r.citation.is_empty()));
    }
    for i in Instrument::ALL {
        assert!(packs.packs().iter().any(|p| p.applies_to == AppliesTo::Instrument(*i)), "no pack for {i}");
    }
    assert!(packs.packs().iter().any(|p| p.applies_to == AppliesTo::Purpose(Purpose::NationalSecurity)));
}

#[test]
fn the_builtin_packs_are_the_files_in_policies() {
    let builtin = PackSet::builtin().unwrap();
    let mut a: Vec<(&str, &str)> = builtin.packs().iter().map(|p| (p.id.as_str(), p.hash.as_str())).collect();
    let from_disk = packs();
    let mut b: Vec<(&str, &str)> =
        from_disk.packs().iter().map(|p| (p.id.as_str(), p.hash.as_str())).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "a pack was added to policies/ but not to BUILTIN_PACKS, or the reverse");
}

#[test]
fn a_report_records_the_pack_that_judged_it() {
    let packs = packs();
    let (_, request) =
        comity_wire::parse_request(&serde_json::to_vec(&example("eu-epoc-traffic.json")).unwrap()).unwrap();
    let pack = packs.for_request(&request).unwrap();
    let report = screen(pack, &request, chrono::Utc::now(), &[]);
    assert_eq!((report.pack.id.as_str(), report.pack.version.as_str()), ("eu-e-evidence", "2026.3"));
    assert_eq!(report.pack.hash, pack.hash);
}

const MINIMAL: &str = r#"
id = "mlat"
version = "1"
title = "t"
applies_to = { instrument = "mlat" }
[settings]
max_targets = 10
dual_criminality = false
sensitive_terms = ["religion"]
[[rule]]
id = "mlat.dual_criminality"
citation = "treaty"
[[rule]]
id = "general.max_targets"
citation = "treaty"
"#;

#[test]
fn house_files_only_tighten() {
    let base = PackSet::parse(&[("mlat.toml", MINIMAL)]).unwrap();
    let stricter = "pack = \"mlat\"\n[settings]\nmax_targets = 3\ndual_criminality = true\nsensitive_terms = [\"protest\"]\n";
    let tightened = base.clone().with_house("house.toml", stricter).unwrap();
    let pack = &tightened.packs()[0];
    assert_eq!(pack.settings.max_targets, 3);
    assert!(pack.settings.dual_criminality);
    assert_eq!(
        pack.settings.sensitive_terms,
        ["religion", "protest"],
        "house terms are added, not substituted"
    );
    assert_eq!(pack.version, "1+house");
    assert_ne!(pack.hash, base.packs()[0].hash, "the hash covers the house file");

    let looser = "pack = \"mlat\"\n[settings]\nmax_targets = 50\n";
    let err = base.clone().with_house("house.toml", looser).unwrap_err();
    assert!(matches!(err, PackError::Looser { setting: "max_targets", .. }), "{err}");
    let law = "pack = \"mlat\"\n[settings]\nrespond_days = 5\n";
    assert!(base.clone().with_house("house.toml", law).unwrap_err().to_string().contains("set by law"));
    let other = "pack = \"eu-e-evidence\"\n[settings]\nmax_targets = 1\n";
    assert!(base.with_house("house.toml", other).unwrap_err().to_string().contains("no pack"));
}

#[test]
fn dual_criminality_is_a_setting() {
    let packs = PackSet::parse(&[("mlat.toml", MINIMAL)]).unwrap();
    let (_, request) =
        comity_wire::parse_request(&serde_json::to_vec(&example("mlat-content.json")).unwrap()).unwrap();
    let report = screen(packs.for_request(&request).unwrap(), &request, chrono::Utc::now(), &[]);
    assert_eq!(report.findings[0].rule, Rule::MlatDualCriminality);
    assert_eq!(report.findings[0].outcome, Outcome::NotApplicable);
}

#[test]
fn malformed_packs_are_refused_with_the_file_and_the_reason() {
    let check = |text: &str, says: &str| {
        let err = PackSet::parse(&[("bad.toml", text)]).unwrap_err().to_string();
        assert!(err.starts_with("bad.toml: "), "{err}");
        assert!(err.contains(says), "{err} should say {says}");
    };
    check(&MINIMAL.replace("mlat.dual_criminality", "mlat.no_such_rule"), "unknown rule");
    check(&MINIMAL.replace("citation = \"treaty\"\n[[rule]]", "citation = \"\"\n[[rule]]"), "no citation");
    check(&MINIMAL.replace("max_targets = 10", "max_targets = -1"), "max_targets");
    check(&MINIMAL.replace("instrument = \"mlat\"", "instrument = \"interpol\""), "unknown instrument");
    check(&MINIMAL.replace("general.max_targets", "mlat.dual_criminality"), "listed twice");
    check(&MINIMAL.replace("max_targets = 10", "max_targetz = 10"), "unknown field");
    let two = PackSet::parse(&[("a.toml", MINIMAL), ("b.toml", MINIMAL)]).unwrap_err().to_string();
    assert!(two.contains("same ground"), "{two}");
}

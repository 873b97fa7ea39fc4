//! `diff` on the real packs of `policies/`, each changed as a pull request would change it
//! (issue 16, item 8): a reviewer sees each change rule by rule, with its citation and the
//! settings it reads.

use comity_policy::{Change, FieldChange, Pack, PackDiff, Rule, SettingValue, diff};

use crate::repo;

/// The text of a pack of `policies/`.
fn text(file: &str) -> String {
    std::fs::read_to_string(repo().join("policies").join(file)).unwrap()
}

fn parse(text: &str) -> Pack {
    Pack::parse("pack.toml", text).unwrap()
}

/// The pack of `file`, and the same pack with `edit` applied to its text (which must change it).
fn edited(file: &str, edit: impl Fn(&str) -> String) -> PackDiff {
    let before = text(file);
    let after = edit(&before);
    assert_ne!(before, after, "the edit changes nothing in {file}");
    diff(&parse(&before), &parse(&after))
}

fn field(field: &str, old: Option<&str>, new: Option<&str>) -> FieldChange {
    FieldChange { field: field.to_owned(), old: old.map(str::to_owned), new: new.map(str::to_owned) }
}

/// Removes the `[[rule]]` table of `id` (up to the next table).
fn without_rule(text: &str, id: &str) -> String {
    let start = text.find(&format!("[[rule]]\nid = \"{id}\"")).unwrap();
    let end = text[start + 8..].find("\n[[").map_or(text.len(), |n| start + 8 + n + 1);
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn a_pack_against_itself_is_equal() {
    for file in [
        "eu-e-evidence.toml",
        "us-cloud-act.toml",
        "coe-budapest.toml",
        "mlat.toml",
        "national-security.toml",
    ] {
        let pack = parse(&text(file));
        let d = diff(&pack, &pack);
        assert!(d.is_empty(), "{file}: {d:?}");
        assert_eq!(d.from, d.to);
    }
}

#[test]
fn a_rule_removed_is_listed_with_its_citation_and_the_settings_it_read() {
    let d = edited("eu-e-evidence.toml", |t| without_rule(t, "general.bulk"));
    assert_eq!(d.rules.len(), 1, "{:?}", d.rules);
    let r = &d.rules[0];
    assert_eq!((r.rule, r.change), (Rule::Bulk, Change::Removed));
    assert_eq!(
        r.citation,
        "Regulation (EU) 2023/1543 Art 5(2); seed norms: many narrow requests that add up to bulk"
    );
    assert_eq!(
        r.settings,
        [("bulk_period_days", SettingValue::Number(30)), ("bulk_max_targets", SettingValue::Number(25))]
    );
    // The settings themselves did not change; the text did.
    assert!(d.settings.is_empty(), "{:?}", d.settings);
    assert_eq!(d.metadata.iter().map(|m| m.field.as_str()).collect::<Vec<_>>(), ["hash"]);
    assert!(!d.is_empty());
}

#[test]
fn a_rule_added_is_listed_with_the_pack_that_now_applies_it() {
    // The CLOUD Act pack has no date from which it applies; a change adds the rule.
    let d = edited("us-cloud-act.toml", |t| {
        format!("{t}\n[[rule]]\nid = \"general.applies_from\"\ncitation = \"US-UK Agreement Art 16\"\n")
    });
    assert_eq!(d.rules.len(), 1, "{:?}", d.rules);
    let added = &d.rules[0];
    assert_eq!((added.rule, added.change), (Rule::AppliesFrom, Change::Added));
    assert_eq!(added.citation, "US-UK Agreement Art 16");
    assert_eq!(added.settings, [("applies_from", SettingValue::Unset)], "the setting it will read");
}

#[test]
fn a_setting_changed_shows_old_and_new_and_each_rule_that_reads_it() {
    let d = edited("eu-e-evidence.toml", |t| t.replace("max_window_days = 366", "max_window_days = 180"));
    assert_eq!(d.settings.len(), 1, "{:?}", d.settings);
    let s = &d.settings[0];
    assert_eq!(
        (s.setting, &s.old, &s.new),
        ("max_window_days", &SettingValue::Number(366), &SettingValue::Number(180))
    );
    assert_eq!(
        s.read_by,
        [(Rule::TimeWindow, "Regulation (EU) 2023/1543 Art 5(2); comity setting max_window_days".to_owned())]
    );
    // The rule that reads it is listed as changed, with the value.
    assert_eq!(d.rules.len(), 1);
    assert_eq!((d.rules[0].rule, d.rules[0].change), (Rule::TimeWindow, Change::Changed));
    assert_eq!(d.rules[0].changes, [field("settings.max_window_days", Some("366"), Some("180"))]);
}

#[test]
fn a_setting_of_several_rules_changes_each_of_them() {
    // The Budapest Parties are the `coe.parties` rule's; dropping one changes that rule.
    let d = edited("coe-budapest.toml", |t| t.replace("\"CH\", ", ""));
    let names: Vec<&str> = d.settings.iter().map(|s| s.setting).collect();
    assert_eq!(names, ["issuing_states", "addressee_states"]);
    for s in &d.settings {
        assert_eq!(s.removed(), ["CH"]);
        assert!(s.added().is_empty());
        assert_eq!(s.read_by.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [Rule::CoeParties]);
    }
    assert_eq!(d.rules.len(), 1);
    assert_eq!(d.rules[0].changes.len(), 2, "{:?}", d.rules[0].changes);
}

#[test]
fn a_list_reordered_is_no_change_and_an_item_added_is_named() {
    let d = edited("mlat.toml", |t| t.replace("\"religion\", \"religious\"", "\"religious\", \"religion\""));
    assert!(d.settings.is_empty(), "order does not matter: {:?}", d.settings);
    assert!(d.rules.is_empty());

    let d = edited("mlat.toml", |t| t.replace("\"transgender\",", "\"transgender\", \"asylum\","));
    assert_eq!(d.settings[0].setting, "sensitive_terms");
    assert_eq!(d.settings[0].added(), ["asylum"]);
    assert_eq!(d.rules[0].rule, Rule::SensitiveGrounds);
}

#[test]
fn a_setting_dropped_from_the_file_shows_the_default_the_rules_fall_back_to() {
    let d = edited("eu-e-evidence.toml", |t| t.replace("respond_days = 10 ", "# respond_days dropped "));
    assert_eq!(d.settings.len(), 1, "{:?}", d.settings);
    assert_eq!((&d.settings[0].old, &d.settings[0].new), (&SettingValue::Number(10), &SettingValue::Unset));
    assert!(d.settings[0].read_by.is_empty(), "a deadline is the pack's, no rule's");
    assert!(d.rules.is_empty());

    // A default written out changes nothing the rules read.
    let d = edited("mlat.toml", |t| t.replace("[settings]\n", "[settings]\nvalidation_hours = 48\n"));
    assert!(d.settings.is_empty() && d.rules.is_empty());
}

#[test]
fn a_citation_changed_is_shown_rule_by_rule() {
    let d = edited("eu-e-evidence.toml", |t| {
        t.replace(
            "traffic_content = \"Regulation (EU) 2023/1543 Art 4(2)\"",
            "traffic_content = \"Regulation (EU) 2023/1543 Art 4(2), first subparagraph\"",
        )
        .replace(
            "citation = \"Regulation (EU) 2023/1543 Art 13 (user information)\"",
            "citation = \"Regulation (EU) 2023/1543 Art 13(1)-(3)\"",
        )
    });
    assert_eq!(d.rules.len(), 2, "{:?}", d.rules);
    let issuer = d.rules.iter().find(|r| r.rule == Rule::EuIssuer).unwrap();
    assert_eq!(
        issuer.changes,
        [field(
            "provisions.traffic_content",
            Some("Regulation (EU) 2023/1543 Art 4(2)"),
            Some("Regulation (EU) 2023/1543 Art 4(2), first subparagraph")
        )]
    );
    assert_eq!(issuer.citation, "Regulation (EU) 2023/1543 Art 4(1)-(3), Art 4(5)");
    let notice = d.rules.iter().find(|r| r.rule == Rule::Nondisclosure).unwrap();
    assert_eq!(
        notice.changes,
        [field(
            "citation",
            Some("Regulation (EU) 2023/1543 Art 13 (user information)"),
            Some("Regulation (EU) 2023/1543 Art 13(1)-(3)")
        )]
    );
}

#[test]
fn a_provision_no_longer_cited_falls_back_to_the_rule_and_is_shown_as_gone() {
    let d = edited("eu-e-evidence.toml", |t| {
        t.replace("emergency = \"Regulation (EU) 2023/1543 Art 4(5)\"\n", "")
    });
    assert_eq!(
        d.rules[0].changes,
        [field("provisions.emergency", Some("Regulation (EU) 2023/1543 Art 4(5)"), None)]
    );
}

#[test]
fn grounds_and_metadata_are_compared_too() {
    let d = edited("eu-e-evidence.toml", |t| {
        t.replace("version = \"2026.3\"", "version = \"2026.4\"")
            .replace(
                "Executing the order would be contrary to ne bis in idem.",
                "Ne bis in idem: the person was already tried for the same acts.",
            )
            .replace(
                "for = [\"refusal\", \"rejected\"]\n\n[[ground]]\nid = \"fundamental_rights\"",
                "for = [\"refusal\"]\n\n[[ground]]\nid = \"fundamental_rights\"",
            )
    });
    assert_eq!(d.metadata[0], field("version", Some("2026.3"), Some("2026.4")));
    assert_eq!(d.metadata.last().unwrap().field, "hash");
    assert_eq!((d.from.version.as_str(), d.to.version.as_str()), ("2026.3", "2026.4"));
    let changed: Vec<(&str, Vec<&str>)> = d
        .grounds
        .iter()
        .map(|g| (g.ground.as_str(), g.changes.iter().map(|c| c.field.as_str()).collect()))
        .collect();
    assert_eq!(changed, [("immunity_or_press_freedom", vec!["for"]), ("ne_bis_in_idem", vec!["text"])]);
    assert!(d.rules.is_empty() && d.settings.is_empty());
}

#[test]
fn a_house_file_is_a_change_of_its_own() {
    let base = parse(&text("eu-e-evidence.toml"));
    let house =
        base.with_house("house.toml", "pack = \"eu-e-evidence\"\n[settings]\nmax_targets = 5\n").unwrap();
    let d = diff(&base, &house);
    let fields: Vec<&str> = d.metadata.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(fields, ["version", "house", "hash"]);
    assert_eq!(d.settings[0].setting, "max_targets");
    assert_eq!(d.rules[0].rule, Rule::MaxTargets);
}

#[test]
fn every_setting_a_rule_reads_is_a_setting() {
    let names: Vec<&str> = comity_policy::Settings::default().entries().into_iter().map(|(n, _)| n).collect();
    for rule in Rule::ALL {
        for s in rule.settings() {
            assert!(names.contains(s), "{rule} reads {s}, which is no setting");
        }
    }
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
}

#[test]
fn an_error_in_a_rule_names_its_line() {
    let t = text("mlat.toml").replace("id = \"mlat.dual_criminality\"", "id = \"mlat.dual_criminalty\"");
    let line = t.lines().position(|l| l.contains("mlat.dual_criminalty")).unwrap() + 1;
    let e = Pack::parse("policies/mlat.toml", &t).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("policies/mlat.toml: line {line}: unknown rule \"mlat.dual_criminalty\"")),
        "{e}"
    );

    let e = Pack::parse("policies/mlat.toml", "id = \"mlat\"\nversion = 1\n").unwrap_err().to_string();
    assert!(e.contains("policies/mlat.toml") && e.contains("line 2"), "TOML's own errors name the line: {e}");
}

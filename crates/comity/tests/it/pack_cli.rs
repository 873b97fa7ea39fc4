//! `comity pack diff` and `comity pack history` (issue 16, item 8): a reviewer compares two
//! versions of a policy pack rule by rule, from files, the packs built in, or the versions a
//! comity kept; the exit code says equal (0), different (1) or unreadable (2).

use serde_json::Value;

use crate::support::{Data, Server, comity};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn policy(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies").join(file)
}

/// The e-Evidence pack as a pull request might change it: version 2026.4, the anti-bulk
/// rule removed, at most 5 targets, one provision cited more narrowly, and a term taken out
/// of the sensitive ones.
fn changed_eu() -> String {
    let text = std::fs::read_to_string(policy("eu-e-evidence.toml")).unwrap();
    let start = text.find("[[rule]]\nid = \"general.bulk\"").unwrap();
    let end = start + 8 + text[start + 8..].find("\n[[").unwrap() + 1;
    format!("{}{}", &text[..start], &text[end..])
        .replace("version = \"2026.3\"", "version = \"2026.4\"")
        .replace("max_targets = 10", "max_targets = 5")
        .replace("\"activism\", ", "")
        .replace(
            "traffic_content = \"Regulation (EU) 2023/1543 Art 4(2)\"",
            "traffic_content = \"Regulation (EU) 2023/1543 Art 4(2), first subparagraph\"",
        )
}

#[test]
fn pack_diff_lists_the_changes_rule_by_rule_and_exits_by_what_it_found() {
    let tmp = tempfile::tempdir().unwrap();
    let eu = policy("eu-e-evidence.toml");
    let eu = eu.to_str().unwrap();
    let new = tmp.path().join("eu-e-evidence.toml");
    std::fs::write(&new, changed_eu()).unwrap();
    let new = new.to_str().unwrap();

    // The same pack, as a file and as the one built in: equal, exit 0.
    let out = comity(&["pack", "diff", eu, "eu-e-evidence"], None);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("the same text"), "{}", stdout(&out));

    // Changed: exit 1, each change with its citation.
    let out = comity(&["pack", "diff", "eu-e-evidence", new], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "eu-e-evidence 2026.3 (sha256 ",
        "  version: \"2026.3\" → \"2026.4\"",
        "  - general.bulk removed  [Regulation (EU) 2023/1543 Art 5(2); seed norms: many narrow requests that add up to bulk]",
        "      reads bulk_max_targets = 25",
        "  ~ eu.issuer changed  [Regulation (EU) 2023/1543 Art 4(1)-(3), Art 4(5)]",
        "      provisions.traffic_content: \"Regulation (EU) 2023/1543 Art 4(2)\" → \"Regulation (EU) 2023/1543 Art 4(2), first subparagraph\"",
        "  ~ general.max_targets changed  [Regulation (EU) 2023/1543 Art 5(2); comity setting max_targets]",
        "      settings.max_targets: \"10\" → \"5\"",
        "      settings.sensitive_terms: removed activism",
        "  max_targets: 10 → 5",
        "      read by general.max_targets  [Regulation (EU) 2023/1543 Art 5(2); comity setting max_targets]",
        "  sensitive_terms: removed activism",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }

    // The same as JSON, the API's body.
    let out = comity(&["pack", "diff", "eu-e-evidence", new, "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["equal"], false);
    assert_eq!(
        (json["from"]["version"].as_str(), json["to"]["version"].as_str()),
        (Some("2026.3"), Some("2026.4"))
    );
    let rules: Vec<(&str, &str)> = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("general.bulk", "removed"),
            ("eu.issuer", "changed"),
            ("general.max_targets", "changed"),
            ("general.sensitive_grounds", "changed")
        ]
    );
    assert_eq!(json["settings"][0]["setting"], "max_targets");
    assert_eq!(json["settings"][1]["removed"], serde_json::json!(["activism"]));
}

#[test]
fn pack_diff_exits_2_naming_the_file_and_line_of_what_it_cannot_read() {
    let tmp = tempfile::tempdir().unwrap();
    let typo = tmp.path().join("typo.toml");
    let text = std::fs::read_to_string(policy("mlat.toml"))
        .unwrap()
        .replace("id = \"mlat.dual_criminality\"", "id = \"mlat.dual_criminalty\"");
    let line = text.lines().position(|l| l.contains("dual_criminalty")).unwrap() + 1;
    std::fs::write(&typo, &text).unwrap();
    let out = comity(&["pack", "diff", "mlat", typo.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("typo.toml: line {line}: unknown rule \"mlat.dual_criminalty\"")), "{err}");
    assert!(stdout(&out).is_empty(), "nothing is compared: {}", stdout(&out));

    let broken = tmp.path().join("broken.toml");
    std::fs::write(&broken, "id = \"mlat\"\nversion = 2026\n").unwrap();
    let out = comity(&["pack", "diff", broken.to_str().unwrap(), "mlat"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.toml") && stderr(&out).contains("line 2"), "{}", stderr(&out));

    let out = comity(&["pack", "diff", "mlat", "no-such-pack"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-pack: no such file, and no built-in pack"), "{}", stderr(&out));
}

/// The versions a comity judged with are kept; the command line lists them and compares
/// one with a file.
#[test]
fn pack_history_lists_the_kept_versions_and_diff_reads_them() {
    let data = Data::sqlite();
    let server = Server::start(&data, &[]);
    drop(server);

    let out = comity(&["pack", "history"], Some(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("eu-e-evidence  EU e-Evidence"), "{text}");
    assert!(
        text.contains("2026.3") && text.contains("in force") && text.contains("0 requests judged"),
        "{text}"
    );

    let out = comity(&["pack", "history", "--json"], Some(&data));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["packs"].as_array().unwrap().len(), 5, "{json}");

    let tmp = tempfile::tempdir().unwrap();
    let new = tmp.path().join("eu.toml");
    std::fs::write(&new, changed_eu()).unwrap();
    let out = comity(&["pack", "diff", "eu-e-evidence@2026.3", new.to_str().unwrap()], Some(&data));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("- general.bulk removed"), "{}", stdout(&out));

    let out = comity(&["pack", "diff", "eu-e-evidence@2019.1", "eu-e-evidence"], Some(&data));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has no version \"2019.1\"; its versions are 2026.3"), "{}", stderr(&out));
}

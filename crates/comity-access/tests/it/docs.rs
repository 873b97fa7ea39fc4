//! The tables of `docs/access.md` say what the policy does: every cell is checked.

use comity_access::Who;
use comity_core::{PartyRole, Role};

use crate::{decide, every_action, party::*, person, repo, request, who};

/// The principals a column of the docs' tables stands for; a cell must hold for each.
fn column(name: &str) -> Vec<Who> {
    use comity_access::CredentialKind::Person;
    match name {
        "issuing authority" => vec![person(PartyRole::Authority, ISSUER)],
        "validating authority" => vec![person(PartyRole::Authority, VALIDATOR)],
        "addressed provider" => vec![person(PartyRole::Provider, PROVIDER)],
        "assigned reviewer" => vec![person(PartyRole::Reviewer, REVIEWER)],
        "assigned reviewer of a party's institution" => {
            [REVIEWER_OF_ISSUER, REVIEWER_OF_VALIDATOR, REVIEWER_OF_PROVIDER]
                .into_iter()
                .map(|r| who(Role::Reviewer, PartyRole::Reviewer, r, Person))
                .collect()
        }
        "operator" | "admin" => vec![person(PartyRole::Operator, OPERATOR)],
        "auditor" => vec![person(PartyRole::Auditor, AUDITOR)],
        "registered representative" | "representative" => {
            vec![person(PartyRole::Representative, REPRESENTATIVE)]
        }
        "representative of another request" => vec![person(PartyRole::Representative, OTHER_REPRESENTATIVE)],
        "requester" => vec![person(PartyRole::Authority, ISSUER)],
        "handler" => vec![person(PartyRole::Provider, PROVIDER)],
        "reviewer" => vec![person(PartyRole::Reviewer, REVIEWER)],
        other => panic!("docs/access.md has a column {other:?} this test does not know"),
    }
}

fn cells(line: &str) -> Vec<&str> {
    line.trim().trim_matches('|').split('|').map(str::trim).collect()
}

#[test]
fn the_tables_of_the_docs_say_what_the_policy_does() {
    let docs = std::fs::read_to_string(repo().join("docs/access.md")).unwrap();
    let facts = request();
    let actions = every_action(&facts);
    let mut header: Option<Vec<&str>> = None;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in docs.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let row = cells(line);
        if row[0] == "action" {
            header = Some(row);
            continue;
        }
        let Some(header) = &header else { continue };
        let Some(name) = row[0].strip_prefix('`').and_then(|n| n.strip_suffix('`')) else { continue };
        let Some((action, on)) = actions.iter().find(|(a, _)| a.name() == name) else {
            panic!("docs/access.md has a row for `{name}`, which is no action");
        };
        // The second table has a column `on`, naming the resource.
        let first = if header.get(1) == Some(&"on") { 2 } else { 1 };
        for (col, cell) in header.iter().zip(&row).skip(first) {
            let expected = if cell.starts_with("yes") {
                true
            } else {
                assert!(cell.starts_with("no"), "`{name}`, {col}: {cell:?} is neither yes nor no");
                false
            };
            for who in column(col) {
                let d = decide(&who, action, on);
                checked += 1;
                if d.allowed != expected {
                    wrong.push(format!(
                        "`{name}` for the {col} ({}): the docs say {cell:?}, the policy: {d}",
                        who.org
                    ));
                }
            }
        }
    }
    assert!(checked >= 14 * 9 + 7 * 5, "only {checked} cells were checked");
    assert!(wrong.is_empty(), "docs/access.md disagrees with the policy:\n{}", wrong.join("\n"));
}

//! Loading policies: the built-in files, the errors an operator who edits them sees, and
//! the agreement of policy, schema, comity-core and `docs/access.md`.

use std::collections::BTreeSet;

use comity_access::{Access, AccessError, Action, CredentialKind, On, POLICIES, RequestFacts, SCHEMA};
use comity_core::{Party, PartyId, PartyRole, Principal, Role, State};

use crate::{every_action, id, party::*, person, repo, request, who};

#[test]
fn the_built_in_files_validate_without_warnings() {
    let access = Access::from_text(POLICIES, SCHEMA).unwrap();
    assert!(access.warnings().is_empty(), "{:?}", access.warnings());
    // The files compiled in are the ones in `policies/`.
    let read = |name: &str| std::fs::read_to_string(repo().join("policies").join(name)).unwrap();
    assert_eq!(read("access.cedar"), POLICIES);
    assert_eq!(read("access.cedarschema"), SCHEMA);
    let ids: BTreeSet<&str> = access.policy_ids().collect();
    assert_eq!(ids.len(), POLICIES.matches("@id(").count());
}

/// The server loads the policy once and shares it between its tasks.
#[test]
fn access_is_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>(_: &T) {}
    shared(Access::builtin());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Schema,
    Policies,
    Validation,
}

/// Checks that `text` is refused at `stage`, pointing at line and column `at`, with a
/// message that holds `word`.
fn check_refused(text: &str, stage: Stage, at: (usize, usize), word: &str) {
    let err = Access::from_text(text, SCHEMA).map(|_| ()).unwrap_err();
    let refused_at = match err {
        AccessError::Schema(_) => Stage::Schema,
        AccessError::Policies(_) => Stage::Policies,
        AccessError::Validation(_) => Stage::Validation,
    };
    assert_eq!(refused_at, stage, "{text}: {err:?}");
    let problem = &err.problems()[0];
    assert_eq!(problem.at, Some(at), "{text}: {err}");
    assert!(problem.message.contains(word), "{text}: {err}");
    let shown = err.to_string();
    assert!(shown.contains(&format!("line {}, column {}", at.0, at.1)), "{text}: {shown}");
}

#[test]
fn refused_policies_name_the_line() {
    let view = r#"permit (principal, action == Action::"view", resource)"#;
    // An attribute the schema does not declare.
    check_refused(
        &format!("@id(\"a\")\n{view}\nwhen {{ resource.secret_level == \"high\" }};\n"),
        Stage::Validation,
        (3, 8),
        "secret_level",
    );
    // A role that does not exist.
    check_refused(
        &format!("@id(\"a\")\n{view}\nwhen {{\n  principal.role == Role::\"judge\"\n}};\n"),
        Stage::Validation,
        (4, 21),
        "judge",
    );
    // An action that does not exist.
    check_refused(
        "@id(\"a\")\npermit (principal, action == Action::\"delete\", resource);\n",
        Stage::Validation,
        (2, 30),
        "delete",
    );
    // A string compared with a state.
    check_refused(
        &format!("@id(\"a\")\n{view}\nwhen {{ resource.state == \"closed\" }};\n"),
        Stage::Validation,
        (3, 8),
        "State",
    );
    // A syntax error.
    check_refused(
        "@id(\"a\")\npermit (principal, action resource);\n",
        Stage::Policies,
        (2, 27),
        "unexpected token",
    );
    // A policy without an @id, after one with the same text.
    check_refused(&format!("@id(\"a\")\n{view};\n\n{view};\n"), Stage::Policies, (4, 1), "@id");
    // Two policies with one @id.
    check_refused(&format!("@id(\"a\")\n{view};\n@id(\"a\")\n{view};\n"), Stage::Policies, (3, 1), "\"a\"");
}

#[test]
fn a_refused_schema_names_the_line() {
    let schema = SCHEMA.replace("entity Accounts;", "entity Accounts = { owner: Organisaton };");
    let line = schema.lines().position(|l| l.contains("Organisaton")).unwrap() + 1;
    let err = Access::from_text(POLICIES, &schema).map(|_| ()).unwrap_err();
    assert!(matches!(err, AccessError::Schema(_)), "{err:?}");
    assert_eq!(err.problems()[0].at.map(|(l, _)| l), Some(line), "{err}");
    assert!(err.to_string().contains("Organisaton"), "{err}");
}

/// An operator tightens the built-in policy by adding a forbid; it takes effect and is
/// named.
#[test]
fn an_operator_may_tighten_the_policy() {
    let tightened = format!(
        "{POLICIES}\n@id(\"no-reading-closed-requests\")\n\
         forbid (principal, action == Action::\"view\", resource)\n\
         when {{ resource.state == State::\"closed\" }};\n"
    );
    let access = Access::from_text(&tightened, SCHEMA).unwrap();
    let handler = person(PartyRole::Provider, PROVIDER);
    let closed = RequestFacts { state: State::Closed, ..request() };
    let d = access.decide(&handler, &Action::View, &On::Request(&closed));
    assert!(!d.allowed);
    assert_eq!(d.policies, ["no-reading-closed-requests"]);
    assert!(access.decide(&handler, &Action::View, &On::Request(&request())).allowed);
}

/// Cedar skips a policy whose evaluation fails, so a failing forbid would let its permit
/// through; comity denies instead.
#[test]
fn an_evaluation_error_denies() {
    let policies = r#"
        @id("everything")
        permit (principal, action, resource);

        @id("overflows")
        forbid (principal, action, resource) when { 9223372036854775807 + 1 > 0 };
    "#;
    let access = Access::from_text(policies, SCHEMA).unwrap();
    let d = access.decide(&person(PartyRole::Provider, PROVIDER), &Action::View, &On::Request(&request()));
    assert!(!d.allowed, "{d}");
    assert!(d.errors.iter().any(|e| e.contains("overflows")), "{d}");
    assert!(d.to_string().starts_with("view denied: "), "{d}");
}

/// Every value of comity-core's vocabularies the policy reads is declared in the schema:
/// a decision about each has no errors.
#[test]
fn the_schema_declares_every_state_role_register_and_credential() {
    let access = Access::builtin();
    let handler = person(PartyRole::Provider, PROVIDER);
    for state in State::ALL {
        let facts = RequestFacts { state: *state, ..request() };
        let d = access.decide(&handler, &Action::View, &On::Request(&facts));
        assert!(d.errors.is_empty(), "{state}: {d}");
    }
    for role in Role::ALL {
        for register in PartyRole::ALL {
            for credential in CredentialKind::ALL {
                let d = access.decide(
                    &who(*role, *register, PROVIDER, credential),
                    &Action::ReadRegisters,
                    &On::Registers,
                );
                assert!(d.errors.is_empty(), "{role} {register}: {d}");
                assert_eq!(d.allowed, role.register() == *register, "{role} {register}: {d}");
            }
        }
    }
}

/// The schema knows every action of [`Action`] on the resource the API documents for it,
/// and the docs describe each.
#[test]
fn every_action_applies_to_its_resource() {
    let facts = request();
    for role in PartyRole::ALL {
        let who = person(*role, PROVIDER);
        for (action, on) in &every_action(&facts) {
            let d = Access::builtin().decide(&who, action, on);
            assert!(d.errors.is_empty(), "{role} {action}: {d}");
        }
    }
    let docs = std::fs::read_to_string(repo().join("docs/access.md")).unwrap();
    for (action, _) in every_action(&facts) {
        let name = action.name();
        assert!(docs.contains(&format!("| `{name}` |")), "docs/access.md has no row for `{name}`");
    }
    // Each policy's @id is explained in the docs.
    for id in Access::builtin().policy_ids() {
        assert!(docs.contains(&format!("`{id}`")), "docs/access.md does not explain `{id}`");
    }
}

#[test]
fn who_is_built_from_the_principal_and_its_registered_party() {
    use comity_core::{CountryCode, Credential, KeyId, Organisation, Provider};
    let provider = Party::Provider(Provider {
        id: id(PROVIDER.0),
        country: CountryCode::parse("IE").unwrap(),
        name: "Example Mail".to_owned(),
        institution: Some(id(PROVIDER.1)),
    });
    let principal = Principal {
        org: id(PROVIDER.0),
        role: Role::Handler,
        credential: Credential::Key(KeyId::parse("kid1").unwrap()),
    };
    let who = comity_access::Who::new(&principal, &provider).unwrap();
    assert_eq!(who.institution, id(PROVIDER.1));
    assert_eq!(who.register, PartyRole::Provider);
    assert_eq!(who.credential, CredentialKind::Key);
    assert_eq!(who.actor.as_str(), "key:kid1@example-mail");

    let auditor = Party::Auditor(Organisation {
        id: id(AUDITOR.0),
        country: CountryCode::parse("BE").unwrap(),
        name: "EDPS".to_owned(),
        institution: None,
    });
    let err = comity_access::Who::new(&principal, &auditor).unwrap_err();
    assert_eq!(err.party, id(AUDITOR.0));
    // A party with no institution is its own.
    let edps = Principal { org: id(AUDITOR.0), ..principal };
    assert_eq!(
        comity_access::Who::new(&edps, &auditor).unwrap().institution,
        PartyId::parse("edps").unwrap()
    );
}

#[test]
fn request_facts_read_the_institutions_from_the_parties() {
    use comity_core::{Authority, AuthorityType, CountryCode, Provider};
    let authority = |slug: &str, institution: Option<&str>| {
        Party::Authority(Authority {
            id: id(slug),
            country: CountryCode::parse("FR").unwrap(),
            authority_type: AuthorityType::Police,
            name: slug.to_owned(),
            institution: institution.map(id),
        })
    };
    let provider = Party::Provider(Provider {
        id: id(PROVIDER.0),
        country: CountryCode::parse("IE").unwrap(),
        name: "Example Mail".to_owned(),
        institution: None,
    });
    let issuer = authority(ISSUER.0, Some(ISSUER.1));
    let court = authority(VALIDATOR.0, None);
    let same = authority("fr-pj-lyon", Some(ISSUER.1));
    let facts = RequestFacts::new(&issuer, Some(&court), &provider, vec![], State::Received, false);
    assert_eq!(facts.issuer_institutions, [id(ISSUER.1), id(VALIDATOR.0)]);
    assert_eq!(facts.provider_institution, id(PROVIDER.0));
    assert_eq!(facts.issuers().collect::<Vec<_>>(), [&id(ISSUER.0), &id(VALIDATOR.0)]);
    let facts = RequestFacts::new(&issuer, Some(&same), &provider, vec![], State::Received, false);
    assert_eq!(facts.issuer_institutions, [id(ISSUER.1)]);
}

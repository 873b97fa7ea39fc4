//! Who may do what beyond one request: listing, dry runs, the registers, accounts and
//! aggregates.

use comity_access::{Access, Action, CredentialKind, On};
use comity_core::{PartyRole, Role};

use crate::{decide, party::*, person, request, who};

fn columns() -> [(Action, On<'static>); 7] {
    [
        (Action::ListRequests, On::Requests),
        (Action::DryRunScreen, On::Requests),
        (Action::ManageRegisters, On::Registers),
        (Action::ManageAccounts, On::Accounts),
        (Action::ReadRegisters, On::Registers),
        (Action::ReadContacts, On::Registers),
        (Action::ReadAggregates, On::Aggregates),
    ]
}

#[test]
fn every_role_beyond_one_request() {
    #[rustfmt::skip]
    let table = [
        //                                                  list dry-run manage-reg manage-acc read-reg contacts aggregates
        ("requester", person(PartyRole::Authority, ISSUER),    "Y    Y       .          .          Y        .        ."),
        ("handler",   person(PartyRole::Provider, PROVIDER),   "Y    Y       .          .          Y        Y        Y"),
        ("reviewer",  person(PartyRole::Reviewer, REVIEWER),   "Y    Y       .          .          Y        .        Y"),
        ("admin",     person(PartyRole::Operator, OPERATOR),   ".    .       Y          Y          Y        Y        Y"),
        ("auditor",   person(PartyRole::Auditor, AUDITOR),     ".    .       .          .          Y        .        Y"),
        ("handler's API token", who(Role::Handler, PartyRole::Provider, PROVIDER, CredentialKind::Token),
                                                               "Y    Y       .          .          Y        Y        Y"),
        ("admin account at an authority", who(Role::Admin, PartyRole::Authority, ISSUER, CredentialKind::Person),
                                                               ".    .       .          .          .        .        ."),
    ];
    let mut wrong = Vec::new();
    for (name, who, expected) in table {
        let marks: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(marks.len(), columns().len(), "{name}: one mark per action");
        for ((action, on), mark) in columns().iter().zip(marks) {
            let d = decide(&who, action, on);
            if d.allowed != (mark == "Y") {
                wrong.push(format!("{name}: {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} decisions differ from the table:\n{}", wrong.len(), wrong.join("\n"));
}

/// Asking about an action on what it does not apply to is a caller's bug: it is denied,
/// and the error says why.
#[test]
fn an_action_on_the_wrong_resource_is_denied_with_an_error() {
    let facts = request();
    let admin = person(PartyRole::Operator, OPERATOR);
    let handler = person(PartyRole::Provider, PROVIDER);
    for (who, action, on) in [
        (&admin, Action::ManageRegisters, On::Accounts),
        (&admin, Action::ManageAccounts, On::Request(&facts)),
        (&handler, Action::View, On::Registers),
        (&handler, Action::ListRequests, On::Request(&facts)),
    ] {
        let d = Access::builtin().decide(who, &action, &on);
        assert!(!d.allowed, "{action} on {on:?}: {d}");
        assert!(!d.errors.is_empty(), "{action} on {on:?}: {d}");
    }
}

//! Who may see and do what, as the parties to a request expect it: the tables of
//! `docs/access.md`, properties over random principals and requests, and the loading of
//! policies.
#![allow(clippy::unwrap_used)]

mod beyond_requests;
mod docs;
mod loading;
mod moves;
mod properties;
mod requests;

use std::path::{Path, PathBuf};

use comity_access::{Access, Action, CredentialKind, Decision, On, RequestFacts, Who};
use comity_core::{ActorId, PartyId, PartyRole, Role, State};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn id(s: &str) -> PartyId {
    PartyId::parse(s).unwrap()
}

/// A party: its organisation and its institution.
pub type Party = (&'static str, &'static str);

/// The parties of the example request, each `(organisation, institution)`.
///
/// A police force issues the request and a court of another institution validates it
/// (Regulation (EU) 2023/1543 Art 4(1)(b)); it is addressed to a provider that belongs to
/// a group. Four reviewer bodies are assigned to it: one independent, one of the issuing
/// authority's institution, one of the validating court's, one of the provider's group,
/// so that every conflict of separation of duties is on the table.
pub mod party {
    use super::Party;

    pub const ISSUER: Party = ("fr-pj-paris", "fr-interior");
    pub const VALIDATOR: Party = ("fr-tj-paris", "fr-justice");
    pub const OTHER_AUTHORITY: Party = ("de-bka", "de-bka");
    pub const PROVIDER: Party = ("example-mail", "example-group");
    pub const OTHER_PROVIDER: Party = ("other-cloud", "other-cloud");
    pub const REVIEWER: Party = ("ie-high-court", "ie-high-court");
    pub const UNASSIGNED_REVIEWER: Party = ("ie-dpc", "ie-dpc");
    pub const REVIEWER_OF_ISSUER: Party = ("fr-igpn", "fr-interior");
    pub const REVIEWER_OF_VALIDATOR: Party = ("fr-ca-paris", "fr-justice");
    pub const REVIEWER_OF_PROVIDER: Party = ("example-ethics-board", "example-group");
    pub const OPERATOR: Party = ("comity-operator", "comity-operator");
    pub const AUDITOR: Party = ("edps", "edps");
    /// A data protection authority registered to act for the person concerned.
    pub const REPRESENTATIVE: Party = ("fr-cnil", "fr-cnil");
    /// A lawyer registered for another request, not this one.
    pub const OTHER_REPRESENTATIVE: Party = ("avocat-durand", "avocat-durand");
}

/// The example request: an emergency waiting for its authority's confirmation, so that
/// every request-scoped action has a state it applies in.
pub fn request() -> RequestFacts {
    use party::*;
    RequestFacts {
        authority: id(ISSUER.0),
        validator: Some(id(VALIDATOR.0)),
        issuer_institutions: vec![id(ISSUER.1), id(VALIDATOR.1)],
        provider: id(PROVIDER.0),
        provider_institution: id(PROVIDER.1),
        reviewers: [REVIEWER, REVIEWER_OF_ISSUER, REVIEWER_OF_VALIDATOR, REVIEWER_OF_PROVIDER]
            .iter()
            .map(|r| id(r.0))
            .collect(),
        representatives: vec![id(REPRESENTATIVE.0)],
        state: State::PendingVerification,
        emergency: true,
    }
}

/// A principal of `party` in `role`, the organisation being in `register`.
pub fn who(role: Role, register: PartyRole, party: Party, credential: CredentialKind) -> Who {
    let user = match credential {
        CredentialKind::Person => "someone".to_owned(),
        CredentialKind::Token => "token:3kq9".to_owned(),
        CredentialKind::Key => "key:NzbLsXh8".to_owned(),
    };
    Who {
        actor: ActorId::parse(&format!("{user}@{}", party.0)).unwrap(),
        org: id(party.0),
        register,
        institution: id(party.1),
        role,
        credential,
    }
}

/// A person in the one role of `register`.
pub fn person(register: PartyRole, party: Party) -> Who {
    who(Role::of_register(register), register, party, CredentialKind::Person)
}

pub fn decide(who: &Who, action: &Action, on: &On<'_>) -> Decision {
    let d = Access::builtin().decide(who, action, on);
    assert!(d.errors.is_empty(), "{who:?} {action}: {d}");
    d
}

/// Every action, on the resource it applies to; assigning an independent reviewer body.
pub fn every_action(facts: &RequestFacts) -> Vec<(Action, On<'_>)> {
    let assign = Action::AssignReviewer {
        reviewer: id(party::UNASSIGNED_REVIEWER.0),
        reviewer_institution: id(party::UNASSIGNED_REVIEWER.1),
    };
    vec![
        (Action::View, On::Request(facts)),
        (Action::ViewLogEntries, On::Request(facts)),
        (Action::Submit, On::Request(facts)),
        (Action::RequestClarification, On::Request(facts)),
        (Action::AnswerClarification, On::Request(facts)),
        (Action::Decide, On::Request(facts)),
        (Action::Appeal, On::Request(facts)),
        (Action::Execute, On::Request(facts)),
        (Action::Close, On::Request(facts)),
        (Action::Withdraw, On::Request(facts)),
        (Action::Screen, On::Request(facts)),
        (Action::ConfirmEmergency, On::Request(facts)),
        (Action::ObjectToReviewer, On::Request(facts)),
        (Action::RaiseGrounds, On::Request(facts)),
        (Action::ExtendPreservation, On::Request(facts)),
        (Action::ObjectConflict, On::Request(facts)),
        (Action::DecideConflict, On::Request(facts)),
        (Action::AskFurtherUse, On::Request(facts)),
        (Action::DecideFurtherUse, On::Request(facts)),
        (Action::RecordFurtherUse, On::Request(facts)),
        (Action::RecordNotice, On::Request(facts)),
        (Action::DecideNotice, On::Request(facts)),
        (Action::OpenRemedy, On::Request(facts)),
        (assign, On::Request(facts)),
        (Action::IssueVerificationLink, On::Request(facts)),
        (Action::ReceiveProduction, On::Request(facts)),
        (Action::AttestDisposal, On::Request(facts)),
        (Action::RegisterRepresentative, On::Request(facts)),
        (Action::ViewDecision, On::Request(facts)),
        (Action::ListRequests, On::Requests),
        (Action::DryRunScreen, On::Requests),
        (Action::ManageRegisters, On::Registers),
        (Action::ReadRegisters, On::Registers),
        (Action::ReadContacts, On::Registers),
        (Action::ManageAccounts, On::Accounts),
        (Action::ReadAggregates, On::Aggregates),
    ]
}

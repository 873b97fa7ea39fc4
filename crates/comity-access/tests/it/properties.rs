//! Properties over random principals and requests. Parties and institutions are drawn from
//! a few names, so that a principal is often one of a request's parties, and often of a
//! party's institution.

use comity_access::{Access, Action, CredentialKind, On, RequestFacts, Who, list_scope};
use comity_core::{ActorId, PartyId, PartyRole, Role, State};
use proptest::prelude::*;

const NAMES: [&str; 5] = ["pa", "pb", "pc", "pd", "pe"];

fn party() -> impl Strategy<Value = PartyId> {
    prop::sample::select(&NAMES[..]).prop_map(|s| PartyId::parse(s).unwrap())
}

fn parties() -> impl Strategy<Value = Vec<PartyId>> {
    prop::collection::vec(party(), 0..4)
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL)
}

fn who() -> impl Strategy<Value = Who> {
    (
        role(),
        prop::sample::select(PartyRole::ALL),
        any::<bool>(),
        party(),
        party(),
        prop::sample::select(&CredentialKind::ALL[..]),
    )
        .prop_map(|(role, other_register, fits, org, institution, credential)| Who {
            actor: ActorId::parse(&format!("someone@{org}")).unwrap(),
            // Mostly an account as comity makes them; sometimes one whose role does not
            // fit its organisation's register.
            register: if fits { role.register() } else { other_register },
            org,
            institution,
            role,
            credential,
        })
}

prop_compose! {
    fn facts()(
        authority in party(),
        validator in prop::option::of(party()),
        issuer_institutions in parties(),
        provider in party(),
        provider_institution in party(),
        reviewers in parties(),
        representatives in parties(),
        state in prop::sample::select(State::ALL),
        emergency in any::<bool>(),
    ) -> RequestFacts {
        RequestFacts {
            authority,
            validator,
            issuer_institutions,
            provider,
            provider_institution,
            reviewers,
            representatives,
            state,
            emergency,
        }
    }
}

/// Every request-scoped action, assigning a reviewer drawn like any party.
fn request_action() -> impl Strategy<Value = Action> {
    (0..29usize, party(), party()).prop_map(|(i, reviewer, reviewer_institution)| match i {
        0 => Action::View,
        1 => Action::ViewLogEntries,
        2 => Action::Submit,
        3 => Action::RequestClarification,
        4 => Action::AnswerClarification,
        5 => Action::Decide,
        6 => Action::Appeal,
        7 => Action::Execute,
        8 => Action::Close,
        9 => Action::Withdraw,
        10 => Action::Screen,
        11 => Action::ConfirmEmergency,
        12 => Action::AssignReviewer { reviewer, reviewer_institution },
        13 => Action::IssueVerificationLink,
        14 => Action::ObjectToReviewer,
        15 => Action::RaiseGrounds,
        16 => Action::ExtendPreservation,
        17 => Action::ObjectConflict,
        18 => Action::DecideConflict,
        19 => Action::RegisterRepresentative,
        20 => Action::ViewDecision,
        21 => Action::AskFurtherUse,
        22 => Action::DecideFurtherUse,
        23 => Action::RecordFurtherUse,
        24 => Action::AttestDisposal,
        25 => Action::RecordNotice,
        26 => Action::DecideNotice,
        27 => Action::OpenRemedy,
        _ => Action::ReceiveProduction,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The operator and auditors never see or touch a request; auditors see only which log
    /// entries are its, and the operator only names the reviewer body where the law's
    /// routing found none or an objection was upheld.
    #[test]
    fn the_operator_and_auditors_never_see_a_request(
        who in who().prop_filter("admin or auditor", |w| matches!(w.role, Role::Admin | Role::Auditor)),
        facts in facts(),
        action in request_action(),
    ) {
        let d = Access::builtin().decide(&who, &action, &On::Request(&facts));
        prop_assert!(d.errors.is_empty(), "{}", d);
        let auditor_sees_entries = who.role == Role::Auditor
            && who.role_fits_register()
            && action == Action::ViewLogEntries;
        let operator_assigns = who.role == Role::Admin
            && matches!(action, Action::AssignReviewer { .. } | Action::RegisterRepresentative);
        if operator_assigns {
            prop_assert!(!d.allowed || who.role_fits_register(), "{}", d);
        } else {
            prop_assert_eq!(d.allowed, auditor_sees_entries, "{}", d);
        }
    }

    /// Nobody decides on a request that their institution issued, validated or holds the
    /// data for.
    #[test]
    fn nobody_decides_for_their_own_side(
        who in who(),
        facts in facts(),
        assigned in any::<bool>(),
        of_provider in any::<bool>(),
    ) {
        let mut facts = facts;
        // Put the principal on one of the sides, and usually among the assigned reviewers
        // so that only the separation of duties stands in the way.
        if of_provider {
            facts.provider_institution = who.institution.clone();
        } else {
            facts.issuer_institutions.push(who.institution.clone());
        }
        if assigned {
            facts.reviewers.push(who.org.clone());
        }
        let d = Access::builtin().decide(&who, &Action::Decide, &On::Request(&facts));
        prop_assert!(d.errors.is_empty(), "{}", d);
        prop_assert!(!d.allowed, "{:?} decided on {:?}: {}", who, facts, d);
    }

    /// And an assigned reviewer of neither side does decide: the forbid above is not a
    /// blanket refusal.
    #[test]
    fn an_assigned_reviewer_of_neither_side_decides(who in who(), facts in facts()) {
        let mut facts = facts;
        facts.reviewers.push(who.org.clone());
        let independent = !facts.issuer_institutions.contains(&who.institution)
            && facts.provider_institution != who.institution;
        let reviewer = who.role == Role::Reviewer && who.role_fits_register();
        let d = Access::builtin().decide(&who, &Action::Decide, &On::Request(&facts));
        prop_assert_eq!(d.allowed, independent && reviewer, "{:?} {:?}: {}", who, facts, d);
    }

    /// A bare API token never submits a request.
    #[test]
    fn a_token_never_submits(who in who(), facts in facts()) {
        let who = Who { credential: CredentialKind::Token, ..who };
        let mut facts = facts;
        facts.authority = who.org.clone();
        let d = Access::builtin().decide(&who, &Action::Submit, &On::Request(&facts));
        prop_assert!(!d.allowed, "{}", d);
    }

    /// A list shows exactly the requests `view` allows: one inside the scope is viewable,
    /// one outside is not.
    #[test]
    fn list_scope_agrees_with_view(who in who(), facts in facts()) {
        let d = Access::builtin().decide(&who, &Action::View, &On::Request(&facts));
        prop_assert!(d.errors.is_empty(), "{}", d);
        let scope = list_scope(&who);
        prop_assert_eq!(scope.contains(&facts), d.allowed, "{:?} {:?} {:?}: {}", who, scope, facts, d);
    }
}

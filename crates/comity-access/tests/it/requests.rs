//! Who may do what with one request: every role, in every relation to the request, for
//! every request-scoped action. The expectations are written out by hand, the way
//! `docs/access.md` states them, not computed.

use comity_access::{Action, CredentialKind, On, RequestFacts, Who};
use comity_core::{PartyRole, Role, State};

use crate::{Party, decide, id, party::*, request, who};

/// The columns of the table, in order.
fn actions() -> [Action; 26] {
    [
        Action::View,
        Action::ViewLogEntries,
        Action::Submit,
        Action::RequestClarification,
        Action::AnswerClarification,
        Action::Decide,
        Action::Appeal,
        Action::Execute,
        Action::Close,
        Action::Withdraw,
        Action::Screen,
        Action::ConfirmEmergency,
        Action::ObjectToReviewer,
        Action::RaiseGrounds,
        Action::ExtendPreservation,
        Action::ObjectConflict,
        Action::DecideConflict,
        Action::AskFurtherUse,
        Action::DecideFurtherUse,
        Action::RecordFurtherUse,
        // An independent reviewer body; the conflicts are in their own table below.
        Action::AssignReviewer {
            reviewer: id(UNASSIGNED_REVIEWER.0),
            reviewer_institution: id(UNASSIGNED_REVIEWER.1),
        },
        Action::IssueVerificationLink,
        Action::ReceiveProduction,
        Action::RecordNotice,
        Action::DecideNotice,
        Action::OpenRemedy,
    ]
}

use CredentialKind::{Key, Person, Token};
use PartyRole as Reg;

/// A relation to the request: its name, the principal's role, its organisation's register,
/// the organisation and institution, the credential, and one mark per action, `Y` for
/// allowed and `.` for denied.
type Row = (&'static str, Role, Reg, Party, CredentialKind, &'static str);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    //                                                                                     view log submit clar answer decide appeal exec close withdraw screen confirm object grounds extend conflict decide-conflict ask-use decide-use record-use assign link receive notice decide-notice remedy
    ("issuing authority",              Role::Requester, Reg::Authority, ISSUER,               Person, "Y Y Y . Y . Y . . Y . . . . Y . Y Y . Y . . Y . . ."),
    ("issuing authority, signed",      Role::Requester, Reg::Authority, ISSUER,               Key,    "Y Y Y . Y . Y . . Y . . . . Y . Y Y . Y . . Y . . ."),
    ("issuing authority, API token",   Role::Requester, Reg::Authority, ISSUER,               Token,  "Y Y . . Y . Y . . Y . . . . Y . Y Y . Y . . Y . . ."),
    ("validating authority",           Role::Requester, Reg::Authority, VALIDATOR,            Person, "Y Y . . Y . Y . . Y . . . . Y . Y Y . Y . . . . . ."),
    ("other authority",                Role::Requester, Reg::Authority, OTHER_AUTHORITY,      Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("addressed provider",             Role::Handler,   Reg::Provider,  PROVIDER,             Person, "Y Y . Y . . Y Y Y Y . . Y . . Y . . . . . Y . Y . Y"),
    ("addressed provider, API token",  Role::Handler,   Reg::Provider,  PROVIDER,             Token,  "Y Y . Y . . Y Y Y Y . . Y . . Y . . . . . Y . Y . Y"),
    ("other provider",                 Role::Handler,   Reg::Provider,  OTHER_PROVIDER,       Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("assigned reviewer",              Role::Reviewer,  Reg::Reviewer,  REVIEWER,             Person, "Y Y . Y . Y . . . . . . . Y . . Y . Y . . . . . Y Y"),
    ("unassigned reviewer",            Role::Reviewer,  Reg::Reviewer,  UNASSIGNED_REVIEWER,  Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    // Assigned (wrongly), but of a party's institution: sees it, never acts as reviewer.
    ("reviewer of issuer's institution",    Role::Reviewer, Reg::Reviewer, REVIEWER_OF_ISSUER,    Person, "Y Y . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("reviewer of validator's institution", Role::Reviewer, Reg::Reviewer, REVIEWER_OF_VALIDATOR, Person, "Y Y . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("reviewer of provider's institution",  Role::Reviewer, Reg::Reviewer, REVIEWER_OF_PROVIDER,  Person, "Y Y . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("operator",                       Role::Admin,     Reg::Operator,  OPERATOR,             Person, ". . . . . . . . . . . . . . . . . . . . Y . . . . ."),
    ("operator of issuer's institution", Role::Admin,   Reg::Operator,  ("fr-operator", ISSUER.1), Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("auditor",                        Role::Auditor,   Reg::Auditor,   AUDITOR,              Person, ". Y . . . . . . . . . . . . . . . . . . . . . . . ."),
    // A role that is not its organisation's register's gains nothing.
    ("admin account at the issuer",    Role::Admin,     Reg::Authority, ISSUER,               Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("auditor account at the provider", Role::Auditor,  Reg::Provider,  PROVIDER,             Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("handler account at the issuer",  Role::Handler,   Reg::Authority, ISSUER,               Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("requester account at the provider", Role::Requester, Reg::Provider, PROVIDER,           Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
    ("requester account at the reviewer", Role::Requester, Reg::Reviewer, REVIEWER,           Person, ". . . . . . . . . . . . . . . . . . . . . . . . . ."),
];

#[test]
fn every_role_in_every_relation_to_a_request() {
    let facts = request();
    let actions = actions();
    let mut wrong = Vec::new();
    for (relation, role, register, party, credential, expected) in TABLE {
        let marks: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(marks.len(), actions.len(), "{relation}: one mark per action");
        let who = who(*role, *register, *party, *credential);
        for (action, mark) in actions.iter().zip(marks) {
            let d = decide(&who, action, &On::Request(&facts));
            if d.allowed != (mark == "Y") {
                wrong.push(format!("{relation} ({role}, {credential:?}): {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} decisions differ from the table:\n{}", wrong.len(), wrong.join("\n"));
}

/// The forbid that decided, for the refusals that have one.
#[test]
fn refusals_name_the_forbid_behind_them() {
    let facts = request();
    let cases: [(Who, Action, &str); 8] = [
        (who(Role::Requester, Reg::Authority, ISSUER, Token), Action::Submit, "submit-signed-or-by-a-person"),
        (
            who(Role::Reviewer, Reg::Reviewer, REVIEWER_OF_ISSUER, Person),
            Action::Decide,
            "no-decision-on-own-side",
        ),
        (
            who(Role::Reviewer, Reg::Reviewer, REVIEWER_OF_PROVIDER, Person),
            Action::RequestClarification,
            "no-clarification-by-conflicted-reviewer",
        ),
        (
            who(Role::Admin, Reg::Operator, OPERATOR, Person),
            Action::AssignReviewer {
                reviewer: id(REVIEWER_OF_VALIDATOR.0),
                reviewer_institution: id(REVIEWER_OF_VALIDATOR.1),
            },
            "no-conflicted-reviewer-assignment",
        ),
        (who(Role::Handler, Reg::Provider, PROVIDER, Person), Action::Screen, "comity-screens"),
        (
            who(Role::Requester, Reg::Authority, ISSUER, Person),
            Action::ConfirmEmergency,
            "emergency-confirmed-out-of-band",
        ),
        (
            who(Role::Auditor, Reg::Auditor, AUDITOR, Person),
            Action::View,
            "no-case-work-for-operator-or-auditor",
        ),
        (who(Role::Admin, Reg::Authority, ISSUER, Person), Action::View, "role-belongs-to-register"),
    ];
    for (who, action, forbid) in cases {
        let d = decide(&who, &action, &On::Request(&facts));
        assert!(!d.allowed && d.policies.contains(&forbid.to_owned()), "{who:?} {action}: {d}");
        assert!(d.to_string().starts_with(&format!("{action} denied by ")), "{d}");
    }
    let allowed =
        decide(&who(Role::Requester, Reg::Authority, ISSUER, Key), &Action::Submit, &On::Request(&facts));
    assert_eq!(allowed.to_string(), "submit allowed by authority-submits-its-own");
    let unrelated = decide(
        &who(Role::Handler, Reg::Provider, OTHER_PROVIDER, Person),
        &Action::View,
        &On::Request(&facts),
    );
    assert_eq!(unrelated.to_string(), "view denied: no policy permits it");
}

/// Which reviewer bodies the operator may assign: none of the issuers' or the provider's
/// institution, whoever is assigned already. The provider assigns none at all: review is
/// routed by law, and the data holder never picks its own reviewer (issue 13).
#[test]
fn a_reviewer_of_a_party_s_institution_is_never_assigned() {
    let facts = request();
    let handler = who(Role::Admin, Reg::Operator, OPERATOR, Person);
    let provider = who(Role::Handler, Reg::Provider, PROVIDER, Person);
    #[rustfmt::skip]
    let table: [(Party, bool); 6] = [
        (REVIEWER,              true),
        (UNASSIGNED_REVIEWER,   true),
        (REVIEWER_OF_ISSUER,    false),
        (REVIEWER_OF_VALIDATOR, false),
        (REVIEWER_OF_PROVIDER,  false),
        // A body that shares only its name's prefix with an issuer is no conflict.
        (("fr-interior-watch", "fr-interior-watch"), true),
    ];
    for (reviewer, allowed) in table {
        let action =
            Action::AssignReviewer { reviewer: id(reviewer.0), reviewer_institution: id(reviewer.1) };
        let d = decide(&handler, &action, &On::Request(&facts));
        assert_eq!(d.allowed, allowed, "assigning {reviewer:?}: {d}");
        let d = decide(&provider, &action, &On::Request(&facts));
        assert!(!d.allowed, "the provider assigning {reviewer:?}: {d}");
    }
}

/// The provider's legal team sends a verification link only for an emergency request
/// that waits for confirmation.
#[test]
fn a_verification_link_only_for_an_emergency_awaiting_confirmation() {
    let handler = who(Role::Handler, Reg::Provider, PROVIDER, Person);
    for state in State::ALL {
        for emergency in [false, true] {
            let facts = RequestFacts { state: *state, emergency, ..request() };
            let d = decide(&handler, &Action::IssueVerificationLink, &On::Request(&facts));
            let expected = emergency && *state == State::PendingVerification;
            assert_eq!(d.allowed, expected, "{state}, emergency {emergency}: {d}");
        }
    }
}

/// A request without a validating authority: its issuer alone follows it, and the court
/// that would have validated it is any other authority.
#[test]
fn without_a_validator_the_issuer_alone_follows_the_request() {
    let facts = RequestFacts { validator: None, issuer_institutions: vec![id(ISSUER.1)], ..request() };
    let issuer = who(Role::Requester, Reg::Authority, ISSUER, Person);
    let court = who(Role::Requester, Reg::Authority, VALIDATOR, Person);
    assert!(decide(&issuer, &Action::View, &On::Request(&facts)).allowed);
    assert!(!decide(&court, &Action::View, &On::Request(&facts)).allowed);
    // The court's own reviewer body is no longer of an issuer's institution.
    let reviewer = who(Role::Reviewer, Reg::Reviewer, REVIEWER_OF_VALIDATOR, Person);
    assert!(decide(&reviewer, &Action::Decide, &On::Request(&facts)).allowed);
}

//! Which action each move of the lifecycle is.

use std::collections::BTreeSet;

use comity_access::{Action, action_for_move};
use comity_core::{RequestKind, State, lifecycle::next_states};

/// Every move `lifecycle::next_states` allows, for either kind of request, and the action
/// it is (the moves to `withdrawn` are checked apart below).
#[test]
fn each_move_is_the_action_docs_access_md_names() {
    use Action::*;
    use State::*;
    #[rustfmt::skip]
    let table: &[(State, State, Action)] = &[
        (Received,               Screening,              Screen),
        (Screening,              UnderReview,            Screen),
        (Screening,              PendingVerification,    Screen),
        (Screening,              ClarificationRequested, Screen),
        (Screening,              Rejected,               Screen),
        (PendingVerification,    UnderReview,            ConfirmEmergency),
        (PendingVerification,    Rejected,               ConfirmEmergency),
        (UnderReview,            ClarificationRequested, RequestClarification),
        (UnderReview,            Approved,               Decide),
        (UnderReview,            PartiallyApproved,      Decide),
        (UnderReview,            Rejected,               Decide),
        (ClarificationRequested, UnderReview,            AnswerClarification),
        (ClarificationRequested, Rejected,               Decide),
        (Appealed,               Approved,               Decide),
        (Appealed,               PartiallyApproved,      Decide),
        (Appealed,               Rejected,               Decide),
        (Approved,               Appealed,               Appeal),
        (PartiallyApproved,      Appealed,               Appeal),
        (Rejected,               Appealed,               Appeal),
        (Approved,               Producing,              Execute),
        (PartiallyApproved,      Producing,              Execute),
        (Approved,               Preserved,              Execute),
        (PartiallyApproved,      Preserved,              Execute),
        (Producing,              Delivered,              ReceiveProduction),
        (Rejected,               Closed,                 Close),
        (Delivered,              Closed,                 Close),
        (Preserved,              Closed,                 Close),
    ];
    for (from, to, action) in table {
        assert_eq!(action_for_move(*from, *to).as_ref(), Some(action), "{from} -> {to}");
    }

    // The table holds every allowed move but withdrawals, and withdrawing is `withdraw`.
    let listed: BTreeSet<(State, State)> = table.iter().map(|(f, t, _)| (*f, *t)).collect();
    let mut allowed = BTreeSet::new();
    for kind in RequestKind::ALL {
        for from in State::ALL {
            for to in next_states(*kind, *from) {
                allowed.insert((*from, *to));
                if *to == Withdrawn {
                    assert_eq!(action_for_move(*from, *to), Some(Withdraw), "{from} -> {to}");
                } else {
                    assert!(listed.contains(&(*from, *to)), "{kind:?} {from} -> {to} is not in the table");
                }
            }
        }
    }
    assert_eq!(listed.difference(&allowed).count(), 0, "the table lists a move the lifecycle refuses");
}

#[test]
fn a_move_no_kind_allows_is_no_action() {
    let mut allowed = BTreeSet::new();
    for kind in RequestKind::ALL {
        for from in State::ALL {
            allowed.extend(next_states(*kind, *from).iter().map(|to| (*from, *to)));
        }
    }
    for from in State::ALL {
        for to in State::ALL {
            let action = action_for_move(*from, *to);
            assert_eq!(action.is_some(), allowed.contains(&(*from, *to)), "{from} -> {to}: {action:?}");
        }
    }
}

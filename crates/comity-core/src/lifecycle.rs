//! The lifecycle of a request: its states and the moves between them.
//!
//! The state machine is the one place that decides which step may follow which. It is
//! pure: the store applies a move only after [`check`] allowed it, and records every move
//! as an event that is never changed or deleted.

use crate::{RequestKind, vocabulary::vocabulary};

vocabulary! {
    /// Where a request stands.
    State {
        /// Accepted and stored; nothing has been done with it yet.
        Received = "received",
        /// Being checked against its instrument's policy pack.
        Screening = "screening",
        /// An emergency request held until a second registered contact of its authority
        /// confirms it through a separate channel: forged emergency requests from hijacked
        /// police mailboxes are the attack this answers. Nothing is acted on meanwhile.
        PendingVerification = "pending_verification",
        /// Before an independent reviewer.
        UnderReview = "under_review",
        /// The provider or reviewer asked the authority to complete or correct it
        /// (Regulation (EU) 2023/1543 Art 10(5)-(8), Annex III).
        ClarificationRequested = "clarification_requested",
        Approved = "approved",
        /// Approved for fewer targets, categories or a shorter window than asked.
        PartiallyApproved = "partially_approved",
        Rejected = "rejected",
        /// A preservation order is being executed: data is kept, nothing is disclosed
        /// (Regulation (EU) 2023/1543 Art 11; Budapest Convention Art 29).
        Preserved = "preserved",
        /// A decision is challenged. Data stays preserved and is never disclosed while
        /// the appeal is pending.
        Appealed = "appealed",
        /// The provider is assembling the approved data.
        Producing = "producing",
        Delivered = "delivered",
        Closed = "closed",
        /// The issuing authority withdrew the request, or it lapsed for want of
        /// validation (Regulation (EU) 2023/1543 Art 4(5)).
        Withdrawn = "withdrawn",
    }
}

impl State {
    /// A request in a final state never moves again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Withdrawn)
    }
}

/// The states a request of `kind` may move to from `from`.
pub fn next_states(kind: RequestKind, from: State) -> &'static [State] {
    use RequestKind::{Preservation, Production};
    use State::*;
    match (from, kind) {
        (Received, _) => &[Screening, Withdrawn],
        // Screening asks for clarification itself when a mandatory element is missing that
        // the authority can supply (Regulation (EU) 2023/1543 Art 10(5), Annex III).
        (Screening, _) => &[UnderReview, PendingVerification, ClarificationRequested, Rejected, Withdrawn],
        // Only a confirmation by a second contact leads on to review; a denial rejects it.
        (PendingVerification, _) => &[UnderReview, Rejected, Withdrawn],
        (UnderReview, _) => &[ClarificationRequested, Approved, PartiallyApproved, Rejected, Withdrawn],
        (ClarificationRequested, _) => &[UnderReview, Rejected, Withdrawn],
        // An approval is acted on, or challenged before anything leaves.
        (Approved | PartiallyApproved, Production) => &[Producing, Appealed, Withdrawn],
        (Approved | PartiallyApproved, Preservation) => &[Preserved, Appealed, Withdrawn],
        (Rejected, _) => &[Appealed, Closed],
        (Appealed, _) => &[Approved, PartiallyApproved, Rejected, Withdrawn],
        (Producing, _) => &[Delivered, Withdrawn],
        // Withdrawal after delivery is how a failed post-hoc validation (Art 4(5)) or an
        // upheld objection (Art 12) is recorded: the data must then be deleted.
        (Delivered, _) => &[Closed, Withdrawn],
        (Preserved, _) => &[Closed, Withdrawn],
        (Closed | Withdrawn, _) => &[],
    }
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct IllegalTransition {
    pub from: State,
    pub to: State,
    pub allowed: &'static [State],
    pub reason: String,
}

/// Checks that a request of `kind` may move from `from` to `to`.
pub fn check(kind: RequestKind, from: State, to: State) -> Result<(), IllegalTransition> {
    let allowed = next_states(kind, from);
    if allowed.contains(&to) {
        return Ok(());
    }
    let reason = if from.is_final() {
        format!("the request is {from}, which is final; it cannot move to {to}")
    } else if to == State::Producing && kind == RequestKind::Preservation {
        "a preservation request never produces data; a production request must follow".to_owned()
    } else if to == State::Preserved && kind == RequestKind::Production {
        "only a preservation request moves to preserved".to_owned()
    } else {
        let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
        format!("a request that is {from} cannot move to {to}; it can move to: {}", list.join(", "))
    };
    Err(IllegalTransition { from, to, allowed, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestKind::*;
    use State::*;

    #[test]
    fn the_main_path_of_a_production_order() {
        let path = [Received, Screening, UnderReview, Approved, Producing, Delivered, Closed];
        for w in path.windows(2) {
            assert_eq!(check(Production, w[0], w[1]), Ok(()), "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn the_main_path_of_a_preservation_order() {
        let path = [Received, Screening, UnderReview, Approved, Preserved, Closed];
        for w in path.windows(2) {
            assert_eq!(check(Preservation, w[0], w[1]), Ok(()), "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn screening_asks_for_clarification_and_the_answer_goes_to_review() {
        for kind in [Production, Preservation] {
            let path = [Received, Screening, ClarificationRequested, UnderReview];
            for w in path.windows(2) {
                assert_eq!(check(kind, w[0], w[1]), Ok(()), "{kind:?}: {} -> {}", w[0], w[1]);
            }
            // Nothing is approved straight from a request for clarification.
            assert!(check(kind, ClarificationRequested, Approved).is_err());
        }
    }

    #[test]
    fn nothing_leaves_without_a_decision_or_during_an_appeal() {
        for from in [
            Received,
            Screening,
            PendingVerification,
            UnderReview,
            ClarificationRequested,
            Rejected,
            Appealed,
        ] {
            assert!(check(Production, from, Producing).is_err(), "{from}");
            assert!(check(Production, from, Delivered).is_err(), "{from}");
        }
    }

    #[test]
    fn final_states_are_final() {
        for to in State::ALL {
            assert!(check(Production, Closed, *to).is_err());
            assert!(check(Preservation, Withdrawn, *to).is_err());
        }
        let err = check(Production, Closed, Received).unwrap_err();
        assert!(err.reason.contains("final"), "{}", err.reason);
    }

    #[test]
    fn kinds_have_their_own_ends() {
        let err = check(Preservation, Approved, Producing).unwrap_err();
        assert!(err.reason.contains("preservation request never produces"), "{}", err.reason);
        assert!(check(Production, Approved, Preserved).is_err());
    }

    #[test]
    fn a_refusal_names_the_allowed_moves() {
        let err = check(Production, Received, Approved).unwrap_err();
        assert_eq!(err.allowed, &[Screening, Withdrawn]);
        assert!(err.reason.contains("screening, withdrawn"), "{}", err.reason);
    }

    #[test]
    fn every_non_final_state_can_be_left() {
        for kind in RequestKind::ALL {
            for from in State::ALL {
                assert_eq!(next_states(*kind, *from).is_empty(), from.is_final(), "{from}");
            }
        }
    }
}

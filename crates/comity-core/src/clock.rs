//! Clocks that act: every deadline a screening or an act sets, and what happens when it
//! passes (issue 13).
//!
//! A [`Clock`] is a request's deadline of one [`ClockKind`], with its due time. When the
//! due time passes, [`on_expiry`] decides, from the request as it stands, what the law
//! makes of it: an emergency order not validated in time is withdrawn (Regulation (EU)
//! 2023/1543 Art 4(5)), a preservation lapses (Art 11(1)), a missed answer is escalated,
//! and so on. The decision is pure; the application layer records it as a `clock.expired`
//! fact, and the move it asks for, in one transaction that also closes the clock, so that
//! each clock acts exactly once whoever sweeps and however often.

use chrono::{DateTime, Utc};

use crate::{RequestId, State, vocabulary::vocabulary};

vocabulary! {
    /// What a deadline is for.
    ClockKind {
        /// When the data must be produced (e-Evidence Art 10(1)-(4); each pack's setting).
        RespondBy = "respond_by",
        /// When an emergency order issued without prior validation must have been
        /// validated (Regulation (EU) 2023/1543 Art 4(5)).
        Validation = "validation",
        /// When the enforcing authority's time to raise a ground for refusal ends
        /// (Regulation (EU) 2023/1543 Art 10(2), Art 12(1)).
        ObjectionWindow = "objection_window",
        /// When a preservation ceases, unless extended (Regulation (EU) 2023/1543 Art 11(1);
        /// Budapest Convention Art 29(7)).
        PreservationEnd = "preservation_end",
        /// When the nondisclosure the authority asked for ends, and the person concerned
        /// must be told (Regulation (EU) 2023/1543 Art 13).
        NondisclosureEnd = "nondisclosure_end",
        /// When a production's retention ends, and the data must be disposed of.
        Retention = "retention",
        /// When the receiving authority's signed attestation that it disposed of a
        /// production is due: the retention date, plus the grace in settings (seed norm
        /// "track how data is ... retained, and eventually disposed of"; CETS 224 Art 14(5), retention periods).
        DisposalAttestation = "disposal_attestation",
        /// When the authority's signed attestation that it deleted the data a remedy case
        /// recalled is due (the seed: "timely corrections"; comity's setting
        /// `--recall-days`, no instrument sets a number). Of several open cases, the
        /// soonest.
        Recall = "recall",
    }
}

vocabulary! {
    /// What a clock's passing did.
    ClockOutcome {
        /// The request was answered in time; nothing to do.
        Met = "met",
        /// No answer by the deadline: escalated to the provider's handlers, and counted
        /// (`comity_overdue`) until the request is answered.
        Overdue = "overdue",
        /// An emergency order not validated in time: withdrawn, and anything produced is
        /// to be deleted (Art 4(5)).
        Withdrawn = "withdrawn",
        /// The objection window ended without an objection: the request proceeds.
        Proceeds = "proceeds",
        /// The preservation ceased at its date (Art 11(1)).
        Lapsed = "lapsed",
        /// The nondisclosure ended: the notice to the person concerned is due.
        NoticeDue = "notice_due",
        /// The retention ended: the data is to be disposed of.
        DisposalDue = "disposal_due",
        /// The request had already ended: the deadline no longer matters.
        Moot = "moot",
        /// A later act took the deadline away (an emergency validated after all, say).
        Cancelled = "cancelled",
        /// The enforcing authority raised grounds for refusal within its time (Regulation
        /// (EU) 2023/1543 Art 12(1)).
        Objected = "objected",
    }
}

/// A deadline as a request holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub request_id: RequestId,
    pub kind: ClockKind,
    pub due: DateTime<Utc>,
    /// When it was set (or moved, by an extension).
    pub set_at: DateTime<Utc>,
    /// When it was acted on, and how; `None` while it runs.
    pub closed: Option<(DateTime<Utc>, ClockOutcome)>,
}

/// A deadline an act sets, moves or takes away, written in the act's own transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockSet {
    pub kind: ClockKind,
    /// `None` takes the deadline away: a running clock closes as [`ClockOutcome::Cancelled`].
    pub due: Option<DateTime<Utc>>,
}

/// Closing a clock that passed: the write that carries it fails with a conflict unless the
/// clock is still running with exactly this due time, so it happens once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockClose {
    pub request_id: RequestId,
    pub kind: ClockKind,
    pub due: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub outcome: ClockOutcome,
}

/// What passing a deadline does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub outcome: ClockOutcome,
    /// The move it makes, if any.
    pub to: Option<State>,
    /// Why, citing the law; recorded on the fact and on the move.
    pub reason: String,
}

/// Whether a request has had its answer: data delivered, preservation carried out, or the
/// request ended one way or another.
pub fn is_answered(state: State) -> bool {
    matches!(state, State::Delivered | State::Preserved | State::Rejected | State::Closed | State::Withdrawn)
}

/// What passing the deadline `kind` does to a request that is now `state`.
pub fn on_expiry(kind: ClockKind, state: State) -> Expiry {
    let expiry = |outcome, to, reason: &str| Expiry { outcome, to, reason: reason.to_owned() };
    let moot = |why: &str| Expiry {
        outcome: ClockOutcome::Moot,
        to: None,
        reason: format!("the {} deadline passed {why}; nothing to do", kind.as_str().replace('_', " ")),
    };
    match kind {
        ClockKind::RespondBy if is_answered(state) => {
            expiry(ClockOutcome::Met, None, "the request was answered before its deadline")
        }
        ClockKind::RespondBy => expiry(
            ClockOutcome::Overdue,
            None,
            "no answer by the deadline: escalated to the provider's handlers; it stays overdue until answered",
        ),
        // The person is told, and the data disposed of, however the request ended.
        ClockKind::NondisclosureEnd => expiry(
            ClockOutcome::NoticeDue,
            None,
            "the nondisclosure ended: the person concerned is to be told (Regulation (EU) 2023/1543 Art 13)",
        ),
        ClockKind::Retention => {
            expiry(ClockOutcome::DisposalDue, None, "the retention ended: the data is to be disposed of")
        }
        // Disposal is owed however the request ended: escalated to the authority, and
        // counted until it attests.
        ClockKind::DisposalAttestation => expiry(
            ClockOutcome::Overdue,
            None,
            "the receiving authority has not attested disposal of the data by its date: escalated, \
             and counted until it attests (CETS 224 Art 14(5), retention periods)",
        ),
        // Recalled data is owed back however the request ended.
        ClockKind::Recall => expiry(
            ClockOutcome::Overdue,
            None,
            "the authority has not attested deletion of the data a remedy case recalled by its date: \
             escalated, and counted until it attests",
        ),
        _ if state.is_final() || state == State::Rejected => moot(&format!("after the request was {state}")),
        ClockKind::Validation => expiry(
            ClockOutcome::Withdrawn,
            Some(State::Withdrawn),
            "an emergency order issued without prior validation was not validated within 48 hours: it is \
             withdrawn, and any data produced must be deleted (Regulation (EU) 2023/1543 Art 4(5))",
        ),
        ClockKind::ObjectionWindow => expiry(
            ClockOutcome::Proceeds,
            None,
            "the enforcing authority raised no ground for refusal within its time: the request proceeds \
             (Regulation (EU) 2023/1543 Art 10(2), Art 12(1))",
        ),
        ClockKind::PreservationEnd => {
            let to = if state == State::Preserved { State::Closed } else { State::Withdrawn };
            expiry(
                ClockOutcome::Lapsed,
                Some(to),
                "the preservation ceased at its end date and was not extended (Regulation (EU) 2023/1543 \
                 Art 11(1); Budapest Convention Art 29(7))",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestKind;
    use ClockKind::*;

    #[test]
    fn an_unvalidated_emergency_is_withdrawn_from_any_open_state() {
        for state in State::ALL.iter().copied().filter(|s| !s.is_final() && *s != State::Rejected) {
            let e = on_expiry(Validation, state);
            assert_eq!((e.outcome, e.to), (ClockOutcome::Withdrawn, Some(State::Withdrawn)), "{state}");
            assert!(e.reason.contains("Art 4(5)"), "{}", e.reason);
        }
        // A request already refused has nothing left to stop.
        assert_eq!(on_expiry(Validation, State::Rejected).outcome, ClockOutcome::Moot);
    }

    #[test]
    fn every_move_a_clock_makes_is_one_the_lifecycle_allows() {
        for kind in ClockKind::ALL {
            for request in RequestKind::ALL {
                for state in State::ALL {
                    let e = on_expiry(*kind, *state);
                    if let Some(to) = e.to {
                        assert!(
                            crate::lifecycle::check(*request, *state, to).is_ok(),
                            "{kind} on a {request} that is {state} moves to {to}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_preservation_lapses_into_closed_once_carried_out() {
        assert_eq!(on_expiry(PreservationEnd, State::Preserved).to, Some(State::Closed));
        assert_eq!(on_expiry(PreservationEnd, State::UnderReview).to, Some(State::Withdrawn));
        assert_eq!(on_expiry(PreservationEnd, State::Closed).outcome, ClockOutcome::Moot);
    }

    #[test]
    fn a_missed_answer_is_overdue_until_answered() {
        for state in [State::UnderReview, State::Approved, State::Producing, State::ClarificationRequested] {
            assert_eq!(on_expiry(RespondBy, state).outcome, ClockOutcome::Overdue, "{state}");
        }
        for state in [State::Delivered, State::Rejected, State::Withdrawn, State::Closed] {
            assert_eq!(on_expiry(RespondBy, state).outcome, ClockOutcome::Met, "{state}");
        }
    }

    #[test]
    fn a_missing_disposal_attestation_is_overdue_in_every_state() {
        for state in State::ALL {
            assert_eq!(on_expiry(DisposalAttestation, *state).outcome, ClockOutcome::Overdue, "{state}");
            assert_eq!(on_expiry(Recall, *state).outcome, ClockOutcome::Overdue, "{state}");
        }
    }

    #[test]
    fn clocks_that_only_tell_never_move_the_request() {
        for kind in [ObjectionWindow, NondisclosureEnd, Retention, DisposalAttestation, Recall] {
            assert_eq!(on_expiry(kind, State::Approved).to, None, "{kind}");
        }
    }
}

//! The actions the policy decides on, and which one each move of the lifecycle is.

use comity_core::{PartyId, State};

/// Something a principal asks to do. Each is one Cedar action of
/// `policies/access.cedarschema`, named by [`Action::name`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    // On one request (`On::Request`).
    /// Read a request: its document, events, screenings, and the issuing authority's
    /// track record beside it.
    View,
    /// List the indexes of a request's audit-log entries (the entries are public).
    ViewLogEntries,
    /// Submit a request; the facts are those of the request about to be created.
    Submit,
    /// under_review → clarification_requested.
    RequestClarification,
    /// clarification_requested → under_review.
    AnswerClarification,
    /// under_review or appealed → approved, partially_approved or rejected;
    /// clarification_requested → rejected.
    Decide,
    /// approved, partially_approved or rejected → appealed.
    Appeal,
    /// approved or partially_approved → producing (by producing a sealed package) or
    /// preserved.
    Execute,
    /// rejected, delivered or preserved → closed.
    Close,
    /// Any state that is not final → withdrawn.
    Withdraw,
    /// received → screening; screening → under_review, pending_verification or rejected.
    /// comity does this itself on intake; nobody does it through the API.
    Screen,
    /// pending_verification → under_review or rejected. Done only through the separate
    /// confirmation channel of the authority's second registered contact, which the
    /// server handles outside this policy; nobody does it through the API's moves.
    ConfirmEmergency,
    /// Object to the reviewer body the law assigned, for a conflict of interest.
    ObjectToReviewer,
    /// Raise grounds for refusal, as the enforcing authority, within its time.
    RaiseGrounds,
    /// Extend a preservation once, before it ends.
    ExtendPreservation,
    /// Object, as the provider, that executing a production order would conflict with the
    /// law of a third country (Regulation (EU) 2023/1543 Art 17).
    ObjectConflict,
    /// Decide such an objection: the issuing authority, or the court of its State.
    DecideConflict,
    /// Ask, as the issuing authority, to use produced data for another purpose or to pass
    /// it on (issue 15, item 2).
    AskFurtherUse,
    /// Decide such an ask: the reviewer body assigned to the request.
    DecideFurtherUse,
    /// Record, as the issuing authority, a further use it was granted.
    RecordFurtherUse,
    /// Say how the notice to a person concerned reaches them (language, channel) and
    /// confirm its delivery through the provider's own channel (issue 15, item 1).
    RecordNotice,
    /// Decide, with reasons, that the notice to a person concerned is delayed or barred, or
    /// goes out at once (issue 15, item 1).
    DecideNotice,
    /// Open a remedy case on delivered data found wrong (wrong account, out of scope, a
    /// third party unmasked, a decision overturned): the provider, which finds the error,
    /// or the reviewer body assigned (issue 15, item 4).
    OpenRemedy,
    /// Assign a reviewer body to decide on a request (the operator, with a reason).
    AssignReviewer {
        reviewer: PartyId,
        /// The reviewer body's institution ([`comity_core::Party::institution`]).
        reviewer_institution: PartyId,
    },
    /// Download a sealed production's package, and acknowledge its receipt: producing →
    /// delivered.
    ReceiveProduction,
    /// Attest, with a statement signed by a registered key, that the data of a production
    /// received was disposed of at its retention date (issue 15).
    AttestDisposal,
    /// Issue a one-time link for a registered contact of the issuing authority to confirm
    /// an emergency request.
    IssueVerificationLink,
    /// Register a representative of the person concerned for a request (the operator, on
    /// a mandate).
    RegisterRepresentative,
    /// Read the minimum a representative of the person concerned needs: the request's
    /// state, its decisions with their grounds and reasoning, its appeals; never its
    /// document.
    ViewDecision,

    // On the collection of requests (`On::Requests`).
    /// List requests; which ones is [`crate::list_scope`].
    ListRequests,
    /// Screen a document without submitting it.
    DryRunScreen,

    // On the registers (`On::Registers`).
    /// Register parties, their keys and their contacts.
    ManageRegisters,
    /// Read the registered parties and their public keys.
    ReadRegisters,
    /// Read an authority's registered contacts (personal data).
    ReadContacts,

    /// Manage accounts and API tokens (`On::Accounts`).
    ManageAccounts,
    /// Read every authority's track record and the counts (`On::Aggregates`).
    ReadAggregates,
}

impl Action {
    /// The Cedar action's id: `Action::"view"` is named `view`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::View => "view",
            Action::ViewLogEntries => "view_log_entries",
            Action::Submit => "submit",
            Action::RequestClarification => "request_clarification",
            Action::AnswerClarification => "answer_clarification",
            Action::Decide => "decide",
            Action::Appeal => "appeal",
            Action::Execute => "execute",
            Action::Close => "close",
            Action::Withdraw => "withdraw",
            Action::Screen => "screen",
            Action::ConfirmEmergency => "confirm_emergency",
            Action::ObjectToReviewer => "object_to_reviewer",
            Action::RaiseGrounds => "raise_grounds",
            Action::ExtendPreservation => "extend_preservation",
            Action::ObjectConflict => "object_conflict",
            Action::DecideConflict => "decide_conflict",
            Action::AskFurtherUse => "ask_further_use",
            Action::DecideFurtherUse => "decide_further_use",
            Action::RecordFurtherUse => "record_further_use",
            Action::RecordNotice => "record_notice",
            Action::DecideNotice => "decide_notice",
            Action::OpenRemedy => "open_remedy",
            Action::AssignReviewer { .. } => "assign_reviewer",
            Action::ReceiveProduction => "receive_production",
            Action::AttestDisposal => "attest_disposal",
            Action::IssueVerificationLink => "issue_verification_link",
            Action::RegisterRepresentative => "register_representative",
            Action::ViewDecision => "view_decision",
            Action::ListRequests => "list_requests",
            Action::DryRunScreen => "dry_run_screen",
            Action::ManageRegisters => "manage_registers",
            Action::ReadRegisters => "read_registers",
            Action::ReadContacts => "read_contacts",
            Action::ManageAccounts => "manage_accounts",
            Action::ReadAggregates => "read_aggregates",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The action a move of the lifecycle is, to ask the policy about before applying it;
/// `None` for a move no kind of request may make ([`comity_core::lifecycle::check`]
/// refuses those anyway).
///
/// ```
/// use comity_access::{Action, action_for_move};
/// use comity_core::State;
///
/// assert_eq!(action_for_move(State::UnderReview, State::Approved), Some(Action::Decide));
/// assert_eq!(action_for_move(State::Screening, State::Rejected), Some(Action::Screen));
/// assert_eq!(action_for_move(State::Received, State::Delivered), None);
/// ```
pub fn action_for_move(from: State, to: State) -> Option<Action> {
    use State::*;
    let action = match (from, to) {
        // Final states never move, and a rejected request is appealed or closed, never
        // withdrawn (`lifecycle::next_states`).
        (Closed | Withdrawn | Rejected, Withdrawn) => return None,
        (_, Withdrawn) => Action::Withdraw,
        (Received, Screening)
        | (Screening, UnderReview | PendingVerification | ClarificationRequested | Rejected) => {
            Action::Screen
        }
        (PendingVerification, UnderReview | Rejected) => Action::ConfirmEmergency,
        (UnderReview, ClarificationRequested) => Action::RequestClarification,
        (ClarificationRequested, UnderReview) => Action::AnswerClarification,
        (UnderReview | Appealed, Approved | PartiallyApproved | Rejected)
        | (ClarificationRequested, Rejected) => Action::Decide,
        (Approved | PartiallyApproved | Rejected, Appealed) => Action::Appeal,
        (Approved | PartiallyApproved, Producing | Preserved) => Action::Execute,
        (Producing, Delivered) => Action::ReceiveProduction,
        (Rejected | Delivered | Preserved, Closed) => Action::Close,
        _ => return None,
    };
    Some(action)
}

//! What a person must do next (issue 14, item 3): the requests in the caller's scope with
//! the deadline each runs against, soonest first, and what the caller may do to each.

use chrono::{DateTime, Utc};
use comity_access::action_for_move;
use comity_core::{Clock, State, StoredRequest, lifecycle};

use crate::{App, Caller, Listing, RequestView, Result};

/// A request in a person's list, with the deadline that runs soonest.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub request: StoredRequest,
    /// The running deadline due first, if any runs.
    pub next: Option<Clock>,
}

/// A page of a person's list: the items, soonest deadline first, and how many there are.
#[derive(Debug, Clone)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl App {
    /// The requests in the caller's scope (as [`App::list_requests`] gives them), each with
    /// its soonest running deadline, the page ordered by that deadline, those without one
    /// last and newest first among them.
    pub async fn inbox(&self, caller: &Caller, listing: Listing) -> Result<Inbox> {
        let (page, number, per_page) = self.list_requests(caller, listing).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for request in page.items {
            let next = self
                .store()
                .clocks(request.id)
                .await?
                .into_iter()
                .filter(|c| c.closed.is_none())
                .min_by_key(|c| c.due);
            items.push(InboxItem { request, next });
        }
        items.sort_by_key(|i| i.next.as_ref().map_or(DateTime::<Utc>::MAX_UTC, |c| c.due));
        Ok(Inbox { items, total: page.total, page: number, per_page })
    }

    /// The moves the caller may make on a request it sees, as the policy decides each: what
    /// a page offers is exactly what the API would accept.
    pub fn moves_for(&self, caller: &Caller, view: &RequestView) -> Vec<State> {
        lifecycle::next_states(view.request.kind, view.request.state)
            .iter()
            .copied()
            .filter(|&to| {
                action_for_move(view.request.state, to).is_some_and(|action| {
                    self.allowed(caller, &action, &comity_access::On::Request(&view.facts))
                })
            })
            .collect()
    }
}

/// What a decision on a request may rest on: the pack's grounds for each outcome, and the
/// findings screening flagged, which an approval answers one by one.
#[derive(Debug, Clone)]
pub struct DecisionOptions {
    pub grounds: Vec<(State, Vec<comity_policy::Ground>)>,
    pub flagged: Vec<comity_wire::screening::FindingBody>,
}

impl App {
    /// The grounds and findings a decision on `request` takes, for a form that offers
    /// exactly what [`App::transition`] accepts.
    pub async fn decision_options(&self, request: &StoredRequest) -> Result<DecisionOptions> {
        use comity_policy::GroundUse;
        let pack = self.pack_of(request).await?;
        let grounds = [
            (State::Approved, GroundUse::Approved),
            (State::PartiallyApproved, GroundUse::PartiallyApproved),
            (State::Rejected, GroundUse::Rejected),
        ]
        .into_iter()
        .map(|(state, used)| (state, pack.grounds_for(used).cloned().collect()))
        .collect();
        let flagged = self
            .latest_report(request)
            .await?
            .findings
            .into_iter()
            .filter(|f| matches!(f.outcome.as_str(), "review" | "fail" | "clarify"))
            .collect();
        Ok(DecisionOptions { grounds, flagged })
    }
}

/// The acts beside the lifecycle's moves that a person may do on a request now, as the
/// policy and the request's clocks allow them: what the portal offers, each act still
/// checked in full by its own use case.
#[derive(Debug, Clone, Default)]
pub struct Offers {
    /// The reviewer bodies assigned to the request.
    pub reviewers: Vec<comity_core::PartyId>,
    /// The provider may object to an assigned body for a conflict of interest.
    pub object_to_reviewer: bool,
    /// The authority may extend the running preservation once (Art 11(1)).
    pub extend_preservation: bool,
    /// The enforcing authority may raise these grounds for refusal while its window runs
    /// (Art 12(1)).
    pub refusal_grounds: Option<Vec<comity_policy::Ground>>,
    /// The provider may object for conflicting obligations (Art 17).
    pub object_conflict: bool,
    /// An objection for conflicting obligations awaits the caller's decision: the issuing
    /// authority may uphold it (withdraw), the court of its State decide either way.
    pub decide_conflict: bool,
}

impl App {
    /// What `caller` may do on the request beside its moves (see [`Offers`]).
    pub async fn offers(&self, caller: &Caller, view: &RequestView, clocks: &[Clock]) -> Result<Offers> {
        use comity_access::{Action, On};
        use comity_core::{ClockKind, Party, ReviewerKind};
        let on = On::Request(&view.facts);
        let running = |kind: ClockKind| clocks.iter().any(|c| c.kind == kind && c.closed.is_none());
        let pack = self.pack_of(&view.request).await.ok();
        let enforcing = matches!(
            self.party(caller.org()).await?,
            Some(Party::Reviewer(body)) if body.kind == ReviewerKind::EnforcingAuthority
        );
        let refusal_grounds = (enforcing
            && running(ClockKind::ObjectionWindow)
            && self.allowed(caller, &Action::RaiseGrounds, &on))
        .then(|| pack.map(|p| p.grounds_for(comity_policy::GroundUse::Refusal).cloned().collect()))
        .flatten();
        let conflict_possible = pack.is_some_and(|p| p.settings.conflict_objection_days.is_some());
        Ok(Offers {
            reviewers: view.facts.reviewers.clone(),
            object_to_reviewer: !view.facts.reviewers.is_empty()
                && self.allowed(caller, &Action::ObjectToReviewer, &on),
            extend_preservation: running(ClockKind::PreservationEnd)
                && self.allowed(caller, &Action::ExtendPreservation, &on)
                && self
                    .store()
                    .journal(
                        &comity_core::JournalQuery::kinds(&[comity_core::FactKind::PreservationExtended])
                            .request(view.request.id),
                    )
                    .await?
                    .is_empty(),
            refusal_grounds,
            object_conflict: conflict_possible
                && self.pending_conflict(view.request.id).await?.is_none()
                && self.allowed(caller, &Action::ObjectConflict, &on),
            decide_conflict: self.pending_conflict(view.request.id).await?.is_some()
                && self.allowed(caller, &Action::DecideConflict, &on),
        })
    }
}

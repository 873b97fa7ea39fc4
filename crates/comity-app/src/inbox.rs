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

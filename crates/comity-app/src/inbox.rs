//! What a person must do next (issue 14, item 3): the requests in the caller's scope with
//! the deadline each runs against, soonest first, and what the caller may do to each.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use comity_access::action_for_move;
pub use comity_core::InboxItem;
use comity_core::{Clock, InboxKey, RequestId, State, StoredRequest, lifecycle};

use crate::{App, Caller, Error, Listing, RequestView, Result};

/// A page of a person's list: the items, soonest deadline first, how many there are in
/// all, and where the next page starts, if one follows.
#[derive(Debug, Clone)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub total: u64,
    pub per_page: u32,
    /// The cursor of the next page, for [`App::inbox`]'s `after`; opaque to its reader.
    pub next: Option<String>,
}

impl App {
    /// The requests in the caller's scope (the scope of [`App::list_requests`], with the
    /// listing's filters and `per_page`; its `page` is not read), each with its soonest
    /// running deadline, ordered by that deadline across every page, those without one
    /// last and newest first among them. `after` is a page's [`Inbox::next`]: the pages
    /// are a keyset's, so each costs the same however deep, and none skips or repeats a
    /// request whose deadline did not move meanwhile.
    pub async fn inbox(&self, caller: &Caller, listing: Listing, after: Option<&str>) -> Result<Inbox> {
        let after = after.map(parse_cursor).transpose()?;
        let scoped = self.scoped_query(caller, listing)?;
        let per_page = scoped.query.per_page;
        if scoped.empty {
            return Ok(Inbox { items: Vec::new(), total: 0, per_page, next: None });
        }
        let page = self.store().inbox(&scoped.query, after.as_ref()).await?;
        let next = if page.more { page.items.last().map(|item| cursor(&item.key())) } else { None };
        Ok(Inbox { items: page.items, total: page.total, per_page, next })
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

/// A page's cursor: its last item's key, as text (`due|received_at|id`, the times in
/// microseconds since 1970, `due` empty when no deadline runs), in URL-safe base64. It
/// names nothing the page does not show; it is opaque only so that nobody builds one.
fn cursor(key: &InboxKey) -> String {
    let due = key.due.map(|d| d.timestamp_micros().to_string()).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(format!("{due}|{}|{}", key.received_at.timestamp_micros(), key.id))
}

fn parse_cursor(text: &str) -> Result<InboxKey> {
    let bad = || Error::BadInput("this page's link is not valid: start again from the first page".to_owned());
    let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let mut parts = decoded.split('|');
    let (Some(due), Some(received_at), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let time = |t: &str| t.parse().ok().and_then(DateTime::<Utc>::from_timestamp_micros).ok_or_else(bad);
    Ok(InboxKey {
        due: if due.is_empty() { None } else { Some(time(due)?) },
        received_at: time(received_at)?,
        id: RequestId::parse(id).map_err(|_| bad())?,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_key() {
        let id = RequestId::parse("0193a1b2-0000-7000-8000-000000000001").unwrap();
        let at = DateTime::<Utc>::from_timestamp_micros(1_780_000_000_123_456).unwrap();
        for due in [None, Some(at + chrono::Duration::days(3))] {
            let key = InboxKey { due, received_at: at, id };
            assert_eq!(parse_cursor(&cursor(&key)).unwrap(), key);
        }
        for bad in ["", "not base64!", &URL_SAFE_NO_PAD.encode("1|2"), &URL_SAFE_NO_PAD.encode("x|2|id")] {
            assert!(matches!(parse_cursor(bad), Err(Error::BadInput(_))), "{bad:?}");
        }
    }
}

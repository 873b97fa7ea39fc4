//! The inbox (issue 14): one order across every page, soonest running deadline first, each
//! request once, in exactly the scope the listing has; on both backends.

use std::cmp::Reverse;

use chrono::Duration;
use comity_core::{
    Act, ActorId, ClockKind, ClockSet, Fact, InboxItem, NewEntry, PartyId, RequestQuery, Store, journal,
};

use crate::harness::Harness;
use crate::suite::{new_request, t0};
use crate::trust_suite::assigned;

fn pid(s: &str) -> PartyId {
    PartyId::parse(s).unwrap()
}

fn set(kind: ClockKind, days: i64) -> ClockSet {
    ClockSet { kind, due: Some(t0() + Duration::days(days)) }
}

/// An act on request `i` that sets these clocks and records these facts.
async fn act(store: &dyn Store, id: comity_core::RequestId, clocks: Vec<ClockSet>, facts: Vec<NewEntry>) {
    let act = Act { request_id: id, at: t0() + Duration::hours(1), facts, clocks, closes: None };
    store.act(&act).await.unwrap();
}

/// Every page of `query`'s inbox, each `per_page` long, each from the last one's last key.
async fn every_page(store: &dyn Store, query: &RequestQuery) -> (Vec<InboxItem>, usize) {
    let (mut items, mut pages, mut after) = (Vec::new(), 0, None);
    loop {
        let page = store.inbox(query, after.as_ref()).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= query.per_page as usize);
        assert_eq!(
            page.more,
            !page.items.is_empty() && page.items.len() == query.per_page as usize && {
                // `more` says exactly whether another page has items.
                let key = page.items.last().unwrap().key();
                !store.inbox(query, Some(&key)).await.unwrap().items.is_empty()
            }
        );
        after = page.items.last().map(InboxItem::key);
        items.extend(page.items);
        if !page.more {
            return (items, pages);
        }
    }
}

/// What the inbox must hold, worked out from each request and its clocks apart.
async fn expected(store: &dyn Store, query: &RequestQuery) -> Vec<InboxItem> {
    let listed =
        store.list_requests(&RequestQuery { page: 1, per_page: 200, ..query.clone() }).await.unwrap();
    let mut items = Vec::new();
    for request in listed.items {
        let next = store
            .clocks(request.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.closed.is_none())
            .min_by_key(|c| (c.due, c.kind.as_str()));
        items.push(InboxItem { request, next });
    }
    items.sort_by_key(|i| {
        let due = i.next.as_ref().map(|c| c.due);
        (due.is_none(), due, Reverse(i.request.received_at), Reverse(i.request.id.to_string()))
    });
    items
}

pub async fn the_inbox_is_ordered_across_pages_and_scoped(h: &mut Harness) {
    let store = h.store();
    // 23 requests, two received each minute (ties on the time), three providers, two
    // authorities.
    let mut ids = Vec::new();
    for i in 0..23_i64 {
        let authority = if i % 3 == 0 { "de-bka" } else { "fr-tj-paris" };
        let provider = if i % 5 == 4 { "example-cloud" } else { "example-mail" };
        let new = new_request(authority, provider, t0() + Duration::minutes(i / 2));
        ids.push(store.insert_request(&new).await.unwrap().request.id);
    }
    for (i, &id) in ids.iter().enumerate() {
        let i = i64::try_from(i).unwrap();
        // Deadlines that tie across requests (i % 4 days), a second one later, one taken
        // away (closed, so not running), or none at all.
        let clocks = match i % 5 {
            0 => vec![],
            1 => vec![set(ClockKind::RespondBy, i % 4)],
            2 => vec![set(ClockKind::RespondBy, 10 + i % 4), set(ClockKind::ObjectionWindow, i % 4)],
            3 => vec![set(ClockKind::Validation, i % 4), set(ClockKind::RespondBy, i % 4)],
            _ => vec![set(ClockKind::Validation, 1)],
        };
        let mut facts = Vec::new();
        // A reviewer body for the first twelve.
        if i < 12 {
            facts.push(assigned(id, "ie-dpc", None));
        }
        act(store, id, clocks, facts).await;
    }
    for (i, &id) in ids.iter().enumerate() {
        let mut facts = Vec::new();
        // Taken off three of them: they leave its inbox.
        if [2, 5, 7].contains(&i) {
            let fact = Fact::ReviewerUnassigned(journal::ReviewerUnassigned {
                request: id,
                reviewer: pid("ie-dpc"),
                reason: "conflict of interest".into(),
            });
            facts.push(NewEntry {
                at: t0() + Duration::hours(2),
                actor: ActorId::parse("admin@ops").unwrap(),
                party: None,
                subject: "ie-dpc".into(),
                request_id: Some(id),
                fact,
            });
        }
        // The validation deadline met on every fourth: it no longer runs.
        let clocks =
            if i % 5 == 4 { vec![ClockSet { kind: ClockKind::Validation, due: None }] } else { vec![] };
        if !facts.is_empty() || !clocks.is_empty() {
            act(store, id, clocks, facts).await;
        }
    }

    let every = RequestQuery::every(1, 4);
    let scopes = [
        ("everything", every.clone()),
        ("a provider", RequestQuery { provider: Some(pid("example-mail")), ..every.clone() }),
        ("an issuer", RequestQuery { issuer: Some(pid("de-bka")), ..every.clone() }),
        ("a reviewer", RequestQuery { reviewer: Some(pid("ie-dpc")), ..every.clone() }),
        ("nobody", RequestQuery { provider: Some(pid("example-none")), ..every.clone() }),
    ];
    for (name, query) in scopes {
        let want = expected(store, &query).await;
        for per_page in [1, 4, 7, 50] {
            let query = RequestQuery { per_page, ..query.clone() };
            let (got, pages) = every_page(store, &query).await;
            assert_eq!(got, want, "{name}, {per_page} a page");
            assert_eq!(pages, want.len().div_ceil(per_page as usize).max(1), "{name}, {per_page} a page");
            let total = store.inbox(&query, None).await.unwrap().total;
            assert_eq!(total, u64::try_from(want.len()).unwrap(), "{name}");
        }
    }
    // The scopes hold what they should: the reviewer's nine (twelve assigned, three taken
    // off); a request with no running deadline last.
    let reviewer = RequestQuery { reviewer: Some(pid("ie-dpc")), ..every.clone() };
    let theirs = expected(store, &reviewer).await;
    assert_eq!(theirs.len(), 9);
    assert!(theirs.iter().all(|i| ![2, 5, 7].into_iter().any(|n| ids[n] == i.request.id)));
    let all = expected(store, &every).await;
    assert_eq!(all.len(), 23);
    assert!(all.iter().skip_while(|i| i.next.is_some()).all(|i| i.next.is_none()));
    assert!(all.iter().filter(|i| i.next.is_none()).count() >= 5);

    // A request that arrives between two pages, with a deadline sooner than any, is not
    // on the later page (it sorts before the cursor), and nothing on it is repeated.
    let query = RequestQuery { per_page: 5, ..every.clone() };
    let first = store.inbox(&query, None).await.unwrap();
    let new = new_request("fr-tj-paris", "example-mail", t0() + Duration::minutes(30));
    let late = store.insert_request(&new).await.unwrap().request.id;
    act(store, late, vec![set(ClockKind::RespondBy, -1)], vec![]).await;
    let second = store.inbox(&query, first.items.last().map(InboxItem::key).as_ref()).await.unwrap();
    assert_eq!(second.total, 24);
    assert_eq!(second.items[..], want_after(&all, 5, 5));
    assert!(second.items.iter().all(|i| i.request.id != late));
}

fn want_after(all: &[InboxItem], skip: usize, take: usize) -> Vec<InboxItem> {
    all.iter().skip(skip).take(take).cloned().collect()
}

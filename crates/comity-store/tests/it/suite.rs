//! The store contract, written once; `main.rs` runs every test here on both backends.

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use comity_core::{
    ActorId, Authority, AuthorityType, CountryCode, IdempotencyKey, Instrument, Move, NewRequest, Party,
    PartyId, PartyRole, Provider, RequestId, RequestKind, RequestQuery, ReviewerBody, ReviewerKind, Selector,
    SelectorType, State, StoreError, StoredRequest,
};

use crate::harness::Harness;

// ---- fixtures ---------------------------------------------------------------------------

fn id(s: &str) -> PartyId {
    PartyId::parse(s).unwrap()
}

fn country(s: &str) -> CountryCode {
    CountryCode::parse(s).unwrap()
}

pub(crate) fn actor(s: &str) -> ActorId {
    ActorId::parse(s).unwrap()
}

pub(crate) fn authority(party_id: &str) -> Party {
    Party::Authority(Authority {
        id: id(party_id),
        country: country("FR"),
        authority_type: AuthorityType::InvestigatingJudge,
        name: format!("Authority {party_id}"),
        institution: None,
    })
}

pub(crate) fn provider(party_id: &str) -> Party {
    Party::Provider(Provider {
        id: id(party_id),
        country: country("IE"),
        name: format!("Provider {party_id}"),
        institution: None,
    })
}

fn reviewer(party_id: &str) -> Party {
    Party::Reviewer(ReviewerBody {
        id: id(party_id),
        country: country("IE"),
        kind: ReviewerKind::DataProtectionAuthority,
        name: format!("Reviewer {party_id}"),
        institution: None,
    })
}

/// A fixed, reproducible time with a sub-microsecond part the store must drop.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap() + Duration::nanoseconds(123_456_789)
}

fn truncated(t: DateTime<Utc>) -> DateTime<Utc> {
    t - Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1000))
}

/// A request document (examples/requests/eu-epoc-traffic.json) between these parties, as
/// the columns of `new_request` describe it: what `verify_store` reads the columns from.
fn document(authority: &str, provider: &str, reference: &str, target: &str) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../../examples/requests/eu-epoc-traffic.json")).unwrap();
    doc["issuing"]["authority"] = authority.into();
    doc["issuing"]["reference"] = reference.into();
    doc["issuing"].as_object_mut().unwrap().remove("validated_by");
    doc["addressee"]["provider"] = provider.into();
    doc["targets"][0]["selector"]["value"] = target.into();
    // Kept byte for byte whatever it holds.
    doc["justification"] = "é ünïcode \" quote".into();
    doc.to_string()
}

pub(crate) fn new_request(authority: &str, provider: &str, received_at: DateTime<Utc>) -> NewRequest {
    let millis = u64::try_from(received_at.timestamp_millis()).unwrap();
    let id = RequestId::new_at(millis);
    NewRequest {
        id,
        received_at,
        actor: actor("fr-tj-paris:clerk-1"),
        receipt: "received".into(),
        authority: PartyId::parse(authority).unwrap(),
        provider: PartyId::parse(provider).unwrap(),
        instrument: Instrument::EuEEvidence,
        kind: RequestKind::Production,
        emergency: false,
        reference: format!("REF-{id}"),
        document: document(authority, provider, &format!("REF-{id}"), &format!("t-{id}@example.org")),
        idempotency_key: None,
        signature: None,
        jti: None,
        validator: None,
        screening: None,
        targets: vec![Selector::parse(SelectorType::Email, &format!("t-{id}@example.org"), None).unwrap()],
    }
}

pub(crate) fn a_move(r: &StoredRequest, to: State, at: DateTime<Utc>) -> Move {
    Move {
        request_id: r.id,
        expected_version: r.version,
        from: r.state,
        to,
        actor: actor("ie-dpc:reviewer-7"),
        at,
        reason: format!("to {to}"),
        facts: Vec::new(),
        clocks: Vec::new(),
        closes: None,
    }
}

fn query(page: u32, per_page: u32) -> RequestQuery {
    RequestQuery::every(page, per_page)
}

fn conflict(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected a Conflict, got {other:?}"),
    }
}

fn corrupt(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Corrupt(message)) => message,
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

// ---- the suite --------------------------------------------------------------------------

/// The sweeper's lease (issue 13: with several servers, one sweeps at a time): one holder
/// at a time, renewed by its holder, taken by another only once it ran out.
pub async fn one_holder_has_a_lease_until_it_runs_out(h: &mut Harness) {
    let store = h.store();
    let t = t0();
    let minute = Duration::minutes(1);
    assert!(store.take_lease("sweeper", "a", t, t + minute).await.unwrap());
    assert!(!store.take_lease("sweeper", "b", t, t + minute).await.unwrap(), "held by a");
    assert!(store.take_lease("sweeper", "a", t + minute / 2, t + minute * 2).await.unwrap(), "a renews");
    assert!(!store.take_lease("sweeper", "b", t + minute, t + minute * 2).await.unwrap(), "renewed");
    assert!(store.take_lease("other", "b", t, t + minute).await.unwrap(), "another duty, another lease");
    assert!(store.take_lease("sweeper", "b", t + minute * 3, t + minute * 4).await.unwrap(), "a's ran out");
    assert!(!store.take_lease("sweeper", "a", t + minute * 3, t + minute * 4).await.unwrap());
    // Two at once: exactly one holds it.
    let later = t + minute * 10;
    let (x, y) = tokio::join!(
        store.take_lease("sweeper", "x", later, later + minute),
        store.take_lease("sweeper", "y", later, later + minute)
    );
    assert!(x.unwrap() ^ y.unwrap(), "one of two racing holders takes it");
}

/// Issue 17: failures two servers add to one network's bucket at once both count; each
/// gets back the bucket as both filled it; a bucket drains with time, is no longer read once
/// drained, and is then deleted.
pub async fn failure_buckets_add_up_across_servers_and_drain(h: &mut Harness) {
    use chrono::SubsecRound;
    use comity_core::FailureBucket;
    let (one, other) = (h.shared(), h.open_another().await);
    // Kept to the microsecond.
    let t = t0().trunc_subsecs(6);
    let step = Duration::seconds(6);
    let guesser: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    let v6: std::net::IpAddr = "2001:db8:1:2::".parse().unwrap();
    let after = one.add_failures(&[(guesser, 2), (v6, 1)], step, t).await.unwrap();
    assert_eq!(
        after,
        vec![
            FailureBucket { network: guesser, drained_at: t + Duration::seconds(12) },
            FailureBucket { network: v6, drained_at: t + Duration::seconds(6) },
        ]
    );
    // Another server, at once: its failures are added to the first one's, not written over.
    let once = [(guesser, 1)];
    let (a, b) = tokio::join!(one.add_failures(&once, step, t), other.add_failures(&once, step, t));
    let mut seen = [a.unwrap()[0].drained_at, b.unwrap()[0].drained_at];
    seen.sort();
    assert_eq!(seen, [t + Duration::seconds(18), t + Duration::seconds(24)], "four failures in all");
    // Read by either, fullest first.
    let read = other.failure_buckets(t, 10).await.unwrap();
    assert_eq!(read.iter().map(|b| b.network).collect::<Vec<_>>(), vec![guesser, v6]);
    assert_eq!(read[0].drained_at, t + Duration::seconds(24));
    assert_eq!(one.failure_buckets(t, 1).await.unwrap().len(), 1, "at most the limit");
    // Ten seconds on, it has drained by 10 s: a failure then starts from the level left.
    let later = t + Duration::seconds(10);
    let after = other.add_failures(&[(guesser, 1)], step, later).await.unwrap();
    assert_eq!(after[0].drained_at, t + Duration::seconds(30));
    // A bucket that has drained starts again from empty.
    let much_later = t + Duration::minutes(10);
    let after = one.add_failures(&[(v6, 1)], step, much_later).await.unwrap();
    assert_eq!(after[0].drained_at, much_later + step);
    // Drained ones are not read, and are deleted.
    let at = t + Duration::seconds(30);
    assert_eq!(
        one.failure_buckets(at, 10).await.unwrap().iter().map(|b| b.network).collect::<Vec<_>>(),
        vec![v6]
    );
    assert_eq!(one.prune_failures(at).await.unwrap(), 1);
    assert_eq!(one.prune_failures(at).await.unwrap(), 0);
    assert_eq!(other.failure_buckets(t, 10).await.unwrap().len(), 1, "only the refilled one is left");
    assert!(one.add_failures(&[], step, t).await.unwrap().is_empty());
}

/// Issue 17: each server's heartbeat counts it live for as long as the caller says; one
/// that stops is counted out when it leaves, or once its heartbeat is too old.
pub async fn heartbeats_count_the_live_servers(h: &mut Harness) {
    let (one, other) = (h.shared(), h.open_another().await);
    let t = t0();
    let window = Duration::seconds(5);
    assert_eq!(one.heartbeat("a", t, t - window).await.unwrap(), 1);
    assert_eq!(other.heartbeat("b", t, t - window).await.unwrap(), 2);
    let t1 = t + Duration::seconds(1);
    assert_eq!(one.heartbeat("a", t1, t1 - window).await.unwrap(), 2, "renewed, not counted twice");
    // b stops beating: six seconds on, only a is live.
    let t6 = t + Duration::seconds(6);
    assert_eq!(one.heartbeat("a", t6, t6 - window).await.unwrap(), 1);
    assert_eq!(other.heartbeat("b", t6, t6 - window).await.unwrap(), 2, "b is back");
    other.leave("b").await.unwrap();
    assert_eq!(one.heartbeat("a", t6, t6 - window).await.unwrap(), 1, "b left");
    other.leave("b").await.unwrap();
}

pub async fn ping_answers(h: &mut Harness) {
    h.store().ping().await.unwrap();
}

pub async fn parties_round_trip_in_each_register(h: &mut Harness) {
    let store = h.store();
    // Added out of order: each register lists by id.
    let parties =
        [authority("fr-tj-paris"), authority("de-bka"), provider("example-mail"), reviewer("ie-dpc")];
    for p in &parties {
        store.add_party(p).await.unwrap();
    }
    for p in &parties {
        assert_eq!(store.party(p.id()).await.unwrap().as_ref(), Some(p));
    }
    let authorities = store.parties(PartyRole::Authority).await.unwrap();
    assert_eq!(authorities, vec![parties[1].clone(), parties[0].clone()]);
    assert_eq!(store.parties(PartyRole::Provider).await.unwrap(), vec![parties[2].clone()]);
    assert_eq!(store.parties(PartyRole::Reviewer).await.unwrap(), vec![parties[3].clone()]);
    assert_eq!(store.party(&id("nobody")).await.unwrap(), None);
}

pub async fn party_ids_are_unique_across_registers(h: &mut Harness) {
    let store = h.store();
    store.add_party(&authority("fr-tj-paris")).await.unwrap();

    let message = conflict(store.add_party(&provider("fr-tj-paris")).await);
    assert_eq!(message, "a party with id fr-tj-paris is already registered (as authority)");
    conflict(store.add_party(&reviewer("fr-tj-paris")).await);
    conflict(store.add_party(&authority("fr-tj-paris")).await);

    // The first registration stands, and the refused ones left nothing behind.
    assert_eq!(store.party(&id("fr-tj-paris")).await.unwrap(), Some(authority("fr-tj-paris")));
    assert!(store.parties(PartyRole::Provider).await.unwrap().is_empty());
    assert!(store.parties(PartyRole::Reviewer).await.unwrap().is_empty());
}

pub async fn insert_then_get_returns_the_request_and_its_receipt(h: &mut Harness) {
    let store = h.store();
    let new = NewRequest { emergency: true, ..new_request("fr-tj-paris", "example-mail", t0()) };
    let stored = store.insert_request(&new).await.unwrap().request;

    let expected_time = truncated(t0());
    assert_eq!(expected_time.timestamp_subsec_nanos(), 123_456_000);
    let expected = StoredRequest {
        id: new.id,
        state: State::Received,
        version: 1,
        received_at: expected_time,
        updated_at: expected_time,
        authority: new.authority.clone(),
        provider: new.provider.clone(),
        instrument: new.instrument,
        kind: new.kind,
        emergency: true,
        reference: new.reference.clone(),
        document: new.document.clone(),
        signature: None,
        validator: None,
        // Random, and the request's own (issue 12).
        log_salt: stored.log_salt,
    };
    assert_ne!(stored.log_salt, [0; 32]);
    assert_eq!(stored, expected);
    assert_eq!(store.request(new.id).await.unwrap(), Some(expected));

    let events = store.events(new.id).await.unwrap();
    assert_eq!(events.len(), 1);
    let receipt = &events[0];
    assert_eq!(receipt.request_id, new.id);
    assert_eq!(receipt.seq, 1);
    assert_eq!(receipt.from, None);
    assert_eq!(receipt.to, State::Received);
    assert_eq!(receipt.actor, new.actor);
    assert_eq!(receipt.at, expected_time);
    assert_eq!(receipt.reason, "received");

    let unknown = RequestId::new_at(1);
    assert_eq!(store.request(unknown).await.unwrap(), None);
    assert!(store.events(unknown).await.unwrap().is_empty());
}

/// Regression test for issue 2: a retried submission must find its request, not make another.
pub async fn an_idempotency_key_is_used_once_per_authority(h: &mut Harness) {
    let store = h.store();
    let key = IdempotencyKey::parse("retry-7f3a").unwrap();
    let first =
        NewRequest { idempotency_key: Some(key.clone()), ..new_request("fr-tj-paris", "example-mail", t0()) };
    store.insert_request(&first).await.unwrap();
    let authority = PartyId::parse("fr-tj-paris").unwrap();
    let found = store.request_by_idempotency_key(&authority, &key).await.unwrap().unwrap();
    assert_eq!(found.id, first.id);

    // The same key from the same authority is taken, whatever the request says.
    let retry = NewRequest {
        idempotency_key: Some(key.clone()),
        ..new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(1))
    };
    assert!(matches!(store.insert_request(&retry).await, Err(StoreError::IdempotencyKeyTaken)));
    assert_eq!(store.request(retry.id).await.unwrap(), None, "nothing of the refused insert remains");

    // Another authority may use the same key; requests without a key are unconstrained.
    let other = NewRequest {
        idempotency_key: Some(key.clone()),
        ..new_request("de-sta-berlin", "example-mail", t0() + Duration::seconds(2))
    };
    store.insert_request(&other).await.unwrap();
    for n in 3..5 {
        store
            .insert_request(&new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(n)))
            .await
            .unwrap();
    }
    let unknown = IdempotencyKey::parse("never-used").unwrap();
    assert_eq!(store.request_by_idempotency_key(&authority, &unknown).await.unwrap(), None);

    // Twenty retries racing with one key: exactly one request is created.
    let key = IdempotencyKey::parse("raced").unwrap();
    let mut racers = Vec::new();
    for n in 0..20 {
        let store = h.shared();
        let new = NewRequest {
            idempotency_key: Some(key.clone()),
            ..new_request("fr-tj-paris", "example-mail", t0() + Duration::milliseconds(100 + n))
        };
        racers.push(tokio::spawn(async move { store.insert_request(&new).await }));
    }
    let mut created = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::IdempotencyKeyTaken) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(created, 1);
}

/// Issue 11: SQLite caught a reused idempotency key or jti by a SELECT before its insert,
/// PostgreSQL by the violated constraint's name after it. Both now let the unique indexes
/// decide: the insert does nothing, and the store finds which value was taken. The refused
/// intake leaves nothing behind: no request, event, log entry, named target or count.
pub async fn a_taken_key_jti_or_id_refuses_the_whole_intake(h: &mut Harness) {
    let store = h.store();
    let authority = id("fr-tj-paris");
    let key = IdempotencyKey::parse("issue-11").unwrap();
    let first = NewRequest {
        idempotency_key: Some(key.clone()),
        jti: Some("jti-11".into()),
        signature: Some("header.payload.sig".into()),
        ..new_request("fr-tj-paris", "example-mail", t0())
    };
    store.insert_request(&first).await.unwrap();

    let since = t0() - Duration::days(1);
    let state = || async {
        (
            store.log_size().await.unwrap(),
            store.authority_record(&authority).await.unwrap(),
            store.recent_targets(&authority, since, 100).await.unwrap(),
            store.count_by_state().await.unwrap(),
            store.events(first.id).await.unwrap(),
        )
    };
    let before = state().await;
    // Each refused intake would count an emergency, name targets, screen and move on.
    let refused = |n: i64| {
        let mut new = new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(n));
        new.emergency = true;
        new.targets
            .push(Selector::parse(SelectorType::Email, &format!("new-{n}@example.org"), None).unwrap());
        new.screening = Some(comity_core::IntakeScreening {
            screening: comity_core::Screening {
                request_id: new.id,
                at: t0() + Duration::seconds(n),
                pack_id: "eu-e-evidence".into(),
                pack_version: "1".into(),
                pack_hash: "abc".into(),
                verdict: "admissible".into(),
                report: "{}".into(),
                log_index: None,
            },
            moves: vec![(State::Screening, "screening".into())],
            clocks: Vec::new(),
            facts: Vec::new(),
        });
        new
    };

    let same_key = NewRequest { idempotency_key: Some(key.clone()), ..refused(1) };
    let result = store.insert_request(&same_key).await;
    assert!(matches!(result, Err(StoreError::IdempotencyKeyTaken)), "{result:?}");
    let same_jti = NewRequest { jti: Some("jti-11".into()), ..refused(2) };
    let result = store.insert_request(&same_jti).await;
    assert!(matches!(result, Err(StoreError::JtiTaken)), "{result:?}");
    let same_id = NewRequest { id: first.id, ..refused(3) };
    assert_eq!(
        conflict(store.insert_request(&same_id).await),
        format!("a request with id {} exists", first.id)
    );

    for refused in [&same_key, &same_jti] {
        assert_eq!(store.request(refused.id).await.unwrap(), None);
        assert!(store.events(refused.id).await.unwrap().is_empty());
        assert!(store.request_log(refused.id).await.unwrap().is_empty());
    }
    assert_eq!(state().await, before, "a refused intake wrote something");
    assert_eq!(store.request(first.id).await.unwrap().unwrap().reference, first.reference);
}

pub async fn a_request_id_is_stored_once(h: &mut Harness) {
    let store = h.store();
    let new = new_request("fr-tj-paris", "example-mail", t0());
    store.insert_request(&new).await.unwrap();
    let again = NewRequest { reference: "other".to_owned(), ..new.clone() };
    let message = conflict(store.insert_request(&again).await);
    assert_eq!(message, format!("a request with id {} exists", new.id));
    let stored = store.request(new.id).await.unwrap().unwrap();
    assert_eq!(stored.reference, new.reference);
    assert_eq!(store.events(new.id).await.unwrap().len(), 1);
}

pub async fn list_filters_and_paginates_newest_first(h: &mut Harness) {
    let store = h.store();
    // Seven requests, one minute apart; oldest first.
    let mut inserted = Vec::new();
    for i in 0..7 {
        let authority = if i % 2 == 0 { "fr-tj-paris" } else { "de-bka" };
        let provider = if i < 4 { "example-mail" } else { "example-cloud" };
        let new = new_request(authority, provider, t0() + Duration::minutes(i));
        inserted.push(store.insert_request(&new).await.unwrap().request);
    }
    // Move two of them on.
    for i in [1, 4] {
        let r = &inserted[i];
        store.apply_move(&a_move(r, State::Screening, t0() + Duration::hours(1))).await.unwrap();
        inserted[i] = store.request(r.id).await.unwrap().unwrap();
    }
    let newest_first: Vec<StoredRequest> = inserted.iter().rev().cloned().collect();

    let page = store.list_requests(&query(1, 3)).await.unwrap();
    assert_eq!(page.total, 7);
    assert_eq!(page.items, newest_first[0..3]);
    let page = store.list_requests(&query(2, 3)).await.unwrap();
    assert_eq!((page.total, &page.items[..]), (7, &newest_first[3..6]));
    let page = store.list_requests(&query(3, 3)).await.unwrap();
    assert_eq!((page.total, &page.items[..]), (7, &newest_first[6..7]));
    let page = store.list_requests(&query(4, 3)).await.unwrap();
    assert_eq!(page.total, 7);
    assert!(page.items.is_empty());
    let page = store.list_requests(&query(1, 200)).await.unwrap();
    assert_eq!(page.items, newest_first);

    let by_state = RequestQuery { state: Some(State::Screening), ..query(1, 10) };
    let page = store.list_requests(&by_state).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items, vec![inserted[4].clone(), inserted[1].clone()]);

    let by_authority = RequestQuery { authority: Some(id("de-bka")), ..query(1, 2) };
    let page = store.list_requests(&by_authority).await.unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.items, vec![inserted[5].clone(), inserted[3].clone()]);

    let by_provider = RequestQuery { provider: Some(id("example-cloud")), ..query(1, 10) };
    let page = store.list_requests(&by_provider).await.unwrap();
    assert_eq!(page.total, 3);
    assert!(page.items.iter().all(|r| r.provider.as_str() == "example-cloud"));
    assert_eq!(page.items[0], inserted[6]);

    // Filters are ANDed.
    let all_three = RequestQuery {
        state: Some(State::Received),
        authority: Some(id("fr-tj-paris")),
        provider: Some(id("example-mail")),
        ..query(1, 10)
    };
    let page = store.list_requests(&all_three).await.unwrap();
    assert_eq!(page.items, vec![inserted[2].clone(), inserted[0].clone()]);
    assert_eq!(page.total, 2);

    let nothing = RequestQuery { authority: Some(id("nobody")), ..query(1, 10) };
    let page = store.list_requests(&nothing).await.unwrap();
    assert_eq!((page.total, page.items.len()), (0, 0));
}

pub async fn requests_received_at_the_same_time_list_by_id_descending(h: &mut Harness) {
    let store = h.store();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let new = new_request("fr-tj-paris", "example-mail", t0());
        ids.push(store.insert_request(&new).await.unwrap().request.id);
    }
    ids.sort_by_key(|id| std::cmp::Reverse(id.to_string()));
    let page = store.list_requests(&query(1, 10)).await.unwrap();
    assert_eq!(page.items.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
}

pub async fn a_move_changes_state_bumps_version_and_appends_an_event(h: &mut Harness) {
    let store = h.store();
    let r = store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    let at = t0() + Duration::minutes(5);
    let event = store.apply_move(&a_move(&r, State::Screening, at)).await.unwrap();
    assert_eq!(event.request_id, r.id);
    assert_eq!(event.seq, 2);
    assert_eq!(event.from, Some(State::Received));
    assert_eq!(event.to, State::Screening);
    assert_eq!(event.actor, actor("ie-dpc:reviewer-7"));
    assert_eq!(event.at, truncated(at));
    assert_eq!(event.reason, "to screening");

    let moved = store.request(r.id).await.unwrap().unwrap();
    assert_eq!(moved.state, State::Screening);
    assert_eq!(moved.version, 2);
    assert_eq!(moved.updated_at, truncated(at));
    assert_eq!(moved.received_at, r.received_at);
    assert_eq!(moved.document, r.document);

    let later = t0() + Duration::minutes(9);
    store.apply_move(&a_move(&moved, State::UnderReview, later)).await.unwrap();
    let events = store.events(r.id).await.unwrap();
    let steps: Vec<_> = events.iter().map(|e| (e.seq, e.from, e.to)).collect();
    assert_eq!(
        steps,
        vec![
            (1, None, State::Received),
            (2, Some(State::Received), State::Screening),
            (3, Some(State::Screening), State::UnderReview),
        ]
    );
    assert_eq!(events[1], event);
    assert_eq!(store.request(r.id).await.unwrap().unwrap().version, 3);
}

pub async fn a_stale_move_is_a_conflict_and_changes_nothing(h: &mut Harness) {
    let store = h.store();
    let r = store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    store.apply_move(&a_move(&r, State::Screening, t0())).await.unwrap();
    let before = store.request(r.id).await.unwrap().unwrap();

    // `r` is version 1; the request is now version 2.
    let message = conflict(store.apply_move(&a_move(&r, State::Withdrawn, t0())).await);
    assert_eq!(message, "the request moved to screening meanwhile (version 2); reload it and try again");
    // The right version but a `from` the request is not in is refused too.
    let wrong_from = Move { from: State::UnderReview, ..a_move(&before, State::Approved, t0()) };
    let message = conflict(store.apply_move(&wrong_from).await);
    assert!(message.contains("screening"), "{message}");

    assert_eq!(store.request(r.id).await.unwrap().unwrap(), before);
    assert_eq!(store.events(r.id).await.unwrap().len(), 2);
}

pub async fn moving_an_unknown_request_is_not_found(h: &mut Harness) {
    let store = h.store();
    let ghost = StoredRequest {
        id: RequestId::new_at(1_700_000_000_000),
        ..store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request
    };
    let result = store.apply_move(&a_move(&ghost, State::Screening, t0())).await;
    assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    assert!(store.events(ghost.id).await.unwrap().is_empty());
}

pub async fn concurrent_inserts_all_commit(h: &mut Harness) {
    let store = h.shared();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        let new = new_request("fr-tj-paris", "example-mail", t0() + Duration::milliseconds(i));
        tasks.push(tokio::spawn(async move { store.insert_request(&new).await }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap().unwrap().request.id);
    }
    assert_eq!(ids.len(), 200);
    for id in &ids {
        assert_eq!(store.request(*id).await.unwrap().unwrap().state, State::Received);
    }
    let page = store.list_requests(&query(1, 200)).await.unwrap();
    assert_eq!(page.total, 200);
    assert_eq!(page.items.iter().map(|r| r.id).collect::<HashSet<_>>(), ids);
    assert_eq!(store.count_by_state().await.unwrap(), vec![(State::Received, 200)]);
}

pub async fn a_failing_write_does_not_fail_the_writes_beside_it(h: &mut Harness) {
    let store = h.shared();
    store.add_party(&authority("taken")).await.unwrap();
    let stale = store.insert_request(&new_request("taken", "example-mail", t0())).await.unwrap().request;
    store.apply_move(&a_move(&stale, State::Screening, t0())).await.unwrap();

    // Sent together, so that on SQLite they share batches: good and bad writes interleaved.
    let mut parties = Vec::new();
    let mut requests = Vec::new();
    let mut duplicates = Vec::new();
    let mut stale_moves = Vec::new();
    for i in 0..60 {
        let s = store.clone();
        match i % 4 {
            0 => {
                let p = provider(&format!("provider-{i}"));
                parties.push(tokio::spawn(async move { s.add_party(&p).await.map(|_| p) }));
            }
            1 => duplicates.push(tokio::spawn(async move { s.add_party(&provider("taken")).await })),
            2 => {
                let new = new_request("taken", "example-mail", t0() + Duration::seconds(i));
                requests.push(tokio::spawn(async move { s.insert_request(&new).await }));
            }
            _ => {
                let m = a_move(&stale, State::Withdrawn, t0());
                stale_moves.push(tokio::spawn(async move { s.apply_move(&m).await }));
            }
        }
    }
    for task in duplicates {
        conflict(task.await.unwrap());
    }
    for task in stale_moves {
        conflict(task.await.unwrap());
    }
    for task in parties {
        let p = task.await.unwrap().unwrap();
        assert_eq!(store.party(p.id()).await.unwrap(), Some(p));
    }
    for task in requests {
        let r = task.await.unwrap().unwrap().request;
        assert_eq!(store.request(r.id).await.unwrap(), Some(r));
    }
    assert_eq!(store.parties(PartyRole::Provider).await.unwrap().len(), 15);
    assert_eq!(store.party(&id("taken")).await.unwrap(), Some(authority("taken")));
    assert_eq!(store.events(stale.id).await.unwrap().len(), 2);
}

pub async fn data_survives_reopening(h: &mut Harness) {
    let party = reviewer("ie-dpc");
    h.store().add_party(&party).await.unwrap();
    let r =
        h.store().insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    h.store().apply_move(&a_move(&r, State::Screening, t0())).await.unwrap();
    let before = h.store().request(r.id).await.unwrap().unwrap();
    let events = h.store().events(r.id).await.unwrap();

    h.reopen().await;

    assert_eq!(h.store().party(party.id()).await.unwrap(), Some(party));
    assert_eq!(h.store().request(r.id).await.unwrap(), Some(before.clone()));
    assert_eq!(h.store().events(r.id).await.unwrap(), events);
    // And the reopened store writes.
    h.store().apply_move(&a_move(&before, State::UnderReview, t0())).await.unwrap();
    assert_eq!(h.store().request(r.id).await.unwrap().unwrap().version, 3);
}

pub async fn events_cannot_be_changed_or_deleted(h: &mut Harness) {
    let r =
        h.store().insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    h.store().apply_move(&a_move(&r, State::Screening, t0())).await.unwrap();
    let events = h.store().events(r.id).await.unwrap();

    let update = h.raw("UPDATE events SET reason = 'rewritten'").await;
    let err = update.expect_err("an UPDATE of events must fail").to_string();
    assert!(err.contains("append-only"), "{err}");
    let delete = h.raw(&format!("DELETE FROM events WHERE request_id = '{}'", r.id)).await;
    let err = delete.expect_err("a DELETE of events must fail").to_string();
    assert!(err.contains("append-only"), "{err}");
    if !h.is_sqlite() {
        let truncate = h.raw("TRUNCATE events CASCADE").await;
        assert!(truncate.is_err(), "a TRUNCATE of events must fail");
    }

    assert_eq!(h.store().events(r.id).await.unwrap(), events);
}

pub async fn a_corrupted_row_is_reported_not_panicked_on(h: &mut Harness) {
    let r =
        h.store().insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    h.store().add_party(&authority("fr-tj-paris")).await.unwrap();

    h.raw(&format!("UPDATE requests SET state = 'bogus' WHERE id = '{}'", r.id)).await.unwrap();
    let message = corrupt(h.store().request(r.id).await);
    for part in ["requests", &r.id.to_string(), "state", "bogus"] {
        assert!(message.contains(part), "{message:?} should name {part}");
    }
    corrupt(h.store().list_requests(&query(1, 10)).await);
    corrupt(h.store().count_by_state().await);
    // Writing still works beside the bad row, and the compare-and-set sees it.
    conflict(h.store().apply_move(&a_move(&r, State::Screening, t0())).await);

    h.raw("UPDATE parties SET country = 'XX' WHERE id = 'fr-tj-paris'").await.unwrap();
    let message = corrupt(h.store().party(&id("fr-tj-paris")).await);
    assert!(message.contains("parties") && message.contains("country"), "{message}");
    corrupt(h.store().parties(PartyRole::Authority).await);

    if h.is_sqlite() {
        // SQLite keeps times as text, which a hand edit can break.
        let other =
            h.store().insert_request(&new_request("de-bka", "example-mail", t0())).await.unwrap().request;
        h.raw(&format!("UPDATE requests SET received_at = 'yesterday' WHERE id = '{}'", other.id))
            .await
            .unwrap();
        let message = corrupt(h.store().request(other.id).await);
        assert!(message.contains("received_at"), "{message}");
    }
}

pub async fn count_by_state_groups_requests(h: &mut Harness) {
    let store = h.store();
    assert!(store.count_by_state().await.unwrap().is_empty());
    let mut requests = Vec::new();
    for i in 0..5 {
        let new = new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(i));
        requests.push(store.insert_request(&new).await.unwrap().request);
    }
    for r in &requests[..2] {
        store.apply_move(&a_move(r, State::Screening, t0())).await.unwrap();
    }
    store.apply_move(&a_move(&requests[2], State::Withdrawn, t0())).await.unwrap();
    assert_eq!(
        store.count_by_state().await.unwrap(),
        vec![(State::Received, 2), (State::Screening, 2), (State::Withdrawn, 1)]
    );
}

pub async fn two_instances_racing_on_one_move_never_both_win(h: &mut Harness) {
    // Two stores on one database, as two `comity serve` processes would have.
    let first = h.shared();
    let second = h.open_another().await;
    let mut r =
        first.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    let path = [
        State::Screening,
        State::UnderReview,
        State::ClarificationRequested,
        State::UnderReview,
        State::ClarificationRequested,
        State::UnderReview,
        State::Approved,
        State::Producing,
        State::Delivered,
        State::Closed,
    ];
    for (round, to) in path.into_iter().enumerate() {
        let m = a_move(&r, to, t0() + Duration::seconds(i64::try_from(round).unwrap()));
        let (a, b) = tokio::join!(first.apply_move(&m), second.apply_move(&m));
        let winner = match (a, b) {
            (Ok(e), Err(StoreError::Conflict(_))) | (Err(StoreError::Conflict(_)), Ok(e)) => e,
            other => panic!("round {round}: expected exactly one winner, got {other:?}"),
        };
        assert_eq!(winner.seq, r.version + 1);
        r = first.request(r.id).await.unwrap().unwrap();
        assert_eq!((r.state, r.version), (to, winner.seq));
        assert_eq!(second.request(r.id).await.unwrap().unwrap(), r);
    }
    assert_eq!(first.events(r.id).await.unwrap().len(), path.len() + 1);
}

/// The anti-bulk history: what an authority named, newest first, bounded; never what
/// another authority named under the same case reference (issue 5: screening must not
/// tell one authority of another's requests).
pub async fn recent_targets_are_scoped_windowed_and_bounded(h: &mut Harness) {
    let store = h.store();
    let email = |v: &str| Selector::parse(SelectorType::Email, v, None).unwrap();
    let at = |days: i64| t0() + Duration::days(days);
    let with = |authority: &str, reference: &str, day: i64, targets: &[&str]| NewRequest {
        reference: reference.to_owned(),
        targets: targets.iter().map(|t| email(t)).collect(),
        ..new_request(authority, "example-mail", at(day))
    };
    let first = with("fr-tj-paris", "CASE-1", 0, &["a@x.org", "b@x.org"]);
    let second = with("fr-tj-paris", "CASE-2", 10, &["b@x.org", "c@x.org"]);
    let other_authority_same_case = with("fr-police", "CASE-1", 11, &["d@x.org"]);
    let unrelated = with("de-sta-berlin", "AZ-9", 12, &["e@x.org"]);
    for r in [&first, &second, &other_authority_same_case, &unrelated] {
        store.insert_request(r).await.unwrap();
    }
    let authority = PartyId::parse("fr-tj-paris").unwrap();
    let found = store.recent_targets(&authority, at(-1), 100).await.unwrap();
    let mut seen: Vec<(String, RequestId)> = found.iter().map(|t| (t.key.clone(), t.last_request)).collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    seen.dedup();
    assert_eq!(
        seen,
        [
            ("a@x.org".to_owned(), first.id),
            ("b@x.org".to_owned(), second.id), // last named by the second
            ("c@x.org".to_owned(), second.id),
        ]
    );
    assert!(found.windows(2).all(|w| w[0].last_seen >= w[1].last_seen), "newest first");
    // The window and the limit.
    assert!(!found.iter().any(|t| t.last_request == other_authority_same_case.id));
    let since_day_5 = store.recent_targets(&authority, at(5), 100).await.unwrap();
    assert!(since_day_5.iter().all(|t| t.last_seen >= at(5)));
    assert!(!since_day_5.iter().any(|t| t.key == "a@x.org"));
    assert_eq!(store.recent_targets(&authority, at(-1), 2).await.unwrap().len(), 2);
}

pub use crate::log_suite::*;

/// Issue 17: comity's copy of a package is kept in the database in chunks, listed as
/// sealed only with every chunk, and gone with its key when it is shredded.
pub async fn a_package_is_kept_in_chunks_sealed_whole_and_shredded_with_its_key(h: &mut Harness) {
    use chrono::SubsecRound;
    let store = h.store();
    let at = t0().trunc_subsecs(6);
    let chunks: Vec<Vec<u8>> =
        [1 << 20, 1 << 20, 10].iter().enumerate().map(|(i, n)| vec![i as u8; *n]).collect();
    for (seq, chunk) in chunks.iter().enumerate() {
        store.put_package_chunk("prod-a", seq as u32, chunk.clone(), at).await.unwrap();
    }
    conflict(store.put_package_chunk("prod-a", 1, vec![9], at).await);
    for (seq, chunk) in chunks.iter().enumerate() {
        assert_eq!(
            store.package_chunk("prod-a", seq as u32).await.unwrap().as_ref(),
            Some(chunk),
            "chunk {seq}"
        );
    }
    assert_eq!(store.package_chunk("prod-a", 3).await.unwrap(), None, "past the last chunk");
    assert_eq!(store.package_chunk("prod-b", 0).await.unwrap(), None, "a package kept elsewhere");
    let listed = store.package_chunk_sets().await.unwrap();
    let expected = comity_core::PackageChunks { production: "prod-a".into(), chunks: 3, last_written: at };
    assert_eq!(listed, vec![expected]);

    // Listed as sealed only beside all of its chunks.
    let message = conflict(store.keep_package_key("prod-a", b"wrapped", 4, &[]).await);
    assert!(message.contains("3 chunks") && message.contains("produce again"), "{message}");
    assert_eq!(store.package_key("prod-a").await.unwrap(), None);
    store.keep_package_key("prod-a", b"wrapped", 3, &[]).await.unwrap();
    // A sealed package's chunks are not an unfinished one's.
    assert_eq!(store.drop_package_chunks("prod-a").await.unwrap(), 0);
    assert!(store.package_chunk("prod-a", 0).await.unwrap().is_some());
    store.put_package_chunk("prod-b", 0, vec![1, 2], at).await.unwrap();
    store.put_package_chunk("prod-b", 1, vec![3], at).await.unwrap();
    assert_eq!(store.drop_package_chunks("prod-b").await.unwrap(), 2);
    assert_eq!(store.package_chunk("prod-b", 0).await.unwrap(), None);

    // Shredding takes the chunks with the key, in one write.
    store.destroy_package_key("prod-a", &[]).await.unwrap();
    assert_eq!(store.package_chunk("prod-a", 0).await.unwrap(), None);
    assert!(store.package_chunk_sets().await.unwrap().is_empty());
    conflict(store.destroy_package_key("prod-a", &[]).await);
}

//! The trust registers through the store: the journal, accounts, throttles, sessions,
//! tokens, one-time links, signed submissions and track records, on both backends.

use chrono::Duration;
use comity_core::{
    ActorId, Authority, AuthorityType, CountryCode, Fact, FactKind, JournalQuery, KeyId, LinkRecord,
    LoginSlot, NewEntry, NewRequest, Organisation, Party, PartyId, PartyRole, RequestId, RequestQuery,
    ReviewerBody, ReviewerKind, Role, SessionRecord, State, StoreError, TokenRecord, UserRecord, Username,
    journal,
};

use crate::harness::Harness;
use crate::suite::{a_move, actor, authority, new_request, provider, t0};

fn pid(s: &str) -> PartyId {
    PartyId::parse(s).unwrap()
}

fn entry(party: Option<&str>, subject: &str, fact: Fact) -> NewEntry {
    NewEntry {
        at: t0(),
        actor: ActorId::parse("admin@ops").unwrap(),
        party: party.map(pid),
        subject: subject.into(),
        request_id: None,
        fact,
    }
}

/// A `key.added` entry.
pub(crate) fn key_added(kid: &str, authority: &str) -> NewEntry {
    let fact = Fact::KeyAdded(journal::KeyAdded {
        authority: pid(authority),
        kid: KeyId::parse(kid).unwrap(),
        public_key: [7; 32],
        replaces: None,
    });
    entry(Some(authority), kid, fact)
}

/// A `contact.added` entry of `authority`.
fn contact_added(authority: &str) -> NewEntry {
    let fact = Fact::ContactAdded(comity_core::Contact {
        authority: pid(authority),
        id: Username::parse("duty-officer").unwrap(),
        name: "Duty officer".into(),
        email: Some("duty@example.org".into()),
        phone: None,
        public_key: None,
    });
    entry(Some(authority), "duty-officer", fact)
}

/// A `user.added` entry of `user`.
pub(crate) fn user_added(user: &UserRecord) -> NewEntry {
    let fact = Fact::UserAdded(journal::UserAdded {
        username: user.username.clone(),
        org: user.org.clone(),
        role: user.role,
        name: user.name.clone(),
    });
    entry(Some(user.org.as_str()), user.username.as_str(), fact)
}

/// A `user.disabled` entry of `user`.
pub(crate) fn user_disabled(user: &UserRecord) -> NewEntry {
    let fact = Fact::UserDisabled(journal::UserDisabled {
        username: user.username.clone(),
        org: user.org.clone(),
        reason: "left".into(),
    });
    entry(Some(user.org.as_str()), user.username.as_str(), fact)
}

/// An API token of `org`, and its `token.created` entry.
pub(crate) fn token(id: &str, org: &str) -> (TokenRecord, NewEntry) {
    let at = t0() - Duration::nanoseconds(789);
    let token = TokenRecord {
        id: id.into(),
        org: pid(org),
        role: Role::Handler,
        label: "case system".into(),
        secret_hash: [9; 32],
        created_at: at,
        expires_at: at + Duration::days(90),
        revoked_at: None,
    };
    let fact = Fact::TokenCreated(journal::TokenCreated {
        id: token.id.clone(),
        org: token.org.clone(),
        role: token.role,
        label: token.label.clone(),
        expires_at: token.expires_at,
    });
    (token, entry(Some(org), id, fact))
}

/// A `reviewer.assigned` entry: `reviewer` decides on `request`.
pub(crate) fn assigned(request: RequestId, reviewer: &str, party: Option<&str>) -> NewEntry {
    let fact = Fact::ReviewerAssigned(journal::ReviewerAssigned {
        request,
        reviewer: pid(reviewer),
        reason: "competent".into(),
    });
    NewEntry { request_id: Some(request), ..entry(party, reviewer, fact) }
}

pub(crate) fn user(name: &str, org: &str) -> UserRecord {
    UserRecord {
        username: Username::parse(name).unwrap(),
        org: pid(org),
        role: Role::Requester,
        name: format!("User {name}"),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        totp_sealed: vec![1, 2, 3],
        totp_last_step: None,
        // Microseconds, as both databases keep them.
        created_at: t0() - Duration::nanoseconds(789),
        disabled_at: None,
    }
}

fn conflict<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub async fn parties_carry_institutions_and_two_more_registers(h: &mut Harness) {
    let store = h.store();
    let court = Party::Authority(Authority {
        id: pid("gb-ipc"),
        country: CountryCode::parse("GB").unwrap(),
        authority_type: AuthorityType::Judge,
        name: "Investigatory Powers Commissioner".into(),
        institution: Some(pid("gb-ipco")),
    });
    let review = Party::Reviewer(ReviewerBody {
        id: pid("gb-ipc-review"),
        country: CountryCode::parse("GB").unwrap(),
        kind: ReviewerKind::Court,
        name: "Judicial Commissioners".into(),
        institution: Some(pid("gb-ipco")),
    });
    let organisation = |id: &str| Organisation {
        id: pid(id),
        country: CountryCode::parse("IE").unwrap(),
        name: format!("Org {id}"),
        institution: None,
    };
    let auditor = Party::Auditor(organisation("ie-audit"));
    let operator = Party::Operator(organisation("ops"));
    for p in [&court, &review, &auditor, &operator] {
        store.add_party(p).await.unwrap();
        assert_eq!(store.party(p.id()).await.unwrap().as_ref(), Some(p));
    }
    assert_eq!(court.institution(), review.institution());
    assert_eq!(auditor.institution(), &pid("ie-audit"));
    assert_eq!(store.parties(PartyRole::Auditor).await.unwrap(), vec![auditor]);
    assert_eq!(store.parties(PartyRole::Operator).await.unwrap(), vec![operator.clone()]);
    let message = conflict(store.add_party(&provider("ops")).await);
    assert!(message.contains("(as operator)"), "{message}");
}

/// Issue 16, item 7: a party's row changes only with its `party.updated` fact, as a
/// compare-and-set, and a party's suspension number is taken once.
pub async fn a_party_changes_with_its_fact_and_from_what_it_was(h: &mut Harness) {
    let store = h.store();
    let before = authority("fr-tj-paris");
    store.add_party(&before).await.unwrap();
    let update = journal::PartyUpdated {
        party: pid("fr-tj-paris"),
        name: Some(journal::Changed { old: before.name().to_owned(), new: "Parquet de Paris".into() }),
        authority_type: None,
        reviewer_kind: None,
        institution: Some(journal::Changed { old: None, new: Some(pid("fr-tj")) }),
        reason: "renamed".into(),
    };
    let after = update.apply(&before).unwrap();
    let fact =
        |u: &journal::PartyUpdated| entry(Some("fr-tj-paris"), "fr-tj-paris", Fact::PartyUpdated(u.clone()));
    let written = store.update_party(&before, &after, &fact(&update)).await.unwrap();
    assert!(written.log_index.is_some(), "the change is in the log");
    assert_eq!(store.party(&pid("fr-tj-paris")).await.unwrap(), Some(after.clone()));
    // The same change again starts from a row that is no more: refused, nothing written.
    let message = conflict(store.update_party(&before, &after, &fact(&update)).await);
    assert!(message.contains("changed meanwhile"), "{message}");
    let updates = JournalQuery::kinds(&[FactKind::PartyUpdated]).party(&pid("fr-tj-paris"));
    assert_eq!(store.journal(&updates).await.unwrap().len(), 1);
    assert_eq!(update.undo(&after).unwrap(), before, "the fact walks the row back");
    let nobody = authority("nobody-here");
    assert!(matches!(store.update_party(&nobody, &nobody, &fact(&update)).await, Err(StoreError::NotFound)));

    let suspended = |n: u32| {
        let fact = Fact::PartySuspended(journal::PartySuspended {
            party: pid("fr-tj-paris"),
            suspension: n,
            privilege: None,
            until: t0() + Duration::days(30),
            reason: "decided".into(),
        });
        entry(Some("fr-tj-paris"), &journal::suspension(n), fact)
    };
    store.append_journal(&[suspended(1)]).await.unwrap();
    let message = conflict(store.append_journal(&[suspended(1)]).await);
    assert!(message.contains("suspension-1"), "{message}");
    store.append_journal(&[suspended(2)]).await.unwrap();
}

pub async fn journal_entries_are_numbered_logged_and_found(h: &mut Harness) {
    let store = h.store();
    let r = store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    let assigned = assigned(r.id, "ie-dpc", Some("example-mail"));
    let written = store
        .append_journal(&[key_added("k1", "fr-tj-paris"), key_added("k2", "de-bka"), assigned.clone()])
        .await
        .unwrap();
    assert_eq!(written.iter().map(|j| j.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    // Consecutive entries in the log, after the receipt.
    let indexes: Vec<u64> = written.iter().map(|j| j.log_index.unwrap()).collect();
    assert_eq!(indexes, vec![1, 2, 3]);
    let records = store.log_records(1, 3).await.unwrap();
    let first = comity_log::Entry::from_bytes(&records[0].entry).unwrap();
    // The actor is kept beside the entry, which only commits to it (issue 12).
    assert_eq!((first.kind(), first.actor()), ("key.added", None));
    assert_eq!(records[0].actor.as_ref().map(|a| a.as_str()), Some("admin@ops"));
    let third = comity_log::Entry::from_bytes(&records[2].entry).unwrap();
    let tag = comity_log::RequestTag::new(&comity_log::Salt(r.log_salt), &r.id.to_string());
    assert_eq!(third.request(), Some(tag.to_string().as_str()));

    // Read back, exactly as written, by each filter.
    let keys = store.journal(&JournalQuery::kinds(&[FactKind::KeyAdded])).await.unwrap();
    assert_eq!(keys, written[..2].to_vec());
    let of_k2 = store.journal(&JournalQuery::default().subject("k2")).await.unwrap();
    assert_eq!(of_k2, vec![written[1].clone()]);
    let of_paris =
        store.journal(&JournalQuery::kinds(&[FactKind::KeyAdded]).party(&pid("fr-tj-paris"))).await.unwrap();
    assert_eq!(of_paris, vec![written[0].clone()]);
    let of_request = store.journal(&JournalQuery::default().request(r.id)).await.unwrap();
    assert_eq!(of_request, vec![written[2].clone()]);
    assert_eq!(store.journal(&JournalQuery::default()).await.unwrap(), written);

    // Listing by assigned reviewer.
    let query = |reviewer: &str| RequestQuery {
        state: None,
        authority: None,
        issuer: None,
        provider: None,
        reviewer: Some(pid(reviewer)),
        page: 1,
        per_page: 10,
    };
    assert_eq!(store.list_requests(&query("ie-dpc")).await.unwrap().items, vec![r]);
    assert_eq!(store.list_requests(&query("ie-other")).await.unwrap().total, 0);
}

pub async fn what_is_registered_once_is_refused_twice_and_nothing_is_appended(h: &mut Harness) {
    let store = h.store();
    let r = store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    store.append_journal(&[key_added("k1", "fr-tj-paris")]).await.unwrap();
    let size = store.log_size().await.unwrap();
    // The same key id, even for another authority; in a batch, the batch fails whole.
    let message =
        conflict(store.append_journal(&[key_added("k9", "de-bka"), key_added("k1", "de-bka")]).await);
    assert_eq!(message, "a key with id k1 is already registered");
    assert_eq!(store.log_size().await.unwrap(), size);
    assert!(store.journal(&JournalQuery::default().subject("k9")).await.unwrap().is_empty());

    let contact = contact_added("fr-tj-paris");
    store.append_journal(std::slice::from_ref(&contact)).await.unwrap();
    conflict(store.append_journal(std::slice::from_ref(&contact)).await);
    // Another authority may have a contact of the same id.
    store.append_journal(&[contact_added("de-bka")]).await.unwrap();

    let assigned = assigned(r.id, "ie-dpc", None);
    store.append_journal(std::slice::from_ref(&assigned)).await.unwrap();
    let message = conflict(store.append_journal(&[assigned]).await);
    assert_eq!(message, "ie-dpc is already assigned to this request");
}

pub async fn the_journal_is_append_only(h: &mut Harness) {
    h.store().append_journal(&[key_added("k1", "fr-tj-paris")]).await.unwrap();
    for sql in ["UPDATE journal SET content = '{}'", "DELETE FROM journal"] {
        assert!(h.raw(sql).await.is_err(), "{sql} was allowed");
    }
    if !h.is_sqlite() {
        assert!(h.raw("TRUNCATE journal").await.is_err());
    }
}

pub async fn accounts_round_trip_and_a_totp_step_is_used_once(h: &mut Harness) {
    let store = h.store();
    store.add_party(&authority("fr-tj-paris")).await.unwrap();
    let alice = user("alice", "fr-tj-paris");
    let added = user_added(&alice);
    let written = store.add_user(&alice, &added).await.unwrap();
    assert!(written.log_index.is_some());
    assert_eq!(store.user(&alice.username).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.user(&Username::parse("bob").unwrap()).await.unwrap(), None);
    conflict(store.add_user(&alice, &added).await);
    // An account of an organisation that is not registered is refused.
    let orphan = user("carol", "nowhere");
    assert!(matches!(store.add_user(&orphan, &added).await, Err(StoreError::NotFound)));
    assert_eq!(store.users().await.unwrap(), vec![alice.clone()]);

    // RFC 6238 §5.2: a code is good once. The same step and an older one are refused.
    assert!(store.use_totp_step(&alice.username, 100).await.unwrap());
    assert!(!store.use_totp_step(&alice.username, 100).await.unwrap());
    assert!(!store.use_totp_step(&alice.username, 99).await.unwrap());
    assert!(store.use_totp_step(&alice.username, 101).await.unwrap());
    assert_eq!(store.user(&alice.username).await.unwrap().unwrap().totp_last_step, Some(101));
}

/// Issue 12, finding 2: attempts count per (name, client), so one client's failures never
/// lock the same name from another; an attempt is reserved before its password is checked,
/// so however many race, only the free ones are granted before the lock.
pub async fn login_attempts_count_per_name_and_client_and_lock_before_the_check(h: &mut Harness) {
    let store = h.store();
    let (name, here, there) = ("judge", "192.0.2.1", "198.51.100.7");
    let free = comity_core::trust::FREE_LOGIN_ATTEMPTS;
    for n in 1..=free {
        assert_eq!(store.reserve_login(name, here, t0()).await.unwrap(), LoginSlot::Granted { attempt: n });
    }
    // The last free attempt locked the pair for a minute, counted from it.
    let until = t0() - Duration::nanoseconds(789) + Duration::minutes(1);
    assert_eq!(store.reserve_login(name, here, t0()).await.unwrap(), LoginSlot::Locked { until });
    // Refused attempts are not counted: the lock does not grow while it holds.
    assert_eq!(
        store.reserve_login(name, here, t0() + Duration::seconds(30)).await.unwrap(),
        LoginSlot::Locked { until }
    );
    // The same name from another client, and another name from this one, are free.
    assert_eq!(store.reserve_login(name, there, t0()).await.unwrap(), LoginSlot::Granted { attempt: 1 });
    assert_eq!(store.reserve_login("ghost", here, t0()).await.unwrap(), LoginSlot::Granted { attempt: 1 });
    // Once the lock is over, one more attempt, and a lock twice as long.
    let later = t0() + Duration::minutes(1);
    let attempt = free + 1;
    assert_eq!(store.reserve_login(name, here, later).await.unwrap(), LoginSlot::Granted { attempt });
    assert!(matches!(
        store.reserve_login(name, here, later).await.unwrap(),
        LoginSlot::Locked { until } if until - later >= Duration::minutes(2) - Duration::seconds(1)
    ));
    // A success clears the pair, and only that pair.
    store.clear_login_attempts(name, here).await.unwrap();
    assert_eq!(store.reserve_login(name, here, later).await.unwrap(), LoginSlot::Granted { attempt: 1 });
    assert_eq!(store.reserve_login(name, there, later).await.unwrap(), LoginSlot::Granted { attempt: 2 });
    // A pair idle for the reset time is forgotten, lock and count.
    let idle = later + Duration::hours(comity_core::trust::LOGIN_ATTEMPTS_RESET_HOURS) + Duration::minutes(1);
    assert_eq!(store.reserve_login(name, there, idle).await.unwrap(), LoginSlot::Granted { attempt: 1 });

    // Fifty attempts at once for one pair: only the free ones are granted.
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let store = h.shared();
        racing.spawn(async move { store.reserve_login("racer", "203.0.113.9", t0()).await.unwrap() });
    }
    let mut granted = Vec::new();
    while let Some(slot) = racing.join_next().await {
        if let LoginSlot::Granted { attempt } = slot.unwrap() {
            granted.push(attempt);
        }
    }
    granted.sort_unstable();
    assert_eq!(granted, (1..=free).collect::<Vec<_>>());
}

/// Issue 12, finding 5: a password change ends every other session of the account, keeps
/// the one asked for, and is journaled and logged in the same transaction.
pub async fn a_password_change_ends_the_other_sessions_and_is_journaled(h: &mut Harness) {
    let store = h.store();
    store.add_party(&authority("fr-tj-paris")).await.unwrap();
    let (alice, bob) = (user("alice", "fr-tj-paris"), user("bob", "fr-tj-paris"));
    for u in [&alice, &bob] {
        store.add_user(u, &user_added(u)).await.unwrap();
    }
    let at = t0() - Duration::nanoseconds(789);
    let session = |hash: u8, who: &UserRecord| SessionRecord {
        id_hash: [hash; 32],
        username: who.username.clone(),
        created_at: at,
        expires_at: at + Duration::hours(8),
        ended_at: None,
    };
    for s in [session(1, &alice), session(2, &alice), session(3, &bob)] {
        store.add_session(&s).await.unwrap();
    }
    let fact = Fact::PasswordChanged(journal::PasswordChanged {
        username: alice.username.clone(),
        org: alice.org.clone(),
    });
    let changed = entry(Some("fr-tj-paris"), "alice", fact);
    let later = at + Duration::hours(1);
    let written = store
        .change_password(&alice.username, "$argon2id$new", Some(&[1; 32]), later, &changed)
        .await
        .unwrap();
    assert!(written.log_index.is_some());
    assert_eq!(store.user(&alice.username).await.unwrap().unwrap().password_hash, "$argon2id$new");
    let ended = |hash: u8| async move { store.session(&[hash; 32]).await.unwrap().unwrap().ended_at };
    assert_eq!((ended(1).await, ended(2).await, ended(3).await), (None, Some(later), None));
    let facts = store.journal(&JournalQuery::kinds(&[FactKind::PasswordChanged])).await.unwrap();
    assert_eq!(facts.iter().map(|j| j.subject.as_str()).collect::<Vec<_>>(), ["alice"]);
    // Without a session to keep, every one ends; an account that does not exist is NotFound.
    store.change_password(&alice.username, "$argon2id$newer", None, later, &changed).await.unwrap();
    assert_eq!(ended(1).await, Some(later));
    let nobody = Username::parse("nobody").unwrap();
    let size = store.log_size().await.unwrap();
    assert!(matches!(
        store.change_password(&nobody, "x", None, later, &changed).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.log_size().await.unwrap(), size);
}

/// Issue 12, finding 5: asked to, the store refuses to revoke an organisation's last admin
/// credential (another unrevoked, unexpired admin token, or an enabled admin account).
pub async fn the_last_admin_credential_is_kept_when_asked(h: &mut Harness) {
    let store = h.store();
    let ops = Party::Operator(Organisation {
        id: pid("ops"),
        country: CountryCode::parse("IE").unwrap(),
        name: "Operator".into(),
        institution: None,
    });
    store.add_party(&ops).await.unwrap();
    let admin_token = |id: &str, expires: Duration| {
        let (t, e) = token(id, "ops");
        let t = TokenRecord { role: Role::Admin, expires_at: t.created_at + expires, ..t };
        let e = match e.fact {
            Fact::TokenCreated(c) => NewEntry {
                fact: Fact::TokenCreated(journal::TokenCreated {
                    role: Role::Admin,
                    expires_at: t.expires_at,
                    ..c
                }),
                ..e
            },
            _ => unreachable!("token() makes a token.created entry"),
        };
        (t, e)
    };
    let revoked = |t: &TokenRecord| {
        let fact = Fact::TokenRevoked(journal::TokenRevoked { id: t.id.clone(), org: t.org.clone() });
        entry(Some("ops"), &t.id, fact)
    };
    let at = t0() + Duration::hours(1);
    let (first, created) = admin_token("firstadmintoken0", Duration::days(90));
    store.add_token(&first, &created).await.unwrap();
    // An expired admin token is no admin.
    let (old, created) = admin_token("expiredadmintkn0", Duration::minutes(1));
    store.add_token(&old, &created).await.unwrap();
    let size = store.log_size().await.unwrap();
    let refused = conflict(store.revoke_token(&first.id, at, &revoked(&first), true).await);
    assert!(refused.contains("create another admin token first"), "{refused}");
    assert_eq!(store.token(&first.id).await.unwrap().unwrap().revoked_at, None);
    assert_eq!(store.log_size().await.unwrap(), size, "nothing is logged");

    // With a second admin token, the first may go; then the second is the last.
    let (second, created) = admin_token("secondadmintoken", Duration::days(90));
    store.add_token(&second, &created).await.unwrap();
    store.revoke_token(&first.id, at, &revoked(&first), true).await.unwrap();
    conflict(store.revoke_token(&second.id, at, &revoked(&second), true).await);
    // An enabled admin account is an admin credential too.
    let admin = UserRecord { role: Role::Admin, ..user("root", "ops") };
    store.add_user(&admin, &user_added(&admin)).await.unwrap();
    store.revoke_token(&second.id, at, &revoked(&second), true).await.unwrap();

    // Without the guard (the operator's command line), the last one goes.
    let (third, created) = admin_token("thirdadmintoken0", Duration::days(90));
    store.add_token(&third, &created).await.unwrap();
    store.disable_user(&admin.username, at, &user_disabled(&admin)).await.unwrap();
    conflict(store.revoke_token(&third.id, at, &revoked(&third), true).await);
    store.revoke_token(&third.id, at, &revoked(&third), false).await.unwrap();
}

pub async fn sessions_tokens_and_links(h: &mut Harness) {
    let store = h.store();
    store.add_party(&authority("fr-tj-paris")).await.unwrap();
    store.add_party(&provider("example-mail")).await.unwrap();
    let alice = user("alice", "fr-tj-paris");
    store.add_user(&alice, &user_added(&alice)).await.unwrap();
    let at = t0() - Duration::nanoseconds(789);

    let session = SessionRecord {
        id_hash: [7; 32],
        username: alice.username.clone(),
        created_at: at,
        expires_at: at + Duration::hours(8),
        ended_at: None,
    };
    store.add_session(&session).await.unwrap();
    assert_eq!(store.session(&[7; 32]).await.unwrap(), Some(session.clone()));
    assert_eq!(store.session(&[8; 32]).await.unwrap(), None);
    store.end_session(&[7; 32], at + Duration::hours(1)).await.unwrap();
    let ended = store.session(&[7; 32]).await.unwrap().unwrap();
    assert_eq!(ended.ended_at, Some(at + Duration::hours(1)));

    let (token, created) = token("abcdefghijklmnop", "example-mail");
    store.add_token(&token, &created).await.unwrap();
    conflict(store.add_token(&token, &created).await);
    assert_eq!(store.token(&token.id).await.unwrap(), Some(token.clone()));
    assert_eq!(store.tokens().await.unwrap(), vec![token.clone()]);
    let revoked = entry(
        Some("example-mail"),
        &token.id,
        Fact::TokenRevoked(journal::TokenRevoked { id: token.id.clone(), org: token.org.clone() }),
    );
    store.revoke_token(&token.id, at + Duration::days(1), &revoked, true).await.unwrap();
    assert_eq!(store.token(&token.id).await.unwrap().unwrap().revoked_at, Some(at + Duration::days(1)));
    // Revoking twice, or a token that does not exist, is NotFound, and logs nothing.
    let size = store.log_size().await.unwrap();
    assert!(matches!(store.revoke_token(&token.id, at, &revoked, true).await, Err(StoreError::NotFound)));
    assert!(matches!(store.revoke_token("nope", at, &revoked, true).await, Err(StoreError::NotFound)));
    assert_eq!(store.log_size().await.unwrap(), size);

    let r = store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    let link = LinkRecord {
        secret_hash: [5; 32],
        request_id: r.id,
        contact: Username::parse("duty-officer").unwrap(),
        created_at: at,
        expires_at: at + Duration::hours(24),
        used_at: None,
    };
    let issued = Fact::LinkIssued(journal::LinkIssued {
        request: r.id,
        authority: pid("fr-tj-paris"),
        contact: link.contact.clone(),
        expires_at: link.expires_at,
    });
    store.add_link(&link, &entry(None, "duty-officer", issued)).await.unwrap();
    assert_eq!(store.link(&[5; 32]).await.unwrap(), Some(link.clone()));
    // Expired: refused, and still unused.
    assert_eq!(store.use_link(&[5; 32], at + Duration::hours(25)).await.unwrap(), None);
    let used = store.use_link(&[5; 32], at + Duration::hours(1)).await.unwrap().unwrap();
    assert_eq!(used.used_at, Some(at + Duration::hours(1)));
    // Once only.
    assert_eq!(store.use_link(&[5; 32], at + Duration::hours(2)).await.unwrap(), None);
    assert_eq!(store.use_link(&[6; 32], at).await.unwrap(), None);
}

pub async fn a_signed_submission_is_kept_and_its_jti_used_once(h: &mut Harness) {
    let store = h.store();
    let signed = |n: i64, jti: &str, authority: &str| NewRequest {
        signature: Some(format!("header.payload.sig{n}")),
        jti: Some(jti.into()),
        ..new_request(authority, "example-mail", t0() + Duration::seconds(n))
    };
    let first = store.insert_request(&signed(0, "j-1", "fr-tj-paris")).await.unwrap().request;
    assert_eq!(first.signature.as_deref(), Some("header.payload.sig0"));
    assert_eq!(
        store.request(first.id).await.unwrap().unwrap().signature.as_deref(),
        Some("header.payload.sig0")
    );
    assert!(matches!(
        store.insert_request(&signed(1, "j-1", "fr-tj-paris")).await,
        Err(StoreError::JtiTaken)
    ));
    // The jti is the authority's: another may use the same.
    store.insert_request(&signed(2, "j-1", "de-bka")).await.unwrap();

    // Racing replays: exactly one wins, on either backend.
    let mut tasks = Vec::new();
    for n in 0..12 {
        let store = h.shared();
        let new = signed(10 + n, "j-race", "fr-tj-paris");
        tasks.push(tokio::spawn(async move { store.insert_request(&new).await }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::JtiTaken) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
}

pub async fn an_authority_track_record_counts_its_requests(h: &mut Harness) {
    let store = h.store();
    let emergency = |n: i64| NewRequest {
        emergency: true,
        ..new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(n))
    };
    // One rejected, two emergencies held, one of them confirmed.
    let plain =
        store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap().request;
    let plain = plain.after(&store.apply_move(&a_move(&plain, State::Screening, t0())).await.unwrap());
    let plain = plain.after(&store.apply_move(&a_move(&plain, State::Rejected, t0())).await.unwrap());
    // Appealed and rejected again: still one rejected request.
    let plain = plain.after(&store.apply_move(&a_move(&plain, State::Appealed, t0())).await.unwrap());
    store.apply_move(&a_move(&plain, State::Rejected, t0())).await.unwrap();
    for n in 1..=2 {
        let r = store.insert_request(&emergency(n)).await.unwrap().request;
        let r = r.after(&store.apply_move(&a_move(&r, State::Screening, t0())).await.unwrap());
        let r = r.after(&store.apply_move(&a_move(&r, State::PendingVerification, t0())).await.unwrap());
        if n == 1 {
            store.apply_move(&a_move(&r, State::UnderReview, t0())).await.unwrap();
        }
    }
    store.insert_request(&new_request("de-bka", "example-mail", t0())).await.unwrap();
    let record = store.authority_record(&pid("fr-tj-paris")).await.unwrap();
    assert_eq!(
        (record.requests, record.rejected, record.emergencies, record.held, record.confirmed),
        (3, 1, 2, 2, 1)
    );
    let none = store.authority_record(&pid("nobody")).await.unwrap();
    assert_eq!(none, comity_core::AuthorityRecord::default());
    let _ = actor("x");
}

/// Issue 17: a provider's private production key is kept (sealed, as the app gives it) with
/// its `production_key.added` fact, in one write, once.
pub async fn a_production_key_is_kept_with_its_fact_and_once(h: &mut Harness) {
    let store = h.store();
    let provider = pid("example-mail");
    let added = |kid: &str| {
        let fact = Fact::ProductionKeyAdded(journal::ProductionKeyAdded {
            provider: provider.clone(),
            kid: KeyId::parse(kid).unwrap(),
            public_key: [9; 32],
        });
        entry(Some("example-mail"), kid, fact)
    };
    assert_eq!(store.production_key(&provider, "pk1").await.unwrap(), None);
    let written = store.add_production_key(&provider, "pk1", b"sealed one", &added("pk1")).await.unwrap();
    assert!(written.log_index.is_some(), "the fact is logged");
    assert_eq!(store.production_key(&provider, "pk1").await.unwrap().as_deref(), Some(&b"sealed one"[..]));
    assert_eq!(store.production_key(&pid("example-cloud"), "pk1").await.unwrap(), None);

    let size = store.log_size().await.unwrap();
    conflict(store.add_production_key(&provider, "pk1", b"sealed two", &added("pk1")).await);
    assert_eq!(store.log_size().await.unwrap(), size, "nothing is appended");
    assert_eq!(store.production_key(&provider, "pk1").await.unwrap().as_deref(), Some(&b"sealed one"[..]));
    let facts = store.journal(&JournalQuery::kinds(&[FactKind::ProductionKeyAdded])).await.unwrap();
    assert_eq!(facts.len(), 1);

    store.add_production_key(&provider, "pk2", b"sealed two", &added("pk2")).await.unwrap();
    assert_eq!(store.production_key(&provider, "pk2").await.unwrap().as_deref(), Some(&b"sealed two"[..]));
}

/// What a store keeps of the registers (issue 17): its own writes are seen at once, another
/// process's after a sync, and nothing else makes it read again. The row edited behind
/// comity's back shows that answers are kept: only forgetting them shows the edit.
pub async fn registers_are_kept_until_a_process_changes_them(h: &mut Harness) {
    let (one, other) = (h.shared(), h.open_another().await);
    let key = JournalQuery::kinds(&FactKind::KEY).subject("k1");
    one.sync_registers().await.unwrap();
    assert!(one.journal(&key).await.unwrap().is_empty());
    // This process's own write: seen by the next read, with no sync.
    one.append_journal(&[key_added("k1", "fr-tj-paris")]).await.unwrap();
    assert_eq!(one.journal(&key).await.unwrap().len(), 1);

    // The other process keeps what it read: a party, a key, a token, a register.
    other.sync_registers().await.unwrap();
    assert_eq!(other.journal(&key).await.unwrap().len(), 1);
    assert_eq!(other.party(&pid("fr-tj-paris")).await.unwrap(), None);
    assert_eq!(other.token("casesystemtoken0").await.unwrap(), None);
    assert!(other.parties(PartyRole::Authority).await.unwrap().is_empty());

    // Each register written through the first is read anew by the other after a sync.
    one.add_party(&authority("fr-tj-paris")).await.unwrap();
    one.add_party(&provider("example-mail")).await.unwrap();
    let (t, created) = token("casesystemtoken0", "example-mail");
    one.add_token(&t, &created).await.unwrap();
    let revoked = Fact::KeyRevoked(journal::KeyRevoked {
        authority: pid("fr-tj-paris"),
        kid: KeyId::parse("k1").unwrap(),
        effective_at: t0(),
        reason: "lost".into(),
    });
    one.append_journal(&[entry(Some("fr-tj-paris"), "k1", revoked)]).await.unwrap();
    other.sync_registers().await.unwrap();
    assert_eq!(other.journal(&key).await.unwrap().len(), 2, "the revocation");
    assert_eq!(other.party(&pid("fr-tj-paris")).await.unwrap(), Some(authority("fr-tj-paris")));
    assert_eq!(other.parties(PartyRole::Authority).await.unwrap(), vec![authority("fr-tj-paris")]);
    assert_eq!(other.token(&t.id).await.unwrap().unwrap().revoked_at, None);
    let fact = Fact::TokenRevoked(journal::TokenRevoked { id: t.id.clone(), org: t.org.clone() });
    one.revoke_token(&t.id, t0(), &entry(Some("example-mail"), &t.id, fact), false).await.unwrap();
    other.sync_registers().await.unwrap();
    assert!(other.token(&t.id).await.unwrap().unwrap().revoked_at.is_some(), "the revocation");

    // A row edited outside comity changes no version: the other keeps its answer through a
    // sync and a write that is no register's (a request), until it forgets.
    let name = |p: Option<Party>| p.map(|p| p.name().to_owned());
    assert_eq!(
        name(other.party(&pid("fr-tj-paris")).await.unwrap()).as_deref(),
        Some("Authority fr-tj-paris")
    );
    h.raw("UPDATE parties SET name = 'Edited' WHERE id = 'fr-tj-paris'").await.unwrap();
    one.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap();
    other.sync_registers().await.unwrap();
    assert_eq!(
        name(other.party(&pid("fr-tj-paris")).await.unwrap()).as_deref(),
        Some("Authority fr-tj-paris")
    );
    other.forget_registers();
    assert_eq!(name(other.party(&pid("fr-tj-paris")).await.unwrap()).as_deref(), Some("Edited"));
}

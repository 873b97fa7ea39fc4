//! The audit log through the store: every write appends in its own transaction, the
//! tree is the entries, and `verify_store` catches each kind of edit made behind
//! comity's back.

use std::sync::Arc;

use chrono::Duration;
use comity_core::{
    ActorId, CheckpointSigner, IntakeScreening, LogSubject, Read, ReadOf, Screening, State, Store,
};
use comity_log::{LogKey, MemoryTree, verify_checkpoint};
use comity_store::verify::{VerifyError, verify_store};

use crate::harness::Harness;
use crate::suite::{a_move, actor, authority, new_request, provider, t0};

const ORIGIN: &str = "comity.test/log";

fn signer(key: &LogKey) -> Arc<CheckpointSigner> {
    let key = key.clone();
    Arc::new(move |size, root| key.sign(ORIGIN, size, comity_log::Hash(*root)).map_err(|e| e.to_string()))
}

fn screening_of(id: comity_core::RequestId) -> Screening {
    Screening {
        request_id: id,
        at: t0() + Duration::seconds(1),
        pack_id: "eu-e-evidence".into(),
        pack_version: "1".into(),
        pack_hash: "abc".into(),
        verdict: "needs_review".into(),
        report: r#"{"verdict":"needs_review"}"#.into(),
        log_index: None,
    }
}

/// Some of everything: parties, intakes with and without screening, moves, reads, a
/// later screening and two checkpoints. Returns the indexes every call reported.
async fn activity(store: &dyn Store, key: &LogKey) -> Vec<u64> {
    let mut logged = Vec::new();
    logged.push(store.add_party(&authority("fr-tj-paris")).await.unwrap());
    logged.push(store.add_party(&provider("example-mail")).await.unwrap());
    for n in 0..3 {
        let mut new = new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(n));
        if n == 1 {
            new.screening = Some(IntakeScreening {
                screening: screening_of(new.id),
                moves: vec![
                    (State::Screening, "screening".into()),
                    (State::UnderReview, "needs review".into()),
                ],
                clocks: Vec::new(),
                facts: Vec::new(),
            });
        }
        let intake = store.insert_request(&new).await.unwrap();
        assert_eq!(intake.log.len(), if n == 1 { 4 } else { 1 }, "receipt, screening, two moves");
        logged.extend(&intake.log);
        let r = intake.request;
        if n != 1 {
            let event =
                store.apply_move(&a_move(&r, State::Screening, t0() + Duration::seconds(5))).await.unwrap();
            logged.push(event.log_index.unwrap());
        }
        let read =
            Read { request_id: r.id, what: ReadOf::Document, actor: actor("ie-dpc:auditor"), at: t0() };
        logged.push(store.log_read(&read).await.unwrap());
        if n == 2 {
            logged.push(store.record_screening(&screening_of(r.id), &[]).await.unwrap());
            let c = store.checkpoint(signer(key)).await.unwrap().unwrap();
            logged.push(c.size - 1);
        }
    }
    // A fact of the trust registers, and a signed submission kept as evidence.
    let written = store.append_journal(&[crate::trust_suite::key_added("k1", "fr-tj-paris")]).await.unwrap();
    logged.extend(written.iter().map(|j| j.log_index.unwrap()));
    let signed = comity_core::NewRequest {
        signature: Some("eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.e30.c2ln".into()),
        jti: Some("jti-1".into()),
        ..new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(9))
    };
    logged.extend(store.insert_request(&signed).await.unwrap().log);
    // One validated by another authority, an account and an API token: what access
    // decisions read of them is in the log too.
    let mut validated = new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(10));
    let mut doc: serde_json::Value = serde_json::from_str(&validated.document).unwrap();
    doc["issuing"]["validated_by"] =
        serde_json::json!({"authority": "fr-jld-paris", "authority_type": "judge"});
    validated.document = doc.to_string();
    validated.validator = Some(comity_core::PartyId::parse("fr-jld-paris").unwrap());
    logged.extend(store.insert_request(&validated).await.unwrap().log);
    let alice = crate::trust_suite::user("alice", "fr-tj-paris");
    logged.extend(store.add_user(&alice, &crate::trust_suite::user_added(&alice)).await.unwrap().log_index);
    let (token, created) = crate::trust_suite::token("abcdefghijklmnop", "example-mail");
    logged.extend(store.add_token(&token, &created).await.unwrap().log_index);
    let bob = crate::trust_suite::user("bob", "fr-tj-paris");
    logged.extend(store.add_user(&bob, &crate::trust_suite::user_added(&bob)).await.unwrap().log_index);
    let left = crate::trust_suite::user_disabled(&bob);
    logged.extend(store.disable_user(&bob.username, t0(), &left).await.unwrap().log_index);
    let assigned = crate::trust_suite::assigned(validated.id, "ie-dpc", Some("example-mail"));
    logged.extend(store.append_journal(&[assigned]).await.unwrap().iter().map(|j| j.log_index.unwrap()));
    let represented = comity_core::NewEntry::new(
        t0(),
        ActorId::parse("admin@test-ops").unwrap(),
        comity_core::Fact::RepresentativeRegistered(comity_core::journal::RepresentativeRegistered {
            request: validated.id,
            representative: comity_core::PartyId::parse("ie-dpc").unwrap(),
            represents: "ab".repeat(32),
            mandate: "a complaint".into(),
        }),
    );
    logged.extend(store.append_journal(&[represented]).await.unwrap().iter().map(|j| j.log_index.unwrap()));
    logged.push(store.add_party(&provider("example-cloud")).await.unwrap());
    let c = store.checkpoint(signer(key)).await.unwrap().unwrap();
    logged.push(c.size - 1);
    logged
}

pub async fn every_write_is_logged_in_order_and_the_tree_is_its_entries(h: &mut Harness) {
    let store = h.store();
    let key = LogKey::generate(ORIGIN);
    let logged = activity(store, &key).await;
    // One entry per call, in the order of the calls, none skipped.
    assert_eq!(logged, (0..logged.len() as u64).collect::<Vec<_>>());
    let size = store.log_size().await.unwrap();
    assert_eq!(size, logged.len() as u64);

    // Nothing new: no checkpoint, and no checkpoint entry either.
    assert!(store.checkpoint(signer(&key)).await.unwrap().is_none());
    assert_eq!(store.log_size().await.unwrap(), size);

    // The latest checkpoint signs the root of exactly the stored entries.
    let records = store.log_records(0, 1000).await.unwrap();
    let mut tree = MemoryTree::new();
    for r in &records {
        comity_log::Entry::from_bytes(&r.entry).unwrap();
        tree.append(&r.entry);
    }
    let latest = store.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(latest.seq, 2);
    let body = verify_checkpoint(&latest.note, key.verifier_key()).unwrap();
    assert_eq!((body.size(), *body.hash()), (size, tree.root(size).unwrap()));
    assert!(matches!(records.last().unwrap().subject, LogSubject::Checkpoint { seq: 2 }));

    // Stored hashes give the same proofs as the rebuilt tree.
    let needed = comity_log::hashes_needed(|r| comity_log::inclusion_proof(3, size, r));
    let hashes = store.log_hashes(&needed).await.unwrap();
    let reader: comity_log::HashMapReader =
        needed.iter().copied().zip(hashes.into_iter().map(comity_log::Hash)).collect();
    assert_eq!(
        comity_log::inclusion_proof(3, size, &reader).unwrap(),
        tree.prove_inclusion(3, size).unwrap()
    );
    assert!(matches!(store.log_hashes(&[u64::MAX / 2]).await, Err(comity_core::StoreError::NotFound)));

    // Events and screenings carry their entries; a request's log lists them and its reads.
    let first = match &records[2].subject {
        LogSubject::Event { request_id, seq: 1 } => *request_id,
        other => panic!("entry 2 should be the first receipt, not {other:?}"),
    };
    let events = store.events(first).await.unwrap();
    assert_eq!(events.iter().map(|e| e.log_index).collect::<Vec<_>>(), vec![Some(2), Some(3)]);
    let kinds: Vec<String> = store
        .request_log(first)
        .await
        .unwrap()
        .iter()
        .map(|r| comity_log::Entry::from_bytes(&r.entry).unwrap().kind().to_owned())
        .collect();
    assert_eq!(kinds, ["lifecycle.received", "lifecycle.screening", "read.document"]);

    let verified = verify_store(store, key.verifier_key(), |_, _| {}).await.unwrap();
    assert_eq!(
        (
            verified.entries,
            verified.events,
            verified.screenings,
            verified.parties,
            verified.reads,
            verified.checkpoints,
            verified.journal,
        ),
        (size, 9, 2, 3, 3, 2, 7)
    );
    assert_eq!(verified.signed_size, size);
    // Issue 11: every request's, account's and token's columns were checked too.
    assert_eq!((verified.requests, verified.accounts, verified.tokens), (5, 2, 1));
}

/// Two stores on one database, as two processes: each keeps its own frontier, and the
/// sequencer (SQLite's write lock, PostgreSQL's `log_head` row) keeps one tree.
pub async fn two_processes_append_to_one_tree(h: &mut Harness) {
    let key = LogKey::generate(ORIGIN);
    let other = h.open_another().await;
    let one = h.shared();
    one.add_party(&authority("fr-tj-paris")).await.unwrap();
    let mut tasks = Vec::new();
    for (n, store) in [one.clone(), other.clone()].into_iter().cycle().take(40).enumerate() {
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let new = new_request("fr-tj-paris", "example-mail", t0() + Duration::milliseconds(n as i64 * 7));
            let r = store.insert_request(&new).await.unwrap().request;
            store.apply_move(&a_move(&r, State::Screening, t0())).await.unwrap();
            if n % 10 == 0 {
                store.checkpoint(signer(&key)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    other.checkpoint(signer(&key)).await.unwrap();
    let verified = verify_store(h.store(), key.verifier_key(), |_, _| {}).await.unwrap();
    assert_eq!(verified.events, 80);
    assert!(verified.checkpoints >= 1);
    assert_eq!(verified.signed_size, h.store().log_size().await.unwrap());
}

/// Issue 11: an intake's screening was numbered `MAX(seq) + 1` on SQLite but a literal 1 on
/// PostgreSQL. It is numbered as `record_screening` numbers one, on both: the intake's is
/// screening 1, a later one screening 2, and each log entry names its own.
pub async fn an_intake_screening_and_a_later_one_are_numbered_1_then_2(h: &mut Harness) {
    let store = h.store();
    let mut new = new_request("fr-tj-paris", "example-mail", t0());
    new.screening = Some(IntakeScreening {
        screening: screening_of(new.id),
        moves: vec![(State::Screening, "screening".into())],
        clocks: Vec::new(),
        facts: Vec::new(),
    });
    let intake = store.insert_request(&new).await.unwrap();
    let later = Screening { verdict: "admissible".into(), ..screening_of(new.id) };
    let later_index = store.record_screening(&later, &[]).await.unwrap();

    let screened: Vec<(u64, LogSubject)> = store
        .request_log(new.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r.subject, LogSubject::Screening { .. }))
        .map(|r| (r.index, r.subject))
        .collect();
    assert_eq!(
        screened,
        vec![
            (intake.log[1], LogSubject::Screening { request_id: new.id, seq: 1 }),
            (later_index, LogSubject::Screening { request_id: new.id, seq: 2 }),
        ]
    );
    // The rows carry the numbers their entries name (a screening finds its entry by them).
    let kept: Vec<(String, Option<u64>)> =
        store.screenings(new.id).await.unwrap().into_iter().map(|s| (s.verdict, s.log_index)).collect();
    assert_eq!(
        kept,
        vec![("needs_review".to_owned(), Some(intake.log[1])), ("admissible".to_owned(), Some(later_index))]
    );
    // And each entry commits to its row, number included.
    let key = LogKey::generate(ORIGIN);
    let verified = verify_store(store, key.verifier_key(), |_, _| {}).await.unwrap();
    assert_eq!(verified.screenings, 2);
}

/// The SQL that takes away the append-only guards, as an operator with the database's
/// password could.
fn unguard(h: &Harness) -> &'static str {
    if h.is_sqlite() {
        "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; \
         DROP TRIGGER screenings_no_update; DROP TRIGGER screenings_no_delete; \
         DROP TRIGGER log_entries_no_update; DROP TRIGGER log_entries_no_delete; \
         DROP TRIGGER log_hashes_no_update; DROP TRIGGER log_hashes_no_delete; \
         DROP TRIGGER log_checkpoints_no_update; DROP TRIGGER log_checkpoints_no_delete; \
         DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; \
         DROP TRIGGER documents_no_update; DROP TRIGGER documents_no_delete;"
    } else {
        "ALTER TABLE events DISABLE TRIGGER USER; ALTER TABLE screenings DISABLE TRIGGER USER; \
         ALTER TABLE log_entries DISABLE TRIGGER USER; ALTER TABLE log_hashes DISABLE TRIGGER USER; \
         ALTER TABLE log_checkpoints DISABLE TRIGGER USER; ALTER TABLE journal DISABLE TRIGGER USER; \
         ALTER TABLE documents DISABLE TRIGGER USER;"
    }
}

/// An edit made behind comity's back: what it is, the SQL, the words the check must say
/// about it, and the fields of what an access decision reads (`RequestFacts`, `Who`) whose
/// column it changes.
struct Edit {
    what: &'static str,
    sql: &'static str,
    says: &'static str,
    feeds: &'static [&'static str],
}

/// Every edit the check must catch. On `sqlite`, SQLite's spelling.
fn edits(sqlite: bool) -> Vec<Edit> {
    let edit = |what, sql, says| Edit { what, sql, says, feeds: &[] };
    let feeding = |what, sql, says, feeds| Edit { what, sql, says, feeds };
    vec![
        edit(
            "an event's reason",
            "UPDATE events SET reason = 'nothing to see' WHERE seq = 2",
            "does not commit to the stored event",
        ),
        edit("an event deleted", "DELETE FROM events WHERE seq = 2", "which is not stored"),
        edit(
            "an event added",
            "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
            SELECT request_id, 9, 'screening', 'rejected', 'x', at, 'forged' FROM events WHERE seq = 2 LIMIT 1",
            "have no entry in the log",
        ),
        edit(
            "a screening's report",
            "UPDATE screenings SET report = '{}'",
            "does not commit to the stored screening",
        ),
        edit(
            "a party's name",
            "UPDATE parties SET name = 'Someone else' WHERE id = 'fr-tj-paris'",
            "does not commit to the stored party",
        ),
        // A v2 entry commits to its actor, kept beside it (issue 12): a read's actor has
        // no other row, an event's is also the event's.
        edit(
            "a read's actor",
            "UPDATE log_entries SET actor = 'ie-dpc:nobody' WHERE actor = 'ie-dpc:auditor'",
            "does not commit",
        ),
        edit(
            "an event entry's actor",
            "UPDATE log_entries SET actor = 'ie-dpc:nobody' WHERE subject_kind = 'event' AND subject_seq = 2",
            "does not describe",
        ),
        edit(
            "a request's log salt",
            if sqlite {
                "UPDATE requests SET log_salt = zeroblob(32)"
            } else {
                "UPDATE requests SET log_salt = decode(repeat('00', 32), 'hex')"
            },
            "does not describe",
        ),
        edit(
            "an entry's request tag",
            if sqlite {
                "UPDATE log_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'request: ', 'request: A') AS BLOB) WHERE idx = 3"
            } else {
                "UPDATE log_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'request: ', 'request: A'), 'UTF8') WHERE idx = 3"
            },
            "entry 3 is not a comity log entry",
        ),
        edit("an entry deleted", "DELETE FROM log_entries WHERE idx = 4", "entry 4 is missing"),
        edit(
            "a stored hash",
            if sqlite {
                "UPDATE log_hashes SET hash = zeroblob(32) WHERE idx = 5"
            } else {
                "UPDATE log_hashes SET hash = decode(repeat('00', 32), 'hex') WHERE idx = 5"
            },
            "stored hash 5 differs",
        ),
        edit(
            "a checkpoint deleted",
            "DELETE FROM log_checkpoints WHERE seq = 1",
            "checkpoint 1, which is not stored",
        ),
        edit(
            "a checkpoint's note",
            if sqlite {
                "UPDATE log_checkpoints SET note = CAST(replace(CAST(note AS TEXT), 'comity.test/log', 'comity.test/lag') AS BLOB) WHERE seq = 2"
            } else {
                "UPDATE log_checkpoints SET note = convert_to(replace(convert_from(note, 'UTF8'), 'comity.test/log', 'comity.test/lag'), 'UTF8') WHERE seq = 2"
            },
            "checkpoint 2",
        ),
        edit(
            "a salt",
            if sqlite {
                "UPDATE log_entries SET salt = zeroblob(32) WHERE idx = 2"
            } else {
                "UPDATE log_entries SET salt = decode(repeat('00', 32), 'hex') WHERE idx = 2"
            },
            "entry 2 does not commit",
        ),
        edit(
            "a journal entry's content",
            "UPDATE journal SET content = replace(content, '\"k1\"', '\"forged\"')",
            "does not commit to the stored journal entry 1 (key.added)",
        ),
        edit(
            "a journal entry's content, no longer a fact of its kind",
            "UPDATE journal SET content = '{\"kid\":\"forged\"}'",
            "table journal, row 1, column content",
        ),
        edit("a journal entry deleted", "DELETE FROM journal", "journal entry 1, which is not stored"),
        edit(
            "a journal entry added",
            "INSERT INTO journal (at, kind, actor, party, subject, content) \
             SELECT at, 'key.added', actor, party, 'k2', content FROM journal WHERE kind = 'key.added'",
            "1 journal entries have no entry in the log",
        ),
        edit(
            "a signature swapped",
            "UPDATE requests SET signature = 'eyJhbGciOiJFZERTQSJ9.e30.Zm9yZ2Vk' WHERE signature IS NOT NULL",
            "its document is not the latest one its events brought",
        ),
        edit(
            "a kept version's signature swapped",
            "UPDATE documents SET signature = 'eyJhbGciOiJFZERTQSJ9.e30.Zm9yZ2Vk' WHERE signature IS NOT NULL",
            "its document is not the latest one its events brought",
        ),
        // Issue 11: an insider's edits to the columns the server acts on, each of which
        // changed what it would do, and the log cut short.
        feeding(
            "a request's state",
            "UPDATE requests SET state = 'approved'",
            "its state column says approved",
            &["state"],
        ),
        feeding(
            "a request's authority",
            "UPDATE requests SET authority = 'de-bka'",
            "its authority column says de-bka",
            &["authority", "issuer_institutions"],
        ),
        feeding(
            "a request's provider",
            "UPDATE requests SET provider = 'example-cloud'",
            "its provider column",
            &["provider", "provider_institution"],
        ),
        feeding(
            "a request's emergency flag",
            if sqlite { "UPDATE requests SET emergency = 1" } else { "UPDATE requests SET emergency = TRUE" },
            "its emergency column says true",
            &["emergency"],
        ),
        feeding(
            "a request's validator",
            "UPDATE requests SET validator = 'de-bka' WHERE validator IS NOT NULL",
            "its validator column says de-bka",
            &["validator", "issuer_institutions"],
        ),
        edit(
            "a request's instrument",
            "UPDATE requests SET instrument = 'mlat'",
            "its instrument column says mlat",
        ),
        edit(
            "a request's kind",
            "UPDATE requests SET kind = 'preservation'",
            "its kind column says preservation",
        ),
        edit(
            "a request added outside comity",
            "INSERT INTO requests (id, state, version, received_at, updated_at, authority, provider, instrument, \
             kind, emergency, reference, document, validator, log_salt) SELECT '01950000-0000-7000-8000-000000000000', \
             state, version, received_at, updated_at, authority, provider, instrument, kind, emergency, \
             reference, document, validator, log_salt FROM requests WHERE signature IS NULL AND validator IS NULL LIMIT 1",
            "has no entry in the log",
        ),
        feeding(
            "a token's organisation",
            "UPDATE api_tokens SET org = 'example-cloud'",
            "API token abcdefghijklmnop: its row says handler of example-cloud",
            &["org", "actor"],
        ),
        feeding(
            "a token's role",
            "UPDATE api_tokens SET role = 'reviewer'",
            "its row says reviewer of example-mail",
            &["role"],
        ),
        feeding(
            "a token's expiry extended",
            if sqlite {
                "UPDATE api_tokens SET expires_at = '2099-01-01T00:00:00.000000Z'"
            } else {
                "UPDATE api_tokens SET expires_at = '2099-01-01T00:00:00Z'"
            },
            "its row expires at 2099-01-01",
            &["credential"],
        ),
        feeding(
            "a user's organisation",
            "UPDATE users SET org = 'example-mail'",
            "account alice: its row says requester of example-mail",
            &["org", "actor"],
        ),
        feeding(
            "a user's role",
            "UPDATE users SET role = 'reviewer'",
            "its row says reviewer of fr-tj-paris",
            &["role"],
        ),
        feeding(
            "a user re-enabled",
            "UPDATE users SET disabled_at = NULL WHERE username = 'bob'",
            "whether it is disabled differs",
            &["credential"],
        ),
        feeding(
            "a reviewer swapped",
            "UPDATE journal SET subject = 'ie-other' WHERE kind = 'reviewer.assigned'",
            "its subject column says ie-other",
            &["reviewers"],
        ),
        feeding(
            "a reviewer moved to another request",
            "UPDATE journal SET request_id = NULL WHERE kind = 'reviewer.assigned'",
            "does not describe the stored journal entry 6 (reviewer.assigned)",
            &["reviewers"],
        ),
        feeding(
            "a representative swapped",
            "UPDATE journal SET subject = 'ie-other' WHERE kind = 'representative.registered'",
            "its subject column says ie-other",
            &["representatives"],
        ),
        feeding(
            "a representative moved to another request",
            "UPDATE journal SET request_id = NULL WHERE kind = 'representative.registered'",
            "does not describe the stored journal entry 7 (representative.registered)",
            &["representatives"],
        ),
        feeding(
            "a party's institution",
            "UPDATE parties SET institution = 'ie-dpc' WHERE id = 'example-mail'",
            "does not commit to the stored party example-mail",
            &["issuer_institutions", "provider_institution", "institution"],
        ),
        feeding(
            "a party's register",
            "UPDATE parties SET role = 'operator' WHERE id = 'example-cloud'",
            "party example-cloud",
            &["register"],
        ),
        edit(
            "a journal row's subject",
            "UPDATE journal SET subject = 'k9' WHERE kind = 'key.added'",
            "its subject column says k9",
        ),
        edit(
            "a journal row's party",
            "UPDATE journal SET party = 'de-bka' WHERE kind = 'key.added'",
            "its party column says de-bka",
        ),
        edit(
            "the newest entries deleted",
            "DELETE FROM log_entries WHERE idx >= (SELECT MAX(idx) - 1 FROM log_entries)",
            "the log is truncated",
        ),
    ]
}

/// Each edit, made on a fresh copy of the same activity, and the words the check must
/// say about it.
pub async fn every_kind_of_edit_is_caught(h: &mut Harness) {
    let edits = edits(h.is_sqlite());
    let key = LogKey::generate(ORIGIN);
    for Edit { what, sql, says: expected, .. } in &edits {
        let fresh = match h.is_sqlite() {
            true => Harness::sqlite().await,
            false => Harness::postgres().await.unwrap(),
        };
        activity(fresh.store(), &key).await;
        verify_store(fresh.store(), key.verifier_key(), |_, _| {}).await.unwrap();
        // The guards refuse the edit as long as they stand (the tables that change have none).
        let guarded = !["INSERT", "UPDATE parties", "UPDATE requests", "UPDATE users", "UPDATE api_tokens"]
            .iter()
            .any(|unguarded| sql.starts_with(unguarded));
        if guarded {
            assert!(fresh.raw(sql).await.is_err(), "{what}: the append-only guard let it through");
        }
        fresh.raw(unguard(&fresh)).await.unwrap();
        assert!(fresh.raw(sql).await.unwrap() > 0, "{what}: the edit changed nothing");
        match verify_store(fresh.store(), key.verifier_key(), |_, _| {}).await {
            Err(VerifyError::Discrepancy(d)) => assert!(d.contains(expected), "{what}: {d}"),
            other => panic!("{what}: not caught: {other:?}"),
        }
        fresh.finish().await;
    }
    // A log checked with another key fails on its first checkpoint.
    activity(h.store(), &key).await;
    let other = LogKey::generate(ORIGIN);
    match verify_store(h.store(), other.verifier_key(), |_, _| {}).await {
        Err(VerifyError::Discrepancy(d)) => assert!(d.contains("signature"), "{d}"),
        other => panic!("another key was accepted: {other:?}"),
    }
    let _ = ActorId::system();
}

/// Every field of what an access decision reads has an edit of its column that the check
/// catches (issue 11). The fields are named beside a destructuring with no `..`: a field
/// added to `RequestFacts` or `Who` fails to compile here until it is named, and then
/// fails this test until an edit of its column is in `edits`.
#[test]
fn every_column_an_access_decision_reads_is_vouched_for() {
    #[allow(dead_code)]
    fn named(f: comity_access::RequestFacts, w: comity_access::Who) {
        let comity_access::RequestFacts {
            authority: _,
            validator: _,
            issuer_institutions: _,
            provider: _,
            provider_institution: _,
            reviewers: _,
            representatives: _,
            state: _,
            emergency: _,
        } = f;
        let comity_access::Who { actor: _, org: _, register: _, institution: _, role: _, credential: _ } = w;
    }
    let fields = [
        "authority",
        "validator",
        "issuer_institutions",
        "provider",
        "provider_institution",
        "reviewers",
        "representatives",
        "state",
        "emergency",
        "actor",
        "org",
        "register",
        "institution",
        "role",
        "credential",
    ];
    for sqlite in [true, false] {
        let fed: std::collections::BTreeSet<&str> =
            edits(sqlite).iter().flat_map(|e| e.feeds.iter().copied()).collect();
        for field in fields {
            assert!(
                fed.contains(field),
                "no edit of the column behind {field} is checked: add one to `edits`"
            );
        }
    }
}

/// A database from before issue 12 gives each of its requests a salt of its own when it
/// migrates (0010_request_salt), on either backend: the requests' later entries are then
/// tagged, and nobody can link two requests by a shared salt.
pub async fn a_database_from_before_request_salts_gives_each_request_its_own(h: &mut Harness) {
    let store = h.store();
    store.add_party(&authority("fr-tj-paris")).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let new = new_request("fr-tj-paris", "example-mail", t0() + Duration::seconds(n));
        ids.push(store.insert_request(&new).await.unwrap().request.id);
    }
    // Back to the schema before the migration, as a database of that time has it.
    h.raw(
        "ALTER TABLE requests DROP COLUMN log_salt; ALTER TABLE log_entries DROP COLUMN actor; \
         DELETE FROM _sqlx_migrations WHERE version = 10",
    )
    .await
    .unwrap();
    h.reopen().await;
    let mut salts = Vec::new();
    for id in &ids {
        salts.push(h.store().request(*id).await.unwrap().unwrap().log_salt);
    }
    salts.sort_unstable();
    salts.dedup();
    assert_eq!(salts.len(), ids.len(), "each request has a salt of its own");
    assert!(salts.iter().all(|s| s.iter().any(|b| *b != 0)), "random, not zero");
}

/// The representatives' register (0017, issue 13 item 6) widens the parties' registers on
/// a database that already has notices to its parties: on SQLite the table is rebuilt
/// under the outbox's foreign key, and no party, and no notice, is lost.
pub async fn the_representatives_register_migrates_a_database_with_notices(h: &mut Harness) {
    let store = h.store();
    store.add_party(&authority("fr-tj-paris")).await.unwrap();
    store.add_party(&provider("example-mail")).await.unwrap();
    store.insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap();
    h.raw(
        "INSERT INTO notices (log_index, party, channel, address, event, request_id, state, happened_at, \
         status, attempts, next_attempt_at, created_at) SELECT (SELECT MIN(idx) FROM log_entries), provider, \
         'webhook', 'https://legal.example-mail.com/comity', 'request.received', id, state, received_at, \
         'pending', 0, received_at, received_at FROM requests",
    )
    .await
    .unwrap();
    // Back to the schema before the migration, and forward again.
    h.raw("DELETE FROM _sqlx_migrations WHERE version = 17").await.unwrap();
    h.reopen().await;
    let store = h.store();
    let providers = store.parties(comity_core::PartyRole::Provider).await.unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0].id().as_str(), "example-mail");
    let query = comity_core::NoticeQuery { status: None, limit: 10 };
    assert_eq!(store.notices(&query).await.unwrap().len(), 1, "the notice is kept");
    let lawyer = comity_core::Party::Representative(comity_core::Organisation {
        id: comity_core::PartyId::parse("ie-solicitor").unwrap(),
        country: comity_core::CountryCode::parse("IE").unwrap(),
        name: "A solicitor".into(),
        institution: None,
    });
    store.add_party(&lawyer).await.unwrap();
    assert_eq!(store.party(lawyer.id()).await.unwrap(), Some(lawyer));
    // The outbox's foreign key still holds.
    assert!(h.raw("UPDATE notices SET party = 'nobody'").await.is_err());
}

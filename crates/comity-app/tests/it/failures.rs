//! Issue 17: a client network that fails too often on one server is blocked on every
//! server of the database. Two `App`s on one database play two servers, each with its own
//! `FailureBudget`, as two `comity serve` processes have; times are given, not waited for.
//! Runs on SQLite and, with `COMITY_TEST_DATABASE_URL`, on PostgreSQL.

use std::{net::IpAddr, sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use comity_app::{App, FailureBudget, Settings};
use comity_auth::seal::ServerKey;

/// Two use-case instances on one database, each over a store of its own, as two servers.
struct TwoServers {
    one: App,
    other: App,
    _dir: tempfile::TempDir,
    _db: Option<comity_store::testing::TestDatabase>,
}

async fn two_servers(postgres: bool) -> Option<TwoServers> {
    let dir = tempfile::tempdir().unwrap();
    let db = if postgres { Some(comity_store::testing::TestDatabase::create().await?) } else { None };
    let url = db.as_ref().map(|db| db.url().to_owned());
    let key = ServerKey::generate();
    let mut apps = Vec::new();
    for _ in 0..2 {
        let store = comity_store::open(url.as_deref(), dir.path()).await.unwrap();
        let packs = comity_policy::PackSet::builtin().unwrap();
        apps.push(App::new(Arc::clone(&store), packs, Settings::new(key.clone())));
    }
    let other = apps.pop().unwrap();
    let one = apps.pop().unwrap();
    Some(TwoServers { one, other, _dir: dir, _db: db })
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap()
}

async fn a_network_failing_on_two_servers_is_blocked_on_both(postgres: bool) {
    let Some(servers) = two_servers(postgres).await else { return };
    let (a, b) = (FailureBudget::new(10), FailureBudget::new(10));
    let guesser: IpAddr = "203.0.113.40".parse().unwrap();
    let bystander: IpAddr = "203.0.113.41".parse().unwrap();
    let t0 = t0();
    // A balancer spreads ten failures over the two: five each, neither full alone.
    for _ in 0..5 {
        a.failed(guesser, t0);
        b.failed(guesser, t0);
    }
    assert_eq!(a.blocked(guesser, t0), None);
    assert_eq!(b.blocked(guesser, t0), None);

    // Each writes what it counted; the second gets back the bucket as both filled it.
    assert_eq!(servers.one.share_failures(&a, t0).await.unwrap(), 1);
    assert_eq!(servers.other.share_failures(&b, t0).await.unwrap(), 1);
    assert_eq!(servers.other.share_failures(&b, t0).await.unwrap(), 0, "nothing new to write");
    let wait = b.blocked(guesser, t0).expect("ten failures in all block it where the tenth was written");
    assert_eq!(wait, Duration::from_secs(6), "until one of ten a minute drains");
    assert!(b.reserve(guesser, t0).is_err(), "and it may not start a sign-in");
    // The first learns it at its next refresh, about a second later, with the same wait.
    let t1 = t0 + chrono::Duration::seconds(1);
    assert_eq!(a.blocked(guesser, t1), None, "not before the refresh");
    assert_eq!(servers.one.refresh_failures(&a, t1).await.unwrap(), 1);
    assert_eq!(a.blocked(guesser, t1), Some(Duration::from_secs(5)));
    assert!(a.reserve(guesser, t1).is_err());
    assert_eq!(a.blocked(bystander, t1), None, "another client is not blocked");
    assert!(a.reserve(bystander, t1).is_ok());

    // Once one failure has drained, both let it through again, and the next failure blocks it.
    let t6 = t0 + chrono::Duration::seconds(6);
    servers.other.refresh_failures(&b, t6).await.unwrap();
    assert_eq!(a.blocked(guesser, t6), None);
    assert_eq!(b.blocked(guesser, t6), None);
    b.failed(guesser, t6);
    servers.other.share_failures(&b, t6).await.unwrap();
    servers.one.refresh_failures(&a, t6).await.unwrap();
    assert_eq!(a.blocked(guesser, t6), Some(Duration::from_secs(6)));

    // A minute later everything has drained, and the drained bucket is deleted.
    let later = t6 + chrono::Duration::seconds(61);
    assert_eq!(servers.one.refresh_failures(&a, later).await.unwrap(), 0);
    assert_eq!(servers.other.store().failure_buckets(t0, 10).await.unwrap(), vec![], "pruned");
    assert_eq!(a.blocked(guesser, later), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_failing_on_two_servers_is_blocked_on_both_sqlite() {
    a_network_failing_on_two_servers_is_blocked_on_both(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_failing_on_two_servers_is_blocked_on_both_postgres() {
    a_network_failing_on_two_servers_is_blocked_on_both(true).await;
}

/// Each server counts the others live from their heartbeats, and one that leaves is
/// counted out at once; one that stops beating, after the window.
async fn servers_count_each_other_from_their_heartbeats(postgres: bool) {
    let Some(servers) = two_servers(postgres).await else { return };
    let (t0, window) = (t0(), chrono::Duration::seconds(5));
    assert_eq!(servers.one.heartbeat("one", t0, window).await.unwrap(), 1);
    assert_eq!(servers.other.heartbeat("other", t0, window).await.unwrap(), 2);
    let t3 = t0 + chrono::Duration::seconds(3);
    assert_eq!(servers.one.heartbeat("one", t3, window).await.unwrap(), 2);
    let t6 = t0 + chrono::Duration::seconds(6);
    assert_eq!(servers.one.heartbeat("one", t6, window).await.unwrap(), 1, "other stopped beating");
    assert_eq!(servers.other.heartbeat("other", t6, window).await.unwrap(), 2);
    servers.other.leave("other").await.unwrap();
    assert_eq!(servers.one.heartbeat("one", t6, window).await.unwrap(), 1, "other left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_count_each_other_from_their_heartbeats_sqlite() {
    servers_count_each_other_from_their_heartbeats(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_count_each_other_from_their_heartbeats_postgres() {
    servers_count_each_other_from_their_heartbeats(true).await;
}

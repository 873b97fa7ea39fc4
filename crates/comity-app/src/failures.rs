//! Clients that fail too often are blocked, on every server of one database (issue 5, item
//! 7; issue 12, finding 2; issue 17).
//!
//! Every refused credential (a password, a TOTP code, a token, a signature, a link) counts
//! against the client's network ([`crate::network`]: an IPv4 address, or an IPv6 /64) in a
//! leaky bucket of `per_minute` failures that drains at `per_minute` a minute. A network
//! whose bucket is full is blocked from every endpoint until one failure has drained.
//!
//! **Across servers.** Behind a load balancer a guesser's failures are spread over the
//! servers, so each server alone would give it its own budget. So a [`FailureBudget`]
//! holds two views of each network: the failures this server counted (checked at once,
//! with no I/O), and the buckets every server shares in the database (`failure_buckets`,
//! migration 0030). A failure is counted here and queued; the server's background task
//! writes the queue soon after ([`App::share_failures`]: one upsert per network that
//! drains and adds, so failures written by several servers at once all count) and reads
//! back each bucket as all servers have filled it; about once a second it also reads every
//! bucket not yet drained ([`App::refresh_failures`]). A network is blocked when either
//! view is full: at once on the server where it failed, within about a second on the
//! others. Reading a request's block never waits for the database.
//!
//! A bucket is kept as the instant it will have drained, not as a level and its time:
//! adding a failure at `now` is `drained_at = max(drained_at, now) + step` (one failure's
//! drain time), and the level at `now` is `(drained_at - now) / step`. The same arithmetic
//! serves both views, and taking the later of the two instants combines them.
//!
//! **Sign-ins in progress.** A sign-in or password change takes a place in its network's
//! budget before its password is checked, and holds it while the check runs
//! ([`FailureBudget::reserve`]): counted only after the check, fifty sign-ins sent at once
//! were all checked against a budget of ten (issue 12, finding 2). The places held are this
//! server's own, checked against the fuller of the two views: a network that spreads
//! sign-ins over `n` servers at once can have at most `n` budgets' worth being checked at
//! one moment, each counted as a failure if it fails, and the attempts at any one name stay
//! limited across servers by the store's per-(name, network) count, reserved in the
//! database before any hash (`Store::reserve_login`). `governor`, which counts the request
//! rate, cannot hold a place and give it back, hence this bucket.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use chrono::{DateTime, Utc};
use comity_core::FailureBucket;

use crate::{App, Result, network};

/// At most this many buckets are read from the database at once, the fullest first: a
/// flood from more networks than this has the others counted on each server alone.
const MAX_SHARED: u32 = 100_000;

/// At most this many networks wait to be written; past this, a new network's failures are
/// counted on this server only until the queue has been written.
const MAX_UNSENT: usize = 100_000;

/// The failures each client network may have, and what one server counted and read of
/// them. Shared by every handler of a server; its background task shares it with the
/// others through the database.
pub struct FailureBudget {
    limit: Option<Limit>,
    state: Mutex<Buckets>,
    /// Failures counted here and not yet written to the database, by network.
    unsent: Mutex<HashMap<IpAddr, u32>>,
    /// Woken when a failure is queued, so that it is written at once, not at the next tick.
    queued: tokio::sync::Notify,
}

#[derive(Debug, Clone, Copy)]
struct Limit {
    /// Failures a network may have: the bucket's size.
    size: u32,
    /// The time one failure takes to drain, in microseconds.
    step: i64,
}

impl Limit {
    /// The time a full bucket takes to drain: `size` failures of `step` each.
    fn window(self) -> i64 {
        self.step.saturating_mul(i64::from(self.size))
    }
}

#[derive(Default)]
struct Buckets {
    /// This server's buckets and sign-ins in progress.
    local: HashMap<IpAddr, Local>,
    /// When each network's bucket shared by all servers drains, as last read or written.
    shared: HashMap<IpAddr, i64>,
    counted: u64,
}

#[derive(Debug, Clone, Copy)]
struct Local {
    /// When this server's count of the network's failures has drained (microseconds since
    /// the Unix epoch).
    drained_at: i64,
    in_flight: u32,
}

impl Buckets {
    /// When the network's bucket drains, as the fuller of the two views has it.
    fn drained_at(&self, key: IpAddr) -> i64 {
        let local = self.local.get(&key).map_or(i64::MIN, |b| b.drained_at);
        let shared = self.shared.get(&key).copied().unwrap_or(i64::MIN);
        local.max(shared)
    }
}

impl std::fmt::Debug for FailureBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureBudget")
            .field("per_minute", &self.limit.map(|l| l.size))
            .finish_non_exhaustive()
    }
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn duration(micros: i64) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

/// A sign-in's place in its network's failure budget, given back when dropped (the
/// failure, if it failed, is counted by then).
#[must_use]
#[derive(Debug)]
pub struct Reservation<'a> {
    held: Option<(&'a FailureBudget, IpAddr)>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some((budget, key)) = self.held
            && let Some(bucket) = budget.lock().local.get_mut(&key)
        {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
        }
    }
}

impl FailureBudget {
    /// `per_minute` failures per client network, draining at as many a minute; 0 turns the
    /// budget off (a benchmark, a test).
    pub fn new(per_minute: u32) -> Self {
        let limit =
            (per_minute > 0).then(|| Limit { size: per_minute, step: 60_000_000 / i64::from(per_minute) });
        FailureBudget {
            limit,
            state: Mutex::new(Buckets::default()),
            unsent: Mutex::new(HashMap::new()),
            queued: tokio::sync::Notify::new(),
        }
    }

    /// Whether failures are counted at all.
    pub fn is_on(&self) -> bool {
        self.limit.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, Buckets> {
        // A handler that panicked holding the lock left the counts as they were: usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_unsent(&self) -> MutexGuard<'_, HashMap<IpAddr, u32>> {
        self.unsent.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a refused credential of the client at `ip` at `now`, here at once and, soon
    /// after, in the database for every server.
    pub fn failed(&self, ip: IpAddr, now: DateTime<Utc>) {
        let Some(limit) = self.limit else { return };
        let (key, now) = (network(ip), micros(now));
        {
            let mut buckets = self.lock();
            buckets.counted = buckets.counted.wrapping_add(1);
            // Forget drained networks now and then, so the table stays as small as the traffic.
            if buckets.local.len() > 1024 && buckets.counted.is_multiple_of(1024) {
                buckets.local.retain(|_, b| b.drained_at > now || b.in_flight > 0);
                buckets.shared.retain(|_, drained_at| *drained_at > now);
            }
            let bucket = buckets.local.entry(key).or_insert(Local { drained_at: now, in_flight: 0 });
            bucket.drained_at = bucket.drained_at.max(now).saturating_add(limit.step);
        }
        let mut unsent = self.lock_unsent();
        if unsent.len() < MAX_UNSENT || unsent.contains_key(&key) {
            *unsent.entry(key).or_insert(0) += 1;
            drop(unsent);
            self.queued.notify_one();
        }
    }

    /// `Some(wait)` while the client at `ip` is blocked at `now` for failing too often, on
    /// this server or, as last read, on any: while its bucket has no room for one more
    /// failure, and `wait` is until it has (what `Retry-After` says).
    pub fn blocked(&self, ip: IpAddr, now: DateTime<Utc>) -> Option<Duration> {
        let limit = self.limit?;
        let now = micros(now);
        let buckets = self.lock();
        if buckets.local.is_empty() && buckets.shared.is_empty() {
            return None;
        }
        let left = buckets.drained_at(network(ip)).saturating_sub(now);
        let room_at = limit.window() - limit.step;
        (left > room_at).then(|| duration(left - room_at))
    }

    /// A place in the client's failure budget for a sign-in about to be checked, or, when
    /// its failures and the sign-ins it has in progress here fill the budget, how long to
    /// wait: until one failure drains (at least a second, when it is the sign-ins in
    /// progress that fill it).
    pub fn reserve(&self, ip: IpAddr, now: DateTime<Utc>) -> std::result::Result<Reservation<'_>, Duration> {
        let Some(limit) = self.limit else { return Ok(Reservation { held: None }) };
        let (key, now) = (network(ip), micros(now));
        let mut buckets = self.lock();
        let left = buckets.drained_at(key).saturating_sub(now).max(0);
        let bucket = buckets.local.entry(key).or_insert(Local { drained_at: now, in_flight: 0 });
        let places = i64::from(bucket.in_flight).saturating_add(1).saturating_mul(limit.step);
        if left.saturating_add(places) > limit.window() {
            let wait = left - limit.window() + limit.step;
            return Err(duration(wait).max(Duration::from_secs(1)));
        }
        bucket.in_flight += 1;
        Ok(Reservation { held: Some((self, key)) })
    }

    /// Completes when a failure has been counted that is not yet written to the database.
    pub async fn queued(&self) {
        self.queued.notified().await;
    }

    fn take_unsent(&self) -> Vec<(IpAddr, u32)> {
        self.lock_unsent().drain().collect()
    }

    /// Puts back failures that could not be written, to go with the next.
    fn put_back(&self, failures: Vec<(IpAddr, u32)>) {
        let mut unsent = self.lock_unsent();
        for (key, count) in failures {
            *unsent.entry(key).or_insert(0) += count;
        }
    }

    /// Takes these buckets, as every server filled them, into the shared view.
    fn merge(&self, buckets: &[FailureBucket]) {
        let mut state = self.lock();
        for b in buckets {
            state.shared.insert(b.network, micros(b.drained_at));
        }
    }

    /// Replaces the shared view with every bucket not yet drained.
    fn replace(&self, buckets: &[FailureBucket]) {
        let shared = buckets.iter().map(|b| (b.network, micros(b.drained_at))).collect();
        self.lock().shared = shared;
    }

    /// The time one failure takes to drain.
    fn step(&self) -> Option<chrono::Duration> {
        self.limit.map(|l| chrono::Duration::microseconds(l.step))
    }
}

impl App {
    /// Writes the failures `budget` counted since the last call to the database, where
    /// every server reads them, and takes back each of those networks' buckets as all the
    /// servers have filled them. Failures that could not be written are kept for the next
    /// call. Returns how many networks were written.
    pub async fn share_failures(&self, budget: &FailureBudget, now: DateTime<Utc>) -> Result<usize> {
        let Some(step) = budget.step() else { return Ok(0) };
        let failures = budget.take_unsent();
        if failures.is_empty() {
            return Ok(0);
        }
        match self.store().add_failures(&failures, step, now).await {
            Ok(after) => {
                budget.merge(&after);
                Ok(failures.len())
            }
            Err(e) => {
                budget.put_back(failures);
                Err(e.into())
            }
        }
    }

    /// Reads every network's bucket not yet drained at `now`, as all the servers filled
    /// them, into `budget`, after deleting the drained ones. Returns how many there are.
    pub async fn refresh_failures(&self, budget: &FailureBudget, now: DateTime<Utc>) -> Result<usize> {
        if !budget.is_on() {
            return Ok(0);
        }
        self.store().prune_failures(now).await?;
        let buckets = self.store().failure_buckets(now, MAX_SHARED).await?;
        budget.replace(&buckets);
        Ok(buckets.len())
    }

    /// Records that `server` is running at `now`, and returns how many servers of this
    /// database are: those whose heartbeat is at most `live_for` old, this one included.
    pub async fn heartbeat(
        &self,
        server: &str,
        now: DateTime<Utc>,
        live_for: chrono::Duration,
    ) -> Result<u32> {
        Ok(self.store().heartbeat(server, now, now - live_for).await?.max(1))
    }

    /// Counts `server` out of the live servers at once: it is stopping.
    pub async fn leave(&self, server: &str) -> Result<()> {
        Ok(self.store().leave(server).await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap()
    }

    /// Issue 12, finding 2: sign-ins in progress hold their place in the failure budget,
    /// so those sent at once cannot all be checked against it; failures drain with time;
    /// an IPv6 client's whole /64 shares one budget.
    #[test]
    fn sign_ins_in_progress_and_failures_share_one_budget_per_network() {
        let budget = FailureBudget::new(3);
        let (client, t0) = (ip("192.0.2.1"), t0());
        let held: Vec<_> = (0..3).map(|_| budget.reserve(client, t0).expect("a place")).collect();
        assert_eq!(
            budget.reserve(client, t0).unwrap_err(),
            Duration::from_secs(1),
            "three in progress fill a budget of three"
        );
        assert!(budget.reserve(ip("192.0.2.2"), t0).is_ok(), "another client has its own");
        drop(held);
        assert!(budget.reserve(client, t0).is_ok(), "a finished sign-in gives its place back");

        for _ in 0..3 {
            budget.failed(client, t0);
        }
        assert_eq!(budget.reserve(client, t0).unwrap_err(), Duration::from_secs(20));
        let wait = budget.blocked(client, t0).expect("blocked after three failures");
        assert_eq!(wait, Duration::from_secs(20), "one failure drains in 60 s / 3");
        let later = t0 + chrono::Duration::from_std(wait).unwrap();
        assert_eq!(budget.blocked(client, later), None);
        assert!(budget.reserve(client, later).is_ok(), "one failure has drained");

        for n in 1..=3 {
            budget.failed(ip(&format!("2001:db8:1:2::{n}")), t0);
        }
        assert!(budget.blocked(ip("2001:db8:1:2:ffff::9"), t0).is_some(), "the same /64");
        assert_eq!(budget.blocked(ip("2001:db8:1:3::1"), t0), None, "another /64");
    }

    /// The buckets read from the database block as this server's own do, and the fuller of
    /// the two views decides; failures are queued to be written, once per network.
    #[test]
    fn the_fuller_of_this_servers_count_and_the_shared_one_decides() {
        let budget = FailureBudget::new(10);
        let (client, t0) = (ip("198.51.100.7"), t0());
        for _ in 0..4 {
            budget.failed(client, t0);
        }
        assert_eq!(budget.take_unsent(), vec![(client, 4)]);
        assert!(budget.take_unsent().is_empty(), "taken once");
        assert_eq!(budget.blocked(client, t0), None, "4 of 10 here");
        // Every server together: 10 failures, the bucket drains 60 s from now.
        let shared = FailureBucket { network: client, drained_at: t0 + chrono::Duration::seconds(60) };
        budget.merge(&[shared]);
        assert_eq!(budget.blocked(client, t0), Some(Duration::from_secs(6)), "one drains in 6 s");
        assert!(budget.reserve(client, t0).is_err());
        // A newer read without the network: its failures here still count, nothing else.
        budget.replace(&[]);
        assert_eq!(budget.blocked(client, t0), None);
        assert!(budget.reserve(client, t0).is_ok());
        // Turned off, nothing counts and nothing is queued.
        let off = FailureBudget::new(0);
        off.failed(client, t0);
        assert!(off.take_unsent().is_empty());
        assert_eq!(off.blocked(client, t0), None);
    }
}

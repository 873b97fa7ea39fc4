//! Per-client rate limits (issue 5, item 7), so that one client cannot starve the
//! others, and a tighter limit on failed credentials, so that passwords, TOTP codes,
//! tokens and signatures cannot be guessed at speed.
//!
//! The request rate is keyed by the client's address and uses the generic cell rate
//! algorithm of `governor`. A client over its limit gets 429 with `Retry-After` (RFC 6585
//! §4) and the one error shape. Body sizes are limited separately (`MAX_BODY_BYTES`).
//!
//! Failures are keyed by the client's network (`comity_app::network`: an IPv6 client's
//! whole /64) in a leaky bucket that drains at the limit per minute. A client whose bucket
//! is full is blocked from every endpoint until it has drained. A sign-in or password
//! change first takes a place in the bucket ([`Limiter::reserve`]), held while its password
//! is checked (issue 12, finding 2): counted only after the check, fifty sign-ins sent at
//! once were all checked against a budget of ten. `governor` cannot hold a place and give
//! it back, hence the bucket here.

use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State as AxumState},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use crate::{AppState, error::ApiError, extract::ClientIp, metrics::RefusalLabels};

/// How fast each client may call, and how many credential failures it may have.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Requests per second per client; 0 turns the limit off (a benchmark, a test).
    pub per_second: u32,
    /// Failed credentials per minute per client before it is blocked.
    pub failures_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { per_second: 50, failures_per_minute: 10 }
    }
}

/// The limiters, shared by every handler.
pub struct Limiter {
    requests: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Failures each client network may have (the bucket's size), and drain per second.
    failures: Option<(f64, f64)>,
    /// Failures and sign-ins in progress, by client network.
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    checks: AtomicU64,
}

/// One client network's failures, draining over time, and its sign-ins being checked.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
    in_flight: u32,
}

impl Bucket {
    fn drain(&mut self, now: Instant, per_second: f64) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level - elapsed * per_second).max(0.0);
        self.at = now;
    }
}

/// A sign-in's place in its client's failure budget, given back when dropped (the failure,
/// if it failed, is counted by then).
#[must_use]
#[derive(Debug)]
pub struct Reservation<'a> {
    limiter: Option<(&'a Limiter, IpAddr)>,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Some((limiter, key)) = self.limiter
            && let Ok(mut buckets) = limiter.buckets.lock()
            && let Some(bucket) = buckets.get_mut(&key)
        {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
        }
    }
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").finish_non_exhaustive()
    }
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        // A burst of two seconds' worth, so a page that loads a few things at once is fine.
        let requests = NonZeroU32::new(limits.per_second).map(|rate| {
            let burst = NonZeroU32::new(limits.per_second.saturating_mul(2)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        let failures = (limits.failures_per_minute > 0)
            .then(|| (f64::from(limits.failures_per_minute), f64::from(limits.failures_per_minute) / 60.0));
        Self { requests, failures, buckets: Mutex::new(HashMap::new()), checks: AtomicU64::new(0) }
    }

    /// `Some(wait)` when the client is over its request rate.
    fn over_rate(&self, client: IpAddr) -> Option<Duration> {
        let limiter = self.requests.as_ref()?;
        // Forget idle clients now and then, so the table stays as small as the traffic.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 65_536 == 65_535 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let clock = governor::clock::DefaultClock::default();
        limiter.check_key(&client).err().map(|until| until.wait_time_from(clock.now()))
    }

    /// Counts a failed credential; a client out of failures is blocked until one drains.
    pub fn failed(&self, client: IpAddr) {
        self.failed_at(client, Instant::now());
    }

    fn failed_at(&self, client: IpAddr, now: Instant) {
        let Some((_, per_second)) = self.failures else { return };
        let Ok(mut buckets) = self.buckets.lock() else { return };
        // Forget drained clients now and then, so the table stays as small as the traffic.
        if buckets.len() > 1024 && self.checks.fetch_add(1, Ordering::Relaxed).is_multiple_of(1024) {
            buckets.retain(|_, b| {
                b.drain(now, per_second);
                b.level > 0.0 || b.in_flight > 0
            });
        }
        let bucket = buckets.entry(comity_app::network(client)).or_insert(Bucket {
            level: 0.0,
            at: now,
            in_flight: 0,
        });
        bucket.drain(now, per_second);
        bucket.level += 1.0;
    }

    /// `Some(wait)` while the client is blocked for failing too often.
    pub fn blocked(&self, client: IpAddr) -> Option<Duration> {
        self.blocked_at(client, Instant::now())
    }

    fn blocked_at(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let (size, per_second) = self.failures?;
        let mut buckets = self.buckets.lock().ok()?;
        let bucket = buckets.get_mut(&comity_app::network(client))?;
        bucket.drain(now, per_second);
        (bucket.level >= size).then(|| Duration::from_secs_f64((bucket.level - size + 1.0) / per_second))
    }

    /// A place in the client's failure budget for a sign-in about to be checked, or `None`
    /// when its failures and the sign-ins it has in progress fill the budget.
    pub fn reserve(&self, client: IpAddr) -> Option<Reservation<'_>> {
        self.reserve_at(client, Instant::now())
    }

    fn reserve_at(&self, client: IpAddr, now: Instant) -> Option<Reservation<'_>> {
        let Some((size, per_second)) = self.failures else { return Some(Reservation { limiter: None }) };
        let key = comity_app::network(client);
        let mut buckets = self.buckets.lock().ok()?;
        let bucket = buckets.entry(key).or_insert(Bucket { level: 0.0, at: now, in_flight: 0 });
        bucket.drain(now, per_second);
        if bucket.level + f64::from(bucket.in_flight) + 1.0 > size {
            return None;
        }
        bucket.in_flight += 1;
        Some(Reservation { limiter: Some((self, key)) })
    }

    /// How long a client refused a place should wait: until one failure drains (at least a
    /// second, when it is the sign-ins in progress that fill the budget).
    fn wait_for_place(&self, client: IpAddr) -> Duration {
        let Some((size, per_second)) = self.failures else { return Duration::ZERO };
        let Ok(buckets) = self.buckets.lock() else { return Duration::from_secs(1) };
        let level = buckets.get(&comity_app::network(client)).map_or(0.0, |b| b.level);
        Duration::from_secs_f64(((level - size + 1.0) / per_second).max(1.0))
    }
}

/// 429 for a client whose failures and sign-ins in progress fill its failure budget.
pub fn too_many_failures(app: &AppState, client: IpAddr) -> Response {
    too_many(app, "failures", app.trust.limits.wait_for_place(client))
}

/// 429, with the seconds to wait.
pub fn too_many(app: &AppState, limit: &str, wait: Duration) -> Response {
    app.metrics.rate_limited.get_or_create(&RefusalLabels { code: limit.to_owned() }).inc();
    let seconds = u32::try_from(wait.as_secs().saturating_add(1)).unwrap_or(u32::MAX);
    let message = if limit == "failures" {
        format!(
            "too many failed sign-ins or signatures from your address, counting the sign-ins still being \
             checked; wait {seconds} s"
        )
    } else {
        format!("too many requests from your address; wait {seconds} s and send fewer at once")
    };
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).retry_after(seconds).into_response()
}

/// Refuses a client over its request rate.
pub async fn limit(AxumState(app): AxumState<AppState>, request: Request, next: Next) -> Response {
    let client = request.extensions().get::<ClientIp>().copied();
    if let Some(ClientIp(ip)) = client
        && let Some(wait) = app.trust.limits.over_rate(ip)
    {
        return too_many(&app, "requests", wait);
    }
    next.run(request).await.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Issue 12, finding 2: sign-ins in progress hold their place in the failure budget,
    /// so those sent at once cannot all be checked against it; failures drain with time;
    /// an IPv6 client's whole /64 shares one budget.
    #[test]
    fn sign_ins_in_progress_and_failures_share_one_budget_per_network() {
        let limiter = Limiter::new(RateLimits { per_second: 0, failures_per_minute: 3 });
        let (client, t0) = (ip("192.0.2.1"), Instant::now());
        let held: Vec<_> = (0..3).map(|_| limiter.reserve_at(client, t0).expect("a place")).collect();
        assert!(limiter.reserve_at(client, t0).is_none(), "three in progress fill a budget of three");
        assert!(limiter.reserve_at(ip("192.0.2.2"), t0).is_some(), "another client has its own");
        drop(held);
        assert!(limiter.reserve_at(client, t0).is_some(), "a finished sign-in gives its place back");

        for _ in 0..3 {
            limiter.failed_at(client, t0);
        }
        assert!(limiter.reserve_at(client, t0).is_none());
        let wait = limiter.blocked_at(client, t0).expect("blocked after three failures");
        assert_eq!(wait, Duration::from_secs(20), "one failure drains in 60 s / 3");
        let later = t0 + wait;
        assert_eq!(limiter.blocked_at(client, later), None);
        assert!(limiter.reserve_at(client, later).is_some(), "one failure has drained");

        for n in 1..=3 {
            limiter.failed_at(ip(&format!("2001:db8:1:2::{n}")), t0);
        }
        assert!(limiter.blocked_at(ip("2001:db8:1:2:ffff::9"), t0).is_some(), "the same /64");
        assert_eq!(limiter.blocked_at(ip("2001:db8:1:3::1"), t0), None, "another /64");
    }
}

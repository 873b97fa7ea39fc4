//! Per-client rate limits (issue 5, item 7), so that one client cannot starve the
//! others, and the failure budget (`comity_app::failures`), so that passwords, TOTP codes,
//! tokens and signatures cannot be guessed at speed.
//!
//! The request rate is keyed by the client's address and uses the generic cell rate
//! algorithm of `governor`. A client over its limit gets 429 with `Retry-After` (RFC 6585
//! §4) and the one error shape. Body sizes are limited separately (`MAX_BODY_BYTES`).
//!
//! **Several servers** (issue 17). Behind a balancer that spreads requests round-robin, a
//! client's requests are shared among the live servers, so each server charges every
//! request `live` cells of the client's quota: each enforces `per_second / live`, and the
//! client gets about `per_second` in total. The servers count the live ones from their
//! heartbeats in the database ([`Limiter::set_live`]; `comity_app::App::heartbeat`). This
//! is approximate by design: the rate is checked without a database round trip, so a
//! balancer that sends one client to one server (source hashing, stickiness) gives it only
//! `per_second / live`, and the exact per-client rate is the balancer's to keep
//! (`docs/deploy.md`). Failures, by contrast, are counted across servers
//! (`comity_app::FailureBudget`), and a client blocked on one is blocked on all within
//! about a second.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    extract::{Request, State as AxumState},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use comity_app::{FailureBudget, Reservation};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use crate::{AppState, error::ApiError, extract::ClientIp, metrics::RefusalLabels};

/// How fast each client may call, and how many credential failures it may have.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// Requests per second per client, over all the live servers; 0 turns the limit off (a
    /// benchmark, a test).
    pub per_second: u32,
    /// Failed credentials per minute per client network before it is blocked, over all
    /// the servers of one database.
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
    /// The most cells one request may cost: the burst, which `governor` cannot exceed.
    burst: NonZeroU32,
    /// How many servers share the clients' requests (at least 1): what each request costs.
    live: AtomicU32,
    /// Credential failures per client network, this server's and every server's.
    failures: FailureBudget,
    checks: AtomicU64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter").field("live", &self.live).finish_non_exhaustive()
    }
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        // A burst of two seconds' worth, so a page that loads a few things at once is fine.
        let burst = NonZeroU32::new(limits.per_second.saturating_mul(2)).unwrap_or(NonZeroU32::MIN);
        let requests = NonZeroU32::new(limits.per_second)
            .map(|rate| RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)));
        Self {
            requests,
            burst,
            live: AtomicU32::new(1),
            failures: FailureBudget::new(limits.failures_per_minute),
            checks: AtomicU64::new(0),
        }
    }

    /// Sets how many servers share the clients' requests, as the heartbeats count them.
    pub fn set_live(&self, live: u32) {
        self.live.store(live.max(1), Ordering::Relaxed);
    }

    /// How many servers this one counts as sharing the clients' requests.
    pub fn live(&self) -> u32 {
        self.live.load(Ordering::Relaxed)
    }

    /// The failure budget, which the server's background task shares with the others.
    pub fn failures(&self) -> &FailureBudget {
        &self.failures
    }

    /// `Some(wait)` when the client is over its request rate.
    fn over_rate(&self, client: IpAddr) -> Option<Duration> {
        let limiter = self.requests.as_ref()?;
        // Forget idle clients now and then, so the table stays as small as the traffic.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 65_536 == 65_535 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        // Each request costs as many cells as there are servers sharing the client's
        // requests, so this server lets through its share of the rate (at most the burst:
        // beyond that many servers, each lets one request through per refill).
        let cost = NonZeroU32::new(self.live().min(self.burst.get())).unwrap_or(NonZeroU32::MIN);
        let clock = governor::clock::DefaultClock::default();
        match limiter.check_key_n(&client, cost) {
            Ok(Ok(())) => None,
            Ok(Err(until)) => Some(until.wait_time_from(clock.now())),
            Err(_) => Some(Duration::from_secs(1)),
        }
    }

    /// Counts a failed credential; a client out of failures is blocked until one drains.
    pub fn failed(&self, client: IpAddr) {
        self.failures.failed(client, Utc::now());
    }

    /// `Some(wait)` while the client is blocked for failing too often, on any server.
    pub fn blocked(&self, client: IpAddr) -> Option<Duration> {
        self.failures.blocked(client, Utc::now())
    }

    /// A place in the client's failure budget for a sign-in about to be checked, or how
    /// long to wait when its failures and the sign-ins it has in progress fill the budget.
    pub fn reserve(&self, client: IpAddr) -> Result<Reservation<'_>, Duration> {
        self.failures.reserve(client, Utc::now())
    }
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

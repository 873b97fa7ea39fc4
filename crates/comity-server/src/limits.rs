//! Per-client rate limits (issue 5, item 7), so that one client cannot starve the
//! others, and a tighter limit on failed credentials, so that passwords, TOTP codes,
//! tokens and signatures cannot be guessed at speed.
//!
//! Both are keyed by the client's address and use the generic cell rate algorithm of
//! `governor`. A client over its limit gets 429 with `Retry-After` (RFC 6585 §4) and the
//! one error shape. A client that fails to authenticate too often is blocked from every
//! endpoint until its failures have drained. Body sizes are limited separately
//! (`MAX_BODY_BYTES`).

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
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Clients out of failures, until when.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    checks: AtomicU64,
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
        let failures = NonZeroU32::new(limits.failures_per_minute)
            .map(|rate| RateLimiter::keyed(Quota::per_minute(rate).allow_burst(rate)));
        Self { requests, failures, blocked: Mutex::new(HashMap::new()), checks: AtomicU64::new(0) }
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
        let Some(limiter) = &self.failures else { return };
        let clock = governor::clock::DefaultClock::default();
        if let Err(until) = limiter.check_key(&client) {
            let wait = until.wait_time_from(clock.now());
            if let Ok(mut blocked) = self.blocked.lock() {
                blocked.retain(|_, until| *until > Instant::now());
                blocked.insert(client, Instant::now() + wait);
            }
        }
    }

    /// `Some(wait)` while the client is blocked for failing too often.
    pub fn blocked(&self, client: IpAddr) -> Option<Duration> {
        let blocked = self.blocked.lock().ok()?;
        let until = *blocked.get(&client)?;
        until.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
    }
}

/// 429, with the seconds to wait.
pub fn too_many(app: &AppState, limit: &str, wait: Duration) -> Response {
    app.metrics.rate_limited.get_or_create(&RefusalLabels { code: limit.to_owned() }).inc();
    let seconds = u32::try_from(wait.as_secs().saturating_add(1)).unwrap_or(u32::MAX);
    let message = if limit == "failures" {
        format!("too many failed sign-ins or signatures from your address; wait {seconds} s")
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

//! Prometheus metrics, in the OpenMetrics text format.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    /// The route template (such as `/v1/requests/{id}`), never the raw path, so that ids
    /// do not become label values.
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// A stable refusal code: `bad_signature`, `replayed`, `invalid_credentials`, ...
    pub code: String,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<HttpLabels, Counter>,
    pub http_duration: Family<HttpLabels, Histogram, fn() -> Histogram>,
    pub intakes: Counter,
    pub transitions: Family<StateLabels, Counter>,
    /// Refused signatures, tokens, sessions and logins, by code.
    pub auth_refusals: Family<RefusalLabels, Counter>,
    /// Callers answered 429, by what they ran out of.
    pub rate_limited: Family<RefusalLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    Histogram::new([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("comity");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_duration =
            Family::<HttpLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let intakes = Counter::default();
        let transitions = Family::<StateLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", http_requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_duration.clone(),
        );
        registry.register("requests_received", "Requests for data accepted on intake", intakes.clone());
        registry.register(
            "transitions",
            "Lifecycle moves applied, by the state moved to",
            transitions.clone(),
        );
        let auth_refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "auth_refusals",
            "Refused signatures, tokens, sessions and logins, by code",
            auth_refusals.clone(),
        );
        let rate_limited = Family::<RefusalLabels, Counter>::default();
        registry.register("rate_limited", "Requests refused with 429, by limit", rate_limited.clone());
        Self { registry, http_requests, http_duration, intakes, transitions, auth_refusals, rate_limited }
    }
}

impl Metrics {
    /// The text exposition, with the per-state gauge appended from the store's counts, the
    /// password hashing's counter and gauge from the use cases (`App::password_hashing`),
    /// and the live servers the heartbeats count.
    pub fn render(
        &self,
        by_state: &[(comity_core::State, u64)],
        overdue: &[(comity_core::ClockKind, u64)],
        (checks, waiting): (u64, usize),
        live_servers: u32,
    ) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode_registry(&mut out, &self.registry)?;
        // Every argon2id check of a password, a login's or a password change's (an unknown
        // name's dummy check included): what a guesser got to try, and what the CPU spent.
        out.push_str("# HELP comity_password_checks Passwords checked against their argon2id hash.\n");
        out.push_str("# TYPE comity_password_checks counter\n");
        out.push_str(&format!("comity_password_checks_total {checks}\n"));
        out.push_str("# HELP comity_password_hashes_waiting Password hashes waiting for a worker now.\n");
        out.push_str("# TYPE comity_password_hashes_waiting gauge\n");
        out.push_str(&format!("comity_password_hashes_waiting {waiting}\n"));
        // Issue 17: the servers of this database whose heartbeat is recent; each lets a
        // client through at the request rate divided by this.
        out.push_str("# HELP comity_live_servers Servers of this database whose heartbeat is recent, this one included.\n");
        out.push_str("# TYPE comity_live_servers gauge\n");
        out.push_str(&format!("comity_live_servers {live_servers}\n"));
        out.push_str("# HELP comity_requests Requests currently in each lifecycle state.\n");
        out.push_str("# TYPE comity_requests gauge\n");
        for state in comity_core::State::ALL {
            let n = by_state.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
            out.push_str(&format!("comity_requests{{state=\"{state}\"}} {n}\n"));
        }
        // Deadlines that passed without an answer and are still unanswered (issue 13).
        out.push_str("# HELP comity_overdue Deadlines passed without an answer, by kind, until answered.\n");
        out.push_str("# TYPE comity_overdue gauge\n");
        for (kind, n) in overdue {
            out.push_str(&format!("comity_overdue{{kind=\"{kind}\"}} {n}\n"));
        }
        prometheus_client::encoding::text::encode_eof(&mut out)?;
        Ok(out)
    }
}

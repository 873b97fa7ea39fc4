//! Screening latency in process: `cargo bench -p comity-policy --bench screening`.
//!
//! Screens every example request (and a bulk-history case) many times and reports the
//! latency distribution per request, p50 / p99 / p99.9 / max, as the goal is stated as a
//! p99 (under 50 µs). A distribution, not a mean, so this is timed by hand rather than
//! with criterion's estimators. Figures go to docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use std::{hint::black_box, path::Path, time::Instant};

use chrono::{Duration, Utc};
use comity_core::{RequestId, Selector, SelectorType};
use comity_policy::{PackSet, Prior, screen};

fn main() {
    let packs = PackSet::builtin().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/requests");
    let mut requests = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for path in names {
        let (_, r) = comity_wire::parse_request(&std::fs::read(&path).unwrap()).unwrap();
        requests.push(r);
    }
    let now = Utc::now();
    // A heavy case: 200 earlier requests of the first example's authority, 5 targets each
    // (so one request in six reads the whole history).
    let history: Vec<Prior> = (0..200)
        .map(|i| Prior {
            disclosed: true,
            id: RequestId::new_at(1_700_000_000_000 + i),
            received_at: now - Duration::hours(i as i64),
            authority: requests[0].issuing.authority.clone(),
            reference: format!("REF-{i}"),
            targets: (0..5)
                .map(|t| {
                    comity_policy::target_key(
                        &Selector::parse(SelectorType::Email, &format!("p{i}-{t}@example.org"), None)
                            .unwrap(),
                    )
                })
                .collect(),
        })
        .collect();

    for (label, with_history) in
        [("six example requests, no history", false), ("with 200 earlier requests (1,000 targets)", true)]
    {
        let rounds = if with_history { 2_000 } else { 50_000 };
        let mut samples = Vec::with_capacity(rounds * requests.len());
        for _ in 0..rounds {
            for r in &requests {
                let pack = packs.for_request(r).unwrap();
                let h: &[Prior] = if with_history { &history } else { &[] };
                let start = Instant::now();
                let report = screen(pack, black_box(r), now, h);
                samples.push(start.elapsed().as_nanos() as u64);
                black_box(report);
            }
        }
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
        println!(
            "{label}: {} screenings, p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
            samples.len(),
            at(0.50),
            at(0.99),
            at(0.999),
            *samples.last().unwrap() as f64 / 1000.0
        );
    }
}

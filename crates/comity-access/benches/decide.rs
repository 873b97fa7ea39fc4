//! How long one access decision takes: `cargo bench -p comity-access --bench decide`.
//!
//! The server decides on every request it serves, so the figure that matters is the tail:
//! this reports p50 / p99 / max per decision, timed by hand (as the screening bench does)
//! rather than with criterion's mean estimators.
#![allow(clippy::unwrap_used)]

use std::{hint::black_box, time::Instant};

use comity_access::{Access, Action, CredentialKind, On, RequestFacts, Who};
use comity_core::{ActorId, PartyId, PartyRole, Role, State};

fn id(s: &str) -> PartyId {
    PartyId::parse(s).unwrap()
}

fn main() {
    let access = Access::builtin();
    let facts = RequestFacts {
        authority: id("fr-pj-paris"),
        validator: Some(id("fr-tj-paris")),
        issuer_institutions: vec![id("fr-interior"), id("fr-justice")],
        provider: id("example-mail"),
        provider_institution: id("example-group"),
        reviewers: vec![id("ie-high-court")],
        representatives: Vec::new(),
        state: State::UnderReview,
        emergency: false,
    };
    let who = |role: Role, org: &str| Who {
        actor: ActorId::parse(&format!("someone@{org}")).unwrap(),
        org: id(org),
        register: role.register(),
        institution: id(org),
        role,
        credential: CredentialKind::Person,
    };
    let cases = [
        ("handler views (allowed)", who(Role::Handler, "example-mail"), Action::View, On::Request(&facts)),
        (
            "reviewer decides (allowed)",
            who(Role::Reviewer, "ie-high-court"),
            Action::Decide,
            On::Request(&facts),
        ),
        (
            "other provider views (denied)",
            who(Role::Handler, "other-cloud"),
            Action::View,
            On::Request(&facts),
        ),
        ("auditor reads aggregates", who(Role::Auditor, "edps"), Action::ReadAggregates, On::Aggregates),
    ];
    assert_eq!(who(Role::Auditor, "edps").register, PartyRole::Auditor);
    const N: usize = 20_000;
    println!("{:<32} {:>9} {:>9} {:>9}", "decision", "p50", "p99", "max");
    for (name, who, action, on) in &cases {
        let mut times = Vec::with_capacity(N);
        for _ in 0..N {
            let start = Instant::now();
            black_box(access.decide(black_box(who), black_box(action), black_box(on)));
            times.push(start.elapsed());
        }
        times.sort();
        let at = |q: f64| times[((N as f64 * q) as usize).min(N - 1)];
        println!("{name:<32} {:>9.1?} {:>9.1?} {:>9.1?}", at(0.5), at(0.99), times[N - 1]);
    }
}

//! What each trust primitive costs: `cargo bench -p comity-auth --bench auth`.
//!
//! The server checks a signed submission on every intake and an API token on every call,
//! and checks a TOTP code and an argon2id hash on every login. This times each call on its
//! own and reports p50 / p99 / max and calls per second on one core (the count over the
//! loop's whole time), by hand as the screening and access benches do, since the tail
//! matters as much as the mean.
//!
//! The submission is `examples/requests/eu-epoc-traffic.json` signed as `comity request
//! sign` signs it (a compact JWS of about 2 KB). The reference, timed in the same run, is a
//! bare `ed25519_dalek` `verify_strict` of the same signing input and signature: the ratio
//! to it is what comity's JWS handling (base64url, strict JSON, claim checks) adds to the
//! signature itself. `COMITY_BENCH_CALLS` changes the number of timed calls of the fast
//! primitives (20,000), `COMITY_BENCH_LOGINS` that of argon2id (20).
//! Figures go to docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use base64::Engine;
use comity_auth::{
    jws::{Claims, Limits, SigningKey, check_claims, parse_compact},
    password,
    token::ApiToken,
    totp::{self, TotpSecret},
};

const DOCUMENT: &str = include_str!("../../../examples/requests/eu-epoc-traffic.json");

/// Times `f` `n` times, one call at a time; prints a line and returns the p50.
fn time<T>(name: &str, n: usize, mut f: impl FnMut() -> T) -> Duration {
    // Warm up caches and branch predictors, and fault in what the first calls allocate.
    for _ in 0..n.div_ceil(10) {
        black_box(f());
    }
    let mut times = Vec::with_capacity(n);
    let all = Instant::now();
    for _ in 0..n {
        let start = Instant::now();
        black_box(f());
        times.push(start.elapsed());
    }
    let total = all.elapsed();
    times.sort();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)];
    let per_second = n as f64 / total.as_secs_f64();
    println!(
        "{name:<56} {n:>7} {:>10.1?} {:>10.1?} {:>10.1?} {:>12.0}",
        at(0.5),
        at(0.99),
        times[n - 1],
        per_second
    );
    at(0.5)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    let calls = env("COMITY_BENCH_CALLS", 20_000);
    let logins = env("COMITY_BENCH_LOGINS", 20);

    // A submission as `comity request sign` makes it.
    let key = SigningKey::generate();
    let public = key.public();
    let kid = public.key_id();
    let now = 1_795_000_000;
    let document: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
    let claims = Claims {
        iss: "fr-tj-paris".into(),
        aud: "example-mail".into(),
        iat: now,
        exp: now + 300,
        jti: "0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f".into(),
        request: document.as_object().cloned().unwrap(),
    };
    let jws = key.sign_compact(&kid, &claims.to_payload());
    let limits = Limits::default();
    let compact = parse_compact(&jws).unwrap();
    compact.verify(&public).unwrap();
    assert_eq!(check_claims(compact.payload(), now + 10, &limits).unwrap(), claims);

    // The reference: the signature alone, with the bytes already at hand.
    let (signing_input, signature) = jws.rsplit_once('.').unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).unwrap();
    let signature = ed25519_dalek::Signature::from_slice(&signature).unwrap();
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&public.to_bytes()).unwrap();
    verifying.verify_strict(signing_input.as_bytes(), &signature).unwrap();

    println!(
        "signed submission: {} bytes of compact JWS, {} bytes of payload ({} bytes of document)",
        jws.len(),
        compact.payload().len(),
        DOCUMENT.len()
    );
    println!(
        "{:<56} {:>7} {:>10} {:>10} {:>10} {:>12}",
        "call", "calls", "p50", "p99", "max", "per s, 1 core"
    );

    let reference = time("reference: ed25519_dalek verify_strict", calls, || {
        verifying.verify_strict(signing_input.as_bytes(), &signature)
    });
    time("reference: serde_json::from_slice of the payload", calls, || {
        serde_json::from_slice::<serde_json::Value>(compact.payload()).unwrap()
    });
    time("jws: parse_compact", calls, || parse_compact(&jws).unwrap());
    time("jws: Compact::verify", calls, || compact.verify(&public).unwrap());
    time("jws: check_claims", calls, || check_claims(compact.payload(), now + 10, &limits).unwrap());
    let whole = time("jws: parse_compact + verify + check_claims", calls, || {
        let compact = parse_compact(&jws).unwrap();
        compact.verify(&public).unwrap();
        check_claims(compact.payload(), now + 10, &limits).unwrap()
    });
    println!(
        "  the whole check takes {:.2} times a bare verify_strict at p50",
        whole.as_secs_f64() / reference.as_secs_f64()
    );

    let token = ApiToken::generate();
    let stored = token.hash();
    time("token: ApiToken::parse + TokenSecret::verify (SHA-256)", calls, || {
        let (id, secret) = ApiToken::parse(token.text()).unwrap();
        (id, secret.verify(&stored))
    });

    let secret = TotpSecret::generate();
    let unix = 1_795_000_000_u64;
    let code = totp::code_at(&secret, unix);
    time("totp: verify (three steps of HMAC-SHA1)", calls, || {
        totp::verify(&secret, &code, unix, None).unwrap()
    });

    let pass = "correct horse battery staple";
    let phc = password::hash(pass).unwrap();
    assert!(password::verify(pass, &phc));
    time("argon2id: password::hash (19 MiB, t=2, p=1)", logins, || password::hash(pass).unwrap());
    let verify = time("argon2id: password::verify", logins, || password::verify(pass, &phc));
    time("argon2id: password::dummy_verify (unknown name)", logins, || password::dummy_verify(pass));

    // A login is one argon2id verify. Two at a time, one per core, as two logins at once
    // on a 2-core server: does memory bandwidth let them scale?
    let threads = 2;
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..logins {
                    assert!(password::verify(pass, &phc));
                }
            });
        }
    });
    let elapsed = start.elapsed();
    println!(
        "argon2id: {threads} threads × {logins} verifies in {elapsed:.2?}: {:.1} logins/s on {threads} cores \
         (one core, from the p50: {:.1}/s)",
        (threads * logins) as f64 / elapsed.as_secs_f64(),
        1.0 / verify.as_secs_f64()
    );
}

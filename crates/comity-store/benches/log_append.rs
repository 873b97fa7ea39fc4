//! Durable audit-log appends through the real store:
//! `cargo bench -p comity-store --bench log_append`.
//!
//! Opens a `SqliteStore` in a fresh directory (WAL, `synchronous = FULL`: every answered
//! write is fsynced) and, for each concurrency in `1, 16, 64, 256`, runs that many tasks
//! calling `Store::log_read` (the smallest appending write: one entry, in one durable
//! group commit) for a fixed time, while a checkpointer task signs a checkpoint every
//! second, as `comity serve` does. Reports entries/s, p50 / p99 / max latency per call and
//! the checkpoints signed; then checks the whole log with `verify::verify_store` (so the
//! figure is for a log that checks out) and times it, and times inclusion proofs served
//! from the store (`hashes_needed`, `Store::log_hashes`, `inclusion_proof`, as the server
//! does). With `COMITY_BENCH_DATABASE_URL` set, does the same on a fresh PostgreSQL
//! database, dropped afterwards.
//!
//! Reference points measured in the same run: the fsync rate of the temporary
//! directory's disk (`dd oflag=dsync`) and the `sqlite3` command line doing one durable
//! single-row transaction per insert (WAL, `synchronous = FULL`), when it is installed.
//!
//! `COMITY_BENCH_SECONDS` sets the time per concurrency (default 5).
//! Figures go to docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use comity_core::{
    ActorId, Authority, AuthorityType, CheckpointSigner, CountryCode, Instrument, NewRequest, Party, PartyId,
    Provider, Read, ReadOf, RequestId, RequestKind, Store,
};
use comity_log::{HashMapReader, LogKey, hashes_needed, inclusion_proof, verify_inclusion};
use comity_store::{PgStore, SqliteStore, verify::verify_store};
use sqlx::Connection;

const ORIGIN: &str = "comity.bench/log";
const CONCURRENCY: [usize; 4] = [1, 16, 64, 256];

fn signer(key: &LogKey) -> Arc<CheckpointSigner> {
    let key = key.clone();
    Arc::new(move |size, root| key.sign(ORIGIN, size, comity_log::Hash(*root)).map_err(|e| e.to_string()))
}

fn main() {
    let seconds: u64 = std::env::var("COMITY_BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run(Duration::from_secs(seconds)));
}

async fn run(duration: Duration) {
    let dir = tempfile::tempdir().unwrap();
    println!("== machine: {} cores, temporary directory {}", cores(), dir.path().display());
    references(dir.path());

    let sqlite = SqliteStore::open(&dir.path().join("data")).await.unwrap();
    bench_store("SQLite (WAL, synchronous=FULL)", &sqlite, duration).await;
    sqlite.close().await;

    if let Some(admin) = std::env::var("COMITY_BENCH_DATABASE_URL").ok().filter(|u| !u.trim().is_empty()) {
        let name = format!("comity_bench_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let url = match admin.rsplit_once('/') {
            Some((base, _)) if base.contains("://") && base.len() > base.find("://").unwrap() + 3 => {
                format!("{base}/{name}")
            }
            _ => panic!("COMITY_BENCH_DATABASE_URL must name a database: postgres://user@host:port/db"),
        };
        let pg = PgStore::connect(&url).await.unwrap();
        bench_store("PostgreSQL (synchronous_commit=on)", &pg, duration).await;
        pg.close().await;
        sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        println!("== PostgreSQL skipped: COMITY_BENCH_DATABASE_URL is not set");
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
}

/// The disk's fsync rate and the `sqlite3` command line's durable transactions per second.
fn references(dir: &std::path::Path) {
    let target = dir.join("dsync");
    let dd = std::process::Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", target.display()), "bs=4k", "count=2000", "oflag=dsync"])
        .output();
    if let Ok(out) = dd {
        let text = String::from_utf8_lossy(&out.stderr);
        println!("== fsync ceiling (dd bs=4k count=2000 oflag=dsync): {}", text.lines().last().unwrap_or(""));
    }
    let _ = std::fs::remove_file(&target);

    // One durable transaction per insert of a row the size of a read's log entry and salt.
    const ROWS: usize = 5000;
    let mut sql = String::from(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;\n\
         CREATE TABLE r (id INTEGER PRIMARY KEY, entry BLOB NOT NULL);\n",
    );
    for i in 0..ROWS {
        sql.push_str(&format!("INSERT INTO r (entry) VALUES (zeroblob(220) || '{i}');\n"));
    }
    let script = dir.join("ref.sql");
    std::fs::write(&script, sql).unwrap();
    let start = Instant::now();
    let out = std::process::Command::new("sqlite3")
        .arg(dir.join("ref.db"))
        .stdin(std::fs::File::open(&script).unwrap())
        .output();
    match out {
        Ok(out) if out.status.success() => {
            let rate = ROWS as f64 / start.elapsed().as_secs_f64();
            println!(
                "== reference: sqlite3 CLI, {ROWS} single-row durable transactions (WAL, synchronous=FULL): {rate:.0} tx/s"
            );
        }
        _ => println!("== reference: sqlite3 is not installed (apt-get install sqlite3); skipped"),
    }
}

/// The request each task reads: the example European Production Order.
const DOCUMENT: &str = include_str!("../../../examples/requests/eu-epoc-traffic.json");

/// The parties, and one request for each task to read: a read is logged only of a request
/// the store holds, since its entry names the request under the request's own salt.
async fn requests<S: Store>(store: &S, tasks: usize) -> Vec<RequestId> {
    let authority = PartyId::parse("fr-tj-paris").unwrap();
    let validator = PartyId::parse("fr-jld-paris").unwrap();
    let provider = PartyId::parse("example-mail").unwrap();
    let parties = [
        Party::Authority(Authority {
            id: authority.clone(),
            country: CountryCode::parse("FR").unwrap(),
            authority_type: AuthorityType::Prosecutor,
            name: "Parquet de Paris".to_owned(),
            institution: None,
        }),
        Party::Authority(Authority {
            id: validator.clone(),
            country: CountryCode::parse("FR").unwrap(),
            authority_type: AuthorityType::Judge,
            name: "JLD de Paris".to_owned(),
            institution: None,
        }),
        Party::Provider(Provider {
            id: provider.clone(),
            country: CountryCode::parse("IE").unwrap(),
            name: "Example Mail".to_owned(),
            institution: None,
        }),
    ];
    for party in &parties {
        store.add_party(party).await.unwrap();
    }
    let mut ids = Vec::with_capacity(tasks);
    for task in 0..tasks {
        let new = NewRequest {
            id: RequestId::new_at(1_760_000_000_000 + task as u64),
            received_at: Utc::now(),
            actor: ActorId::system(),
            receipt: "received".into(),
            authority: authority.clone(),
            provider: provider.clone(),
            instrument: Instrument::EuEEvidence,
            kind: RequestKind::Production,
            emergency: false,
            reference: "PARQUET-2026-0042".to_owned(),
            document: DOCUMENT.to_owned(),
            idempotency_key: None,
            signature: None,
            jti: None,
            validator: Some(validator.clone()),
            screening: None,
            targets: Vec::new(),
        };
        ids.push(store.insert_request(&new).await.unwrap().request.id);
    }
    ids
}

fn read(request_id: RequestId) -> Read {
    Read {
        request_id,
        what: ReadOf::Document,
        actor: ActorId::parse("ie-dpc:auditor").unwrap(),
        at: Utc::now(),
    }
}

async fn bench_store<S: Store + Clone + 'static>(label: &str, store: &S, duration: Duration) {
    println!(
        "== {label}: log_read from N tasks for {} s each, a checkpoint signed every second",
        duration.as_secs()
    );
    let key = LogKey::generate(ORIGIN);
    let requests = requests(store, CONCURRENCY.into_iter().max().unwrap_or(1)).await;
    for tasks in CONCURRENCY {
        let before = store.log_size().await.unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let checkpointer = {
            let (store, stop, sign) = (store.clone(), stop.clone(), signer(&key));
            tokio::spawn(async move {
                let mut signed = 0u64;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.tick().await;
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    if store.checkpoint(sign.clone()).await.unwrap().is_some() {
                        signed += 1;
                    }
                }
                signed
            })
        };
        let start = Instant::now();
        let deadline = start + duration;
        let workers: Vec<_> = (0..tasks)
            .map(|t| {
                let (store, request) = (store.clone(), requests[t]);
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while Instant::now() < deadline {
                        let began = Instant::now();
                        store.log_read(&read(request)).await.unwrap();
                        latencies.push(began.elapsed().as_micros() as u64);
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for w in workers {
            latencies.extend(w.await.unwrap());
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        let signed = checkpointer.await.unwrap();
        let appended = store.log_size().await.unwrap() - before;
        latencies.sort_unstable();
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
        let rate = latencies.len() as f64 / elapsed.as_secs_f64();
        println!(
            "{tasks:>4} tasks: {} reads logged in {:.1} s: {rate:.0} entries/s ({:.2}× the 5,000/s goal, {:.2}× Tessera's 2,900/s); \
             latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {signed} checkpoints signed; log grew by {appended}",
            latencies.len(),
            elapsed.as_secs_f64(),
            rate / 5000.0,
            rate / 2900.0,
            at(0.5),
            at(0.99),
            at(1.0),
        );
    }

    // The log as a whole must check out.
    store.checkpoint(signer(&key)).await.unwrap();
    let size = store.log_size().await.unwrap();
    let start = Instant::now();
    let verified = verify_store(store, key.verifier_key(), |_, _| {}).await.unwrap();
    let elapsed = start.elapsed();
    println!(
        "verify_store: {} entries ({} reads, {} checkpoints) checked in {:.2} s: {:.0} entries/s",
        verified.entries,
        verified.reads,
        verified.checkpoints,
        elapsed.as_secs_f64(),
        verified.entries as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(verified.entries, size);

    // Inclusion proofs served from the store, as GET /v1/log/proof/inclusion makes them.
    let latest = store.latest_checkpoint().await.unwrap().unwrap();
    let body = comity_log::verify_checkpoint(&latest.note, key.verifier_key()).unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut times = Vec::new();
    let mut read_count = 0;
    for _ in 0..2000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let index = rng % latest.size;
        let began = Instant::now();
        let needed = hashes_needed(|r| inclusion_proof(index, latest.size, r));
        let hashes = store.log_hashes(&needed).await.unwrap();
        let reader: HashMapReader =
            needed.iter().copied().zip(hashes.into_iter().map(comity_log::Hash)).collect();
        let proof = inclusion_proof(index, latest.size, &reader).unwrap();
        times.push(began.elapsed().as_micros() as u64);
        read_count = needed.len();
        let leaf = store.log_records(index, 1).await.unwrap().remove(0);
        let proof: Vec<&[u8]> = proof.iter().map(|h| h.0.as_slice()).collect();
        verify_inclusion(index, latest.size, &comity_log::leaf_hash(&leaf.entry).0, &proof, &body.hash().0)
            .unwrap();
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "inclusion proof from the store at size {}: 2000 random entries, {read_count} hashes read each (the last one), p50 {} µs, p99 {} µs",
        latest.size,
        at(0.5),
        at(0.99)
    );
}

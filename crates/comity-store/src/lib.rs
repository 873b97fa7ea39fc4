//! comity's storage: the [`Store`] trait of `comity-core`, for SQLite and for PostgreSQL.
//!
//! - [`SqliteStore`], the embedded default: one file, `comity.db`, in the data directory.
//!   Nothing to install; right for one `comity serve` process.
//! - [`PgStore`]: one PostgreSQL database shared by several `comity serve` processes.
//!
//! [`open`] picks one from the configuration; the server and the command line only ever
//! see an `Arc<dyn Store>`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), comity_core::StoreError> {
//! use comity_core::{PartyRole, Store};
//!
//! // No database URL: SQLite in the data directory.
//! let store = comity_store::open(None, std::path::Path::new("/var/lib/comity")).await?;
//! store.ping().await?;
//! let authorities = store.parties(PartyRole::Authority).await?;
//! # let _ = authorities;
//! // With a URL: PostgreSQL.
//! let shared = comity_store::open(Some("postgres://comity@db/comity"), "/unused".as_ref()).await?;
//! # let _ = shared;
//! # Ok(()) }
//! ```
//!
//! # Design
//!
//! **Durability.** A call that returned `Ok` is on disk. SQLite runs in WAL mode with
//! `synchronous = FULL`, so COMMIT returns only after the WAL is fsynced; PostgreSQL's
//! commit waits for its WAL flush. Nothing answers before its COMMIT has returned.
//!
//! **Group commit on SQLite, and why one writer.** SQLite lets one connection write at a
//! time, and every commit costs an fsync (about 0.2 ms here, often far more on other
//! disks). Committing each intake on its own would cap throughput at one fsync per write,
//! and several writing connections would only queue on SQLite's lock and retry with
//! backoff. So all writes (`add_party`, `insert_request`, `apply_move`) go to one writer,
//! a thread of its own, over a channel. It takes the first waiting write, then everything
//! else already queued (up to 256), runs them in one `BEGIN IMMEDIATE` transaction,
//! commits once, and only then answers every caller. This is group commit, as PostgreSQL's `commit_delay`
//! and the WAL literature describe it, without the delay: while one batch is being
//! fsynced the next one gathers, so batches grow with the load. Each write runs in its
//! own SAVEPOINT, so one that fails (a duplicate id, a stale version) is undone alone and
//! the rest of its batch still commits. If the COMMIT itself fails, every caller of the
//! batch gets the error. Reads use a separate pool of read-only connections, which WAL
//! lets run beside the writer on their own snapshots. Other processes may open the same
//! directory (`comity authority add` while `comity serve` runs): they wait for the lock
//! through the busy timeout (5 s).
//!
//! **SQLite statements run on the thread that asks for them.** The writer's connection and
//! the read pool's are rusqlite's (`sqlite_native`), the same SQLite library as sqlx's; only
//! the migrations run through sqlx. sqlx's SQLite driver hands every statement to a worker
//! thread and back, two thread wake-ups that cost more than the statement itself, and an
//! intake is about 45 statements: through sqlx, signed intake stayed at 641/s on 2 cores,
//! and 1,942/s without (docs/benchmarks.md, "SQLite statements on the thread that asks for
//! them"). So the writer runs each whole batch on its own thread, and a read runs on the
//! async runtime's thread like the rest of the request's work: comity's reads are index
//! lookups and bounded pages, microseconds each, and WAL never makes a reader wait for the
//! writer.
//!
//! **Group commit on PostgreSQL too.** PostgreSQL shares one WAL flush between commits
//! that happen at once, but comity's never did: a write that appends holds `log_head`'s
//! row lock (below) until its COMMIT has flushed, so one process's appends were one flush
//! after another, about 1,300 a second whatever the concurrency. So each process has one
//! sequencer that does as SQLite's writer does (`batch`, written once for both): every
//! write waiting, each in its savepoint, in one transaction, with one lock of the log and
//! one flush. Like SQLite's writer it runs on a thread of its own, with a connection of
//! its own: a batch is one round trip after another, and on the server's runtime each
//! answer waited its turn behind HTTP work. Reads use the pool.
//!
//! **Each statement is written once**, for both backends. Statements are plain SQL with
//! `$1`, `$2`, ... placeholders: PostgreSQL numbers them; on SQLite, sqlx binds each value
//! by the name `$N` for the migrations, and `sqlite_native` writes them `?N` and binds by
//! number for everything else.
//! Every write is a `WriteOp`, done by one function over a connection (`writes`,
//! `trust_rows`) that gathers the log entries it owes and appends them before it returns;
//! every read is one function over a connection (`reads`, `trust_rows`); and the [`Store`]
//! implementation is one macro body (`store_impl!`), expanded for both stores. What truly
//! differs is held in two small traits. `db::Backend`, implemented for sqlx's `Sqlite` and
//! `Postgres`: how a time is bound and read (below), how wide a stored integer is, how a
//! `SELECT` locks its rows (`FOR UPDATE` on PostgreSQL; nothing on SQLite, whose one writer
//! holds the whole database), how a read snapshot begins, and how a result counts rows.
//! `store::Engine`, implemented by each store: where reads run, and how a write commits
//! (the writer and its savepoints above, or a transaction of its own).
//!
//! **The log has one sequencer**, on both: the row of `log_head`, which holds the tree's
//! size, and which a batch that appended updates once, just before its COMMIT, when it
//! also writes the entries and tree hashes of all its writes (a few multi-row statements
//! for the batch, not two for each write). Each batch
//! reads it first; on PostgreSQL that read locks it (`SELECT size FROM log_head FOR
//! UPDATE`), so another process's batch waits, then sees the grown size. On SQLite the
//! writer holds the whole database already. Each process keeps the tree's frontier as it
//! last committed it, and reuses it only when its size is `log_head`'s. It also keeps the
//! request salts it has read (a request's salt never changes once stored), so an entry
//! about a known request is tagged without a statement; salts read by a batch are kept
//! only once it has committed.
//!
//! **What the registers answer is kept, under one version number** (issue 17). Parties,
//! tokens and the journal's register facts (keys, standings, contacts, recipients,
//! production keys, endpoints) change rarely and were read by every intake and every
//! read. The store keeps what it read; every write that changes a register increments
//! `register_version` in its transaction; [`Store::sync_registers`] reads that one number
//! and forgets what is older. The use cases that decide on a key, a standing or a token
//! sync first, so another server's revocation is seen by the next request. See
//! `registers.rs` for why what is kept is never older than what it is kept under.
//!
//! **Moves are compare-and-set**, on both: `UPDATE requests ... WHERE id = $id AND
//! version = $expected AND state = $from`, then the event with `seq = expected + 1`, in one
//! transaction. Nothing updated means `NotFound` (no such request) or `Conflict` (it moved
//! meanwhile), so two processes can never both move one request from the same version.
//!
//! **Unique values are the database's to decide.** An intake inserts its request with `ON
//! CONFLICT DO NOTHING` and no conflict target; when nothing was inserted, the store looks
//! up which of its unique values another request holds: the authority's idempotency key
//! ([`StoreError::IdempotencyKeyTaken`]), the authority's `jti` ([`StoreError::JtiTaken`]),
//! or the id (a `Conflict`). Of two intakes racing, even on two servers, exactly one is
//! stored, and the refused one leaves nothing behind.
//!
//! **Failures that pass are told apart from faults** (issue 17, item 2). A full disk
//! (SQLite's `SQLITE_FULL`), a database that cannot be reached or is restarting
//! (PostgreSQL's SQLSTATE classes 08 and 57P), one out of resources (class 53), a
//! serialization failure or deadlock (40001, 40P01) and a pool whose connections all stayed
//! busy are [`StoreError::Unavailable`]: the transaction wrote nothing, a retry is safe,
//! and the API answers 503 with `Retry-After`, never 500. Anything else stays a fault
//! (`rows::passing` decides; on SQLite a failed group commit carries the reason to every
//! caller of its batch). The chaos tests (`crates/comity/tests/it/chaos.rs`) fill a disk
//! under load and restart PostgreSQL under load to hold this to account.
//!
//! **The audit trail is append-only.** Triggers reject any UPDATE or DELETE of `events`,
//! `screenings`, the log's entries, hashes and checkpoints, and `journal` (and, on
//! PostgreSQL, TRUNCATE), whoever sends it: a first defence for the audit trail.
//!
//! **Times** are truncated to the microsecond before they are written, and the stored
//! value is what the calls return, because PostgreSQL keeps microseconds: a time written
//! and read back compares equal on both backends. Statements do not care how a time is
//! kept: PostgreSQL binds and stores `TIMESTAMPTZ`; SQLite binds and stores TEXT in RFC 3339,
//! UTC, with exactly six fractional digits and a `Z` (`2024-05-01T09:30:00.000000Z`), fixed
//! width so that string order is time order.
//!
//! **Testing.** [`testing::TestDatabase`] gives a test a fresh PostgreSQL database on the
//! server named by `COMITY_TEST_DATABASE_URL`, and skips loudly when it is not set.
//!
//! **Schema** changes are versioned migrations (`migrations/sqlite`, `migrations/postgres`),
//! applied on open; an applied migration is never edited (sqlx checks their checksums). The
//! two are written in each database's dialect, and a test reads both catalogues back and
//! checks that they are one schema: the same tables, columns, keys, indexes, foreign keys
//! and append-only guards. A row that no longer parses (edited outside comity) is reported
//! as [`StoreError::Corrupt`] naming the table, the row and the column.

mod at_rest;
mod batch;
mod db;
pub mod journal;
mod limit_rows;
pub mod log;
mod notice_rows;
mod postgres;
mod reads;
mod registers;
mod rows;
mod sqlite;
mod sqlite_native;
mod store;
pub mod testing;
mod trust_rows;
pub mod verify;
mod writes;

use std::{path::Path, sync::Arc};

pub use comity_core::{Store, StoreError};
pub use postgres::PgStore;
pub use sqlite::{DATABASE_FILE, SqliteStore};

/// Opens the configured store: PostgreSQL when `database_url` is a `postgres://` or
/// `postgresql://` URL, otherwise SQLite in `data_dir` (an empty URL counts as none).
///
/// A `sqlite:` URL is refused: the SQLite database always lives in the data directory.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    let url = database_url.map(str::trim).filter(|url| !url.is_empty());
    let Some(url) = url else {
        return Ok(Arc::new(SqliteStore::open(data_dir).await?));
    };
    // The URL may hold a password, so the messages below never repeat it.
    let scheme = url.split_once(':').map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("postgres" | "postgresql") => Ok(Arc::new(PgStore::connect(url).await?)),
        Some("sqlite") => Err(rows::backend(rows::SetupError(
            "a sqlite: database URL is not supported: comity keeps its SQLite database in the \
             data directory; leave the database URL unset and use --data-dir instead"
                .to_owned(),
        ))),
        _ => Err(rows::backend(rows::SetupError(
            "the database URL must start with postgres:// or postgresql://; leave it unset to \
             use SQLite in --data-dir"
                .to_owned(),
        ))),
    }
}

//! The shared store: one PostgreSQL database behind several `comity serve` processes.
//!
//! Writes go to one sequencer per process, on a thread of its own, which commits them in groups
//! (`crate::batch`): every write waiting, each in its own savepoint, in one transaction
//! that takes the log's lock once and flushes the WAL once. Reads use the pool.
//!
//! PostgreSQL does share a WAL flush between concurrent commits, but comity's commits were
//! never concurrent: each write that appends to the log holds `log_head`'s row lock until
//! its COMMIT has flushed, so one process's appends were one flush after another (about
//! 1,300 a second here, whatever the concurrency; docs/benchmarks.md, "Durable appends
//! through the store"). Batching them is what lets one flush serve many.

use std::{fmt, sync::Arc, time::Duration};

use comity_core::StoreError;
use sqlx::{
    Postgres, Transaction,
    migrate::Migrator,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};
use tokio::sync::{mpsc, oneshot};

use crate::batch::{self, BatchFailed, MAX_BATCH, Op, QUEUE, Write};
use crate::db::Backend;
use crate::log::{Committed, Log};
use crate::rows::backend;
use crate::store::{Engine, store_impl};
use crate::writes::{Answer, WriteOp};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per process for reads, and one more for the sequencer. Several processes
/// share the server's `max_connections` (100 by default), so this stays modest.
const MAX_CONNECTIONS: u32 = 15;

/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// comity's store in a PostgreSQL database.
///
/// Cloning is cheap and shares the pool and the sequencer.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    sequencer: mpsc::Sender<Op>,
    cipher: crate::at_rest::Slot,
    registers: Arc<crate::registers::RegisterCache>,
}

impl fmt::Debug for PgStore {
    // The connection options hold the password; they are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore").field("connections", &self.pool.size()).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?...`) and brings the
    /// schema up to date. Several processes may do this at once: the migrations hold an
    /// advisory lock.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        // Read once: the pool and the sequencer's own connection use the same options.
        let options: PgConnectOptions = url.parse().map_err(backend)?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        // A read-only database (a standby, or default_transaction_read_only set) would
        // fail the migrations with a message about CREATE TABLE; say what it is instead.
        let read_only: String =
            sqlx::query_scalar("SHOW transaction_read_only").fetch_one(&pool).await.map_err(backend)?;
        if read_only == "on" {
            return Err(backend(crate::rows::SetupError(
                "the database is read-only (transaction_read_only is on: a standby, or \
                 default_transaction_read_only set), and comity writes every request and every step to \
                 it; give it a primary it may write"
                    .to_owned(),
            )));
        }
        MIGRATOR.run(&pool).await.map_err(backend)?;
        warn_if_never_analyzed(&pool).await;
        let (sequencer, queue) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new().name("comity-pg-sequencer".to_owned());
        thread.spawn(move || Sequencer::on_this_thread(options, queue)).map_err(|e| {
            backend(crate::rows::SetupError(format!("cannot start the sequencer thread: {e}")))
        })?;
        Ok(Self { pool, sequencer, cipher: Default::default(), registers: Default::default() })
    }

    /// Finishes the writes already queued, then closes every connection, waiting for those
    /// in use to be returned. Writes sent after this fail.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.sequencer.send(Op::Close(tx)).await.is_ok() {
            let _ = rx.await;
        }
        self.pool.close().await;
    }
}

impl Engine for PgStore {
    type DB = Postgres;
    type Read = PoolConnection<Postgres>;
    type Snapshot = Transaction<'static, Postgres>;

    async fn read(&self) -> Result<Self::Read, StoreError> {
        self.pool.acquire().await.map_err(backend)
    }

    async fn snapshot(&self) -> Result<Self::Snapshot, StoreError> {
        self.pool.begin_with(<Postgres as Backend>::SNAPSHOT).await.map_err(backend)
    }

    /// Hands a write to the sequencer and waits until its batch has committed (or failed).
    async fn submit(&self, op: WriteOp) -> Result<Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sequencer.send(Op::Write(Write { op, reply })).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    fn cipher_slot(&self) -> &crate::at_rest::Slot {
        &self.cipher
    }

    fn registers(&self) -> &crate::registers::RegisterCache {
        &self.registers
    }

    fn check_open(&self) -> Result<(), StoreError> {
        if self.sequencer.is_closed() { Err(closed()) } else { Ok(()) }
    }
}

store_impl!(PgStore);

/// Says so when PostgreSQL's autovacuum is off and nothing has analyzed the log since it
/// grew. Nothing then refreshes the planner's statistics: it keeps the estimates of empty
/// tables, and as the store grows it picks parallel plans that start worker processes for a
/// one-row read: past 420,000 stored requests authenticated reads ran at 498 a second,
/// against 1,144 with autovacuum (docs/benchmarks.md, "Cost as work grows on PostgreSQL"). An operator who runs
/// ANALYZE on a schedule instead is not warned.
async fn warn_if_never_analyzed(pool: &PgPool) {
    let stale: Result<Option<(i64, i64)>, sqlx::Error> = sqlx::query_as(
        "SELECT s.n_mod_since_analyze, GREATEST(c.reltuples, 0)::bigint \
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
         WHERE current_setting('autovacuum') = 'off' AND s.relname = 'log_entries' \
         AND s.schemaname = current_schema() AND s.n_mod_since_analyze > GREATEST(10000, c.reltuples)",
    )
    .fetch_optional(pool)
    .await;
    if let Ok(Some((changed, analyzed))) = stale {
        tracing::warn!(
            "PostgreSQL's autovacuum is off, and comity's tables have not been analyzed since they grew \
             (log_entries: {changed} rows written since, {analyzed} when last analyzed): the planner's \
             estimates are those of small tables, and reads slow down as the store grows; turn \
             autovacuum on (the default), or run ANALYZE on this database on a schedule (docs/deploy.md)"
        );
    }
}

fn closed() -> StoreError {
    backend(crate::rows::SetupError("the PostgreSQL store is closed".to_owned()))
}

/// The one task of a process that writes. Each batch is a transaction on a connection
/// from the pool, so a connection the database dropped (a restart) is replaced for the
/// next batch, and the batch that met it is told to retry.
struct Sequencer {
    pool: PgPool,
    queue: mpsc::Receiver<Op>,
    /// The log as this process last committed it: its right edge (another process may
    /// have appended since, so it is used only when its size matches `log_head`, see
    /// [`Log`]) and the request salts it read.
    committed: Committed,
}

impl Sequencer {
    /// Runs the sequencer on the calling thread, with a connection of its own, until the
    /// store closes.
    ///
    /// Why a thread: a batch is one statement after another on one connection, each a round
    /// trip, so its time is the sum of the waits to be polled again after PostgreSQL
    /// answers. On the server's runtime, busy with HTTP, signatures and JSON, each wait
    /// was a turn in a queue of other tasks: a batch of 26 intakes took 106 ms, 0.37 ms a
    /// statement, with the machine a quarter idle (docs/benchmarks.md). On a thread of its
    /// own the operating system wakes it as soon as the answer arrives.
    fn on_this_thread(options: PgConnectOptions, queue: mpsc::Receiver<Op>) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                // The store's writes are then refused as closed, which says why.
                tracing::error!(error = %e, "the PostgreSQL sequencer's runtime could not start");
                return;
            }
        };
        runtime.block_on(async move {
            // One connection, made again by the pool if PostgreSQL drops it (a restart).
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_lazy_with(options);
            Sequencer { pool: pool.clone(), queue, committed: Committed::default() }.run().await;
            pool.close().await;
        });
    }

    async fn run(mut self) {
        let mut ops = Vec::with_capacity(MAX_BATCH);
        let mut closing = Vec::new();
        // Take whatever is queued, at least one; while a batch commits, the next one
        // queues up, so the batch size follows the load with no added delay.
        while self.queue.recv_many(&mut ops, MAX_BATCH).await > 0 {
            let batch = batch::writes(&mut ops, &mut closing);
            if !batch.is_empty() {
                self.batch(batch).await;
            }
            if !closing.is_empty() {
                break;
            }
        }
        // Writes still queued are dropped; their callers learn the store is closed.
        self.queue.close();
        for done in closing {
            let _ = done.send(());
        }
    }

    /// Runs a batch in one transaction and answers the callers once COMMIT has returned.
    async fn batch(&mut self, batch: Vec<Write>) {
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => return BatchFailed::new("the write transaction could not start", e).answer_all(batch),
        };
        let mut log = Log::new(std::mem::take(&mut self.committed));
        // On failure the transaction is dropped, which rolls it back.
        let Ok(ran) = batch::run(&mut *tx, &mut log, batch).await else { return };
        match tx.commit().await {
            Ok(()) => {
                self.committed = log.into_committed();
                ran.committed();
            }
            Err(e) => ran.failed(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use comity_core::{PartyRole, Store};

    use super::*;
    use crate::batch::fixtures::{a_failing_write_is_undone_alone, authority, batch};
    use crate::testing::TestDatabase;

    /// The sequencer's own batch, on a store of a fresh database.
    async fn setup() -> Option<(TestDatabase, PgStore, Sequencer)> {
        let db = TestDatabase::create().await?;
        let store = PgStore::connect(db.url()).await.unwrap();
        let (_, queue) = mpsc::channel(1);
        let sequencer = Sequencer { pool: store.pool.clone(), queue, committed: Committed::default() };
        Some((db, store, sequencer))
    }

    #[tokio::test]
    async fn a_failing_write_is_undone_alone_and_its_batch_commits() {
        let Some((_db, store, mut sequencer)) = setup().await else { return };
        a_failing_write_is_undone_alone(&store, async |writes| sequencer.batch(writes).await).await;
    }

    /// The database going away under a batch is a failure that passes: every caller is
    /// told to retry (503 with `Retry-After`), nothing is half-saved, and the next batch
    /// works on a fresh connection.
    #[tokio::test]
    async fn a_batch_whose_connection_is_killed_tells_every_caller_to_retry() {
        let Some((db, store, mut sequencer)) = setup().await else { return };
        // A trigger that ends the batch's own connection, as a restart of the server would.
        sqlx::raw_sql(
            "CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.id = 'die' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER die AFTER INSERT ON parties FOR EACH ROW EXECUTE FUNCTION die();",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        let (writes, answers) =
            batch(vec![WriteOp::AddParty(authority("fr-pnf")), WriteOp::AddParty(authority("die"))]);
        sequencer.batch(writes).await;
        for answer in answers {
            let result = answer.await.unwrap();
            assert!(
                matches!(&result, Err(StoreError::Unavailable(m)) if m.contains("nothing in this write was saved")),
                "{result:?}"
            );
        }
        assert!(store.parties(PartyRole::Authority).await.unwrap().is_empty());
        let (writes, answers) = batch(vec![WriteOp::AddParty(authority("fr-pnf"))]);
        sequencer.batch(writes).await;
        for answer in answers {
            assert!(matches!(answer.await.unwrap(), Ok(Answer::Logged(_))));
        }
        drop(db);
    }
}

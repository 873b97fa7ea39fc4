//! The shared store: one PostgreSQL database behind several `comity serve` processes.
//!
//! Every write is an ordinary transaction on a pooled connection. PostgreSQL already
//! groups the WAL flushes of concurrent commits, so nothing here batches.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use comity_core::StoreError;
use comity_log::Frontier;
use sqlx::{
    Postgres, Transaction,
    migrate::Migrator,
    pool::PoolConnection,
    postgres::{PgPool, PgPoolOptions},
};

use crate::db::Backend;
use crate::log::Log;
use crate::rows::backend;
use crate::store::{Engine, store_impl};
use crate::writes::{Answer, WriteOp};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per process. Several processes share the server's `max_connections`
/// (100 by default), so this stays modest.
const MAX_CONNECTIONS: u32 = 16;

/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// comity's store in a PostgreSQL database.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The log's right edge as this process last committed it. Another process may have
    /// appended since, so it is used only when its size matches `log_head` (see [`Log`]).
    frontier: Arc<Mutex<Option<Frontier>>>,
    cipher: crate::at_rest::Slot,
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
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
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
        Ok(Self { pool, frontier: Default::default(), cipher: Default::default() })
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Keeps a committed frontier for the next append of this process.
    fn committed(&self, frontier: Frontier) {
        if let Ok(mut cached) = self.frontier.lock()
            && cached.as_ref().is_none_or(|c| c.size() < frontier.size())
        {
            *cached = Some(frontier);
        }
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

    /// One transaction per write. Its appends lock `log_head` (see [`Log`]), last unless
    /// the write needs the log's edge sooner.
    async fn write(&self, op: WriteOp) -> Result<Answer, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut log = Log::shared(self.frontier.clone());
        let answer = op.run(&mut *tx, &mut log).await?;
        log.record_size(&mut *tx).await?;
        tx.commit().await.map_err(backend)?;
        if let Some(frontier) = log.into_frontier() {
            self.committed(frontier);
        }
        Ok(answer)
    }

    fn cipher_slot(&self) -> &crate::at_rest::Slot {
        &self.cipher
    }

    fn check_open(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

store_impl!(PgStore);

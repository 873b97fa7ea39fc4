//! One fresh store per test, on either backend, plus the raw access some tests need to
//! play the operator who edits the database by hand.

use std::sync::Arc;

use comity_core::Store;
use comity_store::{DATABASE_FILE, PgStore, SqliteStore, testing::TestDatabase};
use sqlx::{Connection, PgConnection, SqliteConnection, sqlite::SqliteConnectOptions};
use tempfile::TempDir;

enum Backend {
    Sqlite { dir: TempDir, store: SqliteStore },
    Postgres { db: TestDatabase, store: PgStore },
}

pub struct Harness {
    store: Arc<dyn Store>,
    backend: Backend,
}

impl Harness {
    pub async fn sqlite() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        Harness { store: Arc::new(store.clone()), backend: Backend::Sqlite { dir, store } }
    }

    /// `None`, after saying so loudly, when no PostgreSQL server is configured.
    pub async fn postgres() -> Option<Harness> {
        let db = TestDatabase::create().await?;
        let store = PgStore::connect(db.url()).await.unwrap();
        Some(Harness { store: Arc::new(store.clone()), backend: Backend::Postgres { db, store } })
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    pub fn shared(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self.backend, Backend::Sqlite { .. })
    }

    /// A second, independent store on the same database, as another process would open.
    pub async fn open_another(&self) -> Arc<dyn Store> {
        match &self.backend {
            Backend::Sqlite { dir, .. } => Arc::new(SqliteStore::open(dir.path()).await.unwrap()),
            Backend::Postgres { db, .. } => Arc::new(PgStore::connect(db.url()).await.unwrap()),
        }
    }

    /// Closes the store and opens the same database again.
    pub async fn reopen(&mut self) {
        self.close().await;
        match &mut self.backend {
            Backend::Sqlite { dir, store } => {
                *store = SqliteStore::open(dir.path()).await.unwrap();
                self.store = Arc::new(store.clone());
            }
            Backend::Postgres { db, store } => {
                *store = PgStore::connect(db.url()).await.unwrap();
                self.store = Arc::new(store.clone());
            }
        }
    }

    async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { store, .. } => store.close().await,
            Backend::Postgres { store, .. } => store.close().await,
        }
    }

    /// Runs SQL on a connection of its own, around the store.
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match &self.backend {
            Backend::Sqlite { dir, .. } => {
                let options = SqliteConnectOptions::new().filename(dir.path().join(DATABASE_FILE));
                let mut conn = SqliteConnection::connect_with(&options).await?;
                let done = sqlx::raw_sql(sql).execute(&mut conn).await;
                conn.close().await?;
                Ok(done?.rows_affected())
            }
            Backend::Postgres { db, .. } => {
                let mut conn = PgConnection::connect(db.url()).await?;
                let done = sqlx::raw_sql(sql).execute(&mut conn).await;
                conn.close().await?;
                Ok(done?.rows_affected())
            }
        }
    }

    pub async fn finish(self) {
        self.close().await;
        // The temporary directory or database goes with `self`.
    }
}

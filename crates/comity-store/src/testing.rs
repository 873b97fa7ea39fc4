//! Test support: a fresh PostgreSQL database per test.
//!
//! Tests that run on both backends use [`TestDatabase::create`] for their PostgreSQL half.
//! The server comes from `COMITY_TEST_DATABASE_URL` (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a database of its own,
//! named `comity_test_<uuid>`, dropped when the [`TestDatabase`] is, even if the test
//! panicked. Without the variable, `create` says so loudly on stderr and returns `None`,
//! and the test returns early: a skip that is visible, not silent.
//!
//! This module panics on failure (the server is configured but unreachable, say): it is
//! meant for tests only, where that is the right way to fail.

use std::fmt;

use sqlx::{Connection, PgConnection};

/// The environment variable naming the PostgreSQL server tests use.
pub const DATABASE_URL_VAR: &str = "COMITY_TEST_DATABASE_URL";

/// A PostgreSQL database of its own for one test; dropped with this value.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl fmt::Debug for TestDatabase {
    // The URLs may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase").field("name", &self.name).finish_non_exhaustive()
    }
}

impl TestDatabase {
    /// Creates a fresh database on the server named by `COMITY_TEST_DATABASE_URL`, or
    /// prints `SKIPPED (PostgreSQL) ...` to stderr and returns `None` when it is not set.
    ///
    /// # Panics
    /// When the variable is set but the database cannot be created.
    pub async fn create() -> Option<TestDatabase> {
        let admin_url = std::env::var(DATABASE_URL_VAR).ok().filter(|url| !url.trim().is_empty());
        let Some(admin_url) = admin_url else {
            let thread = std::thread::current();
            let test = thread.name().unwrap_or("this test");
            eprintln!(
                "SKIPPED (PostgreSQL) {test}: {DATABASE_URL_VAR} is not set; the PostgreSQL \
                 variant did not run"
            );
            return None;
        };
        Some(TestDatabase::create_on(&admin_url).await)
    }

    /// Creates a fresh database on the server at `admin_url`, one the test started itself
    /// (the chaos test restarts its own server, never the one other tests share).
    ///
    /// # Panics
    /// When the database cannot be created.
    pub async fn create_on(admin_url: &str) -> TestDatabase {
        let admin_url = admin_url.to_owned();
        let name = format!("comity_test_{}", uuid::Uuid::now_v7().simple());
        let created = async {
            let mut admin = PgConnection::connect(&admin_url).await?;
            sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
            admin.close().await
        };
        if let Err(e) = created.await {
            panic!("cannot create the test database {name}: {e}");
        }
        let url = with_database(&admin_url, &name);
        TestDatabase { admin_url, name, url }
    }

    /// The URL of the fresh database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        // FORCE: a store still holding connections must not keep the database alive.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await, and may run inside the test's runtime: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                sqlx::raw_sql(&sql).execute(&mut admin).await?;
                admin.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop the test database {}", self.name);
        }
    }
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_start..].find('/') {
        Some(i) => &base[..host_start + i],
        None => base,
    };
    format!("{base}/{database}{query}")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn urls_get_their_database_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(with_database("postgres://u:p@h", "x"), "postgres://u:p@h/x");
        assert_eq!(with_database("postgres://h/db?sslmode=disable", "x"), "postgres://h/x?sslmode=disable");
    }
}

//! PostgreSQL over TLS: a database on another host is reached with `?sslmode=require`
//! (or `verify-full`), and what crosses the network (every request and its targets) is
//! encrypted. A build without a TLS stack refused such a URL outright.

use comity_store::{PgStore, testing::TestDatabase};
use sqlx::Connection;

#[tokio::test]
async fn a_store_reached_with_sslmode_require_talks_over_tls() {
    let Some(db) = TestDatabase::create().await else { return };
    let mut admin = sqlx::PgConnection::connect(db.url()).await.unwrap();
    let ssl: String = sqlx::query_scalar("SHOW ssl").fetch_one(&mut admin).await.unwrap();
    assert_eq!(
        ssl, "on",
        "the PostgreSQL server of COMITY_TEST_DATABASE_URL has ssl off, so TLS cannot be tested; \
         turn it on (ssl = on in postgresql.conf; Debian's packages do, with the snakeoil certificate)"
    );
    let separator = if db.url().contains('?') { '&' } else { '?' };
    let store = PgStore::connect(&format!("{}{separator}sslmode=require", db.url())).await.unwrap();
    comity_core::Store::log_size(&store).await.unwrap();
    // The server's own view of the store's connections: every one of them encrypted.
    let (connections, encrypted): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
         JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1 AND a.pid <> pg_backend_pid()",
    )
    .bind(db.name())
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(connections > 0, "the store holds a connection");
    assert_eq!(encrypted, connections, "every connection of the store is TLS");
    store.close().await;
}

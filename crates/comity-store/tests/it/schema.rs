//! The two schemas are one: a fresh SQLite store and a fresh PostgreSQL database, read back
//! from their catalogues, have the same tables, columns, keys, indexes, foreign keys and
//! append-only guards. Their migrations are written twice (each database has its own
//! dialect); this test is what keeps them the same schema (issue 11).
//!
//! Types are compared as the store uses them: SQLite's `INTEGER` and `BIGINT` and
//! PostgreSQL's `integer` and `bigint` are all integers (the store reads any width), `BLOB`
//! and `bytea` are bytes, and a time is `TIMESTAMPTZ` on PostgreSQL and fixed-width RFC 3339
//! `TEXT` on SQLite (see `rows::sqlite_time`), so a SQLite `TEXT` column is a time when
//! its name is one of [`TIME_COLUMNS`].
//!
//! Where the two legitimately differ, [`Schema::compare`]'s callers say so, with the reason:
//! - PostgreSQL also guards the append-only tables against `TRUNCATE`, which SQLite does not
//!   have.
//! - A partial index's predicate is compared as "partial or not": each database prints it
//!   in its own words.
//! - `CHECK` constraints and defaults are not compared: the store never relies on them.

use std::collections::{BTreeMap, BTreeSet};

use comity_store::{DATABASE_FILE, PgStore, SqliteStore, testing::TestDatabase};
use sqlx::{Connection, PgConnection, Row, SqliteConnection, sqlite::SqliteConnectOptions};

/// The columns that hold a time (SQLite keeps them as `TEXT`).
const TIME_COLUMNS: &[&str] = &[
    "at",
    "closed_at",
    "created_at",
    "delivered_at",
    "disabled_at",
    "due_at",
    "ended_at",
    "expires_at",
    "happened_at",
    "held_until",
    "last_attempt",
    "last_seen",
    "leased_until",
    "locked_until",
    "next_attempt_at",
    "next_due",
    "received_at",
    "revoked_at",
    "set_at",
    "updated_at",
    "used_at",
    "written_at",
];

/// The tables whose rows are never changed or deleted once written.
const APPEND_ONLY: &[&str] =
    &["documents", "events", "journal", "log_checkpoints", "log_entries", "log_hashes", "screenings"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    name: String,
    kind: &'static str,
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    name: String,
    table: String,
    /// Each column, with " DESC" if descending.
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Default, PartialEq)]
struct Schema {
    /// Each table's columns, in name order.
    tables: BTreeMap<String, BTreeSet<Column>>,
    primary_keys: BTreeMap<String, Vec<String>>,
    /// (table, columns) of each UNIQUE constraint (not those made by CREATE UNIQUE INDEX).
    unique: BTreeSet<(String, Vec<String>)>,
    /// Indexes made by CREATE INDEX, by name.
    indexes: BTreeSet<Index>,
    /// (table, column, referenced table, referenced column).
    foreign_keys: BTreeSet<(String, String, String, String)>,
    /// (table, UPDATE or DELETE) that a trigger refuses.
    guarded: BTreeSet<(String, String)>,
}

fn sqlite_kind(declared: &str, column: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" | "INT" => "integer",
        "BLOB" => "bytes",
        "BOOLEAN" => "bool",
        "TEXT" if TIME_COLUMNS.contains(&column) => "time",
        "TEXT" => "text",
        _ => "unknown",
    }
}

fn postgres_kind(data_type: &str) -> &'static str {
    match data_type {
        "integer" | "bigint" | "smallint" => "integer",
        "bytea" => "bytes",
        "boolean" => "bool",
        "timestamp with time zone" => "time",
        "text" => "text",
        _ => "unknown",
    }
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for table in tables {
        let columns =
            sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY pk")
                .bind(&table)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let mut key = Vec::new();
        let mut set = BTreeSet::new();
        for c in &columns {
            let name: String = c.get("name");
            let declared: String = c.get("type");
            let pk: i64 = c.get("pk");
            if pk > 0 {
                key.push(name.clone());
            }
            // An INTEGER PRIMARY KEY is the rowid, which is never NULL.
            let rowid = pk > 0 && declared.eq_ignore_ascii_case("INTEGER");
            let nullable = c.get::<i64, _>("notnull") == 0 && !rowid;
            set.insert(Column { kind: sqlite_kind(&declared, &name), name, nullable });
        }
        if !key.is_empty() {
            schema.primary_keys.insert(table.clone(), key);
        }
        schema.tables.insert(table.clone(), set);

        let indexes = sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
            .bind(&table)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        for i in &indexes {
            let name: String = i.get("name");
            let origin: String = i.get("origin");
            let columns: Vec<String> =
                sqlx::query("SELECT name, \"desc\" FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|c| {
                        let column: String = c.get("name");
                        if c.get::<i64, _>("desc") == 1 { format!("{column} DESC") } else { column }
                    })
                    .collect();
            match origin.as_str() {
                "c" => {
                    schema.indexes.insert(Index {
                        name,
                        table: table.clone(),
                        columns,
                        unique: i.get::<i64, _>("unique") == 1,
                        partial: i.get::<i64, _>("partial") == 1,
                    });
                }
                "u" => {
                    schema.unique.insert((table.clone(), columns));
                }
                // The primary key's own index: the key is read from the columns above.
                _ => {}
            }
        }

        let foreign = sqlx::query("SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1)")
            .bind(&table)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        for f in &foreign {
            schema.foreign_keys.insert((table.clone(), f.get("from"), f.get("table"), f.get("to")));
        }
    }

    let triggers = sqlx::query("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    for t in &triggers {
        let table: String = t.get("tbl_name");
        let sql = t.get::<String, _>("sql").to_ascii_uppercase();
        assert!(sql.contains("RAISE(ABORT"), "the SQLite trigger on {table} does not refuse: {sql}");
        for operation in ["UPDATE", "DELETE"] {
            if sql.contains(&format!("BEFORE {operation} ON")) {
                schema.guarded.insert((table.clone(), operation.to_owned()));
            }
        }
    }
    schema
}

/// The schema, and the tables guarded against TRUNCATE.
async fn postgres_schema(conn: &mut PgConnection) -> (Schema, BTreeSet<String>) {
    let mut schema = Schema::default();
    let columns = sqlx::query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
         c.data_type::text AS data_type, c.is_nullable::text AS is_nullable \
         FROM information_schema.columns c JOIN information_schema.tables t \
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name != '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for c in &columns {
        let data_type: String = c.get("data_type");
        schema.tables.entry(c.get("table_name")).or_default().insert(Column {
            name: c.get("column_name"),
            kind: postgres_kind(&data_type),
            nullable: c.get::<String, _>("is_nullable") == "YES",
        });
    }

    // Primary keys and UNIQUE constraints, their columns in key order.
    let keys = sqlx::query(
        "SELECT c.contype::text AS kind, t.relname::text AS table_name, \
         array_agg(a.attname::text ORDER BY k.n) AS columns \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE ns.nspname = 'public' AND c.contype IN ('p', 'u') AND t.relname != '_sqlx_migrations' \
         GROUP BY c.oid, c.contype, t.relname",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for k in &keys {
        let table: String = k.get("table_name");
        let columns: Vec<String> = k.get("columns");
        match k.get::<String, _>("kind").as_str() {
            "p" => {
                schema.primary_keys.insert(table, columns);
            }
            _ => {
                schema.unique.insert((table, columns));
            }
        }
    }

    // Indexes that no PRIMARY KEY or UNIQUE constraint made.
    let indexes = sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS table_name, x.indisunique AS is_unique, \
         x.indpred IS NOT NULL AS partial, \
         array_agg(a.attname::text || CASE WHEN x.indoption[k.n - 1] & 1 = 1 THEN ' DESC' ELSE '' END \
                   ORDER BY k.n) AS columns \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE ns.nspname = 'public' AND t.relname != '_sqlx_migrations' AND NOT EXISTS \
         (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u')) \
         GROUP BY i.relname, t.relname, x.indisunique, x.indpred",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for i in &indexes {
        schema.indexes.insert(Index {
            name: i.get("name"),
            table: i.get("table_name"),
            columns: i.get("columns"),
            unique: i.get("is_unique"),
            partial: i.get("partial"),
        });
    }

    let foreign = sqlx::query(
        "SELECT t.relname::text AS table_name, a.attname::text AS column_name, \
         r.relname::text AS referenced, ra.attname::text AS referenced_column \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(attnum, referenced_attnum) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.referenced_attnum \
         WHERE ns.nspname = 'public' AND c.contype = 'f'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for f in &foreign {
        schema.foreign_keys.insert((
            f.get("table_name"),
            f.get("column_name"),
            f.get("referenced"),
            f.get("referenced_column"),
        ));
    }

    // Triggers, with the operations each fires on (tgtype: 4 INSERT, 8 DELETE, 16 UPDATE,
    // 32 TRUNCATE; PostgreSQL's catalog/pg_trigger.h). One function may guard several tables.
    let triggers = sqlx::query(
        "SELECT t.relname::text AS table_name, g.tgtype::int4 AS kind, p.prosrc AS body \
         FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_proc p ON p.oid = g.tgfoid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         WHERE ns.nspname = 'public' AND NOT g.tgisinternal",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut truncate = BTreeSet::new();
    for t in &triggers {
        let table: String = t.get("table_name");
        let kind: i32 = t.get("kind");
        let body: String = t.get("body");
        assert!(
            body.contains("RAISE EXCEPTION"),
            "the PostgreSQL trigger on {table} does not refuse: {body}"
        );
        for (bit, operation) in [(8, "DELETE"), (16, "UPDATE")] {
            if kind & bit != 0 {
                schema.guarded.insert((table.clone(), operation.to_owned()));
            }
        }
        if kind & 32 != 0 {
            truncate.insert(table);
        }
    }
    (schema, truncate)
}

/// Asserts each part of the schemas alike, naming the first part that differs.
fn assert_same(sqlite: &Schema, postgres: &Schema) {
    let names = |s: &Schema| s.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(sqlite), names(postgres), "tables (SQLite, then PostgreSQL)");
    for (table, columns) in &sqlite.tables {
        assert_eq!(Some(columns), postgres.tables.get(table), "columns of {table} (SQLite, then PostgreSQL)");
    }
    assert_eq!(sqlite.primary_keys, postgres.primary_keys, "primary keys (SQLite, then PostgreSQL)");
    assert_eq!(sqlite.unique, postgres.unique, "UNIQUE constraints (SQLite, then PostgreSQL)");
    assert_eq!(sqlite.indexes, postgres.indexes, "indexes (SQLite, then PostgreSQL)");
    assert_eq!(sqlite.foreign_keys, postgres.foreign_keys, "foreign keys (SQLite, then PostgreSQL)");
    assert_eq!(sqlite.guarded, postgres.guarded, "append-only guards (SQLite, then PostgreSQL)");
    assert_eq!(sqlite, postgres);
}

fn append_only_guards() -> BTreeSet<(String, String)> {
    APPEND_ONLY
        .iter()
        .flat_map(|t| ["DELETE", "UPDATE"].map(|operation| ((*t).to_owned(), operation.to_owned())))
        .collect()
}

#[tokio::test]
async fn sqlite_and_postgresql_have_one_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let options = SqliteConnectOptions::new().filename(dir.path().join(DATABASE_FILE)).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    let sqlite = sqlite_schema(&mut conn).await;
    conn.close().await.unwrap();
    store.close().await;
    // Whatever PostgreSQL says, every append-only table is guarded, and nothing else is.
    assert_eq!(sqlite.guarded, append_only_guards());
    assert!(sqlite.tables.values().flatten().all(|c| c.kind != "unknown"), "{sqlite:#?}");
    // The catalogue was read, not missed: a few things every version of the schema has.
    assert!(sqlite.tables.contains_key("log_head"), "{sqlite:#?}");
    assert!(sqlite.unique.contains(&("log_checkpoints".to_owned(), vec!["size".to_owned()])));
    let by_received = ["received_at DESC", "id DESC"].map(str::to_owned).to_vec();
    assert!(sqlite.indexes.iter().any(|i| i.name == "requests_by_received" && i.columns == by_received));
    assert!(sqlite.indexes.iter().any(|i| i.name == "requests_by_jti" && i.unique && i.partial));
    let [table, column, referenced, key] = ["events", "request_id", "requests", "id"].map(str::to_owned);
    assert!(sqlite.foreign_keys.contains(&(table, column, referenced, key)), "{:?}", sqlite.foreign_keys);

    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = PgStore::connect(db.url()).await.unwrap();
    let mut conn = PgConnection::connect(db.url()).await.unwrap();
    let (postgres, truncate) = postgres_schema(&mut conn).await;
    conn.close().await.unwrap();
    store.close().await;
    assert_same(&sqlite, &postgres);
    // The one difference: PostgreSQL has TRUNCATE, and refuses it on the same tables.
    assert_eq!(truncate, APPEND_ONLY.iter().map(|t| (*t).to_owned()).collect());
}

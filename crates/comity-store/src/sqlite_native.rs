//! SQLite connections driven on the thread that uses them, through rusqlite: the writer's,
//! on its own thread, and the read pool's, on the caller's.
//!
//! sqlx runs each SQLite statement on a worker thread of its connection and hands the
//! result back over a channel: two thread wake-ups per statement, about 100 µs each on a
//! busy 2-core machine, against a few µs for the statement itself. An intake is about 25
//! statements in the writer, and the writer is the one serial section of the store, so
//! those wake-ups capped signed intake near 300/s (docs/benchmarks.md, "Where intake's time
//! goes"). The writer therefore owns an OS thread and this connection, and runs a whole
//! batch there with no hand-off between statements.
//!
//! The statements are the same text as everywhere else (`crate::db`): SQLite reads `$1`,
//! `$2`, ... as named parameters, and each value is bound by its name, so a placeholder may
//! appear twice or out of order, as with sqlx. Values are bound, and rows read, as sqlx's
//! SQLite driver does (times as fixed-width RFC 3339 text, booleans as 0 and 1), and a
//! failure of SQLite's own reaches the rest of the store as the `sqlx::Error::Database` it
//! would have been, with SQLite's extended result code, so unique and foreign-key
//! violations and passing failures (a full disk) are told apart exactly as before.
//!
//! rusqlite and sqlx share one `libsqlite3-sys`, so this is the same SQLite library.

use std::{
    borrow::Cow,
    future::Future,
    ops::{ControlFlow, Deref, DerefMut},
    path::{Path, PathBuf},
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use comity_core::StoreError;
use rusqlite::{
    OpenFlags, Statement,
    types::{Value, ValueRef},
};

use crate::db::{Arg, Conn, MAX_CACHED_ARGS, Row};
use crate::rows::{At, backend, sqlite_time};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Statements kept prepared. An intake uses about 25 distinct ones, every other write a
/// few more; anything past this many is prepared again when used.
const CACHED_STATEMENTS: usize = 256;

/// The write connection of a SQLite store.
pub(crate) struct NativeConn {
    conn: rusqlite::Connection,
}

impl NativeConn {
    /// Opens the database read-write, with the settings sqlx gives the read connections
    /// and more: WAL, so readers never block the writer nor it them; `synchronous = FULL`,
    /// so a commit is on disk (the WAL fsynced) before COMMIT returns and an `Ok` survives
    /// a power cut; and `secure_delete`, so a deleted row's bytes are overwritten, not left
    /// in a free page: a destroyed production data key (issue 15, crypto-shredding) is gone
    /// from the file, not only unlinked from its table
    /// (<https://sqlite.org/pragma.html#pragma_secure_delete>).
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(sqlx_error)?;
        conn.busy_timeout(busy_timeout).map_err(sqlx_error)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sqlx_error)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sqlx_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(sqlx::Error::Configuration(
                format!(
                    "SQLite kept journal mode {mode:?}; comity needs WAL (is the file on a network share?)"
                )
                .into(),
            ));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlx_error)?;
        conn.pragma_update(None, "secure_delete", "ON").map_err(sqlx_error)?;
        // A write that fails is undone alone, by its savepoint; the pages it changed are
        // kept for that in a statement journal, which would otherwise be a temporary file
        // created and deleted for every write (https://sqlite.org/tempfiles.html).
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(sqlx_error)?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(Self { conn })
    }

    /// Opens a read-only connection, for the read pool.
    fn open_read_only(path: &Path, busy_timeout: Duration) -> Result<Self, sqlx::Error> {
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = rusqlite::Connection::open_with_flags(path, flags).map_err(sqlx_error)?;
        conn.busy_timeout(busy_timeout).map_err(sqlx_error)?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(Self { conn })
    }

    /// Runs statements that take no values (`BEGIN IMMEDIATE`, `COMMIT`, `PRAGMA ...`),
    /// reading and dropping any rows they give.
    pub(crate) fn run_plain(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        self.run(sql, Vec::new(), |_| Ok(ControlFlow::Continue(()))).map(|_| ())
    }

    /// Closes the connection; SQLite folds the write-ahead log into the database when its
    /// last connection closes.
    pub(crate) fn close(self) {
        if let Err((_, e)) = self.conn.close() {
            tracing::warn!(error = %e, "the SQLite write connection did not close cleanly");
        }
    }

    /// Prepares (or takes from the cache) `sql`, binds `args`, and hands each row to
    /// `each`, until it says to stop (as sqlx stops reading when a caller needs only the
    /// first row; SQLite makes a statement's changes at its first step, so a write is
    /// whole either way). Gives the number of rows the statement changed.
    fn run(
        &mut self,
        sql: &str,
        args: Vec<Arg<'_>>,
        mut each: impl FnMut(NativeRow) -> Result<ControlFlow<()>, sqlx::Error>,
    ) -> Result<u64, sqlx::Error> {
        // Like sqlx (`crate::db`), statements with many values are not kept: each length
        // of an `IN` list is a statement of its own.
        let cached = args.len() <= MAX_CACHED_ARGS;
        let run = |stmt: &mut Statement<'_>| -> Result<bool, sqlx::Error> {
            bind(stmt, args)?;
            let readonly = stmt.readonly();
            let columns: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next().map_err(sqlx_error)? {
                let values = (0..columns.len())
                    .map(|i| row.get_ref(i).map(Value::from))
                    .collect::<Result<_, _>>()
                    .map_err(sqlx_error)?;
                if each(NativeRow { columns: Arc::clone(&columns), values })?.is_break() {
                    break;
                }
            }
            Ok(readonly)
        };
        let sql = numbered(sql);
        let readonly = if cached {
            run(&mut *self.conn.prepare_cached(&sql).map_err(sqlx_error)?)?
        } else {
            run(&mut self.conn.prepare(&sql).map_err(sqlx_error)?)?
        };
        // SQLite keeps the count of the last statement that changed rows; one that only
        // reads changed none (as sqlx counts).
        Ok(if readonly { 0 } else { self.conn.changes() })
    }

    /// The statement's first row, if any; the rest are not read.
    fn first(&mut self, sql: &str, args: Vec<Arg<'_>>) -> Result<Option<NativeRow>, sqlx::Error> {
        let mut first = None;
        self.run(sql, args, |row| {
            first = Some(row);
            Ok(ControlFlow::Break(()))
        })?;
        Ok(first)
    }
}

/// Read-only connections, used on the calling thread.
///
/// A read runs where it is asked for, on the async runtime's thread, as the rest of the
/// request's work does (parsing, signatures): the reads comity makes are index lookups and
/// bounded pages of a file in the page cache, microseconds each, and WAL lets a reader
/// neither wait for the writer nor make it wait. Handing each statement to a thread of its
/// own, as sqlx does, cost more than the statement (docs/benchmarks.md).
pub(crate) struct ReadPool {
    path: PathBuf,
    busy_timeout: Duration,
    /// At most this many connections are open at once; a reader beyond waits here.
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<NativeConn>>,
}

impl ReadPool {
    pub(crate) fn new(path: &Path, busy_timeout: Duration, size: usize) -> Arc<Self> {
        Arc::new(Self {
            path: path.to_owned(),
            busy_timeout,
            permits: Arc::new(Semaphore::new(size)),
            idle: Mutex::new(Vec::with_capacity(size)),
        })
    }

    /// A connection, opened if none is idle. After [`ReadPool::close`], an error that
    /// tells the caller to retry (the database cannot be reached), as sqlx's closed pool.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<PooledRead, StoreError> {
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|_| closed())?;
        let idle = self.idle.lock().map_err(|_| closed())?.pop();
        let conn = match idle {
            Some(conn) => conn,
            None => NativeConn::open_read_only(&self.path, self.busy_timeout).map_err(backend)?,
        };
        Ok(PooledRead { conn: Some(conn), pool: Arc::clone(self), _permit: permit })
    }

    /// A connection inside a read transaction: every statement sees one snapshot (WAL).
    pub(crate) async fn snapshot(self: &Arc<Self>) -> Result<ReadSnapshot, StoreError> {
        let mut read = self.acquire().await?;
        // Deferred: the snapshot is taken at the first read and kept until COMMIT.
        read.run_plain("BEGIN").map_err(backend)?;
        Ok(ReadSnapshot { read, open: true })
    }

    /// Closes the idle connections and refuses new readers; those in use are closed as
    /// they come back.
    pub(crate) fn close(&self) {
        self.permits.close();
        if let Ok(mut idle) = self.idle.lock() {
            idle.drain(..).for_each(NativeConn::close);
        }
    }
}

fn closed() -> StoreError {
    backend(sqlx::Error::PoolClosed)
}

/// A connection of the [`ReadPool`], back to it when dropped.
pub(crate) struct PooledRead {
    conn: Option<NativeConn>,
    pool: Arc<ReadPool>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for PooledRead {
    type Target = NativeConn;

    fn deref(&self) -> &NativeConn {
        self.conn.as_ref().expect("a pooled connection is only taken when dropped")
    }
}

impl DerefMut for PooledRead {
    fn deref_mut(&mut self) -> &mut NativeConn {
        self.conn.as_mut().expect("a pooled connection is only taken when dropped")
    }
}

impl Drop for PooledRead {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.pool.permits.is_closed() {
            conn.close();
        } else if let Ok(mut idle) = self.pool.idle.lock() {
            idle.push(conn);
        }
    }
}

/// A read transaction on a connection of the [`ReadPool`]; ended when committed or
/// dropped.
pub(crate) struct ReadSnapshot {
    read: PooledRead,
    open: bool,
}

impl ReadSnapshot {
    /// Ends the read transaction.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.open = false;
        self.read.run_plain("COMMIT")
    }
}

impl Deref for ReadSnapshot {
    type Target = NativeConn;

    fn deref(&self) -> &NativeConn {
        &self.read
    }
}

impl DerefMut for ReadSnapshot {
    fn deref_mut(&mut self) -> &mut NativeConn {
        &mut self.read
    }
}

impl Drop for ReadSnapshot {
    fn drop(&mut self) {
        // A snapshot left by an error: end it, or the connection could not read anything
        // newer. A connection that cannot end it is not given back.
        if self.open
            && self.read.run_plain("ROLLBACK").is_err()
            && let Some(conn) = self.read.conn.take()
        {
            conn.close();
        }
    }
}

/// Binds each value to its `$N`, and refuses a statement whose placeholders and values do
/// not match one for one, as sqlx does.
/// The statement with each `$N` placeholder (sqlx's, and PostgreSQL's) written `?N`,
/// SQLite's numbered form, which binds at index N. A `$N` is a name to SQLite, and finding
/// a name's index scans the statement's names (`sqlite3_bind_parameter_index`), so binding
/// a batch's multi-row insert of 2,000 values by name cost time growing with the square
/// of its size. No statement of comity has a `$` in a string literal; one inside quotes is
/// left as it is all the same.
fn numbered(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut quoted = false;
    let mut out: Option<String> = None;
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'\'' => quoted = !quoted,
            // One ASCII byte for another: the text keeps its length and stays UTF-8.
            b'$' if !quoted && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                out.get_or_insert_with(|| sql.to_owned()).replace_range(i..=i, "?")
            }
            _ => {}
        }
    }
    out.map_or(Cow::Borrowed(sql), Cow::Owned)
}

/// Binds `args` in order: the nth at index n, as [`numbered`] writes the placeholders.
fn bind(stmt: &mut Statement<'_>, args: Vec<Arg<'_>>) -> Result<(), sqlx::Error> {
    let given = args.len();
    let expected = stmt.parameter_count();
    if given < expected {
        return Err(sqlx::Error::Protocol(format!(
            "the statement has {expected} placeholders and was given {given} values"
        )));
    }
    for (index, arg) in (1..=expected).zip(args) {
        let done = match arg {
            Arg::Int(v) => stmt.raw_bind_parameter(index, v),
            Arg::Text(v) => stmt.raw_bind_parameter(index, v.as_deref()),
            Arg::Bytes(v) => stmt.raw_bind_parameter(index, v.as_deref()),
            Arg::Bool(v) => stmt.raw_bind_parameter(index, v),
            Arg::Time(v) => stmt.raw_bind_parameter(index, v.map(sqlite_time)),
        };
        done.map_err(sqlx_error)?;
    }
    Ok(())
}

impl Conn for NativeConn {
    type DB = sqlx::Sqlite;
    type Row = NativeRow;

    // Each method does its work at once, on the calling thread (the writer's), and gives
    // a future that is already done.

    fn execute<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'q {
        std::future::ready(self.run(sql, args, |_| Ok(ControlFlow::Continue(()))))
    }

    fn fetch_optional<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<Option<NativeRow>, sqlx::Error>> + Send + 'q {
        std::future::ready(self.first(sql, args))
    }

    fn fetch_one<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<NativeRow, sqlx::Error>> + Send + 'q {
        std::future::ready(self.first(sql, args).and_then(|row| row.ok_or(sqlx::Error::RowNotFound)))
    }

    fn fetch_all<'q, T, F>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
        mut read: F,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<T>, StoreError>> + Send + 'q>>
    where
        T: Send + 'q,
        F: FnMut(&NativeRow) -> Result<T, StoreError> + Send + 'q,
    {
        let mut read_rows = Vec::new();
        let mut failed = None;
        // A row that does not read stops the reading, as sqlx's stream stops (`crate::db`).
        let ran = self.run(sql, args, |row| match read(&row) {
            Ok(value) => {
                read_rows.push(value);
                Ok(ControlFlow::Continue(()))
            }
            Err(e) => {
                failed = Some(e);
                Ok(ControlFlow::Break(()))
            }
        });
        let result = match (ran, failed) {
            (Err(e), _) => Err(backend(e)),
            (Ok(_), Some(e)) => Err(e),
            (Ok(_), None) => Ok(read_rows),
        };
        Box::pin(std::future::ready(result))
    }
}

/// A row as SQLite gave it, copied out of the statement.
pub(crate) struct NativeRow {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl NativeRow {
    fn value(&self, at: &At<'_>, column: &str) -> Result<&Value, StoreError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .map(|i| &self.values[i])
            .ok_or_else(|| at.corrupt(column, "no such column"))
    }
}

/// What a value is, for the message when it is not what the column should hold.
fn type_name(value: &Value) -> &'static str {
    match ValueRef::from(value) {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "INTEGER",
        ValueRef::Real(_) => "REAL",
        ValueRef::Text(_) => "TEXT",
        ValueRef::Blob(_) => "BLOB",
    }
}

impl Row for NativeRow {
    fn opt_text(&self, at: &At<'_>, column: &str) -> Result<Option<String>, StoreError> {
        match self.value(at, column)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(at.corrupt(column, format!("{} where text was expected", type_name(other)))),
        }
    }

    fn opt_bytes(&self, at: &At<'_>, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.value(at, column)? {
            Value::Null => Ok(None),
            Value::Blob(b) => Ok(Some(b.clone())),
            Value::Text(s) => Ok(Some(s.clone().into_bytes())),
            other => Err(at.corrupt(column, format!("{} where bytes were expected", type_name(other)))),
        }
    }

    fn opt_bool(&self, at: &At<'_>, column: &str) -> Result<Option<bool>, StoreError> {
        match self.value(at, column)? {
            Value::Null => Ok(None),
            Value::Integer(n) => Ok(Some(*n != 0)),
            other => Err(at.corrupt(column, format!("{} where a boolean was expected", type_name(other)))),
        }
    }

    fn opt_int(&self, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError> {
        match self.value(at, column)? {
            Value::Null => Ok(None),
            Value::Integer(n) => Ok(Some(*n)),
            other => Err(at.corrupt(column, format!("{} where an integer was expected", type_name(other)))),
        }
    }

    fn opt_time(&self, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some(text) = self.opt_text(at, column)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| at.corrupt(column, format!("{text:?} is not an RFC 3339 time ({e})")))
    }
}

/// A failure of SQLite itself, as sqlx's SQLite driver would have reported it: the
/// message SQLite gave and its extended result code (<https://sqlite.org/rescode.html>).
#[derive(Debug)]
struct NativeError {
    code: i32,
    message: String,
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.message)
    }
}

impl std::error::Error for NativeError {}

impl sqlx::error::DatabaseError for NativeError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                sqlx::error::ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => sqlx::error::ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => sqlx::error::ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}

/// rusqlite's error as the `sqlx::Error` the rest of the store reads.
fn sqlx_error(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => sqlx::Error::Database(Box::new(NativeError {
            code: failure.extended_code,
            message: message.unwrap_or_else(|| failure.to_string()),
        })),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;
    use crate::db::args;

    fn conn() -> (tempfile::TempDir, NativeConn) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = NativeConn::open(&dir.path().join("t.db"), Duration::from_secs(1)).unwrap();
        conn.run_plain(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, at TEXT, flag INTEGER, raw BLOB)",
        )
        .unwrap();
        (dir, conn)
    }

    const AT: At<'static> = At { table: "t", id: "1" };

    #[tokio::test]
    async fn values_are_bound_by_their_number_whatever_the_order_and_read_back_as_sqlx_reads_them() {
        let (_dir, mut conn) = conn();
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap();
        // $2 before $1, and $1 twice: bound by name, as sqlx binds on SQLite.
        let changed = conn
            .execute(
                "INSERT INTO t (name, id, at, flag, raw) VALUES ($2 || $1, $1, $3, $4, $5)",
                args![7i64, "n", at, true, &b"\x00\x01"[..]],
            )
            .await
            .unwrap();
        assert_eq!(changed, 1);
        let row = conn.fetch_one("SELECT * FROM t WHERE id = $1", args![7i64]).await.unwrap();
        assert_eq!(row.text(&AT, "name").unwrap(), "n7");
        assert_eq!(row.time(&AT, "at").unwrap(), at);
        assert_eq!(row.text(&AT, "at").unwrap(), "2026-12-07T09:30:00.000000Z");
        assert!(row.bool(&AT, "flag").unwrap());
        assert_eq!(row.bytes(&AT, "raw").unwrap(), vec![0, 1]);
        // A read changes nothing, whatever the last write counted.
        assert_eq!(conn.execute("SELECT id FROM t", Vec::new()).await.unwrap(), 0);
        let none = conn.fetch_optional("SELECT * FROM t WHERE id = $1", args![8i64]).await.unwrap();
        assert!(none.is_none());
        assert!(matches!(
            conn.fetch_one("SELECT * FROM t WHERE id = $1", args![8i64]).await,
            Err(sqlx::Error::RowNotFound)
        ));
    }

    #[tokio::test]
    async fn a_statement_of_thousands_of_values_binds_each_by_its_number() {
        let (_dir, mut conn) = conn();
        // A batch's log rows are one insert of many values; each lands in its own row.
        let mut sql = crate::db::Sql::new("INSERT INTO t (id, name) VALUES ");
        sql.rows((1..=1500i64).map(|i| args![i, format!("n{i}")]));
        let (sql, values) = sql.into_parts();
        assert_eq!(conn.execute(&sql, values).await.unwrap(), 1500);
        let row = conn.fetch_one("SELECT name FROM t WHERE id = $1", args![1234i64]).await.unwrap();
        assert_eq!(row.text(&AT, "name").unwrap(), "n1234");
        // A `$` inside a string literal is text, not a placeholder.
        let row = conn.fetch_one("SELECT '$1' || $1 AS name", args!["x"]).await.unwrap();
        assert_eq!(row.text(&AT, "name").unwrap(), "$1x");
        assert_eq!(numbered("a = $1 AND b = '$2' AND c = $10"), "a = ?1 AND b = '$2' AND c = ?10");
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_type_is_corruption_naming_table_row_and_column() {
        let (_dir, mut conn) = conn();
        // Written outside comity: a flag that is not a number, a time that is not a time.
        conn.execute("INSERT INTO t (id, name, at, flag) VALUES (1, 'x', 42, 'yes')", Vec::new())
            .await
            .unwrap();
        let row = conn.fetch_one("SELECT * FROM t", Vec::new()).await.unwrap();
        let err = row.bool(&AT, "flag").unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m) if m == "table t, row 1, column flag: TEXT where a boolean was expected"),
            "{err:?}"
        );
        let err = row.time(&AT, "at").unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt(m) if m.contains("\"42\" is not an RFC 3339 time")),
            "{err:?}"
        );
        assert!(matches!(row.int(&AT, "raw"), Err(StoreError::Corrupt(m)) if m.ends_with("unexpected NULL")));
        assert!(
            matches!(row.text(&AT, "nope"), Err(StoreError::Corrupt(m)) if m.ends_with("no such column"))
        );
    }

    #[tokio::test]
    async fn sqlite_failures_read_as_sqlx_reports_them() {
        let (_dir, mut conn) = conn();
        conn.execute("INSERT INTO t (id, name) VALUES (1, 'x')", Vec::new()).await.unwrap();
        let err = conn.execute("INSERT INTO t (id, name) VALUES (2, 'x')", Vec::new()).await.unwrap_err();
        let db = err.as_database_error().unwrap();
        assert!(db.is_unique_violation(), "{err}");
        assert_eq!(db.code().as_deref(), Some("2067"), "SQLITE_CONSTRAINT_UNIQUE");
        assert_eq!(err.to_string(), "error returned from database: UNIQUE constraint failed: t.name");
        // A statement and its values must match one for one.
        let err = conn.execute("SELECT $1, $2", args![1i64]).await.unwrap_err();
        assert!(err.to_string().contains("2 placeholders and was given 1 values"), "{err}");
        // A failure that passes (here a busy database, code 5) is told apart as before.
        let busy = sqlx_error(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".to_owned()),
        ));
        assert!(matches!(backend(busy), StoreError::Unavailable(m) if m.contains("stayed locked")));
    }

    #[tokio::test]
    async fn a_closed_read_pool_tells_its_callers_to_retry() {
        let (dir, _conn) = conn();
        let pool = ReadPool::new(&dir.path().join("t.db"), Duration::from_secs(1), 2);
        let mut snapshot = pool.snapshot().await.unwrap();
        let rows = snapshot.fetch_all("SELECT id FROM t", Vec::new(), |_| Ok(())).await.unwrap();
        assert!(rows.is_empty());
        snapshot.commit().await.unwrap();
        pool.close();
        assert!(matches!(pool.acquire().await, Err(StoreError::Unavailable(_))));
    }
}

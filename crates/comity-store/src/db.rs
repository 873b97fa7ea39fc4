//! The thin adapter that lets each statement be written once for both databases.
//!
//! Statements are plain SQL with `$1`, `$2`, ... placeholders, which both drivers accept:
//! PostgreSQL natively, and sqlx's SQLite driver binds a `$NNN` parameter to argument NNN
//! (`sqlx-sqlite`'s `arguments.rs`), so a placeholder may appear twice. Their values are
//! [`Arg`]s, and they run on anything that is a [`Conn`]; rows come back as [`Row`]s.
//!
//! Why our own adapter: sqlx's `Any` driver has no timestamp type, and code generic over
//! `sqlx::Database` must restate bounds such as `i64: Encode<'q, DB>` at every function,
//! because Rust does not imply them. Here those bounds are stated once, in the two blanket
//! impls below, and everything else is written against [`Conn`] and [`Row`] alone.
//!
//! What truly differs between the databases is [`Backend`], implemented for
//! [`sqlx::Sqlite`] and [`sqlx::Postgres`] and nothing else: how a time is bound and read
//! (SQLite: fixed-width RFC 3339 text, see [`crate::rows::sqlite_time`]; PostgreSQL:
//! `TIMESTAMPTZ`), how wide a stored integer is (PostgreSQL's `INTEGER` is 32 bits), how a
//! row is locked (PostgreSQL's `FOR UPDATE`; SQLite's one writer holds the whole database
//! already), how a read snapshot begins, and how a result counts its rows.

use std::{borrow::Cow, future::Future, pin::Pin};

use chrono::{DateTime, Utc};
use comity_core::StoreError;
use futures_util::TryStreamExt;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Postgres, Sqlite, Type, TypeInfo,
    ValueRef, database::HasStatementCache, postgres::PgRow, query::Query, sqlite::SqliteRow,
};

use crate::rows::{At, backend, sqlite_time};

/// The most values one statement carries, on both backends: `IN` lists and multi-row
/// inserts are cut into statements of at most this many. SQLite looks each `$NNN` up among
/// the statement's parameter names one by one, so preparing a statement costs the square of
/// its values; 999 (SQLite's limit before 3.32) keeps that small. PostgreSQL allows 65,535.
pub(crate) const MAX_ARGS: usize = 999;

/// Statements with more values than this are not kept prepared: `IN` lists of every
/// length are statements of their own, and would crowd the others out of the cache.
pub(crate) const MAX_CACHED_ARGS: usize = 64;

/// One value of a statement. NULLs are typed, because PostgreSQL must know the type of
/// every parameter.
#[derive(Debug, Clone)]
pub(crate) enum Arg<'q> {
    Int(Option<i64>),
    Text(Option<Cow<'q, str>>),
    Bytes(Option<Cow<'q, [u8]>>),
    Bool(Option<bool>),
    /// Bound as each backend keeps times (see [`Backend::bind`]).
    Time(Option<DateTime<Utc>>),
}

/// The values of a statement, in placeholder order: `args![id, name, at]`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        vec![$($crate::db::Arg::from($arg)),*]
    };
}
pub(crate) use args;

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<u32> for Arg<'_> {
    fn from(v: u32) -> Self {
        Arg::Int(Some(i64::from(v)))
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}

impl<'q> From<&'q str> for Arg<'q> {
    fn from(v: &'q str) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl<'q> From<&'q String> for Arg<'q> {
    fn from(v: &'q String) -> Self {
        Arg::Text(Some(Cow::Borrowed(v)))
    }
}

impl From<String> for Arg<'_> {
    fn from(v: String) -> Self {
        Arg::Text(Some(Cow::Owned(v)))
    }
}

impl<'q> From<Option<&'q str>> for Arg<'q> {
    fn from(v: Option<&'q str>) -> Self {
        Arg::Text(v.map(Cow::Borrowed))
    }
}

impl<'q> From<&'q Option<String>> for Arg<'q> {
    fn from(v: &'q Option<String>) -> Self {
        Arg::Text(v.as_deref().map(Cow::Borrowed))
    }
}

impl From<Option<String>> for Arg<'_> {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v.map(Cow::Owned))
    }
}

impl<'q> From<&'q [u8]> for Arg<'q> {
    fn from(v: &'q [u8]) -> Self {
        Arg::Bytes(Some(Cow::Borrowed(v)))
    }
}

impl<'q> From<&'q Vec<u8>> for Arg<'q> {
    fn from(v: &'q Vec<u8>) -> Self {
        Arg::Bytes(Some(Cow::Borrowed(v)))
    }
}

impl<'q, const N: usize> From<&'q [u8; N]> for Arg<'q> {
    fn from(v: &'q [u8; N]) -> Self {
        Arg::Bytes(Some(Cow::Borrowed(v)))
    }
}

impl From<DateTime<Utc>> for Arg<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(Some(v))
    }
}

impl From<Option<DateTime<Utc>>> for Arg<'_> {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::Time(v)
    }
}

/// A statement of one backend with its values bound.
pub(crate) type Bound<'q, DB> = Query<'q, DB, <DB as Database>::Arguments<'q>>;

/// What differs between SQLite and PostgreSQL, and nothing else.
pub(crate) trait Backend: Database + HasStatementCache {
    /// Appended to a `SELECT` that must lock the rows it reads until the transaction ends.
    /// Empty on SQLite, which has no row locks: its one writer holds the whole database.
    const FOR_UPDATE: &'static str;
    /// Begins a read transaction whose statements all see one snapshot.
    const SNAPSHOT: &'static str;

    /// Binds one value.
    fn bind<'q>(query: Bound<'q, Self>, arg: Arg<'q>) -> Bound<'q, Self>;
    fn rows_affected(done: &Self::QueryResult) -> u64;
    /// An integer column, whatever its stored width.
    fn int(row: &Self::Row, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError>;
    /// A time column.
    fn time(row: &Self::Row, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// Binds every value but times, which `time` binds the backend's way.
fn bind_with<'q, DB>(
    query: Bound<'q, DB>,
    arg: Arg<'q>,
    time: fn(Bound<'q, DB>, Option<DateTime<Utc>>) -> Bound<'q, DB>,
) -> Bound<'q, DB>
where
    DB: Database,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<Cow<'q, str>>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    Option<Vec<u8>>: Encode<'q, DB> + Type<DB>,
    Option<bool>: Encode<'q, DB> + Type<DB>,
{
    match arg {
        Arg::Int(v) => query.bind(v),
        Arg::Text(v) => query.bind(v),
        Arg::Bytes(None) => query.bind(None::<&[u8]>),
        Arg::Bytes(Some(Cow::Borrowed(v))) => query.bind(Some(v)),
        Arg::Bytes(Some(Cow::Owned(v))) => query.bind(Some(v)),
        Arg::Bool(v) => query.bind(v),
        Arg::Time(v) => time(query, v),
    }
}

impl Backend for Sqlite {
    const FOR_UPDATE: &'static str = "";
    // Deferred: the snapshot is taken at the first read and kept to the end (WAL).
    const SNAPSHOT: &'static str = "BEGIN";

    fn bind<'q>(query: Bound<'q, Self>, arg: Arg<'q>) -> Bound<'q, Self> {
        bind_with(query, arg, |query, t| query.bind(t.map(sqlite_time)))
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }

    fn int(row: &SqliteRow, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError> {
        at.get(row, column)
    }

    fn time(row: &SqliteRow, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let Some(text) = at.get::<_, Option<String>>(row, column)? else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| at.corrupt(column, format!("{text:?} is not an RFC 3339 time ({e})")))
    }
}

impl Backend for Postgres {
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    fn bind<'q>(query: Bound<'q, Self>, arg: Arg<'q>) -> Bound<'q, Self> {
        bind_with(query, arg, |query, t| query.bind(t))
    }

    fn rows_affected(done: &Self::QueryResult) -> u64 {
        done.rows_affected()
    }

    fn int(row: &PgRow, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError> {
        // sqlx decodes a column only as the Rust type of its exact width.
        let raw = sqlx::Row::try_get_raw(row, column).map_err(|e| at.corrupt(column, e))?;
        match raw.type_info().name() {
            "INT2" => Ok(at.get::<_, Option<i16>>(row, column)?.map(i64::from)),
            "INT4" => Ok(at.get::<_, Option<i32>>(row, column)?.map(i64::from)),
            _ => at.get(row, column),
        }
    }

    fn time(row: &PgRow, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        at.get(row, column)
    }
}

fn query<'q, DB: Backend>(sql: &'q str, args: Vec<Arg<'q>>) -> Bound<'q, DB> {
    let persistent = args.len() <= MAX_CACHED_ARGS;
    args.into_iter().fold(sqlx::query(sql).persistent(persistent), DB::bind)
}

/// A connection, in or out of a transaction: where statements run.
///
/// Implemented once, for every sqlx connection of a [`Backend`]: SQLite's writer
/// connection, a PostgreSQL transaction, or a connection taken from either read pool.
pub(crate) trait Conn: Send {
    type DB: Backend;
    type Row: Row;

    /// Runs a statement; gives the number of rows it changed.
    fn execute<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'q;

    fn fetch_optional<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'q;

    fn fetch_one<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<Self::Row, sqlx::Error>> + Send + 'q;

    /// Every row, each read by `read` as it arrives and then dropped: holding thousands of
    /// undecoded rows until the last has come costs more than reading them. Boxed, because
    /// the compiler cannot yet prove a caller's future `Send` when it holds an unboxed one
    /// generic over `read` (rust-lang/rust#100013).
    fn fetch_all<'q, T, F>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
        read: F,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<T>, StoreError>> + Send + 'q>>
    where
        T: Send + 'q,
        F: FnMut(&Self::Row) -> Result<T, StoreError> + Send + 'q;

    /// `sql`, a `SELECT`, made to lock the rows it reads until the transaction ends.
    fn locking(sql: &'static str) -> Cow<'static, str> {
        match Self::DB::FOR_UPDATE {
            "" => Cow::Borrowed(sql),
            lock => Cow::Owned(format!("{sql}{lock}")),
        }
    }
}

impl<C> Conn for C
where
    C: sqlx::Connection,
    C::Database: Backend,
    <C::Database as Database>::Row: Row,
    for<'q> <C::Database as Database>::Arguments<'q>: IntoArguments<'q, C::Database>,
    for<'e> &'e mut C: Executor<'e, Database = C::Database>,
{
    type DB = C::Database;
    type Row = <C::Database as Database>::Row;

    fn execute<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'q {
        let done = Executor::execute(self, query::<Self::DB>(sql, args));
        async move { Ok(<Self::DB as Backend>::rows_affected(&done.await?)) }
    }

    fn fetch_optional<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'q {
        Executor::fetch_optional(self, query::<Self::DB>(sql, args))
    }

    fn fetch_one<'q>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
    ) -> impl Future<Output = Result<Self::Row, sqlx::Error>> + Send + 'q {
        Executor::fetch_one(self, query::<Self::DB>(sql, args))
    }

    fn fetch_all<'q, T, F>(
        &'q mut self,
        sql: &'q str,
        args: Vec<Arg<'q>>,
        mut read: F,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<T>, StoreError>> + Send + 'q>>
    where
        T: Send + 'q,
        F: FnMut(&Self::Row) -> Result<T, StoreError> + Send + 'q,
    {
        let mut rows = Executor::fetch(self, query::<Self::DB>(sql, args));
        Box::pin(async move {
            let mut read_rows = Vec::new();
            while let Some(row) = rows.try_next().await.map_err(backend)? {
                read_rows.push(read(&row)?);
            }
            Ok(read_rows)
        })
    }
}

/// A row of either backend. Every error is [`StoreError::Corrupt`] naming the table, the
/// row and the column (`at`): a value that does not read was written outside comity.
pub(crate) trait Row: Send {
    fn opt_text(&self, at: &At<'_>, column: &str) -> Result<Option<String>, StoreError>;
    fn opt_bytes(&self, at: &At<'_>, column: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn opt_bool(&self, at: &At<'_>, column: &str) -> Result<Option<bool>, StoreError>;
    /// An integer of any stored width.
    fn opt_int(&self, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError>;
    fn opt_time(&self, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    fn text(&self, at: &At<'_>, column: &str) -> Result<String, StoreError> {
        required(self.opt_text(at, column)?, at, column)
    }

    fn bytes(&self, at: &At<'_>, column: &str) -> Result<Vec<u8>, StoreError> {
        required(self.opt_bytes(at, column)?, at, column)
    }

    fn bool(&self, at: &At<'_>, column: &str) -> Result<bool, StoreError> {
        required(self.opt_bool(at, column)?, at, column)
    }

    fn int(&self, at: &At<'_>, column: &str) -> Result<i64, StoreError> {
        required(self.opt_int(at, column)?, at, column)
    }

    fn time(&self, at: &At<'_>, column: &str) -> Result<DateTime<Utc>, StoreError> {
        required(self.opt_time(at, column)?, at, column)
    }
}

fn required<T>(value: Option<T>, at: &At<'_>, column: &str) -> Result<T, StoreError> {
    value.ok_or_else(|| at.corrupt(column, "unexpected NULL"))
}

impl<R> Row for R
where
    R: sqlx::Row,
    R::Database: Backend + Database<Row = R>,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    fn opt_text(&self, at: &At<'_>, column: &str) -> Result<Option<String>, StoreError> {
        at.get(self, column)
    }

    fn opt_bytes(&self, at: &At<'_>, column: &str) -> Result<Option<Vec<u8>>, StoreError> {
        at.get(self, column)
    }

    fn opt_bool(&self, at: &At<'_>, column: &str) -> Result<Option<bool>, StoreError> {
        at.get(self, column)
    }

    fn opt_int(&self, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError> {
        <R::Database as Backend>::int(self, at, column)
    }

    fn opt_time(&self, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        <R::Database as Backend>::time(self, at, column)
    }
}

/// A statement built at run time (filters, `IN` lists, multi-row inserts), numbering its
/// placeholders `$1`, `$2`, ... in the order its values are pushed.
#[derive(Debug)]
pub(crate) struct Sql<'q> {
    text: String,
    args: Vec<Arg<'q>>,
}

impl<'q> Sql<'q> {
    pub(crate) fn new(text: &str) -> Self {
        Sql { text: text.to_owned(), args: Vec::new() }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A placeholder for `arg`.
    pub(crate) fn bind(&mut self, arg: impl Into<Arg<'q>>) -> &mut Self {
        self.args.push(arg.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// `($1, $2, ...)`, one placeholder for each value.
    pub(crate) fn list<A: Into<Arg<'q>>>(&mut self, values: impl IntoIterator<Item = A>) -> &mut Self {
        self.text.push('(');
        for (n, value) in values.into_iter().enumerate() {
            if n > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self.text.push(')');
        self
    }

    /// `(...), (...)`: a `VALUES` row for each.
    pub(crate) fn rows(&mut self, rows: impl IntoIterator<Item = Vec<Arg<'q>>>) -> &mut Self {
        for (n, row) in rows.into_iter().enumerate() {
            if n > 0 {
                self.text.push_str(", ");
            }
            self.list(row);
        }
        self
    }

    pub(crate) fn into_parts(self) -> (String, Vec<Arg<'q>>) {
        (self.text, self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_the_order_values_are_pushed() {
        let mut sql = Sql::new("SELECT x FROM t WHERE a = ");
        sql.bind(1i64).push(" AND b IN ").list(["p", "q"]).push(" AND c = ").bind(true);
        let (text, args) = sql.into_parts();
        assert_eq!(text, "SELECT x FROM t WHERE a = $1 AND b IN ($2, $3) AND c = $4");
        assert_eq!(args.len(), 4);
        let mut insert = Sql::new("INSERT INTO t (a, b) VALUES ");
        insert.rows([args![1i64, "x"], args![2i64, "y"]]);
        assert_eq!(insert.into_parts().0, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
    }
}

//! The thin adapter that lets each statement be written once for both databases: for now,
//! reading rows. Rows come back as [`Row`]s, whose readers are written once.
//!
//! Why our own adapter: code generic over `sqlx::Database` must restate bounds such as
//! `String: Decode<'r, DB>` at every function, because Rust does not imply them. Here those
//! bounds are stated once, in the blanket impl below, and the readers are written against
//! [`Row`] alone.
//!
//! What truly differs between the databases is [`Backend`], implemented for
//! [`sqlx::Sqlite`] and [`sqlx::Postgres`]: how a time is read (SQLite: fixed-width RFC 3339
//! text, see [`crate::rows::sqlite_time`]; PostgreSQL: `TIMESTAMPTZ`), and how wide a stored
//! integer is (PostgreSQL's `INTEGER` is 32 bits).

use chrono::{DateTime, Utc};
use comity_core::StoreError;
use sqlx::{
    ColumnIndex, Database, Decode, Postgres, Sqlite, Type, TypeInfo, ValueRef, postgres::PgRow,
    sqlite::SqliteRow,
};

use crate::rows::At;

/// What differs between SQLite and PostgreSQL, and nothing else.
pub(crate) trait Backend: Database {
    /// An integer column, whatever its stored width.
    fn int(row: &Self::Row, at: &At<'_>, column: &str) -> Result<Option<i64>, StoreError>;
    /// A time column.
    fn time(row: &Self::Row, at: &At<'_>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
}

impl Backend for Sqlite {
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

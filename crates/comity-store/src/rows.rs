//! What both backends share: column lists, timestamps, error mapping, and turning stored
//! text back into domain values.
//!
//! Every value read from the database goes through the core parsers again. A row that no
//! longer parses was edited outside comity; it becomes [`StoreError::Corrupt`] naming the
//! table, the row and the column, so an operator can find it, and never a panic.

use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};
use comity_core::{
    ActorId, Authority, AuthorityType, Clock, ClockKind, ClockOutcome, CountryCode, Event, Instrument,
    Organisation, Party, PartyId, PartyRole, Provider, RequestId, RequestKind, RequestQuery, ReviewerBody,
    ReviewerKind, Screening, State, StoreError, StoredCheckpoint, StoredRequest,
};
use sqlx::{ColumnIndex, Decode, Type};

use crate::db::{Row, Sql};

/// The columns of `requests` that [`read_request`] reads. Macros, so that `concat!` builds
/// each statement at compile time.
macro_rules! request_columns {
    () => {
        "id, state, version, received_at, updated_at, authority, provider, instrument, kind, \
         emergency, reference, document, signature, validator, log_salt"
    };
}

/// The columns of `events` that [`read_event`] reads.
/// Read from `events e` joined with the event's log entry `l`.
macro_rules! event_columns {
    () => {
        "e.request_id, e.seq, e.from_state, e.to_state, e.actor, e.at, e.reason, l.idx AS log_index \
         FROM events e LEFT JOIN log_entries l ON l.request_id = e.request_id \
         AND l.subject_kind = 'event' AND l.subject_seq = e.seq"
    };
}

/// Read from `screenings s` joined with the screening's log entry `l`.
macro_rules! screening_columns {
    () => {
        "s.request_id, s.at, s.pack_id, s.pack_version, s.pack_hash, s.verdict, s.report, l.idx AS log_index \
         FROM screenings s LEFT JOIN log_entries l ON l.request_id = s.request_id \
         AND l.subject_kind = 'screening' AND l.subject_seq = s.seq"
    };
}

/// The columns of `log_entries` that `RawRecord::read` reads.
macro_rules! log_columns {
    () => {
        "idx, entry, salt, actor, request_id, subject_kind, subject_seq, subject_id"
    };
}

/// The columns of `parties` that [`read_party`] reads.
macro_rules! party_columns {
    () => {
        "id, role, country, kind, name, institution"
    };
}

/// The columns of `clocks` that [`read_clock`] reads.
macro_rules! clock_columns {
    () => {
        "c.request_id, c.kind, c.due_at, c.set_at, c.closed_at, c.outcome"
    };
}

pub(crate) use {
    clock_columns, event_columns, log_columns, party_columns, request_columns, screening_columns,
};

/// Drops everything below the microsecond.
///
/// PostgreSQL keeps microseconds, so both stores truncate every time they are handed
/// before writing it: a value written and read back then compares equal, on either backend.
pub(crate) fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The SQLite spelling of a time: RFC 3339, UTC, six fractional digits, `Z`. Fixed width,
/// so string order is time order and `ORDER BY received_at` needs no conversion.
/// The due time a request with no running clock carries in `requests.next_due` (migration
/// 0020 writes the same literal): not NULL, so that the inbox's order is one index range.
pub(crate) fn no_deadline() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(253_402_300_799_999_999).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

pub(crate) fn sqlite_time(t: DateTime<Utc>) -> String {
    micros(t).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A foreign key naming a row that does not exist is `NotFound`; anything else is a
/// backend error.
pub(crate) fn not_found_on_foreign_key(e: sqlx::Error) -> StoreError {
    if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) {
        StoreError::NotFound
    } else {
        backend(e)
    }
}

pub(crate) fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
    if let Some(reason) = passing_cause(&*boxed) {
        return StoreError::Unavailable(format!("{reason}: {boxed}"));
    }
    StoreError::Backend(boxed)
}

/// [`passing`] for an error that may wrap the database's own, anywhere in its chain of
/// sources.
pub(crate) fn passing_cause(e: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if let Some(reason) = e.downcast_ref::<sqlx::Error>().and_then(passing) {
            return Some(reason);
        }
        if let Some(StoreError::Unavailable(_)) = e.downcast_ref::<StoreError>() {
            return Some("the database is unavailable");
        }
        cause = e.source();
    }
    None
}

/// Why a failure is one that passes, if it is: the caller should retry later, and the API
/// answers 503 with `Retry-After` rather than 500 (issue 17, item 2). Nothing was written
/// by a failed transaction, so a retry is safe.
fn passing(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        // Every connection busy for the whole acquire timeout: overload, not a fault.
        sqlx::Error::PoolTimedOut => Some("every database connection stayed busy"),
        // The server went away (restarted, or the network between), or this pool is closing.
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            Some("the database cannot be reached")
        }
        sqlx::Error::Database(d) => {
            let code = d.code()?;
            match code.as_ref() {
                // PostgreSQL's SQLSTATE (Appendix A): class 08 connection exception; 57P01
                // to 57P03, shut down or starting up; class 53, out of disk, memory or
                // connections; 40001 and 40P01, a serialization failure or deadlock whose
                // transaction was rolled back and may be retried.
                c if c.starts_with("08") => Some("the database connection failed"),
                "57P01" | "57P02" | "57P03" => Some("the database is restarting"),
                c if c.starts_with("53") => {
                    Some("the database is out of resources (disk, memory or connections)")
                }
                "40001" | "40P01" => Some("the transaction met a concurrent one"),
                // SQLite's result codes (sqlite.org/rescode.html), which sqlx gives extended:
                // the primary code is the low byte. 13 SQLITE_FULL, the disk is full; 10
                // SQLITE_IOERR, the disk failed a read or write; 5 and 6, busy or locked
                // past the busy timeout.
                c => match c.parse::<i32>().map(|n| n & 0xff) {
                    Ok(13) => Some("the disk is full"),
                    Ok(10) => Some("the disk failed a read or write"),
                    Ok(5 | 6) => Some("the database stayed locked"),
                    _ => None,
                },
            }
        }
        _ => None,
    }
}

/// A failure that is not the database's own: bad configuration, an unusable directory.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SetupError(pub(crate) String);

/// The register column's spelling of a role.
pub(crate) fn role_column(role: PartyRole) -> &'static str {
    role.as_str()
}

/// The conflict a second party with a known id gets. `existing_role` is the `role` column
/// of the party already there, if it could be read.
pub(crate) fn party_exists(id: &PartyId, existing_role: Option<&str>) -> StoreError {
    match existing_role {
        Some(role) => {
            let role = PartyRole::parse(role).map_or(role, |r| r.noun());
            StoreError::Conflict(format!("a party with id {id} is already registered (as {role})"))
        }
        None => StoreError::Conflict(format!("a party with id {id} is already registered")),
    }
}

pub(crate) fn request_exists(id: RequestId) -> StoreError {
    StoreError::Conflict(format!("a request with id {id} exists"))
}

/// Why a compare-and-set move found nothing to update, from the request's current row
/// (`None`: there is no such request).
pub(crate) fn move_refused(m: &comity_core::Move, current: Option<(String, i64)>) -> StoreError {
    match current {
        None => StoreError::NotFound,
        Some((state, version)) if version == i64::from(m.expected_version) => {
            // Same version, other state: the caller's `from` was not what it read.
            StoreError::Conflict(format!(
                "the request is {state}, not {} (version {version}); reload it and try again",
                m.from
            ))
        }
        Some((state, version)) => StoreError::Conflict(format!(
            "the request moved to {state} meanwhile (version {version}); reload it and try again"
        )),
    }
}

/// The columns a party is stored as.
pub(crate) struct PartyColumns<'a> {
    pub id: &'a str,
    pub role: &'static str,
    pub country: &'a str,
    pub kind: Option<&'static str>,
    pub name: &'a str,
    /// The institution it was registered with, if any (not the default of itself).
    pub institution: Option<&'a str>,
}

impl<'a> PartyColumns<'a> {
    pub(crate) fn of(party: &'a Party) -> Self {
        let (country, kind, institution) = match party {
            Party::Authority(a) => (&a.country, Some(a.authority_type.as_str()), &a.institution),
            Party::Provider(p) => (&p.country, None, &p.institution),
            Party::Reviewer(r) => (&r.country, Some(r.kind.as_str()), &r.institution),
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => {
                (&o.country, None, &o.institution)
            }
        };
        Self {
            id: party.id().as_str(),
            role: role_column(party.role()),
            country: country.as_str(),
            kind,
            name: party.name(),
            institution: institution.as_ref().map(PartyId::as_str),
        }
    }
}

/// Where a value was read from, for the message of [`StoreError::Corrupt`].
pub(crate) struct At<'a> {
    pub table: &'static str,
    pub id: &'a str,
}

impl At<'_> {
    pub(crate) fn corrupt(&self, column: &str, detail: impl fmt::Display) -> StoreError {
        StoreError::Corrupt(format!("table {}, row {}, column {column}: {detail}", self.table, self.id))
    }

    /// Reads a column with sqlx; a value of the wrong type is corruption, not a database
    /// failure. Only [`crate::db`] calls this: everything else reads through [`Row`].
    pub(crate) fn get<'r, R, T>(&self, row: &'r R, column: &str) -> Result<T, StoreError>
    where
        R: sqlx::Row,
        T: Decode<'r, R::Database> + Type<R::Database>,
        for<'c> &'c str: ColumnIndex<R>,
    {
        row.try_get(column).map_err(|e| self.corrupt(column, e))
    }

    pub(crate) fn party_id(&self, column: &str, s: &str) -> Result<PartyId, StoreError> {
        PartyId::parse(s).map_err(|e| self.corrupt(column, e))
    }

    pub(crate) fn state(&self, column: &str, s: &str) -> Result<State, StoreError> {
        State::parse(s).ok_or_else(|| self.corrupt(column, format!("{s:?} is not a state")))
    }

    fn counter(&self, column: &str, n: i64) -> Result<u32, StoreError> {
        match u32::try_from(n) {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(self.corrupt(column, format!("{n} is not a positive 32-bit number"))),
        }
    }

    /// A column that holds a count or an index: never negative.
    pub(crate) fn unsigned(&self, column: &str, n: i64) -> Result<u64, StoreError> {
        u64::try_from(n).map_err(|e| self.corrupt(column, e))
    }
}

/// Reads a row's key column first, so every later error can name the row.
pub(crate) fn row_id(row: &impl Row, table: &'static str, column: &str) -> Result<String, StoreError> {
    row.text(&At { table, id: "?" }, column)
}

/// A `requests` row (the columns of `request_columns!`).
pub(crate) fn read_request(row: &impl Row) -> Result<StoredRequest, StoreError> {
    let id = row_id(row, "requests", "id")?;
    let at = At { table: "requests", id: &id };
    let instrument = row.text(&at, "instrument")?;
    let kind = row.text(&at, "kind")?;
    Ok(StoredRequest {
        id: RequestId::parse(&id).map_err(|e| at.corrupt("id", e))?,
        state: at.state("state", &row.text(&at, "state")?)?,
        version: at.counter("version", row.int(&at, "version")?)?,
        received_at: row.time(&at, "received_at")?,
        updated_at: row.time(&at, "updated_at")?,
        authority: at.party_id("authority", &row.text(&at, "authority")?)?,
        provider: at.party_id("provider", &row.text(&at, "provider")?)?,
        instrument: Instrument::parse(&instrument)
            .ok_or_else(|| at.corrupt("instrument", format!("{instrument:?} is not an instrument")))?,
        kind: RequestKind::parse(&kind)
            .ok_or_else(|| at.corrupt("kind", format!("{kind:?} is not a request kind")))?,
        emergency: row.bool(&at, "emergency")?,
        reference: row.text(&at, "reference")?,
        document: row.text(&at, "document")?,
        signature: row.opt_text(&at, "signature")?,
        validator: row.opt_text(&at, "validator")?.map(|v| at.party_id("validator", &v)).transpose()?,
        log_salt: row
            .opt_bytes(&at, "log_salt")?
            .and_then(|salt| <[u8; 32]>::try_from(salt).ok())
            .ok_or_else(|| at.corrupt("log_salt", "not 32 bytes"))?,
    })
}

/// An `events` row with its log index (the columns of `event_columns!`).
pub(crate) fn read_event(row: &impl Row) -> Result<Event, StoreError> {
    let request_id = row_id(row, "events", "request_id")?;
    let at = At { table: "events", id: &request_id };
    let seq = row.int(&at, "seq")?;
    let named = format!("{request_id} seq {seq}");
    let at = At { table: "events", id: &named };
    Ok(Event {
        request_id: RequestId::parse(&request_id).map_err(|e| at.corrupt("request_id", e))?,
        seq: at.counter("seq", seq)?,
        from: row.opt_text(&at, "from_state")?.map(|s| at.state("from_state", &s)).transpose()?,
        to: at.state("to_state", &row.text(&at, "to_state")?)?,
        actor: ActorId::parse(&row.text(&at, "actor")?).map_err(|e| at.corrupt("actor", e))?,
        at: row.time(&at, "at")?,
        reason: row.text(&at, "reason")?,
        log_index: row.opt_int(&at, "log_index")?.map(|i| at.unsigned("log_index", i)).transpose()?,
    })
}

/// A `screenings` row with its log index (the columns of `screening_columns!`).
pub(crate) fn read_screening(row: &impl Row) -> Result<Screening, StoreError> {
    let request_id = row_id(row, "screenings", "request_id")?;
    let at = At { table: "screenings", id: &request_id };
    Ok(Screening {
        request_id: RequestId::parse(&request_id).map_err(|e| at.corrupt("request_id", e))?,
        at: row.time(&at, "at")?,
        pack_id: row.text(&at, "pack_id")?,
        pack_version: row.text(&at, "pack_version")?,
        pack_hash: row.text(&at, "pack_hash")?,
        verdict: row.text(&at, "verdict")?,
        report: row.text(&at, "report")?,
        log_index: row.opt_int(&at, "log_index")?.and_then(|i| u64::try_from(i).ok()),
    })
}

/// A `clocks` row (the columns of `clock_columns!`).
pub(crate) fn read_clock(row: &impl Row) -> Result<Clock, StoreError> {
    let request_id = row_id(row, "clocks", "request_id")?;
    let at = At { table: "clocks", id: &request_id };
    let kind = row.text(&at, "kind")?;
    let closed = match (row.opt_time(&at, "closed_at")?, row.opt_text(&at, "outcome")?) {
        (Some(when), Some(outcome)) => Some((
            when,
            ClockOutcome::parse(&outcome).ok_or_else(|| at.corrupt("outcome", format!("{outcome:?}")))?,
        )),
        (None, None) => None,
        _ => return Err(at.corrupt("outcome", "closed_at and outcome disagree")),
    };
    Ok(Clock {
        request_id: RequestId::parse(&request_id).map_err(|e| at.corrupt("request_id", e))?,
        kind: ClockKind::parse(&kind).ok_or_else(|| at.corrupt("kind", format!("{kind:?}")))?,
        due: row.time(&at, "due_at")?,
        set_at: row.time(&at, "set_at")?,
        closed,
    })
}

/// A `parties` row (the columns of `party_columns!`).
pub(crate) fn read_party(row: &impl Row) -> Result<Party, StoreError> {
    let raw_id = row_id(row, "parties", "id")?;
    let at = At { table: "parties", id: &raw_id };
    let role = row.text(&at, "role")?;
    let country = row.text(&at, "country")?;
    let kind = row.opt_text(&at, "kind")?;
    let name = row.text(&at, "name")?;
    let institution = row.opt_text(&at, "institution")?;
    let id = at.party_id("id", &raw_id)?;
    let country = CountryCode::parse(&country).map_err(|e| at.corrupt("country", e))?;
    let kind = || kind.as_deref().ok_or_else(|| at.corrupt("kind", "missing (NULL)"));
    let institution = institution.as_deref().map(|i| at.party_id("institution", i)).transpose()?;
    // Parties without a kind ignore a stray value there: it changes nothing.
    match PartyRole::parse(&role) {
        Some(PartyRole::Authority) => {
            let kind = kind()?;
            let authority_type = AuthorityType::parse(kind)
                .ok_or_else(|| at.corrupt("kind", format!("{kind:?} is not an authority type")))?;
            Ok(Party::Authority(Authority { id, country, authority_type, name, institution }))
        }
        Some(PartyRole::Provider) => Ok(Party::Provider(Provider { id, country, name, institution })),
        Some(PartyRole::Reviewer) => {
            let kind = kind()?;
            let kind = ReviewerKind::parse(kind)
                .ok_or_else(|| at.corrupt("kind", format!("{kind:?} is not a reviewer kind")))?;
            Ok(Party::Reviewer(ReviewerBody { id, country, kind, name, institution }))
        }
        Some(PartyRole::Auditor) => Ok(Party::Auditor(Organisation { id, country, name, institution })),
        Some(PartyRole::Operator) => Ok(Party::Operator(Organisation { id, country, name, institution })),
        Some(PartyRole::Representative) => {
            Ok(Party::Representative(Organisation { id, country, name, institution }))
        }
        None => Err(at.corrupt("role", format!("{role:?} is not a role"))),
    }
}

/// `select` followed by the query's filters, ANDed. Each filter has an index that already
/// holds rows newest first (see the migrations).
pub(crate) fn filtered<'a>(select: &str, q: &'a RequestQuery) -> Sql<'a> {
    let mut sql = Sql::new(select);
    filter(&mut sql, q);
    sql
}

/// Appends `q`'s filters to `sql` as a `WHERE` clause, and returns what joins one more
/// condition to it: `" AND "` after a filter, `" WHERE "` when there was none.
pub(crate) fn filter<'a>(sql: &mut Sql<'a>, q: &'a RequestQuery) -> &'static str {
    let mut glue = " WHERE ";
    // (the SQL before the value, the value, the SQL after it)
    let filters = [
        ("state = ", q.state.map(State::as_str), ""),
        ("authority = ", q.authority.as_ref().map(PartyId::as_str), ""),
        ("provider = ", q.provider.as_ref().map(PartyId::as_str), ""),
        // Assigned and not taken off since (a body once taken off is never assigned again:
        // the journal's unique index on assignments).
        (
            "id IN (SELECT a.request_id FROM journal a WHERE a.kind = 'reviewer.assigned' AND a.subject = ",
            q.reviewer.as_ref().map(PartyId::as_str),
            " AND NOT EXISTS (SELECT 1 FROM journal u WHERE u.kind = 'reviewer.unassigned' \
             AND u.request_id = a.request_id AND u.subject = a.subject))",
        ),
    ];
    for (before, value, after) in filters {
        if let Some(value) = value {
            sql.push(glue).push(before).bind(value).push(after);
            glue = " AND ";
        }
    }
    // The issuing side: the authority that issued, or the one that validated.
    if let Some(issuer) = &q.issuer {
        sql.push(glue)
            .push("(authority = ")
            .bind(issuer.as_str())
            .push(" OR validator = ")
            .bind(issuer.as_str())
            .push(")");
        glue = " AND ";
    }
    glue
}

/// `LIMIT` and `OFFSET` of a 1-based page (page 0 is read as page 1).
pub(crate) fn limit_offset(q: &RequestQuery) -> (i64, i64) {
    let per_page = i64::from(q.per_page);
    (per_page, i64::from(q.page.max(1) - 1) * per_page)
}

/// A `named_targets` row (selector type, value, last request, last seen).
pub(crate) fn read_named_target(row: &impl Row) -> Result<comity_core::NamedTarget, StoreError> {
    let value = row_id(row, "named_targets", "value")?;
    let at = At { table: "named_targets", id: &value };
    let kind = row.text(&at, "selector_type")?;
    let kind = comity_core::SelectorType::parse(&kind)
        .ok_or_else(|| at.corrupt("selector_type", format!("{kind:?}")))?;
    let last_request = row.text(&at, "last_request")?;
    Ok(comity_core::NamedTarget {
        kind,
        key: value.clone(),
        last_request: RequestId::parse(&last_request).map_err(|e| at.corrupt("last_request", e))?,
        last_seen: row.time(&at, "last_seen")?,
    })
}

/// A `(state, n)` row of `count_by_state`.
pub(crate) fn read_state_count(row: &impl Row) -> Result<(State, u64), StoreError> {
    let at = At { table: "requests", id: "(any)" };
    let state = at.state("state", &row.text(&at, "state")?)?;
    let count = u64::try_from(row.int(&at, "n")?).map_err(|_| at.corrupt("state", "negative count"))?;
    Ok((state, count))
}

/// A row of `pack_use`: one pack version and the requests it judged.
pub(crate) fn read_pack_use(row: &impl Row) -> Result<comity_core::PackUse, StoreError> {
    let hash = row.text(&At { table: "screenings", id: "(any)" }, "pack_hash")?;
    let at = At { table: "screenings", id: &hash };
    let requests = u64::try_from(row.int(&at, "n")?).map_err(|_| at.corrupt("n", "negative count"))?;
    Ok(comity_core::PackUse {
        pack_id: row.text(&at, "pack_id")?,
        pack_version: row.text(&at, "pack_version")?,
        requests,
        first_at: row.time(&at, "first_at")?,
        pack_hash: hash,
    })
}

/// A `log_checkpoints` row, without its cosignatures.
pub(crate) fn read_checkpoint(row: &impl Row) -> Result<StoredCheckpoint, StoreError> {
    let seq = row.int(&At { table: "log_checkpoints", id: "?" }, "seq")?;
    let id = seq.to_string();
    let at = At { table: "log_checkpoints", id: &id };
    Ok(StoredCheckpoint {
        seq: at.unsigned("seq", seq)?,
        size: at.unsigned("size", row.int(&at, "size")?)?,
        note: row.bytes(&at, "note")?,
        at: row.time(&at, "at")?,
        cosignatures: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_times_are_fixed_width_utc_microseconds() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).single();
        let Some(t) = t else { panic!("valid time") };
        assert_eq!(sqlite_time(t), "2023-11-14T22:13:20.123456Z");
        let whole = Utc.timestamp_opt(1_700_000_000, 0).single();
        let Some(whole) = whole else { panic!("valid time") };
        assert_eq!(sqlite_time(whole), "2023-11-14T22:13:20.000000Z");
        assert_eq!(micros(t).timestamp_subsec_nanos(), 123_456_000);
    }
}

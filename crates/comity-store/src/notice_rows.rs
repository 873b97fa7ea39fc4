//! The outbox of notices (issue 13, item 8): its statements, written once for both
//! backends, and its rows.
//!
//! - Feeding moves `notice_cursor` with a compare-and-set and writes the notices of the
//!   entries it moved past in the same transaction; `notices_once` (unique per log entry
//!   and endpoint) makes a second feeding of the same entries write nothing.
//! - Taking sets `leased_until` on due notices no one holds, in one `UPDATE ... RETURNING`
//!   whose own `WHERE` repeats the conditions: on PostgreSQL a second worker's update
//!   waits for the first's row lock, re-checks the row, finds it leased and skips it; on
//!   SQLite the one writer runs them one after the other.

use chrono::{DateTime, Utc};
use comity_core::{
    Channel, ClockKind, ClockOutcome, Endpoint, JournalEntry, NewEntry, NewNotice, Notice, NoticeEvent,
    NoticeOutcome, NoticeQuery, NoticeStatus, NoticeWhat, RequestId, StoreError,
};

use crate::db::{Conn, Row, Sql, args};
use crate::rows::{At, backend, micros};
use crate::trust_rows::{self, read_journal};

macro_rules! notice_columns {
    () => {
        "id, log_index, party, channel, address, event, request_id, state, happened_at, clock, clock_outcome, \
         status, attempts, next_attempt_at, last_error, delivered_at, created_at"
    };
}

fn int(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(backend)
}

pub(crate) async fn journal_entry<C: Conn>(
    conn: &mut C,
    seq: u64,
) -> Result<Option<JournalEntry>, StoreError> {
    let row = conn
        .fetch_optional(
            concat!("SELECT ", crate::trust_rows::journal_columns!(), " WHERE j.seq = $1"),
            args![int(seq)?],
        )
        .await
        .map_err(backend)?;
    row.map(|row| read_journal(&row)).transpose()
}

pub(crate) async fn cursor<C: Conn>(conn: &mut C) -> Result<u64, StoreError> {
    let row = conn
        .fetch_one("SELECT next_index FROM notice_cursor WHERE id = 1", args![])
        .await
        .map_err(backend)?;
    let at = At { table: "notice_cursor", id: "1" };
    at.unsigned("next_index", row.int(&at, "next_index")?)
}

/// Moves the cursor from `from` to `to` and writes `notices`, or refuses if another feeder
/// moved it first. A notice is due from when what it tells happened.
pub(crate) async fn feed<C: Conn>(
    conn: &mut C,
    from: u64,
    to: u64,
    notices: &[NewNotice],
) -> Result<u64, StoreError> {
    if to < from {
        return Err(StoreError::Conflict(format!("the notice cursor cannot move back from {from} to {to}")));
    }
    let moved = conn
        .execute(
            "UPDATE notice_cursor SET next_index = $1 WHERE id = 1 AND next_index = $2",
            args![int(to)?, int(from)?],
        )
        .await
        .map_err(backend)?;
    if moved == 0 {
        return Err(StoreError::Conflict(format!(
            "the notices of the log from entry {from} were written already by another server"
        )));
    }
    let created_at = micros(Utc::now());
    let mut written = 0;
    for n in notices {
        if n.log_index < from || n.log_index >= to {
            return Err(StoreError::Conflict(format!(
                "a notice of log entry {} is outside the entries fed ({from} to {to})",
                n.log_index
            )));
        }
        let (clock, outcome) = match n.what.clock {
            Some((c, o)) => (Some(c.as_str()), Some(o.as_str())),
            None => (None, None),
        };
        written += conn
            .execute(
                "INSERT INTO notices (log_index, party, channel, address, event, request_id, state, happened_at, \
                 clock, clock_outcome, status, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $8, $11) \
                 ON CONFLICT (log_index, party, channel, address) DO NOTHING",
                args![
                    int(n.log_index)?,
                    n.to.party.as_str(),
                    n.to.channel.as_str(),
                    n.to.address.as_str(),
                    n.what.event.as_str(),
                    n.what.request.to_string(),
                    n.what.state.as_str(),
                    micros(n.what.at),
                    clock,
                    outcome,
                    created_at,
                ],
            )
            .await
            .map_err(backend)?;
    }
    Ok(written)
}

pub(crate) async fn take<C: Conn>(
    conn: &mut C,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Notice>, StoreError> {
    conn.fetch_all(
        concat!(
            "UPDATE notices SET leased_until = $1 \
             WHERE id IN (SELECT id FROM notices WHERE status = 'pending' AND next_attempt_at <= $2 \
             AND (leased_until IS NULL OR leased_until <= $2) ORDER BY next_attempt_at, id LIMIT $3) \
             AND status = 'pending' AND (leased_until IS NULL OR leased_until <= $2) \
             RETURNING ",
            notice_columns!()
        ),
        args![micros(lease_until), micros(now), limit],
        read_notice,
    )
    .await
    .map(|mut taken| {
        // RETURNING gives no order.
        taken.sort_by_key(|n| (n.next_attempt_at, n.id));
        taken
    })
}

/// Records an attempt's outcome on a pending notice; a dead letter's fact is the caller's
/// to write after it.
pub(crate) async fn record<C: Conn>(
    conn: &mut C,
    id: u64,
    outcome: &NoticeOutcome,
) -> Result<(), StoreError> {
    let id = int(id)?;
    let changed = match outcome {
        NoticeOutcome::Delivered { at } => {
            conn.execute(
                "UPDATE notices SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, \
                 leased_until = NULL, last_error = NULL WHERE id = $2 AND status = 'pending'",
                args![micros(*at), id],
            )
            .await
        }
        NoticeOutcome::Retry { next, error, attempted } => {
            conn.execute(
                "UPDATE notices SET attempts = attempts + $1, next_attempt_at = $2, last_error = $3, \
                 leased_until = NULL WHERE id = $4 AND status = 'pending'",
                args![i64::from(*attempted), micros(*next), error.as_str(), id],
            )
            .await
        }
        NoticeOutcome::Dead { error, .. } => {
            conn.execute(
                "UPDATE notices SET status = 'dead', attempts = attempts + 1, last_error = $1, \
                 leased_until = NULL WHERE id = $2 AND status = 'pending'",
                args![error.as_str(), id],
            )
            .await
        }
    }
    .map_err(backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Puts a dead notice back, due at `at`.
pub(crate) async fn revive<C: Conn>(conn: &mut C, id: u64, at: DateTime<Utc>) -> Result<(), StoreError> {
    let changed = conn
        .execute(
            "UPDATE notices SET status = 'pending', attempts = 0, next_attempt_at = $1, leased_until = NULL \
             WHERE id = $2 AND status = 'dead'",
            args![micros(at), int(id)?],
        )
        .await
        .map_err(backend)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn notice<C: Conn>(conn: &mut C, id: u64) -> Result<Option<Notice>, StoreError> {
    // An id beyond what the column holds names no notice.
    let Ok(id) = i64::try_from(id) else { return Ok(None) };
    let row = conn
        .fetch_optional(concat!("SELECT ", notice_columns!(), " FROM notices WHERE id = $1"), args![id])
        .await
        .map_err(backend)?;
    row.map(|row| read_notice(&row)).transpose()
}

pub(crate) async fn notices<C: Conn>(conn: &mut C, q: &NoticeQuery) -> Result<Vec<Notice>, StoreError> {
    let mut sql = Sql::new(concat!("SELECT ", notice_columns!(), " FROM notices WHERE 1 = 1"));
    if let Some(status) = q.status {
        sql.push(" AND status = ").bind(status.as_str());
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(q.limit);
    let (sql, args) = sql.into_parts();
    conn.fetch_all(&sql, args, read_notice).await
}

/// Writes a notice's journal fact with its audit-log entry's pending append.
pub(crate) async fn fact<C: Conn>(conn: &mut C, entry: &NewEntry) -> Result<Vec<JournalEntry>, StoreError> {
    trust_rows::insert_journal(conn, std::slice::from_ref(entry)).await
}

fn read_notice(row: &impl Row) -> Result<Notice, StoreError> {
    let raw = row.int(&At { table: "notices", id: "?" }, "id")?;
    let id = raw.to_string();
    let at = At { table: "notices", id: &id };
    let vocab = |column: &str, parsed: Option<()>, value: &str| -> Result<(), StoreError> {
        parsed.ok_or_else(|| at.corrupt(column, format!("{value:?} is not known")))
    };
    let channel = row.text(&at, "channel")?;
    let event = row.text(&at, "event")?;
    let status = row.text(&at, "status")?;
    let request = row.text(&at, "request_id")?;
    let clock = match (row.opt_text(&at, "clock")?, row.opt_text(&at, "clock_outcome")?) {
        (Some(c), Some(o)) => {
            let kind = ClockKind::parse(&c);
            vocab("clock", kind.map(|_| ()), &c)?;
            let outcome = ClockOutcome::parse(&o);
            vocab("clock_outcome", outcome.map(|_| ()), &o)?;
            kind.zip(outcome)
        }
        _ => None,
    };
    let channel_parsed = Channel::parse(&channel);
    vocab("channel", channel_parsed.map(|_| ()), &channel)?;
    let event_parsed = NoticeEvent::parse(&event);
    vocab("event", event_parsed.map(|_| ()), &event)?;
    let status_parsed = NoticeStatus::parse(&status);
    vocab("status", status_parsed.map(|_| ()), &status)?;
    let (Some(channel), Some(event), Some(status)) = (channel_parsed, event_parsed, status_parsed) else {
        return Err(at.corrupt("status", "unreadable"));
    };
    let state = row.text(&at, "state")?;
    Ok(Notice {
        id: at.unsigned("id", raw)?,
        log_index: at.unsigned("log_index", row.int(&at, "log_index")?)?,
        to: Endpoint {
            party: at.party_id("party", &row.text(&at, "party")?)?,
            channel,
            address: row.text(&at, "address")?,
        },
        what: NoticeWhat {
            event,
            request: RequestId::parse(&request).map_err(|e| at.corrupt("request_id", e))?,
            state: at.state("state", &state)?,
            at: row.time(&at, "happened_at")?,
            clock,
        },
        status,
        attempts: u32::try_from(row.int(&at, "attempts")?).map_err(|e| at.corrupt("attempts", e))?,
        next_attempt_at: row.time(&at, "next_attempt_at")?,
        last_error: row.opt_text(&at, "last_error")?,
        delivered_at: row.opt_time(&at, "delivered_at")?,
        created_at: row.time(&at, "created_at")?,
    })
}

//! The trust registers on PostgreSQL: each write one transaction, appending its journal
//! entries' log entries before it commits (see `super::PgStore::append`).

use chrono::{DateTime, Utc};
use comity_core::{
    JournalEntry, LinkRecord, NewEntry, PartyId, SessionRecord, StoreError, TokenRecord, UserRecord, Username,
};
use sqlx::{PgConnection, PgPool, Postgres};

use crate::log::Pending;
use crate::rows::{backend, micros, not_found_on_foreign_key};
use crate::trust_rows::{
    is_unique_violation, journal_conflict, link_columns, read_link, session_columns, token_columns,
    user_columns,
};

/// A unique violation is the caller's conflict; anything else a backend error.
fn taken(e: sqlx::Error, message: String) -> StoreError {
    if is_unique_violation(&e) { StoreError::Conflict(message) } else { not_found_on_foreign_key(e) }
}

/// Inserts journal rows; gives them back with their numbers, and their pending log entries.
pub(super) async fn insert_journal(
    conn: &mut PgConnection,
    entries: &[NewEntry],
) -> Result<(Vec<JournalEntry>, Vec<Pending>), StoreError> {
    let mut written = Vec::with_capacity(entries.len());
    let mut pending = Vec::with_capacity(entries.len());
    for e in entries {
        let at = micros(e.at);
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO journal (at, kind, actor, party, subject, request_id, content) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
        )
        .bind(at)
        .bind(e.fact.kind().as_str())
        .bind(e.actor.as_str())
        .bind(e.party.as_ref().map(PartyId::as_str))
        .bind(&e.subject)
        .bind(e.request_id.map(|r| r.to_string()))
        .bind(crate::journal::encode(&e.fact))
        .fetch_one(&mut *conn)
        .await
        .map_err(|err| if is_unique_violation(&err) { journal_conflict(e) } else { backend(err) })?;
        let entry = crate::journal::written(e, u64::try_from(seq).map_err(backend)?, at);
        pending.push(Pending::journal(&entry)?);
        written.push(entry);
    }
    Ok((written, pending))
}

/// Gives each written entry its log index.
pub(super) fn indexed(written: Vec<JournalEntry>, indexes: &[u64]) -> Vec<JournalEntry> {
    written.into_iter().zip(indexes).map(|(e, i)| JournalEntry { log_index: Some(*i), ..e }).collect()
}

pub(super) async fn add_user(
    conn: &mut PgConnection,
    user: &UserRecord,
    entry: &NewEntry,
) -> Result<(Vec<JournalEntry>, Vec<Pending>), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO users (",
        user_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(user.username.as_str())
    .bind(user.org.as_str())
    .bind(user.role.as_str())
    .bind(&user.name)
    .bind(&user.password_hash)
    .bind(&user.totp_sealed)
    .bind(user.totp_last_step.and_then(|s| i64::try_from(s).ok()))
    .bind(micros(user.created_at))
    .bind(user.disabled_at.map(micros))
    .execute(&mut *conn)
    .await
    .map_err(|e| taken(e, format!("the user name {} is taken", user.username)))?;
    insert_journal(conn, std::slice::from_ref(entry)).await
}

pub(super) async fn disable_user(
    conn: &mut PgConnection,
    user: &Username,
    at: DateTime<Utc>,
    entry: &NewEntry,
) -> Result<(Vec<JournalEntry>, Vec<Pending>), StoreError> {
    let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL")
        .bind(micros(at))
        .bind(user.as_str())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE username = $2 AND ended_at IS NULL")
        .bind(micros(at))
        .bind(user.as_str())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    insert_journal(conn, std::slice::from_ref(entry)).await
}

pub(super) async fn add_token(
    conn: &mut PgConnection,
    t: &TokenRecord,
    entry: &NewEntry,
) -> Result<(Vec<JournalEntry>, Vec<Pending>), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO api_tokens (",
        token_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&t.id)
    .bind(t.org.as_str())
    .bind(t.role.as_str())
    .bind(&t.label)
    .bind(t.secret_hash.as_slice())
    .bind(micros(t.created_at))
    .bind(micros(t.expires_at))
    .bind(t.revoked_at.map(micros))
    .execute(&mut *conn)
    .await
    .map_err(|e| taken(e, format!("a token with id {} exists", t.id)))?;
    insert_journal(conn, std::slice::from_ref(entry)).await
}

pub(super) async fn revoke_token(
    conn: &mut PgConnection,
    id: &str,
    at: DateTime<Utc>,
    entry: &NewEntry,
) -> Result<(Vec<JournalEntry>, Vec<Pending>), StoreError> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(micros(at))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    insert_journal(conn, std::slice::from_ref(entry)).await
}

pub(super) async fn add_link(
    conn: &mut PgConnection,
    l: &LinkRecord,
    entry: &NewEntry,
) -> Result<(Vec<JournalEntry>, Vec<Pending>), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO verification_links (",
        link_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(l.secret_hash.as_slice())
    .bind(l.request_id.to_string())
    .bind(l.contact.as_str())
    .bind(micros(l.created_at))
    .bind(micros(l.expires_at))
    .bind(l.used_at.map(micros))
    .execute(&mut *conn)
    .await
    .map_err(not_found_on_foreign_key)?;
    insert_journal(conn, std::slice::from_ref(entry)).await
}

pub(super) async fn use_totp_step(pool: &PgPool, user: &Username, step: u64) -> Result<bool, StoreError> {
    let step = i64::try_from(step).map_err(backend)?;
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE username = $2 \
         AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user.as_str())
    .execute(pool)
    .await
    .map_err(backend)?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn set_password(pool: &PgPool, user: &Username, hash: &str) -> Result<(), StoreError> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(hash)
        .bind(user.as_str())
        .execute(pool)
        .await
        .map_err(backend)?;
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

pub(super) async fn login_failed(pool: &PgPool, name: &str, at: DateTime<Utc>) -> Result<u32, StoreError> {
    let failures: i32 = sqlx::query_scalar(
        "INSERT INTO login_throttle (name, failures, last_failure) VALUES ($1, 1, $2) \
         ON CONFLICT (name) DO UPDATE SET failures = login_throttle.failures + 1, \
         last_failure = excluded.last_failure RETURNING failures",
    )
    .bind(name)
    .bind(micros(at))
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

pub(super) async fn lock_login(pool: &PgPool, name: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE name = $2")
        .bind(micros(until))
        .bind(name)
        .execute(pool)
        .await
        .map_err(backend)?;
    Ok(())
}

pub(super) async fn clear_login_failures(pool: &PgPool, name: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_throttle WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
        .map_err(backend)?;
    Ok(())
}

pub(super) async fn add_session(pool: &PgPool, s: &SessionRecord) -> Result<(), StoreError> {
    sqlx::query(concat!("INSERT INTO sessions (", session_columns!(), ") VALUES ($1, $2, $3, $4, $5)"))
        .bind(s.id_hash.as_slice())
        .bind(s.username.as_str())
        .bind(micros(s.created_at))
        .bind(micros(s.expires_at))
        .bind(s.ended_at.map(micros))
        .execute(pool)
        .await
        .map_err(not_found_on_foreign_key)?;
    Ok(())
}

pub(super) async fn end_session(pool: &PgPool, hash: &[u8; 32], at: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL")
        .bind(micros(at))
        .bind(hash.as_slice())
        .execute(pool)
        .await
        .map_err(backend)?;
    Ok(())
}

pub(super) async fn use_link(
    pool: &PgPool,
    hash: &[u8; 32],
    at: DateTime<Utc>,
) -> Result<Option<LinkRecord>, StoreError> {
    let at = micros(at);
    let row = sqlx::query(concat!(
        "UPDATE verification_links SET used_at = $1 \
         WHERE secret_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING ",
        link_columns!()
    ))
    .bind(at)
    .bind(hash.as_slice())
    .fetch_optional(pool)
    .await
    .map_err(backend)?;
    row.map(|r| read_link(&r)).transpose()
}

crate::trust_rows::trust_reads!(Postgres, PgPool);
crate::trust_rows::track_record!(Postgres, PgConnection);

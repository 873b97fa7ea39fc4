//! The trust registers on SQLite: writes run in the writer task like every other write
//! (see `super`), reads on the read pool.

use chrono::{DateTime, Utc};
use comity_core::{
    JournalEntry, LinkRecord, NewEntry, PartyId, SessionRecord, StoreError, TokenRecord, UserRecord, Username,
};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use super::Log;
use crate::log::Pending;
use crate::rows::{backend, micros, not_found_on_foreign_key, sqlite_time};
use crate::trust_rows::{
    is_unique_violation, journal_conflict, link_columns, read_link, session_columns, token_columns,
    user_columns,
};

/// A write to the trust registers, run by the writer task.
pub(super) enum TrustOp {
    AppendJournal(Vec<NewEntry>),
    AddUser(Box<UserRecord>, NewEntry),
    UseTotpStep(Username, u64),
    DisableUser(Username, DateTime<Utc>, NewEntry),
    SetPassword(Username, String),
    LoginFailed(String, DateTime<Utc>),
    LockLogin(String, DateTime<Utc>),
    ClearLoginFailures(String),
    AddSession(SessionRecord),
    EndSession([u8; 32], DateTime<Utc>),
    AddToken(Box<TokenRecord>, NewEntry),
    RevokeToken(String, DateTime<Utc>, NewEntry),
    AddLink(LinkRecord, NewEntry),
    UseLink([u8; 32], DateTime<Utc>),
}

/// What a trust write answers.
pub(super) enum TrustAnswer {
    Journal(Vec<JournalEntry>),
    Flag(bool),
    Count(u32),
    Link(Option<LinkRecord>),
    Done,
}

fn one(mut entries: Vec<JournalEntry>) -> TrustAnswer {
    entries.truncate(1);
    TrustAnswer::Journal(entries)
}

pub(super) async fn run(
    conn: &mut SqliteConnection,
    log: &mut Log<'_>,
    op: &TrustOp,
) -> Result<TrustAnswer, StoreError> {
    match op {
        TrustOp::AppendJournal(entries) => append(conn, log, entries).await.map(TrustAnswer::Journal),
        TrustOp::AddUser(user, entry) => {
            sqlx::query(concat!(
                "INSERT INTO users (",
                user_columns!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .bind(user.username.as_str())
            .bind(user.org.as_str())
            .bind(user.role.as_str())
            .bind(&user.name)
            .bind(&user.password_hash)
            .bind(&user.totp_sealed)
            .bind(user.totp_last_step.and_then(|s| i64::try_from(s).ok()))
            .bind(sqlite_time(user.created_at))
            .bind(user.disabled_at.map(sqlite_time))
            .execute(&mut *conn)
            .await
            .map_err(|e| taken(e, format!("the user name {} is taken", user.username)))?;
            append(conn, log, std::slice::from_ref(entry)).await.map(one)
        }
        TrustOp::DisableUser(user, at, entry) => {
            let done =
                sqlx::query("UPDATE users SET disabled_at = ? WHERE username = ? AND disabled_at IS NULL")
                    .bind(sqlite_time(*at))
                    .bind(user.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE username = ? AND ended_at IS NULL")
                .bind(sqlite_time(*at))
                .bind(user.as_str())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            append(conn, log, std::slice::from_ref(entry)).await.map(one)
        }
        TrustOp::UseTotpStep(user, step) => {
            let step = i64::try_from(*step).map_err(backend)?;
            let done = sqlx::query(
                "UPDATE users SET totp_last_step = ? WHERE username = ? \
                 AND (totp_last_step IS NULL OR totp_last_step < ?)",
            )
            .bind(step)
            .bind(user.as_str())
            .bind(step)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            Ok(TrustAnswer::Flag(done.rows_affected() == 1))
        }
        TrustOp::SetPassword(user, hash) => {
            let done = sqlx::query("UPDATE users SET password_hash = ? WHERE username = ?")
                .bind(hash)
                .bind(user.as_str())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(TrustAnswer::Done) }
        }
        TrustOp::LoginFailed(name, at) => {
            let failures: i64 = sqlx::query_scalar(
                "INSERT INTO login_throttle (name, failures, last_failure) VALUES (?, 1, ?) \
                 ON CONFLICT (name) DO UPDATE SET failures = failures + 1, last_failure = excluded.last_failure \
                 RETURNING failures",
            )
            .bind(name)
            .bind(sqlite_time(*at))
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
            Ok(TrustAnswer::Count(u32::try_from(failures).unwrap_or(u32::MAX)))
        }
        TrustOp::LockLogin(name, until) => {
            sqlx::query("UPDATE login_throttle SET locked_until = ? WHERE name = ?")
                .bind(sqlite_time(*until))
                .bind(name)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            Ok(TrustAnswer::Done)
        }
        TrustOp::ClearLoginFailures(name) => {
            sqlx::query("DELETE FROM login_throttle WHERE name = ?")
                .bind(name)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            Ok(TrustAnswer::Done)
        }
        TrustOp::AddSession(s) => {
            sqlx::query(concat!("INSERT INTO sessions (", session_columns!(), ") VALUES (?, ?, ?, ?, ?)"))
                .bind(s.id_hash.as_slice())
                .bind(s.username.as_str())
                .bind(sqlite_time(s.created_at))
                .bind(sqlite_time(s.expires_at))
                .bind(s.ended_at.map(sqlite_time))
                .execute(&mut *conn)
                .await
                .map_err(not_found_on_foreign_key)?;
            Ok(TrustAnswer::Done)
        }
        TrustOp::EndSession(hash, at) => {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL")
                .bind(sqlite_time(*at))
                .bind(hash.as_slice())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            Ok(TrustAnswer::Done)
        }
        TrustOp::AddToken(t, entry) => {
            sqlx::query(concat!(
                "INSERT INTO api_tokens (",
                token_columns!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            ))
            .bind(&t.id)
            .bind(t.org.as_str())
            .bind(t.role.as_str())
            .bind(&t.label)
            .bind(t.secret_hash.as_slice())
            .bind(sqlite_time(t.created_at))
            .bind(sqlite_time(t.expires_at))
            .bind(t.revoked_at.map(sqlite_time))
            .execute(&mut *conn)
            .await
            .map_err(|e| taken(e, format!("a token with id {} exists", t.id)))?;
            append(conn, log, std::slice::from_ref(entry)).await.map(one)
        }
        TrustOp::RevokeToken(id, at, entry) => {
            let done =
                sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                    .bind(sqlite_time(*at))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            append(conn, log, std::slice::from_ref(entry)).await.map(one)
        }
        TrustOp::AddLink(l, entry) => {
            sqlx::query(concat!(
                "INSERT INTO verification_links (",
                link_columns!(),
                ") VALUES (?, ?, ?, ?, ?, ?)"
            ))
            .bind(l.secret_hash.as_slice())
            .bind(l.request_id.to_string())
            .bind(l.contact.as_str())
            .bind(sqlite_time(l.created_at))
            .bind(sqlite_time(l.expires_at))
            .bind(l.used_at.map(sqlite_time))
            .execute(&mut *conn)
            .await
            .map_err(not_found_on_foreign_key)?;
            append(conn, log, std::slice::from_ref(entry)).await.map(one)
        }
        TrustOp::UseLink(hash, at) => {
            let at = sqlite_time(*at);
            let row = sqlx::query(concat!(
                "UPDATE verification_links SET used_at = ? \
                 WHERE secret_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING ",
                link_columns!()
            ))
            .bind(&at)
            .bind(hash.as_slice())
            .bind(&at)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
            Ok(TrustAnswer::Link(row.map(|r| read_link(&r)).transpose()?))
        }
    }
}

/// A unique violation is the caller's conflict; anything else a backend error.
fn taken(e: sqlx::Error, message: String) -> StoreError {
    if is_unique_violation(&e) { StoreError::Conflict(message) } else { not_found_on_foreign_key(e) }
}

/// Inserts journal rows and appends their log entries.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    log: &mut Log<'_>,
    entries: &[NewEntry],
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut written = Vec::with_capacity(entries.len());
    for e in entries {
        let at = micros(e.at);
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO journal (at, kind, actor, party, subject, request_id, content) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        )
        .bind(sqlite_time(at))
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
        let index = log.append(conn, vec![Pending::journal(&entry)?]).await?[0];
        written.push(JournalEntry { log_index: Some(index), ..entry });
    }
    Ok(written)
}

crate::trust_rows::trust_reads!(Sqlite, SqlitePool);
crate::trust_rows::track_record!(Sqlite, SqliteConnection);

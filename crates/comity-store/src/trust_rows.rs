//! The trust registers' rows, read the same way on both backends (see `comity_core::trust`).
//!
//! Times are read as each backend keeps them (see `crate::db::Backend`). Every value goes
//! through the core parsers again; a row that does not parse is [`StoreError::Corrupt`].

use crate::db::Row;
use crate::rows::{At, row_id};
use comity_core::{
    ActorId, JournalEntry, LinkRecord, PartyId, RequestId, Role, SessionRecord, StoreError, TokenRecord,
    UserRecord, Username,
};

macro_rules! journal_columns {
    () => {
        "j.seq, j.at, j.kind, j.actor, j.party, j.subject, j.request_id, j.content, l.idx AS log_index \
         FROM journal j LEFT JOIN log_entries l ON l.subject_kind = 'journal' AND l.subject_seq = j.seq"
    };
}
macro_rules! user_columns {
    () => {
        "username, org, role, name, password_hash, totp_sealed, totp_last_step, created_at, disabled_at"
    };
}
macro_rules! token_columns {
    () => {
        "id, org, role, label, secret_hash, created_at, expires_at, revoked_at"
    };
}
macro_rules! session_columns {
    () => {
        "id_hash, username, created_at, expires_at, ended_at"
    };
}
macro_rules! link_columns {
    () => {
        "secret_hash, request_id, contact, created_at, expires_at, used_at"
    };
}
pub(crate) use {journal_columns, link_columns, session_columns, token_columns, user_columns};

fn party(at: &At<'_>, column: &str, s: &str) -> Result<PartyId, StoreError> {
    PartyId::parse(s).map_err(|e| at.corrupt(column, e))
}

fn role(at: &At<'_>, s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| at.corrupt("role", format!("{s:?} is not a role")))
}

fn hash(at: &At<'_>, column: &str, bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes.try_into().map_err(|_| at.corrupt(column, "not 32 bytes"))
}

/// A `journal` row (the columns of `journal_columns!`).
pub(crate) fn read_journal(row: &impl Row) -> Result<JournalEntry, StoreError> {
    let seq = row.int(&At { table: "journal", id: "?" }, "seq")?;
    let id = seq.to_string();
    let at = At { table: "journal", id: &id };
    let actor = row.text(&at, "actor")?;
    Ok(JournalEntry {
        seq: at.unsigned("seq", seq)?,
        at: row.time(&at, "at")?,
        kind: row.text(&at, "kind")?,
        actor: ActorId::parse(&actor).map_err(|e| at.corrupt("actor", e))?,
        party: row.opt_text(&at, "party")?.map(|p| party(&at, "party", &p)).transpose()?,
        subject: row.text(&at, "subject")?,
        request_id: row
            .opt_text(&at, "request_id")?
            .map(|r| RequestId::parse(&r).map_err(|e| at.corrupt("request_id", e)))
            .transpose()?,
        content: row.text(&at, "content")?,
        log_index: row.opt_int(&at, "log_index")?.map(|i| at.unsigned("log_index", i)).transpose()?,
    })
}

/// A `users` row.
pub(crate) fn read_user(row: &impl Row) -> Result<UserRecord, StoreError> {
    let name = row_id(row, "users", "username")?;
    let at = At { table: "users", id: &name };
    Ok(UserRecord {
        username: Username::parse(&name).map_err(|e| at.corrupt("username", e))?,
        org: party(&at, "org", &row.text(&at, "org")?)?,
        role: role(&at, &row.text(&at, "role")?)?,
        name: row.text(&at, "name")?,
        password_hash: row.text(&at, "password_hash")?,
        totp_sealed: row.bytes(&at, "totp_sealed")?,
        totp_last_step: row
            .opt_int(&at, "totp_last_step")?
            .map(|s| at.unsigned("totp_last_step", s))
            .transpose()?,
        created_at: row.time(&at, "created_at")?,
        disabled_at: row.opt_time(&at, "disabled_at")?,
    })
}

/// An `api_tokens` row.
pub(crate) fn read_token(row: &impl Row) -> Result<TokenRecord, StoreError> {
    let id = row_id(row, "api_tokens", "id")?;
    let at = At { table: "api_tokens", id: &id };
    Ok(TokenRecord {
        org: party(&at, "org", &row.text(&at, "org")?)?,
        role: role(&at, &row.text(&at, "role")?)?,
        label: row.text(&at, "label")?,
        secret_hash: hash(&at, "secret_hash", row.bytes(&at, "secret_hash")?)?,
        created_at: row.time(&at, "created_at")?,
        expires_at: row.time(&at, "expires_at")?,
        revoked_at: row.opt_time(&at, "revoked_at")?,
        id: id.clone(),
    })
}

/// A `sessions` row.
pub(crate) fn read_session(row: &impl Row) -> Result<SessionRecord, StoreError> {
    let name = row_id(row, "sessions", "username")?;
    let at = At { table: "sessions", id: &name };
    Ok(SessionRecord {
        id_hash: hash(&at, "id_hash", row.bytes(&at, "id_hash")?)?,
        username: Username::parse(&name).map_err(|e| at.corrupt("username", e))?,
        created_at: row.time(&at, "created_at")?,
        expires_at: row.time(&at, "expires_at")?,
        ended_at: row.opt_time(&at, "ended_at")?,
    })
}

/// A `verification_links` row.
pub(crate) fn read_link(row: &impl Row) -> Result<LinkRecord, StoreError> {
    let request = row_id(row, "verification_links", "request_id")?;
    let at = At { table: "verification_links", id: &request };
    let contact = row.text(&at, "contact")?;
    Ok(LinkRecord {
        secret_hash: hash(&at, "secret_hash", row.bytes(&at, "secret_hash")?)?,
        request_id: RequestId::parse(&request).map_err(|e| at.corrupt("request_id", e))?,
        contact: Username::parse(&contact).map_err(|e| at.corrupt("contact", e))?,
        created_at: row.time(&at, "created_at")?,
        expires_at: row.time(&at, "expires_at")?,
        used_at: row.opt_time(&at, "used_at")?,
    })
}

/// The conflict a journal entry meets when what it registers is registered already.
pub(crate) fn journal_conflict(e: &JournalEntry) -> StoreError {
    let party = e.party.as_ref().map_or_else(String::new, |p| format!(" of {p}"));
    StoreError::Conflict(match e.kind.as_str() {
        "key.added" => format!("a key with id {} is already registered", e.subject),
        "contact.added" => format!("a contact {}{party} is already registered", e.subject),
        "reviewer.assigned" => format!("{} is already assigned to this request", e.subject),
        other => format!("this {other} entry is already recorded"),
    })
}

/// True when `e` is the violation of a unique index (a second registration).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// The track record's counts, as kept in `authority_records`.
pub(crate) const AUTHORITY_RECORD: &str =
    "SELECT requests, rejected, emergencies, held, confirmed FROM authority_records WHERE authority = ";

/// The track record kept up to date inside the transaction of each write, the same on
/// both backends: `track_record!(Sqlite, SqliteConnection)`. `count_intake` counts a new
/// request; `count_event` counts what an event adds: a first rejection, an emergency held,
/// a held emergency confirmed. Call it after the event is inserted.
macro_rules! track_record {
    ($db:ty, $conn:ty) => {
        pub(crate) async fn count_intake(
            conn: &mut $conn,
            authority: &comity_core::PartyId,
            emergency: bool,
        ) -> Result<(), comity_core::StoreError> {
            let mut q = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO authority_records (authority, requests, emergencies) VALUES (",
            );
            q.push_bind(authority.as_str()).push(", 1, ").push_bind(i64::from(emergency)).push(
                ") ON CONFLICT (authority) DO UPDATE SET requests = authority_records.requests + 1, \
                 emergencies = authority_records.emergencies + excluded.emergencies",
            );
            q.build().execute(&mut *conn).await.map_err($crate::rows::backend)?;
            Ok(())
        }

        pub(crate) async fn count_event(
            conn: &mut $conn,
            authority: &comity_core::PartyId,
            event: &comity_core::Event,
        ) -> Result<(), comity_core::StoreError> {
            use comity_core::State;
            let column = match (event.from, event.to) {
                (_, State::Rejected) => "rejected",
                (_, State::PendingVerification) => "held",
                (Some(State::PendingVerification), State::UnderReview) => "confirmed",
                _ => return Ok(()),
            };
            let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                "UPDATE authority_records SET {column} = {column} + 1 WHERE authority = "
            ));
            q.push_bind(authority.as_str());
            if event.to == State::Rejected {
                // A request rejected, appealed and rejected again counts once.
                q.push(" AND (SELECT COUNT(*) FROM events WHERE request_id = ")
                    .push_bind(event.request_id.to_string())
                    .push(" AND to_state = 'rejected') = 1");
            }
            q.build().execute(&mut *conn).await.map_err($crate::rows::backend)?;
            Ok(())
        }
    };
}
pub(crate) use track_record;

/// The reads of the trust registers, the same on both backends: `trust_reads!(Sqlite,
/// SqlitePool)` in one, `trust_reads!(Postgres, PgPool)` in the other. `QueryBuilder`
/// writes each backend's placeholders, so each statement is written once.
macro_rules! trust_reads {
    ($db:ty, $pool:ty) => {
        fn select(sql: &str) -> sqlx::QueryBuilder<'_, $db> {
            sqlx::QueryBuilder::<$db>::new(sql)
        }

        pub(super) async fn journal(
            pool: &$pool,
            q: &comity_core::JournalQuery,
        ) -> Result<Vec<comity_core::JournalEntry>, comity_core::StoreError> {
            let mut query =
                select(concat!("SELECT ", $crate::trust_rows::journal_columns!(), " WHERE 1 = 1"));
            if !q.kinds.is_empty() {
                query.push(" AND j.kind IN (");
                let mut list = query.separated(", ");
                for k in &q.kinds {
                    list.push_bind(k.as_str());
                }
                list.push_unseparated(")");
            }
            if let Some(p) = &q.party {
                query.push(" AND j.party = ").push_bind(p.as_str());
            }
            if let Some(s) = &q.subject {
                query.push(" AND j.subject = ").push_bind(s.as_str());
            }
            if let Some(r) = q.request_id {
                query.push(" AND j.request_id = ").push_bind(r.to_string());
            }
            query.push(" ORDER BY j.seq");
            let rows = query.build().fetch_all(pool).await.map_err($crate::rows::backend)?;
            rows.iter().map($crate::trust_rows::read_journal).collect()
        }

        pub(super) async fn authority_record(
            pool: &$pool,
            authority: &comity_core::PartyId,
        ) -> Result<comity_core::AuthorityRecord, comity_core::StoreError> {
            let mut query = select($crate::trust_rows::AUTHORITY_RECORD);
            query.push_bind(authority.as_str());
            let row: Option<(i64, i64, i64, i64, i64)> =
                query.build_query_as().fetch_optional(pool).await.map_err($crate::rows::backend)?;
            let (requests, rejected, emergencies, held, confirmed) = row.unwrap_or_default();
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            Ok(comity_core::AuthorityRecord {
                requests: n(requests),
                rejected: n(rejected),
                emergencies: n(emergencies),
                held: n(held),
                confirmed: n(confirmed),
            })
        }

        pub(super) async fn user(
            pool: &$pool,
            name: &comity_core::Username,
        ) -> Result<Option<comity_core::UserRecord>, comity_core::StoreError> {
            let mut query = select(concat!(
                "SELECT ",
                $crate::trust_rows::user_columns!(),
                " FROM users WHERE username = "
            ));
            query.push_bind(name.as_str());
            let row = query.build().fetch_optional(pool).await.map_err($crate::rows::backend)?;
            row.map(|r| $crate::trust_rows::read_user(&r)).transpose()
        }

        pub(super) async fn users(
            pool: &$pool,
        ) -> Result<Vec<comity_core::UserRecord>, comity_core::StoreError> {
            let rows = select(concat!(
                "SELECT ",
                $crate::trust_rows::user_columns!(),
                " FROM users ORDER BY username"
            ))
            .build()
            .fetch_all(pool)
            .await
            .map_err($crate::rows::backend)?;
            rows.iter().map($crate::trust_rows::read_user).collect()
        }

        pub(super) async fn login_throttle(
            pool: &$pool,
            name: &str,
        ) -> Result<Option<comity_core::Throttle>, comity_core::StoreError> {
            let mut query =
                select("SELECT CAST(failures AS BIGINT), locked_until FROM login_throttle WHERE name = ");
            query.push_bind(name);
            let row: Option<(i64, Option<chrono::DateTime<chrono::Utc>>)> =
                query.build_query_as().fetch_optional(pool).await.map_err($crate::rows::backend)?;
            Ok(row.map(|(failures, locked_until)| comity_core::Throttle {
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                locked_until,
            }))
        }

        pub(super) async fn session(
            pool: &$pool,
            hash: &[u8; 32],
        ) -> Result<Option<comity_core::SessionRecord>, comity_core::StoreError> {
            let mut query = select(concat!(
                "SELECT ",
                $crate::trust_rows::session_columns!(),
                " FROM sessions WHERE id_hash = "
            ));
            query.push_bind(hash.as_slice());
            let row = query.build().fetch_optional(pool).await.map_err($crate::rows::backend)?;
            row.map(|r| $crate::trust_rows::read_session(&r)).transpose()
        }

        pub(super) async fn token(
            pool: &$pool,
            id: &str,
        ) -> Result<Option<comity_core::TokenRecord>, comity_core::StoreError> {
            let mut query = select(concat!(
                "SELECT ",
                $crate::trust_rows::token_columns!(),
                " FROM api_tokens WHERE id = "
            ));
            query.push_bind(id);
            let row = query.build().fetch_optional(pool).await.map_err($crate::rows::backend)?;
            row.map(|r| $crate::trust_rows::read_token(&r)).transpose()
        }

        pub(super) async fn tokens(
            pool: &$pool,
        ) -> Result<Vec<comity_core::TokenRecord>, comity_core::StoreError> {
            let rows = select(concat!(
                "SELECT ",
                $crate::trust_rows::token_columns!(),
                " FROM api_tokens ORDER BY created_at DESC, id"
            ))
            .build()
            .fetch_all(pool)
            .await
            .map_err($crate::rows::backend)?;
            rows.iter().map($crate::trust_rows::read_token).collect()
        }

        pub(super) async fn link(
            pool: &$pool,
            hash: &[u8; 32],
        ) -> Result<Option<comity_core::LinkRecord>, comity_core::StoreError> {
            let mut query = select(concat!(
                "SELECT ",
                $crate::trust_rows::link_columns!(),
                " FROM verification_links WHERE secret_hash = "
            ));
            query.push_bind(hash.as_slice());
            let row = query.build().fetch_optional(pool).await.map_err($crate::rows::backend)?;
            row.map(|r| $crate::trust_rows::read_link(&r)).transpose()
        }
    };
}
pub(crate) use trust_reads;

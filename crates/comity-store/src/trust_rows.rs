//! The trust registers (see `comity_core::trust`): their statements, written once for
//! both backends, and their rows read back.
//!
//! Writes run inside a write transaction of `crate::writes`, which appends the journal
//! entries they return to the log. Every value read goes through the core parsers again;
//! a row that does not parse is [`StoreError::Corrupt`].

use chrono::{DateTime, Utc};
use comity_core::{
    ActorId, AuthorityRecord, FactKind, JournalEntry, JournalQuery, LinkRecord, LoginSlot, NewEntry, PartyId,
    RequestId, Role, SessionRecord, State, StoreError, TokenRecord, UserRecord, Username,
};

use crate::db::{Conn, Row, Sql, args};
use crate::rows::{At, backend, micros, not_found_on_foreign_key, row_id};

macro_rules! journal_columns {
    () => {
        "j.seq, j.at, j.kind, j.actor, j.party, j.subject, j.request_id, j.content, l.idx AS log_index \
         FROM journal j LEFT JOIN log_entries l ON l.subject_kind = 'journal' AND l.subject_seq = j.seq"
    };
}
pub(crate) use journal_columns;
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
    let content = row.text(&at, "content")?;
    let fact =
        crate::journal::decode(&row.text(&at, "kind")?, &content).map_err(|e| at.corrupt("content", e))?;
    Ok(JournalEntry {
        seq: at.unsigned("seq", seq)?,
        at: row.time(&at, "at")?,
        actor: ActorId::parse(&actor).map_err(|e| at.corrupt("actor", e))?,
        party: row.opt_text(&at, "party")?.map(|p| party(&at, "party", &p)).transpose()?,
        subject: row.text(&at, "subject")?,
        request_id: row
            .opt_text(&at, "request_id")?
            .map(|r| RequestId::parse(&r).map_err(|e| at.corrupt("request_id", e)))
            .transpose()?,
        fact,
        content,
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
fn journal_conflict(e: &NewEntry) -> StoreError {
    let party = e.party.as_ref().map_or_else(String::new, |p| format!(" of {p}"));
    StoreError::Conflict(match e.fact.kind() {
        FactKind::KeyAdded => format!("a key with id {} is already registered", e.subject),
        FactKind::ContactAdded => format!("a contact {}{party} is already registered", e.subject),
        FactKind::ReviewerAssigned => format!("{} is already assigned to this request", e.subject),
        FactKind::PartySuspended => {
            format!("{} was given to another suspension{party} meanwhile; decide it again", e.subject)
        }
        FactKind::SuspensionLifted => format!("{}{party} is already lifted", e.subject),
        FactKind::ContactRemoved => format!("the contact {}{party} is already removed", e.subject),
        other => format!("this {other} entry is already recorded"),
    })
}

/// True when `e` is the violation of a unique index (a second registration).
fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// A unique violation is the caller's conflict; a dangling foreign key is `NotFound`;
/// anything else a backend error.
fn taken(e: sqlx::Error, message: String) -> StoreError {
    if is_unique_violation(&e) { StoreError::Conflict(message) } else { not_found_on_foreign_key(e) }
}

// ---- writes: each inside a write transaction (see `crate::writes`) ---------------------

/// Inserts journal rows; gives them back with their numbers, for the caller to log.
pub(crate) async fn insert_journal<C: Conn>(
    conn: &mut C,
    entries: &[NewEntry],
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut written = Vec::with_capacity(entries.len());
    for e in entries {
        let at = micros(e.at);
        let row = conn
            .fetch_one(
                "INSERT INTO journal (at, kind, actor, party, subject, request_id, content) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
                args![
                    at,
                    e.fact.kind().as_str(),
                    e.actor.as_str(),
                    e.party.as_ref().map(PartyId::as_str),
                    &e.subject,
                    e.request_id.map(|r| r.to_string()),
                    crate::journal::encode(&e.fact),
                ],
            )
            .await
            .map_err(|err| if is_unique_violation(&err) { journal_conflict(e) } else { backend(err) })?;
        let new = At { table: "journal", id: "(new)" };
        let seq = new.unsigned("seq", row.int(&new, "seq")?)?;
        written.push(crate::journal::written(e, seq, at));
    }
    Ok(written)
}

/// Creates an account; its journal entry is the caller's to insert.
pub(crate) async fn add_user<C: Conn>(conn: &mut C, user: &UserRecord) -> Result<(), StoreError> {
    conn.execute(
        concat!("INSERT INTO users (", user_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        args![
            user.username.as_str(),
            user.org.as_str(),
            user.role.as_str(),
            &user.name,
            &user.password_hash,
            &user.totp_sealed,
            user.totp_last_step.and_then(|s| i64::try_from(s).ok()),
            micros(user.created_at),
            user.disabled_at.map(micros),
        ],
    )
    .await
    .map_err(|e| taken(e, format!("the user name {} is taken", user.username)))?;
    Ok(())
}

/// Disables an account and ends its sessions at once. `NotFound` if there is no such
/// account or it is disabled already.
pub(crate) async fn disable_user<C: Conn>(
    conn: &mut C,
    user: &Username,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = micros(at);
    let done = conn
        .execute(
            "UPDATE users SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL",
            args![at, user.as_str()],
        )
        .await
        .map_err(backend)?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    conn.execute(
        "UPDATE sessions SET ended_at = $1 WHERE username = $2 AND ended_at IS NULL",
        args![at, user.as_str()],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// RFC 6238 §5.2: a step is used once, and never one older than the last used.
pub(crate) async fn use_totp_step<C: Conn>(
    conn: &mut C,
    user: &Username,
    step: u64,
) -> Result<bool, StoreError> {
    let step = i64::try_from(step).map_err(backend)?;
    let done = conn
        .execute(
            "UPDATE users SET totp_last_step = $1 WHERE username = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
            args![step, user.as_str()],
        )
        .await
        .map_err(backend)?;
    Ok(done == 1)
}

/// Sets a password and ends every open session of the account but `keep`.
pub(crate) async fn change_password<C: Conn>(
    conn: &mut C,
    user: &Username,
    hash: &str,
    keep: Option<&[u8; 32]>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let done = conn
        .execute("UPDATE users SET password_hash = $1 WHERE username = $2", args![hash, user.as_str()])
        .await
        .map_err(backend)?;
    if done == 0 {
        return Err(StoreError::NotFound);
    }
    // A session that may have been opened by whoever knew the old password ends with it
    // (OWASP ASVS 4.0 V3.3.3: log out of other sessions after a password change).
    let mut sql = Sql::new("UPDATE sessions SET ended_at = ");
    sql.bind(micros(at)).push(" WHERE username = ").bind(user.as_str()).push(" AND ended_at IS NULL");
    if let Some(keep) = keep {
        sql.push(" AND id_hash <> ").bind(keep.as_slice());
    }
    let (sql, args) = sql.into_parts();
    conn.execute(&sql, args).await.map_err(backend)?;
    Ok(())
}

/// Reserves a login attempt of `name` from `client` (see `Store::reserve_login`).
///
/// The upsert counts the attempt only if the pair is not locked at `now`, and the row it
/// takes stays locked to this transaction (PostgreSQL's `ON CONFLICT DO UPDATE` locks it;
/// SQLite's one writer holds the whole database), so a racing attempt waits and then sees
/// the count and the lock this one leaves.
pub(crate) async fn reserve_login<C: Conn>(
    conn: &mut C,
    name: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<LoginSlot, StoreError> {
    let now = micros(now);
    let forgotten = now - chrono::Duration::hours(comity_core::trust::LOGIN_ATTEMPTS_RESET_HOURS);
    // Pairs idle for the reset time are forgotten, this one's included, so the table holds
    // only what a lock still needs.
    conn.execute(
        "DELETE FROM login_attempts WHERE last_attempt < $1 AND (locked_until IS NULL OR locked_until <= $2)",
        args![forgotten, now],
    )
    .await
    .map_err(backend)?;
    let at = At { table: "login_attempts", id: name };
    let counted = conn
        .fetch_optional(
            "INSERT INTO login_attempts (name, client, attempts, last_attempt) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (name, client) DO UPDATE SET attempts = login_attempts.attempts + 1, \
             last_attempt = excluded.last_attempt \
             WHERE login_attempts.locked_until IS NULL OR login_attempts.locked_until <= excluded.last_attempt \
             RETURNING attempts",
            args![name, client, now],
        )
        .await
        .map_err(backend)?;
    let Some(row) = counted else {
        let row = conn
            .fetch_one(
                "SELECT locked_until FROM login_attempts WHERE name = $1 AND client = $2",
                args![name, client],
            )
            .await
            .map_err(backend)?;
        let until = row.opt_time(&at, "locked_until")?.unwrap_or(now);
        return Ok(LoginSlot::Locked { until });
    };
    let attempt = u32::try_from(row.int(&at, "attempts")?).unwrap_or(u32::MAX);
    if let Some(lock) = comity_core::trust::login_lock_after(attempt) {
        conn.execute(
            "UPDATE login_attempts SET locked_until = $1 WHERE name = $2 AND client = $3",
            args![now + lock, name, client],
        )
        .await
        .map_err(backend)?;
    }
    Ok(LoginSlot::Granted { attempt })
}

pub(crate) async fn clear_login_attempts<C: Conn>(
    conn: &mut C,
    name: &str,
    client: &str,
) -> Result<(), StoreError> {
    conn.execute("DELETE FROM login_attempts WHERE name = $1 AND client = $2", args![name, client])
        .await
        .map_err(backend)?;
    Ok(())
}

pub(crate) async fn add_session<C: Conn>(conn: &mut C, s: &SessionRecord) -> Result<(), StoreError> {
    conn.execute(
        concat!("INSERT INTO sessions (", session_columns!(), ") VALUES ($1, $2, $3, $4, $5)"),
        args![
            &s.id_hash,
            s.username.as_str(),
            micros(s.created_at),
            micros(s.expires_at),
            s.ended_at.map(micros)
        ],
    )
    .await
    .map_err(not_found_on_foreign_key)?;
    Ok(())
}

pub(crate) async fn end_session<C: Conn>(
    conn: &mut C,
    hash: &[u8; 32],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET ended_at = $1 WHERE id_hash = $2 AND ended_at IS NULL",
        args![micros(at), hash],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// Creates an API token; its journal entry is the caller's to insert.
pub(crate) async fn add_token<C: Conn>(conn: &mut C, t: &TokenRecord) -> Result<(), StoreError> {
    conn.execute(
        concat!("INSERT INTO api_tokens (", token_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        args![
            &t.id,
            t.org.as_str(),
            t.role.as_str(),
            &t.label,
            &t.secret_hash,
            micros(t.created_at),
            micros(t.expires_at),
            t.revoked_at.map(micros),
        ],
    )
    .await
    .map_err(|e| taken(e, format!("a token with id {} exists", t.id)))?;
    Ok(())
}

/// `NotFound` if there is no such token or it is revoked already; `Conflict` if
/// `keep_an_admin` and it is its organisation's last admin credential at `at`.
pub(crate) async fn revoke_token<C: Conn>(
    conn: &mut C,
    id: &str,
    at: DateTime<Utc>,
    keep_an_admin: bool,
) -> Result<(), StoreError> {
    if keep_an_admin {
        keep_an_admin_beside(conn, id, at).await?;
    }
    let done = conn
        .execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            args![micros(at), id],
        )
        .await
        .map_err(backend)?;
    if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// `Conflict` if token `id` is an admin token and its organisation has no other admin
/// credential usable at `at`: no other unrevoked, unexpired admin token and no enabled
/// admin account. The organisation's row is locked first (`FOR UPDATE` on PostgreSQL;
/// SQLite's one writer), so revocations of its tokens take turns.
async fn keep_an_admin_beside<C: Conn>(conn: &mut C, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    let at = micros(at);
    let row = conn
        .fetch_optional("SELECT org, role FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", args![id])
        .await
        .map_err(backend)?;
    let Some(row) = row else { return Ok(()) };
    let place = At { table: "api_tokens", id };
    let (org, role) = (row.text(&place, "org")?, row.text(&place, "role")?);
    if role != Role::Admin.as_str() {
        return Ok(());
    }
    conn.fetch_optional(&C::locking("SELECT id FROM parties WHERE id = $1"), args![&org])
        .await
        .map_err(backend)?;
    let others = conn
        .fetch_one(
            "SELECT (SELECT COUNT(*) FROM api_tokens WHERE org = $1 AND role = $2 AND id <> $3 \
             AND revoked_at IS NULL AND expires_at > $4) \
             + (SELECT COUNT(*) FROM users WHERE org = $1 AND role = $2 AND disabled_at IS NULL) AS n",
            args![&org, Role::Admin.as_str(), id, at],
        )
        .await
        .map_err(backend)?;
    if others.int(&At { table: "api_tokens", id }, "n")? == 0 {
        return Err(StoreError::Conflict(format!(
            "token {id} is the last admin credential of {org}: revoking it would leave nobody able to \
             manage {org}'s accounts and tokens; create another admin token first (POST /v1/admin/tokens \
             or `comity token create --org {org} --role admin`), then revoke this one"
        )));
    }
    Ok(())
}

/// Creates a one-time link; its journal entry is the caller's to insert.
pub(crate) async fn add_link<C: Conn>(conn: &mut C, l: &LinkRecord) -> Result<(), StoreError> {
    conn.execute(
        concat!("INSERT INTO verification_links (", link_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6)"),
        args![
            &l.secret_hash,
            l.request_id.to_string(),
            l.contact.as_str(),
            micros(l.created_at),
            micros(l.expires_at),
            l.used_at.map(micros),
        ],
    )
    .await
    .map_err(not_found_on_foreign_key)?;
    Ok(())
}

/// Marks a link used if it is unused and unexpired at `at`.
pub(crate) async fn use_link<C: Conn>(
    conn: &mut C,
    hash: &[u8; 32],
    at: DateTime<Utc>,
) -> Result<Option<LinkRecord>, StoreError> {
    let row = conn
        .fetch_optional(
            concat!(
                "UPDATE verification_links SET used_at = $1 \
                 WHERE secret_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING ",
                link_columns!()
            ),
            args![micros(at), hash],
        )
        .await
        .map_err(backend)?;
    row.map(|r| read_link(&r)).transpose()
}

/// Counts a new request in its authority's track record.
pub(crate) async fn count_intake<C: Conn>(
    conn: &mut C,
    authority: &PartyId,
    emergency: bool,
) -> Result<AuthorityRecord, StoreError> {
    let row = conn
        .fetch_one(
            concat!(
                "INSERT INTO authority_records (authority, requests, emergencies) VALUES ($1, 1, $2) \
                 ON CONFLICT (authority) DO UPDATE SET requests = authority_records.requests + 1, \
                 emergencies = authority_records.emergencies + excluded.emergencies RETURNING ",
                record_columns!()
            ),
            args![authority.as_str(), i64::from(emergency)],
        )
        .await
        .map_err(backend)?;
    read_record(&row, authority)
}

/// Counts what an event adds to its authority's track record: a first rejection, an
/// emergency held, a held emergency confirmed. Call it after the event is inserted.
/// Returns the record if the event changed it.
pub(crate) async fn count_event<C: Conn>(
    conn: &mut C,
    authority: &PartyId,
    event: &comity_core::Event,
) -> Result<Option<AuthorityRecord>, StoreError> {
    let column = match (event.from, event.to) {
        (_, State::Rejected) => "rejected",
        (_, State::PendingVerification) => "held",
        (Some(State::PendingVerification), State::UnderReview) => "confirmed",
        _ => return Ok(None),
    };
    let mut sql =
        Sql::new(&format!("UPDATE authority_records SET {column} = {column} + 1 WHERE authority = "));
    sql.bind(authority.as_str());
    if event.to == State::Rejected {
        // A request rejected, appealed and rejected again counts once.
        sql.push(" AND (SELECT COUNT(*) FROM events WHERE request_id = ")
            .bind(event.request_id.to_string())
            .push(" AND to_state = 'rejected') = 1");
    }
    sql.push(concat!(" RETURNING ", record_columns!()));
    let (sql, args) = sql.into_parts();
    let row = conn.fetch_optional(&sql, args).await.map_err(backend)?;
    row.map(|row| read_record(&row, authority)).transpose()
}

// ---- reads ------------------------------------------------------------------------------

pub(crate) async fn journal<C: Conn>(
    conn: &mut C,
    q: &JournalQuery,
) -> Result<Vec<JournalEntry>, StoreError> {
    let mut sql = Sql::new(concat!("SELECT ", journal_columns!(), " WHERE 1 = 1"));
    // The kinds come from comity's code, a handful at most: one list, under any limit.
    if !q.kinds.is_empty() {
        sql.push(" AND j.kind IN ").list(q.kinds.iter().map(|k| k.as_str()));
    }
    if let Some(p) = &q.party {
        sql.push(" AND j.party = ").bind(p.as_str());
    }
    if let Some(s) = &q.subject {
        sql.push(" AND j.subject = ").bind(s.as_str());
    }
    if let Some(r) = q.request_id {
        sql.push(" AND j.request_id = ").bind(r.to_string());
    }
    sql.push(" ORDER BY j.seq");
    let (sql, args) = sql.into_parts();
    conn.fetch_all(&sql, args, read_journal).await
}

/// The columns of an authority's track record, in `read_record`'s order.
macro_rules! record_columns {
    () => {
        "requests, rejected, emergencies, held, confirmed"
    };
}
use record_columns;

pub(crate) async fn authority_record<C: Conn>(
    conn: &mut C,
    authority: &PartyId,
) -> Result<AuthorityRecord, StoreError> {
    let row = conn
        .fetch_optional(
            concat!("SELECT ", record_columns!(), " FROM authority_records WHERE authority = $1"),
            args![authority.as_str()],
        )
        .await
        .map_err(backend)?;
    row.map_or(Ok(AuthorityRecord::default()), |row| read_record(&row, authority))
}

/// An `authority_records` row.
fn read_record(row: &impl Row, authority: &PartyId) -> Result<AuthorityRecord, StoreError> {
    let at = At { table: "authority_records", id: authority.as_str() };
    let n =
        |column: &str| -> Result<u64, StoreError> { Ok(u64::try_from(row.int(&at, column)?).unwrap_or(0)) };
    Ok(AuthorityRecord {
        requests: n("requests")?,
        rejected: n("rejected")?,
        emergencies: n("emergencies")?,
        held: n("held")?,
        confirmed: n("confirmed")?,
    })
}

pub(crate) async fn user<C: Conn>(conn: &mut C, name: &Username) -> Result<Option<UserRecord>, StoreError> {
    let row = conn
        .fetch_optional(
            concat!("SELECT ", user_columns!(), " FROM users WHERE username = $1"),
            args![name.as_str()],
        )
        .await
        .map_err(backend)?;
    row.map(|r| read_user(&r)).transpose()
}

pub(crate) async fn users<C: Conn>(conn: &mut C) -> Result<Vec<UserRecord>, StoreError> {
    conn.fetch_all(concat!("SELECT ", user_columns!(), " FROM users ORDER BY username"), args![], read_user)
        .await
}

pub(crate) async fn session<C: Conn>(
    conn: &mut C,
    hash: &[u8; 32],
) -> Result<Option<SessionRecord>, StoreError> {
    let row = conn
        .fetch_optional(
            concat!("SELECT ", session_columns!(), " FROM sessions WHERE id_hash = $1"),
            args![hash],
        )
        .await
        .map_err(backend)?;
    row.map(|r| read_session(&r)).transpose()
}

pub(crate) async fn token<C: Conn>(conn: &mut C, id: &str) -> Result<Option<TokenRecord>, StoreError> {
    let row = conn
        .fetch_optional(concat!("SELECT ", token_columns!(), " FROM api_tokens WHERE id = $1"), args![id])
        .await
        .map_err(backend)?;
    row.map(|r| read_token(&r)).transpose()
}

pub(crate) async fn tokens<C: Conn>(conn: &mut C) -> Result<Vec<TokenRecord>, StoreError> {
    conn.fetch_all(
        concat!("SELECT ", token_columns!(), " FROM api_tokens ORDER BY created_at DESC, id"),
        args![],
        read_token,
    )
    .await
}

pub(crate) async fn link<C: Conn>(conn: &mut C, hash: &[u8; 32]) -> Result<Option<LinkRecord>, StoreError> {
    let row = conn
        .fetch_optional(
            concat!("SELECT ", link_columns!(), " FROM verification_links WHERE secret_hash = $1"),
            args![hash],
        )
        .await
        .map_err(backend)?;
    row.map(|r| read_link(&r)).transpose()
}

//! The shared store: one PostgreSQL database behind several `comity serve` processes.
//!
//! Every write is an ordinary transaction on a pooled connection. PostgreSQL already
//! groups the WAL flushes of concurrent commits, so nothing here batches.

use std::{fmt, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comity_core::{
    ActorId, AuthorityRecord, CheckpointSigner, Event, IdempotencyKey, Intake, JournalEntry, JournalQuery,
    LinkRecord, LogRecord, Move, NamedTarget, NewRequest, Party, PartyId, PartyRole, Read, RequestId,
    RequestPage, RequestQuery, Screening, SessionRecord, State, Store, StoreError, StoredCheckpoint,
    StoredRequest, Throttle, TokenRecord, UnloggedRows, UserRecord, Username,
};
use comity_log::Frontier;
use sqlx::{
    Executor, Postgres,
    migrate::Migrator,
    postgres::{PgConnection, PgPool, PgPoolOptions},
};

use crate::log::{Pending, RawRecord, SubjectColumns, Submission, frontier_from, sequence};
use crate::rows::{
    At, PartyColumns, backend, event_columns, filtered, limit_offset, log_columns, micros, move_refused,
    not_found_on_foreign_key, party_columns, party_exists, read_checkpoint, read_event, read_named_target,
    read_party, read_request, read_screening, read_state_count, request_columns, role_column,
    screening_columns,
};

/// Runs one write (an expression giving `(value, pending entries)` from the connection
/// `$conn`) and appends its entries, in one transaction; gives `(value, log indexes)`.
macro_rules! logged {
    ($store:expr, |$conn:ident| $write:expr) => {{
        let mut tx = $store.pool.begin().await.map_err(backend)?;
        let (value, pending) = {
            let $conn: &mut PgConnection = &mut tx;
            $write.await?
        };
        let (indexes, frontier) = $store.append(&mut tx, pending).await?;
        tx.commit().await.map_err(backend)?;
        $store.committed(frontier);
        (value, indexes)
    }};
}

mod trust;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per process. Several processes share the server's `max_connections`
/// (100 by default), so this stays modest.
const MAX_CONNECTIONS: u32 = 16;

/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// comity's store in a PostgreSQL database.
///
/// Cloning is cheap and shares the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The log's right edge as this process last committed it. Another process may have
    /// appended since, so it is used only when its size matches `log_head`.
    frontier: std::sync::Arc<std::sync::Mutex<Option<Frontier>>>,
}

impl fmt::Debug for PgStore {
    // The connection options hold the password; they are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore").field("connections", &self.pool.size()).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?...`) and brings the
    /// schema up to date. Several processes may do this at once: the migrations hold an
    /// advisory lock.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(backend)?;
        MIGRATOR.run(&pool).await.map_err(backend)?;
        Ok(Self { pool, frontier: Default::default() })
    }

    /// Appends entries at the end of a write's transaction. Locking `log_head` makes this
    /// transaction the log's one sequencer until it commits or rolls back: another process
    /// appending waits here, then sees the grown size. The lock is taken last, so it is held
    /// only for the appends and the commit. Call [`PgStore::committed`] after the commit.
    async fn append(
        &self,
        conn: &mut PgConnection,
        pending: Vec<Pending>,
    ) -> Result<(Vec<u64>, Frontier), StoreError> {
        let size: i64 = sqlx::query_scalar("SELECT size FROM log_head FOR UPDATE")
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
        let size = u64::try_from(size).map_err(backend)?;
        let cached = self.frontier.lock().ok().and_then(|f| f.clone()).filter(|f| f.size() == size);
        let mut frontier = match cached {
            Some(f) => f,
            None => {
                let indexes: Vec<i64> =
                    Frontier::indexes(size).into_iter().filter_map(|i| i64::try_from(i).ok()).collect();
                let rows: Vec<(i64, Vec<u8>)> =
                    sqlx::query_as("SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)")
                        .bind(&indexes)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(backend)?;
                frontier_from(size, rows)?
            }
        };
        let seq = sequence(&mut frontier, pending)?;
        let mut entries = sqlx::QueryBuilder::<Postgres>::new(
            "INSERT INTO log_entries (idx, entry, salt, request_id, subject_kind, subject_seq, subject_id) ",
        );
        entries.push_values(&seq.entries, |mut row, (index, p)| {
            let s = SubjectColumns::of(&p.subject);
            row.push_bind(*index)
                .push_bind(p.entry.clone())
                .push_bind(p.salt.to_vec())
                .push_bind(s.request_id)
                .push_bind(s.kind)
                .push_bind(s.seq)
                .push_bind(s.id);
        });
        entries.build().execute(&mut *conn).await.map_err(backend)?;
        let mut hashes = sqlx::QueryBuilder::<Postgres>::new("INSERT INTO log_hashes (idx, hash) ");
        hashes.push_values(&seq.hashes, |mut row, (index, hash)| {
            row.push_bind(*index).push_bind(hash.to_vec());
        });
        hashes.build().execute(&mut *conn).await.map_err(backend)?;
        sqlx::query("UPDATE log_head SET size = $1")
            .bind(i64::try_from(frontier.size()).map_err(backend)?)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        let indexes = seq.entries.iter().map(|(i, _)| *i as u64).collect();
        Ok((indexes, frontier))
    }

    /// Keeps a committed frontier for the next append of this process.
    fn committed(&self, frontier: Frontier) {
        if let Ok(mut cached) = self.frontier.lock()
            && cached.as_ref().is_none_or(|c| c.size() < frontier.size())
        {
            *cached = Some(frontier);
        }
    }

    async fn with_cosignatures(&self, mut c: StoredCheckpoint) -> Result<StoredCheckpoint, StoreError> {
        c.cosignatures = sqlx::query_scalar("SELECT line FROM log_cosignatures WHERE seq = $1 ORDER BY line")
            .bind(i64::try_from(c.seq).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        Ok(c)
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn add_party(conn: &mut PgConnection, party: &Party) -> Result<((), Vec<Pending>), StoreError> {
    let c = PartyColumns::of(party);
    let created_at = micros(Utc::now());
    // ON CONFLICT DO NOTHING rather than catching the unique violation: an error would
    // abort the transaction, and we still want to read who holds the id.
    let inserted = sqlx::query(
        "INSERT INTO parties (id, role, country, kind, name, created_at, institution) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(c.id)
    .bind(c.role)
    .bind(c.country)
    .bind(c.kind)
    .bind(c.name)
    .bind(created_at)
    .bind(c.institution)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    if inserted.rows_affected() == 0 {
        let role: Option<String> = sqlx::query_scalar("SELECT role FROM parties WHERE id = $1")
            .bind(c.id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        return Err(party_exists(party.id(), role.as_deref()));
    }
    Ok(((), vec![Pending::party(party, created_at)?]))
}

async fn insert_request(
    conn: &mut PgConnection,
    r: &NewRequest,
) -> Result<(StoredRequest, Vec<Pending>), StoreError> {
    let received_at = micros(r.received_at);
    let id = r.id.to_string();
    // No conflict target: when the id, the authority's idempotency key or its jti is taken,
    // nothing is inserted. The unique indexes decide, so of two intakes racing exactly one
    // is stored.
    let inserted = sqlx::query(
        "INSERT INTO requests (id, state, version, received_at, updated_at, authority, provider, \
         instrument, kind, emergency, reference, document, idempotency_key, signature, jti, validator) \
         VALUES ($1, $2, 1, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(State::Received.as_str())
    .bind(received_at)
    .bind(r.authority.as_str())
    .bind(r.provider.as_str())
    .bind(r.instrument.as_str())
    .bind(r.kind.as_str())
    .bind(r.emergency)
    .bind(&r.reference)
    .bind(&r.document)
    .bind(r.idempotency_key.as_ref().map(IdempotencyKey::as_str))
    .bind(&r.signature)
    .bind(&r.jti)
    .bind(r.validator.as_ref().map(PartyId::as_str))
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    if inserted.rows_affected() == 0 {
        return Err(intake_refused(conn, r).await?);
    }
    sqlx::query(
        "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
         VALUES ($1, 1, NULL, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(State::Received.as_str())
    .bind(r.actor.as_str())
    .bind(received_at)
    .bind(&r.receipt)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    let receipt = Event {
        request_id: r.id,
        seq: 1,
        from: None,
        to: State::Received,
        actor: r.actor.clone(),
        at: received_at,
        reason: r.receipt.clone(),
        log_index: None,
    };
    let submission = Submission { document: &r.document, signature: r.signature.as_deref() };
    let mut pending = vec![Pending::event(&receipt, Some(submission))?];
    trust::count_intake(conn, &r.authority, r.emergency).await?;
    // The targets, against the authority, for the anti-bulk rule.
    {
        let scope = format!("authority:{}", r.authority);
        for t in &r.targets {
            sqlx::query(
                "INSERT INTO named_targets (scope, selector_type, value, last_request, last_seen) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, selector_type, value) DO UPDATE \
                 SET last_request = excluded.last_request, last_seen = excluded.last_seen \
                 WHERE excluded.last_seen >= named_targets.last_seen",
            )
            .bind(&scope)
            .bind(t.kind().as_str())
            .bind(t.value())
            .bind(&id)
            .bind(received_at)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
    }
    let (mut state, mut version, mut updated_at) = (State::Received, 1u32, received_at);
    // Screening done before the write is kept in the same transaction: the report, then
    // comity's moves, so an intake is one durable commit however far it goes.
    if let Some(intake) = &r.screening {
        // Numbered as any screening is, as on SQLite (issue 11).
        pending.extend(record_screening(conn, &intake.screening).await?.1);
        let at = micros(intake.screening.at);
        for (to, reason) in &intake.moves {
            version += 1;
            sqlx::query(
                "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&id)
            .bind(i64::from(version))
            .bind(state.as_str())
            .bind(to.as_str())
            .bind(ActorId::system().as_str())
            .bind(at)
            .bind(reason)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            let event = Event {
                request_id: r.id,
                seq: version,
                from: Some(state),
                to: *to,
                actor: ActorId::system(),
                at,
                reason: reason.clone(),
                log_index: None,
            };
            trust::count_event(conn, &r.authority, &event).await?;
            pending.push(Pending::event(&event, None)?);
            state = *to;
        }
        updated_at = micros(intake.screening.at);
        sqlx::query("UPDATE requests SET state = $1, version = $2, updated_at = $3 WHERE id = $4")
            .bind(state.as_str())
            .bind(i64::from(version))
            .bind(at)
            .bind(&id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    let request = StoredRequest {
        id: r.id,
        state,
        version,
        received_at,
        updated_at,
        authority: r.authority.clone(),
        provider: r.provider.clone(),
        instrument: r.instrument,
        kind: r.kind,
        emergency: r.emergency,
        reference: r.reference.clone(),
        document: r.document.clone(),
        signature: r.signature.clone(),
        validator: r.validator.clone(),
    };
    Ok((request, pending))
}

/// Why an intake inserted nothing (see `rows::INTAKE_REFUSED`).
async fn intake_refused(conn: &mut PgConnection, r: &NewRequest) -> Result<StoreError, StoreError> {
    let taken: Option<String> = sqlx::query_scalar(crate::rows::INTAKE_REFUSED)
        .bind(r.authority.as_str())
        .bind(r.idempotency_key.as_ref().map(IdempotencyKey::as_str))
        .bind(&r.jti)
        .bind(r.id.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(crate::rows::intake_refused(r.id, taken.as_deref()))
}

async fn apply_move(conn: &mut PgConnection, m: &Move) -> Result<(Event, Vec<Pending>), StoreError> {
    let at = micros(m.at);
    let id = m.request_id.to_string();
    // The compare-and-set. A concurrent mover holding the row makes this wait for its
    // commit; PostgreSQL then re-checks the WHERE against the new row, finds the version
    // gone, and updates nothing.
    let authority: Option<String> = sqlx::query_scalar(
        "UPDATE requests SET state = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND state = $5 RETURNING authority",
    )
    .bind(m.to.as_str())
    .bind(at)
    .bind(&id)
    .bind(i64::from(m.expected_version))
    .bind(m.from.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    let Some(authority) = authority else {
        let current: Option<(String, i32)> =
            sqlx::query_as("SELECT state, version FROM requests WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        return Err(move_refused(m, current.map(|(s, v)| (s, i64::from(v)))));
    };
    let seq = m.expected_version + 1;
    sqlx::query(
        "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(i64::from(seq))
    .bind(m.from.as_str())
    .bind(m.to.as_str())
    .bind(m.actor.as_str())
    .bind(at)
    .bind(&m.reason)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    let event = Event {
        request_id: m.request_id,
        seq,
        from: Some(m.from),
        to: m.to,
        actor: m.actor.clone(),
        at,
        reason: m.reason.clone(),
        log_index: None,
    };
    let authority =
        PartyId::parse(&authority).map_err(|e| At { table: "requests", id: &id }.corrupt("authority", e))?;
    trust::count_event(conn, &authority, &event).await?;
    let mut pending = vec![Pending::event(&event, None)?];
    pending.extend(trust::insert_journal(conn, &m.facts).await?.1);
    Ok((event, pending))
}

async fn record_screening(conn: &mut PgConnection, x: &Screening) -> Result<((), Vec<Pending>), StoreError> {
    // The request's row lock orders its screenings, so two at once cannot take one number.
    let exists = sqlx::query("SELECT 1 FROM requests WHERE id = $1 FOR UPDATE")
        .bind(x.request_id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    let seq: i32 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM screenings WHERE request_id = $1")
            .bind(x.request_id.to_string())
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    sqlx::query(
        "INSERT INTO screenings (request_id, at, pack_id, pack_version, pack_hash, verdict, report, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(x.request_id.to_string())
    .bind(micros(x.at))
    .bind(&x.pack_id)
    .bind(&x.pack_version)
    .bind(&x.pack_hash)
    .bind(&x.verdict)
    .bind(&x.report)
    .bind(seq)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    let x = Screening { at: micros(x.at), ..x.clone() };
    Ok(((), vec![Pending::screening(&x, u32::try_from(seq).map_err(backend)?)?]))
}

async fn checkpoint(
    conn: &mut PgConnection,
    store: &PgStore,
    sign: &CheckpointSigner,
) -> Result<(Option<StoredCheckpoint>, Option<Frontier>), StoreError> {
    // The sequencer's lock first: the size read here is the size signed.
    let size: i64 = sqlx::query_scalar("SELECT size FROM log_head FOR UPDATE")
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    let last: Option<(i64, i64)> =
        sqlx::query_as("SELECT seq, size FROM log_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    let (last_seq, last_size) = last.unwrap_or((0, 0));
    if last_size == size {
        return Ok((None, None));
    }
    let seq = u64::try_from(last_seq).map_err(backend)? + 1;
    let at = micros(Utc::now());
    let size = u64::try_from(size).map_err(backend)? + 1;
    let (_, frontier) = store.append(conn, vec![Pending::checkpoint(seq, size, at)?]).await?;
    let root = frontier.root();
    let note = sign(size, &root.0).map_err(|e| backend(crate::rows::SetupError(e)))?;
    sqlx::query("INSERT INTO log_checkpoints (seq, size, note, at) VALUES ($1, $2, $3, $4)")
        .bind(i64::try_from(seq).map_err(backend)?)
        .bind(i64::try_from(size).map_err(backend)?)
        .bind(&note)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok((Some(StoredCheckpoint { seq, size, note, at, cosignatures: Vec::new() }), Some(frontier)))
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await.map_err(backend)?;
        Ok(())
    }

    async fn add_party(&self, party: &Party) -> Result<u64, StoreError> {
        let ((), log) = logged!(self, |c| add_party(c, party));
        Ok(log[0])
    }

    async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", party_columns!(), " FROM parties WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| read_party(&row)).transpose()
    }

    async fn parties(&self, role: PartyRole) -> Result<Vec<Party>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", party_columns!(), " FROM parties WHERE role = $1 ORDER BY id"))
                .bind(role_column(role))
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter().map(read_party).collect()
    }

    async fn insert_request(&self, request: &NewRequest) -> Result<Intake, StoreError> {
        let (request, log) = logged!(self, |c| insert_request(c, request));
        Ok(Intake { request, log })
    }

    async fn request(&self, id: RequestId) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", request_columns!(), " FROM requests WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| read_request(&row)).transpose()
    }

    async fn request_by_jti(&self, authority: &PartyId, jti: &str) -> Result<Option<RequestId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM requests WHERE authority = $1 AND jti = $2")
                .bind(authority.as_str())
                .bind(jti)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        id.map(|id| RequestId::parse(&id).map_err(|e| At { table: "requests", id: &id }.corrupt("id", e)))
            .transpose()
    }

    async fn request_by_idempotency_key(
        &self,
        authority: &PartyId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE authority = $1 AND idempotency_key = $2"
        ))
        .bind(authority.as_str())
        .bind(key.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| read_request(&row)).transpose()
    }

    async fn list_requests(&self, query: &RequestQuery) -> Result<RequestPage, StoreError> {
        // One snapshot for the total and the page.
        let mut tx =
            self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(backend)?;
        let total: i64 = filtered::<Postgres>("SELECT COUNT(*) FROM requests", query)
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let (limit, offset) = limit_offset(query);
        let mut page = filtered::<Postgres>(concat!("SELECT ", request_columns!(), " FROM requests"), query);
        page.push(" ORDER BY received_at DESC, id DESC LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = page.build().fetch_all(&mut *tx).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let items = rows.iter().map(read_request).collect::<Result<Vec<_>, _>>()?;
        Ok(RequestPage { items, total: u64::try_from(total).unwrap_or(0) })
    }

    async fn apply_move(&self, m: &Move) -> Result<Event, StoreError> {
        let (event, log) = logged!(self, |c| apply_move(c, m));
        Ok(Event { log_index: log.first().copied(), ..event })
    }

    async fn recent_targets(
        &self,
        authority: &PartyId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<NamedTarget>, StoreError> {
        let rows = sqlx::query(
            "SELECT selector_type, value, last_request, last_seen FROM named_targets \
             WHERE scope = $1 AND last_seen >= $2 ORDER BY last_seen DESC LIMIT $3",
        )
        .bind(format!("authority:{authority}"))
        .bind(micros(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(read_named_target).collect()
    }

    async fn record_screening(&self, x: &Screening) -> Result<u64, StoreError> {
        let ((), log) = logged!(self, |c| record_screening(c, x));
        Ok(log[0])
    }

    async fn screenings(&self, id: RequestId) -> Result<Vec<Screening>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            screening_columns!(),
            " WHERE s.request_id = $1 ORDER BY s.seq, s.at"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(read_screening).collect()
    }

    async fn events(&self, id: RequestId) -> Result<Vec<Event>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", event_columns!(), " WHERE e.request_id = $1 ORDER BY e.seq"))
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter().map(read_event).collect()
    }

    async fn count_by_state(&self) -> Result<Vec<(State, u64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM requests GROUP BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut counts = rows.iter().map(read_state_count).collect::<Result<Vec<_>, _>>()?;
        counts.sort();
        Ok(counts)
    }

    async fn log_read(&self, read: &Read) -> Result<u64, StoreError> {
        let read = Read { at: micros(read.at), ..read.clone() };
        let ((), log) = logged!(self, |_c| async { Ok::<_, StoreError>(((), vec![Pending::read(&read)?])) });
        Ok(log[0])
    }

    async fn log_size(&self) -> Result<u64, StoreError> {
        let size: i64 =
            sqlx::query_scalar("SELECT size FROM log_head").fetch_one(&self.pool).await.map_err(backend)?;
        u64::try_from(size).map_err(backend)
    }

    async fn log_records(&self, from: u64, limit: u32) -> Result<Vec<LogRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            log_columns!(),
            " FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2"
        ))
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(|row| RawRecord::read(row)?.parse()).collect()
    }

    async fn request_log(&self, id: RequestId) -> Result<Vec<LogRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            log_columns!(),
            " FROM log_entries WHERE request_id = $1 ORDER BY idx"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(|row| RawRecord::read(row)?.parse()).collect()
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        let wanted: Vec<i64> = indexes.iter().map(|i| i64::try_from(*i).unwrap_or(i64::MAX)).collect();
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT idx, hash FROM log_hashes WHERE idx = ANY($1)")
                .bind(&wanted)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        crate::log::hashes_in_order(indexes, rows.into_iter().collect())
    }

    async fn checkpoint(
        &self,
        sign: std::sync::Arc<CheckpointSigner>,
    ) -> Result<Option<StoredCheckpoint>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let (made, frontier) = checkpoint(&mut tx, self, sign.as_ref()).await?;
        tx.commit().await.map_err(backend)?;
        if let Some(f) = frontier {
            self.committed(f);
        }
        Ok(made)
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = sqlx::query("SELECT seq, size, note, at FROM log_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => Ok(Some(self.with_cosignatures(read_checkpoint(&row)?).await?)),
            None => Ok(None),
        }
    }

    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, size, note, at FROM log_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.with_cosignatures(read_checkpoint(row)?).await?);
        }
        Ok(out)
    }

    async fn add_cosignature(&self, seq: u64, line: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO log_cosignatures (seq, line) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(i64::try_from(seq).map_err(backend)?)
            .bind(line)
            .execute(&self.pool)
            .await
            .map_err(not_found_on_foreign_key)?;
        Ok(())
    }

    async fn unlogged_rows(&self) -> Result<UnloggedRows, StoreError> {
        let (events, screenings, parties, journal): (i64, i64, i64, i64) =
            sqlx::query_as(crate::rows::UNLOGGED_ROWS).fetch_one(&self.pool).await.map_err(backend)?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(UnloggedRows {
            events: n(events),
            screenings: n(screenings),
            parties: n(parties),
            journal: n(journal),
        })
    }

    async fn append_journal(&self, entries: &[JournalEntry]) -> Result<Vec<JournalEntry>, StoreError> {
        let (written, log) = logged!(self, |c| trust::insert_journal(c, entries));
        Ok(trust::indexed(written, &log))
    }

    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError> {
        trust::journal(&self.pool, query).await
    }

    async fn authority_record(&self, authority: &PartyId) -> Result<AuthorityRecord, StoreError> {
        trust::authority_record(&self.pool, authority).await
    }

    async fn add_user(&self, user: &UserRecord, entry: &JournalEntry) -> Result<JournalEntry, StoreError> {
        let (written, log) = logged!(self, |c| trust::add_user(c, user, entry));
        trust::indexed(written, &log).pop().ok_or(StoreError::NotFound)
    }

    async fn user(&self, username: &Username) -> Result<Option<UserRecord>, StoreError> {
        trust::user(&self.pool, username).await
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        trust::users(&self.pool).await
    }

    async fn use_totp_step(&self, username: &Username, step: u64) -> Result<bool, StoreError> {
        trust::use_totp_step(&self.pool, username, step).await
    }

    async fn disable_user(
        &self,
        username: &Username,
        at: DateTime<Utc>,
        entry: &JournalEntry,
    ) -> Result<JournalEntry, StoreError> {
        let (written, log) = logged!(self, |c| trust::disable_user(c, username, at, entry));
        trust::indexed(written, &log).pop().ok_or(StoreError::NotFound)
    }

    async fn set_password(&self, username: &Username, password_hash: &str) -> Result<(), StoreError> {
        trust::set_password(&self.pool, username, password_hash).await
    }

    async fn login_failed(&self, name: &str, at: DateTime<Utc>) -> Result<u32, StoreError> {
        trust::login_failed(&self.pool, name, at).await
    }

    async fn lock_login(&self, name: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        trust::lock_login(&self.pool, name, until).await
    }

    async fn login_throttle(&self, name: &str) -> Result<Option<Throttle>, StoreError> {
        trust::login_throttle(&self.pool, name).await
    }

    async fn clear_login_failures(&self, name: &str) -> Result<(), StoreError> {
        trust::clear_login_failures(&self.pool, name).await
    }

    async fn add_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        trust::add_session(&self.pool, session).await
    }

    async fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        trust::session(&self.pool, id_hash).await
    }

    async fn end_session(&self, id_hash: &[u8; 32], at: DateTime<Utc>) -> Result<(), StoreError> {
        trust::end_session(&self.pool, id_hash, at).await
    }

    async fn add_token(&self, token: &TokenRecord, entry: &JournalEntry) -> Result<JournalEntry, StoreError> {
        let (written, log) = logged!(self, |c| trust::add_token(c, token, entry));
        trust::indexed(written, &log).pop().ok_or(StoreError::NotFound)
    }

    async fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        trust::token(&self.pool, id).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        trust::tokens(&self.pool).await
    }

    async fn revoke_token(
        &self,
        id: &str,
        at: DateTime<Utc>,
        entry: &JournalEntry,
    ) -> Result<JournalEntry, StoreError> {
        let (written, log) = logged!(self, |c| trust::revoke_token(c, id, at, entry));
        trust::indexed(written, &log).pop().ok_or(StoreError::NotFound)
    }

    async fn add_link(&self, link: &LinkRecord, entry: &JournalEntry) -> Result<JournalEntry, StoreError> {
        let (written, log) = logged!(self, |c| trust::add_link(c, link, entry));
        trust::indexed(written, &log).pop().ok_or(StoreError::NotFound)
    }

    async fn link(&self, secret_hash: &[u8; 32]) -> Result<Option<LinkRecord>, StoreError> {
        trust::link(&self.pool, secret_hash).await
    }

    async fn use_link(
        &self,
        secret_hash: &[u8; 32],
        at: DateTime<Utc>,
    ) -> Result<Option<LinkRecord>, StoreError> {
        trust::use_link(&self.pool, secret_hash, at).await
    }
}

//! The shared store: one PostgreSQL database behind several `comity serve` processes.
//!
//! Every write is an ordinary transaction on a pooled connection. PostgreSQL already
//! groups the WAL flushes of concurrent commits, so nothing here batches.

use std::{fmt, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comity_core::{
    ActorId, Event, IdempotencyKey, Move, NamedTarget, NewRequest, Party, PartyId, PartyRole, RequestId,
    RequestPage, RequestQuery, Screening, Selector, SelectorType, State, Store, StoreError, StoredRequest,
};
use sqlx::{
    Executor, Postgres,
    migrate::Migrator,
    postgres::{PgConnection, PgPool, PgPoolOptions, PgRow},
};

use crate::rows::{
    At, PartyColumns, RawEvent, RawParty, RawRequest, backend, event_columns, filtered, limit_offset, micros,
    move_refused, party_columns, party_exists, request_columns, request_exists, role_column, row_id,
    state_count,
};

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
        Ok(Self { pool })
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn add_party(conn: &mut PgConnection, party: &Party) -> Result<(), StoreError> {
    let c = PartyColumns::of(party);
    // ON CONFLICT DO NOTHING rather than catching the unique violation: an error would
    // abort the transaction, and we still want to read who holds the id.
    let inserted = sqlx::query(
        "INSERT INTO parties (id, role, country, kind, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(c.id)
    .bind(c.role)
    .bind(c.country)
    .bind(c.kind)
    .bind(c.name)
    .bind(micros(Utc::now()))
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
    Ok(())
}

async fn insert_request(conn: &mut PgConnection, r: &NewRequest) -> Result<StoredRequest, StoreError> {
    let received_at = micros(r.received_at);
    let id = r.id.to_string();
    let inserted = sqlx::query(
        "INSERT INTO requests (id, state, version, received_at, updated_at, authority, provider, \
         instrument, kind, emergency, reference, document, idempotency_key) \
         VALUES ($1, $2, 1, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
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
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        // Two servers may take the same key at once; the unique index decides.
        if e.as_database_error().and_then(|d| d.constraint()) == Some("requests_by_idempotency_key") {
            StoreError::IdempotencyKeyTaken
        } else {
            backend(e)
        }
    })?;
    if inserted.rows_affected() == 0 {
        return Err(request_exists(r.id));
    }
    sqlx::query(
        "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
         VALUES ($1, 1, NULL, $2, $3, $4, 'received')",
    )
    .bind(&id)
    .bind(State::Received.as_str())
    .bind(r.actor.as_str())
    .bind(received_at)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    // The targets, against the authority and the case, for the anti-bulk rule.
    for scope in [format!("authority:{}", r.authority), format!("reference:{}", r.reference)] {
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
        sqlx::query(
            "INSERT INTO screenings (request_id, at, pack_id, pack_version, pack_hash, verdict, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(micros(intake.screening.at))
        .bind(&intake.screening.pack_id)
        .bind(&intake.screening.pack_version)
        .bind(&intake.screening.pack_hash)
        .bind(&intake.screening.verdict)
        .bind(&intake.screening.report)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
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
    Ok(StoredRequest {
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
    })
}

async fn apply_move(conn: &mut PgConnection, m: &Move) -> Result<Event, StoreError> {
    let at = micros(m.at);
    let id = m.request_id.to_string();
    // The compare-and-set. A concurrent mover holding the row makes this wait for its
    // commit; PostgreSQL then re-checks the WHERE against the new row, finds the version
    // gone, and updates nothing.
    let updated = sqlx::query(
        "UPDATE requests SET state = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND state = $5",
    )
    .bind(m.to.as_str())
    .bind(at)
    .bind(&id)
    .bind(i64::from(m.expected_version))
    .bind(m.from.as_str())
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    if updated.rows_affected() == 0 {
        let current: Option<(String, i32)> =
            sqlx::query_as("SELECT state, version FROM requests WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        return Err(move_refused(m, current.map(|(s, v)| (s, i64::from(v)))));
    }
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
    Ok(Event {
        request_id: m.request_id,
        seq,
        from: Some(m.from),
        to: m.to,
        actor: m.actor.clone(),
        at,
        reason: m.reason.clone(),
    })
}

fn read_request(row: &PgRow) -> Result<StoredRequest, StoreError> {
    let id = row_id(row, "requests", "id")?;
    let at = At { table: "requests", id: &id };
    let raw = RawRequest {
        state: at.get(row, "state")?,
        version: i64::from(at.get::<_, i32>(row, "version")?),
        received_at: at.get(row, "received_at")?,
        updated_at: at.get(row, "updated_at")?,
        authority: at.get(row, "authority")?,
        provider: at.get(row, "provider")?,
        instrument: at.get(row, "instrument")?,
        kind: at.get(row, "kind")?,
        emergency: at.get(row, "emergency")?,
        reference: at.get(row, "reference")?,
        document: at.get(row, "document")?,
        id: id.clone(),
    };
    raw.parse()
}

fn read_screening(row: &PgRow) -> Result<Screening, StoreError> {
    let request_id = row_id(row, "screenings", "request_id")?;
    let at = At { table: "screenings", id: &request_id };
    Ok(Screening {
        request_id: RequestId::parse(&request_id).map_err(|e| at.corrupt("request_id", e))?,
        at: at.get(row, "at")?,
        pack_id: at.get(row, "pack_id")?,
        pack_version: at.get(row, "pack_version")?,
        pack_hash: at.get(row, "pack_hash")?,
        verdict: at.get(row, "verdict")?,
        report: at.get(row, "report")?,
    })
}

fn read_event(row: &PgRow) -> Result<Event, StoreError> {
    let request_id = row_id(row, "events", "request_id")?;
    let at = At { table: "events", id: &request_id };
    let raw = RawEvent {
        seq: i64::from(at.get::<_, i32>(row, "seq")?),
        from_state: at.get(row, "from_state")?,
        to_state: at.get(row, "to_state")?,
        actor: at.get(row, "actor")?,
        at: at.get(row, "at")?,
        reason: at.get(row, "reason")?,
        request_id: request_id.clone(),
    };
    raw.parse()
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await.map_err(backend)?;
        Ok(())
    }

    async fn add_party(&self, party: &Party) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        add_party(&mut tx, party).await?;
        tx.commit().await.map_err(backend)
    }

    async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", party_columns!(), " FROM parties WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| RawParty::read(&row)?.parse()).transpose()
    }

    async fn parties(&self, role: PartyRole) -> Result<Vec<Party>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", party_columns!(), " FROM parties WHERE role = $1 ORDER BY id"))
                .bind(role_column(role))
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        rows.iter().map(|row| RawParty::read(row)?.parse()).collect()
    }

    async fn insert_request(&self, request: &NewRequest) -> Result<StoredRequest, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let stored = insert_request(&mut tx, request).await?;
        tx.commit().await.map_err(backend)?;
        Ok(stored)
    }

    async fn request(&self, id: RequestId) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", request_columns!(), " FROM requests WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| read_request(&row)).transpose()
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let event = apply_move(&mut tx, m).await?;
        tx.commit().await.map_err(backend)?;
        Ok(event)
    }

    async fn recent_targets(
        &self,
        authority: &PartyId,
        reference: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<NamedTarget>, StoreError> {
        let rows = sqlx::query(
            "SELECT selector_type, value, last_request, last_seen FROM named_targets \
             WHERE scope IN ($1, $2) AND last_seen >= $3 ORDER BY last_seen DESC LIMIT $4",
        )
        .bind(format!("authority:{authority}"))
        .bind(format!("reference:{reference}"))
        .bind(micros(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let value: String = At { table: "named_targets", id: "?" }.get(row, "value")?;
                let at = At { table: "named_targets", id: &value };
                let kind: String = at.get(row, "selector_type")?;
                let kind = SelectorType::parse(&kind)
                    .ok_or_else(|| at.corrupt("selector_type", format!("{kind:?}")))?;
                let last_request: String = at.get(row, "last_request")?;
                Ok(NamedTarget {
                    selector: Selector::parse(kind, &value, None).map_err(|e| at.corrupt("value", e))?,
                    last_request: RequestId::parse(&last_request)
                        .map_err(|e| at.corrupt("last_request", e))?,
                    last_seen: at.get(row, "last_seen")?,
                })
            })
            .collect()
    }

    async fn record_screening(&self, x: &Screening) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO screenings (request_id, at, pack_id, pack_version, pack_hash, verdict, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(x.request_id.to_string())
        .bind(micros(x.at))
        .bind(&x.pack_id)
        .bind(&x.pack_version)
        .bind(&x.pack_hash)
        .bind(&x.verdict)
        .bind(&x.report)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if e.as_database_error().is_some_and(|d| d.is_foreign_key_violation()) {
                StoreError::NotFound
            } else {
                backend(e)
            }
        })?;
        Ok(())
    }

    async fn screenings(&self, id: RequestId) -> Result<Vec<Screening>, StoreError> {
        let rows = sqlx::query(
            "SELECT request_id, at, pack_id, pack_version, pack_hash, verdict, report FROM screenings \
             WHERE request_id = $1 ORDER BY at, ctid",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(read_screening).collect()
    }

    async fn events(&self, id: RequestId) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE request_id = $1 ORDER BY seq"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(read_event).collect()
    }

    async fn count_by_state(&self) -> Result<Vec<(State, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut counts = rows.iter().map(|(s, n)| state_count(s, *n)).collect::<Result<Vec<_>, _>>()?;
        counts.sort();
        Ok(counts)
    }
}

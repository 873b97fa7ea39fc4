//! The embedded store: one SQLite file in the data directory.
//!
//! Writes go through one writer task that commits them in groups (see the crate docs);
//! reads use a small pool of read-only connections, which WAL lets run beside the writer.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

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
    Connection, Executor, Sqlite,
    migrate::Migrator,
    sqlite::{
        SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
        SqliteSynchronous,
    },
};
use tokio::sync::{mpsc, oneshot};

use crate::log::{Pending, RawRecord, SubjectColumns, Submission, frontier_from, sequence};
use crate::rows::{
    At, PartyColumns, backend, event_columns, filtered, limit_offset, log_columns, micros, move_refused,
    not_found_on_foreign_key, party_columns, party_exists, read_checkpoint, read_event, read_named_target,
    read_party, read_request, read_screening, read_state_count, request_columns, role_column,
    screening_columns, sqlite_time,
};

mod trust;

use trust::{TrustAnswer, TrustOp};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "comity.db";

/// How long a connection waits for a lock another process holds (the `comity authority
/// add` command line, say, while `comity serve` runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The most writes one transaction carries. Large enough that a burst shares one fsync,
/// small enough that one batch never holds the write lock for long.
const MAX_BATCH: usize = 256;

/// Writes waiting for the writer; beyond this, callers wait to queue (back-pressure).
const QUEUE: usize = 4096;

/// Read-only connections; WAL lets each read its own snapshot beside the writer.
const READERS: u32 = 4;

/// comity's store in a SQLite database, `comity.db` in the data directory.
///
/// Cloning is cheap and shares the writer and the read pool.
#[derive(Clone)]
pub struct SqliteStore {
    path: Arc<PathBuf>,
    writer: mpsc::Sender<Op>,
    read: SqlitePool,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `comity.db` in `data_dir`, which is created if missing,
    /// and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            backend(crate::rows::SetupError(format!(
                "cannot create the data directory {}: {e}",
                data_dir.display()
            )))
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let common =
            SqliteConnectOptions::new().filename(&path).foreign_keys(true).busy_timeout(BUSY_TIMEOUT);
        // WAL: readers never block the writer nor the writer them. FULL: a commit is on
        // disk (the WAL is fsynced) before COMMIT returns, so an Ok survives a power cut.
        let write_options = common
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);

        let conn = connect_and_migrate(&write_options).await?;

        let read = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(0)
            .connect_with(common.read_only(true))
            .await
            .map_err(backend)?;

        let (writer, queue) = mpsc::channel(QUEUE);
        let task = Writer { options: write_options, conn: Some(conn), queue, frontier: None };
        tokio::spawn(task.run());
        Ok(Self { path: Arc::new(path), writer, read })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finishes the writes already queued, then closes the database. Writes sent after
    /// this fail. Dropping every clone of the store closes it too, without waiting.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.writer.send(Op::Close(tx)).await.is_ok() {
            let _ = rx.await;
        }
        self.read.close().await;
    }

    /// Hands a write to the writer task and waits until its transaction has committed
    /// (or failed).
    async fn write(&self, op: WriteOp) -> Result<Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer.send(Op::Write(Write { op, reply })).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

/// Opens the write connection and brings the schema up to date.
///
/// Two processes opening a brand-new directory at once (`comity serve` and `comity
/// authority add`, say) race to switch it to WAL, which takes a lock the busy timeout does
/// not wait for, and to run the first migration, which only one can win. The loser tries
/// again a few times; by then the schema is there and there is nothing left to do.
async fn connect_and_migrate(options: &SqliteConnectOptions) -> Result<SqliteConnection, StoreError> {
    const ATTEMPTS: u64 = 5;
    let mut attempt = 1;
    loop {
        let opened = async {
            let mut conn = SqliteConnection::connect_with(options).await.map_err(backend)?;
            match MIGRATOR.run(&mut conn).await {
                Ok(()) => Ok(conn),
                Err(e) => {
                    let _ = conn.close().await;
                    Err(backend(e))
                }
            }
        };
        match opened.await {
            Ok(conn) => return Ok(conn),
            Err(e) if attempt >= ATTEMPTS => return Err(e),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                attempt += 1;
            }
        }
    }
}

fn closed() -> StoreError {
    backend(crate::rows::SetupError("the SQLite store is closed".to_owned()))
}

fn unexpected_answer() -> StoreError {
    backend(crate::rows::SetupError("the SQLite writer answered the wrong operation".to_owned()))
}

/// What the writer task is asked to do.
enum Op {
    Write(Write),
    Close(oneshot::Sender<()>),
}

struct Write {
    op: WriteOp,
    reply: oneshot::Sender<Result<Answer, StoreError>>,
}

enum WriteOp {
    AddParty(Party),
    // Boxed: a request with its screening is far larger than the other operations.
    InsertRequest(Box<NewRequest>),
    ApplyMove(Move),
    RecordScreening(Screening),
    LogRead(Read),
    Checkpoint(Arc<CheckpointSigner>),
    AddCosignature(u64, String),
    Trust(Box<TrustOp>),
}

enum Answer {
    Done,
    /// The index of the one entry the write appended.
    Logged(u64),
    Request(Box<Intake>),
    Event(Box<Event>),
    Checkpoint(Option<Box<StoredCheckpoint>>),
    Trust(TrustAnswer),
}

/// Why a whole batch failed; every caller in it gets this.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what}, so nothing in this write was saved: {cause}")]
struct BatchFailed {
    what: &'static str,
    cause: Arc<sqlx::Error>,
}

impl BatchFailed {
    fn new(what: &'static str, cause: sqlx::Error) -> Self {
        let failed = Self { what, cause: Arc::new(cause) };
        tracing::warn!(error = %failed, "a SQLite write batch failed; every write in it was refused");
        failed
    }

    fn answer(&self, reply: oneshot::Sender<Result<Answer, StoreError>>) {
        // A caller that went away no longer needs the answer.
        let _ = reply.send(Err(backend(self.clone())));
    }
}

/// The one task that writes. It owns the write connection, so writes never wait on each
/// other for SQLite's lock inside this process, and it commits them in groups.
struct Writer {
    options: SqliteConnectOptions,
    /// `None` after a batch left the connection in an unknown state; the next batch opens
    /// a fresh one.
    conn: Option<SqliteConnection>,
    queue: mpsc::Receiver<Op>,
    /// The log's right edge as this writer last left it; checked against the table at the
    /// start of each batch, since another process (`comity authority add`) may append.
    frontier: Option<Frontier>,
}

impl Writer {
    async fn run(mut self) {
        let mut ops = Vec::with_capacity(MAX_BATCH);
        let mut closing = Vec::new();
        // Take whatever is queued, at least one; while a batch commits (the fsync), the
        // next one queues up, so the batch size follows the load with no added delay.
        while self.queue.recv_many(&mut ops, MAX_BATCH).await > 0 {
            let mut batch = Vec::with_capacity(ops.len());
            for op in ops.drain(..) {
                match op {
                    Op::Write(w) => batch.push(w),
                    Op::Close(done) => closing.push(done),
                }
            }
            if !batch.is_empty() {
                self.batch(batch).await;
            }
            if !closing.is_empty() {
                break;
            }
        }
        // Writes still queued are dropped; their callers learn the store is closed.
        self.queue.close();
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
        }
        for done in closing {
            let _ = done.send(());
        }
    }

    /// Runs a batch in one transaction, each write in its own savepoint, and answers the
    /// callers only once COMMIT has returned.
    async fn batch(&mut self, batch: Vec<Write>) {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => match SqliteConnection::connect_with(&self.options).await {
                Ok(conn) => conn,
                Err(e) => {
                    let failed = BatchFailed::new("the database could not be opened", e);
                    batch.into_iter().for_each(|w| failed.answer(w.reply));
                    return;
                }
            },
        };
        match run_batch(&mut conn, &mut self.frontier, batch).await {
            Ok(()) => self.conn = Some(conn),
            Err(()) => {
                // The transaction may still be open; closing the connection rolls it back,
                // and the next batch starts from a clean one and reloads the frontier.
                self.frontier = None;
                let _ = conn.close().await;
            }
        }
    }
}

/// `Err` means the batch failed as a whole and every caller has been told so.
async fn run_batch(
    conn: &mut SqliteConnection,
    frontier: &mut Option<Frontier>,
    batch: Vec<Write>,
) -> Result<(), ()> {
    // IMMEDIATE takes the write lock now: another process writing makes us wait here (up to
    // the busy timeout), never fail half-way through the batch.
    if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
        let failed = BatchFailed::new("the write transaction could not start", e);
        batch.into_iter().for_each(|w| failed.answer(w.reply));
        return Err(());
    }
    // Holding the write lock, this writer is the log's one sequencer until COMMIT.
    let mut edge = match current_frontier(conn, frontier.take()).await {
        Ok(edge) => edge,
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            let failed = BatchFailed::new("the log's frontier could not be read", e);
            batch.into_iter().for_each(|w| failed.answer(w.reply));
            return Err(());
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    let mut pending = batch.into_iter();
    while let Some(w) = pending.next() {
        match in_savepoint(conn, &mut edge, &w.op).await {
            Ok(result) => done.push((w.reply, result)),
            Err(e) => {
                let _ = conn.execute("ROLLBACK").await;
                let failed = BatchFailed::new("a write failed and could not be undone alone", e);
                failed.answer(w.reply);
                done.into_iter().for_each(|(reply, _)| failed.answer(reply));
                pending.for_each(|w| failed.answer(w.reply));
                return Err(());
            }
        }
    }
    match conn.execute("COMMIT").await {
        Ok(_) => {
            *frontier = Some(edge);
            for (reply, result) in done {
                let _ = reply.send(result);
            }
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute("ROLLBACK").await;
            let failed = BatchFailed::new("the commit failed", e);
            done.into_iter().for_each(|(reply, _)| failed.answer(reply));
            Err(())
        }
    }
}

/// Runs one write in a savepoint: if it fails (a duplicate id, a stale version), only its
/// own changes are undone and the rest of the batch still commits. The outer `Err` means
/// the savepoint itself could not be handled, and the transaction is no longer trusted.
async fn in_savepoint(
    conn: &mut SqliteConnection,
    frontier: &mut Frontier,
    op: &WriteOp,
) -> Result<Result<Answer, StoreError>, sqlx::Error> {
    conn.execute("SAVEPOINT op").await?;
    // The write's entries are undone with it, so the frontier is too.
    let before = frontier.clone();
    let log = &mut Log { frontier };
    let result = match op {
        WriteOp::AddParty(p) => add_party(conn, log, p).await.map(Answer::Logged),
        WriteOp::InsertRequest(r) => insert_request(conn, log, r).await.map(|r| Answer::Request(Box::new(r))),
        WriteOp::ApplyMove(m) => apply_move(conn, log, m).await.map(|e| Answer::Event(Box::new(e))),
        WriteOp::RecordScreening(x) => record_screening(conn, log, x).await.map(Answer::Logged),
        WriteOp::LogRead(r) => log_read(conn, log, r).await.map(Answer::Logged),
        WriteOp::Checkpoint(sign) => {
            checkpoint(conn, log, sign.as_ref()).await.map(|c| Answer::Checkpoint(c.map(Box::new)))
        }
        WriteOp::AddCosignature(seq, line) => add_cosignature(conn, *seq, line).await.map(|()| Answer::Done),
        WriteOp::Trust(op) => trust::run(conn, log, op).await.map(Answer::Trust),
    };
    if result.is_err() {
        *frontier = before;
        conn.execute("ROLLBACK TO op").await?;
    }
    conn.execute("RELEASE op").await?;
    Ok(result)
}

/// The log's frontier, reloaded from the table unless this writer's copy is current.
async fn current_frontier(
    conn: &mut SqliteConnection,
    cached: Option<Frontier>,
) -> Result<Frontier, sqlx::Error> {
    let size: i64 = sqlx::query_scalar("SELECT size FROM log_head").fetch_one(&mut *conn).await?;
    let size = u64::try_from(size).unwrap_or(0);
    if let Some(f) = cached.filter(|f| f.size() == size) {
        return Ok(f);
    }
    let indexes: Vec<i64> =
        Frontier::indexes(size).into_iter().filter_map(|i| i64::try_from(i).ok()).collect();
    let mut query = sqlx::QueryBuilder::<Sqlite>::new("SELECT idx, hash FROM log_hashes WHERE idx IN (");
    let mut list = query.separated(", ");
    for i in &indexes {
        list.push_bind(*i);
    }
    list.push_unseparated(")");
    let rows: Vec<(i64, Vec<u8>)> =
        if indexes.is_empty() { Vec::new() } else { query.build_query_as().fetch_all(&mut *conn).await? };
    frontier_from(size, rows).map_err(|e| sqlx::Error::Protocol(e.to_string()))
}

/// The log inside one write: appends go to the frontier and the tables together.
struct Log<'a> {
    frontier: &'a mut Frontier,
}

impl Log<'_> {
    /// Sequences entries and writes them with the tree hashes they add; returns their
    /// indexes.
    async fn append(
        &mut self,
        conn: &mut SqliteConnection,
        pending: Vec<Pending>,
    ) -> Result<Vec<u64>, StoreError> {
        let seq = sequence(self.frontier, pending)?;
        let mut indexes = Vec::with_capacity(seq.entries.len());
        for (index, p) in &seq.entries {
            let s = SubjectColumns::of(&p.subject);
            sqlx::query(
                "INSERT INTO log_entries (idx, entry, salt, request_id, subject_kind, subject_seq, subject_id) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(index)
            .bind(&p.entry)
            .bind(p.salt.as_slice())
            .bind(s.request_id)
            .bind(s.kind)
            .bind(s.seq)
            .bind(s.id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            indexes.push(*index as u64);
        }
        for (index, hash) in &seq.hashes {
            sqlx::query("INSERT INTO log_hashes (idx, hash) VALUES (?, ?)")
                .bind(index)
                .bind(hash.as_slice())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        }
        // The size, as PostgreSQL keeps it: both read the log's size from log_head.
        sqlx::query("UPDATE log_head SET size = ?")
            .bind(i64::try_from(self.frontier.size()).map_err(backend)?)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(indexes)
    }
}

async fn log_read(conn: &mut SqliteConnection, log: &mut Log<'_>, read: &Read) -> Result<u64, StoreError> {
    let mut read = read.clone();
    read.at = micros(read.at);
    Ok(log.append(conn, vec![Pending::read(&read)?]).await?[0])
}

async fn checkpoint(
    conn: &mut SqliteConnection,
    log: &mut Log<'_>,
    sign: &CheckpointSigner,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let last: Option<(i64, i64)> =
        sqlx::query_as("SELECT seq, size FROM log_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    let (last_seq, last_size) = last.unwrap_or((0, 0));
    if u64::try_from(last_size).ok() == Some(log.frontier.size()) {
        return Ok(None);
    }
    let seq = u64::try_from(last_seq).map_err(backend)? + 1;
    let at = micros(Utc::now());
    let size = log.frontier.size() + 1;
    log.append(conn, vec![Pending::checkpoint(seq, size, at)?]).await?;
    let root = log.frontier.root();
    let note = sign(size, &root.0).map_err(|e| backend(crate::rows::SetupError(e)))?;
    sqlx::query("INSERT INTO log_checkpoints (seq, size, note, at) VALUES (?, ?, ?, ?)")
        .bind(i64::try_from(seq).map_err(backend)?)
        .bind(i64::try_from(size).map_err(backend)?)
        .bind(&note)
        .bind(sqlite_time(at))
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(Some(StoredCheckpoint { seq, size, note, at, cosignatures: Vec::new() }))
}

async fn add_cosignature(conn: &mut SqliteConnection, seq: u64, line: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO log_cosignatures (seq, line) VALUES (?, ?) ON CONFLICT DO NOTHING")
        .bind(i64::try_from(seq).map_err(backend)?)
        .bind(line)
        .execute(&mut *conn)
        .await
        .map_err(not_found_on_foreign_key)?;
    Ok(())
}

async fn add_party(conn: &mut SqliteConnection, log: &mut Log<'_>, party: &Party) -> Result<u64, StoreError> {
    let c = PartyColumns::of(party);
    let created_at = micros(Utc::now());
    let inserted = sqlx::query(
        "INSERT INTO parties (id, role, country, kind, name, created_at, institution) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(c.id)
    .bind(c.role)
    .bind(c.country)
    .bind(c.kind)
    .bind(c.name)
    .bind(sqlite_time(created_at))
    .bind(c.institution)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    if inserted.rows_affected() == 0 {
        let role: Option<String> = sqlx::query_scalar("SELECT role FROM parties WHERE id = ?")
            .bind(c.id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        return Err(party_exists(party.id(), role.as_deref()));
    }
    Ok(log.append(conn, vec![Pending::party(party, created_at)?]).await?[0])
}

async fn insert_request(
    conn: &mut SqliteConnection,
    log: &mut Log<'_>,
    r: &NewRequest,
) -> Result<Intake, StoreError> {
    let received_at = micros(r.received_at);
    let at = sqlite_time(received_at);
    let id = r.id.to_string();
    // No conflict target: when the id, the authority's idempotency key or its jti is taken,
    // nothing is inserted. The unique indexes decide, so of two intakes racing exactly one
    // is stored.
    let inserted = sqlx::query(
        "INSERT INTO requests (id, state, version, received_at, updated_at, authority, provider, \
         instrument, kind, emergency, reference, document, idempotency_key, signature, jti, validator) \
         VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(State::Received.as_str())
    .bind(&at)
    .bind(&at)
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
         VALUES (?, 1, NULL, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(State::Received.as_str())
    .bind(r.actor.as_str())
    .bind(&at)
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
    let mut logged = log.append(conn, vec![Pending::event(&receipt, Some(submission))?]).await?;
    trust::count_intake(conn, &r.authority, r.emergency).await?;
    // The targets, against the authority, for the anti-bulk rule.
    {
        let scope = format!("authority:{}", r.authority);
        for t in &r.targets {
            sqlx::query(
                "INSERT INTO named_targets (scope, selector_type, value, last_request, last_seen) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, selector_type, value) DO UPDATE \
                 SET last_request = excluded.last_request, last_seen = excluded.last_seen \
                 WHERE excluded.last_seen >= named_targets.last_seen",
            )
            .bind(&scope)
            .bind(t.kind().as_str())
            .bind(t.value())
            .bind(&id)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
    }
    let (mut state, mut version, mut updated_at) = (State::Received, 1u32, received_at);
    // Screening done before the write is kept in the same transaction: the report, then
    // comity's moves, so an intake is one durable commit however far it goes.
    if let Some(intake) = &r.screening {
        logged.push(record_screening(conn, log, &intake.screening).await?);
        let at = sqlite_time(micros(intake.screening.at));
        for (to, reason) in &intake.moves {
            version += 1;
            sqlx::query(
                "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&id)
            .bind(i64::from(version))
            .bind(state.as_str())
            .bind(to.as_str())
            .bind(ActorId::system().as_str())
            .bind(&at)
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
                at: micros(intake.screening.at),
                reason: reason.clone(),
                log_index: None,
            };
            trust::count_event(conn, &r.authority, &event).await?;
            logged.extend(log.append(conn, vec![Pending::event(&event, None)?]).await?);
            state = *to;
        }
        updated_at = micros(intake.screening.at);
        sqlx::query("UPDATE requests SET state = ?, version = ?, updated_at = ? WHERE id = ?")
            .bind(state.as_str())
            .bind(i64::from(version))
            .bind(&at)
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
    Ok(Intake { request, log: logged })
}

/// Why an intake inserted nothing (see `rows::INTAKE_REFUSED`).
async fn intake_refused(conn: &mut SqliteConnection, r: &NewRequest) -> Result<StoreError, StoreError> {
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

async fn apply_move(conn: &mut SqliteConnection, log: &mut Log<'_>, m: &Move) -> Result<Event, StoreError> {
    let at = micros(m.at);
    let at_text = sqlite_time(at);
    let id = m.request_id.to_string();
    let expected = i64::from(m.expected_version);
    // The compare-and-set: the move applies only to the version (and state) the caller read.
    let authority: Option<String> = sqlx::query_scalar(
        "UPDATE requests SET state = ?, version = version + 1, updated_at = ? \
         WHERE id = ? AND version = ? AND state = ? RETURNING authority",
    )
    .bind(m.to.as_str())
    .bind(&at_text)
    .bind(&id)
    .bind(expected)
    .bind(m.from.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    let Some(authority) = authority else {
        let current: Option<(String, i64)> =
            sqlx::query_as("SELECT state, version FROM requests WHERE id = ?")
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        return Err(move_refused(m, current));
    };
    let seq = m.expected_version + 1;
    sqlx::query(
        "INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(i64::from(seq))
    .bind(m.from.as_str())
    .bind(m.to.as_str())
    .bind(m.actor.as_str())
    .bind(&at_text)
    .bind(&m.reason)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    let mut event = Event {
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
    event.log_index = Some(log.append(conn, vec![Pending::event(&event, None)?]).await?[0]);
    trust::append(conn, log, &m.facts).await?;
    Ok(event)
}

async fn record_screening(
    conn: &mut SqliteConnection,
    log: &mut Log<'_>,
    x: &Screening,
) -> Result<u64, StoreError> {
    let seq: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM screenings WHERE request_id = ?")
            .bind(x.request_id.to_string())
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    sqlx::query(
        "INSERT INTO screenings (request_id, at, pack_id, pack_version, pack_hash, verdict, report, seq) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(x.request_id.to_string())
    .bind(sqlite_time(micros(x.at)))
    .bind(&x.pack_id)
    .bind(&x.pack_version)
    .bind(&x.pack_hash)
    .bind(&x.verdict)
    .bind(&x.report)
    .bind(seq)
    .execute(&mut *conn)
    .await
    .map_err(not_found_on_foreign_key)?;
    let x = Screening { at: micros(x.at), ..x.clone() };
    let seq = u32::try_from(seq).map_err(backend)?;
    Ok(log.append(conn, vec![Pending::screening(&x, seq)?]).await?[0])
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        if self.writer.is_closed() {
            return Err(closed());
        }
        self.read.execute("SELECT 1").await.map_err(backend)?;
        Ok(())
    }

    async fn add_party(&self, party: &Party) -> Result<u64, StoreError> {
        match self.write(WriteOp::AddParty(party.clone())).await? {
            Answer::Logged(index) => Ok(index),
            _ => Err(unexpected_answer()),
        }
    }

    async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", party_columns!(), " FROM parties WHERE id = ?"))
            .bind(id.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.map(|row| read_party(&row)).transpose()
    }

    async fn parties(&self, role: PartyRole) -> Result<Vec<Party>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", party_columns!(), " FROM parties WHERE role = ? ORDER BY id"))
                .bind(role_column(role))
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        rows.iter().map(read_party).collect()
    }

    async fn insert_request(&self, request: &NewRequest) -> Result<Intake, StoreError> {
        match self.write(WriteOp::InsertRequest(Box::new(request.clone()))).await? {
            Answer::Request(r) => Ok(*r),
            _ => Err(unexpected_answer()),
        }
    }

    async fn request(&self, id: RequestId) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", request_columns!(), " FROM requests WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        row.map(|row| read_request(&row)).transpose()
    }

    async fn request_by_jti(&self, authority: &PartyId, jti: &str) -> Result<Option<RequestId>, StoreError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM requests WHERE authority = ? AND jti = ?")
                .bind(authority.as_str())
                .bind(jti)
                .fetch_optional(&self.read)
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
            " FROM requests WHERE authority = ? AND idempotency_key = ?"
        ))
        .bind(authority.as_str())
        .bind(key.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        row.map(|row| read_request(&row)).transpose()
    }

    async fn list_requests(&self, query: &RequestQuery) -> Result<RequestPage, StoreError> {
        // One read transaction: the total and the page come from the same snapshot.
        let mut tx = self.read.begin().await.map_err(backend)?;
        let total: i64 = filtered::<Sqlite>("SELECT COUNT(*) FROM requests", query)
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let (limit, offset) = limit_offset(query);
        let mut page = filtered::<Sqlite>(concat!("SELECT ", request_columns!(), " FROM requests"), query);
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
        match self.write(WriteOp::ApplyMove(m.clone())).await? {
            Answer::Event(e) => Ok(*e),
            _ => Err(unexpected_answer()),
        }
    }

    async fn recent_targets(
        &self,
        authority: &PartyId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<NamedTarget>, StoreError> {
        let rows = sqlx::query(
            "SELECT selector_type, value, last_request, last_seen FROM named_targets \
             WHERE scope = ? AND last_seen >= ? ORDER BY last_seen DESC LIMIT ?",
        )
        .bind(format!("authority:{authority}"))
        .bind(sqlite_time(micros(since)))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(read_named_target).collect()
    }

    async fn record_screening(&self, screening: &Screening) -> Result<u64, StoreError> {
        match self.write(WriteOp::RecordScreening(screening.clone())).await? {
            Answer::Logged(index) => Ok(index),
            _ => Err(unexpected_answer()),
        }
    }

    async fn screenings(&self, id: RequestId) -> Result<Vec<Screening>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            screening_columns!(),
            " WHERE s.request_id = ? ORDER BY s.seq, s.at"
        ))
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(read_screening).collect()
    }

    async fn events(&self, id: RequestId) -> Result<Vec<Event>, StoreError> {
        let rows =
            sqlx::query(concat!("SELECT ", event_columns!(), " WHERE e.request_id = ? ORDER BY e.seq"))
                .bind(id.to_string())
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        rows.iter().map(read_event).collect()
    }

    async fn count_by_state(&self) -> Result<Vec<(State, u64)>, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM requests GROUP BY state")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        let mut counts = rows.iter().map(read_state_count).collect::<Result<Vec<_>, _>>()?;
        counts.sort();
        Ok(counts)
    }

    async fn log_read(&self, read: &Read) -> Result<u64, StoreError> {
        match self.write(WriteOp::LogRead(read.clone())).await? {
            Answer::Logged(index) => Ok(index),
            _ => Err(unexpected_answer()),
        }
    }

    async fn log_size(&self) -> Result<u64, StoreError> {
        let size: i64 =
            sqlx::query_scalar("SELECT size FROM log_head").fetch_one(&self.read).await.map_err(backend)?;
        u64::try_from(size).map_err(backend)
    }

    async fn log_records(&self, from: u64, limit: u32) -> Result<Vec<LogRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            log_columns!(),
            " FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?"
        ))
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(|row| RawRecord::read(row)?.parse()).collect()
    }

    async fn request_log(&self, id: RequestId) -> Result<Vec<LogRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            log_columns!(),
            " FROM log_entries WHERE request_id = ? ORDER BY idx"
        ))
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(|row| RawRecord::read(row)?.parse()).collect()
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut found = std::collections::HashMap::with_capacity(indexes.len());
        // SQLite allows 32,766 parameters per statement.
        for chunk in indexes.chunks(8192) {
            let mut query =
                sqlx::QueryBuilder::<Sqlite>::new("SELECT idx, hash FROM log_hashes WHERE idx IN (");
            let mut list = query.separated(", ");
            for i in chunk {
                list.push_bind(i64::try_from(*i).unwrap_or(i64::MAX));
            }
            list.push_unseparated(")");
            let rows: Vec<(i64, Vec<u8>)> =
                query.build_query_as().fetch_all(&self.read).await.map_err(backend)?;
            found.extend(rows);
        }
        crate::log::hashes_in_order(indexes, found)
    }

    async fn checkpoint(&self, sign: Arc<CheckpointSigner>) -> Result<Option<StoredCheckpoint>, StoreError> {
        match self.write(WriteOp::Checkpoint(sign)).await? {
            Answer::Checkpoint(c) => Ok(c.map(|c| *c)),
            _ => Err(unexpected_answer()),
        }
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = sqlx::query("SELECT seq, size, note, at FROM log_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => Ok(Some(self.with_cosignatures(read_checkpoint(&row)?).await?)),
            None => Ok(None),
        }
    }

    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows =
            sqlx::query("SELECT seq, size, note, at FROM log_checkpoints WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(i64::try_from(after).unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.with_cosignatures(read_checkpoint(row)?).await?);
        }
        Ok(out)
    }

    async fn add_cosignature(&self, seq: u64, line: &str) -> Result<(), StoreError> {
        match self.write(WriteOp::AddCosignature(seq, line.to_owned())).await? {
            Answer::Done => Ok(()),
            _ => Err(unexpected_answer()),
        }
    }

    async fn unlogged_rows(&self) -> Result<UnloggedRows, StoreError> {
        let (events, screenings, parties, journal): (i64, i64, i64, i64) =
            sqlx::query_as(crate::rows::UNLOGGED_ROWS).fetch_one(&self.read).await.map_err(backend)?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(UnloggedRows {
            events: n(events),
            screenings: n(screenings),
            parties: n(parties),
            journal: n(journal),
        })
    }

    async fn append_journal(&self, entries: &[JournalEntry]) -> Result<Vec<JournalEntry>, StoreError> {
        match self.trust(TrustOp::AppendJournal(entries.to_vec())).await? {
            TrustAnswer::Journal(written) => Ok(written),
            _ => Err(unexpected_answer()),
        }
    }

    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError> {
        trust::journal(&self.read, query).await
    }

    async fn authority_record(&self, authority: &PartyId) -> Result<AuthorityRecord, StoreError> {
        trust::authority_record(&self.read, authority).await
    }

    async fn add_user(&self, user: &UserRecord, entry: &JournalEntry) -> Result<JournalEntry, StoreError> {
        self.one_entry(TrustOp::AddUser(Box::new(user.clone()), entry.clone())).await
    }

    async fn user(&self, username: &Username) -> Result<Option<UserRecord>, StoreError> {
        trust::user(&self.read, username).await
    }

    async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        trust::users(&self.read).await
    }

    async fn use_totp_step(&self, username: &Username, step: u64) -> Result<bool, StoreError> {
        match self.trust(TrustOp::UseTotpStep(username.clone(), step)).await? {
            TrustAnswer::Flag(used) => Ok(used),
            _ => Err(unexpected_answer()),
        }
    }

    async fn disable_user(
        &self,
        username: &Username,
        at: DateTime<Utc>,
        entry: &JournalEntry,
    ) -> Result<JournalEntry, StoreError> {
        self.one_entry(TrustOp::DisableUser(username.clone(), micros(at), entry.clone())).await
    }

    async fn set_password(&self, username: &Username, password_hash: &str) -> Result<(), StoreError> {
        self.done(TrustOp::SetPassword(username.clone(), password_hash.to_owned())).await
    }

    async fn login_failed(&self, name: &str, at: DateTime<Utc>) -> Result<u32, StoreError> {
        match self.trust(TrustOp::LoginFailed(name.to_owned(), micros(at))).await? {
            TrustAnswer::Count(n) => Ok(n),
            _ => Err(unexpected_answer()),
        }
    }

    async fn lock_login(&self, name: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        self.done(TrustOp::LockLogin(name.to_owned(), micros(until))).await
    }

    async fn login_throttle(&self, name: &str) -> Result<Option<Throttle>, StoreError> {
        trust::login_throttle(&self.read, name).await
    }

    async fn clear_login_failures(&self, name: &str) -> Result<(), StoreError> {
        self.done(TrustOp::ClearLoginFailures(name.to_owned())).await
    }

    async fn add_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        self.done(TrustOp::AddSession(session.clone())).await
    }

    async fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
        trust::session(&self.read, id_hash).await
    }

    async fn end_session(&self, id_hash: &[u8; 32], at: DateTime<Utc>) -> Result<(), StoreError> {
        self.done(TrustOp::EndSession(*id_hash, micros(at))).await
    }

    async fn add_token(&self, token: &TokenRecord, entry: &JournalEntry) -> Result<JournalEntry, StoreError> {
        self.one_entry(TrustOp::AddToken(Box::new(token.clone()), entry.clone())).await
    }

    async fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        trust::token(&self.read, id).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        trust::tokens(&self.read).await
    }

    async fn revoke_token(
        &self,
        id: &str,
        at: DateTime<Utc>,
        entry: &JournalEntry,
    ) -> Result<JournalEntry, StoreError> {
        self.one_entry(TrustOp::RevokeToken(id.to_owned(), micros(at), entry.clone())).await
    }

    async fn add_link(&self, link: &LinkRecord, entry: &JournalEntry) -> Result<JournalEntry, StoreError> {
        self.one_entry(TrustOp::AddLink(link.clone(), entry.clone())).await
    }

    async fn link(&self, secret_hash: &[u8; 32]) -> Result<Option<LinkRecord>, StoreError> {
        trust::link(&self.read, secret_hash).await
    }

    async fn use_link(
        &self,
        secret_hash: &[u8; 32],
        at: DateTime<Utc>,
    ) -> Result<Option<LinkRecord>, StoreError> {
        match self.trust(TrustOp::UseLink(*secret_hash, micros(at))).await? {
            TrustAnswer::Link(link) => Ok(link),
            _ => Err(unexpected_answer()),
        }
    }
}

impl SqliteStore {
    async fn trust(&self, op: TrustOp) -> Result<TrustAnswer, StoreError> {
        match self.write(WriteOp::Trust(Box::new(op))).await? {
            Answer::Trust(answer) => Ok(answer),
            _ => Err(unexpected_answer()),
        }
    }

    async fn done(&self, op: TrustOp) -> Result<(), StoreError> {
        match self.trust(op).await? {
            TrustAnswer::Done => Ok(()),
            _ => Err(unexpected_answer()),
        }
    }

    async fn one_entry(&self, op: TrustOp) -> Result<JournalEntry, StoreError> {
        match self.trust(op).await? {
            TrustAnswer::Journal(mut written) if written.len() == 1 => {
                written.pop().ok_or_else(unexpected_answer)
            }
            _ => Err(unexpected_answer()),
        }
    }

    async fn with_cosignatures(&self, mut c: StoredCheckpoint) -> Result<StoredCheckpoint, StoreError> {
        c.cosignatures = sqlx::query_scalar("SELECT line FROM log_cosignatures WHERE seq = ? ORDER BY line")
            .bind(i64::try_from(c.seq).unwrap_or(i64::MAX))
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;
    use comity_core::{ActorId, Authority, AuthorityType, CountryCode, Instrument, Provider, RequestKind};

    use super::*;

    fn authority(id: &str) -> Party {
        Party::Authority(Authority {
            id: PartyId::parse(id).unwrap(),
            country: CountryCode::parse("FR").unwrap(),
            authority_type: AuthorityType::Prosecutor,
            name: "Parquet".to_owned(),
            institution: None,
        })
    }

    fn provider(id: &str) -> Party {
        Party::Provider(Provider {
            id: PartyId::parse(id).unwrap(),
            country: CountryCode::parse("IE").unwrap(),
            name: "Mail".to_owned(),
            institution: None,
        })
    }

    fn request() -> NewRequest {
        NewRequest {
            id: RequestId::new_at(1_740_000_000_000),
            received_at: Utc.timestamp_opt(1_740_000_000, 0).unwrap(),
            actor: ActorId::system(),
            receipt: "received".into(),
            authority: PartyId::parse("fr-pnf").unwrap(),
            provider: PartyId::parse("example-mail").unwrap(),
            instrument: Instrument::EuEEvidence,
            kind: RequestKind::Production,
            emergency: false,
            reference: "R-1".to_owned(),
            document: "{}".to_owned(),
            idempotency_key: None,
            signature: None,
            jti: None,
            validator: None,
            screening: None,
            targets: Vec::new(),
        }
    }

    /// A store (for reading back) and a write connection of our own, to drive `run_batch`
    /// with exactly the batch we want.
    async fn setup() -> (tempfile::TempDir, SqliteStore, SqliteConnection) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let options = SqliteConnectOptions::new().filename(store.path());
        let conn = SqliteConnection::connect_with(&options).await.unwrap();
        (dir, store, conn)
    }

    fn batch(ops: Vec<WriteOp>) -> (Vec<Write>, Vec<oneshot::Receiver<Result<Answer, StoreError>>>) {
        ops.into_iter()
            .map(|op| {
                let (reply, answer) = oneshot::channel();
                (Write { op, reply }, answer)
            })
            .unzip()
    }

    #[tokio::test]
    async fn a_failing_write_is_undone_alone_and_its_batch_commits() {
        let (_dir, store, mut conn) = setup().await;
        let r = request();
        let (writes, answers) = batch(vec![
            WriteOp::AddParty(authority("fr-pnf")),
            WriteOp::AddParty(provider("fr-pnf")),
            WriteOp::InsertRequest(Box::new(r.clone())),
            WriteOp::InsertRequest(Box::new(r.clone())),
            WriteOp::AddParty(provider("example-mail")),
        ]);
        run_batch(&mut conn, &mut None, writes).await.unwrap();
        let mut results = Vec::new();
        for answer in answers {
            results.push(answer.await.unwrap());
        }
        assert!(matches!(results[0], Ok(Answer::Logged(_))));
        assert!(matches!(&results[1], Err(StoreError::Conflict(m)) if m.contains("(as authority)")));
        assert!(matches!(results[2], Ok(Answer::Request(_))));
        assert!(matches!(&results[3], Err(StoreError::Conflict(m)) if m.contains("exists")));
        assert!(matches!(results[4], Ok(Answer::Logged(_))));

        let id = PartyId::parse("fr-pnf").unwrap();
        assert_eq!(store.party(&id).await.unwrap(), Some(authority("fr-pnf")));
        assert_eq!(store.parties(PartyRole::Provider).await.unwrap(), vec![provider("example-mail")]);
        assert_eq!(store.events(r.id).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_write_that_breaks_the_transaction_fails_the_whole_batch() {
        let (_dir, store, mut conn) = setup().await;
        let r = request();
        // RAISE(ROLLBACK) ends the whole transaction, as a full disk would: the savepoint
        // is gone, so nothing in the batch may be reported as saved.
        conn.execute(
            "CREATE TEMP TRIGGER poison AFTER INSERT ON parties WHEN NEW.id = 'poison' \
             BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END",
        )
        .await
        .unwrap();
        let (writes, answers) = batch(vec![
            WriteOp::AddParty(authority("fr-pnf")),
            WriteOp::InsertRequest(Box::new(r.clone())),
            WriteOp::AddParty(provider("poison")),
        ]);
        assert!(run_batch(&mut conn, &mut None, writes).await.is_err());
        for answer in answers {
            let result = answer.await.unwrap();
            assert!(
                matches!(&result, Err(StoreError::Backend(e)) if e.to_string().contains("nothing in this write was saved"))
            );
        }
        assert!(store.parties(PartyRole::Authority).await.unwrap().is_empty());
        assert_eq!(store.request(r.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_caller_of_the_batch() {
        let (_dir, store, mut conn) = setup().await;
        let r = request();
        // A deferred foreign key is checked at COMMIT: a dangling one makes COMMIT fail.
        conn.execute(
            "CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY); \
             CREATE TEMP TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED); \
             CREATE TEMP TRIGGER dangle AFTER INSERT ON parties WHEN NEW.id = 'dangle' \
             BEGIN INSERT INTO child VALUES (42); END",
        )
        .await
        .unwrap();
        let (writes, answers) = batch(vec![
            WriteOp::AddParty(authority("fr-pnf")),
            WriteOp::AddParty(provider("dangle")),
            WriteOp::InsertRequest(Box::new(r.clone())),
        ]);
        assert!(run_batch(&mut conn, &mut None, writes).await.is_err());
        for answer in answers {
            let result = answer.await.unwrap();
            assert!(
                matches!(&result, Err(StoreError::Backend(e)) if e.to_string().contains("the commit failed")),
                "{:?}",
                result.err()
            );
        }
        assert!(store.parties(PartyRole::Authority).await.unwrap().is_empty());
        assert_eq!(store.request(r.id).await.unwrap(), None);
        // The connection is usable again.
        let (writes, answers) = batch(vec![WriteOp::AddParty(authority("fr-pnf"))]);
        run_batch(&mut conn, &mut None, writes).await.unwrap();
        for answer in answers {
            assert!(matches!(answer.await.unwrap(), Ok(Answer::Logged(_))));
        }
    }
}

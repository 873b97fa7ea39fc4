//! What the store writes to the audit log, shared by both backends and by verification.
//!
//! Each write appends its entries in its own transaction. An entry (`comity_log::Entry`)
//! holds no personal data: a kind, a time, the request id, the actor and a salted SHA-256
//! commitment to the *content* of what happened. The content is re-created from the
//! stored row by the functions below, so `comity log verify --data-dir` can check every
//! row against its entry, and a party holding a document can prove which entry is theirs.
//! Each content is a JSON array of strings, numbers and nulls, so its bytes are fixed.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use comity_core::{
    ActorId, Event, JournalEntry, LogRecord, LogSubject, Party, PartyId, Read, ReadOf, RequestId, Screening,
    StoreError,
};
use comity_log::{Entry, Frontier, RequestTag, Salt, commit_as};
use serde_json::json;

use crate::db::{Arg, Conn, MAX_ARGS, Row, Sql, args};
use crate::rows::{At, backend};

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn bytes(value: serde_json::Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

/// What a receipt commits to beyond the event: the document, and the signed submission
/// it arrived as.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub document: &'a str,
    pub signature: Option<&'a str>,
}

/// The content an event's entry commits to. The receipt (`seq` 1) also commits to the
/// request document and its signature, so the authority holding them can prove its
/// submission, and the provider can prove who signed what it acted on.
pub fn event_content(e: &Event, submission: Option<Submission<'_>>) -> Vec<u8> {
    bytes(json!([
        "event",
        e.request_id.to_string(),
        e.seq,
        e.from.map(|s| s.as_str()),
        e.to.as_str(),
        e.actor.as_str(),
        time(e.at),
        e.reason,
        submission.map(|s| s.document),
        submission.and_then(|s| s.signature),
    ]))
}

/// The content a screening's entry commits to: the pack that judged and the full report.
pub fn screening_content(s: &Screening, seq: u32) -> Vec<u8> {
    bytes(json!([
        "screening",
        s.request_id.to_string(),
        seq,
        time(s.at),
        s.pack_id,
        s.pack_version,
        s.pack_hash,
        s.verdict,
        s.report,
    ]))
}

/// The content a party's registration commits to.
pub fn party_content(p: &Party) -> Vec<u8> {
    let c = crate::rows::PartyColumns::of(p);
    bytes(json!(["party", c.id, c.role, c.country, c.kind, c.name, c.institution]))
}

/// The content of a read: who read what of which request, when.
pub fn read_content(r: &Read) -> Vec<u8> {
    bytes(json!(["read", r.request_id.to_string(), r.what.as_str(), r.actor.as_str(), time(r.at)]))
}

/// The content of the log's own checkpoint entry: its number and the size it signs.
pub fn checkpoint_content(seq: u64, size: u64) -> Vec<u8> {
    bytes(json!(["checkpoint", seq, size]))
}

/// An entry ready to be sequenced, and the row it belongs to.
///
/// Its commitment is made at once (it needs only the entry's own salt); the request it
/// concerns is named by its tag (`comity_log::RequestTag`) only when it is appended, from
/// the request's salt as the transaction reads it, so that every write tags alike.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    kind: String,
    at: DateTime<Utc>,
    request: Option<RequestId>,
    commitment: [u8; 32],
    pub salt: [u8; 32],
    pub actor: ActorId,
    pub subject: LogSubject,
}

impl Pending {
    fn new(
        kind: &str,
        at: DateTime<Utc>,
        request: Option<RequestId>,
        actor: &ActorId,
        content: &[u8],
        subject: LogSubject,
    ) -> Result<Pending, StoreError> {
        let salt = Salt::random();
        let commitment = commit_as(&salt, actor.as_str(), content).map_err(backend)?;
        Ok(Pending {
            kind: kind.to_owned(),
            at,
            request,
            commitment,
            salt: salt.0,
            actor: actor.clone(),
            subject,
        })
    }

    /// The entry's bytes, its request (if any) tagged under `request_salt`.
    pub(crate) fn entry(&self, request_salt: Option<&[u8; 32]>) -> Result<Vec<u8>, StoreError> {
        let tag = match (self.request, request_salt) {
            (Some(id), Some(salt)) => Some(RequestTag::new(&Salt(*salt), &id.to_string())),
            (None, _) => None,
            // The request is not stored: nothing can be logged of it.
            (Some(_), None) => return Err(StoreError::NotFound),
        };
        Ok(Entry::new(&self.kind, self.at, tag.as_ref(), self.commitment).map_err(backend)?.to_bytes())
    }

    pub(crate) fn event(e: &Event, submission: Option<Submission<'_>>) -> Result<Pending, StoreError> {
        Pending::new(
            &format!("lifecycle.{}", e.to.as_str()),
            e.at,
            Some(e.request_id),
            &e.actor,
            &event_content(e, submission),
            LogSubject::Event { request_id: e.request_id, seq: e.seq },
        )
    }

    pub(crate) fn screening(s: &Screening, seq: u32) -> Result<Pending, StoreError> {
        Pending::new(
            &format!("screening.{}", s.verdict),
            s.at,
            Some(s.request_id),
            &ActorId::system(),
            &screening_content(s, seq),
            LogSubject::Screening { request_id: s.request_id, seq },
        )
    }

    pub(crate) fn party(p: &Party, at: DateTime<Utc>) -> Result<Pending, StoreError> {
        Pending::new(
            &format!("party.{}", crate::rows::role_column(p.role())),
            at,
            None,
            &ActorId::system(),
            &party_content(p),
            LogSubject::Party(p.id().clone()),
        )
    }

    pub(crate) fn read(r: &Read) -> Result<Pending, StoreError> {
        Pending::new(
            &format!("read.{}", r.what.as_str()),
            r.at,
            Some(r.request_id),
            &r.actor,
            &read_content(r),
            LogSubject::Read { request_id: r.request_id, what: r.what },
        )
    }

    /// A journal entry's log entry; its content is the row's `content`, byte for byte.
    pub(crate) fn journal(j: &JournalEntry) -> Result<Pending, StoreError> {
        Pending::new(
            &j.log_kind(),
            j.at,
            j.request_id,
            &j.actor,
            j.content.as_bytes(),
            LogSubject::Journal { seq: j.seq },
        )
    }

    pub(crate) fn checkpoint(seq: u64, size: u64, at: DateTime<Utc>) -> Result<Pending, StoreError> {
        Pending::new(
            "log.checkpoint",
            at,
            None,
            &ActorId::system(),
            &checkpoint_content(seq, size),
            LogSubject::Checkpoint { seq },
        )
    }
}

/// The subject columns of `log_entries`: kind, request id, sequence number, id.
pub(crate) struct SubjectColumns {
    pub kind: &'static str,
    pub request_id: Option<String>,
    pub seq: Option<i64>,
    pub id: Option<String>,
}

impl SubjectColumns {
    pub(crate) fn of(s: &LogSubject) -> SubjectColumns {
        let (kind, request_id, seq, id) = match s {
            LogSubject::Event { request_id, seq } => {
                ("event", Some(*request_id), Some(i64::from(*seq)), None)
            }
            LogSubject::Screening { request_id, seq } => {
                ("screening", Some(*request_id), Some(i64::from(*seq)), None)
            }
            LogSubject::Party(id) => ("party", None, None, Some(id.to_string())),
            LogSubject::Read { request_id, what } => {
                ("read", Some(*request_id), None, Some(what.as_str().to_owned()))
            }
            LogSubject::Checkpoint { seq } => ("checkpoint", None, i64::try_from(*seq).ok(), None),
            LogSubject::Journal { seq } => ("journal", None, i64::try_from(*seq).ok(), None),
        };
        SubjectColumns { kind, request_id: request_id.map(|r| r.to_string()), seq, id }
    }
}

/// A `log_entries` row as the database hands it over.
pub(crate) struct RawRecord {
    pub idx: i64,
    pub entry: Vec<u8>,
    pub salt: Vec<u8>,
    pub actor: Option<String>,
    pub request_id: Option<String>,
    pub kind: String,
    pub seq: Option<i64>,
    pub id: Option<String>,
}

impl RawRecord {
    /// Reads a `log_entries` row (the columns of `log_columns!`).
    pub(crate) fn read(row: &impl Row) -> Result<RawRecord, StoreError> {
        let idx = row.int(&At { table: "log_entries", id: "?" }, "idx")?;
        let id = idx.to_string();
        let at = At { table: "log_entries", id: &id };
        Ok(RawRecord {
            idx,
            entry: row.bytes(&at, "entry")?,
            salt: row.bytes(&at, "salt")?,
            actor: row.opt_text(&at, "actor")?,
            request_id: row.opt_text(&at, "request_id")?,
            kind: row.text(&at, "subject_kind")?,
            seq: row.opt_int(&at, "subject_seq")?,
            id: row.opt_text(&at, "subject_id")?,
        })
    }

    pub(crate) fn parse(self) -> Result<LogRecord, StoreError> {
        let row = self.idx.to_string();
        let at = At { table: "log_entries", id: &row };
        let request = || -> Result<RequestId, StoreError> {
            let r = self.request_id.as_deref().ok_or_else(|| at.corrupt("request_id", "missing"))?;
            RequestId::parse(r).map_err(|e| at.corrupt("request_id", e))
        };
        let seq64 = || -> Result<u64, StoreError> {
            self.seq.and_then(|s| u64::try_from(s).ok()).ok_or_else(|| at.corrupt("subject_seq", "missing"))
        };
        let seq32 = || -> Result<u32, StoreError> {
            self.seq.and_then(|s| u32::try_from(s).ok()).ok_or_else(|| at.corrupt("subject_seq", "missing"))
        };
        let subject = match self.kind.as_str() {
            "event" => LogSubject::Event { request_id: request()?, seq: seq32()? },
            "screening" => LogSubject::Screening { request_id: request()?, seq: seq32()? },
            "party" => LogSubject::Party(
                PartyId::parse(self.id.as_deref().unwrap_or_default())
                    .map_err(|e| at.corrupt("subject_id", e))?,
            ),
            "read" => LogSubject::Read {
                request_id: request()?,
                what: self
                    .id
                    .as_deref()
                    .and_then(ReadOf::parse)
                    .ok_or_else(|| at.corrupt("subject_id", "not document, events or screenings"))?,
            },
            "checkpoint" => LogSubject::Checkpoint { seq: seq64()? },
            "journal" => LogSubject::Journal { seq: seq64()? },
            other => return Err(at.corrupt("subject_kind", format!("{other:?}"))),
        };
        Ok(LogRecord {
            index: u64::try_from(self.idx).map_err(|e| at.corrupt("idx", e))?,
            entry: self.entry,
            salt: self.salt.as_slice().try_into().map_err(|_| at.corrupt("salt", "not 32 bytes"))?,
            actor: self
                .actor
                .as_deref()
                .map(ActorId::parse)
                .transpose()
                .map_err(|e| at.corrupt("actor", e))?,
            subject,
        })
    }
}

/// A pending entry made: its bytes, with its request tagged.
#[derive(Debug)]
pub(crate) struct Ready {
    pub entry: Vec<u8>,
    pub pending: Pending,
}

/// Rows to insert for a batch of entries: `(index, entry)` and `(stored index, hash)`.
#[derive(Debug, Default)]
pub(crate) struct Sequenced {
    pub entries: Vec<(i64, Ready)>,
    pub hashes: Vec<(i64, [u8; 32])>,
}

/// Gives each entry the next index and computes the tree hashes it adds, into `out`.
pub(crate) fn sequence(
    frontier: &mut Frontier,
    ready: Vec<Ready>,
    out: &mut Sequenced,
) -> Result<(), StoreError> {
    for r in ready {
        let appended = frontier.append(&r.entry);
        let index = i64::try_from(appended.index).map_err(backend)?;
        let first = i64::try_from(appended.first).map_err(backend)?;
        out.hashes.extend((first..).zip(appended.hashes.iter().map(|h| h.0)));
        out.entries.push((index, r));
    }
    Ok(())
}

/// The log salts of the requests whose ids are `ids`, read in the writing transaction (a
/// request inserted by it included).
async fn request_salts<C: Conn>(
    conn: &mut C,
    ids: &[String],
) -> Result<HashMap<RequestId, [u8; 32]>, StoreError> {
    let mut salts = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_ARGS) {
        let mut sql = Sql::new("SELECT id, log_salt FROM requests WHERE id IN ");
        sql.list(chunk.iter().map(String::as_str));
        let (sql, args) = sql.into_parts();
        let rows = conn.fetch_all(&sql, args, |row| {
            let id = crate::rows::row_id(row, "requests", "id")?;
            let at = At { table: "requests", id: &id };
            let salt = row
                .opt_bytes(&at, "log_salt")?
                .and_then(|salt| <[u8; 32]>::try_from(salt).ok())
                .ok_or_else(|| at.corrupt("log_salt", "not 32 bytes"))?;
            Ok((RequestId::parse(&id).map_err(|e| at.corrupt("id", e))?, salt))
        });
        salts.extend(rows.await?);
    }
    Ok(salts)
}

/// The hashes a frontier of `size` entries needs, checked as they come from the database.
fn frontier_from(size: u64, mut found: HashMap<u64, Vec<u8>>) -> Result<Frontier, StoreError> {
    let wanted = Frontier::indexes(size);
    let mut hashes = Vec::with_capacity(wanted.len());
    for index in &wanted {
        let hash = found.remove(index).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "log_hashes lacks the stored hash {index} of a tree of {size} entries"
            ))
        })?;
        let hash: [u8; 32] = hash
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("log_hashes row {index} is not 32 bytes")))?;
        hashes.push(comity_log::Hash(hash));
    }
    Frontier::from_hashes(size, hashes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Hashes in the order asked, or `NotFound` naming the first index the tree lacks.
pub(crate) fn hashes_in_order(
    indexes: &[u64],
    mut found: HashMap<u64, Vec<u8>>,
) -> Result<Vec<[u8; 32]>, StoreError> {
    indexes
        .iter()
        .map(|i| {
            let bytes = found.remove(i).ok_or(StoreError::NotFound)?;
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt(format!("log_hashes row {i} is not 32 bytes")))
        })
        .collect()
}

/// Stored tree hashes by index; those the tree lacks are left out.
///
/// A run of consecutive indexes (checking a log reads thousands) is read as one range;
/// the other indexes (a proof's, a frontier's: a few dozen, scattered) as `IN` lists.
pub(crate) async fn stored_hashes<C: Conn>(
    conn: &mut C,
    indexes: &[u64],
) -> Result<HashMap<u64, Vec<u8>>, StoreError> {
    const LONG_RUN: usize = 16;
    let mut wanted: Vec<i64> = indexes.iter().map(|i| i64::try_from(*i).unwrap_or(i64::MAX)).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    let mut scattered = Vec::new();
    for run in wanted.chunk_by(|a, b| a.checked_add(1) == Some(*b)) {
        match run {
            [first, .., last] if run.len() >= LONG_RUN => {
                let sql = "SELECT idx, hash FROM log_hashes WHERE idx >= $1 AND idx <= $2";
                read_hashes(conn, &mut found, sql, args![*first, *last]).await?;
            }
            _ => scattered.extend_from_slice(run),
        }
    }
    for chunk in scattered.chunks(MAX_ARGS) {
        let mut sql = Sql::new("SELECT idx, hash FROM log_hashes WHERE idx IN ");
        sql.list(chunk.iter().copied());
        let (sql, args) = sql.into_parts();
        read_hashes(conn, &mut found, &sql, args).await?;
    }
    Ok(found)
}

async fn read_hashes<C: Conn>(
    conn: &mut C,
    found: &mut HashMap<u64, Vec<u8>>,
    sql: &str,
    args: Vec<Arg<'_>>,
) -> Result<(), StoreError> {
    let rows = conn.fetch_all(sql, args, |row| {
        let idx = row.int(&At { table: "log_hashes", id: "?" }, "idx")?;
        let id = idx.to_string();
        let at = At { table: "log_hashes", id: &id };
        Ok((at.unsigned("idx", idx)?, row.bytes(&at, "hash")?))
    });
    found.extend(rows.await?);
    Ok(())
}

/// The log inside one write transaction: its right edge, and the appends that move it.
///
/// The edge is the size in `log_head` and the frontier of a tree of that size. It is read
/// by the statement [`Conn::locking`] makes of `SELECT size FROM log_head`, first thing in
/// each batch (`crate::batch`): on PostgreSQL that locks the row, so the batch's
/// transaction is the log's one sequencer until it commits or rolls back, and another
/// process appending waits, then sees the grown size. On SQLite the writer holds the whole
/// database already.
///
/// The frontier the process last committed is reused when its size is `log_head`'s
/// (another process may have appended since); otherwise it is rebuilt from `log_hashes`.
///
/// The entries and tree hashes a batch appends are kept in memory and written all at once,
/// with the grown size to `log_head`, by [`Log::finish`] just before COMMIT: a few
/// multi-row statements for the whole batch, not two for each write. No write reads
/// `log_entries` or `log_hashes` inside its transaction (the edge it needs is in memory),
/// so nothing reads the rows before they are written.
///
/// Each entry about a request is tagged under the request's log salt, which never changes
/// once the request is stored; the salts read are kept from batch to batch
/// ([`Committed`]), so that an append about a known request sends no statement to learn
/// it: on PostgreSQL each statement is a round trip.
#[derive(Debug)]
pub(crate) struct Log {
    /// The process's last committed frontier, looked at once `log_head` has been read.
    cached: Option<Frontier>,
    /// The edge, once read in this transaction.
    edge: Option<Frontier>,
    /// The size `log_head` holds in this transaction, once read.
    head: Option<u64>,
    /// Request salts read in batches that committed. Shared, not copied, when a savepoint
    /// copies the log.
    salts: Arc<HashMap<RequestId, [u8; 32]>>,
    /// Request salts read in this transaction: kept for the next batches only if it
    /// commits, since the request read may be one this transaction inserted, and a write
    /// undone (its savepoint's copy of the log put back) forgets what it read.
    read: HashMap<RequestId, [u8; 32]>,
    /// Sequenced in this transaction and not yet written (see [`Log::finish`]).
    unwritten: Sequenced,
}

/// A log as it was before a write, to put back if the write is undone ([`Log::mark`]).
pub(crate) struct Mark {
    log: Log,
    entries: usize,
    hashes: usize,
}

/// What a sequencer keeps of the log from one committed batch to the next.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    frontier: Option<Frontier>,
    salts: Arc<HashMap<RequestId, [u8; 32]>>,
}

/// Request salts kept at most: about 5 MB. Past this the cache starts again empty, rather
/// than growing with every request ever stored.
const MAX_SALTS: usize = 65_536;

impl Log {
    /// The log as the last committed batch left it (or as nothing is known of it).
    pub(crate) fn new(committed: Committed) -> Log {
        Log {
            cached: committed.frontier,
            edge: None,
            head: None,
            salts: committed.salts,
            read: HashMap::new(),
            unwritten: Sequenced::default(),
        }
    }

    /// The log as it is now, to put back with [`Log::undo`] if a write is undone (its
    /// savepoint rolled back). The entries not yet written are not copied, only counted:
    /// an undo drops those appended since.
    pub(crate) fn mark(&self) -> Mark {
        let log = Log {
            cached: self.cached.clone(),
            edge: self.edge.clone(),
            head: self.head,
            salts: self.salts.clone(),
            read: self.read.clone(),
            unwritten: Sequenced::default(),
        };
        Mark { log, entries: self.unwritten.entries.len(), hashes: self.unwritten.hashes.len() }
    }

    /// Puts the log back as it was at `mark`.
    pub(crate) fn undo(&mut self, mark: Mark) {
        let mut unwritten = std::mem::take(&mut self.unwritten);
        unwritten.entries.truncate(mark.entries);
        unwritten.hashes.truncate(mark.hashes);
        *self = Log { unwritten, ..mark.log };
    }

    /// The log's edge in this transaction, read (and on PostgreSQL locked) on first use.
    pub(crate) async fn frontier<C: Conn>(&mut self, conn: &mut C) -> Result<&mut Frontier, StoreError> {
        let edge = match self.edge.take() {
            Some(edge) => edge,
            None => {
                let head = conn.fetch_one(&C::locking("SELECT size FROM log_head"), args![]).await;
                let at = At { table: "log_head", id: "the one row" };
                let size = at.unsigned("size", head.map_err(backend)?.int(&at, "size")?)?;
                self.head = Some(size);
                match self.cached.take().filter(|f| f.size() == size) {
                    Some(cached) => cached,
                    None => frontier_from(size, stored_hashes(conn, &Frontier::indexes(size)).await?)?,
                }
            }
        };
        Ok(self.edge.insert(edge))
    }

    /// The salt of a request this transaction stored: its entries need not read it back.
    /// Like a salt read, it is kept for the next batches only if the transaction commits.
    pub(crate) fn knows_salt(&mut self, request: RequestId, salt: [u8; 32]) {
        self.read.insert(request, salt);
    }

    /// Sequences entries at the edge and keeps them, with the tree hashes they add, for
    /// [`Log::finish`] to write before the transaction commits; returns their indexes.
    pub(crate) async fn append<C: Conn>(
        &mut self,
        conn: &mut C,
        pending: Vec<Pending>,
    ) -> Result<Vec<u64>, StoreError> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let mut unknown: Vec<String> = pending
            .iter()
            .filter_map(|p| p.request)
            .filter(|r| !self.salts.contains_key(r) && !self.read.contains_key(r))
            .map(|r| r.to_string())
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            unknown.dedup();
            let read = request_salts(conn, &unknown).await?;
            self.read.extend(read);
        }
        let salt = |r: RequestId| self.salts.get(&r).or_else(|| self.read.get(&r));
        let ready = pending
            .into_iter()
            .map(|p| {
                let entry = p.entry(p.request.and_then(salt))?;
                Ok(Ready { entry, pending: p })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // The edge is read first (on PostgreSQL, locked), then appended to in memory.
        let first = self.unwritten.entries.len();
        let mut unwritten = std::mem::take(&mut self.unwritten);
        let sequenced = match self.frontier(conn).await {
            Ok(frontier) => sequence(frontier, ready, &mut unwritten),
            Err(e) => Err(e),
        };
        self.unwritten = unwritten;
        sequenced?;
        self.unwritten.entries[first..]
            .iter()
            .map(|(index, _)| u64::try_from(*index).map_err(backend))
            .collect()
    }

    /// Writes what this transaction appended: its entries, the tree hashes they add, and
    /// the grown size to `log_head`. Call it last, just before COMMIT.
    pub(crate) async fn finish<C: Conn>(&mut self, conn: &mut C) -> Result<(), StoreError> {
        let Sequenced { entries, hashes } = std::mem::take(&mut self.unwritten);
        const ENTRY_COLUMNS: usize = 8;
        for chunk in entries.chunks(MAX_ARGS / ENTRY_COLUMNS) {
            let mut sql = Sql::new(
                "INSERT INTO log_entries \
                 (idx, entry, salt, actor, request_id, subject_kind, subject_seq, subject_id) VALUES ",
            );
            sql.rows(chunk.iter().map(|(index, r)| {
                let p = &r.pending;
                let s = SubjectColumns::of(&p.subject);
                // A journal fact about a request (an assignment, a deadline that passed) is
                // listed among the request's entries, as its tag already says.
                let request_id = s.request_id.or_else(|| p.request.map(|r| r.to_string()));
                args![*index, &r.entry, &p.salt, p.actor.as_str(), request_id, s.kind, s.seq, s.id]
            }));
            let (sql, args) = sql.into_parts();
            conn.execute(&sql, args).await.map_err(backend)?;
        }
        for chunk in hashes.chunks(MAX_ARGS / 2) {
            let mut sql = Sql::new("INSERT INTO log_hashes (idx, hash) VALUES ");
            sql.rows(chunk.iter().map(|(index, hash)| args![*index, hash]));
            let (sql, args) = sql.into_parts();
            conn.execute(&sql, args).await.map_err(backend)?;
        }
        self.record_size(conn).await
    }

    /// Writes the grown size to `log_head`, if this transaction appended.
    async fn record_size<C: Conn>(&mut self, conn: &mut C) -> Result<(), StoreError> {
        let Some(size) = self.edge.as_ref().map(Frontier::size).filter(|size| Some(*size) != self.head)
        else {
            return Ok(());
        };
        let stored = i64::try_from(size).map_err(backend)?;
        conn.execute("UPDATE log_head SET size = $1", args![stored]).await.map_err(backend)?;
        self.head = Some(size);
        Ok(())
    }

    /// What to keep for the next batch, once this one has committed: the edge after its
    /// appends (`None` if it never read it), and every request salt known.
    pub(crate) fn into_committed(self) -> Committed {
        let mut salts = self.salts;
        if !self.read.is_empty() {
            let kept = Arc::make_mut(&mut salts);
            if kept.len() + self.read.len() > MAX_SALTS {
                kept.clear();
            }
            kept.extend(self.read);
        }
        Committed { frontier: self.edge, salts }
    }
}

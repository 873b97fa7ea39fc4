//! Every write of the store, written once for both backends.
//!
//! A write is a [`WriteOp`]. [`WriteOp::run`] does it on a connection inside a transaction
//! the backend opened (SQLite: a savepoint in the writer's batch; PostgreSQL: a transaction
//! of its own), and appends the log entries it owes through [`Log`] before it returns. Each
//! write's statements gather the entries as [`Pending`]; they are appended at the end, so on
//! PostgreSQL the log's lock is held only for the appends and the commit.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use comity_core::{
    Act, ActorId, Amendment, AuthorityRecord, CheckpointSigner, ClockClose, ClockOutcome, ClockSet, Event,
    FailureBucket, IdempotencyKey, Intake, JournalEntry, LinkRecord, LoginSlot, Move, NewEntry, NewNotice,
    NewRequest, Notice, NoticeOutcome, Party, PartyId, Read, RequestId, Screening, SessionRecord, State,
    StoreError, StoredCheckpoint, StoredRequest, TokenRecord, UserRecord, Username,
};

use crate::at_rest::{Sealed, SealedIntake};
use crate::db::{Conn, Row, Sql, args};
use crate::log::{Log, Pending, Submission};
use crate::rows::{
    At, PartyColumns, SetupError, backend, micros, move_refused, no_deadline, not_found_on_foreign_key,
    party_exists, request_exists,
};
use crate::{limit_rows, notice_rows, trust_rows};

/// A write, with everything it needs owned: SQLite hands it to its writer thread.
pub(crate) enum WriteOp {
    AddParty(Party),
    /// A party's row from the first to the second, with its `party.updated` fact.
    UpdateParty(Box<(Party, Party)>, Box<NewEntry>),
    // Boxed: a request with its screening is far larger than the other operations.
    InsertRequest(Box<NewRequest>, Box<SealedIntake>),
    ApplyMove(Move),
    RecordScreening(Screening, Vec<ClockSet>),
    Act(Box<Act>),
    Amend(Box<Amendment>, Box<Sealed>),
    /// Seals a request's documents kept in the clear (issue 15).
    SealInClear(Box<crate::at_rest::InClear>),
    /// Replaces a target kept in the clear (scope, type, value) by its keyed hash.
    BlindTarget(String, String, String, String),
    /// Destroys a request's documents' key, with the fact that records it (issue 15).
    ShredDocuments(RequestId, Box<NewEntry>),
    LogRead(Read),
    Checkpoint(Arc<CheckpointSigner>),
    AddCosignature(u64, String),
    AppendJournal(Vec<NewEntry>),
    /// A production's sealed data key kept (`Some`, with the number of its package's
    /// chunks) or destroyed with its chunks (`None`), with its facts.
    PackageKey(String, Option<(Vec<u8>, u32)>, Vec<NewEntry>),
    /// One chunk of a production's stored package: production, seq, bytes, when.
    PackageChunk(String, u32, Vec<u8>, DateTime<Utc>),
    /// The chunks of a production that has no data key.
    DropPackageChunks(String),
    /// A provider's production key: provider, key id, private half sealed, its fact.
    ProductionKey(PartyId, String, Vec<u8>, Box<NewEntry>),
    // The journal entries are boxed: each is larger than most whole operations.
    AddUser(Box<UserRecord>, Box<NewEntry>),
    UseTotpStep(Username, u64),
    DisableUser(Username, DateTime<Utc>, Box<NewEntry>),
    ChangePassword(Username, String, Option<[u8; 32]>, DateTime<Utc>, Box<NewEntry>),
    /// Name, client, now.
    ReserveLogin(String, String, DateTime<Utc>),
    ClearLoginAttempts(String, String),
    AddSession(SessionRecord),
    EndSession([u8; 32], DateTime<Utc>),
    AddToken(Box<TokenRecord>, Box<NewEntry>),
    /// Id, when, its entry, and whether the organisation's last admin credential is kept.
    RevokeToken(String, DateTime<Utc>, Box<NewEntry>, bool),
    AddLink(Box<LinkRecord>, Box<NewEntry>),
    UseLink([u8; 32], DateTime<Utc>),
    /// A write that matches no row: it fails where the database refuses writes.
    CheckWritable,
    /// Name, holder, now, until.
    TakeLease(String, String, DateTime<Utc>, DateTime<Utc>),
    Claim(String, String),
    /// The outbox (issue 13, item 8): cursor from, to, and the notices of the entries
    /// between.
    FeedNotices(u64, u64, Vec<NewNotice>),
    /// Now, the lease's end, at most how many.
    TakeNotices(DateTime<Utc>, DateTime<Utc>, u32),
    RecordNotice(u64, Box<NoticeOutcome>),
    RetryNotice(u64, DateTime<Utc>, Box<NewEntry>),
    /// Failures by client network, the time one takes to drain and now, both in
    /// microseconds (issue 17).
    AddFailures(Vec<(std::net::IpAddr, u32)>, i64, i64),
    /// Now, in microseconds since the epoch.
    PruneFailures(i64),
    /// Server, now and the oldest heartbeat that is live, in microseconds since the epoch.
    Heartbeat(String, i64, i64),
    Leave(String),
}

/// What a write answers, once committed.
#[derive(Debug)]
pub(crate) enum Answer {
    Done,
    /// The index of the one entry the write appended.
    Logged(u64),
    Request(Box<Intake>),
    Event(Box<Event>),
    Checkpoint(Option<Box<StoredCheckpoint>>),
    Journal(Vec<JournalEntry>),
    Flag(bool),
    Login(LoginSlot),
    Link(Option<LinkRecord>),
    Count(u64),
    Notices(Vec<Notice>),
    Text(String),
    Buckets(Vec<FailureBucket>),
}

fn unexpected_answer() -> StoreError {
    backend(SetupError("the store answered the wrong operation".to_owned()))
}

impl Answer {
    pub(crate) fn done(self) -> Result<(), StoreError> {
        match self {
            Answer::Done => Ok(()),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn logged(self) -> Result<u64, StoreError> {
        match self {
            Answer::Logged(index) => Ok(index),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn request(self) -> Result<Intake, StoreError> {
        match self {
            Answer::Request(intake) => Ok(*intake),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn event(self) -> Result<Event, StoreError> {
        match self {
            Answer::Event(event) => Ok(*event),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn checkpoint(self) -> Result<Option<StoredCheckpoint>, StoreError> {
        match self {
            Answer::Checkpoint(c) => Ok(c.map(|c| *c)),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn journal(self) -> Result<Vec<JournalEntry>, StoreError> {
        match self {
            Answer::Journal(written) => Ok(written),
            _ => Err(unexpected_answer()),
        }
    }

    /// The one journal entry a trust write appended.
    pub(crate) fn entry(self) -> Result<JournalEntry, StoreError> {
        let mut written = self.journal()?;
        match (written.pop(), written.is_empty()) {
            (Some(one), true) => Ok(one),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn text(self) -> Result<String, StoreError> {
        match self {
            Answer::Text(text) => Ok(text),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn flag(self) -> Result<bool, StoreError> {
        match self {
            Answer::Flag(flag) => Ok(flag),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn login(self) -> Result<LoginSlot, StoreError> {
        match self {
            Answer::Login(slot) => Ok(slot),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn link(self) -> Result<Option<LinkRecord>, StoreError> {
        match self {
            Answer::Link(link) => Ok(link),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn count(self) -> Result<u64, StoreError> {
        match self {
            Answer::Count(n) => Ok(n),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn buckets(self) -> Result<Vec<FailureBucket>, StoreError> {
        match self {
            Answer::Buckets(b) => Ok(b),
            _ => Err(unexpected_answer()),
        }
    }

    pub(crate) fn notices(self) -> Result<Vec<Notice>, StoreError> {
        match self {
            Answer::Notices(n) => Ok(n),
            _ => Err(unexpected_answer()),
        }
    }
}

impl WriteOp {
    /// Whether the write changes what a register answers: a party's row, an API token, or
    /// a journal fact of [`FactKind::REGISTER`](comity_core::FactKind::REGISTER). Such a
    /// write increments the registers' version in its transaction, and this process
    /// forgets what it kept of them once it has committed (`crate::registers`). Every
    /// operation is named, so that a new one must say.
    pub(crate) fn touches_registers(&self) -> bool {
        fn any(entries: &[NewEntry]) -> bool {
            entries.iter().any(|e| e.fact.kind().is_register())
        }
        fn one(entry: &NewEntry) -> bool {
            any(std::slice::from_ref(entry))
        }
        match self {
            WriteOp::AddParty(_)
            | WriteOp::UpdateParty(..)
            | WriteOp::AddToken(..)
            | WriteOp::RevokeToken(..) => true,
            WriteOp::InsertRequest(r, _) => r.screening.as_ref().is_some_and(|s| any(&s.facts)),
            WriteOp::Act(act) => any(&act.facts),
            WriteOp::ApplyMove(m) => any(&m.facts),
            WriteOp::Amend(a, _) => any(&a.to_review.facts),
            WriteOp::AppendJournal(entries) | WriteOp::PackageKey(_, _, entries) => any(entries),
            WriteOp::ShredDocuments(_, e)
            | WriteOp::ProductionKey(_, _, _, e)
            | WriteOp::AddUser(_, e)
            | WriteOp::DisableUser(_, _, e)
            | WriteOp::ChangePassword(_, _, _, _, e)
            | WriteOp::AddLink(_, e)
            | WriteOp::RetryNotice(_, _, e) => one(e),
            WriteOp::RecordScreening(..)
            | WriteOp::SealInClear(_)
            | WriteOp::BlindTarget(..)
            | WriteOp::LogRead(_)
            | WriteOp::Checkpoint(_)
            | WriteOp::AddCosignature(..)
            | WriteOp::PackageChunk(..)
            | WriteOp::DropPackageChunks(_)
            | WriteOp::UseTotpStep(..)
            | WriteOp::ReserveLogin(..)
            | WriteOp::ClearLoginAttempts(..)
            | WriteOp::AddSession(_)
            | WriteOp::EndSession(..)
            | WriteOp::UseLink(..)
            | WriteOp::CheckWritable
            | WriteOp::TakeLease(..)
            | WriteOp::Claim(..)
            | WriteOp::FeedNotices(..)
            | WriteOp::TakeNotices(..)
            | WriteOp::RecordNotice(..)
            | WriteOp::AddFailures(..)
            | WriteOp::PruneFailures(_)
            | WriteOp::Heartbeat(..)
            | WriteOp::Leave(_) => false,
        }
    }

    /// Does the write and appends its log entries, in the caller's transaction. On `Err`
    /// the caller must undo the transaction (or savepoint), and `log` with it.
    pub(crate) async fn run<C: Conn>(&self, conn: &mut C, log: &mut Log) -> Result<Answer, StoreError> {
        if self.touches_registers() {
            conn.execute("UPDATE register_version SET version = version + 1 WHERE id = 1", args![])
                .await
                .map_err(backend)?;
        }
        let answer = match self {
            WriteOp::AddParty(p) => {
                let pending = add_party(conn, p).await?;
                Answer::Logged(one(log.append(conn, pending).await?)?)
            }
            WriteOp::UpdateParty(parties, entry) => {
                let (before, after) = parties.as_ref();
                update_party(conn, before, after).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::InsertRequest(r, sealed) => {
                let Inserted { request, pending, screening, record } =
                    insert_request(conn, r, sealed).await?;
                log.knows_salt(request.id, request.log_salt);
                let log = log.append(conn, pending).await?;
                let screening =
                    screening.map(|(x, entry)| Screening { log_index: log.get(entry).copied(), ..x });
                Answer::Request(Box::new(Intake { request, log, screening, record }))
            }
            WriteOp::ApplyMove(m) => {
                let (event, pending) = apply_move(conn, m).await?;
                let logged = log.append(conn, pending).await?;
                Answer::Event(Box::new(Event { log_index: logged.first().copied(), ..event }))
            }
            WriteOp::RecordScreening(x, clocks) => {
                let pending = record_screening(conn, x).await?;
                set_clocks(conn, x.request_id, x.at, clocks, Running::Any).await?;
                Answer::Logged(one(log.append(conn, pending).await?)?)
            }
            WriteOp::Amend(a, sealed) => {
                let (event, pending) = amend(conn, a, sealed).await?;
                let logged = log.append(conn, pending).await?;
                Answer::Event(Box::new(Event { log_index: logged.first().copied(), ..event }))
            }
            WriteOp::SealInClear(c) => {
                seal_in_clear(conn, c).await?;
                Answer::Done
            }
            WriteOp::BlindTarget(scope, kind, value, blinded) => {
                // The hash may be there already, if the target was named again since.
                conn.execute(
                    "INSERT INTO named_targets (scope, selector_type, value, last_request, last_seen) \
                     SELECT scope, selector_type, $4, last_request, last_seen FROM named_targets \
                     WHERE scope = $1 AND selector_type = $2 AND value = $3 \
                     ON CONFLICT (scope, selector_type, value) DO UPDATE \
                     SET last_request = excluded.last_request, last_seen = excluded.last_seen \
                     WHERE excluded.last_seen > named_targets.last_seen",
                    args![scope, kind, value, blinded],
                )
                .await
                .map_err(backend)?;
                conn.execute(
                    "DELETE FROM named_targets WHERE scope = $1 AND selector_type = $2 AND value = $3",
                    args![scope, kind, value],
                )
                .await
                .map_err(backend)?;
                Answer::Done
            }
            WriteOp::ShredDocuments(id, fact) => {
                // The key goes in the transaction that records why: a key destroyed
                // without its fact, or a fact without its key destroyed, never commits.
                let deleted = conn
                    .execute("DELETE FROM document_keys WHERE request_id = $1", args![id.to_string()])
                    .await
                    .map_err(backend)?;
                if deleted == 0 {
                    return Err(StoreError::Conflict(format!(
                        "request {id}'s documents were already shredded"
                    )));
                }
                let written = trust_rows::insert_journal(conn, std::slice::from_ref(fact)).await?;
                Answer::Logged(one(logged_journal(conn, log, written)
                    .await?
                    .iter()
                    .filter_map(|j| j.log_index)
                    .collect())?)
            }
            WriteOp::Act(act) => {
                if let Some(close) = &act.closes {
                    close_clock(conn, close).await?;
                }
                set_clocks(conn, act.request_id, act.at, &act.clocks, Running::Any).await?;
                let written = trust_rows::insert_journal(conn, &act.facts).await?;
                Answer::Journal(logged_journal(conn, log, written).await?)
            }
            WriteOp::LogRead(read) => {
                let read = Read { at: micros(read.at), ..read.clone() };
                Answer::Logged(one(log.append(conn, vec![Pending::read(&read)?]).await?)?)
            }
            WriteOp::Checkpoint(sign) => {
                Answer::Checkpoint(checkpoint(conn, log, sign.as_ref()).await?.map(Box::new))
            }
            WriteOp::AddCosignature(seq, line) => {
                conn.execute(
                    "INSERT INTO log_cosignatures (seq, line) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    args![i64::try_from(*seq).map_err(backend)?, line],
                )
                .await
                .map_err(not_found_on_foreign_key)?;
                Answer::Done
            }
            WriteOp::AppendJournal(entries) => {
                let written = trust_rows::insert_journal(conn, entries).await?;
                Answer::Journal(logged_journal(conn, log, written).await?)
            }
            WriteOp::PackageKey(production, wrapped, entries) => {
                package_key(conn, production, wrapped.as_ref()).await?;
                let written = trust_rows::insert_journal(conn, entries).await?;
                Answer::Journal(logged_journal(conn, log, written).await?)
            }
            WriteOp::PackageChunk(production, seq, bytes, at) => {
                let kept = conn
                    .execute(
                        "INSERT INTO package_chunks (production, seq, written_at, bytes) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                        args![production, *seq, micros(*at), bytes],
                    )
                    .await
                    .map_err(backend)?;
                if kept == 0 {
                    return Err(StoreError::Conflict(format!(
                        "production {production} has its package's chunk {seq} already"
                    )));
                }
                Answer::Done
            }
            WriteOp::DropPackageChunks(production) => {
                // Never a sealed production's: its chunks go only with its key.
                let dropped = conn
                    .execute(
                        "DELETE FROM package_chunks WHERE production = $1 \
                         AND NOT EXISTS (SELECT 1 FROM package_keys WHERE production = $1)",
                        args![production],
                    )
                    .await
                    .map_err(backend)?;
                Answer::Count(dropped)
            }
            WriteOp::ProductionKey(provider, kid, sealed, entry) => {
                let kept = conn
                    .execute(
                        "INSERT INTO production_private_keys (provider, kid, sealed) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                        args![provider.as_str(), kid, sealed],
                    )
                    .await
                    .map_err(backend)?;
                if kept == 0 {
                    return Err(StoreError::Conflict(format!(
                        "{provider} has the production key {kid} already"
                    )));
                }
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::AddUser(user, entry) => {
                trust_rows::add_user(conn, user).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::DisableUser(user, at, entry) => {
                trust_rows::disable_user(conn, user, *at).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::AddToken(token, entry) => {
                trust_rows::add_token(conn, token).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::RevokeToken(id, at, entry, keep_an_admin) => {
                trust_rows::revoke_token(conn, id, *at, *keep_an_admin).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::AddLink(link, entry) => {
                trust_rows::add_link(conn, link).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::UseTotpStep(user, step) => {
                Answer::Flag(trust_rows::use_totp_step(conn, user, *step).await?)
            }
            WriteOp::ChangePassword(user, hash, keep, at, entry) => {
                trust_rows::change_password(conn, user, hash, keep.as_ref(), *at).await?;
                Answer::Journal(journal_entry(conn, log, entry).await?)
            }
            WriteOp::ReserveLogin(name, client, now) => {
                Answer::Login(trust_rows::reserve_login(conn, name, client, *now).await?)
            }
            WriteOp::ClearLoginAttempts(name, client) => {
                trust_rows::clear_login_attempts(conn, name, client).await?;
                Answer::Done
            }
            WriteOp::AddSession(session) => {
                trust_rows::add_session(conn, session).await?;
                Answer::Done
            }
            WriteOp::EndSession(hash, at) => {
                trust_rows::end_session(conn, hash, *at).await?;
                Answer::Done
            }
            WriteOp::UseLink(hash, at) => Answer::Link(trust_rows::use_link(conn, hash, *at).await?),
            WriteOp::FeedNotices(from, to, notices) => {
                Answer::Count(notice_rows::feed(conn, *from, *to, notices).await?)
            }
            WriteOp::TakeNotices(now, lease_until, limit) => {
                Answer::Notices(notice_rows::take(conn, *now, *lease_until, *limit).await?)
            }
            WriteOp::RecordNotice(id, outcome) => {
                notice_rows::record(conn, *id, outcome).await?;
                match outcome.as_ref() {
                    NoticeOutcome::Dead { entry, .. } => {
                        let written = notice_rows::fact(conn, entry).await?;
                        Answer::Journal(logged_journal(conn, log, written).await?)
                    }
                    _ => Answer::Journal(Vec::new()),
                }
            }
            WriteOp::RetryNotice(id, at, entry) => {
                notice_rows::revive(conn, *id, *at).await?;
                let written = notice_rows::fact(conn, entry).await?;
                Answer::Journal(logged_journal(conn, log, written).await?)
            }
            WriteOp::TakeLease(name, holder, now, until) => {
                // Taken when free, run out, or already this holder's; the WHERE of the
                // upsert decides, so of two servers at once one holds it.
                let taken = conn
                    .execute(
                        "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $3) \
                         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until \
                         WHERE leases.held_until < $4 OR leases.holder = excluded.holder",
                        args![name, holder, micros(*until), micros(*now)],
                    )
                    .await
                    .map_err(backend)?;
                Answer::Flag(taken > 0)
            }
            WriteOp::Claim(name, value) => {
                // The first value kept stays: of two servers starting at once, one sets it
                // and the other reads it.
                conn.execute(
                    "INSERT INTO deployment (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    args![name, value],
                )
                .await
                .map_err(backend)?;
                let at = At { table: "deployment", id: name };
                let row = conn
                    .fetch_one("SELECT value FROM deployment WHERE name = $1", args![name])
                    .await
                    .map_err(backend)?;
                Answer::Text(row.text(&at, "value")?)
            }
            WriteOp::AddFailures(failures, step_us, now_us) => {
                Answer::Buckets(limit_rows::add_failures(conn, failures, *step_us, *now_us).await?)
            }
            WriteOp::PruneFailures(now_us) => Answer::Count(limit_rows::prune_failures(conn, *now_us).await?),
            WriteOp::Heartbeat(server, now_us, live_since_us) => {
                Answer::Count(u64::from(limit_rows::heartbeat(conn, server, *now_us, *live_since_us).await?))
            }
            WriteOp::Leave(server) => {
                limit_rows::leave(conn, server).await?;
                Answer::Done
            }
            WriteOp::CheckWritable => {
                conn.execute("UPDATE log_head SET size = size WHERE size < 0", args![])
                    .await
                    .map_err(backend)?;
                Answer::Done
            }
        };
        Ok(answer)
    }
}

/// The index of a write's one entry.
fn one(logged: Vec<u64>) -> Result<u64, StoreError> {
    match logged.as_slice() {
        [index] => Ok(*index),
        _ => Err(unexpected_answer()),
    }
}

/// Appends written journal entries to the log; gives them back with their indexes.
async fn logged_journal<C: Conn>(
    conn: &mut C,
    log: &mut Log,
    written: Vec<JournalEntry>,
) -> Result<Vec<JournalEntry>, StoreError> {
    let pending = written.iter().map(Pending::journal).collect::<Result<Vec<_>, _>>()?;
    let indexes = log.append(conn, pending).await?;
    Ok(written.into_iter().zip(indexes).map(|(e, i)| JournalEntry { log_index: Some(i), ..e }).collect())
}

/// Keeps or destroys a production's data key; a second key, or a key destroyed twice, is a
/// conflict. A key is kept only beside every chunk of its package (issue 17), and destroyed
/// with them.
async fn package_key<C: Conn>(
    conn: &mut C,
    production: &str,
    wrapped: Option<&(Vec<u8>, u32)>,
) -> Result<(), StoreError> {
    let changed = match wrapped {
        Some((wrapped, chunks)) => {
            let at = At { table: "package_chunks", id: production };
            let row = conn
                .fetch_one(
                    "SELECT COUNT(*) AS n FROM package_chunks WHERE production = $1",
                    args![production],
                )
                .await
                .map_err(backend)?;
            let kept = row.int(&at, "n")?;
            if kept != i64::from(*chunks) {
                return Err(StoreError::Conflict(format!(
                    "production {production}'s package has {kept} chunks in the database, not the {chunks} \
                     written: it was removed as interrupted; produce again"
                )));
            }
            conn.execute(
                "INSERT INTO package_keys (production, wrapped) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                args![production, wrapped],
            )
            .await
            .map_err(backend)?
        }
        None => {
            conn.execute("DELETE FROM package_chunks WHERE production = $1", args![production])
                .await
                .map_err(backend)?;
            conn.execute("DELETE FROM package_keys WHERE production = $1", args![production])
                .await
                .map_err(backend)?
        }
    };
    if changed == 0 {
        return Err(StoreError::Conflict(match wrapped {
            Some(_) => format!("production {production} has a data key already"),
            None => format!("production {production} has no data key: it was shredded already"),
        }));
    }
    Ok(())
}

/// Inserts and logs the one journal entry of a trust write.
async fn journal_entry<C: Conn>(
    conn: &mut C,
    log: &mut Log,
    entry: &NewEntry,
) -> Result<Vec<JournalEntry>, StoreError> {
    let written = trust_rows::insert_journal(conn, std::slice::from_ref(entry)).await?;
    logged_journal(conn, log, written).await
}

async fn add_party<C: Conn>(conn: &mut C, party: &Party) -> Result<Vec<Pending>, StoreError> {
    let c = PartyColumns::of(party);
    let created_at = micros(Utc::now());
    // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL an
    // error would abort the transaction, and we still want to read who holds the id.
    let inserted = conn
        .execute(
            "INSERT INTO parties (id, role, country, kind, name, created_at, institution) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
            args![c.id, c.role, c.country, c.kind, c.name, created_at, c.institution],
        )
        .await
        .map_err(backend)?;
    if inserted == 0 {
        let row = conn.fetch_optional("SELECT role FROM parties WHERE id = $1", args![c.id]).await;
        let at = At { table: "parties", id: c.id };
        let role = row.map_err(backend)?.map(|row| row.text(&at, "role")).transpose()?;
        return Err(party_exists(party.id(), role.as_deref()));
    }
    Ok(vec![Pending::party(party, created_at)?])
}

/// Changes a party's row from `before` to `after`, if it is still `before`.
async fn update_party<C: Conn>(conn: &mut C, before: &Party, after: &Party) -> Result<(), StoreError> {
    let (b, a) = (PartyColumns::of(before), PartyColumns::of(after));
    if (b.id, b.role, b.country) != (a.id, a.role, a.country) {
        return Err(backend(SetupError(format!(
            "a party's id, register and country never change: {} {} {} is not {} {} {}",
            b.id, b.role, b.country, a.id, a.role, a.country
        ))));
    }
    // A compare-and-set on every column a change may touch, NULL compared as empty: two
    // operators changing one party at once cannot each overwrite the other unseen.
    let changed = conn
        .execute(
            "UPDATE parties SET kind = $1, name = $2, institution = $3 \
             WHERE id = $4 AND role = $5 AND COALESCE(kind, '') = $6 AND name = $7 \
             AND COALESCE(institution, '') = $8",
            args![
                a.kind,
                a.name,
                a.institution,
                b.id,
                b.role,
                b.kind.unwrap_or(""),
                b.name,
                b.institution.unwrap_or("")
            ],
        )
        .await
        .map_err(backend)?;
    if changed == 0 {
        let row = conn.fetch_optional("SELECT role FROM parties WHERE id = $1", args![b.id]).await;
        return Err(match row.map_err(backend)? {
            Some(_) => StoreError::Conflict(format!(
                "{} was changed meanwhile; read it again and repeat the change if it still stands",
                b.id
            )),
            None => StoreError::NotFound,
        });
    }
    Ok(())
}

async fn insert_request<C: Conn>(
    conn: &mut C,
    r: &NewRequest,
    at_rest: &SealedIntake,
) -> Result<Inserted, StoreError> {
    let received_at = micros(r.received_at);
    let id = r.id.to_string();
    // The request's own salt, under which its log entries name it (issue 12).
    let log_salt = comity_log::Salt::random().0;
    // Its events: the receipt, then the moves its screening made, all known before the
    // write, so the row is inserted as they leave it and the events go in one statement.
    let mut events = vec![Event {
        request_id: r.id,
        seq: 1,
        from: None,
        to: State::Received,
        actor: r.actor.clone(),
        at: received_at,
        reason: r.receipt.clone(),
        log_index: None,
    }];
    if let Some(intake) = &r.screening {
        let at = micros(intake.screening.at);
        for (to, reason) in &intake.moves {
            let from = events.last().map(|e| e.to);
            let seq = events.len() as u32 + 1;
            events.push(Event {
                request_id: r.id,
                seq,
                from,
                to: *to,
                actor: ActorId::system(),
                at,
                reason: reason.clone(),
                log_index: None,
            });
        }
    }
    let (state, version) = events.last().map_or((State::Received, 1), |last| (last.to, last.seq));
    let updated_at = r.screening.as_ref().map_or(received_at, |intake| micros(intake.screening.at));
    // No conflict target: the id, the authority's idempotency key and the authority's jti
    // are each unique (see the migrations), and when any of them is taken nothing is
    // inserted. The unique indexes decide, so of two intakes racing (two servers on one
    // PostgreSQL database) exactly one is stored.
    let inserted = conn
        .execute(
            "INSERT INTO requests (id, state, version, received_at, updated_at, authority, provider, \
             instrument, kind, emergency, reference, document, idempotency_key, signature, jti, validator, \
             log_salt) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT DO NOTHING",
            args![
                &id,
                state.as_str(),
                version,
                received_at,
                updated_at,
                r.authority.as_str(),
                r.provider.as_str(),
                r.instrument.as_str(),
                r.kind.as_str(),
                r.emergency,
                &r.reference,
                &at_rest.sealed.document,
                r.idempotency_key.as_ref().map(IdempotencyKey::as_str),
                &at_rest.sealed.signature,
                &r.jti,
                r.validator.as_ref().map(PartyId::as_str),
                &log_salt,
            ],
        )
        .await
        .map_err(backend)?;
    if inserted == 0 {
        return Err(intake_refused(conn, r, &id).await?);
    }
    insert_events(conn, &events).await?;
    if let Some(key) = &at_rest.key {
        conn.execute(
            "INSERT INTO document_keys (request_id, wrapped, created_at) VALUES ($1, $2, $3)",
            args![&id, key, received_at],
        )
        .await
        .map_err(backend)?;
    }
    insert_document(
        conn,
        r.id,
        1,
        &at_rest.sealed.document,
        at_rest.sealed.signature.as_deref(),
        r.jti.as_deref(),
    )
    .await?;
    // The log commits to the document as it came, never to what is stored for it.
    let submission = Submission { document: &r.document, signature: r.signature.as_deref() };
    let mut pending = vec![Pending::event(&events[0], Some(submission))?];
    let mut record = trust_rows::count_intake(conn, &r.authority, r.emergency).await?;
    // The targets, against the authority, for the anti-bulk rule.
    let scope = format!("authority:{}", r.authority);
    for (t, value) in r.targets.iter().zip(&at_rest.targets) {
        conn.execute(
            "INSERT INTO named_targets (scope, selector_type, value, last_request, last_seen) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, selector_type, value) DO UPDATE \
             SET last_request = excluded.last_request, last_seen = excluded.last_seen \
             WHERE excluded.last_seen >= named_targets.last_seen",
            args![&scope, t.kind().as_str(), value, &id, received_at],
        )
        .await
        .map_err(backend)?;
    }
    // Screening done before the write is kept in the same transaction: the report, then
    // comity's moves, so an intake is one durable commit however far it goes.
    let mut screening = None;
    if let Some(intake) = &r.screening {
        let (stored, entries) = insert_screening(conn, &intake.screening, 1).await?;
        screening = Some((stored, pending.len()));
        pending.extend(entries);
        set_clocks(conn, r.id, intake.screening.at, &intake.clocks, Running::None).await?;
        for event in &events[1..] {
            if let Some(counted) = trust_rows::count_event(conn, &r.authority, event).await? {
                record = counted;
            }
            pending.push(Pending::event(event, None)?);
        }
        for fact in trust_rows::insert_journal(conn, &intake.facts).await? {
            pending.push(Pending::journal(&fact)?);
        }
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
        log_salt,
    };
    Ok(Inserted { request, pending, screening, record })
}

/// What an intake wrote: the request, the log entries it owes, its screening as stored
/// with the place of its entry among them, and its authority's record after it.
struct Inserted {
    request: StoredRequest,
    pending: Vec<Pending>,
    screening: Option<(Screening, usize)>,
    record: AuthorityRecord,
}

/// Why an intake inserted nothing: which of its unique values another request holds.
/// The authority's idempotency key comes first (the client retried: it gets its request
/// back), then its jti (a replay), then the id.
async fn intake_refused<C: Conn>(conn: &mut C, r: &NewRequest, id: &str) -> Result<StoreError, StoreError> {
    let row = conn
        .fetch_one(
            "SELECT CASE \
             WHEN EXISTS (SELECT 1 FROM requests WHERE authority = $1 AND idempotency_key = $2) THEN 'key' \
             WHEN EXISTS (SELECT 1 FROM requests WHERE authority = $1 AND jti = $3) THEN 'jti' \
             WHEN EXISTS (SELECT 1 FROM requests WHERE id = $4) THEN 'id' \
             END AS taken",
            args![r.authority.as_str(), r.idempotency_key.as_ref().map(IdempotencyKey::as_str), &r.jti, id],
        )
        .await
        .map_err(backend)?;
    let taken = row.opt_text(&At { table: "requests", id }, "taken")?;
    Ok(match taken.as_deref() {
        Some("key") => StoreError::IdempotencyKeyTaken,
        Some("jti") => StoreError::JtiTaken,
        Some(_) => request_exists(r.id),
        // The request that held the value is gone again: only a hand edit does that.
        None => StoreError::Conflict(format!(
            "the request {id} was refused as a duplicate, but no request holds its id, key or jti"
        )),
    })
}

async fn insert_event<C: Conn>(conn: &mut C, e: &Event) -> Result<(), StoreError> {
    insert_events(conn, std::slice::from_ref(e)).await
}

/// Inserts events in one statement.
async fn insert_events<C: Conn>(conn: &mut C, events: &[Event]) -> Result<(), StoreError> {
    let mut sql =
        Sql::new("INSERT INTO events (request_id, seq, from_state, to_state, actor, at, reason) VALUES ");
    sql.rows(events.iter().map(|e| {
        args![
            e.request_id.to_string(),
            e.seq,
            e.from.map(State::as_str),
            e.to.as_str(),
            e.actor.as_str(),
            e.at,
            &e.reason
        ]
    }));
    let (sql, args) = sql.into_parts();
    conn.execute(&sql, args).await.map_err(backend)?;
    Ok(())
}

async fn apply_move<C: Conn>(conn: &mut C, m: &Move) -> Result<(Event, Vec<Pending>), StoreError> {
    let at = micros(m.at);
    let id = m.request_id.to_string();
    if let Some(close) = &m.closes {
        close_clock(conn, close).await?;
    }
    // The compare-and-set: the move applies only to the version (and state) the caller
    // read. On PostgreSQL a concurrent mover holding the row makes this wait for its
    // commit; PostgreSQL then re-checks the WHERE against the new row, finds the version
    // gone, and updates nothing.
    let updated = conn
        .fetch_optional(
            "UPDATE requests SET state = $1, version = version + 1, updated_at = $2 \
             WHERE id = $3 AND version = $4 AND state = $5 RETURNING authority",
            args![m.to.as_str(), at, &id, m.expected_version, m.from.as_str()],
        )
        .await
        .map_err(backend)?;
    let row_at = At { table: "requests", id: &id };
    let Some(updated) = updated else {
        let current = conn
            .fetch_optional("SELECT state, version FROM requests WHERE id = $1", args![&id])
            .await
            .map_err(backend)?;
        let current = match current {
            Some(row) => Some((row.text(&row_at, "state")?, row.int(&row_at, "version")?)),
            None => None,
        };
        return Err(move_refused(m, current));
    };
    let authority =
        PartyId::parse(&updated.text(&row_at, "authority")?).map_err(|e| row_at.corrupt("authority", e))?;
    let event = Event {
        request_id: m.request_id,
        seq: m.expected_version + 1,
        from: Some(m.from),
        to: m.to,
        actor: m.actor.clone(),
        at,
        reason: m.reason.clone(),
        log_index: None,
    };
    insert_event(conn, &event).await?;
    trust_rows::count_event(conn, &authority, &event).await?;
    let mut pending = vec![Pending::event(&event, None)?];
    for fact in trust_rows::insert_journal(conn, &m.facts).await? {
        pending.push(Pending::journal(&fact)?);
    }
    set_clocks(conn, m.request_id, at, &m.clocks, Running::Any).await?;
    Ok((event, pending))
}

/// A request's documents, kept in the clear from before, sealed in place with their new
/// key; refused as a conflict if another server sealed them first.
async fn seal_in_clear<C: Conn>(conn: &mut C, c: &crate::at_rest::InClear) -> Result<(), StoreError> {
    let id = c.id.to_string();
    let updated = conn
        .execute(
            "UPDATE requests SET document = $1, signature = $2 WHERE id = $3 AND document = $4",
            args![&c.request.document, &c.request.signature, &id, &c.was],
        )
        .await
        .map_err(backend)?;
    if updated == 0 {
        return Err(StoreError::Conflict(format!("request {id}'s documents were sealed meanwhile")));
    }
    conn.execute(
        "INSERT INTO document_keys (request_id, wrapped, created_at) VALUES ($1, $2, $3)",
        args![&id, &c.key, micros(c.at)],
    )
    .await
    .map_err(backend)?;
    for (seq, sealed) in &c.versions {
        conn.execute(
            "UPDATE documents SET document = $1, signature = $2 WHERE request_id = $3 AND seq = $4",
            args![&sealed.document, &sealed.signature, &id, *seq],
        )
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// Keeps one version of a request's document, by the event that brought it.
async fn insert_document<C: Conn>(
    conn: &mut C,
    request: RequestId,
    seq: u32,
    document: &str,
    signature: Option<&str>,
    jti: Option<&str>,
) -> Result<(), StoreError> {
    let inserted = conn
        .execute(
            "INSERT INTO documents (request_id, seq, document, signature, jti) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING",
            args![request.to_string(), seq, document, signature, jti],
        )
        .await
        .map_err(backend)?;
    if inserted == 0 {
        // The (request, seq) is the event's, which was just inserted: only the jti can be
        // taken.
        return Err(StoreError::JtiTaken);
    }
    Ok(())
}

/// A clarification answered with an amended document: the move, with its event committing
/// to the document in the log; the document kept beside the earlier versions and made the
/// request's; the new screening; the deadlines it sets.
async fn amend<C: Conn>(
    conn: &mut C,
    a: &Amendment,
    sealed: &Sealed,
) -> Result<(Event, Vec<Pending>), StoreError> {
    let m = &a.to_review;
    let (event, mut pending) = apply_move(conn, m).await?;
    let submission = Submission { document: &a.document, signature: a.signature.as_deref() };
    pending[0] = Pending::event(&event, Some(submission))?;
    insert_document(
        conn,
        m.request_id,
        event.seq,
        &sealed.document,
        sealed.signature.as_deref(),
        a.jti.as_deref(),
    )
    .await?;
    conn.execute(
        "UPDATE requests SET document = $1, signature = $2, validator = $3 WHERE id = $4",
        args![
            &sealed.document,
            &sealed.signature,
            a.validator.as_ref().map(PartyId::as_str),
            m.request_id.to_string()
        ],
    )
    .await
    .map_err(backend)?;
    pending.extend(record_screening(conn, &a.screening).await?);
    set_clocks(conn, m.request_id, m.at, &a.clocks, Running::Any).await?;
    Ok((event, pending))
}

/// Which clocks of a request may be running when [`set_clocks`] writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Running {
    /// Any: the request was stored before this write.
    Any,
    /// None: the request is inserted by this write, so there is nothing to close.
    None,
}

/// Sets, moves or takes away a request's deadlines, in the transaction of the act that
/// does it. Setting a deadline (again) runs the clock from the new due time; taking it away
/// closes a running clock as cancelled. Each kind's last setting counts; all are set in one
/// statement, and all taken away in another.
async fn set_clocks<C: Conn>(
    conn: &mut C,
    request: RequestId,
    at: DateTime<Utc>,
    clocks: &[ClockSet],
    running: Running,
) -> Result<(), StoreError> {
    let id = request.to_string();
    let at = micros(at);
    let mut last: Vec<&ClockSet> = Vec::with_capacity(clocks.len());
    for clock in clocks {
        last.retain(|c| c.kind != clock.kind);
        last.push(clock);
    }
    let set: Vec<(&ClockSet, DateTime<Utc>)> =
        last.iter().filter_map(|c| c.due.map(|due| (*c, due))).collect();
    if !set.is_empty() {
        let mut sql = Sql::new("INSERT INTO clocks (request_id, kind, due_at, set_at) VALUES ");
        sql.rows(set.iter().map(|(clock, due)| args![&id, clock.kind.as_str(), micros(*due), at]));
        sql.push(
            " ON CONFLICT (request_id, kind) DO UPDATE \
             SET due_at = excluded.due_at, set_at = excluded.set_at, closed_at = NULL, outcome = NULL",
        );
        let (sql, args) = sql.into_parts();
        conn.execute(&sql, args).await.map_err(backend)?;
    }
    let taken: Vec<&str> = last.iter().filter(|c| c.due.is_none()).map(|c| c.kind.as_str()).collect();
    if !taken.is_empty() && running == Running::Any {
        let mut sql = Sql::new("UPDATE clocks SET closed_at = ");
        sql.bind(at).push(", outcome = ").bind(ClockOutcome::Cancelled.as_str());
        sql.push(" WHERE request_id = ").bind(&id).push(" AND closed_at IS NULL AND kind IN ").list(taken);
        let (sql, args) = sql.into_parts();
        conn.execute(&sql, args).await.map_err(backend)?;
    }
    note_next_due(conn, request).await
}

/// Writes the request's soonest running clock into its row (migration 0020), after any
/// write to its clocks and in the same transaction: the inbox reads its order from there.
async fn note_next_due<C: Conn>(conn: &mut C, request: RequestId) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE requests SET \
         next_kind = (SELECT k.kind FROM clocks k WHERE k.request_id = $1 AND k.closed_at IS NULL \
         ORDER BY k.due_at, k.kind LIMIT 1), \
         next_due = COALESCE((SELECT MIN(k.due_at) FROM clocks k WHERE k.request_id = $1 \
         AND k.closed_at IS NULL), $2) WHERE id = $1",
        args![request.to_string(), no_deadline()],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// Closes a clock that passed, once: unless it is still running with the due time the
/// sweep read, nothing is written and the whole act is refused as a conflict.
async fn close_clock<C: Conn>(conn: &mut C, close: &ClockClose) -> Result<(), StoreError> {
    let closed = conn
        .execute(
            "UPDATE clocks SET closed_at = $1, outcome = $2 \
             WHERE request_id = $3 AND kind = $4 AND due_at = $5 AND closed_at IS NULL",
            args![
                micros(close.at),
                close.outcome.as_str(),
                close.request_id.to_string(),
                close.kind.as_str(),
                micros(close.due)
            ],
        )
        .await
        .map_err(backend)?;
    if closed == 0 {
        return Err(StoreError::Conflict(format!(
            "the {} clock of request {} was acted on already, or has moved",
            close.kind, close.request_id
        )));
    }
    note_next_due(conn, close.request_id).await
}

/// Keeps a screening, numbered after the request's others.
async fn record_screening<C: Conn>(conn: &mut C, x: &Screening) -> Result<Vec<Pending>, StoreError> {
    let id = x.request_id.to_string();
    // On PostgreSQL the request's row lock orders its screenings, so two at once cannot
    // take one number; on SQLite the one writer does.
    let exists = conn
        .fetch_optional(&C::locking("SELECT 1 FROM requests WHERE id = $1"), args![&id])
        .await
        .map_err(backend)?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    let row = conn
        .fetch_one(
            "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM screenings WHERE request_id = $1",
            args![&id],
        )
        .await
        .map_err(backend)?;
    let at = At { table: "screenings", id: &id };
    let seq = u32::try_from(row.int(&at, "seq")?).map_err(|e| at.corrupt("seq", e))?;
    Ok(insert_screening(conn, x, seq).await?.1)
}

/// Keeps a screening as number `seq` of its request: 1 at intake, the next after the
/// others later ([`record_screening`]). Returns the screening as stored (its time in
/// microseconds) and its log entry.
async fn insert_screening<C: Conn>(
    conn: &mut C,
    x: &Screening,
    seq: u32,
) -> Result<(Screening, Vec<Pending>), StoreError> {
    let id = x.request_id.to_string();
    let x = Screening { at: micros(x.at), ..x.clone() };
    conn.execute(
        "INSERT INTO screenings (request_id, at, pack_id, pack_version, pack_hash, verdict, report, seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![&id, x.at, &x.pack_id, &x.pack_version, &x.pack_hash, &x.verdict, &x.report, seq],
    )
    .await
    .map_err(backend)?;
    let pending = vec![Pending::screening(&x, seq)?];
    Ok((x, pending))
}

/// Signs the log if it grew since the last checkpoint, recording the checkpoint as the
/// log's own last entry first.
async fn checkpoint<C: Conn>(
    conn: &mut C,
    log: &mut Log,
    sign: &CheckpointSigner,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    // The log's edge first (on PostgreSQL, its lock): the size read here is the size signed.
    let size = log.frontier(conn).await?.size();
    let last = conn
        .fetch_optional("SELECT seq, size FROM log_checkpoints ORDER BY seq DESC LIMIT 1", args![])
        .await
        .map_err(backend)?;
    let (last_seq, last_size) = match last {
        Some(row) => {
            let at = At { table: "log_checkpoints", id: "(latest)" };
            (at.unsigned("seq", row.int(&at, "seq")?)?, at.unsigned("size", row.int(&at, "size")?)?)
        }
        None => (0, 0),
    };
    if last_size == size {
        return Ok(None);
    }
    let seq = last_seq + 1;
    let at = micros(Utc::now());
    let size = size + 1;
    log.append(conn, vec![Pending::checkpoint(seq, size, at)?]).await?;
    let root = log.frontier(conn).await?.root();
    let note = sign(size, &root.0).map_err(|e| backend(SetupError(e)))?;
    conn.execute(
        "INSERT INTO log_checkpoints (seq, size, note, at) VALUES ($1, $2, $3, $4)",
        args![i64::try_from(seq).map_err(backend)?, i64::try_from(size).map_err(backend)?, &note, at],
    )
    .await
    .map_err(backend)?;
    Ok(Some(StoredCheckpoint { seq, size, note, at, cosignatures: Vec::new() }))
}

//! Group commit, for both stores: many writes in one transaction, each in its own
//! savepoint, with one `log_head` lock and one commit (one WAL flush) for them all.
//!
//! Each store has one sequencer per process, which takes every write waiting (up to
//! [`MAX_BATCH`]) and runs them here: SQLite's writer thread, and PostgreSQL's sequencer
//! task. The store opens the transaction and commits it, since that is where the two
//! differ; what happens between is written once, below.

use std::sync::Arc;

use comity_core::StoreError;
use tokio::sync::oneshot;

use crate::db::{Conn, args};
use crate::log::Log;
use crate::rows::backend;
use crate::writes::{Answer, WriteOp};

/// The most writes one transaction carries. Large enough that a burst shares one commit,
/// small enough that one batch never holds the log's lock for long.
pub(crate) const MAX_BATCH: usize = 256;

/// Writes waiting for the sequencer; beyond this, callers wait to queue (back-pressure).
pub(crate) const QUEUE: usize = 4096;

/// Where a write's answer goes.
pub(crate) type Reply = oneshot::Sender<Result<Answer, StoreError>>;

/// A write handed to the sequencer, and where its answer goes.
pub(crate) struct Write {
    pub op: WriteOp,
    pub reply: Reply,
}

/// What a sequencer is asked to do.
pub(crate) enum Op {
    Write(Write),
    /// Finish the writes queued before this, then stop, and say so.
    Close(oneshot::Sender<()>),
}

/// Takes the writes out of `ops` (what one receive gathered), and keeps any request to
/// close in `closing`: the sequencer runs the writes, then stops if `closing` is not empty.
pub(crate) fn writes(ops: &mut Vec<Op>, closing: &mut Vec<oneshot::Sender<()>>) -> Vec<Write> {
    let mut batch = Vec::with_capacity(ops.len());
    for op in ops.drain(..) {
        match op {
            Op::Write(w) => batch.push(w),
            Op::Close(done) => closing.push(done),
        }
    }
    batch
}

/// Why a whole batch failed; every caller in it gets this.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what}, so nothing in this write was saved: {cause}")]
pub(crate) struct BatchFailed {
    what: &'static str,
    cause: Arc<dyn std::error::Error + Send + Sync>,
    /// Why the failure passes (a full disk, a database restarting), if it does: then every
    /// caller is told to retry (`StoreError::Unavailable`, 503) rather than given a fault
    /// (500).
    passing: Option<&'static str>,
}

impl BatchFailed {
    pub(crate) fn new(
        what: &'static str,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let cause = cause.into();
        let passing = crate::rows::passing_cause(&*cause);
        let failed = Self { what, cause: Arc::from(cause), passing };
        tracing::warn!(error = %failed, "a write batch failed; every write in it was refused");
        failed
    }

    pub(crate) fn answer(&self, reply: Reply) {
        let error = match self.passing {
            Some(reason) => StoreError::Unavailable(format!("{reason}: {self}")),
            None => backend(self.clone()),
        };
        // A caller that went away no longer needs the answer.
        let _ = reply.send(Err(error));
    }

    /// Tells every caller of `batch` that it failed.
    pub(crate) fn answer_all(&self, batch: impl IntoIterator<Item = Write>) {
        batch.into_iter().for_each(|w| self.answer(w.reply));
    }
}

/// The answers of a batch that ran, to be sent once its transaction has committed.
#[must_use = "the callers wait until their answers are sent"]
pub(crate) struct Ran(Vec<(Reply, Result<Answer, StoreError>)>);

impl Ran {
    /// The transaction committed: each caller gets its own answer.
    pub(crate) fn committed(self) {
        for (reply, result) in self.0 {
            let _ = reply.send(result);
        }
    }

    /// The commit failed: nothing was saved, and every caller is told so.
    pub(crate) fn failed(self, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) {
        self.refused(&BatchFailed::new("the commit failed", cause));
    }

    /// The batch failed as a whole: every caller whose write ran is told so.
    fn refused(self, failed: &BatchFailed) {
        self.0.into_iter().for_each(|(reply, _)| failed.answer(reply));
    }
}

/// Runs `batch` in the transaction `conn` has open: takes the log's edge first (on
/// PostgreSQL, its lock), runs the writes so that one that fails is undone alone, and
/// records the log's grown size once. The caller commits and then sends [`Ran::committed`].
///
/// `Err` means the batch failed as a whole, every caller has been told so, and the caller
/// must roll the transaction back (or drop the connection).
pub(crate) async fn run<C: Conn>(conn: &mut C, log: &mut Log, batch: Vec<Write>) -> Result<Ran, ()> {
    // The batch is the log's one sequencer until it commits: the frontier it left is
    // checked against log_head, since another process may have appended.
    if let Err(e) = log.frontier(conn).await {
        BatchFailed::new("the log's frontier could not be read", e).answer_all(batch);
        return Err(());
    }
    let mut done = Ran(Vec::with_capacity(batch.len()));
    // Most batches hold no write that fails, so they first run under one savepoint for the
    // whole batch, not one per write: two statements fewer per write, each a round trip on
    // PostgreSQL. If a write fails, the batch is undone to that savepoint and runs again
    // with a savepoint per write, so that the failing one is undone alone.
    let mut pending = if batch.len() > 1 {
        match undoable(conn, log, batch.iter().map(|w| &w.op)).await {
            Ok(Ok(answers)) => {
                done.0.extend(batch.into_iter().map(|w| w.reply).zip(answers.into_iter().map(Ok)));
                Vec::new().into_iter()
            }
            Ok(Err(_)) => batch.into_iter(),
            Err(e) => {
                BatchFailed::new("a write failed and could not be undone", e).answer_all(batch);
                return Err(());
            }
        }
    } else {
        batch.into_iter()
    };
    while let Some(w) = pending.next() {
        match undoable(conn, log, std::iter::once(&w.op)).await {
            Ok(result) => done.0.push((w.reply, result.map(|mut answers| answers.remove(0)))),
            Err(e) => {
                let failed = BatchFailed::new("a write failed and could not be undone alone", e);
                failed.answer(w.reply);
                failed.answer_all(pending);
                done.refused(&failed);
                return Err(());
            }
        }
    }
    // The log's grown size, once for the whole batch.
    if let Err(e) = log.finish(conn).await {
        done.refused(&BatchFailed::new("the log's entries could not be written", e));
        return Err(());
    }
    Ok(done)
}

/// Runs `ops` in order under one savepoint, so that if one fails (a taken id, a stale
/// version) everything they did is undone, the log's edge with it, and the rest of the
/// transaction stands: the inner `Err` is that write's error. The outer `Err` means the
/// savepoint itself could not be handled, and the transaction is no longer trusted.
async fn undoable<'a, C: Conn>(
    conn: &mut C,
    log: &mut Log,
    ops: impl Iterator<Item = &'a WriteOp>,
) -> Result<Result<Vec<Answer>, StoreError>, sqlx::Error> {
    conn.execute("SAVEPOINT writes", args![]).await?;
    let before = log.mark();
    let mut answers = Vec::with_capacity(ops.size_hint().0);
    for op in ops {
        match op.run(conn, log).await {
            Ok(answer) => answers.push(answer),
            Err(e) => {
                log.undo(before);
                conn.execute("ROLLBACK TO writes", args![]).await?;
                conn.execute("RELEASE writes", args![]).await?;
                return Ok(Err(e));
            }
        }
    }
    conn.execute("RELEASE writes", args![]).await?;
    Ok(Ok(answers))
}

/// What the tests of both sequencers give a batch, and check of it.
#[cfg(test)]
pub(crate) mod fixtures {
    #![allow(clippy::unwrap_used)]

    use chrono::{TimeZone, Utc};
    use comity_core::{
        ActorId, Authority, AuthorityType, CountryCode, Instrument, NewRequest, Party, PartyId, PartyRole,
        Provider, RequestId, RequestKind, Store, StoreError,
    };
    use tokio::sync::oneshot;

    use super::Write;
    use crate::writes::{Answer, WriteOp};

    pub(crate) fn authority(id: &str) -> Party {
        Party::Authority(Authority {
            id: PartyId::parse(id).unwrap(),
            country: CountryCode::parse("FR").unwrap(),
            authority_type: AuthorityType::Prosecutor,
            name: "Parquet".to_owned(),
            institution: None,
        })
    }

    pub(crate) fn provider(id: &str) -> Party {
        Party::Provider(Provider {
            id: PartyId::parse(id).unwrap(),
            country: CountryCode::parse("IE").unwrap(),
            name: "Mail".to_owned(),
            institution: None,
        })
    }

    pub(crate) fn request() -> NewRequest {
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

    /// The writes of a batch, and where each one's answer arrives.
    pub(crate) fn batch(
        ops: Vec<WriteOp>,
    ) -> (Vec<Write>, Vec<oneshot::Receiver<Result<Answer, StoreError>>>) {
        ops.into_iter()
            .map(|op| {
                let (reply, answer) = oneshot::channel();
                (Write { op, reply }, answer)
            })
            .unzip()
    }

    /// A batch whose second, third and fifth writes fail (a checkpoint whose signing fails
    /// after its entry was appended, a party id taken, a request id taken) is run by
    /// `run`; those three alone are refused, and the rest is stored, with log entries
    /// numbered on without a gap where the checkpoint's entry was undone.
    pub(crate) async fn a_failing_write_is_undone_alone(
        store: &impl Store,
        run: impl AsyncFnOnce(Vec<Write>),
    ) {
        let r = request();
        let intake = || {
            WriteOp::InsertRequest(
                Box::new(r.clone()),
                Box::new(crate::at_rest::seal_intake(None, &r).unwrap()),
            )
        };
        let unsigned: std::sync::Arc<comity_core::CheckpointSigner> =
            std::sync::Arc::new(|_, _| Err("no signing key".to_owned()));
        let (writes, answers) = batch(vec![
            WriteOp::AddParty(authority("fr-pnf")),
            WriteOp::Checkpoint(unsigned),
            WriteOp::AddParty(provider("fr-pnf")),
            intake(),
            intake(),
            WriteOp::AddParty(provider("example-mail")),
        ]);
        run(writes).await;
        let mut results = Vec::new();
        for answer in answers {
            results.push(answer.await.unwrap());
        }
        assert!(matches!(results[0], Ok(Answer::Logged(0))), "{:?}", results[0]);
        assert!(
            matches!(&results[1], Err(e) if e.to_string().contains("no signing key")),
            "{:?}",
            results[1]
        );
        assert!(matches!(&results[2], Err(StoreError::Conflict(m)) if m.contains("(as authority)")));
        let Ok(Answer::Request(intake)) = &results[3] else { panic!("{:?}", results[3]) };
        assert_eq!(intake.log, vec![1]);
        assert!(matches!(&results[4], Err(StoreError::Conflict(m)) if m.contains("exists")));
        assert!(matches!(results[5], Ok(Answer::Logged(2))), "{:?}", results[5]);
        let records = store.log_records(0, 10).await.unwrap();
        assert_eq!(records.iter().map(|r| r.index).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert_eq!(store.log_size().await.unwrap(), 3);
        assert!(store.checkpoints(0, 10).await.unwrap().is_empty());

        let id = PartyId::parse("fr-pnf").unwrap();
        assert_eq!(store.party(&id).await.unwrap(), Some(authority("fr-pnf")));
        assert_eq!(store.parties(PartyRole::Provider).await.unwrap(), vec![provider("example-mail")]);
        assert_eq!(store.events(r.id).await.unwrap().len(), 1);
    }
}

//! Clocks that act (issue 13, item 1): the deadlines a screening or an act sets, the list
//! of what is due at a given time, and the sweep that acts on each exactly once.
//!
//! "Now" is always an argument: the server's sweeper passes the time of day, `comity
//! deadlines --at` and the tests pass any time they like, so 48 hours pass in a millisecond.
//! What passing a deadline does is `comity_core::clock::on_expiry`'s; each is recorded as a
//! `clock.expired` fact, with the move it makes, in one transaction that also closes the
//! clock, guarded by the due time read. Of two sweeps (two servers, or a server and the
//! command line), or of a sweep killed and run again, exactly one acts on each clock.

use chrono::{DateTime, Days, NaiveTime, SubsecRound, Utc};
use comity_core::{
    Act, ActorId, Clock, ClockClose, ClockKind, ClockOutcome, ClockSet, Fact, Move, NewEntry, Request,
    RequestId, State, StoreError, clock::on_expiry, journal,
};
use comity_policy::Report;

use crate::{App, Result};

/// The most clocks one pass of the sweep reads; it reads again until none is left.
const SWEEP_BATCH: u32 = 200;

/// The most due clocks a listing shows; a service with more has a backlog the sweep, not a
/// person, must clear.
const LIST_LIMIT: u32 = 100_000;

/// The deadlines a screening sets, from its report and the request's nondisclosure. Every
/// kind screening decides is listed, those that do not apply as `None`, so that screening
/// a request again takes away a deadline that no longer holds (an emergency since
/// validated has no validation clock).
pub(crate) fn screening_clocks(report: &Report, request: &Request) -> Vec<ClockSet> {
    let d = &report.deadlines;
    let nondisclosure_end = request
        .nondisclosure
        .as_ref()
        .filter(|n| n.requested)
        .and_then(|n| n.until)
        // Nondisclosure "until" a date runs to the end of that day, UTC.
        .and_then(|day| day.checked_add_days(Days::new(1)))
        .map(|day| day.and_time(NaiveTime::MIN).and_utc());
    vec![
        ClockSet { kind: ClockKind::RespondBy, due: d.respond_by },
        ClockSet { kind: ClockKind::Validation, due: d.validation_due },
        ClockSet { kind: ClockKind::ObjectionWindow, due: d.objection_window_end },
        ClockSet { kind: ClockKind::PreservationEnd, due: d.preservation_until },
        ClockSet { kind: ClockKind::NondisclosureEnd, due: nondisclosure_end },
    ]
}

/// A clock that is due, or whose escalation still stands, and its request's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub clock: Clock,
    pub state: State,
    /// What passing it does (or did, for an overdue clock), and why.
    pub outcome: ClockOutcome,
    pub to: Option<State>,
    pub reason: String,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// Each clock acted on, with the audit-log entry of its `clock.expired` fact.
    pub acted: Vec<(Due, Option<u64>)>,
    /// Clocks another sweep acted on first.
    pub taken: usize,
    /// Requests whose documents' retention had ended: their key destroyed (issue 15).
    pub shredded: Vec<crate::at_rest::Shredded>,
    /// Productions whose sealing failed or was interrupted: what they had written of their
    /// package deleted (issue 17).
    pub unfinished_packages: Vec<String>,
}

impl App {
    /// What is due at `at`: every running clock whose time has come (with what passing it
    /// will do), then every escalated deadline whose request is still unanswered. Reads
    /// nothing personal: ids, kinds, times and states.
    pub async fn deadlines(&self, at: DateTime<Utc>) -> Result<Vec<Due>> {
        let store = self.store();
        let mut due = Vec::new();
        for clock in store.due_clocks(at, LIST_LIMIT).await? {
            if let Some(d) = self.due(clock).await? {
                due.push(d);
            }
        }
        for clock in store.overdue_clocks().await? {
            if let Some(request) = store.request(clock.request_id).await? {
                due.push(Due {
                    state: request.state,
                    outcome: ClockOutcome::Overdue,
                    to: None,
                    reason: "the deadline passed without an answer; escalated, and overdue until answered"
                        .into(),
                    clock,
                });
            }
        }
        Ok(due)
    }

    /// The overdue deadlines by kind, for the `comity_overdue` metric.
    pub async fn overdue_by_kind(&self) -> Result<Vec<(ClockKind, u64)>> {
        let mut counts: Vec<(ClockKind, u64)> = ClockKind::ALL.iter().map(|k| (*k, 0)).collect();
        for clock in self.store().overdue_clocks().await? {
            if let Some(c) = counts.iter_mut().find(|(k, _)| *k == clock.kind) {
                c.1 += 1;
            }
        }
        Ok(counts)
    }

    /// A request's deadlines, running and closed.
    pub async fn request_clocks(&self, caller: &crate::Caller, id: RequestId) -> Result<Vec<Clock>> {
        self.visible(caller, id).await?;
        Ok(self.store().clocks(id).await?)
    }

    /// Whether this server may sweep now: of several servers on one database, the one that
    /// holds the sweeper's lease, taken for `hold` and renewed at each sweep. A server that
    /// stops loses it when it runs out.
    pub async fn may_sweep(&self, holder: &str, now: DateTime<Utc>, hold: chrono::Duration) -> Result<bool> {
        Ok(self.store().take_lease("sweeper", holder, now, now + hold).await?)
    }

    /// Whether `holder` may sign the log's checkpoints now, holding the lease until
    /// `now + hold`: one server of a database signs at a time (issue 17), so witnesses see
    /// one signer's sequence.
    pub async fn may_checkpoint(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        hold: chrono::Duration,
    ) -> Result<bool> {
        Ok(self.store().take_lease("checkpointer", holder, now, now + hold).await?)
    }

    /// Acts on every clock due at `at`, each exactly once. The acts are recorded at `at` or
    /// now, whichever is later, so the log's times never run backwards however `at` is
    /// chosen.
    pub async fn sweep(&self, at: DateTime<Utc>) -> Result<Sweep> {
        let at = at.trunc_subsecs(6);
        let recorded = at.max(Utc::now().trunc_subsecs(6));
        let store = self.store();
        // The registers as they stand, as a request's own checks read them: a party
        // suspended through another server a moment ago is acted on as suspended.
        store.sync_registers().await?;
        let mut sweep = Sweep::default();
        loop {
            let batch = store.due_clocks(at, SWEEP_BATCH).await?;
            let n = batch.len();
            for clock in batch {
                // comity's copies are shredded before the clock closes: a sweep stopped in
                // between shreds what is left the next time, and none is forgotten.
                if clock.kind == ClockKind::Retention {
                    self.shred_due(clock.request_id, at, recorded).await?;
                }
                match self.expire(clock, recorded).await? {
                    Some(done) => sweep.acted.push(done),
                    None => sweep.taken += 1,
                }
            }
            if (n as u32) < SWEEP_BATCH {
                break;
            }
        }
        // The documents' retention is a clock too, read from the requests themselves: it
        // runs from a request's last move into a state where nothing more is done with it.
        sweep.shredded = self.shred_documents_due(at, recorded).await?;
        // How long a sealing has been silent is measured on the clock, whatever `at` says.
        sweep.unfinished_packages = self.clear_interrupted_packages(Utc::now()).await?;
        Ok(sweep)
    }

    /// What passing `clock` does to its request as it stands.
    async fn due(&self, clock: Clock) -> Result<Option<Due>> {
        let Some(request) = self.store().request(clock.request_id).await? else { return Ok(None) };
        let e = on_expiry(clock.kind, request.state);
        Ok(Some(Due { clock, state: request.state, outcome: e.outcome, to: e.to, reason: e.reason }))
    }

    /// Acts on one clock that passed; `None` when another sweep did first. A request that
    /// moved between the read and the write is read again, once.
    async fn expire(&self, clock: Clock, at: DateTime<Utc>) -> Result<Option<(Due, Option<u64>)>> {
        for _ in 0..2 {
            let Some(request) = self.store().request(clock.request_id).await? else { return Ok(None) };
            let e = on_expiry(clock.kind, request.state);
            // The clock of the person's notice (issue 15, item 1): the notices due are
            // written and sent, kept with the close, and the clock runs again for the next.
            let (mut notices, mut next) = if clock.kind == ClockKind::NondisclosureEnd {
                let (notices, next) = self.due_person_notices(&request, at).await?;
                (notices, next.into_iter().collect())
            } else {
                (Vec::new(), Vec::new())
            };
            // A deadline that withdraws a delivered request (Art 4(5)) recalls what was
            // delivered, on the path of a remedy case (issue 15, item 4).
            let recall = if e.to == Some(State::Withdrawn) {
                self.recall_on_withdrawal(&request, None, at).await?
            } else {
                None
            };
            if let Some(r) = &recall {
                notices.push(r.entry.clone());
                next.push(r.clock.clone());
            }
            let close = ClockClose {
                request_id: clock.request_id,
                kind: clock.kind,
                due: clock.due,
                at,
                outcome: e.outcome,
            };
            let fact = NewEntry {
                party: Some(request.provider.clone()),
                ..NewEntry::new(
                    at,
                    ActorId::system(),
                    Fact::ClockExpired(journal::ClockExpired {
                        request: request.id,
                        clock: clock.kind,
                        due: clock.due,
                        outcome: e.outcome,
                        state: request.state,
                        reason: e.reason.clone(),
                    }),
                )
            };
            let written = match e.to {
                Some(to) => self
                    .store()
                    .apply_move(&Move {
                        request_id: request.id,
                        expected_version: request.version,
                        from: request.state,
                        to,
                        actor: ActorId::system(),
                        at,
                        reason: e.reason.clone(),
                        facts: std::iter::once(fact).chain(notices).collect(),
                        clocks: next,
                        closes: Some(close),
                    })
                    .await
                    .map(|event| event.log_index.map(|i| i + 1)),
                None => self
                    .store()
                    .act(&Act {
                        request_id: request.id,
                        at,
                        facts: std::iter::once(fact).chain(notices).collect(),
                        clocks: next,
                        closes: Some(close),
                    })
                    .await
                    .map(|written| written.first().and_then(|w| w.log_index)),
            };
            match written {
                Ok(index) => {
                    if let Some(r) = &recall {
                        self.carry_out_recall(&request, r, at).await?;
                    }
                    let due =
                        Due { clock, state: request.state, outcome: e.outcome, to: e.to, reason: e.reason };
                    tracing::info!(request = %due.clock.request_id, clock = %due.clock.kind, outcome = %due.outcome, "a deadline passed");
                    return Ok(Some((due, index)));
                }
                Err(StoreError::Conflict(_)) => {
                    let still_running = self
                        .store()
                        .clocks(clock.request_id)
                        .await?
                        .iter()
                        .any(|c| c.kind == clock.kind && c.due == clock.due && c.closed.is_none());
                    if !still_running {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }
}

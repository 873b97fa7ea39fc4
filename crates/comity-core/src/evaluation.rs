//! Evaluation cycles (issue 16, item 6; the seed's "regular evaluation cycles ... learn from
//! past cases"): the figures of one issuing authority, or of one State (the authorities of
//! an issuing country), over one cycle, and the compliance score computed from them by a
//! published, versioned formula ([`FORMULA`]).
//!
//! Pure: the application layer reads each request's history from the store
//! ([`History`]) and feeds it to [`Figures::add`]; [`score`] applies the formula. A cycle
//! is a year by default, and holds the requests received in `[from, to)`; their clocks and
//! their later acts are counted as they stand at the time of the evaluation. See
//! `docs/evaluation.md`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::journal::ClockExpired;
use crate::{
    Clock, ClockKind, ClockOutcome, Event, RemedyGround, State, clock::is_answered, vocabulary::vocabulary,
};

/// The version of the formula [`score`] applies. A change to a component, its measure or
/// its weight is a new version; a recorded evaluation names the version it was scored by.
pub const FORMULA: &str = "comity-compliance/v1";

vocabulary! {
    /// Who owes what a clock waits for: whose lateness it measures.
    Owner {
        /// The authority that issued the request.
        IssuingAuthority = "issuing_authority",
        /// The provider addressed.
        Provider = "provider",
        /// The enforcing State's authority notified of the order (Regulation (EU)
        /// 2023/1543 Art 8).
        EnforcingAuthority = "enforcing_authority",
        /// comity itself, on its operator's behalf: what its sweep does when a date comes.
        Comity = "comity",
    }
}

/// Who owes each clock, and why:
///
/// - `respond_by`: the provider, which must produce the data in time (Regulation (EU)
///   2023/1543 Art 10(1)-(4): 10 days, 8 hours for an emergency);
/// - `validation`: the issuing authority, which must have an emergency order issued
///   without prior validation validated within the pack's hours (Art 4(5));
/// - `objection_window`: the enforcing authority's time to raise a ground for refusal
///   (Art 10(2), 12(1)); a window it may use, not a duty;
/// - `preservation_end`: the issuing authority, which must confirm the production request
///   that follows a preservation, or extend it, before it ceases (Art 11(1)); letting it
///   lapse is lawful, so this too is a window;
/// - `nondisclosure_end` and `retention`: comity, which sends the notice to the person
///   concerned when it is due (Art 13) and shreds its copies when their retention ends;
/// - `disposal_attestation`: the receiving (issuing) authority, which attests that it
///   disposed of the data by the end of its retention and the grace (CETS 224 Art 14(5));
/// - `recall`: the issuing authority, which attests that it deleted data a remedy case
///   recalled (the seed's "timely corrections").
pub fn owed_by(kind: ClockKind) -> Owner {
    match kind {
        ClockKind::RespondBy => Owner::Provider,
        ClockKind::Validation
        | ClockKind::PreservationEnd
        | ClockKind::DisposalAttestation
        | ClockKind::Recall => Owner::IssuingAuthority,
        ClockKind::ObjectionWindow => Owner::EnforcingAuthority,
        ClockKind::NondisclosureEnd | ClockKind::Retention => Owner::Comity,
    }
}

/// Whether a clock's passing unmet is a breach by its owner, rather than a window that
/// closed (an objection window unused, a preservation left to lapse).
pub fn is_duty(kind: ClockKind) -> bool {
    !matches!(kind, ClockKind::ObjectionWindow | ClockKind::PreservationEnd)
}

/// The clocks whose keeping the score holds against the issuing authority: the duties it
/// owes ([`owed_by`], [`is_duty`]).
pub const AUTHORITY_DUTIES: [ClockKind; 3] =
    [ClockKind::Validation, ClockKind::DisposalAttestation, ClockKind::Recall];

vocabulary! {
    /// How a clock was kept.
    Timeliness {
        /// What it waited for came by its due time (an emergency validated, an attestation
        /// in time, a request answered, grounds raised within the window, a notice sent).
        InTime = "in_time",
        /// It came, after the clock passed.
        Late = "late",
        /// The clock passed and nothing came yet; for a window, it closed unused (an
        /// objection window) or the thing lapsed (a preservation, an emergency withdrawn).
        Overdue = "overdue",
        /// Its time has not come.
        Running = "running",
        /// Taken away by a later act, or moot because the request had ended: not counted.
        NotCounted = "not_counted",
    }
}

/// Whether, and when, what a clock waits for came, where comity knows it apart from the
/// clock itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Not (yet).
    No,
    /// At this time.
    At(DateTime<Utc>),
    /// Before comity escalated the clock as overdue, in the log's order.
    BeforeEscalation,
    /// After comity escalated the clock as overdue, in the log's order.
    AfterEscalation,
}

/// How `clock` was kept, as it stands at `at`, given whether what it waits for came
/// (`done`): for `respond_by`, the request's answer; for `disposal_attestation`, the
/// authority's attestation. Lateness is read from the log's order where comity escalated
/// the clock (what came after the escalation came late), and otherwise from the times.
pub fn timeliness(clock: &Clock, done: Done, at: DateTime<Utc>) -> Timeliness {
    let outcome = clock.closed.map(|(_, outcome)| outcome);
    match (outcome, done) {
        // An emergency validated after all: its screening took the clock away (Art 4(5)).
        (Some(ClockOutcome::Cancelled), _) if clock.kind == ClockKind::Validation => Timeliness::InTime,
        (Some(ClockOutcome::Cancelled | ClockOutcome::Moot), _) => Timeliness::NotCounted,
        (_, Done::BeforeEscalation) => Timeliness::InTime,
        (_, Done::AfterEscalation) => Timeliness::Late,
        (
            Some(
                ClockOutcome::Met
                | ClockOutcome::Objected
                | ClockOutcome::NoticeDue
                | ClockOutcome::DisposalDue,
            ),
            _,
        ) => Timeliness::InTime,
        // Escalated because it had not come; it came since.
        (Some(ClockOutcome::Overdue), Done::At(_)) => Timeliness::Late,
        (
            Some(
                ClockOutcome::Overdue
                | ClockOutcome::Withdrawn
                | ClockOutcome::Lapsed
                | ClockOutcome::Proceeds,
            ),
            _,
        ) => Timeliness::Overdue,
        (None, Done::At(t)) if t <= clock.due => Timeliness::InTime,
        (None, Done::At(_)) => Timeliness::Late,
        (None, Done::No) if clock.due <= at => Timeliness::Overdue,
        (None, Done::No) => Timeliness::Running,
    }
}

/// A remedy case opened on a request, as the evaluation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyCase {
    pub ground: RemedyGround,
    /// By when the authority attests the deletion of what the case recalled.
    pub recall_due: DateTime<Utc>,
    /// Whether the recall is met, and if so whether late (`remedy.recall_met`).
    pub recall_met: Option<bool>,
}

/// One request's history, as the evaluation reads it from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub state: State,
    pub emergency: bool,
    /// Its events, the receipt first.
    pub events: Vec<Event>,
    /// Its clocks as they stand.
    pub clocks: Vec<Clock>,
    /// Its `clock.expired` facts: what each clock's passing found.
    pub expired: Vec<ClockExpired>,
    /// Whether the authority attested the disposal of its productions, and when, in the
    /// log's order, against comity's escalation of the missing attestation.
    pub disposal_attested: Done,
    /// Each ground for refusal raised against it (Art 12), once per raising.
    pub grounds_raised: Vec<Vec<String>>,
    pub remedies: Vec<RemedyCase>,
}

/// How each kind of clock of the cycle's requests was kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockFigures {
    pub in_time: u64,
    pub late: u64,
    pub overdue: u64,
    pub running: u64,
    pub not_counted: u64,
}

impl ClockFigures {
    fn add(&mut self, t: Timeliness) {
        match t {
            Timeliness::InTime => self.in_time += 1,
            Timeliness::Late => self.late += 1,
            Timeliness::Overdue => self.overdue += 1,
            Timeliness::Running => self.running += 1,
            Timeliness::NotCounted => self.not_counted += 1,
        }
    }

    /// The clocks that passed or were kept: in time, late or overdue.
    pub fn decided(&self) -> u64 {
        self.in_time + self.late + self.overdue
    }
}

/// The emergency requests, and how their confirmation by a second registered contact of
/// the authority went (issue 5, item 6; the verification Kodex reports that about 30 % of
/// emergency requests failed verification).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Emergencies {
    pub requests: u64,
    /// Held in `pending_verification` for a confirmation (those screening let through).
    pub held: u64,
    pub confirmed_in_time: u64,
    /// Confirmed after the answer's deadline (the 8 hours of Art 10(4)) had passed.
    pub confirmed_late: u64,
    /// The contact denied it.
    pub denied: u64,
    /// No confirmation came: withdrawn, or still held after the answer's deadline.
    pub never_confirmed: u64,
    /// Still held, the answer's deadline to come.
    pub awaiting: u64,
}

impl Emergencies {
    /// Left unconfirmed: confirmed late, denied, or never confirmed.
    pub fn unconfirmed(&self) -> u64 {
        self.confirmed_late + self.denied + self.never_confirmed
    }
}

/// The appeals against decisions on the cycle's requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appeals {
    pub lodged: u64,
    /// Decided by the second body: approved, partially approved or rejected.
    pub decided: u64,
    /// Decided against the authority's position: a grant narrowed or reversed, or a
    /// refusal upheld.
    pub against_authority: u64,
    /// Of those decided, the ones whose decision differs from the decision appealed.
    pub overturned: u64,
    /// The request was withdrawn before the second body decided.
    pub withdrawn: u64,
    pub pending: u64,
}

/// The remedy cases opened on the cycle's requests (issue 15, item 4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remedies {
    /// Cases by ground, every ground listed.
    pub by_ground: BTreeMap<RemedyGround, u64>,
    /// Requests whose data was delivered.
    pub delivered: u64,
    /// Delivered requests with a case on a ground of the authority's ([`authority_ground`]).
    pub delivered_with_authority_remedy: u64,
}

/// Whether a remedy's ground is the authority's doing: the request withdrawn after
/// delivery (by the authority, or for want of its validation, Art 4(5)), or granted by a
/// decision the second body overturned. A wrong account, data beyond the scope or a third
/// party left unmasked is the provider's error, counted but not held against the authority.
pub fn authority_ground(ground: RemedyGround) -> bool {
    matches!(ground, RemedyGround::Withdrawn | RemedyGround::DecisionOverturned)
}

/// The grounds for refusal raised against the cycle's requests (Art 12).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grounds {
    /// Requests an enforcing authority could raise grounds against: those with an
    /// objection window (Art 10(2)).
    pub open_to_grounds: u64,
    /// Requests against which grounds were raised.
    pub requests: u64,
    /// Each ground raised, by code.
    pub by_ground: BTreeMap<String, u64>,
}

/// The figures of one authority or one State over one cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub requests: u64,
    /// Every clock kind, with how its clocks were kept.
    pub clocks: BTreeMap<ClockKind, ClockFigures>,
    /// Requests that had a decision: approved, partially approved or rejected.
    pub decided: u64,
    /// Of those, the ones whose last decision is a rejection.
    pub rejected: u64,
    pub emergencies: Emergencies,
    pub appeals: Appeals,
    pub remedies: Remedies,
    pub grounds: Grounds,
}

impl Default for Figures {
    fn default() -> Figures {
        Figures {
            requests: 0,
            clocks: ClockKind::ALL.iter().map(|k| (*k, ClockFigures::default())).collect(),
            decided: 0,
            rejected: 0,
            emergencies: Emergencies::default(),
            appeals: Appeals::default(),
            remedies: Remedies {
                by_ground: RemedyGround::ALL.iter().map(|g| (*g, 0)).collect(),
                ..Remedies::default()
            },
            grounds: Grounds::default(),
        }
    }
}

/// A decision's favour to the authority: a rejection least, a full approval most.
fn favour(state: State) -> Option<u8> {
    match state {
        State::Rejected => Some(0),
        State::PartiallyApproved => Some(1),
        State::Approved => Some(2),
        _ => None,
    }
}

impl Figures {
    /// The disposal attestations and recalls late or overdue: "late disposal attestations".
    pub fn late_attestations(&self) -> u64 {
        [ClockKind::DisposalAttestation, ClockKind::Recall]
            .iter()
            .filter_map(|k| self.clocks.get(k))
            .map(|c| c.late + c.overdue)
            .sum()
    }

    /// Counts one request of the cycle, as its history stands at `at`.
    pub fn add(&mut self, h: &History, at: DateTime<Utc>) {
        self.requests += 1;
        let expired_while =
            |kind: ClockKind, state: State| h.expired.iter().any(|e| e.clock == kind && e.state == state);
        let answered_at = h.events.iter().find(|e| is_answered(e.to)).map(|e| e.at);
        for clock in &h.clocks {
            let done = match clock.kind {
                // Answered now, after the sweep escalated it unanswered; or answered when
                // it first was.
                ClockKind::RespondBy => match (clock.closed, answered_at) {
                    (Some((_, ClockOutcome::Overdue)), _) if is_answered(h.state) => Done::AfterEscalation,
                    (Some((_, ClockOutcome::Overdue)), _) => Done::No,
                    (_, Some(t)) => Done::At(t),
                    (_, None) => Done::No,
                },
                ClockKind::DisposalAttestation => h.disposal_attested,
                _ => Done::No,
            };
            // A request's recall clock runs to the soonest case not met; the cases are
            // counted one by one below instead.
            if clock.kind != ClockKind::Recall {
                self.clocks.entry(clock.kind).or_default().add(timeliness(clock, done, at));
            }
        }
        for case in &h.remedies {
            let t = match case.recall_met {
                Some(false) => Timeliness::InTime,
                Some(true) => Timeliness::Late,
                None if case.recall_due <= at => Timeliness::Overdue,
                None => Timeliness::Running,
            };
            self.clocks.entry(ClockKind::Recall).or_default().add(t);
            *self.remedies.by_ground.entry(case.ground).or_default() += 1;
        }

        // Share rejected: the last decision of those that had one.
        if let Some(last) = h.events.iter().rev().find_map(|e| favour(e.to).map(|_| e.to)) {
            self.decided += 1;
            self.rejected += u64::from(last == State::Rejected);
        }

        // Emergencies and their confirmation.
        if h.emergency {
            let e = &mut self.emergencies;
            e.requests += 1;
            if h.events.iter().any(|ev| ev.to == State::PendingVerification) {
                e.held += 1;
                let respond_by = h.clocks.iter().find(|c| c.kind == ClockKind::RespondBy);
                let passed_while_held = expired_while(ClockKind::RespondBy, State::PendingVerification)
                    || respond_by.is_some_and(|c| c.due <= at && c.closed.is_none());
                match h.events.iter().find(|ev| ev.from == Some(State::PendingVerification)) {
                    Some(ev) if ev.to == State::UnderReview => {
                        let late = expired_while(ClockKind::RespondBy, State::PendingVerification)
                            || respond_by.is_some_and(|c| ev.at > c.due);
                        if late {
                            e.confirmed_late += 1;
                        } else {
                            e.confirmed_in_time += 1;
                        }
                    }
                    Some(ev) if ev.to == State::Rejected => e.denied += 1,
                    Some(_) => e.never_confirmed += 1,
                    None if passed_while_held => e.never_confirmed += 1,
                    None => e.awaiting += 1,
                }
            }
        }

        // Appeals: each move into `appealed`, the decision it challenged, and the next.
        for (i, ev) in h.events.iter().enumerate() {
            if ev.to != State::Appealed {
                continue;
            }
            let a = &mut self.appeals;
            a.lodged += 1;
            let appealed = ev.from.and_then(favour);
            match h.events.get(i + 1).map(|next| next.to) {
                Some(State::Withdrawn) => a.withdrawn += 1,
                Some(to) if favour(to).is_some() => {
                    a.decided += 1;
                    let decided = favour(to);
                    a.overturned += u64::from(ev.from != Some(to));
                    let against = match (appealed, decided) {
                        (Some(before), Some(after)) => after < before || (before == 0 && after == 0),
                        _ => false,
                    };
                    a.against_authority += u64::from(against);
                }
                _ => a.pending += 1,
            }
        }

        // Remedies on delivered data.
        if h.events.iter().any(|e| e.to == State::Delivered) {
            self.remedies.delivered += 1;
            if h.remedies.iter().any(|c| authority_ground(c.ground)) {
                self.remedies.delivered_with_authority_remedy += 1;
            }
        }

        // Grounds for refusal.
        let window = h.clocks.iter().find(|c| c.kind == ClockKind::ObjectionWindow);
        if window.is_some_and(|c| c.closed.map(|(_, o)| o) != Some(ClockOutcome::Cancelled)) {
            self.grounds.open_to_grounds += 1;
        }
        if !h.grounds_raised.is_empty() {
            self.grounds.requests += 1;
        }
        for ground in h.grounds_raised.iter().flatten() {
            *self.grounds.by_ground.entry(ground.clone()).or_default() += 1;
        }
    }

    /// Every figure by a dotted name, such as `clocks.respond_by.late`, in a fixed order:
    /// the form a recorded evaluation keeps.
    pub fn entries(&self) -> Vec<(String, u64)> {
        let mut out = vec![("requests".to_owned(), self.requests)];
        for (kind, c) in &self.clocks {
            for (name, n) in [
                ("in_time", c.in_time),
                ("late", c.late),
                ("overdue", c.overdue),
                ("running", c.running),
                ("not_counted", c.not_counted),
            ] {
                out.push((format!("clocks.{kind}.{name}"), n));
            }
        }
        out.push(("decided".into(), self.decided));
        out.push(("rejected".into(), self.rejected));
        let e = &self.emergencies;
        for (name, n) in [
            ("requests", e.requests),
            ("held", e.held),
            ("confirmed_in_time", e.confirmed_in_time),
            ("confirmed_late", e.confirmed_late),
            ("denied", e.denied),
            ("never_confirmed", e.never_confirmed),
            ("awaiting", e.awaiting),
        ] {
            out.push((format!("emergencies.{name}"), n));
        }
        let a = &self.appeals;
        for (name, n) in [
            ("lodged", a.lodged),
            ("decided", a.decided),
            ("against_authority", a.against_authority),
            ("overturned", a.overturned),
            ("withdrawn", a.withdrawn),
            ("pending", a.pending),
        ] {
            out.push((format!("appeals.{name}"), n));
        }
        for (ground, n) in &self.remedies.by_ground {
            out.push((format!("remedies.by_ground.{ground}"), *n));
        }
        out.push(("remedies.delivered".into(), self.remedies.delivered));
        out.push((
            "remedies.delivered_with_authority_remedy".into(),
            self.remedies.delivered_with_authority_remedy,
        ));
        out.push(("late_attestations".into(), self.late_attestations()));
        out.push(("grounds.open_to_grounds".into(), self.grounds.open_to_grounds));
        out.push(("grounds.requests".into(), self.grounds.requests));
        for (ground, n) in &self.grounds.by_ground {
            out.push((format!("grounds.by_ground.{ground}"), *n));
        }
        out
    }
}

vocabulary! {
    /// The components of the compliance score, version 1 ([`FORMULA`]).
    Component {
        /// Of the clocks the authority owes (an emergency's validation, Art 4(5); disposal
        /// attestations; recalls) that passed or were kept, the share kept in time.
        ClocksKept = "clocks_kept",
        /// Of its emergencies held for confirmation and no longer awaiting it, the share
        /// confirmed in time by a second registered contact.
        EmergenciesConfirmed = "emergencies_confirmed",
        /// Of its requests that had a decision, the share not rejected.
        RequestsNotRejected = "requests_not_rejected",
        /// Of the appeals decided, the share not decided against it.
        AppealsNotLost = "appeals_not_lost",
        /// Of its requests whose data was delivered, the share with no remedy case on a
        /// ground of its own (withdrawn after delivery, decision overturned).
        DeliveriesKept = "deliveries_kept",
        /// Of its requests open to grounds for refusal (with an objection window), the
        /// share against which none was raised.
        FreeOfGrounds = "free_of_grounds",
    }
}

impl Component {
    /// What it measures, as the formula publishes it.
    pub fn description(self) -> &'static str {
        match self {
            Component::ClocksKept => {
                "of the clocks the authority owes (an emergency's validation, Regulation (EU) 2023/1543 Art 4(5); \
                 disposal attestations; recalls) that passed or were kept, the share kept in time"
            }
            Component::EmergenciesConfirmed => {
                "of its emergency requests held for confirmation and no longer awaiting it, the share a second \
                 registered contact confirmed before the answer's deadline"
            }
            Component::RequestsNotRejected => {
                "of its requests that had a decision, the share whose last decision is not a rejection"
            }
            Component::AppealsNotLost => {
                "of the appeals decided, the share not decided against the authority"
            }
            Component::DeliveriesKept => {
                "of its requests whose data was delivered, the share with no remedy case on a ground of its own \
                 (withdrawn after delivery, decision overturned)"
            }
            Component::FreeOfGrounds => {
                "of its requests open to grounds for refusal (with an objection window, Art 10(2)), the share \
                 against which none was raised (Art 12)"
            }
        }
    }

    /// Its weight in version 1: the weights add up to 100.
    pub fn weight(self) -> u32 {
        match self {
            Component::ClocksKept => 25,
            Component::EmergenciesConfirmed => 20,
            Component::RequestsNotRejected => 15,
            Component::AppealsNotLost => 10,
            Component::DeliveriesKept => 10,
            Component::FreeOfGrounds => 20,
        }
    }

    /// Its good count and its denominator in `f`.
    pub fn counts(self, f: &Figures) -> (u64, u64) {
        match self {
            Component::ClocksKept => AUTHORITY_DUTIES
                .iter()
                .filter_map(|k| f.clocks.get(k))
                .fold((0, 0), |(good, all), c| (good + c.in_time, all + c.decided())),
            Component::EmergenciesConfirmed => {
                let e = &f.emergencies;
                (e.confirmed_in_time, e.held - e.awaiting)
            }
            Component::RequestsNotRejected => (f.decided - f.rejected, f.decided),
            Component::AppealsNotLost => (f.appeals.decided - f.appeals.against_authority, f.appeals.decided),
            Component::DeliveriesKept => {
                (f.remedies.delivered - f.remedies.delivered_with_authority_remedy, f.remedies.delivered)
            }
            Component::FreeOfGrounds => {
                let g = &f.grounds;
                (g.open_to_grounds.saturating_sub(g.requests), g.open_to_grounds)
            }
        }
    }
}

/// The formula in a line, as published beside every score.
pub const FORMULA_TEXT: &str = "score = 100 × Σ wᵢ·sᵢ / Σ wᵢ over the components with a denominator, where sᵢ is \
     the component's share (its good count over its denominator) and wᵢ its weight; rounded to two decimals; \
     no score when no component has a denominator";

/// One component as scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub component: Component,
    pub weight: u32,
    pub good: u64,
    pub of: u64,
    /// `good / of`, from 0 to 1; `None` without a denominator: left out, and the other
    /// weights renormalised.
    pub share: Option<f64>,
}

/// The compliance score of one set of figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub formula: &'static str,
    pub components: Vec<Scored>,
    /// From 0 to 100, rounded to two decimals; `None` when no component has a denominator.
    pub value: Option<f64>,
}

/// The compliance score, version 1: each component's share (good over its denominator),
/// weighted; the components with no denominator left out and the weights of the others
/// renormalised: `100 × Σ wᵢ·sᵢ / Σ wᵢ`, rounded to two decimals.
pub fn score(f: &Figures) -> Score {
    let components: Vec<Scored> = Component::ALL
        .iter()
        .map(|c| {
            let (good, of) = c.counts(f);
            let share = (of > 0).then(|| good as f64 / of as f64);
            Scored { component: *c, weight: c.weight(), good, of, share }
        })
        .collect();
    let (weighted, weights) = components
        .iter()
        .filter_map(|s| s.share.map(|share| (f64::from(s.weight) * share, f64::from(s.weight))))
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let value = (weights > 0.0).then(|| (100.0 * weighted / weights * 100.0).round() / 100.0);
    Score { formula: FORMULA, components, value }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::{ActorId, RequestId};

    fn t(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap() + Duration::hours(hours)
    }

    fn id() -> RequestId {
        RequestId::new_at(1_800_000_000_000)
    }

    fn clock(kind: ClockKind, due: i64, closed: Option<(i64, ClockOutcome)>) -> Clock {
        Clock { request_id: id(), kind, due: t(due), set_at: t(0), closed: closed.map(|(h, o)| (t(h), o)) }
    }

    fn events(path: &[(State, i64)]) -> Vec<Event> {
        let mut from = None;
        path.iter()
            .enumerate()
            .map(|(i, (to, h))| {
                let e = Event {
                    request_id: id(),
                    seq: i as u32 + 1,
                    from,
                    to: *to,
                    actor: ActorId::system(),
                    at: t(*h),
                    reason: String::new(),
                    log_index: None,
                };
                from = Some(*to);
                e
            })
            .collect()
    }

    fn history(path: &[(State, i64)]) -> History {
        History {
            state: path.last().map(|(s, _)| *s).unwrap_or(State::Received),
            emergency: false,
            events: events(path),
            clocks: Vec::new(),
            expired: Vec::new(),
            disposal_attested: Done::No,
            grounds_raised: Vec::new(),
            remedies: Vec::new(),
        }
    }

    #[test]
    fn each_clock_has_its_owner_and_only_windows_are_not_duties() {
        assert_eq!(owed_by(ClockKind::RespondBy), Owner::Provider);
        for kind in AUTHORITY_DUTIES {
            assert_eq!(owed_by(kind), Owner::IssuingAuthority, "{kind}");
            assert!(is_duty(kind), "{kind}");
        }
        assert!(!is_duty(ClockKind::ObjectionWindow) && !is_duty(ClockKind::PreservationEnd));
    }

    #[test]
    fn a_clock_is_in_time_late_overdue_running_or_not_counted() {
        use ClockOutcome::*;
        let at = t(100);
        let respond = |closed| clock(ClockKind::RespondBy, 10, closed);
        assert_eq!(timeliness(&respond(Some((10, Met))), Done::At(t(5)), at), Timeliness::InTime);
        assert_eq!(timeliness(&respond(Some((10, Overdue))), Done::AfterEscalation, at), Timeliness::Late);
        assert_eq!(timeliness(&respond(Some((10, Overdue))), Done::At(t(50)), at), Timeliness::Late);
        assert_eq!(timeliness(&respond(Some((10, Overdue))), Done::No, at), Timeliness::Overdue);
        assert_eq!(timeliness(&respond(None), Done::At(t(9)), at), Timeliness::InTime);
        assert_eq!(timeliness(&respond(None), Done::At(t(11)), at), Timeliness::Late);
        assert_eq!(
            timeliness(&respond(None), Done::No, at),
            Timeliness::Overdue,
            "passed, the sweep not yet run"
        );
        assert_eq!(timeliness(&respond(None), Done::No, t(1)), Timeliness::Running);
        assert_eq!(timeliness(&respond(Some((3, Cancelled))), Done::No, at), Timeliness::NotCounted);
        // Attested before the escalation, though the sweep closed the clock after it.
        let disposal = clock(ClockKind::DisposalAttestation, 10, Some((10, Overdue)));
        assert_eq!(timeliness(&disposal, Done::BeforeEscalation, at), Timeliness::InTime);
        let validation = |closed| clock(ClockKind::Validation, 48, closed);
        assert_eq!(timeliness(&validation(Some((20, Cancelled))), Done::No, at), Timeliness::InTime);
        assert_eq!(timeliness(&validation(Some((48, Withdrawn))), Done::No, at), Timeliness::Overdue);
        assert_eq!(timeliness(&validation(Some((48, Moot))), Done::No, at), Timeliness::NotCounted);
    }

    #[test]
    fn an_emergency_is_confirmed_in_time_late_denied_or_never() {
        use State::*;
        let mut f = Figures::default();
        let at = t(100);
        let emergency = |path: &[(State, i64)], expired_pending: bool| {
            let mut h = history(path);
            h.emergency = true;
            h.clocks = vec![clock(ClockKind::RespondBy, 8, None)];
            if expired_pending {
                h.clocks = vec![clock(ClockKind::RespondBy, 8, Some((8, ClockOutcome::Overdue)))];
                h.expired = vec![ClockExpired {
                    request: id(),
                    clock: ClockKind::RespondBy,
                    due: t(8),
                    outcome: ClockOutcome::Overdue,
                    state: PendingVerification,
                    reason: String::new(),
                }];
            }
            h
        };
        f.add(
            &emergency(&[(Received, 0), (Screening, 0), (PendingVerification, 0), (UnderReview, 2)], false),
            at,
        );
        f.add(
            &emergency(&[(Received, 0), (Screening, 0), (PendingVerification, 0), (UnderReview, 1)], true),
            at,
        );
        f.add(
            &emergency(&[(Received, 0), (Screening, 0), (PendingVerification, 0), (Rejected, 1)], false),
            at,
        );
        f.add(
            &emergency(&[(Received, 0), (Screening, 0), (PendingVerification, 0), (Withdrawn, 49)], false),
            at,
        );
        f.add(&emergency(&[(Received, 0), (Screening, 0), (PendingVerification, 0)], false), t(3));
        f.add(&emergency(&[(Received, 0), (Screening, 0), (Rejected, 0)], false), at);
        let e = f.emergencies;
        assert_eq!(
            (
                e.requests,
                e.held,
                e.confirmed_in_time,
                e.confirmed_late,
                e.denied,
                e.never_confirmed,
                e.awaiting
            ),
            (6, 5, 1, 1, 1, 1, 1)
        );
        assert_eq!(e.unconfirmed(), 3);
        assert_eq!(Component::EmergenciesConfirmed.counts(&f), (1, 4));
    }

    #[test]
    fn an_appeal_is_against_the_authority_when_it_narrows_a_grant_or_upholds_a_refusal() {
        use State::*;
        let mut f = Figures::default();
        let at = t(100);
        let base = [(Received, 0), (Screening, 0), (UnderReview, 0)];
        let appeal = |d1: State, d2: Option<State>| {
            let mut path = base.to_vec();
            path.push((d1, 1));
            path.push((Appealed, 2));
            path.extend(d2.map(|s| (s, 3)));
            history(&path)
        };
        f.add(&appeal(Approved, Some(Rejected)), at); // against, overturned
        f.add(&appeal(Approved, Some(PartiallyApproved)), at); // against, overturned
        f.add(&appeal(Rejected, Some(Rejected)), at); // against, upheld
        f.add(&appeal(Rejected, Some(Approved)), at); // for, overturned
        f.add(&appeal(Approved, Some(Approved)), at); // for, upheld
        f.add(&appeal(Approved, Some(Withdrawn)), at);
        f.add(&appeal(Approved, None), at);
        let a = f.appeals;
        assert_eq!(
            (a.lodged, a.decided, a.against_authority, a.overturned, a.withdrawn, a.pending),
            (7, 5, 3, 3, 1, 1)
        );
        // The last decision counts for the share rejected: four ended approved (one of
        // them partially), and two rejected; the withdrawn and pending stay approved.
        assert_eq!((f.decided, f.rejected), (7, 2));
    }

    #[test]
    fn the_score_weighs_each_component_and_leaves_out_those_without_a_denominator() {
        // Nothing to judge: no score.
        let empty = Figures::default();
        assert_eq!(score(&empty).value, None);
        assert!(score(&empty).components.iter().all(|c| c.share.is_none()));
        assert_eq!(Component::ALL.iter().map(|c| c.weight()).sum::<u32>(), 100);

        // Two decided requests, one rejected: only that component counts, and it is the
        // score, whatever its weight.
        let mut f = Figures { decided: 2, rejected: 1, ..Figures::default() };
        assert_eq!(score(&f).value, Some(50.0));

        // Add a disposal attestation late and one in time, and an emergency never
        // confirmed: (15·0.5 + 25·0.5 + 20·0) / (15 + 25 + 20) = 20/60.
        let c = f.clocks.entry(ClockKind::DisposalAttestation).or_default();
        c.in_time = 1;
        c.late = 1;
        f.emergencies = Emergencies { requests: 1, held: 1, never_confirmed: 1, ..Emergencies::default() };
        let s = score(&f);
        assert_eq!(s.value, Some(33.33));
        assert_eq!(s.formula, "comity-compliance/v1");
        let clocks = s.components.iter().find(|c| c.component == Component::ClocksKept).unwrap();
        assert_eq!((clocks.good, clocks.of, clocks.share), (1, 2, Some(0.5)));
        assert_eq!(f.late_attestations(), 1);

        // Everything kept: 100.
        let perfect = Figures { decided: 3, ..Figures::default() };
        assert_eq!(score(&perfect).value, Some(100.0));
    }

    #[test]
    fn a_request_answered_after_its_deadline_passed_is_late_and_its_remedies_counted_by_ground() {
        use State::*;
        let mut h = history(&[
            (Received, 0),
            (Screening, 0),
            (UnderReview, 0),
            (Approved, 1),
            (Producing, 2),
            (Delivered, 300),
        ]);
        h.clocks = vec![
            clock(ClockKind::RespondBy, 240, Some((240, ClockOutcome::Overdue))),
            clock(ClockKind::DisposalAttestation, 500, Some((500, ClockOutcome::Overdue))),
            clock(ClockKind::ObjectionWindow, 240, Some((240, ClockOutcome::Objected))),
        ];
        h.disposal_attested = Done::AfterEscalation;
        h.grounds_raised = vec![vec!["ne_bis_in_idem".into(), "immunity".into()]];
        h.remedies = vec![
            RemedyCase { ground: RemedyGround::WrongAccount, recall_due: t(400), recall_met: Some(false) },
            RemedyCase { ground: RemedyGround::Withdrawn, recall_due: t(400), recall_met: None },
        ];
        let mut f = Figures::default();
        f.add(&h, t(700));
        assert_eq!(f.clocks[&ClockKind::RespondBy].late, 1);
        assert_eq!(f.clocks[&ClockKind::DisposalAttestation].late, 1);
        assert_eq!(f.clocks[&ClockKind::ObjectionWindow].in_time, 1);
        assert_eq!((f.clocks[&ClockKind::Recall].in_time, f.clocks[&ClockKind::Recall].overdue), (1, 1));
        assert_eq!(f.late_attestations(), 2);
        assert_eq!(f.remedies.by_ground[&RemedyGround::WrongAccount], 1);
        assert_eq!((f.remedies.delivered, f.remedies.delivered_with_authority_remedy), (1, 1));
        assert_eq!((f.grounds.open_to_grounds, f.grounds.requests, f.grounds.by_ground.len()), (1, 1, 2));
        let names: Vec<String> = f.entries().into_iter().map(|(n, _)| n).collect();
        assert!(
            names.contains(&"clocks.respond_by.late".to_owned())
                && names.contains(&"grounds.by_ground.immunity".to_owned())
        );
        // Clocks kept: the attestation late, one recall in time, one overdue: 1 of 3.
        assert_eq!(Component::ClocksKept.counts(&f), (1, 3));
    }
}

//! Evaluation cycles (issue 16, item 6): each issuing authority's and each State's figures
//! over a year (timeliness against every clock, share rejected, emergencies left
//! unconfirmed, appeals decided against it, remedies, late disposal attestations, grounds
//! for refusal raised) and the compliance score `comity_core::evaluation` computes from
//! them by its published formula. An operator may record a cycle's evaluation as
//! `evaluation.recorded` facts, which a later suspension can cite.
//!
//! Who reads them: whoever may read the aggregates (`read_aggregates`: the operator's
//! admins, auditors) sees every authority and every State; an authority's own people and
//! systems see their authority's figures, and nothing else. An authority's figures over a
//! year can be small enough to point at single cases (one emergency never confirmed, one
//! appeal lost), and other authorities have no need to know them; the public has the
//! State-level transparency report (`/transparency`), which is recomputable from the log.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use comity_access::{Action, On};
use comity_core::evaluation::{self, Done, Figures, History, RemedyCase, Score};
use comity_core::{
    Authority, ClockKind, ClockOutcome, CountryCode, Fact, FactKind, JournalEntry, JournalQuery, NewEntry,
    Party, PartyId, PartyRole, RequestQuery, journal,
};

use crate::{App, Caller, Error, Operator, Registers, Result};

/// Requests read per page while gathering a cycle.
const PAGE: u32 = 200;

/// A cycle: the requests received in `[from, to)`, a calendar year (UTC) by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    pub year: i32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Cycle {
    /// The cycle of `year`, one of [`crate::statistics::YEARS`].
    pub fn year(year: i32) -> Result<Cycle> {
        crate::statistics::check_year("invalid_evaluation", year)?;
        let invalid = || Error::invalid("invalid_evaluation", "year", "give a year such as 2027");
        match (
            Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single(),
            Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).single(),
        ) {
            (Some(from), Some(to)) => Ok(Cycle { year, from, to }),
            _ => Err(invalid()),
        }
    }
}

/// Whose evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An issuing authority, with its name and State.
    Authority { id: PartyId, name: String, country: CountryCode },
    /// The authorities of an issuing country, together.
    State(CountryCode),
}

/// One authority's or one State's evaluation over a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub subject: Subject,
    pub figures: Figures,
    pub score: Score,
}

/// What is asked: every authority and State, one authority, or one State.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Authority(String),
    Country(String),
}

/// A cycle's evaluations, as they stand at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluations {
    pub cycle: Cycle,
    pub at: DateTime<Utc>,
    /// By authority id.
    pub authorities: Vec<Evaluation>,
    /// By country code.
    pub states: Vec<Evaluation>,
}

/// The score with two decimals, as a recorded evaluation keeps it.
pub fn score_text(score: &Score) -> Option<String> {
    score.value.map(|v| format!("{v:.2}"))
}

impl App {
    /// The evaluations of `year` that `caller` may read, as they stand at `at`: every
    /// authority's and State's for whoever may read the aggregates, and otherwise only
    /// the caller's own authority's (a State's, or another authority's, is 403).
    pub async fn evaluations(
        &self,
        caller: &Caller,
        year: i32,
        scope: &Scope,
        at: DateTime<Utc>,
    ) -> Result<Evaluations> {
        let aggregates = self.allowed(caller, &Action::ReadAggregates, &On::Aggregates);
        let scope = match scope {
            Scope::All if !aggregates => {
                // Its own, for an authority's people and systems; nobody else's.
                match self.party(caller.org()).await? {
                    Some(Party::Authority(a)) => Scope::Authority(a.id.to_string()),
                    _ => {
                        self.require(caller, &Action::ReadAggregates, &On::Aggregates)?;
                        Scope::All
                    }
                }
            }
            Scope::Authority(id) if id.trim() != caller.org().as_str() => {
                self.require(caller, &Action::ReadAggregates, &On::Aggregates)?;
                scope.clone()
            }
            Scope::Country(_) => {
                self.require(caller, &Action::ReadAggregates, &On::Aggregates)?;
                scope.clone()
            }
            _ => scope.clone(),
        };
        self.evaluate(year, &scope, at).await
    }

    /// The evaluations of `year` in `scope`, as they stand at `at`, with no check of who
    /// asks: for the callers above, and the operator.
    async fn evaluate(&self, year: i32, scope: &Scope, at: DateTime<Utc>) -> Result<Evaluations> {
        let cycle = Cycle::year(year)?;
        let (only_authority, only_country) = match scope {
            Scope::All => (None, None),
            Scope::Authority(id) => {
                let id = PartyId::parse(id.trim())
                    .map_err(|e| Error::invalid("invalid_evaluation", "authority", e.to_string()))?;
                match self.party(&id).await? {
                    Some(Party::Authority(_)) => {}
                    _ => return Err(Error::NotFound(format!("no authority {id} is registered"))),
                }
                (Some(id), None)
            }
            Scope::Country(c) => {
                let c = CountryCode::parse(c.trim()).map_err(|e| {
                    Error::invalid(
                        "invalid_evaluation",
                        "country",
                        format!("{e} (an ISO 3166-1 alpha-2 code, such as FR)"),
                    )
                })?;
                (None, Some(c))
            }
        };
        let authorities: BTreeMap<PartyId, Authority> = self
            .store()
            .parties(PartyRole::Authority)
            .await?
            .into_iter()
            .filter_map(|p| match p {
                Party::Authority(a) => Some((a.id.clone(), a)),
                _ => None,
            })
            .collect();
        // Every registered authority has its figures, even with no request in the cycle;
        // a State, once one of its authorities is registered.
        let mut by_authority: BTreeMap<PartyId, Figures> = BTreeMap::new();
        let mut by_state: BTreeMap<CountryCode, Figures> = BTreeMap::new();
        for a in authorities.values() {
            if only_authority.as_ref().is_none_or(|id| *id == a.id)
                && only_country.as_ref().is_none_or(|c| *c == a.country)
            {
                by_authority.entry(a.id.clone()).or_default();
                by_state.entry(a.country).or_default();
            }
        }
        if let Some(c) = &only_country {
            by_state.entry(*c).or_default();
        }
        let store = self.store();
        let mut page = 1;
        loop {
            let query = RequestQuery { authority: only_authority.clone(), ..RequestQuery::every(page, PAGE) };
            let listed = store.list_requests(&query).await?;
            let n = listed.items.len();
            for r in listed.items.iter().filter(|r| r.received_at >= cycle.from && r.received_at < cycle.to) {
                let Some(authority) = authorities.get(&r.authority) else { continue };
                if only_country.as_ref().is_some_and(|c| *c != authority.country) {
                    continue;
                }
                let history = self.history(r).await?;
                by_authority.entry(r.authority.clone()).or_default().add(&history, at);
                by_state.entry(authority.country).or_default().add(&history, at);
            }
            if n < PAGE as usize {
                break;
            }
            page += 1;
        }
        let evaluation =
            |subject, figures: Figures| Evaluation { subject, score: evaluation::score(&figures), figures };
        Ok(Evaluations {
            cycle,
            at,
            authorities: by_authority
                .into_iter()
                .filter_map(|(id, figures)| {
                    let a = authorities.get(&id)?;
                    Some(evaluation(
                        Subject::Authority { id, name: a.name.clone(), country: a.country },
                        figures,
                    ))
                })
                .collect(),
            states: if only_authority.is_some() {
                Vec::new()
            } else {
                by_state.into_iter().map(|(c, figures)| evaluation(Subject::State(c), figures)).collect()
            },
        })
    }

    /// One request's history, as the evaluation reads it: its events, clocks, and the
    /// facts of its clocks' passing, disposal, grounds raised and remedies.
    async fn history(&self, r: &comity_core::StoredRequest) -> Result<History> {
        let store = self.store();
        let facts = store
            .journal(
                &JournalQuery::kinds(&[
                    FactKind::ClockExpired,
                    FactKind::DisposalAttested,
                    FactKind::GroundsRaised,
                    FactKind::RemedyOpened,
                    FactKind::RemedyRecallMet,
                ])
                .request(r.id),
            )
            .await?;
        let mut h = History {
            state: r.state,
            emergency: r.emergency,
            events: store.events(r.id).await?,
            clocks: store.clocks(r.id).await?,
            expired: Vec::new(),
            disposal_attested: Done::No,
            grounds_raised: Vec::new(),
            remedies: Vec::new(),
        };
        let mut met: BTreeMap<u32, bool> = BTreeMap::new();
        let mut opened = Vec::new();
        // The journal is in the log's order: an attestation after the escalation of the
        // missing one came late, whatever the times say.
        let mut escalated = false;
        for f in facts {
            match f.fact {
                Fact::ClockExpired(e) => {
                    escalated |=
                        e.clock == ClockKind::DisposalAttestation && e.outcome == ClockOutcome::Overdue;
                    h.expired.push(e);
                }
                Fact::DisposalAttested(_) if h.disposal_attested == Done::No => {
                    h.disposal_attested =
                        if escalated { Done::AfterEscalation } else { Done::BeforeEscalation };
                }
                Fact::GroundsRaised(g) => h.grounds_raised.push(g.grounds),
                Fact::RemedyOpened(o) => opened.push(o),
                Fact::RemedyRecallMet(m) => {
                    met.insert(m.case, m.late);
                }
                _ => {}
            }
        }
        h.remedies = opened
            .into_iter()
            .map(|o| RemedyCase {
                ground: o.ground,
                recall_due: o.recall_due,
                recall_met: met.get(&o.case).copied(),
            })
            .collect();
        Ok(h)
    }

    /// The facts recording `evaluations`, one per authority and one per State.
    fn recorded(evaluations: &Evaluations) -> Vec<Fact> {
        let cycle = evaluations.cycle;
        evaluations
            .authorities
            .iter()
            .chain(&evaluations.states)
            .map(|e| {
                let (authority, country) = match &e.subject {
                    Subject::Authority { id, country, .. } => (Some(id.clone()), *country),
                    Subject::State(c) => (None, *c),
                };
                Fact::EvaluationRecorded(journal::EvaluationRecorded {
                    year: cycle.year,
                    from: cycle.from,
                    to: cycle.to,
                    authority,
                    country,
                    formula: e.score.formula.to_owned(),
                    score: score_text(&e.score),
                    figures: e.figures.entries().into_iter().collect(),
                })
            })
            .collect()
    }
}

impl Registers {
    /// Records the evaluation of every authority and every State for `year` as it stands
    /// at `now`: one `evaluation.recorded` fact each, with its audit-log entry, in one
    /// write. A cycle is recorded once it has ended: its figures are then those of every
    /// request it will ever hold (its clocks and acts may still move, and a later record
    /// says how).
    pub async fn record_evaluations(
        &self,
        year: i32,
        now: DateTime<Utc>,
    ) -> Result<(Evaluations, Vec<JournalEntry>)> {
        let now = now.trunc_subsecs(6);
        let cycle = Cycle::year(year)?;
        if cycle.to > now {
            return Err(Error::invalid(
                "invalid_evaluation",
                "year",
                format!(
                    "the {year} cycle ends on {}: record it once it has ended (the evaluation as it stands \
                     can be read meanwhile)",
                    cycle.to.format("%Y-%m-%d")
                ),
            ));
        }
        let evaluations = self.app().evaluate(year, &Scope::All, now).await?;
        let entries: Vec<NewEntry> =
            App::recorded(&evaluations).into_iter().map(|fact| self.entry_at(now, fact)).collect();
        let written = self.app().store().append_journal(&entries).await?;
        Ok((evaluations, written))
    }
}

impl Operator {
    /// The evaluations of `year` in `scope` as they stand at `at` (`comity evaluation show`).
    pub async fn evaluations(&self, year: i32, scope: &Scope, at: DateTime<Utc>) -> Result<Evaluations> {
        self.app_ref().evaluate(year, scope, at).await
    }

    /// Records `year`'s evaluations (`comity evaluation record`).
    pub async fn record_evaluations(
        &self,
        year: i32,
        now: DateTime<Utc>,
    ) -> Result<(Evaluations, Vec<JournalEntry>)> {
        self.registers().record_evaluations(year, now).await
    }
}

impl Evaluation {
    /// As the API and `--json` give it.
    pub fn resource(&self) -> comity_wire::evaluation::EvaluationResource {
        use comity_wire::evaluation::EvaluationResource;
        match &self.subject {
            Subject::Authority { id, name, country } => EvaluationResource::new(
                Some((id.as_str(), name)),
                country.as_str(),
                &self.figures,
                &self.score,
            ),
            Subject::State(c) => EvaluationResource::new(None, c.as_str(), &self.figures, &self.score),
        }
    }
}

impl Evaluations {
    /// As the API and `--json` give them.
    pub fn resource(&self) -> comity_wire::evaluation::EvaluationsResource {
        comity_wire::evaluation::EvaluationsResource {
            year: self.cycle.year,
            from: self.cycle.from,
            to: self.cycle.to,
            at: self.at,
            formula: comity_wire::evaluation::FormulaResource::current(),
            authorities: self.authorities.iter().map(Evaluation::resource).collect(),
            states: self.states.iter().map(Evaluation::resource).collect(),
        }
    }
}

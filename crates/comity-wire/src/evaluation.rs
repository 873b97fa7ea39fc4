//! Evaluation cycles on the wire (issue 16, item 6): an authority's or a State's figures
//! over a cycle and its compliance score, with the formula that computed it
//! (`GET /v1/evaluations`, `comity evaluation show --json`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use comity_core::ClockKind;
use comity_core::evaluation::{self, Component, Figures, Score};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A cycle's evaluations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvaluationsResource {
    pub year: i32,
    /// The cycle holds the requests received from `from` (included) to `to` (excluded).
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// When the figures were computed: clocks and acts are counted as they stood then.
    pub at: DateTime<Utc>,
    pub formula: FormulaResource,
    /// Each issuing authority's, by id.
    pub authorities: Vec<EvaluationResource>,
    /// Each State's (the authorities of an issuing country together), by country.
    pub states: Vec<EvaluationResource>,
}

/// The published formula of the compliance score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormulaResource {
    /// Its version, such as `comity-compliance/v1`.
    pub version: String,
    /// The formula in a line.
    pub text: String,
    pub components: Vec<FormulaComponent>,
}

/// A component of the formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormulaComponent {
    pub name: String,
    pub weight: u32,
    pub description: String,
}

impl FormulaResource {
    /// The formula [`comity_core::evaluation::score`] applies.
    pub fn current() -> FormulaResource {
        FormulaResource {
            version: evaluation::FORMULA.to_owned(),
            text: evaluation::FORMULA_TEXT.to_owned(),
            components: Component::ALL
                .iter()
                .map(|c| FormulaComponent {
                    name: c.as_str().to_owned(),
                    weight: c.weight(),
                    description: c.description().to_owned(),
                })
                .collect(),
        }
    }
}

/// One authority's or one State's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvaluationResource {
    /// The authority, for an authority's evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The authority's State, or the State evaluated (ISO 3166-1 alpha-2).
    pub country: String,
    /// From 0 to 100, two decimals; absent when no component had a denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub components: Vec<ComponentResource>,
    pub figures: FiguresResource,
}

/// A component as scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComponentResource {
    pub name: String,
    pub weight: u32,
    /// The good count and its denominator.
    pub good: u64,
    pub of: u64,
    /// `good / of`, from 0 to 1; absent without a denominator (left out of the score).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

/// The figures of a cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FiguresResource {
    /// Requests received in the cycle.
    pub requests: u64,
    /// Every clock kind: who owes it and how its clocks were kept.
    pub clocks: Vec<ClockFiguresResource>,
    /// Requests that had a decision, and of those the ones whose last is a rejection.
    pub decided: u64,
    pub rejected: u64,
    pub emergencies: EmergenciesResource,
    pub appeals: AppealsResource,
    pub remedies: RemediesResource,
    /// Disposal attestations and recalls late or overdue.
    pub late_attestations: u64,
    pub grounds: GroundsResource,
}

/// How one kind of clock was kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockFiguresResource {
    /// `respond_by`, `validation`, ...
    pub kind: String,
    /// `issuing_authority`, `provider`, `enforcing_authority` or `comity`.
    pub owed_by: String,
    /// Whether passing it unmet is a breach (not for a window: an objection window, a
    /// preservation's end).
    pub duty: bool,
    pub in_time: u64,
    pub late: u64,
    /// Passed and nothing came; for a window, closed unused or lapsed.
    pub overdue: u64,
    pub running: u64,
    /// Taken away, or moot.
    pub not_counted: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EmergenciesResource {
    pub requests: u64,
    /// Held for a second contact's confirmation.
    pub held: u64,
    pub confirmed_in_time: u64,
    pub confirmed_late: u64,
    pub denied: u64,
    pub never_confirmed: u64,
    pub awaiting: u64,
    /// Confirmed late, denied or never confirmed.
    pub unconfirmed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppealsResource {
    pub lodged: u64,
    pub decided: u64,
    /// A grant narrowed or reversed, or a refusal upheld.
    pub against_authority: u64,
    /// Decided otherwise than the decision appealed.
    pub overturned: u64,
    pub withdrawn: u64,
    pub pending: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemediesResource {
    /// Remedy cases by ground, every ground listed.
    pub by_ground: BTreeMap<String, u64>,
    /// Requests whose data was delivered, and of those the ones with a case on a ground
    /// of the authority's own (`withdrawn`, `decision_overturned`).
    pub delivered: u64,
    pub delivered_with_authority_remedy: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroundsResource {
    /// Requests with an objection window (Art 10(2)).
    pub open_to_grounds: u64,
    /// Requests against which grounds for refusal were raised (Art 12).
    pub requests: u64,
    /// Each ground raised, by code.
    pub by_ground: BTreeMap<String, u64>,
}

impl EvaluationResource {
    /// An authority's evaluation (`authority` with its name) or a State's.
    pub fn new(
        authority: Option<(&str, &str)>,
        country: &str,
        figures: &Figures,
        score: &Score,
    ) -> EvaluationResource {
        EvaluationResource {
            authority: authority.map(|(id, _)| id.to_owned()),
            name: authority.map(|(_, name)| name.to_owned()),
            country: country.to_owned(),
            score: score.value,
            components: score
                .components
                .iter()
                .map(|c| ComponentResource {
                    name: c.component.as_str().to_owned(),
                    weight: c.weight,
                    good: c.good,
                    of: c.of,
                    share: c.share,
                })
                .collect(),
            figures: FiguresResource::from(figures),
        }
    }
}

impl From<&Figures> for FiguresResource {
    fn from(f: &Figures) -> FiguresResource {
        let e = &f.emergencies;
        let a = &f.appeals;
        FiguresResource {
            requests: f.requests,
            clocks: ClockKind::ALL
                .iter()
                .map(|k| {
                    let c = f.clocks.get(k).copied().unwrap_or_default();
                    ClockFiguresResource {
                        kind: k.as_str().to_owned(),
                        owed_by: evaluation::owed_by(*k).as_str().to_owned(),
                        duty: evaluation::is_duty(*k),
                        in_time: c.in_time,
                        late: c.late,
                        overdue: c.overdue,
                        running: c.running,
                        not_counted: c.not_counted,
                    }
                })
                .collect(),
            decided: f.decided,
            rejected: f.rejected,
            emergencies: EmergenciesResource {
                requests: e.requests,
                held: e.held,
                confirmed_in_time: e.confirmed_in_time,
                confirmed_late: e.confirmed_late,
                denied: e.denied,
                never_confirmed: e.never_confirmed,
                awaiting: e.awaiting,
                unconfirmed: e.unconfirmed(),
            },
            appeals: AppealsResource {
                lodged: a.lodged,
                decided: a.decided,
                against_authority: a.against_authority,
                overturned: a.overturned,
                withdrawn: a.withdrawn,
                pending: a.pending,
            },
            remedies: RemediesResource {
                by_ground: f.remedies.by_ground.iter().map(|(g, n)| (g.as_str().to_owned(), *n)).collect(),
                delivered: f.remedies.delivered,
                delivered_with_authority_remedy: f.remedies.delivered_with_authority_remedy,
            },
            late_attestations: f.late_attestations(),
            grounds: GroundsResource {
                open_to_grounds: f.grounds.open_to_grounds,
                requests: f.grounds.requests,
                by_ground: f.grounds.by_ground.clone(),
            },
        }
    }
}

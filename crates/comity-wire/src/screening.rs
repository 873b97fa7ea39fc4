//! The screening report as JSON.

use chrono::{DateTime, Utc};
use comity_policy::Report;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What screening concludes about a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScreeningReport {
    /// `admissible`, `needs_review`, `needs_clarification` or `inadmissible`. Any `fail`
    /// makes a request inadmissible; otherwise any `clarify` asks the authority to supply
    /// what is missing; otherwise any `review` sends it to review.
    #[schema(example = "needs_review")]
    pub verdict: String,
    /// One finding per rule of the pack, in the pack's order.
    pub findings: Vec<FindingBody>,
    pub deadlines: DeadlinesBody,
    /// Whether the enforcing State must be notified (Regulation (EU) 2023/1543 Art 8).
    pub notification_required: bool,
    /// Who must decide: reviewer kinds such as `court`, `enforcing_authority`.
    pub required_review: Vec<String>,
    pub pack: PackBody,
    /// The moment the clocks run from.
    pub received_at: DateTime<Utc>,
}

/// One rule's finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FindingBody {
    /// The rule's stable id, such as `eu.issuer`.
    pub rule: String,
    /// `pass`, `fail`, `review`, `clarify` (a missing element the authority can supply;
    /// the message says what) or `not_applicable`.
    pub outcome: String,
    /// The provision that decided the outcome, as precisely as the rule names it, such as
    /// `Regulation (EU) 2023/1543 Art 4(2)`.
    #[schema(example = "Regulation (EU) 2023/1543 Art 4(2)")]
    pub citation: String,
    /// The pack's citation for the whole rule (its scope), such as
    /// `Regulation (EU) 2023/1543 Art 4(1)-(3), Art 4(5)`. Absent from reports stored
    /// before findings named their provision, whose `citation` is the rule's.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rule_citation: String,
    pub message: String,
    /// Earlier requests the finding is about (anti-bulk).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

/// The clocks that started with receipt; absent where they do not apply.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct DeadlinesBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respond_by: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preservation_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preservation_extended_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_due: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection_window_end: Option<DateTime<Utc>>,
}

/// The pack that judged the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackBody {
    pub id: String,
    pub version: String,
    /// SHA-256 of the pack file, in hex.
    pub hash: String,
}

impl From<&Report> for ScreeningReport {
    fn from(r: &Report) -> Self {
        let d = &r.deadlines;
        ScreeningReport {
            verdict: r.verdict.as_str().to_owned(),
            findings: r
                .findings
                .iter()
                .map(|f| FindingBody {
                    rule: f.rule.as_str().to_owned(),
                    outcome: f.outcome.as_str().to_owned(),
                    citation: f.citation.clone(),
                    rule_citation: f.rule_citation.clone(),
                    message: f.message.clone(),
                    related: f.related.iter().map(ToString::to_string).collect(),
                })
                .collect(),
            deadlines: DeadlinesBody {
                respond_by: d.respond_by,
                preservation_until: d.preservation_until,
                preservation_extended_until: d.preservation_extended_until,
                validation_due: d.validation_due,
                objection_window_end: d.objection_window_end,
            },
            notification_required: r.notification_required,
            required_review: r.required_review.iter().map(|k| k.as_str().to_owned()).collect(),
            pack: PackBody {
                id: r.pack.id.clone(),
                version: r.pack.version.clone(),
                hash: r.pack.hash.clone(),
            },
            received_at: r.received_at,
        }
    }
}

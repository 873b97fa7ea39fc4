//! The screening report.

use chrono::{DateTime, Utc};
use comity_core::{RequestId, ReviewerKind};

use crate::rules::Rule;

/// What screening concludes. A person still decides on every request; the verdict says
/// whether the law already rules it out, whether the authority must first supply something
/// the request lacks, and whether an independent reviewer must look. The order is one of
/// strictness: a verdict further down is never more favourable to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Admissible,
    NeedsReview,
    /// A mandatory element is missing that the authority can supply (a statement, a
    /// field): the request is answered with a request for clarification, not refused
    /// (Regulation (EU) 2023/1543 Art 10(5), Annex III).
    NeedsClarification,
    Inadmissible,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Admissible => "admissible",
            Verdict::NeedsReview => "needs_review",
            Verdict::NeedsClarification => "needs_clarification",
            Verdict::Inadmissible => "inadmissible",
        }
    }
}

/// What one rule found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Pass,
    Fail,
    Review,
    /// A mandatory element is missing that the authority can supply; the message says
    /// exactly what.
    Clarify,
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Review => "review",
            Outcome::Clarify => "clarify",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

/// One rule's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub outcome: Outcome,
    /// The provision that decided the outcome, as precisely as the rule can name it
    /// ("Regulation (EU) 2023/1543 Art 4(2)"); the pack's citation for the whole rule
    /// when the rule names no narrower provision.
    pub citation: String,
    /// The pack's citation for the whole rule: its scope ("... Art 4(1)-(3), Art 4(5)").
    pub rule_citation: String,
    /// For a person who is not a lawyer.
    pub message: String,
    /// Earlier requests the finding is about (anti-bulk).
    pub related: Vec<RequestId>,
}

/// The clocks that start with the request's receipt. Each is the instant the period
/// expires, in UTC (see `deadline` for how days and hours are counted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deadlines {
    /// When the data must be produced.
    pub respond_by: Option<DateTime<Utc>>,
    /// When a preservation lapses unless extended or followed by a production request.
    pub preservation_until: Option<DateTime<Utc>>,
    /// When it lapses if extended once.
    pub preservation_extended_until: Option<DateTime<Utc>>,
    /// When an emergency order issued without validation must have been validated.
    pub validation_due: Option<DateTime<Utc>>,
    /// When the enforcing authority's time to raise a ground for refusal ends.
    pub objection_window_end: Option<DateTime<Utc>>,
}

/// Which pack judged the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackRef {
    pub id: String,
    pub version: String,
    pub hash: String,
}

/// The result of screening one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub deadlines: Deadlines,
    /// Whether the enforcing State must be notified (Regulation (EU) 2023/1543 Art 8).
    pub notification_required: bool,
    /// Who must decide, when anyone must.
    pub required_review: Vec<ReviewerKind>,
    pub pack: PackRef,
    /// The moment the clocks run from.
    pub received_at: DateTime<Utc>,
}

impl Report {
    /// The rules that failed, asked for clarification or asked for review, in pack order.
    pub fn flagged(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Fail | Outcome::Clarify | Outcome::Review))
    }
}

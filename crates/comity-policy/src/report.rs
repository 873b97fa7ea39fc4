//! The screening report.

use chrono::{DateTime, Utc};
use comity_core::{RequestId, ReviewerKind};

use crate::rules::Rule;

/// What screening concludes. A person still decides on every request; the verdict says
/// whether the law already rules it out, and whether an independent reviewer must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Admissible,
    NeedsReview,
    Inadmissible,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Admissible => "admissible",
            Verdict::NeedsReview => "needs_review",
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
    NotApplicable,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Review => "review",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

/// One rule's finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub outcome: Outcome,
    /// As the pack cites the rule.
    pub citation: String,
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
    /// The rules that failed or asked for review, in pack order.
    pub fn flagged(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| matches!(f.outcome, Outcome::Fail | Outcome::Review))
    }
}

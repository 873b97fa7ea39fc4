//! What may leave: the scope a decision allows, and the test each exported record must
//! pass before it goes into a production (issue 6: "only the data the decision allows may
//! leave: the named targets, the approved window, the approved categories").
//!
//! A decision may narrow the request (fewer targets, a shorter window, fewer categories),
//! never widen it; [`Scope::narrow`] refuses anything outside what was asked.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::{DataCategory, Fact, FactKind, JournalEntry, Request, RequestId, Selector, TimeWindow, journal};

/// The targets, window and categories a decision lets leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    targets: Vec<Selector>,
    window: TimeWindow,
    categories: Vec<DataCategory>,
    /// The targets' values, normalized, for matching accounts.
    normalized: HashSet<String>,
}

/// Why a decision's scope is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("{0:?} is not a target of the request; a decision may only keep targets the request names")]
    NotATarget(String),
    #[error("the decision approves no target; reject the request instead")]
    NoTarget,
    #[error("the window must lie within the request's, {from} to {to}")]
    WindowWider { from: DateTime<Utc>, to: DateTime<Utc> },
    #[error("{0} is not a category the request asks for")]
    CategoryNotAsked(DataCategory),
    #[error("the decision approves no category; reject the request instead")]
    NoCategory,
}

impl Scope {
    /// Everything the request asks for.
    pub fn of_request(r: &Request) -> Scope {
        Scope::new(
            r.targets.iter().map(|t| t.selector.clone()).collect(),
            r.time_window,
            r.data_categories.clone(),
        )
    }

    fn new(targets: Vec<Selector>, window: TimeWindow, categories: Vec<DataCategory>) -> Scope {
        let normalized = targets.iter().map(Selector::normalized).collect();
        Scope { targets, window, categories, normalized }
    }

    /// This scope narrowed by a decision: the targets it keeps (by value, in any spelling),
    /// its window and its categories; each left out keeps this scope's.
    pub fn narrow(
        &self,
        targets: Option<&[String]>,
        window: Option<TimeWindow>,
        categories: Option<&[DataCategory]>,
    ) -> Result<Scope, ScopeError> {
        let targets = match targets {
            None => self.targets.clone(),
            Some(values) => {
                let mut kept = Vec::new();
                for v in values {
                    let found = self
                        .targets
                        .iter()
                        .find(|t| t.normalized() == crate::normalize(t.kind(), v))
                        .ok_or_else(|| ScopeError::NotATarget(v.clone()))?;
                    if !kept.contains(found) {
                        kept.push(found.clone());
                    }
                }
                kept
            }
        };
        if targets.is_empty() {
            return Err(ScopeError::NoTarget);
        }
        let window = match window {
            Some(w) if w.from() < self.window.from() || w.to() > self.window.to() => {
                return Err(ScopeError::WindowWider { from: self.window.from(), to: self.window.to() });
            }
            Some(w) => w,
            None => self.window,
        };
        let categories = match categories {
            None => self.categories.clone(),
            Some(cs) => {
                if let Some(c) = cs.iter().find(|c| !self.categories.contains(c)) {
                    return Err(ScopeError::CategoryNotAsked(*c));
                }
                let mut kept: Vec<DataCategory> = cs.to_vec();
                kept.sort();
                kept.dedup();
                kept
            }
        };
        if categories.is_empty() {
            return Err(ScopeError::NoCategory);
        }
        Ok(Scope::new(targets, window, categories))
    }

    /// Whether this scope is all of `wider`: a full approval rather than a partial one.
    pub fn is_all_of(&self, wider: &Scope) -> bool {
        self.normalized == wider.normalized && self.window == wider.window && {
            let mut a = self.categories.clone();
            let mut b = wider.categories.clone();
            a.sort();
            b.sort();
            a == b
        }
    }

    pub fn targets(&self) -> &[Selector] {
        &self.targets
    }

    pub fn window(&self) -> TimeWindow {
        self.window
    }

    pub fn categories(&self) -> &[DataCategory] {
        &self.categories
    }

    /// Whether an identifier, in any spelling, is one of the targets'.
    pub fn is_target(&self, normalized: &str) -> bool {
        self.normalized.contains(normalized)
    }

    /// Whether a record of `account` (normalized), of `category`, at `time` may leave:
    /// a target's, in the window (`from` ≤ time < `to`), of an approved category.
    pub fn admits(&self, account: &str, time: DateTime<Utc>, category: DataCategory) -> bool {
        self.is_target(account)
            && self.window.from() <= time
            && time < self.window.to()
            && self.categories.contains(&category)
    }
}

/// A production as its journal facts make it: its status, what left, and its chain of
/// custody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Production {
    /// `prod-` and 16 characters.
    pub id: String,
    pub request: RequestId,
    /// `started`, `failed`, `sealed`, `acknowledged` or `shredded`.
    pub status: &'static str,
    pub started_at: DateTime<Utc>,
    /// The production event's index in the audit log, which the manifest names.
    pub log_index: Option<u64>,
    pub records: u64,
    pub in_scope: u64,
    pub retention_until: String,
    /// What left, once sealed.
    pub package: Option<journal::ProductionSealed>,
    /// Why it stopped, if it failed.
    pub failure: Option<String>,
    /// When comity's copy was crypto-shredded, at its retention date or at a recall.
    pub shredded_at: Option<DateTime<Utc>>,
    /// The remedy case that recalled it, if one did (issue 15, item 4).
    pub recalled: Option<u32>,
    /// The receiving authority's attestation of disposal, when given.
    pub attestation: Option<journal::DisposalAttested>,
    /// Every fact of its chain of custody, oldest first.
    pub custody: Vec<JournalEntry>,
}

impl Production {
    /// Folds one production's facts, oldest first, into what it is now; `None` unless
    /// they start with its `production.started`.
    pub fn fold(custody: Vec<JournalEntry>) -> Option<Production> {
        let first = custody.first()?;
        let Fact::ProductionStarted(started) = &first.fact else { return None };
        let mut p = Production {
            id: started.production.clone(),
            request: started.request,
            status: "started",
            started_at: first.at,
            log_index: first.log_index,
            records: started.records,
            in_scope: started.in_scope,
            retention_until: started.retention_until.clone(),
            package: None,
            failure: None,
            shredded_at: None,
            recalled: None,
            attestation: None,
            custody: Vec::new(),
        };
        for e in &custody {
            match &e.fact {
                Fact::ProductionSealed(s) => {
                    p.status = "sealed";
                    p.package = Some(s.clone());
                }
                Fact::ProductionFailed(f) => {
                    p.status = "failed";
                    p.failure = Some(f.reason.clone());
                }
                Fact::ProductionAcknowledged(_) => p.status = "acknowledged",
                Fact::ProductionShredded(s) => {
                    p.status = "shredded";
                    p.shredded_at = Some(e.at);
                    p.recalled = s.remedy;
                }
                Fact::DisposalAttested(a) => p.attestation = Some(a.clone()),
                _ => {}
            }
        }
        p.custody = custody;
        Some(p)
    }

    /// Every production in `entries` (the facts of one or many productions, oldest first),
    /// in the order each first appears.
    pub fn fold_all(entries: &[JournalEntry]) -> Vec<Production> {
        let mut ids: Vec<&str> = Vec::new();
        for e in entries {
            if !ids.contains(&e.subject.as_str()) {
                ids.push(&e.subject);
            }
        }
        ids.into_iter()
            .filter_map(|p| Production::fold(entries.iter().filter(|e| e.subject == p).cloned().collect()))
            .collect()
    }

    /// Whether the recipient authority has downloaded its package.
    pub fn downloaded(&self) -> bool {
        self.custody.iter().any(|c| c.kind() == FactKind::ProductionDownloaded)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::SelectorType;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, day, 0, 0, 0).single().unwrap_or_else(|| panic!("date"))
    }

    fn scope() -> Scope {
        let sel = |k, v| Selector::parse(k, v, None).unwrap_or_else(|e| panic!("{e}"));
        Scope::new(
            vec![
                sel(SelectorType::Email, "Invest.Desk@example.org"),
                sel(SelectorType::Phone, "+33612345678"),
            ],
            TimeWindow::new(t(1), t(31)).unwrap_or_else(|e| panic!("{e}")),
            vec![DataCategory::Subscriber, DataCategory::Traffic],
        )
    }

    #[test]
    fn a_record_is_admitted_only_for_a_target_in_the_window_and_an_approved_category() {
        let s = scope();
        assert!(s.admits("invest.desk@example.org", t(1), DataCategory::Traffic));
        assert!(s.admits("+33612345678", t(30), DataCategory::Subscriber));
        assert!(!s.admits("someone@example.org", t(5), DataCategory::Traffic), "not a target");
        assert!(
            !s.admits("invest.desk@example.org", t(31), DataCategory::Traffic),
            "the window's end is out"
        );
        assert!(!s.admits("invest.desk@example.org", t(5), DataCategory::Content), "not approved");
    }

    #[test]
    fn a_decision_may_narrow_never_widen() {
        let s = scope();
        let narrowed = s
            .narrow(
                Some(&["INVEST.DESK@EXAMPLE.ORG".to_owned()]),
                Some(TimeWindow::new(t(2), t(10)).unwrap_or_else(|e| panic!("{e}"))),
                Some(&[DataCategory::Subscriber]),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!narrowed.is_target("+33612345678"));
        assert!(!narrowed.is_all_of(&s));
        assert!(s.narrow(None, None, None).unwrap_or_else(|e| panic!("{e}")).is_all_of(&s));
        assert_eq!(
            s.narrow(Some(&["other@example.org".to_owned()]), None, None),
            Err(ScopeError::NotATarget("other@example.org".into()))
        );
        assert!(matches!(
            s.narrow(
                None,
                Some(
                    TimeWindow::new(t(1), t(31) + chrono::Duration::days(1))
                        .unwrap_or_else(|e| panic!("{e}"))
                ),
                None
            ),
            Err(ScopeError::WindowWider { .. })
        ));
        assert_eq!(
            s.narrow(None, None, Some(&[DataCategory::Content])),
            Err(ScopeError::CategoryNotAsked(DataCategory::Content))
        );
        assert_eq!(s.narrow(Some(&[]), None, None), Err(ScopeError::NoTarget));
        assert_eq!(s.narrow(None, None, Some(&[])), Err(ScopeError::NoCategory));
    }
}

//! Legal screening: every request is checked against the policy pack of the instrument
//! it invokes before a person looks at it.
//!
//! A [`Pack`] is a versioned TOML file (see `policies/` and `docs/policy-packs.md`)
//! that lists the [`Rule`]s it applies, each with its citation, and the numbers the
//! rules use. [`screen`] applies a pack to a parsed request and returns a [`Report`]:
//! a verdict, one finding per rule, the deadlines that started with receipt, whether the
//! enforcing State must be notified, and who must decide. This crate does no I/O: the
//! caller reads the pack files and passes the earlier requests the anti-bulk rule needs.
//!
//! ```
//! use comity_policy::{PackSet, Verdict, screen};
//!
//! let packs = PackSet::parse(&[("eu.toml", r#"
//!     id = "eu-e-evidence"
//!     version = "1"
//!     title = "EU e-Evidence"
//!     applies_to = { instrument = "eu-e-evidence" }
//!     [[rule]]
//!     id = "general.justification"
//!     citation = "Regulation (EU) 2023/1543 Art 5(2)"
//! "#)]).unwrap();
//! # let json = br#"{"instrument": "eu-e-evidence", "kind": "production", "purpose": "criminal_investigation",
//! #  "issuing": {"country": "FR", "authority": "fr-tj-paris", "authority_type": "judge", "reference": "R"},
//! #  "addressee": {"provider": "example-mail", "country": "IE"}, "offence": {"description": "fraud"},
//! #  "targets": [{"selector": {"type": "email", "value": "a@example.org"}}], "data_categories": ["subscriber"],
//! #  "time_window": {"from": "2026-05-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"}}"#;
//! # let (_, request) = comity_wire::parse_request(json).unwrap();
//! let pack = packs.for_request(&request).unwrap();
//! let report = screen(pack, &request, chrono::Utc::now(), &[]);
//! // No justification was given: the authority is asked to supply one.
//! assert_eq!(report.verdict, Verdict::NeedsClarification);
//! ```
//!
//! Design: rules are code, packs are data. A rule always yields a finding when its pack
//! lists it (`not_applicable` included), so a lawyer reading a report sees every rule
//! the pack holds relevant. A rule names the provision that decided its outcome by a key
//! (`eu.issuer` names `traffic_content` when Art 4(2) decided), and the pack says how to
//! cite each key, so a finding cites the exact paragraph while the pack's citation for
//! the rule stays its scope. Any `fail` makes the verdict `inadmissible`; otherwise any
//! `clarify` (a missing element the authority can supply) makes it `needs_clarification`;
//! otherwise any `review` makes it `needs_review`. The rules are monotone: naming more targets, a longer
//! window or more categories never makes a request more admissible.

pub mod deadline;
mod diff;
mod history;
mod pack;
mod report;
mod rules;

use chrono::{DateTime, Utc};
use comity_core::{Purpose, Request, RequestKind};

pub use diff::{Change, FieldChange, GroundChange, PackDiff, RuleChange, SettingChange, Side, diff};
pub use history::{PackHistory, PackVersion};
pub use pack::{
    AppliesTo, DayCount, Ground, GroundUse, Pack, PackError, ReviewerState, RuleSpec, SettingValue, Settings,
};
pub use report::{Deadlines, Finding, Outcome, PackRef, Report, Verdict};
pub use rules::{Prior, Rule};

/// The packs shipped with comity (`policies/` in the repository), compiled in so that
/// the binary screens correctly wherever it runs. `--policies DIR` replaces them.
pub const BUILTIN_PACKS: [(&str, &str); 5] = [
    ("coe-budapest.toml", include_str!("../../../policies/coe-budapest.toml")),
    ("eu-e-evidence.toml", include_str!("../../../policies/eu-e-evidence.toml")),
    ("mlat.toml", include_str!("../../../policies/mlat.toml")),
    ("national-security.toml", include_str!("../../../policies/national-security.toml")),
    ("us-cloud-act.toml", include_str!("../../../policies/us-cloud-act.toml")),
];

/// The packs in force: one per instrument, and the national-security pack.
#[derive(Debug, Clone)]
pub struct PackSet {
    packs: Vec<Pack>,
}

impl PackSet {
    /// Parses pack files, given as (file name, contents). Two packs for the same
    /// instrument or purpose are refused.
    pub fn parse(files: &[(&str, &str)]) -> Result<PackSet, PackError> {
        let mut packs: Vec<Pack> = Vec::with_capacity(files.len());
        for (name, text) in files {
            let pack = Pack::parse(name, text)?;
            if let Some(other) = packs.iter().find(|p| p.applies_to == pack.applies_to || p.id == pack.id) {
                return Err(PackError::Invalid {
                    file: (*name).to_owned(),
                    message: format!("pack {} covers the same ground as pack {}", pack.id, other.id),
                });
            }
            packs.push(pack);
        }
        Ok(PackSet { packs })
    }

    /// Replaces a pack by the same pack with a provider's house file layered on.
    pub fn with_house(mut self, file: &str, text: &str) -> Result<PackSet, PackError> {
        let target = Pack::house_target(file, text)?;
        let pack = self.packs.iter_mut().find(|p| p.id == target).ok_or_else(|| PackError::Invalid {
            file: file.to_owned(),
            message: format!("no pack {target:?} is loaded"),
        })?;
        *pack = pack.with_house(file, text)?;
        Ok(self)
    }

    /// The packs shipped with comity.
    pub fn builtin() -> Result<PackSet, PackError> {
        PackSet::parse(&BUILTIN_PACKS)
    }

    pub fn packs(&self) -> &[Pack] {
        &self.packs
    }

    /// The pack that judges a request: the pack for its purpose if there is one (the
    /// national-security pack), otherwise the pack for its instrument.
    pub fn for_request(&self, request: &Request) -> Option<&Pack> {
        self.packs
            .iter()
            .find(|p| p.applies_to == AppliesTo::Purpose(request.purpose))
            .or_else(|| self.packs.iter().find(|p| p.applies_to == AppliesTo::Instrument(request.instrument)))
    }
}

/// Screens a request received at `received_at` against `pack`. `history` holds the
/// earlier requests of the same authority or case, for the anti-bulk rule; requests
/// outside the pack's rolling period are ignored, so passing more is harmless. Its targets
/// are compared as [`target_key`] gives them.
pub fn screen(pack: &Pack, request: &Request, received_at: DateTime<Utc>, history: &[Prior]) -> Report {
    screen_keyed(pack, request, received_at, history, &target_key)
}

/// A target as the anti-bulk rule compares it when nothing hides it: its type and value.
pub fn target_key(selector: &comity_core::Selector) -> String {
    format!("{}:{}", selector.kind(), selector.value())
}

/// [`screen`], with the history's targets kept as `key` gives them: a store that keeps
/// only a keyed hash of each target (issue 15) passes the same hash for the request's
/// own, so that the rule counts distinct targets without anyone keeping them.
pub fn screen_keyed(
    pack: &Pack,
    request: &Request,
    received_at: DateTime<Utc>,
    history: &[Prior],
    key: &dyn Fn(&comity_core::Selector) -> String,
) -> Report {
    let cx = rules::Context { pack, request, received_at, history, key };
    let mut fx = rules::Effects::default();
    let findings: Vec<Finding> = pack.rules.iter().map(|spec| rules::apply(spec, &cx, &mut fx)).collect();
    let verdict = if findings.iter().any(|f| f.outcome == Outcome::Fail) {
        Verdict::Inadmissible
    } else if findings.iter().any(|f| f.outcome == Outcome::Clarify) {
        Verdict::NeedsClarification
    } else if findings.iter().any(|f| f.outcome == Outcome::Review) {
        Verdict::NeedsReview
    } else {
        Verdict::Admissible
    };
    let mut deadlines = fx.deadlines;
    let s = &pack.settings;
    match request.kind {
        RequestKind::Production => {
            deadlines.respond_by = if request.emergency {
                s.emergency_respond_hours.map(|h| deadline::after_hours(received_at, h))
            } else {
                let traffic = request.data_categories.contains(&comity_core::DataCategory::Traffic);
                let days = if traffic { s.respond_days_traffic.or(s.respond_days) } else { s.respond_days };
                days.map(|d| deadline::after_days(received_at, d, s.day_count))
            };
        }
        RequestKind::Preservation => {
            deadlines.preservation_until =
                s.preservation_days.map(|d| deadline::after_days(received_at, d, s.day_count));
            deadlines.preservation_extended_until = s
                .preservation_days
                .zip(s.preservation_extension_days)
                .map(|(d, e)| deadline::after_days(received_at, d + e, s.day_count));
        }
    }
    // A national-security request always has a reviewer, even when every rule passed.
    if request.purpose == Purpose::NationalSecurity {
        fx.reviewers.insert(s.reviewer);
    }
    Report {
        verdict,
        findings,
        deadlines,
        notification_required: fx.notification_required,
        required_review: fx.reviewers.into_iter().collect(),
        pack: PackRef { id: pack.id.clone(), version: pack.version.clone(), hash: pack.hash.clone() },
        received_at,
    }
}

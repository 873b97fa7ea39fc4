//! The rules. Each has a stable id, is applied only when a pack lists it, and always
//! yields one finding, so a report shows every rule the pack holds relevant, passed or not.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};
use comity_core::{
    AuthorityType, DataCategory, Instrument, ListedOffence, PartyId, Purpose, Request, RequestId,
    RequestKind, ReviewerKind, Selector, SelectorType,
};

use crate::{
    Pack, RuleSpec,
    deadline::{after_days, after_hours},
    report::{Deadlines, Finding, Outcome},
};

/// Every rule comity knows. The spelling (`as_str`) is the stable id used in packs,
/// reports and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    Justification,
    SpecificSelectors,
    TimeWindow,
    MaxTargets,
    ProtectedRoles,
    SensitiveGrounds,
    Nondisclosure,
    Bulk,
    AppliesFrom,
    EuStates,
    EuIssuer,
    EuOffenceThreshold,
    EuNotification,
    UsPartner,
    UsPersons,
    UsSeriousCrime,
    UsIndependentReview,
    CoeParties,
    CoeOrderScope,
    CoePreservationFields,
    MlatDualCriminality,
    MlatCentralAuthority,
    NsInstrumentScope,
    NsIndependentReview,
    NsNoticeDelayedAtMost,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::Justification,
        Rule::SpecificSelectors,
        Rule::TimeWindow,
        Rule::MaxTargets,
        Rule::ProtectedRoles,
        Rule::SensitiveGrounds,
        Rule::Nondisclosure,
        Rule::Bulk,
        Rule::AppliesFrom,
        Rule::EuStates,
        Rule::EuIssuer,
        Rule::EuOffenceThreshold,
        Rule::EuNotification,
        Rule::UsPartner,
        Rule::UsPersons,
        Rule::UsSeriousCrime,
        Rule::UsIndependentReview,
        Rule::CoeParties,
        Rule::CoeOrderScope,
        Rule::CoePreservationFields,
        Rule::MlatDualCriminality,
        Rule::MlatCentralAuthority,
        Rule::NsInstrumentScope,
        Rule::NsIndependentReview,
        Rule::NsNoticeDelayedAtMost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Justification => "general.justification",
            Rule::SpecificSelectors => "general.specific_selectors",
            Rule::TimeWindow => "general.time_window",
            Rule::MaxTargets => "general.max_targets",
            Rule::ProtectedRoles => "general.protected_roles",
            Rule::SensitiveGrounds => "general.sensitive_grounds",
            Rule::Nondisclosure => "general.nondisclosure",
            Rule::Bulk => "general.bulk",
            Rule::AppliesFrom => "general.applies_from",
            Rule::EuStates => "eu.member_states",
            Rule::EuIssuer => "eu.issuer",
            Rule::EuOffenceThreshold => "eu.offence_threshold",
            Rule::EuNotification => "eu.notification",
            Rule::UsPartner => "us.partner",
            Rule::UsPersons => "us.us_persons",
            Rule::UsSeriousCrime => "us.serious_crime",
            Rule::UsIndependentReview => "us.independent_review",
            Rule::CoeParties => "coe.parties",
            Rule::CoeOrderScope => "coe.order_scope",
            Rule::CoePreservationFields => "coe.preservation_fields",
            Rule::MlatDualCriminality => "mlat.dual_criminality",
            Rule::MlatCentralAuthority => "mlat.central_authority",
            Rule::NsInstrumentScope => "ns.instrument_scope",
            Rule::NsIndependentReview => "ns.independent_review",
            Rule::NsNoticeDelayedAtMost => "ns.notice_delayed_at_most",
        }
    }

    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.as_str() == s)
    }

    /// The provisions the rule can name as the one that decided its outcome. A pack
    /// cites each in its own words (`[rule.provisions]`); the keys are the rule's, so a
    /// pack can only cite a provision the rule actually decides by.
    pub fn provisions(self) -> &'static [&'static str] {
        match self {
            // Art 4(1), 4(2), 4(3) and the emergency derogation of Art 4(5).
            Rule::EuIssuer => {
                &[ISSUER_SUBSCRIBER, ISSUER_TRAFFIC_CONTENT, ISSUER_PRESERVATION, ISSUER_EMERGENCY]
            }
            // Art 5(3) and Art 5(4).
            Rule::EuOffenceThreshold => &[THRESHOLD_SUBSCRIBER, THRESHOLD_TRAFFIC_CONTENT],
            // Art 8(1) (scope and duty) and the exception of Art 8(2).
            Rule::EuNotification => &[NOTIFICATION_SCOPE, NOTIFICATION_EXCEPTION, NOTIFICATION_REQUIRED],
            // ETS 185 Art 29(2)(b) and (e), and (f).
            Rule::CoePreservationFields => &[PRESERVATION_FACTS, PRESERVATION_FOLLOW_UP],
            // CETS 224 Art 7(1) and Art 8(1).
            Rule::CoeOrderScope => &[SCOPE_SUBSCRIBER, SCOPE_TRAFFIC, SCOPE_CONTENT],
            Rule::CoeParties => &[PARTY_ISSUING, PARTY_REQUESTED],
            // Each criminal-law instrument's own scope provision.
            Rule::NsInstrumentScope => &["eu-e-evidence", "us-cloud-act", "coe-budapest", "mlat"],
            _ => &[],
        }
    }

    /// The settings of its pack the rule reads (their names in the pack's `[settings]`), so
    /// that a reviewer of a change to a setting sees which rules it changes, and a rule's
    /// change is shown with the numbers it applies.
    pub fn settings(self) -> &'static [&'static str] {
        match self {
            Rule::TimeWindow => &["max_window_days"],
            Rule::MaxTargets => &["max_targets"],
            Rule::SensitiveGrounds => &["sensitive_terms"],
            Rule::Bulk => &["bulk_period_days", "bulk_max_targets"],
            Rule::AppliesFrom => &["applies_from"],
            Rule::EuStates | Rule::UsPartner | Rule::CoeParties => &["issuing_states", "addressee_states"],
            // The 48 hours of Art 4(5) set `validation_due`.
            Rule::EuIssuer => &["validation_hours"],
            Rule::EuOffenceThreshold => {
                &["traffic_content_min_sentence_months", "sentence_execution_min_months"]
            }
            // The objection window of Art 12(1) the notification opens, counted as the pack says.
            Rule::EuNotification => &["objection_days", "emergency_objection_hours", "day_count"],
            Rule::UsSeriousCrime => &["serious_crime_min_months"],
            Rule::MlatDualCriminality => &["dual_criminality"],
            _ => &[],
        }
    }
}

const ISSUER_SUBSCRIBER: &str = "subscriber_identification";
const ISSUER_TRAFFIC_CONTENT: &str = "traffic_content";
const ISSUER_PRESERVATION: &str = "preservation";
const ISSUER_EMERGENCY: &str = "emergency";
const THRESHOLD_SUBSCRIBER: &str = "subscriber_identification";
const THRESHOLD_TRAFFIC_CONTENT: &str = "traffic_content";
const NOTIFICATION_SCOPE: &str = "scope";
const NOTIFICATION_EXCEPTION: &str = "exception";
const NOTIFICATION_REQUIRED: &str = "required";
const PRESERVATION_FACTS: &str = "facts";
const PRESERVATION_FOLLOW_UP: &str = "follow_up";
const SCOPE_SUBSCRIBER: &str = "subscriber";
const SCOPE_TRAFFIC: &str = "traffic";
const SCOPE_CONTENT: &str = "content";
const PARTY_ISSUING: &str = "issuing_state";
const PARTY_REQUESTED: &str = "requested_state";

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An earlier request of the same authority or case, for the anti-bulk rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub id: RequestId,
    pub received_at: DateTime<Utc>,
    pub authority: PartyId,
    pub reference: String,
    /// Its targets, each as the screening's `key` gives it (see [`crate::screen_keyed`]).
    pub targets: Vec<String>,
    /// Whether this request's parties may see the earlier one, so that the finding may
    /// name it. Its targets count whether or not it is named.
    pub disclosed: bool,
}

/// What the rules need besides the request.
pub(crate) struct Context<'a> {
    pub pack: &'a Pack,
    pub request: &'a Request,
    pub received_at: DateTime<Utc>,
    pub history: &'a [Prior],
    /// How a target is compared with the history's.
    pub key: &'a dyn Fn(&Selector) -> String,
}

/// What a rule adds to the report besides its finding.
#[derive(Default)]
pub(crate) struct Effects {
    pub deadlines: Deadlines,
    pub notification_required: bool,
    pub reviewers: BTreeSet<ReviewerKind>,
}

struct Verdict {
    outcome: Outcome,
    message: String,
    related: Vec<RequestId>,
    /// The provisions that decided (keys of `Rule::provisions`); empty: the whole rule.
    provisions: Vec<&'static str>,
}

impl Verdict {
    fn new(outcome: Outcome, message: impl Into<String>) -> Verdict {
        Verdict { outcome, message: message.into(), related: Vec::new(), provisions: Vec::new() }
    }

    /// Names the provision that decided.
    fn under(mut self, provision: &'static str) -> Verdict {
        self.provisions.push(provision);
        self
    }
}

fn pass(message: impl Into<String>) -> Verdict {
    Verdict::new(Outcome::Pass, message)
}
fn fail(message: impl Into<String>) -> Verdict {
    Verdict::new(Outcome::Fail, message)
}
fn review(message: impl Into<String>) -> Verdict {
    Verdict::new(Outcome::Review, message)
}
/// A mandatory element is missing that the authority can supply: the message says what.
fn clarify(message: impl Into<String>) -> Verdict {
    Verdict::new(Outcome::Clarify, message)
}
fn not_applicable(message: impl Into<String>) -> Verdict {
    Verdict::new(Outcome::NotApplicable, message)
}

/// Applies one rule as the pack lists it.
pub(crate) fn apply(spec: &RuleSpec, cx: &Context<'_>, fx: &mut Effects) -> Finding {
    let rule = spec.rule;
    let v = match rule {
        Rule::Justification => justification(cx),
        Rule::SpecificSelectors => specific_selectors(cx),
        Rule::TimeWindow => time_window(cx),
        Rule::MaxTargets => max_targets(cx),
        Rule::ProtectedRoles => protected_roles(cx),
        Rule::SensitiveGrounds => sensitive_grounds(cx),
        Rule::Nondisclosure => nondisclosure(cx),
        Rule::Bulk => bulk(cx),
        Rule::AppliesFrom => applies_from(cx),
        Rule::EuStates => eu_states(cx),
        Rule::EuIssuer => eu_issuer(cx, fx),
        Rule::EuOffenceThreshold => eu_offence_threshold(cx),
        Rule::EuNotification => eu_notification(cx, fx),
        Rule::UsPartner => us_partner(cx),
        Rule::UsPersons => us_persons(cx),
        Rule::UsSeriousCrime => us_serious_crime(cx),
        Rule::UsIndependentReview => us_independent_review(cx),
        Rule::CoeParties => coe_parties(cx),
        Rule::CoeOrderScope => coe_order_scope(cx),
        Rule::CoePreservationFields => coe_preservation_fields(cx),
        Rule::MlatDualCriminality => mlat_dual_criminality(cx),
        Rule::MlatCentralAuthority => mlat_central_authority(fx),
        Rule::NsInstrumentScope => ns_instrument_scope(cx),
        Rule::NsIndependentReview => review(
            "a request for national-security purposes always goes before an independent reviewer, who checks \
             that it is strictly necessary",
        ),
        Rule::NsNoticeDelayedAtMost => ns_notice(cx),
    };
    if v.outcome == Outcome::Review {
        fx.reviewers.insert(cx.pack.settings.reviewer);
    }
    Finding {
        rule,
        outcome: v.outcome,
        citation: spec.cite(&v.provisions),
        rule_citation: spec.citation.clone(),
        message: v.message,
        related: v.related,
    }
}

fn asks_for(r: &Request, c: DataCategory) -> bool {
    r.data_categories.contains(&c)
}

/// Traffic or content data: the categories the instruments protect most.
fn asks_for_traffic_or_content(r: &Request) -> bool {
    asks_for(r, DataCategory::Traffic) || asks_for(r, DataCategory::Content)
}

fn justification(cx: &Context<'_>) -> Verdict {
    if cx.request.justification.trim().is_empty() {
        // A statement the authority can supply: asked for, not a ground to refuse.
        clarify(
            "the request gives no justification: supply the facts that make it necessary and proportionate \
             (justification)",
        )
    } else {
        pass("the request states its justification")
    }
}

/// Characters that turn an identifier into a pattern.
const PATTERN_CHARACTERS: [char; 3] = ['*', '%', '?'];

fn specific_selectors(cx: &Context<'_>) -> Verdict {
    let mut problems = Vec::new();
    for (n, t) in cx.request.targets.iter().enumerate() {
        let s = &t.selector;
        if s.kind().is_mass() {
            let what = match s.kind() {
                SelectorType::Keyword => "a keyword search names whoever used the word",
                SelectorType::Geofence => "an area names whoever was there",
                SelectorType::Group => "a group names all its members",
                _ => "a pattern names whoever matches it",
            };
            problems.push(format!("target {} is a {} selector: {what}", n + 1, s.kind()));
        } else if s.value().contains(PATTERN_CHARACTERS) && s.kind() != SelectorType::Ip {
            problems.push(format!(
                "target {} ({} {:?}) contains a wildcard character",
                n + 1,
                s.kind(),
                s.value()
            ));
        }
    }
    if problems.is_empty() {
        pass("every target is a specific account, person or device")
    } else {
        fail(format!(
            "mass requests are not allowed; every target must be one specific identifier: {}",
            problems.join("; ")
        ))
    }
}

fn time_window(cx: &Context<'_>) -> Verdict {
    let max = cx.pack.settings.max_window_days;
    let days = cx.request.time_window.duration().num_seconds() as f64 / 86_400.0;
    if cx.request.time_window.duration() > Duration::days(i64::from(max)) {
        review(format!(
            "the time window covers {days:.0} days, more than the {max} days this policy allows without review"
        ))
    } else {
        pass(format!("the time window covers {days:.1} days (at most {max} without review)"))
    }
}

fn max_targets(cx: &Context<'_>) -> Verdict {
    let (n, max) = (cx.request.targets.len(), cx.pack.settings.max_targets);
    if n > max as usize {
        review(format!(
            "the request names {n} targets, more than the {max} this policy allows without review"
        ))
    } else {
        pass(format!(
            "the request names {n} target{} (at most {max} without review)",
            if n == 1 { "" } else { "s" }
        ))
    }
}

fn protected_roles(cx: &Context<'_>) -> Verdict {
    let roles: Vec<String> = cx
        .request
        .targets
        .iter()
        .enumerate()
        .filter_map(|(n, t)| t.protected_role.map(|r| format!("target {} is a {r}", n + 1)))
        .collect();
    if roles.is_empty() {
        pass("no target is declared to hold a protected role")
    } else {
        review(format!(
            "{}: requests touching privileged or protected communications always go to an independent reviewer",
            roles.join("; ")
        ))
    }
}

fn sensitive_grounds(cx: &Context<'_>) -> Verdict {
    let Some(automaton) = &cx.pack.sensitive else {
        return not_applicable("this policy lists no sensitive grounds");
    };
    let texts = [
        ("justification", cx.request.justification.as_str()),
        ("offence", cx.request.offence.description.as_str()),
    ];
    let mut found = BTreeSet::new();
    for (_, text) in texts {
        // Whole words only: "race" is not in "trace", nor "gay" in "Gaylord".
        for m in automaton.find_overlapping_iter(text) {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
                found.insert(text[m.start()..m.end()].to_lowercase());
            }
        }
    }
    if found.is_empty() {
        pass("the justification and offence mention no sensitive ground")
    } else {
        let list: Vec<String> = found.into_iter().collect();
        review(format!(
            "the request mentions {}: political opinion, religion, ethnicity, trade-union membership or sexual \
             orientation never justify a request, so a reviewer must check that they are not the reason for it",
            list.join(", ")
        ))
    }
}

fn nondisclosure(cx: &Context<'_>) -> Verdict {
    match &cx.request.nondisclosure {
        Some(n) if n.requested => {
            let mut missing = Vec::new();
            if n.until.is_none() {
                missing.push("an end date");
            }
            if n.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                missing.push("a reason");
            }
            if missing.is_empty() {
                pass("the user may be told once the nondisclosure ends; it has a reason and an end date")
            } else {
                review(format!(
                    "the authority asks that the user not be told, without {}: keeping a person uninformed must be \
                     necessary, proportionate and time-limited",
                    missing.join(" or ")
                ))
            }
        }
        _ => not_applicable("the authority does not ask for nondisclosure"),
    }
}

fn bulk(cx: &Context<'_>) -> Verdict {
    let s = &cx.pack.settings;
    let since = cx.received_at - Duration::days(i64::from(s.bulk_period_days));
    let r = cx.request;
    let related: Vec<&Prior> = cx
        .history
        .iter()
        .filter(|p| p.received_at >= since && p.received_at <= cx.received_at)
        .filter(|p| {
            p.authority == r.issuing.authority
                || (!p.reference.is_empty() && p.reference == r.issuing.reference)
        })
        .collect();
    // A hash set: the history can hold thousands of targets, and ordering them (a B-tree of
    // strings) cost most of the screening time in the benchmark.
    let capacity = related.iter().map(|p| p.targets.len()).sum::<usize>() + r.targets.len();
    let own: Vec<String> = r.targets.iter().map(|t| (cx.key)(&t.selector)).collect();
    let mut distinct: HashSet<&str> = HashSet::with_capacity(capacity);
    for key in related.iter().flat_map(|p| p.targets.iter()).chain(own.iter()) {
        distinct.insert(key.as_str());
    }
    let n = distinct.len();
    if n > s.bulk_max_targets as usize {
        // Only what this request's parties may see is named; the rest is counted.
        let mut ids: Vec<RequestId> = related.iter().filter(|p| p.disclosed).map(|p| p.id).collect();
        ids.sort();
        let unnamed = related.len() - ids.len();
        let listed = match ids.len() {
            0 => String::new(),
            1 => "; the earlier request is listed".to_owned(),
            k => format!("; the {k} earlier requests are listed"),
        };
        let counted = match unnamed {
            0 => String::new(),
            1 => "; 1 more, addressed to another provider, is counted but not named".to_owned(),
            k => format!("; {k} more, addressed to other providers, are counted but not named"),
        };
        Verdict {
            outcome: Outcome::Review,
            provisions: Vec::new(),
            message: format!(
                "with this request, {} has named {n} distinct targets in {} days, more than the {} this policy \
                 allows: many narrow requests can add up to a bulk one{listed}{counted}",
                r.issuing.authority, s.bulk_period_days, s.bulk_max_targets,
            ),
            related: ids,
        }
    } else {
        pass(format!(
            "{n} distinct target{} from this authority in {} days (at most {})",
            if n == 1 { "" } else { "s" },
            s.bulk_period_days,
            s.bulk_max_targets
        ))
    }
}

/// The instrument applies only from its date of application (Regulation (EU) 2023/1543
/// Art 34(2): "It shall apply from 18 August 2026"). The day of receipt is taken in UTC,
/// the clock comity keeps every time in.
fn applies_from(cx: &Context<'_>) -> Verdict {
    let Some(from) = cx.pack.settings.applies_from else {
        return not_applicable("this policy sets no date from which the instrument applies");
    };
    let received = cx.received_at.date_naive();
    if received < from {
        fail(format!(
            "the request was received on {received}, before {from}, the day from which the instrument applies"
        ))
    } else {
        pass(format!("received on {received}; the instrument applies from {from}"))
    }
}

fn eu_states(cx: &Context<'_>) -> Verdict {
    let s = &cx.pack.settings;
    let r = cx.request;
    if !s.issuing_states.is_empty() && !s.issuing_states.contains(&r.issuing.country) {
        return fail(format!(
            "{} is not a Member State bound by the Regulation (Denmark does not take part), so it cannot issue a \
             European Production or Preservation Order",
            r.issuing.country
        ));
    }
    if !s.addressee_states.is_empty() && !s.addressee_states.contains(&r.addressee.country) {
        return fail(format!(
            "an order is addressed to the provider's designated establishment or legal representative in a Member \
             State, not in {}",
            r.addressee.country
        ));
    }
    pass(format!("issued in {} to an addressee in {}", r.issuing.country, r.addressee.country))
}

/// The authorities that may issue alone, for what a request asks (Art 4(1)-(3)).
fn may_issue_alone(r: &Request, t: AuthorityType) -> bool {
    match r.kind {
        RequestKind::Preservation => t.is_judicial() || t == AuthorityType::Prosecutor,
        RequestKind::Production if asks_for_traffic_or_content(r) => t.is_judicial(),
        RequestKind::Production => t.is_judicial() || t == AuthorityType::Prosecutor,
    }
}

fn eu_issuer(cx: &Context<'_>, fx: &mut Effects) -> Verdict {
    let r = cx.request;
    let issuer = r.issuing.authority_type;
    let what = match r.kind {
        RequestKind::Preservation => "a preservation order",
        RequestKind::Production if asks_for_traffic_or_content(r) => "an order for traffic or content data",
        RequestKind::Production => "an order for subscriber or identification data",
    };
    let who = if r.kind == RequestKind::Production && asks_for_traffic_or_content(r) {
        "a judge, a court or an investigating judge"
    } else {
        "a judge, a court, an investigating judge or a public prosecutor"
    };
    // The paragraph that governs what is asked: Art 4(1) subscriber and identification
    // data, Art 4(2) traffic and content data, Art 4(3) preservation.
    let paragraph = match r.kind {
        RequestKind::Preservation => ISSUER_PRESERVATION,
        RequestKind::Production if asks_for_traffic_or_content(r) => ISSUER_TRAFFIC_CONTENT,
        RequestKind::Production => ISSUER_SUBSCRIBER,
    };
    if may_issue_alone(r, issuer) {
        return pass(format!("a {issuer} may issue {what}")).under(paragraph);
    }
    if let Some(v) = &r.issuing.validated_by {
        let verdict = if may_issue_alone(r, v.authority_type) {
            pass(format!(
                "{what} issued by a {issuer} and validated by a {} ({})",
                v.authority_type, v.authority
            ))
        } else {
            fail(format!(
                "{what} issued by a {issuer} must be validated by {who}; a {} cannot validate it",
                v.authority_type
            ))
        };
        return verdict.under(paragraph);
    }
    // The emergency derogation of Art 4(5): subscriber and identification data, and
    // preservation, may be ordered without prior validation, which must follow.
    let derogation_covers = r.kind == RequestKind::Preservation || !asks_for_traffic_or_content(r);
    if r.emergency && derogation_covers {
        let due = after_hours(cx.received_at, cx.pack.settings.validation_hours);
        fx.deadlines.validation_due = Some(due);
        return pass(format!(
            "emergency: {what} issued by a {issuer} without prior validation; it must be validated within {} hours \
             ({due}), or it is withdrawn and the data deleted",
            cx.pack.settings.validation_hours
        ))
        .under(ISSUER_EMERGENCY);
    }
    fail(format!(
        "{what} may be issued only by {who}, or validated by one; it was issued by a {issuer} without validation"
    ))
    .under(paragraph)
}

fn eu_offence_threshold(cx: &Context<'_>) -> Verdict {
    let r = cx.request;
    if r.kind == RequestKind::Preservation {
        return not_applicable("a preservation order may be issued for any criminal offence");
    }
    // Art 5(3) governs subscriber and identification data, Art 5(4) traffic and content.
    let paragraph =
        if asks_for_traffic_or_content(r) { THRESHOLD_TRAFFIC_CONTENT } else { THRESHOLD_SUBSCRIBER };
    offence_threshold(cx).under(paragraph)
}

fn offence_threshold(cx: &Context<'_>) -> Verdict {
    let r = cx.request;
    let o = &r.offence;
    let s = &cx.pack.settings;
    if r.purpose == Purpose::SentenceExecution {
        let min = s.sentence_execution_min_months;
        return match (o.imposed_sentence_months, o.in_absentia) {
            (_, Some(true)) => {
                fail("an order to execute a sentence cannot rest on a sentence imposed in absentia")
            }
            (Some(m), _) if m >= min => {
                pass(format!("executing a custodial sentence of {m} months (at least {min})"))
            }
            (Some(m), _) => {
                fail(format!("a custodial sentence of {m} months is below the {min} months required"))
            }
            // A fact the authority knows and can state: asked for, not a ground to refuse.
            (None, _) => clarify(format!(
                "supply the custodial sentence imposed (imposed_sentence_months): executing a sentence needs at \
                 least {min} months"
            )),
        };
    }
    if !asks_for_traffic_or_content(r) {
        return pass("subscriber and identification data may be ordered for any criminal offence");
    }
    let min = s.traffic_content_min_sentence_months;
    if let Some(listed) = o.listed_category {
        // Terrorism (Art 5(4)(c)) qualifies as such; the three others (Art 5(4)(b)) only
        // when committed wholly or partly by means of an information system.
        let qualifies = listed == ListedOffence::Terrorism || o.via_information_system == Some(true);
        if qualifies {
            return pass(format!("{listed} is a listed offence for traffic and content data"));
        }
        if o.max_sentence_months.is_some_and(|m| m >= min) {
            return pass(format!("the offence carries a maximum of at least {min} months"));
        }
        if o.via_information_system.is_none() {
            return clarify(format!(
                "state whether the {listed} was committed by means of an information system \
                 (via_information_system): below {min} months it qualifies only if it was"
            ));
        }
        return fail(format!(
            "{listed} qualifies below {min} months only if committed by means of an information system, \
             and the request says it was not"
        ));
    }
    match o.max_sentence_months {
        Some(m) if m >= min => pass(format!("the offence carries a maximum of {m} months (at least {min})")),
        Some(m) => fail(format!(
            "traffic and content data need an offence with a maximum sentence of at least {min} months, or a \
             listed offence; this one carries {m}"
        )),
        None => clarify(format!(
            "supply the maximum sentence of the offence (max_sentence_months): traffic and content data need at \
             least {min} months, or a listed offence"
        )),
    }
}

fn eu_notification(cx: &Context<'_>, fx: &mut Effects) -> Verdict {
    let r = cx.request;
    if r.kind == RequestKind::Preservation || !asks_for_traffic_or_content(r) {
        return not_applicable("no notification for subscriber or identification data, or for preservation")
            .under(NOTIFICATION_SCOPE);
    }
    // Art 8(2): no notification where the offence was committed in the issuing State and
    // the person resides there.
    let local_offence = r.offence.committed_in_issuing_state == Some(true);
    let all_resident = r.targets.iter().all(|t| t.residence_country == Some(r.issuing.country));
    if local_offence && all_resident {
        return pass(format!(
            "no notification: the offence was committed in {} and every target resides there",
            r.issuing.country
        ))
        .under(NOTIFICATION_EXCEPTION);
    }
    fx.notification_required = true;
    fx.reviewers.insert(ReviewerKind::EnforcingAuthority);
    let s = &cx.pack.settings;
    fx.deadlines.objection_window_end = Some(if r.emergency {
        after_hours(cx.received_at, s.emergency_objection_hours)
    } else {
        after_days(cx.received_at, s.objection_days, s.day_count)
    });
    let why = if local_offence {
        "a target does not reside in the issuing State, or residence is unknown"
    } else {
        "the offence is not stated to be committed in the issuing State"
    };
    pass(format!(
        "the enforcing authority of {} must be notified ({why}); it may raise a ground for refusal within {}",
        r.addressee.country,
        if r.emergency {
            format!("{} hours", s.emergency_objection_hours)
        } else {
            format!("{} days", s.objection_days)
        }
    ))
    .under(NOTIFICATION_REQUIRED)
}

fn us_partner(cx: &Context<'_>) -> Verdict {
    let s = &cx.pack.settings;
    let r = cx.request;
    if !s.issuing_states.is_empty() && !s.issuing_states.contains(&r.issuing.country) {
        return fail(format!(
            "{} has no executive agreement with the United States in force",
            r.issuing.country
        ));
    }
    if !s.addressee_states.is_empty() && !s.addressee_states.contains(&r.addressee.country) {
        return fail(format!(
            "an order under an executive agreement goes to a provider subject to US jurisdiction, not one in {}",
            r.addressee.country
        ));
    }
    pass(format!("{} has an executive agreement with the United States in force", r.issuing.country))
}

fn us_persons(cx: &Context<'_>) -> Verdict {
    let us = united_states();
    let mut unknown = Vec::new();
    for (n, t) in cx.request.targets.iter().enumerate() {
        if t.us_person == Some(true) {
            return fail(format!("target {} is a United States person, who may not be targeted", n + 1));
        }
        if t.located_in == us {
            return fail(format!(
                "target {} is located in the United States, and may not be targeted",
                n + 1
            ));
        }
        if t.us_person.is_none() || t.residence_country == us || t.located_in.is_none() {
            unknown.push(n + 1);
        }
    }
    if unknown.is_empty() {
        pass("no target is a United States person or located in the United States")
    } else {
        review(format!(
            "for target{} {}, the request does not establish that the person is not a United States person and \
             not located there",
            if unknown.len() == 1 { "" } else { "s" },
            unknown.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ))
    }
}

fn united_states() -> Option<comity_core::CountryCode> {
    comity_core::CountryCode::parse("US").ok()
}

fn us_serious_crime(cx: &Context<'_>) -> Verdict {
    let min = cx.pack.settings.serious_crime_min_months;
    let o = &cx.request.offence;
    if o.listed_category == Some(ListedOffence::Terrorism) {
        return pass("terrorism is a serious crime");
    }
    match o.max_sentence_months {
        Some(m) if m >= min => pass(format!("a serious crime: a maximum of {m} months (at least {min})")),
        Some(m) => fail(format!(
            "only serious crimes qualify (a maximum of at least {min} months); this one carries {m}"
        )),
        // A fact the authority knows and can state: asked for, not a ground to refuse.
        None => clarify(format!(
            "supply the maximum sentence of the offence (max_sentence_months): only serious crimes qualify (at \
             least {min} months)"
        )),
    }
}

fn us_independent_review(cx: &Context<'_>) -> Verdict {
    let r = cx.request;
    let judicial = r.issuing.authority_type.is_judicial()
        || r.issuing.validated_by.as_ref().is_some_and(|v| v.authority_type.is_judicial());
    if judicial {
        pass("a court or judge issued or reviewed the order")
    } else {
        review("no court or judge issued or reviewed the order: an independent authority must review it")
    }
}

/// Cooperation under the Convention and its Protocol is between Parties (ETS 185 Art 23,
/// Art 25(1); CETS 224 Art 7(1), Art 8(1)): both the issuing State and the State where
/// the provider is addressed must be Parties. The Parties are the pack's `issuing_states`
/// and `addressee_states` (from the Treaty Office's chart).
fn coe_parties(cx: &Context<'_>) -> Verdict {
    let s = &cx.pack.settings;
    let r = cx.request;
    if !s.issuing_states.is_empty() && !s.issuing_states.contains(&r.issuing.country) {
        return fail(format!("{} is not a Party to the Convention on Cybercrime", r.issuing.country))
            .under(PARTY_ISSUING);
    }
    if !s.addressee_states.is_empty() && !s.addressee_states.contains(&r.addressee.country) {
        return fail(format!(
            "the provider is addressed in {}, which is not a Party to the Convention on Cybercrime",
            r.addressee.country
        ))
        .under(PARTY_REQUESTED);
    }
    pass(format!("{} and {} are both Parties to the Convention", r.issuing.country, r.addressee.country))
}

fn coe_order_scope(cx: &Context<'_>) -> Verdict {
    let r = cx.request;
    if r.kind == RequestKind::Preservation {
        return not_applicable("preservation may cover any stored data");
    }
    if asks_for(r, DataCategory::Content) {
        return fail(
            "content data cannot be ordered under the Second Protocol's direct or expedited procedures; use mutual assistance",
        )
        .under(SCOPE_CONTENT);
    }
    if asks_for(r, DataCategory::Traffic) || asks_for(r, DataCategory::Identification) {
        return review(
            "traffic data is disclosed only by giving effect to an order through the authorities of the provider's \
             State, not by a direct order to the provider",
        )
        .under(SCOPE_TRAFFIC);
    }
    pass("subscriber information may be ordered directly from a provider in another Party")
        .under(SCOPE_SUBSCRIBER)
}

fn coe_preservation_fields(cx: &Context<'_>) -> Verdict {
    let r = cx.request;
    if r.kind != RequestKind::Preservation {
        return not_applicable("applies to preservation requests");
    }
    // Each element is a statement the requesting authority can supply, so a missing one is
    // asked for (clarify), not a ground to refuse.
    let mut missing = Vec::new();
    let mut provisions = Vec::new();
    if r.offence.description.trim().is_empty() || r.justification.trim().is_empty() {
        missing.push(
            "the offence and a brief summary of the facts (offence.description), and why preservation is \
             necessary (justification)",
        );
        provisions.push(PRESERVATION_FACTS);
    }
    if r.mutual_assistance_to_follow != Some(true) {
        missing.push(
            "the statement that a request for mutual assistance will follow (mutual_assistance_to_follow: true)",
        );
        provisions.push(PRESERVATION_FOLLOW_UP);
    }
    if missing.is_empty() {
        pass(
            "the request states the authority, offence, facts, data, custodian, necessity and the follow-up request",
        )
    } else {
        let mut v =
            clarify(format!("a preservation request must state it; supply {}", missing.join(", and ")));
        v.provisions = provisions;
        v
    }
}

fn mlat_dual_criminality(cx: &Context<'_>) -> Verdict {
    if cx.pack.settings.dual_criminality {
        review("the requested State must confirm that the conduct is an offence under its own law too")
    } else {
        not_applicable("this policy does not require dual criminality")
    }
}

fn mlat_central_authority(fx: &mut Effects) -> Verdict {
    fx.reviewers.insert(ReviewerKind::CentralAuthority);
    review("mutual assistance goes through the central authority, and the requested State's court decides")
}

fn ns_instrument_scope(cx: &Context<'_>) -> Verdict {
    let i = cx.request.instrument;
    let v = match i {
        Instrument::Mlat => {
            review("whether this treaty covers national-security matters must be checked by the reviewer")
        }
        i => fail(format!("{i} covers criminal matters; it cannot be used for national-security purposes")),
    };
    // Each instrument's own scope provision decides (keys: the instrument ids).
    match Rule::NsInstrumentScope.provisions().iter().find(|k| **k == i.as_str()) {
        Some(key) => v.under(key),
        None => v,
    }
}

fn ns_notice(cx: &Context<'_>) -> Verdict {
    match &cx.request.nondisclosure {
        // An end date the authority can supply: asked for, not a ground to refuse.
        Some(n) if n.requested && n.until.is_none() => clarify(
            "notice may be delayed, never barred for good: supply the date until which the user may not be told \
             (nondisclosure.until)",
        ),
        Some(n) if n.requested => pass("notice is delayed until a stated date"),
        _ => pass("no nondisclosure is asked for"),
    }
}

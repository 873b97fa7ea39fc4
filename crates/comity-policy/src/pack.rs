//! Policy packs: one versioned, human-readable TOML file per instrument.
//!
//! A pack names the rules it applies, each with its citation, and the numbers those
//! rules use. The rules themselves are code (see `rules`), so a pack can be read and
//! reviewed rule by rule, and a change to a pack is a reviewable diff of one file. Every
//! pack has a version and a content hash (SHA-256 of the file's bytes); each screening
//! report records both, so a later change never changes how a past request was judged.

use std::fmt::Write as _;

use aho_corasick::AhoCorasick;
use chrono::NaiveDate;
use comity_core::{CountryCode, Instrument, Purpose, ReviewerKind};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::rules::Rule;

/// What a pack applies to: every request under an instrument, or every request with a
/// purpose (the national-security pack takes precedence over the instrument's pack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliesTo {
    Instrument(Instrument),
    Purpose(Purpose),
}

impl std::fmt::Display for AppliesTo {
    /// As a pack's `applies_to` says it: `instrument eu-e-evidence`, `purpose national_security`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppliesTo::Instrument(i) => write!(f, "instrument {i}"),
            AppliesTo::Purpose(p) => write!(f, "purpose {p}"),
        }
    }
}

/// The numbers and lists the rules read. Every one can be set in a pack; a house file can
/// only make them stricter (see `Pack::with_house`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// More targets than this in one request go to review.
    pub max_targets: u32,
    /// A time window longer than this goes to review.
    pub max_window_days: u32,
    /// Anti-bulk: the rolling period over which one authority's (or one case's) targets
    /// are added up.
    pub bulk_period_days: u32,
    /// Anti-bulk: more distinct targets than this within the period go to review.
    pub bulk_max_targets: u32,
    /// Days to respond to a production request (None: the instrument sets no deadline).
    pub respond_days: Option<u32>,
    /// Days to respond when traffic data is asked for, where the instrument distinguishes.
    pub respond_days_traffic: Option<u32>,
    /// Hours to respond in an emergency.
    pub emergency_respond_hours: Option<u32>,
    /// Hours within which an emergency order issued without validation must be validated.
    pub validation_hours: u32,
    /// Days the enforcing authority has to raise a ground for refusal after notification.
    pub objection_days: u32,
    /// The same, in an emergency, in hours.
    pub emergency_objection_hours: u32,
    /// Days data is preserved under a preservation request.
    pub preservation_days: Option<u32>,
    /// Days a preservation may be extended by, once.
    pub preservation_extension_days: Option<u32>,
    /// Days after receipt within which the provider may object that executing a production
    /// order would conflict with the law of a third country (Regulation (EU) 2023/1543 Art
    /// 17(2)); `None` where the instrument has no such procedure.
    pub conflict_objection_days: Option<u32>,
    /// Minimum maximum-sentence, in months, for traffic and content data.
    pub traffic_content_min_sentence_months: u32,
    /// Minimum imposed sentence, in months, for sentence execution.
    pub sentence_execution_min_months: u32,
    /// Minimum maximum-sentence, in months, of a "serious crime".
    pub serious_crime_min_months: u32,
    /// States that may issue under the instrument (empty: not checked).
    pub issuing_states: Vec<CountryCode>,
    /// States whose providers may be addressed (empty: not checked).
    pub addressee_states: Vec<CountryCode>,
    /// Words and phrases that reveal a sensitive ground (political opinion, religion,
    /// ...) in a justification or offence description; matched case-insensitively.
    pub sensitive_terms: Vec<String>,
    /// Whether the conduct must also be an offence in the requested State.
    pub dual_criminality: bool,
    /// Who decides when a rule asks for review.
    pub reviewer: ReviewerKind,
    /// Of which State that reviewer is: the issuing State's (an independent authority on
    /// the issuing side, as 18 U.S.C. § 2523(b)(4)(D)(v) has it) or the requested State's
    /// (where the provider is established, as mutual assistance has it). The enforcing
    /// authority (Regulation (EU) 2023/1543 Art 8) and a central authority are always the
    /// requested State's.
    pub reviewer_state: ReviewerState,
    /// How periods in days are counted (see `deadline`).
    pub day_count: DayCount,
    /// The day from which the instrument applies (Regulation (EU) 2023/1543 Art 34(2):
    /// 18 August 2026). A request received on an earlier day, counted in UTC, is refused
    /// by the rule `general.applies_from`. None: the pack sets no such day.
    pub applies_from: Option<NaiveDate>,
    /// The width of the bands its requests are published in, in transparency reports
    /// (50 U.S.C. § 1874(a) offers 1000, 500, 250 or 100 (confirm)); `None`: published
    /// exactly, as every figure but national security's.
    pub transparency_band: Option<u32>,
    /// Days after a report's period ends before its banded figures are published; with
    /// `transparency_band` (50 U.S.C. § 1874(a): 180 days for most options (confirm)).
    pub transparency_delay_days: Option<u32>,
}

/// Whose reviewer decides: see [`Settings::reviewer_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewerState {
    Issuing,
    Requested,
}

/// How a period of days is counted from the moment of receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCount {
    /// N days of 24 hours from the instant of receipt: never later than any reading of
    /// the law, so the safe default for a provider.
    FromInstant,
    /// The day of receipt does not count, and the period ends at 24:00 UTC of its last
    /// day (Regulation (EEC, Euratom) No 1182/71 Art 3(1), 3(2)(b)).
    EndOfLastDay,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_targets: 10,
            max_window_days: 366,
            bulk_period_days: 30,
            bulk_max_targets: 25,
            respond_days: None,
            respond_days_traffic: None,
            emergency_respond_hours: None,
            validation_hours: 48,
            objection_days: 10,
            emergency_objection_hours: 96,
            preservation_days: None,
            preservation_extension_days: None,
            conflict_objection_days: None,
            traffic_content_min_sentence_months: 36,
            sentence_execution_min_months: 4,
            serious_crime_min_months: 36,
            issuing_states: Vec::new(),
            addressee_states: Vec::new(),
            sensitive_terms: Vec::new(),
            dual_criminality: false,
            reviewer: ReviewerKind::Court,
            reviewer_state: ReviewerState::Requested,
            day_count: DayCount::FromInstant,
            applies_from: None,
            transparency_band: None,
            transparency_delay_days: None,
        }
    }
}

/// A setting's value, as a reader compares two packs: see [`Settings::entries`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// The pack sets none (an optional deadline the instrument does not have).
    Unset,
    Number(u32),
    Flag(bool),
    /// One of a fixed set of words, such as `from_instant` or `court`.
    Word(&'static str),
    Date(NaiveDate),
    /// A list whose order does not matter (States, sensitive terms).
    List(Vec<String>),
}

impl std::fmt::Display for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Unset => f.write_str("(not set)"),
            SettingValue::Number(n) => write!(f, "{n}"),
            SettingValue::Flag(b) => write!(f, "{b}"),
            SettingValue::Word(w) => f.write_str(w),
            SettingValue::Date(d) => write!(f, "{d}"),
            SettingValue::List(items) if items.is_empty() => f.write_str("[]"),
            SettingValue::List(items) => write!(f, "[{}]", items.join(", ")),
        }
    }
}

impl Settings {
    /// Every setting by its name in a pack's `[settings]`, in the order of this struct,
    /// with the value in force (the pack's, or comity's default where the pack sets none:
    /// what the rules read either way).
    pub fn entries(&self) -> Vec<(&'static str, SettingValue)> {
        use SettingValue::{Date, Flag, List, Number, Unset, Word};
        let optional = |v: Option<u32>| v.map_or(Unset, Number);
        let states = |list: &[CountryCode]| List(list.iter().map(ToString::to_string).collect());
        vec![
            ("max_targets", Number(self.max_targets)),
            ("max_window_days", Number(self.max_window_days)),
            ("bulk_period_days", Number(self.bulk_period_days)),
            ("bulk_max_targets", Number(self.bulk_max_targets)),
            ("respond_days", optional(self.respond_days)),
            ("respond_days_traffic", optional(self.respond_days_traffic)),
            ("emergency_respond_hours", optional(self.emergency_respond_hours)),
            ("validation_hours", Number(self.validation_hours)),
            ("objection_days", Number(self.objection_days)),
            ("emergency_objection_hours", Number(self.emergency_objection_hours)),
            ("preservation_days", optional(self.preservation_days)),
            ("preservation_extension_days", optional(self.preservation_extension_days)),
            ("conflict_objection_days", optional(self.conflict_objection_days)),
            ("traffic_content_min_sentence_months", Number(self.traffic_content_min_sentence_months)),
            ("sentence_execution_min_months", Number(self.sentence_execution_min_months)),
            ("serious_crime_min_months", Number(self.serious_crime_min_months)),
            ("issuing_states", states(&self.issuing_states)),
            ("addressee_states", states(&self.addressee_states)),
            ("sensitive_terms", List(self.sensitive_terms.clone())),
            ("dual_criminality", Flag(self.dual_criminality)),
            ("reviewer", Word(self.reviewer.as_str())),
            (
                "reviewer_state",
                Word(match self.reviewer_state {
                    ReviewerState::Issuing => "issuing",
                    ReviewerState::Requested => "requested",
                }),
            ),
            (
                "day_count",
                Word(match self.day_count {
                    DayCount::FromInstant => "from_instant",
                    DayCount::EndOfLastDay => "end_of_last_day",
                }),
            ),
            ("applies_from", self.applies_from.map_or(Unset, Date)),
            ("transparency_band", optional(self.transparency_band)),
            ("transparency_delay_days", optional(self.transparency_delay_days)),
        ]
    }
}

/// One rule as a pack lists it.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    pub rule: Rule,
    /// Instrument and articles the rule covers as a whole, such as
    /// "Regulation (EU) 2023/1543 Art 4(1)-(3), Art 4(5)".
    pub citation: String,
    /// How the pack cites each provision the rule can name as the one that decided
    /// (`Rule::provisions`), such as `traffic_content` = "Regulation (EU) 2023/1543 Art
    /// 4(2)". A provision the pack does not cite is cited as the whole rule.
    pub provisions: Vec<(&'static str, String)>,
}

impl RuleSpec {
    /// The citation for a finding decided by `keys` (the provisions the rule named): the
    /// pack's citation of each, in order and without repeats, or the rule's citation when
    /// the rule named none or the pack cites any of them not at all.
    pub fn cite(&self, keys: &[&str]) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(keys.len());
        for key in keys {
            match self.provisions.iter().find(|(k, _)| k == key) {
                Some((_, c)) if !parts.contains(&c.as_str()) => parts.push(c),
                Some(_) => {}
                None => return self.citation.clone(),
            }
        }
        if parts.is_empty() { self.citation.clone() } else { parts.join("; ") }
    }
}

/// A loaded policy pack.
#[derive(Debug, Clone)]
pub struct Pack {
    pub id: String,
    pub version: String,
    pub title: String,
    /// SHA-256 of the pack file (and of the house file, when one is layered on).
    pub hash: String,
    pub applies_to: AppliesTo,
    pub settings: Settings,
    pub rules: Vec<RuleSpec>,
    /// The grounds a decision or a refusal may cite, by stable code (issue 13: a decision
    /// is reasoned in the pack's codes, not only in prose).
    pub grounds: Vec<Ground>,
    /// Built once from `settings.sensitive_terms`.
    pub(crate) sensitive: Option<AhoCorasick>,
    /// The file's text, which the hash covers (and a house layer's hash too).
    source: String,
    /// The house file layered on it, if any (`with_house`), which the hash covers too.
    house: Option<String>,
}

/// What a ground may reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroundUse {
    /// The enforcing State's grounds for refusal (Regulation (EU) 2023/1543 Art 12(1)).
    Refusal,
    Approved,
    PartiallyApproved,
    Rejected,
}

impl GroundUse {
    pub fn as_str(self) -> &'static str {
        match self {
            GroundUse::Refusal => "refusal",
            GroundUse::Approved => "approved",
            GroundUse::PartiallyApproved => "partially_approved",
            GroundUse::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<GroundUse> {
        [GroundUse::Refusal, GroundUse::Approved, GroundUse::PartiallyApproved, GroundUse::Rejected]
            .into_iter()
            .find(|g| g.as_str() == s)
    }
}

/// A ground a decision or refusal may cite, as the pack lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ground {
    /// The stable code, such as `ne_bis_in_idem`.
    pub id: String,
    pub citation: String,
    /// For a person who is not a lawyer.
    pub text: String,
    pub used_for: Vec<GroundUse>,
}

impl Pack {
    /// The pack file's text, exactly as it was read: what its hash covers (with the house
    /// file, when one is layered on), and what comity keeps of every version it used.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The house file layered on the pack (`--house`), exactly as it was read.
    pub fn house_source(&self) -> Option<&str> {
        self.house.as_deref()
    }

    /// The grounds of the pack that may reason `what`.
    pub fn grounds_for(&self, what: GroundUse) -> impl Iterator<Item = &Ground> {
        self.grounds.iter().filter(move |g| g.used_for.contains(&what))
    }
}

/// Why a pack or house file cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error(
        "{file}: house setting {setting} = {value} is looser than the pack's {base}; a house policy may only be stricter than the law"
    )]
    Looser { file: String, setting: &'static str, value: String, base: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    id: String,
    version: String,
    title: String,
    applies_to: AppliesToFile,
    #[serde(default)]
    settings: SettingsFile,
    #[serde(rename = "rule")]
    rules: Vec<RuleFile>,
    #[serde(rename = "ground", default)]
    grounds: Vec<GroundFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroundFile {
    id: toml::Spanned<String>,
    citation: String,
    text: String,
    /// What the ground may reason: `refusal` (the enforcing State's grounds for refusal),
    /// or the decisions `approved`, `partially_approved`, `rejected`.
    #[serde(rename = "for")]
    used_for: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppliesToFile {
    instrument: Option<String>,
    purpose: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    max_targets: Option<u32>,
    max_window_days: Option<u32>,
    bulk_period_days: Option<u32>,
    bulk_max_targets: Option<u32>,
    respond_days: Option<u32>,
    respond_days_traffic: Option<u32>,
    emergency_respond_hours: Option<u32>,
    validation_hours: Option<u32>,
    objection_days: Option<u32>,
    emergency_objection_hours: Option<u32>,
    preservation_days: Option<u32>,
    preservation_extension_days: Option<u32>,
    conflict_objection_days: Option<u32>,
    traffic_content_min_sentence_months: Option<u32>,
    sentence_execution_min_months: Option<u32>,
    serious_crime_min_months: Option<u32>,
    issuing_states: Option<Vec<String>>,
    addressee_states: Option<Vec<String>>,
    sensitive_terms: Option<Vec<String>>,
    dual_criminality: Option<bool>,
    reviewer: Option<String>,
    reviewer_state: Option<String>,
    day_count: Option<String>,
    /// A TOML date, such as `applies_from = 2026-08-18`.
    applies_from: Option<toml::value::Datetime>,
    transparency_band: Option<u32>,
    transparency_delay_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    /// Spanned, so that an error names the line of the rule.
    id: toml::Spanned<String>,
    citation: String,
    #[serde(default)]
    provisions: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HouseFile {
    /// Which pack the house settings tighten.
    pack: String,
    settings: SettingsFile,
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update(p);
    }
    let mut out = String::with_capacity(64);
    for b in hasher.finalize() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

impl Pack {
    /// Parses a pack file. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Pack, PackError> {
        let invalid = |message: String| PackError::Invalid { file: file.to_owned(), message };
        let raw: PackFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let applies_to = match (&raw.applies_to.instrument, &raw.applies_to.purpose) {
            (Some(i), None) => AppliesTo::Instrument(
                Instrument::parse(i).ok_or_else(|| invalid(format!("unknown instrument {i:?}")))?,
            ),
            (None, Some(p)) => AppliesTo::Purpose(
                Purpose::parse(p).ok_or_else(|| invalid(format!("unknown purpose {p:?}")))?,
            ),
            _ => return Err(invalid("applies_to names exactly one of instrument or purpose".into())),
        };
        if raw.version.trim().is_empty() || raw.id.trim().is_empty() {
            return Err(invalid("id and version must not be empty".into()));
        }
        let mut settings = Settings::default();
        apply(&mut settings, &raw.settings).map_err(invalid)?;
        // A problem of one rule or ground names the line of its id, as TOML's own errors do.
        let at = |span: std::ops::Range<usize>, message: String| {
            invalid(format!("line {}: {message}", line_of(text, span.start)))
        };
        let mut rules = Vec::with_capacity(raw.rules.len());
        for r in &raw.rules {
            let (id, span) = (r.id.get_ref().as_str(), r.id.span());
            let rule = Rule::parse(id).ok_or_else(|| {
                at(span.clone(), format!("unknown rule {id:?}; the rules are listed in docs/policy-packs.md"))
            })?;
            if rules.iter().any(|s: &RuleSpec| s.rule == rule) {
                return Err(at(span, format!("rule {id} is listed twice")));
            }
            if r.citation.trim().is_empty() {
                return Err(at(span, format!("rule {id} has no citation")));
            }
            let mut provisions = Vec::with_capacity(r.provisions.len());
            for (key, citation) in &r.provisions {
                let Some(known) = rule.provisions().iter().find(|k| **k == key.as_str()) else {
                    return Err(at(
                        span,
                        format!(
                            "rule {id} names no provision {key:?}; it names: {}",
                            rule.provisions().join(", ")
                        ),
                    ));
                };
                if citation.trim().is_empty() {
                    return Err(at(span, format!("rule {id} gives provision {key} no citation")));
                }
                provisions.push((*known, citation.trim().to_owned()));
            }
            rules.push(RuleSpec { rule, citation: r.citation.trim().to_owned(), provisions });
        }
        let mut grounds: Vec<Ground> = Vec::with_capacity(raw.grounds.len());
        for g in &raw.grounds {
            let (id, span) = (g.id.get_ref().trim(), g.id.span());
            let well_formed = !id.is_empty()
                && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_formed {
                return Err(at(span, format!("ground {id:?}: an id is lower-case letters, digits and _")));
            }
            if grounds.iter().any(|x| x.id == id) {
                return Err(at(span, format!("ground {id} is listed twice")));
            }
            if g.citation.trim().is_empty() || g.text.trim().is_empty() {
                return Err(at(span, format!("ground {id} needs a citation and a text")));
            }
            let used_for = g
                .used_for
                .iter()
                .map(|u| {
                    GroundUse::parse(u).ok_or_else(|| {
                        at(
                            span.clone(),
                            format!("ground {id}: for {u:?} is not refusal, approved, partially_approved or rejected"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if used_for.is_empty() {
                return Err(at(span, format!("ground {id} says what it is for (for = [...])")));
            }
            grounds.push(Ground {
                id: id.to_owned(),
                citation: g.citation.trim().to_owned(),
                text: g.text.trim().to_owned(),
                used_for,
            });
        }
        let sensitive = build_automaton(&settings.sensitive_terms).map_err(invalid)?;
        Ok(Pack {
            grounds,
            id: raw.id,
            version: raw.version,
            title: raw.title,
            hash: sha256_hex(&[text.as_bytes()]),
            applies_to,
            settings,
            rules,
            sensitive,
            source: text.to_owned(),
            house: None,
        })
    }

    /// The pack a house file tightens, as the file names it.
    pub fn house_target(file: &str, text: &str) -> Result<String, PackError> {
        toml::from_str::<HouseFile>(text)
            .map(|h| h.pack)
            .map_err(|e| PackError::Invalid { file: file.to_owned(), message: e.to_string() })
    }

    /// Layers a provider's house file on this pack. Every house setting must be at least
    /// as strict as the pack's; the result's hash covers both files.
    pub fn with_house(&self, file: &str, text: &str) -> Result<Pack, PackError> {
        let invalid = |message: String| PackError::Invalid { file: file.to_owned(), message };
        let raw: HouseFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if raw.pack != self.id {
            return Err(invalid(format!("the house file is for pack {:?}, not {:?}", raw.pack, self.id)));
        }
        let mut stricter = self.settings.clone();
        apply(&mut stricter, &raw.settings).map_err(invalid)?;
        // House terms are added to the pack's, never put in their place.
        let mut terms = self.settings.sensitive_terms.clone();
        terms.extend(
            stricter.sensitive_terms.iter().filter(|t| !self.settings.sensitive_terms.contains(t)).cloned(),
        );
        stricter.sensitive_terms = terms;
        self.settings.check_stricter(&stricter, file)?;
        let sensitive = build_automaton(&stricter.sensitive_terms).map_err(invalid)?;
        Ok(Pack {
            version: format!("{}+house", self.version),
            hash: sha256_hex(&[self.source.as_bytes(), b"\n--- house ---\n", text.as_bytes()]),
            settings: stricter,
            sensitive,
            house: Some(text.to_owned()),
            ..self.clone()
        })
    }

    /// The citation this pack gives a rule, if it applies the rule.
    pub fn citation(&self, rule: Rule) -> Option<&str> {
        self.rules.iter().find(|r| r.rule == rule).map(|r| r.citation.as_str())
    }
}

/// The line (from 1) of a byte offset in a text.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |before| before.matches('\n').count()) + 1
}

fn build_automaton(terms: &[String]) -> Result<Option<AhoCorasick>, String> {
    if terms.is_empty() {
        return Ok(None);
    }
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // Overlapping search needs the standard match kind, so that "union" inside
        // "union membership" and the whole phrase are both seen.
        .match_kind(aho_corasick::MatchKind::Standard)
        .build(terms)
        .map(Some)
        .map_err(|e| format!("sensitive_terms: {e}"))
}

fn countries(field: &str, list: &[String]) -> Result<Vec<CountryCode>, String> {
    list.iter().map(|c| CountryCode::parse(c).map_err(|e| format!("{field}: {e}"))).collect()
}

fn apply(s: &mut Settings, f: &SettingsFile) -> Result<(), String> {
    macro_rules! set {
        ($($field:ident),+) => { $( if let Some(v) = f.$field { s.$field = v; } )+ };
    }
    macro_rules! set_opt {
        ($($field:ident),+) => { $( if let Some(v) = f.$field { s.$field = Some(v); } )+ };
    }
    set!(
        max_targets,
        max_window_days,
        bulk_period_days,
        bulk_max_targets,
        validation_hours,
        objection_days,
        emergency_objection_hours,
        traffic_content_min_sentence_months,
        sentence_execution_min_months,
        serious_crime_min_months,
        dual_criminality
    );
    set_opt!(
        respond_days,
        respond_days_traffic,
        emergency_respond_hours,
        preservation_days,
        preservation_extension_days,
        conflict_objection_days,
        transparency_band,
        transparency_delay_days
    );
    if s.transparency_band == Some(0) {
        return Err(
            "transparency_band: a band is at least 1 wide (50 U.S.C. § 1874(a) uses 1000, 500, 250 or 100)"
                .into(),
        );
    }
    if let Some(list) = &f.issuing_states {
        s.issuing_states = countries("issuing_states", list)?;
    }
    if let Some(list) = &f.addressee_states {
        s.addressee_states = countries("addressee_states", list)?;
    }
    if let Some(terms) = &f.sensitive_terms {
        s.sensitive_terms = terms.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    }
    if let Some(d) = &f.day_count {
        s.day_count = match d.as_str() {
            "from_instant" => DayCount::FromInstant,
            "end_of_last_day" => DayCount::EndOfLastDay,
            other => return Err(format!("day_count: {other:?} is not from_instant or end_of_last_day")),
        };
    }
    if let Some(d) = &f.applies_from {
        s.applies_from = Some(toml_date("applies_from", d)?);
    }
    if let Some(r) = &f.reviewer {
        s.reviewer =
            ReviewerKind::parse(r).ok_or_else(|| format!("reviewer: unknown reviewer kind {r:?}"))?;
    }
    if let Some(r) = &f.reviewer_state {
        s.reviewer_state = match r.as_str() {
            "issuing" => ReviewerState::Issuing,
            "requested" => ReviewerState::Requested,
            other => return Err(format!("reviewer_state: {other:?} is not issuing or requested")),
        };
    }
    Ok(())
}

/// A TOML local date (`2026-08-18`), without a time or an offset.
fn toml_date(field: &str, d: &toml::value::Datetime) -> Result<NaiveDate, String> {
    match (d.date, d.time, d.offset) {
        (Some(date), None, None) => {
            NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))
                .ok_or_else(|| format!("{field}: {d} is not a date"))
        }
        _ => Err(format!("{field}: expected a date such as 2026-08-18, got {d}")),
    }
}

impl Settings {
    /// Checks that `house` is nowhere looser than `self`: limits lower or equal,
    /// thresholds higher or equal, lists of allowed states no longer, sensitive terms
    /// only added, dual criminality only switched on. Legal deadlines cannot be changed.
    fn check_stricter(&self, house: &Settings, file: &str) -> Result<(), PackError> {
        let looser = |setting: &'static str, value: String, base: String| {
            Err(PackError::Looser { file: file.to_owned(), setting, value, base })
        };
        macro_rules! at_most {
            ($($field:ident),+) => { $( if house.$field > self.$field {
                return looser(stringify!($field), house.$field.to_string(), self.$field.to_string());
            } )+ };
        }
        macro_rules! at_least {
            ($($field:ident),+) => { $( if house.$field < self.$field {
                return looser(stringify!($field), house.$field.to_string(), self.$field.to_string());
            } )+ };
        }
        macro_rules! unchanged {
            ($($field:ident),+) => { $( if house.$field != self.$field {
                return Err(PackError::Invalid {
                    file: file.to_owned(),
                    message: format!("{} is set by law and cannot be changed by a house policy", stringify!($field)),
                });
            } )+ };
        }
        at_most!(max_targets, max_window_days, bulk_max_targets);
        at_least!(
            bulk_period_days,
            traffic_content_min_sentence_months,
            sentence_execution_min_months,
            serious_crime_min_months
        );
        unchanged!(
            respond_days,
            respond_days_traffic,
            emergency_respond_hours,
            validation_hours,
            objection_days,
            emergency_objection_hours,
            preservation_days,
            preservation_extension_days,
            conflict_objection_days,
            reviewer,
            reviewer_state,
            day_count,
            applies_from,
            transparency_band,
            transparency_delay_days
        );
        if self.dual_criminality && !house.dual_criminality {
            return looser("dual_criminality", "false".into(), "true".into());
        }
        for (setting, base, narrowed) in [
            ("issuing_states", &self.issuing_states, &house.issuing_states),
            ("addressee_states", &self.addressee_states, &house.addressee_states),
        ] {
            let widened = if base.is_empty() {
                false
            } else {
                narrowed.is_empty() || narrowed.iter().any(|c| !base.contains(c))
            };
            if widened {
                return looser(setting, format!("{narrowed:?}"), format!("{base:?}"));
            }
        }
        if let Some(dropped) = self.sensitive_terms.iter().find(|t| !house.sensitive_terms.contains(t)) {
            return looser("sensitive_terms", format!("a list without {dropped:?}"), "a list with it".into());
        }
        Ok(())
    }
}

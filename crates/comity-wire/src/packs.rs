//! Policy packs as JSON (issue 16, item 8): each pack's history, one version's text, and
//! what changed between two versions rule by rule, the same for `GET /v1/packs/...` and
//! `comity pack diff --json`.

use chrono::{DateTime, Utc};
use comity_policy::{
    FieldChange, GroundChange, PackDiff, PackHistory, PackVersion, RuleChange, SettingChange, SettingValue,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every pack comity has judged with, with its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackListBody {
    pub packs: Vec<PackHistoryResource>,
}

/// A pack and its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackHistoryResource {
    #[schema(example = "eu-e-evidence")]
    pub id: String,
    pub title: String,
    /// What it applies to, as the pack says: `instrument eu-e-evidence`, `purpose national_security`.
    #[schema(example = "instrument eu-e-evidence")]
    pub applies_to: String,
    pub versions: Vec<PackVersionResource>,
}

/// One version of a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackVersionResource {
    #[schema(example = "2026.3")]
    pub version: String,
    /// SHA-256 of the pack file (then `\n--- house ---\n` and the house file, when one is
    /// layered on), in hex: the hash each screening by this version records.
    pub hash: String,
    /// When a server first started with it. Absent for a version that judged requests
    /// before comity kept the texts of its packs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    /// Its first screening, if it judged any request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_judged: Option<DateTime<Utc>>,
    /// The version this server judges with now.
    pub in_force: bool,
    /// Its text is kept (`GET /v1/packs/{id}/versions/{version}`).
    pub text_kept: bool,
    /// How many distinct requests it judged. Only for those who may read aggregates
    /// (auditors, the operator, providers, reviewers): live, exact counts of requests are
    /// not public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_judged: Option<u64>,
    /// The audit-log entry that commits to its text and the time it was first seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// One version's exact text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackTextResource {
    pub id: String,
    #[serde(flatten)]
    pub version: PackVersionResource,
    /// The pack file, byte for byte (TOML): its SHA-256 is `hash` when no house file is
    /// layered on.
    pub text: String,
    /// The provider's house file layered on it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house: Option<String>,
    /// The version before it whose text is kept, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackSideBody {
    pub id: String,
    pub version: String,
    pub hash: String,
}

/// What changed between two versions of a pack, rule by rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackDiffBody {
    pub from: PackSideBody,
    pub to: PackSideBody,
    /// The two are the same text.
    pub equal: bool,
    /// The pack's own fields: `id`, `version`, `title`, `applies_to`, `house`, `hash`.
    pub metadata: Vec<FieldChangeBody>,
    /// Rules removed, added, then changed.
    pub rules: Vec<RuleChangeBody>,
    /// Settings whose value in force changed (a setting a pack leaves out is comity's default).
    pub settings: Vec<SettingChangeBody>,
    /// Grounds a decision may cite, removed, added, then changed.
    pub grounds: Vec<GroundChangeBody>,
}

/// One field that differs; a side that does not have it is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldChangeBody {
    #[schema(example = "provisions.traffic_content")]
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

/// A rule added, removed or changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleChangeBody {
    #[schema(example = "eu.issuer")]
    pub rule: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    /// Its citation in the newer pack (the older, for a rule removed).
    pub citation: String,
    /// How that pack cites each provision that decides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provisions: Vec<ProvisionBody>,
    /// The settings the rule reads, with their values in that pack.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<SettingBody>,
    /// For a rule changed: `citation`, `provisions.<key>` or `settings.<name>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChangeBody>,
}

/// How a pack cites one provision of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProvisionBody {
    pub key: String,
    pub citation: String,
}

/// A setting and its value: a number, `true`/`false`, a word, a date, a list, or `null`
/// where the pack sets none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SettingBody {
    pub setting: String,
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// A setting whose value changed, and the rules that read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SettingChangeBody {
    #[schema(example = "max_targets")]
    pub setting: String,
    #[schema(value_type = Object)]
    pub old: serde_json::Value,
    #[schema(value_type = Object)]
    pub new: serde_json::Value,
    /// For a list: what only the newer has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// For a list: what only the older has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// The rules that read it, each with its citation; empty for a setting of the pack as
    /// a whole (a deadline, who reviews).
    pub read_by: Vec<RuleCitationBody>,
}

/// A rule and its citation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RuleCitationBody {
    pub rule: String,
    pub citation: String,
}

/// A ground added, removed or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroundChangeBody {
    #[schema(example = "ne_bis_in_idem")]
    pub ground: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    pub citation: String,
    pub text: String,
    /// What it may reason: `refusal`, `approved`, `partially_approved`, `rejected`.
    #[serde(rename = "for")]
    pub used_for: Vec<String>,
    /// For a ground changed: `citation`, `text` or `for`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChangeBody>,
}

impl From<&PackVersion> for PackVersionResource {
    fn from(v: &PackVersion) -> Self {
        PackVersionResource {
            version: v.version.clone(),
            hash: v.hash.clone(),
            first_seen: v.first_seen,
            first_judged: v.first_judged,
            in_force: v.in_force,
            text_kept: v.kept,
            requests_judged: v.requests_judged,
            log_index: v.log_index,
        }
    }
}

impl From<&PackHistory> for PackHistoryResource {
    fn from(h: &PackHistory) -> Self {
        PackHistoryResource {
            id: h.id.clone(),
            title: h.title.clone(),
            applies_to: h.applies_to.clone(),
            versions: h.versions.iter().map(PackVersionResource::from).collect(),
        }
    }
}

/// A setting's value as JSON.
pub fn setting_value(value: &SettingValue) -> serde_json::Value {
    use serde_json::Value;
    match value {
        SettingValue::Unset => Value::Null,
        SettingValue::Number(n) => Value::from(*n),
        SettingValue::Flag(b) => Value::Bool(*b),
        SettingValue::Word(w) => Value::from(*w),
        SettingValue::Date(d) => Value::from(d.to_string()),
        SettingValue::List(items) => Value::from(items.clone()),
    }
}

impl From<&FieldChange> for FieldChangeBody {
    fn from(c: &FieldChange) -> Self {
        FieldChangeBody { field: c.field.clone(), old: c.old.clone(), new: c.new.clone() }
    }
}

impl From<&RuleChange> for RuleChangeBody {
    fn from(r: &RuleChange) -> Self {
        RuleChangeBody {
            rule: r.rule.as_str().to_owned(),
            change: r.change.as_str().to_owned(),
            citation: r.citation.clone(),
            provisions: r
                .provisions
                .iter()
                .map(|(key, citation)| ProvisionBody { key: (*key).to_owned(), citation: citation.clone() })
                .collect(),
            settings: r
                .settings
                .iter()
                .map(|(name, value)| SettingBody { setting: (*name).to_owned(), value: setting_value(value) })
                .collect(),
            changes: r.changes.iter().map(FieldChangeBody::from).collect(),
        }
    }
}

impl From<&SettingChange> for SettingChangeBody {
    fn from(s: &SettingChange) -> Self {
        SettingChangeBody {
            setting: s.setting.to_owned(),
            old: setting_value(&s.old),
            new: setting_value(&s.new),
            added: s.added().into_iter().map(str::to_owned).collect(),
            removed: s.removed().into_iter().map(str::to_owned).collect(),
            read_by: s
                .read_by
                .iter()
                .map(|(rule, citation)| RuleCitationBody {
                    rule: rule.as_str().to_owned(),
                    citation: citation.clone(),
                })
                .collect(),
        }
    }
}

impl From<&GroundChange> for GroundChangeBody {
    fn from(g: &GroundChange) -> Self {
        GroundChangeBody {
            ground: g.ground.clone(),
            change: g.change.as_str().to_owned(),
            citation: g.citation.clone(),
            text: g.text.clone(),
            used_for: g.used_for.iter().map(|u| u.as_str().to_owned()).collect(),
            changes: g.changes.iter().map(FieldChangeBody::from).collect(),
        }
    }
}

impl From<&PackDiff> for PackDiffBody {
    fn from(d: &PackDiff) -> Self {
        let side = |s: &comity_policy::Side| PackSideBody {
            id: s.id.clone(),
            version: s.version.clone(),
            hash: s.hash.clone(),
        };
        PackDiffBody {
            from: side(&d.from),
            to: side(&d.to),
            equal: d.is_empty(),
            metadata: d.metadata.iter().map(FieldChangeBody::from).collect(),
            rules: d.rules.iter().map(RuleChangeBody::from).collect(),
            settings: d.settings.iter().map(SettingChangeBody::from).collect(),
            grounds: d.grounds.iter().map(GroundChangeBody::from).collect(),
        }
    }
}

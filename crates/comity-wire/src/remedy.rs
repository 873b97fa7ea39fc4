//! Remedies and correction (issue 15, item 4), over the wire: a remedy case as it is
//! opened and as it stands, the notice to a person affected, and the counts for the
//! transparency reports.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::person_notice::NoticeTextResource;

/// A remedy case, as the provider or the reviewer body opens it
/// (`POST /v1/requests/{id}/remedies`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemedyBody {
    /// What went wrong: `wrong_account`, `out_of_scope`, `third_party_unmasked` or
    /// `decision_overturned` (a withdrawal after delivery opens its own case).
    #[schema(example = "third_party_unmasked")]
    pub ground: String,
    /// The productions recalled, `prod-...`; left out, every production delivered and not
    /// yet recalled.
    #[serde(default)]
    pub productions: Vec<String>,
    /// Whether the provider owes a corrected production in place of what is recalled.
    #[serde(default)]
    pub correction: bool,
    /// What went wrong, in words, naming no one: the log keeps it.
    #[schema(example = "a correspondent's address was left unmasked in the traffic records")]
    pub description: String,
}

/// A production a case recalled, as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecalledResource {
    pub production: String,
    /// `shredded` once comity's copy is destroyed.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shredded_at: Option<DateTime<Utc>>,
    /// When the authority attested that it deleted its copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A production made to correct what a case recalled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CorrectionResource {
    pub production: String,
    /// `started`, `failed`, `sealed` or `acknowledged`.
    pub status: String,
}

/// A person affected who was told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonToldResource {
    /// The person's number in the case, from 1.
    pub person: u32,
    pub language: String,
    /// `email` or `provider`.
    pub channel: String,
    pub at: DateTime<Utc>,
    /// The commitment to the text, as the log keeps it.
    pub commitment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// A remedy case as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemedyResource {
    /// Its number among the request's cases, from 1.
    pub case: u32,
    pub ground: String,
    /// The party that opened it; absent when comity did (a deadline withdrew the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    pub description: String,
    /// `recall_pending`, `correction_due` or `closed`.
    pub status: String,
    /// By when the authority attests the deletion of every production recalled.
    pub recall_due: DateTime<Utc>,
    pub recalled: Vec<RecalledResource>,
    /// When the last attestation met the recall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_met_at: Option<DateTime<Utc>>,
    /// Whether it came after `recall_due`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_late: Option<bool>,
    /// Whether a corrected production is owed.
    pub correction: bool,
    pub corrections: Vec<CorrectionResource>,
    pub persons_told: Vec<PersonToldResource>,
}

/// How the notice of a remedy reaches a person affected
/// (`POST /v1/requests/{id}/remedies/{case}/persons`); the address is used for this one
/// message and never kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemedyPersonBody {
    /// `en` or `fr`.
    #[schema(example = "fr")]
    pub language: String,
    /// `email` (comity e-mails it to `address` now) or `provider` (you deliver the text
    /// returned through your own channel).
    #[schema(example = "provider")]
    pub channel: String,
    #[serde(default)]
    pub address: Option<String>,
}

/// A person told: the case as it stands, and the text of the notice with what checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemedyToldResource {
    pub remedy: RemedyResource,
    pub person: u32,
    pub notice: NoticeTextResource,
}

/// Remedy cases in a period (`GET /v1/remedies/counts`), for the transparency reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RemedyCountsResource {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Cases opened, by ground (every ground named, 0 where none).
    pub opened: BTreeMap<String, u64>,
    /// Recalls whose deletion was attested by their date.
    pub recalls_met: u64,
    /// Recalls whose deletion was attested after their date.
    pub recalls_met_late: u64,
    /// Cases opened in the period whose recall is not met yet.
    pub recalls_outstanding: u64,
    /// Corrected productions sealed.
    pub corrections: u64,
    /// Persons affected told.
    pub persons_told: u64,
}

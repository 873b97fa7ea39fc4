//! Productions on the wire: what the API answers about a sealed production and its chain
//! of custody, and the authority's acknowledgement (`docs/production.md`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A production of a request, and its chain of custody so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductionResource {
    /// The production's id, `prod-` and 16 characters.
    #[schema(example = "prod-5k2q8w0c3x1m7r4t")]
    pub id: String,
    pub request: String,
    /// `started` (the package is being sealed, or sealing stopped without a word: produce
    /// again), `failed`, `sealed` (waiting for the authority), `acknowledged`, or
    /// `shredded` (comity's copy crypto-shredded at the retention date).
    pub status: String,
    pub started_at: DateTime<Utc>,
    /// The production event's index in the audit log, which the manifest names.
    pub log_index: Option<u64>,
    /// The records of the export, and how many the decision's scope admitted.
    pub records: u64,
    pub in_scope: u64,
    /// Until when the authority may keep the data (RFC 3339 date or time).
    pub retention_until: String,
    /// What left, once sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageResource>,
    /// Why it stopped, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Every step, oldest first: started, sealed or failed, each download, the
    /// acknowledgement, the shredding, the attestation of disposal.
    pub custody: Vec<CustodyEntry>,
    /// Disposal: when comity's copy was shredded, and the authority's attestation.
    pub disposal: DisposalResource,
}

/// Where a production's disposal stands (issue 15).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DisposalResource {
    /// When comity's copy was crypto-shredded: its data key destroyed, its file deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shredded_at: Option<DateTime<Utc>>,
    /// When the authority says it disposed of the data, by its signed attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_disposed_at: Option<DateTime<Utc>>,
    /// The key that signed the attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation_kid: Option<String>,
    /// The attestation itself, a compact JWS anyone can verify with the key in the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<String>,
}

/// The issuing authority's signed attestation that it disposed of a production's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationBody {
    /// A compact JWS (EdDSA, the `kid` of one of the authority's registered keys) over
    /// `{"type": "comity-disposal/v1", "request", "production", "package_sha256",
    /// "disposed_at"}`; `comity disposal sign` makes one.
    pub attestation: String,
}

/// A sealed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackageResource {
    /// The SHA-256 of the package (the age file), hex.
    pub sha256: String,
    pub bytes: u64,
    /// The SHA-256 of its `manifest.json`, hex.
    pub manifest_sha256: String,
    /// The authority's age recipient it is encrypted to.
    pub recipient: String,
    /// The provider's production key that signed the manifest.
    pub kid: String,
    /// What redaction masked, by type, as the manifest states it.
    #[schema(value_type = Object)]
    pub redaction: serde_json::Value,
}

/// One step of a production's chain of custody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustodyEntry {
    /// `production.started`, `production.sealed`, `production.failed`,
    /// `production.downloaded` or `production.acknowledged`.
    pub kind: String,
    /// Who took it.
    pub actor: String,
    pub at: DateTime<Utc>,
    /// Its entry in the audit log.
    pub log_index: Option<u64>,
}

/// The recipient authority acknowledges that it holds the package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    /// The SHA-256 of the package as received (`sha256sum PKG.age`), hex: it must be the
    /// one sealed.
    pub package_sha256: String,
}

impl From<&comity_core::production::Production> for ProductionResource {
    fn from(p: &comity_core::production::Production) -> Self {
        ProductionResource {
            id: p.id.clone(),
            request: p.request.to_string(),
            status: p.status.to_owned(),
            started_at: p.started_at,
            log_index: p.log_index,
            records: p.records,
            in_scope: p.in_scope,
            retention_until: p.retention_until.clone(),
            package: p.package.as_ref().map(|s| PackageResource {
                sha256: s.package_sha256.clone(),
                bytes: s.package_bytes,
                manifest_sha256: s.manifest_sha256.clone(),
                recipient: s.recipient.clone(),
                kid: s.kid.clone(),
                redaction: serde_json::from_str(&s.redaction).unwrap_or(serde_json::Value::Null),
            }),
            failure: p.failure.clone(),
            custody: p
                .custody
                .iter()
                .map(|e| CustodyEntry {
                    kind: e.kind().to_string(),
                    actor: e.actor.to_string(),
                    at: e.at,
                    log_index: e.log_index,
                })
                .collect(),
            disposal: DisposalResource {
                shredded_at: p.shredded_at,
                attested_disposed_at: p.attestation.as_ref().map(|a| a.disposed_at),
                attestation_kid: p.attestation.as_ref().map(|a| a.kid.to_string()),
                attestation: p.attestation.as_ref().map(|a| a.jws.clone()),
            },
        }
    }
}

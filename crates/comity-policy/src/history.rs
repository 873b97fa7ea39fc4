//! A pack's history as comity met it (issue 16, item 8): the versions it judged with, each
//! with its hash and when it was first seen. The store keeps them and counts the requests
//! each judged; these are the values it hands over, sans I/O.

use chrono::{DateTime, Utc};

/// One version of a pack, as comity kept or met it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackVersion {
    pub pack: String,
    pub version: String,
    /// SHA-256 of its text, hex: what each screening by it records.
    pub hash: String,
    /// When a server first started with it; `None` for a version that judged requests
    /// before comity kept pack texts (its text is not kept: `kept` is false).
    pub first_seen: Option<DateTime<Utc>>,
    /// The first screening by it, if any.
    pub first_judged: Option<DateTime<Utc>>,
    /// The audit-log entry of its `pack.adopted` fact.
    pub log_index: Option<u64>,
    /// Its text is kept and can be read and compared.
    pub kept: bool,
    /// It is the version this server judges with now.
    pub in_force: bool,
    /// Distinct requests it judged, for a caller who may read aggregates.
    pub requests_judged: Option<u64>,
}

impl PackVersion {
    /// When it was first met: first seen, or for a version from before the history, first
    /// judged with.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.first_seen.or(self.first_judged)
    }
}

/// A pack and its versions, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackHistory {
    pub id: String,
    /// The title of the newest version whose text is at hand.
    pub title: String,
    /// What it applies to (`instrument eu-e-evidence`), as the newest version says.
    pub applies_to: String,
    pub versions: Vec<PackVersion>,
}

//! The trust registers on the wire: the bodies of the identity and key API, and the
//! content of each kind of journal entry.
//!
//! A journal entry's `content` is the JSON of one of the `journal::*` structs, written by
//! `serde_json` with the fields in the order declared here. Those exact bytes are what
//! the entry's audit-log commitment covers (see `docs/log.md`), so the field order of
//! these structs is part of the format: add fields at the end, never reorder.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The content of each kind of journal entry, and the kinds' names.
pub mod journal {
    use super::*;

    pub const KEY_ADDED: &str = "key.added";
    pub const KEY_RETIRED: &str = "key.retired";
    pub const KEY_REVOKED: &str = "key.revoked";
    pub const CONTACT_ADDED: &str = "contact.added";
    pub const REVIEWER_ASSIGNED: &str = "reviewer.assigned";
    pub const USER_ADDED: &str = "user.added";
    pub const USER_DISABLED: &str = "user.disabled";
    pub const TOKEN_CREATED: &str = "token.created";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const LINK_ISSUED: &str = "verification.link_issued";
    pub const AUTH_REFUSED: &str = "auth.refused";
    pub const DECISION_SCOPE: &str = "decision.scope";
    pub const RECIPIENT_ADDED: &str = "recipient.added";
    pub const PRODUCTION_KEY_ADDED: &str = "production_key.added";
    pub const PRODUCTION_STARTED: &str = "production.started";
    pub const PRODUCTION_SEALED: &str = "production.sealed";
    pub const PRODUCTION_FAILED: &str = "production.failed";
    pub const PRODUCTION_DOWNLOADED: &str = "production.downloaded";
    pub const PRODUCTION_ACKNOWLEDGED: &str = "production.acknowledged";
    /// Every kind of a production's chain of custody, in the order they happen.
    pub const PRODUCTION_KINDS: &[&str] = &[
        PRODUCTION_STARTED,
        PRODUCTION_SEALED,
        PRODUCTION_FAILED,
        PRODUCTION_DOWNLOADED,
        PRODUCTION_ACKNOWLEDGED,
    ];

    /// A signing key registered for an authority.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct KeyAdded {
        pub authority: String,
        pub kid: String,
        /// The Ed25519 public key, base64url without padding (the JWK `x`, RFC 8037 §2).
        pub x: String,
        /// The key this one replaces, when it was added by rotation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub replaces: Option<String>,
    }

    /// A key retired by rotation: usable until `effective_at`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct KeyRetired {
        pub authority: String,
        pub kid: String,
        pub effective_at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub replaced_by: Option<String>,
    }

    /// A key revoked: nothing it signs from `effective_at` on is accepted.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct KeyRevoked {
        pub authority: String,
        pub kid: String,
        pub effective_at: DateTime<Utc>,
        pub reason: String,
    }

    /// A contact registered for an authority.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ContactAdded {
        pub authority: String,
        pub id: String,
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub email: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phone: Option<String>,
        /// An Ed25519 key the contact signs confirmations with, base64url.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub x: Option<String>,
    }

    /// A reviewer body assigned to a request.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ReviewerAssigned {
        pub request: String,
        pub reviewer: String,
        pub reason: String,
    }

    /// A person's account created (never its secrets).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct UserAdded {
        pub username: String,
        pub org: String,
        pub role: String,
        pub name: String,
    }

    /// A person's account disabled, and its sessions ended.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct UserDisabled {
        pub username: String,
        pub org: String,
        pub reason: String,
    }

    /// An API token created (never its secret).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TokenCreated {
        pub id: String,
        pub org: String,
        pub role: String,
        pub label: String,
        pub expires_at: DateTime<Utc>,
    }

    /// An API token revoked.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TokenRevoked {
        pub id: String,
        pub org: String,
    }

    /// A one-time verification link issued for an emergency request (never the link).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LinkIssued {
        pub request: String,
        pub authority: String,
        pub contact: String,
        pub expires_at: DateTime<Utc>,
    }

    /// A refused signature or credential: forged and replayed requests leave a trace.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AuthRefused {
        pub code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub kid: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub iss: Option<String>,
        /// The client's address.
        pub client: String,
    }

    /// An authority's age recipient (an X25519 public key, `age1...`): productions for it
    /// are encrypted to the latest one registered.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RecipientAdded {
        pub authority: String,
        pub recipient: String,
    }

    /// A provider's production key: the Ed25519 key its packages' manifests are signed
    /// with; productions are signed with the latest one registered.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProductionKeyAdded {
        pub provider: String,
        pub kid: String,
        /// The public key, base64url (the JWK `x`, RFC 8037 §2).
        pub x: String,
    }

    /// A selector as a decision's scope names it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ScopedTarget {
        #[serde(rename = "type")]
        pub kind: String,
        pub value: String,
    }

    /// What a decision (the event `decision` of `request`) lets leave.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct DecisionScope {
        pub request: String,
        /// The decision's event, by its sequence number.
        pub decision: u32,
        pub targets: Vec<ScopedTarget>,
        pub from: DateTime<Utc>,
        pub to: DateTime<Utc>,
        pub categories: Vec<String>,
    }

    /// A production begun from a provider's export: the production event the package's
    /// manifest names by its log index. The export itself is never kept; its hash is.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProductionStarted {
        pub production: String,
        pub request: String,
        /// The decision it executes, by its event's sequence number.
        pub decision: u32,
        /// The SHA-256 of the export as the provider handed it, hex.
        pub export_sha256: String,
        pub export_bytes: u64,
        /// The export's records, and how many of them the decision's scope admits.
        pub records: u64,
        pub in_scope: u64,
        pub retention_until: String,
    }

    /// A production sealed: the package that leaves, and what is in it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProductionSealed {
        pub production: String,
        pub recipient: String,
        /// The provider's production key that signed the manifest.
        pub kid: String,
        /// The SHA-256 of `manifest.json`, hex.
        pub manifest_sha256: String,
        /// The SHA-256 and size of the package (the age file).
        pub package_sha256: String,
        pub package_bytes: u64,
        /// The redaction summary, as the manifest states it.
        pub redaction: serde_json::Value,
    }

    /// A production that stopped before its package was sealed; nothing left.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProductionFailed {
        pub production: String,
        pub reason: String,
    }

    /// A download of a production's package by the recipient authority, logged before the
    /// first byte is sent.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProductionDownloaded {
        pub production: String,
        pub package_sha256: String,
    }

    /// The recipient authority's acknowledgement that it holds the package: the hash it
    /// computed matches the one sealed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProductionAcknowledged {
        pub production: String,
        pub package_sha256: String,
    }

    /// The canonical content of a journal entry.
    pub fn content<T: Serialize>(fact: &T) -> String {
        // Serializing plain structs of strings and times cannot fail.
        serde_json::to_string(fact).unwrap_or_default()
    }

    /// Reads a journal entry's content back.
    pub fn read<T: serde::de::DeserializeOwned>(content: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(content)
    }
}

/// Registers an authority's signing key, or rotates one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyBody {
    /// The Ed25519 public key: a JWK object (`{"kty": "OKP", "crv": "Ed25519", "x": ...}`,
    /// RFC 8037 §2), or the same as a string, or an SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    #[schema(value_type = Object, example = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}))]
    pub public_key: serde_json::Value,
    /// The key id signatures will name in their `kid`; by default the key's RFC 7638
    /// thumbprint.
    #[serde(default)]
    pub kid: Option<String>,
    /// The key this one replaces (a rotation): it stays usable for `overlap_hours`, then
    /// is retired.
    #[serde(default)]
    pub replaces: Option<String>,
    /// How long the replaced key stays usable, in hours (default 24, at most 720).
    #[serde(default)]
    pub overlap_hours: Option<u32>,
}

/// Revokes a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    /// Why (kept forever in the journal).
    pub reason: String,
    /// From when nothing it signs is accepted; default now. A time in the past covers a
    /// compromise found late.
    #[serde(default)]
    pub effective_at: Option<DateTime<Utc>>,
}

/// An authority's key and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyResource {
    pub kid: String,
    pub authority: String,
    /// The public key as a JWK.
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
    /// `active`, `retiring` (rotated, still in its overlap), `retired` or `revoked`.
    pub status: String,
    pub added_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    /// The audit-log entries of its history.
    pub log_indexes: Vec<u64>,
}

/// Registers an authority's age recipient, to encrypt its productions to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    /// An X25519 age recipient, as `age-keygen` prints it: `age1` and 58 characters.
    #[schema(example = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")]
    pub recipient: String,
}

/// A registered age recipient or production key, with when and its log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RegisteredKey {
    /// The age recipient, or the production key's id.
    pub key: String,
    /// The production key as a JWK (production keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwk: Option<serde_json::Value>,
    pub added_at: DateTime<Utc>,
    /// The one in use: the latest registered.
    pub current: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// Registers a contact of an authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Unique within the authority, such as `duty-officer`.
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// An Ed25519 public key (JWK or PEM) the contact signs emergency confirmations with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub public_key: Option<serde_json::Value>,
}

/// Creates a person's account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub username: String,
    /// The organisation (a registered party).
    pub org: String,
    /// `admin`, `requester`, `handler`, `reviewer` or `auditor`; it must fit the
    /// organisation's register.
    pub role: String,
    pub name: String,
}

/// A new account, with its first password and its TOTP secret: shown once, never again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserCreated {
    pub username: String,
    pub org: String,
    pub role: String,
    /// The first password; hand it over through a separate channel.
    pub password: String,
    /// `otpauth://totp/...` for an authenticator app (RFC 6238).
    pub totp_uri: String,
    /// The same secret in base32, for typing in.
    pub totp_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// A person's account as listed (no secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserResource {
    pub username: String,
    pub org: String,
    pub role: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// When it was disabled, if it was: it can no longer log in, its sessions ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Disables an account (a lost device, a leaver, a suspected compromise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisableBody {
    pub reason: String,
}

impl From<&comity_core::UserRecord> for UserResource {
    fn from(u: &comity_core::UserRecord) -> Self {
        UserResource {
            username: u.username.to_string(),
            org: u.org.to_string(),
            role: u.role.to_string(),
            name: u.name.clone(),
            created_at: u.created_at,
            disabled_at: u.disabled_at,
        }
    }
}

/// Creates an API token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub org: String,
    pub role: String,
    /// What the token is for, such as `case-management`.
    #[serde(default)]
    pub label: Option<String>,
    /// How long it lasts: `90d`, `12h`, `30m` (default 90 days, at most 365 days).
    #[serde(default)]
    pub expires_in: Option<String>,
}

/// An API token. `token` is present only in the answer that created it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TokenResource {
    pub id: String,
    pub org: String,
    pub role: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The secret, for `Authorization: Bearer`; shown once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Logs a person in: password and a TOTP code, both required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the authenticator app (RFC 6238).
    pub totp: String,
}

/// Changes one's password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Who is logged in, or whose token this is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    /// The actor recorded for what this principal does.
    pub actor: String,
    pub org: String,
    pub role: String,
    /// `person`, `token` or `key`.
    pub credential: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// Assigns a reviewer body to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub reviewer: String,
    pub reason: String,
}

/// Asks for a one-time link to send to a registered contact of the request's authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The contact's id (see the authority's contacts).
    pub contact: String,
}

/// A one-time verification link: send `url` to the contact through their registered
/// channel (`email`, `phone`), never through the channel the request came by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkResource {
    /// The path to open, relative to this server; shown once.
    pub url: String,
    pub contact: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What a contact decides about an emergency request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// `confirm`: our authority sent it. `deny`: it did not, or should not be acted on.
    pub decision: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// What a verification link shows before it is used: enough to recognise the request,
/// no personal data of its targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VerificationView {
    pub request: String,
    pub authority: String,
    pub provider: String,
    pub reference: String,
    pub received_at: DateTime<Utc>,
    pub targets: usize,
    pub contact: String,
    pub expires_at: DateTime<Utc>,
}

/// An authority's track record, beside each of its requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuthorityRecordResource {
    pub authority: String,
    pub requests: u64,
    pub rejected: u64,
    /// `rejected / requests`, 0 when there are none.
    pub rejected_share: f64,
    pub emergencies: u64,
    /// Emergencies held for verification, and those a second contact confirmed.
    pub held: u64,
    pub confirmed: u64,
    /// `(held - confirmed) / held`: emergencies never confirmed.
    pub unconfirmed_share: f64,
}

impl AuthorityRecordResource {
    pub fn new(authority: &comity_core::PartyId, r: &comity_core::AuthorityRecord) -> Self {
        let share = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
        AuthorityRecordResource {
            authority: authority.to_string(),
            requests: r.requests,
            rejected: r.rejected,
            rejected_share: share(r.rejected, r.requests),
            emergencies: r.emergencies,
            held: r.held,
            confirmed: r.confirmed,
            unconfirmed_share: share(r.held.saturating_sub(r.confirmed), r.held),
        }
    }
}

//! The trust registers on the wire: the bodies of the identity and key API. (The content
//! of each kind of journal entry is a storage format, `comity-store`'s `journal` module.)

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    #[serde(default, with = "crate::time::bounded_option")]
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

/// Changes one's password: the current one and a current TOTP code, as a login needs
/// them, so that a session alone (a stolen cookie) cannot take the account over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    /// The current code of the account's authenticator app (RFC 6238); each code works once.
    #[schema(example = "123456")]
    pub totp: String,
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

/// Assigns a reviewer body to a request (an operator, with a reason).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub reviewer: String,
    pub reason: String,
    /// A body assigned now that this one replaces (after an objection was upheld).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// The provider's objection to an assigned reviewer body, for a conflict of interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionBody {
    pub reviewer: String,
    /// What the conflict is.
    pub grounds: String,
}

/// An objection as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ObjectionResource {
    pub reviewer: String,
    pub grounds: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Asks for a one-time link to send to a registered contact of the request's authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// The contact's id (see the authority's contacts).
    pub contact: String,
}

/// A one-time verification link. comity e-mails it to the contact's registered address
/// when it sends mail (`mail.status` is `sent`, and `url` is absent: nobody but the
/// contact holds the link); otherwise send `url` to the contact through their registered
/// channel (`email`, `phone`), never through the channel the request came by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkResource {
    /// What to send the contact, relative to this server, shown once: `/verify#<secret>`;
    /// absent when comity e-mailed it. The secret is in the fragment, which browsers never
    /// send to a server (RFC 3986 §3.5), so no proxy or server log records it; it reaches
    /// comity only in the body of `POST /v1/verify/view` and `POST /v1/verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether comity e-mailed the link to the contact.
    pub mail: LinkMailResource,
    pub contact: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Whether comity e-mailed a one-time link to its contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LinkMailResource {
    /// `sent` (the SMTP server took it), `failed` (tried and failed: the link is good, pass
    /// `url` on or issue another) or `not_sent` (this server sends no mail, or the contact
    /// has no e-mail address).
    pub status: String,
    /// The address it went to, or was tried at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The mail's `Message-ID`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Why it was not sent, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What a contact decides about an emergency request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The link's secret: what follows `#` in its URL.
    pub token: String,
    /// `confirm`: our authority sent it. `deny`: it did not, or should not be acted on.
    pub decision: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A one-time link's secret, to see what it is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkSecretBody {
    /// The link's secret: what follows `#` in its URL.
    pub token: String,
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

/// An Ed25519 public key as a JWK object (RFC 8037 §2): `{"crv", "kty", "x"}`.
pub fn ed25519_jwk(key: &[u8; 32]) -> serde_json::Value {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(key)})
}

impl KeyResource {
    /// A key as its history makes it at `now`, with its history's log entries.
    pub fn new(key: &comity_core::AuthorityKey, log_indexes: Vec<u64>, now: DateTime<Utc>) -> Self {
        let status = match (&key.revoked, key.retired_at) {
            (Some((t, _)), _) if *t <= now => "revoked",
            (_, Some(t)) if t <= now => "retired",
            (_, Some(_)) => "retiring",
            _ => "active",
        };
        KeyResource {
            kid: key.kid.to_string(),
            authority: key.authority.to_string(),
            public_key: ed25519_jwk(&key.public_key),
            status: status.to_owned(),
            added_at: key.added_at,
            retired_at: key.retired_at,
            revoked_at: key.revoked.as_ref().map(|(t, _)| *t),
            revocation_reason: key.revoked.as_ref().map(|(_, r)| r.clone()),
            log_indexes,
        }
    }
}

impl From<&comity_core::Contact> for ContactBody {
    fn from(c: &comity_core::Contact) -> Self {
        ContactBody {
            id: c.id.to_string(),
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            public_key: c.public_key.as_ref().map(ed25519_jwk),
        }
    }
}

impl From<&comity_core::TokenRecord> for TokenResource {
    fn from(t: &comity_core::TokenRecord) -> Self {
        TokenResource {
            id: t.id.clone(),
            org: t.org.to_string(),
            role: t.role.to_string(),
            label: t.label.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            token: None,
        }
    }
}

impl RegisteredKey {
    /// A registered age recipient (`public_key` `None`) or production key.
    pub fn new(
        key: &str,
        public_key: Option<&[u8; 32]>,
        added_at: DateTime<Utc>,
        current: bool,
        log_index: Option<u64>,
    ) -> Self {
        RegisteredKey { key: key.to_owned(), jwk: public_key.map(ed25519_jwk), added_at, current, log_index }
    }
}

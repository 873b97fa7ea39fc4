//! Notices to parties (issue 13, item 8) on the wire: the JSON a webhook carries, the
//! admin API's endpoints and dead letters, and the webhook key receivers verify with.

use chrono::{DateTime, Utc};
use comity_core::{Endpoint, Notice, NoticeWhat};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a webhook POSTs, signed (RFC 9421, `tag="comity-webhook"`). It names no person:
/// the request's id, what happened, its state and the link to it, which opens only for
/// those who may see the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NoticeBody {
    /// The notice's id: the same on every attempt, so a receiver can drop a repeat.
    pub id: u64,
    /// What happened: `request.received`, `request.routed`, `request.decided`,
    /// `clarification.requested`, `clock.expired` or `production.sealed`.
    pub event: String,
    pub request: String,
    /// The request's state after what happened.
    pub state: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The request in the API.
    pub url: String,
    /// The audit-log entry that recorded it.
    pub log_index: u64,
    /// The deadline that passed (`clock.expired` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// What its passing did: `overdue`, `withdrawn`, ... (`clock.expired` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl NoticeBody {
    /// The body of `notice`, linking to the request under `base` (the server's public URL).
    pub fn new(notice: &Notice, base: &str) -> Self {
        let NoticeWhat { event, request, state, at, clock } = &notice.what;
        NoticeBody {
            id: notice.id,
            event: event.to_string(),
            request: request.to_string(),
            state: state.to_string(),
            at: *at,
            url: request_url(base, &request.to_string()),
            log_index: notice.log_index,
            clock: clock.map(|(c, _)| c.to_string()),
            outcome: clock.map(|(_, o)| o.to_string()),
        }
    }
}

/// The URL of a request in the API.
pub fn request_url(base: &str, request: &str) -> String {
    format!("{}/v1/requests/{request}", base.trim_end_matches('/'))
}

/// Registers, or takes away, a place a party's notices go: a webhook URL for its
/// systems, or an e-mail address for its people. Exactly one of the two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointBody {
    /// An `https://` URL (`http://` to a loopback address only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "https://legal.example-mail.com/comity/notices")]
    pub webhook: Option<String>,
    /// An e-mail address, `name@example.org` or `Name <name@example.org>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "legal-team@example-mail.com")]
    pub email: Option<String>,
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EndpointResource {
    pub party: String,
    /// `webhook` or `email`.
    pub channel: String,
    pub address: String,
}

impl From<&Endpoint> for EndpointResource {
    fn from(e: &Endpoint) -> Self {
        EndpointResource {
            party: e.party.to_string(),
            channel: e.channel.to_string(),
            address: e.address.clone(),
        }
    }
}

/// A notice in the outbox, for the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NoticeResource {
    pub id: u64,
    pub party: String,
    pub channel: String,
    pub address: String,
    pub event: String,
    pub request: String,
    pub log_index: u64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&Notice> for NoticeResource {
    fn from(n: &Notice) -> Self {
        NoticeResource {
            id: n.id,
            party: n.to.party.to_string(),
            channel: n.to.channel.to_string(),
            address: n.to.address.clone(),
            event: n.what.event.to_string(),
            request: n.what.request.to_string(),
            log_index: n.log_index,
            status: n.status.to_string(),
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error.clone(),
            delivered_at: n.delivered_at,
            created_at: n.created_at,
        }
    }
}

/// The key comity signs webhooks with, as a JWK (RFC 8037): a receiver verifies the
/// `Signature` of a notice whose `keyid` is `kid` with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookKeyResource {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The key id webhooks' signatures name (`keyid`): its RFC 7638 thumbprint.
    pub kid: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

//! Notices to parties (issue 13, item 8, "Telling parties"): where they go, what they
//! say, and how far their delivery got.
//!
//! A party registers [`Endpoint`]s (a webhook for its systems, e-mail addresses for its
//! people) as journal facts. The outbox turns each audit-log entry a party must act on
//! into one [`NewNotice`] per endpoint of each party concerned, in the transaction that
//! moves the outbox's cursor past that entry, so a notice is written exactly once. A
//! delivery worker then takes the due notices and records each attempt's
//! [`NoticeOutcome`]: delivered, tried again later, or dead (the dead letters, which an
//! operator lists and may put back).
//!
//! A notice names no personal data: the request's id, what happened, the state, the
//! time and the link to the request in the API, which only those who may see it open.

use chrono::{DateTime, Utc};

use crate::{ClockKind, ClockOutcome, NewEntry, PartyId, RequestId, State, vocabulary::vocabulary};

vocabulary! {
    /// How a notice travels.
    Channel {
        /// A signed POST to a party's system (RFC 9421).
        Webhook = "webhook",
        /// An e-mail to a person of the party.
        Email = "email",
    }
}

vocabulary! {
    /// What a notice tells.
    NoticeEvent {
        /// A request arrived for the provider.
        RequestReceived = "request.received",
        /// A reviewer body was assigned to decide on a request.
        RequestRouted = "request.routed",
        /// The reviewer decided: approved, partially approved or rejected.
        RequestDecided = "request.decided",
        /// The request needs the authority's clarification.
        ClarificationRequested = "clarification.requested",
        /// A deadline passed, with what it did.
        ClockExpired = "clock.expired",
        /// A production was sealed for the authority.
        ProductionSealed = "production.sealed",
        /// The authority answered a clarification (in words or with an amended document).
        ClarificationAnswered = "clarification.answered",
        /// A decision was appealed: nothing is produced until a second body decides.
        RequestAppealed = "request.appealed",
        /// The request was withdrawn: by its authority, by a deadline (Art 4(5)), or by the
        /// enforcing State's grounds for refusal (Art 12).
        RequestWithdrawn = "request.withdrawn",
        /// The provider objected that executing the order would conflict with the law of a
        /// third country; execution is suspended (Regulation (EU) 2023/1543 Art 17(1)).
        ConflictObjected = "conflict.objected",
        /// The objection for conflicting obligations was decided (Art 17(3)-(8)).
        ConflictDecided = "conflict.decided",
        /// A notice to a person concerned was written for the provider to deliver through
        /// its own channel, and to confirm (issue 15, item 1).
        PersonNoticeWritten = "person_notice.written",
        /// A remedy case was opened on delivered data: the authority must delete what it
        /// recalls and attest it (issue 15, item 4).
        RemedyOpened = "remedy.opened",
    }
}

vocabulary! {
    /// Where a notice's delivery stands.
    NoticeStatus {
        /// Not delivered yet: due at its next attempt.
        Pending = "pending",
        /// The receiver took it.
        Delivered = "delivered",
        /// Given up: in the dead letters until an operator puts it back.
        Dead = "dead",
    }
}

/// A place a party's notices go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub party: PartyId,
    pub channel: Channel,
    /// The webhook's URL, or the e-mail address, as parsed where it was registered.
    pub address: String,
}

impl Endpoint {
    /// The journal subject of its facts: `webhook:URL` or `email:ADDRESS`.
    pub fn subject(&self) -> String {
        format!("{}:{}", self.channel, self.address)
    }
}

/// What a notice says: never more than its recipient may see of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeWhat {
    pub event: NoticeEvent,
    pub request: RequestId,
    /// The request's state after what happened.
    pub state: State,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The deadline and what its passing did, for [`NoticeEvent::ClockExpired`].
    pub clock: Option<(ClockKind, ClockOutcome)>,
}

/// A notice to write: one audit-log entry told to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// The audit-log entry it tells of.
    pub log_index: u64,
    pub to: Endpoint,
    pub what: NoticeWhat,
}

/// A notice as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Given by the store.
    pub id: u64,
    pub log_index: u64,
    pub to: Endpoint,
    pub what: NoticeWhat,
    pub status: NoticeStatus,
    /// How many attempts were made.
    pub attempts: u32,
    /// When the next attempt is due (pending notices).
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// How an attempt to deliver a notice ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// The receiver took it.
    Delivered { at: DateTime<Utc> },
    /// It failed for now: try again at `next`. `attempted` is false when nothing was
    /// sent (no mailer configured), so the attempt is not counted.
    Retry { next: DateTime<Utc>, error: String, attempted: bool },
    /// It failed for good, or for the last time: a dead letter, with its journal fact
    /// (`notice.dead`), written in the same transaction.
    Dead { error: String, entry: Box<NewEntry> },
}

/// Which notices to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeQuery {
    pub status: Option<NoticeStatus>,
    /// Newest first, at most this many.
    pub limit: u32,
}

//! The storage interface. `comity-store` implements it for SQLite and PostgreSQL; the
//! server and the command line only ever see this trait.
//!
//! The contract every implementation keeps, and that the shared store test-suite checks:
//! - a call that returned `Ok` is durable: it survives the process being killed;
//! - events are append-only: nothing here updates or deletes one;
//! - a move is a compare-and-set on the request's version, so two processes sharing one
//!   database can never both move the same request from the same state.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    ActorId, Authority, IdempotencyKey, Instrument, PartyId, PartyRole, Provider, RequestId, RequestKind,
    ReviewerBody, Selector, State,
};

/// A party in one of the three registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Authority(Authority),
    Provider(Provider),
    Reviewer(ReviewerBody),
}

impl Party {
    pub fn id(&self) -> &PartyId {
        match self {
            Party::Authority(a) => &a.id,
            Party::Provider(p) => &p.id,
            Party::Reviewer(r) => &r.id,
        }
    }

    pub fn role(&self) -> PartyRole {
        match self {
            Party::Authority(_) => PartyRole::Authority,
            Party::Provider(_) => PartyRole::Provider,
            Party::Reviewer(_) => PartyRole::Reviewer,
        }
    }
}

/// What intake hands the store: the indexed facts and the document itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub id: RequestId,
    pub received_at: DateTime<Utc>,
    /// Who submitted it; recorded on the first event.
    pub actor: ActorId,
    pub authority: PartyId,
    pub provider: PartyId,
    pub instrument: Instrument,
    pub kind: RequestKind,
    pub emergency: bool,
    pub reference: String,
    /// The request document, version 1, as canonical JSON (see `comity-wire`).
    pub document: String,
    /// The client's key for this submission, unique per authority.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The request's targets, recorded against its authority and its case reference for
    /// the anti-bulk rule (see [`Store::recent_targets`]).
    pub targets: Vec<Selector>,
    /// Screening done before the write, stored in the same transaction: the report, then
    /// comity's moves (to `screening`, then `under_review` or `rejected`). `None` leaves
    /// the request `received`, for screening later.
    pub screening: Option<IntakeScreening>,
}

/// A screening done at intake, and the moves it leads to. The caller has checked the
/// moves with [`crate::lifecycle::check`]; they are recorded as `ActorId::system()` at
/// `screening.at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeScreening {
    pub screening: Screening,
    /// Each state to move to, and why.
    pub moves: Vec<(State, String)>,
}

/// A target an authority or a case named, and the latest request that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedTarget {
    pub selector: Selector,
    pub last_request: RequestId,
    pub last_seen: DateTime<Utc>,
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRequest {
    pub id: RequestId,
    pub state: State,
    /// How many events the request has; the next event's sequence number is `version + 1`.
    pub version: u32,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub authority: PartyId,
    pub provider: PartyId,
    pub instrument: Instrument,
    pub kind: RequestKind,
    pub emergency: bool,
    pub reference: String,
    pub document: String,
}

impl StoredRequest {
    /// The request as it stands after `event`, a move the store just applied to it: the
    /// state, version and time follow from the event, so no read is needed to know them.
    pub fn after(&self, event: &Event) -> StoredRequest {
        StoredRequest { state: event.to, version: event.seq, updated_at: event.at, ..self.clone() }
    }
}

/// One step in a request's life. Kept forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub request_id: RequestId,
    /// 1 for the receipt, then one more for each move.
    pub seq: u32,
    /// `None` for the receipt.
    pub from: Option<State>,
    pub to: State,
    pub actor: ActorId,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A move the caller has checked with [`crate::lifecycle::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub request_id: RequestId,
    /// The version the caller read; the move fails with [`StoreError::Conflict`] if the
    /// request has moved since.
    pub expected_version: u32,
    pub from: State,
    pub to: State,
    pub actor: ActorId,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A screening of a request: which pack judged it, the verdict, and the full report as
/// JSON (the wire shape, so it reads back exactly as it was answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    pub request_id: RequestId,
    pub at: DateTime<Utc>,
    pub pack_id: String,
    pub pack_version: String,
    pub pack_hash: String,
    /// `admissible`, `needs_review` or `inadmissible`.
    pub verdict: String,
    pub report: String,
}

/// Which requests to list, and which page of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestQuery {
    pub state: Option<State>,
    pub authority: Option<PartyId>,
    pub provider: Option<PartyId>,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

/// One page of requests, newest first, and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestPage {
    pub items: Vec<StoredRequest>,
    pub total: u64,
}

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or compare-and-set failure the caller can explain.
    #[error("{0}")]
    Conflict(String),
    /// The authority already submitted a request under this idempotency key.
    #[error("the idempotency key is already used by another request of this authority")]
    IdempotencyKeyTaken,
    /// A stored row no longer parses: the database was edited outside comity.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database is overloaded for now (every connection busy); retrying later helps.
    #[error("the database is busy: {0}")]
    Unavailable(String),
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// comity's storage.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Registers a party. Ids are unique across all three registers.
    async fn add_party(&self, party: &Party) -> Result<(), StoreError>;
    async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError>;
    /// The parties of one register, ordered by id.
    async fn parties(&self, role: PartyRole) -> Result<Vec<Party>, StoreError>;

    /// Stores a request in [`State::Received`] with its first event. Fails with
    /// [`StoreError::IdempotencyKeyTaken`] if its authority already used its key.
    async fn insert_request(&self, request: &NewRequest) -> Result<StoredRequest, StoreError>;
    /// The request an authority submitted under an idempotency key, if any.
    async fn request_by_idempotency_key(
        &self,
        authority: &PartyId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredRequest>, StoreError>;
    async fn request(&self, id: RequestId) -> Result<Option<StoredRequest>, StoreError>;
    async fn list_requests(&self, query: &RequestQuery) -> Result<RequestPage, StoreError>;
    /// Applies a move and records its event, atomically.
    async fn apply_move(&self, m: &Move) -> Result<Event, StoreError>;
    /// The targets `authority`, or any authority under case `reference`, named at or
    /// after `since`, newest first, at most `limit` of them: the history the anti-bulk
    /// rule reads. A target named under both appears at most twice.
    async fn recent_targets(
        &self,
        authority: &PartyId,
        reference: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<NamedTarget>, StoreError>;
    /// Keeps a screening. A request may be screened more than once (a pack changes, a
    /// clarification arrives); every screening is kept.
    async fn record_screening(&self, screening: &Screening) -> Result<(), StoreError>;
    /// A request's screenings, oldest first.
    async fn screenings(&self, id: RequestId) -> Result<Vec<Screening>, StoreError>;
    /// A request's events, oldest first.
    async fn events(&self, id: RequestId) -> Result<Vec<Event>, StoreError>;
    /// How many requests are in each state (states with none are left out).
    async fn count_by_state(&self) -> Result<Vec<(State, u64)>, StoreError>;
}

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
    ActorId, Authority, AuthorityRecord, Clock, ClockClose, ClockSet, IdempotencyKey, Instrument,
    JournalEntry, JournalQuery, LinkRecord, LoginSlot, NewEntry, NewNotice, Notice, NoticeOutcome,
    NoticeQuery, Organisation, PartyId, PartyRole, Provider, RequestId, RequestKind, ReviewerBody, Selector,
    SelectorType, SessionRecord, State, TokenRecord, UserRecord, Username,
};

/// The chunks of one production's stored package, as the store holds them (issue 17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageChunks {
    pub production: String,
    /// How many chunks are kept.
    pub chunks: u64,
    /// When the latest was written: a sealing that stopped writing long ago was interrupted.
    pub last_written: DateTime<Utc>,
}

/// A party in one of the registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Authority(Authority),
    Provider(Provider),
    Reviewer(ReviewerBody),
    Auditor(Organisation),
    Operator(Organisation),
    Representative(Organisation),
}

impl Party {
    pub fn id(&self) -> &PartyId {
        match self {
            Party::Authority(a) => &a.id,
            Party::Provider(p) => &p.id,
            Party::Reviewer(r) => &r.id,
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => &o.id,
        }
    }

    pub fn role(&self) -> PartyRole {
        match self {
            Party::Authority(_) => PartyRole::Authority,
            Party::Provider(_) => PartyRole::Provider,
            Party::Reviewer(_) => PartyRole::Reviewer,
            Party::Auditor(_) => PartyRole::Auditor,
            Party::Operator(_) => PartyRole::Operator,
            Party::Representative(_) => PartyRole::Representative,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Party::Authority(a) => &a.name,
            Party::Provider(p) => &p.name,
            Party::Reviewer(r) => &r.name,
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => &o.name,
        }
    }

    /// The institution the party belongs to: the one it was registered with, or itself.
    /// Two parties of one institution (a court that both issues orders and reviews them, a
    /// provider's own legal department registered as a reviewer) are one side for
    /// separation of duties: neither may decide on what the other asked or holds.
    pub fn institution(&self) -> &PartyId {
        let named = match self {
            Party::Authority(a) => a.institution.as_ref(),
            Party::Provider(p) => p.institution.as_ref(),
            Party::Reviewer(r) => r.institution.as_ref(),
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => o.institution.as_ref(),
        };
        named.unwrap_or(self.id())
    }
}

/// What intake hands the store: the indexed facts and the document itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub id: RequestId,
    pub received_at: DateTime<Utc>,
    /// Who submitted it; recorded on the first event.
    pub actor: ActorId,
    /// The first event's reason: how it arrived (signed by which key, or through the
    /// portal by which person).
    pub receipt: String,
    pub authority: PartyId,
    /// The authority that validated the request, if another did (Regulation (EU)
    /// 2023/1543 Art 4).
    pub validator: Option<PartyId>,
    pub provider: PartyId,
    pub instrument: Instrument,
    pub kind: RequestKind,
    pub emergency: bool,
    pub reference: String,
    /// The request document, version 1, as canonical JSON (see `comity-wire`).
    pub document: String,
    /// The client's key for this submission, unique per authority.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The signed submission (a compact JWS), kept as evidence that the authority sent
    /// it; the receipt's log entry commits to it. `None` for a request a person submitted
    /// through the portal.
    pub signature: Option<String>,
    /// The signature's `jti`, unique per authority forever: a replayed signature can never
    /// create a second request.
    pub jti: Option<String>,
    /// The request's targets, recorded against its authority for the anti-bulk rule (see
    /// [`Store::recent_targets`]).
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
    /// The deadlines the screening set, stored with it.
    pub clocks: Vec<ClockSet>,
    /// Journal entries that belong to the screening (the reviewer bodies the law
    /// assigns), written in its transaction.
    pub facts: Vec<NewEntry>,
}

/// A target an authority or a case named, and the latest request that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedTarget {
    pub kind: SelectorType,
    /// The value as the store keeps it: a keyed hash of the selector's value (issue 15,
    /// [`DocumentCipher::blind`]), so that the rule compares targets without the database
    /// holding them; the value itself only where the store has no cipher.
    pub key: String,
    pub last_request: RequestId,
    pub last_seen: DateTime<Utc>,
}

/// How a store keeps request documents at rest (issue 15): envelope encryption, a data key
/// per request wrapped by a key-encryption key kept outside the database. The store keeps
/// the wrapped key in a table of its own, which may be deleted from (`document_keys`),
/// and the sealed documents in the append-only rows; destroying the key is the only way to
/// destroy a document the rows may not lose. Implemented by the application layer, which
/// holds the key-encryption key; no I/O here.
pub trait DocumentCipher: Send + Sync + std::fmt::Debug {
    /// A new data key for `request`, wrapped: what the store keeps.
    fn new_key(&self, request: RequestId) -> Result<Vec<u8>, StoreError>;
    /// Seals `plaintext`, the column `what` of `request`'s rows, under the wrapped key.
    fn seal(
        &self,
        request: RequestId,
        wrapped: &[u8],
        what: &str,
        plaintext: &str,
    ) -> Result<Vec<u8>, StoreError>;
    /// Opens what [`DocumentCipher::seal`] sealed; [`StoreError::Corrupt`] naming the
    /// column when it does not open (another key, another row, or a changed byte).
    fn open(
        &self,
        request: RequestId,
        wrapped: &[u8],
        what: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError>;
    /// A keyed hash of a selector, by which the anti-bulk rule tells targets apart
    /// without the database holding them.
    fn blind(&self, selector: &Selector) -> String;
}

/// How a request's documents are kept (issue 15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtRest {
    /// Written before documents were sealed, or by a store without a cipher.
    Clear,
    /// Sealed, and the key is kept: they open.
    Sealed { digest: String },
    /// Sealed, and the key is gone: they never open again. `digest` is the SHA-256 of the
    /// sealed columns as stored, which the shredding's fact records.
    Shredded { digest: String },
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
    pub validator: Option<PartyId>,
    pub provider: PartyId,
    pub instrument: Instrument,
    pub kind: RequestKind,
    pub emergency: bool,
    pub reference: String,
    pub document: String,
    /// The signed submission it arrived as, if it was signed.
    pub signature: Option<String>,
    /// The request's own random salt, under which its log entries name it by a tag
    /// (`comity_log::RequestTag`) rather than by its id. Given to those who may see the
    /// request, so that they can find its entries in the public log; nobody else can.
    pub log_salt: [u8; 32],
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
    /// The event's entry in the audit log; `None` only for an event not yet written.
    pub log_index: Option<u64>,
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
    /// Journal entries that belong to the move and commit with it, or not at all: a
    /// decision's scope, a production sealed or acknowledged.
    pub facts: Vec<NewEntry>,
    /// Deadlines the move sets, moves or takes away.
    pub clocks: Vec<ClockSet>,
    /// The clock whose passing made this move; the move fails with
    /// [`StoreError::Conflict`] if another sweep closed it first.
    pub closes: Option<ClockClose>,
}

/// A clarification answered with an amended document: the move back to review (or to
/// rejected), with the document that came with it, its new screening and its deadlines;
/// one transaction. The move's event commits to the document and its signature in the
/// audit log, as a receipt does.
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    pub to_review: Move,
    /// The amended document, canonical JSON.
    pub document: String,
    /// The compact JWS it came as, if signed.
    pub signature: Option<String>,
    pub jti: Option<String>,
    /// The validating authority the amended document names, if any.
    pub validator: Option<PartyId>,
    pub screening: Screening,
    pub clocks: Vec<ClockSet>,
}

/// One version of a request's document, by the event that brought it (1: the receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub seq: u32,
    pub document: String,
    pub signature: Option<String>,
    /// Its signature's `jti`, if signed.
    pub jti: Option<String>,
}

/// An act on a request that does not move it: journal entries, the deadlines it sets, and
/// the clock whose passing it records; one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Act {
    pub request_id: RequestId,
    pub at: DateTime<Utc>,
    pub facts: Vec<NewEntry>,
    pub clocks: Vec<ClockSet>,
    pub closes: Option<ClockClose>,
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
    /// The screening's entry in the audit log; `None` only for one not yet written.
    pub log_index: Option<u64>,
}

/// How many requests one version of a pack judged, read from the screenings (issue 16,
/// item 8): a request screened again by the same version counts once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackUse {
    pub pack_id: String,
    pub pack_version: String,
    pub pack_hash: String,
    /// Distinct requests with a screening by this version.
    pub requests: u64,
    /// The first of those screenings.
    pub first_at: DateTime<Utc>,
}

/// A stored request and the audit-log entries its intake appended: the receipt, then any
/// screening and comity's moves.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub request: StoredRequest,
    pub log: Vec<u64>,
    /// Its intake screening as stored, with its audit-log entry, if it was screened.
    pub screening: Option<Screening>,
    /// Its authority's track record as this intake left it.
    pub record: AuthorityRecord,
}

/// What a read of a request's personal data showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOf {
    /// The request document.
    Document,
    /// The request's events (their reasons may name people).
    Events,
    /// The request's screening reports (they quote its targets).
    Screenings,
}

impl ReadOf {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadOf::Document => "document",
            ReadOf::Events => "events",
            ReadOf::Screenings => "screenings",
        }
    }

    pub fn parse(s: &str) -> Option<ReadOf> {
        [ReadOf::Document, ReadOf::Events, ReadOf::Screenings].into_iter().find(|r| r.as_str() == s)
    }
}

/// A read of a request's personal data: who read what, when. Logged, never stored
/// elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub request_id: RequestId,
    pub what: ReadOf,
    pub actor: ActorId,
    pub at: DateTime<Utc>,
}

/// What an audit-log entry records, and so where the content of its commitment is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSubject {
    /// A request's event, by its sequence number.
    Event { request_id: RequestId, seq: u32 },
    /// A request's screening, by its sequence number among that request's screenings.
    Screening { request_id: RequestId, seq: u32 },
    /// A party's registration.
    Party(PartyId),
    /// A read; the entry and its salt are the whole record.
    Read { request_id: RequestId, what: ReadOf },
    /// The log's own checkpoint, by its sequence number.
    Checkpoint { seq: u64 },
    /// A fact of the trust registers, by its sequence number in the journal.
    Journal { seq: u64 },
}

/// An entry of the audit log as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub index: u64,
    /// The entry's bytes as they are hashed into the tree (`comity-log-entry/v2`, or v1 for the oldest; see
    /// `comity-log`).
    pub entry: Vec<u8>,
    /// The salt of the entry's commitment. Whoever holds the content and this salt can
    /// show which entry is theirs.
    pub salt: [u8; 32],
    /// Who acted, for a `comity-log-entry/v2` entry, which commits to the actor rather
    /// than naming it; `None` for a v1 entry, which names it.
    pub actor: Option<ActorId>,
    pub subject: LogSubject,
}

/// A signed checkpoint of the audit log (a C2SP signed note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// 1 for the first checkpoint, then one more for each.
    pub seq: u64,
    /// The tree size it signs.
    pub size: u64,
    /// The signed note, as signed by the log's key.
    pub note: Vec<u8>,
    pub at: DateTime<Utc>,
    /// Cosignature lines witnesses returned, to append to the note when serving it.
    pub cosignatures: Vec<String>,
}

/// Signs a checkpoint body for a tree of `size` entries and root `root`; the store calls it
/// inside the transaction that records the checkpoint.
pub type CheckpointSigner = dyn Fn(u64, &[u8; 32]) -> Result<Vec<u8>, String> + Send + Sync;

/// Rows that have no audit-log entry. Each write commits with its entries, so any such
/// row was added behind comity's back (or before the log existed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnloggedRows {
    pub events: u64,
    pub screenings: u64,
    pub parties: u64,
    pub journal: u64,
}

/// Which requests to list, and which page of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestQuery {
    pub state: Option<State>,
    pub authority: Option<PartyId>,
    /// Only requests this authority issued or validated.
    pub issuer: Option<PartyId>,
    pub provider: Option<PartyId>,
    /// Only requests this reviewer body is assigned to.
    pub reviewer: Option<PartyId>,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl RequestQuery {
    /// A page of every request, unfiltered.
    pub fn every(page: u32, per_page: u32) -> RequestQuery {
        RequestQuery {
            state: None,
            authority: None,
            issuer: None,
            provider: None,
            reviewer: None,
            page,
            per_page,
        }
    }
}

/// One page of requests, newest first, and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestPage {
    pub items: Vec<StoredRequest>,
    pub total: u64,
}

/// Where a person's inbox (issue 14) goes on from: the ordering key of the last request of
/// the page before. The inbox orders requests by their soonest running deadline, then
/// those with none; each group newest first among equals (`received_at`, then `id`, both
/// descending), so that the key is unique and a page starts exactly after the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxKey {
    /// The soonest running deadline; `None` for a request with none running.
    pub due: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub id: RequestId,
}

/// A request in a person's inbox, with the running deadline due first.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxItem {
    pub request: StoredRequest,
    /// The running deadline due first, if any runs.
    pub next: Option<Clock>,
}

impl InboxItem {
    /// This item's place in the inbox's order.
    pub fn key(&self) -> InboxKey {
        InboxKey {
            due: self.next.as_ref().map(|c| c.due),
            received_at: self.request.received_at,
            id: self.request.id,
        }
    }
}

/// A page of an inbox: at most the query's `per_page` items after the key asked, in the
/// inbox's order; whether more follow; and how many the query matches in all.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub more: bool,
    pub total: u64,
}

/// A client network's credential failures as every server of one database counts them
/// (issue 17): a leaky bucket kept as the instant it will have drained. Its level at `now`
/// is the time left to `drained_at` over the time one failure takes to drain; adding a
/// failure at `now` sets `drained_at` to the later of itself and `now`, plus that time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBucket {
    /// The client network, as `comity_app::network` names it (an IPv4 address, or an
    /// IPv6 /64).
    pub network: std::net::IpAddr,
    pub drained_at: DateTime<Utc>,
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
    /// The authority already submitted a request signed with this `jti`.
    #[error("a request signed with this jti was already received")]
    JtiTaken,
    /// A stored row no longer parses: the database was edited outside comity.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database is overloaded, unreachable or out of space for now (every connection
    /// busy, the server restarting, the disk full); nothing was written, and retrying later
    /// helps.
    #[error("the database is unavailable for now: {0}")]
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
    /// Succeeds when the database accepts writes: a write that changes nothing, run and
    /// committed as every write is. A read-only file, a role without the privilege or a
    /// read-only standby fails it, before a real write would.
    async fn check_writable(&self) -> Result<(), StoreError>;
    /// Finishes the writes under way and closes the database (SQLite then folds its
    /// write-ahead log back into the one file). Calls after it fail.
    async fn close(&self);

    /// Registers a party and returns its audit-log entry's index. Ids are unique across
    /// all three registers.
    async fn add_party(&self, party: &Party) -> Result<u64, StoreError>;
    /// Changes a party's row from `before` to `after` and appends `entry` (its
    /// `party.updated` fact) with its audit-log entry, atomically (issue 16, item 7). A
    /// compare-and-set: [`StoreError::Conflict`] if the row is no longer `before` (another
    /// change came first), and then nothing is written; [`StoreError::NotFound`] if there
    /// is no such party. Id, register and country never change.
    async fn update_party(
        &self,
        before: &Party,
        after: &Party,
        entry: &NewEntry,
    ) -> Result<JournalEntry, StoreError>;
    /// A party, as the registers answer (see [`Store::sync_registers`]).
    async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError>;
    /// The parties of one register, ordered by id, as the registers answer.
    async fn parties(&self, role: PartyRole) -> Result<Vec<Party>, StoreError>;
    /// Brings what the store keeps of the registers up to date with every write committed
    /// so far, by any process on the database: the registers' reads that follow
    /// ([`Store::party`], [`Store::parties`], [`Store::token`] and [`Store::journal`] of
    /// [`FactKind::REGISTER`](crate::FactKind::REGISTER) facts) answer as the database
    /// does now or later. A use case that decides on a key, a standing or a token calls
    /// this first; without it, the registers' answers may be up to a second old.
    async fn sync_registers(&self) -> Result<(), StoreError>;
    /// Forgets whatever the store keeps of the registers, so that the reads that follow
    /// see the rows as the database holds them, even rows edited outside comity (which
    /// change no version): what the log's verification checks.
    fn forget_registers(&self);

    /// Stores a request in [`State::Received`] with its first event, and its intake
    /// screening if any, each with its audit-log entry. Fails with
    /// [`StoreError::IdempotencyKeyTaken`] if its authority already used its key.
    async fn insert_request(&self, request: &NewRequest) -> Result<Intake, StoreError>;
    /// The request an authority submitted under an idempotency key, if any.
    async fn request_by_idempotency_key(
        &self,
        authority: &PartyId,
        key: &IdempotencyKey,
    ) -> Result<Option<StoredRequest>, StoreError>;
    /// The request an authority submitted signed with this `jti`, if any.
    async fn request_by_jti(&self, authority: &PartyId, jti: &str) -> Result<Option<RequestId>, StoreError>;
    async fn request(&self, id: RequestId) -> Result<Option<StoredRequest>, StoreError>;
    async fn list_requests(&self, query: &RequestQuery) -> Result<RequestPage, StoreError>;
    /// The requests `query` matches (its filters and `per_page`; its `page` is not read),
    /// soonest running deadline first, from just after `after` (see [`InboxKey`]): keyset
    /// pagination, so each page costs the same however deep, and a request moved meanwhile
    /// is neither skipped nor shown twice unless its own deadline moved.
    async fn inbox(&self, query: &RequestQuery, after: Option<&InboxKey>) -> Result<InboxPage, StoreError>;
    /// Applies a move and records its event and the event's audit-log entry, atomically.
    async fn apply_move(&self, m: &Move) -> Result<Event, StoreError>;
    /// The targets `authority` named at or after `since`, newest first, at most `limit`
    /// of them: the history the anti-bulk rule reads. Only the authority's own: another
    /// authority quoting the same case reference must learn nothing of these.
    async fn recent_targets(
        &self,
        authority: &PartyId,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<NamedTarget>, StoreError>;
    /// Keeps a screening. A request may be screened more than once (a pack changes, a
    /// clarification arrives); every screening is kept.
    /// Returns the screening's audit-log entry's index. `clocks` are the deadlines it
    /// sets, stored in its transaction.
    async fn record_screening(&self, screening: &Screening, clocks: &[ClockSet]) -> Result<u64, StoreError>;
    /// Records a clarification answered with an amended document (see [`Amendment`]);
    /// returns the move's event. A jti used before for the request is refused as
    /// [`StoreError::JtiTaken`].
    async fn amend(&self, amendment: &Amendment) -> Result<Event, StoreError>;
    /// Every version of a request's document, oldest first.
    async fn documents(&self, id: RequestId) -> Result<Vec<StoredDocument>, StoreError>;
    /// Gives the store the cipher it keeps request documents with from now on (issue 15).
    /// Without one (the store's own tests) documents are kept as they come.
    fn set_cipher(&self, cipher: std::sync::Arc<dyn DocumentCipher>);
    /// How a request's documents are kept, with the digest of what is stored.
    async fn at_rest(&self, id: RequestId) -> Result<AtRest, StoreError>;
    /// `plaintext` sealed under the request's documents' data key as the column `what`
    /// (`sealed:v1:` and base64), for a value a journal fact must not hold in the clear,
    /// such as a person's address; destroyed with the documents. As it came where the
    /// request's documents are kept in the clear; [`StoreError::Conflict`] once shredded.
    async fn seal_text(&self, id: RequestId, what: &str, plaintext: &str) -> Result<String, StoreError>;
    /// Opens what [`Store::seal_text`] sealed (a text not sealed is given back as it is);
    /// `None` once the request's documents are shredded.
    async fn open_text(&self, id: RequestId, what: &str, stored: &str) -> Result<Option<String>, StoreError>;
    /// Requests whose documents' key is still kept, in a state where nothing more is done
    /// with them (closed, withdrawn or rejected), whose last move is at or before `before`:
    /// those whose documents' retention has ended. A request whose notice to a person is
    /// still to be written, or whose recall is open (a running `nondisclosure_end` or
    /// `recall` clock), waits for it.
    async fn retention_ended(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<RequestId>, StoreError>;
    /// Seals up to `limit` requests' documents kept in the clear (written before documents
    /// were sealed, migration 0023), each under a new data key, and replaces the anti-bulk
    /// rule's targets kept in the clear by their keyed hashes. Returns the requests sealed;
    /// none without a cipher.
    async fn seal_in_clear(&self, limit: u32) -> Result<Vec<RequestId>, StoreError>;
    /// Destroys a request's documents' key and records why, in one transaction: the
    /// ciphertext stays (the rows are append-only) but nothing can open it any more.
    /// Returns the fact's audit-log index; a conflict if the key was already destroyed.
    async fn shred_documents(&self, id: RequestId, fact: &NewEntry) -> Result<u64, StoreError>;
    /// Records an act that does not move the request (see [`Act`]); returns its journal
    /// entries as written.
    async fn act(&self, act: &Act) -> Result<Vec<JournalEntry>, StoreError>;
    /// Takes or renews the lease `name` for `holder` until `until`, if nobody else holds it
    /// at `now`; whether `holder` holds it now.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Adds failures to client networks' buckets shared by every server (see
    /// [`FailureBucket`]): for each (network, count), in one statement that drains and adds,
    /// `drained_at = max(drained_at, now) + count × step`, where `step` is the time one
    /// failure takes to drain. Failures added by several servers at once all count. Returns
    /// each bucket as it is after, with what the other servers added.
    async fn add_failures(
        &self,
        failures: &[(std::net::IpAddr, u32)],
        step: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<FailureBucket>, StoreError>;
    /// The buckets not yet drained at `now`, fullest first, at most `limit`.
    async fn failure_buckets(&self, now: DateTime<Utc>, limit: u32)
    -> Result<Vec<FailureBucket>, StoreError>;
    /// Deletes the buckets drained at `now`; returns how many.
    async fn prune_failures(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Records that `server` is running at `now`, forgets the servers not seen since
    /// `live_since`, and returns how many servers were seen since then, this one included:
    /// the live servers of this database.
    async fn heartbeat(
        &self,
        server: &str,
        now: DateTime<Utc>,
        live_since: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Forgets `server`'s heartbeat: it is stopping, and the others count it out at once.
    async fn leave(&self, server: &str) -> Result<(), StoreError>;
    /// Keeps `value` under `name` if nothing is kept there yet, and returns what is kept:
    /// the first server of a database sets what every later one must match (its log's
    /// verifier key, a check sealed with its server key; issue 17).
    async fn claim(&self, name: &str, value: &str) -> Result<String, StoreError>;
    /// The running clocks due at or before `at`, soonest first, at most `limit`.
    async fn due_clocks(&self, at: DateTime<Utc>, limit: u32) -> Result<Vec<Clock>, StoreError>;
    /// The clocks whose passing was escalated and whose request is still unanswered.
    async fn overdue_clocks(&self) -> Result<Vec<Clock>, StoreError>;
    /// A request's clocks, running and closed, by due time.
    async fn clocks(&self, id: RequestId) -> Result<Vec<Clock>, StoreError>;
    /// A request's screenings, oldest first.
    async fn screenings(&self, id: RequestId) -> Result<Vec<Screening>, StoreError>;
    /// A request's events, oldest first.
    async fn events(&self, id: RequestId) -> Result<Vec<Event>, StoreError>;
    /// How many requests are in each state (states with none are left out).
    async fn count_by_state(&self) -> Result<Vec<(State, u64)>, StoreError>;
    /// How many requests each pack version judged, by pack and hash.
    async fn pack_use(&self) -> Result<Vec<PackUse>, StoreError>;

    // The audit log. Every write above appends its entries in its own transaction; the
    // tree is sequenced by one writer at a time (see `comity-store`).

    /// Logs a read of a request's personal data and returns the entry's index.
    async fn log_read(&self, read: &Read) -> Result<u64, StoreError>;
    /// The number of entries in the log.
    async fn log_size(&self) -> Result<u64, StoreError>;
    /// Up to `limit` entries from index `from`, in order.
    async fn log_records(&self, from: u64, limit: u32) -> Result<Vec<LogRecord>, StoreError>;
    /// A request's entries, in log order.
    async fn request_log(&self, id: RequestId) -> Result<Vec<LogRecord>, StoreError>;
    /// Stored tree hashes by stored-hash index (see `comity_log::hashes_needed`);
    /// [`StoreError::NotFound`] if any is not in the tree.
    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError>;
    /// If the log grew since the last checkpoint, appends a `log.checkpoint` entry and
    /// signs the tree that includes it, in one transaction; the log thereby records its own
    /// checkpoints, so a deleted one is missed. `None` if the log has not grown.
    async fn checkpoint(
        &self,
        sign: std::sync::Arc<CheckpointSigner>,
    ) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// The latest checkpoint, if any.
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    /// Up to `limit` checkpoints with `seq` greater than `after`, oldest first.
    async fn checkpoints(&self, after: u64, limit: u32) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// Keeps a witness's cosignature line of checkpoint `seq`.
    async fn add_cosignature(&self, seq: u64, line: &str) -> Result<(), StoreError>;
    /// How many events, screenings, parties and journal entries have no entry in the log.
    async fn unlogged_rows(&self) -> Result<UnloggedRows, StoreError>;

    // The trust registers (see `crate::trust`). Journal entries are append-only and each
    // has its audit-log entry, appended in the same transaction.

    /// Appends journal entries, atomically, and returns them with their sequence numbers
    /// and log indexes. A second registration of a key id, of a contact id within its
    /// authority, or of a reviewer to a request fails with [`StoreError::Conflict`], and
    /// then nothing is appended.
    async fn append_journal(&self, entries: &[NewEntry]) -> Result<Vec<JournalEntry>, StoreError>;
    /// Keeps a production's data key, sealed by the server key, with `entries` (its
    /// `production.sealed`), atomically (issue 15: packages encrypted at rest).
    /// [`StoreError::Conflict`] if the production has a key already, or if the store does
    /// not hold exactly `chunks` chunks of its package (issue 17: a package is never listed
    /// as sealed without all of its bytes; 0 for a package kept elsewhere).
    async fn keep_package_key(
        &self,
        production: &str,
        wrapped: &[u8],
        chunks: u32,
        entries: &[NewEntry],
    ) -> Result<Vec<JournalEntry>, StoreError>;
    /// Destroys a production's data key and its package's chunks with `entries` (its
    /// `production.shredded`), atomically: after it, nothing in the store opens the stored
    /// package, nor holds it. [`StoreError::Conflict`] if it has no key (destroyed already),
    /// and then nothing is appended, so a production is shredded once however many sweeps
    /// run.
    async fn destroy_package_key(
        &self,
        production: &str,
        entries: &[NewEntry],
    ) -> Result<Vec<JournalEntry>, StoreError>;
    /// A production's data key, sealed by the server key; `None` once destroyed.
    async fn package_key(&self, production: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// The productions that hold a data key, by id.
    async fn package_keys(&self) -> Result<Vec<String>, StoreError>;

    // comity's copies of sealed packages (issue 17): in the database, so that every server
    // of it serves every package, in chunks so that none is ever held whole in memory.

    /// Keeps chunk `seq` (from 0, one after the other) of a production's stored package,
    /// written at `at`. [`StoreError::Conflict`] if that chunk is kept already.
    async fn put_package_chunk(
        &self,
        production: &str,
        seq: u32,
        bytes: Vec<u8>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Chunk `seq` of a production's stored package; `None` past its last chunk, or for a
    /// package the store does not hold.
    async fn package_chunk(&self, production: &str, seq: u32) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes the chunks of a production that has no data key (a sealing that failed or
    /// was interrupted) and returns how many; a sealed production's chunks are never
    /// deleted this way, only with its key ([`Store::destroy_package_key`]).
    async fn drop_package_chunks(&self, production: &str) -> Result<u64, StoreError>;
    /// Every production whose package has chunks in the store, by id.
    async fn package_chunk_sets(&self) -> Result<Vec<PackageChunks>, StoreError>;

    /// Registers a provider's production key: its private half sealed by the server key
    /// (`sealed`), kept with `entry` (its `production_key.added` fact), atomically (issue
    /// 17). [`StoreError::Conflict`] if the provider has this key id already.
    async fn add_production_key(
        &self,
        provider: &PartyId,
        kid: &str,
        sealed: &[u8],
        entry: &NewEntry,
    ) -> Result<JournalEntry, StoreError>;
    /// The sealed private half of a provider's production key; `None` if the store has
    /// none (a key registered before issue 17 kept it in a file).
    async fn production_key(&self, provider: &PartyId, kid: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Journal entries matching `query`, oldest first; a query of register facts alone
    /// ([`JournalQuery::reads_a_register`]) as the registers answer.
    async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError>;
    /// An authority's track record.
    async fn authority_record(&self, authority: &PartyId) -> Result<AuthorityRecord, StoreError>;

    /// Creates an account and its `user.added` journal entry. [`StoreError::Conflict`] if
    /// the name is taken; [`StoreError::NotFound`] if its organisation is not registered.
    async fn add_user(&self, user: &UserRecord, entry: &NewEntry) -> Result<JournalEntry, StoreError>;
    async fn user(&self, username: &Username) -> Result<Option<UserRecord>, StoreError>;
    /// Every account, by name.
    async fn users(&self) -> Result<Vec<UserRecord>, StoreError>;
    /// Records that a TOTP code of time step `step` was used, if no code of that step or
    /// a later one was: `false` means the code was already used (a replay).
    async fn use_totp_step(&self, username: &Username, step: u64) -> Result<bool, StoreError>;
    /// Sets an account's password, ends every open session of the account but `keep`, and
    /// appends its `user.password_changed` journal entry, atomically (issue 12, finding 5).
    /// [`StoreError::NotFound`] if there is no such account.
    async fn change_password(
        &self,
        username: &Username,
        password_hash: &str,
        keep: Option<&[u8; 32]>,
        at: DateTime<Utc>,
        entry: &NewEntry,
    ) -> Result<JournalEntry, StoreError>;
    /// Disables an account and ends its sessions at once, with its `user.disabled` journal
    /// entry. [`StoreError::NotFound`] if there is no such account or it is disabled already.
    async fn disable_user(
        &self,
        username: &Username,
        at: DateTime<Utc>,
        entry: &NewEntry,
    ) -> Result<JournalEntry, StoreError>;

    /// Reserves an attempt to log in as `name` (any name, existing or not) from `client`
    /// (the client's network, as the caller names it) at `now`, before its password is
    /// checked. In one atomic statement: a pair that is locked at `now` is refused and
    /// nothing is counted; otherwise the attempt is counted and, past
    /// [`crate::trust::FREE_LOGIN_ATTEMPTS`], the pair is locked for
    /// [`crate::trust::login_lock_after`]. So however many attempts race, at most the free
    /// ones are granted before the lock (issue 12, finding 2). Attempts of a pair idle for
    /// [`crate::trust::LOGIN_ATTEMPTS_RESET_HOURS`] are forgotten.
    async fn reserve_login(
        &self,
        name: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<LoginSlot, StoreError>;
    /// Forgets the attempts of `name` from `client` after a successful login.
    async fn clear_login_attempts(&self, name: &str, client: &str) -> Result<(), StoreError>;

    async fn add_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    async fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError>;
    async fn end_session(&self, id_hash: &[u8; 32], at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Creates an API token and its `token.created` journal entry.
    async fn add_token(&self, token: &TokenRecord, entry: &NewEntry) -> Result<JournalEntry, StoreError>;
    async fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Every token, newest first.
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revokes a token and appends its `token.revoked` journal entry.
    /// [`StoreError::NotFound`] if there is no such token or it is already revoked. With
    /// `keep_an_admin`, an admin token that is its organisation's last admin credential
    /// unrevoked and unexpired at `at` (no other such admin token, no enabled admin
    /// account) is not revoked: [`StoreError::Conflict`]. The check and the revocation are
    /// one transaction that locks the organisation's row, so two revocations at once
    /// cannot each leave the other as the last (issue 12, finding 5).
    async fn revoke_token(
        &self,
        id: &str,
        at: DateTime<Utc>,
        entry: &NewEntry,
        keep_an_admin: bool,
    ) -> Result<JournalEntry, StoreError>;

    /// Creates a one-time verification link and its journal entry.
    async fn add_link(&self, link: &LinkRecord, entry: &NewEntry) -> Result<JournalEntry, StoreError>;
    async fn link(&self, secret_hash: &[u8; 32]) -> Result<Option<LinkRecord>, StoreError>;
    /// Marks a link used if it is unused and unexpired at `at`; `None` otherwise, so a link
    /// works once, however many times it is sent.
    async fn use_link(
        &self,
        secret_hash: &[u8; 32],
        at: DateTime<Utc>,
    ) -> Result<Option<LinkRecord>, StoreError>;

    // The outbox of notices to parties (issue 13, item 8): fed from the audit log in its
    // order, exactly once, and emptied by the delivery workers of every server.

    /// A journal entry by its sequence number.
    async fn journal_entry(&self, seq: u64) -> Result<Option<JournalEntry>, StoreError>;
    /// The index of the first audit-log entry not yet turned into notices.
    async fn notice_cursor(&self) -> Result<u64, StoreError>;
    /// In one transaction: if the cursor is still at `from`, writes `notices` (at most one
    /// per log entry and endpoint, however often the same entries are fed) and moves the
    /// cursor to `to`. [`StoreError::Conflict`] if another feeder moved it first, and then
    /// nothing is written. Returns how many notices were written.
    async fn feed_notices(&self, from: u64, to: u64, notices: &[NewNotice]) -> Result<u64, StoreError>;
    /// Takes up to `limit` pending notices due at `now` that no other worker holds, oldest
    /// first, and holds them until `lease_until`: of two workers (two servers on one
    /// database) only one takes a notice, and one that stopped midway gives it back when
    /// its lease ends.
    async fn take_notices(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Notice>, StoreError>;
    /// Records how an attempt ended, and lets go of the notice; a dead letter's journal
    /// entry is written in the same transaction and returned. [`StoreError::NotFound`] if
    /// no pending notice has this id.
    async fn record_notice(
        &self,
        id: u64,
        outcome: &NoticeOutcome,
    ) -> Result<Option<JournalEntry>, StoreError>;
    async fn notice(&self, id: u64) -> Result<Option<Notice>, StoreError>;
    /// Notices, newest first.
    async fn notices(&self, query: &NoticeQuery) -> Result<Vec<Notice>, StoreError>;
    /// Puts a dead notice back, due at `at` with its attempts counted from zero, and writes
    /// its `notice.retried` journal entry, atomically. [`StoreError::NotFound`] if no dead
    /// notice has this id.
    async fn retry_notice(
        &self,
        id: u64,
        at: DateTime<Utc>,
        entry: &NewEntry,
    ) -> Result<JournalEntry, StoreError>;
}

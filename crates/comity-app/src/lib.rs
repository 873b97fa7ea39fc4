//! comity's use cases: what the HTTP API and the command line both do, written once.
//!
//! Every use case takes a typed command and answers with domain values or an [`Error`]
//! that carries no HTTP: `comity-server` turns it into a status and the one JSON error
//! shape, the command line into a message naming the flag at fault. Neither transport
//! calls the other; both call [`App`].
//!
//! Every use case names who acts. An authenticated [`Caller`] is asked of the access
//! policy (`policies/access.cedar`) before anything is read or written; the operator at
//! the command line acts through [`App::operator`], and the demo seeder through its own
//! module, each under an actor of its own, so no check is ever skipped by leaving an
//! argument out.
//!
//! ```no_run
//! # async fn demo(store: std::sync::Arc<dyn comity_core::Store>) -> comity_app::Result<()> {
//! use comity_app::{App, Settings};
//!
//! let packs = comity_policy::PackSet::builtin().expect("the built-in packs load");
//! let app = App::new(store, packs, Settings::new(comity_auth::seal::ServerKey::generate()));
//! // What a crash left unscreened is screened before anything is served.
//! let resumed = app.resume_screenings().await?;
//! # let _ = resumed;
//! # Ok(()) }
//! ```
//!
//! # Design
//!
//! The crate does I/O only through the [`comity_core::Store`] trait and, for productions
//! and the data directory, the file system. It reads and writes comity's formats (the
//! request document, screening reports) with `comity-wire`, and knows nothing of the
//! API's bodies: the transports convert those to the commands here.

mod access;
mod accounts;
mod amendments;
mod assignments;
pub mod at_rest;
mod caller;
mod client;
pub mod clocks;
pub mod conflicts;
pub mod data_dir;
mod demo;
mod enrolment;
mod error;
pub mod evaluation;
pub mod failures;
pub mod further_use;
mod hashing;
mod inbox;
mod intake;
mod log;
pub mod notices;
mod operator;
mod packs;
pub mod person_notices;
pub mod privacy;
pub mod production;
mod registers;
pub mod remedies;
mod representatives;
mod requests;
mod review;
pub mod routing;
mod sample;
mod screening;
mod sessions;
mod signed;
mod standing;
pub mod statistics;
pub mod transparency;
mod verification;

use std::sync::Arc;

use comity_core::Store;
use comity_policy::PackSet;

pub use accounts::{
    Accounts, CreatedToken, CreatedUser, NewToken, NewUser, TOTP_ISSUER, parse_lifetime, totp_aad,
};
pub use amendments::{Clarification, QuestionState};
pub use assignments::OpenObjection;
pub use caller::Caller;
pub use client::{Client, OnRefusal, network};
pub use comity_policy::{PackHistory, PackVersion};
pub use data_dir::{DataDir, DataDirError};
pub use demo::{CREDENTIALS_FILE, DEMO_DIR, Seeded};
pub use enrolment::{ENROLMENT_MINUTES, Enrolment};
pub use error::{Error, Result, SIGN_IN_FIRST, a};
pub use failures::{FailureBudget, Reservation};
pub use hashing::{DEFAULT_QUEUE_PER_CLIENT, HashingSettings};
pub use inbox::{DecisionOptions, Inbox, InboxItem, Offers};
pub use intake::Accepted;
pub use log::{Tile, served};
pub use notices::{Delivery, NewEndpoint, NoticeSettings, Notifier};
pub use operator::Operator;
pub use packs::{PackComparison, PackText};
pub use person_notices::{NoticeDecision, NoticeRecipient, NoticeText, PersonNotice};
pub use production::{
    Download, ExportError, MAX_LINE_BYTES, Options, Phase, Producing, Productions, Progress, RECORDS_FILE,
    key_path, no_progress,
};
pub use registers::{KeyView, NewContact, NewKey, Registered, Registers, Revocation, production_key_aad};
pub use representatives::{AppealSeen, DecisionSeen, DecisionView, NewRepresentative, commitment};
pub use requests::{Listing, QuestionAsked, RequestLog, RequestView, ScopeAsked, Transition};
pub use sample::{AuditSample, Drawn};
pub use screening::DryRun;
pub use sessions::{Login, Opened, PasswordChange, SESSION_HOURS};
pub use standing::{ContactChanges, NewSuspension, PartyChanges, PartyRecord};
pub use verification::{IssuedLink, LinkView, Mailed};

/// What the use cases are configured with beyond the store and the packs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seals and opens TOTP secrets; every server of one database needs the same key.
    pub server_key: comity_auth::seal::ServerKey,
    /// The time limits of signed submissions (15 minutes of life, 60 s of clock skew).
    pub jws: comity_auth::jws::Limits,
    /// Where productions keep their packages and find the providers' production keys
    /// (the data directory); without it, productions are unavailable.
    pub productions: Option<Productions>,
    /// How many password hashes run at once, and how many one client may have waiting.
    pub hashing: HashingSettings,
    /// How one-time verification links reach their contacts by e-mail (`--smtp`); without
    /// it a link is handed to the provider's legal team to pass on.
    pub link_mail: Option<LinkMail>,
    /// The server's URL as parties reach it (`--public-url`), without a trailing `/`: the
    /// address that links a page hands out are built on. Without it, each page builds them
    /// on the address its browser reached the server at.
    pub public_url: Option<String>,
    /// The log's signing key, which also signs comity's statements to parties (its answers
    /// to asks for further use); without it they are kept and shown, but not signed.
    pub log_key: Option<comity_log::LogKey>,
    /// How long after a production's retention date the receiving authority has to attest
    /// that it disposed of the data, before it is escalated and counted (issue 15).
    pub disposal_grace: chrono::Duration,
    /// How long a request's documents are kept after its last move into a state where
    /// nothing more is done with it (closed, withdrawn, rejected); then their key is
    /// destroyed (issue 15). A year by default: long enough for an appeal or a complaint
    /// about how the request was handled, no longer than the request needs.
    pub document_retention: chrono::Duration,
    /// How long the authority has, from a recall, to attest that it deleted the data a
    /// remedy case recalled, before it is escalated and counted (issue 15, item 4).
    pub recall_within: chrono::Duration,
    /// A transparency report's breakdown cell with fewer requests than this is published
    /// as suppressed (`--suppress-below`; 1, the default, suppresses none).
    pub suppress_below: u64,
    /// What each request's privacy loss is held to across the differential-privacy
    /// releases that count it (`--privacy-budget`; ε = 1 by default, see
    /// `comity_core::privacy`).
    pub privacy_budget: comity_core::privacy::Epsilon,
}

/// The default time after the retention date for the authority's attestation of disposal.
pub const DISPOSAL_GRACE_DAYS: i64 = 7;

/// The default of [`Settings::document_retention`], in days.
pub const DOCUMENT_RETENTION_DAYS: i64 = 365;

/// The default of [`Settings::recall_within`], in days. No instrument sets a number: a week
/// is comity's choice, as for the attestation of disposal.
pub const RECALL_DAYS: i64 = 7;

/// The mailer one-time links go out through, and the server's URL they open at.
#[derive(Debug, Clone)]
pub struct LinkMail {
    pub mailer: Arc<comity_notify::Mailer>,
    /// The server's URL as parties reach it (`--public-url`), without a trailing `/`.
    pub public_url: String,
}

impl Settings {
    /// Default limits, with this server key.
    pub fn new(server_key: comity_auth::seal::ServerKey) -> Self {
        Settings {
            server_key,
            jws: comity_auth::jws::Limits::default(),
            productions: None,
            hashing: HashingSettings::from_machine(),
            public_url: None,
            log_key: None,
            link_mail: None,
            disposal_grace: chrono::Duration::days(DISPOSAL_GRACE_DAYS),
            document_retention: chrono::Duration::days(DOCUMENT_RETENTION_DAYS),
            recall_within: chrono::Duration::days(RECALL_DAYS),
            suppress_below: 1,
            privacy_budget: comity_core::privacy::DEFAULT_BUDGET,
        }
    }
}

/// comity's use cases over one store. Cloning is cheap and shares everything.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    packs: PackSet,
    settings: Settings,
    access: &'static comity_access::Access,
    /// Password hashes, on a bounded pool fair between clients (see `hashing`).
    hashing: hashing::HashPool,
    productions: Option<Productions>,
    /// Access decisions made (see `App::access_decisions`).
    decisions: std::sync::atomic::AtomicU64,
    /// Request documents at rest (see `at_rest`), the store's too.
    cipher: Arc<dyn comity_core::DocumentCipher>,
    /// The transparency reports' tally of the log so far (see `transparency`): the log
    /// only grows, so each report reads only the entries since the last.
    tally: tokio::sync::Mutex<comity_core::transparency::Tally>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, packs: PackSet, settings: Settings) -> App {
        let productions = settings.productions.clone();
        let hashing = hashing::HashPool::new(settings.hashing);
        // Every App seals what it stores: request documents under a data key per request,
        // wrapped with the server key (issue 15).
        let cipher: Arc<dyn comity_core::DocumentCipher> =
            Arc::new(at_rest::Envelope::local(&settings.server_key));
        store.set_cipher(cipher.clone());
        App {
            inner: Arc::new(Inner {
                store,
                packs,
                settings,
                access: comity_access::Access::builtin(),
                hashing,
                productions,
                decisions: std::sync::atomic::AtomicU64::new(0),
                cipher,
                tally: tokio::sync::Mutex::new(comity_core::transparency::Tally::new()),
            }),
        }
    }

    /// The store, for what only reads it (the log's tiles, health checks).
    pub fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// The store, shared (for tasks that outlive a call, such as the checkpointer).
    pub fn shared_store(&self) -> Arc<dyn Store> {
        self.inner.store.clone()
    }

    /// The policy packs requests are screened with.
    pub fn packs(&self) -> &PackSet {
        &self.inner.packs
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Password checks run since start, and password hashes waiting for a worker now: what
    /// `/metrics` shows as `comity_password_checks_total` and `comity_password_hashes_waiting`.
    pub fn password_hashing(&self) -> (u64, usize) {
        (self.inner.hashing.checks(), self.inner.hashing.waiting())
    }

    /// Whether this process can serve: its database answers, and accepts writes (a
    /// read-only database would otherwise answer reads and fail the first write). `Err`
    /// says which, for an operator; the cause is logged.
    pub async fn readiness(&self) -> std::result::Result<(), &'static str> {
        if let Err(e) = self.store().ping().await {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            return Err("the database does not answer");
        }
        if let Err(e) = self.store().check_writable().await {
            tracing::warn!(error = %e, "readiness: the database does not accept writes");
            return Err("the database does not accept writes");
        }
        Ok(())
    }
}

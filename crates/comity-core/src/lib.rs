//! The comity domain: requests, selectors, parties and the lifecycle state machine.
//!
//! This crate does no I/O. Everything from outside (documents, ids, countries) is parsed
//! once into the types here, and from then on the type system carries the guarantee:
//! a [`Request`] has a valid country, at least one target and a window that ends after
//! it starts; a [`State`] only changes through [`lifecycle::check`].
//!
//! ```
//! use comity_core::{lifecycle, RequestKind, State};
//!
//! assert!(lifecycle::check(RequestKind::Production, State::UnderReview, State::Approved).is_ok());
//! let refused = lifecycle::check(RequestKind::Production, State::Received, State::Producing);
//! assert!(refused.is_err());
//! ```
//!
//! Storage is the [`Store`] trait; `comity-store` implements it for SQLite and
//! PostgreSQL, so nothing here knows which database is behind it.

pub mod clock;
mod country;
pub mod evaluation;
mod id;
pub mod identity;
pub mod journal;
pub mod lifecycle;
pub mod notice;
mod party;
pub mod privacy;
pub mod production;
mod request;
mod selector;
pub mod standing;
pub mod store;
pub mod transparency;
pub mod trust;
mod vocabulary;

pub use clock::{Clock, ClockClose, ClockKind, ClockOutcome, ClockSet};
pub use country::{CountryCode, CountryError};
pub use id::{
    ActorId, ActorIdError, IdempotencyKey, IdempotencyKeyError, PartyId, PartyIdError, RequestId,
    RequestIdError,
};
pub use identity::{Credential, KeyId, KeyIdError, Principal, Role, Username, UsernameError};
pub use journal::{
    Columns, Fact, FactKind, JournalEntry, JournalQuery, NewEntry, PersonNoticeChannel, PersonNoticeStatus,
    RemedyGround,
};
pub use lifecycle::{IllegalTransition, State};
pub use notice::{
    Channel, Endpoint, NewNotice, Notice, NoticeEvent, NoticeOutcome, NoticeQuery, NoticeStatus, NoticeWhat,
};
pub use party::{Authority, NameError, Organisation, PartyRole, Provider, ReviewerBody, check_name};
pub use request::{
    Addressee, Issuing, Nondisclosure, Offence, Request, Target, TimeWindow, TimeWindowError, Validation,
};
pub use selector::{Selector, SelectorError, SelectorType, normalize};
pub use standing::{Barred, Decided, Privilege, Standing, StandingChange, Suspension, Use};
pub use store::{
    Act, Amendment, AtRest, CheckpointSigner, DocumentCipher, Event, FailureBucket, InboxItem, InboxKey,
    InboxPage, Intake, IntakeScreening, LogRecord, LogSubject, Move, NamedTarget, NewRequest, PackUse,
    PackageChunks, Party, Read, ReadOf, RequestPage, RequestQuery, Screening, Store, StoreError,
    StoredCheckpoint, StoredDocument, StoredRequest, UnloggedRows,
};
pub use trust::{
    AuthorityKey, AuthorityRecord, Contact, KeyChange, KeyUnusable, LinkRecord, LoginSlot, SessionRecord,
    TokenRecord, UserRecord,
};
pub use vocabulary::{
    AuthorityType, DataCategory, Instrument, ListedOffence, ProtectedRole, Purpose, RequestKind,
    ReviewerKind, Vocabulary,
};

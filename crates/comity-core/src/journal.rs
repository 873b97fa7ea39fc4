//! The facts of the trust registers and of productions, as the journal keeps them: one
//! variant of [`Fact`] per kind, each with its own content, parsed once where it is read
//! from the store.
//!
//! A fact is stored as canonical JSON (its shape is `comity-wire`'s `journal` module),
//! and its audit-log entry commits to exactly those bytes; [`JournalEntry::content`]
//! keeps them as read, so a check against the log never depends on writing them again.

use chrono::{DateTime, Utc};

use crate::notice::{Channel, Endpoint};
use crate::{
    ActorId, AuthorityType, ClockKind, ClockOutcome, Contact, CountryCode, DataCategory, KeyId, Party,
    PartyId, Privilege, RequestId, ReviewerKind, Role, Selector, State, Username,
};

/// What kind of fact: its name is also the audit-log entry's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactKind {
    KeyAdded,
    KeyRetired,
    KeyRevoked,
    ContactAdded,
    ReviewerAssigned,
    UserAdded,
    UserDisabled,
    TokenCreated,
    TokenRevoked,
    LinkIssued,
    AuthRefused,
    DecisionScope,
    RecipientAdded,
    ProductionKeyAdded,
    ProductionStarted,
    ProductionSealed,
    ProductionFailed,
    ProductionDownloaded,
    ProductionAcknowledged,
    PasswordChanged,
    ClockExpired,
    PreservationExtended,
    ReviewerObjected,
    ReviewerUnassigned,
    GroundsRaised,
    DecisionReasoned,
    AppealLodged,
    EndpointAdded,
    EndpointRemoved,
    NoticeDead,
    NoticeRetried,
    ConflictObjected,
    ConflictDecided,
    ClarificationAsked,
    LinkMailed,
    RepresentativeRegistered,
    FurtherUseAsked,
    FurtherUseDecided,
    FurtherUseRecorded,
    ProductionShredded,
    DisposalAttested,
    PersonNoticeRecipient,
    PersonNoticeDecided,
    PersonNoticeSent,
    PersonNoticeDelivered,
    DocumentsShredded,
    RemedyOpened,
    RemedyCorrection,
    RemedyRecallMet,
    RemedyPersonTold,
    RequestClassified,
    PartyUpdated,
    PartyDeactivated,
    PartyReactivated,
    PartySuspended,
    SuspensionLifted,
    ContactUpdated,
    ContactRemoved,
    PackAdopted,
    TransparencyReleased,
    EvaluationRecorded,
}

impl FactKind {
    /// Every kind, in the order they were introduced.
    pub const ALL: [FactKind; 61] = [
        FactKind::KeyAdded,
        FactKind::KeyRetired,
        FactKind::KeyRevoked,
        FactKind::ContactAdded,
        FactKind::ReviewerAssigned,
        FactKind::UserAdded,
        FactKind::UserDisabled,
        FactKind::TokenCreated,
        FactKind::TokenRevoked,
        FactKind::LinkIssued,
        FactKind::AuthRefused,
        FactKind::DecisionScope,
        FactKind::RecipientAdded,
        FactKind::ProductionKeyAdded,
        FactKind::ProductionStarted,
        FactKind::ProductionSealed,
        FactKind::ProductionFailed,
        FactKind::ProductionDownloaded,
        FactKind::ProductionAcknowledged,
        FactKind::PasswordChanged,
        FactKind::ClockExpired,
        FactKind::PreservationExtended,
        FactKind::ReviewerObjected,
        FactKind::ReviewerUnassigned,
        FactKind::GroundsRaised,
        FactKind::DecisionReasoned,
        FactKind::AppealLodged,
        FactKind::EndpointAdded,
        FactKind::EndpointRemoved,
        FactKind::NoticeDead,
        FactKind::NoticeRetried,
        FactKind::ConflictObjected,
        FactKind::ConflictDecided,
        FactKind::ClarificationAsked,
        FactKind::LinkMailed,
        FactKind::RepresentativeRegistered,
        FactKind::FurtherUseAsked,
        FactKind::FurtherUseDecided,
        FactKind::FurtherUseRecorded,
        FactKind::ProductionShredded,
        FactKind::DisposalAttested,
        FactKind::PersonNoticeRecipient,
        FactKind::PersonNoticeDecided,
        FactKind::PersonNoticeSent,
        FactKind::PersonNoticeDelivered,
        FactKind::DocumentsShredded,
        FactKind::RemedyOpened,
        FactKind::RemedyCorrection,
        FactKind::RemedyRecallMet,
        FactKind::RemedyPersonTold,
        FactKind::RequestClassified,
        FactKind::PartyUpdated,
        FactKind::PartyDeactivated,
        FactKind::PartyReactivated,
        FactKind::PartySuspended,
        FactKind::SuspensionLifted,
        FactKind::ContactUpdated,
        FactKind::ContactRemoved,
        FactKind::PackAdopted,
        FactKind::TransparencyReleased,
        FactKind::EvaluationRecorded,
    ];

    /// The kinds of a party's history in its register (issue 16, item 7): its details
    /// changed, and its standing.
    pub const PARTY: [FactKind; 5] = [
        FactKind::PartyUpdated,
        FactKind::PartyDeactivated,
        FactKind::PartyReactivated,
        FactKind::PartySuspended,
        FactKind::SuspensionLifted,
    ];

    /// The kinds a party's standing is folded from (see [`crate::Standing`]).
    pub const STANDING: [FactKind; 4] = [
        FactKind::PartyDeactivated,
        FactKind::PartyReactivated,
        FactKind::PartySuspended,
        FactKind::SuspensionLifted,
    ];

    /// The kinds of an authority's contacts' history.
    pub const CONTACT: [FactKind; 3] =
        [FactKind::ContactAdded, FactKind::ContactUpdated, FactKind::ContactRemoved];

    /// The kinds of a notice to a person concerned (issue 15, item 1).
    pub const PERSON_NOTICE: [FactKind; 4] = [
        FactKind::PersonNoticeRecipient,
        FactKind::PersonNoticeDecided,
        FactKind::PersonNoticeSent,
        FactKind::PersonNoticeDelivered,
    ];

    /// The kinds of a remedy case's history (issue 15, item 4).
    pub const REMEDY: [FactKind; 4] = [
        FactKind::RemedyOpened,
        FactKind::RemedyCorrection,
        FactKind::RemedyRecallMet,
        FactKind::RemedyPersonTold,
    ];

    /// The kinds of a party's notice endpoints' history.
    pub const ENDPOINT: [FactKind; 2] = [FactKind::EndpointAdded, FactKind::EndpointRemoved];

    /// The kinds of a key's history.
    pub const KEY: [FactKind; 3] = [FactKind::KeyAdded, FactKind::KeyRetired, FactKind::KeyRevoked];

    /// The kinds that change what the registers answer: a party's details and standing, an
    /// authority's keys, contacts and age recipients, a provider's production keys, a
    /// party's notice endpoints. A store may keep what it read of these (issue 17) and
    /// must count every write of one in the registers' version.
    pub const REGISTER: [FactKind; 15] = [
        FactKind::KeyAdded,
        FactKind::KeyRetired,
        FactKind::KeyRevoked,
        FactKind::PartyUpdated,
        FactKind::PartyDeactivated,
        FactKind::PartyReactivated,
        FactKind::PartySuspended,
        FactKind::SuspensionLifted,
        FactKind::ContactAdded,
        FactKind::ContactUpdated,
        FactKind::ContactRemoved,
        FactKind::EndpointAdded,
        FactKind::EndpointRemoved,
        FactKind::RecipientAdded,
        FactKind::ProductionKeyAdded,
    ];

    /// One of [`FactKind::REGISTER`].
    pub fn is_register(self) -> bool {
        FactKind::REGISTER.contains(&self)
    }

    /// Every kind of a production's chain of custody, in the order they happen.
    pub const PRODUCTION: [FactKind; 7] = [
        FactKind::ProductionStarted,
        FactKind::ProductionSealed,
        FactKind::ProductionFailed,
        FactKind::ProductionDownloaded,
        FactKind::ProductionAcknowledged,
        FactKind::ProductionShredded,
        FactKind::DisposalAttested,
    ];

    /// The dotted name, such as `key.added`.
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::KeyAdded => "key.added",
            FactKind::KeyRetired => "key.retired",
            FactKind::KeyRevoked => "key.revoked",
            FactKind::ContactAdded => "contact.added",
            FactKind::ReviewerAssigned => "reviewer.assigned",
            FactKind::UserAdded => "user.added",
            FactKind::UserDisabled => "user.disabled",
            FactKind::TokenCreated => "token.created",
            FactKind::TokenRevoked => "token.revoked",
            FactKind::LinkIssued => "verification.link_issued",
            FactKind::AuthRefused => "auth.refused",
            FactKind::DecisionScope => "decision.scope",
            FactKind::RecipientAdded => "recipient.added",
            FactKind::ProductionKeyAdded => "production_key.added",
            FactKind::ProductionStarted => "production.started",
            FactKind::ProductionSealed => "production.sealed",
            FactKind::ProductionFailed => "production.failed",
            FactKind::ProductionDownloaded => "production.downloaded",
            FactKind::ProductionAcknowledged => "production.acknowledged",
            FactKind::PasswordChanged => "user.password_changed",
            FactKind::ClockExpired => "clock.expired",
            FactKind::PreservationExtended => "preservation.extended",
            FactKind::ReviewerObjected => "reviewer.objected",
            FactKind::ReviewerUnassigned => "reviewer.unassigned",
            FactKind::GroundsRaised => "grounds.raised",
            FactKind::DecisionReasoned => "decision.reasoned",
            FactKind::AppealLodged => "appeal.lodged",
            FactKind::EndpointAdded => "endpoint.added",
            FactKind::EndpointRemoved => "endpoint.removed",
            FactKind::NoticeDead => "notice.dead",
            FactKind::NoticeRetried => "notice.retried",
            FactKind::ConflictObjected => "conflict.objected",
            FactKind::ConflictDecided => "conflict.decided",
            FactKind::ClarificationAsked => "clarification.asked",
            FactKind::LinkMailed => "verification.link_mailed",
            FactKind::RepresentativeRegistered => "representative.registered",
            FactKind::FurtherUseAsked => "further_use.asked",
            FactKind::FurtherUseDecided => "further_use.decided",
            FactKind::FurtherUseRecorded => "further_use.recorded",
            FactKind::ProductionShredded => "production.shredded",
            FactKind::DisposalAttested => "production.disposal_attested",
            FactKind::PersonNoticeRecipient => "person_notice.recipient",
            FactKind::PersonNoticeDecided => "person_notice.decided",
            FactKind::PersonNoticeSent => "person_notice.sent",
            FactKind::PersonNoticeDelivered => "person_notice.delivered",
            FactKind::DocumentsShredded => "documents.shredded",
            FactKind::RemedyOpened => "remedy.opened",
            FactKind::RemedyCorrection => "remedy.correction",
            FactKind::RemedyRecallMet => "remedy.recall_met",
            FactKind::RemedyPersonTold => "remedy.person_told",
            FactKind::RequestClassified => "request.classified",
            FactKind::PartyUpdated => "party.updated",
            FactKind::PartyDeactivated => "party.deactivated",
            FactKind::PartyReactivated => "party.reactivated",
            FactKind::PartySuspended => "party.suspended",
            FactKind::SuspensionLifted => "party.suspension_lifted",
            FactKind::ContactUpdated => "contact.updated",
            FactKind::ContactRemoved => "contact.removed",
            FactKind::PackAdopted => "pack.adopted",
            FactKind::TransparencyReleased => "transparency.released",
            FactKind::EvaluationRecorded => "evaluation.recorded",
        }
    }

    pub fn parse(s: &str) -> Option<FactKind> {
        FactKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for FactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fact, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    KeyAdded(KeyAdded),
    KeyRetired(KeyRetired),
    KeyRevoked(KeyRevoked),
    /// A contact registered for an authority.
    ContactAdded(Contact),
    ReviewerAssigned(ReviewerAssigned),
    UserAdded(UserAdded),
    UserDisabled(UserDisabled),
    TokenCreated(TokenCreated),
    TokenRevoked(TokenRevoked),
    LinkIssued(LinkIssued),
    AuthRefused(AuthRefused),
    DecisionScope(DecisionScope),
    RecipientAdded(RecipientAdded),
    ProductionKeyAdded(ProductionKeyAdded),
    ProductionStarted(ProductionStarted),
    ProductionSealed(ProductionSealed),
    ProductionFailed(ProductionFailed),
    ProductionDownloaded(ProductionDownloaded),
    ProductionAcknowledged(ProductionAcknowledged),
    PasswordChanged(PasswordChanged),
    ClockExpired(ClockExpired),
    PreservationExtended(PreservationExtended),
    ReviewerObjected(ReviewerObjected),
    ReviewerUnassigned(ReviewerUnassigned),
    GroundsRaised(GroundsRaised),
    DecisionReasoned(DecisionReasoned),
    AppealLodged(AppealLodged),
    /// A place a party's notices go, registered.
    EndpointAdded(Endpoint),
    /// A place a party's notices go, taken away.
    EndpointRemoved(Endpoint),
    NoticeDead(NoticeDead),
    NoticeRetried(NoticeRetried),
    ConflictObjected(ConflictObjected),
    ConflictDecided(ConflictDecided),
    ClarificationAsked(ClarificationAsked),
    LinkMailed(LinkMailed),
    RepresentativeRegistered(RepresentativeRegistered),
    FurtherUseAsked(FurtherUseAsked),
    FurtherUseDecided(FurtherUseDecided),
    FurtherUseRecorded(FurtherUseRecorded),
    ProductionShredded(ProductionShredded),
    DisposalAttested(DisposalAttested),
    PersonNoticeRecipient(PersonNoticeRecipient),
    PersonNoticeDecided(PersonNoticeDecided),
    PersonNoticeSent(PersonNoticeSent),
    PersonNoticeDelivered(PersonNoticeDelivered),
    DocumentsShredded(DocumentsShredded),
    RemedyOpened(RemedyOpened),
    RemedyCorrection(RemedyCorrection),
    RemedyRecallMet(RemedyRecallMet),
    RemedyPersonTold(RemedyPersonTold),
    RequestClassified(RequestClassified),
    PartyUpdated(PartyUpdated),
    PartyDeactivated(PartyStatusChange),
    PartyReactivated(PartyStatusChange),
    PartySuspended(PartySuspended),
    SuspensionLifted(SuspensionLifted),
    ContactUpdated(ContactUpdated),
    ContactRemoved(ContactRemoved),
    PackAdopted(PackAdopted),
    TransparencyReleased(TransparencyReleased),
    EvaluationRecorded(EvaluationRecorded),
}

impl Fact {
    pub fn kind(&self) -> FactKind {
        match self {
            Fact::KeyAdded(_) => FactKind::KeyAdded,
            Fact::KeyRetired(_) => FactKind::KeyRetired,
            Fact::KeyRevoked(_) => FactKind::KeyRevoked,
            Fact::ContactAdded(_) => FactKind::ContactAdded,
            Fact::ReviewerAssigned(_) => FactKind::ReviewerAssigned,
            Fact::UserAdded(_) => FactKind::UserAdded,
            Fact::UserDisabled(_) => FactKind::UserDisabled,
            Fact::TokenCreated(_) => FactKind::TokenCreated,
            Fact::TokenRevoked(_) => FactKind::TokenRevoked,
            Fact::LinkIssued(_) => FactKind::LinkIssued,
            Fact::AuthRefused(_) => FactKind::AuthRefused,
            Fact::DecisionScope(_) => FactKind::DecisionScope,
            Fact::RecipientAdded(_) => FactKind::RecipientAdded,
            Fact::ProductionKeyAdded(_) => FactKind::ProductionKeyAdded,
            Fact::ProductionStarted(_) => FactKind::ProductionStarted,
            Fact::ProductionSealed(_) => FactKind::ProductionSealed,
            Fact::ProductionFailed(_) => FactKind::ProductionFailed,
            Fact::ProductionDownloaded(_) => FactKind::ProductionDownloaded,
            Fact::ProductionAcknowledged(_) => FactKind::ProductionAcknowledged,
            Fact::PasswordChanged(_) => FactKind::PasswordChanged,
            Fact::ClockExpired(_) => FactKind::ClockExpired,
            Fact::PreservationExtended(_) => FactKind::PreservationExtended,
            Fact::ReviewerObjected(_) => FactKind::ReviewerObjected,
            Fact::ReviewerUnassigned(_) => FactKind::ReviewerUnassigned,
            Fact::GroundsRaised(_) => FactKind::GroundsRaised,
            Fact::DecisionReasoned(_) => FactKind::DecisionReasoned,
            Fact::AppealLodged(_) => FactKind::AppealLodged,
            Fact::EndpointAdded(_) => FactKind::EndpointAdded,
            Fact::EndpointRemoved(_) => FactKind::EndpointRemoved,
            Fact::NoticeDead(_) => FactKind::NoticeDead,
            Fact::NoticeRetried(_) => FactKind::NoticeRetried,
            Fact::ConflictObjected(_) => FactKind::ConflictObjected,
            Fact::ConflictDecided(_) => FactKind::ConflictDecided,
            Fact::ClarificationAsked(_) => FactKind::ClarificationAsked,
            Fact::LinkMailed(_) => FactKind::LinkMailed,
            Fact::RepresentativeRegistered(_) => FactKind::RepresentativeRegistered,
            Fact::FurtherUseAsked(_) => FactKind::FurtherUseAsked,
            Fact::FurtherUseDecided(_) => FactKind::FurtherUseDecided,
            Fact::FurtherUseRecorded(_) => FactKind::FurtherUseRecorded,
            Fact::ProductionShredded(_) => FactKind::ProductionShredded,
            Fact::DisposalAttested(_) => FactKind::DisposalAttested,
            Fact::PersonNoticeRecipient(_) => FactKind::PersonNoticeRecipient,
            Fact::PersonNoticeDecided(_) => FactKind::PersonNoticeDecided,
            Fact::PersonNoticeSent(_) => FactKind::PersonNoticeSent,
            Fact::PersonNoticeDelivered(_) => FactKind::PersonNoticeDelivered,
            Fact::DocumentsShredded(_) => FactKind::DocumentsShredded,
            Fact::RemedyOpened(_) => FactKind::RemedyOpened,
            Fact::RemedyCorrection(_) => FactKind::RemedyCorrection,
            Fact::RemedyRecallMet(_) => FactKind::RemedyRecallMet,
            Fact::RemedyPersonTold(_) => FactKind::RemedyPersonTold,
            Fact::RequestClassified(_) => FactKind::RequestClassified,
            Fact::PartyUpdated(_) => FactKind::PartyUpdated,
            Fact::PartyDeactivated(_) => FactKind::PartyDeactivated,
            Fact::PartyReactivated(_) => FactKind::PartyReactivated,
            Fact::PartySuspended(_) => FactKind::PartySuspended,
            Fact::SuspensionLifted(_) => FactKind::SuspensionLifted,
            Fact::ContactUpdated(_) => FactKind::ContactUpdated,
            Fact::ContactRemoved(_) => FactKind::ContactRemoved,
            Fact::PackAdopted(_) => FactKind::PackAdopted,
            Fact::TransparencyReleased(_) => FactKind::TransparencyReleased,
            Fact::EvaluationRecorded(_) => FactKind::EvaluationRecorded,
        }
    }
}

/// What a journal row keeps beside its fact, for queries, as the fact itself says it must
/// be; `None` where the fact does not say (a decision's provider is its request's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub party: Option<PartyId>,
    pub subject: Option<String>,
    pub request: Option<RequestId>,
}

impl Fact {
    /// The columns its row must keep: a row whose columns disagree with its fact was edited
    /// outside comity, and would send a query (a key's history, an authority's contacts, a
    /// request's reviewers) to the wrong facts.
    pub fn columns(&self) -> Columns {
        let of = |party: &PartyId, subject: String| Columns {
            party: Some(party.clone()),
            subject: Some(subject),
            request: None,
        };
        let subject = |subject: &str| Columns { subject: Some(subject.to_owned()), ..Columns::default() };
        // A notice to a person concerned is named by its target's place in the request.
        let notice_of = |request: RequestId, target: u32| Columns {
            subject: Some(format!("target-{target}")),
            request: Some(request),
            party: None,
        };
        match self {
            Fact::KeyAdded(k) => of(&k.authority, k.kid.to_string()),
            Fact::KeyRetired(k) => of(&k.authority, k.kid.to_string()),
            Fact::KeyRevoked(k) => of(&k.authority, k.kid.to_string()),
            Fact::ContactAdded(c) => of(&c.authority, c.id.to_string()),
            Fact::ReviewerAssigned(r) => {
                Columns { subject: Some(r.reviewer.to_string()), request: Some(r.request), party: None }
            }
            Fact::UserAdded(u) => of(&u.org, u.username.to_string()),
            Fact::UserDisabled(u) => of(&u.org, u.username.to_string()),
            Fact::TokenCreated(t) => of(&t.org, t.id.clone()),
            Fact::TokenRevoked(t) => of(&t.org, t.id.clone()),
            Fact::LinkIssued(l) => {
                Columns { request: Some(l.request), ..of(&l.authority, l.contact.to_string()) }
            }
            // The issuer the refused signature claimed, when it names a party at all.
            Fact::AuthRefused(a) => {
                Columns { party: a.iss.as_deref().and_then(|i| PartyId::parse(i).ok()), ..subject(&a.code) }
            }
            Fact::DecisionScope(d) => Columns {
                subject: Some(format!("decision-{}", d.decision)),
                request: Some(d.request),
                party: None,
            },
            Fact::RecipientAdded(r) => of(&r.authority, r.recipient.clone()),
            Fact::ProductionKeyAdded(k) => of(&k.provider, k.kid.to_string()),
            Fact::ProductionStarted(p) => Columns { request: Some(p.request), ..subject(&p.production) },
            Fact::ProductionSealed(p) => subject(&p.production),
            Fact::ProductionFailed(p) => subject(&p.production),
            Fact::ProductionDownloaded(p) => subject(&p.production),
            Fact::ProductionAcknowledged(p) => subject(&p.production),
            Fact::ProductionShredded(p) => subject(&p.production),
            Fact::DisposalAttested(p) => subject(&p.production),
            Fact::PasswordChanged(u) => of(&u.org, u.username.to_string()),
            Fact::ClockExpired(c) => Columns {
                subject: Some(format!("{}@{}", c.clock, c.due.to_rfc3339())),
                request: Some(c.request),
                party: None,
            },
            Fact::PreservationExtended(p) => Columns {
                subject: Some(ClockKind::PreservationEnd.as_str().to_owned()),
                request: Some(p.request),
                party: None,
            },
            Fact::ReviewerObjected(r) => {
                Columns { subject: Some(r.reviewer.to_string()), request: Some(r.request), party: None }
            }
            Fact::ReviewerUnassigned(r) => {
                Columns { subject: Some(r.reviewer.to_string()), request: Some(r.request), party: None }
            }
            Fact::GroundsRaised(g) => {
                Columns { subject: Some(g.by.to_string()), request: Some(g.request), party: None }
            }
            Fact::DecisionReasoned(d) => Columns {
                subject: Some(format!("decision-{}", d.decision)),
                request: Some(d.request),
                party: None,
            },
            Fact::AppealLodged(a) => Columns {
                subject: Some(format!("appeal-{}", a.decision)),
                request: Some(a.request),
                party: None,
            },
            Fact::EndpointAdded(e) | Fact::EndpointRemoved(e) => of(&e.party, e.subject()),
            Fact::NoticeDead(n) => of(&n.party, n.notice.to_string()),
            Fact::NoticeRetried(n) => of(&n.party, n.notice.to_string()),
            Fact::ConflictObjected(c) => {
                Columns { subject: Some("conflict".to_owned()), request: Some(c.request), party: None }
            }
            Fact::ClarificationAsked(c) => Columns {
                subject: Some(format!("clarification-{}", c.event)),
                request: Some(c.request),
                party: None,
            },
            Fact::ConflictDecided(c) => {
                Columns { subject: Some(c.by.to_string()), request: Some(c.request), party: None }
            }
            Fact::RepresentativeRegistered(r) => {
                Columns { subject: Some(r.representative.to_string()), request: Some(r.request), party: None }
            }
            Fact::LinkMailed(l) => {
                Columns { request: Some(l.request), ..of(&l.authority, l.contact.to_string()) }
            }
            Fact::FurtherUseAsked(f) => further_use(f.request, f.ask),
            Fact::FurtherUseDecided(f) => further_use(f.request, f.ask),
            Fact::FurtherUseRecorded(f) => further_use(f.request, f.ask),
            Fact::PersonNoticeRecipient(n) => notice_of(n.request, n.target),
            Fact::PersonNoticeDecided(n) => notice_of(n.request, n.target),
            Fact::PersonNoticeSent(n) => notice_of(n.request, n.target),
            Fact::PersonNoticeDelivered(n) => notice_of(n.request, n.target),
            Fact::DocumentsShredded(d) => {
                Columns { subject: Some("documents".to_owned()), request: Some(d.request), party: None }
            }
            Fact::RemedyOpened(r) => remedy(r.request, r.case),
            Fact::RemedyCorrection(r) => remedy(r.request, r.case),
            Fact::RemedyRecallMet(r) => remedy(r.request, r.case),
            Fact::RemedyPersonTold(r) => remedy(r.request, r.case),
            Fact::RequestClassified(c) => {
                Columns { subject: Some("classification".to_owned()), request: Some(c.request), party: None }
            }
            // A party's own facts are named by the party; a suspension and its lifting by
            // the suspension's number, which a unique index keeps to one of each.
            Fact::PartyUpdated(u) => of(&u.party, u.party.to_string()),
            Fact::PartyDeactivated(c) | Fact::PartyReactivated(c) => of(&c.party, c.party.to_string()),
            Fact::PartySuspended(s) => of(&s.party, suspension(s.suspension)),
            Fact::SuspensionLifted(l) => of(&l.party, suspension(l.suspension)),
            Fact::ContactUpdated(c) => of(&c.after.authority, c.after.id.to_string()),
            Fact::ContactRemoved(c) => of(&c.authority, c.id.to_string()),
            // A version is kept once: the journal's unique index on its hash (migration 0026).
            Fact::PackAdopted(p) => subject(&p.hash),
            // A release's number is kept to one release (migration 0027): two operators
            // releasing at once cannot both spend the same budget.
            Fact::TransparencyReleased(r) => subject(&release(r.number)),
            // An authority's evaluation is its own fact; a State's names its country.
            Fact::EvaluationRecorded(e) => {
                Columns { party: e.authority.clone(), subject: Some(e.subject()), request: None }
            }
        }
    }
}

/// The columns of a fact about a request's remedy case: its subject names the case.
fn remedy(request: RequestId, case: u32) -> Columns {
    Columns { subject: Some(format!("remedy-{case}")), request: Some(request), party: None }
}

/// The subject of the differential-privacy release number `n`.
pub fn release(n: u32) -> String {
    format!("release-{n}")
}

/// The subject of a party's suspension number `n` and of its lifting.
pub fn suspension(n: u32) -> String {
    format!("suspension-{n}")
}

/// The columns of a fact about a request's further use `ask`: its subject names the ask.
fn further_use(request: RequestId, ask: u32) -> Columns {
    Columns { subject: Some(format!("further-use-{ask}")), request: Some(request), party: None }
}

/// A signing key registered for an authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAdded {
    pub authority: PartyId,
    pub kid: KeyId,
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
    /// The key this one replaces, when it was added by rotation.
    pub replaces: Option<KeyId>,
}

/// A key retired by rotation: usable until `effective_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRetired {
    pub authority: PartyId,
    pub kid: KeyId,
    pub effective_at: DateTime<Utc>,
    pub replaced_by: Option<KeyId>,
}

/// A key revoked: nothing it signs from `effective_at` on is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRevoked {
    pub authority: PartyId,
    pub kid: KeyId,
    pub effective_at: DateTime<Utc>,
    pub reason: String,
}

/// A reviewer body assigned to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerAssigned {
    pub request: RequestId,
    pub reviewer: PartyId,
    pub reason: String,
}

/// A deadline passed, and what it did (issue 13). Written with the move it made, if any,
/// in the transaction that closed the clock, so it is written once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockExpired {
    pub request: RequestId,
    pub clock: ClockKind,
    pub due: DateTime<Utc>,
    pub outcome: ClockOutcome,
    /// The state the request was in when the clock was acted on.
    pub state: State,
    pub reason: String,
}

/// A preservation extended once, before it ended (Regulation (EU) 2023/1543 Art 11(1)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreservationExtended {
    pub request: RequestId,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// The provider objected to the reviewer body the law assigned, for a conflict of
/// interest; an operator decides whether to reassign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerObjected {
    pub request: RequestId,
    pub reviewer: PartyId,
    pub grounds: String,
}

/// A reviewer body taken off a request by an operator, with the reason; another is
/// assigned in the same act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerUnassigned {
    pub request: RequestId,
    pub reviewer: PartyId,
    pub reason: String,
}

/// The enforcing authority raised grounds for refusal within its time (Regulation (EU)
/// 2023/1543 Art 12(1)): production stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroundsRaised {
    pub request: RequestId,
    /// The reviewer body that raised them.
    pub by: PartyId,
    /// The pack's codes, such as `ne_bis_in_idem`.
    pub grounds: Vec<String>,
    pub reasoning: String,
}

/// What a decision (the event `decision` of `request`) rests on: the pack's grounds, and
/// an answer to each finding screening sent to review (issue 13). Its prose reasoning is
/// the decision event's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionReasoned {
    pub request: RequestId,
    pub decision: u32,
    /// The reviewer body that decided.
    pub by: PartyId,
    pub outcome: State,
    pub grounds: Vec<String>,
    /// Each flagged finding's rule, and the reviewer's answer to it.
    pub answers: Vec<(String, String)>,
}

/// An appeal against a decision (the event `decision`), with its grounds: production
/// waits until a second body decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealLodged {
    pub request: RequestId,
    pub decision: u32,
    pub grounds: String,
}

/// The provider's reasoned objection that executing a production order would conflict with
/// an obligation under the law of a third country (Regulation (EU) 2023/1543 Art 17(1)-(2)):
/// production is suspended until it is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictObjected {
    pub request: RequestId,
    /// The third country whose law conflicts.
    pub third_country: CountryCode,
    /// The law cited, such as `18 U.S.C. § 2702(a)`.
    pub law: String,
    /// Why the law applies and what it forbids (Art 17(2): "all relevant details").
    pub reasoning: String,
    /// The court of the issuing State assigned to review the order, where the register
    /// holds one (Art 17(3)).
    pub court: Option<PartyId>,
}

/// What became of a provider's objection for conflicting obligations (Art 17(3)-(8)):
/// upheld, the order is lifted and the request withdrawn; dismissed, it proceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictDecided {
    pub request: RequestId,
    /// The issuing authority (which may only withdraw) or the court of its State.
    pub by: PartyId,
    pub upheld: bool,
    pub reasoning: String,
}

crate::vocabulary::vocabulary! {
    /// Why a document needs clarifying: the situations of Regulation (EU) 2023/1543 Art
    /// 10(5) and the form of Annex III, in which the addressee tells the issuing authority
    /// that it cannot execute the order as it stands.
    ClarificationReason {
        /// The certificate is incomplete: a field the order needs is missing.
        Incomplete = "incomplete",
        /// The certificate contains manifest errors.
        ManifestError = "manifest_error",
        /// The certificate does not contain sufficient information to execute the order.
        InsufficientInformation = "insufficient_information",
    }
}

/// One structured question of a request for clarification: why, about which field of the
/// request's document (an RFC 6901 JSON Pointer, such as `/targets/0/value`; `None` for the
/// document as a whole), and the question in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub reason: ClarificationReason,
    pub pointer: Option<String>,
    pub question: String,
}

/// The structured questions of a request for clarification (the move `event` to
/// `clarification_requested`); an amended document answers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClarificationAsked {
    pub request: RequestId,
    pub event: u32,
    pub questions: Vec<Question>,
}

crate::vocabulary::vocabulary! {
    /// When the person concerned is told (issue 15, item 1; Regulation (EU) 2023/1543 Art
    /// 13; the seed's "notices to affected individuals whenever feasible").
    PersonNoticeStatus {
        /// Once the data has been delivered and any nondisclosure has ended.
        Immediate = "immediate",
        /// Later: a reviewer's reasoned decision, to a stated end date.
        Delayed = "delayed",
        /// Not at all for now: a reviewer's reasoned decision, reviewed again by a stated
        /// date; only where the pack allows it (never the national-security pack).
        Barred = "barred",
    }
}

crate::vocabulary::vocabulary! {
    /// How a notice reaches the person concerned.
    PersonNoticeChannel {
        /// The provider delivers it through its own channel (an in-app message, its
        /// support mail) and confirms the delivery.
        Provider = "provider",
        /// comity e-mails it to an address the provider registered for the person.
        Email = "email",
    }
}

/// How the provider's legal team, which knows the person behind a target, says the notice
/// reaches them: in which language, and by which channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonNoticeRecipient {
    pub request: RequestId,
    /// The target's place in the request's `targets`, from 0.
    pub target: u32,
    /// The language of the notice, a BCP 47 primary tag comity has templates for (`en`, `fr`).
    pub language: String,
    pub channel: PersonNoticeChannel,
    /// The address comity e-mails, for [`PersonNoticeChannel::Email`].
    pub address: Option<String>,
}

/// A reviewer's reasoned decision on when the person concerned is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonNoticeDecided {
    pub request: RequestId,
    pub target: u32,
    pub status: PersonNoticeStatus,
    /// The reviewer body that decided.
    pub by: PartyId,
    pub reasoning: String,
    /// A delay's last day (the notice goes out the day after, UTC), or the date by which a
    /// bar is reviewed again.
    pub until: Option<chrono::NaiveDate>,
}

/// A notice written and sent (or handed to the provider to deliver). Never its text: a
/// commitment to it, hex SHA-256 over a label, the salt and the text, so the person can
/// later show which text they got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonNoticeSent {
    pub request: RequestId,
    pub target: u32,
    pub language: String,
    pub channel: PersonNoticeChannel,
    /// Hex, 16 random bytes, given to the person with the notice.
    pub salt: String,
    pub commitment: String,
    /// The SMTP message id, for a notice comity e-mailed.
    pub message_id: Option<String>,
    /// The request's audit-log entries the notice lists, so that it can be written again
    /// word for word for the provider to deliver, or to check against the commitment.
    pub log_entries: Vec<u64>,
}

/// The provider confirms it delivered the notice through its own channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonNoticeDelivered {
    pub request: RequestId,
    pub target: u32,
    /// The provider's reference of the delivery (its message or ticket id).
    pub reference: String,
}

/// A notice given up: tried for the last time, or refused for good. It stays in the dead
/// letters until an operator puts it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDead {
    /// The notice, by its id in the outbox.
    pub notice: u64,
    /// The party it was for.
    pub party: PartyId,
    pub channel: Channel,
    /// The audit-log entry it told of.
    pub log_index: u64,
    /// The last attempt's error.
    pub error: String,
}

/// A dead notice put back by an operator, to be tried again from now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRetried {
    pub notice: u64,
    pub party: PartyId,
}

/// A person's account created (never its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAdded {
    pub username: Username,
    pub org: PartyId,
    pub role: Role,
    pub name: String,
}

/// A person's account disabled, and its sessions ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDisabled {
    pub username: Username,
    pub org: PartyId,
    pub reason: String,
}

/// A person changed their own password (never the password or its hash), and every other
/// session of the account ended (issue 12, finding 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    pub username: Username,
    pub org: PartyId,
}

/// An API token created (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCreated {
    pub id: String,
    pub org: PartyId,
    pub role: Role,
    pub label: String,
    pub expires_at: DateTime<Utc>,
}

/// An API token revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRevoked {
    pub id: String,
    pub org: PartyId,
}

/// A one-time verification link issued for an emergency request (never the link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkIssued {
    pub request: RequestId,
    pub authority: PartyId,
    pub contact: Username,
    pub expires_at: DateTime<Utc>,
}

/// A one-time link sent by e-mail to its contact's registered address, or the attempt
/// that failed (issue 13, item 8): never the link, the address or the message, only who
/// it was for and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMailed {
    pub request: RequestId,
    pub authority: PartyId,
    pub contact: Username,
    /// The `Message-ID` the mail was sent with, when the SMTP server took it.
    pub message_id: Option<String>,
    /// Why it was not sent, when it was not.
    pub error: Option<String>,
}

/// A representative registered to act for the person concerned by a request (issue 13,
/// item 6: "the person acts through a representative registered for that request, such
/// as a lawyer or a data protection authority").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepresentativeRegistered {
    pub request: RequestId,
    /// The party, of the `representative` register.
    pub representative: PartyId,
    /// Whom it acts for, only as a commitment: hex SHA-256 of the request's log salt and
    /// the person's identifier, so the log names nobody, and whoever holds the salt and
    /// the identifier can check it.
    pub represents: String,
    /// The mandate, in words: what the operator saw (a power of attorney, a complaint to
    /// the authority).
    pub mandate: String,
}

/// A request's documents crypto-shredded at the end of their retention (issue 15): the data
/// key that opened them destroyed, in the transaction that records this. The sealed rows
/// stay (they are append-only), and the log still verifies what it can: it committed to
/// the documents, never held them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentsShredded {
    pub request: RequestId,
    /// When the retention began: the request's last move, into a state where nothing more
    /// is done with it.
    pub since: DateTime<Utc>,
    /// Hex SHA-256 of the sealed columns as they stood when the key was destroyed, so
    /// that `comity log verify` tells a shredded row (its ciphertext as recorded here)
    /// from one changed since.
    pub digest: String,
    pub reason: String,
}

/// A refused signature or credential: forged and replayed requests leave a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRefused {
    pub code: String,
    pub kid: Option<String>,
    pub iss: Option<String>,
    /// The client's address.
    pub client: String,
}

/// What a decision (the event `decision` of `request`) lets leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionScope {
    pub request: RequestId,
    /// The decision's event, by its sequence number.
    pub decision: u32,
    pub targets: Vec<Selector>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub categories: Vec<DataCategory>,
}

/// An authority's age recipient (an X25519 public key, `age1...`): productions for it are
/// encrypted to the latest one registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientAdded {
    pub authority: PartyId,
    pub recipient: String,
}

/// A provider's production key: the Ed25519 key its packages' manifests are signed with;
/// productions are signed with the latest one registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionKeyAdded {
    pub provider: PartyId,
    pub kid: KeyId,
    pub public_key: [u8; 32],
}

/// A production begun from a provider's export: the production event the package's
/// manifest names by its log index. The export itself is never kept; its hash is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionStarted {
    pub production: String,
    pub request: RequestId,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The redaction summary, as the manifest states it: a JSON object.
    pub redaction: String,
}

/// A production that stopped before its package was sealed; nothing left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionFailed {
    pub production: String,
    pub reason: String,
}

/// A download of a production's package by the recipient authority, logged before the
/// first byte is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionDownloaded {
    pub production: String,
    pub package_sha256: String,
}

/// The recipient authority's acknowledgement that it holds the package: the hash it
/// computed matches the one sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionAcknowledged {
    pub production: String,
    pub package_sha256: String,
}

/// comity's own copy of a production crypto-shredded at its retention date: the
/// production's data key, kept only wrapped by the server key, destroyed with this fact,
/// and the stored package deleted. What the log committed to stays; nothing left on the
/// server decrypts the package any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionShredded {
    pub production: String,
    /// The package that was disposed of, by its SHA-256, hex.
    pub package_sha256: String,
    /// The retention date that made it due, as the production states it.
    pub retention_until: String,
    /// The remedy case that recalled it, when it was shredded at a recall rather than at
    /// its retention date.
    pub remedy: Option<u32>,
}

/// The receiving authority's attestation that it disposed of a production's data: a
/// compact JWS signed with one of its registered keys, over the request, the package's
/// SHA-256 and when it was disposed of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisposalAttested {
    pub production: String,
    pub package_sha256: String,
    /// When the authority says it disposed of the data.
    pub disposed_at: DateTime<Utc>,
    /// The key that signed it.
    pub kid: KeyId,
    /// The signed statement itself, as the authority sent it, so anyone can verify it
    /// again with the key in the log.
    pub jws: String,
}

/// A fact to keep: who records it and when, what it concerns, and the fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub at: DateTime<Utc>,
    pub actor: ActorId,
    /// The organisation it concerns, if any.
    pub party: Option<PartyId>,
    /// What it is about within its kind: a key id, a contact id, a reviewer's id, a user
    /// name, a token id, a refusal code, a production id.
    pub subject: String,
    /// The request it concerns, if any.
    pub request_id: Option<RequestId>,
    pub fact: Fact,
}

impl NewEntry {
    /// A fact to keep, its columns as the fact says ([`Fact::columns`]); set what the
    /// fact does not say (the provider of a request's facts) on the result.
    pub fn new(at: DateTime<Utc>, actor: ActorId, fact: Fact) -> NewEntry {
        let Columns { party, subject, request } = fact.columns();
        NewEntry { at, actor, party, subject: subject.unwrap_or_default(), request_id: request, fact }
    }
}

/// One fact as the journal keeps it, forever, with its entry in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Given by the store.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: ActorId,
    pub party: Option<PartyId>,
    pub subject: String,
    pub request_id: Option<RequestId>,
    pub fact: Fact,
    /// The fact as stored: the bytes its audit-log entry commits to.
    pub content: String,
    /// The audit-log entry.
    pub log_index: Option<u64>,
}

impl JournalEntry {
    pub fn kind(&self) -> FactKind {
        self.fact.kind()
    }

    /// The kind of its audit-log entry: the fact's kind, but for a request's
    /// classification, which shows it there (`crate::transparency`), and a decision on the
    /// notice to the person concerned, whose kind says which (`person_notice.decided.delayed`).
    /// Entries written before issue 16 show the fact's kind alone
    /// ([`JournalEntry::legacy_log_kind`]).
    pub fn log_kind(&self) -> std::borrow::Cow<'static, str> {
        match &self.fact {
            Fact::RequestClassified(c) if c.sealed => crate::transparency::SEALED_KIND.into(),
            Fact::RequestClassified(c) => c.class.log_kind().into(),
            // How a reviewer decided the notice to the person concerned shows, so the
            // transparency report counts notices delayed and barred from the public log.
            Fact::PersonNoticeDecided(d) => match d.status {
                PersonNoticeStatus::Immediate => "person_notice.decided.immediate".into(),
                PersonNoticeStatus::Delayed => "person_notice.decided.delayed".into(),
                PersonNoticeStatus::Barred => "person_notice.decided.barred".into(),
            },
            f => f.kind().as_str().into(),
        }
    }
}

impl JournalEntry {
    /// The kind an audit-log entry of this fact had before its log kind said more (a
    /// notice's decision before issue 16): still its entry, when `comity log verify` reads
    /// an older log.
    pub fn legacy_log_kind(&self) -> Option<&'static str> {
        match &self.fact {
            Fact::PersonNoticeDecided(_) => Some(self.fact.kind().as_str()),
            _ => None,
        }
    }
}

/// Which journal entries to read; every filter given must match. Oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JournalQuery {
    /// Entries of these kinds (any kind if empty).
    pub kinds: Vec<FactKind>,
    pub party: Option<PartyId>,
    pub subject: Option<String>,
    pub request_id: Option<RequestId>,
}

impl JournalQuery {
    pub fn kinds(kinds: &[FactKind]) -> Self {
        Self { kinds: kinds.to_vec(), ..Self::default() }
    }

    pub fn party(mut self, party: &PartyId) -> Self {
        self.party = Some(party.clone());
        self
    }

    pub fn subject(mut self, subject: &str) -> Self {
        self.subject = Some(subject.to_owned());
        self
    }

    pub fn request(mut self, id: RequestId) -> Self {
        self.request_id = Some(id);
        self
    }

    /// A read of a register's facts alone (every kind one of [`FactKind::REGISTER`], of
    /// no one request): what only a register write changes.
    pub fn reads_a_register(&self) -> bool {
        !self.kinds.is_empty() && self.request_id.is_none() && self.kinds.iter().all(|k| k.is_register())
    }
}

crate::vocabulary::vocabulary! {
    /// What an authority asks to do with produced data beyond the purpose it was produced
    /// for: the seed's purpose limitation, under which data may be "recontextualized" only
    /// on conditions, and its onward transfers.
    FurtherUseKind {
        /// Use the data for another purpose than the request's.
        Purpose = "purpose",
        /// Pass the data on to another State or body.
        Transfer = "transfer",
    }
}

/// Who would receive the data passed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUseRecipient {
    pub country: CountryCode,
    /// The body, in words, such as `Bundeskriminalamt`.
    pub body: String,
}

/// An authority asks, with reasons, to use the data a request produced for another
/// purpose, or to pass it on (issue 15, item 2). Until a reviewer grants it, the package's
/// purpose stands as the only one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUseAsked {
    pub request: RequestId,
    /// Its number among the request's asks, from 1.
    pub ask: u32,
    pub kind: FurtherUseKind,
    /// The purpose the data would serve, in words.
    pub purpose: String,
    /// For a transfer, who would receive it.
    pub recipient: Option<FurtherUseRecipient>,
    pub reasons: String,
}

/// A reviewer's reasoned answer to an ask for further use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUseDecided {
    pub request: RequestId,
    pub ask: u32,
    /// The reviewer body that decided.
    pub by: PartyId,
    pub granted: bool,
    /// What a grant is subject to, in words, if anything.
    pub conditions: Option<String>,
    pub reasoning: String,
}

/// The authority records that it used or passed on the data under a granted ask: refused
/// without one, so that every further use on the record has its consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUseRecorded {
    pub request: RequestId,
    pub ask: u32,
    /// What was done, in words (such as the transfer's reference).
    pub note: String,
}

crate::vocabulary::vocabulary! {
    /// What went wrong with data already delivered, which opens a remedy case (issue 15,
    /// item 4; the seed: "when errors occur, remediation plans, timely corrections, and
    /// appropriate remedies for affected individuals must be available").
    RemedyGround {
        /// Data of an account the request did not name was delivered.
        WrongAccount = "wrong_account",
        /// Data beyond the decision's scope (its period or categories) was delivered.
        OutOfScope = "out_of_scope",
        /// A third party's data was delivered unmasked.
        ThirdPartyUnmasked = "third_party_unmasked",
        /// The decision the data was delivered under was overturned on appeal.
        DecisionOverturned = "decision_overturned",
        /// The request was withdrawn after its data was delivered (by its authority, or by
        /// a deadline: Regulation (EU) 2023/1543 Art 4(5)).
        Withdrawn = "withdrawn",
    }
}

/// A remedy case opened on a request whose data was delivered: the productions recalled
/// (the authority must attest their deletion by `recall_due`; comity's own copies are
/// crypto-shredded at once), whether a corrected production is due, and why. The
/// description is logged: it names no person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyOpened {
    pub request: RequestId,
    /// Its number among the request's cases, from 1.
    pub case: u32,
    pub ground: RemedyGround,
    /// Who opened it: the provider, the reviewer body, or the party that withdrew the
    /// request; `None` when comity did, as a deadline withdrew it.
    pub by: Option<PartyId>,
    /// The productions recalled, `prod-...`.
    pub productions: Vec<String>,
    /// Whether the provider owes a corrected production.
    pub correction: bool,
    /// By when the authority attests that it deleted the recalled data.
    pub recall_due: DateTime<Utc>,
    /// What went wrong, in words, without personal data.
    pub description: String,
}

/// A production made to correct the data a remedy case recalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyCorrection {
    pub request: RequestId,
    pub case: u32,
    pub production: String,
}

/// The authority attested the deletion of every production a remedy case recalled (each
/// by a `production.disposal_attested`): the recall is met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyRecallMet {
    pub request: RequestId,
    pub case: u32,
    /// Whether the last attestation came after `recall_due`.
    pub late: bool,
}

/// A version of a policy pack comity started judging requests with (issue 16, item 8),
/// kept once per hash when a server first starts with it: its exact text, so that anyone
/// reading a screening (which names the pack's id, version and hash) can read the pack that
/// judged it, and compare it with the versions before and after. The journal entry's time
/// is when it was first seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackAdopted {
    /// The pack's id, such as `eu-e-evidence`.
    pub pack: String,
    pub version: String,
    /// SHA-256 in hex of `text` (followed by `\n--- house ---\n` and `house`, when a house
    /// file is layered on): the hash every screening by this version records.
    pub hash: String,
    /// The pack file, byte for byte.
    pub text: String,
    /// The provider's house file layered on it (`--house`), if any.
    pub house: Option<String>,
}

/// A differential-privacy release of the transparency report's fine breakdown (issue 16,
/// item 4; [`crate::privacy`]): for the requests received in `[from, to)`, every cell of
/// issuing country × data category × outcome with discrete Laplace noise of `scale` added,
/// spending `epsilon` of the `budget` each request's privacy loss is held to. Kept with
/// its figures so that everyone reads the same noisy figures, always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransparencyReleased {
    /// The release's number, from 1.
    pub number: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub epsilon: crate::privacy::Epsilon,
    /// The budget it was checked against, as the operator set it then.
    pub budget: crate::privacy::Epsilon,
    /// The cells one request can change, each by one ([`crate::privacy::SENSITIVITY`]).
    pub sensitivity: u32,
    pub scale: crate::privacy::NoiseScale,
    /// The exact counts were those of the log's first `log_size` entries.
    pub log_size: u64,
    pub cells: Vec<crate::privacy::Released>,
}

/// An operator's record of one cycle's evaluation of one issuing authority or one State
/// (issue 16, item 6): the cycle, the figures as they stood when it was recorded, and the
/// compliance score with the version of the formula that computed it, so that a later
/// suspension can cite it and an auditor can see what was known when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRecorded {
    /// The cycle's year.
    pub year: i32,
    /// The cycle: the requests received in `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The authority evaluated; `None` for a State's evaluation.
    pub authority: Option<PartyId>,
    /// The authority's State, or the State evaluated.
    pub country: CountryCode,
    /// The formula's version, such as `comity-compliance/v1`.
    pub formula: String,
    /// The score from 0 to 100 with two decimals, such as `87.50`; `None` when no
    /// component of the formula had a denominator.
    pub score: Option<String>,
    /// Every figure by its dotted name (`comity_core::evaluation::Figures::entries`).
    pub figures: std::collections::BTreeMap<String, u64>,
}

impl EvaluationRecorded {
    /// Its journal subject: `evaluation-2027-fr-tj-paris`, or `evaluation-2027-FR` for a State.
    pub fn subject(&self) -> String {
        match &self.authority {
            Some(a) => format!("evaluation-{}-{a}", self.year),
            None => format!("evaluation-{}-{}", self.year, self.country),
        }
    }
}

/// A person affected by a remedy case was told, from the templates of their language: by
/// comity's e-mail (to an address used once, never kept) or through the provider's own
/// channel. As with the notice to a person concerned, the text is never kept: only a
/// commitment to it, hex SHA-256 over a label, the salt and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyPersonTold {
    pub request: RequestId,
    pub case: u32,
    /// The person's number among the case's, from 1.
    pub person: u32,
    pub language: String,
    pub channel: PersonNoticeChannel,
    pub salt: String,
    pub commitment: String,
    /// comity's message id, for an e-mail.
    pub message_id: Option<String>,
}

/// A request's non-personal classification, logged at intake so that transparency reports
/// can be recomputed from the public log (issue 16): in its log entry's kind, or, for a
/// national-security request (`sealed`), only under the entry's commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestClassified {
    pub request: RequestId,
    pub class: crate::transparency::Classification,
    pub sealed: bool,
}

/// A value an act changed: what it was, and what it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed<T> {
    pub old: T,
    pub new: T,
}

impl<T: PartialEq + Clone> Changed<T> {
    /// The change from `old` to `new`, if they differ.
    pub fn of(old: &T, new: &T) -> Option<Changed<T>> {
        (old != new).then(|| Changed { old: old.clone(), new: new.clone() })
    }
}

/// A party's registered details changed by an operator, with the reason (issue 16, item
/// 7): each field changed, old and new. The register's row holds the party as it is now;
/// the journal keeps every change, so the party as registered and every step since can be
/// read again, and `comity log verify` checks the row against them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyUpdated {
    pub party: PartyId,
    pub name: Option<Changed<String>>,
    /// An authority's type.
    pub authority_type: Option<Changed<AuthorityType>>,
    /// A reviewer body's kind.
    pub reviewer_kind: Option<Changed<ReviewerKind>>,
    /// The institution it belongs to; `None` is none beyond itself.
    pub institution: Option<Changed<Option<PartyId>>>,
    pub reason: String,
}

/// Why a change does not fit the party it is applied to: the field whose value is not
/// the one the change started from (a row edited outside comity), or that the party's
/// register does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ChangeMismatch {
    pub field: &'static str,
    pub message: String,
}

impl PartyUpdated {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.authority_type.is_none()
            && self.reviewer_kind.is_none()
            && self.institution.is_none()
    }

    /// The party as this change leaves it, from the party as the change found it.
    pub fn apply(&self, party: &Party) -> Result<Party, ChangeMismatch> {
        self.step(party, true)
    }

    /// The party as this change found it, from the party as it left it: how `comity log
    /// verify` walks a row back to the party its registration's entry committed to.
    pub fn undo(&self, party: &Party) -> Result<Party, ChangeMismatch> {
        self.step(party, false)
    }

    fn step(&self, party: &Party, forward: bool) -> Result<Party, ChangeMismatch> {
        fn swap<T: PartialEq + Clone + std::fmt::Debug>(
            field: &'static str,
            value: &mut T,
            change: &Option<Changed<T>>,
            forward: bool,
        ) -> Result<(), ChangeMismatch> {
            let Some(c) = change else { return Ok(()) };
            let (from, to) = if forward { (&c.old, &c.new) } else { (&c.new, &c.old) };
            if value != from {
                return Err(ChangeMismatch {
                    field,
                    message: format!("is {value:?}, the change is from {from:?}"),
                });
            }
            *value = to.clone();
            Ok(())
        }
        let missing = |field: &'static str| ChangeMismatch {
            field,
            message: format!("a party of the {} register has none", party.role()),
        };
        let mut p = party.clone();
        let (name, institution) = match &mut p {
            Party::Authority(a) => {
                swap("authority_type", &mut a.authority_type, &self.authority_type, forward)?;
                (&mut a.name, &mut a.institution)
            }
            Party::Reviewer(r) => {
                swap("kind", &mut r.kind, &self.reviewer_kind, forward)?;
                (&mut r.name, &mut r.institution)
            }
            Party::Provider(x) => (&mut x.name, &mut x.institution),
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => {
                (&mut o.name, &mut o.institution)
            }
        };
        swap("name", name, &self.name, forward)?;
        swap("institution", institution, &self.institution, forward)?;
        if self.authority_type.is_some() && !matches!(p, Party::Authority(_)) {
            return Err(missing("authority_type"));
        }
        if self.reviewer_kind.is_some() && !matches!(p, Party::Reviewer(_)) {
            return Err(missing("kind"));
        }
        Ok(p)
    }
}

/// A party deactivated or reactivated by an operator, with the reason (issue 16, item 7).
/// A deactivated party is party to no new request; what it was party to keeps its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyStatusChange {
    pub party: PartyId,
    pub reason: String,
}

/// A party, or one of its privileges, suspended by an operator's reasoned decision until
/// `until` (issue 16, item 6): the consequence for a partner that broke its commitments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartySuspended {
    pub party: PartyId,
    /// The party's suspensions are numbered from 1.
    pub suspension: u32,
    /// The privilege suspended; `None` suspends the party as a whole.
    pub privilege: Option<Privilege>,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// A suspension lifted before its end, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspensionLifted {
    pub party: PartyId,
    pub suspension: u32,
    pub reason: String,
}

/// An authority's contact changed: as it was, and as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpdated {
    pub before: Contact,
    pub after: Contact,
    pub reason: String,
}

/// An authority's contact taken off its register: they confirm its emergencies no more.
/// Its id is never given to another contact of the authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRemoved {
    pub authority: PartyId,
    pub id: Username,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Authority, Provider};

    fn pid(s: &str) -> PartyId {
        PartyId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn court() -> Party {
        Party::Authority(Authority {
            id: pid("fr-tj-paris"),
            country: CountryCode::parse("FR").unwrap_or_else(|e| panic!("{e}")),
            authority_type: AuthorityType::Prosecutor,
            name: "Parquet de Paris".into(),
            institution: None,
        })
    }

    fn update() -> PartyUpdated {
        PartyUpdated {
            party: pid("fr-tj-paris"),
            name: Changed::of(&"Parquet de Paris".to_owned(), &"Parquet du tribunal judiciaire".to_owned()),
            authority_type: Changed::of(&AuthorityType::Prosecutor, &AuthorityType::Court),
            reviewer_kind: None,
            institution: Changed::of(&None, &Some(pid("fr-tj"))),
            reason: "renamed".into(),
        }
    }

    #[test]
    fn a_change_walks_a_party_forward_and_back_and_only_from_what_it_was() {
        let u = update();
        let after = u.apply(&court()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.name(), "Parquet du tribunal judiciaire");
        assert_eq!(after.institution(), &pid("fr-tj"));
        assert_eq!(u.undo(&after), Ok(court()));
        // Applied twice, it no longer finds what it started from: the field is named.
        assert_eq!(u.apply(&after).map_err(|e| e.field), Err("authority_type"));
        // A reviewer body's kind does not fit an authority, nor an authority's type a provider.
        let kind = PartyUpdated {
            reviewer_kind: Changed::of(&ReviewerKind::Other, &ReviewerKind::Court),
            ..PartyUpdated { name: None, authority_type: None, institution: None, ..update() }
        };
        assert_eq!(kind.apply(&court()).map_err(|e| e.field), Err("kind"));
        let provider = Party::Provider(Provider {
            id: pid("example-mail"),
            country: CountryCode::parse("IE").unwrap_or_else(|e| panic!("{e}")),
            name: "Parquet de Paris".into(),
            institution: None,
        });
        let typed = PartyUpdated { name: None, institution: None, ..update() };
        assert_eq!(typed.apply(&provider).map_err(|e| e.field), Err("authority_type"));
        assert!(Changed::of(&1, &1).is_none() && !update().is_empty());
    }
}

//! The journal's facts as stored: the canonical JSON of each kind, and its reading back
//! into a [`Fact`], once, where the store reads it.
//!
//! Each kind's content is the JSON of one of the structs below, written by `serde_json`
//! with the fields in the order declared here. Those exact bytes are what the entry's
//! audit-log commitment covers (see `docs/log.md`), so the field order of these structs
//! is part of the format: add fields at the end, never reorder.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use comity_core::{
    AuthorityType, Channel, ClockKind, ClockOutcome, Contact, CountryCode, DataCategory, Endpoint, Fact,
    FactKind, JournalEntry, KeyId, NewEntry, PartyId, PersonNoticeChannel, PersonNoticeStatus, Privilege,
    RequestId, ReviewerKind, Role, Selector, SelectorType, State, Username, journal as fact,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

#[derive(Serialize, Deserialize)]
struct KeyAdded {
    authority: String,
    kid: String,
    /// The Ed25519 public key, base64url without padding (the JWK `x`, RFC 8037 §2).
    x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaces: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct KeyRetired {
    authority: String,
    kid: String,
    effective_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaced_by: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct KeyRevoked {
    authority: String,
    kid: String,
    effective_at: DateTime<Utc>,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct ContactAdded {
    authority: String,
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    /// An Ed25519 key the contact signs confirmations with, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ReviewerAssigned {
    request: String,
    reviewer: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct UserAdded {
    username: String,
    org: String,
    role: String,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct UserDisabled {
    username: String,
    org: String,
    reason: String,
}

/// The same fields as [`UserAdded`]'s first two: never the password or its hash.
#[derive(Serialize, Deserialize)]
struct PasswordChanged {
    username: String,
    org: String,
}

#[derive(Serialize, Deserialize)]
struct ClockExpired {
    request: String,
    clock: String,
    due: DateTime<Utc>,
    outcome: String,
    state: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct DocumentsShredded {
    request: String,
    since: DateTime<Utc>,
    digest: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct PreservationExtended {
    request: String,
    until: DateTime<Utc>,
    reason: String,
}

/// A reviewer objected to, or unassigned: `why` is the objection's grounds or the
/// operator's reason.
#[derive(Serialize, Deserialize)]
struct ReviewerChange {
    request: String,
    reviewer: String,
    why: String,
}

/// A notice endpoint registered or taken away.
#[derive(Serialize, Deserialize)]
struct EndpointChange {
    party: String,
    channel: String,
    address: String,
}

#[derive(Serialize, Deserialize)]
struct NoticeDead {
    notice: u64,
    party: String,
    channel: String,
    log_index: u64,
    error: String,
}

#[derive(Serialize, Deserialize)]
struct NoticeRetried {
    notice: u64,
    party: String,
}

#[derive(Serialize, Deserialize)]
struct ConflictObjected {
    request: String,
    third_country: String,
    law: String,
    reasoning: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    court: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct QuestionJson {
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pointer: Option<String>,
    question: String,
}

#[derive(Serialize, Deserialize)]
struct ClarificationAsked {
    request: String,
    event: u32,
    questions: Vec<QuestionJson>,
}

#[derive(Serialize, Deserialize)]
struct FurtherUseAsked {
    request: String,
    ask: u32,
    kind: String,
    purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recipient_country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recipient_body: Option<String>,
    reasons: String,
}

#[derive(Serialize, Deserialize)]
struct FurtherUseDecided {
    request: String,
    ask: u32,
    by: String,
    granted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conditions: Option<String>,
    reasoning: String,
}

#[derive(Serialize, Deserialize)]
struct FurtherUseRecorded {
    request: String,
    ask: u32,
    note: String,
}

#[derive(Serialize, Deserialize)]
struct ConflictDecided {
    request: String,
    by: String,
    upheld: bool,
    reasoning: String,
}

#[derive(Serialize, Deserialize)]
struct GroundsRaised {
    request: String,
    by: String,
    grounds: Vec<String>,
    reasoning: String,
}

#[derive(Serialize, Deserialize)]
struct Answer {
    rule: String,
    answer: String,
}

#[derive(Serialize, Deserialize)]
struct DecisionReasoned {
    request: String,
    decision: u32,
    by: String,
    outcome: String,
    grounds: Vec<String>,
    answers: Vec<Answer>,
}

#[derive(Serialize, Deserialize)]
struct AppealLodged {
    request: String,
    decision: u32,
    grounds: String,
}

#[derive(Serialize, Deserialize)]
struct TokenCreated {
    id: String,
    org: String,
    role: String,
    label: String,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct TokenRevoked {
    id: String,
    org: String,
}

#[derive(Serialize, Deserialize)]
struct LinkIssued {
    request: String,
    authority: String,
    contact: String,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct RepresentativeRegistered {
    request: String,
    representative: String,
    represents: String,
    mandate: String,
}

#[derive(Serialize, Deserialize)]
struct PersonNoticeRecipient {
    request: String,
    target: u32,
    language: String,
    channel: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PersonNoticeDecided {
    request: String,
    target: u32,
    status: String,
    by: String,
    reasoning: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<chrono::NaiveDate>,
}

#[derive(Serialize, Deserialize)]
struct PersonNoticeSent {
    request: String,
    target: u32,
    language: String,
    channel: String,
    salt: String,
    commitment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    log_entries: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
struct PersonNoticeDelivered {
    request: String,
    target: u32,
    reference: String,
}

#[derive(Serialize, Deserialize)]
struct LinkMailed {
    request: String,
    authority: String,
    contact: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct AuthRefused {
    code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    client: String,
}

#[derive(Serialize, Deserialize)]
struct RecipientAdded {
    authority: String,
    recipient: String,
}

#[derive(Serialize, Deserialize)]
struct ProductionKeyAdded {
    provider: String,
    kid: String,
    /// The public key, base64url (the JWK `x`, RFC 8037 §2).
    x: String,
}

#[derive(Serialize, Deserialize)]
struct ScopedTarget {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Serialize, Deserialize)]
struct DecisionScope {
    request: String,
    decision: u32,
    targets: Vec<ScopedTarget>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    categories: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct ProductionStarted {
    production: String,
    request: String,
    decision: u32,
    export_sha256: String,
    export_bytes: u64,
    records: u64,
    in_scope: u64,
    retention_until: String,
}

#[derive(Serialize, Deserialize)]
struct ProductionSealed {
    production: String,
    recipient: String,
    kid: String,
    manifest_sha256: String,
    package_sha256: String,
    package_bytes: u64,
    redaction: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
struct ProductionFailed {
    production: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct ProductionPackage {
    production: String,
    package_sha256: String,
}

#[derive(Serialize, Deserialize)]
struct ProductionShredded {
    production: String,
    package_sha256: String,
    retention_until: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remedy: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct RequestClassified {
    request: String,
    kind: String,
    instrument: String,
    country: String,
    categories: Vec<String>,
    emergency: bool,
    accounts: u32,
    nondisclosure: bool,
    sealed: bool,
}

#[derive(Serialize, Deserialize)]
struct RemedyOpened {
    request: String,
    case: u32,
    ground: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    by: Option<String>,
    productions: Vec<String>,
    correction: bool,
    recall_due: DateTime<Utc>,
    description: String,
}

#[derive(Serialize, Deserialize)]
struct RemedyCorrection {
    request: String,
    case: u32,
    production: String,
}

#[derive(Serialize, Deserialize)]
struct RemedyRecallMet {
    request: String,
    case: u32,
    late: bool,
}

#[derive(Serialize, Deserialize)]
struct RemedyPersonTold {
    request: String,
    case: u32,
    person: u32,
    language: String,
    channel: String,
    salt: String,
    commitment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
}

/// A pack version's text is kept in the journal as it was read, byte for byte: its hash
/// must still be the hash of what is kept.
#[derive(Serialize, Deserialize)]
struct PackAdopted {
    pack: String,
    version: String,
    hash: String,
    text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    house: Option<String>,
}

/// A differential-privacy release, with every noisy cell. ε and the budget are written as
/// decimals (`"0.5"`) and read back exactly; the noise scale is the float OpenDP used.
#[derive(Serialize, Deserialize)]
struct TransparencyReleased {
    number: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    epsilon: String,
    budget: String,
    sensitivity: u32,
    scale: f64,
    log_size: u64,
    cells: Vec<ReleasedCell>,
}

#[derive(Serialize, Deserialize)]
struct ReleasedCell {
    country: String,
    /// `null`: the requests that name no category.
    category: Option<String>,
    outcome: String,
    requests: i64,
}

/// An evaluation as recorded: its figures by name, in the names' order.
#[derive(Serialize, Deserialize)]
struct EvaluationRecorded {
    year: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority: Option<String>,
    country: String,
    formula: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    score: Option<String>,
    figures: std::collections::BTreeMap<String, u64>,
}

#[derive(Serialize, Deserialize)]
struct DisposalAttested {
    production: String,
    package_sha256: String,
    disposed_at: DateTime<Utc>,
    kid: String,
    jws: String,
}

/// A field an act changed, old and new.
#[derive(Serialize, Deserialize)]
struct ChangedJson<T> {
    old: T,
    new: T,
}

#[derive(Serialize, Deserialize)]
struct PartyUpdated {
    party: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<ChangedJson<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authority_type: Option<ChangedJson<String>>,
    /// A reviewer body's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<ChangedJson<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    institution: Option<ChangedJson<Option<String>>>,
    reason: String,
}

/// A party deactivated or reactivated.
#[derive(Serialize, Deserialize)]
struct PartyStatusChange {
    party: String,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct PartySuspended {
    party: String,
    suspension: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    privilege: Option<String>,
    until: DateTime<Utc>,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct SuspensionLifted {
    party: String,
    suspension: u32,
    reason: String,
}

/// A contact's details, without the authority and id that name it.
#[derive(Serialize, Deserialize)]
struct ContactDetails {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ContactUpdated {
    authority: String,
    id: String,
    before: ContactDetails,
    after: ContactDetails,
    reason: String,
}

#[derive(Serialize, Deserialize)]
struct ContactRemoved {
    authority: String,
    id: String,
    reason: String,
}

fn details(c: &Contact) -> ContactDetails {
    ContactDetails {
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        x: c.public_key.as_ref().map(key_x),
    }
}

fn changed<T, U>(c: &Option<fact::Changed<T>>, f: impl Fn(&T) -> U) -> Option<ChangedJson<U>> {
    c.as_ref().map(|c| ChangedJson { old: f(&c.old), new: f(&c.new) })
}

fn unchanged<T, U>(
    c: Option<ChangedJson<T>>,
    f: impl Fn(T) -> Result<U, String>,
) -> Result<Option<fact::Changed<U>>, String> {
    c.map(|c| Ok(fact::Changed { old: f(c.old)?, new: f(c.new)? })).transpose()
}

fn key_x(key: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

fn json<T: Serialize>(content: &T) -> String {
    // Plain structs of strings, numbers and times always serialize.
    serde_json::to_string(content).unwrap_or_default()
}

/// The canonical content of a fact: the bytes its journal row and audit-log entry keep.
pub fn encode(f: &Fact) -> String {
    match f {
        Fact::KeyAdded(k) => json(&KeyAdded {
            authority: k.authority.to_string(),
            kid: k.kid.to_string(),
            x: key_x(&k.public_key),
            replaces: k.replaces.as_ref().map(ToString::to_string),
        }),
        Fact::KeyRetired(k) => json(&KeyRetired {
            authority: k.authority.to_string(),
            kid: k.kid.to_string(),
            effective_at: k.effective_at,
            replaced_by: k.replaced_by.as_ref().map(ToString::to_string),
        }),
        Fact::KeyRevoked(k) => json(&KeyRevoked {
            authority: k.authority.to_string(),
            kid: k.kid.to_string(),
            effective_at: k.effective_at,
            reason: k.reason.clone(),
        }),
        Fact::ContactAdded(c) => json(&ContactAdded {
            authority: c.authority.to_string(),
            id: c.id.to_string(),
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            x: c.public_key.as_ref().map(key_x),
        }),
        Fact::ReviewerAssigned(r) => json(&ReviewerAssigned {
            request: r.request.to_string(),
            reviewer: r.reviewer.to_string(),
            reason: r.reason.clone(),
        }),
        Fact::UserAdded(u) => json(&UserAdded {
            username: u.username.to_string(),
            org: u.org.to_string(),
            role: u.role.to_string(),
            name: u.name.clone(),
        }),
        Fact::UserDisabled(u) => json(&UserDisabled {
            username: u.username.to_string(),
            org: u.org.to_string(),
            reason: u.reason.clone(),
        }),
        Fact::TokenCreated(t) => json(&TokenCreated {
            id: t.id.clone(),
            org: t.org.to_string(),
            role: t.role.to_string(),
            label: t.label.clone(),
            expires_at: t.expires_at,
        }),
        Fact::TokenRevoked(t) => json(&TokenRevoked { id: t.id.clone(), org: t.org.to_string() }),
        Fact::LinkIssued(l) => json(&LinkIssued {
            request: l.request.to_string(),
            authority: l.authority.to_string(),
            contact: l.contact.to_string(),
            expires_at: l.expires_at,
        }),
        Fact::RepresentativeRegistered(r) => json(&RepresentativeRegistered {
            request: r.request.to_string(),
            representative: r.representative.to_string(),
            represents: r.represents.clone(),
            mandate: r.mandate.clone(),
        }),
        Fact::ProductionShredded(p) => json(&ProductionShredded {
            production: p.production.clone(),
            package_sha256: p.package_sha256.clone(),
            retention_until: p.retention_until.clone(),
            remedy: p.remedy,
        }),
        Fact::DisposalAttested(a) => json(&DisposalAttested {
            production: a.production.clone(),
            package_sha256: a.package_sha256.clone(),
            disposed_at: a.disposed_at,
            kid: a.kid.to_string(),
            jws: a.jws.clone(),
        }),
        Fact::PersonNoticeRecipient(n) => json(&PersonNoticeRecipient {
            request: n.request.to_string(),
            target: n.target,
            language: n.language.clone(),
            channel: n.channel.to_string(),
            address: n.address.clone(),
        }),
        Fact::PersonNoticeDecided(n) => json(&PersonNoticeDecided {
            request: n.request.to_string(),
            target: n.target,
            status: n.status.to_string(),
            by: n.by.to_string(),
            reasoning: n.reasoning.clone(),
            until: n.until,
        }),
        Fact::PersonNoticeSent(n) => json(&PersonNoticeSent {
            request: n.request.to_string(),
            target: n.target,
            language: n.language.clone(),
            channel: n.channel.to_string(),
            salt: n.salt.clone(),
            commitment: n.commitment.clone(),
            message_id: n.message_id.clone(),
            log_entries: n.log_entries.clone(),
        }),
        Fact::PersonNoticeDelivered(n) => json(&PersonNoticeDelivered {
            request: n.request.to_string(),
            target: n.target,
            reference: n.reference.clone(),
        }),
        Fact::LinkMailed(l) => json(&LinkMailed {
            request: l.request.to_string(),
            authority: l.authority.to_string(),
            contact: l.contact.to_string(),
            message_id: l.message_id.clone(),
            error: l.error.clone(),
        }),
        Fact::AuthRefused(a) => json(&AuthRefused {
            code: a.code.clone(),
            kid: a.kid.clone(),
            iss: a.iss.clone(),
            client: a.client.clone(),
        }),
        Fact::DecisionScope(d) => json(&DecisionScope {
            request: d.request.to_string(),
            decision: d.decision,
            targets: d
                .targets
                .iter()
                .map(|t| ScopedTarget { kind: t.kind().to_string(), value: t.value().to_owned() })
                .collect(),
            from: d.from,
            to: d.to,
            categories: d.categories.iter().map(ToString::to_string).collect(),
        }),
        Fact::RecipientAdded(r) => {
            json(&RecipientAdded { authority: r.authority.to_string(), recipient: r.recipient.clone() })
        }
        Fact::ProductionKeyAdded(k) => json(&ProductionKeyAdded {
            provider: k.provider.to_string(),
            kid: k.kid.to_string(),
            x: key_x(&k.public_key),
        }),
        Fact::ProductionStarted(p) => json(&ProductionStarted {
            production: p.production.clone(),
            request: p.request.to_string(),
            decision: p.decision,
            export_sha256: p.export_sha256.clone(),
            export_bytes: p.export_bytes,
            records: p.records,
            in_scope: p.in_scope,
            retention_until: p.retention_until.clone(),
        }),
        Fact::ProductionSealed(p) => json(&ProductionSealed {
            production: p.production.clone(),
            recipient: p.recipient.clone(),
            kid: p.kid.clone(),
            manifest_sha256: p.manifest_sha256.clone(),
            package_sha256: p.package_sha256.clone(),
            package_bytes: p.package_bytes,
            redaction: serde_json::from_str(&p.redaction).unwrap_or(serde_json::Value::Null),
        }),
        Fact::ProductionFailed(p) => {
            json(&ProductionFailed { production: p.production.clone(), reason: p.reason.clone() })
        }
        Fact::ProductionDownloaded(p) => json(&ProductionPackage {
            production: p.production.clone(),
            package_sha256: p.package_sha256.clone(),
        }),
        Fact::ProductionAcknowledged(p) => json(&ProductionPackage {
            production: p.production.clone(),
            package_sha256: p.package_sha256.clone(),
        }),
        Fact::PasswordChanged(u) => {
            json(&PasswordChanged { username: u.username.to_string(), org: u.org.to_string() })
        }
        Fact::ClockExpired(c) => json(&ClockExpired {
            request: c.request.to_string(),
            clock: c.clock.to_string(),
            due: c.due,
            outcome: c.outcome.to_string(),
            state: c.state.to_string(),
            reason: c.reason.clone(),
        }),
        Fact::DocumentsShredded(d) => json(&DocumentsShredded {
            request: d.request.to_string(),
            since: d.since,
            digest: d.digest.clone(),
            reason: d.reason.clone(),
        }),
        Fact::RemedyOpened(r) => json(&RemedyOpened {
            request: r.request.to_string(),
            case: r.case,
            ground: r.ground.to_string(),
            by: r.by.as_ref().map(ToString::to_string),
            productions: r.productions.clone(),
            correction: r.correction,
            recall_due: r.recall_due,
            description: r.description.clone(),
        }),
        Fact::RequestClassified(c) => json(&RequestClassified {
            request: c.request.to_string(),
            kind: c.class.kind.to_string(),
            instrument: c.class.instrument.to_string(),
            country: c.class.country.to_string(),
            categories: c.class.categories.iter().map(ToString::to_string).collect(),
            emergency: c.class.emergency,
            accounts: c.class.accounts,
            nondisclosure: c.class.nondisclosure,
            sealed: c.sealed,
        }),
        Fact::RemedyCorrection(r) => json(&RemedyCorrection {
            request: r.request.to_string(),
            case: r.case,
            production: r.production.clone(),
        }),
        Fact::RemedyRecallMet(r) => {
            json(&RemedyRecallMet { request: r.request.to_string(), case: r.case, late: r.late })
        }
        Fact::RemedyPersonTold(r) => json(&RemedyPersonTold {
            request: r.request.to_string(),
            case: r.case,
            person: r.person,
            language: r.language.clone(),
            channel: r.channel.to_string(),
            salt: r.salt.clone(),
            commitment: r.commitment.clone(),
            message_id: r.message_id.clone(),
        }),
        Fact::EvaluationRecorded(e) => json(&EvaluationRecorded {
            year: e.year,
            from: e.from,
            to: e.to,
            authority: e.authority.as_ref().map(ToString::to_string),
            country: e.country.to_string(),
            formula: e.formula.clone(),
            score: e.score.clone(),
            figures: e.figures.clone(),
        }),
        Fact::PackAdopted(p) => json(&PackAdopted {
            pack: p.pack.clone(),
            version: p.version.clone(),
            hash: p.hash.clone(),
            text: p.text.clone(),
            house: p.house.clone(),
        }),
        Fact::TransparencyReleased(r) => json(&TransparencyReleased {
            number: r.number,
            from: r.from,
            to: r.to,
            epsilon: r.epsilon.to_string(),
            budget: r.budget.to_string(),
            sensitivity: r.sensitivity,
            scale: r.scale.0,
            log_size: r.log_size,
            cells: r
                .cells
                .iter()
                .map(|c| ReleasedCell {
                    country: c.cell.country.to_string(),
                    category: c.cell.category.map(|k| k.as_str().to_owned()),
                    outcome: c.cell.outcome.as_str().to_owned(),
                    requests: c.requests,
                })
                .collect(),
        }),
        Fact::PreservationExtended(p) => json(&PreservationExtended {
            request: p.request.to_string(),
            until: p.until,
            reason: p.reason.clone(),
        }),
        Fact::ReviewerObjected(r) => json(&ReviewerChange {
            request: r.request.to_string(),
            reviewer: r.reviewer.to_string(),
            why: r.grounds.clone(),
        }),
        Fact::ReviewerUnassigned(r) => json(&ReviewerChange {
            request: r.request.to_string(),
            reviewer: r.reviewer.to_string(),
            why: r.reason.clone(),
        }),
        Fact::ConflictObjected(c) => json(&ConflictObjected {
            request: c.request.to_string(),
            third_country: c.third_country.to_string(),
            law: c.law.clone(),
            reasoning: c.reasoning.clone(),
            court: c.court.as_ref().map(|p| p.to_string()),
        }),
        Fact::ClarificationAsked(c) => json(&ClarificationAsked {
            request: c.request.to_string(),
            event: c.event,
            questions: c
                .questions
                .iter()
                .map(|q| QuestionJson {
                    reason: q.reason.as_str().to_owned(),
                    pointer: q.pointer.clone(),
                    question: q.question.clone(),
                })
                .collect(),
        }),
        Fact::FurtherUseAsked(f) => json(&FurtherUseAsked {
            request: f.request.to_string(),
            ask: f.ask,
            kind: f.kind.as_str().to_owned(),
            purpose: f.purpose.clone(),
            recipient_country: f.recipient.as_ref().map(|r| r.country.to_string()),
            recipient_body: f.recipient.as_ref().map(|r| r.body.clone()),
            reasons: f.reasons.clone(),
        }),
        Fact::FurtherUseDecided(f) => json(&FurtherUseDecided {
            request: f.request.to_string(),
            ask: f.ask,
            by: f.by.to_string(),
            granted: f.granted,
            conditions: f.conditions.clone(),
            reasoning: f.reasoning.clone(),
        }),
        Fact::FurtherUseRecorded(f) => {
            json(&FurtherUseRecorded { request: f.request.to_string(), ask: f.ask, note: f.note.clone() })
        }
        Fact::ConflictDecided(c) => json(&ConflictDecided {
            request: c.request.to_string(),
            by: c.by.to_string(),
            upheld: c.upheld,
            reasoning: c.reasoning.clone(),
        }),
        Fact::GroundsRaised(g) => json(&GroundsRaised {
            request: g.request.to_string(),
            by: g.by.to_string(),
            grounds: g.grounds.clone(),
            reasoning: g.reasoning.clone(),
        }),
        Fact::DecisionReasoned(d) => json(&DecisionReasoned {
            request: d.request.to_string(),
            decision: d.decision,
            by: d.by.to_string(),
            outcome: d.outcome.to_string(),
            grounds: d.grounds.clone(),
            answers: d
                .answers
                .iter()
                .map(|(rule, answer)| Answer { rule: rule.clone(), answer: answer.clone() })
                .collect(),
        }),
        Fact::AppealLodged(a) => json(&AppealLodged {
            request: a.request.to_string(),
            decision: a.decision,
            grounds: a.grounds.clone(),
        }),
        Fact::EndpointAdded(e) | Fact::EndpointRemoved(e) => json(&EndpointChange {
            party: e.party.to_string(),
            channel: e.channel.to_string(),
            address: e.address.clone(),
        }),
        Fact::NoticeDead(n) => json(&NoticeDead {
            notice: n.notice,
            party: n.party.to_string(),
            channel: n.channel.to_string(),
            log_index: n.log_index,
            error: n.error.clone(),
        }),
        Fact::NoticeRetried(n) => json(&NoticeRetried { notice: n.notice, party: n.party.to_string() }),
        Fact::PartyUpdated(u) => json(&PartyUpdated {
            party: u.party.to_string(),
            name: changed(&u.name, Clone::clone),
            authority_type: changed(&u.authority_type, |t| t.to_string()),
            kind: changed(&u.reviewer_kind, |k| k.to_string()),
            institution: changed(&u.institution, |i| i.as_ref().map(ToString::to_string)),
            reason: u.reason.clone(),
        }),
        Fact::PartyDeactivated(c) | Fact::PartyReactivated(c) => {
            json(&PartyStatusChange { party: c.party.to_string(), reason: c.reason.clone() })
        }
        Fact::PartySuspended(s) => json(&PartySuspended {
            party: s.party.to_string(),
            suspension: s.suspension,
            privilege: s.privilege.map(|p| p.to_string()),
            until: s.until,
            reason: s.reason.clone(),
        }),
        Fact::SuspensionLifted(l) => json(&SuspensionLifted {
            party: l.party.to_string(),
            suspension: l.suspension,
            reason: l.reason.clone(),
        }),
        Fact::ContactUpdated(c) => json(&ContactUpdated {
            authority: c.after.authority.to_string(),
            id: c.after.id.to_string(),
            before: details(&c.before),
            after: details(&c.after),
            reason: c.reason.clone(),
        }),
        Fact::ContactRemoved(c) => json(&ContactRemoved {
            authority: c.authority.to_string(),
            id: c.id.to_string(),
            reason: c.reason.clone(),
        }),
    }
}

/// A new entry as its row is written, numbered `seq`, at `at` as stored.
pub(crate) fn written(e: &NewEntry, seq: u64, at: DateTime<Utc>) -> JournalEntry {
    JournalEntry {
        seq,
        at,
        actor: e.actor.clone(),
        party: e.party.clone(),
        subject: e.subject.clone(),
        request_id: e.request_id,
        fact: e.fact.clone(),
        content: encode(&e.fact),
        log_index: None,
    }
}

fn read<T: DeserializeOwned>(content: &str) -> Result<T, String> {
    serde_json::from_str(content).map_err(|e| e.to_string())
}

fn party(s: &str) -> Result<PartyId, String> {
    PartyId::parse(s).map_err(|e| e.to_string())
}

fn kid(s: &str) -> Result<KeyId, String> {
    KeyId::parse(s).map_err(|e| e.to_string())
}

fn request(s: &str) -> Result<RequestId, String> {
    RequestId::parse(s).map_err(|e| e.to_string())
}

fn username(s: &str) -> Result<Username, String> {
    Username::parse(s).map_err(|e| e.to_string())
}

fn role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("{s:?} is not a role"))
}

fn public_key(x: &str) -> Result<[u8; 32], String> {
    let bytes = URL_SAFE_NO_PAD.decode(x).map_err(|e| format!("the key {x:?} is not base64url: {e}"))?;
    bytes.try_into().map_err(|_| format!("the key {x:?} is not 32 bytes"))
}

/// Reads a fact of `kind` back from its stored content; the message says what does not
/// parse.
pub fn decode(kind: &str, content: &str) -> Result<Fact, String> {
    let kind = FactKind::parse(kind).ok_or_else(|| format!("{kind:?} is not a kind of journal entry"))?;
    Ok(match kind {
        FactKind::KeyAdded => {
            let k: KeyAdded = read(content)?;
            Fact::KeyAdded(fact::KeyAdded {
                authority: party(&k.authority)?,
                kid: kid(&k.kid)?,
                public_key: public_key(&k.x)?,
                replaces: k.replaces.as_deref().map(kid).transpose()?,
            })
        }
        FactKind::KeyRetired => {
            let k: KeyRetired = read(content)?;
            Fact::KeyRetired(fact::KeyRetired {
                authority: party(&k.authority)?,
                kid: kid(&k.kid)?,
                effective_at: k.effective_at,
                replaced_by: k.replaced_by.as_deref().map(kid).transpose()?,
            })
        }
        FactKind::KeyRevoked => {
            let k: KeyRevoked = read(content)?;
            Fact::KeyRevoked(fact::KeyRevoked {
                authority: party(&k.authority)?,
                kid: kid(&k.kid)?,
                effective_at: k.effective_at,
                reason: k.reason,
            })
        }
        FactKind::ContactAdded => {
            let c: ContactAdded = read(content)?;
            Fact::ContactAdded(Contact {
                authority: party(&c.authority)?,
                id: username(&c.id)?,
                name: c.name,
                email: c.email,
                phone: c.phone,
                public_key: c.x.as_deref().map(public_key).transpose()?,
            })
        }
        FactKind::ReviewerAssigned => {
            let r: ReviewerAssigned = read(content)?;
            Fact::ReviewerAssigned(fact::ReviewerAssigned {
                request: request(&r.request)?,
                reviewer: party(&r.reviewer)?,
                reason: r.reason,
            })
        }
        FactKind::UserAdded => {
            let u: UserAdded = read(content)?;
            Fact::UserAdded(fact::UserAdded {
                username: username(&u.username)?,
                org: party(&u.org)?,
                role: role(&u.role)?,
                name: u.name,
            })
        }
        FactKind::UserDisabled => {
            let u: UserDisabled = read(content)?;
            Fact::UserDisabled(fact::UserDisabled {
                username: username(&u.username)?,
                org: party(&u.org)?,
                reason: u.reason,
            })
        }
        FactKind::TokenCreated => {
            let t: TokenCreated = read(content)?;
            Fact::TokenCreated(fact::TokenCreated {
                id: t.id,
                org: party(&t.org)?,
                role: role(&t.role)?,
                label: t.label,
                expires_at: t.expires_at,
            })
        }
        FactKind::TokenRevoked => {
            let t: TokenRevoked = read(content)?;
            Fact::TokenRevoked(fact::TokenRevoked { id: t.id, org: party(&t.org)? })
        }
        FactKind::LinkIssued => {
            let l: LinkIssued = read(content)?;
            Fact::LinkIssued(fact::LinkIssued {
                request: request(&l.request)?,
                authority: party(&l.authority)?,
                contact: username(&l.contact)?,
                expires_at: l.expires_at,
            })
        }
        FactKind::RepresentativeRegistered => {
            let r: RepresentativeRegistered = read(content)?;
            Fact::RepresentativeRegistered(fact::RepresentativeRegistered {
                request: request(&r.request)?,
                representative: party(&r.representative)?,
                represents: r.represents,
                mandate: r.mandate,
            })
        }
        FactKind::ProductionShredded => {
            let p: ProductionShredded = read(content)?;
            Fact::ProductionShredded(fact::ProductionShredded {
                production: p.production,
                package_sha256: p.package_sha256,
                retention_until: p.retention_until,
                remedy: p.remedy,
            })
        }
        FactKind::DisposalAttested => {
            let a: DisposalAttested = read(content)?;
            Fact::DisposalAttested(fact::DisposalAttested {
                production: a.production,
                package_sha256: a.package_sha256,
                disposed_at: a.disposed_at,
                kid: kid(&a.kid)?,
                jws: a.jws,
            })
        }
        FactKind::PersonNoticeRecipient => {
            let n: PersonNoticeRecipient = read(content)?;
            Fact::PersonNoticeRecipient(fact::PersonNoticeRecipient {
                request: request(&n.request)?,
                target: n.target,
                language: n.language,
                channel: notice_channel(&n.channel)?,
                address: n.address,
            })
        }
        FactKind::PersonNoticeDecided => {
            let n: PersonNoticeDecided = read(content)?;
            Fact::PersonNoticeDecided(fact::PersonNoticeDecided {
                request: request(&n.request)?,
                target: n.target,
                status: PersonNoticeStatus::parse(&n.status)
                    .ok_or_else(|| format!("{:?} is not a notice status", n.status))?,
                by: party(&n.by)?,
                reasoning: n.reasoning,
                until: n.until,
            })
        }
        FactKind::PersonNoticeSent => {
            let n: PersonNoticeSent = read(content)?;
            Fact::PersonNoticeSent(fact::PersonNoticeSent {
                request: request(&n.request)?,
                target: n.target,
                language: n.language,
                channel: notice_channel(&n.channel)?,
                salt: n.salt,
                commitment: n.commitment,
                message_id: n.message_id,
                log_entries: n.log_entries,
            })
        }
        FactKind::PersonNoticeDelivered => {
            let n: PersonNoticeDelivered = read(content)?;
            Fact::PersonNoticeDelivered(fact::PersonNoticeDelivered {
                request: request(&n.request)?,
                target: n.target,
                reference: n.reference,
            })
        }
        FactKind::LinkMailed => {
            let l: LinkMailed = read(content)?;
            Fact::LinkMailed(fact::LinkMailed {
                request: request(&l.request)?,
                authority: party(&l.authority)?,
                contact: username(&l.contact)?,
                message_id: l.message_id,
                error: l.error,
            })
        }
        FactKind::AuthRefused => {
            let a: AuthRefused = read(content)?;
            Fact::AuthRefused(fact::AuthRefused { code: a.code, kid: a.kid, iss: a.iss, client: a.client })
        }
        FactKind::DecisionScope => {
            let d: DecisionScope = read(content)?;
            let targets = d
                .targets
                .iter()
                .map(|t| {
                    let kind = SelectorType::parse(&t.kind)
                        .ok_or_else(|| format!("{:?} is not a selector type", t.kind))?;
                    Selector::parse(kind, &t.value, None).map_err(|e| e.to_string())
                })
                .collect::<Result<_, String>>()?;
            let categories = d
                .categories
                .iter()
                .map(|c| DataCategory::parse(c).ok_or_else(|| format!("{c:?} is not a data category")))
                .collect::<Result<_, String>>()?;
            Fact::DecisionScope(fact::DecisionScope {
                request: request(&d.request)?,
                decision: d.decision,
                targets,
                from: d.from,
                to: d.to,
                categories,
            })
        }
        FactKind::RecipientAdded => {
            let r: RecipientAdded = read(content)?;
            Fact::RecipientAdded(fact::RecipientAdded {
                authority: party(&r.authority)?,
                recipient: r.recipient,
            })
        }
        FactKind::ProductionKeyAdded => {
            let k: ProductionKeyAdded = read(content)?;
            Fact::ProductionKeyAdded(fact::ProductionKeyAdded {
                provider: party(&k.provider)?,
                kid: kid(&k.kid)?,
                public_key: public_key(&k.x)?,
            })
        }
        FactKind::ProductionStarted => {
            let p: ProductionStarted = read(content)?;
            Fact::ProductionStarted(fact::ProductionStarted {
                production: p.production,
                request: request(&p.request)?,
                decision: p.decision,
                export_sha256: p.export_sha256,
                export_bytes: p.export_bytes,
                records: p.records,
                in_scope: p.in_scope,
                retention_until: p.retention_until,
            })
        }
        FactKind::ProductionSealed => {
            let p: ProductionSealed = read(content)?;
            Fact::ProductionSealed(fact::ProductionSealed {
                production: p.production,
                recipient: p.recipient,
                kid: p.kid,
                manifest_sha256: p.manifest_sha256,
                package_sha256: p.package_sha256,
                package_bytes: p.package_bytes,
                redaction: p.redaction.to_string(),
            })
        }
        FactKind::ProductionFailed => {
            let p: ProductionFailed = read(content)?;
            Fact::ProductionFailed(fact::ProductionFailed { production: p.production, reason: p.reason })
        }
        FactKind::ProductionDownloaded => {
            let p: ProductionPackage = read(content)?;
            Fact::ProductionDownloaded(fact::ProductionDownloaded {
                production: p.production,
                package_sha256: p.package_sha256,
            })
        }
        FactKind::ProductionAcknowledged => {
            let p: ProductionPackage = read(content)?;
            Fact::ProductionAcknowledged(fact::ProductionAcknowledged {
                production: p.production,
                package_sha256: p.package_sha256,
            })
        }
        FactKind::PasswordChanged => {
            let u: PasswordChanged = read(content)?;
            Fact::PasswordChanged(fact::PasswordChanged {
                username: username(&u.username)?,
                org: party(&u.org)?,
            })
        }
        FactKind::ClockExpired => {
            let c: ClockExpired = read(content)?;
            Fact::ClockExpired(fact::ClockExpired {
                request: request(&c.request)?,
                clock: ClockKind::parse(&c.clock).ok_or_else(|| format!("{:?} is not a clock", c.clock))?,
                due: c.due,
                outcome: ClockOutcome::parse(&c.outcome)
                    .ok_or_else(|| format!("{:?} is not a clock outcome", c.outcome))?,
                state: State::parse(&c.state).ok_or_else(|| format!("{:?} is not a state", c.state))?,
                reason: c.reason,
            })
        }
        FactKind::DocumentsShredded => {
            let d: DocumentsShredded = read(content)?;
            Fact::DocumentsShredded(fact::DocumentsShredded {
                request: request(&d.request)?,
                since: d.since,
                digest: d.digest,
                reason: d.reason,
            })
        }
        FactKind::RemedyOpened => {
            let r: RemedyOpened = read(content)?;
            Fact::RemedyOpened(fact::RemedyOpened {
                request: request(&r.request)?,
                case: r.case,
                ground: fact::RemedyGround::parse(&r.ground)
                    .ok_or_else(|| format!("{:?} is not a remedy ground", r.ground))?,
                by: r.by.as_deref().map(party).transpose()?,
                productions: r.productions,
                correction: r.correction,
                recall_due: r.recall_due,
                description: r.description,
            })
        }
        FactKind::RequestClassified => {
            let c: RequestClassified = read(content)?;
            let bad = |what: &str, v: &str| format!("{v:?} is not {what}");
            let categories = c
                .categories
                .iter()
                .map(|v| comity_core::DataCategory::parse(v).ok_or_else(|| bad("a data category", v)))
                .collect::<Result<Vec<_>, _>>()?;
            Fact::RequestClassified(fact::RequestClassified {
                request: request(&c.request)?,
                class: comity_core::transparency::Classification::new(
                    comity_core::RequestKind::parse(&c.kind).ok_or_else(|| bad("a request kind", &c.kind))?,
                    comity_core::Instrument::parse(&c.instrument)
                        .ok_or_else(|| bad("an instrument", &c.instrument))?,
                    comity_core::CountryCode::parse(&c.country).map_err(|e| e.to_string())?,
                    categories,
                    c.emergency,
                    c.accounts as usize,
                    c.nondisclosure,
                ),
                sealed: c.sealed,
            })
        }
        FactKind::RemedyCorrection => {
            let r: RemedyCorrection = read(content)?;
            Fact::RemedyCorrection(fact::RemedyCorrection {
                request: request(&r.request)?,
                case: r.case,
                production: r.production,
            })
        }
        FactKind::RemedyRecallMet => {
            let r: RemedyRecallMet = read(content)?;
            Fact::RemedyRecallMet(fact::RemedyRecallMet {
                request: request(&r.request)?,
                case: r.case,
                late: r.late,
            })
        }
        FactKind::RemedyPersonTold => {
            let r: RemedyPersonTold = read(content)?;
            Fact::RemedyPersonTold(fact::RemedyPersonTold {
                request: request(&r.request)?,
                case: r.case,
                person: r.person,
                language: r.language,
                channel: notice_channel(&r.channel)?,
                salt: r.salt,
                commitment: r.commitment,
                message_id: r.message_id,
            })
        }
        FactKind::EvaluationRecorded => {
            let e: EvaluationRecorded = read(content)?;
            Fact::EvaluationRecorded(fact::EvaluationRecorded {
                year: e.year,
                from: e.from,
                to: e.to,
                authority: e.authority.as_deref().map(party).transpose()?,
                country: comity_core::CountryCode::parse(&e.country).map_err(|e| e.to_string())?,
                formula: e.formula,
                score: e.score,
                figures: e.figures,
            })
        }
        FactKind::PackAdopted => {
            let p: PackAdopted = read(content)?;
            Fact::PackAdopted(fact::PackAdopted {
                pack: p.pack,
                version: p.version,
                hash: p.hash,
                text: p.text,
                house: p.house,
            })
        }
        FactKind::TransparencyReleased => {
            use comity_core::privacy::{Epsilon, NoiseScale, Released};
            use comity_core::transparency::{Cell, Outcome};
            let r: TransparencyReleased = read(content)?;
            let cells = r
                .cells
                .into_iter()
                .map(|c| {
                    let category = match c.category {
                        None => None,
                        Some(k) => {
                            Some(DataCategory::parse(&k).ok_or_else(|| format!("no data category {k:?}"))?)
                        }
                    };
                    Ok(Released {
                        cell: Cell {
                            country: CountryCode::parse(&c.country).map_err(|e| e.to_string())?,
                            category,
                            outcome: Outcome::parse(&c.outcome)
                                .ok_or_else(|| format!("no outcome {:?}", c.outcome))?,
                        },
                        requests: c.requests,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Fact::TransparencyReleased(fact::TransparencyReleased {
                number: r.number,
                from: r.from,
                to: r.to,
                epsilon: Epsilon::parse(&r.epsilon).map_err(|e| e.to_string())?,
                budget: Epsilon::parse(&r.budget).map_err(|e| e.to_string())?,
                sensitivity: r.sensitivity,
                scale: NoiseScale(r.scale),
                log_size: r.log_size,
                cells,
            })
        }
        FactKind::PreservationExtended => {
            let p: PreservationExtended = read(content)?;
            Fact::PreservationExtended(fact::PreservationExtended {
                request: request(&p.request)?,
                until: p.until,
                reason: p.reason,
            })
        }
        FactKind::ReviewerObjected => {
            let r: ReviewerChange = read(content)?;
            Fact::ReviewerObjected(fact::ReviewerObjected {
                request: request(&r.request)?,
                reviewer: party(&r.reviewer)?,
                grounds: r.why,
            })
        }
        FactKind::ReviewerUnassigned => {
            let r: ReviewerChange = read(content)?;
            Fact::ReviewerUnassigned(fact::ReviewerUnassigned {
                request: request(&r.request)?,
                reviewer: party(&r.reviewer)?,
                reason: r.why,
            })
        }
        FactKind::ConflictObjected => {
            let c: ConflictObjected = read(content)?;
            Fact::ConflictObjected(fact::ConflictObjected {
                request: request(&c.request)?,
                third_country: comity_core::CountryCode::parse(&c.third_country)
                    .map_err(|e| e.to_string())?,
                law: c.law,
                reasoning: c.reasoning,
                court: c.court.as_deref().map(party).transpose()?,
            })
        }
        FactKind::ClarificationAsked => {
            let c: ClarificationAsked = read(content)?;
            let mut questions = Vec::with_capacity(c.questions.len());
            for q in c.questions {
                questions.push(fact::Question {
                    reason: fact::ClarificationReason::parse(&q.reason)
                        .ok_or_else(|| format!("{:?} is not a reason for clarification", q.reason))?,
                    pointer: q.pointer,
                    question: q.question,
                });
            }
            Fact::ClarificationAsked(fact::ClarificationAsked {
                request: request(&c.request)?,
                event: c.event,
                questions,
            })
        }
        FactKind::FurtherUseAsked => {
            let f: FurtherUseAsked = read(content)?;
            let recipient = match (f.recipient_country, f.recipient_body) {
                (Some(country), Some(body)) => Some(fact::FurtherUseRecipient {
                    country: comity_core::CountryCode::parse(&country).map_err(|e| e.to_string())?,
                    body,
                }),
                (None, None) => None,
                _ => return Err("a recipient needs both its country and its body".to_owned()),
            };
            Fact::FurtherUseAsked(fact::FurtherUseAsked {
                request: request(&f.request)?,
                ask: f.ask,
                kind: fact::FurtherUseKind::parse(&f.kind)
                    .ok_or_else(|| format!("{:?} is not a kind of further use", f.kind))?,
                purpose: f.purpose,
                recipient,
                reasons: f.reasons,
            })
        }
        FactKind::FurtherUseDecided => {
            let f: FurtherUseDecided = read(content)?;
            Fact::FurtherUseDecided(fact::FurtherUseDecided {
                request: request(&f.request)?,
                ask: f.ask,
                by: party(&f.by)?,
                granted: f.granted,
                conditions: f.conditions,
                reasoning: f.reasoning,
            })
        }
        FactKind::FurtherUseRecorded => {
            let f: FurtherUseRecorded = read(content)?;
            Fact::FurtherUseRecorded(fact::FurtherUseRecorded {
                request: request(&f.request)?,
                ask: f.ask,
                note: f.note,
            })
        }
        FactKind::ConflictDecided => {
            let c: ConflictDecided = read(content)?;
            Fact::ConflictDecided(fact::ConflictDecided {
                request: request(&c.request)?,
                by: party(&c.by)?,
                upheld: c.upheld,
                reasoning: c.reasoning,
            })
        }
        FactKind::GroundsRaised => {
            let g: GroundsRaised = read(content)?;
            Fact::GroundsRaised(fact::GroundsRaised {
                request: request(&g.request)?,
                by: party(&g.by)?,
                grounds: g.grounds,
                reasoning: g.reasoning,
            })
        }
        FactKind::DecisionReasoned => {
            let d: DecisionReasoned = read(content)?;
            Fact::DecisionReasoned(fact::DecisionReasoned {
                request: request(&d.request)?,
                decision: d.decision,
                by: party(&d.by)?,
                outcome: State::parse(&d.outcome).ok_or_else(|| format!("{:?} is not a state", d.outcome))?,
                grounds: d.grounds,
                answers: d.answers.into_iter().map(|a| (a.rule, a.answer)).collect(),
            })
        }
        FactKind::AppealLodged => {
            let a: AppealLodged = read(content)?;
            Fact::AppealLodged(fact::AppealLodged {
                request: request(&a.request)?,
                decision: a.decision,
                grounds: a.grounds,
            })
        }
        FactKind::EndpointAdded => Fact::EndpointAdded(endpoint(read(content)?)?),
        FactKind::EndpointRemoved => Fact::EndpointRemoved(endpoint(read(content)?)?),
        FactKind::NoticeDead => {
            let n: NoticeDead = read(content)?;
            Fact::NoticeDead(fact::NoticeDead {
                notice: n.notice,
                party: party(&n.party)?,
                channel: channel(&n.channel)?,
                log_index: n.log_index,
                error: n.error,
            })
        }
        FactKind::NoticeRetried => {
            let n: NoticeRetried = read(content)?;
            Fact::NoticeRetried(fact::NoticeRetried { notice: n.notice, party: party(&n.party)? })
        }
        FactKind::PartyUpdated => {
            let u: PartyUpdated = read(content)?;
            Fact::PartyUpdated(fact::PartyUpdated {
                party: party(&u.party)?,
                name: unchanged(u.name, Ok)?,
                authority_type: unchanged(u.authority_type, |t| {
                    AuthorityType::parse(&t).ok_or_else(|| format!("{t:?} is not an authority type"))
                })?,
                reviewer_kind: unchanged(u.kind, |k| {
                    ReviewerKind::parse(&k).ok_or_else(|| format!("{k:?} is not a kind of reviewer body"))
                })?,
                institution: unchanged(u.institution, |i| i.as_deref().map(party).transpose())?,
                reason: u.reason,
            })
        }
        FactKind::PartyDeactivated => {
            let c: PartyStatusChange = read(content)?;
            Fact::PartyDeactivated(fact::PartyStatusChange { party: party(&c.party)?, reason: c.reason })
        }
        FactKind::PartyReactivated => {
            let c: PartyStatusChange = read(content)?;
            Fact::PartyReactivated(fact::PartyStatusChange { party: party(&c.party)?, reason: c.reason })
        }
        FactKind::PartySuspended => {
            let s: PartySuspended = read(content)?;
            Fact::PartySuspended(fact::PartySuspended {
                party: party(&s.party)?,
                suspension: s.suspension,
                privilege: s
                    .privilege
                    .map(|p| Privilege::parse(&p).ok_or_else(|| format!("{p:?} is not a privilege")))
                    .transpose()?,
                until: s.until,
                reason: s.reason,
            })
        }
        FactKind::SuspensionLifted => {
            let l: SuspensionLifted = read(content)?;
            Fact::SuspensionLifted(fact::SuspensionLifted {
                party: party(&l.party)?,
                suspension: l.suspension,
                reason: l.reason,
            })
        }
        FactKind::ContactUpdated => {
            let c: ContactUpdated = read(content)?;
            let (authority, id) = (party(&c.authority)?, username(&c.id)?);
            let contact = |d: ContactDetails| -> Result<Contact, String> {
                Ok(Contact {
                    authority: authority.clone(),
                    id: id.clone(),
                    name: d.name,
                    email: d.email,
                    phone: d.phone,
                    public_key: d.x.as_deref().map(public_key).transpose()?,
                })
            };
            Fact::ContactUpdated(fact::ContactUpdated {
                before: contact(c.before)?,
                after: contact(c.after)?,
                reason: c.reason,
            })
        }
        FactKind::ContactRemoved => {
            let c: ContactRemoved = read(content)?;
            Fact::ContactRemoved(fact::ContactRemoved {
                authority: party(&c.authority)?,
                id: username(&c.id)?,
                reason: c.reason,
            })
        }
    })
}

fn notice_channel(s: &str) -> Result<PersonNoticeChannel, String> {
    PersonNoticeChannel::parse(s).ok_or_else(|| format!("{s:?} is not a channel of notice to a person"))
}

fn channel(s: &str) -> Result<Channel, String> {
    Channel::parse(s).ok_or_else(|| format!("{s:?} is not a notice channel"))
}

fn endpoint(e: EndpointChange) -> Result<Endpoint, String> {
    Ok(Endpoint { party: party(&e.party)?, channel: channel(&e.channel)?, address: e.address })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contents as comity wrote them before facts were typed: each reads back and is
    /// written again byte for byte, so old rows and new ones share one format (issue 11).
    #[test]
    fn every_kind_reads_back_and_writes_the_same_bytes() {
        let stored = [
            (
                "key.added",
                r#"{"authority":"fr-tj-paris","kid":"k1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            ),
            (
                "key.added",
                r#"{"authority":"fr-tj-paris","kid":"k2","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","replaces":"k1"}"#,
            ),
            (
                "key.retired",
                r#"{"authority":"fr-tj-paris","kid":"k1","effective_at":"2026-12-01T10:00:00Z","replaced_by":"k2"}"#,
            ),
            (
                "key.revoked",
                r#"{"authority":"fr-tj-paris","kid":"k1","effective_at":"2026-12-01T10:00:00.123456Z","reason":"lost"}"#,
            ),
            (
                "contact.added",
                r#"{"authority":"fr-tj-paris","id":"duty-officer","name":"Duty","email":"d@example.org"}"#,
            ),
            (
                "contact.added",
                r#"{"authority":"fr-tj-paris","id":"duty-officer","name":"Duty","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            ),
            (
                "reviewer.assigned",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","reviewer":"ie-high-court","reason":"competent"}"#,
            ),
            (
                "user.added",
                r#"{"username":"judge","org":"ie-high-court","role":"reviewer","name":"Judith Judge"}"#,
            ),
            ("user.disabled", r#"{"username":"judge","org":"ie-high-court","reason":"left"}"#),
            ("user.password_changed", r#"{"username":"judge","org":"ie-high-court"}"#),
            (
                "token.created",
                r#"{"id":"abc","org":"example-mail","role":"handler","label":"api","expires_at":"2027-03-01T00:00:00Z"}"#,
            ),
            ("token.revoked", r#"{"id":"abc","org":"example-mail"}"#),
            (
                "verification.link_issued",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","authority":"de-sta-berlin","contact":"duty-officer","expires_at":"2026-12-01T22:00:00Z"}"#,
            ),
            (
                "auth.refused",
                r#"{"code":"bad_signature","kid":"k1","iss":"fr-tj-paris","client":"127.0.0.1"}"#,
            ),
            ("auth.refused", r#"{"code":"malformed_jws","client":"::1"}"#),
            (
                "decision.scope",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","decision":5,"targets":[{"type":"email","value":"Suspect@Example.org"}],"from":"2026-05-01T00:00:00Z","to":"2026-07-01T00:00:00Z","categories":["subscriber","traffic"]}"#,
            ),
            (
                "recipient.added",
                r#"{"authority":"de-sta-berlin","recipient":"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}"#,
            ),
            (
                "production_key.added",
                r#"{"provider":"example-mail","kid":"pk1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
            ),
            (
                "production.started",
                r#"{"production":"p1","request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","decision":5,"export_sha256":"ab","export_bytes":10,"records":3,"in_scope":2,"retention_until":"2027-03-01"}"#,
            ),
            (
                "production.sealed",
                r#"{"production":"p1","recipient":"age1x","kid":"pk1","manifest_sha256":"cd","package_sha256":"ef","package_bytes":99,"redaction":{"masked":{"email":2},"pseudonymized":1}}"#,
            ),
            ("production.failed", r#"{"production":"p1","reason":"line 3: not JSON"}"#),
            ("production.downloaded", r#"{"production":"p1","package_sha256":"ef"}"#),
            ("production.acknowledged", r#"{"production":"p1","package_sha256":"ef"}"#),
            (
                "clock.expired",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","clock":"validation","due":"2026-12-08T10:00:00Z","outcome":"withdrawn","state":"pending_verification","reason":"not validated within 48 hours"}"#,
            ),
            (
                "preservation.extended",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","until":"2027-03-01T00:00:00Z","reason":"the production order follows"}"#,
            ),
            (
                "reviewer.objected",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","reviewer":"ie-high-court","why":"a judge advised us"}"#,
            ),
            (
                "grounds.raised",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","by":"ie-enforcing","grounds":["ne_bis_in_idem"],"reasoning":"tried in Ireland"}"#,
            ),
            (
                "decision.reasoned",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","decision":4,"by":"ie-high-court","outcome":"approved","grounds":["necessary_and_proportionate"],"answers":[{"rule":"general.time_window","answer":"the window matches the offence"}]}"#,
            ),
            (
                "appeal.lodged",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","decision":4,"grounds":"the target is a journalist"}"#,
            ),
            (
                "reviewer.unassigned",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","reviewer":"ie-high-court","why":"objection upheld"}"#,
            ),
            (
                "endpoint.added",
                r#"{"party":"example-mail","channel":"webhook","address":"https://legal.example-mail.com/comity"}"#,
            ),
            (
                "endpoint.removed",
                r#"{"party":"example-mail","channel":"email","address":"legal@example-mail.com"}"#,
            ),
            (
                "notice.dead",
                r#"{"notice":7,"party":"example-mail","channel":"webhook","log_index":42,"error":"the receiver answered 410"}"#,
            ),
            ("notice.retried", r#"{"notice":7,"party":"example-mail"}"#),
            (
                "conflict.objected",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","third_country":"US","law":"18 U.S.C. § 2702(a)","reasoning":"stored content of a US person","court":"fr-tribunal-paris"}"#,
            ),
            (
                "clarification.asked",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","event":3,"questions":[{"reason":"insufficient_information","pointer":"/justification","question":"How is the account linked to the fraud?"},{"reason":"incomplete","question":"Which court validated the order?"}]}"#,
            ),
            (
                "conflict.decided",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","by":"fr-tribunal-paris","upheld":false,"reasoning":"no conflict"}"#,
            ),
            (
                "verification.link_mailed",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","authority":"de-sta-berlin","contact":"duty-officer","message_id":"<ab@comity.test>"}"#,
            ),
            (
                "representative.registered",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","representative":"ie-dpc","represents":"ab12","mandate":"a complaint lodged with the DPC"}"#,
            ),
            (
                "verification.link_mailed",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","authority":"de-sta-berlin","contact":"duty-officer","error":"the SMTP server refused the message for good"}"#,
            ),
            (
                "further_use.asked",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","ask":1,"kind":"transfer","purpose":"a joint investigation","recipient_country":"DE","recipient_body":"Bundeskriminalamt","reasons":"the same fraud"}"#,
            ),
            (
                "further_use.asked",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","ask":2,"kind":"purpose","purpose":"a related case","reasons":"the same accounts"}"#,
            ),
            (
                "further_use.decided",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","ask":2,"by":"ie-high-court","granted":true,"conditions":"subscriber records only","reasoning":"the same facts"}"#,
            ),
            (
                "further_use.recorded",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","ask":2,"note":"case 2026/118"}"#,
            ),
            (
                "production.shredded",
                r#"{"production":"p1","package_sha256":"ef","retention_until":"2030-12-31"}"#,
            ),
            (
                "production.disposal_attested",
                r#"{"production":"p1","package_sha256":"ef","disposed_at":"2030-12-31T10:00:00Z","kid":"k1","jws":"eyJ.e30.sig"}"#,
            ),
            (
                "person_notice.recipient",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","target":0,"language":"fr","channel":"email","address":"alice@example.fr"}"#,
            ),
            (
                "person_notice.decided",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","target":0,"status":"delayed","by":"ie-high-court","reasoning":"the suspects are at large","until":"2027-06-14"}"#,
            ),
            (
                "person_notice.sent",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","target":0,"language":"fr","channel":"email","salt":"00ff","commitment":"ab12","message_id":"<n@comity.test>","log_entries":[3,4,9]}"#,
            ),
            (
                "person_notice.delivered",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","target":1,"reference":"ticket 42"}"#,
            ),
            (
                "documents.shredded",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","since":"2026-01-02T03:04:05.000006Z","digest":"ab12","reason":"the retention ended"}"#,
            ),
            (
                "production.shredded",
                r#"{"production":"p1","package_sha256":"ef","retention_until":"2030-12-31","remedy":2}"#,
            ),
            (
                "remedy.opened",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","case":1,"ground":"third_party_unmasked","by":"example-mail","productions":["p1"],"correction":true,"recall_due":"2027-01-08T10:00:00Z","description":"a correspondent's address was left in clear"}"#,
            ),
            (
                "remedy.correction",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","case":1,"production":"p2"}"#,
            ),
            (
                "remedy.recall_met",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","case":1,"late":false}"#,
            ),
            (
                "request.classified",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","kind":"production","instrument":"eu-e-evidence","country":"FR","categories":["subscriber","traffic"],"emergency":false,"accounts":2,"nondisclosure":true,"sealed":false}"#,
            ),
            (
                "remedy.person_told",
                r#"{"request":"0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b","case":1,"person":1,"language":"fr","channel":"provider","salt":"00ff","commitment":"ab12"}"#,
            ),
            (
                "party.updated",
                r#"{"party":"fr-tj-paris","name":{"old":"Parquet de Paris","new":"Parquet du tribunal judiciaire de Paris"},"authority_type":{"old":"prosecutor","new":"court"},"institution":{"old":null,"new":"fr-tj"},"reason":"renamed by decree"}"#,
            ),
            (
                "party.updated",
                r#"{"party":"ie-high-court","kind":{"old":"other","new":"court"},"institution":{"old":"ie-courts","new":null},"reason":"registered with the wrong kind"}"#,
            ),
            ("party.deactivated", r#"{"party":"fr-tj-paris","reason":"left the agreement"}"#),
            ("party.reactivated", r#"{"party":"fr-tj-paris","reason":"rejoined the agreement"}"#),
            (
                "party.suspended",
                r#"{"party":"fr-tj-paris","suspension":1,"privilege":"emergency","until":"2027-03-01T00:00:00Z","reason":"three forged emergencies accepted"}"#,
            ),
            (
                "party.suspended",
                r#"{"party":"fr-tj-paris","suspension":2,"until":"2027-03-01T00:00:00Z","reason":"disposal never attested"}"#,
            ),
            (
                "party.suspension_lifted",
                r#"{"party":"fr-tj-paris","suspension":1,"reason":"the duty office was reorganised"}"#,
            ),
            (
                "contact.updated",
                r#"{"authority":"fr-tj-paris","id":"duty-officer","before":{"name":"Duty","email":"d@example.org"},"after":{"name":"Duty officer","phone":"+33 1 00 00 00 00","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},"reason":"new desk"}"#,
            ),
            (
                "contact.removed",
                r#"{"authority":"fr-tj-paris","id":"duty-officer","reason":"left the office"}"#,
            ),
            (
                "pack.adopted",
                r#"{"pack":"mlat","version":"2026.1","hash":"ab12","text":"id = \"mlat\"\nversion = \"2026.1\"\n"}"#,
            ),
            (
                "pack.adopted",
                r#"{"pack":"mlat","version":"2026.1+house","hash":"cd34","text":"id = \"mlat\"\n","house":"pack = \"mlat\"\n"}"#,
            ),
            (
                "transparency.released",
                r#"{"number":1,"from":"2027-01-01T00:00:00Z","to":"2028-01-01T00:00:00Z","epsilon":"0.5","budget":"1","sensitivity":4,"scale":8.000000000000002,"log_size":120,"cells":[{"country":"FR","category":null,"outcome":"produced","requests":-1},{"country":"FR","category":"traffic","outcome":"rejected","requests":3}]}"#,
            ),
            (
                "evaluation.recorded",
                r#"{"year":2027,"from":"2027-01-01T00:00:00Z","to":"2028-01-01T00:00:00Z","authority":"fr-tj-paris","country":"FR","formula":"comity-compliance/v1","score":"87.50","figures":{"decided":4,"rejected":1,"requests":5}}"#,
            ),
            (
                "evaluation.recorded",
                r#"{"year":2027,"from":"2027-01-01T00:00:00Z","to":"2028-01-01T00:00:00Z","country":"FR","formula":"comity-compliance/v1","figures":{"requests":0}}"#,
            ),
        ];
        let mut kinds = std::collections::BTreeSet::new();
        for (kind, content) in stored {
            let f = decode(kind, content).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(f.kind().as_str(), kind);
            assert_eq!(encode(&f), content, "{kind}");
            kinds.insert(f.kind());
        }
        assert_eq!(kinds.len(), FactKind::ALL.len(), "a kind has no example");
    }

    #[test]
    fn a_content_that_does_not_fit_its_kind_is_named() {
        for (kind, content, says) in [
            ("key.lost", "{}", "not a kind"),
            ("key.added", r#"{"authority":"fr-tj-paris","kid":"k1","x":"AAAA"}"#, "not 32 bytes"),
            (
                "user.added",
                r#"{"username":"judge","org":"ie-high-court","role":"king","name":"J"}"#,
                "not a role",
            ),
            ("token.revoked", "not json", "expected"),
        ] {
            let e = decode(kind, content).expect_err(kind);
            assert!(e.contains(says), "{kind}: {e}");
        }
    }
}

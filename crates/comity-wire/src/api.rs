//! The bodies of the HTTP API, other than the request document itself.

use chrono::{DateTime, Utc};
use comity_core::{
    Authority, AuthorityType, Clock, ClockKind, ClockOutcome, CountryCode, Event, Organisation, Party,
    PartyId, Provider, ReviewerBody, ReviewerKind, State, StoredRequest, check_name, lifecycle,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    RequestDocument,
    document::{DocumentError, Problem},
    screening::ScreeningReport,
    term::{self, Term},
};

/// The one error shape of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code such as `invalid_document` or `illegal_transition`.
    pub code: String,
    /// What went wrong, for a person, and what to do about it.
    pub message: String,
    /// One entry per problem, with the path in the document where it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Problem>,
}

/// A request as the API shows it in lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestSummary {
    pub id: String,
    #[schema(schema_with = term::schema::<State>)]
    pub state: Term<State>,
    /// How many events the request has had.
    pub version: u32,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub authority: String,
    pub provider: String,
    pub instrument: String,
    pub kind: String,
    pub emergency: bool,
    pub reference: String,
}

/// A request with its document and the moves it can make next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestResource {
    #[serde(flatten)]
    pub summary: RequestSummary,
    /// The states this request may move to now.
    #[schema(schema_with = state_list_schema)]
    pub next_states: Vec<Term<State>>,
    /// The request document, in canonical form.
    pub document: RequestDocument,
    /// The latest screening report (every one is at `/v1/requests/{id}/screenings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<ScreeningReport>,
    /// On intake: the audit-log entries it appended (the receipt, then any screening and
    /// comity's moves). Each is provable with `/v1/log/proof/inclusion`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_indexes: Vec<u64>,
    /// The issuing authority's track record, to weigh the request by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_record: Option<crate::trust::AuthorityRecordResource>,
    /// How the request arrived: `signed` (a JWS by a registered key of the authority, kept
    /// as evidence at `/v1/requests/{id}/signature`) or `portal` (a person of the
    /// authority, logged in).
    pub submitted: String,
    /// The reviewer bodies assigned to decide on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
}

fn state_list_schema() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new().items(utoipa::openapi::RefOr::T(term::schema::<State>())).build()
}

impl From<&StoredRequest> for RequestSummary {
    fn from(r: &StoredRequest) -> Self {
        RequestSummary {
            id: r.id.to_string(),
            state: Term(r.state),
            version: r.version,
            received_at: r.received_at,
            updated_at: r.updated_at,
            authority: r.authority.to_string(),
            provider: r.provider.to_string(),
            instrument: r.instrument.to_string(),
            kind: r.kind.to_string(),
            emergency: r.emergency,
            reference: r.reference.clone(),
        }
    }
}

impl RequestResource {
    /// Builds the resource; fails when the stored document no longer parses.
    pub fn new(r: &StoredRequest, screening: Option<ScreeningReport>) -> Result<Self, DocumentError> {
        let document = crate::document::parse_json::<RequestDocument>(r.document.as_bytes())?;
        Ok(RequestResource {
            summary: RequestSummary::from(r),
            next_states: lifecycle::next_states(r.kind, r.state).iter().copied().map(Term).collect(),
            document,
            screening,
            log_indexes: Vec::new(),
            authority_record: None,
            submitted: if r.signature.is_some() { "signed" } else { "portal" }.to_owned(),
            reviewers: Vec::new(),
        })
    }
}

/// One page of requests, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestList {
    pub items: Vec<RequestSummary>,
    pub page: u32,
    pub per_page: u32,
    /// How many requests match the filters in all.
    pub total: u64,
}

/// A request's deadline: when it is due, and what its passing did (issue 13).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockResource {
    /// What the deadline is for: `respond_by`, `validation`, `objection_window`,
    /// `preservation_end`, `nondisclosure_end` or `retention`.
    #[schema(schema_with = term::schema::<ClockKind>)]
    pub kind: Term<ClockKind>,
    pub due: DateTime<Utc>,
    /// When it was set, or moved by an extension.
    pub set_at: DateTime<Utc>,
    /// When its passing was acted on; absent while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// What its passing did: `met`, `overdue`, `withdrawn`, `proceeds`, `lapsed`,
    /// `notice_due`, `disposal_due`, `moot` or `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<ClockOutcome>)]
    pub outcome: Option<Term<ClockOutcome>>,
}

impl From<&Clock> for ClockResource {
    fn from(c: &Clock) -> Self {
        ClockResource {
            kind: Term(c.kind),
            due: c.due,
            set_at: c.set_at,
            closed_at: c.closed.map(|(at, _)| at),
            outcome: c.closed.map(|(_, o)| Term(o)),
        }
    }
}

/// One step in a request's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventResource {
    pub seq: u32,
    /// Null for the receipt.
    #[schema(schema_with = term::optional_schema::<State>)]
    pub from: Option<Term<State>>,
    #[schema(schema_with = term::schema::<State>)]
    pub to: Term<State>,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: String,
    /// The event's entry in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

impl From<&Event> for EventResource {
    fn from(e: &Event) -> Self {
        EventResource {
            seq: e.seq,
            from: e.from.map(Term),
            to: Term(e.to),
            actor: e.actor.to_string(),
            at: e.at,
            reason: e.reason.clone(),
            log_index: e.log_index,
        }
    }
}

/// Asks for a request to move to another state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The state to move to.
    #[schema(schema_with = term::schema::<State>)]
    pub to: Term<State>,
    /// Why: every decision is reasoned, and the reason is kept forever.
    pub reason: String,
    /// The version the caller saw; if given and the request has moved since, the move is
    /// refused with 409 instead of acting on a stale view.
    #[serde(default)]
    pub expected_version: Option<u32>,
    /// For `approved` (optional) and `partially_approved` (required): what the decision
    /// lets leave, within what the request asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ScopeBody>,
    /// For a decision (`approved`, `partially_approved`, `rejected`): the grounds it rests
    /// on, as codes of the request's policy pack (`GET /v1/policies/{pack}` lists them), such
    /// as `necessary_and_proportionate`. Required for a decision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grounds: Vec<String>,
    /// For an approval: an answer to each finding screening flagged (`review`, `fail` or
    /// `clarify`), by its rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerBody>,
    /// For a request for clarification (`clarification_requested`): structured questions,
    /// each naming its reason and the field of the document concerned. The authority reads
    /// them at `GET /v1/requests/{id}/clarifications` and answers with an amended document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<QuestionBody>,
}

/// One structured question of a request for clarification (Regulation (EU) 2023/1543 Art
/// 10(5), Annex III).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionBody {
    /// Why: `incomplete`, `manifest_error` or `insufficient_information`.
    pub reason: String,
    /// The field concerned, as an RFC 6901 JSON Pointer into the request's document (such
    /// as `/justification` or `/targets/0/value`); left out, the document as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub question: String,
}

/// A question asked, and whether the amended document that followed answered it (changed
/// the field it names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuestionResource {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub question: String,
    pub answered: bool,
}

/// A request for clarification's structured questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClarificationResource {
    /// The event that asked them (the move to `clarification_requested`).
    pub event: u32,
    pub at: DateTime<Utc>,
    /// Who asked.
    pub by: String,
    pub questions: Vec<QuestionResource>,
    /// The event of the amended document that answered, once one has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<u32>,
}

/// One version of a request's document: the receipt's, then each amendment's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DocumentVersion {
    /// The event that brought it: 1 for the receipt.
    pub event: u32,
    /// The document, version 1 (`schemas/request-v1.schema.json`).
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// Whether it came signed (its compact JWS is kept; the request's signature endpoint
    /// serves the latest).
    pub signed: bool,
    /// The JSON paths it changed from the version before.
    pub changed: Vec<String>,
    /// The difference from the version before, as an RFC 6902 JSON Patch (empty for the
    /// first version).
    #[schema(value_type = Vec<Object>)]
    pub patch: serde_json::Value,
}

/// A reviewer's answer to one finding of screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The finding's rule, such as `general.time_window`.
    pub rule: String,
    pub answer: String,
}

/// The enforcing authority's grounds for refusal (Regulation (EU) 2023/1543 Art 12(1)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroundsBody {
    /// Codes of the pack, such as `ne_bis_in_idem` or `no_dual_criminality`.
    pub grounds: Vec<String>,
    pub reasoning: String,
}

/// The provider's reasoned objection that executing a production order would conflict with
/// the law of a third country (Regulation (EU) 2023/1543 Art 17(1)-(2)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictBody {
    /// The third country, ISO 3166-1 alpha-2, such as `US`.
    pub third_country: String,
    /// The law that conflicts, such as `18 U.S.C. § 2702(a)`.
    pub law: String,
    /// Why it applies, and the nature of the conflicting obligation (Art 17(2)).
    pub reasoning: String,
}

/// An objection for conflicting obligations, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConflictResource {
    pub third_country: String,
    pub law: String,
    pub reasoning: String,
    pub at: DateTime<Utc>,
    /// The court of the issuing State assigned to review the order (Art 17(3)), if the
    /// register holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub court: Option<String>,
}

/// The decision on an objection for conflicting obligations (Art 17(3)-(8)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictDecisionBody {
    /// `upheld` (the order is lifted; the request is withdrawn) or `dismissed` (it proceeds;
    /// only the court of the issuing State dismisses).
    pub outcome: String,
    pub reasoning: String,
}

/// What a decision on an objection did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConflictDecisionResult {
    pub outcome: String,
    pub request: RequestSummary,
    /// The withdrawal, for an upheld objection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventResource>,
}

/// Asks to extend a preservation once, before it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    pub reason: String,
}

/// A preservation extended: its new end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExtensionResource {
    pub until: DateTime<Utc>,
}

/// What a decision lets leave: each field left out keeps what the request asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    /// The targets kept, by selector value (any spelling of one the request names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::bounded_option")]
    pub from: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::bounded_option")]
    pub to: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<String>>)]
    pub categories: Option<Vec<Term<comity_core::DataCategory>>>,
}

/// The result of a move.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TransitionResult {
    pub request: RequestSummary,
    pub event: EventResource,
}

/// A requesting authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorityBody {
    #[schema(example = "fr-tj-paris")]
    pub id: String,
    #[schema(example = "FR")]
    pub country: String,
    #[schema(schema_with = term::schema::<AuthorityType>)]
    pub authority_type: Term<AuthorityType>,
    #[schema(example = "Parquet du tribunal judiciaire de Paris")]
    pub name: String,
    /// The institution this party is part of, when it shares one with other parties (a
    /// court that both issues and reviews; a provider's own legal department): parties of
    /// one institution never decide on each other's requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    pub institution: Option<String>,
}

/// A service provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    #[schema(example = "example-mail")]
    pub id: String,
    #[schema(example = "IE")]
    pub country: String,
    #[schema(example = "Example Mail Ltd")]
    pub name: String,
    /// The institution this party is part of, when it shares one with other parties (a
    /// court that both issues and reviews; a provider's own legal department): parties of
    /// one institution never decide on each other's requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    pub institution: Option<String>,
}

/// An independent reviewer body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerBodyBody {
    #[schema(example = "ie-high-court")]
    pub id: String,
    #[schema(example = "IE")]
    pub country: String,
    #[schema(schema_with = term::schema::<ReviewerKind>)]
    pub kind: Term<ReviewerKind>,
    #[schema(example = "The High Court of Ireland")]
    pub name: String,
    /// The institution this party is part of, when it shares one with other parties (a
    /// court that both issues and reviews; a provider's own legal department): parties of
    /// one institution never decide on each other's requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    pub institution: Option<String>,
}

/// An auditor or the operator of this comity: an organisation with a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationBody {
    #[schema(example = "ie-audit-office")]
    pub id: String,
    #[schema(example = "IE")]
    pub country: String,
    #[schema(example = "Office of the Comptroller and Auditor General")]
    pub name: String,
    /// The institution this party is part of, when it shares one with other parties (a
    /// court that both issues and reviews; a provider's own legal department): parties of
    /// one institution never decide on each other's requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(null))]
    pub institution: Option<String>,
}

/// The common fields of a party body, checked.
struct PartyFields {
    id: PartyId,
    country: CountryCode,
    name: String,
    institution: Option<PartyId>,
}

/// Checks the common fields of a party body, reporting every problem at once.
fn party_fields(
    id: &str,
    country: &str,
    name: &str,
    institution: Option<&str>,
) -> Result<PartyFields, DocumentError> {
    let mut problems = Vec::new();
    let mut problem = |path: &str, e: &dyn std::fmt::Display| {
        problems.push(Problem { path: path.into(), message: e.to_string() })
    };
    let id = PartyId::parse(id).map_err(|e| problem("id", &e));
    let country = CountryCode::parse(country).map_err(|e| problem("country", &e));
    let name = check_name(name).map_err(|e| problem("name", &e));
    let institution = institution.map(PartyId::parse).transpose().map_err(|e| problem("institution", &e));
    match (id, country, name, institution) {
        (Ok(id), Ok(country), Ok(name), Ok(institution)) => {
            Ok(PartyFields { id, country, name, institution })
        }
        _ => Err(DocumentError { syntax: false, problems }),
    }
}

impl AuthorityBody {
    pub fn to_party(&self) -> Result<Party, DocumentError> {
        let f = party_fields(&self.id, &self.country, &self.name, self.institution.as_deref())?;
        Ok(Party::Authority(Authority {
            id: f.id,
            country: f.country,
            authority_type: self.authority_type.0,
            name: f.name,
            institution: f.institution,
        }))
    }
}

impl ProviderBody {
    pub fn to_party(&self) -> Result<Party, DocumentError> {
        let f = party_fields(&self.id, &self.country, &self.name, self.institution.as_deref())?;
        Ok(Party::Provider(Provider {
            id: f.id,
            country: f.country,
            name: f.name,
            institution: f.institution,
        }))
    }
}

impl ReviewerBodyBody {
    pub fn to_party(&self) -> Result<Party, DocumentError> {
        let f = party_fields(&self.id, &self.country, &self.name, self.institution.as_deref())?;
        Ok(Party::Reviewer(ReviewerBody {
            id: f.id,
            country: f.country,
            kind: self.kind.0,
            name: f.name,
            institution: f.institution,
        }))
    }
}

impl OrganisationBody {
    fn organisation(&self) -> Result<Organisation, DocumentError> {
        let f = party_fields(&self.id, &self.country, &self.name, self.institution.as_deref())?;
        Ok(Organisation { id: f.id, country: f.country, name: f.name, institution: f.institution })
    }

    /// As an auditor.
    pub fn to_auditor(&self) -> Result<Party, DocumentError> {
        self.organisation().map(Party::Auditor)
    }

    /// As the operator of this comity.
    pub fn to_operator(&self) -> Result<Party, DocumentError> {
        self.organisation().map(Party::Operator)
    }

    /// As a representative of people concerned (a lawyer, a data protection authority).
    pub fn to_representative(&self) -> Result<Party, DocumentError> {
        self.organisation().map(Party::Representative)
    }
}

fn institution(i: &Option<PartyId>) -> Option<String> {
    i.as_ref().map(PartyId::to_string)
}

impl From<&Authority> for AuthorityBody {
    fn from(a: &Authority) -> Self {
        AuthorityBody {
            id: a.id.to_string(),
            country: a.country.to_string(),
            authority_type: Term(a.authority_type),
            name: a.name.clone(),
            institution: institution(&a.institution),
        }
    }
}

impl From<&Provider> for ProviderBody {
    fn from(p: &Provider) -> Self {
        ProviderBody {
            id: p.id.to_string(),
            country: p.country.to_string(),
            name: p.name.clone(),
            institution: institution(&p.institution),
        }
    }
}

impl From<&ReviewerBody> for ReviewerBodyBody {
    fn from(r: &ReviewerBody) -> Self {
        ReviewerBodyBody {
            id: r.id.to_string(),
            country: r.country.to_string(),
            kind: Term(r.kind),
            name: r.name.clone(),
            institution: institution(&r.institution),
        }
    }
}

impl From<&Organisation> for OrganisationBody {
    fn from(o: &Organisation) -> Self {
        OrganisationBody {
            id: o.id.to_string(),
            country: o.country.to_string(),
            name: o.name.clone(),
            institution: institution(&o.institution),
        }
    }
}

/// Liveness and readiness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthBody {
    /// `ok`, or `unavailable` with the reason in `detail`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A representative of the person concerned, to register for a request (issue 13, item
/// 6): the operator's act, on the mandate it was shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeBody {
    /// The party, registered as a representative (`POST /v1/admin/representatives`).
    #[schema(example = "ie-dpc")]
    pub representative: String,
    /// An identifier of the person it acts for (an e-mail address, an account name). Only
    /// a salted commitment to it is kept and logged, never the identifier.
    #[schema(example = "suspect@example.org")]
    pub represents: String,
    /// The mandate shown, in words.
    #[schema(example = "a complaint lodged with the Data Protection Commission, ref. C-2026-114")]
    pub mandate: String,
}

/// The representatives registered for a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RepresentativesResource {
    pub request: String,
    pub representatives: Vec<String>,
}

/// A decision, as a representative of the person concerned sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecisionSeenResource {
    /// The request's version the decision made.
    pub decision: u32,
    pub at: DateTime<Utc>,
    /// The body that decided.
    pub by: String,
    /// `approved`, `partially_approved` or `rejected`.
    pub outcome: String,
    /// The grounds, as the policy pack's codes.
    pub grounds: Vec<String>,
    /// The reasoning in prose.
    pub reasoning: String,
}

/// An appeal lodged against a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AppealSeenResource {
    /// The version of the decision appealed.
    pub decision: u32,
    pub at: DateTime<Utc>,
    /// Who lodged it.
    pub by: String,
    pub grounds: String,
}

/// What a representative of the person concerned sees of a request it is registered for:
/// where it stands, its decisions and its appeals; never its document or targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecisionViewResource {
    pub id: String,
    pub state: String,
    pub version: u32,
    pub authority: String,
    pub provider: String,
    pub instrument: String,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub decisions: Vec<DecisionSeenResource>,
    pub appeals: Vec<AppealSeenResource>,
}

/// An authority's ask to use delivered data for another purpose, or to pass it on
/// (`POST /v1/requests/{id}/further-use`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FurtherUseBody {
    /// `purpose` (another purpose than the request's) or `transfer` (to another State or body).
    pub kind: String,
    /// The purpose the data would serve, in words.
    pub purpose: String,
    /// For a transfer: the recipient's country, ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_country: Option<String>,
    /// For a transfer: the body that would receive the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_body: Option<String>,
    /// Why the further use is necessary.
    pub reasons: String,
}

/// A reviewer's answer to an ask (`POST /v1/requests/{id}/further-use/{ask}/decision`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FurtherUseDecisionBody {
    /// `granted` or `refused`.
    pub answer: String,
    /// What a grant is subject to, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    pub reasoning: String,
}

/// A use the authority made under a granted ask (`POST /v1/requests/{id}/further-use/{ask}/uses`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FurtherUseRecordBody {
    /// What was done, such as the transfer's reference.
    pub note: String,
}

/// A reviewer's answer, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FurtherUseAnswer {
    /// `granted` or `refused`.
    pub answer: String,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    pub reasoning: String,
    pub at: DateTime<Utc>,
    /// The answer's audit-log entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// Where the answer signed with the log's key is served (a C2SP signed note).
    pub signed: String,
}

/// A use recorded under a granted ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FurtherUseRecordResource {
    pub note: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// An ask for further use, its answer, and the uses recorded under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FurtherUseResource {
    /// Its number among the request's asks, from 1.
    pub ask: u32,
    pub kind: String,
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_body: Option<String>,
    pub reasons: String,
    pub asked_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<FurtherUseAnswer>,
    pub uses: Vec<FurtherUseRecordResource>,
}

/// Grants and refusals of one kind of further use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FurtherUseTally {
    pub granted: u64,
    pub refused: u64,
}

/// Further use answered in a period, by kind (`GET /v1/further-use/counts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FurtherUseCountsResource {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub purpose: FurtherUseTally,
    pub transfer: FurtherUseTally,
}

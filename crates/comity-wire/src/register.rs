//! The register over time, on the wire (issue 16, items 6 and 7): a party's details
//! changed, its deactivation and reactivation, its suspensions, and its history.

use chrono::{DateTime, Utc};
use comity_core::{
    AuthorityType, Decided, Fact, JournalEntry, Party, Privilege, ReviewerKind, Standing, Suspension,
    journal::Changed,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::term::{self, Term};

/// A field that may be given as `null` to clear it: absent is `None`, `null` is
/// `Some(None)`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A change to a party's registered details, with the reason. A field left out stays as
/// it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyUpdateBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Parquet du tribunal judiciaire de Paris")]
    pub name: Option<String>,
    /// An authority's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<AuthorityType>)]
    pub authority_type: Option<Term<AuthorityType>>,
    /// A reviewer body's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<ReviewerKind>)]
    pub kind: Option<Term<ReviewerKind>>,
    /// The institution the party belongs to; `null` for none beyond itself.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub institution: Option<Option<String>>,
    /// Why; kept in the journal, committed to by the audit log.
    #[schema(example = "renamed by the decree of 1 December 2026")]
    pub reason: String,
}

/// The reason for an act on the register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[schema(example = "left the agreement on 1 December 2026")]
    pub reason: String,
}

/// A suspension to decide: of the party as a whole, or of one privilege.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspensionBody {
    /// The privilege to suspend (`emergency`: the emergency route); left out or `null`,
    /// the party as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<Privilege>)]
    pub privilege: Option<Term<Privilege>>,
    /// When it ends (RFC 3339), after now.
    pub until: DateTime<Utc>,
    /// The reasoned decision: what the party did, and the commitment it broke.
    #[schema(example = "three forged emergency requests from its mailbox were accepted in November 2026")]
    pub reason: String,
}

/// A change to an authority's contact. A field left out stays as it is; `null` takes a
/// channel away (a contact keeps at least one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdateBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// An Ed25519 public key (JWK or PEM) the contact signs emergency confirmations with.
    #[serde(default, deserialize_with = "nullable", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub public_key: Option<Option<serde_json::Value>>,
    pub reason: String,
}

/// An operator's act on a party's standing: when, by whom, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DecidedResource {
    pub at: DateTime<Utc>,
    /// The actor who decided (`username@organisation`, or `cli:<user>@local`).
    pub by: String,
    pub reason: String,
    /// Its audit-log entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

impl From<&Decided> for DecidedResource {
    fn from(d: &Decided) -> Self {
        DecidedResource { at: d.at, by: d.by.to_string(), reason: d.reason.clone(), log_index: d.log_index }
    }
}

/// A suspension, as it stands at the time of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SuspensionResource {
    pub party: String,
    /// The party's suspensions are numbered from 1.
    pub number: u32,
    /// The privilege suspended; `null` for the party as a whole.
    #[schema(schema_with = term::optional_schema::<Privilege>)]
    pub privilege: Option<Term<Privilege>>,
    pub decided: DecidedResource,
    pub until: DateTime<Utc>,
    /// Its lifting, if it was lifted before its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifted: Option<DecidedResource>,
    /// When it ends: `until`, or its lifting if that came first.
    pub ends: DateTime<Utc>,
    /// Whether it is in force now.
    pub in_force: bool,
}

impl SuspensionResource {
    pub fn new(party: &comity_core::PartyId, s: &Suspension, now: DateTime<Utc>) -> Self {
        SuspensionResource {
            party: party.to_string(),
            number: s.number,
            privilege: s.privilege.map(Term),
            decided: (&s.decided).into(),
            until: s.until,
            lifted: s.lifted.as_ref().map(Into::into),
            ends: s.ends(),
            in_force: s.in_force(now),
        }
    }
}

/// A party's standing at the time of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StandingResource {
    /// Whether it may be party to a new request now: not deactivated, not suspended as a
    /// whole.
    pub active: bool,
    /// The deactivation in force, if it is deactivated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<DecidedResource>,
    /// Every suspension, in force or not, by number.
    pub suspensions: Vec<SuspensionResource>,
}

impl StandingResource {
    pub fn new(s: &Standing, now: DateTime<Utc>) -> Self {
        StandingResource {
            active: s.check(comity_core::Use::NewRequest, now).is_ok(),
            deactivated: s.deactivated(now).map(Into::into),
            suspensions: s.suspensions.iter().map(|x| SuspensionResource::new(&s.party, x, now)).collect(),
        }
    }
}

/// A party of any register, with its standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartyResource {
    pub id: String,
    /// `authority`, `provider`, `reviewer`, `auditor`, `operator` or `representative`.
    pub register: String,
    pub country: String,
    pub name: String,
    /// An authority's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_type: Option<String>,
    /// A reviewer body's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing: Option<StandingResource>,
}

impl PartyResource {
    /// The party, with its standing if given.
    pub fn new(p: &Party, standing: Option<StandingResource>) -> Self {
        let (authority_type, kind, institution) = match p {
            Party::Authority(a) => (Some(a.authority_type.to_string()), None, &a.institution),
            Party::Reviewer(r) => (None, Some(r.kind.to_string()), &r.institution),
            Party::Provider(x) => (None, None, &x.institution),
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => (None, None, &o.institution),
        };
        let country = match p {
            Party::Authority(a) => a.country,
            Party::Provider(x) => x.country,
            Party::Reviewer(r) => r.country,
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => o.country,
        };
        PartyResource {
            id: p.id().to_string(),
            register: p.role().to_string(),
            country: country.to_string(),
            name: p.name().to_owned(),
            authority_type,
            kind,
            institution: institution.as_ref().map(ToString::to_string),
            standing,
        }
    }
}

/// A field an act changed, old and new (`null` where there was or is none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One act in a party's history: a fact of the journal, with its audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: String,
    /// The fact's kind: `party.updated`, `party.deactivated`, `party.reactivated`,
    /// `party.suspended`, `party.suspension_lifted`, or an authority's `contact.added`,
    /// `contact.updated`, `contact.removed`.
    pub kind: String,
    /// Each field changed, old and new.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The suspension it decided or lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<Privilege>)]
    pub privilege: Option<Term<Privilege>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// The contact it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

fn change<T>(
    field: &str,
    c: &Option<Changed<T>>,
    show: impl Fn(&T) -> Option<String>,
) -> Option<FieldChange> {
    c.as_ref().map(|c| FieldChange { field: field.to_owned(), old: show(&c.old), new: show(&c.new) })
}

fn key(k: &[u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k)
}

impl HistoryEntry {
    /// The entry of a party's history; `None` for a fact that is not one.
    pub fn new(j: &JournalEntry) -> Option<Self> {
        let mut h = HistoryEntry {
            at: j.at,
            actor: j.actor.to_string(),
            kind: j.kind().to_string(),
            changes: Vec::new(),
            reason: None,
            suspension: None,
            privilege: None,
            until: None,
            contact: None,
            log_index: j.log_index,
        };
        match &j.fact {
            Fact::PartyUpdated(u) => {
                h.changes = [
                    change("name", &u.name, |n| Some(n.clone())),
                    change("authority_type", &u.authority_type, |t| Some(t.to_string())),
                    change("kind", &u.reviewer_kind, |k| Some(k.to_string())),
                    change("institution", &u.institution, |i| i.as_ref().map(ToString::to_string)),
                ]
                .into_iter()
                .flatten()
                .collect();
                h.reason = Some(u.reason.clone());
            }
            Fact::PartyDeactivated(c) | Fact::PartyReactivated(c) => h.reason = Some(c.reason.clone()),
            Fact::PartySuspended(s) => {
                h.suspension = Some(s.suspension);
                h.privilege = s.privilege.map(Term);
                h.until = Some(s.until);
                h.reason = Some(s.reason.clone());
            }
            Fact::SuspensionLifted(l) => {
                h.suspension = Some(l.suspension);
                h.reason = Some(l.reason.clone());
            }
            Fact::ContactAdded(c) => h.contact = Some(c.id.to_string()),
            Fact::ContactUpdated(u) => {
                let (b, a) = (&u.before, &u.after);
                let field = |name: &str, old: Option<String>, new: Option<String>| {
                    (old != new).then(|| FieldChange { field: name.to_owned(), old, new })
                };
                h.changes = [
                    field("name", Some(b.name.clone()), Some(a.name.clone())),
                    field("email", b.email.clone(), a.email.clone()),
                    field("phone", b.phone.clone(), a.phone.clone()),
                    field("public_key", b.public_key.as_ref().map(key), a.public_key.as_ref().map(key)),
                ]
                .into_iter()
                .flatten()
                .collect();
                h.contact = Some(a.id.to_string());
                h.reason = Some(u.reason.clone());
            }
            Fact::ContactRemoved(r) => {
                h.contact = Some(r.id.to_string());
                h.reason = Some(r.reason.clone());
            }
            _ => return None,
        }
        Some(h)
    }
}

/// A party as it is, as it was registered, and every act since, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartyHistoryResource {
    pub party: PartyResource,
    /// The party as registered, before any change.
    pub registered: PartyResource,
    pub history: Vec<HistoryEntry>,
}

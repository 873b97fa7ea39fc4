//! The register grows up (issue 16, items 6 and 7): a party's details changed, the party
//! deactivated and reactivated, suspended as a whole or in one privilege (the emergency
//! route) until a date, and the suspension lifted early, each by an operator with a reason,
//! each a journal fact with its audit-log entry. Nothing is overwritten without trace: the
//! register's row holds the party as it is now, and its `party.updated` facts hold every
//! value it had (`comity log verify` walks the row back through them to the party its
//! registration's entry committed to).
//!
//! A party's standing is folded from its facts ([`Standing::fold`]) whenever it is asked:
//! intake refuses a new request whose issuing or validating authority or addressee may not
//! be party to one, and an emergency whose authority's emergency route is suspended, at the
//! time of receipt; routing and the operator's assignment leave out a reviewer body that
//! may not be. What a party was party to keeps its history and goes on.

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{
    AuthorityType, Barred, Contact, Fact, FactKind, JournalEntry, JournalQuery, Party, PartyId, Privilege,
    Request, ReviewerKind, Standing, Suspension, Use, Username, check_name,
    journal::{self, Changed},
};

use crate::{App, Caller, Error, Registers, Result, registers::public_key};

/// A change to a party's registered details; a field left `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyChanges {
    pub name: Option<String>,
    /// An authority's type.
    pub authority_type: Option<AuthorityType>,
    /// A reviewer body's kind.
    pub kind: Option<ReviewerKind>,
    /// The institution it belongs to: `Some(None)` for none beyond itself.
    pub institution: Option<Option<String>>,
    /// Why; kept in the journal and committed to by the audit log.
    pub reason: String,
}

/// A suspension to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSuspension {
    /// The privilege suspended; `None` suspends the party as a whole.
    pub privilege: Option<Privilege>,
    /// When it ends, after now.
    pub until: DateTime<Utc>,
    /// The reasoned decision: what the party did, and the commitment it broke.
    pub reason: String,
}

/// A change to an authority's contact; a field left `None` stays as it is, and
/// `Some(None)` takes a channel away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    /// An Ed25519 public key (JWK or PEM) the contact signs confirmations with.
    pub public_key: Option<Option<String>>,
    pub reason: String,
}

/// A party's page in the register: the party as it is now, as it was registered, its
/// standing and its history (its details changed and its standing's acts), oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRecord {
    pub party: Party,
    /// The party as registered, before any change.
    pub registered: Party,
    pub standing: Standing,
    /// Its `party.*` facts, and for a caller who may read contacts its contacts' changes.
    pub history: Vec<JournalEntry>,
}

/// The reason of an act on the register, checked.
fn reason(text: &str, code: &'static str) -> Result<String> {
    check_name(text).map_err(|e| {
        Error::invalid(
            code,
            "reason",
            format!("give the reason in a line, for the journal and the audit log: {e}"),
        )
    })
}

impl App {
    /// A party's standing now, as its facts make it.
    pub async fn standing(&self, party: &PartyId) -> Result<Standing> {
        let entries = self.store().journal(&JournalQuery::kinds(&FactKind::STANDING).party(party)).await?;
        Ok(Standing::fold(party, &entries))
    }

    /// Every party's standing that any fact touched, by party, for a caller who may read
    /// the registers: a party with none is active.
    pub async fn standings_of_parties(
        &self,
        caller: &Caller,
    ) -> Result<std::collections::BTreeMap<PartyId, Standing>> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        self.standings().await
    }

    /// Every party's standing that any fact touched, by party.
    pub(crate) async fn standings(&self) -> Result<std::collections::BTreeMap<PartyId, Standing>> {
        let entries = self.store().journal(&JournalQuery::kinds(&FactKind::STANDING)).await?;
        let mut parties: Vec<PartyId> = entries.iter().filter_map(|j| j.party.clone()).collect();
        parties.sort();
        parties.dedup();
        Ok(parties.into_iter().map(|p| (p.clone(), Standing::fold(&p, &entries))).collect())
    }

    /// A registered party, read from the store (not the cache), or not found.
    async fn registered(&self, id: &str) -> Result<Party> {
        let id = PartyId::parse(id.trim()).map_err(|e| Error::BadInput(format!("the party id: {e}")))?;
        self.store().party(&id).await?.ok_or_else(|| {
            Error::NotFound(format!(
                "no party {id} is registered; `comity authority list` (or provider, reviewer, ... list) shows them"
            ))
        })
    }

    /// A party with its standing and history, for a caller who may read the registers.
    pub async fn party_record(&self, caller: &Caller, id: &str) -> Result<PartyRecord> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        // An authority's contacts are personal data: their history only for who may read them.
        let contacts = self.allowed(caller, &Action::ReadContacts, &On::Registers);
        self.record(id, contacts).await
    }

    /// Every suspension of every party, each with its party, newest decision first: the
    /// operator's decisions, for review.
    pub async fn suspensions(&self, caller: &Caller) -> Result<Vec<(PartyId, Suspension)>> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        self.all_suspensions().await
    }

    async fn record(&self, id: &str, contacts: bool) -> Result<PartyRecord> {
        let party = self.registered(id).await?;
        let id = party.id().clone();
        let mut kinds = FactKind::PARTY.to_vec();
        if contacts && matches!(party, Party::Authority(_)) {
            kinds.extend(FactKind::CONTACT);
        }
        let history = self.store().journal(&JournalQuery::kinds(&kinds).party(&id)).await?;
        let mut registered = party.clone();
        for j in history.iter().rev() {
            if let Fact::PartyUpdated(u) = &j.fact {
                registered = u.undo(&registered).map_err(|e| {
                    Error::corrupt(format!(
                        "party {id}: its row does not follow from journal entry {}: {e}",
                        j.seq
                    ))
                })?;
            }
        }
        let standing = Standing::fold(&id, &history);
        Ok(PartyRecord { party, registered, standing, history })
    }

    async fn all_suspensions(&self) -> Result<Vec<(PartyId, Suspension)>> {
        let mut all: Vec<(PartyId, Suspension)> = self
            .standings()
            .await?
            .into_iter()
            .flat_map(|(party, standing)| standing.suspensions.into_iter().map(move |s| (party.clone(), s)))
            .collect();
        all.sort_by(|a, b| b.1.decided.at.cmp(&a.1.decided.at).then_with(|| a.0.cmp(&b.0)));
        Ok(all)
    }

    /// Whether each party a new request names may be party to it at `at` (its receipt):
    /// the issuing authority (for an emergency, with its emergency route), the validating
    /// authority and the addressee. An operator's deactivation or suspension refuses it,
    /// saying who decided, why and until when.
    pub(crate) async fn check_standing(&self, request: &Request, at: DateTime<Utc>) -> Result<()> {
        let issuing = &request.issuing;
        let asked = if request.emergency { Use::Privilege(Privilege::Emergency) } else { Use::NewRequest };
        let mut named = vec![(&issuing.authority, asked, "issuing.authority")];
        if let Some(v) = &issuing.validated_by {
            named.push((&v.authority, Use::NewRequest, "issuing.validated_by.authority"));
        }
        named.push((&request.addressee.provider, Use::NewRequest, "addressee.provider"));
        for (party, asked, field) in named {
            if let Err(barred) = self.standing(party).await?.check(asked, at) {
                let consequence = match (field, &barred) {
                    ("issuing.authority", Barred::Suspended { suspension, .. }) if suspension.privilege.is_some() => {
                        "emergency requests are refused until then; an ordinary request (\"emergency\": false) is not"
                            .to_owned()
                    }
                    ("issuing.authority", Barred::Suspended { .. }) => {
                        "its submissions are refused until then".to_owned()
                    }
                    ("issuing.authority", Barred::Deactivated { .. }) => {
                        "a deactivated authority submits no new request until an operator reactivates it".to_owned()
                    }
                    ("addressee.provider", _) => "it receives no new request".to_owned(),
                    _ => "it validates no new request".to_owned(),
                };
                return Err(Error::Barred {
                    message: format!("{barred}; {consequence}"),
                    field: field.to_owned(),
                    barred: Box::new(barred),
                });
            }
        }
        Ok(())
    }
}

impl Registers {
    /// A party with its standing and its whole history, its contacts' included.
    pub async fn party_record(&self, id: &str) -> Result<PartyRecord> {
        self.app().record(id, true).await
    }

    /// Every suspension of every party, newest decision first.
    pub async fn suspensions(&self) -> Result<Vec<(PartyId, Suspension)>> {
        self.app().all_suspensions().await
    }

    /// Changes a party's name, type (an authority's), kind (a reviewer body's) or
    /// institution, with the reason: a `party.updated` fact with each field's old and new
    /// value, written with the row's change in one transaction.
    pub async fn update_party(
        &self,
        id: &str,
        changes: &PartyChanges,
        now: DateTime<Utc>,
    ) -> Result<(Party, JournalEntry)> {
        let app = self.app();
        let before = app.registered(id).await?;
        let id = before.id().clone();
        let reason = reason(&changes.reason, "invalid_change")?;
        let invalid = |field: &str, message: String| Error::invalid("invalid_change", field, message);
        let name = changes
            .name
            .as_deref()
            .map(|n| check_name(n).map_err(|e| invalid("name", e.to_string())))
            .transpose()?;
        let institution = match &changes.institution {
            None => None,
            Some(None) => Some(None),
            Some(Some(i)) if i.trim().is_empty() => Some(None),
            Some(Some(i)) => {
                Some(Some(PartyId::parse(i.trim()).map_err(|e| invalid("institution", e.to_string()))?))
            }
        };
        let role = before.role();
        let mut update = journal::PartyUpdated {
            party: id.clone(),
            name: None,
            authority_type: None,
            reviewer_kind: None,
            institution: None,
            reason,
        };
        let (has_type, has_kind) = (changes.authority_type.is_some(), changes.kind.is_some());
        match &before {
            Party::Authority(_) if has_kind => {
                return Err(invalid(
                    "kind",
                    format!("only a reviewer body has a kind; {id} is an authority: change its type"),
                ));
            }
            Party::Reviewer(_) if has_type => {
                return Err(invalid(
                    "authority_type",
                    format!("only an authority has a type; {id} is a reviewer body: change its kind"),
                ));
            }
            Party::Authority(_) | Party::Reviewer(_) => {}
            _ if has_type => {
                return Err(invalid(
                    "authority_type",
                    format!("only an authority has a type; {id} is a {}", role.noun()),
                ));
            }
            _ if has_kind => {
                return Err(invalid(
                    "kind",
                    format!("only a reviewer body has a kind; {id} is a {}", role.noun()),
                ));
            }
            _ => {}
        }
        let current_institution = match &before {
            Party::Authority(a) => &a.institution,
            Party::Provider(p) => &p.institution,
            Party::Reviewer(r) => &r.institution,
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => &o.institution,
        };
        update.name = name.and_then(|n| Changed::of(&before.name().to_owned(), &n));
        update.institution = institution.and_then(|i| Changed::of(current_institution, &i));
        if let (Party::Authority(a), Some(t)) = (&before, changes.authority_type) {
            update.authority_type = Changed::of(&a.authority_type, &t);
        }
        if let (Party::Reviewer(r), Some(k)) = (&before, changes.kind) {
            update.reviewer_kind = Changed::of(&r.kind, &k);
        }
        if update.is_empty() {
            return Err(Error::invalid(
                "nothing_changed",
                "",
                format!("{id} already has these details: give a new name, type, kind or institution"),
            ));
        }
        let after = update.apply(&before).map_err(|e| invalid(e.field, e.message))?;
        let entry = self.entry_at(now.trunc_subsecs(6), Fact::PartyUpdated(update));
        let written = app.store().update_party(&before, &after, &entry).await?;
        Ok((after, written))
    }

    /// Deactivates a party: from now on it is party to no new request, until it is
    /// reactivated. What it is party to already keeps its history and goes on.
    pub async fn deactivate(
        &self,
        id: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<(Standing, JournalEntry)> {
        let app = self.app();
        let party = app.registered(id).await?;
        let id = party.id().clone();
        let reason = reason(why, "invalid_deactivation")?;
        if let Some(d) = app.standing(&id).await?.deactivated(now) {
            return Err(Error::Conflict {
                code: "already_deactivated",
                message: format!("{id} was deactivated already, on {}: {}", time(d.at), d.reason),
            });
        }
        let fact = Fact::PartyDeactivated(journal::PartyStatusChange { party: id.clone(), reason });
        let written = self.append_at(now, fact).await?;
        Ok((app.standing(&id).await?, written))
    }

    /// Reactivates a deactivated party.
    pub async fn reactivate(
        &self,
        id: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<(Standing, JournalEntry)> {
        let app = self.app();
        let party = app.registered(id).await?;
        let id = party.id().clone();
        let reason = reason(why, "invalid_reactivation")?;
        if app.standing(&id).await?.deactivated(now).is_none() {
            return Err(Error::Conflict {
                code: "not_deactivated",
                message: format!("{id} is active: there is nothing to reactivate"),
            });
        }
        let fact = Fact::PartyReactivated(journal::PartyStatusChange { party: id.clone(), reason });
        let written = self.append_at(now, fact).await?;
        Ok((app.standing(&id).await?, written))
    }

    /// Suspends a party, or one of its privileges, from now until `until`, by a reasoned
    /// decision; the suspension's number is the party's next.
    pub async fn suspend(
        &self,
        id: &str,
        new: &NewSuspension,
        now: DateTime<Utc>,
    ) -> Result<(Suspension, JournalEntry)> {
        let app = self.app();
        let party = app.registered(id).await?;
        let id = party.id().clone();
        let reason = reason(&new.reason, "invalid_suspension")?;
        let now = now.trunc_subsecs(6);
        if let Some(p) = new.privilege
            && p.holder() != party.role()
        {
            return Err(Error::invalid(
                "invalid_suspension",
                "privilege",
                format!(
                    "the {} is {}'s privilege, and {id} is {}: suspend it as a whole (no privilege)",
                    p.noun(),
                    crate::a(p.holder().noun()),
                    crate::a(party.role().noun())
                ),
            ));
        }
        let until = new.until.trunc_subsecs(6);
        if until <= now {
            return Err(Error::invalid(
                "invalid_suspension",
                "until",
                format!(
                    "{} is not after now ({}): a suspension ends on a date to come; to end one early, lift it",
                    time(until),
                    time(now)
                ),
            ));
        }
        let number = app.standing(&id).await?.next_suspension();
        let fact = Fact::PartySuspended(journal::PartySuspended {
            party: id.clone(),
            suspension: number,
            privilege: new.privilege,
            until,
            reason,
        });
        let written = self.append_at(now, fact).await?;
        let suspension = app.suspension(&id, number).await?;
        Ok((suspension, written))
    }

    /// Lifts a suspension before its end, with the reason.
    pub async fn lift_suspension(
        &self,
        id: &str,
        number: u32,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<(Suspension, JournalEntry)> {
        let app = self.app();
        let party = app.registered(id).await?;
        let id = party.id().clone();
        let reason = reason(why, "invalid_lifting")?;
        let now = now.trunc_subsecs(6);
        let suspension = app.suspension(&id, number).await?;
        if let Some(l) = &suspension.lifted {
            return Err(Error::Conflict {
                code: "already_lifted",
                message: format!(
                    "suspension {number} of {id} was lifted already, on {}: {}",
                    time(l.at),
                    l.reason
                ),
            });
        }
        if suspension.until <= now {
            return Err(Error::Conflict {
                code: "suspension_ended",
                message: format!(
                    "suspension {number} of {id} ended on {}: there is nothing to lift",
                    time(suspension.until)
                ),
            });
        }
        let fact = Fact::SuspensionLifted(journal::SuspensionLifted {
            party: id.clone(),
            suspension: number,
            reason,
        });
        let written = self.append_at(now, fact).await?;
        Ok((app.suspension(&id, number).await?, written))
    }

    /// Changes an authority's contact (name, e-mail, phone, key), with the reason: a
    /// `contact.updated` fact with the contact as it was and as it is.
    pub async fn update_contact(
        &self,
        authority: &str,
        contact: &str,
        changes: &ContactChanges,
        now: DateTime<Utc>,
    ) -> Result<(Contact, JournalEntry)> {
        let app = self.app();
        let (authority, before) = app.contact(authority, contact).await?;
        let reason = reason(&changes.reason, "invalid_contact")?;
        let invalid = |field: &str, message: String| Error::invalid("invalid_contact", field, message);
        let channel =
            |v: &Option<Option<String>>, field: &str, was: &Option<String>| -> Result<Option<String>> {
                match v {
                    None => Ok(was.clone()),
                    Some(None) => Ok(None),
                    Some(Some(s)) if s.trim().is_empty() => Ok(None),
                    Some(Some(s)) => check_name(s).map(Some).map_err(|e| invalid(field, e.to_string())),
                }
            };
        let name = match &changes.name {
            Some(n) => check_name(n).map_err(|e| invalid("name", e.to_string()))?,
            None => before.name.clone(),
        };
        let email = channel(&changes.email, "email", &before.email)?;
        if email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(invalid("email", "is not an e-mail address".to_owned()));
        }
        let phone = channel(&changes.phone, "phone", &before.phone)?;
        let key = match &changes.public_key {
            None => before.public_key,
            Some(None) => None,
            Some(Some(k)) if k.trim().is_empty() => None,
            Some(Some(k)) => Some(public_key(k, "public_key")?.to_bytes()),
        };
        if email.is_none() && phone.is_none() && key.is_none() {
            return Err(invalid(
                "email",
                "a contact keeps at least one channel to reach them by: email, phone or a public_key they sign with"
                    .to_owned(),
            ));
        }
        let after = Contact { authority, id: before.id.clone(), name, email, phone, public_key: key };
        if after == before {
            return Err(Error::invalid(
                "nothing_changed",
                "",
                format!("contact {} already has these details", before.id),
            ));
        }
        let fact = Fact::ContactUpdated(journal::ContactUpdated { before, after: after.clone(), reason });
        let written = self.append_at(now, fact).await?;
        Ok((after, written))
    }

    /// Takes a contact off an authority's register, with the reason: they confirm its
    /// emergencies no more. Its id is never given to another contact of the authority.
    pub async fn remove_contact(
        &self,
        authority: &str,
        contact: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<JournalEntry> {
        let app = self.app();
        let (authority, before) = app.contact(authority, contact).await?;
        let reason = reason(why, "invalid_contact")?;
        let fact = Fact::ContactRemoved(journal::ContactRemoved { authority, id: before.id, reason });
        self.append_at(now, fact).await
    }

    async fn append_at(&self, now: DateTime<Utc>, fact: Fact) -> Result<JournalEntry> {
        let mut written =
            self.app().store().append_journal(&[self.entry_at(now.trunc_subsecs(6), fact)]).await?;
        written.pop().ok_or_else(|| Error::corrupt("the journal kept no entry"))
    }
}

impl App {
    /// Suspension `number` of `party`, or not found.
    async fn suspension(&self, party: &PartyId, number: u32) -> Result<Suspension> {
        self.standing(party)
            .await?
            .suspensions
            .into_iter()
            .find(|s| s.number == number)
            .ok_or_else(|| Error::NotFound(format!("{party} has no suspension {number}")))
    }

    /// An authority's registered contact, as its history makes it now, or not found.
    async fn contact(&self, authority: &str, contact: &str) -> Result<(PartyId, Contact)> {
        let authority = self.authority(authority).await?;
        let id =
            Username::parse(contact.trim()).map_err(|e| Error::BadInput(format!("the contact id: {e}")))?;
        let found = self.contacts(&authority).await?.into_iter().find(|c| c.id == id);
        match found {
            Some(c) => Ok((authority, c)),
            None => Err(Error::NotFound(format!("{authority} has no contact {id}"))),
        }
    }
}

/// A time as messages show it: RFC 3339, to the second.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

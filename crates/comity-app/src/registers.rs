//! The registers: parties, authorities' signing keys and contacts (issue 5, items 2, 3
//! and 6), authorities' age recipients and providers' production keys (issue 6).
//!
//! Every change is a journal fact with its audit-log entry: a key's whole history (added,
//! rotated with an overlap, revoked with an effective time) is kept and can be checked,
//! and the state of a key is always folded from that history
//! ([`AuthorityKey::from_history`]), never kept as a flag someone could flip.
//!
//! Changes go through [`Registers`], the leave to change them: the policy grants it to an
//! operator's admin ([`App::manage_registers`]), and the operator at the command line has
//! it ([`crate::Operator::registers`]).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_auth::jws::{PublicKey, SigningKey};
use comity_core::{
    ActorId, AuthorityKey, Contact, Fact, FactKind, JournalEntry, JournalQuery, KeyChange, KeyId, NewEntry,
    Party, PartyId, PartyRole, Username, check_name, journal,
};

use crate::{App, Caller, Error, Result};

/// How long a rotated key stays usable by default, and at most.
const DEFAULT_OVERLAP_HOURS: u32 = 24;
const MAX_OVERLAP_HOURS: u32 = 720;

/// A key to register.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewKey {
    /// The Ed25519 public key as a JWK (RFC 8037 §2) or an SPKI PEM.
    pub public_key: String,
    /// The key id signatures will name; by default the key's RFC 7638 thumbprint.
    pub kid: Option<String>,
    /// The key this one replaces (a rotation).
    pub replaces: Option<String>,
    /// How long the replaced key stays usable, in hours (default 24, at most 720).
    pub overlap_hours: Option<u32>,
}

/// A revocation of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub reason: String,
    /// From when nothing it signs is accepted; now if `None`.
    pub effective_at: Option<DateTime<Utc>>,
}

/// A contact to register.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewContact {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// An Ed25519 public key (JWK or PEM) the contact signs confirmations with.
    pub public_key: Option<String>,
}

/// A key as its history makes it now, with its history's log entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyView {
    pub key: AuthorityKey,
    pub log_indexes: Vec<u64>,
}

/// A registered age recipient or production key: the key, when, whether it is the one in
/// use (the latest), and its log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The age recipient, or the production key's id.
    pub key: String,
    /// The production key (production keys only).
    pub public_key: Option<[u8; 32]>,
    pub added_at: DateTime<Utc>,
    pub current: bool,
    pub log_index: Option<u64>,
}

/// The leave to change the registers, and who has it.
#[derive(Debug, Clone)]
pub struct Registers {
    app: App,
    actor: ActorId,
}

impl App {
    /// The leave to change the registers, if the policy gives it to `caller`.
    pub fn manage_registers(&self, caller: &Caller) -> Result<Registers> {
        self.require(caller, &Action::ManageRegisters, &On::Registers)?;
        Ok(Registers { app: self.clone(), actor: caller.actor() })
    }

    pub(crate) fn registers_as(&self, actor: ActorId) -> Registers {
        Registers { app: self.clone(), actor }
    }

    /// A register's parties, by id, if the policy lets `caller` read the registers.
    pub async fn parties(&self, caller: &Caller, role: PartyRole) -> Result<Vec<Party>> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        Ok(self.store().parties(role).await?)
    }

    /// An authority's keys, oldest first, for a caller who may read the registers.
    pub async fn authority_keys(&self, caller: &Caller, authority: &str) -> Result<Vec<KeyView>> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        let authority = self.authority(authority).await?;
        self.keys_of(&authority).await
    }

    /// An authority's contacts (personal data: admins and providers' legal teams).
    pub async fn authority_contacts(&self, caller: &Caller, authority: &str) -> Result<Vec<Contact>> {
        self.require(caller, &Action::ReadContacts, &On::Registers)?;
        let authority = self.authority(authority).await?;
        self.contacts(&authority).await
    }

    /// An authority's age recipients, oldest first; the last is the one in use.
    pub async fn authority_recipients(&self, caller: &Caller, authority: &str) -> Result<Vec<Registered>> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        let authority = self.authority(authority).await?;
        self.recipients(&authority).await
    }

    /// A provider's production keys, oldest first; the last is the one in use.
    pub async fn provider_keys(&self, caller: &Caller, provider: &str) -> Result<Vec<Registered>> {
        self.require(caller, &Action::ReadRegisters, &On::Registers)?;
        let provider = self.provider(provider).await?;
        Ok(self.production_keys(&provider).await?.into_iter().map(|(r, _)| r).collect())
    }

    /// A key as its history makes it now, and its history's log entries; `None` if no key
    /// has this id.
    pub(crate) async fn key(&self, kid: &KeyId) -> Result<Option<KeyView>> {
        let entries =
            self.store().journal(&JournalQuery::kinds(&FactKind::KEY).subject(kid.as_str())).await?;
        let log_indexes = entries.iter().filter_map(|j| j.log_index).collect();
        Ok(AuthorityKey::from_history(kid, &history(&entries)).map(|key| KeyView { key, log_indexes }))
    }

    /// Every key of an authority, oldest first.
    pub(crate) async fn keys_of(&self, authority: &PartyId) -> Result<Vec<KeyView>> {
        let added =
            self.store().journal(&JournalQuery::kinds(&[FactKind::KeyAdded]).party(authority)).await?;
        let mut keys = Vec::with_capacity(added.len());
        for j in added {
            let Fact::KeyAdded(k) = &j.fact else { continue };
            if let Some(view) = self.key(&k.kid).await? {
                keys.push(view);
            }
        }
        Ok(keys)
    }

    /// An authority's registered contacts as their history makes them now: added, changed
    /// (issue 16, item 7), and not removed since.
    pub(crate) async fn contacts(&self, authority: &PartyId) -> Result<Vec<Contact>> {
        let entries = self.store().journal(&JournalQuery::kinds(&FactKind::CONTACT).party(authority)).await?;
        let mut contacts: Vec<Contact> = Vec::new();
        for j in entries {
            match j.fact {
                Fact::ContactAdded(c) => contacts.push(c),
                Fact::ContactUpdated(u) => {
                    if let Some(c) = contacts.iter_mut().find(|c| c.id == u.after.id) {
                        *c = u.after;
                    }
                }
                Fact::ContactRemoved(r) => contacts.retain(|c| c.id != r.id),
                _ => {}
            }
        }
        Ok(contacts)
    }

    /// An authority's age recipients, oldest first; the last is the one in use.
    pub(crate) async fn recipients(&self, authority: &PartyId) -> Result<Vec<Registered>> {
        let entries =
            self.store().journal(&JournalQuery::kinds(&[FactKind::RecipientAdded]).party(authority)).await?;
        let n = entries.len();
        Ok(entries
            .into_iter()
            .enumerate()
            .map(|(i, j)| Registered {
                key: j.subject,
                public_key: None,
                added_at: j.at,
                current: i + 1 == n,
                log_index: j.log_index,
            })
            .collect())
    }

    /// A provider's production keys, oldest first; the last is the one in use.
    pub(crate) async fn production_keys(&self, provider: &PartyId) -> Result<Vec<(Registered, PublicKey)>> {
        let entries = self
            .store()
            .journal(&JournalQuery::kinds(&[FactKind::ProductionKeyAdded]).party(provider))
            .await?;
        let n = entries.len();
        let mut keys = Vec::with_capacity(n);
        for (i, j) in entries.into_iter().enumerate() {
            let Fact::ProductionKeyAdded(fact) = &j.fact else { continue };
            let key = PublicKey::from_bytes(&fact.public_key).map_err(|e| corrupt(&j, e))?;
            keys.push((
                Registered {
                    key: j.subject.clone(),
                    public_key: Some(fact.public_key),
                    added_at: j.at,
                    current: i + 1 == n,
                    log_index: j.log_index,
                },
                key,
            ));
        }
        Ok(keys)
    }

    /// An authority, or not found.
    pub(crate) async fn authority(&self, id: &str) -> Result<PartyId> {
        let id = PartyId::parse(id).map_err(|e| Error::BadInput(e.to_string()))?;
        match self.store().party(&id).await? {
            Some(Party::Authority(_)) => Ok(id),
            _ => Err(Error::NotFound(format!("no authority {id} is registered"))),
        }
    }

    /// A provider, or not found.
    pub(crate) async fn provider(&self, id: &str) -> Result<PartyId> {
        let id = PartyId::parse(id).map_err(|e| Error::BadInput(e.to_string()))?;
        match self.store().party(&id).await? {
            Some(Party::Provider(_)) => Ok(id),
            _ => Err(Error::NotFound(format!("no provider {id} is registered"))),
        }
    }

    /// A key of this authority, or not found.
    async fn key_of(&self, kid: &KeyId, authority: &PartyId) -> Result<AuthorityKey> {
        match self.key(kid).await? {
            Some(v) if &v.key.authority == authority => Ok(v.key),
            _ => Err(Error::NotFound(format!("{authority} has no key {kid}"))),
        }
    }
}

/// What binds a provider's sealed private production key to its provider and key id, so
/// that a sealed key moved to another row does not open (as TOTP secrets are bound to their
/// account, [`crate::totp_aad`]).
pub fn production_key_aad(provider: &PartyId, kid: &str) -> Vec<u8> {
    format!("comity-production-key/v1 {provider} {kid}").into_bytes()
}

impl Registers {
    /// Registers a party and returns its audit-log entry's index.
    pub async fn add_party(&self, party: &Party) -> Result<u64> {
        Ok(self.app.store().add_party(party).await?)
    }

    /// Registers a key for an authority; with `replaces`, a rotation: the replaced key
    /// stays usable for the overlap, then is retired. Both are one atomic write.
    pub async fn add_key(&self, authority: &str, new: &NewKey) -> Result<KeyView> {
        let app = &self.app;
        let authority = app.authority(authority).await?;
        let new_key = public_key(&new.public_key, "public_key")?;
        let kid = match &new.kid {
            Some(k) => KeyId::parse(k).map_err(|e| Error::invalid("invalid_key", "kid", e.to_string()))?,
            None => KeyId::parse(&new_key.thumbprint()).map_err(Error::internal)?,
        };
        let now = Utc::now().trunc_subsecs(6);
        let mut retired = None;
        if let Some(old) = &new.replaces {
            let overlap = new.overlap_hours.unwrap_or(DEFAULT_OVERLAP_HOURS);
            if overlap > MAX_OVERLAP_HOURS {
                return Err(Error::invalid(
                    "invalid_key",
                    "overlap_hours",
                    format!("at most {MAX_OVERLAP_HOURS} hours (30 days)"),
                ));
            }
            let old_id =
                KeyId::parse(old).map_err(|e| Error::invalid("invalid_key", "replaces", e.to_string()))?;
            let replaced = app.key_of(&old_id, &authority).await?;
            if !replaced.is_active(now) {
                return Err(Error::invalid(
                    "invalid_key",
                    "replaces",
                    format!("key {old} is already retired or revoked; add the new key without `replaces`"),
                ));
            }
            retired = Some(journal::KeyRetired {
                authority: authority.clone(),
                kid: old_id,
                effective_at: now + Duration::hours(i64::from(overlap)),
                replaced_by: Some(kid.clone()),
            });
        } else if new.overlap_hours.is_some() {
            return Err(Error::invalid(
                "invalid_key",
                "overlap_hours",
                "an overlap only applies to a rotation: name the key this one replaces in `replaces`",
            ));
        }
        let added = Fact::KeyAdded(journal::KeyAdded {
            authority: authority.clone(),
            kid: kid.clone(),
            public_key: new_key.to_bytes(),
            replaces: retired.as_ref().map(|r| r.kid.clone()),
        });
        let mut entries = vec![self.entry(added)];
        if let Some(r) = retired {
            entries.push(self.entry(Fact::KeyRetired(r)));
        }
        app.store().append_journal(&entries).await?;
        app.key(&kid).await?.ok_or_else(|| Error::corrupt(format!("key {kid} was not kept")))
    }

    /// Revokes a key, from now or from an earlier time (a compromise found late).
    pub async fn revoke_key(&self, authority: &str, kid: &str, revocation: &Revocation) -> Result<KeyView> {
        let app = &self.app;
        let authority = app.authority(authority).await?;
        let kid = KeyId::parse(kid).map_err(|e| Error::BadInput(e.to_string()))?;
        app.key_of(&kid, &authority).await?;
        let reason = check_name(&revocation.reason).map_err(|e| {
            Error::invalid("invalid_revocation", "reason", format!("give the reason in a line: {e}"))
        })?;
        let now = Utc::now().trunc_subsecs(6);
        let effective_at = revocation.effective_at.map_or(now, |t| t.trunc_subsecs(6));
        let fact = Fact::KeyRevoked(journal::KeyRevoked {
            authority: authority.clone(),
            kid: kid.clone(),
            effective_at,
            reason,
        });
        app.store().append_journal(&[self.entry(fact)]).await?;
        app.key(&kid).await?.ok_or_else(|| Error::corrupt(format!("key {kid} was not kept")))
    }

    /// Registers a contact of an authority.
    pub async fn add_contact(&self, authority: &str, new: &NewContact) -> Result<Contact> {
        let authority = self.app.authority(authority).await?;
        let id =
            Username::parse(&new.id).map_err(|e| Error::invalid("invalid_contact", "id", e.to_string()))?;
        let name =
            check_name(&new.name).map_err(|e| Error::invalid("invalid_contact", "name", e.to_string()))?;
        if new.email.is_none() && new.phone.is_none() && new.public_key.is_none() {
            return Err(Error::invalid(
                "invalid_contact",
                "email",
                "give at least one channel to reach the contact by: email, phone or a public_key they sign with",
            ));
        }
        let channel = |v: &Option<String>, field: &str| -> Result<Option<String>> {
            v.as_deref()
                .map(|s| check_name(s).map_err(|e| Error::invalid("invalid_contact", field, e.to_string())))
                .transpose()
        };
        let email = channel(&new.email, "email")?;
        if email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(Error::invalid("invalid_contact", "email", "is not an e-mail address"));
        }
        let phone = channel(&new.phone, "phone")?;
        let key = new.public_key.as_deref().map(|k| public_key(k, "public_key")).transpose()?;
        let contact = Contact {
            authority: authority.clone(),
            id: id.clone(),
            name,
            email,
            phone,
            public_key: key.map(|k| k.to_bytes()),
        };
        self.app.store().append_journal(&[self.entry(Fact::ContactAdded(contact.clone()))]).await?;
        Ok(contact)
    }

    /// Registers an authority's age recipient; productions are encrypted to the latest.
    pub async fn add_recipient(&self, authority: &str, recipient: &str) -> Result<Registered> {
        let authority = self.app.authority(authority).await?;
        let recipient = recipient.trim();
        if !is_age_recipient(recipient) {
            return Err(Error::invalid(
                "invalid_recipient",
                "recipient",
                "is not an X25519 age recipient: `age-keygen -o key.txt` prints one, `age1` and 58 more characters",
            ));
        }
        let fact = Fact::RecipientAdded(journal::RecipientAdded {
            authority: authority.clone(),
            recipient: recipient.to_owned(),
        });
        let j = self.append_one(self.entry(fact)).await?;
        Ok(Registered {
            key: recipient.to_owned(),
            public_key: None,
            added_at: j.at,
            current: true,
            log_index: j.log_index,
        })
    }

    /// Makes a new production key for a provider (issue 17): its public half registered (a
    /// `production_key.added` fact), its private half sealed by the server key and kept in
    /// the database in the same transaction, so that every server of the database signs
    /// with it and a copy of the database alone signs nothing. The latest key signs.
    /// Returns the key as registered and its public half.
    pub async fn generate_production_key(&self, provider: &str) -> Result<(Registered, PublicKey)> {
        let provider = self.app.provider(provider).await?;
        let key = SigningKey::generate();
        let public = key.public();
        let kid = KeyId::parse(&public.thumbprint()).map_err(Error::internal)?;
        let sealed = self
            .app
            .settings()
            .server_key
            .seal(key.to_jwk_private().as_bytes(), &production_key_aad(&provider, kid.as_str()));
        let fact = Fact::ProductionKeyAdded(journal::ProductionKeyAdded {
            provider: provider.clone(),
            kid: kid.clone(),
            public_key: public.to_bytes(),
        });
        let j =
            self.app.store().add_production_key(&provider, kid.as_str(), &sealed, &self.entry(fact)).await?;
        let registered = Registered {
            key: kid.to_string(),
            public_key: Some(public.to_bytes()),
            added_at: j.at,
            current: true,
            log_index: j.log_index,
        };
        Ok((registered, public))
    }

    /// An authority's keys, oldest first.
    pub async fn keys_of(&self, authority: &str) -> Result<Vec<KeyView>> {
        let authority = self.app.authority(authority).await?;
        self.app.keys_of(&authority).await
    }

    /// An authority's contacts.
    pub async fn contacts(&self, authority: &str) -> Result<Vec<Contact>> {
        let authority = self.app.authority(authority).await?;
        self.app.contacts(&authority).await
    }

    /// An authority's age recipients, oldest first; the last is the one in use.
    pub async fn recipients(&self, authority: &str) -> Result<Vec<Registered>> {
        let authority = self.app.authority(authority).await?;
        self.app.recipients(&authority).await
    }

    /// A provider's production keys, oldest first; the last is the one in use.
    pub async fn production_keys(&self, provider: &str) -> Result<Vec<Registered>> {
        let provider = self.app.provider(provider).await?;
        Ok(self.app.production_keys(&provider).await?.into_iter().map(|(r, _)| r).collect())
    }

    fn entry(&self, fact: Fact) -> NewEntry {
        NewEntry::new(Utc::now().trunc_subsecs(6), self.actor.clone(), fact)
    }

    /// A fact recorded at `at` by whoever holds this leave.
    pub(crate) fn entry_at(&self, at: DateTime<Utc>, fact: Fact) -> NewEntry {
        NewEntry::new(at, self.actor.clone(), fact)
    }

    pub(crate) fn app(&self) -> &App {
        &self.app
    }

    /// Appends one fact, now, with its audit-log entry.
    pub(crate) async fn append(&self, fact: Fact) -> Result<JournalEntry> {
        self.append_one(self.entry(fact)).await
    }

    async fn append_one(&self, entry: NewEntry) -> Result<JournalEntry> {
        let written = self.app.store().append_journal(&[entry]).await?;
        written.into_iter().next().ok_or_else(|| Error::corrupt("the journal kept no entry"))
    }
}

/// A key's history, from the journal entries of one key, oldest first.
fn history(entries: &[JournalEntry]) -> Vec<(DateTime<Utc>, KeyChange)> {
    entries
        .iter()
        .filter_map(|j| {
            let change = match &j.fact {
                Fact::KeyAdded(k) => {
                    KeyChange::Added { authority: k.authority.clone(), public_key: k.public_key }
                }
                Fact::KeyRetired(r) => {
                    KeyChange::Retired { effective_at: r.effective_at, replaced_by: r.replaced_by.clone() }
                }
                Fact::KeyRevoked(r) => {
                    KeyChange::Revoked { effective_at: r.effective_at, reason: r.reason.clone() }
                }
                _ => return None,
            };
            Some((j.at, change))
        })
        .collect()
}

fn corrupt(j: &JournalEntry, e: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("journal entry {} ({}): {e}", j.seq, j.kind()))
}

/// Reads a public key given as JWK or PEM text.
pub(crate) fn public_key(text: &str, field: &str) -> Result<PublicKey> {
    PublicKey::parse(text).map_err(|e| Error::invalid("invalid_key", field, e.to_string()))
}

/// Whether text is an X25519 age recipient: `age1`, then bech32 (lower-case, without `1bio`),
/// 62 characters in all (age-encryption.org/v1). The sealing itself parses it for real.
fn is_age_recipient(text: &str) -> bool {
    const BECH32: &str = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    text.len() == 62 && text.starts_with("age1") && text[4..].chars().all(|c| BECH32.contains(c))
}

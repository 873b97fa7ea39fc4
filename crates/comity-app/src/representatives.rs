//! The person concerned, through a representative registered for the request (issue 13,
//! item 6: "The person acts through a representative registered for that request, such
//! as a lawyer or a data protection authority").
//!
//! A representative is a party of a register of its own (`representative`), with people
//! of the role `representative`. The operator registers it for one request, on the
//! mandate it was shown (a power of attorney, a complaint lodged with a data protection
//! authority): a `representative.registered` fact whose log entry commits to the request,
//! the representative and a *commitment* to the person it acts for, never the person's
//! identifier. From then on, and for that request only, the representative's people see
//! the minimum they need to appeal ([`DecisionView`]: where the request stands, its
//! decisions with their grounds and reasoning, its appeals; never the document or the
//! targets) and appeal a decision with grounds, through the move every party uses
//! (`appealed`), heard by a second body as any appeal is. For any other request they get
//! 404, as for one that does not exist (`policies/access.cedar`,
//! `representative-only-where-registered`).
//!
//! comity does not check the person's identifier against the request's targets: the
//! answer would tell whoever registers whether someone is targeted. The commitment lets
//! whoever holds the request's salt and the identifier check later whom the
//! representative acted for.

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{
    ActorId, Fact, FactKind, JournalEntry, JournalQuery, NewEntry, Party, PartyId, ReadOf, RequestId, State,
    StoredRequest, Use, check_name, journal,
};
use sha2::{Digest, Sha256};

use crate::{App, Caller, Error, Result};

/// A representative to register for a request, as the operator gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRepresentative {
    /// The party, of the `representative` register.
    pub representative: String,
    /// The person concerned it acts for: an identifier of theirs (an e-mail address, an
    /// account name). Only a commitment to it is kept.
    pub represents: String,
    /// The mandate, in words.
    pub mandate: String,
}

/// A decision on a request, as its representative sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionSeen {
    /// The request's version the decision made.
    pub decision: u32,
    pub at: DateTime<Utc>,
    /// The body that decided.
    pub by: PartyId,
    pub outcome: State,
    /// The pack's codes it rests on.
    pub grounds: Vec<String>,
    /// The reasoning in prose (the deciding move's reason).
    pub reasoning: String,
}

/// An appeal lodged against a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealSeen {
    /// The version of the decision appealed.
    pub decision: u32,
    pub at: DateTime<Utc>,
    pub by: ActorId,
    pub grounds: String,
}

/// What a representative sees of a request it is registered for: enough to appeal, none
/// of the request's contents.
#[derive(Debug, Clone)]
pub struct DecisionView {
    pub request: StoredRequest,
    pub decisions: Vec<DecisionSeen>,
    pub appeals: Vec<AppealSeen>,
    /// The read's log entry.
    pub log_index: u64,
}

/// The commitment kept for whom a representative acts: hex SHA-256 over a label, the
/// request's log salt and the identifier as given (trimmed, lower-cased), so the log names
/// nobody and the same person under another request commits differently.
pub fn commitment(log_salt: &[u8; 32], represents: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"comity-representative/v1\n");
    hash.update(log_salt);
    hash.update(represents.trim().to_lowercase().as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    /// The representatives registered for a request, in the order registered.
    pub async fn representatives(&self, id: RequestId) -> Result<Vec<PartyId>> {
        Ok(self.parties_of(id).await?.1)
    }

    /// The representatives registered for a request, for those who may see it or its
    /// decisions: its parties, and its representatives.
    pub async fn listed_representatives(&self, caller: &Caller, id: RequestId) -> Result<Vec<PartyId>> {
        let (_, facts) = self.visible_to_move(caller, id).await?;
        Ok(facts.representatives)
    }

    /// Registers a representative of the person concerned for a request: the operator's
    /// act through the API (`policies/access.cedar`, `operator-registers-representatives`).
    /// Returns every representative now registered, and the fact's journal entry.
    pub async fn register_representative(
        &self,
        caller: &Caller,
        id: RequestId,
        new: &NewRepresentative,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let (stored, facts) = self.request_and_facts(id).await?;
        // Whoever may not see the request learns nothing of it: 404, as for none.
        let sees = self.allowed(caller, &Action::View, &On::Request(&facts));
        if !sees && caller.principal.role != comity_core::Role::Admin {
            return Err(Error::NotFound(format!("no request with id {id}")));
        }
        self.require_on_request(caller, &Action::RegisterRepresentative, &facts)?;
        let Some(stored) = stored else { return Err(Error::NotFound(format!("no request with id {id}"))) };
        self.register_checked(&caller.actor(), &stored, facts.representatives, new).await
    }

    /// The operator at the command line registers a representative (`comity
    /// representative add`): the same checks as through the API, the institutions'
    /// conflict aside (the command line is the operator's root).
    pub(crate) async fn register_representative_as(
        &self,
        actor: &ActorId,
        id: RequestId,
        new: &NewRepresentative,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let stored =
            self.store().request(id).await?.ok_or_else(|| Error::NotFound(format!("no request {id}")))?;
        let registered = self.representatives(id).await?;
        self.register_checked(actor, &stored, registered, new).await
    }

    async fn register_checked(
        &self,
        actor: &ActorId,
        stored: &StoredRequest,
        mut registered: Vec<PartyId>,
        new: &NewRepresentative,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let representative = PartyId::parse(new.representative.trim())
            .map_err(|e| Error::invalid("unknown_representative", "representative", e.to_string()))?;
        let Some(Party::Representative(_)) = self.party(&representative).await? else {
            return Err(Error::invalid(
                "unknown_representative",
                "representative",
                format!(
                    "no representative {representative} is registered; register it first (POST \
                     /v1/admin/representatives, or `comity party add representative`)"
                ),
            ));
        };
        if let Err(barred) = self.standing(&representative).await?.check(Use::NewRequest, Utc::now()) {
            return Err(Error::invalid(
                "representative_unavailable",
                "representative",
                format!("{barred}; it is registered for no new request until then"),
            ));
        }
        if registered.contains(&representative) {
            return Err(Error::Conflict {
                code: "already_registered",
                message: format!("{representative} is already registered for request {}", stored.id),
            });
        }
        let represents = new.represents.trim();
        if represents.is_empty()
            || represents.chars().count() > 320
            || represents.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "invalid_representative",
                "represents",
                "give an identifier of the person concerned (an e-mail address, an account name), up to 320 \
                 characters; only a commitment to it is kept",
            ));
        }
        let mandate = check_name(&new.mandate).map_err(|e| {
            Error::invalid(
                "invalid_representative",
                "mandate",
                format!("say what mandate you were shown (a power of attorney, a complaint): {e}"),
            )
        })?;
        let fact = Fact::RepresentativeRegistered(journal::RepresentativeRegistered {
            request: stored.id,
            representative: representative.clone(),
            represents: commitment(&stored.log_salt, represents),
            mandate,
        });
        let entry = NewEntry {
            party: Some(stored.provider.clone()),
            ..NewEntry::new(Utc::now().trunc_subsecs(6), actor.clone(), fact)
        };
        let mut written = self.store().append_journal(&[entry]).await?;
        let entry = written.pop().ok_or_else(|| Error::corrupt("the store wrote no journal entry"))?;
        registered.push(representative);
        tracing::info!(request = %stored.id, "representative registered");
        Ok((registered, entry))
    }

    /// What a representative registered for the request sees of it (`view_decision`): the
    /// request's state, its decisions with grounds and reasoning, its appeals. The read is
    /// logged first, as a read of the request's events (the reasoning may name people).
    pub async fn decision_view(&self, caller: &Caller, id: RequestId) -> Result<DecisionView> {
        let (stored, facts) = self.request_and_facts(id).await?;
        let allowed = self.allowed(caller, &Action::ViewDecision, &On::Request(&facts));
        let Some(request) = stored.filter(|_| allowed) else {
            return Err(Error::NotFound(format!("no request with id {id}")));
        };
        let kinds = [FactKind::DecisionReasoned, FactKind::AppealLodged];
        let journal = self.store().journal(&JournalQuery::kinds(&kinds).request(id)).await?;
        let events = self.store().events(id).await?;
        let mut decisions = Vec::new();
        let mut appeals = Vec::new();
        for j in journal {
            match j.fact {
                Fact::DecisionReasoned(d) => {
                    let reasoning = events
                        .iter()
                        .find(|e| e.seq == d.decision)
                        .map(|e| e.reason.clone())
                        .unwrap_or_default();
                    decisions.push(DecisionSeen {
                        decision: d.decision,
                        at: j.at,
                        by: d.by,
                        outcome: d.outcome,
                        grounds: d.grounds,
                        reasoning,
                    });
                }
                Fact::AppealLodged(a) => appeals.push(AppealSeen {
                    decision: a.decision,
                    at: j.at,
                    by: j.actor,
                    grounds: a.grounds,
                }),
                _ => {}
            }
        }
        let log_index = self.log_read(caller, id, ReadOf::Events).await?;
        Ok(DecisionView { request, decisions, appeals, log_index })
    }
}

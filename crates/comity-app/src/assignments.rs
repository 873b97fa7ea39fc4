//! Reviewer assignment, with the conflict check of separation of duties, and the
//! authorities' track records (issue 5, items 5 and 6).

use chrono::{SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{
    ActorId, AuthorityRecord, Fact, JournalEntry, NewEntry, Party, PartyId, RequestId, StoredRequest,
    check_name, journal,
};

use crate::{App, Caller, Error, Result, error::a};

impl App {
    /// Assigns a reviewer body to decide on a request. Refused when the reviewer is of the
    /// issuing or validating authority's institution, or of the provider's: nobody decides
    /// on what their own side asked for or holds. Returns every reviewer now assigned, and
    /// the assignment's journal entry.
    pub async fn assign_reviewer(
        &self,
        caller: &Caller,
        id: RequestId,
        reviewer: &str,
        reason: &str,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let (stored, facts) = self.visible(caller, id).await?;
        let reviewer = PartyId::parse(reviewer)
            .map_err(|e| Error::invalid("unknown_reviewer", "reviewer", e.to_string()))?;
        let Some(Party::Reviewer(r)) = self.party(&reviewer).await? else {
            return Err(Error::invalid(
                "unknown_reviewer",
                "reviewer",
                format!("no reviewer body {reviewer} is registered"),
            ));
        };
        let reason = check_name(reason)
            .map_err(|e| Error::invalid("invalid_assignment", "reason", format!("give the reason: {e}")))?;
        let institution = Party::Reviewer(r).institution().clone();
        let action =
            Action::AssignReviewer { reviewer: reviewer.clone(), reviewer_institution: institution.clone() };
        if !self.allowed(caller, &action, &On::Request(&facts)) {
            let conflicted =
                facts.issuer_institutions.contains(&institution) || facts.provider_institution == institution;
            return Err(Error::Forbidden(if conflicted {
                format!(
                    "{reviewer} is of institution {institution}, which is a party to this request; \
                     assign a reviewer independent of the authority and the provider"
                )
            } else {
                format!(
                    "{} of {} may not assign reviewers to this request",
                    a(caller.principal.role.as_str()),
                    caller.org()
                )
            }));
        }
        let written = self.record_assignment(&caller.actor(), &stored, &reviewer, reason).await?;
        let mut reviewers = facts.reviewers;
        reviewers.push(reviewer);
        Ok((reviewers, written))
    }

    /// The reviewer bodies assigned to a request the caller may see.
    pub async fn assigned_reviewers(&self, caller: &Caller, id: RequestId) -> Result<Vec<PartyId>> {
        Ok(self.visible(caller, id).await?.1.reviewers)
    }

    /// An authority's track record: how many requests, how many rejected, how many of its
    /// emergencies a second contact never confirmed. An authority reads its own; others
    /// need the leave to read aggregates.
    pub async fn authority_record(&self, caller: &Caller, id: &str) -> Result<(PartyId, AuthorityRecord)> {
        let id = PartyId::parse(id).map_err(|e| Error::BadInput(e.to_string()))?;
        if caller.org() != &id {
            self.require(caller, &Action::ReadAggregates, &On::Aggregates)?;
        }
        match self.party(&id).await? {
            Some(Party::Authority(_)) => {}
            _ => return Err(Error::NotFound(format!("no authority {id} is registered"))),
        }
        let record = self.store().authority_record(&id).await?;
        Ok((id, record))
    }

    /// Records that `reviewer` decides on `request`: a `reviewer.assigned` fact with its
    /// audit-log entry. The caller has checked that the assignment is allowed; callers and
    /// the demo seeder assign through here.
    pub(crate) async fn record_assignment(
        &self,
        actor: &ActorId,
        request: &StoredRequest,
        reviewer: &PartyId,
        reason: String,
    ) -> Result<JournalEntry> {
        let fact = Fact::ReviewerAssigned(journal::ReviewerAssigned {
            request: request.id,
            reviewer: reviewer.clone(),
            reason,
        });
        let mut written = self
            .store()
            .append_journal(&[NewEntry {
                // The provider's: it assigns, and its requests' facts are listed by it.
                party: Some(request.provider.clone()),
                ..NewEntry::new(Utc::now().trunc_subsecs(6), actor.clone(), fact)
            }])
            .await?;
        written.pop().ok_or_else(|| Error::corrupt("the journal kept no entry"))
    }
}

//! Reviewer assignment, with the conflict check of separation of duties, and the
//! authorities' track records (issue 5, items 5 and 6).

use chrono::{SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{
    ActorId, AuthorityRecord, Fact, JournalEntry, NewEntry, Party, PartyId, RequestId, StoredRequest, Use,
    check_name, journal,
};

use comity_core::ReviewerKind;
use comity_wire::{parse_request, screening::ScreeningReport};

use crate::routing::{Competent, competent};
use crate::{App, Caller, Error, Result, error::a};

impl App {
    /// Assigns a reviewer body to decide on a request: the operator's act, where routing by
    /// law found no body in the register or a provider's objection was upheld (issue 13).
    /// `replaces` takes another body off the request in the same act. Refused when the body
    /// is not of a kind the law makes competent for the request, or is of the issuing or
    /// validating authority's institution, or of the provider's. Returns every reviewer now
    /// assigned, and the assignment's journal entry.
    pub async fn assign_reviewer(
        &self,
        caller: &Caller,
        id: RequestId,
        reviewer: &str,
        reason: &str,
        replaces: Option<&str>,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let (stored, facts) = self.request_and_facts(id).await?;
        let (body, institution, reason) = self.assignment(reviewer, reason).await?;
        let reviewer = body.id.clone();
        let action =
            Action::AssignReviewer { reviewer: reviewer.clone(), reviewer_institution: institution.clone() };
        // Whoever may not see the request learns nothing of it: 404, as for none.
        let sees = self.allowed(caller, &Action::View, &On::Request(&facts));
        if !sees && caller.principal.role != comity_core::Role::Admin {
            return Err(Error::NotFound(format!("no request with id {id}")));
        }
        if !self.allowed(caller, &action, &On::Request(&facts)) {
            let conflicted =
                facts.issuer_institutions.contains(&institution) || facts.provider_institution == institution;
            return Err(Error::Forbidden(if conflicted {
                conflict(&reviewer, &institution)
            } else if caller.principal.role == comity_core::Role::Handler {
                "review is routed by law, and the provider never chooses its reviewer: object to the \
                 assigned body for a conflict (POST /v1/requests/{id}/reviewers/objections), and an \
                 operator decides"
                    .to_owned()
            } else {
                format!(
                    "{} of {} may not assign reviewers to this request",
                    a(caller.principal.role.as_str()),
                    caller.org()
                )
            }));
        }
        let Some(stored) = stored else { return Err(Error::NotFound(format!("no request {id}"))) };
        self.assign_checked(&caller.actor(), &stored, facts.reviewers, &body, reason, replaces).await
    }

    /// The operator at the command line assigns a reviewer body (`comity reviewer assign`):
    /// the same checks as through the API, the conflict of institutions included, which
    /// there the policy makes.
    pub(crate) async fn assign_as(
        &self,
        actor: &ActorId,
        id: RequestId,
        reviewer: &str,
        reason: &str,
        replaces: Option<&str>,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let (stored, facts) = self.request_and_facts(id).await?;
        let Some(stored) = stored else { return Err(Error::NotFound(format!("no request {id}"))) };
        let (body, institution, reason) = self.assignment(reviewer, reason).await?;
        if facts.issuer_institutions.contains(&institution) || facts.provider_institution == institution {
            return Err(Error::Forbidden(conflict(&body.id, &institution)));
        }
        self.assign_checked(actor, &stored, facts.reviewers, &body, reason, replaces).await
    }

    /// What an assignment names, read for both ways in: the registered reviewer body, its
    /// institution, and the reason given.
    async fn assignment(
        &self,
        reviewer: &str,
        reason: &str,
    ) -> Result<(comity_core::ReviewerBody, PartyId, String)> {
        let reviewer = PartyId::parse(reviewer)
            .map_err(|e| Error::invalid("unknown_reviewer", "reviewer", e.to_string()))?;
        let Some(Party::Reviewer(body)) = self.party(&reviewer).await? else {
            return Err(Error::invalid(
                "unknown_reviewer",
                "reviewer",
                format!("no reviewer body {reviewer} is registered"),
            ));
        };
        let reason = check_name(reason)
            .map_err(|e| Error::invalid("invalid_assignment", "reason", format!("give the reason: {e}")))?;
        // A body an operator deactivated or suspended is assigned to no request (issue 16).
        if let Err(barred) = self.standing(&reviewer).await?.check(Use::NewRequest, Utc::now()) {
            return Err(Error::invalid(
                "reviewer_unavailable",
                "reviewer",
                format!("{barred}; it is assigned to no request until then: assign another body"),
            ));
        }
        let institution = Party::Reviewer(body.clone()).institution().clone();
        Ok((body, institution, reason))
    }

    /// Assigns `body` once the caller may: refused unless the law makes its kind and State
    /// competent for the request, and `replaces` (if given) is assigned now.
    async fn assign_checked(
        &self,
        actor: &ActorId,
        stored: &StoredRequest,
        assigned: Vec<PartyId>,
        body: &comity_core::ReviewerBody,
        reason: String,
        replaces: Option<&str>,
    ) -> Result<(Vec<PartyId>, JournalEntry)> {
        let reviewer = body.id.clone();
        let competent = self.competent_for(stored).await?;
        if !competent.iter().any(|c| c.kind == body.kind && c.country == body.country) {
            let wanted: Vec<String> =
                competent.iter().map(|c| format!("a {} of {}", c.kind, c.country)).collect();
            return Err(Error::invalid(
                "not_competent",
                "reviewer",
                format!(
                    "{reviewer} is a {} of {}; the law makes competent for this request: {}",
                    body.kind,
                    body.country,
                    wanted.join(", ")
                ),
            ));
        }
        let replaced = match replaces {
            None => None,
            Some(r) => {
                let r = PartyId::parse(r)
                    .map_err(|e| Error::invalid("unknown_reviewer", "replaces", e.to_string()))?;
                if !assigned.contains(&r) {
                    return Err(Error::invalid(
                        "unknown_reviewer",
                        "replaces",
                        format!("{r} is not assigned to this request"),
                    ));
                }
                Some(r)
            }
        };
        let written = self.record_assignment(actor, stored, &reviewer, reason, replaced.as_ref()).await?;
        let mut reviewers = assigned;
        reviewers.retain(|r| Some(r) != replaced.as_ref());
        reviewers.push(reviewer);
        Ok((reviewers, written))
    }

    /// The provider objects to a reviewer body the law assigned, for a conflict of interest;
    /// an operator decides whether to assign another (`assign_reviewer` with `replaces`).
    pub async fn object_to_reviewer(
        &self,
        caller: &Caller,
        id: RequestId,
        reviewer: &str,
        grounds: &str,
    ) -> Result<JournalEntry> {
        let (stored, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::ObjectToReviewer, &facts)?;
        let reviewer = PartyId::parse(reviewer)
            .map_err(|e| Error::invalid("unknown_reviewer", "reviewer", e.to_string()))?;
        if !facts.reviewers.contains(&reviewer) {
            return Err(Error::invalid(
                "unknown_reviewer",
                "reviewer",
                format!("{reviewer} is not assigned to this request"),
            ));
        }
        let grounds = check_name(grounds).map_err(|e| {
            Error::invalid("invalid_objection", "grounds", format!("say what the conflict is: {e}"))
        })?;
        let fact = Fact::ReviewerObjected(journal::ReviewerObjected { request: id, reviewer, grounds });
        let mut written = self
            .store()
            .append_journal(&[NewEntry {
                party: Some(stored.provider.clone()),
                ..NewEntry::new(Utc::now().trunc_subsecs(6), caller.actor(), fact)
            }])
            .await?;
        written.pop().ok_or_else(|| Error::corrupt("the journal kept no entry"))
    }

    /// The kinds of body competent for a stored request, from its latest screening.
    pub(crate) async fn competent_for(&self, stored: &StoredRequest) -> Result<Vec<Competent>> {
        let (_, request) = parse_request(stored.document.as_bytes()).map_err(|e| {
            Error::corrupt(format!("request {}: its document no longer parses: {e}", stored.id))
        })?;
        let screenings = self.store().screenings(stored.id).await?;
        let Some(latest) = screenings.last() else { return Ok(Vec::new()) };
        let Some(pack) = self.packs().packs().iter().find(|p| p.id == latest.pack_id) else {
            return Ok(Vec::new());
        };
        let report: ScreeningReport = serde_json::from_str(&latest.report).map_err(|e| {
            Error::corrupt(format!("request {}: its screening report does not read: {e}", stored.id))
        })?;
        let required: Vec<ReviewerKind> =
            report.required_review.iter().filter_map(|k| ReviewerKind::parse(k)).collect();
        Ok(competent(pack, &request, &required))
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

    /// Records that `reviewer` decides on `request`, in place of `replaces` if given: a
    /// `reviewer.unassigned` and a `reviewer.assigned` fact, with their audit-log entries, in
    /// one write. The caller has checked that the assignment is allowed; callers and the
    /// demo seeder assign through here.
    pub(crate) async fn record_assignment(
        &self,
        actor: &ActorId,
        request: &StoredRequest,
        reviewer: &PartyId,
        reason: String,
        replaces: Option<&PartyId>,
    ) -> Result<JournalEntry> {
        let at = Utc::now().trunc_subsecs(6);
        // The provider's: its requests' facts are listed by it.
        let entry = |fact| NewEntry {
            party: Some(request.provider.clone()),
            ..NewEntry::new(at, actor.clone(), fact)
        };
        let mut entries = Vec::new();
        if let Some(old) = replaces {
            entries.push(entry(Fact::ReviewerUnassigned(journal::ReviewerUnassigned {
                request: request.id,
                reviewer: old.clone(),
                reason: reason.clone(),
            })));
        }
        entries.push(entry(Fact::ReviewerAssigned(journal::ReviewerAssigned {
            request: request.id,
            reviewer: reviewer.clone(),
            reason,
        })));
        let mut written = self.store().append_journal(&entries).await?;
        written.pop().ok_or_else(|| Error::corrupt("the journal kept no entry"))
    }
}

/// Why a body of a party's institution is never assigned.
fn conflict(reviewer: &PartyId, institution: &PartyId) -> String {
    format!(
        "{reviewer} is of institution {institution}, which is a party to this request; assign a reviewer \
         independent of the authority and the provider"
    )
}

/// A provider's objection to a reviewer body that no operator has acted on yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenObjection {
    pub request: RequestId,
    pub reviewer: PartyId,
    pub grounds: String,
    pub at: chrono::DateTime<Utc>,
    pub by: comity_core::ActorId,
}

impl App {
    /// The objections to reviewer bodies awaiting an operator, oldest first: those whose
    /// body is still assigned (an operator who assigns another with `replaces` takes it
    /// off, which answers the objection). For one who may assign reviewers: the operator.
    pub async fn open_objections(&self, caller: &Caller) -> Result<Vec<OpenObjection>> {
        self.require(caller, &Action::ManageRegisters, &On::Registers)?;
        let entries = self
            .store()
            .journal(&comity_core::JournalQuery::kinds(&[
                comity_core::FactKind::ReviewerObjected,
                comity_core::FactKind::ReviewerUnassigned,
            ]))
            .await?;
        let mut open: Vec<OpenObjection> = Vec::new();
        for e in entries {
            match e.fact {
                Fact::ReviewerObjected(o) => open.push(OpenObjection {
                    request: o.request,
                    reviewer: o.reviewer,
                    grounds: o.grounds,
                    at: e.at,
                    by: e.actor,
                }),
                Fact::ReviewerUnassigned(u) => {
                    open.retain(|o| !(o.request == u.request && o.reviewer == u.reviewer))
                }
                _ => {}
            }
        }
        Ok(open)
    }
}

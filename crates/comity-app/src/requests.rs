//! Reading requests and moving them along their lifecycle.
//!
//! Every read of a request's personal data (its document, its events, its screenings) is
//! logged before it is answered: a read that cannot be logged is not answered.

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::{Action, ListScope, On, RequestFacts, action_for_move, list_scope};
use comity_core::{
    ActorId, AuthorityRecord, DataCategory, Event, Fact, FactKind, JournalQuery, LogRecord, NewEntry,
    PartyId, Read, ReadOf, RequestId, RequestPage, RequestQuery, Screening, State, StoredRequest, TimeWindow,
    journal, lifecycle, production::Scope, store::Move,
};
use comity_wire::parse_request;

use crate::{App, Caller, Error, Result};

/// A move a caller asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub to: State,
    /// Why: every decision is reasoned, and the reason is kept forever.
    pub reason: String,
    /// The version the caller saw; the move is refused if the request has moved since.
    pub expected_version: Option<u32>,
    /// For an approval: what it lets leave, within what the request asks for.
    pub scope: Option<ScopeAsked>,
    /// For a decision: the grounds it rests on, as the pack's codes (issue 13).
    pub grounds: Vec<String>,
    /// For an approval: an answer to each finding screening flagged, by rule id.
    pub answers: Vec<(String, String)>,
    /// For a request for clarification: the structured questions (Annex III).
    pub questions: Vec<QuestionAsked>,
}

/// A question as asked, before it is checked: the reason's code, the JSON Pointer of the
/// field concerned (if one) and the question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionAsked {
    pub reason: String,
    pub pointer: Option<String>,
    pub question: String,
}

impl Transition {
    /// A move with its reason and nothing else: no scope, no grounds.
    pub fn to(to: State, reason: impl Into<String>) -> Transition {
        Transition {
            to,
            reason: reason.into(),
            expected_version: None,
            scope: None,
            grounds: Vec::new(),
            answers: Vec::new(),
            questions: Vec::new(),
        }
    }
}

/// What a decision lets leave: each part left out keeps what the request asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScopeAsked {
    /// The targets kept, by selector value (any spelling of one the request names).
    pub targets: Option<Vec<String>>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub categories: Option<Vec<DataCategory>>,
}

/// A request as its reader sees it, with what goes beside it, and the read's log entry.
#[derive(Debug)]
pub struct RequestView {
    pub request: StoredRequest,
    pub facts: RequestFacts,
    /// Its screenings, oldest first.
    pub screenings: Vec<Screening>,
    /// Its authority's track record.
    pub record: AuthorityRecord,
}

/// A request's entries in the audit log, and the salt its entries are tagged with.
#[derive(Debug)]
pub struct RequestLog {
    /// The request's salt: its entries' `request` line is
    /// `comity_log::RequestTag::new(salt, id)`.
    pub log_salt: [u8; 32],
    pub records: Vec<LogRecord>,
}

/// Which requests to list, as a caller asks: each filter narrows the caller's own scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub state: Option<String>,
    pub authority: Option<String>,
    pub provider: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A listing's query with the caller's scope applied; `empty` when the filters asked and
/// the scope exclude each other, so that nothing is listed.
pub(crate) struct ScopedQuery {
    pub(crate) query: RequestQuery,
    pub(crate) empty: bool,
}

impl App {
    /// A request the caller may see, with its screenings and its authority's record; the
    /// read is logged first. Returns the view and the read's log entry.
    pub async fn read_request(&self, caller: &Caller, id: RequestId) -> Result<(RequestView, u64)> {
        let (request, facts) = self.visible(caller, id).await?;
        self.check_not_shredded(&request).await?;
        let screenings = self.store().screenings(request.id).await?;
        let record = self.store().authority_record(&request.authority).await?;
        // Logged before it is answered: a read that cannot be logged is not answered.
        let index = self.log_read(caller, request.id, ReadOf::Document).await?;
        Ok((RequestView { request, facts, screenings, record }, index))
    }

    /// A request as it stands, with the facts the policy reads, for one who just acted on
    /// it (no read to log: the caller wrote it).
    pub async fn view_after(&self, request: StoredRequest) -> Result<RequestView> {
        let facts = self.facts(&request).await?;
        let screenings = self.store().screenings(request.id).await?;
        let record = self.store().authority_record(&request.authority).await?;
        Ok(RequestView { request, facts, screenings, record })
    }

    /// A request's events, oldest first, and the read's log entry.
    pub async fn read_events(&self, caller: &Caller, id: RequestId) -> Result<(Vec<Event>, u64)> {
        let (stored, _) = self.visible(caller, id).await?;
        let events = self.store().events(stored.id).await?;
        let index = self.log_read(caller, stored.id, ReadOf::Events).await?;
        Ok((events, index))
    }

    /// A request's screenings, oldest first, and the read's log entry.
    pub async fn read_screenings(&self, caller: &Caller, id: RequestId) -> Result<(Vec<Screening>, u64)> {
        let (stored, _) = self.visible(caller, id).await?;
        let screenings = self.store().screenings(stored.id).await?;
        let index = self.log_read(caller, stored.id, ReadOf::Screenings).await?;
        Ok((screenings, index))
    }

    /// The signed submission a request arrived as (a compact JWS, byte for byte), and the
    /// read's log entry.
    pub async fn read_signature(&self, caller: &Caller, id: RequestId) -> Result<(String, u64)> {
        let (stored, _) = self.visible(caller, id).await?;
        self.check_not_shredded(&stored).await?;
        let jws = stored.signature.ok_or_else(|| {
            Error::NotFound(format!("request {} was submitted through the portal, not signed", stored.id))
        })?;
        let index = self.log_read(caller, stored.id, ReadOf::Document).await?;
        Ok((jws, index))
    }

    /// A request's entries in the audit log: its events, screenings and every read of it,
    /// with the salts that open them. The public tiles name the request only by its tag
    /// and commit to each actor (issue 12); those who may list the entries (the request's
    /// parties, and auditors for any request) get the request's salt, each entry's salt
    /// and actor, and can so find and check its entries in the public log.
    pub async fn request_log(&self, caller: &Caller, id: RequestId) -> Result<RequestLog> {
        // The same reads and decision whether or not the request exists (see `visible`).
        let (stored, facts) = self.request_and_facts(id).await?;
        let allowed = self.allowed(caller, &Action::ViewLogEntries, &On::Request(&facts));
        match stored {
            Some(stored) if allowed => {
                Ok(RequestLog { log_salt: stored.log_salt, records: self.store().request_log(id).await? })
            }
            _ => Err(Error::NotFound(format!("no request with id {id}"))),
        }
    }

    /// The requests the caller may see, newest first: an authority's own, those addressed
    /// to a provider, those assigned to a reviewer body. Returns the page, its number and
    /// its size.
    pub async fn list_requests(&self, caller: &Caller, listing: Listing) -> Result<(RequestPage, u32, u32)> {
        let query = self.scoped_query(caller, listing)?;
        let (page, per_page) = (query.query.page, query.query.per_page);
        if query.empty {
            return Ok((RequestPage { items: Vec::new(), total: 0 }, page, per_page));
        }
        Ok((self.store().list_requests(&query.query).await?, page, per_page))
    }

    /// The caller's filters checked, with the scope the policy gives the caller on top
    /// (`comity_access::list_scope`): what [`App::list_requests`] and [`App::inbox`] both
    /// ask the store.
    pub(crate) fn scoped_query(&self, caller: &Caller, listing: Listing) -> Result<ScopedQuery> {
        self.require(caller, &Action::ListRequests, &On::Requests)?;
        let state = listing
            .state
            .as_deref()
            .map(|s| {
                State::parse(s).ok_or_else(|| {
                    let known: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
                    Error::BadInput(format!("state {s:?} is not a state; use one of: {}", known.join(", ")))
                })
            })
            .transpose()?;
        let party = |v: Option<String>, name: &str| {
            v.map(|v| PartyId::parse(&v).map_err(|e| Error::BadInput(format!("{name}: {e}")))).transpose()
        };
        let authority = party(listing.authority, "authority")?;
        let provider = party(listing.provider, "provider")?;
        let page = listing.page.unwrap_or(1);
        let per_page = listing.per_page.unwrap_or(50);
        if page == 0 {
            return Err(Error::BadInput("page counts from 1".to_owned()));
        }
        if !(1..=200).contains(&per_page) {
            return Err(Error::BadInput("per_page must be between 1 and 200".to_owned()));
        }
        let mut query =
            RequestQuery { state, authority, issuer: None, provider, reviewer: None, page, per_page };
        // The scope the policy gives this caller, as a filter on top of the caller's own.
        match list_scope(&caller.who()) {
            ListScope::Authority(a) => query.issuer = Some(a),
            ListScope::Provider(p) if query.provider.as_ref().is_some_and(|q| *q != p) => {
                return Ok(ScopedQuery { query, empty: true });
            }
            ListScope::Provider(p) => query.provider = Some(p),
            ListScope::Reviewer(r) => query.reviewer = Some(r),
            ListScope::Nothing => return Err(Error::Forbidden("this role lists no requests".to_owned())),
        }
        Ok(ScopedQuery { query, empty: false })
    }

    /// How many requests are in each state, for a caller who may read aggregates.
    pub async fn count_by_state(&self, caller: &Caller) -> Result<Vec<(State, u64)>> {
        self.require(caller, &Action::ReadAggregates, &On::Aggregates)?;
        Ok(self.store().count_by_state().await?)
    }

    /// Moves a request to another state for a caller, recording who did it and why.
    pub async fn transition(
        &self,
        caller: &Caller,
        id: RequestId,
        transition: &Transition,
    ) -> Result<(StoredRequest, Event)> {
        // A representative of the person concerned moves a request it cannot read: it
        // appeals (issue 13, item 6); the policy lets it do nothing else.
        let (current, facts) = self.visible_to_move(caller, id).await?;
        // A request whose documents were destroyed at the end of their retention moves no
        // more (an appeal would be decided on a document nobody can read): 410, saying when.
        self.check_not_shredded(&current).await?;
        let to = transition.to;
        lifecycle::check(current.kind, current.state, to)?;
        let action = action_for_move(current.state, to)
            .ok_or_else(|| Error::Forbidden("nobody takes this step".to_owned()))?;
        if action == Action::ConfirmEmergency {
            return Err(Error::Forbidden(
                "an emergency request moves on only when a second registered contact of its authority \
                 confirms it: issue a one-time link (POST /v1/requests/{id}/verification/links) or have \
                 the contact send a signed confirmation"
                    .to_owned(),
            ));
        }
        self.require_on_request(caller, &action, &facts)?;
        let mut reasoned = None;
        if action == Action::Decide {
            let body = self.require_competent(caller, &current).await?;
            reasoned = Some(self.reasoned(&current, transition, body).await?);
        }
        // Producing and delivering are the production's own steps, so that `producing` always
        // has a production behind it and `delivered` an acknowledged package.
        if to == State::Producing {
            return Err(Error::Forbidden(
                "a request moves to producing when the provider produces it: POST /v1/requests/{id}/productions \
                 with the export (or `comity produce`)"
                    .to_owned(),
            ));
        }
        if action == Action::ReceiveProduction {
            return Err(Error::Forbidden(
                "a request is delivered when the authority acknowledges the sealed package: \
                 POST /v1/requests/{id}/productions/{production}/acknowledgement"
                    .to_owned(),
            ));
        }
        let mut facts = reasoned.into_iter().collect::<Vec<_>>();
        if let Some(asked) = crate::amendments::questions(&current, transition)? {
            let at = Utc::now().trunc_subsecs(6);
            facts.push(NewEntry {
                party: Some(current.provider.clone()),
                ..NewEntry::new(at, caller.actor(), asked)
            });
        }
        if to == State::Appealed {
            facts.extend(self.appeal(&current, transition, &caller.actor()).await?);
        }
        // Withdrawn after delivery: a remedy case recalls what was delivered (issue 15,
        // item 4), in the move, and comity's copies are shredded once it is kept.
        let recall = if to == State::Withdrawn {
            self.recall_on_withdrawal(&current, Some(caller.org().clone()), Utc::now().trunc_subsecs(6))
                .await?
        } else {
            None
        };
        let clocks = recall.iter().map(|r| r.clock.clone()).collect();
        facts.extend(recall.iter().map(|r| r.entry.clone()));
        let moved = self.move_request_with(&current, transition, caller.actor(), facts, clocks).await?;
        if let Some(recall) = &recall {
            self.carry_out_recall(&current, recall, moved.1.at).await?;
        }
        Ok(moved)
    }

    /// The reasons of a decision, checked against the pack and the screening: grounds from
    /// the pack's codes for the outcome, and, for an approval, an answer to each finding
    /// screening flagged (issue 13: a decision holds outcome, scope, grounds, an answer to
    /// each finding sent to review, and the reasoning in prose, its event's reason).
    pub(crate) async fn reasoned(
        &self,
        current: &StoredRequest,
        transition: &Transition,
        body: PartyId,
    ) -> Result<NewEntry> {
        let pack = self.pack_of(current).await?;
        let outcome = match transition.to {
            State::Approved => comity_policy::GroundUse::Approved,
            State::PartiallyApproved => comity_policy::GroundUse::PartiallyApproved,
            _ => comity_policy::GroundUse::Rejected,
        };
        let known: Vec<&str> = pack.grounds_for(outcome).map(|g| g.id.as_str()).collect();
        let grounds = crate::review::checked_grounds(&transition.grounds, &known, "grounds")?;
        let report = self.latest_report(current).await?;
        let flagged: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| matches!(f.outcome.as_str(), "review" | "fail" | "clarify"))
            .map(|f| f.rule.as_str())
            .collect();
        let mut answers: Vec<(String, String)> = Vec::new();
        for (rule, answer) in &transition.answers {
            let rule = rule.trim();
            if !flagged.contains(&rule) {
                return Err(Error::invalid(
                    "invalid_answers",
                    "answers",
                    format!(
                        "screening did not flag {rule:?}; answer the findings it flagged: {}",
                        if flagged.is_empty() { "none".to_owned() } else { flagged.join(", ") }
                    ),
                ));
            }
            let answer = answer.trim();
            if answer.is_empty() || answers.iter().any(|(r, _)| r == rule) {
                return Err(Error::invalid(
                    "invalid_answers",
                    "answers",
                    format!("answer {rule} once, in words"),
                ));
            }
            answers.push((rule.to_owned(), answer.to_owned()));
        }
        if transition.to != State::Rejected {
            let missing: Vec<&str> =
                flagged.iter().copied().filter(|r| !answers.iter().any(|(a, _)| a == r)).collect();
            if !missing.is_empty() {
                return Err(Error::invalid(
                    "invalid_answers",
                    "answers",
                    format!(
                        "an approval answers every finding screening flagged; answer: {}",
                        missing.join(", ")
                    ),
                ));
            }
        }
        let fact = Fact::DecisionReasoned(journal::DecisionReasoned {
            request: current.id,
            decision: current.version + 1,
            by: body,
            outcome: transition.to,
            grounds,
            answers,
        });
        let at = Utc::now().trunc_subsecs(6);
        Ok(NewEntry { party: Some(current.provider.clone()), ..NewEntry::new(at, ActorId::system(), fact) })
    }

    /// An appeal against the decision a request is in: its grounds kept, and a second
    /// body of the kind that decided, never the one that decided, assigned to hear it
    /// (issue 13, item 6). Production waits: an appealed request is never produced
    /// (`lifecycle`, `production::check_producible`).
    async fn appeal(
        &self,
        current: &StoredRequest,
        transition: &Transition,
        actor: &ActorId,
    ) -> Result<Vec<NewEntry>> {
        let at = Utc::now().trunc_subsecs(6);
        let entry = |fact| NewEntry {
            party: Some(current.provider.clone()),
            ..NewEntry::new(at, actor.clone(), fact)
        };
        let mut out = vec![entry(Fact::AppealLodged(journal::AppealLodged {
            request: current.id,
            decision: current.version,
            grounds: transition.reason.trim().to_owned(),
        }))];
        let Some(first) = self.first_decider(current.id).await? else { return Ok(out) };
        let Some(comity_core::Party::Reviewer(decided)) = self.party(&first).await? else { return Ok(out) };
        let assigned = self.reviewers(current.id).await?;
        let facts = self.facts(current).await?;
        let mut conflicted = facts.issuer_institutions.clone();
        conflicted.push(facts.provider_institution.clone());
        let second = self
            .reviewer_bodies(at)
            .await?
            .into_iter()
            .filter(|(r, institution)| {
                r.kind == decided.kind
                    && r.country == decided.country
                    && r.id != decided.id
                    && !assigned.contains(&r.id)
                    && !conflicted.contains(institution)
            })
            .map(|(r, _)| r.id)
            .min();
        if let Some(second) = second {
            out.push(NewEntry {
                actor: ActorId::system(),
                ..entry(Fact::ReviewerAssigned(journal::ReviewerAssigned {
                    request: current.id,
                    reviewer: second,
                    reason: format!(
                        "an appeal is heard by a second {} of {}, never the body that decided ({first})",
                        decided.kind, decided.country
                    ),
                }))
            });
        }
        Ok(out)
    }

    /// The body that took a request's latest reasoned decision.
    pub(crate) async fn first_decider(&self, id: RequestId) -> Result<Option<PartyId>> {
        let reasoned =
            self.store().journal(&JournalQuery::kinds(&[FactKind::DecisionReasoned]).request(id)).await?;
        Ok(reasoned.into_iter().rev().find_map(|j| match j.fact {
            Fact::DecisionReasoned(d) => Some(d.by),
            _ => None,
        }))
    }

    /// A decision is taken only by a body of a kind the law makes competent for the request
    /// (issue 13): the enforcing authority raises grounds for refusal, it does not decide,
    /// a body of another kind than screening required decides nothing, and an appeal is
    /// never decided by the body that decided first. Returns the deciding body.
    async fn require_competent(&self, caller: &Caller, current: &StoredRequest) -> Result<PartyId> {
        let Some(comity_core::Party::Reviewer(body)) = self.party(caller.org()).await? else {
            return Err(Error::Forbidden("only a reviewer body decides".to_owned()));
        };
        if current.state == State::Appealed
            && self.first_decider(current.id).await?.as_ref() == Some(&body.id)
        {
            return Err(Error::Forbidden(format!(
                "{} took the decision under appeal; a second body hears the appeal",
                body.id
            )));
        }
        let competent = self.competent_for(current).await?;
        // Of the competent kind and of the competent State: a court of the issuing State,
        // assigned to review a provider's objection for conflicting obligations (Regulation
        // (EU) 2023/1543 Art 17(3)), does not decide on the request itself.
        if crate::routing::may_decide(body.kind, &competent)
            && competent.iter().any(|c| c.kind == body.kind && c.country == body.country)
        {
            return Ok(body.id);
        }
        let wanted: Vec<String> = competent
            .iter()
            .filter(|c| crate::routing::may_decide(c.kind, &competent))
            .map(|c| format!("a {} of {}", c.kind, c.country))
            .collect();
        Err(Error::Forbidden(format!(
            "{} is a {}, which does not decide on this request; the law makes competent: {}",
            body.id,
            body.kind,
            wanted.join(", ")
        )))
    }

    /// Checks and applies a move by `actor` to a request as it was read; callers' moves,
    /// the verification of emergencies and the demo seeder all move requests through here.
    pub(crate) async fn move_request(
        &self,
        current: &StoredRequest,
        transition: &Transition,
        actor: ActorId,
    ) -> Result<(StoredRequest, Event)> {
        self.move_request_with(current, transition, actor, Vec::new(), Vec::new()).await
    }

    /// [`App::move_request`], with journal entries and deadlines that commit with the move.
    pub(crate) async fn move_request_with(
        &self,
        current: &StoredRequest,
        transition: &Transition,
        actor: ActorId,
        extra: Vec<NewEntry>,
        clocks: Vec<comity_core::ClockSet>,
    ) -> Result<(StoredRequest, Event)> {
        let reason = transition.reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid(
                "invalid_transition",
                "reason",
                "give the reason for this step; every step is reasoned and the reason is kept",
            ));
        }
        if reason.chars().count() > 10_000 {
            return Err(Error::invalid("invalid_transition", "reason", "is longer than 10000 characters"));
        }
        if let Some(expected) = transition.expected_version
            && expected != current.version
        {
            return Err(Error::conflict(format!(
                "the request is at version {} ({}), not {expected}; reload it and decide again",
                current.version, current.state
            )));
        }
        let to = transition.to;
        lifecycle::check(current.kind, current.state, to)?;
        let mut facts = match decision_scope(current, transition, &actor)? {
            Some(fact) => vec![fact],
            None => Vec::new(),
        };
        facts.extend(extra.into_iter().map(|e| NewEntry { actor: actor.clone(), ..e }));
        let event = self
            .store()
            .apply_move(&Move {
                request_id: current.id,
                expected_version: current.version,
                from: current.state,
                to,
                actor,
                at: Utc::now().trunc_subsecs(6),
                reason: reason.to_owned(),
                facts,
                clocks,
                closes: None,
            })
            .await?;
        Ok((current.after(&event), event))
    }

    /// Logs a read of a request's personal data by `caller`; the answer waits for it.
    pub(crate) async fn log_read(&self, caller: &Caller, request_id: RequestId, what: ReadOf) -> Result<u64> {
        let read = Read { request_id, what, actor: caller.actor(), at: Utc::now().trunc_subsecs(6) };
        Ok(self.store().log_read(&read).await?)
    }
}

/// What an approval lets leave, as the journal keeps it with the decision's event: the
/// request's scope, narrowed by the one asked. `None` for any other move; a scope given
/// with another move is refused, and a partial approval must say what it keeps.
fn decision_scope(
    current: &StoredRequest,
    transition: &Transition,
    actor: &ActorId,
) -> Result<Option<NewEntry>> {
    let to = transition.to;
    let invalid = |message: String| Error::invalid("invalid_scope", "scope", message);
    if !matches!(to, State::Approved | State::PartiallyApproved) {
        return match transition.scope {
            Some(_) => Err(invalid(format!("only an approval has a scope, not a move to {to}"))),
            None => Ok(None),
        };
    }
    let (_, request) = parse_request(current.document.as_bytes())
        .map_err(|e| Error::corrupt(format!("request {}: its document no longer parses: {e}", current.id)))?;
    let asked = Scope::of_request(&request);
    let scope = match &transition.scope {
        None if to == State::PartiallyApproved => {
            return Err(invalid(
                "a partial approval says what it keeps: give the targets, window or categories it approves"
                    .into(),
            ));
        }
        None => asked.clone(),
        Some(s) => {
            let window = match (s.from, s.to) {
                (None, None) => None,
                (from, until) => Some(
                    TimeWindow::new(
                        from.unwrap_or(asked.window().from()),
                        until.unwrap_or(asked.window().to()),
                    )
                    .map_err(|e| invalid(e.to_string()))?,
                ),
            };
            asked
                .narrow(s.targets.as_deref(), window, s.categories.as_deref())
                .map_err(|e| invalid(e.to_string()))?
        }
    };
    match (to, scope.is_all_of(&asked)) {
        (State::Approved, false) => {
            return Err(invalid(
                "this scope keeps less than the request asks: move to partially_approved".into(),
            ));
        }
        (State::PartiallyApproved, true) => {
            return Err(invalid("this scope keeps all the request asks: move to approved".into()));
        }
        _ => {}
    }
    let fact = Fact::DecisionScope(journal::DecisionScope {
        request: current.id,
        decision: current.version + 1,
        targets: scope.targets().to_vec(),
        from: scope.window().from(),
        to: scope.window().to(),
        categories: scope.categories().to_vec(),
    });
    Ok(Some(NewEntry {
        party: Some(current.provider.clone()),
        ..NewEntry::new(Utc::now().trunc_subsecs(6), actor.clone(), fact)
    }))
}

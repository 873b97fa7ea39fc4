//! Conflicting obligations under the law of a third country (issue 13, item 7; Regulation
//! (EU) 2023/1543 Art 17).
//!
//! A provider that considers that executing a European Production Order would conflict
//! with an obligation under the law of a third country informs the issuing authority (and
//! the enforcing authority, where notified) by a reasoned objection, with the details of
//! that law, its applicability and the nature of the conflict, within 10 days of receiving
//! the order (Art 17(1)-(2)). The issuing authority reviews the order on that objection; it
//! may withdraw it, and where it means to uphold it, it asks the competent court of its own
//! Member State to review it (Art 17(3)). Execution is suspended meanwhile, and the data
//! is kept (Art 17(3), Art 10). The court decides: it lifts the order where the conflict is
//! made out, or upholds it, and the order is executed (Art 17(4)-(8)).
//!
//! comity: `object_conflict` keeps the objection as a `conflict.objected` fact, assigns the
//! court of the issuing State from the register (so that it sees the request), suspends
//! production and the answer's deadline; `decide_conflict` keeps the decision as a
//! `conflict.decided` fact: upheld, the request is withdrawn; dismissed, it proceeds, with
//! its answer due again after the order's own period.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_access::Action;
use comity_core::{
    Act, ActorId, ClockKind, ClockSet, CountryCode, Event, Fact, FactKind, JournalEntry, JournalQuery, Move,
    NewEntry, Party, PartyId, RequestId, RequestKind, ReviewerKind, State, StoredRequest, journal,
};
use comity_wire::parse_request;

use crate::{App, Caller, Error, Result};

/// The longest a law's citation or a reasoning may be, in characters.
const MAX_TEXT: usize = 10_000;

/// When the provider's time to object ends: `days` after it received the order (Art 17(2)).
pub fn objection_ends(received_at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    received_at + Duration::days(i64::from(days))
}

/// An objection awaiting its decision, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConflict {
    pub objection: journal::ConflictObjected,
    pub at: DateTime<Utc>,
}

/// What a decision on an objection did: the request as it stands, the move (for an upheld
/// objection, the withdrawal) and the decision's journal entry.
#[derive(Debug, Clone)]
pub struct ConflictDecision {
    pub request: StoredRequest,
    pub event: Option<Event>,
    pub entry: Option<JournalEntry>,
}

fn text(field: &'static str, value: &str, what: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid("invalid_conflict", field, format!("give {what}")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Error::invalid(
            "invalid_conflict",
            field,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(value.to_owned())
}

impl App {
    /// The objection for conflicting obligations a request awaits a decision on, if any.
    pub async fn pending_conflict(&self, id: RequestId) -> Result<Option<PendingConflict>> {
        let facts = self
            .store()
            .journal(
                &JournalQuery::kinds(&[FactKind::ConflictObjected, FactKind::ConflictDecided]).request(id),
            )
            .await?;
        Ok(match facts.into_iter().last() {
            Some(JournalEntry { fact: Fact::ConflictObjected(objection), at, .. }) => {
                Some(PendingConflict { objection, at })
            }
            _ => None,
        })
    }

    /// The provider objects that executing the order would conflict with the law of a third
    /// country (Art 17(1)-(2)). Returns the objection's journal entry and the court of the
    /// issuing State assigned to review it, if the register holds one.
    pub async fn object_conflict(
        &self,
        caller: &Caller,
        id: RequestId,
        third_country: &str,
        law: &str,
        reasoning: &str,
    ) -> Result<(JournalEntry, Option<PartyId>)> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::ObjectConflict, &facts)?;
        let pack = self.pack_of(&current).await?;
        let Some(days) = pack.settings.conflict_objection_days else {
            return Err(Error::conflict(format!(
                "the {} pack has no procedure for conflicting obligations (Regulation (EU) 2023/1543 Art 17 \
                 applies to European Production Orders)",
                pack.id
            )));
        };
        if current.kind != RequestKind::Production {
            return Err(Error::conflict(
                "an objection for conflicting obligations concerns a production order (Regulation (EU) \
                 2023/1543 Art 17(1)); a preservation produces nothing",
            ));
        }
        if !matches!(
            current.state,
            State::UnderReview
                | State::ClarificationRequested
                | State::PendingVerification
                | State::Approved
                | State::PartiallyApproved
                | State::Appealed
        ) {
            return Err(Error::conflict(format!(
                "the request is {}: an objection for conflicting obligations comes before the data is produced",
                current.state
            )));
        }
        let now = Utc::now().trunc_subsecs(6);
        let ends = objection_ends(current.received_at, days);
        if now > ends {
            return Err(Error::conflict(format!(
                "the time to object for conflicting obligations ended at {}, {days} days after the order was \
                 received (Regulation (EU) 2023/1543 Art 17(2))",
                ends.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        let earlier =
            self.store().journal(&JournalQuery::kinds(&[FactKind::ConflictObjected]).request(id)).await?;
        if !earlier.is_empty() {
            return Err(Error::conflict("the provider objected for conflicting obligations once already"));
        }
        let third_country = CountryCode::parse(third_country.trim())
            .map_err(|e| Error::invalid("invalid_conflict", "third_country", e.to_string()))?;
        if pack.settings.addressee_states.contains(&third_country) {
            return Err(Error::invalid(
                "invalid_conflict",
                "third_country",
                format!(
                    "{third_country} is a Member State bound by the Regulation; Art 17 concerns the law of a \
                     third country"
                ),
            ));
        }
        let law = text("law", law, "the third country's law that conflicts")?;
        let reasoning = text(
            "reasoning",
            reasoning,
            "the reasons: the law's applicability and the nature of the conflict (Art 17(2))",
        )?;
        let (_, request) = parse_request(current.document.as_bytes())
            .map_err(|e| Error::corrupt(format!("request {id}: its document no longer parses: {e}")))?;
        let issuing = request.issuing.country;
        // Art 17(3): the court of the issuing authority's own Member State reviews the order.
        let mut conflicted = facts.issuer_institutions.clone();
        conflicted.push(facts.provider_institution.clone());
        let court = self
            .reviewer_bodies(now)
            .await?
            .into_iter()
            .filter(|(r, institution)| {
                r.kind == ReviewerKind::Court && r.country == issuing && !conflicted.contains(institution)
            })
            .map(|(r, _)| r.id)
            .min();
        let entry = |actor: ActorId, fact| NewEntry {
            party: Some(current.provider.clone()),
            ..NewEntry::new(now, actor, fact)
        };
        let mut written = vec![entry(
            caller.actor(),
            Fact::ConflictObjected(journal::ConflictObjected {
                request: id,
                third_country,
                law,
                reasoning,
                court: court.clone(),
            }),
        )];
        if let Some(court) = court.as_ref().filter(|c| !facts.reviewers.contains(c)) {
            written.push(entry(
                ActorId::system(),
                Fact::ReviewerAssigned(journal::ReviewerAssigned {
                    request: id,
                    reviewer: court.clone(),
                    reason: format!(
                        "the court of {issuing}, the issuing State, reviews the order on the provider's objection \
                         for conflicting obligations (Regulation (EU) 2023/1543 Art 17(3))"
                    ),
                }),
            ));
        }
        // Execution is suspended while the objection is decided (Art 17(3)): the answer is
        // not overdue meanwhile. A dismissal sets it again.
        let clocks = vec![ClockSet { kind: ClockKind::RespondBy, due: None }];
        let mut kept =
            self.store().act(&Act { request_id: id, at: now, facts: written, clocks, closes: None }).await?;
        if kept.is_empty() {
            return Err(Error::corrupt("the journal kept no entry"));
        }
        Ok((kept.swap_remove(0), court))
    }

    /// Decides the objection a request awaits: `upheld`, the order is lifted and the request
    /// withdrawn; dismissed, it proceeds. The issuing authority may only withdraw its order;
    /// to maintain it, the court of its State decides (Art 17(3)-(8)).
    pub async fn decide_conflict(
        &self,
        caller: &Caller,
        id: RequestId,
        upheld: bool,
        reasoning: &str,
    ) -> Result<ConflictDecision> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::DecideConflict, &facts)?;
        let Some(pending) = self.pending_conflict(id).await? else {
            return Err(Error::conflict(
                "no objection for conflicting obligations awaits a decision on this request",
            ));
        };
        let reasoning = text("reasoning", reasoning, "the reasons for the decision")?;
        let (_, request) = parse_request(current.document.as_bytes())
            .map_err(|e| Error::corrupt(format!("request {id}: its document no longer parses: {e}")))?;
        let by = match self.party(caller.org()).await? {
            Some(Party::Reviewer(body)) => {
                if body.kind != ReviewerKind::Court || body.country != request.issuing.country {
                    return Err(Error::Forbidden(format!(
                        "{} is a {} of {}: an objection for conflicting obligations is decided by a court of {}, \
                         the issuing State (Regulation (EU) 2023/1543 Art 17(3))",
                        body.id, body.kind, body.country, request.issuing.country
                    )));
                }
                body.id
            }
            Some(Party::Authority(authority)) => {
                if !upheld {
                    return Err(Error::Forbidden(
                        "the issuing authority may withdraw its order on the objection; to maintain it, the court \
                         of its Member State reviews it and decides (Regulation (EU) 2023/1543 Art 17(3))"
                            .to_owned(),
                    ));
                }
                authority.id
            }
            _ => return Err(Error::Forbidden("only the issuing authority or its court decides".to_owned())),
        };
        let now = Utc::now().trunc_subsecs(6);
        let fact = NewEntry {
            party: Some(current.provider.clone()),
            ..NewEntry::new(
                now,
                caller.actor(),
                Fact::ConflictDecided(journal::ConflictDecided {
                    request: id,
                    by: by.clone(),
                    upheld,
                    reasoning: reasoning.clone(),
                }),
            )
        };
        if upheld {
            let to = State::Withdrawn;
            comity_core::lifecycle::check(current.kind, current.state, to)?;
            let event = self
                .store()
                .apply_move(&Move {
                    request_id: id,
                    expected_version: current.version,
                    from: current.state,
                    to,
                    actor: caller.actor(),
                    at: now,
                    reason: format!(
                        "the objection for conflicting obligations with the law of {} was upheld by {by}: the order \
                         is lifted (Regulation (EU) 2023/1543 Art 17). {reasoning}",
                        pending.objection.third_country
                    ),
                    facts: vec![fact],
                    clocks: Vec::new(),
                    closes: None,
                })
                .await?;
            return Ok(ConflictDecision { request: current.after(&event), event: Some(event), entry: None });
        }
        // Dismissed: the order stands and is executed; its answer is due again after the
        // order's own period, counted from the decision.
        let clocks = self.store().clocks(id).await?;
        let respond = clocks
            .iter()
            .find(|c| c.kind == ClockKind::RespondBy)
            .map(|c| ClockSet { kind: ClockKind::RespondBy, due: Some(now + (c.due - current.received_at)) });
        let mut kept = self
            .store()
            .act(&Act {
                request_id: id,
                at: now,
                facts: vec![fact],
                clocks: respond.into_iter().collect(),
                closes: None,
            })
            .await?;
        Ok(ConflictDecision { request: current, event: None, entry: kept.pop() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_to_object_is_ten_days_from_receipt() {
        let received: DateTime<Utc> = "2026-09-01T10:00:00Z".parse().unwrap();
        assert_eq!(objection_ends(received, 10), "2026-09-11T10:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }
}

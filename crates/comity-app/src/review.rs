//! The enforcing State's grounds for refusal, the production they suspend, and the
//! extension of a preservation (issue 13, items 1 and 4).
//!
//! Regulation (EU) 2023/1543: where the enforcing State is notified (Art 8), production
//! waits until its authority's time to object ends, 10 days after the notification (Art
//! 10(2)), unless it is an emergency (Art 10(4): 8 hours, with 96 hours to object). Within
//! that time the enforcing authority may raise a ground for refusal of Art 12(1); raised,
//! it stops production (and data already sent in an emergency must be deleted or its use
//! restricted). Silence lets the request proceed when the clock ends (`clocks`).

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::Action;
use comity_core::{
    Clock, ClockClose, ClockKind, ClockOutcome, ClockSet, Event, Fact, FactKind, JournalEntry, JournalQuery,
    Move, NewEntry, Party, ReviewerKind, State, StoredRequest, check_name, journal,
};
use comity_policy::GroundUse;
use comity_wire::screening::ScreeningReport;

use crate::{App, Caller, Error, Result};

/// The running clock of `kind` of a request, if it has one.
fn running(clocks: &[Clock], kind: ClockKind) -> Option<&Clock> {
    clocks.iter().find(|c| c.kind == kind && c.closed.is_none())
}

impl App {
    /// Refuses a production while the enforcing State's time to object runs (Regulation
    /// (EU) 2023/1543 Art 10(2)), or after it raised grounds for refusal (Art 12).
    pub(crate) async fn check_not_suspended(
        &self,
        request: &StoredRequest,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if let Some(pending) = self.pending_conflict(request.id).await? {
            return Err(Error::conflict(format!(
                "the provider objected on {} that executing the order would conflict with the law of {}: \
                 execution is suspended until the objection is decided (Regulation (EU) 2023/1543 Art 17(3))",
                pending.at.format("%Y-%m-%d %H:%M UTC"),
                pending.objection.third_country
            )));
        }
        let clocks = self.store().clocks(request.id).await?;
        if let Some(objected) = clocks.iter().find(|c| {
            c.kind == ClockKind::ObjectionWindow && matches!(c.closed, Some((_, ClockOutcome::Objected)))
        }) {
            return Err(Error::conflict(format!(
                "the enforcing authority raised grounds for refusal on {}: nothing is produced \
                 (Regulation (EU) 2023/1543 Art 12)",
                objected.closed.map(|(at, _)| at).unwrap_or(objected.due).format("%Y-%m-%d %H:%M UTC")
            )));
        }
        if request.emergency {
            // Art 10(4): an emergency is produced within 8 hours; the enforcing State may
            // still object within 96, and the data must then be deleted.
            return Ok(());
        }
        match running(&clocks, ClockKind::ObjectionWindow) {
            Some(window) if window.due > now => Err(Error::conflict(format!(
                "production is suspended until the enforcing authority's time to raise grounds for refusal \
                 ends at {} (Regulation (EU) 2023/1543 Art 10(2), Art 12(1)); produce after it",
                window.due.format("%Y-%m-%d %H:%M UTC")
            ))),
            _ => Ok(()),
        }
    }

    /// The enforcing authority raises grounds for refusal: the pack's codes and its
    /// reasoning. Production stops: a request under review is rejected, one approved (or,
    /// in an emergency, produced) is withdrawn, and data already sent must be deleted.
    pub async fn raise_grounds(
        &self,
        caller: &Caller,
        id: comity_core::RequestId,
        grounds: &[String],
        reasoning: &str,
    ) -> Result<(StoredRequest, Event)> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RaiseGrounds, &facts)?;
        let Some(Party::Reviewer(body)) = self.party(caller.org()).await? else {
            return Err(Error::Forbidden("only the enforcing authority raises grounds for refusal".into()));
        };
        if body.kind != ReviewerKind::EnforcingAuthority {
            return Err(Error::Forbidden(format!(
                "{} is a {}: grounds for refusal are the enforcing authority's (Regulation (EU) 2023/1543 \
                 Art 12); a reviewer decides instead (POST /v1/requests/{{id}}/transitions)",
                body.id, body.kind
            )));
        }
        let now = Utc::now().trunc_subsecs(6);
        let clocks = self.store().clocks(id).await?;
        let window = match clocks.iter().find(|c| c.kind == ClockKind::ObjectionWindow) {
            None => {
                return Err(Error::conflict(
                    "the enforcing State was not notified of this request (Regulation (EU) 2023/1543 Art 8(2)); \
                     there is no time to object",
                ));
            }
            Some(w) if w.closed.is_some() || w.due <= now => {
                return Err(Error::conflict(format!(
                    "the time to raise grounds for refusal ended at {}",
                    w.due.format("%Y-%m-%d %H:%M UTC")
                )));
            }
            Some(w) => w.clone(),
        };
        let pack = self.pack_of(&current).await?;
        let known: Vec<&str> = pack.grounds_for(GroundUse::Refusal).map(|g| g.id.as_str()).collect();
        let grounds = checked_grounds(grounds, &known, "grounds")?;
        let reasoning = check_name(reasoning).map_err(|e| {
            Error::invalid("invalid_grounds", "reasoning", format!("give the reasoning: {e}"))
        })?;
        let to = match current.state {
            State::UnderReview | State::ClarificationRequested | State::PendingVerification => {
                State::Rejected
            }
            State::Approved
            | State::PartiallyApproved
            | State::Producing
            | State::Delivered
            | State::Preserved
            | State::Appealed => State::Withdrawn,
            other => {
                return Err(Error::conflict(format!(
                    "the request is {other}: there is nothing left to stop"
                )));
            }
        };
        let citations: Vec<String> = grounds
            .iter()
            .filter_map(|g| pack.grounds.iter().find(|x| &x.id == g))
            .map(|g| format!("{} ({})", g.id, g.citation))
            .collect();
        let mut reason = format!(
            "the enforcing authority {} raised grounds for refusal: {}; production stops",
            body.id,
            citations.join(", ")
        );
        if matches!(current.state, State::Producing | State::Delivered) {
            reason.push_str("; data already sent must be deleted or its use restricted (Art 10(4), Art 12)");
        }
        reason.push_str(&format!(". {reasoning}"));
        let fact = Fact::GroundsRaised(journal::GroundsRaised {
            request: id,
            by: body.id.clone(),
            grounds,
            reasoning,
        });
        let event = self
            .store()
            .apply_move(&Move {
                request_id: id,
                expected_version: current.version,
                from: current.state,
                to,
                actor: caller.actor(),
                at: now,
                reason,
                facts: vec![NewEntry {
                    party: Some(current.provider.clone()),
                    ..NewEntry::new(now, caller.actor(), fact)
                }],
                clocks: Vec::new(),
                closes: Some(ClockClose {
                    request_id: id,
                    kind: ClockKind::ObjectionWindow,
                    due: window.due,
                    at: now,
                    outcome: ClockOutcome::Objected,
                }),
            })
            .await?;
        Ok((current.after(&event), event))
    }

    /// The issuing authority extends a preservation once, before it ends, by the pack's
    /// extension (Regulation (EU) 2023/1543 Art 11(1): 30 days). Returns the new end and the
    /// extension's journal entry.
    pub async fn extend_preservation(
        &self,
        caller: &Caller,
        id: comity_core::RequestId,
        reason: &str,
    ) -> Result<(DateTime<Utc>, JournalEntry)> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::ExtendPreservation, &facts)?;
        let reason = check_name(reason)
            .map_err(|e| Error::invalid("invalid_extension", "reason", format!("give the reason: {e}")))?;
        let now = Utc::now().trunc_subsecs(6);
        let clocks = self.store().clocks(id).await?;
        let Some(end) = running(&clocks, ClockKind::PreservationEnd).filter(|c| c.due > now) else {
            return Err(Error::conflict(
                "only a running preservation is extended, before it ends; this request has none",
            ));
        };
        let earlier =
            self.store().journal(&JournalQuery::kinds(&[FactKind::PreservationExtended]).request(id)).await?;
        if !earlier.is_empty() {
            return Err(Error::conflict(
                "this preservation was extended once already; it may be extended only once (Regulation (EU) \
                 2023/1543 Art 11(1)); a production order must follow",
            ));
        }
        let report = self.latest_report(&current).await?;
        let Some(until) = report.deadlines.preservation_extended_until.filter(|u| *u > end.due) else {
            return Err(Error::conflict("the law under which this request was screened allows no extension"));
        };
        let fact = Fact::PreservationExtended(journal::PreservationExtended { request: id, until, reason });
        let mut written = self
            .store()
            .act(&comity_core::Act {
                request_id: id,
                at: now,
                facts: vec![NewEntry {
                    party: Some(current.provider.clone()),
                    ..NewEntry::new(now, caller.actor(), fact)
                }],
                clocks: vec![ClockSet { kind: ClockKind::PreservationEnd, due: Some(until) }],
                closes: None,
            })
            .await?;
        let entry = written.pop().ok_or_else(|| Error::corrupt("the journal kept no entry"))?;
        Ok((until, entry))
    }

    /// The pack that screened a request last.
    pub(crate) async fn pack_of(&self, request: &StoredRequest) -> Result<&comity_policy::Pack> {
        let screenings = self.store().screenings(request.id).await?;
        let id = screenings.last().map(|s| s.pack_id.clone()).unwrap_or_default();
        self.packs()
            .packs()
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::corrupt(format!("request {}: no pack {id:?} is loaded", request.id)))
    }

    /// A request's latest screening report, as kept.
    pub(crate) async fn latest_report(&self, request: &StoredRequest) -> Result<ScreeningReport> {
        let screenings = self.store().screenings(request.id).await?;
        let last = screenings
            .last()
            .ok_or_else(|| Error::conflict(format!("request {} has not been screened", request.id)))?;
        serde_json::from_str(&last.report).map_err(|e| {
            Error::corrupt(format!("request {}: its screening report does not read: {e}", request.id))
        })
    }
}

/// The grounds given, each one of `known`, without repeats; at least one.
pub(crate) fn checked_grounds(given: &[String], known: &[&str], field: &str) -> Result<Vec<String>> {
    if given.is_empty() {
        return Err(Error::invalid(
            "invalid_grounds",
            field,
            format!("name at least one ground, from: {}", known.join(", ")),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for g in given {
        let g = g.trim();
        if !known.contains(&g) {
            return Err(Error::invalid(
                "invalid_grounds",
                field,
                format!("{g:?} is not a ground here; use one of: {}", known.join(", ")),
            ));
        }
        if !out.iter().any(|o| o == g) {
            out.push(g.to_owned());
        }
    }
    Ok(out)
}

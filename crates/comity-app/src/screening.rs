//! Screening on intake, as a dry run, and after a crash.
//!
//! Intake stores the request first (so nothing acknowledged depends on screening), then
//! screens it against its pack with the authority's recent history, keeps the report,
//! and moves the request on by the verdict: `inadmissible` to `rejected` with the report,
//! anything else to `under_review`, because a person still decides. If the process dies
//! in between, [`App::resume_screenings`] finishes the job on the next start.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{
    ActorId, IntakeScreening, Move, PartyId, Request, RequestId, RequestKind, RequestQuery, Screening, State,
    StoredRequest,
};
use comity_policy::{Prior, Report, Verdict, screen, screen_keyed};
use comity_wire::{parse_request, screening::ScreeningReport};

use crate::{App, Caller, Error, Result};

/// Which earlier requests a screening may count.
#[derive(Debug, Clone, Copy)]
pub(crate) enum History<'a> {
    /// All of the authority's (intake, and the authority's own dry runs): the rule must
    /// see them all to judge; its finding names only those addressed to the same provider.
    Authority,
    /// Only those addressed to this provider (a provider's dry run: it learns nothing of
    /// the authority's requests to others).
    Provider(&'a PartyId),
    /// None (a dry run by anyone else).
    None,
}

/// The leave to screen documents without storing them, and who has it.
#[derive(Debug, Clone)]
pub struct DryRun {
    app: App,
    caller: Caller,
}

impl App {
    /// The leave to dry-run screening, if the policy gives it to `caller`.
    pub fn dry_run(&self, caller: &Caller) -> Result<DryRun> {
        self.require(caller, &Action::DryRunScreen, &On::Requests)?;
        Ok(DryRun { app: self.clone(), caller: caller.clone() })
    }
}

impl DryRun {
    /// Screens a request document without storing anything: a dry run of intake, with
    /// the deadlines running from `received_at`.
    pub async fn screen(&self, document: &[u8], received_at: DateTime<Utc>) -> Result<Report> {
        let caller = &self.caller;
        let (_, request) = parse_request(document)?;
        // The anti-bulk rule reads the authority's history, which only its own side may
        // learn of: a provider's dry run counts only what was addressed to it, and anyone
        // else's is screened as if there were none.
        let scope = if caller.org() == &request.issuing.authority {
            History::Authority
        } else if caller.org() == &request.addressee.provider {
            History::Provider(caller.org())
        } else {
            History::None
        };
        self.app.screen_request(&request, received_at.trunc_subsecs(6), None, scope).await
    }
}

impl App {
    /// Screens a request against the pack that covers it, with the history the anti-bulk
    /// rule needs read from the store. `exclude` is the request being screened, whose own
    /// targets are already recorded.
    pub(crate) async fn screen_request(
        &self,
        request: &Request,
        received_at: DateTime<Utc>,
        exclude: Option<&StoredRequest>,
        scope: History<'_>,
    ) -> Result<Report> {
        let store = self.store();
        let pack = self.packs().for_request(request).ok_or_else(|| {
            Error::corrupt(format!(
                "no policy pack covers instrument {} or purpose {}",
                request.instrument, request.purpose
            ))
        })?;
        if matches!(scope, History::None) {
            return Ok(screen(pack, request, received_at, &[]));
        }
        let since = received_at - Duration::days(i64::from(pack.settings.bulk_period_days));
        // Enough rows to cross the limit whatever the current request names: the rule only
        // needs to know whether the total goes over it, and which requests took it there.
        let limit = 2 * (pack.settings.bulk_max_targets + 1 + request.targets.len() as u32);
        let named = store.recent_targets(&request.issuing.authority, since, limit).await?;
        let mut history: Vec<Prior> = Vec::new();
        for t in named {
            if exclude.is_some_and(|x| x.id == t.last_request) || t.last_seen > received_at {
                continue;
            }
            match history.iter_mut().find(|p| p.id == t.last_request) {
                Some(prior) => prior.targets.push(format!("{}:{}", t.kind, t.key)),
                None => history.push(Prior {
                    id: t.last_request,
                    received_at: t.last_seen,
                    // The rows were selected for this authority.
                    authority: request.issuing.authority.clone(),
                    reference: String::new(),
                    targets: vec![format!("{}:{}", t.kind, t.key)],
                    disclosed: false,
                }),
            }
        }
        // Each earlier request's provider decides whether it may be named, or counted at all.
        let mut kept = Vec::with_capacity(history.len());
        for mut prior in history {
            let Some(earlier) = store.request(prior.id).await? else { continue };
            prior.disclosed = earlier.provider == request.addressee.provider;
            let counted = match scope {
                History::Provider(p) => &earlier.provider == p,
                _ => true,
            };
            if counted {
                kept.push(prior);
            }
        }
        // The history keeps each target as a keyed hash (issue 15); this request's are
        // compared the same way.
        Ok(screen_keyed(pack, request, received_at, &kept, &|s| self.target_key(s)))
    }

    /// Screens a stored request, keeps the report and moves the request on by the verdict:
    /// how a screening a crash interrupted is finished.
    async fn screen_stored(&self, stored: StoredRequest) -> Result<(StoredRequest, Report)> {
        let (_, request) = parse_request(stored.document.as_bytes()).map_err(|e| {
            Error::corrupt(format!("request {}: its document no longer parses: {e}", stored.id))
        })?;
        let report =
            self.screen_request(&request, stored.received_at, Some(&stored), History::Authority).await?;
        let now = Utc::now().trunc_subsecs(6);
        let IntakeScreening { screening, moves, clocks, mut facts } =
            self.plan(stored.id, &request, stored.state, &report, now).await?;
        let store = self.store();
        store.record_screening(&screening, &clocks).await?;
        let mut current = stored;
        let last = moves.len();
        for (n, (to, reason)) in moves.into_iter().enumerate() {
            let event = store
                .apply_move(&Move {
                    request_id: current.id,
                    expected_version: current.version,
                    from: current.state,
                    to,
                    actor: ActorId::system(),
                    at: now,
                    reason,
                    // The assignments go with the move into review.
                    facts: if n + 1 == last { std::mem::take(&mut facts) } else { Vec::new() },
                    clocks: Vec::new(),
                    closes: None,
                })
                .await?;
            current = current.after(&event);
        }
        Ok((current, report))
    }

    /// Finishes screening for requests a crash left in `received` or `screening`. Returns
    /// how many it screened.
    pub async fn resume_screenings(&self) -> Result<usize> {
        let mut done = 0;
        for state in [State::Received, State::Screening] {
            loop {
                let page = self
                    .store()
                    .list_requests(&RequestQuery { state: Some(state), ..RequestQuery::every(1, 200) })
                    .await?;
                if page.items.is_empty() {
                    break;
                }
                for stored in page.items {
                    self.screen_stored(stored).await?;
                    done += 1;
                }
            }
        }
        Ok(done)
    }
}

impl App {
    /// What a screening leads to (see [`plan`]), with the deadlines it sets and, for a
    /// request that goes on to review, the bodies the law assigns (`crate::routing`); the
    /// move into review says whom, or that the register holds none.
    pub(crate) async fn plan(
        &self,
        id: RequestId,
        request: &Request,
        from: State,
        report: &Report,
        at: DateTime<Utc>,
    ) -> Result<IntakeScreening> {
        let mut planned = plan(id, request.kind, request.emergency, from, report, at)?;
        planned.clocks = crate::clocks::screening_clocks(report, request);
        // Its classification, for the transparency reports, is logged with its screening.
        let classified = self.classification(id, request, at);
        let reviewed = planned.moves.last().is_some_and(|(to, _)| *to != State::Rejected);
        if reviewed {
            let (facts, routed) = self.route(id, request, report, at).await?;
            planned.facts = facts;
            if let Some((_, reason)) = planned.moves.last_mut() {
                for r in &routed {
                    match &r.body {
                        Some(body) => reason.push_str(&format!(
                            "; routed by law to {body}, the {} of {}",
                            r.competent.kind, r.competent.country
                        )),
                        None => reason.push_str(&format!(
                            "; no {} of {} is registered: an operator must register one and assign it \
                             (comity reviewers assign)",
                            r.competent.kind, r.competent.country
                        )),
                    }
                }
            }
        }
        planned.facts.insert(0, classified);
        Ok(planned)
    }
}

/// What a screening leads to: the record to keep, and comity's moves from `from` (to
/// `screening`, then `under_review`; `rejected` when the law rules the request out;
/// `clarification_requested` when the authority must supply a missing element).
/// An emergency request that is not ruled out goes to `pending_verification` instead of
/// review: it is acted on only once a second registered contact of its authority has
/// confirmed it through a separate channel (issue 5: forged emergency requests).
pub(crate) fn plan(
    request_id: RequestId,
    kind: RequestKind,
    emergency: bool,
    from: State,
    report: &Report,
    at: DateTime<Utc>,
) -> Result<IntakeScreening> {
    let screening = record(request_id, report, at)?;
    let steps: &[State] = match from {
        State::Received => &[State::Screening, State::UnderReview],
        State::Screening => &[State::UnderReview],
        _ => &[],
    };
    let mut moves = Vec::with_capacity(steps.len());
    let mut current = from;
    for &step in steps {
        let to = match step {
            State::UnderReview if report.verdict == Verdict::Inadmissible => State::Rejected,
            // An emergency is verified before anything else, a clarification included: a
            // forged request must not be answered as if it came from the authority.
            State::UnderReview if emergency => State::PendingVerification,
            // The authority is asked to supply what is missing (Regulation (EU) 2023/1543
            // Art 10(5), Annex III); its answer brings the request to review.
            State::UnderReview if report.verdict == Verdict::NeedsClarification => {
                State::ClarificationRequested
            }
            _ => step,
        };
        comity_core::lifecycle::check(kind, current, to)?;
        let reason = match to {
            State::Screening => {
                format!("screening against policy pack {} {}", report.pack.id, report.pack.version)
            }
            State::PendingVerification => format!(
                "{}; an emergency request is held until a second registered contact of the authority \
                 confirms it through a separate channel",
                summary(report)
            ),
            _ => summary(report),
        };
        moves.push((to, reason));
        current = to;
    }
    Ok(IntakeScreening { screening, moves, clocks: Vec::new(), facts: Vec::new() })
}

/// The screening to keep for a report: its pack and verdict, and the report as its wire
/// shape, so that it reads back as it was answered.
pub(crate) fn record(request_id: RequestId, report: &Report, at: DateTime<Utc>) -> Result<Screening> {
    let body = ScreeningReport::from(report);
    Ok(Screening {
        request_id,
        at,
        pack_id: report.pack.id.clone(),
        pack_version: report.pack.version.clone(),
        pack_hash: report.pack.hash.clone(),
        verdict: body.verdict.clone(),
        report: serde_json::to_string(&body).map_err(Error::internal)?,
        log_index: None,
    })
}

/// The reason recorded on the move that follows screening.
pub(crate) fn summary(report: &Report) -> String {
    let flagged: Vec<String> =
        report.flagged().map(|f| format!("{} ({})", f.rule, f.outcome.as_str())).collect();
    let pack = format!("policy pack {} {}", report.pack.id, report.pack.version);
    match report.verdict {
        Verdict::Admissible => {
            format!("screening found no ground to refuse under {pack}; a reviewer decides")
        }
        Verdict::NeedsReview => format!("screening under {pack} asks for review: {}", flagged.join(", ")),
        Verdict::NeedsClarification => format!(
            "screening under {pack} asks the authority to supply what the request lacks: {}",
            flagged.join(", ")
        ),
        Verdict::Inadmissible => {
            format!("screening under {pack} found the request inadmissible: {}", flagged.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use comity_policy::PackSet;

    use super::*;

    /// The Budapest example as a preservation request, with `fields` set on its document.
    fn report(fields: serde_json::Value) -> (Request, Report) {
        let mut doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../examples/requests/coe-budapest-subscriber.json"))
                .expect("the example parses");
        doc["kind"] = "preservation".into();
        doc["mutual_assistance_to_follow"] = true.into();
        for (k, v) in fields.as_object().expect("an object") {
            doc[k] = v.clone();
        }
        let (_, request) = parse_request(&serde_json::to_vec(&doc).expect("json")).expect("a request");
        let packs = PackSet::builtin().expect("the builtin packs");
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).single().expect("a time");
        let report = screen(packs.for_request(&request).expect("a pack"), &request, at, &[]);
        (request, report)
    }

    #[test]
    fn each_verdict_moves_the_request_where_a_person_expects() {
        use serde_json::json;
        // (fields, verdict, states after received)
        let table = [
            (json!({}), Verdict::Admissible, vec![State::Screening, State::UnderReview]),
            // Budapest Art 29(2)(f) not stated: the authority is asked for it (issue 13, item 9).
            (
                json!({"mutual_assistance_to_follow": null}),
                Verdict::NeedsClarification,
                vec![State::Screening, State::ClarificationRequested],
            ),
            // An emergency is verified first, even when something must be clarified.
            (
                json!({"mutual_assistance_to_follow": null, "emergency": true}),
                Verdict::NeedsClarification,
                vec![State::Screening, State::PendingVerification],
            ),
            (
                json!({"data_categories": ["traffic"], "kind": "production"}),
                Verdict::NeedsReview,
                vec![State::Screening, State::UnderReview],
            ),
            (
                json!({"data_categories": ["content"], "kind": "production"}),
                Verdict::Inadmissible,
                vec![State::Screening, State::Rejected],
            ),
        ];
        for (fields, verdict, states) in table {
            let (request, report) = report(fields.clone());
            assert_eq!(report.verdict, verdict, "{fields}");
            let planned = plan(
                RequestId::new_at(1),
                request.kind,
                request.emergency,
                State::Received,
                &report,
                report.received_at,
            )
            .expect("a plan");
            let got: Vec<State> = planned.moves.iter().map(|(s, _)| *s).collect();
            assert_eq!(got, states, "{fields}");
            assert_eq!(planned.screening.verdict, verdict.as_str());
        }
        let (request, report) = report(json!({"mutual_assistance_to_follow": null}));
        let planned =
            plan(RequestId::new_at(1), request.kind, false, State::Received, &report, report.received_at)
                .expect("a plan");
        assert_eq!(
            planned.moves[1].1,
            "screening under policy pack coe-budapest 2026.2 asks the authority to supply what the request lacks: \
             coe.preservation_fields (clarify)"
        );
    }
}

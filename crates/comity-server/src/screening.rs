//! Screening on intake, as a dry run, and after a crash.
//!
//! Intake stores the request first (so nothing acknowledged depends on screening), then
//! screens it against its pack with the authority's recent history, keeps the report,
//! and moves the request on by the verdict: `inadmissible` to `rejected` with the report,
//! anything else to `under_review`, because a person still decides. If the process dies
//! in between, [`resume`] finishes the job on the next start.

use axum::{
    Json,
    body::Bytes,
    extract::{Query, State as AxumState, rejection::BytesRejection, rejection::QueryRejection},
    http::HeaderMap,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_core::{
    ActorId, IntakeScreening, Move, PartyId, Request, RequestId, RequestKind, RequestQuery, Screening, State,
    Store, StoreError, StoredRequest,
};
use comity_policy::{PackSet, Prior, Report, Verdict, screen};
use comity_wire::{RequestDocument, parse_json, parse_request, screening::ScreeningReport};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{AppState, auth::Authenticated, error::ApiError, requests::require_json};

/// Which earlier requests a screening may count.
#[derive(Debug, Clone, Copy)]
pub enum History<'a> {
    /// All of the authority's (intake, and the authority's own dry runs): the rule must
    /// see them all to judge; its finding names only those addressed to the same provider.
    Authority,
    /// Only those addressed to this provider (a provider's dry run: it learns nothing of
    /// the authority's requests to others).
    Provider(&'a PartyId),
    /// None (a dry run by anyone else).
    None,
}

/// Screens a request against the pack that covers it, with the history the anti-bulk
/// rule needs read from the store.
pub async fn screen_request(
    store: &dyn Store,
    packs: &PackSet,
    request: &Request,
    received_at: DateTime<Utc>,
    exclude: Option<&StoredRequest>,
    scope: History<'_>,
) -> Result<Report, ApiError> {
    // `exclude` is the request being screened, whose own targets are already recorded.
    let pack = packs.for_request(request).ok_or_else(|| {
        ApiError::internal(&StoreError::Corrupt(format!(
            "no policy pack covers instrument {} or purpose {}",
            request.instrument, request.purpose
        )))
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
            Some(prior) => prior.targets.push(t.selector),
            None => history.push(Prior {
                id: t.last_request,
                received_at: t.last_seen,
                // The rows were selected for this authority.
                authority: request.issuing.authority.clone(),
                reference: String::new(),
                targets: vec![t.selector],
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
    Ok(screen(pack, request, received_at, &kept))
}

/// What a screening leads to: the record to keep, and comity's moves from `from` (to
/// `screening`, then `under_review`, or `rejected` when the law rules the request out).
/// An emergency request that is not ruled out goes to `pending_verification` instead of
/// review: it is acted on only once a second registered contact of its authority has
/// confirmed it through a separate channel (issue 5: forged emergency requests).
pub fn plan(
    request_id: RequestId,
    kind: RequestKind,
    emergency: bool,
    from: State,
    report: &Report,
    at: DateTime<Utc>,
) -> Result<IntakeScreening, ApiError> {
    let body = ScreeningReport::from(report);
    let screening = Screening {
        request_id,
        at,
        pack_id: report.pack.id.clone(),
        pack_version: report.pack.version.clone(),
        pack_hash: report.pack.hash.clone(),
        verdict: body.verdict.clone(),
        report: serde_json::to_string(&body).map_err(|e| ApiError::internal(&e))?,
        log_index: None,
    };
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
            State::UnderReview if emergency => State::PendingVerification,
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
    Ok(IntakeScreening { screening, moves })
}

/// Screens a stored request, keeps the report and moves the request on by the verdict:
/// how `resume` finishes a screening a crash interrupted.
pub async fn screen_stored(
    store: &dyn Store,
    packs: &PackSet,
    stored: StoredRequest,
) -> Result<(StoredRequest, Report), ApiError> {
    let (_, request) = parse_request(stored.document.as_bytes()).map_err(|e| {
        ApiError::internal(&StoreError::Corrupt(format!(
            "request {}: its document no longer parses: {e}",
            stored.id
        )))
    })?;
    let report =
        screen_request(store, packs, &request, stored.received_at, Some(&stored), History::Authority).await?;
    let now = Utc::now().trunc_subsecs(6);
    let IntakeScreening { screening, moves } =
        plan(stored.id, stored.kind, stored.emergency, stored.state, &report, now)?;
    store.record_screening(&screening).await?;
    let mut current = stored;
    for (to, reason) in moves {
        let event = store
            .apply_move(&Move {
                request_id: current.id,
                expected_version: current.version,
                from: current.state,
                to,
                actor: ActorId::system(),
                at: now,
                reason,
                facts: Vec::new(),
            })
            .await?;
        current = current.after(&event);
    }
    Ok((current, report))
}

/// The reason recorded on the move that follows screening.
fn summary(report: &Report) -> String {
    let flagged: Vec<String> =
        report.flagged().map(|f| format!("{} ({})", f.rule, f.outcome.as_str())).collect();
    let pack = format!("policy pack {} {}", report.pack.id, report.pack.version);
    match report.verdict {
        Verdict::Admissible => {
            format!("screening found no ground to refuse under {pack}; a reviewer decides")
        }
        Verdict::NeedsReview => format!("screening under {pack} asks for review: {}", flagged.join(", ")),
        Verdict::Inadmissible => {
            format!("screening under {pack} found the request inadmissible: {}", flagged.join(", "))
        }
    }
}

/// Finishes screening for requests a crash left in `received` or `screening`. Returns
/// how many it screened.
pub async fn resume(store: &dyn Store, packs: &PackSet) -> Result<usize, ApiError> {
    let mut done = 0;
    for state in [State::Received, State::Screening] {
        loop {
            let page = store
                .list_requests(&RequestQuery {
                    state: Some(state),
                    authority: None,
                    issuer: None,
                    provider: None,
                    reviewer: None,
                    page: 1,
                    per_page: 200,
                })
                .await?;
            if page.items.is_empty() {
                break;
            }
            for stored in page.items {
                screen_stored(store, packs, stored).await?;
                done += 1;
            }
        }
    }
    Ok(done)
}

/// When the clocks of a dry run start.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ScreenParams {
    /// The moment of receipt the deadlines run from (RFC 3339); now if left out.
    received_at: Option<DateTime<Utc>>,
}

/// Screens a request document without storing anything: a dry run of intake.
#[utoipa::path(
    post, path = "/v1/screen", tag = "screening", params(ScreenParams),
    request_body(content = RequestDocument, content_type = "application/json"),
    responses(
        (status = 200, description = "The screening report", body = ScreeningReport),
        (status = 400, description = "The body is not JSON, or received_at is not RFC 3339", body = comity_wire::api::ErrorBody),
        (status = 422, description = "The document has problems, each listed with its path", body = comity_wire::api::ErrorBody),
    )
)]
pub async fn dry_run(
    AxumState(app): AxumState<AppState>,
    Authenticated(caller): Authenticated,
    params: Result<Query<ScreenParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ScreeningReport>, ApiError> {
    crate::access::require(
        &app,
        &caller,
        &comity_access::Action::DryRunScreen,
        &comity_access::On::Requests,
    )?;
    let Query(params) = params?;
    require_json(&headers)?;
    let (_, request) = parse_request(&body?)?;
    let received_at = params.received_at.unwrap_or_else(Utc::now).trunc_subsecs(6);
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
    let report = screen_request(app.store.as_ref(), &app.packs, &request, received_at, None, scope).await?;
    Ok(Json(ScreeningReport::from(&report)))
}

/// Reads the stored reports of a request's screenings.
pub fn reports(screenings: &[Screening]) -> Result<Vec<ScreeningReport>, ApiError> {
    screenings
        .iter()
        .map(|s| {
            parse_json::<ScreeningReport>(s.report.as_bytes()).map_err(|e| {
                ApiError::internal(&StoreError::Corrupt(format!(
                    "screening of request {}: {e}",
                    s.request_id
                )))
            })
        })
        .collect()
}

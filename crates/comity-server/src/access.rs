//! Need-to-know, applied: the policy of `comity-access` (`policies/access.cedar`) asked
//! about every act on every request, with the facts read from the store.
//!
//! A request the caller may not `view` answers 404 exactly as one that does not exist
//! (issue 5: no endpoint tells whether a request exists to someone who may not know).
//! A request the caller may view but not act on answers 403, naming what was refused.

use std::{collections::HashMap, sync::RwLock};

use comity_access::{Action, On, RequestFacts};
use comity_core::{JournalQuery, Party, PartyId, RequestId, Store, StoredRequest};
use comity_wire::trust::journal;

use crate::{AppState, auth::Caller, error::ApiError};

/// The registered parties, read once each. Parties are never changed or removed once
/// registered, so an entry never goes stale; another server's new party is read on first
/// use.
#[derive(Debug, Default)]
pub struct PartyCache {
    known: RwLock<HashMap<PartyId, Party>>,
}

impl PartyCache {
    pub async fn get(&self, store: &dyn Store, id: &PartyId) -> Result<Option<Party>, ApiError> {
        if let Some(p) = self.known.read().ok().and_then(|k| k.get(id).cloned()) {
            return Ok(Some(p));
        }
        let party = store.party(id).await?;
        if let (Some(p), Ok(mut known)) = (&party, self.known.write()) {
            known.insert(id.clone(), p.clone());
        }
        Ok(party)
    }
}

/// The reviewer bodies assigned to a request.
pub async fn reviewers(store: &dyn Store, id: RequestId) -> Result<Vec<PartyId>, ApiError> {
    let assigned = store.journal(&JournalQuery::kinds(&[journal::REVIEWER_ASSIGNED]).request(id)).await?;
    Ok(assigned.into_iter().filter_map(|j| PartyId::parse(&j.subject).ok()).collect())
}

/// What the policy needs to know of a stored request.
pub async fn facts(app: &AppState, r: &StoredRequest) -> Result<RequestFacts, ApiError> {
    let reviewers = reviewers(app.store.as_ref(), r.id).await?;
    facts_of(app, &r.authority, r.validator.as_ref(), &r.provider, reviewers, r.state, r.emergency).await
}

/// The facts of a request between these parties; the parties must be registered.
pub async fn facts_of(
    app: &AppState,
    authority: &PartyId,
    validator: Option<&PartyId>,
    provider: &PartyId,
    reviewers: Vec<PartyId>,
    state: comity_core::State,
    emergency: bool,
) -> Result<RequestFacts, ApiError> {
    let party = |id: &PartyId| {
        let id = id.clone();
        async move {
            app.trust.parties.get(app.store.as_ref(), &id).await?.ok_or_else(|| {
                ApiError::internal(&comity_core::StoreError::Corrupt(format!(
                    "a stored request names party {id}, which is not registered"
                )))
            })
        }
    };
    let authority = party(authority).await?;
    let validator = match validator {
        Some(v) => Some(party(v).await?),
        None => None,
    };
    let provider = party(provider).await?;
    Ok(RequestFacts::new(&authority, validator.as_ref(), &provider, reviewers, state, emergency))
}

/// Whether the caller may do `action` on `on`; logs a refusal with the policies that
/// decided.
pub fn allowed(app: &AppState, caller: &Caller, action: &Action, on: &On<'_>) -> bool {
    let decision = app.trust.access.decide(&caller.who(), action, on);
    if !decision.allowed {
        tracing::info!(actor = %caller.actor(), %decision, "access refused");
    }
    decision.allowed
}

/// 403 unless the caller may do `action` on `on` (never for a single request: see
/// [`visible`]).
pub fn require(app: &AppState, caller: &Caller, action: &Action, on: &On<'_>) -> Result<(), ApiError> {
    if allowed(app, caller, action, on) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} of {} may not {}",
            crate::error::a(caller.principal.role.as_str()),
            caller.org(),
            action.name().replace('_', " ")
        )))
    }
}

/// The request, if the caller may see it; 404 if it does not exist or the caller may not
/// see it, with the same message either way.
pub async fn visible(
    app: &AppState,
    caller: &Caller,
    id: RequestId,
) -> Result<(StoredRequest, RequestFacts), ApiError> {
    let hidden = || ApiError::not_found(format!("no request with id {id}"));
    let stored = app.store.request(id).await?.ok_or_else(hidden)?;
    let facts = facts(app, &stored).await?;
    if allowed(app, caller, &Action::View, &On::Request(&facts)) {
        Ok((stored, facts))
    } else {
        Err(hidden())
    }
}

/// The request, if the caller may see it and do `action` on it: 404 when it may not see
/// it, 403 when it may see it but not do this.
pub async fn actionable(
    app: &AppState,
    caller: &Caller,
    id: RequestId,
    action: &Action,
) -> Result<(StoredRequest, RequestFacts), ApiError> {
    let (stored, facts) = visible(app, caller, id).await?;
    require_on_request(app, caller, action, &facts)?;
    Ok((stored, facts))
}

/// 403 unless the caller may do `action` on a request it can see.
pub fn require_on_request(
    app: &AppState,
    caller: &Caller,
    action: &Action,
    facts: &RequestFacts,
) -> Result<(), ApiError> {
    if allowed(app, caller, action, &On::Request(facts)) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} of {} may not {} on this request",
            crate::error::a(caller.principal.role.as_str()),
            caller.org(),
            action.name().replace('_', " ")
        )))
    }
}

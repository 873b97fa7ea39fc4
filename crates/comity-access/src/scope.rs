//! Which requests a principal's list shows.

use comity_core::{PartyId, Role};

use crate::{RequestFacts, Who};

/// The requests a listing shows a principal: the same requests the built-in policy lets it
/// [`view`](crate::Action::View), stated as a filter a store can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// The requests this authority issued or validated.
    Authority(PartyId),
    /// The requests addressed to this provider.
    Provider(PartyId),
    /// The requests this reviewer body is assigned to.
    Reviewer(PartyId),
    /// None at all: the operator and auditors never see a request, and a representative
    /// sees only the decisions of the requests it is registered for, never a request.
    Nothing,
}

impl ListScope {
    /// Whether a request with these facts is in the scope.
    pub fn contains(&self, facts: &RequestFacts) -> bool {
        match self {
            ListScope::Authority(org) => facts.issuers().any(|i| i == org),
            ListScope::Provider(org) => &facts.provider == org,
            ListScope::Reviewer(org) => facts.reviewers.contains(org),
            ListScope::Nothing => false,
        }
    }
}

/// What a listing of requests shows `who`.
///
/// This is the scope of `view` in `policies/access.cedar`, and a test checks over random
/// principals and requests that the two agree. A policy an operator tightened may allow
/// less than this scope: a server that loads one should also ask
/// [`Access::decide`](crate::Access::decide) about each request it lists.
pub fn list_scope(who: &Who) -> ListScope {
    if !who.role_fits_register() {
        return ListScope::Nothing;
    }
    match who.role {
        Role::Requester => ListScope::Authority(who.org.clone()),
        Role::Handler => ListScope::Provider(who.org.clone()),
        Role::Reviewer => ListScope::Reviewer(who.org.clone()),
        Role::Admin | Role::Auditor | Role::Representative => ListScope::Nothing,
    }
}

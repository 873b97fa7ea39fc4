//! Need-to-know authorisation: who may see and do what in comity, decided by a public,
//! reviewable Cedar policy.
//!
//! The rules are `policies/access.cedar`, checked against the schema
//! `policies/access.cedarschema`; both are compiled in, and `docs/access.md` explains
//! them. An authority sees only its own requests, a provider only those addressed to it, a
//! reviewer body only those assigned to it, an auditor only the log and aggregates, and
//! nobody decides on a request their own institution issued or holds.
//!
//! The server asks [`Access::decide`] before every act, and answers a refusal to
//! [`Action::View`] with 404, the same as for a request that does not exist.
//!
//! ```
//! use comity_access::{Access, Action, CredentialKind, On, RequestFacts, Who};
//! use comity_core::{ActorId, PartyId, PartyRole, Role, State};
//!
//! let id = |s: &str| PartyId::parse(s).unwrap();
//! let request = RequestFacts {
//!     authority: id("fr-tj-paris"),
//!     validator: None,
//!     issuer_institutions: vec![id("fr-tj-paris")],
//!     provider: id("example-mail"),
//!     provider_institution: id("example-mail"),
//!     reviewers: vec![id("ie-high-court")],
//!     representatives: vec![],
//!     state: State::UnderReview,
//!     emergency: false,
//! };
//! let handler = Who {
//!     actor: ActorId::parse("alice@example-mail").unwrap(),
//!     org: id("example-mail"),
//!     register: PartyRole::Provider,
//!     institution: id("example-mail"),
//!     role: Role::Handler,
//!     credential: CredentialKind::Person,
//! };
//! let access = Access::builtin();
//! assert!(access.decide(&handler, &Action::View, &On::Request(&request)).allowed);
//!
//! // Only an assigned reviewer of neither side decides.
//! let refused = access.decide(&handler, &Action::Decide, &On::Request(&request));
//! assert!(!refused.allowed);
//! assert_eq!(refused.to_string(), "decide denied by no-decision-on-own-side");
//! ```
//!
//! Design: the policy speaks of parties, never of a request's contents, so the facts it
//! needs ([`Who`], [`RequestFacts`]) are small and built from the registers. Cedar denies
//! unless a `permit` matches and lets every matching `forbid` override; comity adds one
//! rule of its own: any error while evaluating denies. The crate does no I/O.

mod action;
mod cedar;
mod error;
mod scope;
mod who;

use std::sync::LazyLock;

use cedar_policy::{Authorizer, PolicyId, PolicySet, Schema, ValidationMode, Validator};

pub use action::{Action, action_for_move};
pub use error::{AccessError, Problem};
pub use scope::{ListScope, list_scope};
pub use who::{CredentialKind, RequestFacts, Who, WrongParty};

/// The built-in policy, `policies/access.cedar`.
pub const POLICIES: &str = include_str!("../../../policies/access.cedar");
/// The built-in schema, `policies/access.cedarschema`.
pub const SCHEMA: &str = include_str!("../../../policies/access.cedarschema");

/// What an act is done to.
#[derive(Debug, Clone, Copy)]
pub enum On<'a> {
    /// One request (or, for [`Action::Submit`], the request about to be created).
    Request(&'a RequestFacts),
    /// The collection of requests: to list it, or to screen a document without submitting.
    Requests,
    /// The registers of parties, keys and contacts.
    Registers,
    /// Accounts and API tokens.
    Accounts,
    /// Every authority's track record, and the counts.
    Aggregates,
}

/// A decision, and what it rests on: what the server logs when it refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The action decided on ([`Action::name`]).
    pub action: &'static str,
    pub allowed: bool,
    /// The `@id`s of the policies that decided, sorted: the permits that allowed, or the
    /// forbids that denied. Empty when nothing permitted the act.
    pub policies: Vec<String>,
    /// What went wrong while deciding. Any error denies.
    pub errors: Vec<String>,
}

impl std::fmt::Display for Decision {
    /// One line for a log: `decide denied by no-decision-on-own-side`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let action = self.action;
        if !self.errors.is_empty() {
            write!(f, "{action} denied: {}", self.errors.join("; "))
        } else if self.allowed {
            write!(f, "{action} allowed by {}", self.policies.join(", "))
        } else if self.policies.is_empty() {
            write!(f, "{action} denied: no policy permits it")
        } else {
            write!(f, "{action} denied by {}", self.policies.join(", "))
        }
    }
}

/// A loaded, validated access policy.
#[derive(Debug)]
pub struct Access {
    policies: PolicySet,
    schema: Schema,
    authorizer: Authorizer,
    warnings: Vec<Problem>,
}

static BUILTIN: LazyLock<Access> = LazyLock::new(|| match Access::from_text(POLICIES, SCHEMA) {
    Ok(access) => access,
    // A test loads the built-in files, so this is a bug that never ships.
    Err(e) => panic!("the built-in access policy is broken: {e}"),
});

impl Access {
    /// The built-in policy and schema, loaded and validated once.
    pub fn builtin() -> &'static Access {
        &BUILTIN
    }

    /// Loads a policy and its schema (Cedar syntax for both) and validates the policy
    /// against the schema in strict mode. Every policy must carry a unique `@id("...")`
    /// annotation: decisions name the policies behind them by it.
    pub fn from_text(policies: &str, schema: &str) -> Result<Access, AccessError> {
        let schema = match Schema::from_cedarschema_str(schema) {
            Ok((schema, _warnings)) => schema,
            Err(e) => return Err(AccessError::Schema(error::problems(&e, schema))),
        };
        let parsed: PolicySet = policies.parse().map_err(|e: cedar_policy::ParseErrors| {
            AccessError::Policies(e.iter().flat_map(|p| error::problems(p, policies)).collect())
        })?;
        let named = name_by_annotation(&parsed, policies)?;
        let result = Validator::new(schema.clone()).validate(&named, ValidationMode::Strict);
        let errors: Vec<Problem> =
            result.validation_errors().flat_map(|e| error::problems(e, policies)).collect();
        if !errors.is_empty() {
            return Err(AccessError::Validation(errors));
        }
        let warnings = result.validation_warnings().flat_map(|w| error::problems(w, policies)).collect();
        Ok(Access { policies: named, schema, authorizer: Authorizer::new(), warnings })
    }

    /// What the validator warned of (a policy that can never apply, say) without refusing
    /// the policy; worth logging at start.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The `@id`s of the policies, in no particular order.
    pub fn policy_ids(&self) -> impl Iterator<Item = &str> {
        self.policies.policies().map(|p| -> &str { p.id().as_ref() })
    }

    /// May `who` do `action` on `on`?
    ///
    /// Never allows when anything fails: facts that do not fit the schema (an action on
    /// the wrong kind of resource), or an error while evaluating a policy, deny and are
    /// reported in [`Decision::errors`].
    pub fn decide(&self, who: &Who, action: &Action, on: &On<'_>) -> Decision {
        let (request, entities) = match cedar::request(&self.schema, who, action, on) {
            Ok(built) => built,
            Err(e) => {
                return Decision {
                    action: action.name(),
                    allowed: false,
                    policies: Vec::new(),
                    errors: vec![e],
                };
            }
        };
        let response = self.authorizer.is_authorized(&request, &self.policies, &entities);
        let diagnostics = response.diagnostics();
        let errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        let mut policies: Vec<String> = diagnostics.reason().map(ToString::to_string).collect();
        policies.sort();
        let allowed = response.decision() == cedar_policy::Decision::Allow && errors.is_empty();
        Decision { action: action.name(), allowed, policies, errors }
    }
}

/// The policies, each under the id its `@id` annotation gives it.
fn name_by_annotation(parsed: &PolicySet, src: &str) -> Result<PolicySet, AccessError> {
    let mut problems = Vec::new();
    if parsed.templates().next().is_some() {
        problems.push(Problem { at: None, message: "templates are not supported here".to_owned() });
    }
    // Cedar names the policies of a text `policy0`, `policy1`, ... in the order they come;
    // walking the text in that order finds where each is, even two with the same text.
    let mut in_order: Vec<_> = parsed.policies().collect();
    in_order.sort_by_key(|p| {
        let id: &str = p.id().as_ref();
        id.trim_start_matches("policy").parse::<usize>().unwrap_or(usize::MAX)
    });
    let mut cursor = 0;
    let mut named = PolicySet::new();
    for policy in in_order {
        let text = policy.to_string();
        let at = src.get(cursor..).and_then(|rest| rest.find(&text)).map(|found| cursor + found);
        if let Some(offset) = at {
            cursor = offset + text.len();
        }
        let at = at.and_then(|offset| error::line_column(src, offset));
        let Some(id) = policy.annotation("id").filter(|id| !id.is_empty()) else {
            problems.push(Problem {
                at,
                message: "this policy has no @id(\"...\") annotation; every policy needs one, \
                          so that decisions can name it"
                    .to_owned(),
            });
            continue;
        };
        let id = PolicyId::new(id);
        if named.policy(&id).is_some() {
            problems
                .push(Problem { at, message: format!("the @id \"{id}\" is used by an earlier policy too") });
            continue;
        }
        if let Err(e) = named.add(policy.new_id(id)) {
            problems.push(Problem { at, message: e.to_string() });
        }
    }
    if problems.is_empty() { Ok(named) } else { Err(AccessError::Policies(problems)) }
}

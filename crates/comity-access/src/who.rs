//! Who is acting, and what a request tells about its parties.

use comity_core::{ActorId, Credential, Party, PartyId, PartyRole, Principal, Role, State};

/// How a principal proved who it is; what [`Credential`] says, without the secret's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A person, with password and TOTP, through a session.
    Person,
    /// A system, with an API token.
    Token,
    /// An authority's system, with a signature by one of its registered keys.
    Key,
}

impl CredentialKind {
    /// Every kind, for tables and tests.
    pub const ALL: [CredentialKind; 3] = [CredentialKind::Person, CredentialKind::Token, CredentialKind::Key];

    /// The name the policy uses: `person`, `token` or `key`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Person => "person",
            CredentialKind::Token => "token",
            CredentialKind::Key => "key",
        }
    }
}

impl From<&Credential> for CredentialKind {
    fn from(credential: &Credential) -> Self {
        match credential {
            Credential::Person(_) => CredentialKind::Person,
            Credential::Token(_) => CredentialKind::Token,
            Credential::Key(_) => CredentialKind::Key,
        }
    }
}

/// The principal as the policy sees it: who acts, for which organisation and institution,
/// in which role, with which credential.
///
/// Build it with [`Who::new`] from the authenticated [`Principal`] and its registered
/// [`Party`], so that the institution and register come from the register, never from
/// the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The actor comity records (`alice@ie-high-court`); the principal's id in Cedar.
    pub actor: ActorId,
    /// The principal's organisation.
    pub org: PartyId,
    /// The register the organisation is in.
    pub register: PartyRole,
    /// The organisation's institution ([`Party::institution`]).
    pub institution: PartyId,
    pub role: Role,
    pub credential: CredentialKind,
}

/// [`Who::new`] was given a party other than the principal's organisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the principal acts for {org}, but the party given is {party}")]
pub struct WrongParty {
    pub org: PartyId,
    pub party: PartyId,
}

impl Who {
    /// The principal `principal`, which acts for `party`.
    pub fn new(principal: &Principal, party: &Party) -> Result<Who, WrongParty> {
        if party.id() != &principal.org {
            return Err(WrongParty { org: principal.org.clone(), party: party.id().clone() });
        }
        Ok(Who {
            actor: principal.actor(),
            org: principal.org.clone(),
            register: party.role(),
            institution: party.institution().clone(),
            role: principal.role,
            credential: CredentialKind::from(&principal.credential),
        })
    }

    /// Whether the role is the one of the organisation's register. An account where it is
    /// not (a bug, or a tampered database) may do nothing: the policy
    /// `role-belongs-to-register` forbids it, and [`crate::list_scope`] shows it nothing.
    pub fn role_fits_register(&self) -> bool {
        self.role.register() == self.register
    }
}

/// What the policy needs to know of one request: its parties, its state, whether it is an
/// emergency. Never its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    /// The issuing authority.
    pub authority: PartyId,
    /// The authority that validated the request, if another did (Regulation (EU)
    /// 2023/1543 Art 4(1)(b), 4(2)(b), 4(3)(b)).
    pub validator: Option<PartyId>,
    /// The institutions of the issuing and the validating authority.
    pub issuer_institutions: Vec<PartyId>,
    /// The provider the request is addressed to.
    pub provider: PartyId,
    pub provider_institution: PartyId,
    /// The reviewer bodies assigned to decide on the request.
    pub reviewers: Vec<PartyId>,
    /// The representatives registered to act for the person concerned (issue 13, item 6).
    pub representatives: Vec<PartyId>,
    pub state: State,
    pub emergency: bool,
}

impl RequestFacts {
    /// The facts of a request between these registered parties, with the institutions
    /// read from the parties themselves, so that none can be left out.
    pub fn new(
        authority: &Party,
        validator: Option<&Party>,
        provider: &Party,
        reviewers: Vec<PartyId>,
        state: State,
        emergency: bool,
    ) -> RequestFacts {
        let mut issuer_institutions = vec![authority.institution().clone()];
        if let Some(v) = validator.filter(|v| v.institution() != authority.institution()) {
            issuer_institutions.push(v.institution().clone());
        }
        RequestFacts {
            authority: authority.id().clone(),
            validator: validator.map(|v| v.id().clone()),
            issuer_institutions,
            provider: provider.id().clone(),
            provider_institution: provider.institution().clone(),
            reviewers,
            representatives: Vec::new(),
            state,
            emergency,
        }
    }

    /// The same facts, with the representatives registered for the request.
    pub fn with_representatives(self, representatives: Vec<PartyId>) -> RequestFacts {
        RequestFacts { representatives, ..self }
    }

    /// The issuing authority, then the validating one if any.
    pub fn issuers(&self) -> impl Iterator<Item = &PartyId> {
        std::iter::once(&self.authority).chain(self.validator.as_ref())
    }
}

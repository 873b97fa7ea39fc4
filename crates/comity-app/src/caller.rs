//! Who acts. Every use case names its actor: an authenticated [`Caller`], whose every act
//! is first asked of the access policy, or, through their own explicit entry points, the
//! operator at the command line ([`crate::Operator`]) and the demo seeder.

use chrono::{DateTime, Utc};
use comity_access::Who;
use comity_core::{ActorId, Party, PartyId, Principal};

/// An authenticated caller: the principal, its organisation as registered, and when the
/// credential ends.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub party: Party,
    pub expires_at: Option<DateTime<Utc>>,
    /// The session's id hash, for logging out.
    pub session: Option<[u8; 32]>,
}

impl Caller {
    /// The actor recorded for what this caller does.
    pub fn actor(&self) -> ActorId {
        self.principal.actor()
    }

    /// The caller as the access policy sees it.
    pub fn who(&self) -> Who {
        // The party is the principal's organisation by construction (see
        // `App::caller`).
        Who::new(&self.principal, &self.party).unwrap_or_else(|_| Who {
            actor: self.actor(),
            org: self.principal.org.clone(),
            register: self.party.role(),
            institution: self.party.institution().clone(),
            role: self.principal.role,
            credential: comity_access::CredentialKind::from(&self.principal.credential),
        })
    }

    pub fn org(&self) -> &PartyId {
        &self.principal.org
    }
}

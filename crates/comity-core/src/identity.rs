//! Who is acting: roles inside an organisation, people's user names, authority key ids,
//! and the authenticated [`Principal`] every request to comity is made by.
//!
//! Authentication (passwords, TOTP, tokens, signatures) happens at the edge; what it
//! yields is a `Principal`, and from then on every decision (authorisation, the actor
//! written into an event, the reader written into the log) reads the principal, never a
//! name the caller typed.

use std::fmt;

use crate::{ActorId, PartyId, PartyRole, vocabulary::vocabulary};

vocabulary! {
    /// What a person or system may do inside its organisation. Each role belongs to one
    /// register: a `handler` works for a provider, a `reviewer` for a reviewer body.
    Role {
        /// Runs this comity: registers parties, keys, accounts and tokens. Reads no request.
        Admin = "admin",
        /// Submits requests for an authority, answers clarification, withdraws.
        Requester = "requester",
        /// A provider's legal team: screens, assigns reviewers, produces, notifies.
        Handler = "handler",
        /// Decides on the requests assigned to its reviewer body.
        Reviewer = "reviewer",
        /// Reads the log and aggregates; never a request's contents.
        Auditor = "auditor",
        /// Acts for the person concerned, in the requests its organisation is registered
        /// for: reads their decisions and appeals them (issue 13, item 6).
        Representative = "representative",
    }
}

impl Role {
    /// The register whose organisations may hold this role.
    pub fn register(self) -> PartyRole {
        match self {
            Role::Admin => PartyRole::Operator,
            Role::Requester => PartyRole::Authority,
            Role::Handler => PartyRole::Provider,
            Role::Reviewer => PartyRole::Reviewer,
            Role::Auditor => PartyRole::Auditor,
            Role::Representative => PartyRole::Representative,
        }
    }

    /// The one role an organisation of `register` holds.
    pub fn of_register(register: PartyRole) -> Role {
        match register {
            PartyRole::Operator => Role::Admin,
            PartyRole::Authority => Role::Requester,
            PartyRole::Provider => Role::Handler,
            PartyRole::Reviewer => Role::Reviewer,
            PartyRole::Auditor => Role::Auditor,
            PartyRole::Representative => Role::Representative,
        }
    }
}

/// A person's user name: 2 to 48 characters of lower-case letters, digits, `.`, `_` and
/// `-`, starting with a letter. Short enough that `name@organisation` fits an actor id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

/// Why a string is not a user name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a user name: use 2 to 48 lower-case letters, digits, '.', '_' or '-', starting with a letter"
)]
pub struct UsernameError(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, UsernameError> {
        let ok = (2..=48).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok { Ok(Self(s.to_owned())) } else { Err(UsernameError(s.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a key registered for an authority: the JWS `kid` (RFC 7515 §4.1.4). By
/// default the key's RFC 7638 thumbprint (43 characters); 1 to 48 characters of the
/// base64url alphabet and `.` and `~`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

/// Why a string is not a key id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a key id: use 1 to 48 characters of letters, digits, '-', '_', '.' or '~'")]
pub struct KeyIdError(String);

impl KeyId {
    pub fn parse(s: &str) -> Result<Self, KeyIdError> {
        let ok = (1..=48).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~'));
        if ok { Ok(Self(s.to_owned())) } else { Err(KeyIdError(s.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a principal proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A person, with password and TOTP, through a session.
    Person(Username),
    /// A system, with an API token (by the token's public id).
    Token(String),
    /// An authority's system, with a signature by one of its registered keys.
    Key(KeyId),
}

/// Who is making a request to comity: an organisation, a role in it, and the credential
/// that proved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub org: PartyId,
    pub role: Role,
    pub credential: Credential,
}

impl Principal {
    /// The actor written into events and log entries: `alice@ie-high-court`,
    /// `token:3kq…@example-mail` or `key:NzbL…@fr-tj-paris`. Unique per credential and
    /// organisation, and never longer than an [`ActorId`] allows.
    pub fn actor(&self) -> ActorId {
        let who = match &self.credential {
            Credential::Person(u) => u.as_str().to_owned(),
            Credential::Token(id) => format!("token:{id}"),
            Credential::Key(kid) => format!("key:{kid}"),
        };
        ActorId::parse(&format!("{who}@{}", self.org)).unwrap_or_else(|_| ActorId::system())
    }

    /// True for a person logged in through the portal.
    pub fn is_person(&self) -> bool {
        matches!(self.credential, Credential::Person(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_belongs_to_one_register_and_back() {
        for role in Role::ALL {
            assert_eq!(Role::of_register(role.register()), *role);
        }
        for register in PartyRole::ALL {
            assert_eq!(Role::of_register(*register).register(), *register);
        }
    }

    #[test]
    fn usernames_and_key_ids() {
        for ok in ["alice", "j.dupont", "duty_officer-2", "ab"] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["a", "Alice", "1alice", "al ice", "al@ce", &"a".repeat(49)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert!(KeyId::parse("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k").is_ok());
        for bad in ["", "a b", "a/b", "é", &"k".repeat(49)] {
            assert!(KeyId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_longest_actor_fits() {
        let org = PartyId::parse(&format!("a{}", "b".repeat(63))).unwrap_or_else(|e| panic!("{e}"));
        for credential in [
            Credential::Person(Username::parse(&"u".repeat(48)).unwrap_or_else(|e| panic!("{e}"))),
            Credential::Key(KeyId::parse(&"k".repeat(48)).unwrap_or_else(|e| panic!("{e}"))),
            Credential::Token("t".repeat(16)),
        ] {
            let p = Principal { org: org.clone(), role: Role::Requester, credential };
            assert_ne!(p.actor(), ActorId::system(), "{p:?}");
        }
    }
}

//! The parties: who asks, who holds the data, who decides, who audits, who runs comity.

use crate::{AuthorityType, CountryCode, PartyId, ReviewerKind};

/// A requesting authority: a court, prosecutor, police force or security service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub id: PartyId,
    pub country: CountryCode,
    pub authority_type: AuthorityType,
    pub name: String,
    /// The institution this authority is part of, when it shares one with other parties
    /// (see [`crate::Party::institution`]).
    pub institution: Option<PartyId>,
}

/// A service provider that holds data and receives requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: PartyId,
    pub country: CountryCode,
    pub name: String,
    pub institution: Option<PartyId>,
}

/// An independent body that decides on requests: a court, a data protection authority,
/// a central authority or an enforcing authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerBody {
    pub id: PartyId,
    pub country: CountryCode,
    pub kind: ReviewerKind,
    pub name: String,
    pub institution: Option<PartyId>,
}

/// An organisation with no attributes beyond its name: an auditor (who sees the log and
/// aggregates, never a request's contents), the operator running this comity (who
/// manages the registers, keys and accounts, and also never reads a request), or a
/// representative of the person concerned (a lawyer, a data protection authority), who
/// sees only the decisions of the requests it is registered for and appeals them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: PartyId,
    pub country: CountryCode,
    pub name: String,
    pub institution: Option<PartyId>,
}

vocabulary! {
    /// Which register a party belongs to. Every party is in exactly one.
    PartyRole {
        Authority = "authority",
        Provider = "provider",
        Reviewer = "reviewer",
        Auditor = "auditor",
        Operator = "operator",
        /// Acts for the person concerned by requests it is registered for: a lawyer, a
        /// data protection authority (issue 13, item 6).
        Representative = "representative",
    }
}

impl PartyRole {
    /// How people call a party of this register, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Authority => "authority",
            Self::Provider => "provider",
            Self::Reviewer => "reviewer body",
            Self::Auditor => "auditor",
            Self::Operator => "operator",
            Self::Representative => "representative",
        }
    }
}

use crate::vocabulary::vocabulary;

/// Checks a display name: 1 to 200 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, NameError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > 200 {
        return Err(NameError::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    Ok(name.to_owned())
}

/// Why a name is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the name is empty")]
    Empty,
    #[error("the name is longer than 200 characters")]
    TooLong,
    #[error("the name contains a control character")]
    ControlCharacter,
}

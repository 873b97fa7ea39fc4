//! The parties: who asks, who holds the data, who decides.

use crate::{AuthorityType, CountryCode, PartyId, ReviewerKind};

/// A requesting authority: a court, prosecutor, police force or security service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub id: PartyId,
    pub country: CountryCode,
    pub authority_type: AuthorityType,
    pub name: String,
}

/// A service provider that holds data and receives requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: PartyId,
    pub country: CountryCode,
    pub name: String,
}

/// An independent body that decides on requests: a court, a data protection authority,
/// a central authority or an enforcing authority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerBody {
    pub id: PartyId,
    pub country: CountryCode,
    pub kind: ReviewerKind,
    pub name: String,
}

/// Which of the three registers a party belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyRole {
    Authority,
    Provider,
    Reviewer,
}

impl PartyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authority => "authority",
            Self::Provider => "provider",
            Self::Reviewer => "reviewer body",
        }
    }
}

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

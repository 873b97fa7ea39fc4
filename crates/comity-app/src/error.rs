//! What a use case answers when it does not do what was asked: one domain error, with no
//! HTTP in it. The API turns each kind into its status and the one JSON error shape; the
//! command line into a message that names the flag at fault.
//!
//! Each kind says what the caller can do about it. Its `code` is stable (clients switch
//! on it) and its message says what to fix; an [`Error::Internal`] says nothing to the
//! caller but is kept in full for the log.

use comity_core::{IllegalTransition, StoreError};
pub use comity_wire::{DocumentError, Problem};

/// A use case's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command is not valid: each problem names the field at fault by its name in the
    /// command (the API's JSON path, which the command line maps to its flag).
    #[error("{message}")]
    Invalid { code: &'static str, message: String, problems: Vec<Problem> },
    /// The request document (or another JSON input) is not valid: every problem, with its path.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The input as a whole cannot be read: a filter, a page, an id.
    #[error("{0}")]
    BadInput(String),
    /// No such thing, or none the caller may know of: the answer is the same.
    #[error("{0}")]
    NotFound(String),
    /// The caller may see this but not do it.
    #[error("{0}")]
    Forbidden(String),
    /// It conflicts with how things stand: a name taken, a request that moved meanwhile, a
    /// step the lifecycle does not allow now (`illegal_transition`).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A credential or signature that does not hold; the code says which check refused it.
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    /// Too many failures: try again in `retry_after` seconds.
    #[error("{message}")]
    Locked { code: &'static str, message: String, retry_after: u32 },
    /// The input is larger than allowed.
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    /// Not possible now: overloaded, or not configured here; `retry_after` seconds, if
    /// waiting helps. `cause`, if known, is the operator's to read: it is in the log line
    /// (this error's text), never in the answer, which gives `message` alone.
    #[error("{message}{}", .cause.as_ref().map(|c| format!(" (cause: {c})")).unwrap_or_default())]
    Unavailable { code: &'static str, message: String, retry_after: Option<u32>, cause: Option<String> },
    /// It was here and is no more, on purpose: a production crypto-shredded at its
    /// retention date. `details` say when, and how the authority attested disposal.
    #[error("{message}")]
    Gone { code: &'static str, message: String, details: Vec<Problem> },
    /// The party a command names may not do this now: an operator deactivated or
    /// suspended it (issue 16). The message says who decided, why and until when; `field`
    /// is the command's field that names the party.
    #[error("{message}")]
    Barred { barred: Box<comity_core::Barred>, field: String, message: String },
    /// A failure that is not the caller's: kept in full for the log, never shown.
    #[error("{0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// A field of the command the caller must correct; an empty `field` is the command as
    /// a whole.
    pub fn invalid(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        if field.is_empty() {
            return Error::Invalid { code, message, problems: Vec::new() };
        }
        Error::Invalid {
            code,
            message: format!("{field}: {message}"),
            problems: vec![Problem { path: field, message }],
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict { code: "conflict", message: message.into() }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Internal(Box::new(e))
    }

    /// Stored data that no longer reads: the database was edited outside comity.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Error::internal(StoreError::Corrupt(message.into()))
    }

    /// The stable code of the error, as the API answers it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. }
            | Error::Conflict { code, .. }
            | Error::Unauthenticated { code, .. }
            | Error::Locked { code, .. }
            | Error::TooLarge { code, .. }
            | Error::Unavailable { code, .. }
            | Error::Gone { code, .. } => code,
            Error::Barred { barred, .. } => barred.code(),
            Error::Document(e) if e.syntax => "invalid_json",
            Error::Document(_) => "invalid_document",
            Error::BadInput(_) => "invalid_request",
            Error::NotFound(_) => "not_found",
            Error::Forbidden(_) => "forbidden",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Error::NotFound("not found".to_owned()),
            StoreError::Conflict(message) => Error::conflict(message),
            StoreError::Unavailable(message) => {
                // The cause is the operator's to read (a full disk, a database restarting);
                // the caller learns only that retrying helps, and when to.
                tracing::warn!(%message, "store unavailable");
                Error::Unavailable {
                    code: "busy",
                    message: "the server cannot store or read anything for a moment; retry after the \
                              seconds Retry-After gives"
                        .to_owned(),
                    retry_after: Some(1),
                    cause: Some(message),
                }
            }
            other => Error::internal(other),
        }
    }
}

impl From<IllegalTransition> for Error {
    fn from(e: IllegalTransition) -> Self {
        Error::Conflict { code: "illegal_transition", message: e.reason }
    }
}

/// What every missing or failed credential is told.
pub(crate) fn unauthenticated() -> Error {
    Error::Unauthenticated { code: "unauthenticated", message: SIGN_IN_FIRST.to_owned() }
}

/// The message of a call that needs a caller and has none.
pub const SIGN_IN_FIRST: &str = "sign in first: send `Authorization: Bearer <token>` (an API token) or log in with \
     POST /v1/session (password and TOTP code)";

/// `a` or `an` before a word, for messages that name a role or a register.
pub fn a(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {word}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_that_cannot_answer_tells_the_operator_why_and_the_caller_when() {
        let e = Error::from(StoreError::Unavailable("the disk is full: database or disk is full".to_owned()));
        // The log line (the error's text) carries the cause, so a background task's warning
        // says what to fix.
        assert!(e.to_string().ends_with("(cause: the disk is full: database or disk is full)"), "{e}");
        // The answer carries the message alone: the cause is the operator's, not the caller's.
        let Error::Unavailable { code, message, retry_after, .. } = e else { panic!("{e:?}") };
        assert_eq!(code, "busy");
        assert!(!message.contains("disk"), "{message}");
        assert_eq!(retry_after, Some(1));
    }
}

//! The API's one error shape: `{"error": {"code", "message", "details"}}`.
//!
//! A 4xx tells the caller what to fix. A 5xx tells the caller only that something failed
//! and under which incident id; the full error goes to the server log.

use axum::{
    Json,
    extract::rejection::{BytesRejection, PathRejection, QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use comity_wire::{
    DocumentError, Problem,
    api::{ErrorBody, ErrorDetail},
};

/// An error answered to an API caller.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Vec<Problem>,
    /// Seconds, for a `Retry-After` header (RFC 9110 §10.2.3).
    retry_after: Option<u32>,
    /// A `WWW-Authenticate` challenge (RFC 9110 §11.6.1, RFC 6750 §3) for a 401.
    challenge: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            challenge: None,
        }
    }

    pub fn www_authenticate(mut self, challenge: &'static str) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// The caller may see this, but not do it. Only for what the caller may know exists:
    /// a request outside its scope is [`ApiError::not_found`], as if it did not exist.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn with_details(mut self, details: Vec<Problem>) -> Self {
        self.details = details;
        self
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// A field the caller must correct, with its path.
    pub fn invalid_field(code: &'static str, path: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("{path}: {message}"))
            .with_details(vec![Problem { path: path.to_owned(), message }])
    }

    /// An unexpected failure: logged in full, answered opaquely.
    pub fn internal(error: &dyn std::error::Error) -> Self {
        let incident = uuid::Uuid::now_v7();
        tracing::error!(incident = %incident, error = %error, source = ?error.source(), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("the server failed to handle the request; it was logged as incident {incident}"),
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What the caller is told (for a 5xx, only that it failed and the incident id).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// One entry per problem, with its path.
    pub fn details(&self) -> &[Problem] {
        &self.details
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_owned(), message: self.message, details: self.details },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        if e.syntax {
            Self::new(StatusCode::BAD_REQUEST, "invalid_json", e.to_string()).with_details(e.problems)
        } else {
            let n = e.problems.len();
            let message = if n == 1 {
                format!("the document has a problem: {e}")
            } else {
                format!("the document has {n} problems: {e}")
            };
            Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_document", message).with_details(e.problems)
        }
    }
}

impl From<comity_app::Error> for ApiError {
    fn from(e: comity_app::Error) -> Self {
        use comity_app::Error as E;
        match e {
            E::Invalid { code, message, problems } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_details(problems)
            }
            E::Document(e) => e.into(),
            E::BadInput(message) => Self::bad_request(message),
            E::NotFound(message) => Self::not_found(message),
            E::Forbidden(message) => Self::forbidden(message),
            E::Conflict { code, message } => Self::new(StatusCode::CONFLICT, code, message),
            E::Unauthenticated { code, message } => {
                let e = Self::new(StatusCode::UNAUTHORIZED, code, message);
                if code == "unauthenticated" { e.www_authenticate("Bearer realm=\"comity\"") } else { e }
            }
            E::Locked { code, message, retry_after } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, code, message).retry_after(retry_after)
            }
            E::TooLarge { code, message } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, code, message),
            E::Unavailable { code, message, retry_after, .. } => {
                let e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
                match retry_after {
                    Some(seconds) => e.retry_after(seconds),
                    None => e,
                }
            }
            E::Gone { code, message, details } => {
                Self::new(StatusCode::GONE, code, message).with_details(details)
            }
            E::Barred { barred, field, message } => {
                let detail = Problem { path: field, message: barred.to_string() };
                Self::new(StatusCode::FORBIDDEN, barred.code(), message).with_details(vec![detail])
            }
            E::Internal(e) => Self::internal(e.as_ref()),
        }
    }
}

impl From<comity_core::StoreError> for ApiError {
    fn from(e: comity_core::StoreError) -> Self {
        comity_app::Error::from(e).into()
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            body_too_large()
        } else {
            Self::new(r.status(), "unreadable_body", format!("the body could not be read: {}", r.body_text()))
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::bad_request(format!("the query string is not valid: {}", r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::bad_request(format!("the path is not valid: {}", r.body_text()))
    }
}

/// 413 for a body over [`crate::MAX_BODY_BYTES`].
pub(crate) fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the body is larger than the {} bytes this server accepts", crate::MAX_BODY_BYTES),
    )
}

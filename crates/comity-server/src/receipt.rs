//! The receipt an answer carries when it appended to the audit log: which entries, so the
//! caller can ask for their inclusion proofs (`/v1/log/proof/inclusion`).

use axum::{
    http::HeaderValue,
    response::{IntoResponse, Response},
};

/// The response header naming the audit-log entries an answer appended.
pub const LOG_INDEX_HEADER: &str = "comity-log-index";

/// Sets `Comity-Log-Index: 12, 13` on an answer that appended entries 12 and 13.
pub fn receipt(response: &mut Response, indexes: &[u64]) {
    if indexes.is_empty() {
        return;
    }
    let list = indexes.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    if let Ok(value) = HeaderValue::from_str(&list) {
        response.headers_mut().insert(LOG_INDEX_HEADER, value);
    }
}

/// The answer with the receipt of the entries it appended, as [`receipt`] sets it.
pub fn with_receipt(answer: impl IntoResponse, indexes: &[u64]) -> Response {
    let mut response = answer.into_response();
    receipt(&mut response, indexes);
    response
}

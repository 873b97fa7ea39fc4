//! The headers every answer carries, so that a browser treats what comity sends as data
//! and nothing else (issue 12, finding 6).
//!
//! An answer may hold personal data (a request's targets, a contact's phone number), and
//! the API answers JSON, never a page to render. So, unless a handler set its own:
//!
//! - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'; …`: nothing in
//!   an answer may load, run or be framed (CSP Level 3; `frame-ancestors` is what stops
//!   clickjacking, `X-Frame-Options: DENY` says the same to older browsers, RFC 7034);
//! - `X-Content-Type-Options: nosniff`: a browser never guesses a JSON answer is HTML
//!   (Fetch standard §X-Content-Type-Options);
//! - `Referrer-Policy: no-referrer`: no URL of comity's leaves in a `Referer`;
//! - `Cache-Control: no-store`: no browser or proxy keeps a copy (RFC 9111 §5.2.2.5). The
//!   public log's tiles and checkpoint set their own (immutable, or no-cache);
//! - `Strict-Transport-Security` once the client reached comity over HTTPS. comity speaks
//!   plain HTTP and is deployed behind a TLS proxy; the header is sent only when
//!   `--behind-proxy` is set and the proxy says `X-Forwarded-Proto: https`, since a browser
//!   ignores it over plain HTTP (RFC 6797 §7.2) and a client that is not a proxy could
//!   claim anything.

use axum::{
    extract::{Request, State as AxumState},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

use crate::AppState;

/// One year, with subdomains: what hstspreload.org asks for, and a deployment that
/// serves comity over HTTPS once keeps doing so.
const HSTS: &str = "max-age=31536000; includeSubDomains";

const CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Adds the headers to every answer that does not set its own.
pub async fn secure(AxumState(app): AxumState<AppState>, request: Request, next: Next) -> Response {
    let https = over_https(app.trust.behind_proxy, request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CACHE_CONTROL, "no-store");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}

/// Whether the client reached comity over HTTPS: only a trusted proxy can say so.
pub(crate) fn over_https(behind_proxy: bool, headers: &HeaderMap) -> bool {
    behind_proxy
        && headers
            .get_all("x-forwarded-proto")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            // The proxy nearest comity appends last, as with X-Forwarded-For.
            .next_back()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(proto: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for p in proto {
            headers.append("x-forwarded-proto", HeaderValue::from_str(p).unwrap());
        }
        headers
    }

    #[test]
    fn https_is_believed_only_from_a_proxy_and_only_its_last_word() {
        assert!(over_https(true, &forwarded(&["https"])));
        assert!(over_https(true, &forwarded(&["HTTPS"])));
        assert!(over_https(true, &forwarded(&["http, https"])));
        assert!(!over_https(true, &forwarded(&["https, http"])), "the nearest proxy saw http");
        assert!(!over_https(true, &forwarded(&[])));
        assert!(!over_https(false, &forwarded(&["https"])), "anyone can send the header without a proxy");
    }
}

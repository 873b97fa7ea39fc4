//! Notices to systems: a JSON body POSTed to the party's endpoint, signed (RFC 9421) by
//! [`WebhookSigner`], and the outcome sorted into delivered, retry or permanent failure.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{StatusCode, redirect};
use url::Url;

use crate::Disposition;
use crate::mail::is_loopback;
use crate::sign::{Request, SignError, WebhookSigner};

/// The content type of every notice.
pub const NOTICE_CONTENT_TYPE: &str = "application/json";

/// How much of a refusing receiver's answer is kept in the error, in bytes.
const ANSWER_KEPT: usize = 512;

/// A party's webhook endpoint: an absolute `https://` URL, or `http://` to a loopback
/// address (tests, a receiver on the same machine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint(Url);

/// An endpoint that cannot be used, with how to write it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Not a URL.
    #[error("the webhook endpoint is not a URL ({0}): write it as https://receiver.example.org/comity")]
    NotAUrl(String),
    /// Not https, or http to a host that is not this machine.
    #[error(
        "the webhook endpoint {0:?} must use https:// (http:// only to a loopback address): \
         notices must not cross a network in the clear"
    )]
    Insecure(String),
    /// User information or a fragment, which a receiver never sees as such.
    #[error("the webhook endpoint {0:?} has a user, password or fragment: give the URL without them")]
    Extra(String),
}

impl WebhookEndpoint {
    /// Reads an endpoint URL.
    pub fn parse(endpoint: &str) -> Result<Self, EndpointError> {
        let url = Url::parse(endpoint).map_err(|e| EndpointError::NotAUrl(e.to_string()))?;
        let host = url.host_str().unwrap_or("");
        match url.scheme() {
            "https" if !host.is_empty() => {}
            "http" if is_loopback(host) => {}
            _ => return Err(EndpointError::Insecure(endpoint.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(EndpointError::Extra(endpoint.to_owned()));
        }
        Ok(Self(url))
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl FromStr for WebhookEndpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A notice the receiver accepted with a 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The status it answered.
    pub status: u16,
}

/// A notice that was not delivered, and whether trying again may help
/// ([`Self::disposition`]).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The HTTP client cannot be built (at [`WebhookClient::new`]).
    #[error("the webhook client cannot be built: {0}")]
    Client(#[source] reqwest::Error),
    /// The notice cannot be written as JSON.
    #[error("the notice cannot be written as JSON: {0}")]
    Notice(#[from] serde_json::Error),
    /// The request cannot be signed.
    #[error("the notice cannot be signed: {0}")]
    Sign(#[from] SignError),
    /// The receiver answered with something other than 2xx.
    #[error("the receiver answered {status}{}: {hint}{}", retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default(), if answer.is_empty() { String::new() } else { format!("; it said {answer:?}") })]
    Status {
        /// The status.
        status: u16,
        /// Its `Retry-After`, when it gave one that could be read.
        retry_after: Option<Duration>,
        /// What to do about it.
        hint: &'static str,
        /// The start of its answer, or of the redirect's target.
        answer: String,
    },
    /// The receiver did not answer in time.
    #[error("the receiver did not answer within {0:?}")]
    Timeout(Duration),
    /// The receiver could not be reached (DNS, connection, TLS).
    #[error("the receiver could not be reached: {0}")]
    Connect(#[source] reqwest::Error),
    /// The exchange failed midway.
    #[error("the exchange with the receiver failed: {0}")]
    Transport(#[source] reqwest::Error),
}

impl WebhookError {
    /// Whether to try again: a 5xx, 408, 429, a timeout or a network failure may pass
    /// (429 and 503 after their `Retry-After`); any other answer will be the same next
    /// time, and so will a notice that cannot be written or signed.
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Status { status, retry_after, .. } => match StatusCode::from_u16(*status) {
                Ok(s)
                    if s.is_server_error()
                        || s == StatusCode::TOO_MANY_REQUESTS
                        || s == StatusCode::REQUEST_TIMEOUT =>
                {
                    Disposition::Retry { after: *retry_after }
                }
                _ => Disposition::Permanent,
            },
            Self::Timeout(_) | Self::Connect(_) | Self::Transport(_) | Self::Client(_) => {
                Disposition::Retry { after: None }
            }
            Self::Notice(_) | Self::Sign(_) => Disposition::Permanent,
        }
    }
}

/// What to do about a status, for the error's message.
fn hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        300..=399 => {
            "it redirects, and redirects are not followed (the signature covers the target URI): \
             register the URL it redirects to"
        }
        401 | 403 => "it refused the signature: check that it has comity's current public key and key id",
        404 | 410 => "there is no endpoint at that URL: check the registered URL",
        408 | 429 => "it asked to be called later",
        400..=499 => "it refused the notice: see what it said",
        _ => "it failed on its side",
    }
}

/// Delivers signed notices over HTTPS.
#[derive(Debug)]
pub struct WebhookClient {
    http: reqwest::Client,
    signer: WebhookSigner,
    timeout: Duration,
}

impl WebhookClient {
    /// How long a delivery may take by default, from connecting to the whole answer.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A client that signs with `signer` and gives each delivery `timeout`.
    /// Redirects are not followed: the signature names the target URI.
    pub fn new(signer: WebhookSigner, timeout: Duration) -> Result<Self, WebhookError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(redirect::Policy::none())
            .user_agent(concat!("comity-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(WebhookError::Client)?;
        Ok(Self { http, signer, timeout })
    }

    /// The signer, whose public key and id receivers need.
    pub fn signer(&self) -> &WebhookSigner {
        &self.signer
    }

    /// POSTs `notice` as JSON to `endpoint`, signed with `created` (seconds since the
    /// Unix epoch) and `nonce` ([`crate::sign::random_nonce`]), which the caller keeps
    /// with the attempt.
    pub async fn deliver<T: serde::Serialize + ?Sized>(
        &self,
        endpoint: &WebhookEndpoint,
        notice: &T,
        created: u64,
        nonce: &str,
    ) -> Result<Delivered, WebhookError> {
        let body = serde_json::to_vec(notice)?;
        let request = Request {
            method: "POST",
            target: endpoint.url(),
            headers: &[("content-type", NOTICE_CONTENT_TYPE)],
        };
        let signed = self.signer.sign(&request, &body, created, nonce)?;
        let sent = self
            .http
            .post(endpoint.url().clone())
            .header(CONTENT_TYPE, NOTICE_CONTENT_TYPE)
            .header("content-digest", signed.content_digest)
            .header("signature-input", signed.signature_input)
            .header("signature", signed.signature)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Err(WebhookError::Timeout(self.timeout)),
            Err(e) if e.is_connect() => return Err(WebhookError::Connect(e)),
            Err(e) => return Err(WebhookError::Transport(e)),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(Delivered { status: status.as_u16() });
        }
        let retry_after = retry_after(response.headers());
        let location = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).map(str::to_owned);
        // The answer is only for the message; one that does not come in time is left out.
        let answer = match location {
            Some(location) => location,
            None => response.text().await.unwrap_or_default(),
        };
        let mut end = answer.len().min(ANSWER_KEPT);
        while !answer.is_char_boundary(end) {
            end -= 1;
        }
        Err(WebhookError::Status {
            status: status.as_u16(),
            retry_after,
            hint: hint(status),
            answer: answer[..end].to_owned(),
        })
    }
}

/// A `Retry-After` (RFC 9110 §10.2.3): seconds, or an HTTP-date read against the
/// answer's own `Date`, so that neither clock needs to agree with ours.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at: SystemTime = httpdate::parse_http_date(value).ok()?;
    let date: SystemTime = httpdate::parse_http_date(headers.get(DATE)?.to_str().ok()?).ok()?;
    Some(at.duration_since(date).unwrap_or_default())
}

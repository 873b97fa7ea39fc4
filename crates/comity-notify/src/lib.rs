//! comity's notices to parties (issue 13, "Telling parties"): signed webhooks for
//! systems and e-mail for people.
//!
//! - [`sign`]: HTTP Message Signatures (RFC 9421) with Ed25519 and `Content-Digest`
//!   (RFC 9530), sans I/O: what a webhook carries, and how a receiver checks it.
//! - [`WebhookClient`]: POSTs a JSON notice to a [`WebhookEndpoint`], signed, within a
//!   timeout, and sorts the outcome: [`Delivered`] (2xx), or a [`WebhookError`] whose
//!   [`disposition`](WebhookError::disposition) says retry (5xx, 408, 429 with its
//!   `Retry-After`, timeouts, network failures) or give up (any other answer).
//! - [`Mailer`]: plain-text UTF-8 e-mail through an SMTP server named by one
//!   [`SmtpSettings`] URL, its errors sorted the same way ([`MailError::disposition`]).
//! - [`RetryPolicy`]: when to try again, as data (30 s, 2 min, 10 min, 1 h, then every
//!   6 h; dead letters after 8 attempts by default). Nothing here sleeps.
//!
//! ```
//! use comity_notify::sign::{Expect, Request, WEBHOOK_COMPONENTS, WEBHOOK_TAG, WebhookSigner, verify};
//! use comity_notify::{Disposition, Next, RetryPolicy, WebhookEndpoint};
//! use ed25519_dalek::SigningKey;
//!
//! // comity signs a notice for a party's endpoint...
//! let signer = WebhookSigner::new(SigningKey::from_bytes(&[7; 32]), "comity-2026")?;
//! let endpoint = WebhookEndpoint::parse("https://provider.example/comity/notices")?;
//! let body = br#"{"request":"0195b0a4","event":"approved"}"#;
//! let request = Request { method: "POST", target: endpoint.url(), headers: &[("content-type", "application/json")] };
//! let signed = signer.sign(&request, body, 1_767_225_600, "n-0001")?;
//!
//! // ...and the receiver checks it with comity's public key.
//! let received = [
//!     ("content-type", "application/json"),
//!     ("content-digest", signed.content_digest.as_str()),
//!     ("signature-input", signed.signature_input.as_str()),
//!     ("signature", signed.signature.as_str()),
//! ];
//! let key = signer.verifying_key();
//! let expect = Expect { tag: Some(WEBHOOK_TAG), covers: &WEBHOOK_COMPONENTS, ..Expect::default() };
//! let verified = verify(&Request { headers: &received, ..request }, Some(body), |id| (id == "comity-2026").then_some(key), &expect)?;
//! assert_eq!(verified.params.nonce.as_deref(), Some("n-0001"));
//!
//! // A delivery that failed for now is tried again later, then given up.
//! let policy = RetryPolicy::default();
//! let busy = Disposition::Retry { after: None };
//! assert_eq!(policy.next(1, busy), Next::RetryIn(std::time::Duration::from_secs(30)));
//! assert_eq!(policy.next(8, busy), Next::DeadLetter);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - This crate depends on no other crate of comity. It knows nothing of requests or
//!   parties: the caller gives it an endpoint or an address, a notice and the times, and
//!   records the outcome. The outbox (rows written from the audit log in the transaction
//!   that moves its cursor) is the store's; the delivery worker is `comity-app`'s
//!   `Notifier`, which every server runs.
//! - Signing is sans I/O and deterministic: `created` and the nonce are passed in, so the
//!   caller can keep them with the attempt and tests can hold the output to the RFC's
//!   vectors (Appendix B.2.6). Structured fields are `sfv`'s (RFC 8941), not ours.
//! - A webhook's signature covers the method, the full target URI, `Content-Digest` and
//!   `Content-Type`, and carries a `nonce` and `tag="comity-webhook"`: a receiver can
//!   refuse replays and signatures made for something else. Redirects are not followed.
//! - Plain HTTP and SMTP without TLS are allowed only to loopback addresses: a notice
//!   names a request, and does not cross a network in the clear.
//! - Errors are typed and say what to fix; each failure says whether to retry, and
//!   [`RetryPolicy::next`] turns that into a delay or a dead letter.
//!
//! # Tests against outside implementations
//!
//! `tests/it` checks webhooks against a receiver in Python that verifies them with pyauth's
//! `http-message-signatures` (RFC 9421), and e-mail against `aiosmtpd`. Both come from
//! PyPI, pinned in `tests/python/requirements.txt`, into a virtual environment that one
//! command makes, for developers and CI alike:
//!
//! ```sh
//! crates/comity-notify/tests/python/setup   # creates target/notify-python
//! ```
//!
//! Without it those tests print `SKIPPED (python tools)` and pass, unless
//! `COMITY_REQUIRE_PYTHON_TOOLS=1`, which CI sets, makes them fail.

mod mail;
mod retry;
pub mod sign;
mod webhook;

pub use lettre::message::Mailbox;
pub use mail::{MailError, Mailer, Security, SettingsError, SmtpSettings};
pub use retry::{Disposition, Next, NoAttempts, RetryPolicy};
pub use webhook::{
    Delivered, EndpointError, NOTICE_CONTENT_TYPE, WebhookClient, WebhookEndpoint, WebhookError, retry_after,
};

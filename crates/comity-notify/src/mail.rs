//! Notices to people, by e-mail over SMTP (RFC 5321), through `lettre`.
//!
//! One setting says where and how: [`SmtpSettings::parse`] reads
//!
//! ```text
//! smtps://USER:PASSWORD@HOST[:465]?from=ADDRESS[&timeout=SECONDS]   implicit TLS (RFC 8314 §3.3)
//! smtp://USER:PASSWORD@HOST[:587]?from=ADDRESS                      STARTTLS, required (RFC 3207)
//! smtp+insecure://HOST:PORT?from=ADDRESS                            no TLS: loopback only (tests, a local relay)
//! ```
//!
//! User and password are optional and percent-encoded, as in any URL; so is the from
//! address (`from=Comity%20%3Cnotices%40example.org%3E` or `from=notices@example.org`; a
//! `+` is a plus, not a space). TLS is rustls with the machine's certificate store.
//!
//! [`Mailer::send`] sends one plain-text message, UTF-8, with a `Message-ID` of our own
//! (RFC 5322 §3.6.4) that it returns, so the caller can record what it sent.

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;
use rand_core::{OsRng, RngCore};
use url::Url;

use crate::Disposition;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`, port 465 by default; RFC 8314 §3.3).
    ImplicitTls,
    /// STARTTLS, which the server must offer (`smtp://`, port 587 by default; RFC 3207).
    StartTls,
    /// None (`smtp+insecure://`): only to a loopback address, for tests and a relay on
    /// the same machine.
    None,
}

/// Where and how to send e-mail, parsed from one URL-like setting.
#[derive(Clone)]
pub struct SmtpSettings {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<(String, String)>,
    from: Mailbox,
    timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never shows.
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// An SMTP setting that cannot be used, with how to write it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// Not a URL at all.
    #[error(
        "the SMTP setting is not a URL ({0}): write it as smtps://user:password@smtp.example.org?from=notices@example.org"
    )]
    NotAUrl(String),
    /// A scheme other than the three known.
    #[error(
        "the SMTP setting's scheme is {0:?}: use smtps:// (implicit TLS), smtp:// (STARTTLS) or \
         smtp+insecure:// (no TLS, loopback only)"
    )]
    Scheme(String),
    /// No host.
    #[error("the SMTP setting has no host: write smtps://smtp.example.org?from=notices@example.org")]
    NoHost,
    /// `smtp+insecure` to a host that is not this machine.
    #[error(
        "smtp+insecure:// sends notices and passwords in the clear, so it may only name a loopback address \
         (127.0.0.1, [::1], localhost), not {0:?}: use smtps:// or smtp:// for another host"
    )]
    InsecureHost(String),
    /// A user without a password, or a part that is not UTF-8 once decoded.
    #[error(
        "the SMTP setting's credentials are incomplete or not UTF-8: write user:password@ (percent-encoded)"
    )]
    Credentials,
    /// No `from`.
    #[error("the SMTP setting names no sender: add ?from=notices@example.org")]
    NoFrom,
    /// A `from` that is not an address.
    #[error(
        "the SMTP setting's from {0:?} is not an e-mail address: give one as notices@example.org or Name <notices@example.org>"
    )]
    From(String),
    /// A `timeout` that is not a whole number of seconds above zero.
    #[error("the SMTP setting's timeout {0:?} is not a number of seconds: write timeout=30")]
    Timeout(String),
    /// A query parameter other than `from` and `timeout`.
    #[error("the SMTP setting has an unknown parameter {0:?}: only from and timeout are read")]
    Unknown(String),
}

impl SmtpSettings {
    /// How long connecting and each exchange with the server may take by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Reads a setting such as `smtps://user:pw@smtp.example.org?from=notices@example.org`.
    pub fn parse(setting: &str) -> Result<Self, SettingsError> {
        let url = Url::parse(setting).map_err(|e| SettingsError::NotAUrl(e.to_string()))?;
        let (security, default_port) = match url.scheme() {
            "smtps" => (Security::ImplicitTls, 465),
            "smtp" => (Security::StartTls, 587),
            "smtp+insecure" => (Security::None, 25),
            other => return Err(SettingsError::Scheme(other.to_owned())),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or(SettingsError::NoHost)?.to_owned();
        if security == Security::None && !is_loopback(&host) {
            return Err(SettingsError::InsecureHost(host));
        }
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, Some(password)) if !user.is_empty() => Some((decode(user)?, decode(password)?)),
            _ => return Err(SettingsError::Credentials),
        };

        let mut from = None;
        let mut timeout = Self::DEFAULT_TIMEOUT;
        // Read by hand rather than as a form: a `+` in an address stays a plus.
        for pair in url.query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value =
                percent_decode_str(value).decode_utf8().map_err(|_| SettingsError::From(value.to_owned()))?;
            match key {
                "from" => {
                    from =
                        Some(Mailbox::from_str(&value).map_err(|_| SettingsError::From(value.to_string()))?);
                }
                "timeout" => {
                    timeout = value
                        .parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .map(Duration::from_secs)
                        .ok_or_else(|| SettingsError::Timeout(value.to_string()))?;
                }
                other => return Err(SettingsError::Unknown(other.to_owned())),
            }
        }
        let from = from.ok_or(SettingsError::NoFrom)?;
        Ok(Self { host, port: url.port().unwrap_or(default_port), security, credentials, from, timeout })
    }

    /// The server's host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is protected.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The sender of every message.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// How long connecting and each exchange may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl FromStr for SmtpSettings {
    type Err = SettingsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn decode(part: &str) -> Result<String, SettingsError> {
    percent_decode_str(part).decode_utf8().map(|s| s.into_owned()).map_err(|_| SettingsError::Credentials)
}

/// Whether `host` is this machine: `localhost` or a loopback address.
pub(crate) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A message that was not sent, and whether trying again may help ([`Self::disposition`]).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// TLS to the server cannot be set up (at [`Mailer::new`]).
    #[error("TLS to the SMTP server {host:?} cannot be set up: {source}")]
    Tls {
        /// The server.
        host: String,
        /// Why.
        source: lettre::transport::smtp::Error,
    },
    /// A subject with a line break, which would start a new header.
    #[error("the subject holds a line break: give the subject on one line")]
    Subject,
    /// The message cannot be built (an address lettre refuses, ...).
    #[error("the message cannot be built: {0}")]
    Message(#[from] lettre::error::Error),
    /// The server refused for good (a 5xx reply, RFC 5321 §4.2.1), such as an unknown
    /// recipient.
    #[error("the SMTP server refused the message for good ({0}): check the recipient's address")]
    Rejected(#[source] lettre::transport::smtp::Error),
    /// The server refused for now (a 4xx reply, RFC 5321 §4.2.1).
    #[error("the SMTP server deferred the message ({0}): it will be tried again")]
    Deferred(#[source] lettre::transport::smtp::Error),
    /// The server could not be reached, timed out, or the exchange failed (including
    /// TLS, and a server that does not offer STARTTLS when it is required).
    #[error("the SMTP server could not be reached or did not complete the exchange: {0}")]
    Transport(#[source] lettre::transport::smtp::Error),
}

impl MailError {
    /// Whether to try again: deferrals and transport failures may pass; a refusal, or a
    /// message that cannot be built, will not.
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Subject | Self::Message(_) | Self::Rejected(_) => Disposition::Permanent,
            Self::Tls { .. } | Self::Deferred(_) | Self::Transport(_) => Disposition::Retry { after: None },
        }
    }
}

/// Sends notices by e-mail from one sender through one SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `settings`. Nothing is sent or connected yet.
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let tls_error = |source| MailError::Tls { host: settings.host.clone(), source };
        let tls = match settings.security {
            Security::ImplicitTls => {
                Tls::Wrapper(TlsParameters::new(settings.host.clone()).map_err(tls_error)?)
            }
            Security::StartTls => {
                Tls::Required(TlsParameters::new(settings.host.clone()).map_err(tls_error)?)
            }
            Security::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self { transport: builder.build(), from: settings.from.clone() })
    }

    /// Sends `body` as a plain-text UTF-8 message with `subject` to `to`, and returns its
    /// `Message-ID`. The subject and the display names are encoded for the header as
    /// RFC 2047 says, the body as quoted-printable or base64 where it is not ASCII. Its
    /// lines arrive ending with CRLF, the last one included.
    pub async fn send(&self, to: &Mailbox, subject: &str, body: &str) -> Result<String, MailError> {
        if subject.contains(['\r', '\n']) {
            return Err(MailError::Subject);
        }
        // lettre ends the last line of every body itself (RFC 5322 §2.3: lines end with
        // CRLF); a body that already ends with a line break would gain an empty line.
        let body = body.strip_suffix('\n').map_or(body, |b| b.strip_suffix('\r').unwrap_or(b));
        let message_id = message_id(self.from.email.domain());
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())?;
        match self.transport.send(message).await {
            Ok(_) => Ok(message_id),
            Err(e) if e.is_permanent() => Err(MailError::Rejected(e)),
            Err(e) if e.is_transient() => Err(MailError::Deferred(e)),
            Err(e) => Err(MailError::Transport(e)),
        }
    }
}

/// A fresh `Message-ID` (RFC 5322 §3.6.4): 128 random bits at the sender's domain.
fn message_id(domain: &str) -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

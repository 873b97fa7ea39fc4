//! Why a signed submission is refused, with one stable code per reason.

use crate::shown::{Shown, bounded};

/// The longest text from outside (a `kid`, an `iss`, a `jti`) an error keeps.
const KEPT_CHARS: usize = 128;

/// Why comity refuses a signed submission.
///
/// Every refusal has a stable snake_case [`code`](JwsRefusal::code) for the API's error
/// shape, and a message (its `Display`) that tells the sender what to fix. The parser and
/// [`check_claims`](super::check_claims) decide most of them; the server decides the rest
/// (which keys are registered and to whom, the audience, replays), and builds them with
/// the constructors below, so that each refusal has one spelling wherever it is decided.
///
/// Text that came from the sender (a `kid`, an `alg`, an `iss`) is kept bounded and shown
/// quoted and escaped, never raw, so it cannot forge a line in a log or a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwsRefusal {
    /// `missing_signature`: there is no JWS, or its signature part is empty.
    #[error(
        "the submission is not signed: send it as a compact JWS (RFC 7515 §7.1) signed with \
         your registered Ed25519 key, with \"alg\":\"EdDSA\" and the key's \"kid\" in the header"
    )]
    MissingSignature,
    /// `malformed_jws`: the JWS or its claims do not have the required form. The text
    /// says what is wrong; it was written by comity and quotes the input only escaped.
    #[error("malformed JWS: {0}")]
    Malformed(String),
    /// `unsupported_algorithm`: the header's `alg` is neither `"EdDSA"` nor its RFC 9864
    /// name `"Ed25519"`. Holds the `alg` given, bounded.
    #[error(
        "unsupported algorithm {}: comity accepts only \"alg\":\"EdDSA\" with an Ed25519 key \
         (RFC 8037 §3.1), also named \"Ed25519\" (RFC 9864)",
        Shown::short(.0)
    )]
    UnsupportedAlgorithm(String),
    /// `unknown_key`: no registered key has this `kid`.
    #[error(
        "no registered key has the kid {}: use the key id comity gave when the key was \
         registered (by default its RFC 7638 thumbprint)",
        Shown::short(kid)
    )]
    UnknownKey {
        /// The `kid` of the header, bounded.
        kid: String,
    },
    /// `bad_signature`: the signature does not verify with the key the `kid` names.
    #[error(
        "the signature does not verify with the registered key the kid names: sign the ASCII \
         bytes of BASE64URL(header) '.' BASE64URL(payload) (RFC 7515 §5.1) with that key, and \
         change nothing after signing"
    )]
    BadSignature,
    /// `key_not_of_issuer`: the key is registered, but to another party than the `iss`.
    #[error(
        "the key {} is not registered to the issuer {}: sign with one of the issuer's own keys",
        Shown::short(kid),
        Shown::short(iss)
    )]
    KeyNotOfIssuer {
        /// The `kid` of the header, bounded.
        kid: String,
        /// The `iss` claim, bounded.
        iss: String,
    },
    /// `key_revoked`: the key was revoked; nothing it signed is accepted any more.
    #[error("the key {} has been revoked: register a new key and sign with it", Shown::short(kid))]
    KeyRevoked {
        /// The `kid` of the header, bounded.
        kid: String,
    },
    /// `key_not_active`: the key was not active at the token's `iat`: a rotation retired
    /// it before then, or it was added after.
    #[error(
        "the key {} was not active at the token's iat: it was retired by a key rotation \
         before then, or added after; sign with the key that is active now",
        Shown::short(kid)
    )]
    KeyNotActive {
        /// The `kid` of the header, bounded.
        kid: String,
    },
    /// `expired`: now ≥ `exp` + the allowed clock skew (RFC 7519 §4.1.4).
    #[error(
        "the token expired: exp is {exp}, now is {now} (with {skew} s allowed for clock skew); \
         sign it again with a fresh iat and exp"
    )]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The time of the check, in unix seconds.
        now: i64,
        /// The clock skew allowed, in seconds.
        skew: u32,
    },
    /// `issued_in_future`: `iat` (or `nbf`, RFC 7519 §4.1.5) is later than now + the
    /// allowed clock skew.
    #[error(
        "the token's {claim} is {value}, later than now ({now}) plus {skew} s of allowed clock \
         skew: check the signer's clock"
    )]
    IssuedInFuture {
        /// `"iat"` or `"nbf"`.
        claim: &'static str,
        /// That claim's value.
        value: i64,
        /// The time of the check, in unix seconds.
        now: i64,
        /// The clock skew allowed, in seconds.
        skew: u32,
    },
    /// `lifetime_too_long`: `exp` − `iat` is over the limit, or `exp` ≤ `iat`.
    #[error(
        "the token's lifetime exp - iat is {} s (iat {iat}, exp {exp}); it must be positive and \
         at most {max} s: a signed submission is short-lived, so that a copy of it is soon worthless",
        i128::from(*exp) - i128::from(*iat)
    )]
    LifetimeTooLong {
        /// The `iat` claim.
        iat: i64,
        /// The `exp` claim.
        exp: i64,
        /// The longest lifetime allowed, in seconds.
        max: u32,
    },
    /// `wrong_audience`: the `aud` claim does not name this comity server.
    #[error(
        "the token is for the audience {}, not {}: set \"aud\" to {}",
        Shown::short(got),
        Shown::short(expected),
        Shown::short(expected)
    )]
    WrongAudience {
        /// The audience this server expects, bounded.
        expected: String,
        /// The `aud` claim, bounded.
        got: String,
    },
    /// `issuer_mismatch`: the `iss` claim is not the party the request is submitted as.
    #[error(
        "the token's iss is {}, but the submission is made as {}: set \"iss\" to {}",
        Shown::short(got),
        Shown::short(expected),
        Shown::short(expected)
    )]
    IssuerMismatch {
        /// The party the submission is made as, bounded.
        expected: String,
        /// The `iss` claim, bounded.
        got: String,
    },
    /// `replayed`: a token with this `jti` from this issuer was already accepted.
    #[error(
        "a token with the jti {} was already accepted: every submission needs a fresh, unique \
         jti and a new signature",
        Shown::short(jti)
    )]
    Replayed {
        /// The `jti` claim, bounded.
        jti: String,
    },
}

impl JwsRefusal {
    /// The stable code for the API's error shape, in snake_case. These strings are part of
    /// comity's API: they never change for a given refusal.
    pub fn code(&self) -> &'static str {
        match self {
            JwsRefusal::MissingSignature => "missing_signature",
            JwsRefusal::Malformed(_) => "malformed_jws",
            JwsRefusal::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            JwsRefusal::UnknownKey { .. } => "unknown_key",
            JwsRefusal::BadSignature => "bad_signature",
            JwsRefusal::KeyNotOfIssuer { .. } => "key_not_of_issuer",
            JwsRefusal::KeyRevoked { .. } => "key_revoked",
            JwsRefusal::KeyNotActive { .. } => "key_not_active",
            JwsRefusal::Expired { .. } => "expired",
            JwsRefusal::IssuedInFuture { .. } => "issued_in_future",
            JwsRefusal::LifetimeTooLong { .. } => "lifetime_too_long",
            JwsRefusal::WrongAudience { .. } => "wrong_audience",
            JwsRefusal::IssuerMismatch { .. } => "issuer_mismatch",
            JwsRefusal::Replayed { .. } => "replayed",
        }
    }

    /// Every code [`code`](JwsRefusal::code) can return, for documentation and tests.
    pub const CODES: [&'static str; 14] = [
        "missing_signature",
        "malformed_jws",
        "unsupported_algorithm",
        "unknown_key",
        "bad_signature",
        "key_not_of_issuer",
        "key_revoked",
        "key_not_active",
        "expired",
        "issued_in_future",
        "lifetime_too_long",
        "wrong_audience",
        "issuer_mismatch",
        "replayed",
    ];

    /// `missing_signature`: for a submission that came without a JWS at all.
    pub fn missing_signature() -> JwsRefusal {
        JwsRefusal::MissingSignature
    }

    /// `unknown_key`: no registered key has this `kid`.
    pub fn unknown_key(kid: &str) -> JwsRefusal {
        JwsRefusal::UnknownKey { kid: bounded(kid, KEPT_CHARS) }
    }

    /// `key_not_of_issuer`: the key `kid` is registered to another party than `iss`.
    pub fn key_not_of_issuer(kid: &str, iss: &str) -> JwsRefusal {
        JwsRefusal::KeyNotOfIssuer { kid: bounded(kid, KEPT_CHARS), iss: bounded(iss, KEPT_CHARS) }
    }

    /// `key_revoked`: the key `kid` was revoked.
    pub fn key_revoked(kid: &str) -> JwsRefusal {
        JwsRefusal::KeyRevoked { kid: bounded(kid, KEPT_CHARS) }
    }

    /// `key_not_active`: the key `kid` was retired by rotation before the token's `iat`,
    /// or added after it.
    pub fn key_not_active(kid: &str) -> JwsRefusal {
        JwsRefusal::KeyNotActive { kid: bounded(kid, KEPT_CHARS) }
    }

    /// `wrong_audience`: the `aud` claim `got` is not the `expected` audience.
    pub fn wrong_audience(expected: &str, got: &str) -> JwsRefusal {
        JwsRefusal::WrongAudience { expected: bounded(expected, KEPT_CHARS), got: bounded(got, KEPT_CHARS) }
    }

    /// `issuer_mismatch`: the `iss` claim `got` is not the party `expected`.
    pub fn issuer_mismatch(expected: &str, got: &str) -> JwsRefusal {
        JwsRefusal::IssuerMismatch { expected: bounded(expected, KEPT_CHARS), got: bounded(got, KEPT_CHARS) }
    }

    /// `replayed`: a token with this `jti` was already accepted from this issuer.
    pub fn replayed(jti: &str) -> JwsRefusal {
        JwsRefusal::Replayed { jti: bounded(jti, KEPT_CHARS) }
    }

    /// `malformed_jws` with comity's own sentence.
    pub(crate) fn malformed(why: impl Into<String>) -> JwsRefusal {
        JwsRefusal::Malformed(why.into())
    }
}

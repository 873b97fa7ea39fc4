//! One-time codes from an authenticator app: TOTP (RFC 6238) with HMAC-SHA-1, 6 digits
//! and 30-second steps, the parameters every authenticator app supports (RFC 6238 §4,
//! §5.2), computed by `totp-rs`.
//!
//! A code is accepted in the step of `now` and one step either side (RFC 6238 §5.2), and
//! refused in a step at or before the last one accepted for the same user, so that a code
//! seen over a shoulder or in a log cannot be used again (RFC 6238 §5.2: "the verifier
//! MUST NOT accept the second attempt of the OTP after the successful validation").
//!
//! ```
//! use comity_auth::totp::{self, TotpSecret};
//!
//! let secret = TotpSecret::generate(); // seal it, store it, show the URI as a QR code
//! let uri = secret.otpauth_uri("comity", "ana@provider.example")?;
//! assert!(uri.starts_with("otpauth://totp/comity:ana%40provider.example?secret="));
//!
//! let now = 1_767_225_600;
//! let step = totp::verify(&secret, &totp::code_at(&secret, now), now, None)?;
//! // Store `step`; the same code is refused from now on.
//! assert!(totp::verify(&secret, &totp::code_at(&secret, now), now, Some(step)).is_err());
//! # Ok::<(), totp::TotpError>(())
//! ```

use std::fmt;

use rand_core::{OsRng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

/// The length of a code.
pub const DIGITS: usize = 6;
/// The length of a step, in seconds.
pub const STEP_SECS: u64 = 30;

/// Why a code or a secret is refused. The message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// The code is not 6 digits.
    #[error("the code must be the {DIGITS} digits the authenticator app shows, without spaces")]
    Format,
    /// The code does not match the step of now or a step either side.
    #[error(
        "the code is wrong or too old: enter the code the authenticator app shows now, and check \
         that the device's clock is right"
    )]
    Mismatch,
    /// The code was already used: it matches a step at or before the last one accepted.
    #[error("this code was already used; wait for the authenticator app to show the next one")]
    Replayed,
    /// A secret of the wrong length.
    #[error("a TOTP secret is 16 to 64 bytes (RFC 4226 §4 asks for at least 128 bits); this one is {0}")]
    SecretLength(usize),
    /// An issuer or account name that cannot go into an otpauth URI.
    #[error("the {0} of an otpauth URI must be non-empty and must not contain ':'")]
    Label(&'static str),
    /// Text that is not base32.
    #[error("the secret is not base32 (the letters A-Z and the digits 2-7 an authenticator app shows)")]
    Base32,
}

/// A TOTP secret: the key shared with the user's authenticator app. Its `Debug` does not
/// show it. Store it sealed (see [`crate::seal`]).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A new secret of 20 random bytes, the length of an HMAC-SHA-1 output (RFC 4226 §4).
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; 20];
        OsRng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// A secret from its bytes, 16 to 64 of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<TotpSecret, TotpError> {
        if (16..=64).contains(&bytes.len()) {
            Ok(TotpSecret(bytes.to_vec()))
        } else {
            Err(TotpError::SecretLength(bytes.len()))
        }
    }

    /// A secret from its base32 (RFC 4648 §6), as [`TotpSecret::base32`] gives it and
    /// authenticator apps show it; spaces and padding are ignored, case too.
    pub fn from_base32(text: &str) -> Result<TotpSecret, TotpError> {
        let clean: String = text.chars().filter(|c| !c.is_whitespace() && *c != '=').collect();
        let bytes =
            totp_rs::Secret::Encoded(clean.to_ascii_uppercase()).to_bytes().map_err(|_| TotpError::Base32)?;
        TotpSecret::from_bytes(&bytes)
    }

    /// The secret's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in base32 without padding, for a user who types it into the app.
    pub fn base32(&self) -> String {
        self.totp(DIGITS).get_secret_base32()
    }

    /// The `otpauth://totp/<issuer>:<account>?secret=...&issuer=...` URI that an
    /// authenticator app reads from a QR code (Google Authenticator's "Key Uri Format").
    /// Neither `issuer` nor `account` may be empty or contain `:`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<String, TotpError> {
        for (label, what) in [(issuer, "issuer"), (account, "account name")] {
            if label.is_empty() || label.contains(':') {
                return Err(TotpError::Label(what));
            }
        }
        let mut totp = self.totp(DIGITS);
        totp.issuer = Some(issuer.to_owned());
        totp.account_name = account.to_owned();
        Ok(totp.get_url())
    }

    fn totp(&self, digits: usize) -> TOTP {
        // Unchecked: the length is checked by `from_bytes`, and `digits` is 6, or 8 for
        // the RFC's vectors.
        TOTP::new_unchecked(Algorithm::SHA1, digits, 1, STEP_SECS, self.0.clone(), None, String::new())
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// The code for the step of `now_unix`, as the authenticator app shows it.
pub fn code_at(secret: &TotpSecret, now_unix: u64) -> String {
    code_for_step(secret, now_unix / STEP_SECS, DIGITS)
}

/// The code of `step` with `digits` digits (RFC 6238 §4.2: T = step, HOTP of RFC 4226
/// §5.3 truncated to `digits`).
fn code_for_step(secret: &TotpSecret, step: u64, digits: usize) -> String {
    secret.totp(digits).generate(step.saturating_mul(STEP_SECS))
}

/// Verifies `code` at `now_unix` and returns the step it matched: store it as the user's
/// `last_step`, and pass it to the next call.
///
/// The code must be 6 ASCII digits (surrounding whitespace is ignored). It is compared,
/// in constant time, with the codes of the step of now and the steps either side. A code
/// whose step is at or before `last_step` is [`TotpError::Replayed`].
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now_unix: u64,
    last_step: Option<u64>,
) -> Result<u64, TotpError> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Format);
    }
    let now = now_unix / STEP_SECS;
    let mut accepted = None;
    let mut replayed = false;
    // All three steps are always computed, whatever matches, so the time taken does not
    // tell which step matched.
    for step in [now.checked_sub(1), Some(now), now.checked_add(1)].into_iter().flatten() {
        let matches: bool = code_for_step(secret, step, DIGITS).as_bytes().ct_eq(code.as_bytes()).into();
        if matches {
            if last_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else {
                accepted = Some(step);
            }
        }
    }
    match (accepted, replayed) {
        (Some(step), _) => Ok(step),
        (None, true) => Err(TotpError::Replayed),
        (None, false) => Err(TotpError::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, the SHA-1 rows: the seed is the ASCII "12345678901234567890",
    /// the codes have 8 digits.
    #[test]
    fn rfc6238_appendix_b_sha1() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_for_step(&secret, time / STEP_SECS, 8), code, "T = {time}");
            // The 6-digit code is the same number modulo 10^6 (RFC 4226 §5.3).
            assert_eq!(code_at(&secret, time), code[2..], "T = {time}");
        }
    }
}

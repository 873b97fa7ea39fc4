//! Passwords: argon2id hashes in PHC string format, and the password policy.
//!
//! The parameters are OWASP's first recommendation for argon2id (Password Storage Cheat
//! Sheet): m = 19 MiB, t = 2, p = 1. RFC 9106 §4 recommends more memory where a server can
//! afford it; 19 MiB keeps a burst of logins on a small server from exhausting memory.
//! The parameters are stored in each hash, so raising them later needs only
//! [`needs_rehash`] at the next login.
//!
//! ```
//! use comity_auth::password;
//!
//! let phc = password::hash("correct horse battery staple")?;
//! assert!(password::verify("correct horse battery staple", &phc));
//! assert!(!password::verify("Tr0ub4dor&3", &phc));
//! # Ok::<(), password::PasswordError>(())
//! ```

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand_core::{OsRng, RngCore};

/// The memory cost, in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// The number of passes.
pub const ITERATIONS: u32 = 2;
/// The degree of parallelism.
pub const PARALLELISM: u32 = 1;

/// The shortest password accepted, in characters (NIST SP 800-63B §3.1.1.2 asks for at
/// least 8, and 15 without a second factor).
pub const MIN_CHARS: usize = 12;
/// The longest password accepted, in characters: long enough for any passphrase, short
/// enough that hashing one is not a denial of service.
pub const MAX_CHARS: usize = 1024;

/// Why a password is refused, saying what to change; or why hashing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password has {chars} characters; use at least {MIN_CHARS} (a few words make a good one)")]
    TooShort {
        /// How many characters it has.
        chars: usize,
    },
    /// More than [`MAX_CHARS`] characters.
    #[error("the password has {chars} characters; use at most {MAX_CHARS}")]
    TooLong {
        /// How many characters it has.
        chars: usize,
    },
    /// Only whitespace.
    #[error("the password is only whitespace; use letters, digits or symbols too")]
    OnlyWhitespace,
    /// The hash could not be made. A bug: the parameters are fixed and valid.
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
}

fn argon2id() -> Argon2<'static> {
    match Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None) {
        Ok(params) => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        // The constants above are within argon2's bounds (RFC 9106 §3.1), so this arm is
        // never taken; argon2's own defaults are the same OWASP values.
        Err(_) => Argon2::default(),
    }
}

/// Checks a new password against the policy: [`MIN_CHARS`] to [`MAX_CHARS`] characters,
/// and not only whitespace. Following NIST SP 800-63B §3.1.1.2, it imposes no rules on
/// character classes, which make passwords harder to remember and no harder to guess.
pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort { chars });
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong { chars });
    }
    if password.chars().all(char::is_whitespace) {
        return Err(PasswordError::OnlyWhitespace);
    }
    Ok(())
}

/// Checks `password` against the [policy](check_policy), then hashes it with argon2id
/// and a fresh random salt, into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_policy(password)?;
    let salt = SaltString::generate(&mut OsRng);
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. False for a malformed PHC string too;
/// never panics. Takes as long as hashing with the parameters stored in `phc`.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) if parsed.algorithm == argon2::ARGON2ID_IDENT => {
            argon2id().verify_password(password.as_bytes(), &parsed).is_ok()
        }
        _ => false,
    }
}

/// Spends the time of a [`verify`] with the current parameters, and returns nothing.
///
/// Call it when a login names a user who does not exist (or has no password), so that the
/// answer's timing does not tell whether the user exists.
pub fn dummy_verify(password: &str) {
    // `verify` is one argon2id hash with the stored parameters and a constant-time
    // comparison; hashing into a throwaway buffer costs the same.
    let mut output = [0u8; 32];
    let _ = argon2id().hash_password_into(password.as_bytes(), b"comity dummy salt", &mut output);
}

/// Whether `phc` was made with other parameters than the current ones (another
/// algorithm, version, cost or output length), or is not an argon2id PHC string: hash the
/// password again after the next successful login.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return true };
    let Ok(params) = Params::try_from(&parsed) else { return true };
    parsed.algorithm != argon2::ARGON2ID_IDENT
        || parsed.version != Some(Version::V0x13.into())
        || (params.m_cost(), params.t_cost(), params.p_cost()) != (MEMORY_KIB, ITERATIONS, PARALLELISM)
        || parsed.hash.map(|output| output.len()) != Some(Params::DEFAULT_OUTPUT_LEN)
}

/// A random password for enrolment: 20 characters from 56 letters and digits, without
/// those easily confused (`0 O o 1 l I`), about 116 bits. The user changes it at first
/// login.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // The largest multiple of the alphabet's size in a byte; bytes above it are drawn
    // again, so that every character is equally likely.
    const LIMIT: u8 = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut password = String::with_capacity(20);
    while password.len() < 20 {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        if byte[0] < LIMIT {
            password.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    password
}

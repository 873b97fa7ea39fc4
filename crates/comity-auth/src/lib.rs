//! comity's credentials and signatures.
//!
//! Everything issue 5 ("identity and trust: signed requests, strong login, need-to-know
//! access") needs to prove who is asking, in the formats the field uses:
//!
//! - [`jws`]: requests signed by authorities as compact JWS (RFC 7515) with Ed25519
//!   (RFC 8037), their keys as JWK or PEM, key ids as RFC 7638 thumbprints, and the checks
//!   on their claims, each refusal with a stable code;
//! - [`token`]: API tokens for systems, `comity_<id>_<secret>`, stored as SHA-256;
//! - [`password`]: argon2id password hashes with OWASP's parameters, and the password
//!   policy;
//! - [`totp`]: one-time codes from an authenticator app (RFC 6238), with replay refusal;
//! - [`seal`]: secrets at rest (such as TOTP secrets) sealed with XChaCha20-Poly1305 and
//!   bound to their row;
//! - [`opaque`]: random bearer secrets for sessions and one-time links, stored as SHA-256.
//!
//! This crate is sans I/O apart from the operating system's randomness, and depends on
//! no other crate of comity: the server, the store and the command line call it, and an
//! auditor can read how comity checks a signature without reading the rest.
//!
//! Secrets never show in `Debug` output, and text from outside never goes unescaped into
//! an error message.
//!
//! ```
//! use comity_auth::jws::{Claims, Limits, SigningKey, check_claims, parse_compact};
//!
//! // An authority signs a request (here with comity's own signer; any JOSE library does).
//! let key = SigningKey::generate();
//! let kid = key.public().key_id(); // the RFC 7638 thumbprint
//! let now = 1_767_225_600;
//! let claims = Claims {
//!     iss: "fr-pnc".into(),
//!     aud: "https://comity.example.org".into(),
//!     iat: now,
//!     exp: now + 300,
//!     jti: "0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f".into(),
//!     request: serde_json::json!({"version": 1}).as_object().cloned().unwrap_or_default(),
//! };
//! let jws = key.sign_compact(&kid, &claims.to_payload());
//!
//! // comity checks the form, finds the key by its id, verifies, then checks the claims.
//! let compact = parse_compact(&jws)?;
//! assert_eq!(compact.kid(), &kid);
//! compact.verify(&key.public())?;
//! let checked = check_claims(compact.payload(), now + 10, &Limits::default())?;
//! checked.check_audience("https://comity.example.org")?;
//! assert_eq!(checked, claims);
//!
//! // A refusal has a stable code and a message that says what to fix.
//! let refusal = parse_compact("eyJhbGciOiJub25lIn0.e30.").unwrap_err();
//! assert_eq!(refusal.code(), "unsupported_algorithm");
//! # Ok::<(), comity_auth::jws::JwsRefusal>(())
//! ```

mod b64;
mod json;
pub mod jws;
pub mod opaque;
pub mod password;
pub mod seal;
mod shown;
pub mod token;
pub mod totp;

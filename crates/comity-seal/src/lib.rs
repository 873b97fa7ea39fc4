//! comity's sealed production packages (issue 6).
//!
//! A production leaves the provider as one file, `PKG.age`: a tar archive of
//!
//! 1. `manifest.json`: what was produced, for whom, under which decision and legal basis,
//!    for which purpose, until when, and every data file with its SHA-256 and size
//!    ([`Manifest`]);
//! 2. `manifest.sig`: the provider's production key's Ed25519 signature over the exact
//!    bytes of `manifest.json`, as a compact JWS with a detached payload (RFC 7515
//!    Appendix F, `alg` EdDSA, RFC 8037);
//! 3. the data files, in the manifest's order;
//!
//! encrypted with [age](https://age-encryption.org/v1) to the requesting authority's
//! registered X25519 recipient (`age1...`). The standard tools open it:
//! `age -d -i key.txt PKG.age | tar -x`, then `sha256sum` of each file matches the
//! manifest. `docs/package-format.md` describes the format for other implementations.
//!
//! ```
//! use comity_seal::{FileEntry, FileName, open, seal};
//! # use comity_seal::*;
//! # use comity_auth::jws::SigningKey;
//! # use chrono::{TimeZone, Utc};
//! let authority = age::x25519::Identity::generate();
//! let provider_key = SigningKey::generate();
//! let data = b"{\"kind\":\"subscriber\",\"email\":\"target@example.org\"}\n";
//! let file = FileEntry::from_reader(FileName::parse("records.jsonl")?, &data[..])?;
//! # let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("a time");
//! let manifest = Manifest {
//!     files: vec![file],
//!     recipient: Recipient { authority: "fr-pnc".into(), age: authority.to_public() },
//!     signing_key: SigningKeyRef { kid: provider_key.public().key_id(), jwk: provider_key.public() },
//!     // ... the request, decision, legal basis, scope, purpose, retention, production
//! #   format: Format,
//! #   request: "req-1".into(),
//! #   decision: Decision { event: 3, log_index: 41, actor: "reviewer:de-bfj".into(), at, reason: "lawful".into() },
//! #   legal_basis: LegalBasis { instrument: "eu-e-evidence".into(), provisions: vec!["Art 5(3)".into()] },
//! #   scope: Scope { targets: vec![Target { kind: "email".into(), value: "target@example.org".into() }],
//! #       from: at - chrono::Duration::days(30), to: at, categories: vec!["subscriber".into()] },
//! #   purpose: "criminal investigation".into(),
//! #   retention_until: RetentionUntil::parse("2027-03-01").expect("a date"),
//! #   provider: "mailco".into(),
//! #   redaction: serde_json::Map::new(),
//! #   production: Production { id: "prod-1".into(), log_index: 42, created_at: at },
//! };
//!
//! // The provider seals: one pass, constant memory, each file checked against the manifest.
//! let mut package = Vec::new();
//! let sealed = seal(&mut package, &[authority.to_public()], &provider_key, &manifest, |_| Ok(&data[..]))?;
//!
//! // The authority opens it with its identity and the provider's registered key.
//! let verified = open(&package[..], &authority, Some(&provider_key.public()))?;
//! assert_eq!(verified.manifest(), &manifest);
//! assert_eq!(verified.manifest_sha256(), sealed.manifest_sha256());
//!
//! // One changed byte anywhere is refused.
//! let last = package.len() - 1;
//! package[last] ^= 1;
//! assert!(open(&package[..], &authority, None).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - **Streaming, no file I/O.** [`seal`] and [`open_with`] work on `Read` and `Write`
//!   and hold one age chunk (64 KiB) and a few buffers whatever the sizes; the caller
//!   chooses files, temporary directories and pipes. The only whole thing in memory is
//!   the manifest (at most [`MAX_MANIFEST_BYTES`]).
//! - **What is signed is a file.** The signature covers the exact bytes of
//!   `manifest.json`, which the recipient keeps; the manifest binds each file by SHA-256
//!   and size. The tar's headers are not signed: names, order and sizes are checked
//!   against the manifest, and modes and times are ignored when reading.
//! - **age authenticates the bytes, not the sender.** Anyone who knows the authority's
//!   recipient can encrypt to it; the provider's signature on the manifest is what says
//!   who produced it, so a verifier must check it against the provider's *registered*
//!   production key (`expected_key`).
//! - **Strict reading.** Exactly `manifest.json`, `manifest.sig`, then the manifest's
//!   files in its order, as regular ustar entries without extension headers; nothing but
//!   zeros after the archive's end; a manifest without unknown fields or duplicate keys.
//!   Each fault has its own [`VerifyError`] and code.

mod keys;
mod manifest;
mod open;
mod seal;
mod shown;
mod signature;

pub use keys::{KeyFileError, parse_identity, parse_recipient};
pub use manifest::{
    Decision, FORMAT, FileEntry, FileName, Format, LegalBasis, MANIFEST_NAME, MAX_MANIFEST_BYTES, Manifest,
    ManifestError, Production, Recipient, RetentionUntil, SIGNATURE_NAME, Scope, Sha256Hash, SigningKeyRef,
    Target,
};
pub use open::{MAX_AGE_HEADER_BYTES, Verified, VerifyError, open, open_with};
pub use seal::{SealError, Sealed, seal};
pub use signature::{MAX_SIGNATURE_BYTES, SignatureError, sign_manifest, verify_manifest};

/// The age crate, re-exported so that callers name the same identity and recipient types.
pub use age;

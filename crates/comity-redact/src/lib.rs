//! comity's redaction engine: what leaves in a production names no one but the targets.
//!
//! Three parts, all pure functions and types (no I/O, no other crate of comity):
//!
//! - [`Detector`] finds personal data in free text: e-mail addresses, phone numbers (valid
//!   by Google's libphonenumber metadata: every region written with `+` or `00`, national
//!   formats in the [`PhoneRegions`] configured, with extensions), IPv4 and IPv6
//!   addresses, payment cards (each brand's issuer ranges and lengths, Luhn), IBANs (ISO
//!   13616 mod 97), configured national identifiers (each with its checksum where one
//!   exists) and, where the text shows them, person names. Types are named as Microsoft Presidio names them
//!   (`EMAIL_ADDRESS`, `PHONE_NUMBER`, ...), so results compare with Presidio's.
//! - [`Pseudonyms`] turns a third party's identifier into `person-` and 10 base32
//!   characters of a keyed HMAC-SHA256: the same person has the same pseudonym throughout
//!   one production (one key) and cannot be linked across productions (a fresh key each).
//! - [`Masker`] rewrites one free-text field: third parties seen in the production's
//!   structured fields become their pseudonyms, other personal data becomes its type in
//!   brackets (`[PHONE_NUMBER]`), and the targets' own identifiers stay. A [`Summary`]
//!   counts what was replaced, by type.
//!
//! ```
//! use comity_redact::{Detector, DetectorConfig, Masker, Pseudonyms, Summary};
//!
//! let pseudonyms = Pseudonyms::new([7; 32]);
//! let masker = Masker::builder()
//!     .keep("invest.desk@example.org")
//!     .third_party("jean.martin@example.fr", pseudonyms.pseudonym("jean.martin@example.fr"))
//!     .third_party("Jean Martin", pseudonyms.pseudonym("jean.martin@example.fr"))
//!     .detector(Detector::new(DetectorConfig::default()))
//!     .build()
//!     .unwrap();
//! let mut summary = Summary::default();
//! let text = "Jean Martin (jean.martin@example.fr) asked invest.desk@example.org \
//!             to call +33 6 12 34 56 78.";
//! let masked = masker.mask(text, &mut summary);
//! let p = pseudonyms.pseudonym("jean.martin@example.fr");
//! assert_eq!(masked, format!("{p} ({p}) asked invest.desk@example.org to call [PHONE_NUMBER]."));
//! assert_eq!(summary.count("THIRD_PARTY"), 2);
//! assert_eq!(summary.count("PHONE_NUMBER"), 1);
//! ```
//!
//! # Design
//!
//! Redaction prefers recall: a number masked that was not personal data costs a reader a
//! little; a phone number left in a production discloses someone who was never named in
//! a lawful request. So the detector accepts every format people write (grouped,
//! national, with a trunk `(0)`) and relies on structure and checksums, not on context
//! words, to stay precise.
//!
//! The structured types are found by one hand-written pass over the bytes rather than a
//! regular expression per type: a phone number, a card, a US SSN, an IPv4 address and a
//! date are all "digits with separators", and telling them apart needs the groups (how
//! many, how long, which separator) that the pass has in hand, and a fallback to a shorter
//! candidate when the longest fails (`+33 6 12 34 56 78 2024`). One pass over a
//! message is also what makes the detector two orders of magnitude faster than Presidio
//! (docs/benchmarks.md, "Redaction"). Which digits are a phone number is not ours to
//! say: the pass proposes, libphonenumber's metadata (the `phonenumber` crate) decides. National identifiers, which are opt-in and each of
//! a fixed shape, use [`regex`]; third-party names use one [`aho_corasick`] automaton.

mod checks;
mod detect;
mod mask;
mod person;
mod phone;
mod pseudonym;
mod scan;
mod types;

pub use detect::{CharSpan, Detector, DetectorConfig, char_spans};
pub use mask::{BuildError, Masker, MaskerBuilder, Summary};
pub use phone::{PhoneCheck, PhoneRegions, valid_international};
pub use pseudonym::{IdentifierKind, Pseudonyms, normalize};
pub use types::{ConfigError, NationalIds, PiiType, Span};

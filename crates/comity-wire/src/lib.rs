//! The JSON comity speaks: the request document, version 1, and the bodies of the API.
//!
//! These are the edge types of STYLE.md: they derive `Serialize`, `Deserialize` and
//! `utoipa::ToSchema`, and convert to and from the domain types of `comity-core`, which
//! derive none of them. The wire can change shape (a version 2 document, another API
//! version) without the domain changing.
//!
//! ```
//! let json = br#"{
//!   "instrument": "eu-e-evidence", "kind": "production", "purpose": "criminal_investigation",
//!   "issuing": {"country": "FR", "authority": "fr-tj-paris", "authority_type": "judge",
//!               "reference": "TJ-2026-1"},
//!   "addressee": {"provider": "example-mail", "country": "IE"},
//!   "offence": {"description": "fraud", "max_sentence_months": 60},
//!   "targets": [{"selector": {"type": "email", "value": "suspect@example.org"}}],
//!   "data_categories": ["subscriber"],
//!   "time_window": {"from": "2026-05-01T00:00:00Z", "to": "2026-07-01T00:00:00Z"},
//!   "justification": "the account received the proceeds"
//! }"#;
//! let (_canonical, request) = comity_wire::parse_request(json).unwrap();
//! assert_eq!(request.targets.len(), 1);
//!
//! let err = comity_wire::parse_request(br#"{"instrument": "eu-e-evidence", "kind": "seize"}"#)
//!     .unwrap_err();
//! assert_eq!(err.problems[0].path, "kind");
//! ```

pub mod api;
mod document;
pub mod evaluation;
pub mod export;
pub mod json;
pub mod notice;
pub mod packs;
pub mod person_notice;
pub mod production;
pub mod register;
pub mod remedy;
mod schema;
pub mod screening;
pub mod term;
pub mod text;
pub mod time;
pub mod transparency;
pub mod trust;

pub use document::{
    AddresseeDoc, DocumentError, IssuingDoc, MAX_TARGETS, NondisclosureDoc, OffenceDoc, Problem,
    RequestDocument, SelectorDoc, TargetDoc, TimeWindowDoc, VERSION, ValidationDoc, parse_json,
    parse_request,
};
pub use schema::{REQUEST_SCHEMA_ID, request_schema};

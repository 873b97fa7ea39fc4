//! The use cases' tests that need no server: the production pipeline's properties, and the
//! failure budget shared by two use-case instances on one database.
#![allow(clippy::unwrap_used)]

mod failures;
mod production_properties;

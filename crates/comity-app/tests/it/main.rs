//! The use cases' tests that need no server: the production pipeline's properties.
#![allow(clippy::unwrap_used)]

mod production_properties;

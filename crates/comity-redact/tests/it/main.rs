//! comity-redact's behaviour through its public API: what is found, what is masked, and
//! properties that hold for any text.
#![allow(clippy::unwrap_used)]

mod detect;
mod mask;
mod outside;
mod props;

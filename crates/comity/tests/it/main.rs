//! The `comity` binary as a user runs it: real processes, real signals, real databases.
#![allow(clippy::unwrap_used)]

mod cli;
mod durability;
mod support;
mod witness;

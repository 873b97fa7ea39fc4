//! The `comity` binary as a user runs it: real processes, real signals, real databases.
#![allow(clippy::unwrap_used)]

mod architecture;
mod chaos;
mod cli;
mod deadlines;
mod deploy;
mod disposal_cli;
mod durability;
mod evaluation_cli;
mod further_use_cli;
mod go_verifier;
mod log_https;
mod log_local;
mod log_remote;
mod pack_cli;
mod pii;
mod production_cli;
mod production_servers;
mod register_cli;
mod registers_servers;
mod startup;
mod support;
mod transparency_cli;
mod trust_cli;
mod upgrade;
mod witness;

//! The API as a client sees it: the real server on port 0, over real HTTP, against a
//! fresh SQLite data directory and (when `COMITY_TEST_DATABASE_URL` is set) a fresh
//! PostgreSQL database. Every test runs on both.
#![allow(clippy::unwrap_used)]

mod access_table;
mod api;
mod clocks;
mod decisions;
mod disposal;
mod emergency;
mod evaluation;
mod further_use;
mod idempotency;
mod inbox;
mod jws;
mod log;
mod log_privacy;
mod logins;
mod malformed;
mod notices;
mod packs;
mod person_notices;
mod portal;
mod portal_ops;
mod production_storage;
mod productions;
mod registers;
mod remedies;
mod representatives;
mod scenarios;
mod screening;
mod sessions;
mod slow_clients;
mod stolen;
mod support;
mod transparency;

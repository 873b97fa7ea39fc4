//! The integration tests of comity-seal: one binary, one module per promise of the
//! package format (`docs/package-format.md`).

mod age_cli;
mod format_doc;
mod refusals;
mod round_trip;
mod strict;
mod support;
mod tamper;

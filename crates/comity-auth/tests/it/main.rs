//! The integration tests of comity-auth: one binary, one module per part of the crate.

mod interop;
mod jws;
mod keys;
mod opaque;
mod password;
mod seal;
mod token;
mod totp;

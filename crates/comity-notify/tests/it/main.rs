//! comity-notify's tests: the RFC's own vectors, the signing rules, the retry schedule,
//! the settings, webhook outcomes against a real HTTP server, and the outside
//! implementations (pyauth's http-message-signatures, aiosmtpd) in `interop`.

mod interop;
mod retry;
mod rfc;
mod settings;
mod signing;
mod webhook;

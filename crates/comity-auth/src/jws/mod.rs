//! Signed submissions: JWS compact serialization (RFC 7515) with `alg` EdDSA over Ed25519
//! (RFC 8037), Ed25519 JWKs and their RFC 7638 thumbprints, and the claims of a signed
//! submission (RFC 7519).
//!
//! # Why comity parses JWS itself
//!
//! comity accepts one algorithm, EdDSA with Ed25519 (`"alg":"EdDSA"`, or `"Ed25519"` as
//! RFC 9864 renames it), and must refuse everything else with
//! a code that tells the sender what to fix. The general JOSE crates accept many
//! algorithms and key types behind one interface (where `alg` confusion and `none` bugs
//! live), pull in RSA, which has an open timing advisory (RUSTSEC-2023-0071, the Marvin
//! attack), or a C crypto backend, and report one opaque error for every failure. The
//! format itself is small: three base64url parts and a JSON header. So this module
//! parses it strictly and leaves the cryptography to `ed25519-dalek`'s `verify_strict`.
//! Interoperability is tested against panva/jose (`tests/interop`) and the RFC 8037
//! examples.
//!
//! # Verifying a submission
//!
//! 1. [`parse_compact`] checks the form and gives the [`KeyId`] (`kid`) that signed;
//! 2. the server looks the key up in its registry (refusing with
//!    [`JwsRefusal::unknown_key`], [`JwsRefusal::key_revoked`], ...);
//! 3. [`Compact::verify`] checks the signature;
//! 4. [`check_claims`] checks the claims and the times; the server then checks the
//!    audience, that the key belongs to `iss`, and the `jti` against replays.

mod claims;
mod compact;
mod key;
mod refusal;

pub use claims::{Claims, Limits, check_claims};
pub use compact::{
    Compact, MAX_COMPACT_LEN, MAX_HEADER_BYTES, MAX_PAYLOAD_BYTES, parse_compact, verify_compact,
};
pub use key::{InvalidKeyId, KeyError, KeyId, PublicKey, SigningKey};
pub use refusal::JwsRefusal;

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 §A.1: the example private key, and §A.4: the JWS it makes over the
    /// payload "Example of Ed25519 signing" with the header {"alg":"EdDSA"}.
    const A1_PRIVATE: &str = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    const A4_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

    #[test]
    fn rfc8037_a4_signing_gives_the_example_jws() {
        let key = SigningKey::parse(A1_PRIVATE).expect("the RFC's key parses");
        assert_eq!(key.sign_with_header(r#"{"alg":"EdDSA"}"#, b"Example of Ed25519 signing"), A4_JWS);
    }
}

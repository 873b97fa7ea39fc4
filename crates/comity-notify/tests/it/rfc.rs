//! The specifications' own examples: RFC 9421 Appendix B.2.6 ("Signing a Request Using
//! ed25519", with test-key-ed25519 of Appendix B.1.4) and RFC 9530's Content-Digest.

use comity_notify::sign::{
    Component, Expect, Params, Request, VerifyError, check_content_digest, content_digest, sign,
    signature_base, verify,
};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use url::Url;

/// RFC 9421 Appendix B.1.4, test-key-ed25519.
const TEST_KEY_ED25519: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
";
const TEST_KEY_ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
";

/// RFC 9421 Appendix B.2, the test request:
///
/// ```text
/// POST /foo?param=Value&Pet=dog HTTP/1.1
/// Host: example.com
/// Date: Tue, 20 Apr 2021 02:07:55 GMT
/// Content-Type: application/json
/// Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:
/// Content-Length: 18
///
/// {"hello": "world"}
/// ```
const TEST_HEADERS: [(&str, &str); 5] = [
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    (
        "Content-Digest",
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    ),
    ("Content-Length", "18"),
];
const TEST_BODY: &[u8] = br#"{"hello": "world"}"#;

/// The signature base of Appendix B.2.6 (its RFC 8792 line wrapping undone).
const B26_BASE: &str = r#""date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;

/// The Signature-Input and Signature of Appendix B.2.6, label sig-b26.
const B26_SIGNATURE_INPUT: &str = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
const B26_SIGNATURE: &str =
    "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

fn target() -> Url {
    Url::parse("https://example.com/foo?param=Value&Pet=dog").expect("the RFC's target URI")
}

fn b26_covered() -> Vec<Component> {
    let field = |name| Component::field(name).expect("a field name");
    vec![
        field("date"),
        Component::Method,
        Component::Path,
        Component::Authority,
        field("content-type"),
        field("content-length"),
    ]
}

fn b26_params() -> Params {
    Params { created: Some(1_618_884_473), keyid: Some("test-key-ed25519".into()), ..Params::default() }
}

#[test]
fn b26_signature_base_is_the_rfcs() {
    let target = target();
    let request = Request { method: "POST", target: &target, headers: &TEST_HEADERS };
    assert_eq!(signature_base(&request, &b26_covered(), &b26_params()).as_deref(), Ok(B26_BASE));
}

#[test]
fn b26_signature_is_the_rfcs() {
    let key = SigningKey::from_pkcs8_pem(TEST_KEY_ED25519).expect("the RFC's test key");
    let target = target();
    let request = Request { method: "POST", target: &target, headers: &TEST_HEADERS };
    let signed = sign(&key, "sig-b26", &request, &b26_covered(), &b26_params()).expect("signs");
    assert_eq!(signed.signature_input, B26_SIGNATURE_INPUT);
    // Ed25519 is deterministic (RFC 8032 §5.1.6): the same key and base give the RFC's bytes.
    assert_eq!(signed.signature, B26_SIGNATURE);
}

#[test]
fn b26_verifies_with_the_rfcs_public_key() {
    let public = VerifyingKey::from_public_key_pem(TEST_KEY_ED25519_PUBLIC).expect("the RFC's public key");
    let target = target();
    let mut headers = TEST_HEADERS.to_vec();
    headers.push(("Signature-Input", B26_SIGNATURE_INPUT));
    headers.push(("Signature", B26_SIGNATURE));
    let request = Request { method: "POST", target: &target, headers: &headers };
    let keys = |id: &str| (id == "test-key-ed25519").then_some(public);
    let verified = verify(&request, None, keys, &Expect::default()).expect("the RFC's signature verifies");
    assert_eq!(verified.label, "sig-b26");
    assert_eq!(verified.covered, b26_covered());
    assert_eq!(verified.params, b26_params());

    // The same signature over another method does not.
    let other = Request { method: "PUT", ..request };
    assert_eq!(
        verify(&other, None, keys, &Expect::default()),
        Err(VerifyError::BadSignature("test-key-ed25519".into()))
    );
}

/// RFC 9530 Appendix B.1: the sha-256 Content-Digest of `{"hello": "world"}`.
#[test]
fn content_digest_is_rfc_9530s() {
    assert_eq!(content_digest(TEST_BODY), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
    assert_eq!(
        check_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", TEST_BODY),
        Ok(())
    );
    // The test request carries only sha-512, which this verifier does not compute.
    assert_eq!(
        check_content_digest(TEST_HEADERS[3].1, TEST_BODY),
        Err(VerifyError::Digest("there is no sha-256 digest".into()))
    );
    assert!(matches!(
        check_content_digest(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            b"{\"hello\": \"world!\"}"
        ),
        Err(VerifyError::Digest(_))
    ));
}

//! Ed25519 keys as JWK and PEM, and key ids.

use comity_auth::jws::{KeyError, KeyId, PublicKey, SigningKey};

/// RFC 8410 §10.1 and §10.3: an Ed25519 public key and its private key, as PEM.
const RFC8410_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----
";
const RFC8410_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
-----END PRIVATE KEY-----
";
/// A P-256 public key, as `openssl pkey -pubout` prints one.
const P256_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE98y8I4Mzp0zckGHdWQpdAyDhftQu
u6AxeBTiRvXTkAE3IySpv1F6CLAeKfgX+txMknUoTteHKp1kRJ5HLw3KTA==
-----END PUBLIC KEY-----
";
/// An X25519 public key: the right length, the wrong algorithm.
const X25519_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VuAyEATDnVTpMfLnFF/08c54dfK03vWybfg1j2Enf6FNLrumE=
-----END PUBLIC KEY-----
";
const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

/// What `PublicKey::parse` says: `ok`, or the error's kind.
fn outcome(text: &str) -> String {
    match PublicKey::parse(text) {
        Ok(_) => "ok".into(),
        Err(KeyError::PrivateKey) => "private".into(),
        Err(KeyError::NotPrivate) => "not_private".into(),
        Err(KeyError::Unsupported(_)) => "unsupported".into(),
        Err(KeyError::Weak) => "weak".into(),
        Err(KeyError::Malformed(_)) => "malformed".into(),
        Err(other) => format!("{other:?}"),
    }
}

#[test]
fn public_keys_are_parsed_or_refused_with_what_is_expected() {
    // The identity point (y = 1): a small-order key under which signatures prove nothing.
    let identity = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
        comity_auth_b64(&{
            let mut y = [0u8; 32];
            y[0] = 1;
            y
        })
    );
    // y = 2 is not the y of any point on edwards25519.
    let not_a_point = format!(
        r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
        comity_auth_b64(&{
            let mut y = [0u8; 32];
            y[0] = 2;
            y
        })
    );
    let cases: Vec<(&str, String, &str)> = vec![
        ("JWK", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}"}}"#), "ok"),
        (
            "JWK with optional members and whitespace",
            format!("\n  {{ \"kid\": \"mine\", \"use\": \"sig\", \"alg\": \"EdDSA\", \"key_ops\": [\"verify\"],\n \"kty\": \"OKP\", \"crv\": \"Ed25519\", \"x\": \"{X}\" }}\n"),
            "ok",
        ),
        ("SPKI PEM (RFC 8410 §10.1)", RFC8410_PUBLIC_PEM.into(), "ok"),
        ("SPKI PEM without the final newline", RFC8410_PUBLIC_PEM.trim_end().into(), "ok"),
        ("private JWK", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}"#), "private"),
        ("private PEM", RFC8410_PRIVATE_PEM.into(), "private"),
        ("OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----".into(), "private"),
        ("EC JWK", r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#.into(), "unsupported"),
        ("RSA JWK", r#"{"kty":"RSA","n":"0vx7","e":"AQAB"}"#.into(), "unsupported"),
        ("symmetric JWK", r#"{"kty":"oct","k":"c2VjcmV0"}"#.into(), "unsupported"),
        ("X25519 JWK", format!(r#"{{"kty":"OKP","crv":"X25519","x":"{X}"}}"#), "unsupported"),
        ("Ed448 JWK", format!(r#"{{"kty":"OKP","crv":"Ed448","x":"{X}"}}"#), "unsupported"),
        ("P-256 PEM", P256_PUBLIC_PEM.into(), "unsupported"),
        ("X25519 PEM", X25519_PUBLIC_PEM.into(), "unsupported"),
        ("OpenSSH public key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb9 user@host".into(), "unsupported"),
        ("certificate", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into(), "unsupported"),
        ("RSA PEM", "-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----".into(), "unsupported"),
        ("damaged PEM", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9\n-----END PUBLIC KEY-----".into(), "malformed"),
        ("kty missing", format!(r#"{{"crv":"Ed25519","x":"{X}"}}"#), "malformed"),
        ("kty a number", format!(r#"{{"kty":1,"crv":"Ed25519","x":"{X}"}}"#), "malformed"),
        ("x missing", r#"{"kty":"OKP","crv":"Ed25519"}"#.into(), "malformed"),
        ("x of 31 bytes", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, &X[..41]), "malformed"),
        ("x with padding", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}="}}"#), "malformed"),
        ("x in standard base64", r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#.into(), "malformed"),
        ("x not a curve point", not_a_point, "malformed"),
        ("x the identity point", identity, "weak"),
        ("alg RS256", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","alg":"RS256"}}"#), "malformed"),
        ("use enc", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","use":"enc"}}"#), "malformed"),
        ("duplicate x", format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","x":"{X}"}}"#), "malformed"),
        ("JWK Set", format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{X}"}}]}}"#), "malformed"),
        ("JSON array", "[1]".into(), "malformed"),
        ("broken JSON", "{\"kty\":".into(), "malformed"),
        ("empty", String::new(), "malformed"),
        ("hex", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".into(), "malformed"),
    ];
    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        let got = outcome(input);
        if got != *expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn comity_auth_b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn error_messages_say_what_is_expected() {
    let private = PublicKey::parse(&SigningKey::generate().to_jwk_private()).expect_err("refused");
    assert!(private.to_string().contains("this is a private key; register only the public key"), "{private}");
    let rsa = PublicKey::parse(r#"{"kty":"RSA","n":"0vx7","e":"AQAB"}"#).expect_err("refused");
    assert!(rsa.to_string().contains(r#"{"kty":"OKP","crv":"Ed25519","x":"...""#), "{rsa}");
    let hostile = PublicKey::parse("{\"kty\":\"OKP\u{1b}[2J\n\"}").expect_err("refused");
    assert!(!hostile.to_string().contains('\u{1b}') && !hostile.to_string().contains('\n'), "{hostile}");
}

#[test]
fn keys_round_trip_through_every_form() {
    let key = SigningKey::generate();
    let public = key.public();
    assert_eq!(PublicKey::parse(&public.to_jwk()), Ok(public));
    assert_eq!(PublicKey::parse(&public.to_pem()), Ok(public));
    assert_eq!(PublicKey::from_bytes(&public.to_bytes()), Ok(public));
    assert_eq!(SigningKey::parse(&key.to_jwk_private()).map(|k| k.public()), Ok(public));
    assert_eq!(public.key_id().as_str(), public.thumbprint());
    assert!(public.to_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
    // The JWK is the RFC 7638 form: required members only, in lexicographic order.
    assert!(public.to_jwk().starts_with(r#"{"crv":"Ed25519","kty":"OKP","x":""#));

    // RFC 8410 §10.3's private key has §10.1's public key.
    let rfc = SigningKey::parse(RFC8410_PRIVATE_PEM).expect("RFC 8410 private key");
    assert_eq!(PublicKey::parse(RFC8410_PUBLIC_PEM), Ok(rfc.public()));
}

#[test]
fn signing_keys_are_refused_when_unusable() {
    let key = SigningKey::generate();
    let other = SigningKey::generate();
    assert_eq!(SigningKey::parse(&key.public().to_jwk()).map(|_| ()), Err(KeyError::NotPrivate));
    assert_eq!(SigningKey::parse(RFC8410_PUBLIC_PEM).map(|_| ()), Err(KeyError::NotPrivate));
    // A JWK whose x is another key's: refused, not silently corrected.
    let private: serde_json::Value = serde_json::from_str(&key.to_jwk_private()).expect("JSON");
    let mismatched = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "d": private["d"],
        "x": comity_auth_b64(&other.public().to_bytes()),
    });
    assert!(matches!(SigningKey::parse(&mismatched.to_string()), Err(KeyError::Malformed(_))));
    let no_x = serde_json::json!({"kty": "OKP", "crv": "Ed25519", "d": private["d"]});
    assert!(matches!(SigningKey::parse(&no_x.to_string()), Err(KeyError::Malformed(_))));
}

#[test]
fn debug_never_shows_a_private_key() {
    let key = SigningKey::generate();
    let private: serde_json::Value = serde_json::from_str(&key.to_jwk_private()).expect("JSON");
    let d = private["d"].as_str().expect("d");
    let debug = format!("{key:?}");
    assert!(!debug.contains(d), "{debug}");
    assert!(debug.contains(&key.public().thumbprint()), "{debug}");
}

#[test]
fn key_ids() {
    for (text, ok) in [
        ("k", true),
        ("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", true),
        ("2026-01.rotation~2", true),
        (&"a".repeat(48), true),
        (&"a".repeat(49), false),
        ("", false),
        ("a b", false),
        ("a/b", false),
        ("a\"b", false),
        ("é", false),
        ("a\n", false),
    ] {
        assert_eq!(KeyId::parse(text).is_ok(), ok, "{text:?}");
    }
    let error = KeyId::parse("a/b").expect_err("refused");
    assert!(error.to_string().contains("1 to 48 characters"), "{error}");
}

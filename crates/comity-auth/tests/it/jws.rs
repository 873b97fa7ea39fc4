//! Compact JWS parsing and verification, and the claims of a signed submission.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use comity_auth::jws::{
    Claims, JwsRefusal, KeyId, Limits, MAX_COMPACT_LEN, PublicKey, SigningKey, check_claims, parse_compact,
    verify_compact,
};
use ed25519_dalek::Signer;
use proptest::prelude::*;
use serde_json::{Value, json};

/// RFC 8037 §A.1: the example key pair.
const A1_PRIVATE: &str = r#"{"kty":"OKP","crv":"Ed25519",
   "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// RFC 8037 §A.2: its public key.
const A2_PUBLIC: &str = r#"{"kty":"OKP","crv":"Ed25519",
   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
/// RFC 8037 §A.4: the JWS of "Example of Ed25519 signing" with {"alg":"EdDSA"}.
const A4_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn a1() -> SigningKey {
    SigningKey::parse(A1_PRIVATE).expect("the RFC 8037 key parses")
}

/// Signs any header (even one comity refuses) with the RFC 8037 §A.1 key, as a hostile or
/// careless sender could.
fn signed(header: &str, payload: &[u8]) -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(
        &URL_SAFE_NO_PAD
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .expect("base64url")
            .try_into()
            .expect("32"),
    );
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload));
    format!("{input}.{}", b64(&key.sign(input.as_bytes()).to_bytes()))
}

/// The code of what comity says to `text` when `key` is the registered key: `ok`, or the
/// refusal's code.
fn outcome(text: &str, key: &PublicKey) -> String {
    match parse_compact(text).and_then(|compact| compact.verify(key)) {
        Ok(()) => "ok".to_owned(),
        Err(refusal) => refusal.code().to_owned(),
    }
}

#[test]
fn rfc8037_a3_thumbprint() {
    let key = PublicKey::parse(A2_PUBLIC).expect("the RFC 8037 key parses");
    assert_eq!(key.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_eq!(key.key_id().as_str(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_eq!(a1().public(), key);
}

#[test]
fn rfc8037_a4_a5_the_example_jws_verifies() {
    let key = PublicKey::parse(A2_PUBLIC).expect("the RFC 8037 key parses");
    assert_eq!(verify_compact(A4_JWS, &key).as_deref(), Ok(&b"Example of Ed25519 signing"[..]));
    // A submission must name its key; the example has no kid.
    assert_eq!(parse_compact(A4_JWS).map(|_| ()).map_err(|e| e.code()), Err("malformed_jws"));
    // One character of the payload changed ("Example" becomes "Exbmple").
    let tampered = A4_JWS.replacen("RXhhbXBs", "RXhibXBs", 1);
    assert_eq!(verify_compact(&tampered, &key).map_err(|e| e.code()), Err("bad_signature"));
    let other = SigningKey::generate().public();
    assert_eq!(verify_compact(A4_JWS, &other).map_err(|e| e.code()), Err("bad_signature"));
}

#[test]
fn sign_compact_writes_the_exact_header_and_round_trips() {
    let key = a1();
    let kid = key.public().key_id();
    let jws = key.sign_compact(&kid, br#"{"hello":"world"}"#);
    let header = jws.split('.').next().expect("a header");
    assert_eq!(
        URL_SAFE_NO_PAD.decode(header).expect("base64url"),
        br#"{"alg":"EdDSA","kid":"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}"#
    );
    // Ed25519 is deterministic (RFC 8032 §5.1.6).
    assert_eq!(key.sign_compact(&kid, br#"{"hello":"world"}"#), jws);
    let compact = parse_compact(&jws).expect("well-formed");
    assert_eq!(compact.kid(), &kid);
    assert_eq!(compact.payload(), br#"{"hello":"world"}"#);
    assert_eq!(compact.verify(&key.public()), Ok(()));
}

/// Malformed and hostile JWS, each with the refusal comity must give. The registered key
/// is the RFC 8037 §A.1 key, and most inputs are validly signed with it, so that only the
/// flaw named is wrong.
#[test]
fn hostile_and_malformed_jws_are_refused_with_the_right_code() {
    let key = a1().public();
    let good_header = r#"{"alg":"EdDSA","kid":"k1"}"#;
    let payload = br#"{"iss":"x"}"#;
    let good = signed(good_header, payload);
    let [h, p, s] = <[&str; 3]>::try_from(good.split('.').collect::<Vec<_>>()).expect("three parts");
    let other_payload_signature = signed(good_header, b"another payload");
    let other_signature = other_payload_signature.rsplit('.').next().expect("a signature");
    let other_key = SigningKey::generate();
    let by_other_key = other_key.sign_compact(&KeyId::parse("k1").expect("a key id"), payload);
    let mut changed_payload = p.to_owned().into_bytes();
    changed_payload[3] = if changed_payload[3] == b'A' { b'B' } else { b'A' };
    let changed_payload = String::from_utf8(changed_payload).expect("ASCII");

    let cases: Vec<(&str, String, &str)> = vec![
        ("valid", good.clone(), "ok"),
        ("empty", String::new(), "missing_signature"),
        ("empty signature part", format!("{h}.{p}."), "missing_signature"),
        ("two parts", format!("{h}.{p}"), "malformed_jws"),
        ("one part", h.to_owned(), "malformed_jws"),
        ("four parts", format!("{good}.{s}"), "malformed_jws"),
        ("five parts, a JWE", format!("{h}.{p}.{s}.{s}.{s}"), "malformed_jws"),
        ("only dots", "..".to_owned(), "malformed_jws"),
        ("padding on the header", format!("{h}==.{p}.{s}"), "malformed_jws"),
        ("padding on the signature", format!("{h}.{p}.{s}=="), "malformed_jws"),
        ("standard base64 '+'", format!("{h}.{p}+.{s}"), "malformed_jws"),
        ("a space", format!("{h}.{p} .{s}"), "malformed_jws"),
        ("a trailing newline", format!("{good}\n"), "malformed_jws"),
        ("non-ASCII", format!("{h}é.{p}.{s}"), "malformed_jws"),
        ("header not JSON", signed("alg=EdDSA", payload), "malformed_jws"),
        ("header an array", signed(r#"["alg","EdDSA"]"#, payload), "malformed_jws"),
        ("header a string", signed(r#""EdDSA""#, payload), "malformed_jws"),
        ("header with trailing bytes", signed(r#"{"alg":"EdDSA","kid":"k1"}x"#, payload), "malformed_jws"),
        ("duplicate alg", signed(r#"{"alg":"EdDSA","alg":"EdDSA","kid":"k1"}"#, payload), "malformed_jws"),
        (
            "duplicate alg, one escaped",
            signed(r#"{"alg":"EdDSA","\u0061lg":"none","kid":"k1"}"#, payload),
            "malformed_jws",
        ),
        ("duplicate kid", signed(r#"{"alg":"EdDSA","kid":"k1","kid":"k2"}"#, payload), "malformed_jws"),
        (
            "alg none, unsigned",
            format!("{}.{p}.", b64(br#"{"alg":"none","kid":"k1"}"#)),
            "unsupported_algorithm",
        ),
        ("alg none, signed", signed(r#"{"alg":"none","kid":"k1"}"#, payload), "unsupported_algorithm"),
        ("alg HS256", signed(r#"{"alg":"HS256","kid":"k1"}"#, payload), "unsupported_algorithm"),
        ("alg RS256", signed(r#"{"alg":"RS256","kid":"k1"}"#, payload), "unsupported_algorithm"),
        ("alg ES256", signed(r#"{"alg":"ES256","kid":"k1"}"#, payload), "unsupported_algorithm"),
        ("alg Ed25519 (RFC 9864 §2.2)", signed(r#"{"alg":"Ed25519","kid":"k1"}"#, payload), "ok"),
        ("alg Ed448", signed(r#"{"alg":"Ed448","kid":"k1"}"#, payload), "unsupported_algorithm"),
        (
            "alg with a trailing space",
            signed(r#"{"alg":"EdDSA ","kid":"k1"}"#, payload),
            "unsupported_algorithm",
        ),
        ("alg in lowercase", signed(r#"{"alg":"eddsa","kid":"k1"}"#, payload), "unsupported_algorithm"),
        ("alg missing", signed(r#"{"kid":"k1"}"#, payload), "malformed_jws"),
        ("alg a number", signed(r#"{"alg":1,"kid":"k1"}"#, payload), "malformed_jws"),
        ("alg null", signed(r#"{"alg":null,"kid":"k1"}"#, payload), "malformed_jws"),
        ("kid missing", signed(r#"{"alg":"EdDSA"}"#, payload), "malformed_jws"),
        ("kid empty", signed(r#"{"alg":"EdDSA","kid":""}"#, payload), "malformed_jws"),
        (
            "kid of 49 characters",
            signed(&format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, "k".repeat(49)), payload),
            "malformed_jws",
        ),
        ("kid with '/'", signed(r#"{"alg":"EdDSA","kid":"../etc/passwd"}"#, payload), "malformed_jws"),
        ("kid with a space", signed(r#"{"alg":"EdDSA","kid":"k 1"}"#, payload), "malformed_jws"),
        ("kid a number", signed(r#"{"alg":"EdDSA","kid":1}"#, payload), "malformed_jws"),
        ("crit", signed(r#"{"alg":"EdDSA","kid":"k1","crit":["exp"],"exp":1}"#, payload), "malformed_jws"),
        ("crit empty", signed(r#"{"alg":"EdDSA","kid":"k1","crit":[]}"#, payload), "malformed_jws"),
        (
            "b64 false",
            signed(r#"{"alg":"EdDSA","kid":"k1","b64":false,"crit":["b64"]}"#, payload),
            "malformed_jws",
        ),
        (
            "b64 false without crit",
            signed(r#"{"alg":"EdDSA","kid":"k1","b64":false}"#, payload),
            "malformed_jws",
        ),
        (
            "embedded jwk",
            signed(
                &format!(r#"{{"alg":"EdDSA","kid":"k1","jwk":{}}}"#, other_key.public().to_jwk()),
                payload,
            ),
            "malformed_jws",
        ),
        (
            "jku",
            signed(r#"{"alg":"EdDSA","kid":"k1","jku":"https://attacker.example/keys"}"#, payload),
            "malformed_jws",
        ),
        (
            "x5u",
            signed(r#"{"alg":"EdDSA","kid":"k1","x5u":"https://attacker.example/cert"}"#, payload),
            "malformed_jws",
        ),
        ("x5c", signed(r#"{"alg":"EdDSA","kid":"k1","x5c":["MIIB"]}"#, payload), "malformed_jws"),
        (
            "typ and cty are ignored",
            signed(r#"{"alg":"EdDSA","kid":"k1","typ":"JWT","cty":"x"}"#, payload),
            "ok",
        ),
        ("signature of 63 bytes", format!("{h}.{p}.{}", b64(&[7u8; 63])), "malformed_jws"),
        ("signature of 65 bytes", format!("{h}.{p}.{}", b64(&[7u8; 65])), "malformed_jws"),
        ("signature of another payload", format!("{h}.{p}.{other_signature}"), "bad_signature"),
        ("signature by another key", by_other_key, "bad_signature"),
        ("one payload character changed", format!("{h}.{changed_payload}.{s}"), "bad_signature"),
        (
            "header swapped for an equivalent one",
            signed(r#"{"kid":"k1","alg":"EdDSA"}"#, payload)
                .split('.')
                .next()
                .map(|other| format!("{other}.{p}.{s}"))
                .unwrap_or_default(),
            "bad_signature",
        ),
        ("all-zero signature", format!("{h}.{p}.{}", b64(&[0u8; 64])), "bad_signature"),
        ("too long", format!("{h}.{}.{s}", "A".repeat(MAX_COMPACT_LEN)), "malformed_jws"),
        ("empty payload", signed(good_header, b""), "ok"),
    ];
    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        let got = outcome(input, &key);
        if got != *expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A non-canonical signature (S + L, the group order) of a valid one: `verify_strict`
/// refuses it, so that a signature cannot be made into another that also verifies.
#[test]
fn a_malleated_signature_is_refused() {
    let key = a1();
    let jws = key.sign_compact(&KeyId::parse("k1").expect("a key id"), b"{}");
    let (input, signature) = jws.rsplit_once('.').expect("three parts");
    let mut signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1).
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (s, l) in signature[32..].iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum as u8;
        carry = sum >> 8;
    }
    let malleated = format!("{input}.{}", b64(&signature));
    assert_eq!(outcome(&malleated, &key.public()), "bad_signature");
}

#[test]
fn messages_escape_what_the_sender_wrote() {
    let hostile = "EdDSA\n2026-01-01 INFO accepted\u{1b}[31m";
    let refusal = parse_compact(&signed(&json!({"alg": hostile, "kid": "k1"}).to_string(), b"{}"))
        .map(|_| ())
        .expect_err("refused");
    assert_eq!(refusal.code(), "unsupported_algorithm");
    let message = refusal.to_string();
    assert!(!message.contains('\n') && !message.contains('\u{1b}'), "{message}");
    assert!(message.contains(r"\n2026-01-01"), "{message}");

    let long_kid = "k".repeat(10_000);
    for refusal in [
        JwsRefusal::unknown_key(&long_kid),
        JwsRefusal::key_revoked(&long_kid),
        JwsRefusal::key_not_active(&long_kid),
        JwsRefusal::key_not_of_issuer(&long_kid, "iss\r\nx"),
        JwsRefusal::replayed(&long_kid),
        JwsRefusal::wrong_audience("https://comity.example", &long_kid),
        JwsRefusal::issuer_mismatch("a", &long_kid),
    ] {
        let message = refusal.to_string();
        assert!(message.len() < 600 && !message.contains('\r'), "{}: {message}", refusal.code());
    }
}

#[test]
fn every_code_is_distinct_snake_case_and_reachable() {
    let refusals = [
        JwsRefusal::missing_signature(),
        JwsRefusal::Malformed("x".into()),
        JwsRefusal::UnsupportedAlgorithm("x".into()),
        JwsRefusal::unknown_key("k"),
        JwsRefusal::BadSignature,
        JwsRefusal::key_not_of_issuer("k", "i"),
        JwsRefusal::key_revoked("k"),
        JwsRefusal::key_not_active("k"),
        JwsRefusal::Expired { exp: 1, now: 2, skew: 0 },
        JwsRefusal::IssuedInFuture { claim: "iat", value: 3, now: 2, skew: 0 },
        JwsRefusal::LifetimeTooLong { iat: 1, exp: 1, max: 900 },
        JwsRefusal::wrong_audience("a", "b"),
        JwsRefusal::issuer_mismatch("a", "b"),
        JwsRefusal::replayed("j"),
    ];
    let codes: Vec<&str> = refusals.iter().map(JwsRefusal::code).collect();
    assert_eq!(codes, JwsRefusal::CODES);
    for code in codes {
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
    }
}

// ---------------------------------------------------------------------------------------
// Claims

const NOW: i64 = 1_767_225_600;

fn valid_claims() -> Value {
    json!({
        "iss": "fr-pnc",
        "aud": "https://comity.provider.example",
        "iat": NOW - 10,
        "exp": NOW + 290,
        "jti": "0194f1c2-7b3e-7c4d-8e5f-6a7b8c9d0e1f",
        "request": {"version": 1},
    })
}

/// What `check_claims` says to the valid claims changed by `change`, at `now`.
fn claims_outcome(change: impl FnOnce(&mut serde_json::Map<String, Value>), now: i64) -> String {
    let mut claims = valid_claims();
    if let Value::Object(map) = &mut claims {
        change(map);
    }
    match check_claims(claims.to_string().as_bytes(), now, &Limits::default()) {
        Ok(_) => "ok".to_owned(),
        Err(refusal) => refusal.code().to_owned(),
    }
}

type Change = Box<dyn FnOnce(&mut serde_json::Map<String, Value>)>;

fn set(name: &'static str, value: Value) -> Change {
    Box::new(move |map| {
        map.insert(name.to_owned(), value);
    })
}

fn remove(name: &'static str) -> Change {
    Box::new(move |map| {
        map.remove(name);
    })
}

#[test]
fn claims_are_checked() {
    let keep: fn() -> Change = || Box::new(|_| {});
    let cases: Vec<(&str, Change, i64, &str)> = vec![
        ("valid", keep(), NOW, "ok"),
        ("missing iss", remove("iss"), NOW, "malformed_jws"),
        ("missing aud", remove("aud"), NOW, "malformed_jws"),
        ("missing iat", remove("iat"), NOW, "malformed_jws"),
        ("missing exp", remove("exp"), NOW, "malformed_jws"),
        ("missing jti", remove("jti"), NOW, "malformed_jws"),
        ("missing request", remove("request"), NOW, "malformed_jws"),
        ("iss a number", set("iss", json!(7)), NOW, "malformed_jws"),
        ("iss empty", set("iss", json!("")), NOW, "malformed_jws"),
        ("iss with a newline", set("iss", json!("fr\npnc")), NOW, "malformed_jws"),
        ("aud a number", set("aud", json!(1)), NOW, "malformed_jws"),
        ("aud empty", set("aud", json!("")), NOW, "malformed_jws"),
        ("aud an array of one", set("aud", json!(["https://comity.provider.example"])), NOW, "ok"),
        ("aud an array of two", set("aud", json!(["a", "b"])), NOW, "malformed_jws"),
        ("aud an empty array", set("aud", json!([])), NOW, "malformed_jws"),
        ("aud an array of a number", set("aud", json!([1])), NOW, "malformed_jws"),
        ("iat a string", set("iat", json!((NOW - 10).to_string())), NOW, "malformed_jws"),
        ("iat a fraction", set("iat", json!(NOW as f64 - 9.5)), NOW, "malformed_jws"),
        ("iat in exponent form", set("iat", json!(1.7672256e9)), NOW, "malformed_jws"),
        ("exp null", set("exp", Value::Null), NOW, "malformed_jws"),
        ("exp beyond i64", set("exp", json!(u64::MAX)), NOW, "malformed_jws"),
        ("jti empty", set("jti", json!("")), NOW, "malformed_jws"),
        ("jti of 128 characters", set("jti", json!("j".repeat(128))), NOW, "ok"),
        ("jti of 129 characters", set("jti", json!("j".repeat(129))), NOW, "malformed_jws"),
        ("jti with a space", set("jti", json!("a b")), NOW, "malformed_jws"),
        ("jti with a control character", set("jti", json!("a\u{7}b")), NOW, "malformed_jws"),
        ("jti a number", set("jti", json!(42)), NOW, "malformed_jws"),
        ("request an array", set("request", json!([])), NOW, "malformed_jws"),
        ("request a string", set("request", json!("{}")), NOW, "malformed_jws"),
        ("request null", set("request", Value::Null), NOW, "malformed_jws"),
        ("other claims are ignored", set("sub", json!("x")), NOW, "ok"),
        ("expired", keep(), NOW + 290 + 60, "expired"),
        ("expired, within the skew", keep(), NOW + 290 + 59, "ok"),
        ("iat in the future", set("iat", json!(NOW + 61)), NOW, "issued_in_future"),
        ("iat in the future, within the skew", set("iat", json!(NOW + 60)), NOW, "ok"),
        ("nbf in the future", set("nbf", json!(NOW + 61)), NOW, "issued_in_future"),
        ("nbf within the skew", set("nbf", json!(NOW + 60)), NOW, "ok"),
        ("nbf a string", set("nbf", json!("soon")), NOW, "malformed_jws"),
        ("lifetime 900 s", set("exp", json!(NOW - 10 + 900)), NOW, "ok"),
        ("lifetime 901 s", set("exp", json!(NOW - 10 + 901)), NOW, "lifetime_too_long"),
        ("exp equal to iat", set("exp", json!(NOW - 10)), NOW, "lifetime_too_long"),
        ("exp before iat", set("exp", json!(NOW - 11)), NOW, "lifetime_too_long"),
        (
            "extreme values",
            Box::new(|map: &mut serde_json::Map<String, Value>| {
                map.insert("iat".into(), json!(i64::MIN));
                map.insert("exp".into(), json!(i64::MAX));
            }),
            NOW,
            "lifetime_too_long",
        ),
        (
            "the largest times",
            Box::new(|map: &mut serde_json::Map<String, Value>| {
                map.insert("iat".into(), json!(i64::MAX - 1));
                map.insert("exp".into(), json!(i64::MAX));
            }),
            i64::MAX,
            "ok",
        ),
    ];
    let mut failures = Vec::new();
    for (name, change, now, expected) in cases {
        let got = claims_outcome(change, now);
        if got != expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn claims_payload_must_be_one_strict_json_object() {
    for (payload, why) in [
        (&b""[..], "not valid JSON"),
        (b"[]", "array"),
        (b"null", "null"),
        (b"\xff", "not valid JSON"),
        (br#"{"iss":"a","iss":"b"}"#, "appears twice"),
        (br#"{"request":{"selectors":[{"id":"a","id":"b"}]}}"#, "appears twice"),
    ] {
        let refusal = check_claims(payload, NOW, &Limits::default()).expect_err("refused");
        assert_eq!(refusal.code(), "malformed_jws");
        assert!(refusal.to_string().contains(why), "{refusal}");
    }
}

#[test]
fn claims_round_trip_and_server_side_checks() {
    let claims = check_claims(valid_claims().to_string().as_bytes(), NOW, &Limits::default()).expect("valid");
    assert_eq!(claims.iss, "fr-pnc");
    assert_eq!(claims.request.get("version"), Some(&json!(1)));
    assert_eq!(check_claims(&claims.to_payload(), NOW, &Limits::default()).as_ref(), Ok(&claims));
    assert_eq!(claims.check_audience("https://comity.provider.example"), Ok(()));
    assert_eq!(claims.check_audience("https://other.example").map_err(|e| e.code()), Err("wrong_audience"));
    assert_eq!(claims.check_issuer("fr-pnc"), Ok(()));
    assert_eq!(claims.check_issuer("de-bka").map_err(|e| e.code()), Err("issuer_mismatch"));

    let tight = Limits { max_lifetime_secs: 60, clock_skew_secs: 0 };
    assert_eq!(
        check_claims(valid_claims().to_string().as_bytes(), NOW, &tight).map_err(|e| e.code()),
        Err("lifetime_too_long")
    );
}

#[test]
fn a_signed_submission_end_to_end() {
    let key = SigningKey::generate();
    let kid = key.public().key_id();
    let claims = Claims {
        iss: "fr-pnc".into(),
        aud: "https://comity.provider.example".into(),
        iat: NOW,
        exp: NOW + 300,
        jti: "j-1".into(),
        request: json!({"version": 1, "note": "é\u{2028}\"}"}).as_object().cloned().unwrap_or_default(),
    };
    let jws = key.sign_compact(&kid, &claims.to_payload());
    let compact = parse_compact(&jws).expect("well-formed");
    compact.verify(&key.public()).expect("verifies");
    assert_eq!(check_claims(compact.payload(), NOW + 1, &Limits::default()), Ok(claims));
    // Debug shows the key id and the size, not the payload.
    assert!(format!("{compact:?}").contains(kid.as_str()));
}

proptest! {
    #[test]
    fn parse_compact_never_panics_on_any_string(text in ".{0,300}") {
        let _ = parse_compact(&text);
    }

    #[test]
    fn parse_compact_never_panics_on_jws_like_strings(text in "[A-Za-z0-9_=.+/-]{0,300}") {
        let _ = parse_compact(&text);
    }

    #[test]
    fn parse_compact_never_panics_on_any_header(header in proptest::collection::vec(any::<u8>(), 0..200), payload in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = format!("{}.{}.{}", b64(&header), b64(&payload), b64(&[1u8; 64]));
        let _ = parse_compact(&text);
        let _ = check_claims(&payload, NOW, &Limits::default());
    }

    #[test]
    fn a_signature_over_any_payload_verifies(payload in proptest::collection::vec(any::<u8>(), 0..500)) {
        let key = a1();
        let jws = key.sign_compact(&key.public().key_id(), &payload);
        let compact = parse_compact(&jws).expect("well-formed");
        prop_assert_eq!(compact.payload(), &payload[..]);
        prop_assert_eq!(compact.verify(&key.public()), Ok(()));
    }
}

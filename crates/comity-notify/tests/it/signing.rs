//! The webhook signature: what it covers and carries, and what a receiver refuses.

use comity_notify::sign::{
    Component, Expect, Request, SignError, VerifyError, WEBHOOK_COMPONENTS, WEBHOOK_TAG, WebhookHeaders,
    WebhookSigner, random_nonce, verify,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use url::Url;

const KEY_ID: &str = "comity-2026";
const CREATED: u64 = 1_767_225_600;
const BODY: &[u8] = br#"{"event":"request.approved","request":"0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f"}"#;

fn signer() -> WebhookSigner {
    WebhookSigner::new(SigningKey::from_bytes(&[7; 32]), KEY_ID).expect("a printable key id")
}

fn endpoint() -> Url {
    Url::parse("https://provider.example/comity/notices?tenant=eu").expect("a URL")
}

fn signed(signer: &WebhookSigner, body: &[u8]) -> WebhookHeaders {
    let target = endpoint();
    let request =
        Request { method: "POST", target: &target, headers: &[("Content-Type", "application/json")] };
    signer.sign(&request, body, CREATED, "n-0001").expect("signs")
}

/// What a receiver gets: the headers as sent, with `change` applied.
fn received<'a>(headers: &'a WebhookHeaders, content_type: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("content-type", content_type),
        ("content-digest", &headers.content_digest),
        ("signature-input", &headers.signature_input),
        ("signature", &headers.signature),
    ]
}

fn check(
    headers: &[(&str, &str)],
    method: &str,
    target: &Url,
    body: &[u8],
    key: VerifyingKey,
    now: Option<u64>,
) -> Result<comity_notify::sign::Verified, VerifyError> {
    let request = Request { method, target, headers };
    let expect = Expect {
        tag: Some(WEBHOOK_TAG),
        covers: &WEBHOOK_COMPONENTS,
        now,
        max_age: 300,
        ..Expect::default()
    };
    verify(&request, Some(body), |id| (id == KEY_ID).then_some(key), &expect)
}

#[test]
fn a_webhook_signature_covers_and_carries_what_it_says() {
    let headers = signed(&signer(), BODY);
    assert_eq!(
        headers.signature_input,
        r#"comity=("@method" "@target-uri" "content-digest" "content-type");created=1767225600;keyid="comity-2026";alg="ed25519";nonce="n-0001";tag="comity-webhook""#
    );
    assert!(headers.signature.starts_with("comity=:") && headers.signature.ends_with(':'));
    // Deterministic: the same inputs give the same headers.
    assert_eq!(signed(&signer(), BODY), headers);

    let verified = check(
        &received(&headers, "application/json"),
        "POST",
        &endpoint(),
        BODY,
        signer().verifying_key(),
        Some(CREATED + 10),
    )
    .expect("verifies");
    assert_eq!(verified.covered, WEBHOOK_COMPONENTS.to_vec());
    assert_eq!(verified.params.nonce.as_deref(), Some("n-0001"));
    assert_eq!(verified.params.tag.as_deref(), Some(WEBHOOK_TAG));
    assert!(verified.body_checked);
}

#[test]
fn a_receiver_refuses_what_was_changed() {
    let headers = signed(&signer(), BODY);
    let key = signer().verifying_key();
    let ok = received(&headers, "application/json");
    let target = endpoint();

    let tampered_body = br#"{"event":"request.rejected","request":"0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f"}"#;
    assert_eq!(
        check(&ok, "POST", &target, tampered_body, key, None),
        Err(VerifyError::Digest("the sha-256 digest differs".into()))
    );
    assert_eq!(
        check(&received(&headers, "text/plain"), "POST", &target, BODY, key, None),
        Err(VerifyError::BadSignature(KEY_ID.into()))
    );
    let elsewhere = Url::parse("https://attacker.example/comity/notices?tenant=eu").expect("a URL");
    assert_eq!(
        check(&ok, "POST", &elsewhere, BODY, key, None),
        Err(VerifyError::BadSignature(KEY_ID.into()))
    );
    let other_key = SigningKey::from_bytes(&[8; 32]).verifying_key();
    assert_eq!(
        check(&ok, "POST", &target, BODY, other_key, None),
        Err(VerifyError::BadSignature(KEY_ID.into()))
    );

    // A digest recomputed for the new body does not help: the digest is signed.
    let forged_digest = comity_notify::sign::content_digest(tampered_body);
    let mut forged = ok.clone();
    forged[1] = ("content-digest", &forged_digest);
    assert_eq!(
        check(&forged, "POST", &target, tampered_body, key, None),
        Err(VerifyError::BadSignature(KEY_ID.into()))
    );
}

#[test]
fn a_receiver_refuses_stale_future_unknown_and_uncovered_signatures() {
    let headers = signed(&signer(), BODY);
    let key = signer().verifying_key();
    let ok = received(&headers, "application/json");
    let target = endpoint();
    assert!(matches!(check(&ok, "POST", &target, BODY, key, Some(CREATED + 301)), Err(VerifyError::Time(_))));
    assert!(matches!(check(&ok, "POST", &target, BODY, key, Some(CREATED - 61)), Err(VerifyError::Time(_))));

    let request = Request { method: "POST", target: &target, headers: &ok };
    let unknown = verify(&request, Some(BODY), |_| None, &Expect::default());
    assert_eq!(unknown, Err(VerifyError::UnknownKey(Some(KEY_ID.into()))));

    let more = [Component::field("date").expect("a field name")];
    let expect = Expect { covers: &more, ..Expect::default() };
    assert_eq!(
        verify(&request, Some(BODY), |_| Some(key), &expect),
        Err(VerifyError::NotCovered("date".into()))
    );

    let expect = Expect { tag: Some("something-else"), ..Expect::default() };
    assert!(matches!(verify(&request, Some(BODY), |_| Some(key), &expect), Err(VerifyError::Selection(_))));

    let unsigned = [("content-type", "application/json")];
    let request = Request { headers: &unsigned, ..request };
    assert_eq!(
        verify(&request, None, |_| Some(key), &Expect::default()),
        Err(VerifyError::MissingField("signature-input"))
    );
}

#[test]
fn signing_refuses_what_it_cannot_sign_and_says_what_to_fix() {
    let err = WebhookSigner::new(SigningKey::from_bytes(&[7; 32]), "clé").expect_err("not ASCII");
    assert_eq!(err, SignError::Parameter { name: "key id", value: "clé".into() });
    assert!(err.to_string().contains("printable ASCII"), "{err}");

    let target = endpoint();
    let no_type = Request { method: "POST", target: &target, headers: &[] };
    let err = signer().sign(&no_type, BODY, CREATED, "n").expect_err("no content-type");
    assert_eq!(err, SignError::MissingField("content-type".into()));
    assert!(err.to_string().contains("add the field"), "{err}");

    let split =
        Request { method: "POST", target: &target, headers: &[("content-type", "application/json\r\nx: y")] };
    assert_eq!(signer().sign(&split, BODY, CREATED, "n"), Err(SignError::LineBreak("content-type".into())));
    assert_eq!(Component::field("Content-Type"), Err(SignError::FieldName("Content-Type".into())));
    assert_eq!(Component::parse("@status"), Err(SignError::UnsupportedComponent("@status".into())));
}

#[test]
fn nonces_are_fresh() {
    let (a, b) = (random_nonce(), random_nonce());
    assert_ne!(a, b);
    assert_eq!(a.len(), 22, "128 bits, base64url: {a}");
}

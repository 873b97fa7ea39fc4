//! Opaque bearer tokens.

use comity_auth::opaque::OpaqueToken;

#[test]
fn tokens_are_random_and_found_by_their_hash() {
    let token = OpaqueToken::generate();
    assert_eq!(token.text().len(), 43);
    assert_eq!(OpaqueToken::hash_of(token.text()), Some(token.hash()));
    let other = OpaqueToken::generate();
    assert_ne!(other.text(), token.text());
    assert_ne!(other.hash(), token.hash());
    assert!(!format!("{token:?}").contains(token.text()));
}

#[test]
fn garbage_never_reaches_the_store() {
    let good = OpaqueToken::generate().text().to_owned();
    for text in [
        String::new(),
        good[..42].to_owned(),
        format!("{good}A"),
        format!("{}=", &good[..42]),
        format!("+{}", &good[1..]),
        format!("{} ", &good[..42]),
        format!("é{}", &good[2..]),
        "' OR 1=1 --".into(),
        // 43 characters whose last one leaves non-zero bits: not canonical base64url.
        format!("{}B", "A".repeat(42)),
    ] {
        assert_eq!(OpaqueToken::hash_of(&text), None, "{text:?}");
    }
    assert!(OpaqueToken::hash_of(&format!("{}A", "A".repeat(42))).is_some());
}

//! A package changed in transit is refused: any changed byte, a cut anywhere, anything
//! appended. age authenticates the header with its MAC and the payload chunk by chunk,
//! with a last-chunk flag that fixes the length (age-encryption.org/v1, "Payload").

use std::sync::OnceLock;

use comity_seal::{VerifyError, open};
use proptest::prelude::*;

use crate::support::{AGE_CHUNK, AGE_ENCRYPTED_CHUNK, Fixture, age_header_len, bytes, code};

/// One package of two age chunks, sealed once for all the cases.
fn package() -> &'static (Fixture, Vec<u8>) {
    static PACKAGE: OnceLock<(Fixture, Vec<u8>)> = OnceLock::new();
    PACKAGE.get_or_init(|| {
        let fixture = Fixture::new(&[
            ("records.jsonl", b"{\"email\":\"target@example.org\"}\n".to_vec()),
            ("empty.bin", Vec::new()),
            ("mailbox.mbox", bytes(AGE_CHUNK + 1000, 7)),
        ]);
        let (package, _) = fixture.seal();
        (fixture, package)
    })
}

/// Opens `changed` with the right identity and the right expected key.
fn open_changed(changed: &[u8]) -> Result<(), VerifyError> {
    let (fixture, _) = package();
    open(changed, &fixture.authority, Some(&fixture.provider.public())).map(|_| ())
}

/// The codes a change in the age header may give: it is no longer an age file of this
/// version, its stanzas or MAC fail, or the X25519 stanza no longer opens.
const HEADER_CODES: [&str; 5] =
    ["not_age", "unsupported_age_version", "header_damaged", "wrong_identity", "truncated"];

/// Checks that flipping the bits `mask` of the byte at `at` is refused, and for the right
/// reason: after the header, the payload fails authentication.
fn check_flip(at: usize, mask: u8) -> Result<(), String> {
    let (_, package) = package();
    let mut changed = package.clone();
    changed[at] ^= mask;
    let result = open_changed(&changed);
    let code = code(&result);
    match &result {
        Ok(()) => return Err(format!("byte {at} ^ {mask:#04x}: the changed package opened")),
        Err(e) if !e.is_refusal() => return Err(format!("byte {at} ^ {mask:#04x}: not a refusal: {e}")),
        Err(_) => {}
    }
    // The nonce right after the header derives the payload key: a change there, like one
    // in any chunk, makes the first chunk it touches fail authentication.
    let payload = age_header_len(package);
    let expected_ok = if at >= payload { code == "damaged" } else { HEADER_CODES.contains(&code) };
    if expected_ok {
        Ok(())
    } else {
        Err(format!("byte {at} ^ {mask:#04x} (payload from {payload}): refused as {code}: {result:?}"))
    }
}

#[test]
fn the_unchanged_package_opens() {
    // The control for every test below: what they change is all that goes wrong.
    let (_, package) = package();
    assert_eq!(code(&open_changed(package)), "ok");
    assert!(package.len() > AGE_ENCRYPTED_CHUNK, "the package spans more than one age chunk");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn flipping_any_byte_is_refused(at in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let (_, package) = package();
        let at = at.index(package.len());
        check_flip(at, mask).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn cutting_anywhere_is_refused(cut in any::<prop::sample::Index>()) {
        let (_, package) = package();
        let cut = cut.index(package.len());
        let result = open_changed(&package[..cut]);
        prop_assert!(
            matches!(&result, Err(e) if e.is_refusal()),
            "cut at {cut} of {}: {result:?}", package.len()
        );
    }
}

/// Every byte of the header and of the payload nonce, exhaustively (one bit each, a
/// different bit from byte to byte): the part of the package that age authenticates
/// otherwise than the chunks, and that random positions rarely hit.
#[test]
fn flipping_any_byte_of_the_header_or_nonce_is_refused() {
    let (_, package) = package();
    let end = age_header_len(package) + 16;
    let failures: Vec<String> = (0..end).filter_map(|at| check_flip(at, 1 << (at % 8)).err()).collect();
    assert!(failures.is_empty(), "{} of {end} flips:\n{}", failures.len(), failures.join("\n"));
}

/// The bytes around each chunk's tag and the last byte: where a reader that skips the
/// last tag, or checks chunks lazily, would let a change through.
#[test]
fn flipping_chunk_edges_is_refused() {
    let (_, package) = package();
    let payload = age_header_len(package) + 16;
    let first_tag = payload + AGE_CHUNK;
    for at in [payload, first_tag - 1, first_tag, first_tag + 15, first_tag + 16, package.len() - 1] {
        check_flip(at, 0x01).unwrap_or_else(|why| panic!("{why}"));
    }
}

#[test]
fn cutting_at_the_edges_is_refused_as_truncated_or_damaged() {
    let (_, package) = package();
    let header = age_header_len(package);
    let payload = header + 16;
    let cases = [
        (0, "not_age"),
        (10, "truncated"),
        (header - 1, "truncated"),
        (header, "truncated"),
        // A header and a nonce but not one chunk.
        (payload, "truncated"),
        // Exactly one full chunk: only the last-chunk flag tells that more must follow.
        (payload + AGE_ENCRYPTED_CHUNK, "truncated"),
        // A chunk cut inside is tried as the last one and fails authentication.
        (payload + AGE_ENCRYPTED_CHUNK + 1, "damaged"),
        (package.len() - 1, "damaged"),
    ];
    for (cut, expected) in cases {
        let result = open_changed(&package[..cut]);
        assert_eq!(code(&result), expected, "cut at {cut} of {}: {result:?}", package.len());
    }
}

#[test]
fn anything_appended_is_refused() {
    let (_, package) = package();
    let appended: [Vec<u8>; 6] = [
        vec![0],
        vec![b'\n'],
        b"garbage".to_vec(),
        vec![0; 16],
        // As long as a whole encrypted chunk.
        vec![0; AGE_ENCRYPTED_CHUNK],
        // The package again.
        package.clone(),
    ];
    for extra in appended {
        let mut changed = package.clone();
        changed.extend_from_slice(&extra);
        let result = open_changed(&changed);
        assert_eq!(code(&result), "damaged", "{} bytes appended: {result:?}", extra.len());
    }
}

//! Secrets sealed at rest.

use comity_auth::seal::{SealError, ServerKey};

#[test]
fn sealed_values_open_only_with_their_key_and_record() {
    let key = ServerKey::generate();
    let sealed = key.seal(b"JBSWY3DPEHPK3PXP", b"totp:user:42");
    assert_eq!(sealed.len(), 1 + 24 + 16 + 16);
    assert_eq!(sealed[0], 1);
    assert_eq!(key.open(&sealed, b"totp:user:42").as_deref(), Ok(&b"JBSWY3DPEHPK3PXP"[..]));
    // A random nonce: the same secret seals differently each time.
    assert_ne!(key.seal(b"JBSWY3DPEHPK3PXP", b"totp:user:42"), sealed);
    assert_eq!(key.open(&key.seal(b"", b""), b"").as_deref(), Ok(&b""[..]));

    let restored = ServerKey::from_bytes(key.to_bytes());
    assert_eq!(restored.open(&sealed, b"totp:user:42").as_deref(), Ok(&b"JBSWY3DPEHPK3PXP"[..]));
    assert_eq!(ServerKey::generate().open(&sealed, b"totp:user:42"), Err(SealError::Failed));
    assert_eq!(key.open(&sealed, b"totp:user:43"), Err(SealError::Failed));
    assert_eq!(key.open(&sealed, b""), Err(SealError::Failed));
}

#[test]
fn every_changed_byte_and_every_truncation_fails_cleanly() {
    let key = ServerKey::generate();
    let sealed = key.seal(b"a TOTP secret", b"totp:user:42");
    for at in 0..sealed.len() {
        let mut changed = sealed.clone();
        changed[at] ^= 0x01;
        let expected = if at == 0 { SealError::UnknownVersion(0) } else { SealError::Failed };
        assert_eq!(key.open(&changed, b"totp:user:42"), Err(expected), "byte {at}");
    }
    for len in 0..sealed.len() {
        let expected = if len < 41 { SealError::Truncated(len) } else { SealError::Failed };
        assert_eq!(key.open(&sealed[..len], b"totp:user:42"), Err(expected), "length {len}");
    }
    let mut longer = sealed.clone();
    longer.push(0);
    assert_eq!(key.open(&longer, b"totp:user:42"), Err(SealError::Failed));
}

#[test]
fn debug_never_shows_the_key() {
    let key = ServerKey::from_bytes([0xab; 32]);
    let debug = format!("{key:?}");
    assert!(!debug.contains("ab") && !debug.contains("171"), "{debug}");
}

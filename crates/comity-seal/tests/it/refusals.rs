//! Who may open and who signed: the wrong identity and an unexpected signing key are
//! refused with errors that say so. And what `seal` refuses to write: a file whose data
//! is not what the manifest says, a key or recipients that do not match the manifest.

use std::io::{self, Read};

use comity_auth::jws::SigningKey;
use comity_seal::age::x25519::Identity;
use comity_seal::{FileEntry, ManifestError, SealError, Sha256Hash, VerifyError, open, open_with, seal};

use crate::support::{AGE_CHUNK, Fixture, bytes, code};

#[test]
fn the_wrong_identity_is_told_it_cannot_decrypt() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec())]);
    let (package, _) = fixture.seal();
    let stranger = Identity::generate();

    let error = open(&package[..], &stranger, None).expect_err("another identity cannot open it");
    let VerifyError::WrongIdentity { recipient } = &error else {
        panic!("expected WrongIdentity, got {error:?}")
    };
    assert_eq!(recipient, &stranger.to_public().to_string(), "the error names the identity that was tried");
    assert_eq!(error.code(), "wrong_identity");
    assert!(error.is_refusal());
    let message = error.to_string();
    assert!(
        message.contains("cannot decrypt") && message.contains(recipient.as_str()),
        "the message says which identity cannot decrypt: {message}"
    );
}

#[test]
fn a_signing_key_other_than_the_expected_one_is_refused_before_any_file_is_written() {
    // The manifest is signed, correctly, but by a key that is not the provider's
    // registered one: anyone can encrypt to the authority and sign with a key of their own.
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec())]);
    let (package, _) = fixture.seal();
    let registered = SigningKey::generate().public();

    let mut created = 0;
    let error = open_with(&package[..], &fixture.authority, Some(&registered), |_| {
        created += 1;
        Ok(io::sink())
    })
    .expect_err("an unexpected signing key is refused");
    assert_eq!(created, 0, "no file is handed out from a package signed by an unexpected key");

    let VerifyError::UnexpectedKey { kid, found, expected } = &error else {
        panic!("expected UnexpectedKey, got {error:?}")
    };
    assert_eq!(kid, fixture.manifest.signing_key.kid.as_str());
    assert_eq!(found, &fixture.provider.public().thumbprint());
    assert_eq!(expected, &registered.thumbprint());
    assert_eq!(error.code(), "unexpected_key");
    let message = error.to_string();
    assert!(message.contains(found.as_str()) && message.contains(expected.as_str()), "{message}");

    // The expected key itself is accepted.
    let verified =
        open(&package[..], &fixture.authority, Some(&fixture.provider.public())).expect("it opens");
    assert!(verified.key_checked());
}

/// A reader that fails after its first bytes, like a disk that fails.
struct Failing(usize);

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::Error::other("the disk failed"));
        }
        let n = buf.len().min(self.0);
        buf[..n].fill(b'x');
        self.0 -= n;
        Ok(n)
    }
}

/// Seals `fixture` giving `data(entry)` for each file instead of its true bytes.
fn seal_with(
    fixture: &Fixture,
    data: impl Fn(&FileEntry) -> io::Result<Box<dyn Read>>,
) -> (Vec<u8>, Result<comity_seal::Sealed, SealError>) {
    let mut out = Vec::new();
    let result =
        seal(&mut out, &[fixture.authority.to_public()], &fixture.provider, &fixture.manifest, |e| data(e));
    (out, result)
}

#[test]
fn seal_refuses_data_that_differs_from_the_manifest() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec()), ("big.bin", bytes(2 * AGE_CHUNK + 10, 5))]);

    // Each file's bytes are checked while they stream: the same size but another byte, a
    // byte fewer, a byte more.
    for target in ["a.txt", "big.bin"] {
        let given = |entry: &FileEntry, change: fn(&mut Vec<u8>)| {
            let mut data = fixture.data(entry).to_vec();
            if entry.name.as_str() == target {
                change(&mut data);
            }
            data
        };
        let entry = fixture.manifest.files.iter().find(|f| f.name.as_str() == target).expect("listed");

        let (out, result) = seal_with(&fixture, |e| Ok(Box::new(io::Cursor::new(given(e, |d| d[0] ^= 1)))));
        let mut changed = fixture.data(entry).to_vec();
        changed[0] ^= 1;
        match result {
            Err(SealError::HashDiffers { name, manifest, actual }) => {
                assert!(name.contains(target), "{name}");
                assert_eq!(manifest, entry.sha256);
                assert_eq!(actual, Sha256Hash::of(&changed), "the error gives the hash of the data read");
            }
            other => panic!("{target}, a changed byte: expected HashDiffers, got {other:?}"),
        }
        // What was written before the refusal is an age file without its last chunk.
        assert_eq!(
            code(&open(&out[..], &fixture.authority, None)),
            "truncated",
            "{target}: the output of a refused seal does not open"
        );

        let (_, result) =
            seal_with(&fixture, |e| Ok(Box::new(io::Cursor::new(given(e, |d| d.truncate(d.len() - 1))))));
        match result {
            Err(SealError::Shorter { name, manifest, actual }) => {
                assert!(name.contains(target), "{name}");
                assert_eq!((manifest, actual), (entry.size, entry.size - 1));
            }
            other => panic!("{target}, a byte fewer: expected Shorter, got {other:?}"),
        }

        let (_, result) = seal_with(&fixture, |e| Ok(Box::new(io::Cursor::new(given(e, |d| d.push(0))))));
        match result {
            Err(SealError::Longer { name, manifest }) => {
                assert!(name.contains(target), "{name}");
                assert_eq!(manifest, entry.size);
            }
            other => panic!("{target}, a byte more: expected Longer, got {other:?}"),
        }
    }
}

#[test]
fn seal_tells_failing_data_apart_from_a_failing_output() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec()), ("b.bin", bytes(1000, 6))]);
    let (_, result) = seal_with(&fixture, |e| {
        if e.name.as_str() == "b.bin" {
            Err(io::Error::other("no such file"))
        } else {
            Ok(Box::new(io::Cursor::new(fixture.data(e).to_vec())))
        }
    });
    assert!(matches!(&result, Err(SealError::Open { name, .. }) if name.contains("b.bin")), "{result:?}");

    let (_, result) = seal_with(&fixture, |e| {
        if e.name.as_str() == "b.bin" {
            Ok(Box::new(Failing(100)))
        } else {
            Ok(Box::new(io::Cursor::new(fixture.data(e).to_vec())))
        }
    });
    match &result {
        Err(SealError::Read { name, source }) => {
            assert!(name.contains("b.bin"), "{name}");
            assert_eq!(source.to_string(), "the disk failed", "the data's own error is kept");
        }
        other => panic!("expected Read, got {other:?}"),
    }
}

#[test]
fn seal_refuses_keys_and_recipients_that_do_not_match_the_manifest() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec())]);
    let data = |e: &FileEntry| Ok(fixture.data(e));

    let other_key = SigningKey::generate();
    let result = seal(Vec::new(), &[fixture.authority.to_public()], &other_key, &fixture.manifest, data);
    assert!(
        matches!(&result, Err(SealError::KeyMismatch { kid }) if kid == fixture.manifest.signing_key.kid.as_str()),
        "{result:?}"
    );

    let stranger = Identity::generate().to_public();
    let result =
        seal(Vec::new(), std::slice::from_ref(&stranger), &fixture.provider, &fixture.manifest, data);
    assert!(
        matches!(&result, Err(SealError::RecipientMissing(r)) if *r == fixture.manifest.recipient.age.to_string()),
        "{result:?}"
    );

    let result = seal(Vec::new(), &[], &fixture.provider, &fixture.manifest, data);
    assert!(matches!(result, Err(SealError::NoRecipients)), "{result:?}");
}

#[test]
fn seal_refuses_a_manifest_that_does_not_check() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec()), ("A.TXT", b"beta\n".to_vec())]);
    let data = |e: &FileEntry| Ok(fixture.data(e));
    let recipients = [fixture.authority.to_public()];
    let result = seal(Vec::new(), &recipients, &fixture.provider, &fixture.manifest, data);
    assert!(
        matches!(&result, Err(SealError::Manifest(ManifestError::DuplicateFile(_)))),
        "names that differ only in case: {result:?}"
    );

    let mut manifest = Fixture::new(&[]).manifest;
    manifest.recipient.age = fixture.authority.to_public();
    manifest.signing_key = fixture.manifest.signing_key.clone();
    std::mem::swap(&mut manifest.scope.from, &mut manifest.scope.to);
    let result = seal(Vec::new(), &recipients, &fixture.provider, &manifest, data);
    assert!(matches!(&result, Err(SealError::Manifest(ManifestError::Window { .. }))), "{result:?}");

    for field in ["request", "provider"] {
        let mut manifest = manifest.clone();
        std::mem::swap(&mut manifest.scope.from, &mut manifest.scope.to);
        *(if field == "request" { &mut manifest.request } else { &mut manifest.provider }) =
            "two\nlines".into();
        let result = seal(Vec::new(), &recipients, &fixture.provider, &manifest, data);
        assert!(
            matches!(&result, Err(SealError::Manifest(ManifestError::Field { field: f, .. })) if *f == field),
            "{field} with a newline: {result:?}"
        );
    }
}

//! The reader's strictness, case by case: packages made by hand, properly encrypted to the
//! authority (so age accepts them), whose tar or manifest breaks one rule of
//! `docs/package-format.md`, each refused with its own code.

use comity_seal::age::secrecy::SecretString;
use comity_seal::age::{self, scrypt};
use comity_seal::{
    MANIFEST_NAME, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, SIGNATURE_NAME, open, sign_manifest,
};
use tar::EntryType;

use crate::support::{Fixture, code, encrypt};

/// One tar entry: name, bytes, type.
type Entry = (String, Vec<u8>, EntryType);

fn file(name: &str, data: &[u8]) -> Entry {
    (name.to_owned(), data.to_vec(), EntryType::Regular)
}

/// A tar of `entries` as comity writes them (ustar, mode 0644), and its two zero blocks.
fn tar_of(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data, kind) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_path(name).expect("a short name");
        header.set_entry_type(*kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_772_359_200);
        header.set_cksum();
        builder.append(&header, &data[..]).expect("writing to a Vec");
    }
    builder.into_inner().expect("writing to a Vec")
}

/// The production of the cases: two files, `a.txt` and `b.txt`.
struct Case {
    fixture: Fixture,
    json: Vec<u8>,
    signature: String,
}

impl Case {
    fn new() -> Case {
        let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec()), ("b.txt", b"beta\n".to_vec())]);
        let json = fixture.manifest.to_json().expect("the manifest serializes");
        let signature = sign_manifest(&fixture.provider, &fixture.manifest.signing_key.kid, &json);
        Case { fixture, json, signature }
    }

    /// `json` as manifest.json with its valid signature.
    fn signed(&self, json: &[u8]) -> [Entry; 2] {
        let signature = sign_manifest(&self.fixture.provider, &self.fixture.manifest.signing_key.kid, json);
        [file(MANIFEST_NAME, json), file(SIGNATURE_NAME, signature.as_bytes())]
    }

    fn manifest(&self) -> Entry {
        file(MANIFEST_NAME, &self.json)
    }

    fn signature(&self) -> Entry {
        file(SIGNATURE_NAME, self.signature.as_bytes())
    }

    /// The manifest's JSON with `from` replaced by `to`, which must be there.
    fn json_with(&self, from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8(self.json.clone()).expect("JSON is UTF-8");
        assert!(text.contains(from), "the manifest has {from:?}");
        text.replacen(from, to, 1).into_bytes()
    }

    /// Encrypts `plain` to the authority and opens it, expecting the provider's key.
    /// Each tar of entries, encrypted, is refused with the code expected (or opens, for
    /// `"ok"`); every case that does not is reported at once.
    fn expect_codes(&self, cases: Vec<(&str, Vec<Entry>, &str)>) {
        let mut failures = Vec::new();
        for (what, entries, expected) in cases {
            let got = self.open_code(&tar_of(&entries));
            if got != expected {
                failures.push(format!("{what}: expected {expected}, got {got}"));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    fn open_code(&self, plain: &[u8]) -> &'static str {
        self.open_package(&encrypt(plain, &self.fixture.authority.to_public()))
    }

    fn open_package(&self, package: &[u8]) -> &'static str {
        code(&open(package, &self.fixture.authority, Some(&self.fixture.provider.public())))
    }
}

fn a() -> Entry {
    file("a.txt", b"alpha\n")
}

fn b() -> Entry {
    file("b.txt", b"beta\n")
}

#[test]
fn each_break_of_the_tar_layout_has_its_code() {
    let case = Case::new();
    let (m, s) = (case.manifest(), case.signature());
    let c = file("c.txt", b"gamma\n");
    let mut pax = file("PaxHeaders.0/a.txt", b"14 path=a.txt\n");
    pax.2 = EntryType::XHeader;
    let mut old_style = a();
    old_style.2 = EntryType::new(0);

    let cases: Vec<(&str, Vec<Entry>, &str)> = vec![
        ("as seal writes it", vec![m.clone(), s.clone(), a(), b()], "ok"),
        ("a file with the pre-POSIX NUL type flag", vec![m.clone(), s.clone(), old_style, b()], "ok"),
        ("an empty tar", vec![], "missing_entry"),
        ("only manifest.json", vec![m.clone()], "missing_entry"),
        ("manifest.sig first", vec![s.clone(), m.clone(), a(), b()], "unexpected_entry"),
        ("no manifest.sig", vec![m.clone(), a(), b()], "unexpected_entry"),
        ("a pax extended header", vec![m.clone(), s.clone(), pax, a(), b()], "extra_entry"),
        ("files out of order", vec![m.clone(), s.clone(), b(), a()], "out_of_order"),
        ("a file missing", vec![m.clone(), s.clone(), a()], "missing_file"),
        (
            "a file the manifest does not list, at the end",
            vec![m.clone(), s.clone(), a(), b(), c.clone()],
            "extra_entry",
        ),
        (
            "a file the manifest does not list, in between",
            vec![m.clone(), s.clone(), a(), c, b()],
            "extra_entry",
        ),
        ("a file twice", vec![m.clone(), s.clone(), a(), b(), a()], "duplicate_entry"),
        ("a file twice in a row", vec![m.clone(), s.clone(), a(), a(), b()], "duplicate_entry"),
        ("manifest.json twice", vec![m.clone(), s.clone(), a(), b(), m.clone()], "duplicate_entry"),
        (
            "a directory where a file is listed",
            vec![m.clone(), s.clone(), ("a.txt".into(), vec![], EntryType::Directory), b()],
            "not_a_file",
        ),
        (
            "a symbolic link where a file is listed",
            vec![m.clone(), s.clone(), ("a.txt".into(), vec![], EntryType::Symlink), b()],
            "not_a_file",
        ),
        (
            "manifest.json a hard link",
            vec![(MANIFEST_NAME.into(), vec![], EntryType::Link), s.clone(), a(), b()],
            "not_a_file",
        ),
        (
            "a file's bytes changed",
            vec![m.clone(), s.clone(), file("a.txt", b"alphA\n"), b()],
            "hash_differs",
        ),
        (
            "a file's size changed",
            vec![m.clone(), s.clone(), file("a.txt", b"alpha!\n"), b()],
            "size_differs",
        ),
    ];
    case.expect_codes(cases);
}

#[test]
fn each_fault_of_the_manifest_or_signature_has_its_code() {
    let case = Case::new();
    let (m, s) = (case.manifest(), case.signature());
    let kid = &case.fixture.manifest.signing_key.kid;
    let request = format!("\"{}\"", case.fixture.manifest.request);
    let changed = case.json_with(&request, &request.replace("42", "43"));
    let attached = case.fixture.provider.sign_compact(kid, &case.json);
    let other_kid = comity_auth::jws::KeyId::parse("another-key").expect("a valid key id");

    let cases: Vec<(&str, Vec<Entry>, &str)> = vec![
        (
            "manifest.json changed after it was signed",
            vec![file(MANIFEST_NAME, &changed), s.clone(), a(), b()],
            "bad_signature",
        ),
        (
            "manifest.sig with its payload attached",
            vec![m.clone(), file(SIGNATURE_NAME, attached.as_bytes()), a(), b()],
            "signature_malformed",
        ),
        (
            "manifest.sig with a final newline",
            vec![m.clone(), file(SIGNATURE_NAME, format!("{}\n", case.signature).as_bytes()), a(), b()],
            "signature_malformed",
        ),
        (
            "manifest.sig naming another kid",
            vec![
                m.clone(),
                file(
                    SIGNATURE_NAME,
                    sign_manifest(&case.fixture.provider, &other_kid, &case.json).as_bytes(),
                ),
                a(),
                b(),
            ],
            "kid_mismatch",
        ),
        (
            "manifest.sig over the size limit",
            vec![m.clone(), file(SIGNATURE_NAME, &vec![b'A'; MAX_SIGNATURE_BYTES + 1]), a(), b()],
            "signature_malformed",
        ),
        (
            "a signed manifest with an unknown field",
            [
                &case.signed(&case.json_with("\"request\"", "\"note\": \"x\",\n  \"request\""))[..],
                &[a(), b()],
            ]
            .concat(),
            "manifest_invalid",
        ),
        (
            "a signed manifest with a key twice",
            [
                &case.signed(&case.json_with("\"request\"", "\"purpose\": \"other\",\n  \"request\""))[..],
                &[a(), b()],
            ]
            .concat(),
            "manifest_invalid",
        ),
        (
            "a signed manifest of another format version",
            [&case.signed(&case.json_with("comity-production/v1", "comity-production/v2"))[..], &[a(), b()]]
                .concat(),
            "manifest_invalid",
        ),
        (
            "manifest.json over the size limit",
            vec![file(MANIFEST_NAME, &vec![b' '; MAX_MANIFEST_BYTES + 1]), s.clone(), a(), b()],
            "manifest_too_large",
        ),
    ];
    case.expect_codes(cases);
}

#[test]
fn after_the_tar_only_zeros_may_follow() {
    let case = Case::new();
    let tar = tar_of(&[case.manifest(), case.signature(), a(), b()]);

    // GNU tar pads an archive to a record of 20 blocks with zeros.
    let padded = [&tar[..], &vec![0; 20 * 512 - tar.len() % (20 * 512)]].concat();
    assert_eq!(case.open_code(&padded), "ok");

    for extra in [&b"x"[..], &[0, 0, 0, 1], &[0; 512 * 3][..]] {
        let mut trailing = [&tar[..], extra].concat();
        trailing.push(b'!');
        assert_eq!(case.open_code(&trailing), "trailing_data", "{} bytes then '!'", extra.len());
    }

    assert_eq!(case.open_code(b"this is not a tar archive, only text that is long enough"), "not_tar");
}

#[test]
fn each_other_kind_of_age_file_has_its_code() {
    let case = Case::new();
    let tar = tar_of(&[case.manifest(), case.signature(), a(), b()]);
    let package = encrypt(&tar, &case.fixture.authority.to_public());

    assert_eq!(case.open_package(b""), "not_age");
    assert_eq!(case.open_package(&tar), "not_age", "a tar that was not encrypted");
    let v2 = [&b"age-encryption.org/v2"[..], &package[b"age-encryption.org/v1".len()..]].concat();
    assert_eq!(case.open_package(&v2), "unsupported_age_version");

    // A passphrase-encrypted file (scrypt, age-encryption.org/v1 "scrypt recipient
    // stanza"), refused before any key derivation.
    let mut recipient = scrypt::Recipient::new(SecretString::from("correct horse battery staple".to_owned()));
    recipient.set_work_factor(2);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .expect("one scrypt recipient");
    let mut scrypted = Vec::new();
    let mut writer = encryptor.wrap_output(&mut scrypted).expect("writing to a Vec");
    std::io::Write::write_all(&mut writer, &tar).expect("writing to a Vec");
    writer.finish().expect("writing to a Vec");
    assert_eq!(case.open_package(&scrypted), "passphrase");
}

/// The age header is bounded: a hostile one costs a bounded time (the age crate parses
/// headers in quadratic time, str4d/rage#368), and a package sealed to many recipients
/// still fits.
#[test]
fn the_age_header_is_bounded_with_room_for_many_recipients() {
    let case = Case::new();
    // Headers of the two shapes that cost the parser most: a stanza body that never ends,
    // and stanza after empty stanza; each one byte over the limit once the nonce is read.
    for unit in [&b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"[..], b"-> a\n\n"] {
        let mut huge = b"age-encryption.org/v1\n-> X25519 AAAA\n".to_vec();
        while huge.len() <= comity_seal::MAX_AGE_HEADER_BYTES as usize {
            huge.extend_from_slice(unit);
        }
        assert_eq!(case.open_package(&huge), "header_too_large", "{}", String::from_utf8_lossy(&unit[..5]));
    }

    // 38 X25519 recipients and the random "grease" stanza the age crate adds fit the limit.
    let fixture = &case.fixture;
    let others: Vec<_> = (0..37).map(|_| age::x25519::Identity::generate().to_public()).collect();
    let recipients: Vec<_> = others.iter().cloned().chain([fixture.authority.to_public()]).collect();
    let mut package = Vec::new();
    comity_seal::seal(&mut package, &recipients, &fixture.provider, &fixture.manifest, |e| {
        Ok(fixture.data(e))
    })
    .expect("the package seals");
    assert_eq!(case.open_package(&package), "ok");
}

//! What is sealed opens to the same manifest and the same bytes, however the bytes move.

use std::io::{self, Read, Write};

use comity_seal::{MANIFEST_NAME, SIGNATURE_NAME, Sha256Hash, open, seal};

use crate::support::{AGE_CHUNK, Fixture, bytes, created_at, decrypt, open_collect};

/// Files of every kind a production has: text, an empty file, a file that crosses two
/// age chunk boundaries and ends off a tar block, one of exactly one chunk, a name with
/// spaces and non-ASCII letters.
fn varied() -> Fixture {
    Fixture::new(&[
        ("records.jsonl", b"{\"kind\":\"subscriber\",\"email\":\"target@example.org\"}\n".to_vec()),
        ("empty.bin", Vec::new()),
        ("mailbox.mbox", bytes(2 * AGE_CHUNK + 4321, 1)),
        ("exactly-one-chunk.bin", bytes(AGE_CHUNK, 2)),
        ("Anhang – Übersicht.txt", "Grüße aus München\n".as_bytes().to_vec()),
    ])
}

#[test]
fn seal_then_open_gives_the_same_manifest_and_bytes() {
    let fixture = varied();
    let (package, sealed) = fixture.seal();

    let expected = fixture.provider.public();
    let (verified, files) =
        open_collect(&package[..], &fixture.authority, Some(&expected)).expect("the package opens");

    assert_eq!(verified.manifest(), &fixture.manifest);
    let json = fixture.manifest.to_json().expect("the manifest serializes");
    assert_eq!(verified.manifest_json(), &json[..], "manifest.json is the manifest's canonical JSON");
    assert_eq!(verified.manifest_sha256(), &Sha256Hash::of(&json));
    assert_eq!(verified.manifest_sha256(), sealed.manifest_sha256());
    assert_eq!(verified.signature(), sealed.signature());
    assert!(verified.key_checked(), "the signing key was checked against the expected one");

    // Every file, in the manifest's order, with its bytes.
    let names: Vec<&str> = files.iter().map(|(entry, _)| entry.name.as_str()).collect();
    let listed: Vec<&str> = fixture.manifest.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, listed);
    for (entry, data) in &files {
        assert_eq!(entry, fixture.manifest.files.iter().find(|f| f.name == entry.name).expect("listed"));
        assert!(data[..] == *fixture.data(entry), "{}: the bytes differ", entry.name);
    }

    // What seal says of the package is true of the bytes it wrote.
    assert_eq!(sealed.package_size(), package.len() as u64);
    assert_eq!(sealed.package_sha256(), &Sha256Hash::of(&package));
}

#[test]
fn open_without_an_expected_key_verifies_but_says_the_key_was_not_checked() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec())]);
    let (package, _) = fixture.seal();
    let verified = open(&package[..], &fixture.authority, None).expect("the package opens");
    assert_eq!(verified.manifest(), &fixture.manifest);
    assert!(!verified.key_checked());
}

#[test]
fn a_production_without_files_round_trips() {
    let fixture = Fixture::new(&[]);
    let (package, _) = fixture.seal();
    let (verified, files) = open_collect(&package[..], &fixture.authority, None).expect("the package opens");
    assert_eq!(verified.manifest(), &fixture.manifest);
    assert!(files.is_empty());
}

#[test]
fn every_recipient_can_open_a_package_encrypted_to_several() {
    let fixture = Fixture::new(&[("a.txt", b"alpha\n".to_vec())]);
    let auditor = comity_seal::age::x25519::Identity::generate();
    let mut package = Vec::new();
    seal(
        &mut package,
        &[auditor.to_public(), fixture.authority.to_public()],
        &fixture.provider,
        &fixture.manifest,
        |entry| Ok(fixture.data(entry)),
    )
    .expect("the package seals");
    for identity in [&fixture.authority, &auditor] {
        let verified = open(&package[..], identity, Some(&fixture.provider.public())).expect("it opens");
        assert_eq!(verified.manifest(), &fixture.manifest);
    }
}

/// A reader that gives at most a few bytes a call, as a pipe or a socket may.
struct Trickle<R>(R);

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(7);
        self.0.read(&mut buf[..len])
    }
}

/// A writer that takes at most a few bytes a call.
struct Dribble<'a>(&'a mut Vec<u8>);

impl Write for Dribble<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len().min(5);
        self.0.extend_from_slice(&buf[..len]);
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn short_reads_and_short_writes_change_nothing() {
    let fixture = Fixture::new(&[("a.bin", bytes(AGE_CHUNK + 99, 3)), ("b.txt", b"beta\n".to_vec())]);
    let mut package = Vec::new();
    let sealed = seal(
        Dribble(&mut package),
        &[fixture.authority.to_public()],
        &fixture.provider,
        &fixture.manifest,
        |entry| Ok(Trickle(fixture.data(entry))),
    )
    .expect("the package seals through short writes and reads");
    assert_eq!(sealed.package_size(), package.len() as u64);
    assert_eq!(sealed.package_sha256(), &Sha256Hash::of(&package));

    let (verified, files) =
        open_collect(Trickle(&package[..]), &fixture.authority, None).expect("it opens through short reads");
    assert_eq!(verified.manifest(), &fixture.manifest);
    for (entry, data) in &files {
        assert!(data[..] == *fixture.data(entry), "{}: the bytes differ", entry.name);
    }
}

/// The tar is deterministic and plain, as `seal` documents: ustar headers, mode 0644,
/// owner 0:0 without names, every time the production's; only the age layer differs.
#[test]
fn the_tar_inside_is_deterministic_and_in_the_documented_form() {
    let fixture = varied();
    let (first, _) = fixture.seal();
    let (second, _) = fixture.seal();
    assert_ne!(first, second, "age uses a new file key each time");
    let tar = decrypt(&first, &fixture.authority);
    assert_eq!(tar, decrypt(&second, &fixture.authority), "the same production gives the same tar");
    assert_eq!(tar.len() % 512, 0, "a tar is made of 512-byte blocks");

    let mut archive = tar::Archive::new(&tar[..]);
    let mut names = Vec::new();
    for entry in archive.entries().expect("a tar").raw(true) {
        let entry = entry.expect("a tar entry");
        let header = entry.header();
        let name = String::from_utf8(entry.path_bytes().into_owned()).expect("a UTF-8 name");
        assert!(header.as_ustar().is_some(), "{name}: a ustar header");
        assert_eq!(header.entry_type(), tar::EntryType::Regular, "{name}");
        assert_eq!(header.mode().expect("a mode"), 0o644, "{name}");
        assert_eq!((header.uid().expect("a uid"), header.gid().expect("a gid")), (0, 0), "{name}");
        assert_eq!(header.username_bytes(), Some(&b""[..]), "{name}");
        assert_eq!(header.groupname_bytes(), Some(&b""[..]), "{name}");
        assert_eq!(header.mtime().expect("a time"), created_at().timestamp() as u64, "{name}");
        names.push(name);
    }
    let mut expected = vec![MANIFEST_NAME.to_owned(), SIGNATURE_NAME.to_owned()];
    expected.extend(fixture.manifest.files.iter().map(|f| f.name.to_string()));
    assert_eq!(names, expected);
}

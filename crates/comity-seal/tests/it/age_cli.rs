//! Interoperability with the standard tools an authority has: the reference `age` and
//! `age-keygen` (age-encryption.org), `tar` and `sha256sum`. A package opens by hand as
//! `docs/package-format.md` says, the keys `age-keygen` writes are the keys comity takes,
//! and a package made with `tar` and `age` alone is one comity opens.
//!
//! Without these tools the tests print `SKIPPED (age interop)` to the terminal and pass,
//! unless `COMITY_REQUIRE_AGE=1`, which CI should set, makes them fail.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Output};

use comity_seal::age::secrecy::ExposeSecret;
use comity_seal::age::x25519::Identity;
use comity_seal::{
    MANIFEST_NAME, Manifest, SIGNATURE_NAME, SealError, Sha256Hash, open, parse_identity, parse_recipient,
    seal, sign_manifest, verify_manifest,
};

use crate::support::{AGE_CHUNK, Fixture, bytes, open_collect};

/// Whether `tools` can run: otherwise the test fails under `COMITY_REQUIRE_AGE=1`, and
/// says loudly that it was skipped and why.
fn tools_available(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<String> = tools
        .iter()
        .filter_map(|tool| match Command::new(tool).arg("--version").output() {
            Ok(output) if output.status.success() => None,
            Ok(output) => Some(format!("`{tool} --version` failed with {}", output.status)),
            Err(e) => Some(format!("`{tool}` cannot be run ({e})")),
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    assert!(
        std::env::var("COMITY_REQUIRE_AGE").as_deref() != Ok("1"),
        "{test}: {why}. Install age (`apt-get install age`, or https://age-encryption.org); \
         COMITY_REQUIRE_AGE=1 makes this a failure instead of a skip"
    );
    // Written to the process's stderr itself: the test harness captures `eprintln!` of a
    // passing test, and a skip must be seen.
    let _ = writeln!(
        io::stderr().lock(),
        "\n!!! SKIPPED (age interop): {test}: {why}; install age (`apt-get install age`) to run it, \
         COMITY_REQUIRE_AGE=1 to require it\n"
    );
    false
}

/// Runs `command`; returns its output if it succeeded, and fails the test otherwise.
fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} cannot run: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Writes `identity` as `age-keygen` writes a key file.
fn write_key_file(path: &Path, identity: &Identity) {
    let text = format!(
        "# created: 2026-03-01T10:00:00Z\n# public key: {}\n{}\n",
        identity.to_public(),
        identity.to_string().expose_secret()
    );
    fs::write(path, text).expect("writing the key file");
}

/// The files of a production an authority receives: text, an empty file, a file over one
/// age chunk, a name with spaces and non-ASCII letters.
fn production_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("records.jsonl", b"{\"kind\":\"subscriber\",\"email\":\"target@example.org\"}\n".to_vec()),
        ("empty.bin", Vec::new()),
        ("mailbox.mbox", bytes(AGE_CHUNK + 4321, 11)),
        ("Anhang – Übersicht.txt", "Grüße aus München\n".as_bytes().to_vec()),
    ]
}

/// The hashes `sha256sum` prints for `names` in `dir`, in order.
fn sha256sum(dir: &Path, names: &[&str]) -> Vec<String> {
    let output = run(Command::new("sha256sum").args(names).current_dir(dir));
    let text = String::from_utf8(output.stdout).expect("sha256sum prints UTF-8 here");
    let hashes: Vec<String> = text.lines().map(|line| line.chars().take(64).collect()).collect();
    assert_eq!(hashes.len(), names.len(), "one line a file: {text}");
    hashes
}

#[test]
fn a_package_opens_with_age_tar_and_sha256sum() {
    if !tools_available("a_package_opens_with_age_tar_and_sha256sum", &["age", "tar", "sha256sum"]) {
        return;
    }
    let fixture = Fixture::new(&production_files());
    let (package, sealed) = fixture.seal();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("creating out/");
    fs::write(dir.path().join("PKG.age"), &package).expect("writing the package");
    write_key_file(&dir.path().join("key.txt"), &fixture.authority);

    // As docs/package-format.md says: age -d, then tar -x, then sha256sum.
    run(Command::new("age")
        .args(["-d", "-i", "key.txt", "-o", "pkg.tar", "PKG.age"])
        .current_dir(dir.path()));
    run(Command::new("tar").args(["-xf", "../pkg.tar"]).current_dir(&out));

    let mut expected: Vec<&str> = vec![MANIFEST_NAME, SIGNATURE_NAME];
    expected.extend(fixture.manifest.files.iter().map(|f| f.name.as_str()));
    let mut extracted: Vec<String> = fs::read_dir(&out)
        .expect("listing out/")
        .map(|e| e.expect("an entry").file_name().into_string().expect("a UTF-8 name"))
        .collect();
    extracted.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(extracted, sorted, "tar extracts exactly manifest.json, manifest.sig and the files");

    let hashes = sha256sum(&out, &expected);
    assert_eq!(hashes[0], sealed.manifest_sha256().to_string(), "sha256sum manifest.json");
    for (entry, hash) in fixture.manifest.files.iter().zip(&hashes[2..]) {
        assert_eq!(hash, &entry.sha256.to_string(), "sha256sum {}", entry.name);
        let size = fs::metadata(out.join(entry.name.as_str())).expect("extracted").len();
        assert_eq!(size, entry.size, "the size of {}", entry.name);
    }

    // What tar extracted verifies as the format says, without comity's reader: the
    // signature over the bytes of manifest.json, with the manifest's own key.
    let json = fs::read(out.join(MANIFEST_NAME)).expect("manifest.json");
    let signature = fs::read_to_string(out.join(SIGNATURE_NAME)).expect("manifest.sig");
    assert_eq!(signature, sealed.signature());
    let manifest = Manifest::from_json(&json).expect("manifest.json parses");
    assert_eq!(manifest, fixture.manifest);
    verify_manifest(&signature, &json, &manifest.signing_key.kid, &manifest.signing_key.jwk)
        .expect("manifest.sig verifies");
}

#[test]
fn keys_from_age_keygen_are_accepted() {
    if !tools_available("keys_from_age_keygen_are_accepted", &["age", "age-keygen"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let generated = run(Command::new("age-keygen").args(["-o", "key.txt"]).current_dir(dir.path()));
    let key_file = fs::read_to_string(dir.path().join("key.txt")).expect("age-keygen wrote key.txt");
    let identity = parse_identity(&key_file).expect("an age-keygen key file is accepted");

    // `age-keygen -y` prints the recipient the authority registers.
    let public = run(Command::new("age-keygen").args(["-y", "key.txt"]).current_dir(dir.path()));
    let printed = String::from_utf8(public.stdout).expect("UTF-8");
    let recipient = parse_recipient(&printed).expect("age-keygen -y's recipient is accepted");
    assert_eq!(recipient, identity.to_public());
    // And the one it announces when it generates the key.
    let announced = String::from_utf8_lossy(&generated.stderr);
    assert!(announced.contains(&recipient.to_string()), "age-keygen said: {announced}");

    // A package sealed to that recipient opens with that key file, by age and by comity.
    let fixture = Fixture::for_authority(identity, &[("a.txt", b"alpha\n".to_vec())]);
    assert_eq!(fixture.manifest.recipient.age, recipient);
    let (package, _) = fixture.seal();
    fs::write(dir.path().join("PKG.age"), &package).expect("writing the package");
    let tar =
        run(Command::new("age").args(["-d", "-i", "key.txt", "PKG.age"]).current_dir(dir.path())).stdout;
    assert!(tar.len() >= 4 * 512 && tar.len().is_multiple_of(512), "age -d gives the tar");
    let verified =
        open(&package[..], &fixture.authority, Some(&fixture.provider.public())).expect("it opens");
    assert_eq!(verified.manifest(), &fixture.manifest);
}

/// Another implementation needs nothing but the format: manifest.json and manifest.sig
/// written as documented, a ustar archive from `tar`, encrypted with `age -r`.
#[test]
fn a_package_made_with_tar_and_age_opens() {
    if !tools_available("a_package_made_with_tar_and_age_opens", &["age", "tar"]) {
        return;
    }
    let fixture = Fixture::new(&production_files());
    let json = fixture.manifest.to_json().expect("the manifest serializes");
    let signature = sign_manifest(&fixture.provider, &fixture.manifest.signing_key.kid, &json);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = dir.path().join("files");
    fs::create_dir(&files).expect("creating files/");
    fs::write(files.join(MANIFEST_NAME), &json).expect("writing manifest.json");
    fs::write(files.join(SIGNATURE_NAME), &signature).expect("writing manifest.sig");
    let mut names = vec![MANIFEST_NAME, SIGNATURE_NAME];
    for (name, data) in &fixture.files {
        fs::write(files.join(name.as_str()), data).expect("writing a data file");
        names.push(name.as_str());
    }
    run(Command::new("tar").args(["--format=ustar", "-cf", "../pkg.tar"]).args(&names).current_dir(&files));
    let recipient = fixture.authority.to_public().to_string();
    run(Command::new("age").args(["-r", &recipient, "-o", "PKG.age", "pkg.tar"]).current_dir(dir.path()));

    let package = fs::read(dir.path().join("PKG.age")).expect("age wrote PKG.age");
    let expected = fixture.provider.public();
    let (verified, opened) =
        open_collect(&package[..], &fixture.authority, Some(&expected)).expect("it opens");
    assert_eq!(verified.manifest(), &fixture.manifest);
    assert_eq!(verified.manifest_sha256(), &Sha256Hash::of(&json));
    assert_eq!(opened.len(), fixture.files.len());
    for (entry, data) in &opened {
        assert!(data[..] == *fixture.data(entry), "{}: the bytes differ", entry.name);
    }

    // ASCII armor (`age -a`) is refused with its own error, which says what to do.
    run(Command::new("age")
        .args(["-a", "-r", &recipient, "-o", "PKG.asc", "pkg.tar"])
        .current_dir(dir.path()));
    let armored = fs::read(dir.path().join("PKG.asc")).expect("age wrote PKG.asc");
    let error = open(&armored[..], &fixture.authority, None).expect_err("armor is refused");
    assert_eq!(error.code(), "armored");
    assert!(error.to_string().contains("age -d"), "{error}");
}

/// `seal` documents that after a refusal its output is an age file that no age
/// implementation decrypts; the reference one agrees.
#[test]
fn the_output_of_a_refused_seal_does_not_decrypt_with_age() {
    if !tools_available("the_output_of_a_refused_seal_does_not_decrypt_with_age", &["age"]) {
        return;
    }
    let fixture = Fixture::new(&[("big.bin", bytes(3 * AGE_CHUNK, 12)), ("last.txt", b"last\n".to_vec())]);
    let mut package = Vec::new();
    let result =
        seal(&mut package, &[fixture.authority.to_public()], &fixture.provider, &fixture.manifest, |entry| {
            Ok(if entry.name.as_str() == "last.txt" { &b"LAST\n"[..] } else { fixture.data(entry) })
        });
    assert!(matches!(result, Err(SealError::HashDiffers { .. })), "{result:?}");
    assert!(package.len() > 3 * AGE_CHUNK, "full chunks were written before the refusal");

    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir.path().join("PKG.age"), &package).expect("writing the output");
    write_key_file(&dir.path().join("key.txt"), &fixture.authority);
    let output = Command::new("age")
        .args(["-d", "-i", "key.txt", "-o", "pkg.tar", "PKG.age"])
        .current_dir(dir.path())
        .output()
        .expect("age runs");
    assert!(!output.status.success(), "age -d decrypted the output of a refused seal");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("truncated") || said.contains("unexpected EOF"), "age said: {said}");
}

//! What the tests share: a production with its keys and data, sealing it, opening it while
//! keeping the files, decrypting the age layer alone, and making packages by hand.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use chrono::{DateTime, TimeZone, Utc};
use comity_auth::jws::{PublicKey, SigningKey};
use comity_seal::age;
use comity_seal::{
    Decision, FileEntry, FileName, Format, LegalBasis, Manifest, Production, Recipient, RetentionUntil,
    Scope, Sealed, SigningKeyRef, Target, Verified, VerifyError, seal,
};

/// The plaintext size of an age STREAM chunk (age-encryption.org/v1, "Payload").
pub const AGE_CHUNK: usize = 64 * 1024;

/// An encrypted age chunk: the plaintext and its 16-byte Poly1305 tag.
pub const AGE_ENCRYPTED_CHUNK: usize = AGE_CHUNK + 16;

/// The production's time, and so the tar's modification times.
pub fn created_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("a valid time")
}

/// `len` bytes that look random (xorshift), the same for the same `seed`: data that
/// neither compresses nor looks like tar padding.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// A production: the authority's identity, the provider's production key, the data files
/// and the manifest that lists them.
pub struct Fixture {
    pub authority: age::x25519::Identity,
    pub provider: SigningKey,
    pub files: Vec<(FileName, Vec<u8>)>,
    pub manifest: Manifest,
}

impl Fixture {
    /// A production of these files, in this order, with fresh keys.
    pub fn new(files: &[(&str, Vec<u8>)]) -> Fixture {
        Fixture::for_authority(age::x25519::Identity::generate(), files)
    }

    /// A production of these files for the authority of `authority`, with a fresh
    /// production key.
    pub fn for_authority(authority: age::x25519::Identity, files: &[(&str, Vec<u8>)]) -> Fixture {
        let provider = SigningKey::generate();
        let files: Vec<(FileName, Vec<u8>)> = files
            .iter()
            .map(|(name, data)| (FileName::parse(name).expect("a valid file name"), data.clone()))
            .collect();
        let entries = files
            .iter()
            .map(|(name, data)| FileEntry::from_reader(name.clone(), &data[..]).expect("reading a slice"))
            .collect();
        let manifest = manifest(authority.to_public(), &provider.public(), entries);
        Fixture { authority, provider, files, manifest }
    }

    /// The data of the manifest's file `entry`.
    pub fn data(&self, entry: &FileEntry) -> &[u8] {
        self.files
            .iter()
            .find(|(name, _)| *name == entry.name)
            .map(|(_, data)| &data[..])
            .expect("the fixture has data for each file of its manifest")
    }

    /// Seals the production to the authority; returns the package and what `seal` said.
    pub fn seal(&self) -> (Vec<u8>, Sealed) {
        let mut package = Vec::new();
        let sealed =
            seal(&mut package, &[self.authority.to_public()], &self.provider, &self.manifest, |entry| {
                Ok(self.data(entry))
            })
            .expect("the fixture seals");
        (package, sealed)
    }
}

/// A complete, valid manifest for these files, encrypted to `recipient` and signed by
/// `key` under its thumbprint as `kid`.
pub fn manifest(recipient: age::x25519::Recipient, key: &PublicKey, files: Vec<FileEntry>) -> Manifest {
    let at = created_at();
    let mut redaction = serde_json::Map::new();
    redaction.insert("phone".into(), 2.into());
    redaction.insert("email".into(), 5.into());
    Manifest {
        format: Format,
        request: "req-2026-0042".into(),
        decision: Decision {
            event: 3,
            log_index: 41,
            actor: "reviewer:de-bfj".into(),
            at: at - chrono::Duration::hours(2),
            reason: "The order is lawful and proportionate.".into(),
        },
        legal_basis: LegalBasis {
            instrument: "eu-e-evidence".into(),
            provisions: vec!["Regulation (EU) 2023/1543 Art 5(3)".into()],
        },
        scope: Scope {
            targets: vec![Target { kind: "email".into(), value: "target@example.org".into() }],
            from: at - chrono::Duration::days(30),
            to: at - chrono::Duration::days(1),
            categories: vec!["subscriber".into(), "traffic".into()],
        },
        purpose: "criminal investigation".into(),
        retention_until: RetentionUntil::parse("2027-03-01").expect("a valid date"),
        provider: "mailco".into(),
        recipient: Recipient { authority: "fr-pnc".into(), age: recipient },
        files,
        redaction,
        production: Production { id: "prod-7".into(), log_index: 42, created_at: at },
        signing_key: SigningKeyRef { kid: key.key_id(), jwk: *key },
    }
}

/// A file that `open_with` wrote, shared with the test that reads it afterwards.
#[derive(Clone, Default)]
pub struct Collected(Rc<RefCell<Vec<u8>>>);

impl Collected {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }
}

impl Write for Collected {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What [`open_collect`] gives: the verified package, and each file with its bytes.
pub type Opened = (Verified, Vec<(FileEntry, Vec<u8>)>);

/// Opens a package with `open_with`, keeping each file's bytes with its manifest entry,
/// in the order `open_with` asked for them.
pub fn open_collect(
    package: impl Read,
    identity: &age::x25519::Identity,
    expected_key: Option<&PublicKey>,
) -> Result<Opened, VerifyError> {
    let mut files: Vec<(FileEntry, Collected)> = Vec::new();
    let verified = comity_seal::open_with(package, identity, expected_key, |entry| {
        let sink = Collected::default();
        files.push((entry.clone(), sink.clone()));
        Ok(sink)
    })?;
    Ok((verified, files.into_iter().map(|(entry, sink)| (entry, sink.bytes())).collect()))
}

/// The age layer alone, decrypted with the age crate: the package's tar.
pub fn decrypt(package: &[u8], identity: &age::x25519::Identity) -> Vec<u8> {
    let decryptor = age::Decryptor::new(package).expect("an age header");
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .expect("encrypted to the identity");
    let mut tar = Vec::new();
    reader.read_to_end(&mut tar).expect("the payload decrypts");
    tar
}

/// `plain` encrypted with the age crate to `recipient`, as any age implementation would.
pub fn encrypt(plain: &[u8], recipient: &age::x25519::Recipient) -> Vec<u8> {
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
        .expect("one recipient");
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).expect("writing to a Vec");
    writer.write_all(plain).expect("writing to a Vec");
    writer.finish().expect("writing to a Vec");
    out
}

/// The length of a binary age file's header, through the `--- <MAC>` line's newline; the
/// 16-byte payload nonce follows (age-encryption.org/v1, "Header" and "Payload").
pub fn age_header_len(package: &[u8]) -> usize {
    let mac_line = package.windows(5).position(|w| w == b"\n--- ").expect("an age header") + 1;
    mac_line + package[mac_line..].iter().position(|&b| b == b'\n').expect("a MAC line") + 1
}

/// The error's stable code, for messages and comparisons.
pub fn code<T>(result: &Result<T, VerifyError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

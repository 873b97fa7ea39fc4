//! Reading a package: decrypt, read the tar, verify the manifest's signature and every
//! file's size and SHA-256, in one pass and constant memory.

use std::cell::RefCell;
use std::io::{self, BufReader, Read, Write};
use std::rc::Rc;

use comity_auth::jws::PublicKey;

use crate::manifest::{
    FileEntry, HashingReader, MANIFEST_NAME, MAX_MANIFEST_BYTES, Manifest, ManifestError, SIGNATURE_NAME,
    Sha256Hash,
};
use crate::shown::{shown, shown_bytes};
use crate::signature::{MAX_SIGNATURE_BYTES, SignatureError, verify_manifest};

/// The largest age header comity reads, with the 16-byte payload nonce after it, in
/// bytes. An X25519 recipient stanza takes 98 and the random "grease" stanza the age crate
/// adds at most 190, so this is room for 38 recipients. The bound keeps a hostile header
/// from filling memory, and above all from taking the CPU before anything can be checked:
/// the age crate parses a header in time quadratic in its length (str4d/rage#368), about
/// 0.2 s for the worst 4 KiB header in a release build, but over 40 s for a 64 KiB one.
pub const MAX_AGE_HEADER_BYTES: u64 = 4 * 1024;

/// The first line of a binary age file (age-encryption.org/v1).
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// A package that verified: its manifest, as signed.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    manifest: Manifest,
    manifest_json: Vec<u8>,
    manifest_sha256: Sha256Hash,
    signature: String,
    key_checked: bool,
}

impl Verified {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact bytes of `manifest.json`, which the signature covers.
    pub fn manifest_json(&self) -> &[u8] {
        &self.manifest_json
    }

    /// The SHA-256 of `manifest.json`.
    pub fn manifest_sha256(&self) -> &Sha256Hash {
        &self.manifest_sha256
    }

    /// The content of `manifest.sig`.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Whether the signing key was checked against an expected key (the provider's
    /// registered production key). When not, the signature only proves that the manifest
    /// is whole, not who signed it.
    pub fn key_checked(&self) -> bool {
        self.key_checked
    }
}

/// Why a package was refused, or could not be read. Each says precisely what is wrong;
/// [`VerifyError::code`] gives a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Reading the package failed (an I/O error of the reader given, not a fault of the
    /// package).
    #[error("reading the package failed: {0}")]
    Read(io::Error),
    /// Not an age file at all.
    #[error("not an age file: {0}")]
    NotAge(String),
    /// An ASCII-armored age file; packages are binary.
    #[error(
        "the package is ASCII-armored (-----BEGIN AGE ENCRYPTED FILE-----); comity packages are binary \
         age files: `age -d` it and re-encrypt without -a"
    )]
    Armored,
    /// An age file of a version comity does not read.
    #[error("the package is an age file of another version than age-encryption.org/v1")]
    UnsupportedAge,
    /// Encrypted to a passphrase rather than to an X25519 recipient.
    #[error("the package is encrypted with a passphrase, not to an age X25519 recipient")]
    Passphrase,
    /// The age header is longer than [`MAX_AGE_HEADER_BYTES`].
    #[error("the package's age header is over {MAX_AGE_HEADER_BYTES} bytes; refused unread")]
    HeaderTooLarge,
    /// The age header does not parse or its MAC fails: it was changed.
    #[error("the package's age header is damaged: {0}")]
    HeaderDamaged(&'static str),
    /// No stanza of the age header opens with this identity.
    #[error(
        "this identity cannot decrypt the package: it is not encrypted to {recipient} (or the part of \
         its age header for that recipient is damaged)"
    )]
    WrongIdentity {
        /// The identity's recipient, `age1...`.
        recipient: String,
    },
    /// The age file ends before its last chunk.
    #[error("the package is truncated: the age file ends before its last chunk")]
    Truncated,
    /// A chunk of the encrypted data fails authentication.
    #[error(
        "the package's encrypted data fails authentication: bytes were changed, cut off or appended \
         after its end"
    )]
    Damaged,
    /// The decrypted data is not a tar archive that comity reads.
    #[error("the decrypted package is not a tar archive comity reads: {0}")]
    NotTar(String),
    /// `manifest.json` or `manifest.sig` is not where it must be.
    #[error("entry {position} of the package is {found}, where {expected} must be")]
    UnexpectedEntry {
        /// The entry's position, from 1.
        position: usize,
        /// Its name, escaped.
        found: String,
        /// The name expected there.
        expected: &'static str,
    },
    /// The package lacks `manifest.json` or `manifest.sig`.
    #[error("the package has no {0}")]
    MissingEntry(&'static str),
    /// An entry that is not a regular file.
    #[error("entry {name} is not a regular file (tar type {kind:?})")]
    NotAFile {
        /// The entry's name, escaped.
        name: String,
        /// Its tar type flag.
        kind: char,
    },
    /// `manifest.json` is over [`MAX_MANIFEST_BYTES`].
    #[error("manifest.json is {0} bytes, over the {MAX_MANIFEST_BYTES} comity reads")]
    ManifestTooLarge(u64),
    /// `manifest.json` is not a valid manifest.
    #[error("manifest.json: {0}")]
    Manifest(#[from] ManifestError),
    /// `manifest.sig` does not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The manifest is signed, but not by the expected key.
    #[error(
        "the manifest is signed by the key {kid} (thumbprint {found}), which is not the provider's \
         registered production key (thumbprint {expected})"
    )]
    UnexpectedKey {
        /// The manifest's `signing_key.kid`.
        kid: String,
        /// The RFC 7638 thumbprint of the key that signed.
        found: String,
        /// The thumbprint of the expected key.
        expected: String,
    },
    /// A file of the manifest is not in the package.
    #[error("file {0}: in the manifest but missing from the package")]
    MissingFile(String),
    /// An entry that appears twice.
    #[error("file {0}: appears twice in the package")]
    DuplicateEntry(String),
    /// A file of the manifest out of the manifest's order.
    #[error("file {found} comes where the manifest lists {expected}: the files are out of order")]
    OutOfOrder {
        /// The entry found, escaped.
        found: String,
        /// The file the manifest lists there, escaped.
        expected: String,
    },
    /// An entry that the manifest does not list.
    #[error("entry {0} is in the package but not in the manifest")]
    ExtraEntry(String),
    /// A file whose size is not the manifest's.
    #[error("file {name}: the package holds {actual} bytes, and the manifest says {manifest}")]
    SizeDiffers {
        /// The file's name, escaped.
        name: String,
        /// The manifest's size.
        manifest: u64,
        /// The size in the package.
        actual: u64,
    },
    /// A file whose SHA-256 is not the manifest's.
    #[error("file {name}: SHA-256 differs from the manifest (package {actual}, manifest {manifest})")]
    HashDiffers {
        /// The file's name, escaped.
        name: String,
        /// The manifest's hash.
        manifest: Sha256Hash,
        /// The hash of the package's bytes.
        actual: Sha256Hash,
    },
    /// Bytes other than zeros after the end of the tar archive.
    #[error("the package has data after the end of its tar archive")]
    TrailingData,
    /// Writing a file where the caller asked failed.
    #[error("file {name}: writing it failed: {source}")]
    Output {
        /// The file's name, escaped.
        name: String,
        /// Why.
        source: io::Error,
    },
}

impl VerifyError {
    /// A stable code for the error, for scripts and the API.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Read(_) => "read_failed",
            VerifyError::NotAge(_) => "not_age",
            VerifyError::Armored => "armored",
            VerifyError::UnsupportedAge => "unsupported_age_version",
            VerifyError::Passphrase => "passphrase",
            VerifyError::HeaderTooLarge => "header_too_large",
            VerifyError::HeaderDamaged(_) => "header_damaged",
            VerifyError::WrongIdentity { .. } => "wrong_identity",
            VerifyError::Truncated => "truncated",
            VerifyError::Damaged => "damaged",
            VerifyError::NotTar(_) => "not_tar",
            VerifyError::UnexpectedEntry { .. } => "unexpected_entry",
            VerifyError::MissingEntry(_) => "missing_entry",
            VerifyError::NotAFile { .. } => "not_a_file",
            VerifyError::ManifestTooLarge(_) => "manifest_too_large",
            VerifyError::Manifest(_) => "manifest_invalid",
            VerifyError::Signature(SignatureError::Invalid) => "bad_signature",
            VerifyError::Signature(SignatureError::KidMismatch { .. }) => "kid_mismatch",
            VerifyError::Signature(_) => "signature_malformed",
            VerifyError::UnexpectedKey { .. } => "unexpected_key",
            VerifyError::MissingFile(_) => "missing_file",
            VerifyError::DuplicateEntry(_) => "duplicate_entry",
            VerifyError::OutOfOrder { .. } => "out_of_order",
            VerifyError::ExtraEntry(_) => "extra_entry",
            VerifyError::SizeDiffers { .. } => "size_differs",
            VerifyError::HashDiffers { .. } => "hash_differs",
            VerifyError::TrailingData => "trailing_data",
            VerifyError::Output { .. } => "output_failed",
        }
    }

    /// Whether this is a verdict on the package (it is refused), rather than a failure to
    /// read it or to write what it holds.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, VerifyError::Read(_) | VerifyError::Output { .. })
    }
}

/// Opens and verifies a package without keeping its files: decrypts it with `identity`,
/// reads the tar, verifies `manifest.sig` over `manifest.json` with the manifest's
/// `signing_key` and, when `expected_key` is given, that this is the expected key, then
/// every file's size and SHA-256. See [`open_with`].
pub fn open<R: Read>(
    pkg: R,
    identity: &age::x25519::Identity,
    expected_key: Option<&PublicKey>,
) -> Result<Verified, VerifyError> {
    open_with(pkg, identity, expected_key, |_| Ok(io::sink()))
}

/// Opens and verifies a package, and writes each data file to the writer `create` gives
/// for it.
///
/// In order, refusing at the first fault:
/// 1. the age file: binary, version 1, a header of at most [`MAX_AGE_HEADER_BYTES`],
///    encrypted to `identity`;
/// 2. `manifest.json` then `manifest.sig`, the first two entries of the tar, regular files;
/// 3. the manifest parses (no unknown field, no duplicate key) and checks;
/// 4. the signature verifies with the manifest's `signing_key`, whose `kid` it names;
/// 5. `expected_key`, if given, is that key;
/// 6. then the data files, exactly the manifest's, in its order, each a regular file of
///    the manifest's size, streamed to `create`'s writer while hashed, then its SHA-256
///    compared; missing, extra, duplicate and out-of-order entries are refused;
/// 7. after the tar's end, only zeros, to the end of the age file, whose last chunk
///    authenticates its length.
///
/// `create` is called only after the signature verified, and only for files of the
/// signed manifest, but a file's bytes are known good only when this returns `Ok`: write
/// them somewhere temporary and keep them only then. Memory stays constant whatever the
/// package's size.
pub fn open_with<R, F, W>(
    pkg: R,
    identity: &age::x25519::Identity,
    expected_key: Option<&PublicKey>,
    mut create: F,
) -> Result<Verified, VerifyError>
where
    R: Read,
    F: FnMut(&FileEntry) -> io::Result<W>,
    W: Write,
{
    let tracker = Rc::new(Tracker::default());
    let mut source = Source {
        inner: BufReader::with_capacity(64 * 1024, pkg),
        tracker: Rc::clone(&tracker),
        header_left: Some(MAX_AGE_HEADER_BYTES),
    };
    let prefix = read_prefix(&mut source).map_err(|_| tracker.failure(VerifyError::Truncated))?;
    check_magic(&prefix)?;

    let decryptor = age::Decryptor::new(io::Cursor::new(prefix).chain(source)).map_err(|e| match e {
        age::DecryptError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            tracker.failure(VerifyError::Truncated)
        }
        age::DecryptError::Io(e) => tracker.failure(VerifyError::Read(e)),
        age::DecryptError::UnknownFormat => VerifyError::UnsupportedAge,
        _ => VerifyError::HeaderDamaged("its stanzas do not parse"),
    })?;
    tracker.header_done.set(true);
    if decryptor.is_scrypt() {
        return Err(VerifyError::Passphrase);
    }
    let stream = decryptor.decrypt(std::iter::once(identity as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => {
            VerifyError::WrongIdentity { recipient: identity.to_public().to_string() }
        }
        age::DecryptError::InvalidMac => VerifyError::HeaderDamaged("its MAC does not verify"),
        _ => VerifyError::HeaderDamaged("its recipient stanza is malformed"),
    })?;
    let plain = Plain { inner: stream, tracker: Rc::clone(&tracker) };

    let mut archive = tar::Archive::new(plain);
    let verified = read_entries(&mut archive, &tracker, expected_key, &mut create)?;

    // After the tar's end-of-archive blocks, only zeros may follow; reading to the end also
    // makes age authenticate its last chunk, and so the length of the whole package.
    let mut rest = archive.into_inner();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(tracker.failure(VerifyError::NotTar(e.to_string()))),
        };
        if buf[..n].iter().any(|&b| b != 0) {
            return Err(VerifyError::TrailingData);
        }
    }
    Ok(verified)
}

fn read_entries<R, F, W>(
    archive: &mut tar::Archive<R>,
    tracker: &Tracker,
    expected_key: Option<&PublicKey>,
    create: &mut F,
) -> Result<Verified, VerifyError>
where
    R: Read,
    F: FnMut(&FileEntry) -> io::Result<W>,
    W: Write,
{
    let tar_error = |e: io::Error| tracker.failure(VerifyError::NotTar(e.to_string()));
    let mut entries = archive.entries().map_err(tar_error)?.raw(true);

    let manifest_json = {
        let entry = next_named(&mut entries, tracker, 1, MANIFEST_NAME)?;
        let size = entry.size();
        if size > MAX_MANIFEST_BYTES as u64 {
            return Err(VerifyError::ManifestTooLarge(size));
        }
        read_small(entry, tracker)?
    };
    let signature = {
        let entry = next_named(&mut entries, tracker, 2, SIGNATURE_NAME)?;
        if entry.size() > MAX_SIGNATURE_BYTES as u64 {
            return Err(SignatureError::Malformed(format!(
                "it is {} bytes; a signature takes under {MAX_SIGNATURE_BYTES}",
                entry.size()
            ))
            .into());
        }
        String::from_utf8(read_small(entry, tracker)?)
            .map_err(|_| SignatureError::Malformed("it is not text".into()))?
    };

    let manifest = Manifest::from_json(&manifest_json)?;
    let signer = &manifest.signing_key;
    verify_manifest(&signature, &manifest_json, &signer.kid, &signer.jwk)?;
    if let Some(expected) = expected_key
        && *expected != signer.jwk
    {
        return Err(VerifyError::UnexpectedKey {
            kid: signer.kid.to_string(),
            found: signer.jwk.thumbprint(),
            expected: expected.thumbprint(),
        });
    }

    let files = &manifest.files;
    let mut buf = vec![0u8; 64 * 1024];
    for (i, file) in files.iter().enumerate() {
        let name = || shown(file.name.as_str());
        let mut entry = match entries.next() {
            None => return Err(VerifyError::MissingFile(name())),
            Some(entry) => entry.map_err(tar_error)?,
        };
        let found = entry.path_bytes().into_owned();
        if found != file.name.as_str().as_bytes() {
            let listed_at = files.iter().position(|f| f.name.as_str().as_bytes() == found);
            return Err(match listed_at {
                _ if found == MANIFEST_NAME.as_bytes() || found == SIGNATURE_NAME.as_bytes() => {
                    VerifyError::DuplicateEntry(shown_bytes(&found))
                }
                Some(at) if at < i => VerifyError::DuplicateEntry(shown_bytes(&found)),
                Some(_) => VerifyError::OutOfOrder { found: shown_bytes(&found), expected: name() },
                None => VerifyError::ExtraEntry(shown_bytes(&found)),
            });
        }
        check_regular(&entry, &found)?;
        if entry.size() != file.size {
            return Err(VerifyError::SizeDiffers { name: name(), manifest: file.size, actual: entry.size() });
        }

        let mut out = create(file).map_err(|source| VerifyError::Output { name: name(), source })?;
        let mut hashing = HashingReader::new(&mut entry);
        loop {
            let n = match hashing.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(tar_error(e)),
            };
            out.write_all(&buf[..n]).map_err(|source| VerifyError::Output { name: name(), source })?;
        }
        out.flush().map_err(|source| VerifyError::Output { name: name(), source })?;
        let (actual, read) = hashing.finish();
        if read != file.size {
            return Err(VerifyError::NotTar(format!("file {} ends early", name())));
        }
        if actual != file.sha256 {
            return Err(VerifyError::HashDiffers { name: name(), manifest: file.sha256, actual });
        }
    }
    if let Some(entry) = entries.next() {
        let found = entry.map_err(tar_error)?.path_bytes().into_owned();
        let listed = files.iter().any(|f| f.name.as_str().as_bytes() == found)
            || found == MANIFEST_NAME.as_bytes()
            || found == SIGNATURE_NAME.as_bytes();
        return Err(if listed {
            VerifyError::DuplicateEntry(shown_bytes(&found))
        } else {
            VerifyError::ExtraEntry(shown_bytes(&found))
        });
    }

    let manifest_sha256 = Sha256Hash::of(&manifest_json);
    Ok(Verified { manifest, manifest_json, manifest_sha256, signature, key_checked: expected_key.is_some() })
}

/// The next entry, which must be the regular file `expected` at `position`.
fn next_named<'a, R: Read>(
    entries: &mut tar::Entries<'a, R>,
    tracker: &Tracker,
    position: usize,
    expected: &'static str,
) -> Result<tar::Entry<'a, R>, VerifyError> {
    let entry = match entries.next() {
        None => return Err(tracker.failure(VerifyError::MissingEntry(expected))),
        Some(entry) => entry.map_err(|e| tracker.failure(VerifyError::NotTar(e.to_string())))?,
    };
    let found = entry.path_bytes().into_owned();
    if found != expected.as_bytes() {
        return Err(VerifyError::UnexpectedEntry { position, found: shown_bytes(&found), expected });
    }
    check_regular(&entry, &found)?;
    Ok(entry)
}

fn check_regular<R: Read>(entry: &tar::Entry<'_, R>, name: &[u8]) -> Result<(), VerifyError> {
    let kind = entry.header().entry_type();
    if kind.is_file() {
        Ok(())
    } else {
        Err(VerifyError::NotAFile { name: shown_bytes(name), kind: char::from(kind.as_byte()) })
    }
}

/// Reads an entry already checked to be small.
fn read_small<R: Read>(mut entry: tar::Entry<'_, R>, tracker: &Tracker) -> Result<Vec<u8>, VerifyError> {
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry.read_to_end(&mut bytes).map_err(|e| tracker.failure(VerifyError::NotTar(e.to_string())))?;
    if bytes.len() as u64 != entry.size() {
        return Err(tracker.failure(VerifyError::NotTar("an entry ends early".into())));
    }
    Ok(bytes)
}

/// Reads the first bytes, as many as the age magic line has, or fewer at the end.
fn read_prefix(source: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut prefix = Vec::with_capacity(AGE_MAGIC.len());
    source.take(AGE_MAGIC.len() as u64).read_to_end(&mut prefix)?;
    Ok(prefix)
}

fn check_magic(prefix: &[u8]) -> Result<(), VerifyError> {
    if prefix == AGE_MAGIC {
        return Ok(());
    }
    if prefix.is_empty() {
        return Err(VerifyError::NotAge("the package is empty".into()));
    }
    if AGE_MAGIC.starts_with(prefix) {
        return Err(VerifyError::Truncated);
    }
    if b"-----BEGIN AGE ENCRYPTED FILE-----".starts_with(&prefix[..prefix.len().min(34)]) {
        return Err(VerifyError::Armored);
    }
    if prefix.starts_with(b"age-encryption.org/") {
        return Err(VerifyError::UnsupportedAge);
    }
    Err(VerifyError::NotAge(format!(
        "it begins with {}, not with the line \"age-encryption.org/v1\"",
        shown_bytes(&prefix[..prefix.len().min(16)])
    )))
}

/// What went wrong below the tar reader, kept aside: errors come up through `age` and
/// `tar` as plain `io::Error`s, and this says which layer failed and how.
#[derive(Default)]
struct Tracker {
    failure: RefCell<Option<VerifyError>>,
    header_done: std::cell::Cell<bool>,
}

impl Tracker {
    /// The failure recorded below, or `otherwise`.
    fn failure(&self, otherwise: VerifyError) -> VerifyError {
        self.failure.borrow_mut().take().unwrap_or(otherwise)
    }

    fn record(&self, failure: VerifyError) {
        let mut slot = self.failure.borrow_mut();
        if slot.is_none() {
            *slot = Some(failure);
        }
    }
}

/// The package as given, with its I/O errors recorded and the age header bounded.
struct Source<R> {
    inner: BufReader<R>,
    tracker: Rc<Tracker>,
    header_left: Option<u64>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tracker.header_done.get() {
            self.header_left = None;
        }
        let buf = match self.header_left {
            Some(0) => {
                self.tracker.record(VerifyError::HeaderTooLarge);
                return Err(io::Error::other("the age header is too large"));
            }
            Some(left) => {
                let len = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                &mut buf[..len]
            }
            None => buf,
        };
        match self.inner.read(buf) {
            Ok(n) => {
                if let Some(left) = &mut self.header_left {
                    *left -= n as u64;
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let kind = e.kind();
                self.tracker.record(VerifyError::Read(e));
                Err(io::Error::new(kind, "reading the package failed"))
            }
        }
    }
}

/// The decrypted tar, with age's errors recorded as what they mean.
struct Plain<R> {
    inner: age::stream::StreamReader<R>,
    tracker: Rc<Tracker>,
}

impl<R: Read> Read for Plain<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| match e.kind() {
            io::ErrorKind::Interrupted => {}
            // age's STREAM reports a missing last chunk as an unexpected end.
            io::ErrorKind::UnexpectedEof => self.tracker.record(VerifyError::Truncated),
            // A chunk that fails authentication (changed, cut mid-chunk, or with bytes
            // after the last chunk) is invalid data.
            io::ErrorKind::InvalidData => self.tracker.record(VerifyError::Damaged),
            // Anything else came from the source, which recorded it.
            _ => {}
        })
    }
}

//! Writing a package: the tar of `manifest.json`, `manifest.sig` and the data files, into
//! an age encryptor, in one pass and constant memory.

use std::io::{self, Read, Write};

use comity_auth::jws::SigningKey;
use sha2::{Digest, Sha256};

use crate::manifest::{
    FileEntry, HashingReader, MANIFEST_NAME, Manifest, ManifestError, SIGNATURE_NAME, Sha256Hash,
};
use crate::shown::shown;
use crate::signature::sign_manifest;

/// What [`seal`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    package_size: u64,
    package_sha256: Sha256Hash,
    manifest_sha256: Sha256Hash,
    signature: String,
}

impl Sealed {
    /// The size of the package (the age file), in bytes.
    pub fn package_size(&self) -> u64 {
        self.package_size
    }

    /// The SHA-256 of the package (the age file) as written: what the delivery records.
    pub fn package_sha256(&self) -> &Sha256Hash {
        &self.package_sha256
    }

    /// The SHA-256 of `manifest.json` (what `sha256sum manifest.json` prints after
    /// decryption): what the log can record to bind the production to its manifest.
    pub fn manifest_sha256(&self) -> &Sha256Hash {
        &self.manifest_sha256
    }

    /// The content of `manifest.sig`.
    pub fn signature(&self) -> &str {
        &self.signature
    }
}

/// Why [`seal`] refused or failed. After an error the output holds an incomplete age
/// file, which no age implementation decrypts: delete it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The manifest is not valid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// No recipient to encrypt to.
    #[error("no recipient: a package is encrypted to at least the authority's age recipient")]
    NoRecipients,
    /// The manifest's recipient is not among the recipients: the authority could not
    /// decrypt the package.
    #[error(
        "the manifest's recipient {0} is not among the recipients the package is encrypted to; the \
         authority could not decrypt it"
    )]
    RecipientMissing(String),
    /// The signing key is not the manifest's `signing_key`.
    #[error(
        "the signing key is not the manifest's signing_key (kid {kid}): the signature would not \
         verify; put the production key's public JWK and kid in the manifest"
    )]
    KeyMismatch {
        /// The manifest's `signing_key.kid`.
        kid: String,
    },
    /// The data of a file could not be opened.
    #[error("file {name}: cannot open its data: {source}")]
    Open {
        /// The file's name in the manifest, escaped.
        name: String,
        /// Why.
        source: io::Error,
    },
    /// Reading a file's data failed.
    #[error("file {name}: reading its data failed: {source}")]
    Read {
        /// The file's name, escaped.
        name: String,
        /// Why.
        source: io::Error,
    },
    /// A file has fewer bytes than the manifest says.
    #[error("file {name}: the manifest says {manifest} bytes, but its data has {actual}")]
    Shorter {
        /// The file's name, escaped.
        name: String,
        /// The manifest's size.
        manifest: u64,
        /// The bytes read.
        actual: u64,
    },
    /// A file has more bytes than the manifest says.
    #[error("file {name}: the manifest says {manifest} bytes, but its data has more")]
    Longer {
        /// The file's name, escaped.
        name: String,
        /// The manifest's size.
        manifest: u64,
    },
    /// A file's bytes do not have the manifest's SHA-256.
    #[error("file {name}: its data's SHA-256 is {actual}, not the manifest's {manifest}")]
    HashDiffers {
        /// The file's name, escaped.
        name: String,
        /// The manifest's hash.
        manifest: Sha256Hash,
        /// The hash of the data read.
        actual: Sha256Hash,
    },
    /// The recipients could not make an age header.
    #[error("age cannot encrypt to these recipients: {0}")]
    Encrypt(String),
    /// Writing the package failed.
    #[error("writing the package failed: {0}")]
    Write(io::Error),
}

/// Seals a production: writes to `out` the age file (binary, age-encryption.org/v1)
/// encrypted to `recipients`, holding a tar of `manifest.json`, `manifest.sig` and the
/// data files in the manifest's order.
///
/// `open_file` is called once per file of the manifest, in order, when its turn comes,
/// and gives its data; at most one is open at a time. Each file's bytes are checked
/// against the manifest while they stream (size, then SHA-256): a file that differs is
/// refused, and the output is then an incomplete age file that does not decrypt.
///
/// Memory stays constant whatever the sizes: age's 64 KiB chunks, tar's and `io::copy`'s
/// buffers, and the manifest.
///
/// The tar is deterministic: ustar headers, mode 0644, uid and gid 0, no user or group
/// names, and every modification time the production's `created_at`; the same inputs give
/// the same tar. The age encryption is not (a new file key each time).
///
/// Refuses a manifest that does not [check](Manifest::check), a `key` that is not the
/// manifest's `signing_key`, and recipients that do not include the manifest's.
pub fn seal<W, F, R>(
    out: W,
    recipients: &[age::x25519::Recipient],
    key: &SigningKey,
    manifest: &Manifest,
    mut open_file: F,
) -> Result<Sealed, SealError>
where
    W: Write,
    F: FnMut(&FileEntry) -> io::Result<R>,
    R: Read,
{
    let json = manifest.to_json()?;
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    if !recipients.contains(&manifest.recipient.age) {
        return Err(SealError::RecipientMissing(manifest.recipient.age.to_string()));
    }
    if key.public() != manifest.signing_key.jwk {
        return Err(SealError::KeyMismatch { kid: manifest.signing_key.kid.to_string() });
    }
    let signature = sign_manifest(key, &manifest.signing_key.kid, &json);
    let mtime = tar_mtime(manifest);

    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    let counted = HashingWriter { inner: out, hasher: Sha256::new(), count: 0 };
    let stream = encryptor.wrap_output(counted).map_err(SealError::Write)?;
    let mut tar = tar::Builder::new(stream);

    append(&mut tar, MANIFEST_NAME, mtime, json.len() as u64, &json[..]).map_err(SealError::Write)?;
    append(&mut tar, SIGNATURE_NAME, mtime, signature.len() as u64, signature.as_bytes())
        .map_err(SealError::Write)?;
    for entry in &manifest.files {
        let name = || shown(entry.name.as_str());
        let data = open_file(entry).map_err(|source| SealError::Open { name: name(), source })?;
        let mut checked = CheckedReader { inner: HashingReader::new(data.take(entry.size)), failed: None };
        let appended = append(&mut tar, entry.name.as_str(), mtime, entry.size, &mut checked);
        if let Some(source) = checked.failed.take() {
            return Err(SealError::Read { name: name(), source });
        }
        appended.map_err(SealError::Write)?;
        let read = checked.inner.count();
        if read < entry.size {
            return Err(SealError::Shorter { name: name(), manifest: entry.size, actual: read });
        }
        let mut one = [0u8; 1];
        let more = read_some(checked.inner.get_mut().get_mut(), &mut one)
            .map_err(|source| SealError::Read { name: name(), source })?;
        if more > 0 {
            return Err(SealError::Longer { name: name(), manifest: entry.size });
        }
        let (actual, _) = checked.inner.finish();
        if actual != entry.sha256 {
            return Err(SealError::HashDiffers { name: name(), manifest: entry.sha256, actual });
        }
    }
    let stream = tar.into_inner().map_err(SealError::Write)?;
    let mut counted = stream.finish().map_err(SealError::Write)?;
    counted.inner.flush().map_err(SealError::Write)?;
    Ok(Sealed {
        package_size: counted.count,
        package_sha256: Sha256Hash::from(<[u8; 32]>::from(counted.hasher.finalize())),
        manifest_sha256: Sha256Hash::of(&json),
        signature,
    })
}

/// The modification time of every tar entry: the production's `created_at`, in whole
/// seconds, within what the ustar field holds (11 octal digits).
fn tar_mtime(manifest: &Manifest) -> u64 {
    const USTAR_MAX: i64 = 0o77777777777;
    manifest.production.created_at.timestamp().clamp(0, USTAR_MAX) as u64
}

/// Appends one regular file with a deterministic ustar header.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    mtime: u64,
    size: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name)?;
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(mtime);
    header.set_cksum();
    tar.append(&header, data)
}

/// Reads once, retrying on interruption.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Keeps the error of the data's reader, so that it is told apart from an error writing
/// the package (both come out of `tar::Builder::append` as one `io::Error`).
struct CheckedReader<R> {
    inner: HashingReader<R>,
    failed: Option<io::Error>,
}

impl<R: Read> Read for CheckedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let kind = e.kind();
            if kind == io::ErrorKind::Interrupted {
                return e;
            }
            self.failed = Some(e);
            io::Error::new(kind, "reading the file's data failed")
        })
    }
}

/// Counts and hashes the package as it is written.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    // Writes all of `buf` or fails: age writes its header with cookie_factory, which
    // refuses a short write (`failed to write header: BufferTooSmall`), and `Write` allows
    // any writer to make them.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write_all(buf)?;
        self.hasher.update(buf);
        self.count += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

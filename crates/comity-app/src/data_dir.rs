//! The data directory: what a comity keeps beside its database, and never in it.
//!
//! - `comity.db`, the SQLite database (unless a PostgreSQL URL is given);
//! - `log-key`, the log's signing key (a C2SP signed-note key, mode 0600): a log has one
//!   key for life, and every server of one log needs a copy;
//! - `server-key`, which seals people's TOTP secrets, so that a copy of the database alone
//!   gives none of them (mode 0600; every server of one database needs a copy);
//! - `webhook-key`, the Ed25519 key notices to parties' systems are signed with
//!   (RFC 9421; mode 0600; every server of one database needs a copy, so that receivers
//!   know one key: its public half is served at `/v1/webhooks/key`);
//! - `productions/incoming/`, the API's uploads of exports while they are produced (sealed
//!   packages and providers' private production keys are in the database since issue 17;
//!   `productions/<id>.age` and `production-keys/<provider>.jwk` from before are still read);
//! - `serve.lock`, held by the one `comity serve` that owns an SQLite directory;
//! - `checkpoint`, the latest checkpoint its server signed, kept apart from the database as
//!   Sunlight keeps its checkpoint apart from its tiles: a database restored from an older
//!   copy (or cut short) is then found at the next start, instead of forking the log.
//!
//! Only `comity serve` creates a data directory ([`DataDir::create`]); every other command
//! opens an existing one ([`DataDir::existing`]) and says which path it looked at when
//! there is none, so a command run from the wrong folder never leaves an empty directory
//! and a new log key behind.

use std::{
    fs::File,
    io::{Read, Write},
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use comity_auth::seal::ServerKey;
use comity_log::LogKey;

use crate::Productions;

/// The file that holds the log's private key.
pub const LOG_KEY_FILE: &str = "log-key";
/// The file that holds the server key.
pub const SERVER_KEY_FILE: &str = "server-key";
/// The file that holds the key webhooks are signed with.
pub const WEBHOOK_KEY_FILE: &str = "webhook-key";
/// The file `comity serve` locks while it owns an SQLite data directory.
pub const LOCK_FILE: &str = "serve.lock";
/// The latest checkpoint this directory's server signed or served, kept apart from the
/// database.
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "no comity data directory at {}: `comity serve` creates one on its first start (`comity \
         init` without serving); run this command where it is, or pass --data-dir (COMITY_DATA_DIR)",
        .0.display()
    )]
    Missing(PathBuf),
    #[error("{what} {}: {source}", .path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the data directory {} is not writable ({source}): give the user comity runs as write access, or choose another --data-dir", .path.display())]
    NotWritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no log key at {}: this data directory has never been served", .0.display())]
    NoLogKey(PathBuf),
    #[error(
        "the log key in {} is for the log {name:?}, but the configured origin is {origin:?}; a log \
         keeps its origin for life: set --log-origin {name} (or COMITY_LOG_ORIGIN)",
        .path.display()
    )]
    OtherOrigin { path: PathBuf, name: String, origin: String },
    #[error(
        "the log origin {0:?} must be a non-empty name without spaces or '+', such as comity.example.org/log"
    )]
    BadOrigin(String),
    #[error("the log key {} does not read: {detail}", .path.display())]
    BadLogKey { path: PathBuf, detail: String },
    #[error("the server key {} is not 32 bytes of base64; restore it from your backup", .0.display())]
    BadServerKey(PathBuf),
    #[error(
        "the webhook key {} is not 32 bytes of base64; restore it from your backup, or remove it to make \
         a new one (receivers must then be given the new public key)",
        .0.display()
    )]
    BadWebhookKey(PathBuf),
    #[error(
        "the data directory {} is in use by another comity serve ({holder}); stop that one first, or \
         give this one another --data-dir",
        .path.display()
    )]
    Locked { path: PathBuf, holder: String },
}

type Result<T> = std::result::Result<T, DataDirError>;

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DataDirError {
    let path = path.to_owned();
    move |source| DataDirError::Io { what, path, source }
}

/// A data directory that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    path: PathBuf,
}

impl DataDir {
    /// The data directory at `path`, created if missing, and checked writable: a server
    /// that cannot write there refuses to start rather than fail at its first write.
    ///
    /// A new directory is its owner's alone (0700): it holds the database, the keys and the
    /// packages. An existing one that others may enter is kept as it is, with a warning
    /// naming the command that closes it (its owner may share it on purpose, with a backup
    /// group say).
    pub fn create(path: &Path) -> Result<DataDir> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(path).map_err(io("cannot create the data directory", path))?;
        let dir = DataDir { path: path.to_owned() };
        dir.check_writable()?;
        #[cfg(unix)]
        if let Some(mode) = dir.open_to_others() {
            tracing::warn!(
                "the data directory {} may be entered by other users (mode {mode:o}): `chmod 700 {}` keeps them out",
                path.display(),
                path.display()
            );
        }
        Ok(dir)
    }

    /// The directory's mode, if it lets users other than its owner in.
    #[cfg(unix)]
    pub fn open_to_others(&self) -> Option<u32> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&self.path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }

    /// The data directory at `path`, which must exist.
    pub fn existing(path: &Path) -> Result<DataDir> {
        if path.is_dir() {
            Ok(DataDir { path: path.to_owned() })
        } else {
            // The whole path: a relative one says nothing of where the command ran.
            Err(DataDirError::Missing(std::path::absolute(path).unwrap_or_else(|_| path.to_owned())))
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where productions keep their packages and find providers' production keys.
    pub fn productions(&self) -> Productions {
        Productions::new(&self.path)
    }

    /// Writes and removes a probe file: the directory takes writes.
    pub fn check_writable(&self) -> Result<()> {
        let probe = self.path.join(".comity-write-check");
        let written = File::create(&probe).and_then(|mut f| f.write_all(b"ok").and_then(|()| f.sync_all()));
        let _ = std::fs::remove_file(&probe);
        written.map_err(|source| DataDirError::NotWritable { path: self.path.clone(), source })
    }

    /// The log's key, created (mode 0600) if the directory has none yet.
    pub fn log_key(&self, origin: &str) -> Result<LogKey> {
        let path = self.path.join(LOG_KEY_FILE);
        if path.exists() {
            return read_log_key(&path, origin);
        }
        if origin.is_empty() || origin.contains(char::is_whitespace) || origin.contains('+') {
            return Err(DataDirError::BadOrigin(origin.to_owned()));
        }
        let key = LogKey::generate(origin);
        write_private(&path, key.signer_key().as_bytes())?;
        tracing::info!(key = %key.verifier_key(), "created the log's signing key");
        Ok(key)
    }

    /// The log's key, which must exist.
    pub fn existing_log_key(&self, origin: &str) -> Result<LogKey> {
        let path = self.path.join(LOG_KEY_FILE);
        if !path.exists() {
            return Err(DataDirError::NoLogKey(path));
        }
        read_log_key(&path, origin)
    }

    /// The server key, created (mode 0600) if the directory has none yet.
    pub fn server_key(&self) -> Result<ServerKey> {
        let path = self.path.join(SERVER_KEY_FILE);
        if path.exists() {
            return self.existing_server_key();
        }
        let key = ServerKey::generate();
        write_private(&path, STANDARD.encode(key.to_bytes()).as_bytes())?;
        tracing::info!(path = %path.display(), "created the server key; back it up with the log key");
        Ok(key)
    }

    /// The Ed25519 key webhooks are signed with (its 32 secret bytes), created (mode 0600)
    /// if the directory has none yet.
    pub fn webhook_key(&self) -> Result<[u8; 32]> {
        let path = self.path.join(WEBHOOK_KEY_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io("cannot read the webhook key", &path))?;
            let bytes =
                STANDARD.decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
            return bytes.ok_or(DataDirError::BadWebhookKey(path));
        }
        let mut secret = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
        write_private(&path, STANDARD.encode(secret).as_bytes())?;
        tracing::info!(path = %path.display(), "created the webhook signing key; back it up with the log key");
        Ok(secret)
    }

    /// Whether the directory holds a server key.
    pub fn has_server_key(&self) -> bool {
        self.path.join(SERVER_KEY_FILE).exists()
    }

    /// The server key, which must exist.
    pub fn existing_server_key(&self) -> Result<ServerKey> {
        let path = self.path.join(SERVER_KEY_FILE);
        let text = std::fs::read_to_string(&path).map_err(io("cannot read the server key", &path))?;
        let bytes = STANDARD.decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
        bytes.map(ServerKey::from_bytes).ok_or(DataDirError::BadServerKey(path))
    }

    /// Takes the directory for one `comity serve`: a second one is refused, told who holds
    /// it. `holder` says who this one is (its process and address), for that message.
    /// The lock is the operating system's (`flock`), so it ends with the process, however
    /// it ends.
    pub fn lock(&self, holder: &str) -> Result<DirLock> {
        let path = self.path.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("cannot open the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut held = String::new();
                let _ = file.read_to_string(&mut held);
                let holder = held.trim();
                let holder = if holder.is_empty() { "a process that did not say who it is" } else { holder };
                return Err(DataDirError::Locked { path: self.path.clone(), holder: holder.to_owned() });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("cannot lock", &path)(e)),
        }
        file.set_len(0).map_err(io("cannot write the lock file", &path))?;
        file.write_all(holder.as_bytes()).map_err(io("cannot write the lock file", &path))?;
        Ok(DirLock { _file: file })
    }
}

impl DataDir {
    /// Keeps `note`, a signed checkpoint, as the latest: written to a temporary file,
    /// synced and renamed into place, so a crash leaves the old one or the new one.
    pub fn keep_checkpoint(&self, note: &[u8]) -> Result<()> {
        let path = self.path.join(CHECKPOINT_FILE);
        let mut file = tempfile::NamedTempFile::new_in(&self.path).map_err(io("cannot write", &path))?;
        file.write_all(note).and_then(|()| file.as_file().sync_all()).map_err(io("cannot write", &path))?;
        file.persist(&path).map_err(|e| io("cannot write", &path)(e.error))?;
        Ok(())
    }

    /// The checkpoint kept by [`DataDir::keep_checkpoint`], if any.
    pub fn kept_checkpoint(&self) -> Result<Option<Vec<u8>>> {
        let path = self.path.join(CHECKPOINT_FILE);
        match std::fs::read(&path) {
            Ok(note) => Ok(Some(note)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("cannot read", &path)(e)),
        }
    }
}

/// An SQLite data directory taken by this process; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

fn read_log_key(path: &Path, origin: &str) -> Result<LogKey> {
    let text = std::fs::read_to_string(path).map_err(io("cannot read the log key", path))?;
    let key = LogKey::from_signer_key(&text)
        .map_err(|e| DataDirError::BadLogKey { path: path.to_owned(), detail: e.to_string() })?;
    let name = key.verifier_key().split('+').next().unwrap_or_default();
    if name != origin {
        return Err(DataDirError::OtherOrigin {
            path: path.to_owned(),
            name: name.to_owned(),
            origin: origin.to_owned(),
        });
    }
    Ok(key)
}

/// Writes a new file only its owner can read, and syncs it; refuses to overwrite.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io("cannot create", path))?;
    file.write_all(bytes)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(io("cannot write", path))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn only_create_makes_a_directory_and_existing_names_the_path() {
        let parent = tempfile::tempdir().unwrap();
        let path = parent.path().join("comity-data");
        let e = DataDir::existing(&path).unwrap_err();
        assert!(
            e.to_string().contains(&path.display().to_string()) && e.to_string().contains("--data-dir"),
            "{e}"
        );
        assert!(!path.exists());
        let dir = DataDir::create(&path).unwrap();
        assert_eq!(DataDir::existing(&path).unwrap(), dir);
    }

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_released_on_drop() {
        let parent = tempfile::tempdir().unwrap();
        let dir = DataDir::create(parent.path()).unwrap();
        let held = dir.lock("pid 42, http://127.0.0.1:8080").unwrap();
        let e = dir.lock("pid 43").unwrap_err();
        assert!(e.to_string().contains("pid 42, http://127.0.0.1:8080"), "{e}");
        drop(held);
        dir.lock("pid 43").unwrap();
    }

    #[test]
    fn the_log_key_is_made_once_and_keeps_its_origin() {
        let parent = tempfile::tempdir().unwrap();
        let dir = DataDir::create(parent.path()).unwrap();
        assert!(matches!(dir.existing_log_key("comity.test/log"), Err(DataDirError::NoLogKey(_))));
        let made = dir.log_key("comity.test/log").unwrap();
        assert_eq!(dir.existing_log_key("comity.test/log").unwrap().verifier_key(), made.verifier_key());
        let e = dir.log_key("other.test/log").unwrap_err();
        assert!(e.to_string().contains("--log-origin comity.test/log"), "{e}");
    }
}

//! The witness's durable state: its key, and for each log the last checkpoint it cosigned.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use comity_log::{WitnessKey, Witnessed};
use sha2::{Digest, Sha256};

use crate::Error;

/// A witness's state directory. It holds:
///
/// - `witness.key`: the private key (mode 0600), created on first start;
/// - `logs/<hex SHA-256 of the origin>`: the last checkpoint cosigned for each log, with
///   the log's signatures and the witness's cosignature.
///
/// The directory and its files are readable by their owner only (0700 and 0600 on Unix),
/// and every write is durable: a crash leaves the old content or the new, never a mix.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// The state kept in `dir`. Nothing is read or created until it is needed.
    pub fn new(dir: impl Into<PathBuf>) -> StateDir {
        StateDir { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Reads the key, or creates it (mode 0600, durably) when there is none and `name` is
    /// given. With a `name`, the key must have that name.
    pub fn key(&self, name: Option<&str>) -> Result<WitnessKey, Error> {
        let dir = &self.dir;
        private_dir(dir).map_err(|source| Error::Io {
            context: format!("creating the state directory {}", dir.display()),
            source,
        })?;
        let path = dir.join("witness.key");
        let io =
            |context: &str, source| Error::Io { context: format!("{context} {}", path.display()), source };
        let key = match std::fs::read_to_string(&path) {
            Ok(text) => WitnessKey::from_signer_key(&text)
                .map_err(|source| Error::Key { path: path.clone(), source })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let Some(name) = name else {
                    return Err(Error::NoKey { dir: dir.clone() });
                };
                let key = WitnessKey::generate(name).map_err(Error::Name)?;
                let mut file = private_file().create_new(true).open(&path).map_err(|e| io("creating", e))?;
                file.write_all(format!("{}\n", key.signer_key()).as_bytes())
                    .and_then(|()| file.sync_all())
                    .and_then(|()| sync_dir(dir))
                    .map_err(|e| io("writing", e))?;
                tracing::info!(path = %path.display(), "created the witness key");
                key
            }
            Err(e) => return Err(io("reading", e)),
        };
        match name {
            Some(name) if name != key.name() => {
                Err(Error::WrongName { path, found: key.name().to_owned(), expected: name.to_owned() })
            }
            _ => Ok(key),
        }
    }

    /// Creates the directory of the logs' records, if missing.
    pub(crate) fn create_logs_dir(&self) -> Result<(), Error> {
        private_dir(&self.dir.join("logs"))
            .map_err(|source| Error::Io { context: "creating the logs directory".into(), source })
    }

    /// The last checkpoint cosigned for `origin`, if any.
    pub fn last(&self, origin: &str) -> Result<Option<Witnessed>, Error> {
        let path = self.log_path(origin);
        match std::fs::read(&path) {
            Ok(note) => {
                let (stored, witnessed) = Witnessed::from_note(&note)
                    .map_err(|source| Error::State { path: path.clone(), source })?;
                if stored != origin {
                    return Err(Error::StateOrigin { path, found: stored, origin: origin.to_owned() });
                }
                Ok(Some(witnessed))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { context: format!("reading {}", path.display()), source }),
        }
    }

    /// Where the last cosigned checkpoint of `origin` is kept: origins are arbitrary text,
    /// so the file is named by their hash.
    pub(crate) fn log_path(&self, origin: &str) -> PathBuf {
        let hash = Sha256::digest(origin.as_bytes());
        let name: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join("logs").join(name)
    }
}

/// Options to write a file only its owner can read (mode 0600 on Unix).
fn private_file() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates a directory only its owner can enter (mode 0700 on Unix).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Flushes a directory's entries (a created or renamed file) to disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Writes a file so that a crash leaves either the old or the new content: a temporary
/// file, fsync, rename, fsync of the directory.
pub(crate) fn write_durably(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no parent directory"))?;
    let tmp = path.with_extension("tmp");
    let mut file = private_file().create(true).truncate(true).open(&tmp)?;
    file.write_all(content)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use comity_log::{LogKey, MemoryTree};

    use super::*;

    #[test]
    fn the_key_is_created_once_private_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path().join("state"));
        assert!(matches!(state.key(None), Err(Error::NoKey { .. })));
        let key = state.key(Some("witness.test/w1")).unwrap();
        assert_eq!(state.key(None).unwrap().verifier_key(), key.verifier_key(), "read back, not replaced");
        assert_eq!(state.key(Some("witness.test/w1")).unwrap().verifier_key(), key.verifier_key());
        let err = state.key(Some("witness.test/w2")).unwrap_err();
        assert!(err.to_string().ends_with("is named \"witness.test/w1\", not \"witness.test/w2\""), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&state.path().join("witness.key")), 0o600);
            assert_eq!(mode(state.path()), 0o700);
        }
        // A damaged key file is an error naming it, never silently replaced.
        std::fs::write(state.path().join("witness.key"), "PRIVATE+KEY+nonsense\n").unwrap();
        let err = state.key(Some("witness.test/w1")).unwrap_err();
        assert!(matches!(err, Error::Key { .. }), "{err:?}");
        assert!(err.to_string().starts_with("reading ") && err.to_string().ends_with("witness.key"), "{err}");
        assert!(matches!(
            StateDir::new(dir.path().join("other")).key(Some("has space")),
            Err(Error::Name(_))
        ));
    }

    #[test]
    fn a_cosigned_checkpoint_is_read_back_for_its_origin_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.create_logs_dir().unwrap();
        let mut tree = MemoryTree::new();
        for i in 0..5u8 {
            tree.append(&[i]);
        }
        let log = LogKey::generate("comity.test/log");
        let note = log.sign("comity.test/log", 5, tree.root(5).unwrap()).unwrap();
        assert_eq!(state.last("comity.test/log").unwrap(), None);
        write_durably(&state.log_path("comity.test/log"), &note).unwrap();
        assert_eq!(
            state.last("comity.test/log").unwrap(),
            Some(Witnessed { size: 5, root: tree.root(5).unwrap() })
        );
        assert!(!state.log_path("comity.test/log").with_extension("tmp").exists());
        // A record under another origin's name is refused, not trusted.
        std::fs::copy(state.log_path("comity.test/log"), state.log_path("comity.test/other")).unwrap();
        assert!(matches!(state.last("comity.test/other"), Err(Error::StateOrigin { .. })));
        std::fs::write(state.log_path("comity.test/log"), b"garbage").unwrap();
        assert!(matches!(state.last("comity.test/log"), Err(Error::State { .. })));
    }
}

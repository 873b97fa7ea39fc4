//! The embedded store: one SQLite file in the data directory.
//!
//! Writes go through one writer, on a thread of its own, that commits them in groups (see
//! the crate docs) on its own connection (`crate::sqlite_native`); reads use a small pool of
//! read-only connections, which WAL lets run beside the writer.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use comity_core::StoreError;
use sqlx::{
    Connection, Sqlite,
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous},
};
use tokio::sync::{mpsc, oneshot};

use crate::batch::{self, BatchFailed, MAX_BATCH, Op, QUEUE, Write};
use crate::log::{Committed, Log};
use crate::rows::backend;
use crate::sqlite_native::{NativeConn, PooledRead, ReadPool, ReadSnapshot};
use crate::store::{Engine, store_impl};
use crate::writes::{Answer, WriteOp};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Creates the directory, if missing, so that only its owner may enter it (0700).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the database file, if missing, readable and writable by its owner alone
/// (0600), and takes group and other access away from an existing one and from its
/// write-ahead log and shared-memory index: it holds every request and its targets, and an
/// outside test found it world-readable (issue 12, finding 6). SQLite creates the `-wal`
/// and `-shm` files with the database file's permissions, so they follow it.
///
/// Only group and other bits are taken away: an owner's read-only database stays read-only
/// (and is refused at start as such, `Store::check_writable`).
fn private_files(database: &Path) -> std::io::Result<()> {
    if !database.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(database) {
            Ok(_) => {}
            // Another process made it first: its mode is fixed below like any other.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut file = database.as_os_str().to_owned();
        file.push(suffix);
        let Ok(metadata) = std::fs::metadata(&file) else { continue };
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o7700))?;
        }
    }
    Ok(())
}

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "comity.db";

/// How long a connection waits for a lock another process holds (the `comity authority
/// add` command line, say, while `comity serve` runs) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read-only connections; WAL lets each read its own snapshot beside the writer.
const READERS: usize = 4;

/// comity's store in a SQLite database, `comity.db` in the data directory.
///
/// Cloning is cheap and shares the writer and the read pool.
#[derive(Clone)]
pub struct SqliteStore {
    path: Arc<PathBuf>,
    writer: mpsc::Sender<Op>,
    read: Arc<ReadPool>,
    cipher: crate::at_rest::Slot,
    registers: Arc<crate::registers::RegisterCache>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `comity.db` in `data_dir`, which is created if missing,
    /// and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let setup = |what: &str, path: &Path, e: std::io::Error| {
            backend(crate::rows::SetupError(format!("{what} {}: {e}", path.display())))
        };
        private_dir(data_dir).map_err(|e| setup("cannot create the data directory", data_dir, e))?;
        let path = data_dir.join(DATABASE_FILE);
        private_files(&path).map_err(|e| setup("cannot make the database private:", &path, e))?;
        // The migrations run on a sqlx connection, which switches the file to WAL (readers
        // never block the writer nor it them); the writer's own connection
        // (`NativeConn::open`) then sets the rest: synchronous = FULL and secure_delete.
        let migrate_options = SqliteConnectOptions::new()
            .filename(&path)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);

        connect_and_migrate(&migrate_options).await?.close().await.map_err(backend)?;
        let conn = NativeConn::open(&path, BUSY_TIMEOUT).map_err(backend)?;

        let read = ReadPool::new(&path, BUSY_TIMEOUT, READERS);

        let (writer, queue) = mpsc::channel(QUEUE);
        let task = Writer { path: path.clone(), conn: Some(conn), queue, committed: Committed::default() };
        std::thread::Builder::new()
            .name("comity-sqlite-writer".to_owned())
            .spawn(move || task.run())
            .map_err(|e| setup("cannot start the writer thread for", &path, e))?;
        Ok(Self {
            path: Arc::new(path),
            writer,
            read,
            cipher: Default::default(),
            registers: Default::default(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finishes the writes already queued, then closes the database. Writes sent after
    /// this fail. Dropping every clone of the store closes it too, without waiting.
    pub async fn close(&self) {
        // The readers first: the last connection to close folds the write-ahead log back
        // into the database file and removes it, and only a connection that may write can.
        self.read.close();
        let (tx, rx) = oneshot::channel();
        if self.writer.send(Op::Close(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

impl Engine for SqliteStore {
    type DB = Sqlite;
    type Read = PooledRead;
    type Snapshot = ReadSnapshot;

    async fn read(&self) -> Result<PooledRead, StoreError> {
        self.read.acquire().await
    }

    async fn snapshot(&self) -> Result<ReadSnapshot, StoreError> {
        self.read.snapshot().await
    }

    /// Hands a write to the writer and waits until its batch has committed (or
    /// failed).
    async fn submit(&self, op: WriteOp) -> Result<Answer, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer.send(Op::Write(Write { op, reply })).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    fn cipher_slot(&self) -> &crate::at_rest::Slot {
        &self.cipher
    }

    fn registers(&self) -> &crate::registers::RegisterCache {
        &self.registers
    }

    fn check_open(&self) -> Result<(), StoreError> {
        if self.writer.is_closed() { Err(closed()) } else { Ok(()) }
    }
}

store_impl!(SqliteStore);

/// Opens the write connection and brings the schema up to date.
///
/// Two processes opening a brand-new directory at once (`comity serve` and `comity
/// authority add`, say) race to switch it to WAL, which takes a lock the busy timeout does
/// not wait for, and to run the first migration, which only one can win. The loser tries
/// again a few times; by then the schema is there and there is nothing left to do.
async fn connect_and_migrate(options: &SqliteConnectOptions) -> Result<SqliteConnection, StoreError> {
    const ATTEMPTS: u64 = 5;
    let mut attempt = 1;
    loop {
        let opened = async {
            let mut conn = SqliteConnection::connect_with(options).await.map_err(backend)?;
            match MIGRATOR.run(&mut conn).await {
                Ok(()) => Ok(conn),
                Err(e) => {
                    let _ = conn.close().await;
                    Err(backend(e))
                }
            }
        };
        match opened.await {
            Ok(conn) => return Ok(conn),
            Err(e) if attempt >= ATTEMPTS => return Err(e),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                attempt += 1;
            }
        }
    }
}

fn closed() -> StoreError {
    backend(crate::rows::SetupError("the SQLite store is closed".to_owned()))
}

/// The one writer. It owns the write connection, so writes never wait on each other for
/// SQLite's lock inside this process, and it commits them in groups. It runs on a thread of
/// its own, where each statement runs at once, with no hand-off to another thread
/// (`crate::sqlite_native` says why).
struct Writer {
    path: PathBuf,
    /// `None` after a batch left the connection in an unknown state; the next batch opens
    /// a fresh one.
    conn: Option<NativeConn>,
    queue: mpsc::Receiver<Op>,
    /// The log as this writer last left it (its right edge, checked against the table at
    /// the start of each batch, since another process such as `comity authority add` may
    /// append; the request salts it read).
    committed: Committed,
}

impl Writer {
    fn run(mut self) {
        let mut ops = Vec::with_capacity(MAX_BATCH);
        let mut closing = Vec::new();
        // Take whatever is queued, at least one; while a batch commits (the fsync), the
        // next one queues up, so the batch size follows the load with no added delay.
        while self.queue.blocking_recv_many(&mut ops, MAX_BATCH) > 0 {
            let batch = batch::writes(&mut ops, &mut closing);
            if !batch.is_empty() {
                self.batch(batch);
            }
            if !closing.is_empty() {
                break;
            }
        }
        // Writes still queued are dropped; their callers learn the store is closed.
        self.queue.close();
        if let Some(conn) = self.conn.take() {
            conn.close();
        }
        for done in closing {
            let _ = done.send(());
        }
    }

    /// Runs a batch in one transaction, each write in its own savepoint, and answers the
    /// callers only once COMMIT has returned.
    fn batch(&mut self, batch: Vec<Write>) {
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => match NativeConn::open(&self.path, BUSY_TIMEOUT) {
                Ok(conn) => conn,
                Err(e) => {
                    BatchFailed::new("the database could not be opened", e).answer_all(batch);
                    return;
                }
            },
        };
        let shreds = batch.iter().any(|w| matches!(w.op, WriteOp::ShredDocuments(..)));
        // Every statement of the batch runs at once on this thread: the futures of the
        // writes (written once for both backends, so async) are done when first polled.
        match futures_executor::block_on(run_batch(&mut conn, &mut self.committed, batch)) {
            Ok(()) => {
                if shreds {
                    // The write-ahead log still holds the pages as they were before, the
                    // destroyed data key among them: fold it into the database (whose
                    // page secure_delete zeroed) and empty it.
                    if let Err(e) = conn.run_plain("PRAGMA wal_checkpoint(TRUNCATE)") {
                        tracing::warn!(error = %e, "the write-ahead log could not be emptied after a shredding");
                    }
                }
                self.conn = Some(conn)
            }
            Err(()) => {
                // The transaction may still be open; closing the connection rolls it back,
                // and the next batch starts from a clean one and reloads the frontier.
                self.committed = Committed::default();
                conn.close();
            }
        }
    }
}

/// Runs `batch` in one `BEGIN IMMEDIATE` transaction (`crate::batch`) and answers the
/// callers once COMMIT has returned. `Err` means the batch failed as a whole and every
/// caller has been told so.
async fn run_batch(conn: &mut NativeConn, committed: &mut Committed, batch: Vec<Write>) -> Result<(), ()> {
    // IMMEDIATE takes the write lock now: another process writing makes us wait here (up to
    // the busy timeout), never fail half-way through the batch.
    if let Err(e) = conn.run_plain("BEGIN IMMEDIATE") {
        BatchFailed::new("the write transaction could not start", e).answer_all(batch);
        return Err(());
    }
    // A production's data key destroyed (issue 15, crypto-shredding): once committed, the
    // write-ahead log is folded into the database and emptied before anyone is answered, so
    // the key's bytes are in neither file (secure_delete zeroed them in the page).
    let shreds = batch.iter().any(|w| matches!(w.op, WriteOp::PackageKey(_, None, _)));
    let mut log = Log::new(std::mem::take(committed));
    let Ok(ran) = batch::run(conn, &mut log, batch).await else {
        let _ = conn.run_plain("ROLLBACK");
        return Err(());
    };
    match conn.run_plain("COMMIT") {
        Ok(_) => {
            *committed = log.into_committed();
            if shreds && let Err(e) = conn.run_plain("PRAGMA wal_checkpoint(TRUNCATE)") {
                tracing::warn!(
                    "the write-ahead log could not be emptied after a data key was destroyed: {e}"
                );
            }
            ran.committed();
            Ok(())
        }
        Err(e) => {
            let _ = conn.run_plain("ROLLBACK");
            ran.failed(e);
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use comity_core::{PartyRole, Store};

    use super::*;
    use crate::batch::fixtures::{authority, batch, provider, request};

    /// A store (for reading back) and a write connection of our own, to drive `run_batch`
    /// with exactly the batch we want.
    async fn setup() -> (tempfile::TempDir, SqliteStore, NativeConn) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        let conn = NativeConn::open(store.path(), BUSY_TIMEOUT).unwrap();
        (dir, store, conn)
    }

    #[tokio::test]
    async fn a_failing_write_is_undone_alone_and_its_batch_commits() {
        let (_dir, store, mut conn) = setup().await;
        let run = async |writes| run_batch(&mut conn, &mut Committed::default(), writes).await.unwrap();
        crate::batch::fixtures::a_failing_write_is_undone_alone(&store, run).await;
    }

    #[tokio::test]
    async fn a_write_that_breaks_the_transaction_fails_the_whole_batch() {
        let (_dir, store, mut conn) = setup().await;
        let r = request();
        // RAISE(ROLLBACK) ends the whole transaction, as a full disk would: the savepoint
        // is gone, so nothing in the batch may be reported as saved.
        conn.run_plain(
            "CREATE TEMP TRIGGER poison AFTER INSERT ON parties WHEN NEW.id = 'poison' \
             BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END",
        )
        .unwrap();
        let (writes, answers) = batch(vec![
            WriteOp::AddParty(authority("fr-pnf")),
            WriteOp::InsertRequest(
                Box::new(r.clone()),
                Box::new(crate::at_rest::seal_intake(None, &r).unwrap()),
            ),
            WriteOp::AddParty(provider("poison")),
        ]);
        assert!(run_batch(&mut conn, &mut Committed::default(), writes).await.is_err());
        for answer in answers {
            let result = answer.await.unwrap();
            assert!(
                matches!(&result, Err(StoreError::Backend(e)) if e.to_string().contains("nothing in this write was saved"))
            );
        }
        assert!(store.parties(PartyRole::Authority).await.unwrap().is_empty());
        assert_eq!(store.request(r.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_caller_of_the_batch() {
        let (_dir, store, mut conn) = setup().await;
        let r = request();
        // A deferred foreign key is checked at COMMIT: a dangling one makes COMMIT fail.
        for statement in [
            "CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY)",
            "CREATE TEMP TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
            "CREATE TEMP TRIGGER dangle AFTER INSERT ON parties WHEN NEW.id = 'dangle' \
             BEGIN INSERT INTO child VALUES (42); END",
        ] {
            conn.run_plain(statement).unwrap();
        }
        let (writes, answers) = batch(vec![
            WriteOp::AddParty(authority("fr-pnf")),
            WriteOp::AddParty(provider("dangle")),
            WriteOp::InsertRequest(
                Box::new(r.clone()),
                Box::new(crate::at_rest::seal_intake(None, &r).unwrap()),
            ),
        ]);
        assert!(run_batch(&mut conn, &mut Committed::default(), writes).await.is_err());
        for answer in answers {
            let result = answer.await.unwrap();
            assert!(
                matches!(&result, Err(StoreError::Backend(e)) if e.to_string().contains("the commit failed")),
                "{:?}",
                result.err()
            );
        }
        assert!(store.parties(PartyRole::Authority).await.unwrap().is_empty());
        assert_eq!(store.request(r.id).await.unwrap(), None);
        // The connection is usable again.
        let (writes, answers) = batch(vec![WriteOp::AddParty(authority("fr-pnf"))]);
        run_batch(&mut conn, &mut Committed::default(), writes).await.unwrap();
        for answer in answers {
            assert!(matches!(answer.await.unwrap(), Ok(Answer::Logged(_))));
        }
    }

    /// The request salts a writer keeps from batch to batch are only those of batches that
    /// committed: a request stored again after its first insertion was undone, under a new
    /// salt, has every entry tagged under that one, in its batch and the batches after.
    #[tokio::test]
    async fn entries_are_tagged_under_the_salt_their_request_is_stored_with() {
        let (_dir, store, mut conn) = setup().await;
        let r = request();
        let intake = || {
            WriteOp::InsertRequest(
                Box::new(r.clone()),
                Box::new(crate::at_rest::seal_intake(None, &r).unwrap()),
            )
        };
        let read = || {
            WriteOp::LogRead(comity_core::Read {
                request_id: r.id,
                what: comity_core::ReadOf::Document,
                actor: comity_core::ActorId::parse("legal@example-mail").unwrap(),
                at: r.received_at,
            })
        };
        conn.run_plain("CREATE TEMP TABLE parent (id INTEGER PRIMARY KEY)").unwrap();
        conn.run_plain(
            "CREATE TEMP TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
        )
        .unwrap();
        conn.run_plain(
            "CREATE TEMP TRIGGER dangle AFTER INSERT ON parties WHEN NEW.id = 'dangle' \
             BEGIN INSERT INTO child VALUES (42); END",
        )
        .unwrap();
        let mut committed = Committed::default();
        // The request inserted and read, then the commit fails: its salt was never stored.
        let (writes, _) = batch(vec![intake(), read(), WriteOp::AddParty(provider("dangle"))]);
        assert!(run_batch(&mut conn, &mut committed, writes).await.is_err());
        // Stored again (a new salt), read in the same batch and in the next.
        for ops in [vec![intake(), read()], vec![read()]] {
            let (writes, answers) = batch(ops);
            run_batch(&mut conn, &mut committed, writes).await.unwrap();
            for answer in answers {
                assert!(answer.await.unwrap().is_ok());
            }
        }
        let salt = store.request(r.id).await.unwrap().unwrap().log_salt;
        let tag = comity_log::RequestTag::new(&comity_log::Salt(salt), &r.id.to_string()).to_string();
        let entries = store.request_log(r.id).await.unwrap();
        assert_eq!(entries.len(), 3, "received, and two reads: {entries:?}");
        for record in entries {
            let entry = comity_log::Entry::from_bytes(&record.entry).unwrap();
            assert_eq!(entry.request(), Some(tag.as_str()), "{}", entry.kind());
        }
    }
}

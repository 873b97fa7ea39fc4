//! Issue 11, item 8: a start-up that refuses clearly, before it has created anything, and
//! commands that only read never leave a data directory behind.

use std::process::Command;

use crate::support::{BIN, Data, Server, add_authority, comity};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `comity serve` to completion (it fails at once, or this hangs: the test would time out).
/// `comity serve` with these arguments, and none from the environment.
fn serve_command(args: &[&str]) -> Command {
    let mut serve = Command::new(BIN);
    serve.arg("serve").args(args).env_remove("COMITY_DATA_DIR").env_remove("COMITY_DATABASE_URL");
    serve
}

/// Runs `comity serve` where it must refuse to start.
fn serve(args: &[&str]) -> std::process::Output {
    refused(serve_command(args))
}

/// Root writes anything, so as root (CI, containers) the server runs as nobody, given the
/// data directory, as an operator's service account would be.
#[cfg(unix)]
fn as_service_account(serve: &mut Command, dir: &std::path::Path) {
    use std::os::unix::process::CommandExt;
    if Command::new("id").arg("-u").output().unwrap().stdout == b"0\n" {
        let status = Command::new("chown").args(["-R", "65534:65534"]).arg(dir).status().unwrap();
        assert!(status.success(), "chown {}", dir.display());
        serve.uid(65534).gid(65534);
    }
}

/// Runs a server that must refuse to start: one still running after a minute is stopped
/// and the test fails, rather than waiting on it for ever.
fn refused(mut server: Command) -> std::process::Output {
    let mut child = server
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("{server:?} started instead of refusing:\n{}", stderr(&out));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_port_in_use_is_refused_before_anything_is_created() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("comity-data");
    let out = serve(&["--listen", &port, "--data-dir", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("listening on {port}")) && err.contains("--listen"), "{err}");
    assert!(!dir.exists(), "a refused start created {}", dir.display());
}

#[test]
fn a_second_server_on_one_data_directory_is_told_who_holds_it() {
    let data = Data::sqlite();
    let first = Server::start(&data, &[]);
    let Data::Sqlite(dir) = &data else { unreachable!() };
    let out = serve(&["--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let pid = first.child.id().to_string();
    assert!(err.contains("in use by another comity serve") && err.contains(&format!("pid {pid}")), "{err}");
    assert!(err.contains(&first.base), "the message names the running server's address: {err}");
    // Once the first has stopped, the directory is free again.
    drop(first);
    let second = Server::start(&data, &[]);
    drop(second);
}

#[cfg(unix)]
#[test]
fn a_data_directory_that_cannot_be_written_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let data = Data::sqlite();
    let Data::Sqlite(dir) = &data else { unreachable!() };
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut serve = serve_command(&["--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()]);
    as_service_account(&mut serve, dir.path());
    let out = refused(serve);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("is not writable") && err.contains("--data-dir"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the refused start wrote into it");
}

/// A database file the server may read but not write, in a directory it may write: the
/// store opens, and a write that changes nothing tells it apart before anything is served.
#[cfg(unix)]
#[test]
fn a_database_file_that_cannot_be_written_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let data = Data::sqlite();
    let Data::Sqlite(dir) = &data else { unreachable!() };
    crate::support::register_parties(&data);
    let mut serve = serve_command(&["--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()]);
    as_service_account(&mut serve, dir.path());
    let db = dir.path().join(comity_store::DATABASE_FILE);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = refused(serve);
    assert!(!out.status.success(), "a read-only database was served");
    let err = stderr(&out);
    assert!(err.contains("accepts writes") && err.contains("permissions"), "{err}");
}

#[test]
fn commands_that_read_never_create_a_data_directory_and_name_the_path() {
    let parent = tempfile::tempdir().unwrap();
    let missing = parent.path().join("comity-data");
    let dir = missing.to_str().unwrap();
    for args in [
        vec!["log", "key", "--data-dir", dir],
        vec!["log", "verify", "--data-dir", dir],
        vec!["token", "create", "--org", "example-mail", "--role", "handler", "--data-dir", dir],
        vec!["token", "list", "--data-dir", dir],
        vec!["user", "list", "--data-dir", dir],
        vec!["authority", "list", "--data-dir", dir],
        [&add_authority("fr-tj-paris", "FR", "judge", "TJ")[..], &["--data-dir", dir]].concat(),
    ] {
        let out = comity(&args, None);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = stderr(&out);
        assert!(
            err.contains(dir) && err.contains("--data-dir") && err.contains("comity serve"),
            "{args:?}: {err}"
        );
        assert!(!missing.exists(), "{args:?} created {dir}");
    }
    // `comity init` makes one, as `comity serve` does on its first start; then they work.
    let out = comity(&["init", "--data-dir", dir], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = comity(&["log", "key", "--data-dir", dir], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("comity.localhost/log+"));
    // A directory that exists but holds no database is named too, and left as it was.
    let empty = parent.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = comity(&["token", "list", "--data-dir", empty.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no comity database at"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "the empty directory was written to");
}

/// The server's own data directory as `comity serve` would be started on it again.
fn serve_again(data: &Data) -> std::process::Output {
    let dir = match data {
        Data::Sqlite(dir) | Data::Postgres(_, dir) => dir.path().display().to_string(),
    };
    serve(&["--listen", "127.0.0.1:0", "--data-dir", &dir])
}

/// Copies a stopped server's SQLite database, with its write-ahead log if it has one, as
/// a file-level backup or restore would.
fn copy_database(from: &std::path::Path, to: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("{}{suffix}", comity_store::DATABASE_FILE);
        let (source, target) = (from.join(&name), to.join(&name));
        if source.exists() {
            std::fs::copy(&source, &target).unwrap();
        } else if target.exists() {
            std::fs::remove_file(&target).unwrap();
        }
    }
}

/// Issue 11, item 7: a store shorter than a checkpoint its log signed is refused, whether
/// its newest entries were deleted (the database's own checkpoint says so) or the whole
/// database was put back from an older copy (the checkpoint kept in the data directory,
/// apart from the database, says so), as Sunlight keeps its checkpoint apart so that a
/// restored copy cannot fork the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_shorter_than_its_signed_log_is_refused() {
    use sqlx::Connection;
    let data = Data::sqlite();
    crate::support::register_parties(&data);
    let Data::Sqlite(dir) = &data else { unreachable!() };
    let db = dir.path().join(comity_store::DATABASE_FILE);
    // A clean stop signs the registrations, and keeps that checkpoint beside the database.
    crate::log_local::stop(Server::start(&data, &[]));
    let older = tempfile::tempdir().unwrap();
    copy_database(dir.path(), older.path());
    let out = comity(
        &["reviewer", "add", "--id", "ie-dpc", "--country", "IE", "--kind", "court", "--name", "DPC"],
        Some(&data),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    crate::log_local::stop(Server::start(&data, &[]));

    // The older copy put back: its own checkpoints agree with it, the kept one does not.
    let newer = tempfile::tempdir().unwrap();
    copy_database(dir.path(), newer.path());
    copy_database(older.path(), dir.path());
    let out = serve_again(&data);
    assert!(!out.status.success(), "a restored older database was served");
    let err = stderr(&out);
    assert!(err.contains("restored from an older copy") && err.contains("checkpoint"), "{err}");
    let out = comity(&["log", "verify"], Some(&data));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("restored from an older copy"), "{}", stderr(&out));

    // The older copy written to since, past the size of the kept checkpoint: a fork, which
    // the kept checkpoint's root tells from the log it signed.
    for id in ["de-bfdi", "nl-ap", "be-apd"] {
        let country = id[..2].to_uppercase();
        let out = comity(
            &[
                "reviewer",
                "add",
                "--id",
                id,
                "--country",
                &country,
                "--kind",
                "data_protection_authority",
                "--name",
                id,
            ],
            Some(&data),
        );
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = serve_again(&data);
    assert!(!out.status.success(), "a forked log was served");
    let err = stderr(&out);
    assert!(err.contains("another root") && err.contains("restored from an older copy"), "{err}");
    let out = comity(&["log", "verify"], Some(&data));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("another root"), "{}", stderr(&out));

    // The newest entries deleted, guards and all: the database's own checkpoint says so.
    copy_database(newer.path(), dir.path());
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "DROP TRIGGER log_entries_no_delete; \
         DELETE FROM log_entries WHERE idx >= (SELECT MAX(idx) - 1 FROM log_entries); \
         UPDATE log_head SET size = (SELECT MAX(idx) + 1 FROM log_entries)",
    )
    .execute(&mut conn)
    .await
    .map(|_| ())
    .or_else(|e| {
        // Before SQLite kept a log_head of its own, the size was the entries'.
        if e.to_string().contains("log_head") { Ok(()) } else { Err(e) }
    })
    .unwrap();
    conn.close().await.unwrap();
    let out = serve_again(&data);
    assert!(!out.status.success(), "a log cut short was served");
    let err = stderr(&out);
    assert!(err.contains("log entries, but") && err.contains("signs"), "{err}");
}

/// Issue 11, item 8: a database that answers reads but refuses writes (PostgreSQL made
/// read-only here, as a standby or a withdrawn privilege would be) is reported not ready
/// while the server runs, and refused at start, rather than failing the first write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_refuses_writes_is_not_ready_and_not_served() {
    use sqlx::Connection;
    let Some(data) = Data::postgres().await else { return };
    let Data::Postgres(db, dir) = &data else { unreachable!() };
    let server = Server::start(&data, &[]);
    let client = reqwest::Client::new();
    let ready = |server: &Server| {
        let request = client.get(server.url("/readyz"));
        async move {
            let answer = request.send().await.unwrap();
            (answer.status().as_u16(), answer.json::<serde_json::Value>().await.unwrap())
        }
    };
    assert_eq!(ready(&server).await, (200, serde_json::json!({"status": "ok"})));

    let admin_url = std::env::var("COMITY_TEST_DATABASE_URL").unwrap();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    // The setting applies to new sessions: the server's are ended, and it opens new ones.
    sqlx::raw_sql(&format!(
        "ALTER DATABASE {0} SET default_transaction_read_only = on; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}'",
        db.name()
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let (status, body) = ready(&server).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["detail"], "the database does not accept writes", "{body}");
    crate::log_local::stop(server);

    let dir = dir.path().to_str().unwrap();
    let out = serve(&["--listen", "127.0.0.1:0", "--database-url", db.url(), "--data-dir", dir]);
    assert!(!out.status.success(), "a read-only database was served");
    let err = stderr(&out);
    assert!(err.contains("the database is read-only") && err.contains("a primary it may write"), "{err}");
    assert_eq!(err.matches("read-only").count(), 1, "each cause once: {err}");
    admin.close().await.unwrap();
}

/// The database holds every request and its targets; an outside test found it, and its
/// write-ahead log, readable by every user of the machine (issue 12, finding 6). A new
/// data directory is its owner's alone, the database files are too, and a database left
/// readable by an earlier version is closed to others at the next start.
#[cfg(unix)]
#[test]
fn the_data_directory_and_the_database_are_their_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = parent.path().join("comity-data");
    let start = || {
        let mut cmd = serve_command(&["--listen", "127.0.0.1:0", "--data-dir", dir.to_str().unwrap()]);
        cmd.env("RUST_LOG", "warn");
        Server::spawn(cmd, "comity serve", "comity listening on ")
    };
    let server = start();
    let db = dir.join(comity_store::DATABASE_FILE);
    let wal = dir.join(format!("{}-wal", comity_store::DATABASE_FILE));
    assert_eq!(mode(&dir), 0o700, "the data directory");
    assert_eq!(mode(&db), 0o600, "the database");
    assert!(wal.exists(), "the server runs in WAL mode");
    assert_eq!(mode(&wal), 0o600, "its write-ahead log follows the database");
    drop(server);

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let server = start();
    assert_eq!(mode(&db), 0o600, "an existing database readable by others is closed to them");
    drop(server);
}

/// Issue 17, item 1: several servers on one PostgreSQL database must share its keys. A
/// second server given its own log key would fork the log's signatures, and one with its
/// own server key could open none of the secrets sealed before: each refuses to start and
/// names the file to copy; with both files copied, it serves beside the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_with_other_keys_is_refused_and_told_which_file_to_copy() {
    let Some(data) = Data::postgres().await else { return };
    let Data::Postgres(db, first_dir) = &data else { unreachable!() };
    let first = Server::start(&data, &[]);
    let second_dir = tempfile::tempdir().unwrap();
    let second = |dir: &std::path::Path| {
        serve_command(&[
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db.url(),
            "--data-dir",
            dir.to_str().unwrap(),
        ])
    };
    // Its own keys, made on its first start: the log key is refused first.
    let out = refused(second(second_dir.path()));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("needs the same log key file") && err.contains("log-key"), "{err}");
    // The log key copied, its own server key still: refused, naming that file.
    std::fs::copy(first_dir.path().join("log-key"), second_dir.path().join("log-key")).unwrap();
    let out = refused(second(second_dir.path()));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("needs the same server key file") && err.contains("server-key"), "{err}");
    // Both copied: it serves beside the first.
    std::fs::copy(first_dir.path().join("server-key"), second_dir.path().join("server-key")).unwrap();
    let both = Server::spawn(second(second_dir.path()), "a second server", "comity listening on ");
    let client = reqwest::Client::new();
    for server in [&first, &both] {
        let r = client.get(format!("{}/readyz", server.base)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    drop(both);
    drop(first);
}

//! Issue 11, item 8: a start-up that refuses clearly, before it has created anything, and
//! commands that only read never leave a data directory behind.

use std::process::Command;

use crate::support::{BIN, Data, Server, add_authority, comity};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `comity serve` to completion (it fails at once, or this hangs: the test would time out).
fn serve(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("serve")
        .args(args)
        .env_remove("COMITY_DATA_DIR")
        .env_remove("COMITY_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
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
    use std::os::unix::{fs::PermissionsExt, process::CommandExt};
    let data = Data::sqlite();
    let Data::Sqlite(dir) = &data else { unreachable!() };
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut serve = Command::new(BIN);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", dir.path().to_str().unwrap()])
        .env_remove("COMITY_DATA_DIR")
        .env_remove("COMITY_DATABASE_URL");
    // Root writes anywhere, so as root (CI, containers) the server runs as nobody, for
    // whom the directory is read-only as it would be for any operator's service account.
    let probe = dir.path().join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        serve.uid(65534).gid(65534);
    }
    let out = serve.output().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("is not writable") && err.contains("--data-dir"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the refused start wrote into it");
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

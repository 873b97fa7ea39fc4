//! Starting and killing `comity serve`, and running other commands.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_comity");

/// Where a test's server keeps its data: a fresh SQLite directory or PostgreSQL database.
pub enum Data {
    Sqlite(tempfile::TempDir),
    /// The database, and a data directory for what is not in it (the log's key).
    Postgres(comity_store::testing::TestDatabase, tempfile::TempDir),
}

impl Data {
    pub fn sqlite() -> Self {
        Data::Sqlite(tempfile::tempdir().unwrap())
    }

    /// `None`, after saying so loudly, when `COMITY_TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<Self> {
        let db = comity_store::testing::TestDatabase::create().await?;
        Some(Data::Postgres(db, tempfile::tempdir().unwrap()))
    }

    /// The command-line arguments that point comity at this data.
    pub fn args(&self) -> Vec<String> {
        match self {
            Data::Sqlite(dir) => vec!["--data-dir".into(), dir.path().display().to_string()],
            Data::Postgres(db, dir) => vec![
                "--database-url".into(),
                db.url().to_owned(),
                "--data-dir".into(),
                dir.path().display().to_string(),
            ],
        }
    }
}

/// Runs a `comity` command to completion.
pub fn comity(args: &[&str], data: Option<&Data>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(data) = data {
        cmd.args(data.args());
    }
    cmd.env_remove("COMITY_DATA_DIR").env_remove("COMITY_DATABASE_URL");
    cmd.output().unwrap()
}

/// A running `comity serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `comity serve` on a free port and waits until it listens.
    pub fn start(data: &Data, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(data.args())
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("comity serve did not start within 60 s");
        let base = line
            .trim()
            .strip_prefix("comity listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from comity serve: {line:?}"))
            .to_owned();
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `kill -9`: no shutdown, no flush, nothing.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn example_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/requests").join(name)
}

pub fn example(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(example_path(name)).unwrap()).unwrap()
}

/// Registers the parties of `eu-epoc-traffic.json` through the command line.
pub fn register_parties(data: &Data) {
    for args in [
        [
            "authority",
            "add",
            "--id",
            "fr-tj-paris",
            "--country",
            "FR",
            "--type",
            "prosecutor",
            "--name",
            "Parquet de Paris",
        ],
        [
            "authority",
            "add",
            "--id",
            "fr-jld-paris",
            "--country",
            "FR",
            "--type",
            "judge",
            "--name",
            "JLD de Paris",
        ],
    ] {
        let out = comity(&args, Some(data));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = comity(
        &["provider", "add", "--id", "example-mail", "--country", "IE", "--name", "Example Mail"],
        Some(data),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

pub fn transition(to: &str) -> Value {
    json!({"to": to, "actor": "ie-high-court", "reason": format!("moved to {to}")})
}

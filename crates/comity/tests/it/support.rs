//! Starting and killing `comity serve`, and running other commands.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_comity");

/// `comity serve`'s per-address limits lifted: a test's whole load comes from one address,
/// on purpose.
pub const UNLIMITED: [&str; 8] = [
    "--rate-limit",
    "0",
    "--failure-limit",
    "0",
    "--connections-per-address",
    "0",
    "--in-flight-per-address",
    "0",
];

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

/// Runs a `comity` command with this standard input and these environment variables.
pub fn comity_with(args: &[&str], data: Option<&Data>, stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    if let Some(data) = data {
        cmd.args(data.args());
    }
    cmd.env_remove("COMITY_DATA_DIR").env_remove("COMITY_DATABASE_URL").envs(env.iter().copied());
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// A running server of ours, `comity serve` or `comity witness serve`: killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `comity serve` on a free port and waits until it listens.
    pub fn start(data: &Data, extra: &[&str]) -> Server {
        Server::start_logging(data, extra, Stdio::inherit())
    }

    /// A second `comity serve` on `data`'s PostgreSQL database, with a data directory of its
    /// own holding copies of the first's log and server keys, as `docs/deploy.md` has an
    /// operator set it up. The directory lives as long as what is returned with it.
    pub fn second(data: &Data) -> (Server, tempfile::TempDir) {
        let Data::Postgres(db, first_dir) = data else {
            panic!("a second server shares a PostgreSQL database")
        };
        let second_dir = tempfile::tempdir().unwrap();
        for key in ["log-key", "server-key"] {
            std::fs::copy(first_dir.path().join(key), second_dir.path().join(key)).unwrap();
        }
        let mut serve = Command::new(BIN);
        serve.args(["serve", "--listen", "127.0.0.1:0", "--database-url", db.url(), "--data-dir"]);
        serve.arg(second_dir.path()).env_remove("COMITY_DATA_DIR").env_remove("COMITY_DATABASE_URL");
        (Server::spawn(serve, "a second server", "comity listening on "), second_dir)
    }

    /// [`Server::start`], its log going to `log`.
    pub fn start_logging(data: &Data, extra: &[&str], log: impl Into<Stdio>) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(data.args()).args(extra);
        Server::spawn_logging(cmd, "comity serve", "comity listening on ", log)
    }

    /// Spawns `cmd`, a server named `what`, and waits (60 s at most) for the first line it
    /// prints, `announce` and then the base URL it listens at.
    pub fn spawn(cmd: Command, what: &str, announce: &str) -> Server {
        Server::spawn_logging(cmd, what, announce, Stdio::inherit())
    }

    /// [`Server::spawn`], its log (standard error, warnings and up) going to `log`.
    pub fn spawn_logging(mut cmd: Command, what: &str, announce: &str, log: impl Into<Stdio>) -> Server {
        let mut child = cmd.env("RUST_LOG", "warn").stdout(Stdio::piped()).stderr(log).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{what} did not start within 60 s"));
        let base = line
            .trim()
            .strip_prefix(announce)
            .unwrap_or_else(|| panic!("unexpected first line from {what}: {line:?}"))
            .to_owned();
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /v1/log` once the server has signed a checkpoint of the whole log: it signs
    /// within a second of the log growing, so this waits, boundedly (10 s).
    pub async fn signed_log_info(&self, client: &reqwest::Client) -> Value {
        let mut info = Value::Null;
        for _ in 0..100 {
            info = client.get(self.url("/v1/log")).send().await.unwrap().json().await.unwrap();
            let signed = info["checkpoint"]
                .as_str()
                .and_then(|c| c.lines().nth(1))
                .and_then(|s| s.parse::<u64>().ok());
            if signed == info["size"].as_u64() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        info
    }

    /// GETs `path` with a bearer token and reads the answer as JSON, whatever its status.
    pub async fn get_json(&self, client: &reqwest::Client, path: &str, token: &str) -> Value {
        client.get(self.url(path)).bearer_auth(token).send().await.unwrap().json().await.unwrap()
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

/// The example provider's export, which `comity produce` reads in the tests.
pub fn example_export() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/exports/example-mail.jsonl")
}

/// `comity produce` of the example export (`examples/exports/example-mail.jsonl`) for
/// request `id`, sealed to `out` and kept until `retention`, with `more` flags.
pub fn produce(data: &Data, id: &str, out: &Path, retention: &str, more: &[&str]) -> Output {
    let export = example_export();
    let mut args = vec![
        "produce",
        "--request",
        id,
        "--export",
        export.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--retention-until",
        retention,
    ];
    args.extend_from_slice(more);
    comity(&args, Some(data))
}

/// The log's origin when none is given.
pub const DEFAULT_ORIGIN: &str = "comity.localhost/log";

/// Data the operator meets on a new host: `comity init` (the database, the log key for
/// `origin`, the server key), as before registering anything ahead of the first start.
pub fn init(data: &Data, origin: &str) {
    let out = comity(&["init", "--log-origin", origin], Some(data));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The arguments of `comity authority add` for an authority of this id, country, type and
/// name (the data's flags are the caller's to add).
pub fn add_authority<'a>(id: &'a str, country: &'a str, kind: &'a str, name: &'a str) -> [&'a str; 10] {
    ["authority", "add", "--id", id, "--country", country, "--type", kind, "--name", name]
}

/// Registers the parties of `eu-epoc-traffic.json` through the command line, on data
/// made with `comity init` if nothing made it yet.
pub fn register_parties(data: &Data) {
    let dir = match data {
        Data::Sqlite(dir) | Data::Postgres(_, dir) => dir.path(),
    };
    if !dir.join("log-key").exists() {
        init(data, DEFAULT_ORIGIN);
    }
    for args in [
        add_authority("fr-tj-paris", "FR", "prosecutor", "Parquet de Paris"),
        add_authority("fr-jld-paris", "FR", "judge", "JLD de Paris"),
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

/// Generates, from an `async fn(Data)`, a test of it on each database, run by the tokio
/// test attribute given: `sqlite::name`, and `postgres::name`, which passes without
/// running when `COMITY_TEST_DATABASE_URL` is not set (`Data::postgres` says so loudly).
#[macro_export]
macro_rules! both_databases {
    (#[$runtime:meta] $($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[$runtime]
                async fn $name() {
                    super::$name($crate::support::Data::sqlite()).await;
                }
            )+
        }
        mod postgres {
            $(
                #[$runtime]
                async fn $name() {
                    if let Some(data) = $crate::support::Data::postgres().await {
                        super::$name(data).await;
                    }
                }
            )+
        }
    };
}

/// A move's body; who moves is whoever calls.
pub fn transition(to: &str) -> Value {
    let mut body = json!({"to": to, "reason": format!("moved to {to}")});
    // A decision is reasoned in its pack's grounds (issue 13); the CLI tests' requests have
    // no finding an approval must answer.
    match to {
        "approved" => body["grounds"] = json!(["necessary_and_proportionate"]),
        "rejected" => body["grounds"] = json!(["not_necessary_or_proportionate"]),
        _ => {}
    }
    body
}

/// Runs a `comity` command that must succeed, and returns its standard output.
pub fn comity_ok(args: &[&str], data: Option<&Data>) -> String {
    let out = comity(args, data);
    assert!(
        out.status.success(),
        "comity {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The parties of `eu-epoc-traffic.json`, a reviewer body for it, and a credential for
/// each, set up as an operator does: the operator and its admin token with the command
/// line, everything else through the admin API with that token. Each authority has a
/// key of its own, made by `comity authority key generate`, that signs its submissions.
pub struct Trust {
    /// An admin token of the operator `test-operator`.
    pub admin: String,
    /// A handler token of the provider `example-mail`.
    pub handler: String,
    /// A reviewer token of the reviewer body `ie-high-court`.
    pub reviewer: String,
    /// The authorities' private keys, by authority.
    keys: Vec<(String, comity_auth::jws::SigningKey)>,
    _dir: tempfile::TempDir,
}

impl Trust {
    /// Sets everything up on a running server.
    pub async fn setup(server: &Server, data: &Data) -> Trust {
        comity_ok(
            &["operator", "add", "--id", "test-operator", "--country", "IE", "--name", "Test operator"],
            Some(data),
        );
        let admin = comity_ok(&["token", "create", "--org", "test-operator", "--role", "admin"], Some(data))
            .trim()
            .to_owned();
        let client = reqwest::Client::new();
        let post = |path: &str, body: Value| {
            let request = client.post(server.url(path)).bearer_auth(&admin).json(&body);
            async move {
                let r = request.send().await.unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap();
                assert_eq!(status, 201, "{body}");
                body
            }
        };
        for (id, kind) in [("fr-tj-paris", "prosecutor"), ("fr-jld-paris", "judge")] {
            let name = format!("{id} (test)");
            post(
                "/v1/admin/authorities",
                json!({"id": id, "country": "FR", "authority_type": kind, "name": name}),
            )
            .await;
        }
        post("/v1/admin/providers", json!({"id": "example-mail", "country": "IE", "name": "Example Mail"}))
            .await;
        post(
            "/v1/admin/reviewers",
            json!({"id": "ie-high-court", "country": "IE", "kind": "court", "name": "The High Court"}),
        )
        .await;
        let token = |org: &str, role: &str| post("/v1/admin/tokens", json!({"org": org, "role": role}));
        let handler = token("example-mail", "handler").await["token"].as_str().unwrap().to_owned();
        let reviewer = token("ie-high-court", "reviewer").await["token"].as_str().unwrap().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let mut keys = Vec::new();
        for authority in ["fr-tj-paris", "fr-jld-paris"] {
            let file = dir.path().join(format!("{authority}.jwk"));
            let public = comity_ok(&["authority", "key", "generate", "--out", file.to_str().unwrap()], None);
            let path = format!("/v1/admin/authorities/{authority}/keys");
            post(&path, json!({"public_key": serde_json::from_str::<Value>(&public).unwrap()})).await;
            let private = std::fs::read_to_string(&file).unwrap();
            keys.push((authority.to_owned(), comity_auth::jws::SigningKey::parse(&private).unwrap()));
        }
        Trust { admin, handler, reviewer, keys, _dir: dir }
    }

    /// An authority's private key, as registered at setup.
    pub fn key_of(&self, authority: &str) -> &comity_auth::jws::SigningKey {
        &self.keys.iter().find(|(a, _)| a == authority).unwrap_or_else(|| panic!("no key for {authority}")).1
    }

    /// The document signed by its issuing authority's key, with a fresh jti.
    pub fn sign(&self, document: &Value) -> String {
        let iss = document["issuing"]["authority"].as_str().unwrap();
        let (_, key) = self.keys.iter().find(|(a, _)| a == iss).unwrap_or_else(|| panic!("no key for {iss}"));
        let iat = chrono::Utc::now().timestamp();
        let claims = comity_auth::jws::Claims {
            iss: iss.to_owned(),
            aud: document["addressee"]["provider"].as_str().unwrap().to_owned(),
            iat,
            exp: iat + 300,
            jti: uuid::Uuid::now_v7().to_string(),
            request: document.as_object().unwrap().clone(),
        };
        key.sign_compact(&key.public().key_id(), &claims.to_payload())
    }

    /// Submits the document signed, as its authority's system does.
    pub async fn submit(
        &self,
        client: &reqwest::Client,
        server: &Server,
        document: &Value,
    ) -> reqwest::Response {
        signed_post(client, &server.url("/v1/requests"), self.sign(document)).await.unwrap()
    }

    /// The reviewer body `ie-high-court` is assigned to a request and approves it.
    pub async fn approve(&self, client: &reqwest::Client, server: &Server, id: &str) {
        self.assign_reviewer(client, server, id).await;
        let r = client
            .post(server.url(&format!("/v1/requests/{id}/transitions")))
            .bearer_auth(&self.reviewer)
            .json(&transition("approved"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    }

    /// Routing by law assigned the reviewer body `ie-high-court` (the court of the State
    /// where the provider is established) to a request on screening: the provider chose none.
    pub async fn assign_reviewer(&self, client: &reqwest::Client, server: &Server, id: &str) {
        let r = client
            .get(server.url(&format!("/v1/requests/{id}/reviewers")))
            .bearer_auth(&self.handler)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["reviewers"], json!(["ie-high-court"]), "routing assigns the competent court");
    }
}

/// POSTs a compact JWS as a signed submission.
pub async fn signed_post(
    client: &reqwest::Client,
    url: &str,
    jws: String,
) -> reqwest::Result<reqwest::Response> {
    client.post(url).header("content-type", "application/jose").body(jws).send().await
}

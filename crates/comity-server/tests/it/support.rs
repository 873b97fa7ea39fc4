//! `spawn_app()` and the helpers every test uses.
//!
//! Every call says who makes it: `app.admin()`, `app.token(org)` (an API token of the
//! organisation's role), `app.person(org)` (a person of the organisation, logged in with
//! password and TOTP), or `app.anonymous()`. Submissions are signed by a key registered
//! for the issuing authority, as an authority's system sends them.

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
};

use comity_app::{App, NewToken, NewUser};
use comity_auth::jws::{Claims, SigningKey};
use comity_core::{ActorId, Store};
use comity_server::{Application, Config, HttpConfig, limits::RateLimits};
use serde_json::{Value, json};

/// The operator whose admin sets every test up.
pub const OPERATOR: &str = "test-ops";

/// The log's origin in every test.
pub const ORIGIN: &str = "comity.test/log";

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The use cases the server runs, for what a test sets up as the operator would.
    pub app: App,
    pub store: Arc<dyn Store>,
    /// The delivery worker of notices, whose steps the tests drive at the times they
    /// choose (its own interval is an hour).
    pub notifier: comity_app::Notifier,
    /// Each authority's signing key, by authority id.
    keys: Mutex<HashMap<String, SigningKey>>,
    /// API tokens by organisation.
    tokens: Mutex<HashMap<String, String>>,
    /// Session cookies of people, by organisation.
    sessions: Mutex<HashMap<String, String>>,
    /// The TOTP secrets of those people, by organisation.
    person_secrets: Mutex<HashMap<String, comity_auth::totp::TotpSecret>>,
    /// Each authority's age identity, once its recipient is registered.
    identities: Mutex<HashMap<String, comity_seal::age::x25519::Identity>>,
    /// The server's data directory (keys, productions, and the SQLite database unless
    /// the test runs on PostgreSQL).
    pub files: tempfile::TempDir,
    sqlite: bool,
    _pg: Option<comity_store::testing::TestDatabase>,
}

pub enum Backend {
    Sqlite,
    Postgres,
}

/// Starts the real server on port 0 against a fresh database of the given backend, with
/// rate limits off (the tests of the limits turn them on), or returns `None` (after saying
/// so loudly) when PostgreSQL is not configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, RateLimits { per_second: 0, failures_per_minute: 0 }).await
}

pub async fn spawn_app_with(backend: Backend, limits: RateLimits) -> Option<TestApp> {
    let app = spawn_bare(backend, limits).await?;
    app.register_example_parties().await;
    Some(app)
}

/// [`spawn_app`] with every setting of how clients are treated.
pub async fn spawn_app_http(backend: Backend, http: HttpConfig) -> Option<TestApp> {
    let app = spawn_bare_http(backend, http).await?;
    app.register_example_parties().await;
    Some(app)
}

/// The server with only its operator and the admin's token, registered on the store.
pub async fn spawn_bare(backend: Backend, limits: RateLimits) -> Option<TestApp> {
    // Plain HTTP to 127.0.0.1 in tests; `Secure` cookies are checked on their own.
    spawn_bare_http(
        backend,
        HttpConfig { secure_cookies: false, rate_limits: limits, ..HttpConfig::default() },
    )
    .await
}

/// [`spawn_bare`] with every setting of how clients are treated.
pub async fn spawn_bare_http(backend: Backend, http: HttpConfig) -> Option<TestApp> {
    spawn_configured(backend, http, None).await
}

/// [`spawn_bare`] with the client settings and the password-hash pool given (the pool's
/// default is the machine's).
pub async fn spawn_configured(
    backend: Backend,
    http: HttpConfig,
    hashing: Option<comity_app::HashingSettings>,
) -> Option<TestApp> {
    spawn_with(backend, |config| {
        config.http = http;
        config.hashing = hashing.unwrap_or_default();
    })
    .await
}

/// The server with its operator and the example parties, its configuration changed by
/// `configure` (e-mail, the retry policy of notices, ...).
pub async fn spawn_app_configured(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let app = spawn_with(backend, |config| {
        config.http = HttpConfig {
            secure_cookies: false,
            rate_limits: RateLimits { per_second: 0, failures_per_minute: 0 },
            ..HttpConfig::default()
        };
        configure(config);
    })
    .await?;
    app.register_example_parties().await;
    Some(app)
}

/// A test server's configuration on a data directory and, for PostgreSQL, a database,
/// judging with `packs`: nothing runs in the background that the test does not start.
pub fn config(dir: &std::path::Path, database_url: Option<&str>, packs: comity_policy::PackSet) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_owned(),
        database_url: database_url.map(str::to_owned),
        log_origin: ORIGIN.to_owned(),
        packs,
        http: HttpConfig::default(),
        witnesses: Vec::new(),
        // The tests sign the checkpoints they check (`TestApp::checkpoint_now`).
        checkpoint_interval: std::time::Duration::from_secs(3600),
        // The tests sweep at the times they choose (`App::sweep`).
        sweep_interval: std::time::Duration::from_secs(3600),
        // One heartbeat and one read of the shared failures at the start; failures are
        // written as they are counted.
        share_interval: std::time::Duration::from_secs(3600),
        demo: None,
        hashing: comity_app::HashingSettings::default(),
        smtp: None,
        public_url: None,
        // The tests deliver notices at the times they choose (`TestApp::notifier`).
        notice_interval: std::time::Duration::from_secs(3600),
        notice_retry: comity_notify::RetryPolicy::default(),
        disposal_grace: chrono::Duration::days(comity_app::DISPOSAL_GRACE_DAYS),
        document_retention: chrono::Duration::days(comity_app::DOCUMENT_RETENTION_DAYS),
        recall_within: chrono::Duration::days(comity_app::RECALL_DAYS),
        suppress_below: 1,
        privacy_budget: comity_core::privacy::DEFAULT_BUDGET,
    }
}

/// The server with only its operator and the admin's token, its configuration changed
/// by `configure`.
async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let files = tempfile::tempdir().unwrap();
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(comity_store::testing::TestDatabase::create().await?),
    };
    let mut config =
        config(files.path(), pg.as_ref().map(|db| db.url()), comity_policy::PackSet::builtin().unwrap());
    configure(&mut config);
    let application = Application::build(config).await.unwrap();
    let base = format!("http://{}", application.address());
    let app = application.app().clone();
    let notifier = application.notifier().clone();
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    let test = TestApp {
        base,
        client: reqwest::Client::new(),
        store: app.shared_store(),
        notifier,
        app,
        keys: Mutex::default(),
        tokens: Mutex::default(),
        sessions: Mutex::default(),
        person_secrets: Mutex::default(),
        identities: Mutex::default(),
        files,
        sqlite: pg.is_none(),
        _pg: pg,
    };
    test.bootstrap().await;
    Some(test)
}

/// Generates one test per backend from an `async fn(TestApp)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::support::spawn_app($crate::support::Backend::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = $crate::support::spawn_app($crate::support::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )+
        }
    };
}

/// The example requests of `examples/requests/`, by file name.
pub fn example(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/requests").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The names of every example request in `examples/requests`, sorted.
pub fn examples() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/requests");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no example requests in {}", dir.display());
    names
}

/// The authorities the examples name.
pub const AUTHORITIES: [(&str, &str, &str); 11] = [
    ("fr-tj-paris", "FR", "prosecutor"),
    ("fr-jld-paris", "FR", "judge"),
    ("de-sta-berlin", "DE", "prosecutor"),
    ("de-lka-berlin", "DE", "police"),
    ("nl-om-rotterdam", "NL", "prosecutor"),
    ("gb-nca", "GB", "police"),
    ("gb-ipc", "GB", "judge"),
    ("jp-mpd-cyber", "JP", "police"),
    ("jp-tokyo-dc", "JP", "court"),
    ("br-mpf-sp", "BR", "prosecutor"),
    ("br-jf-sp-10", "BR", "judge"),
];

/// The reviewer body the tests assign.
pub const REVIEWER: &str = "ie-high-court";

/// The reviewer bodies the tests register: id, country, kind.
pub const REVIEWERS: [(&str, &str, &str); 5] = [
    (REVIEWER, "IE", "court"),
    ("nl-rechtbank", "NL", "court"),
    ("gb-ipt", "GB", "court"),
    ("us-oia", "US", "central_authority"),
    ("ie-enforcing", "IE", "enforcing_authority"),
];

/// One caller: a bearer token, a session cookie, or nothing.
#[derive(Clone)]
pub struct Caller<'a> {
    app: &'a TestApp,
    token: Option<String>,
    cookie: Option<String>,
}

/// What an answer was: status, body (JSON or null), and headers.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Caller<'_> {
    fn with(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let r = match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        };
        match &self.cookie {
            Some(c) => r.header("cookie", format!("comity_session={c}")),
            None => r,
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let mut r = self.with(self.app.client.request(method.parse().unwrap(), self.app.url(path)));
        if let Some(body) = body {
            r = r.json(body);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        Answer { status, headers, body: r.json().await.unwrap_or(Value::Null) }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let a = self.send("GET", path, None).await;
        (a.status, a.body)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let a = self.send("POST", path, Some(body)).await;
        (a.status, a.body)
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .with(self.app.client.post(self.app.url(path)))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A GET whose answer is bytes: status, headers and body.
    pub async fn get_bytes(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self.with(self.app.client.get(self.app.url(path))).send().await.unwrap();
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.bytes().await.unwrap().to_vec())
    }

    /// Moves a request, with a reason naming the step.
    pub async fn move_to(&self, id: &str, to: &str) -> (u16, Value) {
        let body = self.reasoned(id, json!({"to": to, "reason": format!("test moves it to {to}")})).await;
        self.post(&format!("/v1/requests/{id}/transitions"), &body).await
    }

    /// A move's body as a reviewer writes a decision: the pack's ground for its outcome and
    /// an answer to each finding the request's latest screening flagged (read as this
    /// caller). Any other move is left as it is.
    pub async fn reasoned(&self, id: &str, mut body: Value) -> Value {
        let ground = match body["to"].as_str() {
            Some("approved") => "necessary_and_proportionate",
            Some("partially_approved") => "narrowed_to_what_is_necessary",
            Some("rejected") => "not_necessary_or_proportionate",
            _ => return body,
        };
        if body.get("grounds").is_none() {
            body["grounds"] = json!([ground]);
        }
        let (status, screenings) = self.get(&format!("/v1/requests/{id}/screenings")).await;
        let answers: Vec<Value> = if status == 200 {
            let last = screenings.as_array().and_then(|s| s.last()).cloned().unwrap_or(Value::Null);
            last["report"]["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| matches!(f["outcome"].as_str(), Some("review" | "fail" | "clarify")))
                .map(|f| json!({"rule": f["rule"], "answer": "weighed against the request's facts"}))
                .collect()
        } else {
            Vec::new()
        };
        if body.get("answers").is_none() && !answers.is_empty() {
            body["answers"] = Value::Array(answers);
        }
        body
    }
}

impl TestApp {
    /// Every byte the database holds, as a thief with a copy of it would have them: the
    /// SQLite files, or every row of every PostgreSQL table as text.
    /// Runs a statement on the database behind the server's back, as someone with access
    /// to it would: for tests of tampering.
    pub async fn execute_sql(&self, sql: &str) {
        use sqlx::Connection;
        if self.sqlite {
            let path = self.files.path().join(comity_store::DATABASE_FILE);
            let mut conn =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        } else {
            let db = self._pg.as_ref().unwrap();
            let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }

    /// Runs one statement on the database behind the server's back, as someone with the
    /// database and not the server would; the first column of the first row, as bytes.
    pub async fn sql(&self, statement: &str) -> Option<Vec<u8>> {
        use sqlx::{Connection, Row};
        if self.sqlite {
            let path = self.files.path().join(comity_store::DATABASE_FILE);
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .busy_timeout(std::time::Duration::from_secs(10));
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            let row = sqlx::query(statement).fetch_optional(&mut conn).await.unwrap();
            return row.and_then(|r| r.try_get::<Vec<u8>, _>(0).ok());
        }
        let db = self._pg.as_ref().unwrap();
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db.url()).await.unwrap();
        let row = sqlx::query(statement).fetch_optional(&mut conn).await.unwrap();
        row.and_then(|r| r.try_get::<Vec<u8>, _>(0).ok())
    }

    pub async fn database_bytes(&self) -> Vec<u8> {
        if self.sqlite {
            let mut all = Vec::new();
            for entry in std::fs::read_dir(self.files.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.file_name().unwrap().to_string_lossy().starts_with(comity_store::DATABASE_FILE) {
                    all.extend(std::fs::read(&path).unwrap());
                }
            }
            return all;
        }
        let db = self._pg.as_ref().unwrap();
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db.url()).await.unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let mut all = Vec::new();
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM {table} t"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for row in rows {
                all.extend(row.into_bytes());
            }
        }
        all
    }

    /// `/metrics`, as the operator's admin reads it.
    pub async fn metrics(&self) -> String {
        let r = self.client.get(self.url("/metrics")).bearer_auth(self.issue_token(OPERATOR).await).send();
        r.await.unwrap().text().await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn anonymous(&self) -> Caller<'_> {
        Caller { app: self, token: None, cookie: None }
    }

    /// The operator's admin.
    pub fn admin(&self) -> Caller<'_> {
        self.token_caller(OPERATOR)
    }

    /// A system of `org`, with an API token of the org's role.
    pub fn token(&self, org: &str) -> Caller<'_> {
        self.token_caller(org)
    }

    fn token_caller(&self, org: &str) -> Caller<'_> {
        let token = self.tokens.lock().unwrap().get(org).cloned();
        let token = token.unwrap_or_else(|| panic!("no token for {org}: call app.issue_token first"));
        Caller { app: self, token: Some(token), cookie: None }
    }

    /// Issues (and keeps) an API token for `org` with its register's role.
    pub async fn issue_token(&self, org: &str) -> String {
        if let Some(t) = self.tokens.lock().unwrap().get(org) {
            return t.clone();
        }
        let party = self.store.party(&comity_core::PartyId::parse(org).unwrap()).await.unwrap().unwrap();
        let role = comity_core::Role::of_register(party.role());
        let new = NewToken { org: org.into(), role: role.to_string(), label: None, expires_in: None };
        let token = self.operator().accounts().create_token(&new).await.unwrap().token;
        self.tokens.lock().unwrap().insert(org.to_owned(), token.clone());
        token
    }

    /// A person of `org`, logged in with password and TOTP (one account per org).
    pub async fn person(&self, org: &str) -> Caller<'_> {
        let known = self.sessions.lock().unwrap().get(org).cloned();
        let cookie = match known {
            Some(c) => c,
            None => {
                let username = format!("person.{}", org.replace('-', "."));
                let (cookie, secret) = self.log_in_user(org, &username).await;
                self.sessions.lock().unwrap().insert(org.to_owned(), cookie.clone());
                self.person_secrets.lock().unwrap().insert(org.to_owned(), secret);
                cookie
            }
        };
        Caller { app: self, token: None, cookie: Some(cookie) }
    }

    /// The TOTP code of [`Self::person`]'s account in `org` for the time step after the
    /// one it logged in with (a code is good once), as its authenticator app shows it.
    pub fn next_person_code(&self, org: &str) -> String {
        let secrets = self.person_secrets.lock().unwrap();
        let secret = secrets.get(org).unwrap_or_else(|| panic!("no person of {org}: call app.person first"));
        comity_auth::totp::code_at(secret, now_unix() + 30)
    }

    /// Creates an account in `org` and logs it in; returns the session cookie's value and
    /// the account's TOTP secret.
    async fn log_in_user(&self, org: &str, username: &str) -> (String, comity_auth::totp::TotpSecret) {
        let (password, secret) = self.create_user(org, username).await;
        let code = comity_auth::totp::code_at(&secret, now_unix());
        let login = json!({"username": username, "password": password, "totp": code});
        let r = self.client.post(self.url("/v1/session")).json(&login).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{:?}", r.text().await);
        (session_cookie(&r).unwrap(), secret)
    }

    /// Creates an account; returns its password and TOTP secret.
    pub async fn create_user(&self, org: &str, username: &str) -> (String, comity_auth::totp::TotpSecret) {
        let party = self.store.party(&comity_core::PartyId::parse(org).unwrap()).await.unwrap().unwrap();
        let role = comity_core::Role::of_register(party.role());
        let password = "correct horse battery staple".to_owned();
        let new = NewUser {
            username: username.into(),
            org: org.into(),
            role: role.to_string(),
            name: format!("Person of {org}"),
            password: Some(password.clone()),
        };
        let created = self.operator().accounts().create_user(&new).await.unwrap();
        (password, created.totp_secret)
    }

    /// The signing key of an authority (registered at setup).
    pub fn key_of(&self, authority: &str) -> SigningKey {
        self.keys.lock().unwrap().get(authority).cloned().unwrap_or_else(|| panic!("no key for {authority}"))
    }

    /// A compact JWS of `doc`, signed by its issuing authority's key, for its provider.
    pub fn sign(&self, doc: &Value) -> String {
        let authority = doc["issuing"]["authority"].as_str().unwrap();
        let provider = doc["addressee"]["provider"].as_str().unwrap();
        self.sign_claims(authority, &claims(authority, provider, doc.clone()))
    }

    /// Signs claims with `authority`'s registered key.
    pub fn sign_claims(&self, authority: &str, claims: &Claims) -> String {
        let key = self.key_of(authority);
        key.sign_compact(&key.public().key_id(), &claims.to_payload())
    }

    /// Sends a signed submission.
    pub async fn post_jws(&self, jws: &str) -> (u16, Value) {
        self.anonymous().post_raw("/v1/requests", "application/jose", jws.as_bytes().to_vec()).await
    }

    /// Submits a document signed by its authority; returns the new request's id.
    pub async fn submit(&self, doc: &Value) -> String {
        let (status, body) = self.post_jws(&self.sign(doc)).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// The provider's legal team (a token), who can see every request addressed to it.
    pub async fn provider_of(&self, id: &str) -> Caller<'_> {
        let r = self.store.request(comity_core::RequestId::parse(id).unwrap()).await.unwrap().unwrap();
        self.token(r.provider.as_str())
    }

    /// Moves a request as the party whose step it is: the reviewer decides (assigned
    /// first, by the provider), the authority answers and withdraws, the provider does
    /// the rest.
    pub async fn move_to(&self, id: &str, to: &str) -> (u16, Value) {
        let rid = comity_core::RequestId::parse(id).unwrap();
        let Some(r) = self.store.request(rid).await.unwrap() else {
            return self.token("example-mail").move_to(id, to).await;
        };
        let to_state = comity_core::State::parse(to).unwrap();
        use comity_access::Action;
        match comity_access::action_for_move(r.state, to_state) {
            // The body routing by law assigned decides (the enforcing authority only objects).
            Some(Action::Decide) => {
                let (_, body) =
                    self.token(r.provider.as_str()).get(&format!("/v1/requests/{id}/reviewers")).await;
                let routed: Vec<String> =
                    serde_json::from_value(body["reviewers"].clone()).unwrap_or_default();
                let decides = routed.iter().find(|b| !b.ends_with("-enforcing")).cloned();
                let reviewer = decides.unwrap_or_else(|| panic!("no reviewer routed to {id}: {body}"));
                self.token(&reviewer).move_to(id, to).await
            }
            Some(Action::AnswerClarification | Action::Withdraw) => {
                self.token(r.authority.as_str()).move_to(id, to).await
            }
            _ => self.token(r.provider.as_str()).move_to(id, to).await,
        }
    }

    /// Registers what producing a request needs, once: an age recipient for its authority
    /// (the identity kept for the test to decrypt with) and a production key for its
    /// provider, whose private half goes where the server looks for it.
    pub async fn prepare_production(&self, id: &str) {
        let r = self.store.request(comity_core::RequestId::parse(id).unwrap()).await.unwrap().unwrap();
        let authority = r.authority.to_string();
        if !self.identities.lock().unwrap().contains_key(&authority) {
            let identity = comity_seal::age::x25519::Identity::generate();
            let body = json!({"recipient": identity.to_public().to_string()});
            let (status, body) =
                self.admin().post(&format!("/v1/admin/authorities/{authority}/recipients"), &body).await;
            assert_eq!(status, 201, "{body}");
            self.identities.lock().unwrap().insert(authority, identity);
        }
        let operator = self.app.operator(ActorId::parse("test@local").unwrap());
        let registers = operator.registers();
        if registers.production_keys(r.provider.as_str()).await.unwrap().is_empty() {
            registers.generate_production_key(r.provider.as_str()).await.unwrap();
        }
    }

    /// comity's copy of a production's package as the database keeps it (issue 17): its
    /// chunks, read back one after the other.
    pub async fn stored_package(&self, production: &str) -> Vec<u8> {
        let mut stored = Vec::new();
        let mut seq = 0;
        while let Some(chunk) = self.store.package_chunk(production, seq).await.unwrap() {
            stored.extend_from_slice(&chunk);
            seq += 1;
        }
        stored
    }

    /// Replaces one chunk of a stored package behind the server's back, as someone with the
    /// database and not the server would.
    pub async fn replace_chunk(&self, production: &str, seq: u32, bytes: &[u8]) {
        use sqlx::Connection;
        let sql = "UPDATE package_chunks SET bytes = $1 WHERE production = $2 AND seq = $3";
        let changed = if self.sqlite {
            let path = self.files.path().join(comity_store::DATABASE_FILE);
            let mut conn =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
            let done = sqlx::query(sql).bind(bytes).bind(production).bind(i64::from(seq)).execute(&mut conn);
            done.await.unwrap().rows_affected()
        } else {
            let db = self._pg.as_ref().unwrap();
            let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
            let done = sqlx::query(sql)
                .bind(bytes)
                .bind(production)
                .bind(i32::try_from(seq).unwrap())
                .execute(&mut conn);
            done.await.unwrap().rows_affected()
        };
        assert_eq!(changed, 1, "no chunk {seq} of {production}");
    }

    /// The age identity of an authority whose recipient [`Self::prepare_production`]
    /// registered.
    pub fn identity(&self, authority: &str) -> comity_seal::age::x25519::Identity {
        self.identities.lock().unwrap()[authority].clone()
    }

    /// Produces a request from an export, as its provider; `query` holds the options.
    pub async fn produce(&self, id: &str, export: &[u8], query: &str) -> (u16, Value) {
        let provider = self.provider_of(id).await;
        provider
            .post_raw(
                &format!("/v1/requests/{id}/productions?{query}"),
                "application/x-ndjson",
                export.to_vec(),
            )
            .await
    }

    /// Produces an approved request of fr-tj-paris from an export (retained until 2030),
    /// then downloads and acknowledges its package as fr-tj-paris: the request is then
    /// `delivered`. Each step must succeed; returns the production's id.
    pub async fn deliver(&self, id: &str, export: &[u8]) -> String {
        self.prepare_production(id).await;
        let (status, produced) = self.produce(id, export, "retention_until=2030-12-31").await;
        assert_eq!(status, 201, "{produced}");
        let pid = produced["id"].as_str().unwrap().to_owned();
        let authority = self.token("fr-tj-paris");
        let (status, _, package) =
            authority.get_bytes(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
        assert_eq!(status, 200);
        let ack = json!({"package_sha256": comity_seal::Sha256Hash::of(&package).to_string()});
        let (status, body) =
            authority.post(&format!("/v1/requests/{id}/productions/{pid}/acknowledgement"), &ack).await;
        assert_eq!(status, 200, "{body}");
        pid
    }

    /// Assigns the reviewer body [`REVIEWER`] (if routing has not) and approves the
    /// request as asked, with its grounds.
    pub async fn approve(&self, id: &str) {
        self.assign(id, REVIEWER).await;
        let reviewer = self.token(REVIEWER);
        let body =
            reviewer.reasoned(id, json!({"to": "approved", "reason": "necessary and proportionate"})).await;
        let (status, moved) = reviewer.post(&format!("/v1/requests/{id}/transitions"), &body).await;
        assert_eq!(status, 200, "{moved}");
    }

    /// Makes sure a reviewer body is assigned to a request: routing by law assigns the
    /// competent one on screening; any other is assigned by the operator (once).
    pub async fn assign(&self, id: &str, reviewer: &str) {
        let provider = self.provider_of(id).await;
        let (status, body) = provider.get(&format!("/v1/requests/{id}/reviewers")).await;
        assert_eq!(status, 200, "{body}");
        if body["reviewers"].as_array().unwrap().iter().any(|r| r == reviewer) {
            return;
        }
        let assign = json!({"reviewer": reviewer, "reason": "independent court of the provider's country"});
        let (status, body) = self.admin().post(&format!("/v1/requests/{id}/reviewers"), &assign).await;
        assert_eq!(status, 201, "{body}");
    }

    /// The operator at the command line, as `comity token create` and the like act.
    pub fn operator(&self) -> comity_app::Operator {
        self.app.operator(ActorId::system())
    }

    /// The log's signing key, from the server's data directory.
    pub fn log_key(&self) -> comity_log::LogKey {
        comity_app::DataDir::existing(self.files.path()).unwrap().existing_log_key(ORIGIN).unwrap()
    }

    /// Signs a checkpoint of the log as it is now, as the checkpointer does; its size.
    pub async fn checkpoint_now(&self) -> u64 {
        self.app.sign_checkpoint(&self.log_key(), ORIGIN).await.unwrap().unwrap().size
    }

    /// The operator and its admin token, straight on the store, as `comity operator add`
    /// and `comity token create` do.
    async fn bootstrap(&self) {
        let operator = comity_core::Party::Operator(comity_core::Organisation {
            id: comity_core::PartyId::parse(OPERATOR).unwrap(),
            country: comity_core::CountryCode::parse("IE").unwrap(),
            name: "Test operator".into(),
            institution: None,
        });
        self.operator().registers().add_party(&operator).await.unwrap();
        self.issue_token(OPERATOR).await;
    }

    /// Registers every party the example requests name, a signing key for each
    /// authority, and a token for each provider, reviewer body and authority.
    async fn register_example_parties(&self) {
        let admin = self.admin();
        for (id, country, t) in AUTHORITIES {
            let body =
                json!({"id": id, "country": country, "authority_type": t, "name": format!("Authority {id}")});
            let (status, body) = admin.post("/v1/admin/authorities", &body).await;
            assert_eq!(status, 201, "{body}");
            let key = SigningKey::generate();
            let jwk: Value = serde_json::from_str(&key.public().to_jwk()).unwrap();
            let (status, body) =
                admin.post(&format!("/v1/admin/authorities/{id}/keys"), &json!({"public_key": jwk})).await;
            assert_eq!(status, 201, "{body}");
            self.keys.lock().unwrap().insert(id.to_owned(), key);
            self.issue_token(id).await;
        }
        for (id, country) in [("example-mail", "IE"), ("example-cloud", "NL"), ("example-social", "US")] {
            let body = json!({"id": id, "country": country, "name": format!("Provider {id}")});
            let (status, body) = admin.post("/v1/admin/providers", &body).await;
            assert_eq!(status, 201, "{body}");
            self.issue_token(id).await;
        }
        // A competent body for each example, as routing by law looks for it: a court of the
        // provider's State (e-Evidence, Budapest, national security), of the issuing State
        // (CLOUD Act), the requested State's central authority (MLAT), and Ireland's
        // enforcing authority (Regulation (EU) 2023/1543 Art 8).
        for (id, country, kind) in REVIEWERS {
            let body = json!({"id": id, "country": country, "kind": kind, "name": format!("Reviewer {id}")});
            let (status, body) = admin.post("/v1/admin/reviewers", &body).await;
            assert_eq!(status, 201, "{body}");
            self.issue_token(id).await;
        }
    }
}

/// The claims of a submission of `doc` from `authority` to `provider`, valid now.
pub fn claims(authority: &str, provider: &str, doc: Value) -> Claims {
    let now = now_unix() as i64;
    Claims {
        iss: authority.into(),
        aud: provider.into(),
        iat: now,
        exp: now + 300,
        jti: uuid::Uuid::now_v7().to_string(),
        request: doc.as_object().cloned().unwrap_or_default(),
    }
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The session cookie a login answer sets.
pub fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("comity_session=").or_else(|| c.strip_prefix("__Host-comity_session=")))
        .map(|c| c.split(';').next().unwrap_or("").to_owned())
}

/// A TOTP secret from its base32.
pub fn totp_secret(base32: &str) -> comity_auth::totp::TotpSecret {
    comity_auth::totp::TotpSecret::from_base32(base32).unwrap()
}

/// The example export of example-mail (`examples/exports/`), whose target is the traffic
/// request's.
pub fn export() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/exports/example-mail.jsonl");
    std::fs::read(path).unwrap()
}

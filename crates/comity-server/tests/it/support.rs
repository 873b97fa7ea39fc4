//! `spawn_app()` and the helpers every test uses.

use std::{path::Path, sync::Arc};

use comity_core::Store;
use serde_json::{Value, json};

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    _data: Option<tempfile::TempDir>,
    _pg: Option<comity_store::testing::TestDatabase>,
}

pub enum Backend {
    Sqlite,
    Postgres,
}

/// Starts the real server on port 0 against a fresh database of the given backend, or
/// returns `None` (after saying so loudly) when PostgreSQL is not configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let (store, data, pg): (Arc<dyn Store>, _, _) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            (comity_store::open(None, dir.path()).await.unwrap(), Some(dir), None)
        }
        Backend::Postgres => {
            let db = comity_store::testing::TestDatabase::create().await?;
            (comity_store::open(Some(db.url()), Path::new("unused")).await.unwrap(), None, Some(db))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = comity_server::AppState::new(store.clone(), comity_policy::PackSet::builtin().unwrap());
    tokio::spawn(comity_server::serve(listener, state, std::future::pending()));
    let app = TestApp { base, client: reqwest::Client::new(), store, _data: data, _pg: pg };
    app.register_example_parties().await;
    Some(app)
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

pub const EXAMPLES: [&str; 6] = [
    "eu-epoc-traffic.json",
    "eu-epoc-emergency-subscriber.json",
    "eu-epoc-pr-preservation.json",
    "us-cloud-act-content.json",
    "coe-budapest-subscriber.json",
    "mlat-content.json",
];

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self.client.post(self.url(path)).json(body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Submits a document and returns the new request's id.
    pub async fn submit(&self, doc: &Value) -> String {
        let (status, body) = self.post("/v1/requests", doc).await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn move_to(&self, id: &str, to: &str) -> (u16, Value) {
        let body = json!({"to": to, "actor": "ie-high-court", "reason": format!("test moves it to {to}")});
        self.post(&format!("/v1/requests/{id}/transitions"), &body).await
    }

    /// Registers every party the example requests name.
    async fn register_example_parties(&self) {
        let authorities = [
            ("fr-tj-paris", "FR", "prosecutor"),
            ("fr-jld-paris", "FR", "judge"),
            ("de-sta-berlin", "DE", "prosecutor"),
            ("nl-om-rotterdam", "NL", "prosecutor"),
            ("gb-nca", "GB", "police"),
            ("gb-ipc", "GB", "judge"),
            ("jp-mpd-cyber", "JP", "police"),
            ("jp-tokyo-dc", "JP", "court"),
            ("br-mpf-sp", "BR", "prosecutor"),
            ("br-jf-sp-10", "BR", "judge"),
        ];
        for (id, country, t) in authorities {
            let body =
                json!({"id": id, "country": country, "authority_type": t, "name": format!("Authority {id}")});
            let (status, body) = self.post("/v1/admin/authorities", &body).await;
            assert_eq!(status, 201, "{body}");
        }
        for (id, country) in [("example-mail", "IE"), ("example-cloud", "NL"), ("example-social", "US")] {
            let body = json!({"id": id, "country": country, "name": format!("Provider {id}")});
            let (status, body) = self.post("/v1/admin/providers", &body).await;
            assert_eq!(status, 201, "{body}");
        }
        let body = json!({"id": "ie-high-court", "country": "IE", "kind": "court", "name": "The High Court"});
        let (status, body) = self.post("/v1/admin/reviewers", &body).await;
        assert_eq!(status, 201, "{body}");
    }
}

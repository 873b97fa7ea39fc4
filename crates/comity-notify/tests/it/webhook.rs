//! Webhook delivery against a real HTTP server (axum on 127.0.0.1), one route per kind of
//! answer: how each outcome is sorted, and a receiver in Rust that verifies the notice.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::post;
use comity_notify::sign::{
    Expect, Request, WEBHOOK_COMPONENTS, WEBHOOK_TAG, WebhookSigner, random_nonce, verify,
};
use comity_notify::{Delivered, Disposition, WebhookClient, WebhookEndpoint, WebhookError};
use ed25519_dalek::SigningKey;
use serde_json::json;

const KEY_ID: &str = "comity-test";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[11; 32])
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A receiver in Rust: rebuilds the request it got and verifies it with comity's key.
async fn verifying(uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let Ok(target) = url::Url::parse(&format!("http://{host}{uri}")) else {
        return (StatusCode::BAD_REQUEST, "no target".to_owned());
    };
    let lines: Vec<(&str, &str)> =
        headers.iter().filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))).collect();
    let request = Request { method: "POST", target: &target, headers: &lines };
    let public = key().verifying_key();
    let expect = Expect {
        tag: Some(WEBHOOK_TAG),
        covers: &WEBHOOK_COMPONENTS,
        now: Some(now()),
        max_age: 300,
        ..Expect::default()
    };
    match verify(&request, Some(&body), |id| (id == KEY_ID).then_some(public), &expect) {
        Ok(_) => (StatusCode::NO_CONTENT, String::new()),
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()),
    }
}

async fn serve() -> String {
    let app = Router::new()
        .route("/verify", post(verifying))
        .route("/fail", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "database down") }))
        .route("/busy", post(|| async { (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "120")]) }))
        .route(
            "/slow-down",
            post(|| async {
                let headers = [
                    (header::DATE, "Tue, 01 Dec 2026 10:00:00 GMT"),
                    (header::RETRY_AFTER, "Tue, 01 Dec 2026 10:15:00 GMT"),
                ];
                (StatusCode::TOO_MANY_REQUESTS, headers)
            }),
        )
        .route("/gone", post(|| async { (StatusCode::NOT_FOUND, "no such hook") }))
        .route("/bad", post(|| async { (StatusCode::UNPROCESSABLE_ENTITY, "ünknown event") }))
        .route(
            "/moved",
            post(|| async { (StatusCode::FOUND, [(header::LOCATION, "https://elsewhere.example/hook")]) }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                StatusCode::NO_CONTENT
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn client(key: SigningKey, timeout: Duration) -> WebhookClient {
    WebhookClient::new(WebhookSigner::new(key, KEY_ID).expect("a key id"), timeout).expect("a client")
}

async fn deliver(client: &WebhookClient, url: &str) -> Result<Delivered, WebhookError> {
    let endpoint = WebhookEndpoint::parse(url).expect("an endpoint");
    let notice = json!({"event": "request.approved", "request": "0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f", "note": "Příkaz"});
    client.deliver(&endpoint, &notice, now(), &random_nonce()).await
}

#[tokio::test]
async fn a_signed_notice_is_delivered_and_verifies() {
    let base = serve().await;
    let delivered =
        deliver(&client(key(), Duration::from_secs(5)), &format!("{base}/verify?tenant=eu")).await;
    assert_eq!(delivered.expect("delivered"), Delivered { status: 204 });

    // The same receiver refuses a notice signed with another key under the same id.
    let err = deliver(
        &client(SigningKey::from_bytes(&[12; 32]), Duration::from_secs(5)),
        &format!("{base}/verify"),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, WebhookError::Status { status: 401, .. }), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Permanent);
    assert!(err.to_string().contains("current public key"), "{err}");
}

#[tokio::test]
async fn each_answer_is_sorted_into_retry_or_permanent() {
    let base = serve().await;
    let client = client(key(), Duration::from_secs(1));
    let retry = |secs: Option<u64>| Disposition::Retry { after: secs.map(Duration::from_secs) };
    let cases = [
        ("/fail", 500, retry(None)),
        ("/busy", 503, retry(Some(120))),
        ("/slow-down", 429, retry(Some(900))),
        ("/gone", 404, Disposition::Permanent),
        ("/bad", 422, Disposition::Permanent),
        ("/moved", 302, Disposition::Permanent),
    ];
    for (path, status, disposition) in cases {
        let err = deliver(&client, &format!("{base}{path}")).await.expect_err(path);
        match &err {
            WebhookError::Status { status: got, .. } => assert_eq!(*got, status, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
        assert_eq!(err.disposition(), disposition, "{path}: {err}");
    }
    let err = deliver(&client, &format!("{base}/moved")).await.expect_err("a redirect");
    assert!(err.to_string().contains("https://elsewhere.example/hook"), "{err}");
    let err = deliver(&client, &format!("{base}/bad")).await.expect_err("refused");
    assert!(err.to_string().contains("ünknown event"), "{err}");
}

#[tokio::test]
async fn timeouts_and_absent_receivers_are_retried() {
    let base = serve().await;
    let err = deliver(&client(key(), Duration::from_millis(300)), &format!("{base}/slow"))
        .await
        .expect_err("too slow");
    assert!(matches!(err, WebhookError::Timeout(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Retry { after: None });

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("an address").port()
    };
    let err = deliver(&client(key(), Duration::from_secs(2)), &format!("http://127.0.0.1:{port}/hook"))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, WebhookError::Connect(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Retry { after: None });
}

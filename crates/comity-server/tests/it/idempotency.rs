//! Regression tests for issue 2: a client that retries a submission (after a timeout, a
//! dropped connection) must not create a second request. Since issue 5 a retry is signed
//! afresh (a new `jti`): the same signature sent twice is a replay, refused.

use serde_json::Value;

use crate::support::{TestApp, example};

crate::both_backends!(
    a_retry_with_the_same_key_returns_the_first_request,
    twenty_simultaneous_retries_make_one_request
);

async fn post_with_key(app: &TestApp, key: &str, doc: &Value) -> (u16, Option<String>, Value) {
    let r = app
        .client
        .post(app.url("/v1/requests"))
        .header("idempotency-key", key)
        .header("content-type", "application/jose")
        .body(app.sign(doc))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_owned());
    (status, replayed, r.json().await.unwrap())
}

async fn a_retry_with_the_same_key_returns_the_first_request(app: TestApp) {
    let doc = example("eu-epoc-traffic.json");
    let (status, replayed, first) = post_with_key(&app, "7d1c0a52-retry", &doc).await;
    assert_eq!((status, replayed), (201, None));
    let (status, replayed, again) = post_with_key(&app, "7d1c0a52-retry", &doc).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")));
    assert_eq!(again["id"], first["id"]);
    // Quoted as a structured-field string, it is the same key.
    let (_, _, quoted) = post_with_key(&app, "\"7d1c0a52-retry\"", &doc).await;
    assert_eq!(quoted["id"], first["id"]);

    // The same key for another document is a client error, and changes nothing.
    let mut other = doc.clone();
    other["issuing"]["reference"] = "PARQUET-2026-0043".into();
    let (status, _, body) = post_with_key(&app, "7d1c0a52-retry", &other).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
    assert!(body["error"]["message"].as_str().unwrap().contains(first["id"].as_str().unwrap()));

    // Without a key, or with a new one, a submission is a new request.
    assert_eq!(post_with_key(&app, "another-key", &doc).await.0, 201);
    app.submit(&doc).await;
    let (_, list) = app.token("example-mail").get("/v1/requests").await;
    assert_eq!(list["total"], 3);

    let (status, _, body) = post_with_key(&app, "has a space", &doc).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_idempotency_key");
}

async fn twenty_simultaneous_retries_make_one_request(app: TestApp) {
    let doc = example("us-cloud-act-content.json");
    let app = std::sync::Arc::new(app);
    let mut retries = Vec::new();
    for _ in 0..20 {
        let (app, doc) = (app.clone(), doc.clone());
        retries.push(tokio::spawn(async move { post_with_key(&app, "nca-kestrel-114", &doc).await }));
    }
    let mut ids = Vec::new();
    for r in retries {
        let (status, _, body) = r.await.unwrap();
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry names the one request");
    let (_, list) = app.token("example-social").get("/v1/requests").await;
    assert_eq!(list["total"], 1);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("comity_requests_received_total 1\n"),
        "a replay is not a new intake: {metrics}"
    );
}

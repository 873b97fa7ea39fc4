//! Issue 17, item 3: each server keeps what it has read of the registers, and a change made
//! through another server (or the command line) is acted on by the next request, not after
//! a cache expires. Two `comity serve` processes share one PostgreSQL database; the second
//! has read everything an intake and a read need before the first changes it.

use serde_json::{Value, json};

use crate::support::{Data, Server, Trust, example};

async fn post(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let r = client.post(server.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn read(client: &reqwest::Client, server: &Server, token: &str, id: &str) -> u16 {
    let r = client.get(server.url(&format!("/v1/requests/{id}"))).bearer_auth(token).send().await.unwrap();
    r.status().as_u16()
}

/// A signed submission to `server`: its status and error code, if any.
async fn submit(trust: &Trust, client: &reqwest::Client, server: &Server) -> (u16, Value) {
    let r = trust.submit(client, server, &example("eu-epoc-traffic.json")).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_changed_through_one_server_is_acted_on_by_the_next_request_to_another() {
    let Some(data) = Data::postgres().await else { return };
    let first = Server::start(&data, &[]);
    let (second, _second_dir) = Server::second(&data);
    let trust = Trust::setup(&first, &data).await;
    let client = reqwest::Client::new();

    // The second server reads the authority's key, the parties and their standing, and the
    // handler's token, and keeps them.
    let (status, created) = submit(&trust, &client, &second).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(read(&client, &second, &trust.handler, &id).await, 200);

    // The provider suspended through the first: the second refuses the next submission to it.
    let until = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let (status, suspension) = post(
        &client,
        &first,
        &trust.admin,
        "/v1/admin/parties/example-mail/suspensions",
        json!({"until": until, "reason": "kept no record of its disclosures"}),
    )
    .await;
    assert_eq!(status, 201, "{suspension}");
    let (status, refused) = submit(&trust, &client, &second).await;
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("receives no new request"), "{refused}");

    // Lifted through the first: the second accepts the next one.
    let number = suspension["number"].as_u64().unwrap();
    let (status, lifted) = post(
        &client,
        &first,
        &trust.admin,
        &format!("/v1/admin/parties/example-mail/suspensions/{number}/lift"),
        json!({"reason": "the records were produced"}),
    )
    .await;
    assert_eq!(status, 200, "{lifted}");
    let (status, created) = submit(&trust, &client, &second).await;
    assert_eq!(status, 201, "{created}");

    // The handler's token revoked through the first: the second refuses it at once.
    let (status, token) = post(
        &client,
        &first,
        &trust.admin,
        "/v1/admin/tokens",
        json!({"org": "example-mail", "role": "handler"}),
    )
    .await;
    assert_eq!(status, 201, "{token}");
    let (handler, token_id) = (token["token"].as_str().unwrap(), token["id"].as_str().unwrap());
    assert_eq!(read(&client, &second, handler, &id).await, 200);
    let (status, revoked) =
        post(&client, &first, &trust.admin, &format!("/v1/admin/tokens/{token_id}/revoke"), json!({})).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(read(&client, &second, handler, &id).await, 401);

    // The authority's key revoked through the first: the second refuses what it signs.
    let kid = trust.key_of("fr-tj-paris").public().key_id();
    let (status, key) = post(
        &client,
        &first,
        &trust.admin,
        &format!("/v1/admin/authorities/fr-tj-paris/keys/{kid}/revoke"),
        json!({"reason": "the key's device was lost"}),
    )
    .await;
    assert_eq!(status, 200, "{key}");
    let (status, refused) = submit(&trust, &client, &second).await;
    assert_eq!(status, 401, "{refused}");
    assert_eq!(refused["error"]["code"], "key_revoked", "{refused}");
}

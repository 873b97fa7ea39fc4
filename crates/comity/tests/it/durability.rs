//! Nothing acknowledged is lost: across a restart, and across `kill -9` under load.

use std::{sync::Arc, time::Duration};

use serde_json::Value;
use tokio::sync::Mutex;

use crate::support::{Data, Server, Trust, UNLIMITED, example, signed_post};

crate::both_databases!(
    #[tokio::test]
    restart_keeps_requests_and_events,
    kill9_under_load_loses_nothing_acknowledged,
);

async fn restart_keeps_requests_and_events(data: Data) {
    let client = reqwest::Client::new();
    let server = Server::start(&data, &[]);
    let trust = Trust::setup(&server, &data).await;
    let created: Value =
        trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    trust.approve(&client, &server, &id).await;
    let events_before = server.get_json(&client, &format!("/v1/requests/{id}/events"), &trust.handler).await;
    drop(server);

    let server = Server::start(&data, &[]);
    let read = server.get_json(&client, &format!("/v1/requests/{id}"), &trust.handler).await;
    assert_eq!(read["state"], "approved");
    assert_eq!(read["document"], created["document"]);
    assert_eq!(read["screening"], created["screening"], "the screening report survives the restart");
    let events_after = server.get_json(&client, &format!("/v1/requests/{id}/events"), &trust.handler).await;
    assert_eq!(events_after, events_before);
    assert_eq!(events_after.as_array().unwrap().len(), 4);
    // The trust registers survive too: the admin's token, the authority's key.
    let keys = server.get_json(&client, "/v1/admin/authorities/fr-tj-paris/keys", &trust.admin).await;
    assert_eq!(keys[0]["status"], "active", "{keys}");
}

/// 1,000 signed submissions in flight at once; the server is killed with SIGKILL once a
/// third have been acknowledged. After a restart, every request that got a 201 is there.
/// The per-address limits are off: all 1,000 come from one address, on purpose.
async fn kill9_under_load_loses_nothing_acknowledged(data: Data) {
    const TOTAL: usize = 1000;
    let server = Server::start(&data, &UNLIMITED);
    let trust = Arc::new(Trust::setup(&server, &data).await);
    let doc = Arc::new(example("eu-epoc-traffic.json"));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let start = Arc::new(tokio::sync::Barrier::new(TOTAL + 1));

    let mut submissions = Vec::new();
    for _ in 0..TOTAL {
        let (client, url, doc, acknowledged, start, trust) = (
            client.clone(),
            server.url("/v1/requests"),
            doc.clone(),
            acknowledged.clone(),
            start.clone(),
            trust.clone(),
        );
        submissions.push(tokio::spawn(async move {
            start.wait().await;
            // A well-behaved client: on 503 ("busy, retry") it waits and tries again, with
            // a new signature and jti, as a new submission (as the unsigned retries were).
            loop {
                match signed_post(&client, &url, trust.sign(&doc)).await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        // Only a 201 whose id arrived counts as acknowledged.
                        if let Ok(body) = r.json::<Value>().await {
                            acknowledged.lock().await.push(body["id"].as_str().unwrap().to_owned());
                        }
                        break;
                    }
                    Ok(r) if r.status().as_u16() == 503 => {
                        tokio::time::sleep(Duration::from_millis(50)).await
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    // The connection died with the server: never acknowledged.
                    Err(_) => break,
                }
            }
        }));
    }
    start.wait().await;
    // Kill once a third are acknowledged, while the rest are in flight.
    loop {
        if acknowledged.lock().await.len() >= TOTAL / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill9();
    for s in submissions {
        s.await.unwrap();
    }
    let acknowledged = acknowledged.lock().await.clone();
    assert!(
        acknowledged.len() >= TOTAL / 3 && acknowledged.len() < TOTAL,
        "the kill came mid-load ({} acknowledged)",
        acknowledged.len()
    );

    let server = Server::start(&data, &UNLIMITED);
    // The provider's system sees every request: all are addressed to it.
    let list = server.get_json(&client, "/v1/requests?per_page=1", &trust.handler).await;
    let total = list["total"].as_u64().unwrap() as usize;
    assert!(total >= acknowledged.len(), "{total} stored < {} acknowledged", acknowledged.len());
    for id in &acknowledged {
        let r = client
            .get(server.url(&format!("/v1/requests/{id}/events")))
            .bearer_auth(&trust.handler)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged request {id} was lost");
        let events: Value = r.json().await.unwrap();
        assert_eq!(events[0]["to"], "received", "{id} lost its receipt event");
        assert!(events[0]["log_index"].is_u64(), "{id}'s receipt lost its log entry");
    }
    // The store and its log still agree, entry for entry: the kill left no write without
    // its entries and no entry without its write.
    let out = crate::support::comity(&["log", "verify"], Some(&data));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("after kill -9, comity log verify --data-dir: {}", stdout.trim());
    drop(server);
    eprintln!(
        "kill -9 under load: {} of {TOTAL} acknowledged before the kill, {total} stored, none lost",
        acknowledged.len()
    );
}

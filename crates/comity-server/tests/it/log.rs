//! The audit log as an outside auditor meets it: C2SP tiles and checkpoints under
//! `/log/`, proofs under `/v1/log/`, and a receipt on every answer that appends.

use base64::{Engine, engine::general_purpose::STANDARD};
use comity_log::{
    MemoryTree, TilePath, decode_bundle, verify_checkpoint, verify_consistency, verify_inclusion,
};
use serde_json::Value;

use crate::support::{TestApp, example};

use crate::support::ORIGIN;

fn log_index(r: &reqwest::Response) -> Vec<u64> {
    r.headers()
        .get("comity-log-index")
        .map(|v| v.to_str().unwrap().split(", ").map(|i| i.parse().unwrap()).collect())
        .unwrap_or_default()
}

async fn bytes(app: &TestApp, path: &str) -> (u16, Option<String>, Vec<u8>) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    let cache = r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), cache, r.bytes().await.unwrap().to_vec())
}

fn hashes(proof: &Value) -> Vec<Vec<u8>> {
    proof["proof"].as_array().unwrap().iter().map(|h| STANDARD.decode(h.as_str().unwrap()).unwrap()).collect()
}

async fn the_log_is_served_as_c2sp_tiles_and_proves_every_entry(app: TestApp) {
    let key = app.log_key();
    let r = app
        .client
        .post(app.url("/v1/requests"))
        .header("content-type", "application/jose")
        .body(app.sign(&example("eu-epoc-traffic.json")))
        .send()
        .await
        .unwrap();
    let intake = log_index(&r);
    assert_eq!(
        intake.len(),
        6,
        "receipt, screening, two moves, the classification (issue 16), and the court routing by law assigned"
    );
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();

    // Every read of the request's personal data is logged before it is answered, with the
    // reader as the entry's actor.
    let provider = app.token("example-mail");
    let mut reads = Vec::new();
    for path in ["", "/events", "/screenings"] {
        let a = provider.send("GET", &format!("/v1/requests/{id}{path}"), None).await;
        assert_eq!(a.status, 200);
        reads.extend(
            a.headers
                .get("comity-log-index")
                .map(|v| {
                    v.to_str().unwrap().split(", ").map(|i| i.parse::<u64>().unwrap()).collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
    }
    assert_eq!(reads.len(), 3);
    assert_eq!(reads[0], intake[5] + 1);
    let read = app.store.log_records(reads[0], 1).await.unwrap();
    let entry = comity_log::Entry::from_bytes(&read[0].entry).unwrap();
    // The entry only commits to its actor (issue 12); the store keeps who it was.
    assert_eq!(entry.actor(), None);
    let actor = read[0].actor.as_ref().unwrap().as_str();
    assert!(actor.starts_with("token:") && actor.ends_with("@example-mail"), "{actor}");
    // Events name their entries.
    let (_, events) = provider.get(&format!("/v1/requests/{id}/events")).await;
    let event_entries: Vec<u64> =
        events.as_array().unwrap().iter().map(|e| e["log_index"].as_u64().unwrap()).collect();
    assert_eq!(event_entries, vec![intake[0], intake[2], intake[3]]);

    // Enough reads to fill the first tile, then a checkpoint.
    for _ in 0..260 {
        provider.get(&format!("/v1/requests/{id}/events")).await;
    }
    let size = app.checkpoint_now().await;
    assert!(size > 256);

    let (status, cache, note) = bytes(&app, "/log/checkpoint").await;
    assert_eq!((status, cache.as_deref()), (200, Some("no-cache")));
    let checkpoint = verify_checkpoint(&note, key.verifier_key()).unwrap();
    assert_eq!((checkpoint.origin(), checkpoint.size()), (ORIGIN, size));

    // The entries, from a full data tile and a partial one, rebuild the signed root.
    let mut tree = MemoryTree::new();
    let mut entries = Vec::new();
    for tile in [TilePath::entries(0, 256), TilePath::entries(1, (size - 256) as u32)] {
        let (status, cache, bundle) = bytes(&app, &format!("/log/{tile}")).await;
        assert_eq!(status, 200, "{tile}");
        let expected_cache =
            if tile.is_full() { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
        assert_eq!(cache.as_deref(), Some(expected_cache), "{tile}");
        for e in decode_bundle(&bundle).unwrap() {
            comity_log::Entry::from_bytes(e).unwrap();
            tree.append(e);
            entries.push(e.to_vec());
        }
    }
    assert_eq!(tree.root(size).unwrap(), *checkpoint.hash());
    // The level-0 hash tile is the leaf hashes.
    let (status, _, tile) = bytes(&app, "/log/tile/0/000").await;
    assert_eq!(status, 200);
    let leaves: Vec<u8> = entries[..256].iter().flat_map(|e| MemoryTree::leaf_hash(e).0).collect();
    assert_eq!(tile, leaves);
    let (status, _, tile) = bytes(&app, "/log/tile/1/000.p/1").await;
    assert_eq!((status, tile), (200, tree.root(256).unwrap().0.to_vec()));

    // Inclusion of each of the request's entries, and consistency with an earlier size.
    for index in intake.iter().chain(&reads) {
        let (status, proof) =
            app.anonymous().get(&format!("/v1/log/proof/inclusion?index={index}&size={size}")).await;
        assert_eq!(status, 200);
        let proof = hashes(&proof);
        let refs: Vec<&[u8]> = proof.iter().map(Vec::as_slice).collect();
        let leaf = MemoryTree::leaf_hash(&entries[*index as usize]);
        verify_inclusion(*index, size, &leaf.0, &refs, &checkpoint.hash().0).unwrap();
    }
    let (status, proof) = app.anonymous().get(&format!("/v1/log/proof/consistency?from=7&to={size}")).await;
    assert_eq!(status, 200);
    let proof = hashes(&proof);
    let refs: Vec<&[u8]> = proof.iter().map(Vec::as_slice).collect();
    verify_consistency(7, size, &tree.root(7).unwrap().0, &checkpoint.hash().0, &refs).unwrap();

    // The request's own log: its events, its screening, its classification and the
    // assignment routing made (journal facts about the request) and every read.
    let (status, log) = provider.get(&format!("/v1/requests/{id}/log")).await;
    assert_eq!(status, 200);
    let subjects: Vec<&str> =
        log.as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap()).collect();
    assert_eq!(
        &subjects[..7],
        ["event", "screening", "event", "event", "journal", "journal", "read.document"]
    );
    assert!(log[0]["entry"].as_str().unwrap().starts_with("comity-log-entry/v2\nkind: lifecycle.received\n"));

    // Nothing personal in the public entries: no target, no reference, no document.
    let public = String::from_utf8(entries.concat()).unwrap();
    for secret in ["invest.desk@example.org", "PARQUET-2026-0042", "Organised fraud"] {
        assert!(!public.contains(secret), "{secret} is in the public log");
    }

    let (_, info) = app.anonymous().get("/v1/log").await;
    assert_eq!(info["size"].as_u64().unwrap(), size);
}

async fn bad_log_queries_get_clear_errors(app: TestApp) {
    let size = app.store.log_size().await.unwrap();
    for (path, status, words) in [
        (format!("/v1/log/proof/inclusion?index={size}&size={size}"), 400, "is not in a tree".to_owned()),
        (format!("/v1/log/proof/inclusion?index=0&size={}", size + 1), 400, format!("holds {size} entries")),
        ("/v1/log/proof/inclusion?index=x&size=1".to_owned(), 400, "index".to_owned()),
        ("/v1/log/proof/consistency?from=0&to=1".to_owned(), 400, "1 <= from <= to".to_owned()),
        ("/v1/log/proof/consistency?from=2&to=1".to_owned(), 400, "1 <= from <= to".to_owned()),
        ("/log/tile/0/0".to_owned(), 400, "not a tile path".to_owned()),
        ("/log/tile/0/000.p/0".to_owned(), 400, "not a tile path".to_owned()),
        ("/log/tile/64/000".to_owned(), 400, "not a tile path".to_owned()),
        ("/log/tile/0/x999/999".to_owned(), 404, "does not hold".to_owned()),
        ("/log/tile/entries/000".to_owned(), 404, "does not hold".to_owned()),
        ("/log/checkpoint".to_owned(), 404, "no checkpoint".to_owned()),
        ("/v1/requests/0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f/log".to_owned(), 404, "no request".to_owned()),
    ] {
        let (got, body) = app.token("example-mail").get(&path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&words), "{path}: {body}");
    }
}

crate::both_backends!(
    the_log_is_served_as_c2sp_tiles_and_proves_every_entry,
    bad_log_queries_get_clear_errors,
    one_server_signs_checkpoints_at_a_time
);

/// Issue 17: of several servers on one database, one holds the checkpointer's lease and
/// signs; another takes over only once it has run out (its holder stopped renewing).
async fn one_server_signs_checkpoints_at_a_time(app: TestApp) {
    let now = chrono::Utc::now();
    let hold = chrono::Duration::minutes(3);
    assert!(app.app.may_checkpoint("server a", now, hold).await.unwrap());
    assert!(!app.app.may_checkpoint("server b", now, hold).await.unwrap(), "a holds it");
    let later = now + chrono::Duration::minutes(1);
    assert!(app.app.may_checkpoint("server a", later, hold).await.unwrap(), "a renews it");
    assert!(!app.app.may_checkpoint("server b", later + chrono::Duration::minutes(2), hold).await.unwrap());
    let after = later + hold + chrono::Duration::seconds(1);
    assert!(app.app.may_checkpoint("server b", after, hold).await.unwrap(), "b takes over once it ran out");
    assert!(!app.app.may_checkpoint("server a", after, hold).await.unwrap());
}

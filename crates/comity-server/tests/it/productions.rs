//! Sealed production through the API (issue 6): the provider produces from its export,
//! only what the decision allows leaves, third parties are pseudonymized, the package
//! opens only for the authority and matches its manifest, and every step of its custody
//! is in the log.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::support::{REVIEWER, TestApp, example, export};

crate::both_backends!(
    a_production_leaves_sealed_for_the_authority_with_only_what_the_decision_allows,
    only_the_issuing_authority_receives_and_acknowledges,
    a_bad_export_or_a_missing_key_is_refused_before_anything_is_logged,
    a_national_number_of_a_country_the_request_names_is_masked,
);

fn records(bytes: &[u8]) -> Vec<Value> {
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

/// Every identifier a record's party fields name (from, to, cc, bcc, recovery, contact,
/// shared_with), with display names.
fn parties(record: &Value, out: &mut BTreeSet<String>) {
    for field in ["from", "to", "cc", "bcc", "recovery", "contact", "shared_with"] {
        let list = match &record["data"][field] {
            Value::Array(items) => items.clone(),
            Value::Object(_) => vec![record["data"][field].clone()],
            _ => continue,
        };
        for p in list {
            for key in ["address", "number", "account", "ip", "name"] {
                if let Some(v) = p[key].as_str() {
                    out.insert(v.to_owned());
                }
            }
        }
    }
}

/// Approves `eu-epoc-traffic.json` (one target, subscriber and traffic data, May and June
/// 2026) with `scope`, and prepares the keys.
async fn approved(app: &TestApp, scope: Option<Value>) -> String {
    approved_document(app, &example("eu-epoc-traffic.json"), scope).await
}

async fn approved_document(app: &TestApp, doc: &Value, scope: Option<Value>) -> String {
    let id = app.submit(doc).await;
    app.assign(&id, REVIEWER).await;
    let mut body = json!({"to": "approved", "reason": "necessary and proportionate"});
    if let Some(scope) = scope {
        body = json!({"to": "partially_approved", "reason": "subscriber data only", "scope": scope});
    }
    let reviewer = app.token(REVIEWER);
    let body = reviewer.reasoned(&id, body).await;
    let (status, moved) = reviewer.post(&format!("/v1/requests/{id}/transitions"), &body).await;
    assert_eq!(status, 200, "{moved}");
    app.prepare_production(&id).await;
    id
}

async fn a_production_leaves_sealed_for_the_authority_with_only_what_the_decision_allows(app: TestApp) {
    let id = approved(&app, None).await;
    let export = export();
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    assert_eq!(produced["status"], "sealed", "{produced}");

    // What the scope admits, worked out here from the export itself.
    let (from, to) = (time(&json!("2026-05-01T00:00:00Z")), time(&json!("2026-07-01T00:00:00Z")));
    let source = records(&export);
    let in_scope: Vec<&Value> = source
        .iter()
        .filter(|r| {
            r["account"] == "invest.desk@example.org"
                && (from..to).contains(&time(&r["time"]))
                && ["subscriber", "traffic"].contains(&r["category"].as_str().unwrap())
        })
        .collect();
    assert_eq!(produced["records"], source.len());
    assert_eq!(produced["in_scope"], in_scope.len());
    assert!(in_scope.len() < source.len(), "the example has records a production must drop");
    let mut third_parties = BTreeSet::new();
    for r in &in_scope {
        parties(r, &mut third_parties);
    }
    third_parties.retain(|p| !p.eq_ignore_ascii_case("invest.desk@example.org") && p != "Invest Desk");
    assert!(third_parties.len() >= 4, "{third_parties:?}");

    // The request is producing; the provider may not download, the authority may.
    let (_, read) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["state"], "producing");
    let pid = produced["id"].as_str().unwrap();
    let package_path = format!("/v1/requests/{id}/productions/{pid}/package");
    let authority = app.token("fr-tj-paris");
    let (status, headers, package) = authority.get_bytes(&package_path).await;
    assert_eq!(status, 200);
    assert_eq!(headers["comity-package-sha256"], produced["package"]["sha256"].as_str().unwrap());
    assert_eq!(package.len() as u64, produced["package"]["bytes"].as_u64().unwrap());

    // The package opens for the authority's identity, signed by the provider's registered
    // production key, and its manifest says what leaves.
    let identity = app.identity("fr-tj-paris");
    let keys = app.operator().registers().production_keys("example-mail").await.unwrap();
    let provider_key =
        comity_auth::jws::PublicKey::from_bytes(&keys.last().unwrap().public_key.unwrap()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let verified = comity_seal::open_with(&package[..], &identity, Some(&provider_key), |file| {
        std::fs::File::create(out.path().join(file.name.as_str()))
    })
    .unwrap();
    let files: Vec<(String, Vec<u8>)> = verified
        .manifest()
        .files
        .iter()
        .map(|f| (f.name.as_str().to_owned(), std::fs::read(out.path().join(f.name.as_str())).unwrap()))
        .collect();
    let manifest = verified.manifest();
    assert_eq!(manifest.request, id);
    assert_eq!(manifest.production.id, pid);
    assert_eq!(Some(manifest.production.log_index), produced["log_index"].as_u64());
    assert_eq!(manifest.recipient.authority, "fr-tj-paris");
    assert_eq!(manifest.scope.categories, vec!["subscriber", "traffic"]);
    assert_eq!(manifest.retention_until.to_string(), "2030-12-31");
    assert_eq!(manifest.legal_basis.instrument, "eu-e-evidence");
    assert!(!manifest.legal_basis.provisions.is_empty());
    assert_eq!(verified.manifest_sha256().to_string(), produced["package"]["manifest_sha256"]);
    assert_eq!(files.len(), 1);
    let produced_records = records(&files[0].1);
    assert_eq!(produced_records.len(), in_scope.len(), "every in-scope record, nothing else");
    for (out, source) in produced_records.iter().zip(&in_scope) {
        assert_eq!(out["account"], "invest.desk@example.org");
        assert_eq!(out["kind"], source["kind"]);
        assert_eq!(time(&out["time"]), time(&source["time"]));
    }
    let text = String::from_utf8(files[0].1.clone()).unwrap().to_lowercase();
    for p in &third_parties {
        assert!(!text.contains(&p.to_lowercase()), "{p} survives in the production");
    }
    assert!(text.contains("person-"), "third parties become pseudonyms");
    assert!(text.contains("invest.desk@example.org"), "the target's own identifier stays");
    let masked = &manifest.redaction["masked"];
    assert!(masked["THIRD_PARTY_PSEUDONYMIZED"].as_u64().unwrap() > 0, "{masked}");
    // The manifest says whose national phone formats were searched: the default regions
    // and the request's countries (France issuing, Ireland addressed).
    let regions = manifest.redaction["phone_regions"].as_array().unwrap();
    for country in ["FR", "IE", "DE", "US"] {
        assert!(regions.contains(&json!(country)), "{country} in {regions:?}");
    }

    // The authority acknowledges with the hash it computed; the request is delivered.
    let sha = comity_seal::Sha256Hash::of(&package).to_string();
    let ack = format!("/v1/requests/{id}/productions/{pid}/acknowledgement");
    let (status, acked) = authority.post(&ack, &json!({"package_sha256": sha})).await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["status"], "acknowledged");
    let kinds: Vec<&str> =
        acked["custody"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["production.started", "production.sealed", "production.downloaded", "production.acknowledged"]
    );
    assert!(acked["custody"].as_array().unwrap().iter().all(|c| c["log_index"].is_u64()));
    let (_, read) = authority.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["state"], "delivered");
    // Everyone on the request sees the chain of custody.
    let (status, list) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}/productions")).await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["custody"], acked["custody"]);
    // A second acknowledgement is refused.
    let (status, body) = authority.post(&ack, &json!({"package_sha256": sha})).await;
    assert_eq!(status, 409, "{body}");
}

async fn only_the_issuing_authority_receives_and_acknowledges(app: TestApp) {
    let id = approved(&app, Some(json!({"categories": ["subscriber"]}))).await;
    // The lifecycle's generic move neither starts nor ends a production.
    let provider = app.provider_of(&id).await;
    let (status, body) = provider.move_to(&id, "producing").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("/productions"), "{body}");
    let (status, produced) = app.produce(&id, &export(), "retention_until=2030-01-01T00:00:00Z").await;
    assert_eq!(status, 201, "{produced}");
    assert_eq!(produced["in_scope"], 1, "the partial approval keeps the target's profile alone");
    let authority = app.token("fr-tj-paris");
    let (status, body) = authority.move_to(&id, "delivered").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("acknowledg"), "{body}");

    let pid = produced["id"].as_str().unwrap();
    let package = format!("/v1/requests/{id}/productions/{pid}/package");
    let ack = format!("/v1/requests/{id}/productions/{pid}/acknowledgement");
    let sha = json!({"package_sha256": produced["package"]["sha256"]});
    // The provider sees its production but does not receive it; another authority does not
    // even see it; nor does the reviewer receive it.
    assert_eq!(provider.get_bytes(&package).await.0, 403);
    assert_eq!(provider.post(&ack, &sha).await.0, 403);
    assert_eq!(app.token(REVIEWER).get_bytes(&package).await.0, 403);
    assert_eq!(app.token("de-sta-berlin").get_bytes(&package).await.0, 404);
    assert_eq!(app.token("de-sta-berlin").get(&format!("/v1/requests/{id}/productions/{pid}")).await.0, 404);
    // Acknowledging what was never downloaded, or another file, is refused.
    let (status, body) = authority.post(&ack, &sha).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("download"), "{body}");
    assert_eq!(authority.get_bytes(&package).await.0, 200);
    assert_eq!(authority.get_bytes(&package).await.0, 200);
    let (status, body) = authority.post(&ack, &json!({"package_sha256": "00".repeat(32)})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "package_sha256");
    let (status, acked) = authority.post(&ack, &sha).await;
    assert_eq!(status, 200, "{acked}");
    let downloads =
        acked["custody"].as_array().unwrap().iter().filter(|c| c["kind"] == "production.downloaded");
    assert_eq!(downloads.count(), 2, "each download is logged");
    // A production id that is not one, or of another request, is told apart.
    assert_eq!(authority.get(&format!("/v1/requests/{id}/productions/nope")).await.0, 400);
    let other = format!("/v1/requests/{id}/productions/prod-aaaaaaaaaaaaaaaa");
    assert_eq!(authority.get(&other).await.0, 404);
}

async fn a_bad_export_or_a_missing_key_is_refused_before_anything_is_logged(app: TestApp) {
    // Not approved yet: nothing to produce.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.prepare_production(&id).await;
    let (status, body) = app.produce(&id, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    let id = approved(&app, None).await;
    let mut bad = export();
    bad.extend_from_slice(b"{\"account\": \"x\"}\nnot json\n");
    let (status, body) = app.produce(&id, &bad, "retention_until=2030-12-31").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_export");
    let lines = export().iter().filter(|b| **b == b'\n').count();
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2, "{body}");
    assert_eq!(details[0]["path"], format!("line {}", lines + 1));
    assert!(details[0]["message"].as_str().unwrap().contains("`kind` is missing"), "{body}");
    assert_eq!(details[1]["path"], format!("line {}", lines + 2));
    let unknown = b"{\"account\":\"invest.desk@example.org\",\"kind\":\"telepathy\",\"category\":\"traffic\",\"time\":\"2026-05-02T00:00:00Z\",\"data\":{}}\n";
    let (status, body) = app.produce(&id, unknown, "retention_until=2030-12-31").await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["details"][0]["message"].as_str().unwrap().contains("telepathy"), "{body}");
    for (query, says) in [
        ("retention_until=2020-01-01", "not in the future"),
        ("retention_until=soon", "retention_until"),
        ("retention_until=2030-12-31&national_ids=XX_ID", "national_ids"),
        ("retention_until=2030-12-31&phone_regions=IN,XY", "phone_regions"),
        ("", "retention_until"),
    ] {
        let (status, body) = app.produce(&id, &export(), query).await;
        assert!(status == 422 || status == 400, "{query}: {status} {body}");
        assert!(
            body["error"]["message"].as_str().unwrap_or_default().contains(says)
                || body["error"]["details"][0]["path"] == says,
            "{query}: {body}"
        );
    }
    let (status, body) = app.produce(&id, b"", "retention_until=2030-12-31").await;
    assert_eq!(status, 422, "{body}");
    // Nothing was logged, and the request still waits to be produced.
    let logged = app
        .store
        .journal(&comity_core::JournalQuery::kinds(&[comity_core::FactKind::ProductionStarted]))
        .await
        .unwrap();
    assert!(logged.is_empty(), "{logged:?}");
    let (_, read) = app.provider_of(&id).await.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["state"], "approved");
    // An authority without a registered age recipient cannot be produced for.
    let other = app.submit(&example("coe-budapest-subscriber.json")).await;
    // Routed by law to the court of the Netherlands, where the provider is addressed.
    let (status, moved) = app.move_to(&other, "approved").await;
    assert_eq!(status, 200, "{moved}");
    let (status, body) = app.produce(&other, &export(), "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("age recipient"), "{body}");
}

/// The records of a production's package, as the issuing authority opens it.
async fn records_left(app: &TestApp, id: &str, produced: &Value) -> String {
    let pid = produced["id"].as_str().unwrap();
    let authority = app.token("fr-tj-paris");
    let (status, _, package) =
        authority.get_bytes(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
    assert_eq!(status, 200);
    let keys = app.operator().registers().production_keys("example-mail").await.unwrap();
    let provider_key =
        comity_auth::jws::PublicKey::from_bytes(&keys.last().unwrap().public_key.unwrap()).unwrap();
    let out = tempfile::tempdir().unwrap();
    comity_seal::open_with(&package[..], &app.identity("fr-tj-paris"), Some(&provider_key), |file| {
        std::fs::File::create(out.path().join(file.name.as_str()))
    })
    .unwrap();
    std::fs::read_to_string(out.path().join("records.jsonl")).unwrap()
}

/// A national number of the Marshall Islands (seven digits, no trunk prefix) is a number
/// in none of the default regions: it leaves as it was written unless the production
/// searches that region, because the request names it (where the target is) or the
/// provider asks for it.
async fn a_national_number_of_a_country_the_request_names_is_masked(app: TestApp) {
    let export = json!({"account": "invest.desk@example.org", "kind": "message", "category": "traffic",
        "time": "2026-05-02T10:00:00Z", "data": {"id": "m1", "direction": "received",
        "from": {"address": "kili@example.mh"}, "to": [{"address": "invest.desk@example.org"}],
        "subject": "Ring me on 247 1234, thanks"}});
    let export = format!("{export}\n").into_bytes();

    let id = approved(&app, None).await;
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    let left = records_left(&app, &id, &produced).await;
    assert!(left.contains("247 1234"), "not searched, so not found: {left}");
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31&phone_regions=mh").await;
    assert_eq!(status, 201, "{produced}");
    let left = records_left(&app, &id, &produced).await;
    assert!(!left.contains("247 1234") && left.contains("[PHONE_NUMBER]"), "asked for: {left}");

    let mut doc = example("eu-epoc-traffic.json");
    doc["targets"][0]["located_in"] = json!("MH");
    let id = approved_document(&app, &doc, None).await;
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    let left = records_left(&app, &id, &produced).await;
    assert!(!left.contains("247 1234") && left.contains("[PHONE_NUMBER]"), "named by the request: {left}");
}

//! Issue 17, item 1: comity's copy of every package and each provider's private production
//! key are in the database, so that every server of it serves the one and signs with the
//! other. A package of several chunks comes back byte for byte and goes with its key; a
//! sealing a crash interrupted leaves nothing behind; a key is kept sealed, and a key file an
//! older comity left still signs.

use std::io::{Read, Write};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_app::production::{at_rest::DataKey, stored::CHUNK_BYTES};
use comity_auth::jws::SigningKey;
use comity_core::{ActorId, Fact, KeyId, NewEntry, PartyId, RequestId, journal};

use crate::support::{TestApp, example, export};

crate::both_backends!(
    a_package_of_several_chunks_round_trips_byte_exact_and_shredding_takes_its_chunks,
    a_sealing_a_crash_interrupted_leaves_no_chunks_behind,
    a_production_key_is_sealed_in_the_database_and_a_file_from_before_still_signs,
);

/// `eu-epoc-traffic.json` approved as asked (its target's subscriber and traffic data of
/// May and June 2026), with an age recipient and a production key registered.
async fn approved(app: &TestApp) -> String {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.approve(&id).await;
    app.prepare_production(&id).await;
    id
}

fn sha256(bytes: &[u8]) -> String {
    comity_seal::Sha256Hash::of(bytes).to_string()
}

/// The end of the retention the productions here state (2030-12-31).
fn retention_end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-12-31T23:59:59Z").unwrap().with_timezone(&Utc)
}

/// An export of `records` traffic records of the target, every one in the decision's scope,
/// each from one of a few correspondents.
fn large_export(records: u32) -> Vec<u8> {
    let mut export = Vec::new();
    for n in 0..records {
        let (day, minute) = (1 + n % 30, n % (24 * 60));
        let sender = n % 7;
        writeln!(
            export,
            r#"{{"account":"invest.desk@example.org","kind":"message","category":"traffic","time":"2026-05-{day:02}T{:02}:{:02}:00Z","data":{{"id":"<m{n}-{:x}@mail.example.org>","direction":"received","from":{{"address":"sender{sender}@example.com","name":"Sender Number{sender}"}},"to":[{{"address":"invest.desk@example.org","name":"Invest Desk"}}],"cc":[],"size":{}}}}}"#,
            minute / 60,
            minute % 60,
            u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            1000 + n,
        )
        .unwrap();
    }
    export
}

async fn a_package_of_several_chunks_round_trips_byte_exact_and_shredding_takes_its_chunks(app: TestApp) {
    let id = approved(&app).await;
    let (status, produced) = app.produce(&id, &large_export(16_000), "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    let pid = produced["id"].as_str().unwrap().to_owned();
    let sealed_sha = produced["package"]["sha256"].as_str().unwrap().to_owned();
    let sealed_bytes = produced["package"]["bytes"].as_u64().unwrap();

    // In the database, in chunks of 1 MiB but the last; nothing in the data directory.
    let sets = app.store.package_chunk_sets().await.unwrap();
    let set = sets.iter().find(|s| s.production == pid).expect("the package is in the database");
    assert!(set.chunks >= 4, "a package of {sealed_bytes} bytes fills several chunks: {set:?}");
    for seq in 0..set.chunks - 1 {
        let chunk = app.store.package_chunk(&pid, u32::try_from(seq).unwrap()).await.unwrap().unwrap();
        assert_eq!(chunk.len(), CHUNK_BYTES, "chunk {seq}");
    }
    let stored = app.stored_package(&pid).await;
    assert!(!app.files.path().join("productions").join(format!("{pid}.age")).exists());

    // Downloaded, it is byte for byte the package sealed: the size and hash the log
    // committed to, and what the stored chunks decrypt to under the production's data key.
    let authority = app.token("fr-tj-paris");
    let download = format!("/v1/requests/{id}/productions/{pid}/package");
    let (status, headers, package) = authority.get_bytes(&download).await;
    assert_eq!(status, 200);
    assert_eq!(package.len() as u64, sealed_bytes);
    assert_eq!(sha256(&package), sealed_sha);
    assert_eq!(headers["comity-package-sha256"], sealed_sha.as_str());
    let server_key = comity_app::DataDir::existing(app.files.path()).unwrap().existing_server_key().unwrap();
    let wrapped = app.store.package_key(&pid).await.unwrap().unwrap();
    let key = DataKey::unwrap(&server_key, &pid, &wrapped).unwrap();
    let mut plain = Vec::new();
    key.decrypt(std::io::Cursor::new(stored)).unwrap().read_to_end(&mut plain).unwrap();
    assert!(plain == package, "the stored chunks decrypt to the package downloaded");
    let identity = app.identity("fr-tj-paris");
    let opened = comity_seal::open_with(&package[..], &identity, None, |_| Ok(std::io::sink())).unwrap();
    assert_eq!(opened.manifest().redaction["records_produced"], 16_000);
    // `comity log verify` reads it back from the chunks too.
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.from_files), (1, 0));

    // Shredded at its date: every chunk goes with the key, in the transaction that logs it.
    app.app.sweep(retention_end() + Duration::seconds(1)).await.unwrap();
    assert!(app.stored_package(&pid).await.is_empty());
    assert!(app.store.package_chunk_sets().await.unwrap().is_empty());
    assert_eq!(app.store.package_key(&pid).await.unwrap(), None);
    assert_eq!(authority.get(&download).await.0, 410);
    let checked = app.app.check_packages().await.unwrap().unwrap();
    assert_eq!((checked.kept, checked.shredded), (0, 1));
}

/// What a server killed while sealing leaves: the production started (its fact logged),
/// part of its package written, no data key.
async fn interrupted(app: &TestApp, id: &str, production: &str, written_at: DateTime<Utc>) {
    let request = app.store.request(RequestId::parse(id).unwrap()).await.unwrap().unwrap();
    let started = Fact::ProductionStarted(journal::ProductionStarted {
        production: production.to_owned(),
        request: request.id,
        decision: 1,
        export_sha256: "0".repeat(64),
        export_bytes: 1,
        records: 1,
        in_scope: 1,
        retention_until: "2030-12-31".to_owned(),
    });
    let entry = NewEntry {
        party: Some(request.provider.clone()),
        request_id: Some(request.id),
        ..NewEntry::new(Utc::now().trunc_subsecs(6), ActorId::parse("legal@example-mail").unwrap(), started)
    };
    app.store.append_journal(&[entry]).await.unwrap();
    for seq in 0..2 {
        app.store.put_package_chunk(production, seq, vec![7; 4096], written_at).await.unwrap();
    }
}

async fn a_sealing_a_crash_interrupted_leaves_no_chunks_behind(app: TestApp) {
    let id = approved(&app).await;
    let (dead, live) = ("prod-aaaaaaaaaaaaaaaa", "prod-bbbbbbbbbbbbbbbb");
    // One whose server died over an hour ago; one another server is sealing right now.
    interrupted(&app, &id, dead, Utc::now() - Duration::minutes(61)).await;
    interrupted(&app, &id, live, Utc::now() - Duration::seconds(5)).await;
    // A real production beside them, sealed: its chunks are never an unfinished package's.
    let export = export();
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    let sealed = produced["id"].as_str().unwrap().to_owned();
    // `comity log verify` does not take a sealing for a package.
    assert_eq!(app.app.check_packages().await.unwrap().unwrap().kept, 1);

    // The sweep marks the dead one failed, saying why, and deletes its chunks.
    let swept = app.app.sweep(Utc::now()).await.unwrap();
    assert_eq!(swept.unfinished_packages, vec![dead.to_owned()]);
    assert!(app.stored_package(dead).await.is_empty());
    assert!(!app.stored_package(live).await.is_empty(), "a live sealing is left alone");
    assert!(!app.stored_package(&sealed).await.is_empty(), "a sealed package is left alone");
    let provider = app.provider_of(&id).await;
    let (status, p) = provider.get(&format!("/v1/requests/{id}/productions/{dead}")).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["status"], "failed", "{p}");
    assert!(p["failure"].as_str().unwrap().contains("interrupted while sealing"), "{p}");

    // An hour on, the other one is taken for dead too; the sealed package stays.
    let later = app.app.clear_interrupted_packages(Utc::now() + Duration::minutes(61)).await.unwrap();
    assert_eq!(later, vec![live.to_owned()]);
    let sets = app.store.package_chunk_sets().await.unwrap();
    assert_eq!(sets.iter().map(|s| s.production.as_str()).collect::<Vec<_>>(), vec![sealed.as_str()]);
    assert_eq!(app.app.check_packages().await.unwrap().unwrap().kept, 1);
}

async fn a_production_key_is_sealed_in_the_database_and_a_file_from_before_still_signs(app: TestApp) {
    let id = approved(&app).await;
    let provider = PartyId::parse("example-mail").unwrap();
    let export = export();
    let registers = app.operator().registers();
    let kid = registers.production_keys("example-mail").await.unwrap().last().unwrap().key.clone();

    // The private half is in the database, sealed: not in the clear there, not a file.
    let sealed = app.store.production_key(&provider, &kid).await.unwrap().expect("kept in the database");
    let text = String::from_utf8_lossy(&sealed);
    assert!(!text.contains("\"d\"") && !text.contains("OKP"), "the private key is in the clear");
    assert!(!app.files.path().join("production-keys").exists());
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    assert_eq!(produced["package"]["kid"], kid.as_str(), "{produced}");

    // A key registered by an older comity: its public half in the journal, its private half
    // a file of the data directory. Without the file, refused before anything is logged,
    // naming the file and the fix.
    let old = SigningKey::generate();
    let old_kid = old.public().thumbprint();
    let fact = Fact::ProductionKeyAdded(journal::ProductionKeyAdded {
        provider: provider.clone(),
        kid: KeyId::parse(&old_kid).unwrap(),
        public_key: old.public().to_bytes(),
    });
    let entry = NewEntry {
        party: Some(provider.clone()),
        ..NewEntry::new(Utc::now().trunc_subsecs(6), ActorId::parse("operator@cli").unwrap(), fact)
    };
    app.store.append_journal(&[entry]).await.unwrap();
    let (status, body) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("production-keys/example-mail.jwk")
            && message.contains("comity provider key generate --provider example-mail"),
        "{message}"
    );

    // With the file, it signs.
    let path = comity_app::key_path(app.files.path(), &provider);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, old.to_jwk_private()).unwrap();
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    assert_eq!(produced["package"]["kid"], old_kid.as_str(), "{produced}");
    let pid = produced["id"].as_str().unwrap();
    let (status, _, package) =
        app.token("fr-tj-paris").get_bytes(&format!("/v1/requests/{id}/productions/{pid}/package")).await;
    assert_eq!(status, 200);
    let identity = app.identity("fr-tj-paris");
    comity_seal::open_with(&package[..], &identity, Some(&old.public()), |_| Ok(std::io::sink()))
        .expect("signed with the key of the file");

    // A file holding another key is refused, naming it.
    std::fs::write(&path, SigningKey::generate().to_jwk_private()).unwrap();
    let (status, body) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not example-mail's registered production key"),
        "{body}"
    );

    // A new key goes to the database, and signs from then on whatever the file holds.
    let (added, _) = registers.generate_production_key("example-mail").await.unwrap();
    let (status, produced) = app.produce(&id, &export, "retention_until=2030-12-31").await;
    assert_eq!(status, 201, "{produced}");
    assert_eq!(produced["package"]["kid"], added.key.as_str(), "{produced}");
}

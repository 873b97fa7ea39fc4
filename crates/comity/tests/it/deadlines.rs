//! `comity deadlines`: what is due at a time, and acting on it exactly once, across a
//! `kill -9` in the middle of a sweep (issue 13).

use std::{process::Command, time::Duration};

use comity_core::{Fact, FactKind, JournalQuery};
use serde_json::Value;

use crate::support::{BIN, Data, Server, Trust, UNLIMITED, comity, comity_ok, example};

crate::both_databases!(
    #[tokio::test]
    a_sweep_killed_halfway_acts_on_every_deadline_exactly_once,
    an_objection_for_conflicting_obligations_suspends_the_deadline_listed,
);

/// The deadlines due ten days and a day from now, as `comity deadlines --json` lists them:
/// (running, acted on).
fn listed(data: &Data) -> (usize, usize) {
    let out = comity_ok(&["deadlines", "--at", "+11d", "--json"], Some(data));
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let acted = rows.iter().filter(|r| r["acted"] == true).count();
    (rows.len() - acted, acted)
}

async fn a_sweep_killed_halfway_acts_on_every_deadline_exactly_once(data: Data) {
    const N: usize = 120;
    let client = reqwest::Client::new();
    let server = Server::start(&data, &UNLIMITED);
    let trust = Trust::setup(&server, &data).await;
    for n in 0..N {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["reference"] = format!("REF-DEADLINE-{n}").into();
        let r = trust.submit(&client, &server, &doc).await;
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    }
    drop(server);

    // Now nothing is due; in ten days and a day every answer is (e-Evidence Art 10(1)).
    let now = comity_ok(&["deadlines", "--json"], Some(&data));
    assert_eq!(now.trim(), "[]");
    assert_eq!(listed(&data), (N, 0));
    let table = comity_ok(&["deadlines", "--at", "+11d"], Some(&data));
    assert!(table.starts_with("DUE"), "{table}");
    assert!(table.contains("respond_by") && table.contains("overdue"), "{table}");
    let bad = comity(&["deadlines", "--at", "next week"], Some(&data));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--at \"next week\""));

    // Act, and kill -9 the sweep once it has acted on some.
    let mut sweep = Command::new(BIN);
    sweep.args(["deadlines", "--apply", "--at", "+11d"]).args(data.args());
    sweep.env_remove("COMITY_DATA_DIR").env_remove("COMITY_DATABASE_URL");
    let mut child = sweep.stdout(std::process::Stdio::null()).spawn().unwrap();
    let mut killed_midway = false;
    for _ in 0..3000 {
        let (running, _) = listed(&data);
        if running < N {
            killed_midway = child.try_wait().unwrap().is_none();
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the sweep ended before acting on anything");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (running, acted) = listed(&data);
    assert_eq!(running + acted, N);
    eprintln!("killed with {acted} of {N} acted on (mid-sweep: {killed_midway})");

    // Again: the rest, and nothing twice.
    comity_ok(&["deadlines", "--apply", "--at", "+11d"], Some(&data));
    assert_eq!(listed(&data), (0, N), "every answer is overdue, each listed once until answered");
    let again = comity_ok(&["deadlines", "--apply", "--at", "+12d", "--json"], Some(&data));
    assert_eq!(again.trim(), "[]", "a third sweep finds nothing to do");

    let (url, dir) = match &data {
        Data::Sqlite(dir) => (None, dir.path()),
        Data::Postgres(db, dir) => (Some(db.url()), dir.path()),
    };
    let store = comity_store::open(url, dir).await.unwrap();
    let expired = store.journal(&JournalQuery::kinds(&[FactKind::ClockExpired])).await.unwrap();
    let mut requests: Vec<String> = expired
        .iter()
        .map(|j| match &j.fact {
            Fact::ClockExpired(c) => c.request.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(requests.len(), N, "one clock.expired per deadline");
    requests.sort();
    requests.dedup();
    assert_eq!(requests.len(), N, "no deadline acted on twice");
    store.close().await;
    // And the audit log still verifies against the store.
    let verify = comity(&["log", "verify"], Some(&data));
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}

/// An objection for conflicting obligations suspends the answer's deadline (Regulation (EU)
/// 2023/1543 Art 17), as `comity deadlines --at ... --json` shows: of two requests received
/// together, only the one without an objection is due ten days and a day on.
async fn an_objection_for_conflicting_obligations_suspends_the_deadline_listed(data: Data) {
    let client = reqwest::Client::new();
    let server = Server::start(&data, &UNLIMITED);
    let trust = Trust::setup(&server, &data).await;
    let mut ids = Vec::new();
    for n in 0..2 {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["reference"] = format!("REF-CONFLICT-{n}").into();
        let r = trust.submit(&client, &server, &doc).await;
        assert_eq!(r.status().as_u16(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let objection = serde_json::json!({"third_country": "US", "law": "18 U.S.C. § 2702(a)",
        "reasoning": "stored in the United States for a US person"});
    let r = client
        .post(server.url(&format!("/v1/requests/{}/conflicting-obligations", ids[1])))
        .bearer_auth(&trust.handler)
        .json(&objection)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    drop(server);

    let out = comity_ok(&["deadlines", "--at", "+11d", "--json"], Some(&data));
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let listed: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (r["request"].as_str().unwrap(), r["deadline"].as_str().unwrap(), r["outcome"].as_str().unwrap())
        })
        .collect();
    assert_eq!(listed, [(ids[0].as_str(), "respond_by", "overdue")], "{out}");
}

/// `comity representative add|list|register` (issue 13, item 6): the operator registers a
/// representative of the person concerned, and then registers it for a request on the
/// mandate shown; a second registration is refused, and the journal keeps a commitment to
/// the person, never the identifier.
#[tokio::test]
async fn the_operator_registers_a_representative_for_a_request_at_the_command_line() {
    let data = Data::sqlite();
    let client = reqwest::Client::new();
    let server = Server::start(&data, &UNLIMITED);
    let trust = Trust::setup(&server, &data).await;
    let r = trust.submit(&client, &server, &example("eu-epoc-traffic.json")).await;
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    drop(server);

    let add = ["representative", "add", "--id", "ie-solicitor", "--country", "IE", "--name", "A solicitor"];
    assert!(comity_ok(&add, Some(&data)).contains("registered representative ie-solicitor"));
    assert!(comity_ok(&["representative", "list"], Some(&data)).contains("ie-solicitor"));
    let register = [
        "representative",
        "register",
        "--request",
        &id,
        "--representative",
        "ie-solicitor",
        "--represents",
        "invest.desk@example.org",
        "--mandate",
        "power of attorney",
    ];
    let out = comity_ok(&register, Some(&data));
    assert!(out.contains(&format!("ie-solicitor registered for {id}")), "{out}");
    let again = comity(&register, Some(&data));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));

    let Data::Sqlite(dir) = &data else { unreachable!() };
    let store = comity_store::open(None, dir.path()).await.unwrap();
    let rid = comity_core::RequestId::parse(&id).unwrap();
    let facts = store
        .journal(&JournalQuery::kinds(&[FactKind::RepresentativeRegistered]).request(rid))
        .await
        .unwrap();
    assert_eq!(facts.len(), 1);
    assert!(!facts[0].content.contains("invest.desk"), "{}", facts[0].content);
    assert!(
        matches!(&facts[0].fact, Fact::RepresentativeRegistered(r) if r.representative.as_str() == "ie-solicitor")
    );
    assert!(facts[0].actor.as_str().starts_with("cli:"), "{}", facts[0].actor);
    store.close().await;
}

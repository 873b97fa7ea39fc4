//! Policy packs reviewable by civil society (issue 16, item 8): every pack version comity
//! judged with is kept once, across restarts, with its exact text; the API and the pages
//! show each pack's history, its versions' rules and what changed between them, publicly;
//! how many requests each version judged only to those who read aggregates; and a
//! request's page links to the version that judged it.

use comity_server::{Application, Config, HttpConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{Backend, TestApp, example};

crate::both_backends!(
    the_packs_and_their_texts_are_public_and_the_counts_are_aggregates,
    the_pages_show_each_version_and_link_the_request_to_the_version_that_judged_it,
);

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn policy(file: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies").join(file),
    )
    .unwrap()
}

fn pack<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["packs"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("{id}: {list}"))
}

async fn the_packs_and_their_texts_are_public_and_the_counts_are_aggregates(app: TestApp) {
    let anonymous = app.anonymous();
    let (status, list) = anonymous.get("/v1/packs").await;
    assert_eq!(status, 200, "{list}");
    let mut ids: Vec<&str> =
        list["packs"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["coe-budapest", "eu-e-evidence", "mlat", "national-security", "us-cloud-act"]);
    let eu = pack(&list, "eu-e-evidence");
    assert_eq!(eu["applies_to"], "instrument eu-e-evidence");
    let versions = eu["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{eu}");
    let v = &versions[0];
    let text = policy("eu-e-evidence.toml");
    assert_eq!(v["hash"], hex(text.as_bytes()), "the hash is the SHA-256 of the file");
    assert_eq!((v["in_force"].as_bool(), v["text_kept"].as_bool()), (Some(true), Some(true)));
    assert!(v["first_seen"].is_string() && v["log_index"].is_u64(), "{v}");
    assert!(v.get("requests_judged").is_none(), "counts of requests are not public: {v}");

    // A request judged: those who read aggregates see it counted; an authority does not.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let (_, list) = app.token("example-mail").get("/v1/packs").await;
    assert_eq!(pack(&list, "eu-e-evidence")["versions"][0]["requests_judged"], 1, "{list}");
    assert_eq!(pack(&list, "mlat")["versions"][0]["requests_judged"], 0, "{list}");
    let (_, list) = app.token("fr-tj-paris").get("/v1/packs").await;
    assert!(pack(&list, "eu-e-evidence")["versions"][0].get("requests_judged").is_none(), "{list}");
    // The request's screening names the version by the same hash.
    let (_, screenings) = app.token("example-mail").get(&format!("/v1/requests/{id}/screenings")).await;
    assert_eq!(screenings[0]["pack"]["hash"], v["hash"], "{screenings}");

    // The text, byte for byte, by version or by the first 12 digits of its hash.
    let (status, kept) = anonymous.get("/v1/packs/eu-e-evidence/versions/2026.3").await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept["text"], text.as_str());
    assert_eq!((kept["id"].as_str(), kept["version"].as_str()), (Some("eu-e-evidence"), Some("2026.3")));
    let short = &v["hash"].as_str().unwrap()[..12];
    let (status, by_hash) = anonymous.get(&format!("/v1/packs/eu-e-evidence/versions/{short}")).await;
    assert_eq!((status, &by_hash["text"]), (200, &kept["text"]));
    let (status, body) = anonymous.get("/v1/packs/eu-e-evidence/versions/2019.1").await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2026.3"), "it names the versions: {body}");
    let (status, _) = anonymous.get("/v1/packs/no-such-pack/versions/1").await;
    assert_eq!(status, 404);

    // Compared with itself, a version is equal; a version that does not exist is named.
    let (status, same) = anonymous.get("/v1/packs/eu-e-evidence/diff?from=2026.3&to=2026.3").await;
    assert_eq!(status, 200, "{same}");
    assert_eq!((same["equal"].as_bool(), same["rules"].as_array().map(Vec::len)), (Some(true), Some(0)));
    let (status, body) = anonymous.get("/v1/packs/eu-e-evidence/diff?from=2019.1").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["path"], "from", "{body}");
    // The first version has nothing before it; the error says to name one.
    let (status, body) = anonymous.get("/v1/packs/eu-e-evidence/diff").await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("no_earlier_version")), "{body}");
    let (status, body) = anonymous.get("/v1/packs/eu-e-evidence/diff?since=2026.3").await;
    assert_eq!(status, 400, "an unknown parameter is named: {body}");
}

async fn the_pages_show_each_version_and_link_the_request_to_the_version_that_judged_it(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let hash = hex(policy("eu-e-evidence.toml").as_bytes());
    let page = |path: String, lang: &'static str| {
        let client = app.client.clone();
        let url = app.url(&path);
        async move {
            let r = client.get(url).header("accept-language", lang).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The public home and the footer of every page lead to the packs.
    let (_, home) = page("/".into(), "en").await;
    assert!(home.contains("href=\"/packs\""), "{home}");

    let (status, index) = page("/packs".into(), "en").await;
    assert_eq!(status, 200);
    for id in ["eu-e-evidence", "us-cloud-act", "coe-budapest", "mlat", "national-security"] {
        assert!(index.contains(&format!("/packs/{id}/versions/")), "{id} links to its version: {index}");
    }
    assert!(index.contains(&hash[..12]), "{index}");
    assert!(index.contains("read aggregates"), "says why no counts are shown: {index}");
    let (_, index_fr) = page("/packs".into(), "fr").await;
    assert!(index_fr.contains("<h1>Référentiels</h1>"), "{index_fr}");

    let (status, version) = page(format!("/packs/eu-e-evidence/versions/{hash}"), "en").await;
    assert_eq!(status, 200, "{version}");
    assert!(
        version.contains("eu.issuer") && version.contains("Regulation (EU) 2023/1543 Art 4(2)"),
        "{version}"
    );
    assert!(version.contains("max_window_days") && version.contains("366"), "its settings: {version}");
    assert!(version.contains("ne_bis_in_idem"), "its grounds: {version}");
    assert!(version.contains("the first version comity kept"), "{version}");
    let (status, _) = page("/packs/eu-e-evidence/versions/1999.1".into(), "en").await;
    assert_eq!(status, 404);

    // On the request's page, the version that judged it links to its rules.
    let legal = crate::portal::signed_in(&app, "example-mail", "legal.packs").await;
    let request = legal.get(app.url(&format!("/requests/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(request.contains(&format!("href=\"/packs/eu-e-evidence/versions/{hash}\"")), "{request}");
}

/// A server's configuration on a data directory and, for PostgreSQL, a database, with
/// `packs`, its cookies sent over plain HTTP as the test reaches it.
fn config(dir: &std::path::Path, database_url: Option<&str>, packs: comity_policy::PackSet) -> Config {
    Config {
        http: HttpConfig { secure_cookies: false, ..HttpConfig::default() },
        ..crate::support::config(dir, database_url, packs)
    }
}

/// The built-in packs, with the e-Evidence pack changed as a pull request would: version
/// 2026.4, at most 5 targets, the anti-bulk rule taken out.
fn changed_packs() -> comity_policy::PackSet {
    let mut files: Vec<(String, String)> =
        comity_policy::BUILTIN_PACKS.iter().map(|(f, t)| ((*f).to_owned(), (*t).to_owned())).collect();
    let eu = files.iter_mut().find(|(f, _)| f == "eu-e-evidence.toml").unwrap();
    let start = eu.1.find("[[rule]]\nid = \"general.bulk\"").unwrap();
    let end = start + 8 + eu.1[start + 8..].find("\n[[").unwrap() + 1;
    eu.1 = format!("{}{}", &eu.1[..start], &eu.1[end..])
        .replace("version = \"2026.3\"", "version = \"2026.4\"")
        .replace("max_targets = 10", "max_targets = 5");
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
    comity_policy::PackSet::parse(&borrowed).unwrap()
}

/// Starts a server, runs `check` on it, and stops it, as an operator restarting comity.
async fn run_once<F, Fut, T>(config: Config, check: F) -> T
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let application = Application::build(config).await.unwrap();
    let base = format!("http://{}", application.address());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(application.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let checked = check(base).await;
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    checked
}

async fn versions_of(base: &str, id: &str) -> Vec<Value> {
    let list: Value = reqwest::get(format!("{base}/v1/packs")).await.unwrap().json().await.unwrap();
    pack(&list, id)["versions"].as_array().unwrap().clone()
}

/// Each distinct text is kept once however often the server starts, and a new one when a
/// pack changes; the old stays, no longer in force, and the two compare rule by rule.
async fn kept_once_per_hash_across_restarts(backend: Backend) {
    let files = tempfile::tempdir().unwrap();
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => match comity_store::testing::TestDatabase::create().await {
            Some(db) => Some(db),
            None => return,
        },
    };
    let url = pg.as_ref().map(|db| db.url().to_owned());
    let builtin = || comity_policy::PackSet::builtin().unwrap();

    let mut first_seen = Vec::new();
    for _ in 0..2 {
        let seen = run_once(config(files.path(), url.as_deref(), builtin()), |base| async move {
            let versions = versions_of(&base, "eu-e-evidence").await;
            assert_eq!(versions.len(), 1, "{versions:?}");
            versions[0]["first_seen"].clone()
        })
        .await;
        first_seen.push(seen);
    }
    assert_eq!(first_seen[0], first_seen[1], "kept once, when first seen");

    run_once(config(files.path(), url.as_deref(), changed_packs()), |base| async move {
        let versions = versions_of(&base, "eu-e-evidence").await;
        let seen: Vec<(&str, bool)> = versions
            .iter()
            .map(|v| (v["version"].as_str().unwrap(), v["in_force"].as_bool().unwrap()))
            .collect();
        assert_eq!(seen, [("2026.3", false), ("2026.4", true)]);
        assert_eq!(versions_of(&base, "mlat").await.len(), 1, "an unchanged pack keeps one version");
        // By default, the version in force against the one before it.
        let diff: Value =
            reqwest::get(format!("{base}/v1/packs/eu-e-evidence/diff")).await.unwrap().json().await.unwrap();
        assert_eq!(
            (diff["from"]["version"].as_str(), diff["to"]["version"].as_str()),
            (Some("2026.3"), Some("2026.4"))
        );
        let rules: Vec<(&str, &str)> = diff["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["rule"].as_str().unwrap(), r["change"].as_str().unwrap()))
            .collect();
        assert_eq!(rules, [("general.bulk", "removed"), ("general.max_targets", "changed")], "{diff}");
        assert_eq!(diff["settings"][0]["setting"], "max_targets");
        assert_eq!(
            (diff["settings"][0]["old"].as_u64(), diff["settings"][0]["new"].as_u64()),
            (Some(10), Some(5))
        );
        // The page of the new version shows the change, with the rule's citation.
        let hash = versions[1]["hash"].as_str().unwrap();
        let page = reqwest::get(format!("{base}/packs/eu-e-evidence/versions/{hash}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Changes from version 2026.3"), "{page}");
        assert!(page.contains("general.bulk") && page.contains("seed norms: many narrow requests"), "{page}");
        let index = reqwest::get(format!("{base}/packs")).await.unwrap().text().await.unwrap();
        assert!(index.contains("changes from 2026.3"), "{index}");
    })
    .await;

    // Back to the built-in packs: nothing new is kept, and the old version is in force again.
    run_once(config(files.path(), url.as_deref(), builtin()), |base| async move {
        let versions = versions_of(&base, "eu-e-evidence").await;
        let seen: Vec<(&str, bool)> = versions
            .iter()
            .map(|v| (v["version"].as_str().unwrap(), v["in_force"].as_bool().unwrap()))
            .collect();
        assert_eq!(seen, [("2026.3", true), ("2026.4", false)]);
    })
    .await;
}

#[tokio::test]
async fn each_pack_version_is_kept_once_across_restarts_sqlite() {
    kept_once_per_hash_across_restarts(Backend::Sqlite).await;
}

#[tokio::test]
async fn each_pack_version_is_kept_once_across_restarts_postgres() {
    kept_once_per_hash_across_restarts(Backend::Postgres).await;
}

/// The pages in a real browser, checked by axe-core in both languages: the list, and a
/// version with the changes from the one before it.
#[tokio::test]
async fn the_packs_pages_are_accessible() {
    let Some(driver) = crate::portal::driver().await else { return };
    let app =
        crate::support::spawn_app_configured(Backend::Sqlite, |c| c.packs = changed_packs()).await.unwrap();
    // The version before, as a server with the built-in packs kept it a day ago.
    let (file, text) = comity_policy::BUILTIN_PACKS.iter().find(|(f, _)| *f == "eu-e-evidence.toml").unwrap();
    let before = comity_policy::Pack::parse(file, text).unwrap();
    let fact = comity_core::journal::PackAdopted {
        pack: before.id.clone(),
        version: before.version.clone(),
        hash: before.hash.clone(),
        text: (*text).to_owned(),
        house: None,
    };
    let at = chrono::Utc::now() - chrono::Duration::days(1);
    let entry =
        comity_core::NewEntry::new(at, comity_core::ActorId::system(), comity_core::Fact::PackAdopted(fact));
    app.store.append_journal(&[entry]).await.unwrap();

    let downloads = tempfile::tempdir().unwrap();
    let browser = crate::portal::browser(&driver, "en", downloads.path()).await;
    browser.goto(&app.url("/packs")).await.unwrap();
    crate::portal::assert_accessible_in_both(&browser, "the policy packs").await;
    let (_, list) = app.anonymous().get("/v1/packs").await;
    let newer = pack(&list, "eu-e-evidence")["versions"][1]["hash"].as_str().unwrap().to_owned();
    browser.goto(&app.url(&format!("/packs/eu-e-evidence/versions/{newer}"))).await.unwrap();
    let changes = crate::portal::text_of(&browser, "#changes").await;
    assert_eq!(changes, "Changes from version 2026.3");
    crate::portal::assert_accessible_in_both(&browser, "a version of a policy pack, with its changes").await;
    browser.close().await.unwrap();
}

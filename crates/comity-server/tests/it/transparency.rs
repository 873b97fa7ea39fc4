//! Issue 16's acceptance, reports from the log: "a test builds a known history (both
//! databases, fixed clock): every figure of the report equals the count by hand";
//! "national-security figures are absent before the delay and banded after it, and their
//! commitments open"; "the CSV parses with Python's `csv` module and matches the JSON".
//! (`comity transparency verify` against a served log is `crates/comity/tests/it/transparency_cli.rs`.)

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{TestApp, example, export};

crate::both_backends!(
    every_figure_is_the_count_by_hand,
    national_security_is_banded_after_its_delay_and_committed,
    the_art_28_statistics_of_an_issuing_authority,
    a_private_release_keeps_its_noisy_figures_and_spends_its_budget_once,
);

/// The figures a list of (document, outcome, clarifications) gives, counted here from the
/// documents themselves: the hand count the report must equal.
fn by_hand(history: &[(Value, &str, u64)]) -> (BTreeMap<String, u64>, BTreeMap<(String, String), u64>) {
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    let mut cells: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut add = |table: &str, key: &str| *cells.entry((table.to_owned(), key.to_owned())).or_default() += 1;
    for (doc, outcome, clarifications) in history {
        *totals.entry("requests".into()).or_default() += 1;
        *totals.entry("accounts".into()).or_default() += doc["targets"].as_array().unwrap().len() as u64;
        let emergency = doc["emergency"].as_bool().unwrap_or(false);
        *totals.entry("emergency".into()).or_default() += u64::from(emergency);
        let nondisclosure = doc["nondisclosure"]["requested"].as_bool().unwrap_or(false);
        *totals.entry("nondisclosure".into()).or_default() += u64::from(nondisclosure);
        *totals.entry("clarifications".into()).or_default() += clarifications;
        add("issuing_country", doc["issuing"]["country"].as_str().unwrap());
        add("instrument", doc["instrument"].as_str().unwrap());
        add("kind", doc["kind"].as_str().unwrap());
        for c in doc["data_categories"].as_array().unwrap() {
            add("data_category", c.as_str().unwrap());
        }
        add("emergency", if emergency { "emergency" } else { "ordinary" });
        add("outcome", outcome);
    }
    (totals, cells)
}

async fn report(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.anonymous().get(&format!("/v1/transparency?{query}")).await;
    assert_eq!(status, 200, "the report is public: {body}");
    body
}

fn period(start: chrono::DateTime<Utc>) -> String {
    let end = Utc::now() + Duration::minutes(1);
    format!(
        "from={}&to={}",
        start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

async fn every_figure_is_the_count_by_hand(app: TestApp) {
    let start = Utc::now() - Duration::minutes(1);
    let mut history: Vec<(Value, &str, u64)> = Vec::new();

    let traffic = example("eu-epoc-traffic.json");
    let delivered = app.submit(&traffic).await;
    assert_eq!(app.move_to(&delivered, "approved").await.0, 200);
    app.deliver(&delivered, &export()).await;
    history.push((traffic.clone(), "produced", 0));

    let budapest = example("coe-budapest-subscriber.json");
    let clarified = app.submit(&budapest).await;
    let (status, body) = app.move_to(&clarified, "clarification_requested").await;
    assert_eq!(status, 200, "{body}");
    history.push((budapest, "pending", 1));

    let mlat = example("mlat-content.json");
    let rejected = app.submit(&mlat).await;
    let (status, body) = app.move_to(&rejected, "rejected").await;
    assert_eq!(status, 200, "{body}");
    history.push((mlat, "rejected", 0));

    let withdrawn = app.submit(&traffic).await;
    let (status, body) = app.move_to(&withdrawn, "withdrawn").await;
    assert_eq!(status, 200, "{body}");
    history.push((traffic.clone(), "withdrawn", 0));

    let emergency = example("eu-epoc-emergency-subscriber.json");
    app.submit(&emergency).await;
    history.push((emergency, "pending", 0));

    app.checkpoint_now().await;
    let body = report(&app, &period(start)).await;
    let (totals, cells) = by_hand(&history);
    for (name, n) in &totals {
        assert_eq!(body["totals"][name], *n, "totals.{name}: {body}");
    }
    assert_eq!(body["totals"]["notices_sent"], 0);
    assert_eq!(body["totals"]["remedies"], 0);
    let mut published: BTreeMap<(String, String), u64> = BTreeMap::new();
    for b in body["breakdowns"].as_array().unwrap() {
        for r in b["rows"].as_array().unwrap() {
            published.insert(
                (b["name"].as_str().unwrap().to_owned(), r["key"].as_str().unwrap().to_owned()),
                r["requests"].as_u64().unwrap(),
            );
        }
    }
    assert_eq!(published, cells, "every cell is the hand count, and no other is published");

    // The JSON is what its published schema says.
    let (status, schema) = app.anonymous().get("/v1/schemas/transparency-report").await;
    assert_eq!(status, 200);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator.iter_errors(&body).map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "{problems:?}");

    // A State's view: France's requests only.
    let fr = report(&app, &format!("{}&country=FR", period(start))).await;
    assert_eq!(fr["totals"]["requests"], 2, "{fr}");
    assert_eq!(fr["country"], "FR");

    // An authority's view, for the authority and the aggregates' readers: the figures of
    // the requests it issued, counted by hand from its documents.
    let paris: Vec<(Value, &str, u64)> =
        history.iter().filter(|(doc, _, _)| doc["issuing"]["authority"] == "fr-tj-paris").cloned().collect();
    let (paris_totals, paris_cells) = by_hand(&paris);
    let path = format!("/v1/transparency/authorities/fr-tj-paris?{}", period(start));
    let (status, own) = app.token("fr-tj-paris").get(&path).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["authority"], "fr-tj-paris");
    for (name, n) in &paris_totals {
        assert_eq!(own["totals"][name], *n, "totals.{name}: {own}");
    }
    let outcome = |body: &Value, key: &str| -> Option<u64> {
        body["breakdowns"].as_array().unwrap().iter().find(|b| b["name"] == "outcome")?["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)?["requests"]
            .as_u64()
    };
    for outcome_key in ["produced", "withdrawn"] {
        let want = paris_cells.get(&("outcome".to_owned(), outcome_key.to_owned())).copied();
        assert_eq!(outcome(&own, outcome_key), want, "{outcome_key}: {own}");
    }
    let (status, _) = app.admin().get(&path).await;
    assert_eq!(status, 200, "the operator reads the aggregates");
    let (status, other) = app.token("de-sta-berlin").get(&path).await;
    assert_eq!(status, 403, "another authority's view: {other}");
    let (status, _) = app.anonymous().get(&path).await;
    assert_eq!(status, 401, "not public: the log names no party");
    let (status, missing) =
        app.admin().get(&format!("/v1/transparency/authorities/xx-nobody?{}", period(start))).await;
    assert_eq!(status, 404, "{missing}");
    let (status, bad) =
        app.anonymous().get(&format!("/v1/transparency?{}&country=France", period(start))).await;
    assert_eq!(status, 422, "{bad}");
    let (status, _) = app.anonymous().get("/v1/transparency?from=2027-01-01T00:00:00Z").await;
    assert_eq!(status, 400, "no end to the period");
    let (status, bad) =
        app.anonymous().get("/v1/transparency?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z").await;
    assert_eq!(status, 422, "{bad}");

    // The CSV, read by Python's csv module, holds exactly the JSON's figures.
    let csv =
        app.client.get(app.url(&format!("/v1/transparency.csv?{}", period(start)))).send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("\r\n"), "RFC 4180 lines end with CRLF");
    let parsed = python_csv(&csv);
    let rows: Vec<(String, String, String)> = parsed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["table"].as_str().unwrap().into(),
                r["key"].as_str().unwrap().into(),
                r["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    let again = report(&app, &period(start)).await;
    let json: comity_wire::transparency::TransparencyReport = serde_json::from_value(again).unwrap();
    assert_eq!(rows, json.figures(), "the CSV's rows are the JSON's figures");
    for (name, n) in &totals {
        assert!(rows.contains(&("totals".into(), name.clone(), n.to_string())), "{name} in the CSV");
    }

    // The public page: the same figures, a chart and a table for each breakdown.
    let page = app
        .client
        .get(app.url(&format!("/transparency?from={}&to={}", start.date_naive(), Utc::now().date_naive())))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("role=\"img\"") && page.contains("<table"), "{page}");
    assert!(page.contains("comity transparency verify --url"), "the page says how to check it");
    let wrong = app.client.get(app.url("/transparency?from=2027-13-01")).send().await.unwrap();
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("id=\"from-error\""));
}

/// Rows of a CSV as Python's `csv.DictReader` reads them, as JSON.
fn python_csv(csv: &str) -> Value {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys; data = sys.stdin.buffer.read().decode('utf-8'); \
             print(json.dumps(list(csv.DictReader(io.StringIO(data, newline='')))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(csv.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn national_security_is_banded_after_its_delay_and_committed(app: TestApp) {
    let start = Utc::now() - Duration::minutes(1);
    let mut doc = example("eu-epoc-traffic.json");
    doc["purpose"] = json!("national_security");
    let id = app.submit(&doc).await;
    app.submit(&example("eu-epoc-traffic.json")).await;
    app.checkpoint_now().await;
    let body = report(&app, &period(start)).await;
    assert_eq!(
        body["totals"]["requests"], 1,
        "the national-security request is not in the exact figures: {body}"
    );
    assert!(body["national_security"]["requests"].is_null(), "absent before the delay: {body}");
    assert_eq!(body["national_security"]["band"], 500);
    assert_eq!(body["national_security"]["delay_days"], 180);
    // After the delay (time as a value): banded.
    let to = Utc::now() + Duration::minutes(1);
    let later = app.app.transparency_report(start, to, None, to + Duration::days(181)).await.unwrap();
    assert_eq!(later.report.national_security.requests.map(|b| b.to_string()), Some("0-499".to_owned()));

    // Its classification is committed, not shown: the entry's kind says only that it is
    // sealed, and its commitment opens with the salt and the content comity keeps.
    let (status, log) = app.token("example-mail").get(&format!("/v1/requests/{id}/log")).await;
    assert_eq!(status, 200, "{log}");
    let entries = log.as_array().unwrap();
    let sealed = entries
        .iter()
        .find(|e| e["entry"].as_str().unwrap().contains("kind: classified.sealed\n"))
        .unwrap_or_else(|| panic!("no sealed classification among {log}"));
    assert!(
        !entries.iter().any(|e| e["entry"].as_str().unwrap().contains("kind: classified.production")),
        "nothing of the classification in the clear: {log}"
    );
    let facts = app
        .store
        .journal(
            &comity_core::JournalQuery::kinds(&[comity_core::FactKind::RequestClassified])
                .request(comity_core::RequestId::parse(&id).unwrap()),
        )
        .await
        .unwrap();
    let content = &facts[0].content;
    assert!(content.contains("\"sealed\":true") && content.contains("\"country\":\"FR\""), "{content}");
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let salt = b64.decode(sealed["salt"].as_str().unwrap()).unwrap();
    let mut hash = Sha256::new();
    hash.update(&salt);
    hash.update(sealed["actor"].as_str().unwrap().as_bytes());
    hash.update(b"\n");
    hash.update(content.as_bytes());
    let commitment = b64.encode(hash.finalize());
    assert!(
        sealed["entry"].as_str().unwrap().contains(&format!("commitment: {commitment}\n")),
        "the commitment opens: {sealed}"
    );
}

/// Regulation (EU) 2023/1543 Art 28 (issue 16, item 5): an issuing authority's figures for
/// the year, counted by hand from what the test did; for that authority and the aggregates'
/// readers only.
async fn the_art_28_statistics_of_an_issuing_authority(app: TestApp) {
    use chrono::Datelike;
    let traffic = example("eu-epoc-traffic.json");
    let delivered = app.submit(&traffic).await;
    assert_eq!(app.move_to(&delivered, "approved").await.0, 200);
    app.deliver(&delivered, &export()).await;
    let withdrawn = app.submit(&traffic).await;
    assert_eq!(app.move_to(&withdrawn, "withdrawn").await.0, 200);
    app.submit(&example("eu-epoc-emergency-subscriber.json")).await; // de-sta-berlin's
    app.submit(&example("coe-budapest-subscriber.json")).await; // not an e-Evidence order

    let year = Utc::now().year();
    let path = format!("/v1/statistics/e-evidence?authority=fr-tj-paris&year={year}");
    let (status, s) = app.token("fr-tj-paris").get(&path).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["due"], format!("{}-03-31", year + 1));
    assert_eq!(s["by_type"], json!({"epoc": 2}));
    let categories = traffic["data_categories"].as_array().unwrap();
    for c in categories {
        assert_eq!(s["by_data_category"][c.as_str().unwrap()], 2, "{s}");
    }
    assert_eq!(s["by_addressee"], json!({"example-mail": 2}));
    assert_eq!(
        (s["executed"].as_u64(), s["not_executed"].as_u64(), s["open"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(s["emergency"], 0);
    let days = s["average_days_to_data"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&days), "delivered within the test: {s}");
    // Another authority's statistics: refused; the operator reads them; a bad role named.
    let (status, _) = app.token("de-sta-berlin").get(&path).await;
    assert_eq!(status, 403);
    let (status, s) = app.token(crate::support::OPERATOR).get(&path).await;
    assert_eq!(status, 200, "{s}");
    let (status, bad) = app.token("fr-tj-paris").get(&format!("{path}&as=witness")).await;
    assert_eq!(status, 422, "{bad}");
    let (status, _) = app.anonymous().get(&path).await;
    assert_eq!(status, 401);
    // A year whose due date would need five digits, or a negative one: 422 naming it.
    for year in ["-164", "9999"] {
        let (status, bad) = app
            .token("fr-tj-paris")
            .get(&format!("/v1/statistics/e-evidence?authority=fr-tj-paris&year={year}"))
            .await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(bad["error"]["details"][0]["path"], "year", "{bad}");
    }
}

/// Issue 16, item 4: the fine breakdown with differential-privacy noise. A release states
/// its ε and its noise's scale beside every figure, keeps the figures it drew (the public
/// never gets a fresh draw to average), and spends the budget of the requests it counts:
/// overlapping releases add up, and one too many is refused saying what is left;
/// a period no release covered has its whole budget.
async fn a_private_release_keeps_its_noisy_figures_and_spends_its_budget_once(app: TestApp) {
    use comity_core::privacy::{DEFAULT_BUDGET, Epsilon};
    let start = Utc::now() - Duration::minutes(1);
    // Requests whose cells are counted here by hand: (country, categories, outcome).
    let mut exact: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut count = |doc: &Value, outcome: &str| {
        for c in doc["data_categories"].as_array().unwrap() {
            let key = (
                doc["issuing"]["country"].as_str().unwrap().to_owned(),
                c.as_str().unwrap().to_owned(),
                outcome.to_owned(),
            );
            *exact.entry(key).or_default() += 1;
        }
    };
    let traffic = example("eu-epoc-traffic.json");
    let rejected = app.submit(&traffic).await;
    assert_eq!(app.move_to(&rejected, "rejected").await.0, 200);
    count(&traffic, "rejected");
    let mlat = example("mlat-content.json");
    app.submit(&mlat).await;
    count(&mlat, "pending");
    app.submit(&traffic).await;
    count(&traffic, "pending");
    app.checkpoint_now().await;

    let operator = app.operator();
    let now = Utc::now() + Duration::minutes(5);
    let period = (start, Utc::now() + Duration::minutes(1));
    let half = Epsilon::parse("0.5").unwrap();

    // A period that has not ended is refused, naming the flag's field.
    let early = operator.release_private((start, now + Duration::hours(1)), half, DEFAULT_BUDGET, now).await;
    let e = early.unwrap_err();
    assert_eq!(e.code(), "invalid_release", "{e}");
    assert!(e.to_string().contains("release a period once it has ended"), "{e}");

    let first = operator.release_private(period, half, DEFAULT_BUDGET, now).await.unwrap();
    assert_eq!(first.release.number, 1);
    assert!(first.log_index.is_some(), "the release is in the audit log");

    let (status, list) = app.anonymous().get("/v1/transparency/releases").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["budget"], 1.0, "{list}");
    assert_eq!(list["releases"][0]["epsilon"], 0.5, "{list}");
    let (status, one) = app.anonymous().get("/v1/transparency/releases/1").await;
    assert_eq!(status, 200, "releases are public: {one}");
    // Four categories, so a request changes at most four cells: scale 4 / 0.5 = 8.
    let scale = one["scale"].as_f64().unwrap();
    assert!((scale - 8.0).abs() < 1e-9, "{one}");
    let margin = one["margin_95"].as_i64().unwrap();
    assert!(margin > 0, "{one}");
    let cells = one["cells"].as_array().unwrap();
    // Every registered issuing country × five categories (none too) × six outcomes, zeros
    // included: which cells appear depends on the register, never on the requests.
    let (_, parties) = app.admin().get("/v1/admin/authorities").await;
    let mut countries: Vec<&str> =
        parties.as_array().unwrap().iter().map(|p| p["country"].as_str().unwrap()).collect();
    countries.sort_unstable();
    countries.dedup();
    assert_eq!(cells.len(), countries.len() * 5 * 6, "{}", cells.len());
    let mut within = 0;
    for c in cells {
        assert_eq!(c["scale"].as_f64(), Some(scale), "the scale beside each figure: {c}");
        assert_eq!(c["margin_95"].as_i64(), Some(margin));
        let key = (
            c["country"].as_str().unwrap().to_owned(),
            c["data_category"].as_str().unwrap().to_owned(),
            c["outcome"].as_str().unwrap().to_owned(),
        );
        let count = exact.get(&key).copied().unwrap_or(0);
        within += usize::from((c["requests"].as_i64().unwrap() - count).abs() <= margin);
    }
    // 95 % of cells are expected within the margin; fewer than 80 % would take a
    // mechanism that is not centred on the counts.
    assert!(within * 5 >= cells.len() * 4, "{within} of {} cells within ±{margin}", cells.len());
    // The same figures every time: no fresh draw to average.
    let (_, again) = app.anonymous().get("/v1/transparency/releases/1").await;
    assert_eq!(again, one);

    // Overlapping releases add up to the budget (0.5 + 0.5 = 1), and no further.
    let second = operator.release_private(period, half, DEFAULT_BUDGET, now).await.unwrap();
    assert_eq!(second.release.number, 2);
    let refused = operator
        .release_private(
            (start, start + Duration::seconds(30)),
            Epsilon::parse("0.001").unwrap(),
            DEFAULT_BUDGET,
            now,
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "privacy_budget_spent", "{refused}");
    assert!(
        refused.to_string().contains("releases already spent 1 of it, so at most 0 is left"),
        "{refused}"
    );
    // A period no release covered has its whole budget (parallel composition).
    let later = (period.1, period.1 + Duration::minutes(2));
    let third =
        operator.release_private(later, Epsilon::parse("1").unwrap(), DEFAULT_BUDGET, now).await.unwrap();
    assert_eq!(third.release.number, 3);
    assert!((third.release.scale.0 - 4.0).abs() < 1e-9);

    // The CSV, read by Python's csv module, holds the JSON's cells.
    let csv = app.client.get(app.url("/v1/transparency/releases/1/cells.csv")).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let rows = python_csv(&csv.text().await.unwrap());
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), cells.len());
    for (row, cell) in rows.iter().zip(cells) {
        assert_eq!(row["requests"].as_str().unwrap(), cell["requests"].as_i64().unwrap().to_string());
        assert_eq!(row["country"], cell["country"]);
        assert_eq!(row["data_category"], cell["data_category"]);
    }
    for (path, status) in [("/v1/transparency/releases/one", 400), ("/v1/transparency/releases/99", 404)] {
        let (got, body) = app.anonymous().get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("release"), "{body}");
    }
}

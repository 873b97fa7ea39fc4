//! The request document against its published schema and the example requests.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use comity_wire::{parse_request, request_schema};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<(String, Vec<u8>)> {
    let dir = repo().join("examples/requests");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() >= 6, "expected the example requests in {}", dir.display());
    out
}

/// The schema in the repository is the one the types generate. Run with
/// `UPDATE_SCHEMAS=1` to rewrite it after changing the document types.
/// The transparency report's schema, likewise (`UPDATE_SCHEMAS=1` rewrites it).
#[test]
fn the_committed_report_schema_is_the_generated_one() {
    let path = repo().join("schemas/transparency-report-v1.schema.json");
    let generated =
        serde_json::to_string_pretty(&sorted(comity_wire::transparency::report_schema())).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; run `UPDATE_SCHEMAS=1 cargo test -p comity-wire` and commit it",
        path.display()
    );
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = repo().join("schemas/request-v1.schema.json");
    // Keys sorted: whether serde_json keeps insertion order depends on the features other
    // crates of the workspace turn on (cedar-policy's `preserve_order`), and the file must
    // not change with them.
    let generated = serde_json::to_string_pretty(&sorted(request_schema())).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date; run `UPDATE_SCHEMAS=1 cargo test -p comity-wire` and commit it",
        path.display()
    );
}

#[test]
fn every_example_parses_and_matches_the_schema() {
    let schema = request_schema();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for (name, bytes) in examples() {
        let (canonical, request) =
            parse_request(&bytes).unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        assert!(!request.targets.is_empty());
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{name} does not match the schema: {errors:?}");
        // The canonical form also matches the schema, and parses back to the same request.
        let canonical_json = serde_json::to_vec(&canonical).unwrap();
        let canonical_value: serde_json::Value = serde_json::from_slice(&canonical_json).unwrap();
        assert!(validator.is_valid(&canonical_value), "canonical {name} does not match the schema");
        let (_, again) = parse_request(&canonical_json).unwrap();
        assert_eq!(again, request, "{name} changes on a round trip");
    }
}

#[test]
fn the_schema_refuses_what_the_parser_refuses_by_shape() {
    let schema = request_schema();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let (_, bytes) = &examples()[0];
    let good: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    let check = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut doc = good.clone();
        edit(&mut doc);
        assert!(!validator.is_valid(&doc), "the schema accepted {doc}");
        assert!(parse_request(&serde_json::to_vec(&doc).unwrap()).is_err(), "the parser accepted {doc}");
    };
    check(&|d| d["kind"] = "seize".into());
    check(&|d| d["targets"] = serde_json::json!([]));
    check(&|d| d["data_categories"] = serde_json::json!(["everything"]));
    check(&|d| d["issuing"]["country"] = "France".into());
    check(&|d| d["surprise"] = true.into());
    check(&|d| d["targets"][0]["selector"]["type"] = "name".into());
    check(&|d| d["emergency"] = "yes".into());
}

#[test]
fn every_problem_is_reported_at_once_with_its_path() {
    let (_, bytes) = &examples()[0];
    let mut doc: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    doc["issuing"]["country"] = "EL".into();
    doc["addressee"]["provider"] = "Example Mail".into();
    doc["targets"][0]["selector"]["value"] = "not-an-address".into();
    doc["time_window"]["to"] = "2026-04-01T00:00:00Z".into();
    let err = parse_request(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["issuing.country", "addressee.provider", "targets[0].selector.value", "time_window"]);
    assert!(err.problems[0].message.contains("Greece is GR"), "{}", err.problems[0].message);
}

/// The value with every object's keys in order.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

//! The RFC 6962 / RFC 9162 proof vectors of transparency-dev/merkle, copied into
//! `tests/vectors/merkle` (its README names the commit and the licence): every case with
//! `wantErr: false` is accepted, every case with `wantErr: true` is refused.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use base64::{Engine, engine::general_purpose::STANDARD};
use comity_log::{verify_consistency, verify_inclusion};
use serde_json::Value;

fn vectors(kind: &str) -> Vec<(PathBuf, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/merkle/testdata").join(kind);
    assert!(root.is_dir(), "the vectors are missing at {}", root.display());
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                out.push((path, value));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The bytes of a base64 hash from the vectors, whatever their length: the verifier
/// decides what a malformed hash means.
fn bytes(v: &Value) -> Vec<u8> {
    STANDARD.decode(v.as_str().unwrap()).unwrap()
}

fn proof(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(bytes).collect(),
        other => panic!("unexpected proof {other}"),
    }
}

fn refs(proof: &[Vec<u8>]) -> Vec<&[u8]> {
    proof.iter().map(Vec::as_slice).collect()
}

#[test]
fn every_inclusion_vector() {
    let cases = vectors("inclusion");
    assert!(cases.len() > 50, "{} inclusion vectors", cases.len());
    let mut wrong = Vec::new();
    for (path, c) in &cases {
        let p = proof(&c["proof"]);
        let accepted = verify_inclusion(
            c["leafIdx"].as_u64().unwrap(),
            c["treeSize"].as_u64().unwrap(),
            &bytes(&c["leafHash"]),
            &refs(&p),
            &bytes(&c["root"]),
        )
        .is_ok();
        if accepted == c["wantErr"].as_bool().unwrap() {
            wrong.push(format!("{} ({})", path.display(), c["desc"]));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} inclusion vectors answered wrongly:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_consistency_vector() {
    let cases = vectors("consistency");
    assert!(cases.len() > 50, "{} consistency vectors", cases.len());
    let mut wrong = Vec::new();
    for (path, c) in &cases {
        let p = proof(&c["proof"]);
        let accepted = verify_consistency(
            c["size1"].as_u64().unwrap(),
            c["size2"].as_u64().unwrap(),
            &bytes(&c["root1"]),
            &bytes(&c["root2"]),
            &refs(&p),
        )
        .is_ok();
        if accepted == c["wantErr"].as_bool().unwrap() {
            wrong.push(format!("{} ({})", path.display(), c["desc"]));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} consistency vectors answered wrongly:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

//! Screening as a legal team checks it: the scenario table, properties, and the packs.
#![allow(clippy::unwrap_used)]

mod citations;
mod diff;
mod packs;
mod properties;
mod scenarios;

use std::path::{Path, PathBuf};

use comity_policy::PackSet;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The packs of `policies/`, as comity loads them.
pub fn packs() -> PackSet {
    let dir = repo().join("policies");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    PackSet::parse(&borrowed).unwrap()
}

/// An example request document of `examples/requests/`.
pub fn example(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(repo().join("examples/requests").join(name)).unwrap()).unwrap()
}

/// Every example request in `examples/requests`, by name.
pub fn examples() -> Vec<serde_json::Value> {
    let mut names: Vec<_> = std::fs::read_dir(repo().join("examples/requests"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no example requests in examples/requests");
    names.iter().map(|n| example(n)).collect()
}

/// RFC 7396 JSON Merge Patch: objects merge, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let t = target.as_object_mut().unwrap();
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

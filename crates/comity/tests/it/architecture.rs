//! The architecture, checked (issue 11, item 10): which crates of comity may depend on
//! which, which may name the I/O libraries (axum, sqlx, reqwest, lettre, tokio), that the core
//! crates do no I/O, and that the HTTP crate's modules import each other without a circle.
//! `ARCHITECTURE.md` states the same rules; a change to one changes the other.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::Command,
};

use serde_json::Value;

/// The crates of comity the use cases (`comity-app`) may depend on.
const APP_USES: [&str; 9] = [
    "comity-core",
    "comity-policy",
    "comity-wire",
    "comity-log",
    "comity-auth",
    "comity-access",
    "comity-redact",
    "comity-seal",
    // Notices to parties: the delivery worker sends through it (issue 13, item 8).
    "comity-notify",
];

/// Each crate of comity, and the crates of comity it may depend on (normal dependencies).
fn layers() -> Vec<(&'static str, Vec<&'static str>)> {
    // ARCHITECTURE.md: the server may use "app and what it uses, store, witness".
    let server = [&["comity-app"][..], &APP_USES, &["comity-store", "comity-witness"]].concat();
    vec![
        ("comity-core", vec![]),
        ("comity-log", vec![]),
        ("comity-auth", vec![]),
        ("comity-redact", vec![]),
        // Notices to parties: told what to send, it knows nothing of comity (issue 13, item 8).
        ("comity-notify", vec![]),
        ("comity-policy", vec!["comity-core"]),
        ("comity-access", vec!["comity-core"]),
        ("comity-wire", vec!["comity-core", "comity-policy"]),
        ("comity-seal", vec!["comity-auth"]),
        ("comity-store", vec!["comity-core", "comity-log", "comity-wire"]),
        ("comity-app", APP_USES.to_vec()),
        ("comity-witness", vec!["comity-log"]),
        ("comity-auditor", vec!["comity-log"]),
        ("comity-server", server),
        (
            "comity",
            vec![
                "comity-app",
                "comity-core",
                "comity-log",
                "comity-auditor",
                "comity-witness",
                "comity-auth",
                "comity-policy",
                "comity-redact",
                "comity-seal",
                "comity-wire",
                "comity-store",
                "comity-server",
                "comity-notify",
            ],
        ),
    ]
}

/// The I/O libraries, and the only crates that may depend on each (normal dependencies).
const IO: &[(&str, &[&str])] = &[
    ("axum", &["comity-server", "comity-witness"]),
    ("sqlx", &["comity-store"]),
    ("reqwest", &["comity-witness", "comity-auditor", "comity-notify"]),
    ("lettre", &["comity-notify"]),
    ("tokio", &["comity-store", "comity-app", "comity-server", "comity-witness", "comity-auditor", "comity"]),
];

/// The crates that do no I/O: pure functions and types (STYLE.md, "sans-I/O").
const SANS_IO: &[&str] = &[
    "comity-core",
    "comity-log",
    "comity-auth",
    "comity-redact",
    "comity-policy",
    "comity-access",
    "comity-wire",
    "comity-seal",
];

fn metadata() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each workspace crate's normal dependencies, by name.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let metadata = metadata();
    let mut crates = BTreeMap::new();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_owned();
        let normal = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect();
        crates.insert(name, normal);
    }
    crates
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let crates = dependencies();
    let layers = layers();
    let listed: BTreeSet<&str> = layers.iter().map(|(c, _)| *c).collect();
    let present: BTreeSet<&str> = crates.keys().map(String::as_str).collect();
    assert_eq!(
        present, listed,
        "a crate was added or removed: give it its place in layers() and ARCHITECTURE.md"
    );
    for (krate, allowed) in &layers {
        let ours: BTreeSet<&str> =
            crates[*krate].iter().map(String::as_str).filter(|d| d.starts_with("comity")).collect();
        let extra: Vec<&&str> = ours.iter().filter(|d| !allowed.contains(d)).collect();
        assert!(extra.is_empty(), "{krate} depends on {extra:?}, which its layer may not use");
    }
}

#[test]
fn only_the_edges_name_the_io_libraries() {
    let crates = dependencies();
    for (library, allowed) in IO {
        for (krate, deps) in &crates {
            if deps.contains(*library) {
                assert!(
                    allowed.contains(&krate.as_str()),
                    "{krate} depends on {library}, which only {allowed:?} may"
                );
            }
        }
    }
}

#[test]
fn the_core_crates_do_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for krate in SANS_IO {
        for file in rust_files(&root.join("crates").join(krate).join("src")) {
            let text = std::fs::read_to_string(&file).unwrap();
            for io in ["std::fs", "std::net::Tcp", "tokio::", "std::process", "std::env::var"] {
                assert!(!text.contains(io), "{} names {io}: {krate} does no I/O", file.display());
            }
        }
    }
}

#[test]
fn the_http_crates_modules_import_each_other_without_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../comity-server/src");
    let modules: BTreeMap<String, String> = rust_files(&src)
        .into_iter()
        .filter(|f| f.parent() == Some(src.as_path()))
        .map(|f| {
            let name = f.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&f).unwrap())
        })
        .collect();
    // `lib` declares every module and holds the state they share: the root, not a peer.
    let graph: BTreeMap<&str, BTreeSet<&str>> = modules
        .iter()
        .filter(|(m, _)| *m != "lib")
        .map(|(m, text)| {
            let uses = modules
                .keys()
                .filter(|other| *other != m && *other != "lib")
                .filter(|other| imports(text, other));
            (m.as_str(), uses.map(String::as_str).collect())
        })
        .collect();
    for start in graph.keys() {
        let mut path = vec![*start];
        assert!(no_circle(&graph, &mut path), "an import circle in comity-server: {}", path.join(" -> "));
    }
}

/// Whether `text` (a module's source, comments aside) uses `crate::module`.
fn imports(text: &str, module: &str) -> bool {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    if code.contains(&format!("crate::{module}::")) || code.contains(&format!("crate::{module};")) {
        return true;
    }
    // `use crate::{a, b::c, ...};`
    code.split("use crate::{").skip(1).any(|rest| {
        let list = rest.split("};").next().unwrap_or("");
        let mut depth = 0;
        let mut item = String::new();
        let mut items = Vec::new();
        for c in list.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                _ => {}
            }
            item.push(c);
        }
        items.push(item);
        items.iter().any(|i| {
            let i = i.trim_start_matches(',').trim();
            i == module || i.starts_with(&format!("{module}::"))
        })
    })
}

fn no_circle<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>, path: &mut Vec<&'a str>) -> bool {
    let last = *path.last().unwrap();
    for next in &graph[last] {
        if path.contains(next) {
            path.push(next);
            return false;
        }
        path.push(next);
        if !no_circle(graph, path) {
            return false;
        }
        path.pop();
    }
    true
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

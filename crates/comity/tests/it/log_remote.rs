//! `comity log verify` and `comity audit sample` against a static C2SP tlog-tiles
//! publication: files written with `comity_log` at their C2SP paths, served by a file
//! server of a few lines that knows nothing of comity.

use std::{
    io::{BufRead, BufReader, Write},
    net::TcpListener,
    path::{Path, PathBuf},
};

use comity_log::{
    Entry, LogKey, encode_bundle,
    testing::{self, sample_entries},
    verify_checkpoint,
};

use crate::support::comity;

const ORIGIN: &str = "comity.example/log";

/// Serves the files under `dir` at `http://127.0.0.1:<port>/log/<path>`: 200 with the
/// file, or 404.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => return,
                        Ok(_) if header == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = request_line.split(' ').nth(1).unwrap_or_default();
                let file = path
                    .strip_prefix("/log/")
                    .filter(|p| !p.split('/').any(|part| part == ".." || part.is_empty()))
                    .map(|p| dir.join(p))
                    .filter(|f| f.is_file());
                let response = match file {
                    Some(file) => {
                        let body = std::fs::read(file).unwrap();
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend(body);
                        r
                    }
                    None => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
                    }
                };
                let _ = stream.write_all(&response);
            });
        }
    });
    format!("http://{addr}/log")
}

/// Writes the first `size` entries at their C2SP paths under `dir`, and the checkpoint of
/// `checkpoint_size` entries (the log may have grown past its checkpoint); returns the
/// signed checkpoint.
fn publish(dir: &Path, key: &LogKey, entries: &[Vec<u8>], size: u64, checkpoint_size: u64) -> Vec<u8> {
    testing::publish(key, ORIGIN, entries, size, checkpoint_size, |path, bytes| {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    })
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = comity(args, None);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn verify(url: &str, vkey: &str, extra: &[&str]) -> Run {
    let mut args = vec!["log", "verify", "--url", url, "--vkey", vkey];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn an_honest_log_verifies_and_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let key = LogKey::generate(ORIGIN);
    let all = sample_entries(700, None);
    publish(dir.path(), &key, &all, 700, 700);
    let url = serve(dir.path().to_owned());
    let saved = dir.path().join("saved-checkpoint");

    let out = verify(&url, key.verifier_key(), &["--save", saved.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("verified: comity.example/log has 700 entries with root "),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read(&saved).unwrap(), std::fs::read(dir.path().join("checkpoint")).unwrap());

    // The log grows (and deletes its partial tiles, as logs may); the saved checkpoint is
    // a prefix of it. The key is read from a file this time.
    let grown = sample_entries(1000, None);
    publish(dir.path(), &key, &grown, 1000, 1000);
    std::fs::remove_file(dir.path().join("tile/entries/002.p/188")).unwrap();
    let vkey_file = dir.path().join("vkey");
    std::fs::write(&vkey_file, format!("{}\n", key.verifier_key())).unwrap();
    let out = verify(&url, vkey_file.to_str().unwrap(), &["--since", saved.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("has 1000 entries"), "{}", out.stdout);
    assert!(out.stdout.contains("consistent: its first 700 entries"), "{}", out.stdout);
}

#[test]
fn a_checkpoint_behind_the_tiles_reads_partial_tiles_from_full_ones() {
    let dir = tempfile::tempdir().unwrap();
    let key = LogKey::generate(ORIGIN);
    let all = sample_entries(768, None);
    // Tiles for 600 entries, then for 768 under the checkpoint for 600: tile 002 is full
    // now, and the log deleted its partial versions (logs may), so the verifier reads
    // the first 88 items of the full tiles. (tile/1/000.p/2 stays: no full tile replaces it.)
    publish(dir.path(), &key, &all, 600, 600);
    publish(dir.path(), &key, &all, 768, 600);
    std::fs::remove_file(dir.path().join("tile/entries/002.p/88")).unwrap();
    std::fs::remove_file(dir.path().join("tile/0/002.p/88")).unwrap();
    let url = serve(dir.path().to_owned());
    let out = verify(&url, key.verifier_key(), &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("has 600 entries"), "{}", out.stdout);
}

#[test]
fn tampering_is_found_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let key = LogKey::generate(ORIGIN);
    let mut all = sample_entries(700, None);
    publish(dir.path(), &key, &all, 700, 700);
    let url = serve(dir.path().to_owned());

    // Entry 300 (in tile/entries/001) rewritten after the fact, still a valid entry.
    let text = String::from_utf8(all[300].clone()).unwrap();
    all[300] = text.replace("actor: comity", "actor: comitY").into_bytes();
    let bundle = encode_bundle(all[256..512].iter().map(Vec::as_slice)).unwrap();
    std::fs::write(dir.path().join("tile/entries/001"), &bundle).unwrap();
    let out = verify(&url, key.verifier_key(), &[]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("discrepancy: tile tile/0/001 differs from the entries at hash 44 (entry 300)"),
        "{}",
        out.stderr
    );

    // Rewritten into something that is not an entry.
    all[300] = text.replace("comity-log-entry/v1", "comity-log-entry/v9").into_bytes();
    let bundle = encode_bundle(all[256..512].iter().map(Vec::as_slice)).unwrap();
    std::fs::write(dir.path().join("tile/entries/001"), &bundle).unwrap();
    let out = verify(&url, key.verifier_key(), &[]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("discrepancy: entry 300 is not a comity log entry: "), "{}", out.stderr);

    // The tiles rebuilt consistently around the rewritten entry, hash tiles and all,
    // under the checkpoint the key signed for the honest log.
    let signed = std::fs::read(dir.path().join("checkpoint")).unwrap();
    all[300] = text.replace("actor: comity", "actor: comitY").into_bytes();
    publish(dir.path(), &key, &all, 700, 700);
    std::fs::write(dir.path().join("checkpoint"), signed).unwrap();
    let out = verify(&url, key.verifier_key(), &[]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("discrepancy: the tree of 700 entries has root "), "{}", out.stderr);

    // A missing tile is a network error, naming the URL.
    std::fs::remove_file(dir.path().join("tile/entries/000")).unwrap();
    let out = verify(&url, key.verifier_key(), &[]);
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(&format!("GET {url}/tile/entries/000: 404 Not Found")), "{}", out.stderr);
}

#[test]
fn a_wrong_key_or_a_fork_is_a_discrepancy() {
    let dir = tempfile::tempdir().unwrap();
    let key = LogKey::generate(ORIGIN);
    let all = sample_entries(700, None);
    publish(dir.path(), &key, &all, 700, 700);
    let url = serve(dir.path().to_owned());

    let other = LogKey::generate(ORIGIN);
    let out = verify(&url, other.verifier_key(), &[]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!("discrepancy: the checkpoint at {url}/checkpoint: ")),
        "{}",
        out.stderr
    );
    let out = verify(&url, "not a key", &[]);
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);

    // Someone was shown a fork earlier: entry 3 rewritten, signed with the same key.
    let forked_dir = tempfile::tempdir().unwrap();
    let forked = publish(forked_dir.path(), &key, &sample_entries(300, Some(3)), 300, 300);
    let forked_file = forked_dir.path().join("forked-checkpoint");
    std::fs::write(&forked_file, forked).unwrap();
    let out = verify(&url, key.verifier_key(), &["--since", forked_file.to_str().unwrap()]);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "discrepancy: the log is not consistent with the earlier checkpoint: its first 300 entries have root "
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn the_sample_is_the_librarys_and_the_same_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let key = LogKey::generate(ORIGIN);
    let all = sample_entries(1000, None);
    // The log has grown to 1000 entries; the sample is of the checkpoint at 600.
    let note = publish(dir.path(), &key, &all, 1000, 600);
    publish(dir.path(), &key, &all, 1000, 1000);
    let url = serve(dir.path().to_owned());
    let checkpoint_file = dir.path().join("checkpoint-600");
    std::fs::write(&checkpoint_file, &note).unwrap();
    let args = [
        "audit",
        "sample",
        "--checkpoint",
        checkpoint_file.to_str().unwrap(),
        "--url",
        &url,
        "--vkey",
        key.verifier_key(),
        "--n",
        "5",
    ];

    let first = run(&args);
    assert_eq!(first.code, Some(0), "{}{}", first.stdout, first.stderr);
    let second = run(&args);
    assert_eq!(first.stdout, second.stdout);

    let mut requests: Vec<String> = Vec::new();
    for e in &all[..600] {
        if let Some(r) = Entry::from_bytes(e).unwrap().request()
            && !requests.iter().any(|x| x == r)
        {
            requests.push(r.to_owned());
        }
    }
    let checkpoint = verify_checkpoint(&note, key.verifier_key()).unwrap();
    let expected = comity_log::sample(checkpoint.hash(), 600, &requests, 5);
    assert_eq!(first.stdout.lines().collect::<Vec<_>>(), expected);

    let json = run(&[&args[..], &["--json"]].concat());
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["size"], 600);
    assert_eq!(value["requests"], 41);
    assert_eq!(value["sample"], serde_json::json!(expected));

    // A checkpoint the entries do not give is refused before anything is drawn.
    let forged = key.sign(ORIGIN, 600, comity_log::Hash([9u8; 32])).unwrap();
    std::fs::write(&checkpoint_file, forged).unwrap();
    let out = run(&args);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("discrepancy: the tree of 600 entries has root "), "{}", out.stderr);
}

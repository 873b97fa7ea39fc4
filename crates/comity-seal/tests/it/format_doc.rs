//! `docs/package-format.md` is a specification other implementations follow: its example
//! is checked here to be exactly what comity writes and reads, and its limits to be the
//! crate's.

use comity_auth::jws::SigningKey;
use comity_seal::{
    FileName, MAX_AGE_HEADER_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Manifest, Sha256Hash, open,
    parse_identity, seal, sign_manifest, verify_manifest,
};

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/package-format.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The content of the fenced block right after `<!-- example: NAME -->`.
fn example(doc: &str, name: &str) -> String {
    let marker = format!("<!-- example: {name} -->\n```");
    let start = doc.find(&marker).unwrap_or_else(|| panic!("the doc has the example {name}")) + marker.len();
    let body = &doc[start..];
    let body = &body[body.find('\n').expect("a fence line") + 1..];
    body[..body.find("```\n").expect("a closing fence")].to_owned()
}

/// `n` with commas between thousands, as the doc writes sizes.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_example_manifest_is_what_comity_writes() {
    let doc = doc();
    let json = example(&doc, "manifest.json");
    let manifest = Manifest::from_json(json.as_bytes()).expect("the example manifest is valid");
    assert_eq!(
        manifest.to_json().expect("it serializes"),
        json.as_bytes(),
        "comity writes exactly these bytes"
    );
    assert!(doc.contains(&format!("({} bytes, with its final newline)", thousands(json.len()))), "its size");
    let hash = Sha256Hash::of(json.as_bytes());
    assert!(doc.contains(&format!("is `{hash}`")), "the doc gives the manifest's SHA-256, {hash}");

    // The example files are the manifest's.
    let records = example(&doc, "subscriber.jsonl");
    let files: Vec<(&str, &[u8])> = vec![("subscriber.jsonl", records.as_bytes()), ("traffic.csv", b"")];
    assert_eq!(manifest.files.len(), files.len());
    for ((name, data), entry) in files.iter().zip(&manifest.files) {
        assert_eq!(entry.name, FileName::parse(name).expect("a valid name"));
        assert_eq!((entry.sha256, entry.size), (Sha256Hash::of(data), data.len() as u64), "{name}");
    }
    assert!(doc.contains(&format!("({} bytes)", records.len())), "the doc gives subscriber.jsonl's size");
}

#[test]
fn the_example_keys_and_signature_are_the_manifests() {
    let doc = doc();
    let json = example(&doc, "manifest.json");
    let manifest = Manifest::from_json(json.as_bytes()).expect("the example manifest is valid");

    let key = SigningKey::parse(&example(&doc, "provider key")).expect("the example provider key parses");
    assert_eq!(key.public(), manifest.signing_key.jwk);
    assert_eq!(key.public().key_id(), manifest.signing_key.kid, "the kid is the key's RFC 7638 thumbprint");
    let identity = parse_identity(&example(&doc, "authority identity")).expect("the example identity parses");
    assert_eq!(identity.to_public(), manifest.recipient.age);

    let signature = example(&doc, "manifest.sig");
    let signature = signature.trim_end_matches('\n');
    verify_manifest(signature, json.as_bytes(), &manifest.signing_key.kid, &manifest.signing_key.jwk)
        .expect("the example signature verifies");
    assert_eq!(
        sign_manifest(&key, &manifest.signing_key.kid, json.as_bytes()),
        signature,
        "Ed25519 is deterministic"
    );

    // Its header, as the doc says it decodes.
    use base64::Engine;
    let (header, _) = signature.split_once("..").expect("a detached JWS");
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("base64url");
    let header = String::from_utf8(header).expect("UTF-8");
    assert_eq!(header, format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, manifest.signing_key.kid));
    assert!(doc.contains(&format!("decodes to `{header}`")));

    // And the whole example seals and opens with these keys.
    let records = example(&doc, "subscriber.jsonl");
    let mut package = Vec::new();
    seal(&mut package, &[identity.to_public()], &key, &manifest, |entry| {
        Ok(if entry.name.as_str() == "subscriber.jsonl" { records.as_bytes() } else { &b""[..] })
    })
    .expect("the example seals");
    let verified = open(&package[..], &identity, Some(&key.public())).expect("and opens");
    assert_eq!(verified.manifest_json(), json.as_bytes());
    assert_eq!(verified.signature(), signature);
}

#[test]
fn the_documented_limits_are_the_crates() {
    let doc = doc();
    for row in [
        format!("| {} bytes (`MAX_AGE_HEADER_BYTES`) |", MAX_AGE_HEADER_BYTES),
        format!("| {} bytes (`MAX_MANIFEST_BYTES`) |", thousands(MAX_MANIFEST_BYTES)),
        format!("| {} bytes (`MAX_SIGNATURE_BYTES`) |", MAX_SIGNATURE_BYTES),
        format!("| {} bytes of UTF-8 (`FileName::MAX_LEN`) |", FileName::MAX_LEN),
        format!("| {} characters |", comity_auth::jws::KeyId::MAX_LEN),
    ] {
        assert!(doc.contains(&row), "the limits table has {row}");
    }
}

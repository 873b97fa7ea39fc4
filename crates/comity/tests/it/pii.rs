//! `comity pii scan`: JSON Lines in, spans in character offsets out, in order (issue 6).

use serde_json::{Value, json};

use crate::support::{comity, comity_with};

fn lines(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn scan_writes_one_line_per_record_in_character_offsets() {
    let input = [
        json!({"id": "m1", "text": "Écris à zoë@exemple.fr ou appelle le +33 6 12 34 56 78."}),
        json!({"id": 2, "text": "Nothing here, version 1.2.3 on 12.05.2024."}),
        json!({"id": "m3", "text": "IBAN DE89 3704 0044 0532 0130 00, card 4111-1111-1111-1111, from 2001:db8::1"}),
        json!({"id": "m4", "text": "Dear Jane,\nSSN 536-22-1234, NINO AB 12 34 56 C"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n\n");
    let out = comity_with(&["pii", "scan"], None, &input, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let found = lines(&out);
    assert_eq!(
        found,
        [
            json!({"id": "m1", "spans": [
                {"start": 8, "end": 22, "type": "EMAIL_ADDRESS"},
                {"start": 37, "end": 54, "type": "PHONE_NUMBER"}]}),
            json!({"id": 2, "spans": []}),
            json!({"id": "m3", "spans": [
                {"start": 5, "end": 32, "type": "IBAN_CODE"},
                {"start": 39, "end": 58, "type": "CREDIT_CARD"},
                {"start": 65, "end": 76, "type": "IP_ADDRESS"}]}),
            json!({"id": "m4", "spans": [
                {"start": 5, "end": 9, "type": "PERSON"},
                {"start": 15, "end": 26, "type": "US_SSN"}]}),
        ]
    );
    // The offsets are characters: the first record's address starts after "Écris à ".
    let text = "Écris à zoë@exemple.fr";
    assert_eq!(text.chars().skip(8).collect::<String>(), "zoë@exemple.fr");

    // National identifiers as configured, person names off.
    let out =
        comity_with(&["pii", "scan", "--national-ids", "UK_NINO,ES_NIF", "--no-persons"], None, &input, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines(&out)[3], json!({"id": "m4", "spans": [{"start": 33, "end": 46, "type": "UK_NINO"}]}));
}

#[test]
fn scan_writes_each_id_back_as_it_was_read() {
    // Any JSON is an id: strings with escapes, numbers as written, objects with spaces.
    let input = concat!(
        "{\"id\": \"caf\\u00e9 \\\"1\\\"\", \"text\": \"a@example.com\"}\n",
        "{\"id\": 1.50e2, \"text\": \"\"}\n",
        "{\"text\": \"x\", \"id\": {\"batch\": [1, 2], \"n\": null}}\n",
    );
    let out = comity_with(&["pii", "scan"], None, input, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!(
            "{\"id\":\"caf\\u00e9 \\\"1\\\"\",\"spans\":[{\"start\":0,\"end\":13,\"type\":\"EMAIL_ADDRESS\"}]}\n",
            "{\"id\":1.50e2,\"spans\":[]}\n",
            "{\"id\":{\"batch\": [1, 2], \"n\": null},\"spans\":[]}\n",
        )
    );
    let ids: Vec<Value> = lines(&out).into_iter().map(|l| l["id"].clone()).collect();
    assert_eq!(ids, [json!("café \"1\""), json!(150.0), json!({"batch": [1, 2], "n": null})]);
}

#[test]
fn scan_reads_and_writes_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let output = dir.path().join("out.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"mail a@example.com\"}\n").unwrap();
    let out = comity(
        &["pii", "scan", "--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "{\"id\":\"a\",\"spans\":[{\"start\":5,\"end\":18,\"type\":\"EMAIL_ADDRESS\"}]}\n"
    );
}

#[test]
fn scan_stops_at_a_bad_line_and_names_it() {
    let input = "{\"id\": 1, \"text\": \"ok\"}\n{\"id\": 2}\n{\"id\": 3, \"text\": \"never read\"}\n";
    let out = comity_with(&["pii", "scan"], None, input, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("standard input, line 2: not a record"), "{err}");
    assert!(err.contains("missing field `text`"), "{err}");
    assert_eq!(lines(&out), [json!({"id": 1, "spans": []})]);

    let out = comity_with(&["pii", "scan", "--national-ids", "FR_SSN"], None, "", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--national-ids") && err.contains("FR_SSN"), "{err}");

    let out = comity(&["pii", "scan", "--input", "/nonexistent/in.jsonl"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("opening /nonexistent/in.jsonl"));
}

/// JSON Lines, strictly, however the input is read: one record a line, blank lines
/// skipped, and the first line that is not a record named by its number, with every
/// record before it scanned, past the first mebibyte as in it.
#[test]
fn scan_holds_to_one_record_a_line_and_counts_lines_past_the_first_mebibyte() {
    // 250 bytes a line: 6,000 lines are 1.5 MB.
    let filler = "Lorem ipsum ".repeat(16);
    let record = |n: usize| {
        json!({"id": n, "text": format!("{n}: write to me at a{n}@example.com. {filler}")}).to_string()
    };
    let bad_lines: [(&str, &str); 4] = [
        ("{\"id\": 0, \"text\": \"a\"} {\"id\": 1, \"text\": \"b\"}", "trailing characters"),
        ("{\"id\": 0,", "EOF while parsing"),
        ("{\"id\": 0, \"text\": 5}", "invalid type"),
        ("[1, 2]", "invalid type"),
    ];
    for (bad, why) in bad_lines {
        for before in [3, 6_000] {
            // Blank lines, spaces, a no-break space and CRLF endings are not records.
            let mut input: Vec<String> = (1..=before).map(record).collect();
            input.insert(1, String::new());
            input.insert(2, "  \u{a0} \r".to_owned());
            input.push(bad.to_owned());
            input.push("\"id\": 1, \"text\": \"never read\"}".to_owned());
            let out = comity_with(&["pii", "scan"], None, &input.join("\r\n"), &[]);
            assert_eq!(out.status.code(), Some(1), "{bad}");
            let err = String::from_utf8_lossy(&out.stderr);
            let line = before + 3;
            assert!(err.contains(&format!("standard input, line {line}: not a record")), "{bad}: {err}");
            assert!(err.contains(why), "{bad}: {err}");
            let found = lines(&out);
            assert_eq!(found.len(), before, "{bad}");
            assert_eq!(found.last().unwrap()["id"], json!(before));
            let email = found.last().unwrap()["spans"][0].clone();
            assert_eq!(email["type"], json!("EMAIL_ADDRESS"));
        }
    }

    // A line that is not UTF-8 is named too, after the lines before it are scanned.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let mut bytes: Vec<u8> = (1..=6_000).flat_map(|n| format!("{}\n", record(n)).into_bytes()).collect();
    assert!(bytes.len() > 1 << 20);
    bytes.extend_from_slice(b"{\"id\": 0, \"text\": \"caf\xe9\"}\n");
    bytes.extend_from_slice(format!("{}\n", record(6_001)).as_bytes());
    std::fs::write(&input, bytes).unwrap();
    let out = comity(&["pii", "scan", "--input", input.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 6001: cannot read it: it is not UTF-8"), "{err}");
    assert_eq!(lines(&out).len(), 6_000);
}

#[test]
fn scan_tries_national_phone_formats_in_the_regions_named() {
    // Spanish national format: found by default (the EU is in it), not when only France
    // is tried; the international form is found whatever the regions.
    let input = [
        json!({"id": 1, "text": "Llámame al 612 34 56 78."}),
        json!({"id": 2, "text": "Llámame al +34 612 34 56 78."}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let phone = |start, end| json!([{"start": start, "end": end, "type": "PHONE_NUMBER"}]);
    let out = comity_with(&["pii", "scan"], None, &input, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        lines(&out).iter().map(|l| l["spans"].clone()).collect::<Vec<_>>(),
        [phone(11, 23), phone(11, 27)]
    );
    let out = comity_with(&["pii", "scan", "--phone-regions", "fr"], None, &input, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        lines(&out).iter().map(|l| l["spans"].clone()).collect::<Vec<_>>(),
        [json!([]), phone(11, 27)]
    );

    // A region libphonenumber does not know, or a check that does not exist, is named.
    let out = comity_with(&["pii", "scan", "--phone-regions", "FR,XY"], None, "", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--phone-regions") && err.contains("\"XY\""), "{err}");
    let out = comity_with(&["pii", "scan", "--phone-check", "likely"], None, "", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("valid or possible"), "{err}");
}

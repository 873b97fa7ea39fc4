//! Malformed documents: each gets a precise 4xx naming the field and the fix, and none
//! is stored.

use serde_json::{Value, json};

use crate::support::{TestApp, example};

crate::both_backends!(
    every_malformed_document_gets_a_precise_4xx,
    oversized_and_mistyped_bodies,
    text_that_can_deceive_is_refused_and_a_long_key_not_echoed,
);

/// An edit of the example document, and what the answer must say.
struct Case {
    name: &'static str,
    edit: fn(&mut Value),
    status: u16,
    code: &'static str,
    path: &'static str,
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "an array",
        edit: |d| *d = json!([1, 2]),
        status: 422,
        code: "invalid_document",
        path: "",
        says: "expected a JSON object",
    },
    Case {
        name: "not an object",
        edit: |d| *d = json!("eu-e-evidence"),
        status: 422,
        code: "invalid_document",
        path: "",
        says: "expected struct RequestDocument",
    },
    Case {
        name: "wrong type (bool)",
        edit: |d| d["emergency"] = "yes".into(),
        status: 422,
        code: "invalid_document",
        path: "emergency",
        says: "expected a boolean",
    },
    Case {
        name: "wrong type (list)",
        edit: |d| d["targets"] = json!({"selector": {}}),
        status: 422,
        code: "invalid_document",
        path: "targets",
        says: "expected a sequence",
    },
    Case {
        name: "unknown kind",
        edit: |d| d["kind"] = "seize".into(),
        status: 422,
        code: "invalid_document",
        path: "kind",
        says: "expected one of: production, preservation",
    },
    Case {
        name: "unknown instrument",
        edit: |d| d["instrument"] = "interpol".into(),
        status: 422,
        code: "invalid_document",
        path: "instrument",
        says: "eu-e-evidence",
    },
    Case {
        name: "unknown data category",
        edit: |d| d["data_categories"][1] = "everything".into(),
        status: 422,
        code: "invalid_document",
        path: "data_categories[1]",
        says: "subscriber, identification, traffic, content",
    },
    Case {
        name: "unknown selector type",
        edit: |d| d["targets"][0]["selector"]["type"] = "name".into(),
        status: 422,
        code: "invalid_document",
        path: "targets[0].selector.type",
        says: "account_id",
    },
    Case {
        name: "unknown protected role",
        edit: |d| d["targets"][0]["protected_role"] = "priest".into(),
        status: 422,
        code: "invalid_document",
        path: "targets[0].protected_role",
        says: "clergy",
    },
    Case {
        name: "country not a code",
        edit: |d| d["issuing"]["country"] = "France".into(),
        status: 422,
        code: "invalid_document",
        path: "issuing.country",
        says: "ISO 3166-1 alpha-2",
    },
    Case {
        name: "country not assigned",
        edit: |d| d["addressee"]["country"] = "XK".into(),
        status: 422,
        code: "invalid_document",
        path: "addressee.country",
        says: "not an officially assigned",
    },
    Case {
        name: "residence country in lower case",
        edit: |d| d["targets"][0]["residence_country"] = "fr".into(),
        status: 422,
        code: "invalid_document",
        path: "targets[0].residence_country",
        says: "upper case",
    },
    Case {
        name: "missing targets",
        edit: |d| {
            d.as_object_mut().unwrap().remove("targets");
        },
        status: 422,
        code: "invalid_document",
        path: "",
        says: "missing field `targets`",
    },
    Case {
        name: "empty targets",
        edit: |d| d["targets"] = json!([]),
        status: 422,
        code: "invalid_document",
        path: "targets",
        says: "at least one target",
    },
    Case {
        name: "window ends before it starts",
        edit: |d| d["time_window"]["to"] = "2026-04-01T00:00:00Z".into(),
        status: 422,
        code: "invalid_document",
        path: "time_window",
        says: "must end after it starts",
    },
    Case {
        name: "timestamp not RFC 3339",
        edit: |d| d["time_window"]["from"] = "01/05/2026".into(),
        status: 422,
        code: "invalid_document",
        path: "time_window.from",
        says: "",
    },
    Case {
        name: "e-mail without a domain",
        edit: |d| d["targets"][0]["selector"]["value"] = "suspect@".into(),
        status: 422,
        code: "invalid_document",
        path: "targets[0].selector.value",
        says: "not an e-mail address",
    },
    Case {
        name: "phone not E.164",
        edit: |d| d["targets"][0]["selector"] = json!({"type": "phone", "value": "06 12 34 56 78"}),
        status: 422,
        code: "invalid_document",
        path: "targets[0].selector.value",
        says: "E.164",
    },
    Case {
        name: "ip with a prefix",
        edit: |d| d["targets"][0]["selector"] = json!({"type": "ip", "value": "203.0.113.0/24"}),
        status: 422,
        code: "invalid_document",
        path: "targets[0].selector.value",
        says: "not an IPv4 or IPv6 address",
    },
    Case {
        name: "same target twice",
        edit: |d| {
            let t = d["targets"][0].clone();
            d["targets"].as_array_mut().unwrap().push(t);
        },
        status: 422,
        code: "invalid_document",
        path: "targets[1].selector",
        says: "named twice",
    },
    Case {
        name: "same category twice",
        edit: |d| d["data_categories"] = json!(["traffic", "traffic"]),
        status: 422,
        code: "invalid_document",
        path: "data_categories[1]",
        says: "listed twice",
    },
    Case {
        name: "no category",
        edit: |d| d["data_categories"] = json!([]),
        status: 422,
        code: "invalid_document",
        path: "data_categories",
        says: "at least one",
    },
    Case {
        name: "misspelt field",
        edit: |d| d["justifcation"] = "typo".into(),
        status: 422,
        code: "invalid_document",
        path: "justifcation",
        says: "unknown field `justifcation`, expected one of",
    },
    Case {
        name: "empty reference",
        edit: |d| d["issuing"]["reference"] = " ".into(),
        status: 422,
        code: "invalid_document",
        path: "issuing.reference",
        says: "must not be empty",
    },
    Case {
        name: "authority id not a slug",
        edit: |d| d["issuing"]["authority"] = "Parquet de Paris".into(),
        status: 422,
        code: "invalid_document",
        path: "issuing.authority",
        says: "not a party id",
    },
    Case {
        name: "negative sentence",
        edit: |d| d["offence"]["max_sentence_months"] = (-3).into(),
        status: 422,
        code: "invalid_document",
        path: "offence.max_sentence_months",
        says: "",
    },
    Case {
        name: "missing offence description",
        edit: |d| {
            d["offence"].as_object_mut().unwrap().remove("description");
        },
        status: 422,
        code: "invalid_document",
        path: "offence",
        says: "missing field `description`",
    },
    Case {
        name: "port on an e-mail selector",
        edit: |d| d["targets"][0]["selector"]["port"] = 443.into(),
        status: 422,
        code: "invalid_document",
        path: "targets[0].selector.value",
        says: "port only belongs to an ip selector",
    },
    Case {
        name: "version 2",
        edit: |d| d["version"] = 2.into(),
        status: 422,
        code: "invalid_document",
        path: "version",
        says: "version 2 does not exist",
    },
    // Times beyond what any clock can count from (issue 12, finding 4): refused where
    // they are read, never screened, never a panic.
    Case {
        name: "issued in the year 0",
        edit: |d| d["issued_at"] = "0000-01-01T00:00:00Z".into(),
        status: 422,
        code: "invalid_document",
        path: "issued_at",
        says: "out of range: a time must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
    },
    Case {
        name: "issued in the year 262142",
        edit: |d| d["issued_at"] = "+262142-12-31T23:59:59Z".into(),
        status: 422,
        code: "invalid_document",
        path: "issued_at",
        says: "out of range",
    },
    Case {
        name: "a window from before the epoch",
        edit: |d| d["time_window"]["from"] = "-262143-01-01T00:00:00Z".into(),
        status: 422,
        code: "invalid_document",
        path: "time_window.from",
        says: "out of range",
    },
];

async fn every_malformed_document_gets_a_precise_4xx(app: TestApp) {
    assert!(CASES.len() >= 20);
    // Through the portal, as a person of the authority sends a document.
    let person = app.person("fr-tj-paris").await;
    for case in CASES {
        let mut doc = example("eu-epoc-traffic.json");
        (case.edit)(&mut doc);
        let (status, body) = person.post("/v1/requests", &doc).await;
        assert_eq!(status, case.status, "{}: {body}", case.name);
        assert_eq!(body["error"]["code"], case.code, "{}: {body}", case.name);
        assert_eq!(body["error"]["details"][0]["path"], case.path, "{}: {body}", case.name);
        let message = body["error"]["details"][0]["message"].as_str().unwrap();
        assert!(message.contains(case.says), "{}: {message:?} should say {:?}", case.name, case.says);
        assert!(
            body["error"]["message"].as_str().unwrap().contains(message),
            "{}: the summary repeats the detail",
            case.name
        );
    }
    // Broken JSON is a 400, with the place it broke.
    for (name, raw) in
        [("truncated", &b"{\"instrument\": "[..]), ("empty", b""), ("not JSON", b"instrument=eu")]
    {
        let (status, body) = person.post_raw("/v1/requests", "application/json", raw.to_vec()).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"]["code"], "invalid_json", "{name}");
        assert!(body["error"]["message"].as_str().unwrap().contains("line 1"), "{name}: {body}");
    }
    let (_, list) = person.get("/v1/requests").await;
    assert_eq!(list["total"], 0, "nothing malformed was stored");
}

async fn oversized_and_mistyped_bodies(app: TestApp) {
    // 10 MB: refused with 413 before it is read in full, in the JSON error shape.
    let mut doc = example("eu-epoc-traffic.json");
    doc["justification"] = "x".repeat(10 * 1024 * 1024).into();
    let person = app.person("fr-tj-paris").await;
    let (status, body) = person.post("/v1/requests", &doc).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "body_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("bytes"), "{body}");

    let bytes = serde_json::to_vec(&example("eu-epoc-traffic.json")).unwrap();
    for content_type in ["text/plain", "application/x-www-form-urlencoded", ""] {
        let (status, body) = person.post_raw("/v1/requests", content_type, bytes.clone()).await;
        assert_eq!(status, 415, "{content_type:?}: {body}");
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }
    // With a charset parameter it is still JSON, and the portal records the person.
    let (status, body) = person.post_raw("/v1/requests", "application/json; charset=utf-8", bytes).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["submitted"], "portal");
    let id = body["id"].as_str().unwrap();
    let (_, events) = person.get(&format!("/v1/requests/{id}/events")).await;
    assert_eq!(events[0]["actor"], "person.fr.tj.paris@fr-tj-paris");
    assert_eq!(events[0]["reason"], "received through the portal from person.fr.tj.paris@fr-tj-paris");
}

/// An outside test stored and served a reference holding a NUL, an ANSI escape sequence
/// and a right-to-left override, and had a 100 KB `Idempotency-Key` echoed back whole
/// (issue 12, finding 7). Each is refused where it is read, with the path and the fix, and
/// nothing is stored.
async fn text_that_can_deceive_is_refused_and_a_long_key_not_echoed(app: TestApp) {
    for (reference, says) in [
        ("TJ-2026\u{0}-1", "NUL"),
        ("TJ-2026-\u{1b}[2J\u{1b}[31mAPPROVED", "U+001B"),
        ("TJ-\u{202e}1-6202", "RIGHT-TO-LEFT OVERRIDE (U+202E)"),
        ("TJ-2026\n-1", "one line"),
    ] {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["reference"] = reference.into();
        let (status, body) = app.post_jws(&app.sign(&doc)).await;
        assert_eq!(status, 422, "{reference:?}: {body}");
        let problem = &body["error"]["details"][0];
        assert_eq!(problem["path"], "issuing.reference", "{body}");
        assert!(problem["message"].as_str().unwrap().contains(says), "{reference:?}: {body}");
        assert!(!body.to_string().contains(reference), "the answer does not echo it: {body}");
    }
    // In any body, not only the request document: a move's reason, say.
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let reason = json!({"to": "approved", "reason": "approved \u{2067}per the order"});
    let (status, body) =
        app.token(crate::support::REVIEWER).post(&format!("/v1/requests/{id}/transitions"), &reason).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("RIGHT-TO-LEFT ISOLATE (U+2067)"), "{body}");
    let (_, list) = app.token("example-mail").get("/v1/requests").await;
    assert_eq!(list["total"], 1, "only the clean request is stored");

    let key = "k".repeat(100 * 1024);
    let r = app
        .client
        .post(app.url("/v1/requests"))
        .header("idempotency-key", &key)
        .header("content-type", "application/jose")
        .body(app.sign(&example("eu-epoc-traffic.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let text = r.text().await.unwrap();
    assert!(text.len() < 1_000, "a {}-byte answer to a 100 KB key", text.len());
    assert!(text.contains("102400 characters") && text.contains("1 to 255"), "{text}");
}

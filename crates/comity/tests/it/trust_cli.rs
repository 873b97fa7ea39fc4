//! The operator's commands for identity and trust (issue 5): API tokens, people's
//! accounts, authorities' keys and contacts, signing a request, and the demo's
//! credentials, each checked against a running server the way an operator and a
//! newcomer meet them.

use serde_json::Value;

use crate::support::{
    Data, Server, comity, comity_ok, comity_with, example_path, register_parties, signed_post,
};

crate::both_databases!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_token_works_until_it_is_revoked,
    a_person_logs_in_with_what_user_add_printed,
    keys_are_added_rotated_and_revoked_and_signatures_follow,
    the_last_admin_token_goes_at_the_command_line_with_a_warning,
);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(out: std::process::Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The value after `label` on the first line that starts with it (after spaces), past the
/// line that starts with `after`.
fn field(text: &str, after: &str, label: &str) -> String {
    text.lines()
        .skip_while(|l| !l.starts_with(after))
        .find_map(|l| l.trim_start().strip_prefix(label).map(|v| v.trim().to_owned()))
        .unwrap_or_else(|| panic!("no {label} after {after:?} in:\n{text}"))
}

/// Logs a person in with a fresh code of their TOTP secret; the session cookie, or the
/// status of a failure.
async fn login(
    client: &reqwest::Client,
    server: &Server,
    username: &str,
    password: &str,
    totp_secret: &str,
) -> Result<String, u16> {
    let code = comity_ok(&["totp", "code", "--secret", totp_secret], None).trim().to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code:?}");
    let r = client
        .post(server.url("/v1/session"))
        .json(&serde_json::json!({"username": username, "password": password, "totp": code}))
        .send()
        .await
        .unwrap();
    if r.status().as_u16() != 200 {
        return Err(r.status().as_u16());
    }
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    Ok(cookie.split(';').next().unwrap().to_owned())
}

async fn get(client: &reqwest::Client, server: &Server, path: &str, auth: Auth<'_>) -> (u16, Value) {
    let request = client.get(server.url(path));
    let request = match auth {
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Cookie(cookie) => request.header("cookie", cookie),
    };
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Bearer(&'a str),
    Cookie(&'a str),
}

async fn a_token_works_until_it_is_revoked(data: Data) {
    register_parties(&data);
    let server = Server::start(&data, &[]);
    let client = reqwest::Client::new();
    let out = run(comity(
        &[
            "token",
            "create",
            "--org",
            "example-mail",
            "--role",
            "handler",
            "--label",
            "case-management",
            "--expires",
            "30d",
        ],
        Some(&data),
    ));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1, "the token alone on standard output: {}", out.stdout);
    let token = out.stdout.trim().to_owned();
    assert!(token.starts_with("comity_"), "{token}");
    assert!(out.stderr.contains("shown this once"), "{}", out.stderr);
    let id = token["comity_".len()..].split('_').next().unwrap().to_owned();

    let (status, who) = get(&client, &server, "/v1/session", Auth::Bearer(&token)).await;
    assert_eq!(status, 200, "{who}");
    assert_eq!((who["org"].as_str(), who["role"].as_str()), (Some("example-mail"), Some("handler")));
    assert_eq!(who["credential"], "token");
    assert_eq!(who["actor"], format!("token:{id}@example-mail"));

    let listed: Value = serde_json::from_str(&comity_ok(&["token", "list", "--json"], Some(&data))).unwrap();
    let listed = listed.as_array().unwrap().iter().find(|t| t["id"] == id.as_str()).unwrap().clone();
    assert_eq!(listed["label"], "case-management");
    assert!(listed.get("token").is_none() && listed.get("revoked_at").is_none(), "{listed}");
    let table = comity_ok(&["token", "list"], Some(&data));
    assert!(table.lines().any(|l| l.starts_with(&id) && l.contains(" active ")), "{table}");

    let revoked = comity_ok(&["token", "revoke", &id], Some(&data));
    assert!(revoked.contains(&format!("revoked API token {id}")), "{revoked}");
    let (status, _) = get(&client, &server, "/v1/session", Auth::Bearer(&token)).await;
    assert_eq!(status, 401, "a revoked token opens nothing");
    let listed: Value = serde_json::from_str(&comity_ok(&["token", "list", "--json"], Some(&data))).unwrap();
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");

    let again = run(comity(&["token", "revoke", &id], Some(&data)));
    assert_eq!(again.code, Some(1));
    assert!(again.stderr.contains(&format!("no active token {id}")), "{}", again.stderr);
    assert!(again.stderr.contains("hint: `comity token list`"), "{}", again.stderr);
}

async fn a_person_logs_in_with_what_user_add_printed(data: Data) {
    register_parties(&data);
    let add = [
        "user",
        "add",
        "--org",
        "example-mail",
        "--role",
        "handler",
        "--username",
        "ana",
        "--name",
        "Ana Silva",
    ];
    if let Data::Postgres(db, _) = &data {
        // A data directory of no server of this database: no server key to seal the secret
        // with, and one made up here would lock the account out.
        let elsewhere = tempfile::tempdir().unwrap();
        let mut args = add.to_vec();
        let dir = elsewhere.path().display().to_string();
        args.extend(["--database-url", db.url(), "--data-dir", &dir]);
        let out = run(comity(&args, None));
        assert_eq!(out.code, Some(1), "{}", out.stdout);
        assert!(
            out.stderr.contains("no server key at") && out.stderr.contains("--data-dir"),
            "{}",
            out.stderr
        );
    }
    let server = Server::start(&data, &[]);
    let client = reqwest::Client::new();
    let out = run(comity(&add, Some(&data)));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("shown this once and never again"), "{}", out.stderr);
    let password = field(&out.stdout, "created the account ana@example-mail", "password:");
    let secret = field(&out.stdout, "created", "totp secret:");
    let uri = field(&out.stdout, "created", "totp uri:");
    assert!(uri.starts_with("otpauth://totp/comity:ana%40example-mail?secret="), "{uri}");

    let cookie = login(&client, &server, "ana", &password, &secret).await.unwrap();
    let (status, who) = get(&client, &server, "/v1/session", Auth::Cookie(&cookie)).await;
    assert_eq!(status, 200);
    assert_eq!(who["actor"], "ana@example-mail");
    assert_eq!((who["role"].as_str(), who["credential"].as_str()), (Some("handler"), Some("person")));
    let (status, list) = get(&client, &server, "/v1/requests", Auth::Cookie(&cookie)).await;
    assert_eq!((status, &list["total"]), (200, &Value::from(0)), "{list}");

    // A password of one's own from standard input; the code from the URI in the environment.
    let passphrase = "correct horse battery staple";
    let out = run(comity_with(
        &[
            "user",
            "add",
            "--org",
            "example-mail",
            "--role",
            "handler",
            "--username",
            "bo",
            "--name",
            "Bo",
            "--password-stdin",
            "--json",
        ],
        Some(&data),
        &format!("{passphrase}\n"),
        &[],
    ));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let created: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(created["password"], passphrase);
    let uri = created["totp_uri"].as_str().unwrap();
    let code = run(comity_with(&["totp", "code"], None, "", &[("COMITY_TOTP_SECRET", uri)]));
    assert_eq!(code.code, Some(0), "{}", code.stderr);
    let r = client
        .post(server.url("/v1/session"))
        .json(&serde_json::json!({"username": "bo", "password": passphrase, "totp": code.stdout.trim()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    let users: Value = serde_json::from_str(&comity_ok(&["user", "list", "--json"], Some(&data))).unwrap();
    let names: Vec<&str> =
        users.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["ana", "bo"]);
    assert!(users[0].get("password").is_none() && users[0].get("totp_secret").is_none(), "{users}");
    let table = comity_ok(&["user", "list"], Some(&data));
    assert!(table.lines().any(|l| l.starts_with("ana ") && l.ends_with("Ana Silva")), "{table}");

    let taken = run(comity(&add, Some(&data)));
    assert_eq!(taken.code, Some(1));
    assert!(taken.stderr.contains("hint: user names are unique"), "{}", taken.stderr);
}

/// Signs the traffic example with a key file and submits it; the status and the error code.
async fn sign_and_submit(
    client: &reqwest::Client,
    server: &Server,
    key: &str,
    extra: &[&str],
) -> (u16, Value) {
    let document = example_path("eu-epoc-traffic.json");
    let mut args = vec!["request", "sign", "--key", key, "--document", document.to_str().unwrap()];
    args.extend_from_slice(extra);
    let jws = comity_ok(&args, None);
    assert_eq!(jws.trim().split('.').count(), 3, "a compact JWS: {jws}");
    // As `| curl --data-binary @-` sends it, line break and all.
    let r = signed_post(client, &server.url("/v1/requests"), jws).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn key_list(data: &Data) -> Vec<Value> {
    let out = comity_ok(&["authority", "key", "list", "--authority", "fr-tj-paris", "--json"], Some(data));
    serde_json::from_str::<Value>(&out).unwrap().as_array().unwrap().clone()
}

async fn keys_are_added_rotated_and_revoked_and_signatures_follow(data: Data) {
    register_parties(&data);
    let dir = tempfile::tempdir().unwrap();
    let (k1, k2) = (dir.path().join("k1.jwk"), dir.path().join("k2.jwk"));
    let (k1, k2) = (k1.to_str().unwrap(), k2.to_str().unwrap());
    let out = run(comity(&["authority", "key", "generate", "--out", k1], None));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let kid1 = comity_auth::jws::PublicKey::parse(&out.stdout).unwrap().key_id().to_string();
    assert!(out.stderr.contains(&kid1), "the key id on standard error: {}", out.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(k1).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = run(comity(&["authority", "key", "generate", "--out", k1], None));
    assert_eq!(again.code, Some(1), "an existing key file is never overwritten");

    // The public key from standard input, as `generate | key add --public-key -`.
    let added = run(comity_with(
        &["authority", "key", "add", "--authority", "fr-tj-paris", "--public-key", "-"],
        Some(&data),
        &out.stdout,
        &[],
    ));
    assert_eq!(added.code, Some(0), "{}", added.stderr);
    assert_eq!(added.stdout.trim(), format!("registered key {kid1} of fr-tj-paris: active"));

    let server = Server::start(&data, &[]);
    let client = reqwest::Client::new();
    let (status, created) = sign_and_submit(&client, &server, k1, &[]).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["submitted"], "signed");

    // Rotation: the new key is active at once, the old one for the overlap.
    let public2 = comity_ok(&["authority", "key", "generate", "--out", k2], None);
    let kid2 = comity_auth::jws::PublicKey::parse(&public2).unwrap().key_id().to_string();
    let public2_file = dir.path().join("k2.pub.jwk");
    std::fs::write(&public2_file, &public2).unwrap();
    let rotated = comity_ok(
        &[
            "authority",
            "key",
            "rotate",
            "--authority",
            "fr-tj-paris",
            "--replaces",
            &kid1,
            "--public-key",
            public2_file.to_str().unwrap(),
            "--overlap",
            "1h",
        ],
        Some(&data),
    );
    assert!(rotated.contains(&format!("key {kid1} of fr-tj-paris stays usable until ")), "{rotated}");
    let keys = key_list(&data);
    assert_eq!(keys.len(), 2);
    assert_eq!((&keys[0]["kid"], &keys[0]["status"]), (&Value::from(kid1.clone()), &Value::from("retiring")));
    assert!(keys[0]["retired_at"].is_string(), "{keys:?}");
    assert_eq!((&keys[1]["kid"], &keys[1]["status"]), (&Value::from(kid2.clone()), &Value::from("active")));
    for k in [k1, k2] {
        let (status, body) = sign_and_submit(&client, &server, k, &[]).await;
        assert_eq!(status, 201, "{k} signs during the overlap: {body}");
    }

    // Revocation: the old key signs nothing more; the new one goes on.
    let revoked = comity_ok(
        &[
            "authority",
            "key",
            "revoke",
            "--authority",
            "fr-tj-paris",
            "--kid",
            &kid1,
            "--reason",
            "laptop stolen",
        ],
        Some(&data),
    );
    assert!(revoked.starts_with(&format!("revoked key {kid1} of fr-tj-paris from ")), "{revoked}");
    let (status, refused) = sign_and_submit(&client, &server, k1, &[]).await;
    assert_eq!((status, &refused["error"]["code"]), (401, &Value::from("key_revoked")), "{refused}");
    let (status, _) = sign_and_submit(&client, &server, k2, &["--jti", "case-2026-0042"]).await;
    assert_eq!(status, 201);
    let (status, replayed) = sign_and_submit(&client, &server, k2, &["--jti", "case-2026-0042"]).await;
    assert_eq!((status, &replayed["error"]["code"]), (401, &Value::from("replayed")), "{replayed}");

    // The whole history stays.
    let keys = key_list(&data);
    assert_eq!(keys[0]["status"], "revoked");
    assert_eq!(keys[0]["revocation_reason"], "laptop stolen");
    assert!(keys[0]["revoked_at"].is_string() && keys[0]["retired_at"].is_string(), "{keys:?}");
    assert_eq!(keys[0]["log_indexes"].as_array().unwrap().len(), 3, "added, retired, revoked: {keys:?}");
    assert_eq!(keys[1]["status"], "active");
    let table = comity_ok(&["authority", "key", "list", "--authority", "fr-tj-paris"], Some(&data));
    let row = table.lines().find(|l| l.starts_with(&kid1)).unwrap();
    assert!(row.contains(" revoked ") && row.ends_with("laptop stolen"), "{table}");
}

/// A key id is base64url (an RFC 7638 thumbprint by default), so one in 64 begins with
/// `-`: the command line takes it as the value it is, not as a flag.
#[test]
fn a_key_id_that_begins_with_a_hyphen_is_a_value() {
    let data = Data::sqlite();
    register_parties(&data);
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.jwk"), dir.path().join("new.jwk"));
    let mut public = Vec::new();
    for key in [&old, &new] {
        let jwk = comity_ok(&["authority", "key", "generate", "--out", key.to_str().unwrap()], None);
        let file = key.with_extension("pub.jwk");
        std::fs::write(&file, jwk).unwrap();
        public.push(file.to_str().unwrap().to_owned());
    }
    let key = |args: &[&str]| {
        let mut all = vec!["authority", "key"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--authority", "fr-tj-paris"]);
        comity_ok(&all, Some(&data))
    };
    let added = key(&["add", "--public-key", &public[0], "--kid", "-old"]);
    assert_eq!(added.trim(), "registered key -old of fr-tj-paris: active");
    let rotated = key(&["rotate", "--replaces", "-old", "--public-key", &public[1], "--kid", "-new"]);
    assert!(rotated.contains("key -old of fr-tj-paris stays usable until "), "{rotated}");
    let revoked = key(&["revoke", "--kid", "-new", "--reason", "a test"]);
    assert!(revoked.starts_with("revoked key -new of fr-tj-paris"), "{revoked}");
}

#[test]
fn contacts_are_registered_and_listed() {
    let data = Data::sqlite();
    register_parties(&data);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("night-desk.jwk");
    let public = comity_ok(&["authority", "key", "generate", "--out", key.to_str().unwrap()], None);
    let public_file = dir.path().join("night-desk.pub.jwk");
    std::fs::write(&public_file, &public).unwrap();
    let contact = |extra: &[&str]| {
        let mut args = vec!["authority", "contact", "add", "--authority", "fr-tj-paris"];
        args.extend_from_slice(extra);
        run(comity(&args, Some(&data)))
    };
    let out = contact(&[
        "--id",
        "duty-officer",
        "--name",
        "Duty officer",
        "--email",
        "permanence@justice.example.org",
        "--phone",
        "+33 1 00 00 00 00",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "registered contact duty-officer of fr-tj-paris: Duty officer");
    let out = contact(&[
        "--id",
        "night-desk",
        "--name",
        "Night desk",
        "--public-key",
        public_file.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let listed: Value = serde_json::from_str(&comity_ok(
        &["authority", "contact", "list", "--authority", "fr-tj-paris", "--json"],
        Some(&data),
    ))
    .unwrap();
    assert_eq!(listed[0]["email"], "permanence@justice.example.org");
    assert_eq!(listed[0]["phone"], "+33 1 00 00 00 00");
    let public: Value = serde_json::from_str(&public).unwrap();
    assert_eq!(listed[1]["public_key"]["x"], public["x"]);
    let table = comity_ok(&["authority", "contact", "list", "--authority", "fr-tj-paris"], Some(&data));
    assert!(table.lines().any(|l| l.starts_with("duty-officer ") && l.ends_with("Duty officer")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("night-desk ") && l.contains(" yes ")), "{table}");
    let out = comity_ok(&["authority", "contact", "list", "--authority", "fr-jld-paris"], Some(&data));
    assert!(out.contains("fr-jld-paris has no contact"), "{out}");

    for (extra, expected) in [
        (&["--id", "duty-officer", "--name", "Again", "--email", "a@example.org"][..], "already registered"),
        (&["--id", "clerk", "--name", "No channel"][..], "give at least one channel"),
        (
            &["--id", "clerk", "--name", "Clerk", "--email", "not-an-address"][..],
            "--email: is not an e-mail address",
        ),
    ] {
        let out = contact(extra);
        assert_eq!(out.code, Some(1), "{extra:?}");
        assert!(out.stderr.contains(expected), "{extra:?}: {}", out.stderr);
    }
    let out = run(comity(
        &[
            "authority",
            "contact",
            "add",
            "--authority",
            "nope",
            "--id",
            "x1",
            "--name",
            "X",
            "--email",
            "x@example.org",
        ],
        Some(&data),
    ));
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("no authority nope is registered"), "{}", out.stderr);
}

/// Bad input exits 1 with a message that says what to fix, and prints nothing on standard
/// output (where a script would take it for the result).
#[test]
fn bad_input_is_refused_with_what_to_fix() {
    let data = Data::sqlite();
    register_parties(&data);
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("k.jwk");
    let private = private.to_str().unwrap();
    let public = comity_ok(&["authority", "key", "generate", "--out", private], None);
    let public_file = dir.path().join("k.pub.jwk");
    std::fs::write(&public_file, &public).unwrap();
    let public_file = public_file.to_str().unwrap();
    let document = example_path("eu-epoc-traffic.json");
    let document = document.to_str().unwrap();
    comity_ok(
        &["authority", "key", "add", "--authority", "fr-tj-paris", "--public-key", public_file],
        Some(&data),
    );

    // (on the store?, the command, what the error says)
    let cases: &[(bool, &[&str], &str)] = &[
        (
            true,
            &["token", "create", "--org", "nope", "--role", "handler"],
            "--org: no party nope is registered",
        ),
        (true, &["token", "create", "--org", "nope", "--role", "handler"], "hint: `comity authority list`"),
        (
            true,
            &["token", "create", "--org", "example-mail", "--role", "requester"],
            "--role: example-mail is a provider, whose people and systems are handlers, not requesters",
        ),
        (
            true,
            &["token", "create", "--org", "example-mail", "--role", "requester"],
            "hint: the role follows",
        ),
        (
            true,
            &["token", "create", "--org", "example-mail", "--role", "boss"],
            "--role: \"boss\" is not a role",
        ),
        (
            true,
            &["token", "create", "--org", "example-mail", "--role", "handler", "--expires", "400d"],
            "--expires 400d: a token lasts at most 365 days",
        ),
        (
            true,
            &["token", "create", "--org", "example-mail", "--role", "handler", "--expires", "1y"],
            "is not a lifetime such as 90d, 12h or 30m",
        ),
        (
            true,
            &[
                "user",
                "add",
                "--org",
                "fr-tj-paris",
                "--role",
                "handler",
                "--username",
                "ana",
                "--name",
                "Ana",
            ],
            "whose people and systems are requesters, not handlers",
        ),
        (
            true,
            &[
                "user",
                "add",
                "--org",
                "fr-tj-paris",
                "--role",
                "requester",
                "--username",
                "Ana",
                "--name",
                "Ana",
            ],
            "--username: \"Ana\" is not a user name",
        ),
        (
            true,
            &["authority", "key", "add", "--authority", "fr-tj-paris", "--public-key", private],
            "holds a private key; register only the public key",
        ),
        (
            true,
            &["authority", "key", "add", "--authority", "fr-tj-paris", "--public-key", public_file],
            "already",
        ),
        (
            true,
            &["authority", "key", "add", "--authority", "nope", "--public-key", public_file],
            "no authority nope is registered",
        ),
        (
            true,
            &["authority", "key", "add", "--authority", "fr-tj-paris", "--public-key", document],
            "--public-key: malformed key",
        ),
        (
            true,
            &[
                "authority",
                "key",
                "rotate",
                "--authority",
                "fr-tj-paris",
                "--replaces",
                "k",
                "--public-key",
                public_file,
                "--overlap",
                "31d",
            ],
            "an overlap lasts at most 30 days",
        ),
        (
            true,
            &[
                "authority",
                "key",
                "revoke",
                "--authority",
                "fr-tj-paris",
                "--kid",
                "nokey",
                "--reason",
                "lost",
            ],
            "fr-tj-paris has no key nokey",
        ),
        (
            true,
            &["authority", "key", "list", "--authority", "example-mail"],
            "no authority example-mail is registered",
        ),
        (
            false,
            &["request", "sign", "--key", public_file, "--document", document],
            "this is a public key, and signing needs the private key",
        ),
        (
            false,
            &["request", "sign", "--key", private, "--document", document, "--lifetime", "1000"],
            "--lifetime 1000: a signature lasts 1 to 900 seconds",
        ),
        (
            false,
            &["request", "sign", "--key", private, "--document", public_file],
            "has no issuing.authority",
        ),
        (false, &["totp", "code", "--secret", "not base32!"], "--secret: the secret is not base32"),
    ];
    for (on_store, args, expected) in cases {
        let out = run(comity(args, on_store.then_some(&data)));
        assert_eq!(out.code, Some(1), "comity {}: {}{}", args.join(" "), out.stdout, out.stderr);
        assert!(out.stderr.contains(expected), "comity {}: {}", args.join(" "), out.stderr);
        assert!(out.stdout.is_empty(), "comity {}: {}", args.join(" "), out.stdout);
    }
}

/// A newcomer starts the demo, reads `credentials.txt` and logs in as each person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_people_log_in_with_the_credentials_file() {
    let data = Data::sqlite();
    let server = Server::start(&data, &["--demo"]);
    let Data::Sqlite(dir) = &data else { unreachable!() };
    let text = std::fs::read_to_string(dir.path().join("demo/credentials.txt")).unwrap();
    assert!(text.contains("DEMO DATA, FOR LOOKING ONLY"), "{text}");
    let client = reqwest::Client::new();

    let session = |user: &'static str| {
        let (password, secret) = (field(&text, user, "password"), field(&text, user, "totp secret"));
        let (client, server) = (&client, &server);
        async move { login(client, server, user, &password, &secret).await.unwrap() }
    };
    // The provider's legal team sees what is addressed to example-mail.
    let legal = session("legal ").await;
    let (status, list) = get(&client, &server, "/v1/requests", Auth::Cookie(&legal)).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 3, "{list}");
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["provider"] == "example-mail"), "{list}");
    // The reviewer sees what is assigned to it.
    let judge = session("judge ").await;
    let (status, list) = get(&client, &server, "/v1/requests", Auth::Cookie(&judge)).await;
    assert_eq!((status, &list["total"]), (200, &Value::from(3)), "{list}");
    // The clerk sees de-sta-berlin's own.
    let clerk = session("clerk ").await;
    let (_, list) = get(&client, &server, "/v1/requests", Auth::Cookie(&clerk)).await;
    assert!(list["items"].as_array().unwrap().iter().all(|i| i["authority"] == "de-sta-berlin"), "{list}");

    // The data protection authority acting for the person concerned by the emergency
    // request sees its decision, and lists nothing (issue 13, item 6).
    let emergency = text
        .split("produced the emergency request ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("no emergency request in:\n{text}"));
    let counsel = session("counsel ").await;
    let path = format!("/v1/requests/{emergency}/decision");
    let (status, seen) = get(&client, &server, &path, Auth::Cookie(&counsel)).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["decisions"][0]["outcome"], "approved", "{seen}");
    let (status, _) = get(&client, &server, "/v1/requests", Auth::Cookie(&counsel)).await;
    assert_eq!(status, 403);

    let admin_token = field(&text, "admin API token", "token");
    let (status, who) = get(&client, &server, "/v1/session", Auth::Bearer(&admin_token)).await;
    assert_eq!(
        (status, &who["org"], &who["role"]),
        (200, &Value::from("demo-operator"), &Value::from("admin"))
    );
    let (status, contacts) =
        get(&client, &server, "/v1/admin/authorities/de-sta-berlin/contacts", Auth::Bearer(&admin_token))
            .await;
    assert_eq!((status, &contacts[0]["id"]), (200, &Value::from("duty-officer")), "{contacts}");

    // de-sta-berlin's system signs with the key the demo wrote.
    let key = field(&text, "de-sta-berlin's signing key", "key file");
    let document = example_path("eu-epoc-emergency-subscriber.json");
    let jws = comity_ok(&["request", "sign", "--key", &key, "--document", document.to_str().unwrap()], None);
    let r = signed_post(&client, &server.url("/v1/requests"), jws).await.unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
}

/// `comity request sign --count N` prints N submissions, one a line, each with its own
/// jti, so that a load test (bench/intake.sh) sends no replay: every one is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_sign_count_prints_fresh_submissions_one_a_line() {
    let data = Data::sqlite();
    register_parties(&data);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.jwk");
    let key = key.to_str().unwrap();
    let public = comity_ok(&["authority", "key", "generate", "--out", key], None);
    let out = run(comity_with(
        &["authority", "key", "add", "--authority", "fr-tj-paris", "--public-key", "-"],
        Some(&data),
        &public,
        &[],
    ));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let document = example_path("eu-epoc-traffic.json");
    let lines = comity_ok(
        &["request", "sign", "--key", key, "--document", document.to_str().unwrap(), "--count", "3"],
        None,
    );
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let jtis: std::collections::BTreeSet<String> = lines
        .iter()
        .map(|jws| {
            let compact = comity_auth::jws::parse_compact(jws).unwrap();
            let claims: Value = serde_json::from_slice(compact.payload()).unwrap();
            claims["jti"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(jtis.len(), 3, "a fresh jti each: {jtis:?}");
    let refused = run(comity(
        &[
            "request",
            "sign",
            "--key",
            key,
            "--document",
            document.to_str().unwrap(),
            "--count",
            "2",
            "--jti",
            "x",
        ],
        None,
    ));
    assert_eq!(refused.code, Some(2), "one jti cannot name two submissions: {}", refused.stderr);

    let server = Server::start(&data, &[]);
    let client = reqwest::Client::new();
    for jws in lines {
        let r = signed_post(&client, &server.url("/v1/requests"), jws.to_owned()).await.unwrap();
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    }
}

/// Issue 12, finding 5: over the API the last admin token cannot be revoked (409); the
/// operator at the command line is root and may, told what it leaves.
async fn the_last_admin_token_goes_at_the_command_line_with_a_warning(data: Data) {
    register_parties(&data);
    let operator = ["operator", "add", "--id", "cli-ops", "--country", "IE", "--name", "CLI operations"];
    comity_ok(&operator, Some(&data));
    let token = comity_ok(&["token", "create", "--org", "cli-ops", "--role", "admin"], Some(&data));
    let id = token.trim()["comity_".len()..].split('_').next().unwrap().to_owned();
    let out = run(comity(&["token", "revoke", &id], Some(&data)));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains(&format!("revoked API token {id}")), "{}", out.stdout);
    assert!(out.stderr.contains("last admin credential of cli-ops"), "{}", out.stderr);
    assert!(out.stderr.contains("comity token create --org cli-ops --role admin"), "{}", out.stderr);
}

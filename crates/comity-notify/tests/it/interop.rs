//! Against implementations nobody here wrote: webhooks verified by pyauth's
//! `http-message-signatures` (RFC 9421, `tests/python/receiver.py`), e-mail received by
//! `aiosmtpd` and read by Python's `email` package (`tests/python/smtp_sink.py`).
//!
//! They run in the virtual environment `crates/comity-notify/tests/python/setup` makes at
//! `target/notify-python` (the versions pinned in `requirements.txt`). Without it each
//! test prints `SKIPPED (python tools)` and passes, unless `COMITY_REQUIRE_PYTHON_TOOLS=1`,
//! which CI sets, makes it fail.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use comity_notify::sign::{Request, WebhookSigner, random_nonce};
use comity_notify::{
    Disposition, MailError, Mailbox, Mailer, SmtpSettings, WebhookClient, WebhookEndpoint, WebhookError,
};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use serde_json::{Value, json};

use crate::webhook::now;

const SETUP: &str = "crates/comity-notify/tests/python/setup";

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python")
}

/// The virtual environment's interpreter, when it has the tools; otherwise the test is
/// skipped loudly, or fails under `COMITY_REQUIRE_PYTHON_TOOLS=1`.
fn python(test: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/notify-python/bin/python");
    let why_not =
        match Command::new(&python).args(["-c", "import http_message_signatures, aiosmtpd"]).output() {
            Ok(output) if output.status.success() => return Some(python),
            Ok(output) => format!(
                "the tools are not installed in it: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            Err(e) => format!("{} cannot be run ({e})", python.display()),
        };
    assert!(
        std::env::var("COMITY_REQUIRE_PYTHON_TOOLS").as_deref() != Ok("1"),
        "{test}: {why_not}. Run `{SETUP}` (COMITY_REQUIRE_PYTHON_TOOLS=1 makes this a failure instead of a skip)"
    );
    // Written to the process's stderr itself: the harness captures a passing test's
    // `eprintln!`, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n!!! SKIPPED (python tools): {test}: {why_not}; run `{SETUP}` to run it\n"
    );
    None
}

/// A Python server of the tests, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `script` with `args`; it prints its port on its first line.
    fn start(python: &Path, script: &str, args: &[&str]) -> Self {
        let mut child = Command::new(python)
            .arg(python_dir().join(script))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{script} cannot start: {e}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("a pipe");
        BufReader::new(stdout).read_line(&mut line).expect("its port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("{script} printed {line:?}, not a port"));
        Self { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const KEY_ID: &str = "comity-webhooks-2026";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[21; 32])
}

/// pyauth's receiver, trusting `key()`'s public half under [`KEY_ID`].
fn receiver(python: &Path, dir: &Path) -> Server {
    let pem = key().verifying_key().to_public_key_pem(LineEnding::LF).expect("a PEM");
    let file = dir.join("comity.pub.pem");
    std::fs::write(&file, pem).expect("the key is written");
    Server::start(python, "receiver.py", &[file.to_str().expect("a UTF-8 path"), KEY_ID])
}

fn notice() -> Value {
    json!({
        "event": "request.approved",
        "request": "0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f",
        "summary": "Příkaz — Ordonnance de production",
    })
}

#[tokio::test]
async fn a_notice_signed_by_comity_verifies_in_pyauths_library() {
    let Some(python) = python("a_notice_signed_by_comity_verifies_in_pyauths_library") else { return };
    let dir = tempfile::tempdir().expect("a directory");
    let receiver = receiver(&python, dir.path());
    let client =
        WebhookClient::new(WebhookSigner::new(key(), KEY_ID).expect("a key id"), Duration::from_secs(10))
            .expect("a client");
    let endpoint =
        WebhookEndpoint::parse(&format!("http://127.0.0.1:{}/comity/notices?tenant=eu", receiver.port))
            .expect("an endpoint");
    let delivered = client.deliver(&endpoint, &notice(), now(), &random_nonce()).await;
    assert_eq!(delivered.expect("pyauth verified it").status, 204);

    // Signed by another key under the same id, the library refuses it.
    let forger = WebhookClient::new(
        WebhookSigner::new(SigningKey::from_bytes(&[22; 32]), KEY_ID).expect("a key id"),
        Duration::from_secs(10),
    )
    .expect("a client");
    let err = forger.deliver(&endpoint, &notice(), now(), &random_nonce()).await.expect_err("refused");
    let refused = "InvalidSignature: cryptography.exceptions.InvalidSignature";
    assert!(matches!(&err, WebhookError::Status { status: 401, answer, .. } if answer == refused), "{err}");
    assert_eq!(err.disposition(), Disposition::Permanent);
}

/// Signs `body` for `url` as comity does, then sends what `tamper` makes of it.
async fn send_tampered(
    url: &str,
    body: &[u8],
    tamper: impl FnOnce(&mut Vec<u8>, &mut Vec<(String, String)>) -> String,
) -> (u16, String) {
    let signer = WebhookSigner::new(key(), KEY_ID).expect("a key id");
    let target = url::Url::parse(url).expect("a URL");
    let request =
        Request { method: "POST", target: &target, headers: &[("content-type", "application/json")] };
    let signed = signer.sign(&request, body, now(), &random_nonce()).expect("signs");
    let mut body = body.to_vec();
    let mut headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("content-digest".to_owned(), signed.content_digest),
        ("signature-input".to_owned(), signed.signature_input),
        ("signature".to_owned(), signed.signature),
    ];
    let sent_to = tamper(&mut body, &mut headers);
    let mut post = reqwest::Client::new().post(sent_to).body(body);
    for (name, value) in headers {
        post = post.header(name, value);
    }
    let response = post.send().await.expect("the receiver answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn pyauths_library_refuses_a_tampered_body_header_or_target() {
    let Some(python) = python("pyauths_library_refuses_a_tampered_body_header_or_target") else { return };
    let dir = tempfile::tempdir().expect("a directory");
    let receiver = receiver(&python, dir.path());
    let url = format!("http://127.0.0.1:{}/comity/notices", receiver.port);
    let body = serde_json::to_vec(&notice()).expect("JSON");

    // Untouched, it verifies: the cases below fail for what was changed, nothing else.
    let (status, said) = send_tampered(&url, &body, |_, _| url.clone()).await;
    assert_eq!((status, said.as_str()), (204, ""));

    let (status, said) = send_tampered(&url, &body, |body, _| {
        *body = body.iter().map(|b| if *b == b'a' { b'e' } else { *b }).collect();
        url.clone()
    })
    .await;
    assert_eq!(
        (status, said.as_str()),
        (401, "InvalidSignature: Content-Digest does not match the message body")
    );

    let (status, said) = send_tampered(&url, &body, |_, headers| {
        headers[0].1 = "text/plain".to_owned();
        url.clone()
    })
    .await;
    assert_eq!((status, said.as_str()), (401, "InvalidSignature: cryptography.exceptions.InvalidSignature"));

    let (status, said) = send_tampered(&url, &body, |_, _| format!("{url}/elsewhere")).await;
    assert_eq!((status, said.as_str()), (401, "InvalidSignature: cryptography.exceptions.InvalidSignature"));
}

/// aiosmtpd, keeping each message as JSON in `dir`.
fn sink(python: &Path, dir: &Path) -> Server {
    Server::start(python, "smtp_sink.py", &[dir.to_str().expect("a UTF-8 path")])
}

/// The `n`th message the sink kept, waiting for it a while.
fn kept(dir: &Path, n: usize) -> Value {
    let file = dir.join(format!("{n}.json"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file.exists() {
        assert!(Instant::now() < deadline, "the sink kept no message {n}");
        std::thread::sleep(Duration::from_millis(50));
    }
    serde_json::from_slice(&std::fs::read(&file).expect("the message")).expect("JSON")
}

fn mailer(port: u16, scheme: &str) -> Mailer {
    let setting = format!(
        "{scheme}://127.0.0.1:{port}?from=Comity%20Notices%20%3Cnotices%40comity.example%3E&timeout=10"
    );
    Mailer::new(&SmtpSettings::parse(&setting).expect("valid")).expect("a mailer")
}

#[tokio::test]
async fn an_email_arrives_with_its_headers_and_body_intact() {
    let Some(python) = python("an_email_arrives_with_its_headers_and_body_intact") else { return };
    let dir = tempfile::tempdir().expect("a directory");
    let sink = sink(&python, dir.path());
    let to: Mailbox = "Jiří Novák <jiri.novak@example.cz>".parse().expect("an address");
    let subject = "Příkaz k vydání údajů — Ordonnance de production n° 2026/17";
    let link =
        "https://comity.example/requests/0195b0a4-1c1e-7a9a-9f0e-3c1d2b4a5e6f?view=notice&lang=cs#deadline";
    let body = format!(
        "Dobrý den,\n\n\
         a request concerning your data was approved. Příkaz: Ordonnance de production.\n\
         Read it here:\n{link}\n\n\
         From the reviewer: a line long enough to be folded by any transfer encoding that folds lines at seventy-six characters.\n\
         .\n\
         A line that was a lone dot above, and «guillemets», žluťoučký kůň, 東京.\n"
    );
    let message_id = mailer(sink.port, "smtp+insecure").send(&to, subject, &body).await.expect("sent");

    let got = kept(dir.path(), 1);
    assert_eq!(got["mail_from"], "notices@comity.example");
    assert_eq!(got["rcpt_tos"], json!(["jiri.novak@example.cz"]));
    assert_eq!(got["from"], "Comity Notices <notices@comity.example>");
    assert_eq!(got["to"], "Jiří Novák <jiri.novak@example.cz>");
    assert_eq!(got["subject"], subject);
    assert_eq!(got["message_id"], message_id.as_str());
    assert!(message_id.starts_with('<') && message_id.ends_with("@comity.example>"), "{message_id}");
    assert_eq!((got["content_type"].as_str(), got["charset"].as_str()), (Some("text/plain"), Some("utf-8")));
    assert!(got["date"].as_str().is_some_and(|d| !d.is_empty() && d != "None"), "a Date header");
    // Text travels with CRLF line ends (RFC 5322 §2.3); apart from those, the body is ours.
    let received = got["body"].as_str().expect("a body").replace("\r\n", "\n");
    assert_eq!(received, body);
    assert!(received.contains(link));
    // The raw message is ASCII: the non-ASCII text went encoded (RFC 2047, quoted-printable or base64).
    assert!(got["raw"].as_str().is_some_and(|raw| raw.is_ascii()));
}

#[tokio::test]
async fn the_smtp_servers_refusals_are_sorted() {
    let Some(python) = python("the_smtp_servers_refusals_are_sorted") else { return };
    let dir = tempfile::tempdir().expect("a directory");
    let sink = sink(&python, dir.path());
    let mailer = mailer(sink.port, "smtp+insecure");

    let nobody: Mailbox = "nobody@refuse.example".parse().expect("an address");
    let err = mailer.send(&nobody, "Notice", "Body").await.expect_err("refused");
    assert!(matches!(err, MailError::Rejected(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Permanent);
    assert!(err.to_string().contains("check the recipient"), "{err}");

    let busy: Mailbox = "someone@busy.example".parse().expect("an address");
    let err = mailer.send(&busy, "Notice", "Body").await.expect_err("deferred");
    assert!(matches!(err, MailError::Deferred(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Retry { after: None });

    // Required STARTTLS is not given up for a server that does not offer it: nothing is
    // sent in the clear.
    let to: Mailbox = "someone@example.org".parse().expect("an address");
    let err = self::mailer(sink.port, "smtp").send(&to, "Notice", "Body").await.expect_err("no STARTTLS");
    assert!(matches!(err, MailError::Transport(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::Retry { after: None });
    std::thread::sleep(Duration::from_millis(200));
    assert!(!dir.path().join("1.json").exists(), "nothing was kept");
}

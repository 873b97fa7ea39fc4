//! `comity log verify --url https://...`: a log published over HTTPS, here by OpenSSL's
//! own server (`openssl s_server -WWW`, which serves the files of its directory), with a
//! certificate from a private CA. The auditor trusts that CA through `SSL_CERT_FILE`, as
//! an operator would install it in the machine's store; without it, the certificate is
//! refused and the command says so. Before this, the binary had no TLS stack and refused
//! every https:// URL: a log deployed behind TLS could not be checked with comity's tool.

use std::{
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use comity_log::{LogKey, testing};

use crate::support::comity_with;

const ORIGIN: &str = "comity.example/log";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A CA, and a certificate for 127.0.0.1 it signed: `ca.pem`, `server.pem`, `server.key`.
pub(crate) fn certificates(dir: &Path) {
    let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        dir,
        &[
            &["req", "-x509"],
            &p256[..],
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=comity test CA"],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[&["req"], &p256[..], &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]]
            .concat(),
    );
    std::fs::write(dir.join("ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ],
    );
}

/// `openssl s_server -WWW` serving `dir` over TLS; killed when dropped.
struct TlsServer(Child);

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_tls(dir: &Path) -> (TlsServer, u16) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-WWW", "-accept", &format!("127.0.0.1:{port}")])
        .args(["-cert", "server.pem", "-key", "server.key"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let server = TlsServer(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

#[test]
fn a_log_served_over_https_verifies_once_its_ca_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let key = LogKey::generate(ORIGIN);
    let entries = testing::sample_entries(300, None);
    testing::publish(&key, ORIGIN, &entries, 300, 300, |path, bytes| {
        let file = dir.path().join("log").join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    });
    let (_server, port) = serve_tls(dir.path());
    let url = format!("https://127.0.0.1:{port}/log");
    let args = ["log", "verify", "--url", &url, "--vkey", key.verifier_key()];

    let ca = dir.path().join("ca.pem");
    let out = comity_with(&args, None, "", &[("SSL_CERT_FILE", ca.to_str().unwrap())]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.starts_with("verified: comity.example/log has 300 entries"), "{stdout}");

    // A certificate nobody trusts is an error of the audit (2), not a verdict on the log.
    let nobody = dir.path().join("server.pem");
    let out = comity_with(&args, None, "", &[("SSL_CERT_FILE", nobody.to_str().unwrap())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&url), "the failed fetch names its URL: {stderr}");
    assert!(stderr.contains("certificate"), "and says the certificate is the problem: {stderr}");
}

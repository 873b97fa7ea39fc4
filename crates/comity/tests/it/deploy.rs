//! `docs/deploy.md`, run (issue 17): two `comity serve` processes on one PostgreSQL behind
//! a real HAProxy, started with `deploy/haproxy.cfg` itself and a certificate from a
//! private CA made here, reached over HTTPS as clients reach it.
//!
//! It checks what the page promises: TLS ends at HAProxy and comity knows it (HSTS); the
//! servers see the client's address from `X-Forwarded-For`, never one the client forged;
//! requests go to both servers; a client that fails credentials through the balancer is
//! blocked on both servers though neither saw enough failures alone; each server takes
//! its share of the request rate; with one server killed HAProxy answers from the other,
//! and with none it answers 503 with `Retry-After`.
//!
//! Without `haproxy` the test says `SKIPPED (haproxy)` and passes, unless
//! `COMITY_REQUIRE_DEPLOY_TOOLS=1`, which CI sets; without `COMITY_TEST_DATABASE_URL` it
//! skips as every PostgreSQL test does.

use std::{
    net::{IpAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{BIN, DEFAULT_ORIGIN, Data, Server, comity_ok, init};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `haproxy` program, if it runs: on `PATH`, or in `/usr/sbin` where Debian puts it
/// (not on an ordinary user's `PATH`). Without it the test fails under
/// `COMITY_REQUIRE_DEPLOY_TOOLS=1`, and is skipped, saying so, otherwise.
fn haproxy_program() -> Option<PathBuf> {
    let found = ["haproxy", "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
        .into_iter()
        .map(PathBuf::from)
        .find(|program| Command::new(program).arg("-v").output().is_ok_and(|out| out.status.success()));
    if found.is_none() {
        assert!(
            std::env::var("COMITY_REQUIRE_DEPLOY_TOOLS").as_deref() != Ok("1"),
            "COMITY_REQUIRE_DEPLOY_TOOLS=1 but `haproxy` is neither on PATH nor in /usr/sbin (apt-get install haproxy)"
        );
        eprintln!(
            "SKIPPED (haproxy) the deployment behind HAProxy did not run: `haproxy` is not installed \
             (apt-get install haproxy; COMITY_REQUIRE_DEPLOY_TOOLS=1 makes this a failure)"
        );
    }
    found
}

/// Whether this process runs as root, so that HAProxy may drop to its own user.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").ok().is_some_and(|status| {
        status.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

/// A running HAProxy, killed when dropped.
struct Haproxy(Child);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `comity serve` behind the proxy on `data_dir`, its warnings written to `log`.
fn start_server(db_url: &str, data_dir: &Path, log: &Path) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--database-url", db_url, "--data-dir"])
        .arg(data_dir)
        .args(["--behind-proxy", "--failure-limit", "4", "--rate-limit", "20"])
        .env_remove("COMITY_DATA_DIR")
        .env_remove("COMITY_DATABASE_URL");
    Server::spawn_logging(cmd, "comity serve", "comity listening on ", std::fs::File::create(log).unwrap())
}

/// The lines of a server's log that refused a credential of `client`.
fn refusals(log: &Path, client: &str) -> usize {
    let text = std::fs::read_to_string(log).unwrap();
    let needle = format!("client={client}");
    text.lines().filter(|l| l.contains("credential refused") && l.contains(&needle)).count()
}

/// The value of a gauge in a server's `/metrics`.
async fn gauge(server: &Server, token: &str, name: &str) -> Option<u64> {
    let text = reqwest::Client::new()
        .get(server.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.trim().parse().ok())
}

/// Waits (15 s at most) until both `servers` count `live` servers.
async fn until_live(servers: &[&Server], token: &str, live: u64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    for server in servers {
        loop {
            let seen = gauge(server, token, "comity_live_servers").await;
            if seen == Some(live) {
                break;
            }
            assert!(Instant::now() < deadline, "{} counts {seen:?} live servers, not {live}", server.base);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// `GET path` straight to a server, as the proxy would send it for `client`.
async fn direct(http: &reqwest::Client, server: &Server, path: &str, client: &str) -> reqwest::Response {
    http.get(server.url(path)).header("x-forwarded-for", client).send().await.unwrap()
}

/// The configuration shown in `docs/deploy.md` is the one this test runs.
#[test]
fn the_deployment_page_shows_the_configuration_the_test_runs() {
    let config = std::fs::read_to_string(root().join("deploy/haproxy.cfg")).unwrap();
    let page = std::fs::read_to_string(root().join("docs/deploy.md")).unwrap();
    assert!(
        page.contains(&format!("```haproxy\n{config}```")),
        "docs/deploy.md must show deploy/haproxy.cfg whole, in a ```haproxy block"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_behind_haproxy_block_a_client_on_both_and_outlive_one() {
    let Some(program) = haproxy_program() else { return };
    let Some(data) = Data::postgres().await else { return };
    let Data::Postgres(db, first_dir) = &data else { unreachable!() };
    let files = tempfile::tempdir().unwrap();

    // The first host's data directory made as an operator does; the second gets copies of
    // its two key files, which every server of one database must share.
    init(&data, DEFAULT_ORIGIN);
    comity_ok(
        &["operator", "add", "--id", "deploy-ops", "--country", "IE", "--name", "Operations"],
        Some(&data),
    );
    let admin = comity_ok(&["token", "create", "--org", "deploy-ops", "--role", "admin"], Some(&data));
    let admin = admin.trim();
    let second_dir = files.path().join("second");
    std::fs::create_dir(&second_dir).unwrap();
    for key in ["log-key", "server-key"] {
        std::fs::copy(first_dir.path().join(key), second_dir.join(key)).unwrap();
    }
    let logs = [files.path().join("first.log"), files.path().join("second.log")];
    let first = start_server(db.url(), first_dir.path(), &logs[0]);
    let second = start_server(db.url(), &second_dir, &logs[1]);

    // A certificate for 127.0.0.1 from a CA of the test's, in one file as HAProxy reads it.
    crate::log_https::certificates(files.path());
    let pem = files.path().join("haproxy.pem");
    let chain = [
        std::fs::read(files.path().join("server.pem")).unwrap(),
        std::fs::read(files.path().join("server.key")).unwrap(),
    ];
    std::fs::write(&pem, chain.concat()).unwrap();

    let port = free_port();
    let mut haproxy = Command::new(program);
    haproxy
        .arg("-f")
        .arg(root().join("deploy/haproxy.cfg"))
        .env("COMITY_HAPROXY_BIND", format!("127.0.0.1:{port}"))
        .env("COMITY_TLS_PEM", &pem)
        .env("COMITY_HAPROXY_ERRORS", root().join("deploy/errors"))
        .env("COMITY_SERVER_1", first.base.trim_start_matches("http://"))
        .env("COMITY_SERVER_2", second.base.trim_start_matches("http://"));
    if !is_root() {
        haproxy.env("COMITY_HAPROXY_UNPRIVILEGED", "1");
    }
    let check = Command::new(haproxy.get_program())
        .arg("-c")
        .args(haproxy.get_args())
        .envs(haproxy.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "haproxy -c: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let haproxy_log = files.path().join("haproxy.log");
    let output = std::fs::File::create(&haproxy_log).unwrap();
    let proxy = Haproxy(
        haproxy
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "haproxy did not listen on {port}: {}",
            std::fs::read_to_string(&haproxy_log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let https = format!("https://127.0.0.1:{port}");
    let ca = reqwest::Certificate::from_pem(&std::fs::read(files.path().join("ca.pem")).unwrap()).unwrap();
    // A client of its own address, 127.0.0.2, which only X-Forwarded-For can tell the
    // servers: HAProxy reaches them from 127.0.0.1.
    let client_from = |ip: &str| {
        reqwest::Client::builder()
            .add_root_certificate(ca.clone())
            .local_address(ip.parse::<IpAddr>().unwrap())
            .build()
            .unwrap()
    };
    let guesser = client_from("127.0.0.2");
    // Straight to the servers, as HAProxy would reach them (plain HTTP, one client for all,
    // so that requests go out as fast as a proxy sends them).
    let http = reqwest::Client::new();

    // Each server counts both from their heartbeats.
    until_live(&[&first, &second], admin, 2).await;

    // TLS ends at HAProxy, and comity believes it from the proxy: HSTS.
    let ready = guesser.get(format!("{https}/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(
        ready.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()),
        Some("max-age=31536000; includeSubDomains")
    );

    // Each server takes its share of a client's rate: 20 a second in all, a burst of 40,
    // so one server alone lets 20 through at once, not 40.
    let mut passed = 0;
    for _ in 0..40 {
        let r = direct(&http, &second, "/v1/log", "127.0.0.9").await;
        match r.status().as_u16() {
            200 => passed += 1,
            429 => assert!(r.headers().contains_key("retry-after")),
            other => panic!("{other}"),
        }
    }
    assert!((20..40).contains(&passed), "{passed} of 40 at once passed one of two servers");

    // Four bad tokens through the balancer, the client claiming another address: two reach
    // each server, the limit is four.
    for n in 0..4 {
        let r = guesser
            .get(format!("{https}/v1/requests"))
            .bearer_auth("comity_guess_guess")
            .header("x-forwarded-for", "198.51.100.9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "failure {n}");
    }
    let seen = [refusals(&logs[0], "127.0.0.2"), refusals(&logs[1], "127.0.0.2")];
    assert_eq!(seen, [2, 2], "round-robin: each server saw half, fewer than the limit");
    for log in &logs {
        let text = std::fs::read_to_string(log).unwrap();
        assert!(!text.contains("198.51.100.9"), "the forged address reached a server: {text}");
    }

    // Blocked on both within about a second, each saying how long, and through the balancer.
    let deadline = Instant::now() + Duration::from_secs(10);
    for server in [&first, &second] {
        loop {
            let r = direct(&http, server, "/v1/log", "127.0.0.2").await;
            if r.status().as_u16() == 429 {
                let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=16).contains(&wait), "Retry-After {wait}: until one of four a minute drains");
                break;
            }
            assert_eq!(r.status().as_u16(), 200);
            assert!(
                Instant::now() < deadline,
                "{} did not block the client another server saw fail",
                server.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for _ in 0..2 {
        let r = guesser.get(format!("{https}/v1/log")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 429);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    }
    assert_eq!(
        direct(&http, &first, "/v1/log", "127.0.0.3").await.status().as_u16(),
        200,
        "another client is not"
    );

    // One server killed: HAProxy answers every request from the other, and the other soon
    // counts itself alone.
    first.kill9();
    let bystander = client_from("127.0.0.3");
    for n in 0..10 {
        let r = bystander.get(format!("{https}/v1/log")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "request {n} with one server down");
    }
    until_live(&[&second], admin, 1).await;

    // None left: HAProxy's own answer is a 503 with Retry-After, in comity's error shape.
    second.kill9();
    let r = bystander.get(format!("{https}/v1/log")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    drop(proxy);
}

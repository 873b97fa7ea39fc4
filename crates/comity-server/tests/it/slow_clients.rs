//! Issue 12, finding 1: one anonymous address took the whole server down. 130 connections
//! from one address, each a `POST /v1/session` promising 1000 bytes and sending one byte
//! every few seconds, held every handler slot, and `/healthz` timed out for the whole run.
//!
//! The attacker connects from 127.0.0.1; the people who must keep being served connect
//! from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback interface).

use std::{
    collections::BTreeMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use comity_server::{HttpConfig, connections::ConnectionLimits, limits::RateLimits};
use serde_json::Value;

use crate::support::{Backend, TestApp, example, spawn_app_http};

const ATTACKER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const BYSTANDER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// An address no other client of the test server uses (the test's own client, which
/// keeps its connections open, calls from 127.0.0.1), to count connections exactly.
const COUNTED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// What the attacker's connections were answered, by status (0: closed without an answer).
#[derive(Default)]
struct Outcomes(Mutex<BTreeMap<u16, usize>>);

impl Outcomes {
    fn record(&self, status: u16) {
        *self.0.lock().unwrap().entry(status).or_default() += 1;
    }

    fn seen(&self) -> BTreeMap<u16, usize> {
        self.0.lock().unwrap().clone()
    }
}

fn server_address(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

/// A TCP connection to the server from `from`.
async fn connect_from(from: Ipv4Addr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    socket.connect(server).await
}

/// The status of an HTTP/1.1 answer's first line, 0 when the server closed without one.
fn status_of(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(answer);
    text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// The head of a slow client's request: a login that promises a 1000-byte body.
const SLOW_HEAD: &str = "POST /v1/session HTTP/1.1\r\nHost: comity.test\r\nContent-Type: application/json\r\n\
                         Content-Length: 1000\r\n\r\n";

/// `n` connections from the attacker's address, each with a slow request's head and the
/// first byte of its body sent, and the rest never.
async fn slow_bodies(server: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut slow = Vec::new();
    for _ in 0..n {
        let mut stream = connect_from(ATTACKER, server).await.unwrap();
        stream.write_all(format!("{SLOW_HEAD}{{").as_bytes()).await.unwrap();
        slow.push(stream);
    }
    slow
}

/// One slow client: `POST /v1/session` with `Content-Length: 1000`, one byte of body every
/// `pause`, until the server answers or closes, or the run ends; then again, at most
/// `rounds` times, as an attacker keeping the pressure on would.
async fn trickle(
    server: SocketAddr,
    run_ends: Instant,
    pause: Duration,
    rounds: usize,
    outcomes: Arc<Outcomes>,
) {
    for _ in 0..rounds {
        if Instant::now() >= run_ends {
            return;
        }
        let Ok(mut stream) = connect_from(ATTACKER, server).await else {
            outcomes.record(0);
            tokio::time::sleep(pause).await;
            continue;
        };
        if stream.write_all(SLOW_HEAD.as_bytes()).await.is_err() {
            outcomes.record(0);
            continue;
        }
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        // The body is 1000 bytes at one per pause: it never completes within a run.
        for _ in 0..1000 {
            tokio::select! {
                read = stream.read(&mut buf) => {
                    match read {
                        Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
                        _ => {}
                    }
                    outcomes.record(status_of(&answer));
                    break;
                }
                () = tokio::time::sleep(pause) => {
                    if Instant::now() >= run_ends {
                        return;
                    }
                    if stream.write_all(b" ").await.is_err() {
                        outcomes.record(0);
                        break;
                    }
                }
            }
        }
    }
}

/// A client from the bystander's address, on a fresh connection for every call (the
/// attacker must not keep anyone from connecting either), that gives up after `limit`.
fn bystander_client(limit: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(BYSTANDER))
        .pool_max_idle_per_host(0)
        .timeout(limit)
        .build()
        .unwrap()
}

/// Calls `url` and says how it went: `Ok(elapsed)` for a 200, `Err(what)` otherwise.
async fn probe(client: &reqwest::Client, url: &str, token: Option<&str>) -> Result<Duration, String> {
    let started = Instant::now();
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(r) if r.status() == 200 => Ok(started.elapsed()),
        Ok(r) => Err(format!("{url}: {} after {:?}", r.status(), started.elapsed())),
        Err(e) => Err(format!("{url}: {e} after {:?}", started.elapsed())),
    }
}

/// The settings of these tests: the limits of a small server, with the timeouts turned
/// down so that a run stays short, and the rate limits off (the slow client is what is
/// tested, not the rate).
fn settings(connections: ConnectionLimits) -> HttpConfig {
    HttpConfig {
        secure_cookies: false,
        rate_limits: RateLimits { per_second: 0, failures_per_minute: 0 },
        connections,
        ..HttpConfig::default()
    }
}

async fn spawn(connections: ConnectionLimits) -> TestApp {
    spawn_app_http(Backend::Sqlite, settings(connections)).await.unwrap()
}

/// Reads what the server answers on `stream`, until it closes, at most `limit`; the
/// status (0 for none), the headers' text and the JSON body.
async fn answer_on(stream: &mut TcpStream, limit: Duration) -> (u16, String, Value) {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server neither answered nor closed within {limit:?}");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status_of(&answer), head.to_ascii_lowercase(), serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The acceptance criterion of issue 12: while 130 slow connections come from one
/// address, `/healthz` and an authenticated read from another address keep answering
/// within 1 s, checked every half second of a bounded run.
async fn slow_connections_from_one_address_leave_health_and_reads_answering(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let token = app.issue_token("example-mail").await;
    let server = server_address(&app);
    let run = Duration::from_secs(12);
    let run_ends = Instant::now() + run;
    let outcomes = Arc::new(Outcomes::default());
    let attackers: Vec<_> = (0..130)
        .map(|_| tokio::spawn(trickle(server, run_ends, Duration::from_secs(2), 20, outcomes.clone())))
        .collect();
    // Let the attacker's connections in before the first check.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The bound the issue states is 1 s; the client gives up at 5 s, so that a server
    // that does not answer fails the check instead of hanging the test.
    let bound = Duration::from_secs(1);
    let client = bystander_client(Duration::from_secs(5));
    let (health, read) = (app.url("/healthz"), app.url(&format!("/v1/requests/{id}")));
    let mut failures = Vec::new();
    let mut checks = 0;
    for _ in 0..40 {
        if Instant::now() >= run_ends {
            break;
        }
        for answer in [probe(&client, &health, None).await, probe(&client, &read, Some(&token)).await] {
            checks += 1;
            match answer {
                Ok(elapsed) if elapsed < bound => {}
                Ok(elapsed) => failures.push(format!("answered in {elapsed:?}, over {bound:?}")),
                Err(what) => failures.push(what),
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for attacker in attackers {
        attacker.await.unwrap();
    }
    assert!(failures.is_empty(), "{} of {checks} checks failed: {failures:#?}", failures.len());
    assert!(checks >= 10, "only {checks} checks ran");
    // What kept them answering: connections over the address's limit refused at once
    // (429), and slow bodies answered 408 when their time was up.
    let seen = outcomes.seen();
    assert!(seen.get(&429).is_some_and(|&n| n > 0), "no connection was refused: {seen:?}");
    assert!(seen.get(&408).is_some_and(|&n| n > 0), "no slow body was timed out: {seen:?}");
}

/// Turned down from the defaults so that a run is short: 16 connections and 8 requests
/// in flight per address, 2 s for a head, 3 s for a body.
fn slow_run_limits() -> ConnectionLimits {
    ConnectionLimits {
        connections_per_address: 16,
        in_flight_per_address: 8,
        header_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(3),
        ..ConnectionLimits::default()
    }
}

#[tokio::test]
async fn slow_connections_from_one_address_leave_health_and_reads_answering_sqlite() {
    let app = spawn_app_http(Backend::Sqlite, settings(slow_run_limits())).await.unwrap();
    slow_connections_from_one_address_leave_health_and_reads_answering(app).await;
}

#[tokio::test]
async fn slow_connections_from_one_address_leave_health_and_reads_answering_postgres() {
    if let Some(app) = spawn_app_http(Backend::Postgres, settings(slow_run_limits())).await {
        slow_connections_from_one_address_leave_health_and_reads_answering(app).await;
    }
}

/// A body sent slowly is answered 408 once the body timeout passes, and holds no handler
/// slot while it trickles: with one slot only and no per-address limits, three slow
/// bodies leave an anonymous request from elsewhere answered.
#[tokio::test]
async fn a_slow_body_gets_408_and_holds_no_handler_slot() {
    let body_timeout = Duration::from_secs(2);
    let app = spawn(ConnectionLimits {
        connections_per_address: 0,
        in_flight_per_address: 0,
        max_in_flight: 1,
        anonymous_in_flight: 1,
        body_timeout,
        ..ConnectionLimits::default()
    })
    .await;
    let server = server_address(&app);
    let slow = slow_bodies(server, 3).await;
    // Anonymous, so it needs the one slot the slow bodies would hold if they could.
    let r = bystander_client(Duration::from_secs(5)).get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    for mut stream in slow {
        let (status, head, body) = answer_on(&mut stream, body_timeout + Duration::from_secs(10)).await;
        assert_eq!(status, 408, "{head}");
        assert_eq!(body["error"]["code"], "request_timeout", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("body"), "{body}");
        // RFC 9110 §15.5.9: the server closes the connection after a 408.
        assert!(head.contains("connection: close"), "{head}");
    }
}

/// A head sent slowly is answered 408 once the header timeout passes, in the one error
/// shape; a connection that sends nothing is closed then.
#[tokio::test]
async fn a_slow_head_gets_408_and_a_silent_connection_is_closed() {
    let header_timeout = Duration::from_secs(1);
    let app = spawn(ConnectionLimits { header_timeout, ..ConnectionLimits::default() }).await;
    let server = server_address(&app);
    let mut silent = connect_from(ATTACKER, server).await.unwrap();
    let mut slow = connect_from(ATTACKER, server).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: comity.test\r\n").await.unwrap();
    // One header line every 200 ms: the head would take 10 s, past its timeout.
    let mut buf = [0u8; 1024];
    let mut answer = Vec::new();
    for i in 0..50 {
        tokio::select! {
            read = slow.read(&mut buf) => {
                match read {
                    Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if slow.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes()).await.is_err() {
                    break;
                }
            }
        }
    }
    let (_, rest_head, _) = answer_on(&mut slow, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    assert_eq!(status_of(&answer), 408, "{text}{rest_head}");
    let body: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(body["error"]["code"], "request_timeout", "{body}");
    assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");

    let (status, head, _) = answer_on(&mut silent, header_timeout + Duration::from_secs(10)).await;
    assert_eq!(status, 0, "a connection that sent nothing is closed without an answer: {head}");
}

/// A connection over its address's limit is answered 429 at once, without waiting for
/// any timeout, while other addresses connect; once one of its connections closes, the
/// address may open another.
#[tokio::test]
async fn a_client_over_its_connection_limit_is_refused_promptly() {
    let app = spawn(ConnectionLimits {
        connections_per_address: 4,
        header_timeout: Duration::from_secs(60),
        ..ConnectionLimits::default()
    })
    .await;
    let server = server_address(&app);
    let mut open = Vec::new();
    for _ in 0..4 {
        open.push(connect_from(COUNTED, server).await.unwrap());
    }
    let mut fifth = connect_from(COUNTED, server).await.unwrap();
    // Far less than the header timeout: the refusal does not wait for it.
    let (status, head, body) = answer_on(&mut fifth, Duration::from_secs(10)).await;
    assert_eq!(status, 429, "{head}");
    assert!(head.contains("retry-after: 1"), "{head}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("4 connections"), "{body}");
    let r = bystander_client(Duration::from_secs(5)).get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "another address connects");

    drop(open.pop());
    // The server counts the connection out when it sees it close; ask until it has.
    let mut served = None;
    let mut seen = Vec::new();
    for _ in 0..50 {
        let mut stream = connect_from(COUNTED, server).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: comity.test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let (status, _, _) = answer_on(&mut stream, Duration::from_secs(10)).await;
        seen.push(status);
        if status == 200 {
            served = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, Some(200), "a closed connection is counted no more: {seen:?}");
    // The operator sees the refusals.
    let metrics = app.metrics().await;
    assert!(metrics.contains("comity_rate_limited_total{code=\"connections\"}"), "{metrics}");
}

/// An address with its limit of requests in flight gets 429 for one more, at once;
/// another address is served.
#[tokio::test]
async fn a_client_over_its_in_flight_limit_gets_429() {
    let app = spawn(ConnectionLimits { in_flight_per_address: 2, ..ConnectionLimits::default() }).await;
    let server = server_address(&app);
    // Held open to the end of the test: their requests stay in flight.
    let _slow = slow_bodies(server, 2).await;
    let attacker = reqwest::Client::builder()
        .local_address(IpAddr::V4(ATTACKER))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // The two slow requests are in once the server has read their heads; ask until then.
    let mut refused = None;
    for _ in 0..50 {
        let r = attacker.get(app.url("/openapi.json")).send().await.unwrap();
        if r.status() == 429 {
            refused = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = refused.expect("a third request in flight from one address is refused");
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("2 requests in progress"), "{body}");
    let r = bystander_client(Duration::from_secs(5)).get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200, "another address is served");
    // Health checks are not counted against the address.
    let r = attacker.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let metrics = app.metrics().await;
    assert!(metrics.contains("comity_rate_limited_total{code=\"in_flight\"}"), "{metrics}");
}

/// Behind a proxy every connection is the proxy's: they are not counted per address (the
/// proxy limits them), but requests in flight are, per client as `X-Forwarded-For` names
/// it.
#[tokio::test]
async fn behind_a_proxy_requests_in_flight_are_counted_per_forwarded_client() {
    let app = spawn_app_http(
        Backend::Sqlite,
        HttpConfig {
            behind_proxy: true,
            ..settings(ConnectionLimits {
                connections_per_address: 1,
                in_flight_per_address: 1,
                ..ConnectionLimits::default()
            })
        },
    )
    .await
    .unwrap();
    let server = server_address(&app);
    // The proxy's connections: one holds a slow body for 198.51.100.7.
    let mut slow = connect_from(COUNTED, server).await.unwrap();
    let head = "POST /v1/session HTTP/1.1\r\nHost: comity.test\r\nX-Forwarded-For: 198.51.100.7\r\n\
                Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    slow.write_all(head.as_bytes()).await.unwrap();
    let proxy = reqwest::Client::builder()
        .local_address(IpAddr::V4(COUNTED))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let ask =
        |client: &'static str| proxy.get(app.url("/openapi.json")).header("x-forwarded-for", client).send();
    // Another client through the same proxy, on a second connection of the proxy's.
    assert_eq!(ask("198.51.100.8").await.unwrap().status(), 200, "the proxy's connections are not counted");
    // The slow client's next request waits for its first; ask until the first is in.
    let mut refused = None;
    for _ in 0..50 {
        let r = ask("198.51.100.7").await.unwrap();
        if r.status() == 429 {
            refused = Some(r.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(refused, Some(reqwest::StatusCode::TOO_MANY_REQUESTS), "counted per forwarded client");
    assert_eq!(ask("198.51.100.8").await.unwrap().status(), 200);
}

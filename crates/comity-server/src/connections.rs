//! Connections and handler slots, so that one address cannot take the server down
//! (issue 12, finding 1: 130 slow connections from one address held every handler slot,
//! and `/healthz` timed out for as long as they trickled).
//!
//! The controls, from the socket inwards:
//!
//! - **Connections per address.** [`crate::serve`] runs its own accept loop (axum's `serve`
//!   neither counts connections nor sets hyper's header read timeout) and counts each
//!   peer's open connections; one over [`ConnectionLimits::connections_per_address`] is
//!   answered 429 at once and closed. IPv6 peers are counted by their /64, which one
//!   subscriber usually holds whole (RFC 6177 §2). Behind a proxy every connection is the
//!   proxy's, so the count is off and the proxy must limit connections per client.
//! - **Header read timeout.** A request's head must arrive within
//!   [`ConnectionLimits::header_timeout`] (hyper's `header_read_timeout`), which also ends
//!   an idle keep-alive connection. A client that sent part of a head gets 408 Request
//!   Timeout (RFC 9110 §15.5.9) with `Connection: close`; one that sent nothing is closed.
//! - **Body read timeout.** The body of every bounded route is read whole, within
//!   [`ConnectionLimits::body_timeout`] from its first byte, *before* the handler's slot
//!   is taken (`read_body`): a slow body gets 408 and never holds a slot. The body must
//!   arrive in time as a whole, not merely keep trickling (a timeout between reads, which
//!   is what `tower_http`'s body timeout is, lets one byte every few seconds go on for as
//!   long as the body is).
//! - **Requests in flight per address** (`per_address`): a client address, the one
//!   `X-Forwarded-For` names behind a proxy, has at most
//!   [`ConnectionLimits::in_flight_per_address`] requests being read or handled at once;
//!   one more is answered 429 at once.
//! - **Capacity kept apart** (`admit`): health checks (`/healthz`, `/readyz`,
//!   `/metrics`) have slots of their own; anonymous requests may take at most
//!   [`ConnectionLimits::anonymous_in_flight`] of the [`ConnectionLimits::max_in_flight`]
//!   handler slots, so that the rest is always there for callers with a credential. A
//!   request that waits too long for a slot gets 503 with `Retry-After`.
//!
//! The server speaks HTTP/1.1 only (hyper's `http1` connection, as axum's features in
//! this workspace have it); TLS and HTTP/2 are the proxy's in front.
//!
//! `docs/threat-model.md` §8 lists each control with its limits and its test.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::{
    Router,
    body::{Body, HttpBody},
    extract::{ConnectInfo, Request, State as AxumState},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use comity_wire::api::{ErrorBody, ErrorDetail};
use http_body_util::BodyExt;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tower::ServiceExt;

use crate::{AppState, error::ApiError, extract::ClientIp, metrics::RefusalLabels};

/// How many connections and requests a client may hold, and how long it may take to send
/// a request. A limit of 0 turns that limit off (a benchmark from one address).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections per client address (per /64 for IPv6); not counted behind a proxy.
    pub connections_per_address: usize,
    /// Requests being read or handled at once per client address.
    pub in_flight_per_address: usize,
    /// Handlers running at once. Past this, requests wait at the door instead of all
    /// competing for the database's connections, which would time out under a burst.
    pub max_in_flight: usize,
    /// Of `max_in_flight`, how many anonymous requests may take; the rest is kept for
    /// callers with a credential.
    pub anonymous_in_flight: usize,
    /// Time to send a request's head (line and headers), and to keep an idle connection.
    pub header_timeout: Duration,
    /// Time to send a whole body (but for the streaming productions', which may not pause
    /// longer than this between two reads).
    pub body_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// What fits a small server: a browser opens 6 connections to a host and a system's
    /// pool some dozens, while one address takes at most a quarter of the 128 handlers,
    /// which keep the database's connections busy without a queue timing out.
    fn default() -> Self {
        Self {
            connections_per_address: 64,
            in_flight_per_address: 32,
            max_in_flight: 128,
            anonymous_in_flight: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// Handler slots kept for health checks, whatever the rest of the server is doing.
const HEALTH_IN_FLIGHT: usize = 16;

/// How long a request waits at the door for a handler slot before it is answered 503.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The routes of health checks and monitoring, which have slots of their own.
fn is_health(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The counters and slots of [`ConnectionLimits`], shared by the accept loop and the
/// middleware.
#[derive(Debug)]
pub(crate) struct Admission {
    limits: ConnectionLimits,
    connections: PerAddress,
    in_flight: PerAddress,
    health: Arc<Semaphore>,
    handlers: Arc<Semaphore>,
    anonymous: Arc<Semaphore>,
}

/// Who a request is, for the slots it may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Health,
    Authenticated,
    Anonymous,
}

/// The slots a request holds while its handler runs.
#[derive(Debug)]
pub(crate) struct Slots {
    _handler: OwnedSemaphorePermit,
    _anonymous: Option<OwnedSemaphorePermit>,
}

impl Admission {
    pub(crate) fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    pub(crate) fn new(limits: ConnectionLimits) -> Self {
        let max_in_flight = limits.max_in_flight.max(1);
        Self {
            limits,
            connections: PerAddress::new(limits.connections_per_address),
            in_flight: PerAddress::new(limits.in_flight_per_address),
            health: Arc::new(Semaphore::new(HEALTH_IN_FLIGHT)),
            handlers: Arc::new(Semaphore::new(max_in_flight)),
            anonymous: Arc::new(Semaphore::new(limits.anonymous_in_flight.clamp(1, max_in_flight))),
        }
    }

    /// Takes the slots a request of `class` needs, waiting at most `wait`; `None` when
    /// none freed up in time.
    pub(crate) async fn enter(&self, class: Class, wait: Duration) -> Option<Slots> {
        let slots = async {
            match class {
                Class::Health => Some(Slots {
                    _handler: self.health.clone().acquire_owned().await.ok()?,
                    _anonymous: None,
                }),
                Class::Authenticated => Some(Slots {
                    _handler: self.handlers.clone().acquire_owned().await.ok()?,
                    _anonymous: None,
                }),
                // The anonymous share first, so that an anonymous request waiting for a
                // slot never holds one of those kept for callers with a credential.
                Class::Anonymous => {
                    let anonymous = self.anonymous.clone().acquire_owned().await.ok()?;
                    let handler = self.handlers.clone().acquire_owned().await.ok()?;
                    Some(Slots { _handler: handler, _anonymous: Some(anonymous) })
                }
            }
        };
        tokio::time::timeout(wait, slots).await.ok().flatten()
    }
}

/// Counts what each client address holds (connections, or requests in flight), up to a
/// limit.
#[derive(Debug)]
struct PerAddress {
    limit: usize,
    held: Counts,
}

/// How many each address holds; an address holding none has no entry.
type Counts = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One connection or request of an address, counted until it is dropped.
#[derive(Debug)]
pub(crate) struct Held(Option<(Counts, IpAddr)>);

impl PerAddress {
    fn new(limit: usize) -> Self {
        Self { limit, held: Arc::default() }
    }

    /// Counts one more for `ip`, or `None` when it already holds its limit.
    fn take(&self, ip: IpAddr) -> Option<Held> {
        if self.limit == 0 {
            return Some(Held(None));
        }
        // One client per IPv4 address or IPv6 /64, as every per-client limit counts.
        let key = comity_app::network(ip);
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = held.entry(key).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Held(Some((self.held.clone(), key))))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some((held, key)) = self.0.take() else { return };
        let mut held = held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // The entry goes when its last one does, so the table is as small as the clients.
        if let Some(count) = held.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&key);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets each connection
/// finish the request it is on, and returns when all have closed.
pub(crate) async fn serve(
    listener: TcpListener,
    state: AppState,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let admission = state.trust.admission.clone();
    let limits = admission.limits;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Behind a proxy every connection is the proxy's: counting them would limit the
        // proxy, not a client. The proxy limits connections per client there.
        let held =
            if state.trust.behind_proxy { Some(Held(None)) } else { admission.connections.take(peer.ip()) };
        let Some(held) = held else {
            state.metrics.rate_limited.get_or_create(&RefusalLabels { code: "connections".to_owned() }).inc();
            refuse(stream, limits.connections_per_address);
            continue;
        };
        // Answers go out as soon as they are written (RFC 9293 §3.7.4, Nagle).
        let _ = stream.set_nodelay(true);
        let io = Shared::new(stream);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io.clone()), service));
        tokio::spawn(async move {
            let _held = held;
            if let Err(e) = connection.await {
                if e.is_timeout() && io.request_pending() {
                    let message = format!(
                        "the request's line and headers did not arrive within {} s; send them at once",
                        limits.header_timeout.as_secs_f64()
                    );
                    let answer = raw_answer(StatusCode::REQUEST_TIMEOUT, "request_timeout", message, None);
                    let mut io = io;
                    let _ = tokio::time::timeout(Duration::from_secs(1), io.write_all(&answer)).await;
                }
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// An accept that failed: a connection reset before it was taken is the client's
/// business; anything else (out of file descriptors) is waited out, as axum's `serve`
/// does, rather than spun on.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; trying again in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Answers a connection over its address's limit with 429 (RFC 6585 §4) and closes it,
/// without waiting on the client: the answer fits the empty send buffer of a fresh
/// socket, and what the client sent already is read off so that closing does not reset
/// the connection under the answer (RFC 9293 §3.6).
fn refuse(stream: TcpStream, limit: usize) {
    let message = format!(
        "your address has {limit} connections open to this server already; close one, or send your \
         requests over the ones you have"
    );
    let _ = stream.try_write(&raw_answer(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message, Some(1)));
    let mut scratch = [0u8; 4096];
    for _ in 0..4 {
        if !matches!(stream.try_read(&mut scratch), Ok(n) if n > 0) {
            break;
        }
    }
}

/// An answer in the one error shape, written straight to a socket where hyper has no
/// request to answer, with `Connection: close`.
fn raw_answer(status: StatusCode, code: &str, message: String, retry_after: Option<u32>) -> Vec<u8> {
    let body = ErrorBody { error: ErrorDetail { code: code.to_owned(), message, details: Vec::new() } };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let retry_after = retry_after.map(|s| format!("retry-after: {s}\r\n")).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{retry_after}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

/// A TCP stream hyper reads and writes, which the accept loop can still write to after
/// hyper has given up on it (to answer 408 to a head that did not arrive in time), and
/// which knows whether a request is under way: bytes read since the last write.
#[derive(Debug, Clone)]
struct Shared {
    stream: Arc<TcpStream>,
    pending: Arc<AtomicBool>,
}

impl Shared {
    fn new(stream: TcpStream) -> Self {
        Self { stream: Arc::new(stream), pending: Arc::default() }
    }

    /// The client sent something that has not been answered.
    fn request_pending(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }
}

/// At most this much of a read buffer is zeroed for one read, so that a large buffer
/// costs nothing until it is needed.
const READ_CHUNK: usize = 64 * 1024;

impl AsyncRead for Shared {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.stream.poll_read_ready(cx))?;
            let room = buf.remaining().min(READ_CHUNK);
            match self.stream.try_read(buf.initialize_unfilled_to(room)) {
                Ok(n) => {
                    buf.advance(n);
                    if n > 0 {
                        self.pending.store(true, Ordering::Relaxed);
                    }
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Shared {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write(data) {
                Ok(n) => {
                    self.pending.store(false, Ordering::Relaxed);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write_vectored(data) {
                Ok(n) => {
                    self.pending.store(false, Ordering::Relaxed);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The socket closes when the connection's last handle is dropped, right after.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The way into a bounded route's handler: the address's requests in flight counted
/// (`per_address`), the body read whole in time (`read_body`), then a handler slot
/// taken (`admit`). One layer, so that a request pays for one.
pub async fn bounded(AxumState(app): AxumState<AppState>, request: Request, next: Next) -> Response {
    enter(&app, request, next, BodyTaken::ReadWhole).await
}

/// The way into a streaming route's handler: as [`bounded`], but for the body, which the
/// handler streams in as it comes.
pub async fn streaming(AxumState(app): AxumState<AppState>, request: Request, next: Next) -> Response {
    enter(&app, request, next, BodyTaken::Streamed).await
}

/// How a route takes its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyTaken {
    ReadWhole,
    Streamed,
}

async fn enter(app: &AppState, request: Request, next: Next, body: BodyTaken) -> Response {
    let health = is_health(request.uri().path());
    let _held = match per_address(app, &request, health) {
        Ok(held) => held,
        Err(refused) => return refused.into_response(),
    };
    let request = match body {
        BodyTaken::Streamed => request,
        BodyTaken::ReadWhole => match read_body(app, request).await {
            Ok(request) => request,
            Err(refused) => return close(refused.into_response()),
        },
    };
    let _slots = match admit(app, class_of(&request, health)).await {
        Ok(slots) => slots,
        Err(refused) => return refused.into_response(),
    };
    next.run(request).await
}

/// Counts a request against its address's limit of requests in flight, or refuses it
/// with 429. Health checks are not counted: they have slots of their own ([`admit`]).
fn per_address(app: &AppState, request: &Request, health: bool) -> Result<Held, ApiError> {
    let admission = &app.trust.admission;
    if health {
        return Ok(Held(None));
    }
    let client = request.extensions().get::<ClientIp>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0);
    admission.in_flight.take(client).ok_or_else(|| {
        app.metrics.rate_limited.get_or_create(&RefusalLabels { code: "in_flight".to_owned() }).inc();
        let limit = admission.limits.in_flight_per_address;
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("your address has {limit} requests in progress already; wait for an answer before sending more"),
        )
        .retry_after(1)
    })
}

/// Reads a body whole, within the body read timeout, before its handler takes a slot: a
/// client that sends its body slowly gets 408 Request Timeout (RFC 9110 §15.5.9) and
/// holds no slot while it sends. The connection is closed after a refusal
/// ([`close`]).
async fn read_body(app: &AppState, request: Request) -> Result<Request, ApiError> {
    if request.body().is_end_stream() {
        return Ok(request);
    }
    let limit = crate::MAX_BODY_BYTES;
    let declared =
        request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(crate::error::body_too_large());
    }
    let timeout = app.trust.admission.limits.body_timeout;
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(timeout, http_body_util::Limited::new(body, limit).collect()).await;
    match read {
        Ok(Ok(collected)) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(crate::error::body_too_large()),
        Ok(Err(e)) => Err(ApiError::bad_request(format!("the body could not be read: {e}"))),
        Err(_) => {
            let message = format!(
                "the body did not arrive within {} s; send it at once, or use a faster connection",
                timeout.as_secs_f64()
            );
            Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message))
        }
    }
}

/// An answer after which the connection closes: the rest of a body that was not read
/// cannot be told from the next request (RFC 9112 §9.6).
fn close(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Who a request is, for the slots it may take: `authenticate` has resolved its caller.
fn class_of(request: &Request, health: bool) -> Class {
    if health {
        Class::Health
    } else if request.extensions().get::<crate::extract::Caller>().is_some() {
        Class::Authenticated
    } else {
        Class::Anonymous
    }
}

/// Takes a handler slot for the request: health checks from their own, a caller with a
/// credential from the shared ones, an anonymous request from the shared ones within the
/// anonymous share. A request that waits too long for one is answered 503.
async fn admit(app: &AppState, class: Class) -> Result<Slots, ApiError> {
    app.trust.admission.enter(class, QUEUE_WAIT).await.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is busy with other requests; try again in a moment",
        )
        .retry_after(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anonymous requests cannot take the slots kept for callers with a credential, nor
    /// the health checks'.
    #[tokio::test]
    async fn anonymous_requests_leave_the_slots_kept_for_callers_and_health_checks() {
        let admission = Admission::new(ConnectionLimits {
            max_in_flight: 4,
            anonymous_in_flight: 2,
            ..Default::default()
        });
        let no_wait = Duration::ZERO;
        let mut held = Vec::new();
        for _ in 0..2 {
            held.push(admission.enter(Class::Anonymous, no_wait).await.expect("within the anonymous share"));
        }
        assert!(admission.enter(Class::Anonymous, no_wait).await.is_none(), "the anonymous share is taken");
        for _ in 0..2 {
            held.push(admission.enter(Class::Authenticated, no_wait).await.expect("kept for callers"));
        }
        assert!(admission.enter(Class::Authenticated, no_wait).await.is_none(), "every slot is taken");
        let health: Vec<_> = take_up_to(&admission, Class::Health, HEALTH_IN_FLIGHT).await;
        assert_eq!(health.len(), HEALTH_IN_FLIGHT, "health checks have slots of their own");
        // A slot freed is a slot taken again.
        held.truncate(1);
        assert!(admission.enter(Class::Anonymous, no_wait).await.is_some());
    }

    async fn take_up_to(admission: &Admission, class: Class, n: usize) -> Vec<Slots> {
        let mut slots = Vec::new();
        for _ in 0..n {
            if let Some(s) = admission.enter(class, Duration::ZERO).await {
                slots.push(s);
            }
        }
        slots
    }

    /// One count per IPv4 address, per IPv6 /64, and none at all when the limit is 0.
    #[test]
    fn addresses_are_counted_by_what_one_client_holds() {
        let per = PerAddress::new(2);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let first = per.take(a).unwrap();
        let _second = per.take(same_64).unwrap();
        assert!(per.take(a).is_none(), "two from one /64 is its limit");
        assert!(per.take(other_64).is_some(), "another /64 is another client");
        drop(first);
        assert!(per.take(same_64).is_some(), "a connection closed is counted no more");
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(comity_app::network(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
        let off = PerAddress::new(0);
        assert!((0..1000).all(|_| off.take(a).is_some()));
    }
}

//! The accept loop of the gateway and the hub, plain HTTP or TLS, HTTP/1.1 and
//! HTTP/2 (hyper-util's auto builder). `axum::serve` has no TLS and no header
//! read timeout, hence this loop:
//!
//! - TLS handshakes run in each connection's task, bounded by `header_timeout`;
//!   the verified client certificate's identity goes into every request's
//!   extensions as [`Peer`].
//! - Slow clients cannot hold connections: a request head must arrive within
//!   `header_timeout` once it has begun (hyper's `header_read_timeout`), and a
//!   connection on which nothing moves for `idle_timeout` is closed ([`Idle`]:
//!   before the first byte, between keep-alive requests, and a peer that stops
//!   reading our answer). hyper has no such timeout of its own.
//! - Graceful shutdown: stop accepting, let in-flight requests finish (at most
//!   `drain_timeout`), close.
//! - Bounded connections ([`Connections`]): at most `max_connections` at once
//!   and `max_connections_per_address` from one source address. A connection
//!   from an address at its bound is closed at once. When the total bound is
//!   reached, a small reserve (`RESERVE` connections, each held at most
//!   `RESERVE_FOR`) still answers `GET /healthz`, and everything else with 503
//!   `overloaded`, so that a flood of idle connections neither exhausts file
//!   descriptors nor blinds the probes; past the reserve, connections are
//!   closed at once.
//! - Every request carries its source address ([`Remote`]), for the limits on
//!   unauthenticated requests ([`super::keys`]).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use super::error::ApiError;

use crate::tls::{Acceptor, PeerIdentity};

/// The verified client certificate of the request's connection, if any.
#[derive(Debug, Clone, Default)]
pub struct Peer(pub Option<Arc<PeerIdentity>>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Self::Rejection> {
        Ok(parts.extensions.get::<Peer>().cloned().unwrap_or_default())
    }
}

/// The source address of the request's connection (a request extension).
#[derive(Debug, Clone, Copy)]
pub struct Remote(pub SocketAddr);

/// Connections held in reserve for `/healthz` when the total bound is reached.
const RESERVE: usize = 16;

/// How long a reserve connection is kept.
const RESERVE_FOR: Duration = Duration::from_secs(2);

/// Default bound on connections at once.
pub const MAX_CONNECTIONS: usize = 4096;

/// Default bound on connections at once from one source address.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 256;

/// How a listener serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub tls: Option<Arc<Acceptor>>,
    /// Time allowed for a TLS handshake and for each request head.
    pub header_timeout: Duration,
    /// A connection with no traffic for this long is closed (longer than the
    /// request timeout, so that a slow handler is answered 408 first).
    pub idle_timeout: Duration,
    /// How long a graceful shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
    /// Connections at once (below the file-descriptor limit, with room for the store).
    pub max_connections: usize,
    /// Connections at once from one source address.
    pub max_connections_per_address: usize,
}

/// The connection bounds of a listener: a semaphore for the total, counts per
/// address (an address with no connection is forgotten), and the reserve.
pub struct Connections {
    total: Arc<Semaphore>,
    reserve: Arc<Semaphore>,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    max_per_address: usize,
}

/// What a new connection may have.
pub enum Admission {
    /// Served in full while the slot is held.
    Serve(Slot),
    /// Served `/healthz` only, briefly.
    Reserve(Slot),
    /// Closed at once.
    Refuse,
}

/// A held connection slot: gives its place back when dropped.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    address: IpAddr,
    connections: Arc<Connections>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .connections
            .per_address
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

impl Connections {
    pub fn new(max_connections: usize, max_per_address: usize) -> Arc<Connections> {
        Arc::new(Connections {
            total: Arc::new(Semaphore::new(max_connections.max(1))),
            reserve: Arc::new(Semaphore::new(RESERVE)),
            per_address: Mutex::new(HashMap::new()),
            max_per_address: max_per_address.max(1),
        })
    }

    /// Decides for a connection from `address`.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Admission {
        let mut counts = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.get(&address).copied().unwrap_or(0);
        if count >= self.max_per_address {
            return Admission::Refuse;
        }
        let (permit, full) = match Arc::clone(&self.total).try_acquire_owned() {
            Ok(permit) => (permit, false),
            Err(_) => match Arc::clone(&self.reserve).try_acquire_owned() {
                Ok(permit) => (permit, true),
                Err(_) => return Admission::Refuse,
            },
        };
        counts.insert(address, count + 1);
        let slot = Slot {
            _permit: permit,
            address,
            connections: Arc::clone(self),
        };
        if full {
            Admission::Reserve(slot)
        } else {
            Admission::Serve(slot)
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let tls = options.tls.as_ref().map(|a| {
        (
            Arc::clone(a),
            tokio_rustls::TlsAcceptor::from(Arc::clone(&a.config)),
        )
    });
    let connections =
        Connections::new(options.max_connections, options.max_connections_per_address);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = match connections.admit(remote.ip()) {
            Admission::Serve(slot) => slot,
            Admission::Reserve(slot) => {
                tracing::debug!(%remote, "connection bound reached; served from the reserve");
                serve_reserve(
                    stream,
                    remote,
                    app.clone(),
                    tls.clone(),
                    slot,
                    options.header_timeout,
                );
                continue;
            }
            Admission::Refuse => {
                tracing::debug!(%remote, "connection refused: over the connection bounds");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let builder = builder.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let header_timeout = options.header_timeout;
        let stream = Idle::new(stream, options.idle_timeout);
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                None => {
                    let app = app.map_request(
                        move |mut request: hyper::Request<hyper::body::Incoming>| {
                            request.extensions_mut().insert(Remote(remote));
                            request
                        },
                    );
                    let service = TowerToHyperService::new(app);
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%remote, error = %e, "connection ended with an error");
                    }
                }
                Some((acceptor, tls)) => {
                    let stream =
                        match tokio::time::timeout(header_timeout, tls.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => {
                                tracing::info!(%remote, error = %e, "TLS handshake refused");
                                return;
                            }
                            Err(_) => {
                                tracing::info!(%remote, "TLS handshake timed out");
                                return;
                            }
                        };
                    let peer = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| acceptor.identify(chain))
                        .map(Arc::new);
                    if let Some(p) = &peer {
                        tracing::debug!(%remote, subject = %p.subject_text(), "client certificate");
                    }
                    let peer = Peer(peer);
                    let app = app.map_request(
                        move |mut request: hyper::Request<hyper::body::Incoming>| {
                            request.extensions_mut().insert(peer.clone());
                            request.extensions_mut().insert(Remote(remote));
                            request
                        },
                    );
                    let service = TowerToHyperService::new(app);
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%remote, error = %e, "connection ended with an error");
                    }
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(options.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "in-flight requests did not finish within {:?}; closing",
            options.drain_timeout
        );
    }
    Ok(())
}

/// A connection taken when the total bound is reached: `GET /healthz` is
/// answered, anything else 503 `overloaded`, and the connection is closed
/// after one request or [`RESERVE_FOR`], whichever comes first.
fn serve_reserve(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    app: Router,
    tls: Option<(Arc<Acceptor>, tokio_rustls::TlsAcceptor)>,
    slot: Slot,
    header_timeout: Duration,
) {
    tokio::spawn(async move {
        let _slot = slot;
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let app = app.clone();
                async move {
                    if request.uri().path() == "/healthz" {
                        let mut request = request.map(axum::body::Body::new);
                        request.extensions_mut().insert(Remote(remote));
                        app.oneshot(request).await
                    } else {
                        let mut response = ApiError::new(
                            axum::http::StatusCode::SERVICE_UNAVAILABLE,
                            "overloaded",
                            "the server is at its connection bound; retry later",
                        )
                        .into_response();
                        response.headers_mut().insert(
                            axum::http::header::RETRY_AFTER,
                            axum::http::HeaderValue::from_static("1"),
                        );
                        Ok(response)
                    }
                }
            });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .keep_alive(false)
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout.min(RESERVE_FOR));
        let served = async {
            match tls {
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
                Some((_, tls)) => {
                    if let Ok(stream) = tls.accept(stream).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            }
        };
        if tokio::time::timeout(RESERVE_FOR, served).await.is_err() {
            tracing::debug!(%remote, "reserve connection closed after its time");
        }
    });
}

/// A stream that fails with `TimedOut` when neither a read nor a write has made
/// progress for `timeout` while one is waiting: the idle timeout of a connection.
pub struct Idle<T> {
    inner: T,
    timeout: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl<T> Idle<T> {
    pub fn new(inner: T, timeout: Duration) -> Idle<T> {
        Idle {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.timeout;
        self.deadline.as_mut().reset(next);
    }

    /// `Ready(error)` once the deadline passed (the caller is waiting).
    fn expired(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Error> {
        use std::future::Future as _;
        self.deadline
            .as_mut()
            .poll(cx)
            .map(|()| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle too long"))
    }
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Idle<T> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.inner).poll_read(cx, buf) {
            std::task::Poll::Ready(result) => {
                this.moved();
                std::task::Poll::Ready(result)
            }
            std::task::Poll::Pending => this.expired(cx).map(Err),
        }
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Idle<T> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.inner).poll_write(cx, buf) {
            std::task::Poll::Ready(result) => {
                this.moved();
                std::task::Poll::Ready(result)
            }
            std::task::Poll::Pending => this.expired(cx).map(Err),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.inner).poll_flush(cx) {
            std::task::Poll::Pending => this.expired(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpSocket, TcpStream};

    /// A connection to `to` from the loopback address `127.0.0.<from>`.
    async fn connect(to: SocketAddr, from: u8) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket
            .bind(SocketAddr::from(([127, 0, 0, from], 0)))
            .unwrap();
        socket.connect(to).await.unwrap()
    }

    /// Sends a GET for `path` and returns the status line, or `None` when the
    /// server closes the connection without an answer.
    async fn get(stream: &mut TcpStream, path: &str) -> Option<String> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        if stream.write_all(request.as_bytes()).await.is_err() {
            return None;
        }
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        let text = String::from_utf8_lossy(buf.get(..n)?).into_owned();
        text.lines()
            .next()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
    }

    async fn server(max: usize, per_address: usize) -> SocketAddr {
        let app = Router::new()
            .route("/healthz", axum::routing::get(|| async { "ok" }))
            .route("/work", axum::routing::get(|| async { "done" }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = ServeOptions {
            tls: None,
            header_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(1),
            max_connections: max,
            max_connections_per_address: per_address,
        };
        tokio::spawn(serve(listener, app, options, std::future::pending()));
        addr
    }

    #[tokio::test]
    async fn an_address_at_its_bound_is_closed_and_others_are_served() {
        let addr = server(16, 2).await;
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut c = connect(addr, 1).await;
            assert_eq!(
                get(&mut c, "/work").await.as_deref(),
                Some("HTTP/1.1 200 OK")
            );
            held.push(c);
        }
        let mut third = connect(addr, 1).await;
        assert_eq!(
            get(&mut third, "/work").await,
            None,
            "served past its bound"
        );
        let mut other = connect(addr, 2).await;
        assert_eq!(
            get(&mut other, "/work").await.as_deref(),
            Some("HTTP/1.1 200 OK")
        );
        // A closed connection gives its place back.
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut again = connect(addr, 1).await;
        assert_eq!(
            get(&mut again, "/work").await.as_deref(),
            Some("HTTP/1.1 200 OK")
        );
    }

    #[tokio::test]
    async fn at_the_total_bound_healthz_is_answered_from_the_reserve() {
        let addr = server(4, 2).await;
        let mut held = Vec::new();
        for from in [2, 2, 3, 3] {
            let mut c = connect(addr, from).await;
            assert_eq!(
                get(&mut c, "/work").await.as_deref(),
                Some("HTTP/1.1 200 OK")
            );
            held.push(c);
        }
        let mut probe = connect(addr, 4).await;
        assert_eq!(
            get(&mut probe, "/healthz").await.as_deref(),
            Some("HTTP/1.1 200 OK")
        );
        let mut busy = connect(addr, 4).await;
        assert_eq!(
            get(&mut busy, "/work").await.as_deref(),
            Some("HTTP/1.1 503 Service Unavailable")
        );
        // Past the reserve, connections are closed at once.
        let mut reserve = Vec::new();
        for i in 0..RESERVE {
            reserve.push(connect(addr, 10 + (i % 100) as u8).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut over = connect(addr, 5).await;
        assert_eq!(get(&mut over, "/healthz").await, None);
        // The reserve is held briefly: once it has gone, probes are answered again.
        tokio::time::sleep(RESERVE_FOR + Duration::from_millis(500)).await;
        let mut probe = connect(addr, 6).await;
        assert_eq!(
            get(&mut probe, "/healthz").await.as_deref(),
            Some("HTTP/1.1 200 OK")
        );
    }
}

//! [hyper](https://hyper.rs) 1.x on weft: its runtime traits implemented over weft's
//! spawner, timer and sockets, a connector for hyper-util's pooled client, and one-call
//! helpers for a client and a server (cargo feature `hyper`).
//!
//! ```
//! use std::convert::Infallible;
//!
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use hyper::body::Incoming;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//!
//! type Error = Box<dyn std::error::Error + Send + Sync>;
//!
//! weft::run(async {
//!     // A server: every request is answered with "hello, <path>".
//!     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let hello = service_fn(|req: Request<Incoming>| async move {
//!         let text = format!("hello, {}", req.uri().path());
//!         Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
//!     });
//!     let server = weft::spawn(weft::hyper::serve(listener, hello));
//!
//!     // A pooled client: both requests go over one kept-alive connection.
//!     let client = weft::hyper::client();
//!     for name in ["world", "weft"] {
//!         let res = client.get(format!("http://{addr}/{name}").parse()?).await?;
//!         assert_eq!(res.status(), 200);
//!         let body = res.into_body().collect().await?.to_bytes();
//!         assert_eq!(body, format!("hello, /{name}"));
//!     }
//!     server.abort();
//!     Ok::<(), Error>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! Add `hyper = "1"`, `http-body-util = "0.1"` and `bytes = "1"` to your own dependencies
//! for the request, response and body types.
//!
//! # What is here
//!
//! | hyper needs | weft gives |
//! |---|---|
//! | an executor (`hyper::rt::Executor`) for the client's connection tasks | [`WeftExecutor`]: [`weft::spawn`](crate::spawn) |
//! | a timer (`hyper::rt::Timer`): header-read timeouts, the pool's idle timer | [`WeftTimer`]: [`weft::time`](crate::time)'s wheel |
//! | I/O (`hyper::rt::Read` / `Write`) | [`WeftIo<T>`] over any futures-io `AsyncRead`/`AsyncWrite`: [`TcpStream`], [`UnixStream`](crate::net::UnixStream), [`duplex`](crate::io::duplex) |
//! | a connector for hyper-util's pooled `Client` | [`Connector`]: resolves, connects with a time limit, clear [`ConnectError`]s |
//! | | [`client()`] / [`client_builder()`]: a pooled client on weft in one call |
//! | | [`serve()`] / [`serve_with()`]: an HTTP/1 server on a [`TcpListener`] |
//!
//! # From aiohttp and httpx
//!
//! | Python | weft |
//! |---|---|
//! | `aiohttp.ClientSession()`, `httpx.AsyncClient()` | [`client()`]: one pooled client, cloned freely (clones share the pool) |
//! | `await session.get(url)` then `await resp.text()` | `client.get(uri).await?` then `res.into_body().collect().await?` (http-body-util's `BodyExt`) |
//! | `TCPConnector(limit=10)` | a [`Semaphore`](crate::sync::Semaphore) of 10 around each request (hyper-util's pool limits idle connections only: [`Builder::pool_max_idle_per_host`](hyper_util::client::legacy::Builder::pool_max_idle_per_host)) |
//! | `ClientTimeout(total=5)`, `asyncio.wait_for(.., 5)` | [`weft::time::timeout`](crate::time::timeout) around the request and the body |
//! | `ClientTimeout(connect=2)` | [`Connector::connect_timeout`] |
//! | `aiohttp.ClientConnectorError` | [`ConnectError`] ([`ConnectError::find`] digs it out of the client's error) |
//! | `aiohttp.web` server | [`serve()`] with a `hyper::service::service_fn` |
//!
//! Plain `http://` only: the connector speaks no TLS, and refuses an `https://` URI with a
//! [`ConnectError`] that says so.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use ::bytes::Bytes;
use ::http::Uri;
use ::http_body_util::Full;
use ::hyper::body::{Body, Incoming};
use ::hyper::rt::{Executor, Read, ReadBufCursor, Sleep as HyperSleep, Timer, Write};
use ::hyper::server::conn::http1;
use ::hyper::service::Service as HyperService;
use ::hyper::{Request, Response};
use ::hyper_util::client::legacy::connect::{Connected, Connection};
use futures_io::{AsyncRead, AsyncWrite};

use crate::net::{TcpListener, TcpStream};
use crate::runtime::Handle;
use crate::time::{Instant, Sleep};

/// The most [`WeftIo`] reads at once: the size its copy buffer grows to.
const MAX_READ: usize = 16 * 1024;

/// How long [`serve`] waits before accepting again after running out of file descriptors
/// or memory (a tight retry loop would only burn the CPU the other tasks need to free some).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The connect time limit of [`Connector::new`].
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

// ---- executor ----

/// hyper's executor on weft: each future hyper hands over (a client connection's
/// background task) becomes a weft task.
///
/// [`WeftExecutor::new`] spawns on the runtime that is current where hyper spawns (as
/// [`weft::spawn`](crate::spawn) does, so it panics outside a runtime);
/// [`WeftExecutor::with_handle`] always spawns on the runtime of its handle.
///
/// ```
/// use hyper::rt::Executor;
///
/// weft::run(async {
///     let (tx, rx) = weft::sync::oneshot::channel();
///     weft::hyper::WeftExecutor::new().execute(async move { tx.send(42).unwrap() });
///     assert_eq!(rx.await.unwrap(), 42);
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct WeftExecutor {
    handle: Option<Handle>,
}

impl WeftExecutor {
    /// An executor that spawns on the current runtime (the one running the code that
    /// makes hyper spawn).
    ///
    /// ```
    /// let client = hyper_util::client::legacy::Client::builder(weft::hyper::WeftExecutor::new())
    ///     .build::<_, http_body_util::Empty<bytes::Bytes>>(weft::hyper::Connector::new());
    /// # drop(client);
    /// ```
    pub fn new() -> WeftExecutor {
        WeftExecutor { handle: None }
    }

    /// An executor that spawns on `handle`'s runtime, wherever hyper spawns from.
    ///
    /// ```
    /// use hyper::rt::Executor;
    ///
    /// let rt = weft::Runtime::new().unwrap();
    /// let exec = weft::hyper::WeftExecutor::with_handle(rt.handle().clone());
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// // Called from outside any runtime: the future still runs on `rt`.
    /// exec.execute(async move { tx.send(weft::runtime::Handle::try_current().is_some()).unwrap() });
    /// assert!(rx.recv().unwrap(), "it ran as a task of the runtime");
    /// ```
    pub fn with_handle(handle: Handle) -> WeftExecutor {
        WeftExecutor {
            handle: Some(handle),
        }
    }
}

impl<F> Executor<F> for WeftExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn execute(&self, future: F) {
        // Detached: hyper keeps what it needs of the task's outcome itself.
        drop(match &self.handle {
            Some(handle) => handle.spawn(future),
            None => crate::spawn(future),
        });
    }
}

// ---- timer ----

/// hyper's timer on weft: its sleeps are [`weft::time::Sleep`](crate::time::Sleep)s on the
/// runtime's timer wheel, and it reads [`weft::time::Instant`](crate::time::Instant)'s
/// clock (a paused clock included), so hyper's header-read timeout and the client pool's
/// idle timer run on weft.
///
/// [`serve`] and [`client`] set it already; set it yourself on a hyper builder you
/// configure:
///
/// ```
/// use std::time::Duration;
///
/// let mut http = hyper::server::conn::http1::Builder::new();
/// http.timer(weft::hyper::WeftTimer::new())
///     .header_read_timeout(Duration::from_secs(5)); // would panic without a timer
/// # drop(http);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct WeftTimer {
    _private: (),
}

impl WeftTimer {
    /// The timer of the runtime current where hyper makes its sleeps.
    ///
    /// ```
    /// use std::time::Duration;
    /// use hyper::rt::Timer;
    ///
    /// weft::run(async {
    ///     let timer = weft::hyper::WeftTimer::new();
    ///     let start = weft::time::Instant::now();
    ///     timer.sleep(Duration::from_millis(10)).await;
    ///     assert!(start.elapsed() >= Duration::from_millis(10));
    /// });
    /// ```
    pub fn new() -> WeftTimer {
        WeftTimer { _private: () }
    }
}

impl Timer for WeftTimer {
    #[track_caller]
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn HyperSleep>> {
        Box::pin(WeftSleep(crate::time::sleep(duration)))
    }

    #[track_caller]
    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn HyperSleep>> {
        Box::pin(WeftSleep(crate::time::sleep_until(Instant::from_std(
            deadline,
        ))))
    }

    fn now(&self) -> std::time::Instant {
        Instant::now().into_std()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn HyperSleep>>, new_deadline: std::time::Instant) {
        // One of ours: move its timer entry in place (no allocation); otherwise replace it.
        match sleep.as_mut().downcast_mut_pin::<WeftSleep>() {
            Some(ours) => ours.get_mut().0.reset(Instant::from_std(new_deadline)),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A weft `Sleep` as hyper's `Sleep` (which it must be a local type to implement). The
/// wait record is the inner sleep's.
struct WeftSleep(Sleep);

impl Future for WeftSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl HyperSleep for WeftSleep {}

// ---- I/O ----

/// hyper's I/O traits (`hyper::rt::Read` and `Write`) over a futures-io stream: wrap a
/// [`TcpStream`], a [`UnixStream`](crate::net::UnixStream), one end of a
/// [`duplex`](crate::io::duplex) pipe, or anything else that is `AsyncRead` + `AsyncWrite`
/// + `Unpin`, and hand it to hyper's connection builders.
///
/// Reads go through a buffer of its own (grown to what hyper asks for, at most 16 KiB,
/// at the first read) and are copied into hyper's: hyper's buffers may be uninitialized,
/// and reading into one in place would need unchecked code, which the facade forbids. One
/// copy per read; a zero-copy path would belong in weft-reactor, next to the sockets.
/// Writes go straight through; `poll_shutdown` is futures-io's `poll_close`.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::{BodyExt, Empty, Full};
/// use hyper::{Request, Response};
/// use weft::hyper::WeftIo;
///
/// weft::run(async {
///     // hyper's client and server over an in-memory pipe: no socket at all.
///     let (client_end, server_end) = weft::io::duplex(4096);
///     let service = hyper::service::service_fn(|_req| async {
///         Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("pong"))))
///     });
///     weft::spawn(hyper::server::conn::http1::Builder::new()
///         .serve_connection(WeftIo::new(server_end), service));
///
///     let (mut sender, conn) =
///         hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(WeftIo::new(client_end))
///             .await
///             .unwrap();
///     weft::spawn(conn);
///     let res = sender.send_request(Request::new(Empty::new())).await.unwrap();
///     assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "pong");
/// });
/// ```
pub struct WeftIo<T> {
    inner: T,
    /// Where reads land before they are copied into hyper's buffer.
    buf: Vec<u8>,
}

impl<T> WeftIo<T> {
    /// Wraps `inner`.
    ///
    /// ```
    /// let (a, _b) = weft::io::duplex(64);
    /// let io = weft::hyper::WeftIo::new(a);
    /// # drop(io);
    /// ```
    pub fn new(inner: T) -> WeftIo<T> {
        WeftIo {
            inner,
            buf: Vec::new(),
        }
    }

    /// The stream inside.
    ///
    /// ```
    /// weft::run(async {
    ///     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = weft::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let io = weft::hyper::WeftIo::new(stream);
    ///     assert_eq!(io.get_ref().peer_addr().unwrap(), listener.local_addr().unwrap());
    /// });
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The stream inside, mutably (what is read through it bypasses hyper).
    ///
    /// ```
    /// let (a, _b) = weft::io::duplex(64);
    /// let mut io = weft::hyper::WeftIo::new(a);
    /// let _stream: &mut weft::io::DuplexStream = io.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// ```
    /// let (a, _b) = weft::io::duplex(64);
    /// let stream: weft::io::DuplexStream = weft::hyper::WeftIo::new(a).into_inner();
    /// # drop(stream);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for WeftIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeftIo")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<T: AsyncRead + Unpin> Read for WeftIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining().min(MAX_READ);
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.buf.len() < want {
            this.buf.resize(want, 0);
        }
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf[..want]))?;
        buf.put_slice(&this.buf[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> Write for WeftIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

impl Connection for WeftIo<TcpStream> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

// ---- connector ----

/// The connector of hyper-util's pooled `Client` on weft: a `tower_service::Service<Uri>`
/// that resolves the URI's host (an IP address at once, a name on the blocking pool) and
/// connects a [`TcpStream`] to each address in turn until one accepts, all within its
/// [connect timeout](Connector::connect_timeout) (10 s unless set). `TCP_NODELAY` is set on
/// the connection (requests go out whole; see [`Connector::nodelay`]).
///
/// Failures are [`ConnectError`]s that say what went wrong: a URI without a host or with a
/// scheme other than `http`, a name that does not resolve, a refused connection, a time-out.
///
/// ```
/// use std::time::Duration;
/// use hyper_util::client::legacy::Client;
/// use weft::hyper::{Connector, WeftExecutor, WeftTimer};
///
/// let connector = Connector::new().connect_timeout(Some(Duration::from_secs(2)));
/// let client = Client::builder(WeftExecutor::new())
///     .pool_timer(WeftTimer::new())
///     .pool_max_idle_per_host(8)
///     .build::<_, http_body_util::Full<bytes::Bytes>>(connector);
/// # drop(client);
/// ```
#[derive(Clone, Debug)]
pub struct Connector {
    connect_timeout: Option<Duration>,
    nodelay: bool,
}

impl Default for Connector {
    fn default() -> Connector {
        Connector::new()
    }
}

impl Connector {
    /// A connector with a 10 s connect timeout and `TCP_NODELAY` on.
    ///
    /// ```
    /// use tower_service::Service;
    ///
    /// weft::run(async {
    ///     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let uri = format!("http://{}/", listener.local_addr().unwrap()).parse().unwrap();
    ///     let io = weft::hyper::Connector::new().call(uri).await.unwrap();
    ///     assert!(io.get_ref().nodelay().unwrap());
    /// });
    /// ```
    pub fn new() -> Connector {
        Connector {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            nodelay: true,
        }
    }

    /// The time limit of one connect, name resolution included (`None`: no limit).
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = weft::hyper::Connector::new().connect_timeout(Some(Duration::from_secs(1)));
    /// # drop(c);
    /// ```
    pub fn connect_timeout(mut self, limit: Option<Duration>) -> Connector {
        self.connect_timeout = limit;
        self
    }

    /// Whether to set `TCP_NODELAY` on new connections (default `true`).
    ///
    /// ```
    /// let c = weft::hyper::Connector::new().nodelay(false);
    /// # drop(c);
    /// ```
    pub fn nodelay(mut self, nodelay: bool) -> Connector {
        self.nodelay = nodelay;
        self
    }
}

impl tower_service::Service<Uri> for Connector {
    type Response = WeftIo<TcpStream>;
    type Error = ConnectError;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Connecting {
        let this = self.clone();
        Connecting(Box::pin(async move { this.connect(uri).await }))
    }
}

impl Connector {
    async fn connect(self, uri: Uri) -> Result<WeftIo<TcpStream>, ConnectError> {
        let (host, port) = target(&uri)?;
        let attempt = async {
            let addrs = resolve(&host, port).await?;
            connect_first(&addrs).await
        };
        let stream = match self.connect_timeout {
            Some(limit) => crate::time::timeout(limit, attempt)
                .await
                .map_err(|_| ConnectError::new(Kind::Timeout(authority(&uri), limit)))??,
            None => attempt.await?,
        };
        if self.nodelay {
            stream
                .set_nodelay(true)
                .map_err(|e| ConnectError::new(Kind::Io(stream_peer(&stream), e)))?;
        }
        Ok(WeftIo::new(stream))
    }
}

/// The future of one [`Connector`] call.
pub struct Connecting(
    Pin<Box<dyn Future<Output = Result<WeftIo<TcpStream>, ConnectError>> + Send>>,
);

impl Future for Connecting {
    type Output = Result<WeftIo<TcpStream>, ConnectError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Connecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connecting").finish_non_exhaustive()
    }
}

/// The host and port to connect to for `uri`, or why there are none.
fn target(uri: &Uri) -> Result<(String, u16), ConnectError> {
    let bad = |why: String| ConnectError::new(Kind::BadUri(uri.to_string(), why));
    match uri.scheme_str() {
        Some("http") => {}
        Some(other) => {
            return Err(bad(format!(
                "the scheme `{other}` is not supported: weft's connector speaks plain `http` \
                 (no TLS)"
            )))
        }
        None => return Err(bad("it has no scheme (write `http://host/...`)".to_owned())),
    }
    let host = match uri.host() {
        Some(host) if !host.is_empty() => host,
        _ => return Err(bad("it has no host".to_owned())),
    };
    // An IPv6 literal comes bracketed: `[::1]`.
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host.to_owned(), uri.port_u16().unwrap_or(80)))
}

/// `host:port` of `uri`, for messages.
fn authority(uri: &Uri) -> String {
    uri.authority()
        .map_or_else(|| uri.to_string(), |a| a.as_str().to_owned())
}

fn stream_peer(stream: &TcpStream) -> Option<SocketAddr> {
    stream.peer_addr().ok()
}

/// The addresses of `host`: at once for an IP address, else a lookup on the blocking pool
/// (the system resolver blocks).
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = host.to_owned();
    let looked_up = crate::spawn_blocking(move || {
        (name.as_str(), port)
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>)
    })
    .await;
    let resolve_error = |e: io::Error| ConnectError::new(Kind::Resolve(host.to_owned(), e));
    match looked_up {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(resolve_error(io::Error::new(
            io::ErrorKind::NotFound,
            "no addresses",
        ))),
        Ok(Err(e)) => Err(resolve_error(e)),
        Err(join) => Err(resolve_error(io::Error::other(join.to_string()))),
    }
}

/// Connects to each address in turn; the first that accepts wins, else the last error.
async fn connect_first(addrs: &[SocketAddr]) -> Result<TcpStream, ConnectError> {
    let mut last = None;
    for &addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                last = Some(ConnectError::new(Kind::Refused(addr, e)));
            }
            Err(e) => last = Some(ConnectError::new(Kind::Io(Some(addr), e))),
        }
    }
    Err(last.expect("resolve returns at least one address"))
}

/// Why [`Connector`] could not connect: a bad URI, a name that did not resolve, a refused
/// connection, another socket error, or the connect timeout.
///
/// hyper-util's client wraps it (its error's `is_connect()` is then true);
/// [`ConnectError::find`] finds it in the error's source chain:
///
/// ```
/// use weft::hyper::ConnectError;
///
/// weft::run(async {
///     // A port nothing listens on: bind one, then close it.
///     let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
///     let client = weft::hyper::client();
///     let err = client.get(format!("http://127.0.0.1:{port}/").parse().unwrap()).await.unwrap_err();
///     assert!(err.is_connect());
///     let cause = ConnectError::find(&err).expect("a connect error inside");
///     assert!(cause.is_refused());
///     assert_eq!(cause.to_string(), format!("connection refused by 127.0.0.1:{port} (is anything listening there?)"));
/// });
/// ```
pub struct ConnectError {
    kind: Kind,
}

enum Kind {
    /// The URI and why it cannot be connected to.
    BadUri(String, String),
    /// The host name and the resolver's error.
    Resolve(String, io::Error),
    /// The address that refused.
    Refused(SocketAddr, io::Error),
    /// The address (if known) and the error.
    Io(Option<SocketAddr>, io::Error),
    /// The authority and the limit.
    Timeout(String, Duration),
}

impl ConnectError {
    fn new(kind: Kind) -> ConnectError {
        ConnectError { kind }
    }

    /// The first `ConnectError` in `err`'s source chain (`err` itself included), e.g. in
    /// the error of a hyper-util client's request.
    ///
    /// ```
    /// use tower_service::Service;
    /// use weft::hyper::{ConnectError, Connector};
    ///
    /// weft::run(async {
    ///     let err = Connector::new().call("https://example.com/".parse().unwrap()).await.unwrap_err();
    ///     let boxed: Box<dyn std::error::Error> = Box::new(err);
    ///     assert!(ConnectError::find(&*boxed).unwrap().is_bad_uri());
    /// });
    /// ```
    pub fn find<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a ConnectError> {
        let mut next = Some(err);
        while let Some(e) = next {
            if let Some(found) = e.downcast_ref::<ConnectError>() {
                return Some(found);
            }
            next = e.source();
        }
        None
    }

    /// Whether the server refused the connection (nothing listens on that port).
    ///
    /// See [`ConnectError::find`] for an example.
    pub fn is_refused(&self) -> bool {
        matches!(self.kind, Kind::Refused(..))
    }

    /// Whether the connect timeout ran out.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_service::Service;
    ///
    /// let rt = weft::runtime::Builder::new_current_thread()
    ///     .enable_all()
    ///     .max_blocking_threads(1)
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(async {
    ///     // The one blocking thread is busy, so the name's lookup (a blocking call) waits
    ///     // behind it for longer than the timeout.
    ///     let busy = weft::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300)));
    ///     let limit = Some(Duration::from_millis(20));
    ///     let mut connector = weft::hyper::Connector::new().connect_timeout(limit);
    ///     let err = connector.call("http://localhost:1/".parse().unwrap()).await.unwrap_err();
    ///     assert!(err.is_timeout(), "{err}");
    ///     busy.await.unwrap();
    /// });
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout(..))
    }

    /// Whether the URI cannot be connected to: no host, or a scheme other than `http`.
    ///
    /// ```
    /// use tower_service::Service;
    ///
    /// weft::run(async {
    ///     let err = weft::hyper::Connector::new().call("https://example.com/".parse().unwrap()).await.unwrap_err();
    ///     assert!(err.is_bad_uri());
    ///     assert!(err.to_string().contains("the scheme `https` is not supported"), "{err}");
    /// });
    /// ```
    pub fn is_bad_uri(&self) -> bool {
        matches!(self.kind, Kind::BadUri(..))
    }

    /// Whether the host name did not resolve.
    ///
    /// ```
    /// use tower_service::Service;
    ///
    /// weft::run(async {
    ///     // `.invalid` never resolves (RFC 2606).
    ///     let err = weft::hyper::Connector::new().call("http://no-such-host.invalid/".parse().unwrap()).await.unwrap_err();
    ///     assert!(err.is_resolve(), "{err}");
    /// });
    /// ```
    pub fn is_resolve(&self) -> bool {
        matches!(self.kind, Kind::Resolve(..))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::BadUri(uri, why) => write!(f, "cannot connect to `{uri}`: {why}"),
            Kind::Resolve(host, e) => write!(f, "could not resolve `{host}`: {e}"),
            Kind::Refused(addr, _) => {
                write!(
                    f,
                    "connection refused by {addr} (is anything listening there?)"
                )
            }
            Kind::Io(Some(addr), e) => write!(f, "could not connect to {addr}: {e}"),
            Kind::Io(None, e) => write!(f, "could not connect: {e}"),
            Kind::Timeout(to, limit) => {
                write!(f, "connecting to `{to}` timed out after {limit:?}")
            }
        }
    }
}

impl fmt::Debug for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectError({self})")
    }
}

impl StdError for ConnectError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            Kind::Resolve(_, e) | Kind::Refused(_, e) | Kind::Io(_, e) => Some(e),
            Kind::BadUri(..) | Kind::Timeout(..) => None,
        }
    }
}

// ---- client ----

/// hyper-util's pooled client with weft's [`Connector`]; bodies of type `B`
/// (http-body-util's `Full<Bytes>` unless said otherwise).
pub type Client<B = Full<Bytes>> = ::hyper_util::client::legacy::Client<Connector, B>;

/// The error of a [`Client`]'s request (hyper-util's): `is_connect()` says the connection
/// failed, and [`ConnectError::find`] says why.
pub type ClientError = ::hyper_util::client::legacy::Error;

/// A pooled HTTP/1 client on weft, with `Full<Bytes>` request bodies: aiohttp's
/// `ClientSession()`. Clones share one pool; idle connections are kept for 90 s (on
/// [`WeftTimer`]) and reused. For other settings, start from [`client_builder`].
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::{BodyExt, Full};
/// use hyper::{Method, Request, Response};
///
/// weft::run(async {
///     let listener = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     // An echo service: the response body is the request body.
///     let echo = hyper::service::service_fn(|req: Request<hyper::body::Incoming>| async move {
///         let body = req.into_body().collect().await?.to_bytes();
///         Ok::<_, hyper::Error>(Response::new(Full::new(body)))
///     });
///     weft::spawn(weft::hyper::serve(listener, echo));
///
///     let client = weft::hyper::client();
///     let req = Request::builder()
///         .method(Method::POST)
///         .uri(format!("http://{addr}/echo"))
///         .body(Full::new(Bytes::from("ping")))
///         .unwrap();
///     let res = client.request(req).await.unwrap();
///     assert_eq!(res.into_body().collect().await.unwrap().to_bytes(), "ping");
/// });
/// ```
pub fn client() -> Client {
    client_builder().build(Connector::new())
}

/// hyper-util's client builder with weft's executor and pool timer set: configure it, then
/// `.build(Connector::new())`.
///
/// ```
/// use std::time::Duration;
///
/// let client: weft::hyper::Client<http_body_util::Empty<bytes::Bytes>> = weft::hyper::client_builder()
///     .pool_idle_timeout(Duration::from_secs(30))
///     .pool_max_idle_per_host(4)
///     .build(weft::hyper::Connector::new());
/// # drop(client);
/// ```
pub fn client_builder() -> ::hyper_util::client::legacy::Builder {
    let mut builder = ::hyper_util::client::legacy::Client::builder(WeftExecutor::new());
    builder.pool_timer(WeftTimer::new());
    builder
}

// ---- server ----

/// Serves `service` over HTTP/1.1 on every connection `listener` accepts, each connection
/// in a task of its own, with keep-alive and hyper's default 30 s header-read timeout (on
/// [`WeftTimer`]). For other hyper settings, see [`serve_with`].
///
/// It runs until the listener fails for good (its error is returned) or the future is
/// dropped or its task aborted (connections already accepted run on). A connection that
/// fails (a client that hangs up mid-request, a malformed request, a header-read time-out)
/// ends that connection only; running out of file descriptors pauses accepting for 50 ms.
///
/// ```
/// use std::io::{Read, Write};
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use hyper::Response;
///
/// let rt = weft::Runtime::new().unwrap();
/// let listener = rt.block_on(weft::net::TcpListener::bind("127.0.0.1:0")).unwrap();
/// let addr = listener.local_addr().unwrap();
/// let service = hyper::service::service_fn(|_req| async {
///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hi"))))
/// });
/// rt.spawn(weft::hyper::serve(listener, service));
///
/// // Any HTTP client will do; this one is std's blocking socket.
/// let mut s = std::net::TcpStream::connect(addr).unwrap();
/// s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
/// let mut reply = String::new();
/// s.read_to_string(&mut reply).unwrap();
/// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
/// assert!(reply.ends_with("\r\n\r\nhi"), "{reply}");
/// ```
pub async fn serve<S, B>(listener: TcpListener, service: S) -> io::Result<()>
where
    S: HyperService<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut http = http1::Builder::new();
    http.timer(WeftTimer::new());
    serve_with(listener, http, service).await
}

/// [`serve`] with hyper's HTTP/1 connection settings as given in `http` (set
/// [`WeftTimer`] on it for any timeout to work: hyper panics at a configured timeout
/// without a timer).
///
/// ```
/// use std::io::{Read, Write};
/// use std::time::Duration;
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use hyper::Response;
///
/// let rt = weft::Runtime::new().unwrap();
/// let listener = rt.block_on(weft::net::TcpListener::bind("127.0.0.1:0")).unwrap();
/// let addr = listener.local_addr().unwrap();
/// let mut http = hyper::server::conn::http1::Builder::new();
/// http.timer(weft::hyper::WeftTimer::new())
///     .header_read_timeout(Duration::from_millis(100))
///     .keep_alive(false);
/// let service = hyper::service::service_fn(|_req| async {
///     Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::new())))
/// });
/// rt.spawn(weft::hyper::serve_with(listener, http, service));
///
/// // A client that never sends its request is hung up on after 100 ms.
/// let mut silent = std::net::TcpStream::connect(addr).unwrap();
/// let mut rest = Vec::new();
/// silent.read_to_end(&mut rest).unwrap(); // returns once the server closes
/// ```
pub async fn serve_with<S, B>(
    listener: TcpListener,
    http: http1::Builder,
    service: S,
) -> io::Result<()>
where
    S: HyperService<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => match accept_error(&e) {
                AcceptError::Connection => continue,
                AcceptError::Resources => {
                    crate::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
                AcceptError::Fatal => return Err(e),
            },
        };
        // Responses go out whole; a failure here only costs latency.
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(WeftIo::new(stream), service.clone());
        // The connection's error (the client hung up, sent garbage, timed out) ends that
        // connection and nothing else.
        drop(crate::spawn(async move {
            let _ = connection.await;
        }));
    }
}

/// What an `accept` error means for the accept loop.
enum AcceptError {
    /// That one connection failed before it was accepted: accept the next.
    Connection,
    /// Out of descriptors or memory: wait for some to be freed, then accept again.
    Resources,
    /// The listener itself is broken (or the runtime shut down).
    Fatal,
}

/// Too many open files: in the process, in the system.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;
/// No buffer space (kernel memory for sockets).
#[cfg(target_os = "linux")]
const ENOBUFS: i32 = 105;
#[cfg(not(target_os = "linux"))]
const ENOBUFS: i32 = 55;

fn accept_error(e: &io::Error) -> AcceptError {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
    match e.kind() {
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock => AcceptError::Connection,
        io::ErrorKind::OutOfMemory => AcceptError::Resources,
        _ => match e.raw_os_error() {
            Some(EMFILE | ENFILE | ENOBUFS) => AcceptError::Resources,
            _ => AcceptError::Fatal,
        },
    }
}

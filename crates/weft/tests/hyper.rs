//! `weft::hyper`: hyper's client and server on weft over real TCP (and a Unix socket pair),
//! on the multi-thread (1 and 2 workers), current-thread and custom FIFO schedulers: bodies
//! both ways, keep-alive through the pool, many requests at once, a refused connection, a
//! server that never answers, hyper's header-read timeout on the weft timer, clients that
//! hang up mid-request, and a runtime shut down with connections open.

#![cfg(feature = "hyper")]

mod common;

use std::io::{Read as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::rt::Timer;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use weft::hyper::{client, serve, serve_with, ConnectError, WeftIo, WeftTimer};
use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream, UnixStream};
use weft::time::Instant;

/// The schedulers these tests run on. Not the deterministic one: its clock is paused, and a
/// paused clock jumps to the next timer whenever the runtime idles, also while it waits on
/// a real socket, so hyper's 30 s header-read timeout and the pool's idle timer would fire
/// in virtual time in the middle of a request. (`multi_thread(4)` adds nothing here.)
const SCHEDULERS: [&str; 4] = [
    "multi_thread(1)",
    "multi_thread(2)",
    "current_thread",
    "fifo(2)",
];

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The test service: `GET /hello`, `POST /echo` (the body back), `GET /slow` (50 ms),
/// `GET /never` (no answer, ever), 404 otherwise.
async fn routes(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let text = |s: &'static str| Full::new(Bytes::from_static(s.as_bytes()));
    Ok(match (req.method(), req.uri().path()) {
        (&Method::GET, "/hello") => Response::new(text("hello")),
        (&Method::POST, "/echo") => {
            let body = req.into_body().collect().await?.to_bytes();
            Response::new(Full::new(body))
        }
        (&Method::GET, "/slow") => {
            weft::time::sleep(Duration::from_millis(50)).await;
            Response::new(text("slow"))
        }
        (&Method::GET, "/never") => std::future::pending().await,
        _ => {
            let mut res = Response::new(text("not found"));
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        }
    })
}

/// Starts [`routes`] with `weft::hyper::serve` on a free loopback port.
async fn start_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    weft::spawn(serve(listener, service_fn(routes)));
    addr
}

/// Starts [`routes`] on an accept loop of its own (hyper's connection builder over
/// [`WeftIo`]) that counts the connections it accepts.
async fn start_counting_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    weft::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            count.fetch_add(1, SeqCst);
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(WeftTimer::new());
            let conn = http.serve_connection(WeftIo::new(stream), service_fn(routes));
            weft::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    (addr, accepted)
}

fn uri(addr: std::net::SocketAddr, path: &str) -> hyper::Uri {
    format!("http://{addr}{path}").parse().unwrap()
}

async fn body_of(res: Response<Incoming>) -> Bytes {
    res.into_body().collect().await.unwrap().to_bytes()
}

/// Runs `body` in a task (so on a worker) of a fresh runtime of each scheduler.
fn on_each<F, Fut>(body: F)
where
    F: Fn(&'static str) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    common::for_runtimes(&SCHEDULERS, move |rt, name| {
        common::in_task(&rt, body(name));
    });
}

#[test]
fn get_and_post_with_bodies() {
    on_each(|name| async move {
        let addr = start_server().await;
        let client = client();

        let res = client.get(uri(addr, "/hello")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        assert_eq!(body_of(res).await, "hello", "[{name}]");

        // 256 KiB each way: many reads through WeftIo's buffer, many writes.
        let data: Vec<u8> = (0..256 * 1024).map(|i| (i * 31 % 251) as u8).collect();
        let req = Request::post(uri(addr, "/echo"))
            .body(Full::new(Bytes::from(data.clone())))
            .unwrap();
        let res = client.request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        assert_eq!(body_of(res).await, data, "[{name}]");

        let res = client.get(uri(addr, "/nope")).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(body_of(res).await, "not found", "[{name}]");
    });
}

#[test]
fn sequential_requests_reuse_one_pooled_connection() {
    on_each(|name| async move {
        let (addr, accepted) = start_counting_server().await;
        let client = client();
        for i in 0..5 {
            let path = if i % 2 == 0 { "/hello" } else { "/slow" };
            let res = client.get(uri(addr, path)).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "[{name}]");
            body_of(res).await;
            // hyper-util puts the connection back in its pool from a task it spawns, once
            // the connection is ready for the next request, which can be after the body's
            // end reached us; a request made before that task ran finds the pool empty and
            // starts a second connection (on any runtime). Give that task its turn.
            weft::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            accepted.load(SeqCst),
            1,
            "[{name}] five sequential requests should share one kept-alive connection"
        );
    });
}

#[test]
fn many_concurrent_requests() {
    on_each(|name| async move {
        let addr = start_server().await;
        let client = client();
        let tasks: Vec<_> = (0..100u32)
            .map(|i| {
                let client = client.clone();
                weft::spawn(async move {
                    let body = format!("request {i}");
                    let req = Request::post(uri(addr, "/echo"))
                        .body(Full::new(Bytes::from(body.clone())))
                        .unwrap();
                    let res = client.request(req).await.unwrap();
                    assert_eq!(body_of(res).await, body);
                })
            })
            .collect();
        for task in weft::future::join_all(tasks).await {
            task.unwrap_or_else(|e| panic!("[{name}] a request failed: {e:?}"));
        }
        // The slow route, 20 at once: they overlap, so far less than 20 x 50 ms.
        let start = Instant::now();
        let slow: Vec<_> = (0..20)
            .map(|_| {
                let client = client.clone();
                async move { body_of(client.get(uri(addr, "/slow")).await.unwrap()).await }
            })
            .collect();
        for body in weft::future::join_all(slow).await {
            assert_eq!(body, "slow", "[{name}]");
        }
        assert!(
            start.elapsed() < Duration::from_millis(20 * 50),
            "[{name}] 20 slow requests took {:?}: they did not overlap",
            start.elapsed()
        );
    });
}

#[test]
fn a_refused_connection_is_an_error_not_a_hang() {
    on_each(|name| async move {
        // A port with nothing listening: bound, then closed again.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = client();
        let res = weft::time::timeout(
            Duration::from_secs(10),
            client.get(uri(([127, 0, 0, 1], port).into(), "/")),
        )
        .await
        .unwrap_or_else(|_| panic!("[{name}] a refused connection hung"));
        let err = res.expect_err("nothing listens there");
        assert!(err.is_connect(), "[{name}] {err:?}");
        let cause = ConnectError::find(&err).expect("a ConnectError in the chain");
        assert!(cause.is_refused(), "[{name}] {cause}");
        assert_eq!(
            cause.to_string(),
            format!("connection refused by 127.0.0.1:{port} (is anything listening there?)")
        );
        // The source is the OS error.
        let os = std::error::Error::source(cause).unwrap();
        let os = os.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(os.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn bad_uris_are_reported_as_such() {
    on_each(|name| async move {
        let client = client();
        let err = client
            .get("https://127.0.0.1:1/".parse().unwrap())
            .await
            .unwrap_err();
        let cause = ConnectError::find(&err).expect("a ConnectError in the chain");
        assert!(cause.is_bad_uri(), "[{name}] {cause}");
        assert!(
            cause.to_string().contains("plain `http` (no TLS)"),
            "[{name}] {cause}"
        );
    });
}

#[test]
fn a_server_that_never_answers_meets_the_client_timeout() {
    on_each(|name| async move {
        let addr = start_server().await;
        let client = client();
        let start = Instant::now();
        let limit = Duration::from_millis(200);
        let outcome = weft::time::timeout(limit, client.get(uri(addr, "/never"))).await;
        assert!(outcome.is_err(), "[{name}] /never answered");
        let waited = start.elapsed();
        assert!(waited >= limit, "[{name}] gave up after {waited:?}");
        assert!(waited < Duration::from_secs(5), "[{name}] {waited:?}");
        // The server is still serving (the timed-out request's connection is gone; the
        // pool opens a new one).
        let res = client.get(uri(addr, "/hello")).await.unwrap();
        assert_eq!(body_of(res).await, "hello", "[{name}]");
    });
}

#[test]
fn header_read_timeout_fires_on_a_silent_client() {
    on_each(|name| async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(WeftTimer::new())
            .header_read_timeout(Duration::from_millis(150));
        weft::spawn(serve_with(listener, http, service_fn(routes)));

        // Half a request line, then silence: the server hangs up after 150 ms.
        let start = Instant::now();
        let mut silent = TcpStream::connect(addr).await.unwrap();
        silent.write_all(b"GET /hello HT").await.unwrap();
        let mut rest = Vec::new();
        let read = weft::time::timeout(Duration::from_secs(10), silent.read_to_end(&mut rest))
            .await
            .unwrap_or_else(|_| panic!("[{name}] the header-read timeout never fired"));
        // A close (end of file) or a reset, both fine; and nothing that looks like a 200.
        let _ = read;
        assert!(!rest.starts_with(b"HTTP/1.1 200"), "[{name}]");
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(140),
            "[{name}] closed after {waited:?}, before the timeout"
        );

        // A client that does send its request in time is served.
        let res = client().get(uri(addr, "/hello")).await.unwrap();
        assert_eq!(body_of(res).await, "hello", "[{name}]");
    });
}

#[test]
fn clients_that_hang_up_mid_request_do_not_stop_the_server() {
    on_each(|name| async move {
        let addr = start_server().await;
        // Mid-headers, mid-body, and while the service is still working on the answer.
        let partials: [&[u8]; 3] = [
            b"GET /hello HTTP/1.1\r\nhost: x\r\n",
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nonly part",
            b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n",
        ];
        for _round in 0..3 {
            for partial in partials {
                let mut s = TcpStream::connect(addr).await.unwrap();
                s.write_all(partial).await.unwrap();
                drop(s);
            }
            // One that resets the connection (linger 0) mid-body.
            let s = TcpStream::connect(addr).await.unwrap();
            s.set_linger(Some(Duration::ZERO)).unwrap();
            (&s).write_all(partials[1]).await.unwrap();
            drop(s);
        }
        weft::time::sleep(Duration::from_millis(100)).await; // /slow's answer to nobody
        let client = client();
        for _ in 0..3 {
            let res = client.get(uri(addr, "/hello")).await.unwrap();
            assert_eq!(body_of(res).await, "hello", "[{name}]");
        }
    });
}

#[test]
fn a_runtime_shuts_down_with_connections_open() {
    common::for_runtimes(&SCHEDULERS, |rt, name| {
        let addr = rt.block_on(start_server());
        // An idle kept-alive connection in a client's pool, a request in flight that will
        // never be answered, and a plain socket with half a request.
        let client = client();
        rt.block_on(async {
            let res = client.get(uri(addr, "/hello")).await.unwrap();
            assert_eq!(body_of(res).await, "hello");
        });
        let in_flight_client = client.clone();
        let in_flight = rt.spawn(async move { in_flight_client.get(uri(addr, "/never")).await });
        let mut raw = std::net::TcpStream::connect(addr).unwrap();
        raw.write_all(b"GET /hello HTTP/1.1\r\nhost: x\r\n")
            .unwrap();
        raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        std::thread::sleep(Duration::from_millis(50));

        drop(rt); // cancels the server, its connections and the client's tasks

        // The server's side of the raw socket is closed: end of file, not a time-out.
        let mut rest = Vec::new();
        match raw.read_to_end(&mut rest) {
            Ok(_) => assert!(rest.is_empty(), "[{name}] {rest:?}"),
            Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "[{name}] {e}"),
        }
        drop(in_flight);
        drop(client);
    });
}

#[test]
fn the_timer_sleeps_resets_and_reads_the_runtime_clock() {
    on_each(|name| async move {
        let timer = WeftTimer::new();
        let start = Instant::now();
        timer.sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20), "[{name}]");

        // A far deadline moved close: it fires at the new one.
        let start = Instant::now();
        let mut sleep = timer.sleep_until(timer.now() + Duration::from_secs(3600));
        timer.reset(&mut sleep, timer.now() + Duration::from_millis(20));
        sleep.await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(20) && waited < Duration::from_secs(60),
            "[{name}] {waited:?}"
        );
    });
}

#[test]
fn the_timer_follows_a_paused_clock() {
    let rt = weft::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let timer = WeftTimer::new();
        let before = timer.now();
        let wall = std::time::Instant::now();
        timer.sleep(Duration::from_secs(600)).await;
        assert!(timer.now() - before >= Duration::from_secs(600));
        assert!(
            wall.elapsed() < Duration::from_secs(60),
            "ten virtual minutes"
        );
    });
}

#[test]
fn hyper_over_a_unix_socket_pair() {
    on_each(|name| async move {
        let (client_end, server_end) = UnixStream::pair().unwrap();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(WeftTimer::new());
        let server = http.serve_connection(WeftIo::new(server_end), service_fn(routes));
        weft::spawn(server);
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(WeftIo::new(client_end))
                .await
                .unwrap();
        weft::spawn(conn);
        for _ in 0..3 {
            let req = Request::get("/hello").body(Empty::new()).unwrap();
            let res = sender.send_request(req).await.unwrap();
            assert_eq!(body_of(res).await, "hello", "[{name}]");
        }
    });
}

#[test]
fn serve_returns_the_services_errors_to_no_one_and_goes_on() {
    on_each(|name| async move {
        // A service that fails every other request: hyper closes those connections; the
        // accept loop serves the next.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let n = Arc::new(AtomicUsize::new(0));
        let flaky = service_fn(move |_req: Request<Incoming>| {
            let n = n.clone();
            async move {
                if n.fetch_add(1, SeqCst) % 2 == 0 {
                    Err::<Response<Full<Bytes>>, BoxError>("the service failed".into())
                } else {
                    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
                }
            }
        });
        weft::spawn(serve(listener, flaky));
        let client = client();
        let mut ok = 0;
        for _ in 0..6 {
            if let Ok(res) = client.get(uri(addr, "/")).await {
                assert_eq!(body_of(res).await, "ok", "[{name}]");
                ok += 1;
            }
        }
        assert!(ok >= 2, "[{name}] only {ok} of 6 requests got through");
    });
}

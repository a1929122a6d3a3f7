//! An HTTP/1.1 server with hyper on weft: `weft::hyper::serve` on a `TcpListener`.
//!
//!     cargo run --release --example http_server -- [--addr ADDR] [--workers N]
//!         # default 127.0.0.1:3000, one worker per CPU
//!     curl http://127.0.0.1:3000/           # Hello, World!
//!     curl http://127.0.0.1:3000/json       # {"message":"Hello, World!"}
//!     wrk -t2 -c64 -d10s http://127.0.0.1:3000/
//!
//! Routes: `/` (plain text), `/json` (a small JSON document), `/delay/MS` (answers after MS
//! milliseconds, at most 10 s), 404 otherwise. The first line it prints is
//! `listening on http://ADDR (N workers)`; it serves until ctrl-c or SIGTERM, then exits 0.
//!
//! aiohttp: `web.Application()` with `app.router.add_get(...)` and `web.run_app(app)`.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use weft::signal::unix::{signal, SignalKind};

const HELLO: &str = "Hello, World!";
const JSON: &str = r#"{"message":"Hello, World!"}"#;

fn response(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    const TEXT: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let body = Bytes::from_static(b"only GET and HEAD\n");
        return Ok(response(StatusCode::METHOD_NOT_ALLOWED, TEXT, body));
    }
    let path = req.uri().path();
    Ok(match path {
        "/" => response(StatusCode::OK, TEXT, Bytes::from_static(HELLO.as_bytes())),
        "/json" => response(
            StatusCode::OK,
            "application/json",
            Bytes::from_static(JSON.as_bytes()),
        ),
        _ => match path
            .strip_prefix("/delay/")
            .and_then(|ms| ms.parse::<u64>().ok())
        {
            Some(ms) => {
                weft::time::sleep(Duration::from_millis(ms.min(10_000))).await;
                response(
                    StatusCode::OK,
                    TEXT,
                    Bytes::from(format!("waited {ms} ms\n")),
                )
            }
            None => response(
                StatusCode::NOT_FOUND,
                TEXT,
                Bytes::from(format!("no route for {path}\n")),
            ),
        },
    })
}

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => {
                addr = args
                    .next()
                    .expect("--addr takes an address, e.g. 0.0.0.0:3000")
            }
            "--workers" => {
                workers = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .expect("--workers takes a positive number")
            }
            other => {
                eprintln!("usage: http_server [--addr ADDR] [--workers N] (got `{other}`)");
                std::process::exit(2);
            }
        }
    }
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()?;
    rt.block_on(async {
        let listener = weft::net::TcpListener::bind(addr.as_str()).await?;
        println!(
            "listening on http://{} ({workers} workers)",
            listener.local_addr()?
        );
        let mut terminate = signal(SignalKind::terminate())?;
        let service = hyper::service::service_fn(route);
        weft::select! {
            served = weft::hyper::serve(listener, service) => served?,
            _ = weft::signal::ctrl_c() => println!("ctrl-c: shutting down"),
            _ = terminate.recv() => println!("SIGTERM: shutting down"),
        }
        Ok(())
    })
}

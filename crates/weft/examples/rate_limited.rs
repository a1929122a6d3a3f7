//! Capping concurrent requests with a semaphore, asyncio's
//!
//! ```python
//! sem = asyncio.Semaphore(4)
//! async def fetch(session, url):
//!     async with sem:
//!         async with session.get(url) as resp:
//!             return await resp.text()
//! results = await asyncio.gather(*(fetch(session, u) for u in urls))
//! ```
//!
//! in weft: 20 requests are started at once, but a `Semaphore(4)` lets only four reach the
//! server at a time. The server is a small HTTP/1.0 responder on a free loopback port, in
//! the same program, that takes 50 ms per answer and records how many requests it was
//! serving at once; with the cap the peak is 4 and the whole run takes 5 rounds of 50 ms.
//!
//!     cargo run --release --example rate_limited

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};
use weft::sync::Semaphore;
use weft::time::sleep;

const REQUESTS: usize = 20;
const LIMIT: usize = 4;
const LATENCY: Duration = Duration::from_millis(50);

/// How many requests the server is answering now, and the most it ever answered at once.
#[derive(Default)]
struct Load {
    now: AtomicUsize,
    peak: AtomicUsize,
}

async fn serve(listener: TcpListener, load: Arc<Load>) -> io::Result<()> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        let load = load.clone();
        weft::spawn(async move {
            let mut head = Vec::new();
            let mut buf = [0u8; 256];
            while !head.ends_with(b"\r\n\r\n") {
                let n = conn.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                head.extend_from_slice(&buf[..n]);
            }
            let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
            load.peak.fetch_max(now, Ordering::SeqCst);
            sleep(LATENCY).await; // the "slow backend"
            load.now.fetch_sub(1, Ordering::SeqCst);
            let path = String::from_utf8_lossy(&head);
            let path = path.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let body = format!("you asked for {path}");
            let reply = format!(
                "HTTP/1.0 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            conn.write_all(reply.as_bytes()).await?;
            io::Result::Ok(())
        });
    }
}

/// One HTTP/1.0 GET; returns the body.
async fn fetch(addr: SocketAddr, path: &str) -> io::Result<String> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.write_all(format!("GET {path} HTTP/1.0\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let mut reply = String::new();
    conn.read_to_string(&mut reply).await?;
    match reply.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.0 200") => Ok(body.to_owned()),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a 200 reply",
        )),
    }
}

fn main() -> io::Result<()> {
    weft::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let load = Arc::new(Load::default());
        let server = weft::spawn(serve(listener, load.clone()));

        let sem = Arc::new(Semaphore::new(LIMIT));
        let start = Instant::now();
        let requests: Vec<_> = (0..REQUESTS)
            .map(|i| {
                let sem = sem.clone();
                weft::spawn(async move {
                    // `async with sem:` — the permit is released when it is dropped.
                    let _permit = sem.acquire().await.expect("the semaphore is never closed");
                    fetch(addr, &format!("/item/{i}")).await
                })
            })
            .collect();
        for (i, reply) in weft::future::join_all(requests)
            .await
            .into_iter()
            .enumerate()
        {
            let body = reply.expect("the request task panicked")?;
            assert_eq!(body, format!("you asked for /item/{i}"));
        }
        let elapsed = start.elapsed();
        server.abort();

        let peak = load.peak.load(Ordering::SeqCst);
        println!(
            "{REQUESTS} requests, at most {LIMIT} at a time: the server saw {peak} at once, \
             done in {elapsed:.0?} (5 rounds of {LATENCY:?})"
        );
        assert!(
            peak <= LIMIT,
            "the semaphore let {peak} requests through at once"
        );
        Ok(())
    })
}

//! Many HTTP requests at once, the source material's aiohttp / httpx program:
//!
//! ```python
//! connector = aiohttp.TCPConnector(limit=10)
//! async with aiohttp.ClientSession(connector=connector) as session:
//!     async def fetch_url(url):
//!         try:
//!             async with session.get(url) as response:
//!                 data = await asyncio.wait_for(response.text(), timeout=5)
//!                 return data
//!         except asyncio.TimeoutError:
//!             print(f"Timeout reached while fetching {url}")
//!         except Exception as e:
//!             print(f"An error occurred while fetching {url}: {e}")
//!     results = await asyncio.gather(*[fetch_url(url) for url in urls])
//! ```
//!
//! in weft, with hyper's pooled client (`weft::hyper::client()`): every URL is fetched by a
//! task of its own, at most 10 at a time, each try within a time limit, a failed try (a
//! connection error, a time-out, a 5xx status) retried with exponential backoff, and one
//! line per URL (status, size, time, tries) as it finishes, then a summary.
//!
//!     cargo run --release --example fetch_many
//!         # starts a local hyper server (some routes slow, one failing with 500, one that
//!         # never answers) and fetches 30 URLs from it: no network needed
//!     cargo run --release --example fetch_many -- http://127.0.0.1:8080/ ...
//!         # fetches these instead (plain http:// only)
//!
//! Options: `--limit N` (10), `--timeout SECS` per try (1), `--tries N` (3).

use std::convert::Infallible;
use std::error::Error;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode, Uri};
use weft::hyper::{Client, ConnectError};
use weft::sync::Semaphore;
use weft::time::{sleep, timeout, Instant};

/// How a run is set up.
struct Options {
    limit: usize,
    timeout: Duration,
    tries: u32,
    urls: Vec<String>,
}

/// The first retry waits this long, each next one twice as long.
const BACKOFF: Duration = Duration::from_millis(100);

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        limit: 10,
        timeout: Duration::from_secs(1),
        tries: 3,
        urls: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<f64, String> {
            args.next()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| *v > 0.0)
                .ok_or(format!("{name} takes a positive number"))
        };
        match arg.as_str() {
            "--limit" => opts.limit = number("--limit")? as usize,
            "--timeout" => opts.timeout = Duration::from_secs_f64(number("--timeout")?),
            "--tries" => opts.tries = number("--tries")? as u32,
            "-h" | "--help" => {
                return Err(
                    "usage: fetch_many [--limit N] [--timeout SECS] [--tries N] \
                            [http://URL ...]"
                        .to_owned(),
                )
            }
            url => opts.urls.push(url.to_owned()),
        }
    }
    opts.limit = opts.limit.max(1);
    opts.tries = opts.tries.max(1);
    Ok(opts)
}

/// What became of one URL.
struct Outcome {
    url: String,
    result: Result<(StatusCode, usize), String>,
    took: Duration,
    tries: u32,
}

/// Requests in flight now, and the most there ever were: the proof that they overlap.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One try: the request and its whole body, within `limit`.
async fn try_once(client: &Client, uri: Uri, limit: Duration) -> Result<(StatusCode, usize), Try> {
    let attempt = async {
        let res = client
            .get(uri)
            .await
            .map_err(|e| Try::retry(describe(&e)))?;
        let status = res.status();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| Try::retry(format!("reading the body: {e}")))?
            .to_bytes();
        if status.is_server_error() {
            return Err(Try::retry(format!("server error {status}")));
        }
        Ok((status, body.len()))
    };
    match timeout(limit, attempt).await {
        Ok(result) => result,
        Err(_) => Err(Try::retry(format!("timed out after {limit:?}"))),
    }
}

/// A failed try, and whether another might do better.
struct Try {
    message: String,
    retry: bool,
}

impl Try {
    fn retry(message: String) -> Try {
        Try {
            message,
            retry: true,
        }
    }
}

/// The client's error in one line: the connector's own message where it has one (a
/// refused connection, a bad URI), else the error and its causes.
fn describe(err: &weft::hyper::ClientError) -> String {
    if let Some(cause) = ConnectError::find(err) {
        return cause.to_string();
    }
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Fetches `url` with up to `opts.tries` tries, waiting `BACKOFF`, then twice that, ...
/// between them. The semaphore is held for one try at a time, not while backing off.
async fn fetch(
    client: Client,
    url: String,
    sem: Arc<Semaphore>,
    in_flight: Arc<InFlight>,
    limit: Duration,
    tries: u32,
) -> Outcome {
    let start = Instant::now();
    let uri: Uri = match url.parse() {
        Ok(uri) => uri,
        Err(e) => {
            return Outcome {
                url,
                result: Err(format!("not a URL: {e}")),
                took: start.elapsed(),
                tries: 0,
            }
        }
    };
    let mut tried = 0;
    let result = loop {
        tried += 1;
        let outcome = {
            // `async with sem:` (aiohttp's limit=10): the permit goes back when dropped.
            let _permit = sem.acquire().await.expect("the semaphore is never closed");
            let now = in_flight.now.fetch_add(1, Ordering::Relaxed) + 1;
            in_flight.peak.fetch_max(now, Ordering::Relaxed);
            let outcome = try_once(&client, uri.clone(), limit).await;
            in_flight.now.fetch_sub(1, Ordering::Relaxed);
            outcome
        };
        match outcome {
            Ok(ok) => break Ok(ok),
            Err(failed) if failed.retry && tried < tries => {
                sleep(BACKOFF * 2u32.pow(tried - 1)).await;
            }
            Err(failed) => break Err(failed.message),
        }
    };
    let outcome = Outcome {
        url,
        result,
        took: start.elapsed(),
        tries: tried,
    };
    print_line(&outcome);
    outcome
}

fn print_line(o: &Outcome) {
    let tries = if o.tries > 1 {
        format!(" ({} tries)", o.tries)
    } else {
        String::new()
    };
    let ms = o.took.as_millis();
    match &o.result {
        Ok((status, size)) => println!(
            "{:>4} {size:>8} B {ms:>6} ms  {}{tries}",
            status.as_u16(),
            o.url
        ),
        Err(e) => println!(" ERR {:>10} {ms:>6} ms  {}{tries}: {e}", "", o.url),
    }
}

// ---- the local demo server ----

/// The demo server's routes: `/item/N` (an answer of N * 100 bytes after N * 10 ms),
/// `/slow` (400 ms), `/flaky` (503 on the first try, then 200), `/fail` (500 always),
/// `/hang` (never answers).
async fn demo_routes(
    req: Request<Incoming>,
    flaky_hits: Arc<Mutex<u32>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let reply = |status: StatusCode, body: String| {
        let mut res = Response::new(Full::new(Bytes::from(body)));
        *res.status_mut() = status;
        Ok(res)
    };
    if let Some(n) = path
        .strip_prefix("/item/")
        .and_then(|n| n.parse::<u64>().ok())
    {
        sleep(Duration::from_millis(n * 10)).await;
        return reply(StatusCode::OK, "x".repeat(n as usize * 100));
    }
    match path.as_str() {
        "/slow" => {
            sleep(Duration::from_millis(400)).await;
            reply(StatusCode::OK, "slow but sure".to_owned())
        }
        "/flaky" => {
            let first = {
                let mut hits = flaky_hits.lock().unwrap();
                *hits += 1;
                *hits == 1
            };
            if first {
                reply(StatusCode::SERVICE_UNAVAILABLE, "try again".to_owned())
            } else {
                reply(StatusCode::OK, "better now".to_owned())
            }
        }
        "/fail" => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "always broken".to_owned(),
        ),
        "/hang" => std::future::pending().await,
        _ => reply(StatusCode::NOT_FOUND, format!("no {path} here")),
    }
}

/// Starts the demo server on a free port; returns its address.
async fn start_demo_server() -> std::io::Result<SocketAddr> {
    let listener = weft::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let flaky_hits = Arc::new(Mutex::new(0));
    let service = hyper::service::service_fn(move |req| demo_routes(req, flaky_hits.clone()));
    weft::spawn(weft::hyper::serve(listener, service));
    Ok(addr)
}

/// The demo's 30 URLs: 25 items, 1 slow, 1 flaky, 1 failing, 1 hanging, and 1 on a port
/// where nothing listens.
fn demo_urls(addr: SocketAddr) -> std::io::Result<Vec<String>> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut urls: Vec<String> = (1..=25)
        .map(|n| format!("http://{addr}/item/{}", (n * 7) % 25 + 1))
        .collect();
    for path in ["/slow", "/flaky", "/fail", "/hang"] {
        urls.push(format!("http://{addr}{path}"));
    }
    urls.push(format!("http://{closed}/refused"));
    Ok(urls)
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    weft::run(async move {
        let urls = if opts.urls.is_empty() {
            let addr = start_demo_server().await?;
            println!("demo server on http://{addr}");
            demo_urls(addr)?
        } else {
            opts.urls.clone()
        };
        println!(
            "fetching {} URLs, at most {} at a time, {:?} per try, {} tries",
            urls.len(),
            opts.limit,
            opts.timeout,
            opts.tries
        );

        // The connection limit: hyper-util's pool caps only the idle connections it keeps
        // (`pool_max_idle_per_host`), not how many are open, so a `weft::sync::Semaphore`
        // of `limit` permits around each try is what caps them (aiohttp's
        // `TCPConnector(limit=10)`): never more than `limit` requests, so never more than
        // `limit` connections, in use at once. The pool keeps that many for reuse.
        let client: Client = weft::hyper::client_builder()
            .pool_max_idle_per_host(opts.limit)
            .build(weft::hyper::Connector::new());
        let sem = Arc::new(Semaphore::new(opts.limit));
        let in_flight = Arc::new(InFlight::default());

        let start = Instant::now();
        let tasks: Vec<_> = urls
            .into_iter()
            .map(|url| {
                weft::spawn(fetch(
                    client.clone(),
                    url,
                    sem.clone(),
                    in_flight.clone(),
                    opts.timeout,
                    opts.tries,
                ))
            })
            .collect();
        let outcomes: Vec<Outcome> = weft::future::join_all(tasks)
            .await
            .into_iter()
            .map(|joined| joined.expect("a fetch task panicked"))
            .collect();
        let wall = start.elapsed();

        let ok = outcomes.iter().filter(|o| o.result.is_ok()).count();
        let failed = outcomes.len() - ok;
        let added: Duration = outcomes.iter().map(|o| o.took).sum();
        println!(
            "summary: {ok} ok, {failed} failed, {} URLs in {wall:.2?}",
            outcomes.len()
        );
        println!(
            "overlap: the URLs' times add up to {added:.2?}, the run took {wall:.2?}: {:.1} at \
             a time on average; at most {} requests in flight at once (limit {})",
            added.as_secs_f64() / wall.as_secs_f64().max(1e-9),
            in_flight.peak.load(Ordering::Relaxed),
            opts.limit
        );
        Ok(())
    })
}

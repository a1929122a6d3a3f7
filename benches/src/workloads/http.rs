//! The `http` row: one hyper service served by weft and by tokio, each on its own runtime
//! with the suite's worker count, driven in turn by a real HTTP client, wrk
//! (`wrk -t2 -c64 -dNs --latency`), on loopback.
//!
//! - weft: `weft::hyper::serve` (hyper's HTTP/1 connection builder over `weft::hyper::WeftIo`,
//!   `WeftTimer`, one task per connection).
//! - tokio: the same loop written with hyper-util's `TokioIo` and `TokioTimer` on
//!   `tokio::net::TcpListener`: accept, `TCP_NODELAY`, `serve_connection`, `tokio::spawn`.
//!
//! The service answers every request with `Hello, World!`. A round runs both servers one
//! after the other (the order alternating round by round) for the same duration, each after
//! a one-second warm-up run that is not counted; the report gives the median requests/s and
//! latency percentiles over the rounds, the errors wrk counted, and weft/tokio. Without wrk
//! (`cargo xtask bench` installs it from Debian's packages where it can) the row is skipped
//! and says why: no number is made up.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::stats::Summary;

/// The row's name (what `--filter` matches).
pub const NAME: &str = "http";

/// The servers, in the report's order.
pub const SERVERS: [&str; 2] = ["weft", "tokio"];

/// wrk's threads and connections.
pub const WRK_THREADS: usize = 2;
/// wrk's open connections.
pub const WRK_CONNECTIONS: usize = 64;

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrkRun {
    /// `Requests/sec:`.
    pub requests_per_sec: f64,
    /// The 50th percentile latency, ns.
    pub p50_ns: f64,
    /// The 99th percentile latency, ns.
    pub p99_ns: f64,
    /// Requests completed.
    pub requests: u64,
    /// Socket errors (connect, read, write, timeout) plus non-2xx/3xx responses.
    pub errors: u64,
}

/// The `http` row: per server ([`SERVERS`] order) its runs, or why there are none.
#[derive(Debug, Clone)]
pub struct HttpResult {
    /// Seconds per measured run.
    pub seconds: u64,
    /// Rounds (each: one run per server).
    pub rounds: usize,
    /// Worker threads of each server's runtime.
    pub workers: usize,
    /// Per server: its runs, or why it could not run.
    pub runs: [Result<Vec<WrkRun>, String>; 2],
}

impl HttpResult {
    /// The median of `f` over `server`'s runs.
    pub fn median(&self, server: usize, f: impl Fn(&WrkRun) -> f64) -> Option<f64> {
        match &self.runs[server] {
            Ok(runs) if !runs.is_empty() => {
                Some(Summary::of(&runs.iter().map(f).collect::<Vec<_>>()).median)
            }
            _ => None,
        }
    }

    /// weft's requests/s over tokio's (> 1: weft serves more).
    pub fn throughput_ratio(&self) -> Option<f64> {
        Some(self.median(0, |r| r.requests_per_sec)? / self.median(1, |r| r.requests_per_sec)?)
    }

    /// weft's p99 latency over tokio's (< 1: weft answers sooner).
    pub fn p99_ratio(&self) -> Option<f64> {
        Some(self.median(0, |r| r.p99_ns)? / self.median(1, |r| r.p99_ns)?)
    }

    /// All errors wrk counted against `server`.
    pub fn errors(&self, server: usize) -> u64 {
        self.runs[server]
            .as_ref()
            .map_or(0, |runs| runs.iter().map(|r| r.errors).sum())
    }
}

/// The service both servers run.
async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(
        b"Hello, World!",
    ))))
}

/// A server running on its own runtime until dropped.
enum Server {
    Weft(weft::Runtime),
    Tokio(tokio::runtime::Runtime),
}

impl Server {
    /// Starts server `which` ([`SERVERS`] index) with `workers` workers; returns it and its
    /// address.
    fn start(which: usize, workers: usize) -> Result<(Server, SocketAddr), String> {
        let bind = |e: std::io::Error| format!("binding the {} server: {e}", SERVERS[which]);
        if which == 0 {
            let rt = weft::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build()
                .map_err(|e| format!("building weft: {e}"))?;
            let listener = rt
                .block_on(weft::net::TcpListener::bind("127.0.0.1:0"))
                .map_err(bind)?;
            let addr = listener.local_addr().map_err(bind)?;
            drop(rt.spawn(weft::hyper::serve(
                listener,
                hyper::service::service_fn(hello),
            )));
            Ok((Server::Weft(rt), addr))
        } else {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .map_err(|e| format!("building tokio: {e}"))?;
            let listener = rt
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .map_err(bind)?;
            let addr = listener.local_addr().map_err(bind)?;
            drop(rt.spawn(tokio_serve(listener)));
            Ok((Server::Tokio(rt), addr))
        }
    }
}

impl Server {
    /// Shuts the server's runtime down (wrk has closed its connections by then).
    fn stop(self) {
        match self {
            Server::Weft(rt) => drop(rt),
            Server::Tokio(rt) => rt.shutdown_background(),
        }
    }
}

/// `weft::hyper::serve`, written for tokio with hyper-util's glue.
async fn tokio_serve(listener: tokio::net::TcpListener) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = http.serve_connection(
            hyper_util::rt::TokioIo::new(stream),
            hyper::service::service_fn(hello),
        );
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

/// Whether `wrk` is on the `PATH`.
pub fn wrk_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("wrk").is_file()))
}

/// One wrk run of `seconds` against `addr`.
fn wrk(addr: SocketAddr, seconds: u64) -> Result<WrkRun, String> {
    let out = Command::new("wrk")
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{WRK_CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg(format!("http://{addr}/"))
        .output()
        .map_err(|e| format!("running wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "wrk failed ({}): {}{}",
            out.status,
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_wrk(&text)
}

/// A wrk duration (`812.00us`, `1.25ms`, `2.01s`, `1.00m`) in ns.
fn parse_duration_ns(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (value, unit) = s.split_at(split);
    let value: f64 = value.parse().ok()?;
    let scale = match unit {
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    Some(value * scale)
}

/// What wrk printed (with `--latency`), parsed.
pub fn parse_wrk(text: &str) -> Result<WrkRun, String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let find = |prefix: &str| lines.iter().find_map(|l| l.strip_prefix(prefix));
    let missing = |what: &str| format!("no {what} in wrk's output:\n{text}");
    let requests_per_sec = find("Requests/sec:")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| missing("Requests/sec"))?;
    let percentile = |p: &str| {
        find(p)
            .and_then(|v| parse_duration_ns(v.trim()))
            .ok_or_else(|| missing(&format!("{p} latency")))
    };
    let p50_ns = percentile("50%")?;
    let p99_ns = percentile("99%")?;
    let requests = lines
        .iter()
        .find_map(|l| l.split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse::<u64>().ok())
        .ok_or_else(|| missing("request count"))?;
    // `Socket errors: connect 0, read 0, write 0, timeout 0` (only when there are some).
    let socket_errors: u64 = find("Socket errors:").map_or(0, |rest| {
        rest.split(',')
            .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    });
    let bad_status = find("Non-2xx or 3xx responses:")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Ok(WrkRun {
        requests_per_sec,
        p50_ns,
        p99_ns,
        requests,
        errors: socket_errors + bad_status,
    })
}

/// Runs the row: `rounds` rounds of `seconds` per server, with `workers` workers each.
/// `Err` (the row is skipped, with this reason) when wrk is not installed.
pub fn run(workers: usize, quick: bool) -> Result<HttpResult, String> {
    if !wrk_installed() {
        return Err(
            "wrk is not installed (`cargo xtask bench` installs it with \
                    `apt-get install -y wrk` when run as root)"
                .to_owned(),
        );
    }
    let (seconds, rounds) = if quick { (3, 1) } else { (10, 3) };
    let mut runs: [Result<Vec<WrkRun>, String>; 2] = [Ok(Vec::new()), Ok(Vec::new())];
    for round in 0..rounds {
        for k in 0..2 {
            let which = (round + k) % 2;
            let Ok(list) = &mut runs[which] else {
                continue;
            };
            let measured = Server::start(which, workers).and_then(|(server, addr)| {
                // Warm-up (connections, buffers, the allocator), then the measured run.
                let run = wrk(addr, 1).and_then(|_| wrk(addr, seconds));
                server.stop();
                run
            });
            match measured {
                Ok(run) => list.push(run),
                Err(e) => runs[which] = Err(e),
            }
        }
    }
    Ok(HttpResult {
        seconds,
        rounds,
        workers,
        runs,
    })
}

/// The server list with each one's result, for the harness's progress line.
pub fn progress_line(r: &Result<HttpResult, String>) -> String {
    match r {
        Err(why) => format!("{NAME:<18} skipped: {why}"),
        Ok(r) => {
            let mut line = format!("{NAME:<18}");
            for (i, name) in SERVERS.iter().enumerate() {
                match (r.median(i, |w| w.requests_per_sec), &r.runs[i]) {
                    (Some(rps), _) => line.push_str(&format!(
                        " {name}={rps:.0} req/s p99={}",
                        crate::stats::fmt_ns(r.median(i, |w| w.p99_ns).unwrap_or(f64::NAN))
                    )),
                    (None, Err(e)) => line.push_str(&format!(" {name}: {e}")),
                    (None, Ok(_)) => line.push_str(&format!(" {name}: no runs")),
                }
            }
            line
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
Running 10s test @ http://127.0.0.1:41235/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  812.00us  21.34ms   88.12%
    Req/Sec    30.12k     2.01k   35.00k    70.50%
  Latency Distribution
     50%  812.00us
     75%    1.25ms
     90%    2.01ms
     99%    4.50ms
  599321 requests in 10.00s, 50.30MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 1
Requests/sec:  59912.34
Transfer/sec:      5.03MB
";

    #[test]
    fn parses_wrk_output() {
        let run = parse_wrk(OUTPUT).unwrap();
        assert_eq!(run.requests_per_sec, 59912.34);
        assert_eq!(run.p50_ns, 812_000.0);
        assert_eq!(run.p99_ns, 4_500_000.0);
        assert_eq!(run.requests, 599_321);
        assert_eq!(run.errors, 6);
    }

    #[test]
    fn no_error_lines_means_no_errors() {
        let clean: String = OUTPUT
            .lines()
            .filter(|l| !l.contains("errors") && !l.contains("Non-2xx"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(parse_wrk(&clean).unwrap().errors, 0);
    }

    #[test]
    fn refuses_output_without_figures() {
        let err = parse_wrk("unable to connect to 127.0.0.1:1 Connection refused").unwrap_err();
        assert!(err.contains("no Requests/sec"), "{err}");
        let two_s = parse_duration_ns("2.01s").unwrap();
        assert!((two_s - 2.01e9).abs() < 1.0, "{two_s}");
        assert_eq!(parse_duration_ns("1.00m"), Some(60e9));
        assert_eq!(parse_duration_ns("12"), None);
    }

    #[test]
    fn ratios_compare_weft_with_tokio() {
        let run = |rps: f64, p99: f64| WrkRun {
            requests_per_sec: rps,
            p50_ns: 1.0,
            p99_ns: p99,
            requests: 1,
            errors: 0,
        };
        let r = HttpResult {
            seconds: 1,
            rounds: 1,
            workers: 2,
            runs: [Ok(vec![run(120.0, 2.0)]), Ok(vec![run(100.0, 4.0)])],
        };
        assert_eq!(r.throughput_ratio(), Some(1.2));
        assert_eq!(r.p99_ratio(), Some(0.5));
    }
}

//! The examples, run as child processes: the networking ones (`echo_server`,
//! `chat_server`, `graceful_shutdown`) against std clients on a free port, and
//! `async_generator`, whose output is checked line by line, and `producer_consumer`
//! (asyncio's Queue program), which must print its `join()` line and exit 0, and
//! `rate_limited` (a `Semaphore` capping requests to a local HTTP server), and the
//! tutorial examples `coffee_shop` (timings checked against its printed orders) and
//! `priority_scheduler` (the order its tasks finish in).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Serialises the `cargo build`s of examples run by tests on parallel threads.
static BUILD: Mutex<()> = Mutex::new(());

/// The example's binary, built (or brought up to date) first.
fn example_binary(name: &str) -> PathBuf {
    example_binary_of("weft", name)
}

/// The binary of example `name` of workspace package `package`, built first: always through
/// cargo, which does nothing if it is up to date, so an edited example is never tested as
/// its stale binary.
fn example_binary_of(package: &str, name: &str) -> PathBuf {
    // The test binary is target/<profile>/deps/examples-<hash>; examples live in
    // target/<profile>/examples/.
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    let path = profile_dir.join("examples").join(name);
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "-q",
        "-p",
        package,
        "--example",
        name,
    ]);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        cmd.arg("--release");
    }
    // weft's examples run on what this test was built with (the polling backend in the
    // `test (polling, tracing)` step of `cargo xtask test`).
    let features: Vec<&str> = [
        (cfg!(feature = "backend-polling"), "backend-polling"),
        (cfg!(feature = "tracing"), "tracing"),
        (cfg!(feature = "hyper"), "hyper"),
    ]
    .into_iter()
    .filter_map(|(on, feature)| on.then_some(feature))
    .collect();
    if package == "weft" && !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let status = cmd.status().expect("run cargo build");
    assert!(
        status.success(),
        "cargo build -p {package} --example {name} failed"
    );
    assert!(path.exists(), "no example binary at {}", path.display());
    path
}

/// A free loopback port (bound by std, then released for the child to take).
fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// A running example; killed (and reaped) when dropped, so a failing test leaves nothing.
struct ChildGuard {
    child: Child,
    stdout: Option<BufReader<ChildStdout>>,
}

impl ChildGuard {
    fn spawn(name: &str, args: &[&str]) -> ChildGuard {
        let mut child = Command::new(example_binary(name))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        let stdout = BufReader::new(child.stdout.take().unwrap());
        ChildGuard {
            child,
            stdout: Some(stdout),
        }
    }

    /// Reads the child's stdout until a line containing `needle`; returns that line.
    fn wait_for_line(&mut self, needle: &str) -> String {
        let stdout = self.stdout.as_mut().unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            let n = stdout
                .read_line(&mut line)
                .expect("read the child's stdout");
            assert!(
                n > 0,
                "the child's stdout ended before a line with {needle:?}"
            );
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Lets the rest of stdout drain in the background (so the child never blocks on it).
    fn drain_stdout(&mut self) {
        if let Some(mut out) = self.stdout.take() {
            thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = out.read_to_end(&mut sink);
            });
        }
    }

    /// Sends the child SIGTERM.
    fn sigterm(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits up to `limit` for the child to exit.
    fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects to `addr`, retrying while the child is still starting up.
fn connect(addr: &str) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                return s;
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("could not connect to {addr}: {e}"),
        }
    }
}

/// Some bytes that differ per client and per position (a small xorshift).
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn echo_server_echoes_for_ten_concurrent_clients() {
    let addr = free_addr();
    let mut server = ChildGuard::spawn("echo_server", &[&addr]);
    server.wait_for_line("listening on");
    server.drain_stdout();
    let clients: Vec<_> = (0..10u64)
        .map(|i| {
            let addr = addr.clone();
            thread::spawn(move || {
                let data = random_bytes(i + 1, 1000);
                let mut s = connect(&addr);
                s.write_all(&data).unwrap();
                s.shutdown(Shutdown::Write).unwrap();
                let mut back = Vec::new();
                s.read_to_end(&mut back).unwrap();
                assert_eq!(back, data, "client {i} got other bytes back");
            })
        })
        .collect();
    for c in clients {
        c.join().expect("a client failed");
    }
}

/// Reads one line from a chat client.
fn read_line(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).expect("read a chat line");
    line
}

#[test]
fn chat_server_broadcasts_to_the_others_only() {
    let addr = free_addr();
    let mut server = ChildGuard::spawn("chat_server", &[&addr]);
    server.wait_for_line("listening on");
    server.drain_stdout();
    // Each client reads its welcome line: then it is registered.
    let mut clients: Vec<(TcpStream, BufReader<TcpStream>)> = (0..3)
        .map(|_| {
            let s = connect(&addr);
            let mut r = BufReader::new(s.try_clone().unwrap());
            assert!(read_line(&mut r).starts_with("welcome"));
            (s, r)
        })
        .collect();
    let a_addr = clients[0].0.local_addr().unwrap();
    let b_addr = clients[1].0.local_addr().unwrap();

    clients[0].0.write_all(b"hello from A\n").unwrap();
    for (_, r) in &mut clients[1..] {
        assert_eq!(read_line(r), format!("{a_addr}: hello from A\n"));
    }
    // B answers; A's next line is B's, so A's own line never came back to it (an outbox is
    // first in, first out, and A's line was queued before B sent).
    clients[1].0.write_all(b"hi A, B here\n").unwrap();
    assert_eq!(
        read_line(&mut clients[0].1),
        format!("{b_addr}: hi A, B here\n")
    );
    assert_eq!(
        read_line(&mut clients[2].1),
        format!("{b_addr}: hi A, B here\n")
    );

    // A client that leaves is removed: the others go on chatting.
    drop(clients.remove(2));
    clients[0].0.write_all(b"still here\n").unwrap();
    assert_eq!(
        read_line(&mut clients[1].1),
        format!("{a_addr}: still here\n")
    );
}

#[test]
fn graceful_shutdown_on_sigterm_lets_connections_finish() {
    let addr = free_addr();
    let mut server = ChildGuard::spawn("graceful_shutdown", &[&addr]);
    server.wait_for_line("echo server on");

    let mut s = connect(&addr);
    s.write_all(b"before").unwrap();
    let mut buf = [0u8; 6];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"before");

    server.sigterm();
    server.wait_for_line("stopped accepting");

    // The open connection is still served...
    s.write_all(b"after!").unwrap();
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"after!");
    // ...while new ones are refused.
    let err = TcpStream::connect(&addr).expect_err("connect after shutdown began");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    // The server is still running: it waits for this connection.
    assert!(server.child.try_wait().unwrap().is_none());

    // Hang up: the server finishes and exits 0.
    s.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    server.wait_for_line("shut down after");
    server.drain_stdout();
    let status = server
        .wait_timeout(Duration::from_secs(10))
        .expect("the server did not exit within 10 s of its last connection closing");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn graceful_shutdown_stops_after_serve_for() {
    let addr = free_addr();
    let mut server = ChildGuard::spawn("graceful_shutdown", &[&addr, "--serve-for", "0.3"]);
    server.wait_for_line("echo server on");
    server.drain_stdout();
    let status = server
        .wait_timeout(Duration::from_secs(10))
        .expect("the server did not stop on its own");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn async_generator_mirrors_the_asyncio_programs() {
    let started = Instant::now();
    let out = Command::new(example_binary("async_generator"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run async_generator");
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "1",
            "2",
            "3",
            "4",
            "0",
            "1",
            "2",
            "odd: [1, 3, 5, 7]",
            "1",
            "Error in generator: Even numbers are not allowed.",
            "Error in generator: Even numbers are not allowed.",
            "Error in generator: Even numbers are not allowed.",
            "done"
        ]
    );
    // The run itself is short (about 0.2 s of sleeps); the bound is loose for loaded machines.
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// The consumers are aborted while parked in `get()`; their `Get` futures borrow the
/// consumer's own queue handle, so this also checks that an aborted future is dropped in
/// place (it hung before weft-task did so).
#[test]
fn producer_consumer_joins_then_cancels_its_consumers() {
    let mut child = ChildGuard::spawn("producer_consumer", &[]);
    child.wait_for_line("join() returned: 15 jobs done, 0 unfinished");
    child.wait_for_line("consumers cancelled; done");
    child.drain_stdout();
    let status = child
        .wait_timeout(Duration::from_secs(10))
        .expect("producer_consumer did not exit");
    assert!(status.success(), "exit status {status}");
}

/// `coffee_shop --fast` (a tutorial second is 10 ms): from the printed orders alone, the
/// tutorial's loop as written takes the sum of `max(brew, gap)` with one coffee brewing at a
/// time, the spawned version is done when the last coffee is ready with several brewing at
/// once, and in the rush hour one at a time takes the sum of the brews, spawned the longest.
#[test]
fn coffee_shop_serves_one_at_a_time_as_written_and_several_spawned() {
    let out = Command::new(example_binary("coffee_shop"))
        .arg("--fast")
        .stderr(Stdio::inherit())
        .output()
        .expect("run coffee_shop");
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    // "  order 2: brews 1 s; the next customer comes 1 s later" / "... brews 3 s; the last customer"
    let number_after = |line: &str, key: &str| -> u64 {
        let rest = line
            .split(key)
            .nth(1)
            .unwrap_or_else(|| panic!("{key:?} in {line:?}"));
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    let orders: Vec<(u64, u64)> = stdout
        .lines()
        .filter(|l| l.starts_with("  order "))
        .map(|l| {
            let gap = if l.contains("the last customer") {
                0
            } else {
                number_after(l, "comes ")
            };
            (number_after(l, "brews "), gap)
        })
        .collect();
    assert_eq!(orders.len(), 5, "{stdout}");
    let as_written: u64 = orders.iter().map(|&(b, g)| b.max(g)).sum();
    let mut arrival = 0;
    let mut spawned = 0;
    for &(b, g) in &orders {
        spawned = spawned.max(arrival + b);
        arrival += g;
    }
    let brews: u64 = orders.iter().map(|&(b, _)| b).sum();
    let longest = orders.iter().map(|&(b, _)| b).max().unwrap();
    assert!(
        spawned < as_written && longest < brews,
        "a dull seed: {orders:?}"
    );

    // "  spawned, several at once:   7.76 s   expected 7 = ..."
    let measured = |label: &str| -> f64 {
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in {stdout}"));
        let rest = line.split(':').nth(1).unwrap().trim_start();
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    for (label, expected) in [
        ("as written, one coffee at a time", as_written),
        ("spawned, several at once", spawned),
        ("rush hour, one at a time", brews),
        ("rush hour, spawned", longest),
    ] {
        let got = measured(label);
        let expected = expected as f64;
        // A sleep never ends early; the slack (in tutorial seconds, 10 ms each) is for a
        // loaded machine.
        let slack = (expected * 0.25).max(4.0);
        assert!(
            got >= expected - 0.01 && got <= expected + slack,
            "{label}: {got} s, expected {expected} s\n{stdout}"
        );
    }
    // One coffee at a time as written; several at once when spawned.
    let most = |act: &str| -> usize {
        let line = stdout
            .lines()
            .skip_while(|l| !l.starts_with(act))
            .find(|l| l.starts_with("served "))
            .unwrap_or_else(|| panic!("no summary for {act:?} in {stdout}"));
        number_after(line, "at most ") as usize
    };
    assert_eq!(most("== 1."), 1, "{stdout}");
    assert!(most("== 2.") >= 2, "{stdout}");
}

/// `priority_scheduler`: with all nine tasks ready at once, the built-in current-thread
/// scheduler finishes them in spawn order and the example's priority scheduler by priority;
/// a high-priority timer fires while low-priority work keeps the worker busy; two threads
/// run spawns, a sleep and a TCP echo.
#[test]
fn priority_scheduler_runs_high_priority_tasks_first() {
    let out = Command::new(example_binary("priority_scheduler"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run priority_scheduler");
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let after = |prefix: &str| -> &str {
        stdout
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in {stdout}"))
            .trim()
    };
    assert_eq!(
        after("current_thread finishes:"),
        "low:1 normal:1 high:1 low:2 normal:2 high:2 low:3 normal:3 high:3"
    );
    assert_eq!(
        after("priority finishes:"),
        "high:1 high:2 high:3 normal:1 normal:2 normal:3 low:1 low:2 low:3"
    );
    let alarm = after("the alarm ran after ");
    let mut words = alarm.split(' ');
    let seen: usize = words.next().unwrap().parse().unwrap();
    let total: usize = words.nth(1).unwrap().parse().unwrap();
    assert_eq!(total, 400, "{alarm}");
    assert!(
        seen < total,
        "the alarm waited for all the low-priority work: {alarm}"
    );
    assert!(
        stdout.contains("1000 tasks done, a sleep, and a TCP echo (\"ping\")"),
        "{stdout}"
    );
}

/// `rate_limited`: 20 requests to the example's own HTTP server through a `Semaphore(4)`;
/// the server never sees more than 4 at once, and every reply matches its request (the
/// example asserts both and exits non-zero otherwise).
#[test]
fn rate_limited_never_lets_more_than_four_through() {
    let mut child = ChildGuard::spawn("rate_limited", &[]);
    let line = child.wait_for_line("requests, at most 4 at a time");
    let peak: usize = line
        .split("the server saw ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak in {line:?}"));
    assert!((1..=4).contains(&peak), "peak {peak} in {line:?}");
    let status = child
        .wait_timeout(Duration::from_secs(10))
        .expect("rate_limited did not exit");
    assert!(status.success(), "exit status {status}");
}

/// `debug_mode`: the blocking call, the lock-order deadlock and the unretrieved panic are
/// all found from the program's output alone (issue #11's "tried as a new user would").
#[test]
fn debug_mode_finds_the_blocking_call_the_deadlock_and_the_lost_panic() {
    let out = Command::new(example_binary("debug_mode"))
        .output()
        .expect("run debug_mode");
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let has = |text: &str, all: &[&str]| {
        text.lines()
            .any(|line| all.iter().all(|part| line.contains(part)))
    };
    assert!(
        has(
            &stderr,
            &[
                "weft: blocked: thread",
                "(\"packer\")",
                "other task(s) wait"
            ]
        ),
        "{stderr}"
    );
    assert!(
        has(
            &stderr,
            &["weft: slow poll:", "(\"packer\")", "debug_mode.rs:"]
        ),
        "{stderr}"
    );
    assert!(
        has(
            &stderr,
            &["(\"notifier\")", "never retrieved", "SMTP server refused"]
        ),
        "{stderr}"
    );
    assert!(has(&stdout, &["task", "\"shipper\": idle"]), "{stdout}");
    assert_eq!(
        stdout.matches("waiting on Mutex::lock at ").count(),
        2,
        "{stdout}"
    );
    assert!(stdout.contains("stuck: "), "{stdout}");
}

/// `top`: a few frames of the live view over its demo workload, then a clean exit; with
/// standard output a pipe, frames are printed one after another.
#[test]
fn top_draws_frames_of_metrics_and_tasks_then_exits() {
    let out = Command::new(example_binary("top"))
        .args(["--secs", "2", "--workers", "2"])
        .stderr(Stdio::inherit())
        .output()
        .expect("run top");
    assert!(out.status.success(), "exit status {}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\x1b'), "no screen codes on a pipe");
    let frames: Vec<&str> = stdout.split("----\n").skip(1).collect();
    assert!(frames.len() >= 2, "{stdout}");
    let last = frames[frames.len() - 2];
    assert!(last.starts_with("weft-top  up "), "{last}");
    assert!(last.contains("workers 2"), "{last}");
    let worker_rows = last
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.ends_with('%'))
        .count();
    assert_eq!(worker_rows, 2, "one row per worker: {last}");
    assert!(last.contains("stuck "), "the stuck task is listed: {last}");
    assert!(
        last.contains("Mutex::lock at "),
        "with what it waits on: {last}"
    );
    assert!(stdout.contains("weft-top: done after "), "{stdout}");
}

/// The hyper examples (package `weft-http-examples`): `fetch_many` against its own server and
/// against URLs given on the command line, and `http_server` answering a plain std client.
mod http {
    use super::*;

    /// The example's command, its binary built first if it is not there yet.
    fn hyper_example(name: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(example_binary_of("weft-http-examples", name));
        cmd.args(args).stderr(Stdio::inherit());
        cmd
    }

    /// Runs `fetch_many` to its end; returns its standard output.
    fn fetch_many(args: &[&str]) -> String {
        let out = hyper_example("fetch_many", args)
            .output()
            .expect("run fetch_many");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success(), "exit status {}: {stdout}", out.status);
        stdout
    }

    /// The line of `stdout` that mentions `url`.
    fn line_of<'a>(stdout: &'a str, url: &str) -> &'a str {
        stdout
            .lines()
            .find(|l| l.contains(url))
            .unwrap_or_else(|| panic!("no line for {url} in\n{stdout}"))
    }

    #[test]
    fn fetch_many_fetches_from_its_own_server_and_sums_up() {
        let started = Instant::now();
        let stdout = fetch_many(&[]);
        let server = stdout
            .lines()
            .find_map(|l| l.strip_prefix("demo server on "))
            .unwrap_or_else(|| panic!("no server line in\n{stdout}"));
        // Every one of the 30 URLs has its line: 25 items, slow, flaky (after a retry),
        // failing (500), hanging (time-out) and refused.
        let items = stdout
            .lines()
            .filter(|l| l.starts_with(" 200") && l.contains("/item/"))
            .count();
        assert_eq!(items, 25, "{stdout}");
        let flaky = line_of(&stdout, &format!("{server}/flaky"));
        assert!(
            flaky.starts_with(" 200") && flaky.ends_with("(2 tries)"),
            "{flaky}"
        );
        let fail = line_of(&stdout, &format!("{server}/fail"));
        assert!(fail.contains("(3 tries): server error 500"), "{fail}");
        let hang = line_of(&stdout, &format!("{server}/hang"));
        assert!(hang.contains("timed out after 1s"), "{hang}");
        let refused = line_of(&stdout, "/refused");
        assert!(
            refused.contains("connection refused by 127.0.0.1:"),
            "{refused}"
        );
        assert!(
            stdout.contains("summary: 27 ok, 3 failed, 30 URLs in "),
            "{stdout}"
        );
        // At most 10 in flight, and more than one: they overlapped.
        let peak: usize = line_of(&stdout, "overlap: ")
            .split("at most ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no peak in\n{stdout}"));
        assert!((2..=10).contains(&peak), "{stdout}");
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn fetch_many_reports_a_refused_url_and_fetches_the_rest() {
        // A one-shot std HTTP server for the good URL.
        let good = TcpListener::bind("127.0.0.1:0").unwrap();
        let good_addr = good.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = good.accept().unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 512];
            while !head.ends_with(b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "the client hung up before its request was complete");
                head.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
                .unwrap();
        });
        let refused = format!("http://{}/nothing-here", free_addr());
        let good_url = format!("http://{good_addr}/hello");
        let stdout = fetch_many(&["--tries", "2", &refused, &good_url]);
        let line = line_of(&stdout, &refused);
        assert!(line.starts_with(" ERR"), "{line}");
        assert!(
            line.contains("(2 tries): connection refused by 127.0.0.1:"),
            "{line}"
        );
        let line = line_of(&stdout, &good_url);
        assert!(line.starts_with(" 200        5 B"), "{line}");
        assert!(
            stdout.contains("summary: 1 ok, 1 failed, 2 URLs in "),
            "{stdout}"
        );
        server.join().unwrap();
    }

    #[test]
    fn http_server_answers_a_std_client_and_stops_on_sigterm() {
        let addr = free_addr();
        let mut child = hyper_example("http_server", &["--addr", &addr, "--workers", "2"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start http_server");
        // The guard reads the output, and kills and reaps the child if the test fails.
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut server = ChildGuard {
            child,
            stdout: Some(stdout),
        };
        let first = server.wait_for_line("listening on");
        assert_eq!(
            first.trim(),
            format!("listening on http://{addr} (2 workers)")
        );

        for (path, body, kind) in [
            ("/", "Hello, World!", "text/plain"),
            (
                "/json",
                r#"{"message":"Hello, World!"}"#,
                "application/json",
            ),
        ] {
            let mut s = connect(&addr);
            write!(
                s,
                "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
            )
            .unwrap();
            let mut reply = String::new();
            s.read_to_string(&mut reply).unwrap();
            assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
            assert!(reply.contains(&format!("content-type: {kind}")), "{reply}");
            assert!(reply.ends_with(&format!("\r\n\r\n{body}")), "{reply}");
        }
        let mut s = connect(&addr);
        s.write_all(b"GET /missing HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert!(reply.starts_with("HTTP/1.1 404 Not Found\r\n"), "{reply}");

        server.sigterm();
        server.wait_for_line("shutting down");
        server.drain_stdout();
        let status = server
            .wait_timeout(Duration::from_secs(10))
            .expect("http_server did not exit on SIGTERM");
        assert!(status.success(), "exit status {status}");
    }
}

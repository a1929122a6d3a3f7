//! The examples, run as child processes: the networking ones (`echo_server`,
//! `chat_server`, `graceful_shutdown`) against std clients on a free port, and
//! `async_generator`, whose output is checked line by line, and `producer_consumer`
//! (asyncio's Queue program), which must print its `join()` line and exit 0, and
//! `rate_limited` (a `Semaphore` capping requests to a local HTTP server).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Serialises the `cargo build`s of examples run by tests on parallel threads.
static BUILD: Mutex<()> = Mutex::new(());

/// The example's binary, built first if it is not there yet.
fn example_binary(name: &str) -> PathBuf {
    // The test binary is target/<profile>/deps/examples-<hash>; examples live in
    // target/<profile>/examples/.
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    let path = profile_dir.join("examples").join(name);
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if !path.exists() {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--example", name]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
    }
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

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
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

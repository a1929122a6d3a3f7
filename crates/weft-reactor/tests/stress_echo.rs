//! 10,000 concurrent loopback TCP connections doing echo round trips, every byte checked.
//!
//! Heavy: ignored in debug builds; run it with
//! `cargo test --release -p weft-reactor --test stress_echo`.
//!
//! 10,000 connections need 20,000 descriptors when both ends live in this process. The
//! test raises `RLIMIT_NOFILE` to the hard limit; if that is below 20,500 but enough for
//! one end, the server runs in a child process (this test binary, re-executed to run
//! `stress_echo_server_process`), which has a limit of its own; below that it skips with
//! a note.

mod common;

use std::cell::RefCell;
use std::future::poll_fn;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use common::*;
use weft_reactor::net::{TcpListener, TcpStream};

const CONNS_DEFAULT: usize = 10_000;
const ROUNDS: u64 = 3;
const MSG: usize = 512;
const SERVER_ENV: &str = "WEFT_STRESS_SERVER";

/// The number of connections: 10,000, or `WEFT_STRESS_CONNS`.
fn conns() -> usize {
    std::env::var("WEFT_STRESS_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CONNS_DEFAULT)
}

/// Raises the soft descriptor limit to the hard one; returns it.
fn raise_nofile() -> u64 {
    let (_, hard) = set_nofile(u64::MAX).unwrap();
    hard
}

/// Accepts forever, echoing each connection until end-of-file.
async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((s, _)) => {
                spawn(async move {
                    let (mut r, mut w) = s.into_split();
                    echo(&mut r, &mut w).await.unwrap();
                });
            }
            Err(e) => {
                eprintln!("accept: {e}; backing off");
                sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// A barrier for the tasks of one thread.
#[derive(Default)]
struct Barrier {
    arrived: usize,
    waiters: Vec<Waker>,
}

async fn wait_all(barrier: &Rc<RefCell<Barrier>>, n: usize) {
    barrier.borrow_mut().arrived += 1;
    poll_fn(|cx| {
        let mut b = barrier.borrow_mut();
        if b.arrived >= n {
            for w in b.waiters.drain(..) {
                w.wake();
            }
            Poll::Ready(())
        } else {
            b.waiters.push(cx.waker().clone());
            Poll::Pending
        }
    })
    .await
}

async fn client(i: usize, addr: SocketAddr, barrier: Rc<RefCell<Barrier>>) -> u64 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut checked = 0;
    let mut got = vec![0; MSG];
    for round in 0..ROUNDS {
        let data = pattern(i as u64 * ROUNDS + round, MSG);
        write_all(&mut s, &data).await.unwrap();
        read_exact(&mut s, &mut got).await.unwrap();
        assert!(
            got == data,
            "connection {i} round {round}: echoed bytes differ"
        );
        checked += MSG as u64;
        if round == 0 {
            // Every connection is open at once before any goes on.
            wait_all(&barrier, conns()).await;
        }
    }
    close(&mut s).await.unwrap();
    assert_eq!(
        read_to_end(&mut s).await.unwrap(),
        b"",
        "connection {i}: trailing bytes"
    );
    checked
}

async fn run_clients(addr: SocketAddr) {
    let barrier = Rc::new(RefCell::new(Barrier::default()));
    let start = Instant::now();
    let conns = conns();
    let handles: Vec<_> = (0..conns)
        .map(|i| spawn(client(i, addr, barrier.clone())))
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.await;
    }
    assert_eq!(total, (conns * MSG) as u64 * ROUNDS);
    println!(
        "stress_echo: {conns} connections x {ROUNDS} round trips of {MSG} B, {} MiB checked, in {:?}",
        total >> 20,
        start.elapsed()
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "heavy: run with --release")]
fn ten_thousand_concurrent_echo_connections() {
    let hard = raise_nofile();
    let mut ex = Executor::new();
    ex.set_timeout(Duration::from_secs(600));
    if hard >= 2 * conns() as u64 + 500 {
        ex.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            spawn(serve(listener));
            run_clients(addr).await;
        });
    } else if hard >= conns() as u64 + 200 {
        println!(
            "stress_echo: RLIMIT_NOFILE hard limit {hard} < {}: the server runs in a child \
             process",
            2 * conns() + 500
        );
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "stress_echo_server_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SERVER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let port: u16 = loop {
            let line = lines.next().expect("the server exited").unwrap();
            // libtest may print "test name ... " on the same line first.
            if let Some((_, p)) = line.split_once("PORT ") {
                break p.trim().parse().unwrap();
            }
        };
        ex.block_on(run_clients(SocketAddr::from(([127, 0, 0, 1], port))));
        drop(child.stdin.take()); // the server exits on end-of-file
        let status = child.wait().unwrap();
        assert!(status.success(), "server process: {status}");
    } else {
        println!(
            "stress_echo: skipped: RLIMIT_NOFILE hard limit {hard} is too low for {} \
             connections",
            conns()
        );
    }
}

/// The echo server of the stress test when it runs out of process; does nothing unless
/// the stress test started it.
#[test]
#[ignore = "helper process of ten_thousand_concurrent_echo_connections"]
fn stress_echo_server_process() {
    if std::env::var_os(SERVER_ENV).is_none() {
        return;
    }
    raise_nofile();
    std::thread::spawn(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
        std::process::exit(0);
    });
    let mut ex = Executor::new();
    ex.set_timeout(Duration::from_secs(900));
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut out = std::io::stdout();
        writeln!(out, "PORT {}", listener.local_addr().unwrap().port()).unwrap();
        out.flush().unwrap();
        serve(listener).await;
    });
}

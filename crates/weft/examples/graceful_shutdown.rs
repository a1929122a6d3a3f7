//! An echo server that shuts down gracefully: on SIGTERM or ctrl-c it stops accepting,
//! lets the open connections finish, prints a summary and exits with status 0.
//!
//!     cargo run --release --example graceful_shutdown [ADDR] [--serve-for SECS]
//!                                                # default 127.0.0.1:8082, serve until a signal
//!     nc 127.0.0.1 8082                          # in another terminal; then ctrl-c the server:
//!                                                # nc still gets its echoes until it hangs up
//!
//! `--serve-for SECS` stops it the same way after SECS seconds, as if signalled. A second
//! signal while connections are draining aborts them and exits at once.
//!
//! The accept loop is one `weft::select!` over the signals, the optional timer, the listener
//! and the `JoinSet` of connection tasks (which reaps the finished ones as it goes).
//!
//! asyncio: `loop.add_signal_handler(SIGTERM, ...)` + `server.close()` +
//! `await server.wait_closed()`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::net::{TcpListener, TcpStream};
use weft::signal::unix::{signal, SignalKind};
use weft::task::JoinSet;

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:8082".to_owned();
    let mut serve_for = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--serve-for" {
            let secs: f64 = args
                .next()
                .and_then(|s| s.parse().ok())
                .expect("--serve-for takes a number of seconds");
            serve_for = Some(Duration::from_secs_f64(secs));
        } else {
            addr = arg;
        }
    }
    weft::run(serve(addr, serve_for))
}

async fn serve(addr: String, serve_for: Option<Duration>) -> std::io::Result<()> {
    let started = Instant::now();
    // Listen for the signals before announcing ourselves, so none is missed.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut ctrl_c = Box::pin(weft::signal::ctrl_c());
    let mut time_up = Box::pin(async move {
        match serve_for {
            Some(d) => weft::time::sleep(d).await,
            None => std::future::pending().await,
        }
    });
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "graceful_shutdown: echo server on {}",
        listener.local_addr()?
    );

    let bytes = Arc::new(AtomicU64::new(0));
    let mut connections = JoinSet::new();
    let mut accepted = 0u64;
    let reason = loop {
        weft::select! {
            biased;
            _ = &mut ctrl_c => break "ctrl-c",
            _ = terminate.recv() => break "SIGTERM",
            _ = &mut time_up => break "--serve-for elapsed",
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accept = listener.accept() => match accept {
                Ok((socket, peer)) => {
                    accepted += 1;
                    println!("{peer} connected");
                    connections.spawn(echo(socket, peer, bytes.clone()));
                }
                Err(e) => {
                    eprintln!("accept failed: {e}; retrying in 100 ms");
                    weft::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    };

    // Stop accepting: closing the listener makes new connects fail at once.
    drop(listener);
    println!(
        "{reason}: stopped accepting; waiting for {} open connection(s) to finish",
        connections.len()
    );
    let mut aborted = false;
    let mut second_ctrl_c = Box::pin(weft::signal::ctrl_c());
    loop {
        weft::select! {
            biased;
            _ = &mut second_ctrl_c, if !aborted => aborted = true,
            _ = terminate.recv(), if !aborted => aborted = true,
            next = connections.join_next() => match next {
                Some(_) => continue,
                None => break,
            },
        }
        // Reached only on a second signal.
        println!(
            "second signal: aborting {} connection(s)",
            connections.len()
        );
        connections.abort_all();
    }
    println!(
        "shut down after {:.1?}: {accepted} connection(s) served, {} byte(s) echoed{}",
        started.elapsed(),
        bytes.load(Ordering::Relaxed),
        if aborted { ", some aborted" } else { "" },
    );
    Ok(())
}

/// Echoes until the client hangs up, adding what it echoed to `bytes`.
async fn echo(socket: TcpStream, peer: std::net::SocketAddr, bytes: Arc<AtomicU64>) {
    let (mut reader, mut writer) = socket.into_split();
    match weft::io::copy(&mut reader, &mut writer).await {
        Ok(n) => {
            bytes.fetch_add(n, Ordering::Relaxed);
            println!("{peer} disconnected ({n} bytes echoed)");
        }
        Err(e) => println!("{peer} disconnected with an error: {e}"),
    }
}

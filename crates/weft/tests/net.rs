//! `weft::net`, `weft::fs` and `weft::process` on every scheduler (the custom FIFO one and
//! the deterministic one included), plus the error a runtime without I/O gives. (Real
//! sockets deliver their readiness when the OS says so, so on the deterministic scheduler
//! these check behaviour, not that a seed replays: see `docs/deterministic.md`.)

mod common;

use std::future::Future;
use std::io::ErrorKind;

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use weft::runtime::Builder;

/// Runs `body` on an I/O-enabled runtime of every scheduler, the deterministic one included,
/// where it must replay its seed's interleaving exactly on every run (the same choices in the
/// same order): these sockets are loopback and Unix ones, whose readiness the kernel settles
/// inside the very system call that causes it, so it is the same on every run.
fn on_every_scheduler<F, Fut>(body: F)
where
    F: Fn(&'static str) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    common::for_builders_replayed(&common::WITH_DETERMINISTIC, build_and_run(body));
}

/// As [`on_every_scheduler`], without the replay check: for work done on other threads (the
/// blocking pool, a child process), whose completion may come before or after the runtime
/// first looks, as the OS schedules them.
fn on_every_scheduler_unreplayed<F, Fut>(body: F)
where
    F: Fn(&'static str) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    common::for_builders(&common::WITH_DETERMINISTIC, build_and_run(body));
}

fn build_and_run<F, Fut>(body: F) -> impl Fn(Builder, &'static str) + Send + Sync + 'static
where
    F: Fn(&'static str) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()>,
{
    move |builder: Builder, name| {
        let rt = builder
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("[{name}] build: {e}"));
        rt.block_on(body(name));
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn tcp_echo_64k_through_split_halves() {
    on_every_scheduler(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (mut r, mut w) = socket.into_split();
            weft::io::copy(&mut r, &mut w).await.unwrap()
        });
        let data = pattern(64 * 1024);
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        let to_send = data.clone();
        let writer = weft::spawn(async move {
            w.write_all(&to_send).await.unwrap();
            w.close().await.unwrap(); // half-close: the server's copy ends
        });
        let reader = weft::spawn(async move {
            let mut back = Vec::new();
            r.read_to_end(&mut back).await.unwrap();
            back
        });
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), data);
        assert_eq!(server.await.unwrap(), data.len() as u64);
    });
}

#[test]
fn hundred_connections_ten_round_trips_each() {
    on_every_scheduler(|_| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = weft::spawn(async move {
            let mut conns = weft::task::JoinSet::new();
            for _ in 0..100 {
                let (mut socket, _) = listener.accept().await.unwrap();
                conns.spawn(async move {
                    let mut buf = [0u8; 16];
                    for _ in 0..10 {
                        socket.read_exact(&mut buf).await.unwrap();
                        socket.write_all(&buf).await.unwrap();
                    }
                });
            }
            while let Some(r) = conns.join_next().await {
                r.unwrap();
            }
        });
        let clients: Vec<_> = (0..100u8)
            .map(|c| {
                weft::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    for round in 0..10u8 {
                        let msg = [c ^ round; 16];
                        s.write_all(&msg).await.unwrap();
                        let mut back = [0u8; 16];
                        s.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg, "client {c} round {round}");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
        server.await.unwrap();
    });
}

#[test]
fn udp_send_to_recv_from_round_trip() {
    on_every_scheduler(|_| async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let echo = weft::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            b.send_to(&buf[..n], from).await.unwrap();
            from
        });
        a.send_to(b"ping", b_addr).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(from, b_addr);
        assert_eq!(echo.await.unwrap(), a_addr);
    });
}

#[test]
fn unix_stream_pair_round_trip() {
    on_every_scheduler(|_| async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let echo = weft::spawn(async move {
            let mut buf = [0u8; 5];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
        });
        a.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        echo.await.unwrap();
    });
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    on_every_scheduler(|_| async {
        // A port that was free a moment ago and has nobody listening now.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
    });
}

#[test]
fn fs_write_read_round_trip() {
    on_every_scheduler_unreplayed(|name| async move {
        let dir = std::env::temp_dir().join(format!(
            "weft-net-test-{}-{}",
            std::process::id(),
            name.replace(['(', ')'], "_")
        ));
        weft::fs::create_dir_all(&dir).await.unwrap();
        let path = dir.join("data.bin");
        let data = pattern(100_000);
        weft::fs::write(&path, data.clone()).await.unwrap();
        assert_eq!(weft::fs::read(&path).await.unwrap(), data);
        weft::fs::remove_file(&path).await.unwrap();
        let _ = std::fs::remove_dir(&dir);
    });
}

#[test]
fn process_output_of_echo() {
    on_every_scheduler_unreplayed(|_| async {
        let out = weft::process::Command::new("echo")
            .arg("hi")
            .output()
            .await
            .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"hi\n");
    });
}

#[test]
fn bind_without_io_names_disable_io() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .disable_io()
        .build()
        .unwrap();
    let message = common::expect_panic(|| {
        rt.block_on(async {
            let _ = TcpListener::bind("127.0.0.1:0").await;
        })
    });
    assert!(message.contains("disable_io"), "{message}");
}

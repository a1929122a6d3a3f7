//! Unix-domain sockets: stream listener/connect, pairs, split halves, datagrams.

mod common;

use std::io;
use std::path::PathBuf;

use common::*;
use weft_reactor::net::{UnixDatagram, UnixListener, UnixStream};

/// A fresh directory for socket files, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("weft-reactor-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn stream_pair_round_trip() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let data = pattern(7, 1 << 20);
        let expected = data.clone();
        let reader = spawn(async move {
            let mut b = b;
            read_to_end(&mut b).await.unwrap()
        });
        let mut a = a;
        write_all(&mut a, &data).await.unwrap();
        close(&mut a).await.unwrap();
        assert!(reader.await == expected);
    });
}

#[test]
fn listener_accepts_and_echoes() {
    let dir = TempDir::new("echo");
    let path = dir.path("echo.sock");
    let mut ex = Executor::new();
    let p = path.clone();
    ex.block_on(async move {
        let listener = UnixListener::bind(&p).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(p.as_path())
        );
        spawn(async move {
            loop {
                let (s, _) = listener.accept().await.unwrap();
                spawn(async move {
                    let (mut r, mut w) = s.into_split();
                    echo(&mut r, &mut w).await.unwrap();
                });
            }
        });
        let clients: Vec<_> = (0..8u64)
            .map(|i| {
                let p = p.clone();
                spawn(async move {
                    let mut s = UnixStream::connect(&p).await.unwrap();
                    assert_eq!(s.peer_addr().unwrap().as_pathname(), Some(p.as_path()));
                    let data = pattern(i, 200_000);
                    let (mut r, mut w) = s.split();
                    let mut got = vec![0; data.len()];
                    let (a, b) = join(write_all(&mut w, &data), read_exact(&mut r, &mut got)).await;
                    a.unwrap();
                    b.unwrap();
                    assert!(got == data);
                })
            })
            .collect();
        for c in clients {
            c.await;
        }
    });
}

#[test]
fn connect_errors() {
    let dir = TempDir::new("errors");
    let mut ex = Executor::new();
    let missing = dir.path("missing.sock");
    let stale = dir.path("stale.sock");
    ex.block_on(async move {
        let err = UnixStream::connect(&missing).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        drop(UnixListener::bind(&stale).unwrap()); // the file stays, nobody listens
        let err = UnixStream::connect(&stale).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        let long = "x".repeat(200);
        let err = UnixStream::connect(&long).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    });
}

#[test]
fn owned_halves_read_and_write_from_two_tasks_and_reunite() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (mut r, mut w) = a.into_split();
        let writer = spawn(async move {
            write_all(&mut w, b"from the write half").await.unwrap();
            w
        });
        let reader = spawn(async move {
            let mut buf = [0; 6];
            read_exact(&mut r, &mut buf).await.unwrap();
            assert_eq!(&buf, b"answer");
            r
        });
        let mut buf = [0; 19];
        read_exact(&mut b, &mut buf).await.unwrap();
        assert_eq!(&buf, b"from the write half");
        write_all(&mut b, b"answer").await.unwrap();
        let (w, r) = (writer.await, reader.await);
        let a = r.reunite(w).unwrap();
        let mut a = a;
        write_all(&mut a, b"!").await.unwrap();
        read_exact(&mut b, &mut buf[..1]).await.unwrap();
        assert_eq!(buf[0], b'!');
    });
}

#[test]
fn datagram_pair_round_trip() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        for i in 0..100u64 {
            let msg = pattern(i, 1 + i as usize * 50);
            a.send(&msg).await.unwrap();
            let mut buf = vec![0; 8192];
            let n = b.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &msg[..]);
        }
        b.send(b"back").await.unwrap();
        let mut buf = [0; 8];
        assert_eq!(a.recv(&mut buf).await.unwrap(), 4);
    });
}

#[test]
fn datagram_bind_send_to_recv_from_and_unbound() {
    let dir = TempDir::new("dgram");
    let (pa, pb) = (dir.path("a.sock"), dir.path("b.sock"));
    let mut ex = Executor::new();
    ex.block_on(async move {
        let a = UnixDatagram::bind(&pa).unwrap();
        let b = UnixDatagram::bind(&pb).unwrap();
        a.send_to(b"to b", &pb).await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"to b");
        assert_eq!(from.as_pathname(), Some(pa.as_path()));

        let u = UnixDatagram::unbound().unwrap();
        u.send_to(b"anon", &pb).await.unwrap();
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"anon");
        assert!(from.is_unnamed());

        u.connect(&pa).unwrap();
        assert_eq!(u.peer_addr().unwrap().as_pathname(), Some(pa.as_path()));
        u.send(b"connected").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"connected");
        let std_u = u.into_std().unwrap();
        let u = UnixDatagram::from_std(std_u).unwrap();
        u.send(b"again").await.unwrap();
        assert_eq!(a.recv(&mut buf).await.unwrap(), 5);
    });
}

//! TCP: echo round trips, connection errors, half-close, resets, splitting, options.

mod common;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use common::*;
use weft_reactor::net::{TcpListener, TcpStream};

/// A listener whose accept loop echoes every connection until end-of-file.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            spawn(async move {
                let (mut r, mut w) = stream.into_split();
                echo(&mut r, &mut w).await.unwrap();
            });
        }
    });
    addr
}

#[test]
fn echo_round_trip_checks_every_byte() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let addr = echo_server().await;
        let stream = TcpStream::connect(addr).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), addr);
        let data = pattern(1, 4 << 20);
        let (mut r, mut w) = stream.into_split();
        let expected = data.clone();
        let reader = spawn(async move { read_to_end(&mut r).await.unwrap() });
        write_all(&mut w, &data).await.unwrap();
        close(&mut w).await.unwrap();
        let got = reader.await;
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "echoed bytes differ");
    });
}

#[test]
fn many_small_round_trips() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let addr = echo_server().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        for i in 0..2000u32 {
            let msg = i.to_le_bytes();
            write_all(&mut stream, &msg).await.unwrap();
            let mut back = [0; 4];
            read_exact(&mut stream, &mut back).await.unwrap();
            assert_eq!(back, msg);
        }
    });
}

#[test]
fn concurrent_clients_echo() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let addr = echo_server().await;
        let clients: Vec<_> = (0..64u64)
            .map(|i| {
                spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    let data = pattern(i, 64 * 1024);
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
fn connect_to_a_closed_port_is_refused() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    });
}

#[test]
fn connect_resolves_names_and_reports_unresolvable_input() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let addr = echo_server().await;
        let s = TcpStream::connect(format!("localhost:{}", addr.port())).await;
        // localhost may resolve to ::1 first; one of its addresses must work.
        assert!(s.is_ok(), "{s:?}");
        let empty: &[SocketAddr] = &[];
        let err = TcpStream::connect(empty).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
fn peer_reset_is_an_error_not_a_panic() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            read_exact(&mut &s, &mut buf).await.unwrap();
            s.set_linger(Some(Duration::ZERO)).unwrap();
            assert_eq!(s.linger().unwrap(), Some(Duration::ZERO));
            drop(s); // RST
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        write_all(&mut client, b"ping").await.unwrap();
        server.await;
        let mut buf = [0; 16];
        let err = read(&mut client, &mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        // Writing to the reset connection fails too, it does not panic or hang.
        let mut failed = false;
        for _ in 0..4 {
            if write(&mut client, b"x").await.is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    });
}

#[test]
fn half_close_client_first() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let got = read_to_end(&mut s).await.unwrap(); // until the client's FIN
            assert_eq!(got, b"request");
            write_all(&mut s, b"response").await.unwrap(); // still allowed
            s.shutdown(Shutdown::Write).unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        write_all(&mut c, b"request").await.unwrap();
        close(&mut c).await.unwrap(); // shutdown(Write)
        assert_eq!(read_to_end(&mut c).await.unwrap(), b"response");
        server.await;
    });
}

#[test]
fn half_close_server_first() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            write_all(&mut s, b"banner").await.unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut s).await.unwrap(), b"reply after eof");
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        assert_eq!(read_to_end(&mut c).await.unwrap(), b"banner");
        write_all(&mut c, b"reply after eof").await.unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        server.await;
    });
}

#[test]
fn dropping_the_owned_write_half_sends_eof() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let c = TcpStream::connect(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        let (r, mut w) = c.into_split();
        write_all(&mut w, b"last words").await.unwrap();
        drop(w);
        assert_eq!(read_to_end(&mut s).await.unwrap(), b"last words");
        // The read half still works.
        write_all(&mut s, b"ok").await.unwrap();
        let mut r = r;
        let mut buf = [0; 2];
        read_exact(&mut r, &mut buf).await.unwrap();
        assert_eq!(&buf, b"ok");
    });
}

#[test]
fn reunite_checks_the_halves() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let a = TcpStream::connect(addr).await.unwrap();
        let b = TcpStream::connect(addr).await.unwrap();
        let local_a = a.local_addr().unwrap();
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let err = ar.reunite(bw).unwrap_err();
        assert!(err.to_string().contains("not from the same stream"));
        let (ar, bw) = (err.0, err.1);
        let a = ar.reunite(aw).unwrap();
        assert_eq!(a.local_addr().unwrap(), local_a);
        let b = bw.reunite(br).unwrap();
        // Reuniting did not shut the write direction down.
        let (mut sa, _) = listener.accept().await.unwrap();
        let (mut a, mut b) = (a, b);
        write_all(&mut a, b"still open").await.unwrap();
        let mut buf = [0; 10];
        read_exact(&mut sa, &mut buf).await.unwrap();
        assert_eq!(&buf, b"still open");
        write_all(&mut b, b"x").await.unwrap();
    });
}

#[test]
fn peek_leaves_the_data() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (mut s, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, c.local_addr().unwrap());
        write_all(&mut c, b"peekaboo").await.unwrap();
        let mut buf = [0; 4];
        assert_eq!(s.peek(&mut buf).await.unwrap(), 4);
        assert_eq!(&buf, b"peek");
        let mut all = [0; 8];
        read_exact(&mut s, &mut all).await.unwrap();
        assert_eq!(&all, b"peekaboo");
    });
}

#[test]
fn try_read_try_write_and_readiness() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let c = TcpStream::connect(addr).await.unwrap();
        let (s, _) = listener.accept().await.unwrap();
        let mut buf = [0; 16];
        assert_eq!(
            s.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        c.writable().await.unwrap();
        assert_eq!(c.try_write(b"abc").unwrap(), 3);
        s.readable().await.unwrap();
        assert_eq!(s.try_read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"abc");
        assert_eq!(
            s.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}

#[test]
fn options_and_std_conversions() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.set_ttl(42).unwrap();
        assert_eq!(listener.ttl().unwrap(), 42);
        let addr = listener.local_addr().unwrap();
        let c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        assert!(c.nodelay().unwrap());
        c.set_ttl(7).unwrap();
        assert_eq!(c.ttl().unwrap(), 7);
        assert_eq!(c.linger().unwrap(), None);
        assert!(c.take_error().unwrap().is_none());

        // Round trip through std: the socket keeps working.
        let std_c = c.into_std().unwrap();
        let mut c = TcpStream::from_std(std_c).unwrap();
        let std_l = listener.into_std().unwrap();
        let listener = TcpListener::from_std(std_l).unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        write_all(&mut c, b"via std").await.unwrap();
        let mut buf = [0; 7];
        read_exact(&mut s, &mut buf).await.unwrap();
        assert_eq!(&buf, b"via std");
    });
}

#[test]
fn cross_thread_wakeups_with_the_reactor_on_another_thread() {
    let mut ex = Executor::with_reactor_thread();
    ex.block_on(async {
        let addr = echo_server().await;
        let clients: Vec<_> = (0..16u64)
            .map(|i| {
                spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    for round in 0..50u64 {
                        let data = pattern(i * 1000 + round, 1000);
                        write_all(&mut s, &data).await.unwrap();
                        let mut got = vec![0; data.len()];
                        read_exact(&mut s, &mut got).await.unwrap();
                        assert!(got == data);
                    }
                })
            })
            .collect();
        for c in clients {
            c.await;
        }
    });
}

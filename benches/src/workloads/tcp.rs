//! `tcp_echo` over loopback: `tcp_conns` connections, each doing `tcp_rounds` round trips of
//! `tcp_msg` bytes (client writes, server echoes, client reads it back). The clients and the
//! echo servers are all tasks of the runtime under test; the clock runs from the first write
//! to the last reply (connection set-up is not timed).
//!
//! The floor, [`mio_echo`], does the same work on one thread with a hand-written mio loop.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use super::Params;
use crate::prims::Latch;
use crate::rt::{Rt, Tcp};
use crate::sample::{Sample, Stopwatch};

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// The echo workload on runtime `R`.
pub fn tcp_echo<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (conns, rounds, size) = (p.tcp_conns, p.tcp_rounds, p.tcp_msg);
    let sample = rt.block_on(async move {
        let listener = R::Tcp::bind(loopback()).await.expect("tcp_echo: bind");
        let addr = R::Tcp::local_addr(&listener).expect("tcp_echo: local_addr");
        let (servers_done, servers_finished) = Latch::new(conns);
        let acceptor = R::spawn(async move {
            for _ in 0..conns {
                let stream = R::Tcp::accept(&listener).await.expect("tcp_echo: accept");
                R::spawn_detached(echo_server::<R::Tcp>(stream, servers_done.clone()));
            }
        });
        let mut clients = Vec::with_capacity(conns);
        for _ in 0..conns {
            clients.push(R::Tcp::connect(addr).await.expect("tcp_echo: connect"));
        }
        acceptor.await;

        let watch = Stopwatch::start();
        let (latch, done) = Latch::new(conns);
        for stream in clients {
            R::spawn_detached(client::<R::Tcp>(stream, rounds, size, latch.clone()));
        }
        done.await.expect("tcp_echo: latch dropped");
        let sample = watch.stop();
        // The servers see end-of-stream and finish before the next sample starts.
        servers_finished
            .await
            .expect("tcp_echo: server latch dropped");
        sample
    });
    Ok(sample)
}

async fn echo_server<T: Tcp>(mut stream: T::Stream, done: Arc<Latch>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match T::read(&mut stream, &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if T::write_all(&mut stream, &buf[..n]).await.is_err() {
            break;
        }
    }
    drop(stream);
    done.count_down();
}

async fn client<T: Tcp>(mut stream: T::Stream, rounds: usize, size: usize, done: Arc<Latch>) {
    let msg = vec![0x5a_u8; size];
    let mut buf = vec![0u8; size];
    for _ in 0..rounds {
        T::write_all(&mut stream, &msg)
            .await
            .expect("tcp_echo: client write");
        T::read_exact(&mut stream, &mut buf)
            .await
            .expect("tcp_echo: client read");
    }
    assert_eq!(buf, msg, "tcp_echo: echo corrupted");
    drop(stream);
    done.count_down();
}

// ---- the floor: one thread, one mio loop --------------------------------------------------

struct Conn {
    stream: mio::net::TcpStream,
    /// Bytes still to write (a partial write leaves them here until writable).
    pending: Vec<u8>,
    /// The client side: bytes of the current reply received, round trips left.
    client: Option<(usize, usize)>,
    writable_registered: bool,
}

/// `tcp_echo`'s floor: the same connections and round trips, both ends on one thread in a
/// hand-written mio (epoll, edge-triggered) loop — no tasks, no wakers, no queues.
pub fn mio_echo(p: &Params) -> io::Result<Sample> {
    use mio::{Events, Interest, Poll, Token};

    let (conns, rounds, size) = (p.tcp_conns, p.tcp_rounds, p.tcp_msg);
    let mut poll = Poll::new()?;
    let listener = std::net::TcpListener::bind(loopback())?;
    let addr = listener.local_addr()?;
    let mut all = Vec::with_capacity(2 * conns);
    let mut servers = Vec::with_capacity(conns);
    for _ in 0..conns {
        let client = std::net::TcpStream::connect(addr)?;
        let (server, _) = listener.accept()?;
        for (stream, is_client) in [(client, true), (server, false)] {
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            let conn = Conn {
                stream: mio::net::TcpStream::from_std(stream),
                pending: Vec::with_capacity(4096),
                client: is_client.then_some((0, rounds)),
                writable_registered: false,
            };
            if is_client {
                all.push(conn);
            } else {
                servers.push(conn);
            }
        }
    }
    all.append(&mut servers); // tokens 0..conns: clients; conns..2*conns: servers
    for (i, conn) in all.iter_mut().enumerate() {
        poll.registry()
            .register(&mut conn.stream, Token(i), Interest::READABLE)?;
    }

    let msg = vec![0x5a_u8; size];
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = Events::with_capacity(1024);
    let mut finished = 0;

    let watch = Stopwatch::start();
    for (i, client) in all.iter_mut().enumerate().take(conns) {
        client.pending.extend_from_slice(&msg);
        flush(&mut poll, client, Token(i))?;
    }
    while finished < conns {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            let token = event.token();
            let conn = &mut all[token.0];
            if event.is_readable() {
                loop {
                    let n = match conn.stream.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    match &mut conn.client {
                        None => conn.pending.extend_from_slice(&buf[..n]),
                        Some((got, left)) => {
                            *got += n;
                            while *got >= size {
                                *got -= size;
                                *left -= 1;
                                if *left == 0 {
                                    finished += 1;
                                } else {
                                    conn.pending.extend_from_slice(&msg);
                                }
                            }
                        }
                    }
                }
            }
            flush(&mut poll, conn, token)?;
        }
    }
    Ok(watch.stop())
}

/// Writes what `conn` has pending; asks for writability only while something is left.
fn flush(poll: &mut mio::Poll, conn: &mut Conn, token: mio::Token) -> io::Result<()> {
    use mio::Interest;
    while !conn.pending.is_empty() {
        match conn.stream.write(&conn.pending) {
            Ok(n) => {
                conn.pending.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let want_writable = !conn.pending.is_empty();
    if want_writable != conn.writable_registered {
        let interest = if want_writable {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        poll.registry()
            .reregister(&mut conn.stream, token, interest)?;
        conn.writable_registered = want_writable;
    }
    Ok(())
}

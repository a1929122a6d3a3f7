//! UDP: send_to/recv_from, connect/send/recv, peek, errors reported through readiness.

mod common;

use std::io;
use std::sync::Arc;

use common::*;
use weft_reactor::net::UdpSocket;

#[test]
fn send_to_and_recv_from_round_trip() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        for i in 0..200u64 {
            let msg = pattern(i, 1 + (i as usize * 37) % 1400);
            assert_eq!(a.send_to(&msg, ba).await.unwrap(), msg.len());
            let mut buf = [0; 2048];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, aa);
            assert_eq!(&buf[..n], &msg[..]);
            // And back.
            b.send_to(&buf[..n], from).await.unwrap();
            let (m, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!((from, &buf[..m]), (ba, &msg[..]));
        }
    });
}

#[test]
fn connected_send_and_recv() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(
            a.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        a.send(b"hello").await.unwrap();
        let mut buf = [0; 16];
        assert_eq!(b.recv(&mut buf).await.unwrap(), 5);
        assert_eq!(&buf[..5], b"hello");
        b.send(b"world").await.unwrap();
        assert_eq!(a.recv(&mut buf).await.unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
    });
}

#[test]
fn a_receiver_waits_and_is_woken_by_a_sender_task() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let a = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let baddr = b.local_addr().unwrap();
        let receiver = spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0; 64];
            for _ in 0..50 {
                let n = b.recv(&mut buf).await.unwrap();
                got.push(buf[..n].to_vec());
            }
            got
        });
        yield_now().await; // the receiver is waiting now
        for i in 0..50u8 {
            a.send_to(&[i; 10], baddr).await.unwrap();
            if i % 7 == 0 {
                yield_now().await;
            }
        }
        let got = receiver.await;
        for (i, d) in got.iter().enumerate() {
            assert_eq!(d, &vec![i as u8; 10]);
        }
    });
}

#[test]
fn peek_from_leaves_the_datagram() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(b"peeked", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0; 16];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((n, from), (6, a.local_addr().unwrap()));
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"peeked");
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}

#[test]
fn a_refused_datagram_surfaces_as_an_error_then_the_socket_goes_on() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let closed = {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap()
        };
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(closed).await.unwrap();
        a.send(b"anyone?").await.unwrap();
        // The ICMP port-unreachable comes back as EPOLLERR: the waiting recv wakes with
        // the error instead of hanging.
        let mut buf = [0; 16];
        let err = a.recv(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        // The socket still works with a live peer.
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        a.send(b"again").await.unwrap();
        assert_eq!(b.recv(&mut buf).await.unwrap(), 5);
    });
}

#[test]
fn options_try_ops_and_std_conversions() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.set_broadcast(true).unwrap();
        assert!(a.broadcast().unwrap());
        a.set_ttl(9).unwrap();
        assert_eq!(a.ttl().unwrap(), 9);
        assert!(a.take_error().unwrap().is_none());
        let b = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
        a.writable().await.unwrap();
        a.try_send_to(b"t", b.local_addr().unwrap()).unwrap();
        b.readable().await.unwrap();
        let mut buf = [0; 4];
        assert_eq!(b.try_recv_from(&mut buf).unwrap().0, 1);
        let std_b = b.into_std().unwrap();
        let b = UdpSocket::from_std(std_b).unwrap();
        a.send_to(b"u", b.local_addr().unwrap()).await.unwrap();
        assert_eq!(b.recv_from(&mut buf).await.unwrap().0, 1);
        assert_eq!(buf[0], b'u');
    });
}

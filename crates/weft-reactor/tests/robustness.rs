//! Failure paths: sources dropped under a waiting task, reactor shutdown with waiters,
//! operations after shutdown, dropped futures, dropping everything mid-flight.

mod common;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::*;
use futures_io::AsyncRead;
use weft_reactor::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use weft_reactor::{context, Reactor};

#[derive(Default)]
struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn assert_shutdown_error(e: &io::Error) {
    assert_eq!(e.kind(), io::ErrorKind::Other);
    assert_eq!(e.to_string(), "the weft runtime is shutting down");
}

#[test]
fn dropping_a_socket_wakes_the_task_waiting_on_it_with_an_error() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let (a, _b) = UnixStream::pair().unwrap();
        // The socket is shared through a slot another task can empty; the reader holds
        // only the slot, so the socket can be dropped while it waits.
        let slot = Rc::new(RefCell::new(Some(a)));
        let s2 = slot.clone();
        let reader = spawn(async move {
            let mut buf = [0; 8];
            poll_fn(|cx| match s2.borrow().as_ref() {
                Some(s) => std::pin::Pin::new(&mut &*s).poll_read(cx, &mut buf),
                None => Poll::Ready(Err(io::Error::new(io::ErrorKind::NotConnected, "dropped"))),
            })
            .await
        });
        yield_now().await;
        yield_now().await; // the reader waits on the socket now
        drop(slot.borrow_mut().take()); // no data ever comes: only the drop can wake it
        let err = reader.await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotConnected);
    });
}

#[test]
fn a_peer_dropping_its_socket_wakes_a_waiting_reader_with_an_error() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (s, _) = listener.accept().await.unwrap();
        let reader = spawn(async move {
            let mut c = c;
            let mut buf = [0; 8];
            read(&mut c, &mut buf).await
        });
        yield_now().await;
        s.set_linger(Some(Duration::ZERO)).unwrap();
        drop(s);
        let err = reader.await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    });
}

#[test]
fn shutdown_wakes_every_waiter_with_the_shutdown_error() {
    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    let (a, _b) = UnixStream::pair().unwrap();
    let udp = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
    let listener =
        TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();

    let counts: Vec<_> = (0..4).map(|_| Arc::new(Count::default())).collect();
    let wakers: Vec<Waker> = counts.iter().map(|c| Waker::from(c.clone())).collect();
    let mut buf = [0; 8];
    let mut buf2 = [0; 8];
    let mut read = pin!(poll_fn(
        |cx| std::pin::Pin::new(&mut &a).poll_read(cx, &mut buf)
    ));
    let mut readable = pin!(a.readable());
    let mut recv = pin!(udp.recv_from(&mut buf2));
    let mut accept = pin!(listener.accept());
    assert!(read
        .as_mut()
        .poll(&mut Context::from_waker(&wakers[0]))
        .is_pending());
    assert!(readable
        .as_mut()
        .poll(&mut Context::from_waker(&wakers[1]))
        .is_pending());
    assert!(recv
        .as_mut()
        .poll(&mut Context::from_waker(&wakers[2]))
        .is_pending());
    assert!(accept
        .as_mut()
        .poll(&mut Context::from_waker(&wakers[3]))
        .is_pending());

    reactor.shutdown();
    for (i, c) in counts.iter().enumerate() {
        assert_eq!(c.0.load(Ordering::SeqCst), 1, "waiter {i} woken");
    }
    let cx = &mut Context::from_waker(&wakers[0]);
    match read.as_mut().poll(cx) {
        Poll::Ready(Err(e)) => assert_shutdown_error(&e),
        other => panic!("{other:?}"),
    }
    match readable.as_mut().poll(cx) {
        Poll::Ready(Err(e)) => assert_shutdown_error(&e),
        other => panic!("{other:?}"),
    }
    match recv.as_mut().poll(cx) {
        Poll::Ready(Err(e)) => assert_shutdown_error(&e),
        other => panic!("{other:?}"),
    }
    match accept.as_mut().poll(cx) {
        Poll::Ready(Err(e)) => assert_shutdown_error(&e),
        other => panic!("{other:?}"),
    }
    // Later operations fail the same way, even when the socket is ready.
    assert_shutdown_error(
        &udp.try_send_to(b"x", udp.local_addr().unwrap())
            .unwrap_err(),
    );
    // New sockets cannot register.
    let err = UnixStream::pair().unwrap_err();
    assert_shutdown_error(&err);
    assert!(reactor.handle().is_shutdown());
    reactor.shutdown(); // idempotent
}

#[test]
fn dropping_the_reactor_shuts_it_down() {
    let mut reactor = Some(Reactor::new().unwrap());
    let handle = reactor.as_ref().unwrap().handle();
    let _ctx = context::set_current(Some(handle.clone()));
    let (a, _b) = UnixStream::pair().unwrap();
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let mut fut = pin!(a.readable());
    // The first readiness is optimistic; wait for a real one.
    let mut buf = [0; 1];
    let _ = a.try_read(&mut buf);
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(reactor.take());
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Err(e)) => assert_shutdown_error(&e),
        other => panic!("{other:?}"),
    }
    // `a` drops at the end of scope: deregistering after the reactor is gone is fine.
}

#[test]
fn shutdown_on_the_parking_thread_wakes_a_waiter_on_another_thread() {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc;

    let mut reactor = Reactor::new().unwrap();
    let handle = reactor.handle();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let parker = std::thread::spawn(move || {
        while !stop2.load(Ordering::Acquire) {
            reactor.park(None);
        }
        reactor.shutdown();
    });

    let _ctx = context::set_current(Some(handle.clone()));
    let (a, _b) = UnixStream::pair().unwrap();
    struct Notify(mpsc::Sender<()>);
    impl Wake for Notify {
        fn wake(self: Arc<Self>) {
            let _ = self.0.send(());
        }
    }
    let (tx, rx) = mpsc::channel();
    let waker = Waker::from(Arc::new(Notify(tx)));
    let mut buf = [0; 4];
    let mut fut = pin!(poll_fn(
        |cx| std::pin::Pin::new(&mut &a).poll_read(cx, &mut buf)
    ));
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());

    stop.store(true, Ordering::Release);
    handle.unpark();
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the waiter was not woken by the shutdown");
    match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Err(e)) => assert_shutdown_error(&e),
        other => panic!("{other:?}"),
    }
    parker.join().unwrap();
}

#[test]
fn dropping_pending_operations_leaves_the_socket_usable() {
    let mut ex = Executor::new();
    ex.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        for _ in 0..10 {
            let mut buf = [0; 4];
            let mut f = Box::pin(async {
                let mut a = &a;
                read(&mut a, &mut buf).await
            });
            assert!(poll_once(&mut f).is_pending());
            drop(f); // cancelled mid-wait
            let mut fut = Box::pin(a.readable());
            assert!(poll_once(&mut fut).is_pending());
        }
        let mut b = b;
        write_all(&mut b, b"late").await.unwrap();
        let mut a = a;
        let mut buf = [0; 4];
        read_exact(&mut a, &mut buf).await.unwrap();
        assert_eq!(&buf, b"late");
    });
}

#[test]
fn dropping_the_executor_with_tasks_mid_io_releases_every_registration() {
    let handle;
    {
        let mut ex = Executor::new();
        handle = ex.handle();
        let h = handle.clone();
        ex.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            spawn(async move {
                loop {
                    let (s, _) = listener.accept().await.unwrap();
                    spawn(async move {
                        let mut s = s;
                        let _ = read_to_end(&mut s).await;
                    });
                }
            });
            for _ in 0..20 {
                let c = TcpStream::connect(addr).await.unwrap();
                spawn(async move {
                    let mut c = c;
                    let _ = read_to_end(&mut c).await; // never finishes
                });
            }
            for _ in 0..10 {
                yield_now().await;
            }
            assert!(h.registrations() >= 21);
        });
    }
    assert_eq!(handle.registrations(), 0);
    assert!(handle.is_shutdown());
}

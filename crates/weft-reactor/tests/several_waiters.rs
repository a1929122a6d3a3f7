//! Several tasks awaiting one `&self` operation of one socket (`accept`, `recv_from`, ...):
//! each waits in its own entry, so cancelling one never strands the others, and every
//! waiter makes progress.
//!
//! A future that is cancelled here is polled with a waker of its own (not the task's), as a
//! second task would; before the waiter list, that waker replaced the earlier waiter's in
//! the socket's single read slot, and the earlier waiter was never woken.

mod common;

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::*;
use weft_reactor::net::{TcpListener, UdpSocket, UnixDatagram, UnixListener};

/// Long enough for a loaded machine, short enough that a lost wake-up fails quickly.
const LIMIT: Duration = Duration::from_secs(20);

fn executor() -> Executor {
    let mut ex = Executor::new();
    ex.set_timeout(LIMIT);
    ex
}

/// Lets every other ready task run (a spawned task is queued behind the spawner's wake).
async fn settle() {
    for _ in 0..4 {
        yield_now().await;
    }
}

/// A waker that counts its wakes: another task, as far as the socket can tell.
#[derive(Default)]
struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `fut` once with a waker of its own (not the current task's).
fn poll_elsewhere<F: Future + ?Sized>(fut: Pin<&mut F>, count: &Arc<Count>) -> Poll<F::Output> {
    let waker = Waker::from(count.clone());
    fut.poll(&mut Context::from_waker(&waker))
}

#[test]
fn an_acceptor_still_gets_the_connection_when_a_later_acceptor_is_cancelled() {
    executor().block_on(async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let l = listener.clone();
        let first = spawn(async move { l.accept().await.unwrap().1 });
        settle().await;
        {
            let mut later = Box::pin(listener.accept());
            assert!(poll_elsewhere(later.as_mut(), &Arc::default()).is_pending());
        } // cancelled
        let client = std::net::TcpStream::connect(addr).unwrap();
        assert_eq!(first.await, client.local_addr().unwrap());
    });
}

#[test]
fn two_of_three_acceptors_get_both_connections_when_the_third_is_cancelled() {
    executor().block_on(async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let l = listener.clone();
                spawn(async move { l.accept().await.unwrap().1 })
            })
            .collect();
        settle().await;
        {
            let mut third = Box::pin(listener.accept());
            assert!(poll_elsewhere(third.as_mut(), &Arc::default()).is_pending());
        }
        let clients: Vec<SocketAddr> = (0..2)
            .map(|_| {
                let c = std::net::TcpStream::connect(addr).unwrap();
                let a = c.local_addr().unwrap();
                std::mem::forget(c); // keep the connection open until the process exits
                a
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await);
        }
        got.sort();
        let mut want = clients;
        want.sort();
        assert_eq!(got, want);
    });
}

#[test]
fn a_woken_acceptor_cancelled_before_it_runs_passes_the_connection_on() {
    executor().block_on(async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        // The oldest waiter, so the connection's event wakes it.
        let count = Arc::new(Count::default());
        let mut woken = Box::pin(listener.accept());
        assert!(poll_elsewhere(woken.as_mut(), &count).is_pending());
        let l = listener.clone();
        let second = spawn(async move { l.accept().await.unwrap().1 });
        settle().await;
        let client = std::net::TcpStream::connect(addr).unwrap();
        // Sleep, so the executor parks in the reactor and the event is dispatched.
        for _ in 0..200 {
            if count.0.load(Ordering::SeqCst) > 0 {
                break;
            }
            sleep(Duration::from_millis(10)).await;
        }
        assert!(
            count.0.load(Ordering::SeqCst) > 0,
            "the oldest acceptor was woken"
        );
        drop(woken); // woken, never polled again: its turn passes on
        assert_eq!(second.await, client.local_addr().unwrap());
    });
}

#[test]
fn a_unix_acceptor_still_gets_the_connection_when_a_later_acceptor_is_cancelled() {
    let dir = std::env::temp_dir().join(format!("weft-several-waiters-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("l.sock");
    executor().block_on({
        let path = path.clone();
        async move {
            let listener = Rc::new(UnixListener::bind(&path).unwrap());
            let l = listener.clone();
            let first = spawn(async move { l.accept().await.map(|_| ()) });
            settle().await;
            {
                let mut later = Box::pin(listener.accept());
                assert!(poll_elsewhere(later.as_mut(), &Arc::default()).is_pending());
            }
            let _client = std::os::unix::net::UnixStream::connect(&path).unwrap();
            first.await.unwrap();
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_udp_receiver_still_gets_the_datagram_when_a_later_receiver_is_cancelled() {
    executor().block_on(async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = socket.local_addr().unwrap();
        let s = socket.clone();
        let first = spawn(async move {
            let mut buf = [0; 16];
            let (n, _) = s.recv_from(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        settle().await;
        {
            let mut buf = [0; 16];
            let mut later = Box::pin(socket.recv_from(&mut buf));
            assert!(poll_elsewhere(later.as_mut(), &Arc::default()).is_pending());
        }
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(b"datagram", addr).unwrap();
        assert_eq!(first.await, b"datagram");
    });
}

#[test]
fn two_of_three_udp_receivers_get_both_datagrams_when_the_third_is_cancelled() {
    executor().block_on(async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = socket.local_addr().unwrap();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let s = socket.clone();
                spawn(async move {
                    let mut buf = [0; 16];
                    let n = s.recv(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                })
            })
            .collect();
        settle().await;
        {
            let mut buf = [0; 16];
            let mut third = Box::pin(socket.recv_from(&mut buf));
            assert!(poll_elsewhere(third.as_mut(), &Arc::default()).is_pending());
        }
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(b"one", addr).unwrap();
        sender.send_to(b"two", addr).unwrap();
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await);
        }
        got.sort();
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
    });
}

#[test]
fn a_unix_datagram_receiver_still_gets_the_datagram_when_a_later_receiver_is_cancelled() {
    executor().block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let b = Rc::new(b);
        let b2 = b.clone();
        let first = spawn(async move {
            let mut buf = [0; 16];
            let n = b2.recv(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        settle().await;
        {
            let mut buf = [0; 16];
            let mut later = Box::pin(b.recv_from(&mut buf));
            assert!(poll_elsewhere(later.as_mut(), &Arc::default()).is_pending());
        }
        a.try_send(b"hi").unwrap();
        assert_eq!(first.await, b"hi");
    });
}

#[test]
fn many_acceptors_all_make_progress_while_others_come_and_go() {
    const ACCEPTORS: usize = 16;
    const EACH: usize = 24;
    const FICKLE: usize = 8;
    let done = Arc::new(AtomicBool::new(false));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Connects until every acceptor has its share (the fickle ones take some too).
    let client = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            while !done.load(Ordering::SeqCst) && n < 20_000 {
                match std::net::TcpStream::connect(addr) {
                    Ok(stream) => drop(stream),
                    // The acceptors finished and the listener closed between the look at
                    // `done` and this connect: the test is over, not failed.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        assert!(done.load(Ordering::SeqCst), "refused while accepting: {e}");
                        break;
                    }
                    Err(e) => panic!("connect: {e}"),
                }
                n += 1;
                if n % 4 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        })
    };
    executor().block_on(async move {
        let listener = Rc::new(TcpListener::from_std(listener).unwrap());
        let finished = Rc::new(Cell::new(0));
        let acceptors: Vec<_> = (0..ACCEPTORS)
            .map(|_| {
                let (l, finished) = (listener.clone(), finished.clone());
                spawn(async move {
                    for _ in 0..EACH {
                        l.accept().await.unwrap();
                    }
                    finished.set(finished.get() + 1);
                })
            })
            .collect();
        // Tasks that accept with a short time-out, over and over: their accepts are
        // cancelled while waiting, and sometimes after being woken.
        for i in 0..FICKLE {
            let (l, finished) = (listener.clone(), finished.clone());
            spawn(async move {
                let mut round = 0;
                while finished.get() < ACCEPTORS && round < 5_000 {
                    let mut accept = Box::pin(l.accept());
                    let mut nap =
                        Box::pin(sleep(Duration::from_millis(1 + (i + round) as u64 % 3)));
                    poll_fn(|cx| match accept.as_mut().poll(cx) {
                        Poll::Ready(_) => Poll::Ready(()),
                        Poll::Pending => nap.as_mut().poll(cx),
                    })
                    .await;
                    round += 1;
                }
            });
        }
        for a in acceptors {
            a.await;
        }
        done.store(true, Ordering::SeqCst);
    });
    client.join().unwrap();
}

#[test]
fn acceptors_looping_on_one_listener_take_turns() {
    const ACCEPTORS: usize = 4;
    const CONNECTIONS: usize = 40;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        for _ in 0..CONNECTIONS {
            drop(std::net::TcpStream::connect(addr).unwrap());
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let got = executor().block_on(async move {
        let listener = Rc::new(TcpListener::from_std(listener).unwrap());
        let got = Rc::new(std::cell::RefCell::new(Vec::new()));
        for id in 0..ACCEPTORS {
            let (l, got) = (listener.clone(), got.clone());
            spawn(async move {
                loop {
                    l.accept().await.unwrap();
                    got.borrow_mut().push(id);
                }
            });
        }
        while got.borrow().len() < CONNECTIONS {
            sleep(Duration::from_millis(5)).await;
        }
        let got = got.borrow().clone();
        got
    });
    client.join().unwrap();
    for id in 0..ACCEPTORS {
        let n = got.iter().filter(|&&g| g == id).count();
        assert!(
            n >= CONNECTIONS / ACCEPTORS / 2,
            "acceptor {id} got {n} of {got:?}"
        );
    }
}

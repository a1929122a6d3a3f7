//! Signals: delivery to one and several listeners, across reactors, coalescing, Ctrl-C,
//! the `Stream` impl, and the signals weft refuses.
//!
//! Signal handlers are process-global, so this file is its own test binary, apart from the
//! process tests. Each test raises its own signal, so tests running in parallel threads do
//! not see each other's deliveries.

mod common_sp;

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::task::Poll;
use std::time::Duration;

use common_sp::{block_on, poll_once};
use futures_core::Stream;
use weft_reactor::signal::unix::{signal, SignalKind};
use weft_reactor::signal::{self, ctrl_c};

fn raise(signum: libc::c_int) {
    // SAFETY: raise only sends a signal to this thread; weft's handler is installed for
    // every signal the tests raise, so the process is not killed.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

fn kill_self(signum: libc::c_int) {
    // SAFETY: kill sends a signal to this process; weft's handler is installed for it.
    assert_eq!(unsafe { libc::kill(libc::getpid(), signum) }, 0);
}

#[test]
fn recv_completes_after_raise_while_waiting() {
    block_on(async {
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        // First poll: nothing delivered yet, so it waits in the reactor; raise while waiting.
        let mut raised = false;
        let got = poll_fn(|cx| {
            let poll = usr1.poll_recv(cx);
            if poll.is_pending() && !raised {
                raised = true;
                raise(libc::SIGUSR1);
            }
            poll
        })
        .await;
        assert!(raised, "recv must not be ready before the signal");
        assert_eq!(got, Some(()));
    });
}

#[test]
fn every_listener_of_a_signal_sees_the_delivery_and_later_ones_do_not() {
    block_on(async {
        let mut a = signal(SignalKind::user_defined2()).unwrap();
        let mut b = signal(SignalKind::user_defined2()).unwrap();
        raise(libc::SIGUSR2);
        let mut late = signal(SignalKind::user_defined2()).unwrap();
        assert_eq!(a.recv().await, Some(()));
        assert_eq!(b.recv().await, Some(()));
        // Created after the delivery: it sees nothing.
        let mut late_recv = Box::pin(late.recv());
        assert!(poll_once(&mut late_recv).await.is_pending());
        drop(late_recv);

        // Three deliveries before the next poll are reported once (coalescing).
        raise(libc::SIGUSR2);
        raise(libc::SIGUSR2);
        raise(libc::SIGUSR2);
        assert_eq!(a.recv().await, Some(()));
        let mut again = Box::pin(a.recv());
        assert!(poll_once(&mut again).await.is_pending());
        drop(again);
        // ... and b, which was not polled meanwhile, sees them too, once.
        assert_eq!(b.recv().await, Some(()));
        assert_eq!(late.recv().await, Some(()));
    });
}

#[test]
fn a_delivery_reaches_listeners_on_several_reactors() {
    // Two threads, each with its own reactor and listener; one delivery wakes both.
    let ready = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let ready = ready.clone();
            std::thread::spawn(move || {
                block_on(async {
                    let mut winch = signal(SignalKind::window_change()).unwrap();
                    ready.wait();
                    winch.recv().await
                })
            })
        })
        .collect();
    ready.wait();
    kill_self(libc::SIGWINCH);
    for t in threads {
        assert_eq!(t.join().unwrap(), Some(()));
    }
}

#[test]
fn kill_to_the_process_is_seen_by_a_listener_on_any_thread() {
    block_on(async {
        let mut term = signal(SignalKind::terminate()).unwrap();
        // Delivered to the process: any thread may run the handler.
        std::thread::spawn(|| kill_self(libc::SIGTERM))
            .join()
            .unwrap();
        assert_eq!(term.recv().await, Some(()));
    });
}

#[test]
fn ctrl_c_completes_on_sigint() {
    // The handler is installed when ctrl_c() is called, so raising before the first poll
    // neither kills the test process nor is lost.
    let ctrl_c_now = ctrl_c();
    raise(libc::SIGINT);
    block_on(ctrl_c_now).unwrap();

    // And while waiting.
    block_on(async {
        let mut fut = Box::pin(signal::ctrl_c());
        assert!(poll_once(&mut fut).await.is_pending());
        raise(libc::SIGINT);
        fut.await.unwrap();
    });
}

#[test]
fn signal_is_a_stream() {
    block_on(async {
        let mut hup = signal(SignalKind::hangup()).unwrap();
        raise(libc::SIGHUP);
        let item = poll_fn(|cx| Pin::new(&mut hup).poll_next(cx)).await;
        assert_eq!(item, Some(()));
        let poll = poll_fn(|cx| Poll::Ready(Pin::new(&mut hup).poll_next(cx))).await;
        assert!(poll.is_pending());
    });
}

#[test]
fn a_dropped_recv_loses_nothing() {
    block_on(async {
        let mut quit = signal(SignalKind::quit()).unwrap();
        let mut first = Box::pin(quit.recv());
        assert!(poll_once(&mut first).await.is_pending());
        drop(first);
        raise(libc::SIGQUIT);
        assert_eq!(quit.recv().await, Some(()));
    });
}

#[test]
fn forbidden_signals_are_invalid_input_naming_the_signal() {
    let forbidden = [
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGSTOP, "SIGSTOP"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGFPE, "SIGFPE"),
        (libc::SIGILL, "SIGILL"),
    ];
    block_on(async {
        for (signum, name) in forbidden {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{name}");
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
        for bad in [0, -1, 65, 1000] {
            let err = signal(SignalKind::from_raw(bad)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    });
}

#[test]
fn outside_a_reactor_signal_is_an_error_not_a_panic() {
    let err = signal(SignalKind::alarm()).unwrap_err();
    assert!(err.to_string().contains("weft runtime"), "{err}");
    // ctrl_c outside a runtime: the handler is installed; the error comes at the poll.
    let fut = ctrl_c();
    let waker = std::task::Waker::from(Arc::new(Noop));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut fut = Box::pin(fut);
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("weft runtime"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// The handler currently installed for `signum` (`SIG_DFL`, `SIG_IGN` or a function).
fn disposition(signum: libc::c_int) -> libc::sighandler_t {
    // SAFETY: `sigaction` is plain data, for which all zeroes is a valid value.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null `act` only queries; `old` is a live, writable `sigaction`.
    let rc = unsafe { libc::sigaction(signum, std::ptr::null(), &mut old) };
    assert_eq!(rc, 0);
    old.sa_sigaction
}

#[test]
fn a_failed_signal_leaves_the_default_action_in_place() {
    // No other test touches SIGVTALRM: its disposition is this test's alone.
    let signum = libc::SIGVTALRM;
    assert_eq!(disposition(signum), libc::SIG_DFL);
    let err = signal(SignalKind::from_raw(signum)).unwrap_err(); // no reactor here
    assert!(err.to_string().contains("weft runtime"), "{err}");
    assert_eq!(
        disposition(signum),
        libc::SIG_DFL,
        "signal() failed, yet it replaced the signal's default action"
    );
    // Where it succeeds, it does install the handler.
    block_on(async {
        let _listener = signal(SignalKind::from_raw(signum)).unwrap();
        assert_ne!(disposition(signum), libc::SIG_DFL);
    });
}

struct Noop;
impl std::task::Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn signal_kinds() {
    assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
    assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
    assert_eq!(SignalKind::hangup().as_raw_value(), libc::SIGHUP);
    assert_eq!(SignalKind::quit().as_raw_value(), libc::SIGQUIT);
    assert_eq!(SignalKind::user_defined1().as_raw_value(), libc::SIGUSR1);
    assert_eq!(SignalKind::user_defined2().as_raw_value(), libc::SIGUSR2);
    assert_eq!(SignalKind::child().as_raw_value(), libc::SIGCHLD);
    assert_eq!(SignalKind::window_change().as_raw_value(), libc::SIGWINCH);
    assert_eq!(SignalKind::alarm().as_raw_value(), libc::SIGALRM);
    assert_eq!(SignalKind::pipe().as_raw_value(), libc::SIGPIPE);
    assert_eq!(
        SignalKind::from_raw(libc::SIGUSR1),
        SignalKind::user_defined1()
    );
    assert_eq!(
        format!("{:?}", SignalKind::terminate()),
        "SignalKind(SIGTERM)"
    );
    assert_eq!(format!("{:?}", SignalKind::from_raw(40)), "SignalKind(40)");
}

#[test]
fn a_real_time_signal_by_number() {
    // SIGRTMIN + 2: glibc reserves the first ones for itself.
    let signum = libc::SIGRTMIN() + 2;
    block_on(async {
        let mut rt = signal(SignalKind::from_raw(signum)).unwrap();
        raise(signum);
        assert_eq!(rt.recv().await, Some(()));
    });
    // Let a slow machine breathe before the binary exits (no listener left is fine).
    std::thread::sleep(Duration::from_millis(1));
}

#[test]
fn many_listeners_on_many_reactors_never_miss_a_delivery() {
    // Listeners on separate reactors share one self-pipe: whichever drains it must wake
    // the others, or a listener whose reactor harvests its readiness event after the drain
    // (epoll then drops the event) sleeps forever. Rounds of one delivery each; every
    // listener must see every round.
    const THREADS: usize = 6;
    const ROUNDS: usize = 300;
    let signum = libc::SIGRTMIN() + 4;
    let (ack, acks) = std::sync::mpsc::channel::<usize>();
    let stop = Arc::new(AtomicBool::new(false));
    for id in 0..THREADS {
        let ack = ack.clone();
        std::thread::spawn(move || {
            block_on(async {
                let mut sig = signal(SignalKind::from_raw(signum)).unwrap();
                ack.send(id).unwrap();
                for _ in 0..ROUNDS {
                    assert_eq!(sig.recv().await, Some(()));
                    ack.send(id).unwrap();
                }
            })
        });
    }
    // A "hot" listener of another signal on a busy reactor (it never sleeps in the
    // selector): it harvests the pipe's events at once and drains the bytes before the
    // sleeping reactors look, which is exactly the case that must still wake them.
    let hot = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            block_on(async {
                let mut other = signal(SignalKind::from_raw(signum + 1)).unwrap();
                poll_fn(|cx| {
                    let _ = other.poll_recv(cx);
                    if stop.load(Ordering::Relaxed) {
                        return Poll::Ready(());
                    }
                    cx.waker().wake_by_ref();
                    Poll::Pending
                })
                .await
            })
        })
    };
    let wait_all = |what: &str| {
        for _ in 0..THREADS {
            acks.recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("a listener missed {what}"));
        }
    };
    wait_all("its start");
    for round in 0..ROUNDS {
        kill_self(signum);
        wait_all(&format!("the delivery of round {round}"));
    }
    stop.store(true, Ordering::Relaxed);
    hot.join().unwrap();
}

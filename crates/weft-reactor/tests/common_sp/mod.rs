//! A tiny single-threaded executor for the signal and process tests: it owns a
//! `weft_reactor::Reactor`, makes it current, polls one future and parks in the reactor
//! when the future is idle.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use weft_reactor::{context, Reactor, ReactorHandle};

/// How long a test future may take before the test fails instead of hanging.
pub const LIMIT: Duration = Duration::from_secs(30);

struct Flag {
    woken: AtomicBool,
    reactor: ReactorHandle,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.reactor.unpark();
    }
}

/// Runs `fut` to completion on a fresh reactor; panics after [`LIMIT`].
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut reactor = Reactor::new().expect("a reactor");
    let _current = context::set_current(Some(reactor.handle()));
    let flag = Arc::new(Flag {
        woken: AtomicBool::new(true),
        reactor: reactor.handle(),
    });
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let deadline = Instant::now() + LIMIT;
    loop {
        if flag.woken.swap(false, Ordering::SeqCst) {
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return out;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the test future did not complete within {LIMIT:?}"
        );
        // Still woken: only collect I/O events (as a runtime does between tasks); idle:
        // sleep in the reactor.
        let timeout = if flag.woken.load(Ordering::SeqCst) {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        reactor.park(Some(timeout));
    }
}

/// Polls `fut` once with a no-op waker context of the caller (inside `block_on`).
pub async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx))).await
}

/// Runs every future concurrently, returning their outputs in order.
pub async fn join_all<T>(futs: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut futs: Vec<_> = futs.into_iter().map(Some).collect();
    let mut outs: Vec<Option<T>> = futs.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in futs.iter_mut().zip(outs.iter_mut()) {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outs.into_iter().map(|o| o.expect("completed")).collect()
}

/// Runs two futures concurrently.
pub async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut out_a = None;
    let mut out_b = None;
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (out_a.unwrap(), out_b.unwrap())
}

/// Waits about `d` without blocking the reactor: a helper thread wakes the task.
pub async fn nap(d: Duration) {
    let until = Instant::now() + d;
    let mut armed = false;
    poll_fn(|cx| {
        if Instant::now() >= until {
            return Poll::Ready(());
        }
        if !armed {
            armed = true;
            let waker = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(d);
                waker.wake();
            });
        }
        Poll::Pending
    })
    .await
}

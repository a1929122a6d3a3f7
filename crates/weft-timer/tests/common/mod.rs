//! Shared test helpers: counting wakers, a paused driver made current, polling by hand.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use weft_timer::context::{self, CurrentGuard};
use weft_timer::{Clock, Driver};

/// A waker that counts its wake-ups.
#[derive(Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    pub fn new() -> Arc<Counter> {
        Arc::new(Counter::default())
    }

    pub fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(self.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Polls `fut` once with `waker`.
pub fn poll<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// A waker that does nothing (`Waker::noop` needs Rust 1.85; the MSRV is 1.80).
pub fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    Waker::from(Arc::new(Noop))
}

/// Polls `fut` once with a no-op waker.
pub fn poll_noop<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    poll(fut, &noop_waker())
}

/// A driver on a paused clock, made current on this thread.
pub fn paused() -> (Driver, Clock, CurrentGuard) {
    let clock = Clock::paused();
    let driver = Driver::new(clock.clone(), Arc::new(|| {}));
    let guard = context::set_current(Some(driver.handle()));
    (driver, clock, guard)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The message of a caught panic.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

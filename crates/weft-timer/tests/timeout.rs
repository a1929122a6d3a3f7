//! `timeout` on a paused clock: the inner future is polled first (a ready future never times
//! out), the timeout elapses at its deadline, and a busy inner future cannot starve it.

mod common;

use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::{ms, paused, poll, poll_noop, Counter};
use weft_core::coop;
use weft_timer::{timeout, timeout_at, Elapsed, Instant};

#[test]
fn a_ready_future_never_times_out() {
    let (driver, clock, _ctx) = paused();
    assert_eq!(
        poll_noop(&mut timeout(Duration::ZERO, ready(1))),
        Poll::Ready(Ok(1))
    );
    // Even with a deadline long gone: the future is polled first.
    let past = Instant::now() - ms(10);
    assert_eq!(
        poll_noop(&mut timeout_at(past, ready(2))),
        Poll::Ready(Ok(2))
    );

    // A future that becomes ready at the same time as the deadline wins too.
    let mut flag = Box::pin(async {
        weft_timer::sleep(ms(5)).await;
        3
    });
    let mut t = timeout(ms(5), flag.as_mut());
    assert!(poll_noop(&mut t).is_pending());
    clock.advance(ms(5));
    assert_eq!(poll_noop(&mut t), Poll::Ready(Ok(3)));
    drop(t);
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn a_timeout_starts_at_its_first_poll_and_timeout_at_at_its_instant() {
    let (driver, clock, _ctx) = paused();
    let start = Instant::now();
    let mut late = timeout(ms(10), pending::<()>());
    let mut fixed = timeout_at(start + ms(10), pending::<()>());
    // Before its first poll, a timeout's deadline moves with the clock.
    clock.advance(ms(10));
    assert_eq!(late.deadline(), start + ms(20));
    assert!(poll_noop(&mut late).is_pending());
    assert_eq!(poll_noop(&mut fixed), Poll::Ready(Err(elapsed_error())));
    // Now it is fixed: 10 ms from the first poll.
    clock.advance(ms(9));
    assert_eq!(late.deadline(), start + ms(20));
    assert!(poll_noop(&mut late).is_pending());
    clock.advance(ms(1));
    assert_eq!(poll_noop(&mut late), Poll::Ready(Err(elapsed_error())));
    assert_eq!(driver.pending_timers(), 0);

    // A zero-duration timeout around a pending future elapses at its first poll.
    let mut zero = timeout(Duration::ZERO, pending::<()>());
    assert_eq!(poll_noop(&mut zero), Poll::Ready(Err(elapsed_error())));
}

#[test]
fn a_pending_future_times_out_at_the_deadline() {
    let (driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let mut t = timeout(ms(100), pending::<()>());
    assert!(poll(&mut t, &counter.waker()).is_pending());
    assert_eq!(driver.pending_timers(), 1);
    clock.advance(ms(99));
    assert!(poll(&mut t, &counter.waker()).is_pending());
    assert_eq!(counter.count(), 0);
    clock.advance(ms(1));
    assert_eq!(counter.count(), 1);
    let Poll::Ready(Err(e)) = poll_noop(&mut t) else {
        panic!("must have timed out")
    };
    assert_eq!(e.to_string(), "deadline has elapsed");
    let _: &dyn std::error::Error = &e;
    assert_eq!(std::io::Error::from(e).kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn dropping_a_timeout_cancels_its_timer() {
    let (driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let mut t = timeout(ms(10), pending::<()>());
    assert!(poll(&mut t, &counter.waker()).is_pending());
    drop(t);
    assert_eq!(driver.pending_timers(), 0);
    clock.advance(ms(10));
    assert_eq!(counter.count(), 0);
}

#[test]
fn an_hour_long_timeout_runs_on_the_paused_clock() {
    let (driver, _clock, _ctx) = paused();
    let start = Instant::now();
    let mut t = timeout(Duration::from_secs(3600), pending::<()>());
    let result = loop {
        if let Poll::Ready(r) = poll_noop(&mut t) {
            break r;
        }
        assert_eq!(driver.park_timeout(None), Some(Duration::ZERO));
        driver.process();
    };
    assert_eq!(result, Err::<(), Elapsed>(elapsed_error()));
    assert_eq!(Instant::now() - start, Duration::from_secs(3600));
}

/// An `Elapsed`, obtained the only way there is.
fn elapsed_error() -> Elapsed {
    let mut t = timeout(Duration::ZERO, pending::<()>());
    match poll_noop(&mut t) {
        Poll::Ready(Err(e)) => e,
        _ => unreachable!(),
    }
}

/// A future that is always ready to do one more unit of work: it spends the budget and
/// yields when it runs out, as a busy channel would.
struct Busy;

impl Future for Busy {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match coop::poll_proceed(cx) {
                Poll::Ready(unit) => unit.made_progress(),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[test]
fn a_budget_hungry_future_still_times_out() {
    let (_driver, clock, _ctx) = paused();
    let mut t = timeout(ms(1), Busy);
    coop::budget(|| assert!(poll_noop(&mut t).is_pending()));
    clock.advance(ms(1));
    // The inner future spends the whole budget, yet the timer is still polled.
    coop::budget(|| assert!(matches!(poll_noop(&mut t), Poll::Ready(Err(_)))));
}

#[test]
fn accessors_give_the_inner_future() {
    let (_driver, _clock, _ctx) = paused();
    let deadline = Instant::now() + ms(7);
    let mut t = timeout_at(deadline, ready(5));
    assert_eq!(t.deadline(), deadline);
    let _: &std::future::Ready<i32> = t.get_ref();
    let inner: &mut std::future::Ready<i32> = t.get_mut();
    assert_eq!(poll_noop(inner), Poll::Ready(5));
    let t = timeout_at(deadline, ready(5));
    assert_eq!(t.into_inner().into_inner(), 5);
}

//! The clock: `Instant::now` follows the current runtime's clock, pause/resume never go back
//! in time, `advance` fires due timers, and misuse panics with a clear message.

mod common;

use std::panic::catch_unwind;
use std::sync::Arc;
use std::time::Duration;

use common::{ms, panic_message, paused, poll, Counter};
use weft_timer::{context, sleep, Clock, Driver, Instant};

#[test]
fn instant_now_follows_the_current_paused_clock() {
    let (_driver, clock, ctx) = paused();
    let t = Instant::now();
    std::thread::sleep(ms(2));
    assert_eq!(Instant::now(), t, "paused");
    clock.advance(ms(1500));
    assert_eq!(Instant::now() - t, ms(1500));
    assert_eq!(t.elapsed(), ms(1500));
    drop(ctx);
    // Outside of the context: the real clock again.
    let real = std::time::Instant::now();
    assert!(Instant::now().into_std() >= real);
}

#[test]
fn resume_continues_from_the_paused_time() {
    let clock = Clock::paused();
    let t0 = clock.now();
    clock.advance(Duration::from_secs(10));
    clock.resume();
    assert!(!clock.is_paused());
    let t1 = clock.now();
    assert!(
        t1 >= t0 + Duration::from_secs(10),
        "never back to the real time"
    );
    std::thread::sleep(ms(2));
    let t2 = clock.now();
    assert!(t2 >= t1 + ms(2), "runs at real speed");
    clock.pause();
    let t3 = clock.now();
    assert!(t3 >= t2);
    clock.pause(); // idempotent
    assert_eq!(clock.now(), t3);
    clock.resume();
    clock.resume(); // idempotent
    assert!(clock.now() >= t3);
}

#[test]
fn a_real_clock_can_be_paused() {
    let clock = Clock::real();
    let a = clock.now();
    clock.pause();
    let b = clock.now();
    assert!(b >= a);
    std::thread::sleep(ms(2));
    assert_eq!(clock.now(), b);
}

#[test]
fn advance_needs_a_paused_clock() {
    let clock = Clock::real();
    let err = catch_unwind(|| clock.advance(ms(1))).unwrap_err();
    assert_eq!(
        panic_message(&*err),
        "`Clock::advance` needs a paused clock: call `Clock::pause()` first (or build the \
         runtime with `start_paused`)"
    );
}

#[test]
fn advance_fires_every_driver_on_the_clock() {
    let clock = Clock::paused();
    let a = Driver::new(clock.clone(), Arc::new(|| {}));
    let b = Driver::new(clock.clone(), Arc::new(|| {}));
    let counter = Counter::new();
    let mut sa = a.handle().sleep(ms(5));
    let mut sb = b.handle().sleep(ms(5));
    assert!(poll(&mut sa, &counter.waker()).is_pending());
    assert!(poll(&mut sb, &counter.waker()).is_pending());
    // A dropped driver is skipped (its timers were shut down).
    let c = Driver::new(clock.clone(), Arc::new(|| {}));
    drop(c);
    clock.advance(ms(5));
    assert_eq!(counter.count(), 2);
}

#[test]
fn a_waker_may_advance_the_clock_again() {
    let (driver, clock, _ctx) = paused();
    struct Advance(Clock);
    impl std::task::Wake for Advance {
        fn wake(self: Arc<Self>) {
            self.0.advance(ms(1));
        }
    }
    let waker = std::task::Waker::from(Arc::new(Advance(clock.clone())));
    let mut first = sleep(ms(1));
    let mut second = sleep(ms(2));
    let counter = Counter::new();
    assert!(poll(&mut first, &waker).is_pending());
    assert!(poll(&mut second, &counter.waker()).is_pending());
    clock.advance(ms(1)); // fires `first`, whose waker advances to 2 ms and fires `second`
    assert_eq!(counter.count(), 1);
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn context_guards_nest() {
    let a = Driver::new(Clock::paused(), Arc::new(|| {}));
    let b = Driver::new(Clock::paused(), Arc::new(|| {}));
    let ga = context::set_current(Some(a.handle()));
    {
        let _gb = context::set_current(Some(b.handle()));
        assert!(context::current().unwrap().ptr_eq(&b.handle()));
    }
    assert!(context::current().unwrap().ptr_eq(&a.handle()));
    drop(ga);
    assert!(context::current().is_none());
}

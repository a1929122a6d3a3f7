//! `sleep` on a paused clock driven by hand: fires at its deadline tick and not before, leaves
//! nothing behind when dropped, takes part in the cooperative budget, and panics clearly
//! without a timer or after shutdown.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use common::{ms, panic_message, paused, poll, poll_noop, Counter};
use weft_core::coop;
use weft_timer::{sleep, sleep_until, Clock, Driver, Instant};

#[test]
fn fires_exactly_at_its_deadline_tick() {
    let (driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let waker = counter.waker();

    let mut nap = sleep(ms(10));
    assert!(poll(&mut nap, &waker).is_pending());
    assert_eq!(driver.pending_timers(), 1);

    clock.advance(ms(9));
    assert_eq!(counter.count(), 0, "not one tick early");
    assert!(poll(&mut nap, &waker).is_pending());
    assert!(!nap.is_elapsed());

    clock.advance(ms(1));
    assert_eq!(counter.count(), 1, "woken once, at the deadline");
    assert!(nap.is_elapsed());
    assert!(poll(&mut nap, &waker).is_ready());
    assert!(Instant::now() >= nap.deadline());
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn a_sub_millisecond_deadline_rounds_up() {
    let (_driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let mut nap = sleep(Duration::from_micros(10_300));
    assert!(poll(&mut nap, &counter.waker()).is_pending());
    clock.advance(ms(10));
    assert_eq!(counter.count(), 0);
    clock.advance(Duration::from_micros(300)); // at the deadline, but mid-tick
    assert_eq!(counter.count(), 0, "the wheel's tick is rounded up");
    clock.advance(Duration::from_micros(700));
    assert_eq!(counter.count(), 1);
    assert!(poll_noop(&mut nap).is_ready());
}

#[test]
fn zero_and_past_deadlines_complete_at_once() {
    let (driver, _clock, _ctx) = paused();
    assert!(poll_noop(&mut sleep(Duration::ZERO)).is_ready());
    let past = Instant::now() - ms(5);
    assert!(poll_noop(&mut sleep_until(past)).is_ready());
    assert_eq!(driver.pending_timers(), 0, "nothing registered");
}

#[test]
fn a_dropped_sleep_leaves_nothing() {
    let (driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let mut nap = sleep(ms(10));
    assert!(poll(&mut nap, &counter.waker()).is_pending());
    assert_eq!(driver.pending_timers(), 1);
    drop(nap);
    assert_eq!(driver.pending_timers(), 0);
    clock.advance(ms(100));
    assert_eq!(counter.count(), 0, "never woken");
    assert_eq!(driver.next_deadline(), None);
    // Only the test's own reference to the waker's counter is left.
    assert_eq!(Arc::strong_count(&counter), 1);
}

#[test]
fn repolling_with_a_new_waker_wakes_the_new_one() {
    let (_driver, clock, _ctx) = paused();
    let (a, b) = (Counter::new(), Counter::new());
    let mut nap = sleep(ms(3));
    assert!(poll(&mut nap, &a.waker()).is_pending());
    assert!(poll(&mut nap, &b.waker()).is_pending());
    clock.advance(ms(3));
    assert_eq!((a.count(), b.count()), (0, 1));
}

#[test]
fn reset_moves_the_deadline() {
    let (driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let mut nap = sleep(ms(10));
    assert!(poll(&mut nap, &counter.waker()).is_pending());
    let later = Instant::now() + ms(50);
    nap.reset(later);
    assert_eq!(nap.deadline(), later);
    clock.advance(ms(10));
    assert_eq!(counter.count(), 0, "the old deadline is gone");
    clock.advance(ms(40));
    assert_eq!(counter.count(), 1);
    assert!(poll_noop(&mut nap).is_ready());

    // Reset to a deadline already reached: woken at once.
    nap.reset(Instant::now() + ms(5));
    assert!(poll(&mut nap, &counter.waker()).is_pending());
    nap.reset(Instant::now() - ms(1));
    assert_eq!(counter.count(), 2);
    assert!(poll_noop(&mut nap).is_ready());
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn an_hour_passes_in_no_time_when_idle() {
    let (driver, _clock, _ctx) = paused();
    let start = Instant::now();
    let mut nap = sleep(Duration::from_secs(3600));
    let counter = Counter::new();
    assert!(poll(&mut nap, &counter.waker()).is_pending());
    let mut parks = 0;
    while counter.count() == 0 {
        // An idle runtime: park with no time-out.
        assert_eq!(driver.park_timeout(None), Some(Duration::ZERO));
        driver.process();
        parks += 1;
        assert!(
            Instant::now() - start <= Duration::from_secs(3600),
            "never past it"
        );
    }
    assert_eq!(parks, 1, "the clock lands on the deadline in one jump");
    assert_eq!(Instant::now() - start, Duration::from_secs(3600));
    assert!(poll_noop(&mut nap).is_ready());
    // Nothing left: an idle runtime with no timers parks for good.
    assert_eq!(driver.park_timeout(None), None);
}

#[test]
fn sleeps_spend_the_cooperative_budget() {
    let (_driver, _clock, _ctx) = paused();
    let counter = Counter::new();
    let waker = counter.waker();
    coop::budget(|| {
        let mut ready = 0;
        while poll(&mut sleep(Duration::ZERO), &waker).is_ready() {
            ready += 1;
        }
        assert_eq!(ready, coop::BUDGET as usize);
        assert_eq!(counter.count(), 1, "the yield wakes the task");
    });
}

#[test]
fn huge_durations_do_not_overflow() {
    let (driver, clock, _ctx) = paused();
    let mut forever = sleep(Duration::MAX);
    assert!(poll_noop(&mut forever).is_pending());
    let far = Instant::now() + Duration::from_secs(86_400 * 365 * 200); // past the clock's end
    let mut never = sleep_until(far);
    assert!(poll_noop(&mut never).is_pending());
    assert_eq!(driver.pending_timers(), 2);

    clock.advance(Duration::from_secs(86_400 * 365 * 31));
    assert!(
        poll_noop(&mut forever).is_ready(),
        "Duration::MAX is 30 years"
    );
    clock.advance(Duration::MAX);
    assert!(
        poll_noop(&mut never).is_pending(),
        "beyond the clock's range: never"
    );
    // And an idle runtime does not spin on it.
    assert_eq!(driver.park_timeout(None), None);
}

#[test]
fn polling_with_no_timer_panics_with_a_clear_message() {
    // Made outside any runtime, a sleep is not bound yet: making it is fine...
    let mut nap = sleep(ms(1));
    // ...polling it where there is no timer is not.
    let err = catch_unwind(AssertUnwindSafe(|| poll_noop(&mut nap))).unwrap_err();
    assert_eq!(
        panic_message(&*err),
        "there is no timer: this code runs outside a weft runtime, or in one built with \
         `Builder::disable_time()`"
    );
}

#[test]
fn a_sleep_made_outside_binds_to_the_timer_that_first_polls_it() {
    let mut nap = sleep(ms(10)); // no timer here: its time has not started
    let deadline_at_make = nap.deadline();
    let (driver, clock, _ctx) = paused();
    clock.advance(ms(500)); // long after it was made: still not elapsed
    assert!(
        poll_noop(&mut nap).is_pending(),
        "bound at its first poll, 10 ms from now"
    );
    assert!(nap.deadline() > deadline_at_make);
    clock.advance(ms(10));
    let _ = driver.park_timeout(Some(std::time::Duration::ZERO));
    assert!(poll_noop(&mut nap).is_ready());
}

#[test]
fn shutdown_wakes_pending_sleeps_and_polls_then_panic() {
    let (driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let mut nap = sleep(ms(10));
    assert!(poll(&mut nap, &counter.waker()).is_pending());
    let mut done = sleep(Duration::ZERO);

    assert_eq!(driver.shutdown(), 1);
    assert_eq!(counter.count(), 1, "woken by the shutdown");
    assert_eq!(driver.pending_timers(), 0);
    assert!(!nap.is_elapsed());
    let err = catch_unwind(AssertUnwindSafe(|| poll_noop(&mut nap))).unwrap_err();
    assert_eq!(panic_message(&*err), "the timer driver has shut down");
    // A sleep that does not have to wait still completes.
    assert!(poll_noop(&mut done).is_ready());
    let mut was_due = sleep(ms(1));
    clock.advance(ms(1)); // due now, but never registered: no driver to fire it
    assert!(poll_noop(&mut was_due).is_ready());
    // New ones that must wait panic too.
    let mut late = sleep(ms(1));
    assert!(catch_unwind(AssertUnwindSafe(|| poll_noop(&mut late))).is_err());
    drop((nap, late));
    assert_eq!(driver.shutdown(), 0, "idempotent");
}

#[test]
fn registering_earlier_than_the_park_deadline_unparks() {
    let unparks = Arc::new(AtomicUsize::new(0));
    let u = unparks.clone();
    let driver = Driver::new(
        Clock::real(),
        Arc::new(move || {
            u.fetch_add(1, SeqCst);
        }),
    );
    let h = driver.handle();

    // Awake (no park recorded): registering never unparks.
    let mut a = h.sleep(Duration::from_secs(100));
    assert!(poll_noop(&mut a).is_pending());
    assert_eq!(unparks.load(SeqCst), 0);

    // Parked until `a`: a later timer does not unpark, an earlier one does, once.
    // (Until the start of `a`'s coarse slot at the latest: then it is cascaded.)
    let t = driver.park_timeout(None).unwrap();
    assert!(
        t > Duration::from_secs(90) && t <= Duration::from_secs(100),
        "{t:?}"
    );
    let mut later = h.sleep(Duration::from_secs(200));
    assert!(poll_noop(&mut later).is_pending());
    assert_eq!(unparks.load(SeqCst), 0);
    let mut earlier = h.sleep(Duration::from_secs(10));
    assert!(poll_noop(&mut earlier).is_pending());
    assert_eq!(unparks.load(SeqCst), 1);
    let mut earliest = h.sleep(Duration::from_secs(5));
    assert!(poll_noop(&mut earliest).is_pending());
    assert_eq!(unparks.load(SeqCst), 1, "the thread is already on its way");

    // The next park accounts for them.
    let t = driver
        .park_timeout(Some(Duration::from_secs(1000)))
        .unwrap();
    assert!(t <= Duration::from_secs(5));
    assert_eq!(
        driver.park_timeout(Some(ms(1))),
        Some(ms(1)),
        "requested is shorter"
    );

    // Parked forever (no timers): any registration unparks.
    drop((a, later, earlier, earliest));
    assert_eq!(driver.park_timeout(None), None);
    let mut b = h.sleep(Duration::from_secs(3600));
    assert!(poll_noop(&mut b).is_pending());
    assert_eq!(unparks.load(SeqCst), 2);
    driver.process();
}

#[test]
fn auto_advance_can_be_inhibited() {
    let (driver, clock, _ctx) = paused();
    let mut nap = sleep(ms(10));
    assert!(poll_noop(&mut nap).is_pending());
    let guard = clock.inhibit_auto_advance();
    assert_eq!(driver.park_timeout(None), None);
    // A requested time-out is returned as is with a paused clock.
    assert_eq!(driver.park_timeout(Some(ms(3))), Some(ms(3)));
    drop(guard);
    assert_eq!(driver.park_timeout(None), Some(Duration::ZERO));
    assert_eq!(driver.process(), 1);
}

#[test]
fn next_deadline_is_never_after_the_earliest_timer() {
    let (driver, _clock, _ctx) = paused();
    let start = Instant::now();
    let mut far = sleep(Duration::from_secs(7));
    assert!(poll_noop(&mut far).is_pending());
    let next = driver.next_deadline().unwrap();
    assert!(next <= far.deadline() && next > start);
    let mut near = sleep(ms(3));
    assert!(poll_noop(&mut near).is_pending());
    assert_eq!(driver.next_deadline(), Some(near.deadline()));
}

#[test]
fn a_paused_driver_stays_reachable_while_parked() {
    let unparks = Arc::new(AtomicUsize::new(0));
    let u = unparks.clone();
    let clock = Clock::paused();
    let driver = Driver::new(
        clock.clone(),
        Arc::new(move || {
            u.fetch_add(1, SeqCst);
        }),
    );
    let h = driver.handle();

    // Parked with no time-out (an idle runtime, nothing pending); meanwhile a task on another
    // worker advances the clock, which fires timers on that thread...
    let mut first = h.sleep(ms(1));
    assert!(poll_noop(&mut first).is_pending());
    let guard = clock.inhibit_auto_advance();
    assert_eq!(driver.park_timeout(None), None);
    drop(guard);
    clock.advance(ms(1));
    assert!(poll_noop(&mut first).is_ready());
    // ...and then waits on a new timer: the parked thread must hear of it to jump there.
    let before = unparks.load(SeqCst);
    let mut second = h.sleep(ms(5));
    assert!(poll_noop(&mut second).is_pending());
    assert_eq!(unparks.load(SeqCst), before + 1);

    // Parked with a time-out of its own (the runtime was busy): unparked too, so that it
    // can re-park with none and jump.
    driver.process();
    assert_eq!(driver.park_timeout(Some(ms(100))), Some(ms(100)));
    let mut third = h.sleep(ms(7));
    assert!(poll_noop(&mut third).is_pending());
    assert_eq!(unparks.load(SeqCst), before + 2);
    assert_eq!(driver.park_timeout(None), Some(Duration::ZERO));
    assert_eq!(driver.process(), 1);
}

#[test]
fn the_types_are_send_sync_and_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<weft_timer::Sleep>();
    check::<weft_timer::Interval>();
    check::<weft_timer::Timeout<std::future::Ready<()>>>();
    check::<weft_timer::TimerHandle>();
    check::<weft_timer::Driver>();
    check::<Clock>();
    check::<Instant>();
    check::<weft_timer::Elapsed>();
}

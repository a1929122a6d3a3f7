//! `interval` on a paused clock: the first tick is immediate, and each `MissedTickBehavior`
//! follows tokio's timeline when the task falls behind (period 10 ms, busy from 5 to 37 ms).

mod common;

use std::future::Future;
use std::panic::catch_unwind;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::{ms, noop_waker, panic_message, paused, Counter};
use weft_timer::{interval, interval_at, Clock, Instant, Interval, MissedTickBehavior};

/// Every tick ready now, as milliseconds after `start`.
fn ready_ticks(every: &mut Interval, start: Instant) -> Vec<u64> {
    let noop = noop_waker();
    let mut cx = Context::from_waker(&noop);
    let mut out = Vec::new();
    while let Poll::Ready(t) = every.poll_tick(&mut cx) {
        out.push((t - start).as_millis() as u64);
        assert!(out.len() < 100, "runaway interval");
    }
    out
}

/// Moves `clock` to `at` milliseconds after `start`.
fn advance_to(clock: &Clock, start: Instant, at: u64) {
    clock.advance(ms(at) - (clock.now() - start));
}

/// Ticks seen at each of `times` (ms after start), with the task busy from 5 to 37 ms.
fn timeline(behavior: MissedTickBehavior, times: &[u64]) -> Vec<(u64, Vec<u64>)> {
    let (_driver, clock, _ctx) = paused();
    let start = Instant::now();
    let mut every = interval(ms(10));
    every.set_missed_tick_behavior(behavior);
    let mut seen = vec![(0, ready_ticks(&mut every, start))];
    advance_to(&clock, start, 5);
    assert_eq!(ready_ticks(&mut every, start), Vec::<u64>::new());
    for &at in times {
        advance_to(&clock, start, at);
        seen.push((at, ready_ticks(&mut every, start)));
    }
    seen
}

#[test]
fn burst_catches_up_then_keeps_the_grid() {
    assert_eq!(
        timeline(MissedTickBehavior::Burst, &[37, 40, 47, 50]),
        vec![
            (0, vec![0]),
            (37, vec![10, 20, 30]),
            (40, vec![40]),
            (47, vec![]),
            (50, vec![50])
        ]
    );
}

#[test]
fn delay_restarts_the_grid_from_the_late_tick() {
    assert_eq!(
        timeline(MissedTickBehavior::Delay, &[37, 40, 47, 57]),
        vec![
            (0, vec![0]),
            (37, vec![10]),
            (40, vec![]),
            (47, vec![47]),
            (57, vec![57])
        ]
    );
}

#[test]
fn skip_drops_missed_ticks_and_keeps_the_grid() {
    assert_eq!(
        timeline(MissedTickBehavior::Skip, &[37, 40, 47, 50]),
        vec![
            (0, vec![0]),
            (37, vec![10]),
            (40, vec![40]),
            (47, vec![]),
            (50, vec![50])
        ]
    );
}

#[test]
fn lateness_within_the_slack_is_not_a_miss() {
    for behavior in [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ] {
        // 3 ms late (under tokio's 5 ms slack): the next tick stays at 20.
        assert_eq!(
            timeline(behavior, &[13, 19, 20]),
            vec![(0, vec![0]), (13, vec![10]), (19, vec![]), (20, vec![20])],
            "{behavior:?}"
        );
    }
}

#[test]
fn ticks_wake_the_task_on_time() {
    let (_driver, clock, _ctx) = paused();
    let counter = Counter::new();
    let waker = counter.waker();
    let mut cx = Context::from_waker(&waker);
    let mut every = interval(ms(10));
    assert!(every.poll_tick(&mut cx).is_ready());
    assert!(every.poll_tick(&mut cx).is_pending());
    clock.advance(ms(9));
    assert_eq!(counter.count(), 0);
    clock.advance(ms(1));
    assert_eq!(counter.count(), 1);
}

#[test]
fn interval_at_starts_later() {
    let (_driver, clock, _ctx) = paused();
    let start = Instant::now();
    let mut every = interval_at(start + ms(50), ms(10));
    assert_eq!(ready_ticks(&mut every, start), Vec::<u64>::new());
    advance_to(&clock, start, 50);
    assert_eq!(ready_ticks(&mut every, start), vec![50]);
    advance_to(&clock, start, 60);
    assert_eq!(ready_ticks(&mut every, start), vec![60]);
}

#[test]
fn resets_move_the_next_tick() {
    let (_driver, clock, _ctx) = paused();
    let start = Instant::now();
    let mut every = interval(ms(10));
    assert_eq!(ready_ticks(&mut every, start), vec![0]);
    advance_to(&clock, start, 4);
    every.reset(); // next at 14
    advance_to(&clock, start, 10);
    assert_eq!(ready_ticks(&mut every, start), Vec::<u64>::new());
    advance_to(&clock, start, 14);
    assert_eq!(ready_ticks(&mut every, start), vec![14]);
    every.reset_immediately();
    assert_eq!(ready_ticks(&mut every, start), vec![14]);
    every.reset_after(ms(3));
    advance_to(&clock, start, 17);
    assert_eq!(ready_ticks(&mut every, start), vec![17]);
    every.reset_at(start + ms(30));
    advance_to(&clock, start, 30);
    assert_eq!(ready_ticks(&mut every, start), vec![30]);
    assert_eq!(every.period(), ms(10));
}

#[test]
fn a_dropped_tick_future_consumes_no_tick() {
    let (_driver, clock, _ctx) = paused();
    let start = Instant::now();
    let mut every = interval(ms(10));
    let noop = noop_waker();
    let mut cx = Context::from_waker(&noop);
    assert!(pin!(every.tick()).poll(&mut cx).is_ready());
    assert!(pin!(every.tick()).poll(&mut cx).is_pending()); // dropped while pending
    advance_to(&clock, start, 10);
    assert_eq!(
        pin!(every.tick()).poll(&mut cx),
        Poll::Ready(start + ms(10))
    );
}

#[test]
fn a_zero_period_panics() {
    let (_driver, _clock, _ctx) = paused();
    let err = catch_unwind(|| interval(Duration::ZERO)).unwrap_err();
    assert_eq!(panic_message(&*err), "`interval` period must be non-zero");
    let err = catch_unwind(|| interval_at(Instant::now(), Duration::ZERO)).unwrap_err();
    assert_eq!(panic_message(&*err), "`interval` period must be non-zero");
}

#[test]
fn huge_periods_do_not_overflow() {
    let (_driver, clock, _ctx) = paused();
    let start = Instant::now();
    let mut every = interval(Duration::MAX);
    assert_eq!(ready_ticks(&mut every, start), vec![0]);
    clock.advance(Duration::from_secs(86_400 * 365));
    assert_eq!(ready_ticks(&mut every, start), Vec::<u64>::new());
}

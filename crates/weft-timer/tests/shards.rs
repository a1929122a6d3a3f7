//! A driver whose wheel is split into shards (`Driver::with_shards`, one per worker in a
//! multi-thread runtime): timers registered from several threads land in different shards,
//! and parking, firing, resetting and shutting down see all of them.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{poll, Counter};
use weft_timer::{Clock, Driver, Sleep};

/// Registers a sleep of `d` from a new thread (which takes the next shard), and hands it
/// back with its counter.
fn register_elsewhere(driver: &Driver, d: Duration) -> (Sleep, Arc<Counter>) {
    let handle = driver.handle();
    thread::spawn(move || {
        let counter = Counter::new();
        let mut sleep = handle.sleep(d);
        assert!(poll(&mut sleep, &counter.waker()).is_pending());
        (sleep, counter)
    })
    .join()
    .unwrap()
}

#[test]
fn an_idle_sharded_driver_jumps_to_each_deadline_in_order_across_shards() {
    let clock = Clock::paused();
    let driver = Driver::with_shards(clock.clone(), Arc::new(|| {}), 4);
    let start = clock.now();
    // One thread (one shard) each, in wheel levels of their own, so the jumps cascade.
    let durations = [
        Duration::from_secs(2 * 3600),
        Duration::from_millis(5),
        Duration::from_secs(70),
        Duration::from_millis(300),
    ];
    let mut sleeps: Vec<_> = durations
        .iter()
        .map(|&d| register_elsewhere(&driver, d))
        .collect();
    assert_eq!(driver.pending_timers(), 4);

    let mut order: Vec<Duration> = durations.to_vec();
    order.sort();
    for (fired_so_far, due) in order.iter().enumerate() {
        // Idle: the clock jumps to the earliest deadline of all shards, no further.
        assert_eq!(driver.park_timeout(None), Some(Duration::ZERO));
        assert_eq!(clock.now() - start, *due, "jumped to the wrong deadline");
        assert_eq!(driver.process(), 1);
        for (i, (sleep, counter)) in sleeps.iter_mut().enumerate() {
            let done = durations[i] <= *due;
            assert_eq!(counter.count(), usize::from(done), "sleep {i}");
            assert_eq!(poll(sleep, &counter.waker()).is_ready(), done, "sleep {i}");
        }
        assert_eq!(driver.pending_timers(), 3 - fired_so_far);
    }
    assert_eq!(driver.park_timeout(None), None);
}

#[test]
fn a_sharded_driver_fires_what_is_due_in_every_shard() {
    let clock = Clock::paused();
    let driver = Driver::with_shards(clock.clone(), Arc::new(|| {}), 3);
    let sleeps: Vec<_> = (1..=6)
        .map(|ms| register_elsewhere(&driver, Duration::from_millis(ms)))
        .collect();
    assert_eq!(
        driver.next_deadline(),
        Some(sleeps[0].0.deadline()),
        "the earliest deadline of all shards"
    );
    clock.advance(Duration::from_millis(4));
    let woken = sleeps.iter().map(|(_, c)| c.count()).collect::<Vec<_>>();
    assert_eq!(woken, [1, 1, 1, 1, 0, 0]);
    assert_eq!(driver.pending_timers(), 2);
}

#[test]
fn a_sleep_reset_on_another_thread_stays_in_its_shard_and_fires() {
    let clock = Clock::paused();
    let driver = Driver::with_shards(clock.clone(), Arc::new(|| {}), 2);
    let (mut sleep, counter) = register_elsewhere(&driver, Duration::from_secs(60));
    let deadline = clock.now() + Duration::from_millis(10);
    // Reset and polled from this thread, whose shard hint differs.
    sleep.reset(deadline);
    assert!(poll(&mut sleep, &counter.waker()).is_pending());
    assert_eq!(
        driver.pending_timers(),
        1,
        "re-registered, not registered twice"
    );
    assert_eq!(driver.next_deadline(), Some(deadline));
    clock.advance(Duration::from_millis(10));
    assert_eq!(counter.count(), 1);
    assert!(poll(&mut sleep, &counter.waker()).is_ready());
    assert_eq!(driver.pending_timers(), 0);
    drop(sleep);
}

#[test]
fn shutting_a_sharded_driver_down_wakes_the_timers_of_every_shard() {
    let driver = Driver::with_shards(Clock::real(), Arc::new(|| {}), 4);
    let sleeps: Vec<_> = (0..4)
        .map(|_| register_elsewhere(&driver, Duration::from_secs(3600)))
        .collect();
    assert_eq!(driver.pending_timers(), 4);
    assert_eq!(driver.shutdown(), 4);
    for (_, counter) in &sleeps {
        assert_eq!(counter.count(), 1);
    }
    assert_eq!(driver.pending_timers(), 0);
    // A registration after the shutdown, in any shard, sees it.
    let handle = driver.handle();
    let panicked = thread::spawn(move || {
        let mut sleep = handle.sleep(Duration::from_secs(1));
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            poll(&mut sleep, &Counter::new().waker())
        }))
        .is_err()
    })
    .join()
    .unwrap();
    assert!(
        panicked,
        "a sleep on a shut-down driver panics, as in tokio"
    );
}

#[test]
fn a_driver_has_at_least_one_shard() {
    let clock = Clock::paused();
    let driver = Driver::with_shards(clock.clone(), Arc::new(|| {}), 0);
    let (mut sleep, counter) = register_elsewhere(&driver, Duration::from_millis(1));
    clock.advance(Duration::from_millis(1));
    assert!(poll(&mut sleep, &counter.waker()).is_ready());
}

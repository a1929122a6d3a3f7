//! `TimerHandle::timers_fired`: what the driver fires is counted, nothing else.
#![cfg(not(weft_loom))]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

use weft_timer::{Clock, Driver, Sleep};

fn poll(sleep: &mut Pin<Box<Sleep>>) -> bool {
    sleep
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready()
}

#[test]
fn fired_timers_are_counted_and_shut_down_ones_are_not() {
    let driver = Driver::new(Clock::paused(), Arc::new(|| {}));
    let handle = driver.handle();
    let mut sleeps: Vec<_> = (1..=40u64)
        .map(|ms| Box::pin(handle.sleep(Duration::from_millis(ms))))
        .collect();
    for s in &mut sleeps {
        assert!(!poll(s));
    }
    // Fire the first 30 through the driver (more than one wake-up batch).
    driver.clock().advance(Duration::from_millis(30));
    assert_eq!(driver.process(), 0, "advance fired them already");
    assert_eq!(handle.timers_fired(), 30);
    // A sleep whose deadline has passed completes at its first poll, outside the wheel.
    let mut elapsed = Box::pin(handle.sleep(Duration::ZERO));
    assert!(poll(&mut elapsed));
    assert_eq!(handle.timers_fired(), 30);
    // Shutdown wakes the other ten without firing them.
    assert_eq!(driver.shutdown(), 10);
    assert_eq!(handle.timers_fired(), 30);
}

#[test]
fn the_driver_counts_what_process_fires() {
    let driver = Driver::new(Clock::real(), Arc::new(|| {}));
    let handle = driver.handle();
    let mut sleeps: Vec<_> = (0..3)
        .map(|_| Box::pin(handle.sleep(Duration::from_millis(2))))
        .collect();
    for s in &mut sleeps {
        assert!(!poll(s));
    }
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(driver.process(), 3);
    assert_eq!(handle.timers_fired(), 3);
}

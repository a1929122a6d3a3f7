//! What timers allocate, counted by a global allocator: nothing for a `timeout` around a
//! ready future or a sleep that is already due, one entry at the first pending poll, and
//! nothing after that (resets and interval ticks reuse the entry).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::ready;
use std::time::Duration;

use common::{ms, noop_waker, paused, poll};
use weft_timer::{interval, sleep, timeout, Instant};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread by `f`.
fn allocs<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

#[test]
fn timeout_around_a_ready_future_allocates_nothing() {
    let (driver, _clock, _ctx) = paused();
    let w = noop_waker();
    let (n, r) = allocs(|| poll(&mut timeout(Duration::from_secs(1), ready(7)), &w));
    assert_eq!(n, 0);
    assert!(r.is_ready());
    let (n, _) = allocs(|| poll(&mut sleep(Duration::ZERO), &w));
    assert_eq!(n, 0);
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn one_entry_per_sleep_and_none_after() {
    let (_driver, clock, _ctx) = paused();
    let w = noop_waker();
    let mut nap = sleep(ms(10));
    let (n, _) = allocs(|| poll(&mut nap, &w));
    assert_eq!(n, 1, "the entry, at the first pending poll");
    let (n, _) = allocs(|| {
        for i in 1..100 {
            nap.reset(Instant::now() + ms(i));
            assert!(poll(&mut nap, &w).is_pending());
        }
        clock.advance(ms(200));
        assert!(poll(&mut nap, &w).is_ready());
        nap.reset(Instant::now() + ms(5));
        assert!(poll(&mut nap, &w).is_pending());
    });
    assert_eq!(n, 0, "resets reuse the entry");
}

#[test]
fn interval_ticks_reuse_the_entry() {
    let (_driver, clock, _ctx) = paused();
    let mut every = interval(ms(10));
    let noop = common::noop_waker();
    let mut cx = std::task::Context::from_waker(&noop);
    assert!(every.poll_tick(&mut cx).is_ready());
    assert!(every.poll_tick(&mut cx).is_pending()); // allocates the entry
    let (n, _) = allocs(|| {
        for _ in 0..100 {
            clock.advance(ms(10));
            assert!(every.poll_tick(&mut cx).is_ready());
            assert!(every.poll_tick(&mut cx).is_pending());
        }
    });
    assert_eq!(n, 0);
}

//! The cost of registering and cancelling a timer, alone and with threads contending on one
//! driver, against one driver per thread (what a per-worker wheel would give). The crate
//! docs quote its figures and the decision they support.
//!
//! ```text
//! cargo run --release -p weft-timer --example timer_cost
//! ```

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use weft_timer::{Clock, Driver, TimerHandle};

/// A waker that does nothing (`Waker::noop` needs Rust 1.85; the MSRV is 1.80).
fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    Waker::from(Arc::new(Noop))
}

const OPS: u64 = 1_000_000;
const RUNS: usize = 5;

/// A deadline spread over the first levels of the wheel, as real programs use them.
fn duration(i: u64) -> Duration {
    Duration::from_millis(1 + (i * 7919) % 10_000)
}

/// `OPS` times: create a sleep, poll it (allocates and links the entry), drop it (unlinks
/// and frees it). Returns ns per insert+cancel.
fn insert_cancel(handle: &TimerHandle) -> f64 {
    let noop = noop_waker();
    let mut cx = Context::from_waker(&noop);
    let start = Instant::now();
    for i in 0..OPS {
        let mut sleep = handle.sleep(duration(i));
        assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
        drop(black_box(sleep));
    }
    start.elapsed().as_nanos() as f64 / OPS as f64
}

/// Some work between two timer operations, as a task has (about a microsecond here).
fn work(i: u64) -> u64 {
    (0..200u64).fold(i, |acc, x| black_box(acc.wrapping_mul(31).wrapping_add(x)))
}

/// As [`insert_cancel`], with [`work`] between operations: the contention a program that
/// does something else than creating timers sees. Returns ns per iteration.
fn insert_cancel_with_work(handle: &TimerHandle) -> f64 {
    let noop = noop_waker();
    let mut cx = Context::from_waker(&noop);
    let start = Instant::now();
    for i in 0..OPS / 4 {
        let mut sleep = handle.sleep(duration(i));
        assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
        black_box(work(i));
        drop(black_box(sleep));
    }
    start.elapsed().as_nanos() as f64 / (OPS / 4) as f64
}

/// `OPS` resets of one registered sleep (unlink + link, no allocation). Returns ns per reset.
fn reset(handle: &TimerHandle) -> f64 {
    let noop = noop_waker();
    let mut cx = Context::from_waker(&noop);
    let mut sleep = handle.sleep(duration(0));
    assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
    let now = handle.now();
    let start = Instant::now();
    for i in 0..OPS {
        sleep.reset(now + duration(i));
    }
    start.elapsed().as_nanos() as f64 / OPS as f64
}

/// Runs `f` on `threads` threads at once, each with the handle `handle_for(i)` gives;
/// returns the mean ns per operation per thread.
fn contended(
    threads: usize,
    handle_for: impl Fn(usize) -> TimerHandle,
    f: fn(&TimerHandle) -> f64,
) -> f64 {
    let barrier = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let (barrier, handle) = (barrier.clone(), handle_for(i));
            thread::spawn(move || {
                barrier.wait();
                f(&handle)
            })
        })
        .collect();
    let total: f64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    total / threads as f64
}

/// The best of `RUNS` runs (the least disturbed by the machine).
fn best(mut f: impl FnMut() -> f64) -> f64 {
    (0..RUNS).map(|_| f()).fold(f64::INFINITY, f64::min)
}

fn main() {
    let driver = || Driver::new(Clock::real(), Arc::new(|| {}));
    let shared = driver();
    let own = [driver(), driver()];
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    println!("timer insert+cancel cost ({OPS} ops, best of {RUNS}, {cores} cores)");

    let one = best(|| insert_cancel(&shared.handle()));
    println!("1 thread, one driver:               {one:6.1} ns per insert+cancel");
    let two_shared = best(|| contended(2, |_| shared.handle(), insert_cancel));
    println!(
        "2 threads, one driver (contended):  {two_shared:6.1} ns per insert+cancel per thread"
    );
    let two_own = best(|| contended(2, |i| own[i].handle(), insert_cancel));
    println!("2 threads, a driver each:           {two_own:6.1} ns per insert+cancel per thread");

    let one = best(|| insert_cancel_with_work(&shared.handle()));
    println!("1 thread, one driver:               {one:6.1} ns per insert+work+cancel");
    let two_shared = best(|| contended(2, |_| shared.handle(), insert_cancel_with_work));
    println!(
        "2 threads, one driver (contended):  {two_shared:6.1} ns per insert+work+cancel per thread"
    );
    let two_own = best(|| contended(2, |i| own[i].handle(), insert_cancel_with_work));
    println!(
        "2 threads, a driver each:           {two_own:6.1} ns per insert+work+cancel per thread"
    );

    let one = best(|| reset(&shared.handle()));
    println!("1 thread, one driver:               {one:6.1} ns per reset");
    let two_shared = best(|| contended(2, |_| shared.handle(), reset));
    println!("2 threads, one driver (contended):  {two_shared:6.1} ns per reset per thread");
    let two_own = best(|| contended(2, |i| own[i].handle(), reset));
    println!("2 threads, a driver each:           {two_own:6.1} ns per reset per thread");
    assert_eq!(shared.pending_timers(), 0);
}

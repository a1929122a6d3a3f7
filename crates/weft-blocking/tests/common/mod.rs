//! Helpers shared by the pool's integration tests.
// Each test file uses its own subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::thread;
use std::time::{Duration, Instant};

use weft_blocking::{BlockingPool, Spawner};

pub use weft_core::test_support::block_on;

/// A pool of plain threads.
pub fn pool(max_threads: usize, keep_alive: Duration) -> BlockingPool {
    BlockingPool::new(Spawner::default(), max_threads, keep_alive)
}

/// Waits (up to 20 s) until `cond` holds.
pub fn spin_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

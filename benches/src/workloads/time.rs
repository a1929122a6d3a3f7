//! The timer workloads, each on the runtime's own timers.

use std::hint::black_box;
use std::time::Duration;

use super::Params;
use crate::prims::Latch;
use crate::rt::Rt;
use crate::sample::{measure, Sample};

/// `timers`: `sleeps` tasks, spawned from a task, each sleep 1..=`sleep_max_ms` ms (spread
/// evenly), all at once; done when the last wakes. The wall time is bounded below by the
/// longest sleep, so the report shows the CPU time of the run too.
pub fn timers<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (n, max_ms) = (p.sleeps, p.sleep_max_ms);
    let (sample, ()) = measure(|| {
        rt.block_on_task(async move {
            let (latch, done) = Latch::new(n);
            for i in 0..n as u64 {
                let latch = latch.clone();
                let ms = 1 + (i * 7919) % max_ms;
                R::spawn_detached(async move {
                    R::sleep(Duration::from_millis(ms)).await;
                    latch.count_down();
                });
            }
            done.await.expect("timers: latch dropped");
        })
    });
    Ok(sample)
}

/// `timeout_ready`: one task awaits `timeout(1 s, ready(x))` `timeouts` times: the cost of a
/// timeout whose future is ready at once (the timer is never armed).
pub fn timeout_ready<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let n = p.timeouts;
    let (sample, ()) = measure(|| {
        rt.block_on_task(async move {
            for i in 0..n {
                let out = R::timeout(Duration::from_secs(1), std::future::ready(black_box(i)));
                assert_eq!(out.await, Some(i), "timeout_ready: timed out");
            }
        })
    });
    Ok(sample)
}

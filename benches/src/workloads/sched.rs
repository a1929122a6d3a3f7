//! The scheduler workloads: spawning, yielding, waking across tasks, joining.
//!
//! Completion is signalled through a [`Latch`] (an atomic countdown firing a one-shot), the
//! same shape as tokio's own benchmarks; `ping_pong`'s channels are async-channel on every
//! runtime ([`AgnosticChannel`]), so these rows compare the schedulers alone.

use std::hint::black_box;
use std::sync::Arc;

use super::Params;
use crate::prims::{AgnosticChannel, ChanRx, ChanTx, Channel, Latch};
use crate::rt::Rt;
use crate::sample::{measure, Sample};

/// `spawn_many_local`: one task spawns `spawn_tasks` empty tasks and waits for them all.
pub fn spawn_many_local<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let n = p.spawn_tasks;
    let (sample, ()) = measure(|| {
        rt.block_on_task(async move {
            let (latch, done) = Latch::new(n);
            for _ in 0..n {
                let latch = latch.clone();
                R::spawn_detached(async move { latch.count_down() });
            }
            done.await.expect("spawn_many_local: latch dropped");
        })
    });
    Ok(sample)
}

/// `spawn_many_remote`: the main thread (outside the runtime) spawns `spawn_tasks` empty
/// tasks through the runtime's handle, then waits for them all.
pub fn spawn_many_remote<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let n = p.spawn_tasks;
    let (sample, ()) = measure(|| {
        let (latch, done) = Latch::new(n);
        for _ in 0..n {
            let latch = latch.clone();
            rt.spawn_remote_detached(async move { latch.count_down() });
        }
        rt.block_on(done).expect("spawn_many_remote: latch dropped");
    });
    Ok(sample)
}

/// `yield_many`: `yield_tasks` tasks each yield `yields` times.
pub fn yield_many<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (tasks, yields) = (p.yield_tasks, p.yields);
    let (sample, ()) = measure(|| {
        rt.block_on_task(async move {
            let (latch, done) = Latch::new(tasks);
            for _ in 0..tasks {
                let latch = latch.clone();
                R::spawn_detached(async move {
                    for _ in 0..yields {
                        R::yield_now().await;
                    }
                    latch.count_down();
                });
            }
            done.await.expect("yield_many: latch dropped");
        })
    });
    Ok(sample)
}

/// `ping_pong`: `ping_pairs` pairs of tasks; in each, the pinger sends a number over a
/// bounded(1) channel and waits for the ponger to send it back, `ping_rounds` times.
pub fn ping_pong<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    ping_pong_on::<R, AgnosticChannel>(rt, p)
}

fn ping_pong_on<R: Rt, C: Channel>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (pairs, rounds) = (p.ping_pairs, p.ping_rounds);
    let (sample, ()) = measure(|| {
        rt.block_on_task(async move {
            let (latch, done) = Latch::new(pairs);
            for _ in 0..pairs {
                spawn_ping_pair::<R, C>(rounds, latch.clone());
            }
            done.await.expect("ping_pong: latch dropped");
        })
    });
    Ok(sample)
}

/// Spawns one pair of `ping_pong` (also run by `mixed`): a ponger that sends back what it
/// receives, and a pinger that sends `0..rounds` over a bounded(1) channel, checks that each
/// reply is what it sent, and counts `latch` down after the last.
pub(super) fn spawn_ping_pair<R: Rt, C: Channel>(rounds: usize, latch: Arc<Latch>) {
    let (ping_tx, mut ping_rx) = C::bounded::<usize>(1);
    let (pong_tx, mut pong_rx) = C::bounded::<usize>(1);
    R::spawn_detached(async move {
        while let Some(v) = ping_rx.recv().await {
            if !pong_tx.send(v).await {
                break;
            }
        }
    });
    R::spawn_detached(async move {
        for i in 0..rounds {
            assert!(ping_tx.send(i).await, "ping_pong: ponger gone");
            let back = pong_rx.recv().await;
            assert_eq!(back, Some(i), "ping_pong: wrong reply");
        }
        latch.count_down();
    });
}

/// `chained_spawn`: each task spawns the next, `chain_depth` deep; the sample runs
/// `chain_repeats` chains one after another (one chain is too short to time alone).
pub fn chained_spawn<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    fn link<R: Rt>(latch: std::sync::Arc<Latch>, left: usize) {
        if left == 0 {
            latch.count_down();
        } else {
            R::spawn_detached(async move { link::<R>(latch, left - 1) });
        }
    }
    let (depth, repeats) = (p.chain_depth, p.chain_repeats);
    let (sample, ()) = measure(|| {
        rt.block_on_task(async move {
            for _ in 0..repeats {
                let (latch, done) = Latch::new(1);
                R::spawn_detached(async move { link::<R>(latch, depth - 1) });
                done.await.expect("chained_spawn: latch dropped");
            }
        })
    });
    Ok(sample)
}

/// `fan_out_fan_in`: one task spawns `fan_out` tasks (each returns a number) and joins all
/// their handles with [`Rt::join_all`].
pub fn fan_out_fan_in<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let n = p.fan_out;
    let (sample, sum) = measure(|| {
        rt.block_on_task(async move {
            let handles: Vec<_> = (0..n as u64)
                .map(|i| R::spawn(async move { black_box(i) }))
                .collect();
            R::join_all(handles).await.into_iter().sum::<u64>()
        })
    });
    let n = n as u64;
    assert_eq!(sum, n * (n - 1) / 2, "fan_out_fan_in: lost outputs");
    Ok(sample)
}

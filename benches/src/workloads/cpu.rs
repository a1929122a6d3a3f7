//! The CPU-bound workloads: is computation spread over the workers? They keep a scheduler
//! that keeps communicating tasks on one worker honest: locality must never strand work.
//!
//! The computation is xorshift64 (Marsaglia's 13/7/17): each step depends on the one before
//! (no vectorising, no overlap of steps), the compiler cannot fold a loop of it, and the
//! seed and step count pass through [`black_box`], so every task does every step. Every
//! task starts from the same seed, so every task must end on the same value: checked after
//! each sample against the same steps run once outside the timed region.

use std::hint::black_box;
use std::sync::{Mutex, PoisonError};

use super::sched::spawn_ping_pair;
use super::Params;
use crate::prims::{AgnosticChannel, Latch};
use crate::rt::Rt;
use crate::sample::{measure, Sample};

/// The seed of every task's computation.
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// `steps` steps of xorshift64 from `x`: pure computation, a few cycles a step.
pub fn spin(mut x: u64, steps: u64) -> u64 {
    for _ in 0..steps {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// [`spin`] of `steps` from [`SEED`], as every task must find it: computed once per step
/// count and kept (the `mixed` reference is tens of ms; it never counts in a sample).
fn expected(steps: u64) -> u64 {
    static KNOWN: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&(_, x)) = known.iter().find(|(s, _)| *s == steps) {
        return x;
    }
    let x = spin(SEED, steps);
    known.push((steps, x));
    x
}

/// `cpu_fan_out`: one task spawns `cpu_tasks` tasks, each running `cpu_steps` xorshift steps
/// in one go (no yield: a task is one poll of pure computation, about 1 ms), and joins them
/// all with [`Rt::join_all`]. Checked: every task returned the reference value.
///
/// The harness also times it on a one-worker runtime of each kind (the same tasks, the same
/// steps), for the speed-up t(1 worker) / t(N workers).
pub fn cpu_fan_out<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (tasks, steps) = (p.cpu_tasks, p.cpu_steps);
    let want = expected(steps);
    let (sample, results) = measure(|| {
        rt.block_on_task(async move {
            let handles: Vec<_> = (0..tasks)
                .map(|_| R::spawn(async move { spin(black_box(SEED), black_box(steps)) }))
                .collect();
            R::join_all(handles).await
        })
    });
    assert_eq!(results.len(), tasks, "cpu_fan_out: lost tasks");
    assert!(
        results.iter().all(|&x| x == want),
        "cpu_fan_out: a task computed the wrong value"
    );
    Ok(sample)
}

/// `mixed`: message passing beside computation. One task spawns `mixed_cpu_tasks` CPU-bound
/// tasks (one per worker: the binary sets it to `--workers`), each running `mixed_chunks`
/// chunks of `mixed_chunk_steps` xorshift steps with [`Rt::yield_now`] after every chunk,
/// then `mixed_pairs` pairs of `ping_pong` (async-channel bounded(1)) of `mixed_rounds` round
/// trips each, and waits until all of them are done: the sample is the wall time of the
/// whole. Checked: every reply (by the pingers), every pair finished, and every CPU task
/// returned the reference value.
///
/// The harness also times it on a one-worker runtime of each kind (the same tasks), for the
/// speed-up t(1 worker) / t(N workers).
pub fn mixed<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let cpu_tasks = p.mixed_cpu_tasks;
    let (chunks, chunk_steps) = (p.mixed_chunks, p.mixed_chunk_steps);
    let (pairs, rounds) = (p.mixed_pairs, p.mixed_rounds);
    let want = expected(chunks * chunk_steps);
    let (sample, results) = measure(|| {
        rt.block_on_task(async move {
            let computing: Vec<_> = (0..cpu_tasks)
                .map(|_| {
                    R::spawn(async move {
                        let mut x = black_box(SEED);
                        for _ in 0..chunks {
                            x = spin(x, black_box(chunk_steps));
                            R::yield_now().await;
                        }
                        x
                    })
                })
                .collect();
            let (latch, done) = Latch::new(pairs);
            for _ in 0..pairs {
                spawn_ping_pair::<R, AgnosticChannel>(rounds, latch.clone());
            }
            let results = R::join_all(computing).await;
            done.await.expect("mixed: latch dropped");
            results
        })
    });
    assert_eq!(results.len(), cpu_tasks, "mixed: lost CPU tasks");
    assert!(
        results.iter().all(|&x| x == want),
        "mixed: a CPU task computed the wrong value"
    );
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_add_up_to_one_run() {
        // The `mixed` check relies on it: chunked steps end where one run of them ends.
        let chunked = (0..4).fold(SEED, |x, _| spin(x, 250));
        assert_eq!(chunked, spin(SEED, 1_000));
        assert_eq!(expected(1_000), chunked);
        assert_ne!(spin(SEED, 1_000), spin(SEED, 999));
        // xorshift never reaches 0 from a non-zero state.
        assert_ne!(spin(SEED, 12_345), 0);
    }
}

//! Loom models of a spawn from inside a task on a `MultiThread` worker: the new task goes to
//! that worker's local queue, where the worker itself runs it after the spawner, or another
//! worker, woken by the push if none is searching, steals it. Under every interleaving the
//! task runs: when the spawner keeps its worker busy, a sleeping worker must be woken and
//! steal it (a lost wake-up leaves every thread blocked, which loom reports as a deadlock).
//!
//! It also checks the thief's locality rule (`worker::keeps_up`: a short queue is left to a
//! victim that is seen to get through it): a thief that declined to steal must still find
//! the task later, or locality would strand work behind a busy worker. (A thief that never
//! steals from a short queue fails this model at once.)
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-sched --test loom_local_spawn --target-dir target/loom
//! ```
#![cfg(weft_loom)]

mod support;

use weft_sched::MultiThread;

use support::{model, thread_park, Gate, Rt};

/// A task spawns two tasks onto its worker's local queue (the second push finds more work
/// queued than the worker will get to next, so it wakes a sleeper unless a worker is
/// searching), then keeps the worker busy until one of them has run: the other worker must
/// find it (still searching, by the last searcher's final check, or woken by the push) and
/// steal it.
///
/// The parent is spawned before `start`, so the worker that picks it up has never searched:
/// the other worker is the only searcher. (Had the spawner's worker been searching, the other
/// one could be refused a search, then park without a final check while the push, seeing it
/// still counted as awake, woke nobody: the children would wait for their spawner's poll to
/// end. That is the protocol's known cost, as in tokio, and harmless unless a task blocks its
/// worker as this one does.)
#[test]
fn local_spawn_is_stolen_while_the_spawner_is_busy() {
    model(|| {
        let rt = Rt::new(MultiThread::new(2), thread_park());
        let owner = rt.owner.clone();
        let parent = rt.owner.spawn(async move {
            let gate = Gate::new();
            let _children = [(); 2].map(|()| {
                let gate = gate.clone();
                owner.spawn(async move { gate.open() })
            });
            gate.wait_blocking();
        });
        let rt = rt.start();
        rt.block_on(parent).unwrap();
        // One child has run; the other may still be queued: shutdown cancels it.
        rt.shutdown();
    });
}

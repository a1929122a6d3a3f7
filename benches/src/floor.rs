//! The floor under `spawn_many_local`: what one spawn cannot avoid, with no scheduler at all.
//!
//! A spawn allocates the task (header + future: here 64 bytes, one cache line), touches its
//! state word a few times (a reference for the handle, RUNNING when polled, COMPLETE, the
//! last reference dropped) and frees it. This loop does exactly that on one thread, so the
//! cache line never moves between cores: a real multi-thread spawn pays more.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sample::{measure, Sample};

#[repr(C, align(64))]
struct FakeTask {
    state: AtomicUsize,
    refs: AtomicUsize,
    _future: [u8; 48],
}

const RUNNING: usize = 1;
const COMPLETE: usize = 2;

/// `ops` times: allocate a 64-byte task, four atomic read-modify-writes, free.
pub fn spawn_floor(ops: usize) -> Sample {
    let (sample, ()) = measure(|| {
        for _ in 0..ops {
            let task = black_box(Box::new(FakeTask {
                state: AtomicUsize::new(0),
                refs: AtomicUsize::new(1),
                _future: [0; 48],
            }));
            task.refs.fetch_add(1, Ordering::Relaxed); // the JoinHandle / waker reference
            task.state.fetch_or(RUNNING, Ordering::AcqRel); // poll starts
            task.state.fetch_xor(RUNNING | COMPLETE, Ordering::AcqRel); // completes
            task.refs.fetch_sub(2, Ordering::AcqRel); // handle and task references dropped
            drop(black_box(task));
        }
    });
    sample
}

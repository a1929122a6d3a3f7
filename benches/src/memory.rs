//! Memory: heap bytes per idle task, counted by a global allocator, and the peak RSS of
//! `spawn_many_local`, read in a child process per runtime.
//!
//! **Bytes per idle task.** [`CountingAlloc`] (installed as the harness's global allocator;
//! it counts only while switched on, so the timed workloads pay one relaxed load per
//! allocation) adds up the bytes allocated and freed. With the runtime built and warmed
//! up, counting starts, one task spawns `n` tasks that each count themselves in and then
//! wait forever on `std::future::pending()`, and counting stops once all have been polled.
//! The net heap growth divided by `n`, minus the size of one task's future, is what the
//! runtime keeps per idle task: the task allocation's header and trailer, plus whatever
//! the runtime grows to track it (smol's executor keeps every task's waker in a slab).
//!
//! **Bytes per waiting task** (the `sync_memory` figures). The same counting, with each task
//! parked on a primitive of the runtime's own ([`Rt::Channel`], [`Rt::Semaphore`]): `n`
//! tasks each waiting in `recv()` on its own bounded(1) channel (its sender kept alive
//! elsewhere), and `n` tasks waiting in `acquire()` on one semaphore of 0 permits; and, as
//! the baseline measured the same way, `n` tasks waiting on `std::future::pending()`. A task
//! counts itself in only once its wait has returned `Pending` (its waker is registered),
//! and here *everything* is counted: the task with its future (where tokio keeps its
//! waiter nodes), the channel, and any waiter node allocated beside them (where
//! event-listener, under async-channel and async-lock, keeps its). The difference to the
//! baseline is what waiting on that primitive costs.
//!
//! **Peak RSS.** The harness re-runs itself as a child process per runtime
//! (`--child-rss NAME`): the child builds the runtime, warms it up, reads `VmRSS`, runs
//! `spawn_many_local` once, then reads `VmHWM` (the peak) from `/proc/self/status`. A child
//! per runtime keeps one runtime's heap from hiding another's peak; the report shows the
//! peak and its growth over the RSS before the workload.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use std::future::Future;
use std::sync::Arc;

use crate::prims::{AsyncSemaphore, Latch};
use crate::rt::Rt;
use crate::workloads::sync::{acquire_waiter, park_forever, recv_waiter};

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting bytes while [`count_heap`] runs.
#[derive(Debug)]
pub struct CountingAlloc;

#[inline]
fn note(counter: &AtomicU64, bytes: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        counter.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so it
// upholds `GlobalAlloc`'s contract exactly as `System` does; the counting touches only
// atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(&ALLOCATED, layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(&ALLOCATED, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(&FREED, layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(&FREED, layout.size());
            note(&ALLOCATED, new_size);
        }
        p
    }
}

/// The net heap growth (bytes allocated minus bytes freed) while `f` runs, as counted by
/// [`CountingAlloc`]; 0 if it is not the global allocator.
pub fn count_heap<R>(f: impl FnOnce() -> R) -> (i64, R) {
    let before = (
        ALLOCATED.load(Ordering::SeqCst),
        FREED.load(Ordering::SeqCst),
    );
    COUNTING.store(true, Ordering::SeqCst);
    let r = f();
    COUNTING.store(false, Ordering::SeqCst);
    let after = (
        ALLOCATED.load(Ordering::SeqCst),
        FREED.load(Ordering::SeqCst),
    );
    let grown = (after.0 - before.0) as i64 - (after.1 - before.1) as i64;
    (grown, r)
}

/// Spawns and completes a few thousand tasks, so that lazily built per-worker state exists
/// before anything is measured.
pub fn warm_up<R: Rt>(rt: &R) {
    rt.block_on_task(async {
        for _ in 0..4 {
            let handles: Vec<_> = (0..1000).map(|i| R::spawn(async move { i })).collect();
            R::join_all(handles).await;
        }
    });
}

/// Heap bytes the runtime keeps per idle task, the future excluded: see the module docs.
pub fn bytes_per_idle_task<R: Rt>(workers: usize, n: usize) -> f64 {
    let rt = R::build(workers);
    warm_up(&rt);
    let (latch, all_polled) = Latch::new(n);
    let (grown, future_size) = count_heap(|| {
        rt.block_on_task(async move {
            let mut future_size = 0;
            for _ in 0..n {
                let latch = latch.clone();
                let idle = async move {
                    latch.count_down();
                    std::future::pending::<()>().await
                };
                future_size = std::mem::size_of_val(&idle);
                R::spawn_detached(idle);
            }
            all_polled
                .await
                .expect("bytes_per_idle_task: latch dropped");
            future_size
        })
    });
    drop(rt); // cancels and frees the idle tasks
    grown as f64 / n as f64 - future_size as f64
}

/// Heap bytes per waiting task, everything counted (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitingBytes {
    /// A task parked on `std::future::pending()`: the baseline.
    pub idle: f64,
    /// A task parked in `recv()` on its own bounded(1) channel, the channel included.
    pub recv: f64,
    /// A task parked in `acquire()` on a shared semaphore with no permits.
    pub acquire: f64,
}

/// [`WaitingBytes`] of the runtime `R` with its own primitives, `n` tasks per figure (a
/// fresh runtime for each).
pub fn bytes_per_waiting_task<R: Rt>(workers: usize, n: usize) -> WaitingBytes {
    let idle = heap_per_parked_task::<R, _, _>(workers, n, |latch| {
        ((), park_forever(std::future::pending::<()>(), latch))
    });
    let recv = heap_per_parked_task::<R, _, _>(workers, n, recv_waiter::<R::Channel>);
    let sem = Arc::new(<R::Semaphore as AsyncSemaphore>::new(0));
    let acquire = heap_per_parked_task::<R, _, _>(workers, n, move |latch| {
        ((), acquire_waiter(sem.clone(), latch))
    });
    WaitingBytes {
        idle,
        recv,
        acquire,
    }
}

/// Builds `R`, warms it up, and counts the heap growth while one task spawns `n` tasks
/// made by `make` (each hands back something to keep alive, e.g. its channel's sender) and
/// all of them have counted themselves in; per task.
fn heap_per_parked_task<R, K, F>(
    workers: usize,
    n: usize,
    make: impl Fn(Arc<Latch>) -> (K, F) + Send + 'static,
) -> f64
where
    R: Rt,
    K: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let rt = R::build(workers);
    warm_up(&rt);
    let (latch, all_parked) = Latch::new(n);
    // Allocated outside the count: the latch (kept alive here so it is not freed inside),
    // and the vector that keeps what the tasks need alive.
    let keep_latch = latch.clone();
    let keep = Vec::with_capacity(n);
    let (grown, keep) = count_heap(|| {
        rt.block_on_task(async move {
            let mut keep = keep;
            for _ in 0..n {
                let (k, task) = make(latch.clone());
                keep.push(k);
                R::spawn_detached(task);
            }
            drop(latch);
            all_parked
                .await
                .expect("bytes_per_waiting_task: latch dropped");
            keep
        })
    });
    // The runtime first: it cancels the waiting tasks, so none wakes when `keep` goes.
    drop(rt);
    drop(keep);
    drop(keep_latch);
    grown as f64 / n as f64
}

/// A `kB` field of /proc/self/status (`VmRSS`, `VmHWM`), in bytes.
pub fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kb(&status, field).map(|kb| kb * 1024)
}

fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_fields() {
        let status = "Name:\tx\nVmHWM:\t   10240 kB\nVmRSS:\t    8192 kB\n";
        assert_eq!(parse_status_kb(status, "VmHWM"), Some(10240));
        assert_eq!(parse_status_kb(status, "VmRSS"), Some(8192));
        assert_eq!(parse_status_kb(status, "VmSwap"), None);
    }
}

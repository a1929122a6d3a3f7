//! A worker thread: its core (local queue, LIFO slot, tick), the run loop, and its entry in
//! the thread's runtime context (`weft_core::context`), which lets a dispatch from inside a
//! task reach the local queue.

use std::cell::RefCell;
use std::ptr;
use std::time::Duration;
#[cfg(not(weft_loom))]
use std::time::Instant;

use weft_core::context::{self, WorkerTag};
use weft_core::loom::sync::atomic::Ordering::{Relaxed, SeqCst};
use weft_core::loom::sync::Arc;
use weft_core::{CachePadded, FastRand};
use weft_queue::{Local, Pushed, LOCAL_QUEUE_CAPACITY};
use weft_task::{Hint, Runnable};

use super::{Config, Remote, Shared, MAX_LIFO_POLLS, SHORT_QUEUE, WATCH_PERIOD};
#[cfg(not(weft_loom))]
use super::{KEEP_UP_LIMIT, SPIN_ALONE, STALL_WINDOW};
use crate::every::Every;
use crate::metrics::WorkerCounters;

/// What a worker owns. While a task runs, the core sits in the thread's `Context` so that
/// tasks woken or spawned by that task go straight to the local queue.
///
/// Aligned to 128 bytes: the workers' cores are boxed one after another, and each worker
/// writes its own on every task (the LIFO slot, the countdowns); unaligned, the end of one
/// and the start of the next could share a cache line that both workers write.
#[repr(align(128))]
pub(crate) struct Core {
    index: usize,
    local: Local<Runnable>,
    /// The task most recently woken by the running task: runs next, ahead of the queue.
    lifo: Option<Runnable>,
    /// The periodic checks: the injection queue ahead of the local one, a poll of the
    /// driver.
    inject_every: Every,
    drive_every: Every,
    is_searching: bool,
    /// The last search left a victim's short queue alone because the victim kept up with
    /// it: park with a timeout ([`WATCH_PERIOD`]) and look again, in case it stalls.
    watch: bool,
    /// The driver runs with this core installed: what it wakes must spread (see `drive`).
    driving: bool,
    rand: FastRand,
    /// This worker's counters (also in its `Remote`, for snapshots): one load away, no
    /// index into the remotes per poll.
    metrics: Arc<CachePadded<WorkerCounters>>,
}

/// The per-thread context of a worker.
struct Context {
    shared: *const Shared,
    core: RefCell<Option<Box<Core>>>,
}

/// Marks a `Context` of this module in the runtime context's worker field.
static TAG: WorkerTag = WorkerTag("multi-thread worker");

impl Core {
    pub(super) fn new(
        index: usize,
        local: Local<Runnable>,
        metrics: Arc<CachePadded<WorkerCounters>>,
        config: &Config,
    ) -> Core {
        Core {
            metrics,
            index,
            local,
            lifo: None,
            inject_every: Every::new(config.global_queue_interval),
            drive_every: Every::new(config.event_interval),
            is_searching: false,
            watch: false,
            driving: false,
            rand: FastRand::new(0x5EED_u64.wrapping_mul(index as u64 + 1)),
        }
    }

    fn has_tasks(&self) -> bool {
        self.lifo.is_some() || !self.local.is_empty()
    }

    fn metrics(&self) -> &WorkerCounters {
        &self.metrics
    }

    /// Pushes `task` to the back of the local queue (to the injection queue if the ring is
    /// full, which is counted). Returns how many tasks the ring held before, counting a batch
    /// a thief is still copying out (a full ring: its capacity).
    fn push_local(&mut self, shared: &Shared, task: Runnable) -> usize {
        match self.local.push_back(task, &shared.inject) {
            Pushed::Local { before } => before,
            Pushed::Overflow => {
                self.metrics().add_overflow();
                LOCAL_QUEUE_CAPACITY
            }
        }
    }

    pub(super) fn schedule(&mut self, shared: &Shared, task: Runnable, hint: Hint) {
        // Woken by a task on this worker (not by the driver; a spent budget counts, see
        // below): left to a watching thief's next look while the queue is short.
        let mut colocated = match hint {
            Hint::Wake | Hint::Deferred => !self.driving,
            _ => false,
        };
        let queued = match hint {
            Hint::Wake => self
                .lifo
                .replace(task)
                .map(|prev| self.push_local(shared, prev)),
            Hint::Yield => {
                let queued = self.push_local(shared, task);
                // A task that yielded of its own accord (CPU-bound work taking turns) is
                // marked for thieves; one whose budget ran out is not: it found its
                // resources always ready, most likely fed by tasks on this worker (a
                // channel's producers), which locality keeps together. Not under loom,
                // like the driver's mark (see `drive`).
                let forced = self.metrics().collect_forced_yields();
                colocated = forced;
                if !forced && !cfg!(weft_loom) {
                    shared.remotes[self.index]
                        .yield_fed
                        .store(self.local.pushed(), Relaxed);
                }
                Some(queued)
            }
            _ => Some(self.push_local(shared, task)),
        };
        // Wake a sleeper only if there is more here than this worker will get to next (the
        // queue held something before this push, or the LIFO slot is taken), nobody is
        // already searching, and no watcher will look soon anyway (`Shared::is_watched`).
        if let Some(queued) = queued {
            if !self.is_searching
                && queued + usize::from(self.lifo.is_some()) > 0
                && !(colocated && queued < SHORT_QUEUE && shared.is_watched())
            {
                shared.notify_parked();
            }
        }
    }

    fn next_task(&mut self, shared: &Shared) -> Option<Runnable> {
        if self.inject_every.tick() {
            if let Some(task) = shared.inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo.take() {
            return Some(task);
        }
        if let Some(task) = self.local.pop() {
            return Some(task);
        }
        if shared.inject.is_empty() {
            return None;
        }
        // Take a fair share of the injection queue in one go, so the next few ticks touch
        // only the local queue.
        let share = shared.inject.len() / shared.remotes.len();
        let batch = share.min(self.local.remaining_slots() / 2).min(64);
        shared.inject.pop_batch_into(&mut self.local, batch)
    }

    fn steal_work(&mut self, shared: &Shared) -> Option<Runnable> {
        if !self.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let n = shared.remotes.len();
        let start = self.rand.below(n as u32) as usize;
        self.watch = false;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            let remote = &shared.remotes[victim];
            if remote.steal.is_empty() {
                continue;
            }
            if keeps_up(remote) {
                // Not under loom: there the victim's notifications are never skipped.
                self.watch = !cfg!(weft_loom);
                continue;
            }
            if let Some(task) = remote.steal.steal_into(&mut self.local) {
                // The local queue was empty (nothing left to pop): the rest of the batch is
                // what it holds now (less anything stolen from it meanwhile).
                let stolen = 1 + self.local.len() as u64;
                self.metrics().add_steal(stolen);
                return Some(task);
            }
        }
        shared.inject.pop()
    }

    /// Returns `false` if the worker has work and must not park.
    fn transition_to_parked(&mut self, shared: &Shared) -> bool {
        if self.has_tasks() {
            return false;
        }
        let is_last_searcher = shared
            .idle
            .transition_worker_to_parked(self.index, self.is_searching);
        self.is_searching = false;
        if is_last_searcher {
            shared.notify_if_work_pending(self.watch);
        }
        true
    }

    /// Returns `true` if the worker should wake up (it was notified, the driver gave it
    /// tasks while it was parked, or it watches and its timeout passed); `false` on a
    /// spurious wake-up.
    fn transition_from_parked(&mut self, shared: &Shared) -> bool {
        if self.has_tasks() || self.watch {
            // Woken with work of its own (the driver fired wakers on this thread), or a
            // watcher, which looks again whenever it wakes. If the idle protocol had already
            // picked it, it was counted as searching.
            self.is_searching = !shared.idle.unpark_worker_by_id(self.index);
            return true;
        }
        if shared.idle.is_parked(self.index) {
            return false;
        }
        // Picked by `worker_to_notify`, which counted it as searching.
        self.is_searching = true;
        true
    }

    fn stop_searching(&mut self, shared: &Shared) {
        if self.is_searching {
            self.is_searching = false;
            if shared.idle.transition_worker_from_searching() {
                // The last searcher found work; there may be more: keep one searching.
                shared.notify_parked();
            }
        }
    }
}

/// Whether a victim with a short queue is keeping up with it. The thief watches the queue:
/// seen empty, the victim ran what it had (what is there now is new), and the thief leaves
/// its tasks alone: they are most likely tasks that wake each other (a channel's producers
/// and consumer), which run fastest on one worker, their messages never leaving its cache;
/// stolen, every message would cross cores. It steals instead once the victim takes nothing
/// from its queue for [`STALL_WINDOW`] (stuck in a long poll: CPU-bound work, which should
/// spread), and at once from a long queue: locality delays a steal from a stuck worker by
/// the stall window at most. A victim that keeps taking from a queue that is never empty
/// for [`KEEP_UP_LIMIT`] is left alone too (the thief stops watching). The idle protocol is
/// unchanged: a thief that took nothing parks as before, and the last searcher to park
/// still re-checks every queue.
///
/// Tasks that do not wake each other gain nothing from staying: while the victim's queue
/// still holds any the driver queued (woken by I/O readiness or timers) or any that yielded
/// of their own accord (CPU-bound work taking turns; not a spent budget, see `schedule`),
/// the thief steals at once ([`holds_spreading`]). Without the driver exception the rule
/// cost the I/O rows about 4-7% (http weft/tokio requests/s median 0.91 against 0.98
/// without the rule, tcp_echo 1.04 to 1.07 against 0.98 to 1.03), as the thief waited up to
/// the limit beside a victim working through a batch of readiness. A thief that polled the
/// driver while it waited (so that readiness would land in the injection queue for it) cost
/// the channel row what the rule gains (1.12 against 0.76 of tokio) and was not kept.
///
/// Until the yield exception, a victim still keeping up after the limit was stolen from:
/// on the channel row that split the producers from the consumer about once a millisecond
/// (10-20 steals a round), and each split cost what locality gains (weft alone, 4 x 100,000
/// messages on 2 workers: 55 ns a message against 34-40 ns with every task on one worker).
/// The tasks a victim should give up at the limit were the ones that yield, now stolen at
/// once; the rest stay.
///
/// A thief still waiting after [`SPIN_ALONE`] yields its CPU between looks: with more
/// workers than CPUs, the victim it waits on may be waiting for that very CPU. Measured at
/// 4 workers on 2 cores (`weft-benches --workers 4 --filter ping_pong,tcp_echo`, weft/tokio,
/// alternated runs), ping_pong went from 1.10 and 1.15 to 0.84 and 0.95, tcp_echo from 1.11
/// and 1.13 to 0.97 and 1.02; at 2 workers the rows stayed within noise. Yielding from the
/// first look cost tcp_echo at 2 workers (0.98 to 1.03), hence the threshold.
#[cfg(not(weft_loom))]
fn keeps_up(victim: &Remote) -> bool {
    let queue = &victim.steal;
    if queue.len() > SHORT_QUEUE || holds_spreading(victim) {
        return false;
    }
    let start = Instant::now();
    let (mut taken, mut moved) = (queue.taken(), start);
    loop {
        for _ in 0..64 {
            if queue.is_empty() {
                return true;
            }
            std::hint::spin_loop();
        }
        if holds_spreading(victim) {
            return false;
        }
        let now = Instant::now();
        let seen = queue.taken();
        if seen != taken {
            (taken, moved) = (seen, now);
        }
        if now - moved >= STALL_WINDOW {
            return false;
        }
        if now - start >= KEEP_UP_LIMIT {
            return true;
        }
        if now - start >= SPIN_ALONE {
            // Still waiting: the victim may be waiting for this very CPU (more workers
            // than CPUs, or a busy machine). Let it have it.
            std::thread::yield_now();
        }
    }
}

/// Under loom, one look after a yield: either answer must be safe.
#[cfg(weft_loom)]
fn keeps_up(victim: &Remote) -> bool {
    weft_core::loom::thread::yield_now();
    victim.steal.is_empty()
}

/// Whether tasks the driver queued on `victim`, or tasks that yielded there, have not all
/// left its queue yet.
#[cfg(not(weft_loom))]
fn holds_spreading(victim: &Remote) -> bool {
    let taken = victim.steal.taken();
    // Positions wrap; a mark is never more than a ring ahead of the front.
    let holds = |mark: &super::AtomicU32| (mark.load(Relaxed).wrapping_sub(taken) as i32) > 0;
    holds(&victim.driver_fed) || holds(&victim.yield_fed)
}

/// The body of worker thread `index`.
pub(super) fn run(shared: Arc<Shared>, index: usize) {
    let core = shared.cores.lock().get_mut(index).and_then(Option::take);
    let Some(core) = core else { return };
    let cx = Context {
        shared: &*shared,
        core: RefCell::new(None),
    };
    let _enter = context::set_worker(&TAG, (&cx as *const Context).cast());
    let metrics = &shared.remotes[index].metrics;
    // Forced yields of whatever ran on this thread before are not this worker's.
    let _ = weft_core::coop::take_forced_yields();
    metrics.awake(shared.epoch);
    let mut core = cx.run(&shared, core);
    metrics.collect_forced_yields();
    metrics.asleep(shared.epoch);
    // Shutting down: whatever is left is cancelled by dropping it (outside any borrow, as
    // cancelling may wake and so schedule other tasks).
    let mut leftover: Vec<Runnable> = core.lifo.take().into_iter().collect();
    while let Some(task) = core.local.pop() {
        leftover.push(task);
    }
    drop(leftover);
    drop(core);
}

impl Context {
    fn run(&self, shared: &Shared, mut core: Box<Core>) -> Box<Core> {
        while !shared.is_shutdown() {
            if core.drive_every.tick() {
                core.metrics().collect_forced_yields();
                core = self.drive(shared, core, || shared.driver.poll_ready());
            }
            if let Some(task) = core.next_task(shared) {
                core = self.run_task(shared, core, task);
                continue;
            }
            if let Some(task) = core.steal_work(shared) {
                core = self.run_task(shared, core, task);
                continue;
            }
            core = self.park(shared, core);
        }
        core.stop_searching(shared);
        core
    }

    /// Runs `f` with the core installed, so that tasks it wakes go to the local queue.
    fn with_core(&self, core: Box<Core>, f: impl FnOnce()) -> Box<Core> {
        *self.core.borrow_mut() = Some(core);
        f();
        self.core
            .borrow_mut()
            .take()
            .expect("worker core went missing")
    }

    /// Runs the driver (`f`: a poll, or a park that may sleep in it) with the core installed
    /// and marks the tasks it queued, woken by I/O or timers, as driver-fed in this worker's
    /// `Remote` (see `keeps_up`).
    fn drive(&self, shared: &Shared, mut core: Box<Core>, f: impl FnOnce()) -> Box<Core> {
        // Not under loom: `keeps_up` there ignores the mark, and its loads and store would
        // multiply the interleavings of every scheduler model for nothing.
        if cfg!(weft_loom) {
            return self.with_core(core, f);
        }
        let before = core.local.pushed();
        core.driving = true;
        let mut core = self.with_core(core, f);
        core.driving = false;
        let after = core.local.pushed();
        if after != before {
            shared.remotes[core.index].driver_fed.store(after, Relaxed);
        }
        core
    }

    fn run_task(&self, shared: &Shared, mut core: Box<Core>, task: Runnable) -> Box<Core> {
        core.stop_searching(shared);
        // Each poll is counted before it runs (a load and a store on this worker's own
        // cache line), so a task seen finished has all its polls counted.
        core.metrics().add_polls(1);
        core = self.with_core(core, || task.run());
        // Run what the task woke (message-passing latency), but only a few in a row.
        for _ in 0..MAX_LIFO_POLLS {
            let Some(task) = core.lifo.take() else {
                return core;
            };
            core.metrics().add_polls(1);
            core = self.with_core(core, || task.run());
        }
        if let Some(task) = core.lifo.take() {
            core.push_local(shared, task);
        }
        core
    }

    fn park(&self, shared: &Shared, core: Box<Core>) -> Box<Core> {
        // With tasks of its own it does not sleep at all (`transition_to_parked`).
        if !core.watch || core.has_tasks() {
            return self.sleep(shared, core, None);
        }
        // Counted from before it stops searching until after it wakes, so that no task
        // pushed in between wakes it early (see `Shared::is_watched`), and it looks at every
        // queue after counting itself out.
        shared.watchers.fetch_add(1, SeqCst);
        let core = self.sleep(shared, core, Some(WATCH_PERIOD));
        shared.watchers.fetch_sub(1, SeqCst);
        if core.has_tasks() {
            // Woken with work of its own (from the driver), it may not look again for a
            // while: a short queue its victim kept up with goes to another worker's eyes.
            shared.notify_if_work_pending(false);
        }
        core
    }

    /// Parks until there is work or (`timeout`) the watch period has passed.
    fn sleep(&self, shared: &Shared, mut core: Box<Core>, timeout: Option<Duration>) -> Box<Core> {
        if !core.transition_to_parked(shared) {
            return core;
        }
        let index = core.index;
        let metrics = &shared.remotes[index].metrics;
        metrics.park(shared.epoch);
        while !shared.is_shutdown() {
            core = self.drive(shared, core, || shared.remotes[index].parker.park(timeout));
            if core.transition_from_parked(shared) {
                break;
            }
        }
        metrics.unpark(shared.epoch);
        core
    }
}

/// Calls `f` with the core of this thread's worker if the thread is one of `shared`'s
/// workers and its core is free (not inside `f` already), else with `None`.
pub(super) fn with_local_core<R>(shared: &Shared, f: impl FnOnce(Option<&mut Core>) -> R) -> R {
    let cx = context::worker(&TAG).cast::<Context>();
    if cx.is_null() {
        return f(None);
    }
    // SAFETY: the context's worker field carries our tag only inside `run`, which owns the
    // `Context` for that whole time on this very thread.
    let cx = unsafe { &*cx };
    if !ptr::eq(cx.shared, shared) {
        return f(None);
    }
    let Ok(mut core) = cx.core.try_borrow_mut() else {
        return f(None);
    };
    f(core.as_deref_mut())
}

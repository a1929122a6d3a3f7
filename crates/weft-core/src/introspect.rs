//! What the runtime can tell about its tasks while they run, kept where it costs nothing
//! on the hot paths.
//!
//! - **Where an idle task waits** ([`WaitRecord`]): every task carries one record (in its
//!   header; the main future of `block_on` has its own). While a task is polled, the thread's
//!   context points at its record, and a weft leaf future that returns `Pending` (a sleep, a
//!   socket's readiness, a `JoinHandle`, a `weft::sync` wait) writes what it waits on and the
//!   `#[track_caller]` location of the call that made it with [`waiting_on`]: three relaxed
//!   stores into the task's own cache line. The runner clears the record before each poll, so
//!   a record always describes the last poll. asyncio's `Task.get_stack()`, for Rust.
//! - **Debug mode** ([`Monitor`], [`PollSlot`]): when it is on, each runtime thread has a
//!   [`PollSlot`] that says which task it is polling since when; the runner times each poll
//!   and reports the slow ones, and a watchdog reads the slots from outside to report a
//!   worker still stuck in one poll. When it is off, the runner's only cost is one
//!   thread-local read per poll.
//! - **Reports** ([`Report`]) go to the monitor's sink: `tracing` when the `tracing` feature
//!   is on, standard error otherwise, or a function the user gave.
//! - A **coarse clock** ([`coarse_now_ns`]) cheap enough to stamp every spawn with.
//!
//! ```
//! use std::panic::Location;
//! use weft_core::introspect::{self, WaitKind, WaitRecord};
//!
//! let record = WaitRecord::new();
//! let _scope = introspect::enter_record(&record);
//! introspect::waiting_on(WaitKind::Event, Location::caller(), None, 0);
//! let wait = record.get().expect("recorded");
//! assert_eq!(wait.kind, WaitKind::Event);
//! assert!(wait.to_string().starts_with("Event::wait at "));
//! ```

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::context;
pub(crate) use crate::record::epoch;
pub use crate::record::{coarse_now_ns, LocationCode, SpawnStamp, Wait, WaitKind, WaitRecord};

/// Records, for the task being polled on this thread (if any), that it waits on `kind`.
/// Leaf futures call it when they return `Pending`; `location` is the `#[track_caller]`
/// location of the call that made the future, `deadline` when the wait ends by itself, `arg`
/// as in [`Wait::arg`]. Outside a task it does nothing.
#[inline]
pub fn waiting_on(
    kind: WaitKind,
    location: &'static Location<'static>,
    deadline: Option<Instant>,
    arg: u64,
) {
    let record = context::current_wait_record();
    if !record.is_null() {
        // SAFETY: the pointer was set by `enter_record`, whose guard (held by the runner for
        // the whole poll) keeps the record alive and resets the pointer when it ends.
        let record = unsafe { &*record };
        record.set(Wait {
            kind,
            location: Some(location),
            deadline,
            arg,
        });
    }
}

/// Makes `record` the one leaf futures on this thread write to, for the guard's lifetime;
/// the current task's id and name stay as they are. For tests of leaf futures and for
/// runners that keep their own record: the task runner makes its whole task current at once
/// ([`PollScope`], [`context::with_task`]).
pub fn enter_record(record: &WaitRecord) -> RecordScope<'_> {
    // Boxed: the context points at it, and the guard moves.
    let task = Box::new(context::current_with_wait(record));
    let prev = context::replace_task(ptr::from_ref(&*task));
    RecordScope {
        _task: task,
        prev,
        _record: PhantomData,
    }
}

/// Keeps a [`WaitRecord`] current; see [`enter_record`].
#[must_use = "the record is current only while the scope lives"]
#[derive(Debug)]
pub struct RecordScope<'a> {
    /// What the context points at until `drop` puts `prev` back (fields drop after that).
    _task: Box<context::CurrentTask<'static>>,
    prev: *const context::CurrentTask<'static>,
    _record: PhantomData<&'a WaitRecord>,
}

impl Drop for RecordScope<'_> {
    fn drop(&mut self) {
        context::restore_task(self.prev);
    }
}

/// Something debug mode reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Report {
    /// One poll took longer than the threshold.
    SlowPoll {
        /// The task.
        task: TaskRef,
        /// How long the poll took.
        took: Duration,
    },
    /// A runtime thread has been inside one poll for longer than the threshold while other
    /// work waits: blocking code in a task. Reported while it is still stuck.
    Blocked {
        /// The task being polled.
        task: TaskRef,
        /// The thread stuck in it.
        thread: String,
        /// How long the poll has lasted so far.
        so_far: Duration,
        /// How many tasks were waiting to run.
        waiting: usize,
    },
    /// A task panicked and its `JoinHandle` was dropped without being awaited: asyncio's
    /// "Task exception was never retrieved".
    PanicNotRetrieved {
        /// The task.
        task: TaskRef,
        /// The panic's message.
        message: String,
    },
}

/// A task as a report names it.
#[derive(Debug, Clone)]
pub struct TaskRef {
    /// Its id.
    pub id: u64,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Where it was spawned.
    pub location: Option<&'static Location<'static>>,
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name:?})")?;
        }
        if let Some(loc) = self.location {
            write!(f, " spawned at {loc}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::SlowPoll { task, took } => write!(
                f,
                "slow poll: {task} took {:.1} ms in one poll (blocking code or a long \
                 computation in a task? move it to spawn_blocking)",
                took.as_secs_f64() * 1e3
            ),
            Report::Blocked {
                task,
                thread,
                so_far,
                waiting,
            } => write!(
                f,
                "blocked: thread {thread:?} has been inside one poll of {task} for {:.1} ms \
                 while {waiting} other task(s) wait to run",
                so_far.as_secs_f64() * 1e3
            ),
            Report::PanicNotRetrieved { task, message } => write!(
                f,
                "{task} panicked and its JoinHandle was dropped without being awaited \
                 (the panic was never retrieved): {message}"
            ),
        }
    }
}

/// Where reports go.
pub type Sink = Arc<dyn Fn(&Report) + Send + Sync>;

/// Emits `report` the default way: a `tracing` warning when weft is built with its
/// `tracing` feature and a subscriber takes warnings of target `weft::debug`, a line on
/// standard error otherwise (so a report is never lost for want of a subscriber).
pub fn emit_default(report: &Report) {
    #[cfg(feature = "tracing")]
    if tracing::enabled!(target: "weft::debug", tracing::Level::WARN) {
        tracing::warn!(target: "weft::debug", "{report}");
        return;
    }
    eprintln!("weft: {report}");
}

/// Debug mode of one runtime: the threshold, the sink, and a [`PollSlot`] per runtime thread.
pub struct Monitor {
    threshold: Duration,
    sink: Sink,
    slots: Mutex<Vec<Arc<PollSlot>>>,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl Monitor {
    /// A monitor that reports polls longer than `threshold` to `sink`.
    pub fn new(threshold: Duration, sink: Option<Sink>) -> Arc<Monitor> {
        Arc::new(Monitor {
            threshold,
            sink: sink.unwrap_or_else(|| Arc::new(emit_default)),
            slots: Mutex::new(Vec::new()),
        })
    }

    /// The slow-poll threshold.
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Sends `report` to the sink (a panicking sink is contained).
    pub fn report(&self, report: &Report) {
        let sink = &self.sink;
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(report)));
    }

    /// Time task `id` has spent in polls so far (summed over the threads that polled it).
    pub fn busy(&self, id: u64) -> Duration {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let ns = slots
            .iter()
            .filter_map(|s| s.busy.lock().ok()?.get(&id).copied())
            .sum();
        Duration::from_nanos(ns)
    }

    /// Forgets the busy time of task `id` (its runner calls this when it completes).
    pub fn forget(&self, id: u64) {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for slot in slots {
            slot.busy
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        }
    }

    /// Gives the calling runtime thread a poll slot and makes it current for the guard's
    /// lifetime.
    pub fn enter_thread(self: &Arc<Self>) -> ThreadScope {
        let slot = Arc::new(PollSlot {
            monitor: Arc::downgrade(self),
            thread: std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned(),
            seq: AtomicU64::new(0),
            started: AtomicU64::new(0),
            task: AtomicU64::new(0),
            location: AtomicPtr::new(ptr::null_mut()),
            reported: AtomicU64::new(0),
            name: Mutex::new(None),
            named: std::sync::atomic::AtomicBool::new(false),
            busy: Mutex::new(HashMap::new()),
        });
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(slot.clone());
        let prev = set_thread_slot(Arc::as_ptr(&slot));
        ThreadScope {
            slot,
            prev,
            _not_send: PhantomData,
        }
    }

    /// Reports every thread that has been inside one poll for longer than the threshold
    /// (once per poll), if `waiting()` says other work waits. The facade's watchdog thread
    /// calls it a few times per threshold.
    pub fn check_stuck(&self, waiting: impl Fn() -> usize) {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let now = since_epoch_ns();
        for slot in slots {
            let started = slot.started.load(Relaxed);
            if started == 0 {
                continue;
            }
            let seq = slot.seq.load(Relaxed);
            let so_far = Duration::from_nanos(now.saturating_sub(started));
            if so_far <= self.threshold || slot.reported.load(Relaxed) == seq {
                continue;
            }
            let waiting = waiting();
            if waiting == 0 {
                continue;
            }
            // Read the task only now; if the poll ended meanwhile, say nothing.
            let task = slot.task_ref();
            if slot.seq.load(Relaxed) != seq || slot.started.load(Relaxed) == 0 {
                continue;
            }
            slot.reported.store(seq, Relaxed);
            self.report(&Report::Blocked {
                task,
                thread: slot.thread.clone(),
                so_far,
                waiting,
            });
        }
    }
}

/// Keeps a thread's [`PollSlot`] current; unregisters it when dropped.
#[derive(Debug)]
pub struct ThreadScope {
    slot: Arc<PollSlot>,
    prev: *const PollSlot,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ThreadScope {
    fn drop(&mut self) {
        set_thread_slot(self.prev);
        if let Some(monitor) = self.slot.monitor.upgrade() {
            monitor
                .slots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|s| !Arc::ptr_eq(s, &self.slot));
        }
    }
}

/// This thread's poll slot (null when debug mode is off): the context keeps it untyped.
fn thread_slot() -> *const PollSlot {
    context::poll_slot().cast()
}

/// Makes `slot` this thread's poll slot; returns the previous one.
fn set_thread_slot(slot: *const PollSlot) -> *const PollSlot {
    context::set_poll_slot(slot.cast()).cast()
}

/// What one runtime thread is polling, for debug mode.
#[derive(Debug)]
pub struct PollSlot {
    monitor: std::sync::Weak<Monitor>,
    thread: String,
    /// Bumped at every poll start.
    seq: AtomicU64,
    /// When the current poll started (ns after `epoch()`), 0 between polls.
    started: AtomicU64,
    task: AtomicU64,
    location: AtomicPtr<Location<'static>>,
    /// The `seq` of the last poll reported as blocked.
    reported: AtomicU64,
    /// The current task's name (set only for named tasks; read only by the watchdog).
    name: Mutex<Option<String>>,
    named: std::sync::atomic::AtomicBool,
    /// Time spent in polls on this thread, per task id (debug mode keeps busy time here,
    /// not in the task header, where every byte counts; the lock is this thread's, taken
    /// once per poll and by `Monitor::busy` readers).
    busy: Mutex<HashMap<u64, u64>>,
}

impl PollSlot {
    fn task_ref(&self) -> TaskRef {
        let location = self.location.load(Relaxed);
        TaskRef {
            id: self.task.load(Relaxed),
            name: self.name.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            // SAFETY: null or made from a `&'static Location` in `poll_started`.
            location: unsafe { location.cast_const().as_ref() },
        }
    }
}

/// Starts timing a poll of task `id` if debug mode is on for this thread; the runner calls
/// [`PollTimer::finish`] after the poll. With debug mode off this is one thread-local read.
#[inline]
pub fn poll_started(
    id: u64,
    name: Option<&str>,
    location: &'static Location<'static>,
) -> Option<PollTimer> {
    let slot = thread_slot();
    if slot.is_null() {
        return None;
    }
    Some(PollTimer::start(slot, id, name, location))
}

/// One poll of a task, as its runner sees it: while the scope lives the task's id, name and
/// wait record are current on this thread (one visit to the thread-local context), and in
/// debug mode the poll is timed; dropping the scope puts the context back and, in debug
/// mode, reports a slow poll and adds its time to the task's busy time.
///
/// ```
/// use std::panic::Location;
/// use weft_core::context::CurrentTask;
/// use weft_core::introspect::{PollScope, WaitKind, WaitRecord};
///
/// let record = WaitRecord::new();
/// let task = CurrentTask::new(7, Some("worker"), Some(&record));
/// {
///     let _poll = PollScope::enter(&task, Location::caller);
///     assert_eq!(weft_core::context::current_task(), 7);
///     assert!(weft_core::coop::has_budget_remaining());
///     weft_core::introspect::waiting_on(WaitKind::Notify, Location::caller(), None, 0);
/// }
/// assert_eq!(weft_core::context::current_task(), 0);
/// assert_eq!(record.get().unwrap().kind, WaitKind::Notify);
/// ```
#[must_use = "the task is current only while the scope lives"]
#[derive(Debug)]
pub struct PollScope<'a> {
    prev: context::TaskSlots,
    /// This thread's debug-mode poll slot; null when debug mode is off.
    slot: *const PollSlot,
    _borrows: PhantomData<&'a context::CurrentTask<'a>>,
}

impl<'a> PollScope<'a> {
    /// Enters a poll of `task` (spawned at `location()`, asked for only in debug mode), with
    /// a fresh cooperative budget ([`coop::budget`](crate::coop::budget)'s): one visit to the
    /// thread's context.
    #[inline]
    pub fn enter(
        task: &'a context::CurrentTask<'a>,
        location: impl FnOnce() -> &'static Location<'static>,
    ) -> PollScope<'a> {
        // SAFETY: the scope borrows `task` for its lifetime and restores the previous task
        // when dropped (also while unwinding), on this thread.
        let (prev, slot) = unsafe { context::enter_task(task, Some(crate::coop::BUDGET)) };
        let slot = slot.cast::<PollSlot>();
        if !slot.is_null() {
            // The timer is the slot's address: the scope keeps that, not the timer.
            let _ = PollTimer::start(slot, task.id(), task.name(), location());
        }
        PollScope {
            prev,
            slot,
            _borrows: PhantomData,
        }
    }
}

impl Drop for PollScope<'_> {
    #[inline]
    fn drop(&mut self) {
        context::leave_task(self.prev);
        if !self.slot.is_null() {
            PollTimer { slot: self.slot }.finish();
        }
    }
}

/// Nanoseconds since [`epoch`], as the poll slots stamp their starts.
fn since_epoch_ns() -> u64 {
    Instant::now().saturating_duration_since(epoch()).as_nanos() as u64
}

/// The timing of one poll in debug mode: the start is the slot's `started` stamp, so the
/// timer itself is the slot's address.
#[derive(Debug)]
pub struct PollTimer {
    slot: *const PollSlot,
}

impl PollTimer {
    #[cold]
    fn start(
        slot: *const PollSlot,
        id: u64,
        name: Option<&str>,
        location: &'static Location<'static>,
    ) -> PollTimer {
        // SAFETY: the pointer was set by `Monitor::enter_thread`, whose `ThreadScope` holds
        // the slot alive and clears the pointer before letting it go.
        let s = unsafe { &*slot };
        s.seq.fetch_add(1, Relaxed);
        s.task.store(id, Relaxed);
        s.location
            .store(ptr::from_ref(location).cast_mut(), Relaxed);
        // The name's lock is taken only around named tasks.
        if name.is_some() || s.named.load(Relaxed) {
            *s.name.lock().unwrap_or_else(|e| e.into_inner()) = name.map(str::to_owned);
            s.named.store(name.is_some(), Relaxed);
        }
        s.started.store(since_epoch_ns().max(1), Relaxed);
        PollTimer { slot }
    }

    /// Ends the poll: returns its length and reports it if it was slow.
    #[cold]
    pub fn finish(self) -> Duration {
        // SAFETY: as in `start`; a poll starts and ends on the same thread inside the scope.
        let s = unsafe { &*self.slot };
        let took = Duration::from_nanos(since_epoch_ns().saturating_sub(s.started.load(Relaxed)));
        s.started.store(0, Relaxed);
        let id = s.task.load(Relaxed);
        *s.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_insert(0) += took.as_nanos() as u64;
        if let Some(monitor) = s.monitor.upgrade() {
            if took > monitor.threshold {
                monitor.report(&Report::SlowPoll {
                    task: s.task_ref(),
                    took,
                });
            }
        }
        took
    }
}

/// `true` if this thread has a debug-mode poll slot (a worker of a debug-mode runtime, or a
/// thread inside such a runtime's `block_on`).
pub fn has_poll_slot() -> bool {
    !thread_slot().is_null()
}

/// The monitor of the thread's runtime, if debug mode is on there.
pub fn current_monitor() -> Option<Arc<Monitor>> {
    let slot = thread_slot();
    if slot.is_null() {
        return None;
    }
    // SAFETY: as in `PollTimer::start`.
    unsafe { &*slot }.monitor.upgrade()
}

/// Whether the record of the task being polled on this thread holds no wait yet in this
/// poll: `true` when a record is current and nothing has written to it since the runner
/// cleared it, `false` when it holds a wait or no record is current (then there is nothing
/// to write to anyway). A wrapper future that waits on something of its own besides its
/// inner future (`timeout`) calls it on its `Pending` path, after polling the inner one, so
/// that the inner future's more precise wait is kept.
///
/// ```
/// use std::panic::Location;
/// use weft_core::introspect::{self, WaitKind, WaitRecord};
///
/// assert!(!introspect::current_wait_is_empty(), "no record is current");
/// let record = WaitRecord::new();
/// let _scope = introspect::enter_record(&record);
/// assert!(introspect::current_wait_is_empty());
/// introspect::waiting_on(WaitKind::Sleep, Location::caller(), None, 0);
/// assert!(!introspect::current_wait_is_empty());
/// ```
#[inline]
pub fn current_wait_is_empty() -> bool {
    let record = context::current_wait_record();
    // SAFETY: as in `waiting_on`: the pointer is null or set by a live `enter_record` scope.
    !record.is_null() && unsafe { &*record }.is_empty()
}

/// Gives the wait recorded so far in this poll, if it is one of `kinds`, the location
/// `location`; does nothing otherwise. For adapters that wrap any I/O object (the
/// `read_exact` or `write_all` futures of `weft::io`): the socket underneath records its
/// readiness with the place the socket was made, and the adapter, on its `Pending` path,
/// names the user's call instead. (If the object underneath records nothing, a wait of
/// the same kind recorded earlier in the poll by another future gets the adapter's
/// location: only a diagnostic is blurred.)
///
/// ```
/// use std::panic::Location;
/// use weft_core::introspect::{self, WaitKind, WaitRecord};
///
/// let record = WaitRecord::new();
/// let _scope = introspect::enter_record(&record);
/// let socket_made_here = Location::caller();
/// introspect::waiting_on(WaitKind::Readable, socket_made_here, None, 7);
/// let read_called_here = Location::caller();
/// introspect::relocate_current_wait(read_called_here, &[WaitKind::Readable]);
/// let wait = record.get().unwrap();
/// assert_eq!((wait.kind, wait.arg), (WaitKind::Readable, 7));
/// assert!(std::ptr::eq(wait.location.unwrap(), read_called_here));
/// ```
#[inline]
pub fn relocate_current_wait(location: &'static Location<'static>, kinds: &[WaitKind]) {
    let record = context::current_wait_record();
    if record.is_null() {
        return;
    }
    // SAFETY: as in `waiting_on`: the pointer was set by a live `enter_record` scope.
    unsafe { &*record }.relocate(location, kinds);
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;

    #[test]
    fn waiting_on_writes_only_inside_a_record_scope() {
        waiting_on(WaitKind::Mutex, Location::caller(), None, 0);
        let record = WaitRecord::new();
        {
            let _scope = enter_record(&record);
            waiting_on(WaitKind::Mutex, Location::caller(), None, 0);
        }
        assert_eq!(record.get().unwrap().kind, WaitKind::Mutex);
        record.clear();
        waiting_on(WaitKind::Event, Location::caller(), None, 0);
        assert_eq!(record.get(), None, "the scope ended");
    }

    #[test]
    fn a_slow_poll_and_a_stuck_thread_are_reported() {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let reports = reports.clone();
            Arc::new(move |r: &Report| reports.lock().unwrap().push(r.to_string())) as Sink
        };
        let monitor = Monitor::new(Duration::from_millis(20), Some(sink));
        let scope = monitor.enter_thread();
        let timer = poll_started(7, Some("slow one"), Location::caller()).unwrap();
        std::thread::sleep(Duration::from_millis(40));
        monitor.check_stuck(|| 0);
        assert!(
            reports.lock().unwrap().is_empty(),
            "no work waits: not blocked"
        );
        monitor.check_stuck(|| 3);
        monitor.check_stuck(|| 3);
        let took = timer.finish();
        assert!(took >= Duration::from_millis(40));
        let reports = reports.lock().unwrap().clone();
        assert_eq!(reports.len(), 2, "{reports:?}");
        assert!(reports[0].starts_with("blocked: thread"), "{}", reports[0]);
        assert!(
            reports[0].contains("task 7 (\"slow one\")"),
            "{}",
            reports[0]
        );
        assert!(reports[0].contains("3 other task(s)"), "{}", reports[0]);
        assert!(
            reports[1].starts_with("slow poll: task 7"),
            "{}",
            reports[1]
        );
        drop(scope);
        assert!(poll_started(8, None, Location::caller()).is_none());
    }
}

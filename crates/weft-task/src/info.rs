//! What introspection sees of a task ([`TaskInfo`]), read from the task's header without a
//! lock of its own, and the root tasks (the futures given to `block_on`), which are no
//! allocation of this crate but are tasks for introspection: asyncio's main task.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use weft_core::introspect::{self, Monitor, PollTimer, Wait, WaitRecord};

use crate::header::Header;
use crate::id::with_id;
use crate::{Id, Task};

/// Where a task is in its life, as introspection sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Waiting to be woken.
    Idle,
    /// Woken and queued, waiting for a worker.
    Scheduled,
    /// Being polled now.
    Running,
    /// Done (its output waits for its `JoinHandle`, or it was cancelled).
    Finished,
}

impl TaskState {
    /// The state's name in lower case, as the dump prints it.
    ///
    /// ```
    /// assert_eq!(weft_task::TaskState::Scheduled.name(), "scheduled");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Finished => "finished",
        }
    }
}

/// A snapshot of one task, as `Handle::tasks()` returns it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id.
    pub id: Id,
    /// Its name, if it was given one.
    pub name: Option<String>,
    /// Where it was spawned (or where `block_on` was called, for a main task).
    pub location: &'static Location<'static>,
    /// Idle, scheduled, running or finished.
    pub state: TaskState,
    /// How many times it has been polled.
    pub polls: u64,
    /// Time spent inside its polls: counted in debug mode only (it times every poll), `None`
    /// otherwise.
    pub busy: Option<Duration>,
    /// Time since it was spawned (to a few milliseconds).
    pub age: Duration,
    /// What it waited on when its last poll returned, if a weft leaf future said so.
    pub waiting_on: Option<Wait>,
    /// `true` for the future given to `block_on` (asyncio's main task).
    pub is_main: bool,
}

fn age(spawned_ns: u64) -> Duration {
    Duration::from_nanos(introspect::coarse_now_ns().saturating_sub(spawned_ns))
}

impl Task {
    /// A snapshot of the task, with its busy time from debug mode's `monitor` if any.
    pub(crate) fn info(&self, monitor: Option<&Monitor>) -> TaskInfo {
        let h: &Header = self.header();
        let s = h.state.load();
        let state = if s.is_complete() {
            TaskState::Finished
        } else if s.is_running() {
            TaskState::Running
        } else if s.is_notified() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        TaskInfo {
            id: h.id,
            name: h.name().map(str::to_owned),
            location: h.location(),
            state,
            polls: h.state.polls(),
            busy: monitor.map(|m| m.busy(h.id.as_u64())),
            age: h.origin.age(),
            waiting_on: if state == TaskState::Idle {
                h.wait.get()
            } else {
                None
            },
            is_main: false,
        }
    }
}

/// The future given to `block_on`, as a task for introspection: it has an id (so
/// `task::id()` works inside it), a location, poll counts and a wait record, and it is
/// listed by its owner while it runs. Not a task of the scheduler: nothing here schedules it.
#[derive(Debug)]
pub struct RootTask {
    id: Id,
    name: Option<String>,
    location: &'static Location<'static>,
    polls: AtomicU64,
    busy_ns: AtomicU64,
    spawned_ns: u64,
    running: AtomicBool,
    wait: WaitRecord,
}

impl RootTask {
    /// A root task made at `location`, named `name`.
    ///
    /// ```
    /// use std::panic::Location;
    /// let root = weft_task::RootTask::new(Some("main"), Location::caller());
    /// let id = root.poll(|| weft_task::try_current_id());
    /// assert_eq!(id, Some(root.id()));
    /// assert_eq!(root.info(false).polls, 1);
    /// ```
    pub fn new(name: Option<&str>, location: &'static Location<'static>) -> Arc<RootTask> {
        Arc::new(RootTask {
            id: Id::next(),
            name: name.map(str::to_owned),
            location,
            polls: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            spawned_ns: introspect::coarse_now_ns(),
            running: AtomicBool::new(false),
            wait: WaitRecord::new(),
        })
    }

    /// Its id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Runs `poll` (one poll of the root future) as this task: its id current, its wait
    /// record open to leaf futures, counted and, in debug mode, timed.
    pub fn poll<R>(&self, poll: impl FnOnce() -> R) -> R {
        self.wait.clear();
        self.polls.store(self.polls.load(Relaxed) + 1, Relaxed);
        self.running.store(true, Relaxed);
        let timer: Option<PollTimer> =
            introspect::poll_started(self.id.as_u64(), self.name.as_deref(), self.location);
        let out = with_id(self.id, self.name.as_deref(), Some(&self.wait), poll);
        if let Some(timer) = timer {
            let took = timer.finish().as_nanos() as u64;
            self.busy_ns
                .store(self.busy_ns.load(Relaxed) + took, Relaxed);
        }
        self.running.store(false, Relaxed);
        out
    }

    /// A snapshot; `timed` as in [`TaskInfo::busy`].
    pub fn info(&self, timed: bool) -> TaskInfo {
        let running = self.running.load(Relaxed);
        TaskInfo {
            id: self.id,
            name: self.name.clone(),
            location: self.location,
            state: if running {
                TaskState::Running
            } else {
                TaskState::Idle
            },
            polls: self.polls.load(Relaxed),
            busy: timed.then(|| Duration::from_nanos(self.busy_ns.load(Relaxed))),
            age: age(self.spawned_ns),
            waiting_on: if running { None } else { self.wait.get() },
            is_main: true,
        }
    }
}

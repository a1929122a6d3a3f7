use std::fmt;
use std::num::NonZeroU64;
// The id counter is a plain process-wide counter, not part of any protocol loom checks, and
// loom atomics cannot live in a `static`.
use std::sync::atomic::{AtomicU64, Ordering};

use weft_core::context::{self, CurrentTask};
use weft_core::introspect::WaitRecord;

/// A task's id: unique among all tasks of the process for its whole run (ids are never
/// reused). Shown in `JoinError` messages and by the runtime's introspection.
///
/// ```
/// weft::run(async {
///     let first = weft::spawn(async { weft::task::id() });
///     let second = weft::spawn(async {});
///     assert!(first.id() < second.id()); // ids grow, and are never reused
///     let id = first.id();
///     assert_eq!(first.await.unwrap(), id); // what the task sees of itself
///     assert_eq!(id.to_string(), id.as_u64().to_string());
/// });
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(NonZeroU64);

impl Id {
    /// Allocates a fresh id.
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        Id(NonZeroU64::new(id).expect("task id counter overflowed"))
    }

    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of the task being polled on this thread, if any (kept in the thread's runtime
/// context, `weft_core::context`).
///
/// ```
/// assert_eq!(weft_task::try_current_id(), None);
/// ```
pub fn try_current_id() -> Option<Id> {
    NonZeroU64::new(context::current_task()).map(Id)
}

/// Runs `f` as task `id` (named `name`, its waits recorded in `wait`): the task's id and
/// name current for a destructor or a root future's poll.
pub(crate) fn with_id<R>(
    id: Id,
    name: Option<&str>,
    wait: Option<&WaitRecord>,
    f: impl FnOnce() -> R,
) -> R {
    context::with_task(&CurrentTask::new(id.as_u64(), name, wait), f)
}

/// Calls `f` with the name of the task being polled on this thread (`None` outside a task
/// or for an unnamed one).
///
/// ```
/// assert_eq!(weft_task::with_current_name(|n| n.map(str::to_owned)), None);
/// ```
pub fn with_current_name<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    context::with_current_task_name(f)
}

use std::fmt;
use std::num::NonZeroU64;
// The id counter is a plain process-wide counter, not part of any protocol loom checks, and
// loom atomics cannot live in a `static`.
use std::sync::atomic::{AtomicU64, Ordering};

use weft_core::context;

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

/// Sets the current task id for the guard's lifetime.
pub(crate) struct IdGuard(u64);

impl IdGuard {
    pub(crate) fn enter(id: Id) -> IdGuard {
        IdGuard(context::set_current_task(id.as_u64()))
    }
}

impl Drop for IdGuard {
    fn drop(&mut self) {
        context::set_current_task(self.0);
    }
}

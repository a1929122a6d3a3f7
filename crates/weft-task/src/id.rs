use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
// The id counter is a plain process-wide counter, not part of any protocol loom checks, and
// loom atomics cannot live in a `static`.
use std::sync::atomic::{AtomicU64, Ordering};

use weft_core::loom::thread_local;

/// A task's id: unique among all tasks of the process for its whole run (ids are never
/// reused). Shown in `JoinError` messages and by the runtime's introspection.
///
/// ```
/// # use weft_task::Id;
/// let a = Id::next();
/// let b = Id::next();
/// assert!(a < b);
/// assert_eq!(a.to_string(), a.as_u64().to_string());
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(NonZeroU64);

impl Id {
    /// Allocates a fresh id.
    pub fn next() -> Id {
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

thread_local! {
    #[allow(clippy::missing_const_for_thread_local)] // loom's thread_local! takes no `const {}`
    static CURRENT: Cell<Option<Id>> = Cell::new(None);
}

/// The id of the task being polled on this thread, if any.
///
/// ```
/// assert_eq!(weft_task::try_current_id(), None);
/// ```
pub fn try_current_id() -> Option<Id> {
    CURRENT.try_with(|c| c.get()).ok().flatten()
}

/// Sets the current task id for the guard's lifetime.
pub(crate) struct IdGuard(Option<Id>);

impl IdGuard {
    pub(crate) fn enter(id: Id) -> IdGuard {
        IdGuard(CURRENT.with(|c| c.replace(Some(id))))
    }
}

impl Drop for IdGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

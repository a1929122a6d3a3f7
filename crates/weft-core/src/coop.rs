//! The cooperative budget: a task that always finds its resources ready (a channel that never
//! runs dry, a socket that is always readable) would otherwise never return `Pending` and
//! would starve every other task on its worker.
//!
//! Each poll of a task runs inside [`budget`], which grants [`BUDGET`] units. Every
//! resource-level operation (a channel receive, a join, a read) first calls [`poll_proceed`];
//! once the units are spent it wakes the task and returns `Pending`, so the task yields to the
//! scheduler and goes to the back of the queue. Outside of a task poll (a plain `block_on`
//! future, another executor) the budget is unconstrained.
//!
//! Each such forced yield is counted in a plain thread-local cell (no atomic, no shared
//! memory); a scheduler's worker collects its thread's count with [`take_forced_yields`] at
//! its maintenance points, for its metrics.
//!
//! ```
//! use std::task::{Context, Poll, Waker};
//! use weft_core::coop;
//!
//! let mut cx = Context::from_waker(Waker::noop());
//! coop::budget(|| {
//!     for _ in 0..coop::BUDGET {
//!         let Poll::Ready(progress) = coop::poll_proceed(&mut cx) else { unreachable!() };
//!         progress.made_progress();
//!     }
//!     // The budget is spent: the next operation must yield.
//!     assert!(coop::poll_proceed(&mut cx).is_pending());
//! });
//! ```

use std::cell::Cell;
use std::task::{Context, Poll};

use crate::context;
use crate::loom::thread_local_const;

/// Units granted to one poll of a task (tokio uses the same figure).
pub const BUDGET: u8 = 128;

/// The budget lives in the thread's runtime context: `None`: unconstrained; `Some(n)`: `n`
/// units left in the current task poll.
struct Current;

impl Current {
    fn with<R>(&self, f: impl FnOnce(&Cell<Option<u8>>) -> R) -> R {
        context::with_context(|cx| f(&cx.budget))
    }

    fn try_with<R>(&self, f: impl FnOnce(&Cell<Option<u8>>) -> R) -> Option<R> {
        context::try_with(|cx| f(&cx.budget))
    }
}

const CURRENT: Current = Current;

thread_local_const! {
    /// Forced yields on this thread since the last [`take_forced_yields`]. Its own
    /// thread-local (not a field of the runtime context), written only when a budget runs out.
    static FORCED_YIELDS: Cell<u64> = Cell::new(0);
}

/// Runs `f` with a fresh budget of [`BUDGET`] units, restoring the previous budget afterwards
/// (also when `f` panics).
pub fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Some(BUDGET), f)
}

/// Runs `f` with no budget limit, restoring the previous budget afterwards.
pub fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(None, f)
}

fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<u8>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.try_with(|c| c.set(self.0));
        }
    }
    let prev = CURRENT.with(|c| c.replace(budget));
    let _reset = Reset(prev);
    f()
}

/// Returns `true` if the current poll may still do work without yielding.
pub fn has_budget_remaining() -> bool {
    CURRENT.with(|c| c.get() != Some(0))
}

/// Spends one unit of budget, or, when none is left, wakes the task and returns `Pending`.
///
/// The returned guard gives the unit back on drop unless [`RestoreOnPending::made_progress`]
/// is called: an operation that ends up `Pending` anyway should not count against the task.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    CURRENT.with(|c| match c.get() {
        None => Poll::Ready(RestoreOnPending(None)),
        Some(0) => {
            count_forced_yield();
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            c.set(Some(n - 1));
            Poll::Ready(RestoreOnPending(Some(n)))
        }
    })
}

#[cold]
fn count_forced_yield() {
    let _ = FORCED_YIELDS.try_with(|n| n.set(n.get().wrapping_add(1)));
}

/// Returns how many times, on this thread, an operation found the budget spent and made its
/// task yield ([`poll_proceed`] returned `Pending`) since the last call, and resets the count.
///
/// A scheduler's worker calls it now and then (when it parks, every few dozen tasks) to add
/// its thread's forced yields to its metrics; the count is per thread, so it needs no
/// synchronisation.
///
/// ```
/// use std::task::{Context, Waker};
/// use weft_core::coop;
///
/// let _ = coop::take_forced_yields(); // start from zero
/// let mut cx = Context::from_waker(Waker::noop());
/// coop::budget(|| {
///     for _ in 0..coop::BUDGET {
///         if let std::task::Poll::Ready(progress) = coop::poll_proceed(&mut cx) {
///             progress.made_progress();
///         }
///     }
///     assert!(coop::poll_proceed(&mut cx).is_pending()); // forced to yield
/// });
/// assert_eq!(coop::take_forced_yields(), 1);
/// assert_eq!(coop::take_forced_yields(), 0);
/// ```
pub fn take_forced_yields() -> u64 {
    FORCED_YIELDS.try_with(|n| n.replace(0)).unwrap_or(0)
}

/// Spends one unit of budget without a waker (for schedulers counting their own work).
pub fn consume_one() {
    CURRENT.with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n.saturating_sub(1)));
        }
    })
}

/// Guard returned by [`poll_proceed`]; see there.
#[derive(Debug)]
#[must_use = "call `made_progress` when the operation completed"]
pub struct RestoreOnPending(Option<u8>);

impl RestoreOnPending {
    /// Keeps the unit spent: the operation completed.
    pub fn made_progress(mut self) {
        self.0 = None;
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if let Some(n) = self.0 {
            CURRENT.try_with(|c| c.set(Some(n)));
        }
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn unconstrained_outside_a_task() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            assert!(poll_proceed(&mut cx).is_ready());
        }
    }

    #[test]
    fn pending_restores_the_unit() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..1000 {
                // Dropped without made_progress: the unit comes back.
                assert!(poll_proceed(&mut cx).is_ready());
            }
            assert!(has_budget_remaining());
        });
    }

    #[test]
    fn nested_budget_is_restored() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            let Poll::Ready(g) = poll_proceed(&mut cx) else {
                panic!()
            };
            g.made_progress();
            unconstrained(|| assert!(poll_proceed(&mut cx).is_ready()));
            CURRENT.with(|c| assert_eq!(c.get(), Some(BUDGET - 1)));
        });
        CURRENT.with(|c| assert_eq!(c.get(), None));
    }

    #[test]
    fn forced_yields_are_counted_per_thread() {
        let _ = take_forced_yields();
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..BUDGET {
                let Poll::Ready(g) = poll_proceed(&mut cx) else {
                    panic!()
                };
                g.made_progress();
            }
            for _ in 0..3 {
                assert!(poll_proceed(&mut cx).is_pending());
            }
        });
        // Unconstrained: never forced.
        assert!(poll_proceed(&mut cx).is_ready());
        let other = std::thread::spawn(take_forced_yields).join().unwrap();
        assert_eq!(other, 0, "another thread's count is its own");
        assert_eq!(take_forced_yields(), 3);
        assert_eq!(take_forced_yields(), 0);
    }
}

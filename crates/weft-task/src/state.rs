//! The task's state: one atomic word holding every flag, the reference count and the poll
//! count.
//!
//! ```text
//!  63 ........ 32 | 31 ........ 6 | 5         4          3             2        1         0
//!  polls          | references    | CANCELLED JOIN_WAKER JOIN_INTEREST NOTIFIED COMPLETE RUNNING
//! ```
//!
//! The poll count (modulo 2^32, for introspection) rides in the compare-exchange that starts
//! each poll, so counting costs nothing and the header no word. References are 26 bits
//! (67 million: wakers, handles, `Runnable`s); as `Arc` does at `isize::MAX`, an overflow,
//! which only leaked wakers could cause, aborts the process.
//!
//! Ownership rules the flags encode:
//!
//! - `RUNNING`: one thread holds the future (polling or cancelling it). Only the holder of a
//!   `Runnable` (which exists iff `NOTIFIED` was set by a wake while idle) or the task list's
//!   shutdown may set it, and only while the task is idle (neither `RUNNING` nor `COMPLETE`).
//! - `NOTIFIED`: a `Runnable` for the task exists, or the task was woken while `RUNNING`
//!   (then the runner re-submits it when the poll returns). It guarantees at most one
//!   `Runnable` at a time, so a task is never queued or run twice.
//! - `COMPLETE`: the output (or the `JoinError`) is stored; the future is gone. Never unset.
//! - `JOIN_INTEREST`: the `JoinHandle` is alive. Whoever sees it unset is responsible for the
//!   output: the runner drops the output if it completes after the handle is gone; the handle
//!   drops the output if it goes away after completion.
//! - `JOIN_WAKER`: when unset, the `JoinHandle` has exclusive access to the join-waker slot;
//!   when set, the task may read it (and, once `COMPLETE`, owns it until it unsets the bit).
//! - `CANCELLED`: `abort` or shutdown asked for the future to be dropped; whoever next holds
//!   `RUNNING` does so.
//! - The reference count counts `Runnable`s, `Waker`s, the `JoinHandle`, `AbortHandle`s and
//!   the task list's `Task`. The task is freed when it reaches zero.

use std::fmt;

use weft_core::loom::sync::atomic::{AtomicU64, Ordering::*};

/// The future is being polled or cancelled.
pub(crate) const RUNNING: u64 = 1 << 0;
/// The output is stored; the future is dropped.
pub(crate) const COMPLETE: u64 = 1 << 1;
/// The task is queued, or woken while running.
pub(crate) const NOTIFIED: u64 = 1 << 2;
/// The `JoinHandle` still exists, and has not taken the output.
pub(crate) const JOIN_INTEREST: u64 = 1 << 3;
/// A waker is registered in the join-waker slot.
pub(crate) const JOIN_WAKER: u64 = 1 << 4;
/// The task was aborted or shut down.
pub(crate) const CANCELLED: u64 = 1 << 5;

const REF_SHIFT: u32 = 6;
const REF_ONE: u64 = 1 << REF_SHIFT;
const FLAGS: u64 = REF_ONE - 1;
const POLL_SHIFT: u32 = 32;
const POLL_ONE: u64 = 1 << POLL_SHIFT;
/// The reference count's bits, in place.
const REFS: u64 = POLL_ONE - REF_ONE;

/// A new task: one `Runnable`, one `JoinHandle`, one `Task` (for the owner list).
const INITIAL: u64 = (3 * REF_ONE) | JOIN_INTEREST | NOTIFIED;

pub(crate) struct State {
    val: AtomicU64,
}

/// A copy of the state word.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot(u64);

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// The caller holds `RUNNING` and should poll.
    Success,
    /// The caller holds `RUNNING` and must cancel the future.
    Cancelled,
    /// Someone else holds the task (shutdown got there first); the caller's reference was
    /// dropped.
    Failed,
    /// As `Failed`, and the reference was the last: free the task.
    Dealloc,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// Idle again; the runner's reference was dropped.
    Ok,
    /// Woken during the poll: the runner keeps its reference and re-submits the task.
    OkNotified,
    /// Idle, and the runner's reference was the last one: free the task.
    OkDealloc,
    /// Aborted during the poll: the runner still holds `RUNNING` and must cancel.
    Cancelled,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Nothing to do: already queued, running or complete.
    DoNothing,
    /// The caller now holds a reference for a new `Runnable` and must submit it.
    Submit,
    /// The caller dropped the last reference: free the task.
    Dealloc,
}

impl State {
    pub(crate) fn new() -> State {
        State {
            val: AtomicU64::new(INITIAL),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// Runs `f` in a compare-exchange loop; `f` returns what to report and the new value, or
    /// `None` to leave the word unchanged.
    fn update<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        let mut curr = self.load();
        loop {
            let (out, next) = f(curr);
            let Some(next) = next else { return out };
            match self.val.compare_exchange(curr.0, next.0, AcqRel, Acquire) {
                Ok(_) => return out,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// Called by the holder of a `Runnable` before polling.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|curr| {
            debug_assert!(curr.is_notified());
            let mut next = curr;
            if !next.is_idle() {
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    ToRunning::Dealloc
                } else {
                    ToRunning::Failed
                };
                return (action, Some(next));
            }
            next.0 = (next.0 | RUNNING) & !NOTIFIED;
            let action = if next.is_cancelled() {
                ToRunning::Cancelled
            } else {
                // Counted here, in the exchange the poll needs anyway (wrapping: the carry
                // leaves the word).
                next.0 = next.0.wrapping_add(POLL_ONE);
                ToRunning::Success
            };
            (action, Some(next))
        })
    }

    /// Called by the runner after a `Pending` poll; `yielded`: the task woke itself through
    /// the runner during the poll (`context::yield_current`), which counts as `NOTIFIED`.
    pub(crate) fn transition_to_idle(&self, yielded: bool) -> ToIdle {
        self.update(|curr| {
            debug_assert!(curr.is_running());
            if curr.is_cancelled() {
                return (ToIdle::Cancelled, None);
            }
            let mut next = curr;
            next.0 &= !RUNNING;
            if yielded || next.is_notified() {
                next.0 |= NOTIFIED;
                return (ToIdle::OkNotified, Some(next));
            }
            next.ref_dec();
            let action = if next.ref_count() == 0 {
                ToIdle::OkDealloc
            } else {
                ToIdle::Ok
            };
            (action, Some(next))
        })
    }

    /// Called by the runner once the output is stored: sets `COMPLETE`, clears `RUNNING`.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Drops `count` references after completion; `true` if the task must now be freed.
    pub(crate) fn transition_to_terminal(&self, count: u64) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "task reference count underflow");
        prev.ref_count() == count
    }

    /// A wake that consumes the waker's reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        self.update(|curr| {
            let mut next = curr;
            let action = if curr.is_running() {
                next.0 |= NOTIFIED;
                next.ref_dec();
                debug_assert!(next.ref_count() > 0, "the runner holds a reference");
                ToNotified::DoNothing
            } else if curr.is_complete() || curr.is_notified() {
                next.ref_dec();
                if next.ref_count() == 0 {
                    ToNotified::Dealloc
                } else {
                    ToNotified::DoNothing
                }
            } else {
                // The waker's reference becomes the new `Runnable`'s.
                next.0 |= NOTIFIED;
                ToNotified::Submit
            };
            (action, Some(next))
        })
    }

    /// A wake through a borrowed waker.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        self.update(|curr| {
            if curr.is_complete() || curr.is_notified() {
                return (ToNotified::DoNothing, None);
            }
            let mut next = curr;
            next.0 |= NOTIFIED;
            if curr.is_running() {
                return (ToNotified::DoNothing, Some(next));
            }
            next.ref_inc();
            (ToNotified::Submit, Some(next))
        })
    }

    /// `abort` from a handle. Returns `true` if the caller now holds a reference for a new
    /// `Runnable` and must submit it, so that a worker cancels the task.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|curr| {
            if curr.is_complete() || curr.is_cancelled() {
                return (false, None);
            }
            let mut next = curr;
            next.0 |= CANCELLED;
            if curr.is_running() {
                // The runner sees CANCELLED when the poll returns.
                next.0 |= NOTIFIED;
                (false, Some(next))
            } else if curr.is_notified() {
                // The queued `Runnable` sees CANCELLED when it runs.
                (false, Some(next))
            } else {
                next.0 |= NOTIFIED;
                next.ref_inc();
                (true, Some(next))
            }
        })
    }

    /// Sets `CANCELLED`, and `RUNNING` if the task was idle. Returns `true` if the caller
    /// took `RUNNING` and must cancel the future itself.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|curr| {
            let mut next = curr;
            next.0 |= CANCELLED;
            if curr.is_idle() {
                next.0 |= RUNNING;
            }
            (curr.is_idle(), Some(next))
        })
    }

    /// The common case of dropping a `JoinHandle`: the task has not run yet.
    pub(crate) fn drop_join_handle_fast(&self) -> bool {
        self.val
            .compare_exchange(
                INITIAL,
                (INITIAL - REF_ONE) & !JOIN_INTEREST,
                Release,
                Relaxed,
            )
            .is_ok()
    }

    /// Clears `JOIN_INTEREST` (and `JOIN_WAKER` unless complete). Returns
    /// `(drop_output, drop_waker)`: what the handle is now responsible for.
    pub(crate) fn transition_to_join_handle_dropped(&self) -> (bool, bool) {
        self.update(|curr| {
            debug_assert!(curr.is_join_interested());
            let mut next = curr;
            next.0 &= !JOIN_INTEREST;
            if !curr.is_complete() {
                next.0 &= !JOIN_WAKER;
            }
            ((next.is_complete(), !next.is_join_waker_set()), Some(next))
        })
    }

    /// Publishes a freshly written join waker. Fails (with the state) if the task completed.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|curr| {
            debug_assert!(curr.is_join_interested() && !curr.is_join_waker_set());
            if curr.is_complete() {
                return (Err(curr), None);
            }
            let next = Snapshot(curr.0 | JOIN_WAKER);
            (Ok(next), Some(next))
        })
    }

    /// Takes back the join-waker slot to replace it. Fails if the task completed.
    pub(crate) fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|curr| {
            debug_assert!(curr.is_join_interested());
            // Checked before anything else: the task may have completed (and handed the slot
            // back by clearing JOIN_WAKER) since the caller looked.
            if curr.is_complete() {
                return (Err(curr), None);
            }
            debug_assert!(curr.is_join_waker_set());
            let next = Snapshot(curr.0 & !JOIN_WAKER);
            (Ok(next), Some(next))
        })
    }

    /// After waking the join waker: hands the slot back; returns the state before.
    pub(crate) fn unset_join_waker_after_complete(&self) -> Snapshot {
        Snapshot(self.val.fetch_and(!JOIN_WAKER, AcqRel))
    }

    pub(crate) fn ref_inc(&self) {
        let prev = Snapshot(self.val.fetch_add(REF_ONE, Relaxed));
        prev.check_ref_overflow();
    }

    /// Polls so far (modulo 2^32).
    pub(crate) fn polls(&self) -> u64 {
        self.val.load(Relaxed) >> POLL_SHIFT
    }

    /// Drops one reference; `true` if it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1, "task reference count underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn ref_count(self) -> u64 {
        (self.0 & REFS) >> REF_SHIFT
    }
    /// Like `Arc`: an overflow could only come from leaked wakers; abort rather than let the
    /// count carry into the poll count (`self` is the word before the increment).
    fn check_ref_overflow(self) {
        if self.0 & REFS == REFS {
            std::process::abort();
        }
    }
    fn ref_inc(&mut self) {
        self.check_ref_overflow();
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .field("flags", &(self.0 & FLAGS))
            .finish()
    }
}

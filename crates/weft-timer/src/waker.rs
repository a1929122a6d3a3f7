//! `AtomicWaker`: the one waker slot of a timer entry, registered by the `Sleep`'s poll and
//! taken by the thread that fires the entry, without a lock.
//!
//! The protocol is the classic one (futures' `AtomicWaker`): a small state word with a
//! `REGISTERING` bit owned by the (single) registering thread and a `WAKING` bit set by
//! whoever takes the waker.
//!
//! - `register` moves `WAITING -> REGISTERING`, stores the waker, then tries
//!   `REGISTERING -> WAITING`. If a `take` arrived meanwhile (the state became
//!   `REGISTERING | WAKING`), the registrar itself takes the waker back out and wakes it: the
//!   wake-up is not lost.
//! - `take` sets `WAKING`; if the state was `WAITING` it owns the cell, takes the waker and
//!   clears `WAKING`. Otherwise a register is in progress (it will wake) or another take is.
//!
//! Registration is only ever done by the owner of the `Sleep` (`&mut` access), so there is at
//! most one registering thread; takes may come from any thread.

use std::fmt;
use std::task::Waker;

use weft_core::loom::cell::UnsafeCell;
use weft_core::loom::hint;
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::*};

/// Nobody is touching the cell.
const WAITING: usize = 0;
/// A `register` owns the cell.
const REGISTERING: usize = 0b01;
/// A `take` owns the cell (or asked the registrar to wake).
const WAKING: usize = 0b10;

/// A waker slot that one thread fills and any thread may take.
pub(crate) struct AtomicWaker {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the `waker` cell is only accessed by the thread that moved `state` out of
// `WAITING` (the REGISTERING or WAKING owner), so there is never a concurrent access to it;
// `Waker` itself is `Send + Sync`.
unsafe impl Send for AtomicWaker {}
// SAFETY: as above.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker {
            state: AtomicUsize::new(WAITING),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` (unless an equivalent one is stored already). If a `take` races with
    /// this call, `waker` is woken here instead.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(WAITING, REGISTERING, Acquire, Acquire)
            .unwrap_or_else(|actual| actual)
        {
            WAITING => {
                // SAFETY: we moved the state from WAITING to REGISTERING, which gives us
                // exclusive access to the cell until we leave REGISTERING.
                self.waker.with_mut(|slot| unsafe {
                    match &*slot {
                        Some(old) if old.will_wake(waker) => {}
                        _ => *slot = Some(waker.clone()),
                    }
                });
                if let Err(actual) =
                    self.state
                        .compare_exchange(REGISTERING, WAITING, AcqRel, Acquire)
                {
                    // A take ran while we were registering: it could not take the waker, so
                    // we do. Only the WAKING bit can have been added.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: the state is still REGISTERING | WAKING, which nobody but us
                    // can leave: we still own the cell.
                    let taken = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    self.state.swap(WAITING, AcqRel);
                    if let Some(w) = taken {
                        w.wake();
                    }
                }
            }
            WAKING => {
                // A take is in progress right now: it may already have read the old waker.
                // Wake the new one directly so the wake-up reaches the current task.
                waker.wake_by_ref();
                hint::spin_loop();
            }
            state => {
                // Only one thread registers (the `Sleep`'s owner), so REGISTERING cannot be
                // seen here.
                debug_assert!(false, "concurrent AtomicWaker::register (state {state})");
            }
        }
    }

    /// Takes the stored waker, if the cell is free; a concurrent `register` wakes instead.
    pub(crate) fn take(&self) -> Option<Waker> {
        match self.state.fetch_or(WAKING, AcqRel) {
            WAITING => {
                // SAFETY: we moved the state from WAITING to WAKING: we own the cell until
                // we clear the bit.
                let waker = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                self.state.fetch_and(!WAKING, Release);
                waker
            }
            state => {
                // A register is in progress (it sees WAKING and wakes), or another take owns
                // the cell.
                debug_assert!(
                    state == REGISTERING || state == REGISTERING | WAKING || state == WAKING
                );
                None
            }
        }
    }
}

impl fmt::Debug for AtomicWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicWaker")
            .field("state", &self.state.load(Relaxed))
            .finish_non_exhaustive()
    }
}

//! `ScheduledIo`: the per-registration state the reactor and the tasks share.
//!
//! # The readiness word
//!
//! One `AtomicUsize`:
//!
//! ```text
//! | tick (usize::BITS - 8) | 0 0 | SHUTDOWN | CLOSED | W_CLOSED | R_CLOSED | W | R |
//! ```
//!
//! `R`/`W` (readable, writable) and `R_CLOSED`/`W_CLOSED` (hang-up or peer shutdown of
//! that direction) come from the selector; see `Ready`.
//!
//! The reactor ORs the readiness of each event into the word and increments the tick.
//! A task that sees a direction ready remembers the tick it saw ([`ReadyEvent`]); when its
//! system call then fails with `WouldBlock`, it clears that direction *only if the tick is
//! unchanged* (a compare-and-swap). An event that arrived in between bumped the tick, so
//! the clear is skipped and the task tries again: a clear never erases a newer event,
//! which under edge-triggered notification would otherwise be lost for good.
//!
//! A new registration starts ready in both directions: its first operation tries the
//! system call at once rather than waiting a selector round trip.
//!
//! `CLOSED` (the registration was dropped) and `SHUTDOWN` (the reactor shut down) are
//! sticky: every poll after them fails, and setting them wakes every waiter.
//!
//! # Waiters
//!
//! Behind a mutex that only this registration's tasks and the reactor take (`waiters.rs`):
//! one waker slot per direction for the `poll_*` functions, plus a list for the futures of
//! `readiness.rs` (`readable()`/`writable()`, and the `&self` operations such as `accept`
//! or `recv_from`), any number of which may wait at once, each in its own entry. The
//! reactor sets the readiness bits *before* taking this lock and a task re-reads them
//! *after* storing its waker under it, so a wake-up cannot fall between the two.

use std::io;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::*};
use weft_core::loom::sync::Mutex;

use crate::interest::Ready;
use crate::waiters::{Mode, Waiters};

const CLOSED: usize = 1 << 4;
const SHUTDOWN: usize = 1 << 5;
const TICK_SHIFT: u32 = 8;
const TICK_ONE: usize = 1 << TICK_SHIFT;

/// The error of every operation once the reactor has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the weft runtime is shutting down")
}

/// The error of every operation once the registration was dropped.
pub(crate) fn closed_error() -> io::Error {
    io::Error::other("the I/O source was deregistered from the reactor")
}

/// Readiness observed by a task, with the tick it was observed at.
#[derive(Clone, Copy, Debug)]
pub struct ReadyEvent {
    pub(crate) tick: usize,
    pub(crate) ready: Ready,
}

/// The shared state of one registration.
#[derive(Debug)]
pub struct ScheduledIo {
    readiness: AtomicUsize,
    /// The tick of the last readiness `poll_read_ready` / `poll_write_ready` returned, per
    /// direction, for the argument-less `clear_*_ready`.
    seen: [AtomicUsize; 2],
    waiters: Mutex<Waiters>,
}

impl ScheduledIo {
    /// A new registration's state: optimistically ready in both directions, so the first
    /// operation tries its system call at once instead of waiting a selector round trip
    /// for the event the registration itself triggers (`WouldBlock` clears it).
    pub fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(Ready::READABLE.as_usize() | Ready::WRITABLE.as_usize()),
            seen: [AtomicUsize::new(0), AtomicUsize::new(0)],
            waiters: Mutex::new(Waiters::default()),
        }
    }
}

impl Default for ScheduledIo {
    fn default() -> ScheduledIo {
        ScheduledIo::new()
    }
}

fn index(direction: Ready) -> usize {
    usize::from(direction == Ready::WRITABLE)
}

impl ScheduledIo {
    /// Records `ready` from the selector (bumping the tick) and moves the wakers it
    /// concerns to `wakers`, which the caller wakes once it holds no lock.
    pub fn set_readiness(&self, ready: Ready, wakers: &mut Vec<Waker>) {
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            Some(cur.wrapping_add(TICK_ONE) | ready.as_usize())
        });
        self.waiters.lock().wake_event(ready, wakers);
    }

    /// Marks the registration dropped (`closed`) or its reactor shut down, and moves every
    /// waker to `wakers`.
    pub fn set_terminal(&self, shutdown: bool, wakers: &mut Vec<Waker>) {
        let flag = if shutdown { SHUTDOWN } else { CLOSED };
        self.readiness.fetch_or(flag, AcqRel);
        self.waiters.lock().wake_all(wakers);
    }

    /// The readiness in `direction` now, or the terminal error.
    fn check(&self, direction: Ready) -> Option<io::Result<ReadyEvent>> {
        let cur = self.readiness.load(Acquire);
        if cur & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        if cur & CLOSED != 0 {
            return Some(Err(closed_error()));
        }
        let ready = Ready::from_usize(cur).intersection(Ready::mask(direction));
        (!ready.is_empty()).then_some(Ok(ReadyEvent {
            tick: cur >> TICK_SHIFT,
            ready,
        }))
    }

    /// Ready once `direction` (one of `Ready::READABLE` / `Ready::WRITABLE`) is ready;
    /// otherwise stores the task's waker in that direction's slot.
    pub fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Ready,
    ) -> Poll<io::Result<ReadyEvent>> {
        let result = match self.check(direction) {
            Some(r) => r,
            None => {
                let mut waiters = self.waiters.lock();
                let slot = waiters.slot(direction);
                match slot {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *slot = Some(cx.waker().clone()),
                }
                // Re-check under the lock: an event set before we stored the waker.
                match self.check(direction) {
                    Some(r) => r,
                    None => return Poll::Pending,
                }
            }
        };
        Poll::Ready(self.seen(direction, result))
    }

    /// Like [`poll_ready`](Self::poll_ready) for the waiter-list entry `*key` (allocated
    /// on first use, of `mode`), for the futures of `readiness.rs`.
    pub(crate) fn poll_ready_listed(
        &self,
        cx: &mut Context<'_>,
        direction: Ready,
        mode: Mode,
        key: &mut Option<usize>,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(r) = self.check(direction) {
            return Poll::Ready(self.seen(direction, r));
        }
        self.waiters.lock().store(key, direction, mode, cx.waker());
        // Re-check after storing under the lock: an event set before we stored the waker.
        match self.check(direction) {
            Some(r) => Poll::Ready(self.seen(direction, r)),
            None => Poll::Pending,
        }
    }

    /// The readiness in `direction` now, without waiting: `WouldBlock` if not ready.
    pub fn try_ready(&self, direction: Ready) -> io::Result<ReadyEvent> {
        match self.check(direction) {
            Some(r) => self.seen(direction, r),
            None => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Records the tick of a readiness handed to a task, for `clear_seen`.
    fn seen(&self, direction: Ready, r: io::Result<ReadyEvent>) -> io::Result<ReadyEvent> {
        if let Ok(ev) = &r {
            self.seen[index(direction)].store(ev.tick, Relaxed);
        }
        r
    }

    /// Frees the waiter-list entry `key`; `done`: its future completed rather than being
    /// dropped. A `Turn` entry whose turn ends with its direction still ready passes the
    /// turn to the next waiting entry (see `waiters.rs`).
    pub(crate) fn remove_listed(&self, key: usize, done: bool) {
        let mut wakers = Vec::new();
        {
            let mut waiters = self.waiters.lock();
            let Some(removed) = waiters.remove(key, done) else {
                return;
            };
            // Read under the lock, after the entry left: an event that sets the readiness
            // after this read takes the lock after us, and passes the turn itself.
            if removed.pass_turn && matches!(self.check(removed.direction), Some(Ok(_))) {
                waiters.pass_turn(removed.direction, &mut wakers);
            }
        }
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Clears `ev.ready` (closed bits included: call it after `WouldBlock`) unless an event
    /// arrived since `ev` was observed.
    pub fn clear_readiness(&self, ev: ReadyEvent) {
        let _ = self.readiness.fetch_update(AcqRel, Acquire, |cur| {
            (cur >> TICK_SHIFT == ev.tick).then_some(cur & !ev.ready.as_usize())
        });
    }

    /// After a short read or write, which drained the socket: clears `ev.ready` but keeps
    /// the closed bits (the end-of-file or hang-up is still to be seen), unless an event
    /// arrived since `ev` was observed.
    pub fn clear_drained(&self, ev: ReadyEvent) {
        self.clear_readiness(ReadyEvent {
            tick: ev.tick,
            ready: ev.ready.without_closed(),
        });
    }

    /// Clears `direction` unless an event arrived since the last readiness the
    /// `poll_*_ready` of that direction returned.
    pub(crate) fn clear_seen(&self, direction: Ready) {
        let tick = self.seen[index(direction)].load(Relaxed);
        self.clear_readiness(ReadyEvent {
            tick,
            ready: Ready::mask(direction),
        });
    }
}

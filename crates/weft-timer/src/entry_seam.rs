//! The timer entry's cross-thread protocol, opened up for the loom models of
//! `tests/loom_entry.rs`: a thin handle over the crate's real `Entry` (its state word and its
//! `AtomicWaker` slot), whose methods are the very ones the driver and `Sleep` call. The
//! models drive the entry directly, so that `Sleep`'s own checks cannot hide a lost wake-up.
//!
//! Not an API: hidden from the docs, unused by the runtime, free to change.

use std::task::{Poll, Waker};

use weft_core::loom::sync::Arc;

use crate::entry::{Entry, FIRED, SHUTDOWN};

/// One reference to a timer entry: the owner's (a `Sleep`'s), or a clone (the wheel's).
///
/// ```
/// use std::task::Poll;
/// # let waker = std::task::Waker::noop();
/// use weft_timer::entry_seam::{EntryRef, Final};
///
/// let entry = EntryRef::new();
/// assert_eq!(entry.poll(&waker), Poll::Pending); // stores the waker
/// let wheel = entry.clone();
/// assert!(wheel.fire().is_some()); // takes it
/// assert_eq!(entry.poll(&waker), Poll::Ready(Final::Fired));
/// ```
#[derive(Clone, Debug)]
pub struct EntryRef(Arc<Entry>);

/// How an entry ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Final {
    /// Its timer fired.
    Fired,
    /// Its driver shut down.
    Shutdown,
}

impl EntryRef {
    /// A registered entry (deadline tick 1) with no waker yet.
    pub fn new() -> EntryRef {
        EntryRef(Arc::new(Entry::new(1)))
    }

    /// A registered `Sleep`'s poll (`Entry::poll_state`): the final state, or stores `waker`
    /// and reads the state again.
    pub fn poll(&self, waker: &Waker) -> Poll<Final> {
        match self.0.poll_state(waker) {
            FIRED => Poll::Ready(Final::Fired),
            SHUTDOWN => Poll::Ready(Final::Shutdown),
            _ => Poll::Pending,
        }
    }

    /// The driver firing the entry (`Entry::fire(FIRED)`, as `Driver::process` does under
    /// the wheel lock): returns the waker to wake once the lock is released.
    pub fn fire(&self) -> Option<Waker> {
        self.0.fire(FIRED)
    }

    /// The driver shutting down (`Entry::fire(SHUTDOWN)`, as `Driver::shutdown` does).
    pub fn shut_down(&self) -> Option<Waker> {
        self.0.fire(SHUTDOWN)
    }

    /// Whether the entry fired or was shut down.
    pub fn is_final(&self) -> bool {
        self.0.is_final()
    }

    /// The waker slot alone: `AtomicWaker::register`.
    pub fn register(&self, waker: &Waker) {
        self.0.waker.register(waker);
    }

    /// The waker slot alone: `AtomicWaker::take`.
    pub fn take(&self) -> Option<Waker> {
        self.0.waker.take()
    }

    /// Drops the owner's reference as a dropped `Sleep` does (`Entry::release`): unless the
    /// entry is final, `unlink` runs first (the wheel giving its reference back).
    pub fn release(self, unlink: impl FnOnce()) {
        Entry::release(self.0, |_| unlink());
    }
}

impl Default for EntryRef {
    fn default() -> EntryRef {
        EntryRef::new()
    }
}

//! A timer entry: the heap node a `Sleep` registers in the wheel, and the intrusive list the
//! wheel's slots are made of.
//!
//! # Ownership
//!
//! An entry is an `Arc<Entry>`. The `Sleep` holds one reference for its whole life. While the
//! entry is linked in the wheel (in a slot or in the wheel's list of due entries), the wheel
//! holds a second one, as the raw pointer of [`Arc::into_raw`] stored in the list; unlinking
//! turns that pointer back into the `Arc` ([`Arc::from_raw`]) and hands it to the caller, so
//! the reference is given back exactly once. An entry is therefore freed only when it is out
//! of the wheel and its `Sleep` is gone, whichever happens last.
//!
//! # The state word
//!
//! `state` is the entry's deadline as a tick of the wheel (milliseconds since the clock's
//! origin, rounded up) while it is registered, or [`FIRED`] / [`SHUTDOWN`]. It is written only
//! under the wheel lock, and read without the lock by the `Sleep`'s poll:
//!
//! ```text
//!   register (lock) ──> tick ──fire (lock)──> FIRED ──reset (lock)──> tick ...
//!                         └──driver shutdown (lock)──> SHUTDOWN (final)
//! ```
//!
//! A state of `FIRED` or `SHUTDOWN` implies the entry is unlinked: both are stored in the
//! same critical section that unlinks it, and only the `Sleep`'s owner (`&mut`) can link it
//! again. So a `Sleep` that reads `FIRED` with `Acquire` may drop its entry without the lock.
//!
//! # The waker slot: a fire racing a poll
//!
//! The firing thread holds the wheel lock; the polling thread (the `Sleep`'s owner) holds
//! none. They meet on the state word and the waker slot, in opposite orders:
//!
//! ```text
//!   fire (Entry::fire, lock held)       poll (Entry::poll_state, no lock)
//!     1. state = FIRED (or SHUTDOWN)      a. read state: final? -> done, no waker stored
//!     2. take the waker                   b. store the waker (AtomicWaker::register)
//!     3. wake it, after the lock          c. read state again: final? -> done, else Pending
//! ```
//!
//! Both 2 and b are read-modify-writes of the slot's state word, so one comes first. If b
//! does, 2 takes the new waker. If 2 does, it published 1 before, so c sees the final state
//! (a take that overlaps b makes `register` wake the new waker itself). Either way a
//! `Pending` poll is woken. `tests/loom_entry.rs` checks this protocol on these very methods
//! (through [`crate::entry_seam`]), without the `Sleep` around them.
//!
//! The links (`prev`, `next`, `place`) belong to the wheel: they are only touched while
//! holding the wheel lock, which is what makes the `Sync` impl sound.

use std::fmt;
use std::ptr;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::Relaxed as StdRelaxed};
use std::task::Waker;

use weft_core::loom::cell::UnsafeCell;
use weft_core::loom::sync::atomic::{AtomicU64, Ordering::*};
use weft_core::loom::sync::Arc;

use crate::waker::AtomicWaker;

/// The entry's timer fired; its `Sleep` is complete.
pub(crate) const FIRED: u64 = u64::MAX;
/// The driver shut down while the entry was registered.
pub(crate) const SHUTDOWN: u64 = u64::MAX - 1;

/// Where a linked entry is; owned by the wheel lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Not in the wheel.
    Unlinked,
    /// In `levels[level].slots[slot]`.
    Slot { level: u8, slot: u8 },
    /// In the wheel's list of due entries, about to fire.
    Due,
    /// In the wheel's list of entries that never fire.
    Never,
}

/// The intrusive part of an entry; owned by the wheel lock.
#[derive(Debug)]
pub(crate) struct Links {
    prev: *const Entry,
    next: *const Entry,
    pub(crate) place: Place,
}

/// One registered timer.
pub(crate) struct Entry {
    /// The deadline tick, or `FIRED` / `SHUTDOWN`; see the module docs.
    state: AtomicU64,
    /// The waker of the task polling the `Sleep`.
    pub(crate) waker: AtomicWaker,
    links: UnsafeCell<Links>,
    /// The wheel shard the entry registers in ([`NO_SHARD`] until its first registration):
    /// chosen once, by the registering thread, and read and written only by the entry's
    /// owner (the `Sleep`), so a plain `std` atomic also under loom, outside the protocol.
    shard: StdAtomicUsize,
}

/// [`Entry::shard`] of an entry never registered.
pub(crate) const NO_SHARD: usize = usize::MAX;

// SAFETY: `links` (the only field that is not itself thread-safe) is only accessed while
// holding the wheel lock, which serialises every access; the raw pointers in it point at
// entries kept alive by the wheel's own references.
unsafe impl Send for Entry {}
// SAFETY: as above.
unsafe impl Sync for Entry {}

impl Entry {
    /// A new, unlinked entry with deadline `tick`.
    pub(crate) fn new(tick: u64) -> Entry {
        Entry {
            state: AtomicU64::new(tick),
            waker: AtomicWaker::new(),
            links: UnsafeCell::new(Links {
                prev: ptr::null(),
                next: ptr::null(),
                place: Place::Unlinked,
            }),
            shard: StdAtomicUsize::new(NO_SHARD),
        }
    }

    /// The shard the entry registers in ([`NO_SHARD`]: none yet). Owner only.
    pub(crate) fn shard(&self) -> usize {
        self.shard.load(StdRelaxed)
    }

    /// Sets the shard the entry registers in. Owner only, before its first registration.
    pub(crate) fn set_shard(&self, shard: usize) {
        self.shard.store(shard, StdRelaxed);
    }

    /// The state, read without the lock (pairs with the `Release` stores under the lock).
    pub(crate) fn state(&self) -> u64 {
        self.state.load(Acquire)
    }

    /// Sets the state. Call only while holding the wheel lock.
    pub(crate) fn set_state(&self, state: u64) {
        self.state.store(state, Release);
    }

    /// Whether the state is final (`FIRED` or `SHUTDOWN`): the entry is out of the wheel and
    /// only its owner can link it again, so it may be dropped without the lock.
    pub(crate) fn is_final(&self) -> bool {
        matches!(self.state(), FIRED | SHUTDOWN)
    }

    /// The firing side (see the module docs), with the wheel lock held and the entry just
    /// unlinked: publishes `state` (`FIRED` or `SHUTDOWN`), *then* takes the waker, for the
    /// caller to wake once the lock is released.
    pub(crate) fn fire(&self, state: u64) -> Option<Waker> {
        debug_assert!(state == FIRED || state == SHUTDOWN);
        self.set_state(state);
        self.waker.take()
    }

    /// The polling side (see the module docs), by the entry's owner, without the lock: the
    /// state if it is final already; else stores `waker`, then returns the state read
    /// again (a fire between the two reads has published its final state before taking the
    /// slot, so it shows here, or it found `waker` and wakes it).
    pub(crate) fn poll_state(&self, waker: &Waker) -> u64 {
        let state = self.state();
        if matches!(state, FIRED | SHUTDOWN) {
            return state;
        }
        self.waker.register(waker);
        self.state()
    }

    /// Gives up the owner's reference (a `Sleep` dropped): unless the state is final, first
    /// `unlink`s the entry (under the wheel lock, giving the wheel's reference back), so that
    /// it can no longer fire.
    pub(crate) fn release(this: Arc<Entry>, unlink: impl FnOnce(&Entry)) {
        if !this.is_final() {
            unlink(&this);
        }
    }

    /// The deadline tick of a registered entry. Call only while holding the wheel lock.
    pub(crate) fn when(&self) -> u64 {
        self.state.load(Relaxed)
    }

    /// Where the entry is. Call only while holding the wheel lock.
    pub(crate) fn place(&self) -> Place {
        // SAFETY: the caller holds the wheel lock, so no other thread touches the links.
        self.links.with(|l| unsafe { (*l).place })
    }

    /// Runs `f` on the links. Call only while holding the wheel lock.
    pub(crate) fn with_links<R>(&self, f: impl FnOnce(&mut Links) -> R) -> R {
        // SAFETY: the caller holds the wheel lock, so this is the only access to the links.
        self.links.with_mut(|l| f(unsafe { &mut *l }))
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("state", &self.state.load(Relaxed))
            .finish_non_exhaustive()
    }
}

/// An intrusive doubly linked list of entries, each holding one `Arc` reference (as a raw
/// pointer). Pushed at the front, popped at the back: first in, first out.
///
/// Every method must be called while holding the wheel lock (the `&mut Wheel` borrow the
/// lists live in is the proof).
pub(crate) struct List {
    head: *const Entry,
    tail: *const Entry,
}

impl List {
    pub(crate) const fn new() -> List {
        List {
            head: ptr::null(),
            tail: ptr::null(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Links `entry` at the front, taking over its reference, and records `place` in it.
    pub(crate) fn push_front(&mut self, entry: Arc<Entry>, place: Place) {
        let raw = Arc::into_raw(entry);
        let old_head = self.head;
        // SAFETY: `raw` comes from `Arc::into_raw` and is kept alive by that reference.
        unsafe { &*raw }.with_links(|l| {
            debug_assert_eq!(l.place, Place::Unlinked);
            l.prev = ptr::null();
            l.next = old_head;
            l.place = place;
        });
        if old_head.is_null() {
            self.tail = raw;
        } else {
            // SAFETY: `old_head` is linked in this list, so the list's reference keeps it
            // alive.
            unsafe { &*old_head }.with_links(|l| l.prev = raw);
        }
        self.head = raw;
    }

    /// Unlinks the last entry and gives its reference back.
    pub(crate) fn pop_back(&mut self) -> Option<Arc<Entry>> {
        if self.tail.is_null() {
            return None;
        }
        // SAFETY: the tail is linked in this list.
        Some(unsafe { self.unlink(self.tail) })
    }

    /// Unlinks `entry` and gives its reference back.
    ///
    /// # Safety
    ///
    /// `entry` must be linked in this very list.
    pub(crate) unsafe fn remove(&mut self, entry: &Entry) -> Arc<Entry> {
        // SAFETY: the caller guarantees `entry` is in this list.
        unsafe { self.unlink(entry) }
    }

    /// # Safety
    ///
    /// `entry` must be linked in this list.
    unsafe fn unlink(&mut self, entry: *const Entry) -> Arc<Entry> {
        // SAFETY: `entry` is linked here, so the list's reference keeps it alive.
        let (prev, next) = unsafe { &*entry }.with_links(|l| {
            let pn = (l.prev, l.next);
            l.prev = ptr::null();
            l.next = ptr::null();
            l.place = Place::Unlinked;
            pn
        });
        if prev.is_null() {
            debug_assert!(ptr::eq(self.head, entry));
            self.head = next;
        } else {
            // SAFETY: `prev` is linked in this list (it precedes `entry`).
            unsafe { &*prev }.with_links(|l| l.next = next);
        }
        if next.is_null() {
            debug_assert!(ptr::eq(self.tail, entry));
            self.tail = prev;
        } else {
            // SAFETY: `next` is linked in this list (it follows `entry`).
            unsafe { &*next }.with_links(|l| l.prev = prev);
        }
        // SAFETY: the pointer came from `Arc::into_raw` in `push_front`, and the entry was
        // just unlinked, so this reference is given back exactly once.
        unsafe { Arc::from_raw(entry) }
    }

    /// Moves every entry out into a new list, leaving this one empty.
    pub(crate) fn take(&mut self) -> List {
        std::mem::replace(self, List::new())
    }
}

impl Drop for List {
    fn drop(&mut self) {
        // Give back every reference still held (only a dropped wheel has non-empty lists).
        while self.pop_back().is_some() {}
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("empty", &self.is_empty())
            .finish()
    }
}

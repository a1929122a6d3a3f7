//! The ring shared by a [`Local`](crate::Local) and its [`Steal`](crate::Steal) handles.
//!
//! # Indices
//!
//! Positions are `u32` counters that only ever grow (with wrapping arithmetic); a position maps to
//! the slot `pos & MASK`. Three positions describe the ring:
//!
//! - `tail`: the next position the owner pushes to. Written only by the owner (`Release`).
//! - `real` (low half of `head`): the first item still in the queue. Advanced by the owner's
//!   `pop` and by a thief that claims a batch.
//! - `steal` (high half of `head`): the first slot that may still be read. Equal to `real` except
//!   while a thief copies the batch `[steal, real)` out; the thief then sets `steal = real`.
//!
//! So `[steal, real)` is in flight to a thief, `[real, tail)` is queued, and the owner may write a
//! slot only when `tail - steal < CAPACITY`, which guarantees it never overwrites a slot a thief is
//! still reading. Packing both halves in one `AtomicU64` lets a single compare-and-swap claim a
//! batch, pop one item, or commit a steal.

use std::mem::MaybeUninit;
use std::ptr;

use weft_core::loom::cell::UnsafeCell;
use weft_core::loom::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use weft_core::CachePadded;

use crate::LOCAL_QUEUE_CAPACITY;

/// `LOCAL_QUEUE_CAPACITY` as a `u32` index distance.
pub(crate) const CAPACITY: u32 = LOCAL_QUEUE_CAPACITY as u32;

/// Maps a position to its slot.
pub(crate) const MASK: u32 = CAPACITY - 1;

const _: () = assert!(
    LOCAL_QUEUE_CAPACITY.is_power_of_two() && LOCAL_QUEUE_CAPACITY >= 2,
    "the ring capacity must be a power of two (positions are masked, halves must be whole)"
);
const _: () = assert!(
    LOCAL_QUEUE_CAPACITY <= 1 << 31,
    "positions are u32 counters: the capacity must leave room to tell full from empty"
);

/// Joins the two halves of `head`.
#[inline]
pub(crate) fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

/// Splits `head` into `(steal, real)`.
#[inline]
pub(crate) fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// The state shared between the owner and the thieves of one local queue.
pub(crate) struct Inner<T> {
    /// `pack(steal, real)`; see the module docs.
    pub(crate) head: CachePadded<AtomicU64>,
    /// One past the last queued position; stored only by the owner.
    pub(crate) tail: CachePadded<AtomicU32>,
    /// `CAPACITY` slots; a slot holds an initialised `T` exactly when its position is in
    /// `[steal, tail)`.
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: `Inner` only ever moves `T` values between threads (a slot is written by one thread and
// read out, by value, by exactly one other), never shares a `&T`, so `T: Send` is enough for the
// ring itself to be sent to another thread.
unsafe impl<T: Send> Send for Inner<T> {}

// SAFETY: concurrent access goes through the `head`/`tail` protocol in the module docs: a slot is
// written only by the thread that owns its position (the owner for `[tail, steal + CAPACITY)`,
// the claiming thread for `[steal, real)`), and each hand-off is ordered by a Release store or
// CAS that the reader observes with Acquire. Values cross threads by move only, so `T: Send`.
unsafe impl<T: Send> Sync for Inner<T> {}

impl<T> Inner<T> {
    /// An empty ring whose positions all start at `start` (tests use a start close to
    /// `u32::MAX` to cross the wrap-around).
    pub(crate) fn new(start: u32) -> Self {
        let buffer = (0..LOCAL_QUEUE_CAPACITY)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        Inner {
            head: CachePadded::new(AtomicU64::new(pack(start, start))),
            tail: CachePadded::new(AtomicU32::new(start)),
            buffer,
        }
    }

    /// The number of queued items (`tail - real`) as seen from any thread; clamped to the
    /// capacity because the two loads are not one snapshot.
    pub(crate) fn len(&self) -> u32 {
        // Load `head` first: `tail` only grows and never falls behind a `real` that was already
        // current, so `tail - real` cannot underflow. It may briefly exceed the capacity when the
        // owner pops and pushes between the two loads, hence the clamp.
        let (_, real) = unpack(self.head.load(Ordering::Acquire));
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(real).min(CAPACITY)
    }

    /// The position of the front of the queue (`real`), for progress checks only.
    pub(crate) fn front(&self) -> u32 {
        unpack(self.head.load(Ordering::Relaxed)).1
    }

    /// Moves the value out of the slot for `pos`.
    ///
    /// # Safety
    ///
    /// The slot must hold an initialised value (its position is in `[steal, tail)`), the caller
    /// must have exclusive claim to that position (the owner after its `pop` CAS, or the thief
    /// inside its claimed `[steal, real)` batch), and the write that initialised it must
    /// happen-before this read. Afterwards the slot counts as empty: the value must not be
    /// read again.
    #[inline]
    pub(crate) unsafe fn read(&self, pos: u32) -> T {
        self.buffer[(pos & MASK) as usize].with(|slot| {
            // SAFETY: the caller guarantees the slot is initialised, that no other thread touches
            // it now, and that its initialising write is visible; it is read out exactly once.
            unsafe { ptr::read(slot).assume_init() }
        })
    }

    /// Writes `value` into the slot for `pos`.
    ///
    /// # Safety
    ///
    /// Only the thread that owns the queue (holds its `Local`) may call this, for a position in
    /// `[tail, steal + CAPACITY)` with `steal` loaded with Acquire, so that the previous occupant
    /// of the slot has been moved out and every thief's read of it happens-before this write. The
    /// value becomes visible to others only through a later Release store of `tail`.
    #[inline]
    pub(crate) unsafe fn write(&self, pos: u32, value: T) {
        self.buffer[(pos & MASK) as usize].with_mut(|slot| {
            // SAFETY: the caller guarantees the slot is free and that no other thread accesses it.
            // Overwriting a `MaybeUninit` drops nothing.
            unsafe { ptr::write(slot, MaybeUninit::new(value)) }
        })
    }
}

impl<T> Drop for Inner<T> {
    /// Drops whatever is still queued. `Local`'s own `Drop` drains the ring first, so this only
    /// finds items if the `Local` was leaked (`mem::forget`) or one of the items' `Drop` panicked.
    fn drop(&mut self) {
        // No other handle exists any more, so plain loads see the final values, and no thief
        // is mid-steal (a thief keeps its `Steal`, and with it this `Inner`, alive), so
        // `steal == real` and `[real, tail)` is exactly the set of live items.
        let (_, real) = unpack(self.head.load(Ordering::Acquire));
        let tail = self.tail.load(Ordering::Acquire);
        let mut pos = real;
        while pos != tail {
            // SAFETY: `pos` is in `[real, tail)`, so its slot is initialised, this is the last
            // handle, and each position is read once as `pos` advances.
            drop(unsafe { self.read(pos) });
            pos = pos.wrapping_add(1);
        }
    }
}

//! One level of the wheel: 64 slots, each an intrusive list, and a 64-bit occupancy bitmap.

use std::fmt;

use weft_core::loom::sync::Arc;

use super::{BITS_PER_LEVEL, NUM_LEVELS};
use crate::entry::{Entry, List, Place};

/// Slots per level.
pub(super) const LEVEL_MULT: usize = 1 << BITS_PER_LEVEL;

/// A slot due for processing: its level, its index, and the tick at which it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Expiration {
    pub(crate) level: usize,
    pub(crate) slot: usize,
    pub(crate) deadline: u64,
}

/// One level: slot `i` of level `l` holds the entries whose tick has `i` in bits
/// `6l .. 6l + 6`, for the current rotation of that level.
pub(super) struct Level {
    level: usize,
    /// Bit `i` is set iff `slots[i]` is non-empty: the next occupied slot is a rotate and a
    /// `trailing_zeros` away, whatever the number of entries.
    occupied: u64,
    slots: [List; LEVEL_MULT],
}

impl Level {
    pub(super) fn new(level: usize) -> Level {
        Level {
            level,
            occupied: 0,
            slots: std::array::from_fn(|_| List::new()),
        }
    }

    /// The next slot to process at or after `now`, and the tick at which it starts.
    pub(super) fn next_expiration(&self, now: u64) -> Option<Expiration> {
        let slot = self.next_occupied_slot(now)?;
        let level_range = level_range(self.level);
        // The start of the current rotation of this level (level_range is a power of two).
        let level_start = now & !(level_range - 1);
        let mut deadline = level_start + slot as u64 * slot_range(self.level);
        if deadline <= now {
            // Only the top level can hold a slot "behind" `now`: timers beyond the wheel's
            // horizon are folded into it, so its slots form a ring, and a slot at or behind
            // the current position is next reached one rotation later.
            debug_assert_eq!(self.level, NUM_LEVELS - 1);
            deadline += level_range;
        }
        Some(Expiration {
            level: self.level,
            slot,
            deadline,
        })
    }

    /// The first occupied slot strictly after the one `now` is in, wrapping around; the slot
    /// `now` is in comes last (only the top level can have it occupied, by a timer a whole
    /// rotation away).
    fn next_occupied_slot(&self, now: u64) -> Option<usize> {
        if self.occupied == 0 {
            return None;
        }
        let now_slot = ((now / slot_range(self.level)) % LEVEL_MULT as u64) as u32 + 1;
        let zeros = self.occupied.rotate_right(now_slot).trailing_zeros();
        Some((zeros + now_slot) as usize % LEVEL_MULT)
    }

    /// Links `entry` (deadline `when`) in its slot.
    pub(super) fn push(&mut self, entry: Arc<Entry>, when: u64) {
        let slot = slot_for(when, self.level);
        self.slots[slot].push_front(
            entry,
            Place::Slot {
                level: self.level as u8,
                slot: slot as u8,
            },
        );
        self.occupied |= 1 << slot;
    }

    /// Unlinks `entry` from `slot`.
    ///
    /// # Safety
    ///
    /// `entry` must be linked in `slot` of this level.
    pub(super) unsafe fn remove(&mut self, entry: &Entry, slot: usize) -> Arc<Entry> {
        // SAFETY: the caller guarantees `entry` is in this slot.
        let arc = unsafe { self.slots[slot].remove(entry) };
        if self.slots[slot].is_empty() {
            self.occupied &= !(1 << slot);
        }
        arc
    }

    /// Takes the whole of `slot` out, in one step.
    pub(super) fn take_slot(&mut self, slot: usize) -> List {
        self.occupied &= !(1 << slot);
        self.slots[slot].take()
    }

    /// Takes any one entry (for shutdown).
    pub(super) fn pop_any(&mut self) -> Option<Arc<Entry>> {
        if self.occupied == 0 {
            return None;
        }
        let slot = self.occupied.trailing_zeros() as usize;
        let entry = self.slots[slot].pop_back();
        if self.slots[slot].is_empty() {
            self.occupied &= !(1 << slot);
        }
        entry
    }

    #[cfg(all(test, not(weft_loom)))]
    pub(super) fn occupied(&self) -> u64 {
        self.occupied
    }
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Level")
            .field("level", &self.level)
            .field("occupied", &format_args!("{:#018x}", self.occupied))
            .finish()
    }
}

/// Ticks covered by one slot of `level`: 64^level.
pub(super) fn slot_range(level: usize) -> u64 {
    1 << (BITS_PER_LEVEL * level)
}

/// Ticks covered by one rotation of `level`: 64^(level + 1).
pub(super) fn level_range(level: usize) -> u64 {
    1 << (BITS_PER_LEVEL * (level + 1))
}

/// The slot of tick `when` at `level`.
pub(super) fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (level * BITS_PER_LEVEL)) % LEVEL_MULT as u64) as usize
}

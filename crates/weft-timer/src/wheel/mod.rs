//! The hierarchical timer wheel: where registered entries wait, in O(1) per insert and cancel.
//!
//! Time is counted in ticks of 1 ms since the clock's origin. The wheel keeps `elapsed`, the
//! last tick it was advanced to, and files each entry by its deadline tick `when` in the
//! lowest level whose slot can tell `when` apart from `elapsed`: the level of the highest
//! 6-bit group in which the two differ. Advancing time processes slots in order: a level-0
//! slot is due as a whole; a higher slot is "cascaded", each of its entries re-filed one or
//! more levels down (or straight into the due list when its tick is reached). See the
//! `levels` field for the level table.
//!
//! All methods run under the driver's wheel lock (`&mut self`).

mod level;

use std::fmt;

use weft_core::loom::sync::Arc;

use crate::clock::NEVER;
use crate::entry::{Entry, List, Place};
pub(crate) use level::Expiration;
use level::{level_range, Level};

/// Levels in the wheel.
pub(crate) const NUM_LEVELS: usize = 6;
/// log2 of the slots per level.
pub(crate) const BITS_PER_LEVEL: usize = 6;
/// Ticks the wheel can tell apart from `elapsed`: 64^6 ms, about 2.2 years. Deadlines further
/// away are folded into the top level and re-filed each time its slot comes round.
pub(crate) const HORIZON: u64 = 1 << (BITS_PER_LEVEL * NUM_LEVELS);

/// A hierarchical timing wheel of `NUM_LEVELS` levels of 64 slots.
pub(crate) struct Wheel {
    /// The tick the wheel has been advanced to. Every linked entry has `when > elapsed`
    /// (or sits in `due`).
    elapsed: u64,

    /// The levels, finest first. Level `l` has 64 slots of 64^l ticks (1 tick = 1 ms):
    ///
    /// | level | one slot       | whole level (64 slots)   |
    /// |-------|----------------|--------------------------|
    /// | 0     | 1 ms           | 64 ms                    |
    /// | 1     | 64 ms          | ~4.1 s                   |
    /// | 2     | ~4.1 s         | ~4.5 min                 |
    /// | 3     | ~4.5 min       | ~4.8 h                   |
    /// | 4     | ~4.8 h         | ~12.7 days               |
    /// | 5     | ~12.7 days     | ~2.2 years (the horizon) |
    ///
    /// An entry goes to the level of the highest 6-bit group in which `when` and `elapsed`
    /// differ, in the slot given by `when`'s bits of that group. Entries beyond the horizon
    /// go to the top level in the slot of their own bits; as that level is a ring, the slot
    /// comes round at most one horizon later, and the entry is then re-filed (again at the
    /// top, until it is within the horizon). A deadline of any size is thus accepted and
    /// never overflows (ticks past the clock's end, [`NEVER`], wait in `never`).
    levels: Box<[Level; NUM_LEVELS]>,

    /// Entries whose tick has been reached, waiting to be taken by `poll`.
    due: List,

    /// Entries due at [`NEVER`]: past the clock's end, they never fire (only a shutdown
    /// takes them out), so they stay out of the levels, where they would make a paused
    /// clock cascade towards a deadline it can never reach.
    never: List,

    /// Linked entries (in slots or in `due`).
    len: usize,
}

// SAFETY: the raw pointers in the lists are `Arc<Entry>` references owned by the wheel, and
// `Entry` is `Send + Sync`; the wheel is only ever used behind the driver's mutex.
unsafe impl Send for Wheel {}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        let levels: [Level; NUM_LEVELS] = std::array::from_fn(Level::new);
        Wheel {
            elapsed: 0,
            levels: Box::new(levels),
            due: List::new(),
            never: List::new(),
            len: 0,
        }
    }

    /// The tick the wheel has been advanced to.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of linked entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Links `entry`, whose deadline tick (its state) is `when`. If that tick has been
    /// reached already, the entry is handed back instead: the caller fires it.
    pub(crate) fn insert(&mut self, entry: Arc<Entry>, when: u64) -> Result<(), Arc<Entry>> {
        debug_assert_eq!(entry.when(), when);
        if when <= self.elapsed {
            return Err(entry);
        }
        if when >= NEVER {
            self.never.push_front(entry, Place::Never);
        } else {
            let level = level_for(self.elapsed, when);
            self.levels[level].push(entry, when);
        }
        self.len += 1;
        Ok(())
    }

    /// Unlinks `entry` if it is linked in this wheel, giving the wheel's reference back.
    pub(crate) fn remove(&mut self, entry: &Entry) -> Option<Arc<Entry>> {
        let arc = match entry.place() {
            Place::Unlinked => return None,
            // SAFETY: the entry's place says it is in `due`, and places are only written by
            // this wheel's lists.
            Place::Due => unsafe { self.due.remove(entry) },
            // SAFETY: as above, for `never`.
            Place::Never => unsafe { self.never.remove(entry) },
            Place::Slot { level, slot } => {
                // SAFETY: as above, for that slot.
                unsafe { self.levels[level as usize].remove(entry, slot as usize) }
            }
        };
        self.len -= 1;
        Some(arc)
    }

    /// The next tick at which the wheel has work: the start of the earliest occupied slot
    /// (for a higher level, the time to cascade it, which is no later than the earliest
    /// deadline in it), or `elapsed` when entries are already due.
    pub(crate) fn next_expiration(&self) -> Option<Expiration> {
        if !self.due.is_empty() {
            return Some(Expiration {
                level: 0,
                slot: 0,
                deadline: self.elapsed,
            });
        }
        // Levels hold disjoint, increasing ranges of the future, except for the top level's
        // wrap-around, so the first level with an occupied slot has the earliest one.
        self.levels
            .iter()
            .find_map(|level| level.next_expiration(self.elapsed))
    }

    /// Advances the wheel to tick `now` and takes the next entry due by then, cascading
    /// higher slots as their time comes. Returns `None` once nothing more is due (the wheel
    /// is then at `now`). Entries come out in order of deadline tick.
    pub(crate) fn poll(&mut self, now: u64) -> Option<Arc<Entry>> {
        loop {
            if let Some(entry) = self.due.pop_back() {
                self.len -= 1;
                return Some(entry);
            }
            match self.next_expiration() {
                Some(exp) if exp.deadline <= now => self.process(exp),
                _ => {
                    self.set_elapsed(now);
                    return None;
                }
            }
        }
    }

    /// For a paused clock about to jump to the next deadline: cascades, without firing
    /// anything, until the next expiration is a firing one (a level-0 slot, or entries
    /// already due), and returns its tick; `None` if nothing can fire. `elapsed` may move
    /// (to the last cascade point, before the returned tick), so the caller must move its
    /// clock to the returned tick before anything else uses the wheel. (Every tick in the
    /// levels is at most `LAST_TICK`, which the clock can show.)
    #[cfg(all(test, not(weft_loom)))]
    pub(crate) fn jump(&mut self) -> Option<u64> {
        Wheel::jump_all(&mut [self])
    }

    /// [`Wheel::jump`] over several wheels (the shards of one driver), which the driver
    /// uses: cascades, always in the wheel whose next expiration is the earliest, until that
    /// one is a firing one, and returns its tick. No wheel's `elapsed` moves past the
    /// returned tick: each cascade happens at the earliest expiration of all.
    pub(crate) fn jump_all(wheels: &mut [&mut Wheel]) -> Option<u64> {
        loop {
            let (wheel, exp) = wheels
                .iter_mut()
                .filter_map(|w| w.next_expiration().map(|exp| (w, exp)))
                .min_by_key(|(_, exp)| exp.deadline)?;
            if exp.level == 0 {
                return Some(exp.deadline);
            }
            wheel.process(exp);
        }
    }

    /// Unlinks any one entry (for shutdown, where order does not matter).
    pub(crate) fn pop_any(&mut self) -> Option<Arc<Entry>> {
        let entry = self
            .due
            .pop_back()
            .or_else(|| self.never.pop_back())
            .or_else(|| self.levels.iter_mut().find_map(Level::pop_any))?;
        self.len -= 1;
        Some(entry)
    }

    /// Processes slot `exp` in one pass: the whole list is taken out first (entries beyond
    /// the horizon can go back into this very slot and must not be seen twice), then each
    /// entry goes to `due` if its tick is reached, or one or more levels down otherwise.
    fn process(&mut self, exp: Expiration) {
        let mut entries = self.levels[exp.level].take_slot(exp.slot);
        while let Some(entry) = entries.pop_back() {
            let when = entry.when();
            if when <= exp.deadline {
                self.due.push_front(entry, Place::Due);
            } else {
                let level = level_for(exp.deadline, when);
                debug_assert!(level < exp.level || exp.level == NUM_LEVELS - 1);
                self.levels[level].push(entry, when);
            }
        }
        self.set_elapsed(exp.deadline);
    }

    /// Moves `elapsed` forward to `when` (never back: a `poll` with a `now` read before
    /// another thread's jump may come late).
    fn set_elapsed(&mut self, when: u64) {
        self.elapsed = self.elapsed.max(when);
    }

    #[cfg(all(test, not(weft_loom)))]
    fn occupied(&self, level: usize) -> u64 {
        self.levels[level].occupied()
    }
}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len)
            .field("levels", &self.levels)
            .finish()
    }
}

/// The level for an entry due at `when` when the wheel is at `elapsed`: the highest 6-bit
/// group in which the two differ, folded into the top level beyond the horizon.
fn level_for(elapsed: u64, when: u64) -> usize {
    // The low group is or-ed in so that equal ticks (and tick 0) still give level 0.
    let masked = (elapsed ^ when) | (level_range(0) - 1);
    if masked >= HORIZON {
        return NUM_LEVELS - 1;
    }
    (63 - masked.leading_zeros() as usize) / BITS_PER_LEVEL
}

#[cfg(all(test, not(weft_loom)))]
mod test;

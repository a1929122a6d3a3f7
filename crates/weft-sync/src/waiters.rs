//! The waiter list every primitive of this crate stands on.
//!
//! A [`WaitList`] is plain data kept *inside* the primitive's own lock, next to the state it
//! guards (the permit count, the message queue, the lock bit), so that one critical section
//! decides both "can I proceed?" and "then I wait here". It is a slab of entries threaded
//! into a FIFO by index, so:
//!
//! - waiting allocates nothing once the slab has grown to the high-water mark of
//!   simultaneous waiters (event-listener boxes one node per `listen()`);
//! - a waiter is found, moved and removed in O(1) by its [`Key`];
//! - a woken waiter keeps its entry, marked *notified*, until its owner reads it
//!   ([`WaitList::poll`]) or drops it ([`WaitList::cancel`]). The entry carries the
//!   waiter's data (`T`: permits wanted, reader or writer, a slot for a handed-off value),
//!   which the notifier may fill in before it notifies.
//!
//! The protocol every primitive follows (and its loom models check):
//!
//! 1. poll: under the lock, try the fast path; if it fails, [`push_back`](WaitList::push_back)
//!    an entry and return `Pending`. A later poll calls [`poll`](WaitList::poll): either the
//!    entry was notified (its data comes back and the entry is freed) or the waker is
//!    refreshed.
//! 2. notify: under the lock, [`notify_front`](WaitList::notify_front) unlinks the first
//!    waiting entry and returns its waker; the waker is woken *after* the lock is released
//!    (collect several in a [`WakeList`]).
//! 3. drop: a future that still holds a key calls [`cancel`](WaitList::cancel) under the
//!    lock. If the entry had already been notified, whatever it was granted (a permit, a
//!    notification, a value) is passed on to the next waiter: a dropped future never
//!    swallows a wake-up.

use std::fmt;
use std::mem::ManuallyDrop;
use std::task::Waker;

/// "No entry" in the index links.
const NIL: u32 = u32::MAX;

/// A waiter's place in a [`WaitList`]. It cannot be copied: exactly one future owns it, and
/// gives it back through [`WaitList::poll`] (once notified) or [`WaitList::cancel`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a Key left behind leaks its entry; give it back with poll or cancel"]
pub(crate) struct Key(u32);

/// What [`WaitList::cancel`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cancelled<T> {
    /// The entry was still waiting; it is gone and nobody is owed anything.
    Waiting(T),
    /// The entry had been notified: the caller must pass on what it was granted.
    Notified(T),
}

enum State<T> {
    Free { next_free: u32 },
    Waiting { waker: Waker, data: T },
    Notified { data: T },
}

struct Entry<T> {
    prev: u32,
    next: u32,
    state: State<T>,
}

/// A FIFO of waiting futures, each with its waker and a `T` of its own; see the
/// [module docs](self) for the protocol.
pub(crate) struct WaitList<T> {
    entries: Vec<Entry<T>>,
    head: u32,
    tail: u32,
    free: u32,
    waiting: usize,
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        WaitList::new()
    }
}

impl<T> fmt::Debug for WaitList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("waiting", &self.waiting)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl<T> WaitList<T> {
    /// An empty list (allocates nothing until the first waiter).
    pub(crate) const fn new() -> WaitList<T> {
        WaitList {
            entries: Vec::new(),
            head: NIL,
            tail: NIL,
            free: NIL,
            waiting: 0,
        }
    }

    /// No entry is waiting (notified entries not yet read back do not count).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.waiting == 0
    }

    /// How many entries are waiting.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.waiting
    }

    /// Adds a waiting entry at the back of the queue.
    pub(crate) fn push_back(&mut self, waker: &Waker, data: T) -> Key {
        let i = self.alloc(waker, data);
        self.link_back(i);
        Key(i)
    }

    /// Adds a waiting entry at the front: for a woken waiter that lost a race for what it
    /// was woken for and keeps its place.
    pub(crate) fn push_front(&mut self, waker: &Waker, data: T) -> Key {
        let i = self.alloc(waker, data);
        self.entries[i as usize].next = self.head;
        match self.head {
            NIL => self.tail = i,
            h => self.entries[h as usize].prev = i,
        }
        self.head = i;
        self.waiting += 1;
        Key(i)
    }

    /// A later poll of the entry's owner: `Ok(data)` if it was notified (the entry is
    /// freed), else `Err(key)` with the waker refreshed.
    pub(crate) fn poll(&mut self, key: Key, waker: &Waker) -> Result<T, Key> {
        let entry = &mut self.entries[key.0 as usize];
        match &mut entry.state {
            State::Waiting { waker: w, .. } => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                Err(key)
            }
            State::Notified { .. } => Ok(self.release(key.0)),
            State::Free { .. } => unreachable!("a Key outlived its entry"),
        }
    }

    /// The owner gives up: removes the entry and says whether it had been notified.
    pub(crate) fn cancel(&mut self, key: Key) -> Cancelled<T> {
        let i = key.0;
        if let State::Waiting { .. } = self.entries[i as usize].state {
            self.unlink(i);
            Cancelled::Waiting(self.release(i))
        } else {
            Cancelled::Notified(self.release(i))
        }
    }

    /// The data of the first waiting entry.
    pub(crate) fn front(&self) -> Option<&T> {
        match self.entries.get(self.head as usize)?.state {
            State::Waiting { ref data, .. } => Some(data),
            _ => unreachable!("only waiting entries are linked"),
        }
    }

    /// The data of the first waiting entry, to fill in before [`notify_front`](Self::notify_front).
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        match self.entries.get_mut(self.head as usize)?.state {
            State::Waiting { ref mut data, .. } => Some(data),
            _ => unreachable!("only waiting entries are linked"),
        }
    }

    /// Marks the first waiting entry notified and unlinks it; returns its waker, to be woken
    /// once the caller has released its lock.
    pub(crate) fn notify_front(&mut self) -> Option<Waker> {
        let i = self.head;
        if i == NIL {
            return None;
        }
        self.unlink(i);
        let entry = &mut self.entries[i as usize];
        let State::Waiting { waker, data } =
            std::mem::replace(&mut entry.state, State::Free { next_free: NIL })
        else {
            unreachable!("only waiting entries are linked")
        };
        entry.state = State::Notified { data };
        Some(waker)
    }

    /// Notifies waiting entries from the front into `wakes` until either runs out; returns
    /// `true` if the list is now empty (else `wakes` is full: wake it, re-lock, go on).
    pub(crate) fn notify_into(&mut self, wakes: &mut WakeList) -> bool {
        while !wakes.is_full() {
            match self.notify_front() {
                Some(waker) => wakes.push(waker),
                None => return true,
            }
        }
        self.is_empty()
    }

    fn alloc(&mut self, waker: &Waker, data: T) -> u32 {
        let state = State::Waiting {
            waker: waker.clone(),
            data,
        };
        if self.free != NIL {
            let i = self.free;
            let entry = &mut self.entries[i as usize];
            let State::Free { next_free } = entry.state else {
                unreachable!("the free list holds free entries")
            };
            self.free = next_free;
            entry.state = state;
            i
        } else {
            let i = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("more than u32::MAX - 1 simultaneous waiters on one primitive");
            self.entries.push(Entry {
                prev: NIL,
                next: NIL,
                state,
            });
            i
        }
    }

    fn link_back(&mut self, i: u32) {
        self.entries[i as usize].prev = self.tail;
        match self.tail {
            NIL => self.head = i,
            t => self.entries[t as usize].next = i,
        }
        self.tail = i;
        self.waiting += 1;
    }

    fn unlink(&mut self, i: u32) {
        let Entry { prev, next, .. } = self.entries[i as usize];
        match prev {
            NIL => self.head = next,
            p => self.entries[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.entries[n as usize].prev = prev,
        }
        let entry = &mut self.entries[i as usize];
        entry.prev = NIL;
        entry.next = NIL;
        self.waiting -= 1;
    }

    /// Frees an unlinked entry and returns its data.
    fn release(&mut self, i: u32) -> T {
        match self.free_entry(i) {
            State::Waiting { data, .. } | State::Notified { data } => data,
            State::Free { .. } => unreachable!("a Key outlived its entry"),
        }
    }

    /// Puts an unlinked entry on the free list and returns what it held.
    fn free_entry(&mut self, i: u32) -> State<T> {
        let next_free = self.free;
        self.free = i;
        std::mem::replace(
            &mut self.entries[i as usize].state,
            State::Free { next_free },
        )
    }
}

/// Wakers collected under a lock, woken after it is released. Holds up to 32; dropping it
/// wakes whatever is still in it, so an early return cannot lose a wake-up.
pub(crate) struct WakeList {
    /// `ManuallyDrop`: the slots past `len` are always empty and `Drop` wakes (so empties)
    /// the others, so the array's own drop glue (a check of every slot, on the hot path of
    /// every release) would find nothing to do. (A waker that panics while woken leaks the
    /// ones after it instead of dropping them: a leak, never a lost or double wake-up.)
    wakers: ManuallyDrop<[Option<Waker>; WakeList::CAPACITY]>,
    len: usize,
}

impl fmt::Debug for WakeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeList").field("len", &self.len).finish()
    }
}

impl Default for WakeList {
    fn default() -> Self {
        WakeList::new()
    }
}

impl WakeList {
    /// How many wakers fit.
    pub(crate) const CAPACITY: usize = 32;

    /// An empty list.
    pub(crate) const fn new() -> WakeList {
        WakeList {
            wakers: ManuallyDrop::new([const { None }; WakeList::CAPACITY]),
            len: 0,
        }
    }

    /// No room for another waker.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len == WakeList::CAPACITY
    }

    /// Adds a waker.
    ///
    /// # Panics
    ///
    /// If the list [is full](Self::is_full).
    pub(crate) fn push(&mut self, waker: Waker) {
        assert!(!self.is_full(), "WakeList is full");
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    /// Wakes every waker collected so far; the list is empty and reusable afterwards.
    pub(crate) fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(waker) = slot.take() {
                waker.wake();
            }
        }
        self.len = 0;
    }
}

impl Drop for WakeList {
    fn drop(&mut self) {
        self.wake_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_cancel_and_reuse() {
        let noop = Waker::noop();
        let mut list = WaitList::new();
        let a = list.push_back(noop, 'a');
        let b = list.push_back(noop, 'b');
        let c = list.push_back(noop, 'c');
        assert_eq!(list.len(), 3);
        assert_eq!(list.cancel(b), Cancelled::Waiting('b'));
        assert_eq!(list.front(), Some(&'a'));
        assert!(list.notify_front().is_some());
        assert_eq!(list.front(), Some(&'c'));
        // `a` was notified: its owner reads it back once, and its entry is reused.
        assert_eq!(list.poll(a, noop), Ok('a'));
        let d = list.push_front(noop, 'd');
        assert_eq!(list.entries.len(), 3, "freed entries are reused");
        assert_eq!(list.front(), Some(&'d'));
        assert!(list.notify_front().is_some());
        assert_eq!(list.cancel(d), Cancelled::Notified('d'));
        let c = list.poll(c, noop).unwrap_err();
        assert_eq!(list.cancel(c), Cancelled::Waiting('c'));
        assert!(list.is_empty());
        assert_eq!(list.front(), None);
        assert!(list.notify_front().is_none());
    }

    #[test]
    fn notify_into_stops_when_full() {
        let noop = Waker::noop();
        let mut list = WaitList::new();
        let keys: Vec<Key> = (0..40).map(|i| list.push_back(noop, i)).collect();
        let mut wakes = WakeList::new();
        assert!(!list.notify_into(&mut wakes));
        assert_eq!(list.len(), 8);
        wakes.wake_all();
        assert!(list.notify_into(&mut wakes));
        for key in keys {
            assert!(matches!(list.cancel(key), Cancelled::Notified(_)));
        }
    }
}

//! The waiters of one registration, behind its `ScheduledIo`'s mutex.
//!
//! * One **slot** per direction, for the `poll_*` functions (the last waker to poll wins):
//!   a reading task and a writing task, such as the two halves of a split stream, wait
//!   side by side.
//! * A **list** of entries for the futures of `readiness.rs`, any number per direction,
//!   each owned by one future: allocated at its first `Pending`, freed when it completes or
//!   is dropped, so a cancelled future takes only its own entry away. An entry is
//!   - [`Mode::Every`] (`readable()`/`writable()`): every such entry of the direction is
//!     woken by each event, as tokio wakes its readiness futures: they wait for a state,
//!     which all of them then see.
//!   - [`Mode::Turn`] (the `&self` operations: `accept`, `recv_from`, `send_to`, ...): each
//!     event wakes only the *oldest* waiting entry of its direction, which takes a turn at
//!     the system call. When a turn ends with the direction still ready (the operation
//!     succeeded, and more may be queued behind one edge: two connections, two datagrams)
//!     or is abandoned (its future dropped after the wake, before it ran), the turn passes
//!     to the next oldest waiting entry. A turn that ends in `WouldBlock` clears the
//!     readiness and passes nothing on: there is nothing left to take. So one event costs
//!     one wake-up (no herd of acceptors), no waiter is stranded by a cancelled one, and
//!     waiters are served oldest first whatever order the executor runs woken tasks in.
//!
//! The invariant the turns keep: while a direction is ready and a `Turn` entry waits in
//! it, another `Turn` entry of that direction has been woken (its task will poll or drop
//! it) or is being polled. `tests/loom_readiness.rs` checks it.

use std::task::Waker;

use crate::interest::Ready;

/// How an entry of the list is woken; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every such entry of the direction, at each event.
    Every,
    /// The oldest waiting such entry, at each event; passed on when its turn ends.
    Turn,
}

#[derive(Debug)]
struct Entry {
    direction: Ready,
    mode: Mode,
    /// `None` once woken, until the future stores a waker again.
    waker: Option<Waker>,
    /// Woken and not polled into waiting again since: the entry holds a turn.
    notified: bool,
    /// Creation order: the smallest waits longest.
    seq: u64,
}

impl Entry {
    fn waiting_in(&self, direction: Ready, mode: Mode) -> bool {
        self.direction == direction && self.mode == mode && self.waker.is_some() && !self.notified
    }
}

#[derive(Debug, Default)]
pub(crate) struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    list: Vec<Option<Entry>>,
    next_seq: u64,
}

/// What a freed entry leaves to do; see [`Waiters::remove`].
pub(crate) struct Removed {
    pub(crate) direction: Ready,
    /// A `Turn` entry that ended its turn (or held one when dropped): the caller passes
    /// the turn on if the direction is still ready.
    pub(crate) pass_turn: bool,
}

impl Waiters {
    /// The `poll_*` slot of `direction`.
    pub(crate) fn slot(&mut self, direction: Ready) -> &mut Option<Waker> {
        if direction == Ready::READABLE {
            &mut self.reader
        } else {
            &mut self.writer
        }
    }

    /// An event of readiness `ready`: moves to `wakers` the slots it concerns, every
    /// `Every` entry of those directions and the oldest waiting `Turn` entry of each.
    pub(crate) fn wake_event(&mut self, ready: Ready, wakers: &mut Vec<Waker>) {
        for direction in [Ready::READABLE, Ready::WRITABLE] {
            if !ready.intersects(Ready::mask(direction)) {
                continue;
            }
            wakers.extend(self.slot(direction).take());
            for entry in self.list.iter_mut().flatten() {
                if entry.waiting_in(direction, Mode::Every) {
                    entry.notified = true;
                    wakers.extend(entry.waker.take());
                }
            }
            self.pass_turn(direction, wakers);
        }
    }

    /// The registration closed or the reactor shut down: every waiter, of every kind.
    pub(crate) fn wake_all(&mut self, wakers: &mut Vec<Waker>) {
        wakers.extend(self.reader.take());
        wakers.extend(self.writer.take());
        for entry in self.list.iter_mut().flatten() {
            entry.notified = true;
            wakers.extend(entry.waker.take());
        }
    }

    /// Wakes the oldest waiting `Turn` entry of `direction`, if any: it holds the turn now.
    pub(crate) fn pass_turn(&mut self, direction: Ready, wakers: &mut Vec<Waker>) {
        let oldest = self
            .list
            .iter_mut()
            .flatten()
            .filter(|e| e.waiting_in(direction, Mode::Turn))
            .min_by_key(|e| e.seq);
        if let Some(entry) = oldest {
            entry.notified = true;
            wakers.extend(entry.waker.take());
        }
    }

    /// Stores `waker` in the entry `*key`, allocating one (of `direction` and `mode`) on
    /// first use. The entry waits again: a turn it held is over (its future saw the
    /// direction not ready, so there was nothing to pass on).
    pub(crate) fn store(
        &mut self,
        key: &mut Option<usize>,
        direction: Ready,
        mode: Mode,
        waker: &Waker,
    ) {
        if let Some(entry) = key
            .and_then(|k| self.list.get_mut(k))
            .and_then(Option::as_mut)
        {
            match &mut entry.waker {
                Some(w) if w.will_wake(waker) => {}
                w => *w = Some(waker.clone()),
            }
            entry.notified = false;
            return;
        }
        let entry = Entry {
            direction,
            mode,
            waker: Some(waker.clone()),
            notified: false,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        let k = match self.list.iter().position(Option::is_none) {
            Some(k) => {
                self.list[k] = Some(entry);
                k
            }
            None => {
                self.list.push(Some(entry));
                self.list.len() - 1
            }
        };
        *key = Some(k);
    }

    /// Frees the entry `key`. `done`: its future completed (its operation did something
    /// other than `WouldBlock`), rather than being dropped.
    pub(crate) fn remove(&mut self, key: usize, done: bool) -> Option<Removed> {
        let entry = self.list.get_mut(key)?.take()?;
        while self.list.last().is_some_and(Option::is_none) {
            self.list.pop();
        }
        Some(Removed {
            direction: entry.direction,
            pass_turn: entry.mode == Mode::Turn && (done || entry.notified),
        })
    }
}

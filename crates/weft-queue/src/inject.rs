//! The global injection queue: spawns from outside the runtime and local-queue overflow.
//!
//! A `VecDeque` behind a mutex, with its length mirrored in an atomic so that the common
//! question, "is there anything?", takes no lock. Under loom the mutex is loom's and the
//! length is read under it instead: the mirror's loads, one more branch point in every look a
//! worker takes, made the scheduler models' state space explode (`loom_park` ran past eight
//! minutes at 2 preemptions; 60 s with the locked read, 50 s with the mutex stand-in for the
//! lock-free queue that came before), and a locked read is what the models checked
//! when this was a lock-free queue with a mutex stand-in.
//!
//! It was `crossbeam_deque::Injector` (lock-free, one ~1 KiB block per 63 items), and the
//! lock-free queue cost more than it saved. Each block is a request in glibc's large-bin
//! range, and such a request first consolidates every free fast-bin chunk (`malloc_consolidate`)
//! under the arena lock, so the other worker's frees queued behind it: in the `timers` row
//! (100,000 spawns from a task, all but 256 of them through this queue) `perf` found the
//! block allocations at 6.6% of weft's samples, and 15,750 blocking waits on the arena lock
//! in the task frees against smol's 7,600. The `VecDeque` keeps its buffer, so a busy runtime
//! allocates nothing here after warm-up, and a refill takes its whole batch under one lock
//! ([`Inject::pop_batch_into`]). Alternated runs (`weft-benches --filter
//! timers,spawn,fan_out_fan_in`, weft/smol, three pairs) are in the commit that made it.

use std::collections::VecDeque;
use std::fmt;

#[cfg(not(weft_loom))]
use std::sync::atomic::{
    AtomicUsize,
    Ordering::{Acquire, Release},
};

use weft_core::loom::sync::Mutex;

use crate::Local;

/// The room an empty queue keeps, in items.
const KEEP: usize = 1024;

/// An empty queue with room for more than this many items shrinks to [`KEEP`].
const SHRINK_ABOVE: usize = 16 * KEEP;

/// The global FIFO run queue shared by all workers: tasks spawned from outside the runtime, and
/// the tasks pushed to a full local queue.
///
/// `Send` and `Sync` for `T: Send`; unbounded; dropping it drops the items left in it.
///
/// ```
/// use weft_queue::Inject;
///
/// let inject = Inject::new();
/// inject.push(1);
/// inject.push_batch(2..4);
/// assert_eq!(inject.len(), 3);
/// assert_eq!(inject.pop(), Some(1));
/// assert_eq!(inject.pop(), Some(2));
/// assert_eq!(inject.pop(), Some(3));
/// assert!(inject.is_empty());
/// ```
pub struct Inject<T> {
    queue: Mutex<VecDeque<T>>,
    /// `queue.len()`, stored under the lock after each change: read without it by
    /// [`is_empty`](Self::is_empty), [`len`](Self::len) and the empty fast path of the pops.
    /// A reader may see a push late, as if it had looked just before it; the idle protocol
    /// orders a push before its notification (`weft-sched`'s `idle.rs`), as it did with the
    /// lock-free queue. Not under loom (see the module docs).
    #[cfg(not(weft_loom))]
    len: AtomicUsize,
}

impl<T> Inject<T> {
    /// An empty queue.
    ///
    /// ```
    /// let inject = weft_queue::Inject::<u32>::new();
    /// assert!(inject.is_empty());
    /// ```
    pub fn new() -> Self {
        Inject {
            queue: Mutex::new(VecDeque::new()),
            #[cfg(not(weft_loom))]
            len: AtomicUsize::new(0),
        }
    }

    /// Pushes `task` to the back.
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// inject.push("task");
    /// assert_eq!(inject.pop(), Some("task"));
    /// ```
    pub fn push(&self, task: T) {
        let mut queue = self.queue.lock();
        queue.push_back(task);
        self.publish(&queue);
    }

    /// Pushes every item of `tasks` to the back, in order. Other pushers may interleave their
    /// items with the batch; each item's relative order within the batch is kept.
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// inject.push_batch(["a", "b"].into_iter());
    /// assert_eq!(inject.pop(), Some("a"));
    /// assert_eq!(inject.pop(), Some("b"));
    /// ```
    pub fn push_batch(&self, tasks: impl Iterator<Item = T>) {
        let mut queue = self.queue.lock();
        queue.extend(tasks);
        self.publish(&queue);
    }

    /// Pops the item at the front, or `None` when the queue is empty.
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// assert_eq!(inject.pop(), None::<u8>);
    /// inject.push(1u8);
    /// assert_eq!(inject.pop(), Some(1));
    /// ```
    pub fn pop(&self) -> Option<T> {
        self.take(VecDeque::pop_front)
    }

    /// Pops the item at the front and moves up to `more` of the next ones to the back of
    /// `dst`, all under one lock (as many as `dst` has room for): a worker's refill from the
    /// global queue. `None` when the queue is empty.
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let inject = Inject::new();
    /// inject.push_batch(0..10);
    /// let (mut mine, _steal) = local();
    /// assert_eq!(inject.pop_batch_into(&mut mine, 3), Some(0));
    /// assert_eq!(mine.len(), 3);
    /// assert_eq!(mine.pop(), Some(1));
    /// assert_eq!(inject.len(), 6);
    /// ```
    pub fn pop_batch_into(&self, dst: &mut Local<T>, more: usize) -> Option<T> {
        self.take(|queue| {
            let first = queue.pop_front()?;
            for _ in 0..more {
                let Some(task) = queue.pop_front() else { break };
                if let Err(task) = dst.push_within(task) {
                    queue.push_front(task);
                    break;
                }
            }
            Some(first)
        })
    }

    /// Every pop: nothing (and no lock) when the queue looks empty; else `pop` under the
    /// lock, then the length published and, once a burst has drained, the room it grew
    /// beyond [`KEEP`] slots given back (so a burst of 100,000 spawns does not hold its
    /// megabyte for the runtime's life; regrowing it is a handful of `realloc`s per burst).
    fn take(&self, pop: impl FnOnce(&mut VecDeque<T>) -> Option<T>) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.queue.lock();
        let first = pop(&mut queue);
        self.publish(&queue);
        if queue.is_empty() && queue.capacity() > SHRINK_ABOVE {
            queue.shrink_to(KEEP);
        }
        first
    }

    /// Mirrors the length, under the lock.
    #[inline]
    fn publish(&self, _queue: &VecDeque<T>) {
        #[cfg(not(weft_loom))]
        self.len.store(_queue.len(), Release);
    }

    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.queue.lock().capacity()
    }

    /// Whether the queue is empty (a snapshot when other threads use it).
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// assert!(inject.is_empty());
    /// inject.push(());
    /// assert!(!inject.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many items the queue holds (a snapshot when other threads use it).
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// inject.push_batch(0..3);
    /// assert_eq!(inject.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        #[cfg(not(weft_loom))]
        return self.len.load(Acquire);
        #[cfg(weft_loom)]
        return self.queue.lock().len();
    }
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Inject::new()
    }
}

impl<T> fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inject").field("len", &self.len()).finish()
    }
}

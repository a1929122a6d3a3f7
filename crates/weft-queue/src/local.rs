//! The owner's half of a local queue: push to the back (to the global queue when full), pop
//! from the front.

use std::fmt;
use std::marker::PhantomData;

use weft_core::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use weft_core::loom::sync::Arc;

use crate::inner::{pack, unpack, Inner, CAPACITY};
use crate::Inject;

/// Where [`Local::push_back`] put the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Into the ring, which held `before` items just before (slots a thief is still copying
    /// out of count as held).
    Local {
        /// Items in the ring before the push.
        before: usize,
    },
    /// Into the overflow queue: the ring was full.
    Overflow,
}

/// The owner's handle to a worker's local run queue, from [`local`](crate::local).
///
/// Exactly one thread (the worker) holds it: it is `Send` (for `T: Send`) so the worker can be
/// started on its own thread, but neither `Sync` nor `Clone`, and the mutating methods take
/// `&mut self`. Other workers reach the same ring through its [`Steal`](crate::Steal) handles.
///
/// Dropping it drops the items still queued (items a thief is copying out at that moment belong
/// to the thief).
///
/// ```
/// use weft_queue::{local, Inject};
///
/// let (mut queue, _steal) = local();
/// let inject = Inject::new();
/// queue.push_back("a", &inject);
/// queue.push_back("b", &inject);
/// assert_eq!(queue.len(), 2);
/// assert_eq!(queue.pop(), Some("a"));
/// assert_eq!(queue.pop(), Some("b"));
/// assert_eq!(queue.pop(), None);
/// ```
///
/// Sharing it between threads, or cloning it, does not compile:
///
/// ```compile_fail,E0277
/// fn is_sync<S: Sync>() {}
/// is_sync::<weft_queue::Local<u32>>();
/// ```
///
/// ```compile_fail,E0277
/// fn is_clone<C: Clone>() {}
/// is_clone::<weft_queue::Local<u32>>();
/// ```
pub struct Local<T> {
    pub(crate) inner: Arc<Inner<T>>,
    /// Zero-sized marker (never a real cell): keeps `Local` `Send` but not `Sync`.
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl<T> Local<T> {
    pub(crate) fn new(inner: Arc<Inner<T>>) -> Self {
        Local {
            inner,
            _not_sync: PhantomData,
        }
    }

    /// The `tail` index. Only the owner stores `tail`, so a Relaxed load by the owner always
    /// returns its own latest store.
    #[inline]
    pub(crate) fn tail(&self) -> u32 {
        self.inner.tail.load(Relaxed)
    }

    /// The number of items queued (not counting a batch a thief is copying out right now).
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, _steal) = local();
    /// assert_eq!(queue.len(), 0);
    /// queue.push_back(7, &Inject::new());
    /// assert_eq!(queue.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        self.tail().wrapping_sub(real) as usize
    }

    /// Whether no item is queued.
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, _steal) = local();
    /// assert!(queue.is_empty());
    /// queue.push_back(7, &Inject::new());
    /// assert!(!queue.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many items have gone into the ring so far (a wrapping count; items sent to the
    /// overflow queue are not counted). Beside [`Steal::taken`](crate::Steal::taken), it
    /// tells whether every item queued up to some moment has left the queue since.
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, steal) = local();
    /// let inject = Inject::new();
    /// queue.push_back(1, &inject);
    /// queue.push_back(2, &inject);
    /// let mark = queue.pushed();
    /// queue.pop();
    /// assert_ne!(steal.taken(), mark); // one of the two is still queued
    /// queue.pop();
    /// assert_eq!(steal.taken(), mark);
    /// ```
    pub fn pushed(&self) -> u32 {
        self.tail()
    }

    /// How many more items [`push_back`](Self::push_back) can take before it overflows. Slots a
    /// thief is still copying out of count as taken.
    ///
    /// ```
    /// use weft_queue::{local, Inject, LOCAL_QUEUE_CAPACITY};
    ///
    /// let (mut queue, _steal) = local();
    /// assert_eq!(queue.remaining_slots(), LOCAL_QUEUE_CAPACITY);
    /// queue.push_back(7, &Inject::new());
    /// assert_eq!(queue.remaining_slots(), LOCAL_QUEUE_CAPACITY - 1);
    /// ```
    pub fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        (CAPACITY - self.tail().wrapping_sub(steal)) as usize
    }

    /// Pushes `task` to the back of the queue.
    ///
    /// Never allocates while the ring has room. When it is full (or full only because a thief
    /// is still copying a batch out of it), `task` goes to `overflow` and the ring keeps what it
    /// holds: the oldest queued tasks are never sent behind the global queue's backlog.
    ///
    /// ```
    /// use weft_queue::{local, Inject, Pushed, LOCAL_QUEUE_CAPACITY};
    ///
    /// let (mut queue, _steal) = local();
    /// let inject = Inject::new();
    /// for i in 0..LOCAL_QUEUE_CAPACITY {
    ///     assert_eq!(queue.push_back(i, &inject), Pushed::Local { before: i });
    /// }
    /// assert_eq!(queue.push_back(LOCAL_QUEUE_CAPACITY, &inject), Pushed::Overflow);
    /// // The last push found the ring full: only the new item went to the global queue.
    /// assert_eq!(inject.pop(), Some(LOCAL_QUEUE_CAPACITY));
    /// assert!(inject.is_empty());
    /// assert_eq!(queue.len(), LOCAL_QUEUE_CAPACITY);
    /// assert_eq!(queue.pop(), Some(0));
    /// ```
    pub fn push_back(&mut self, task: T, overflow: &Inject<T>) -> Pushed {
        match self.push_within(task) {
            Ok(before) => Pushed::Local { before },
            // The new task waits in the global queue.
            Err(task) => overflow_one(task, overflow),
        }
    }

    /// Pushes `task` to the back if the ring has room, returning how many items it held
    /// before; gives `task` back if the ring is full (or full only because a thief is still
    /// copying a batch out).
    #[inline]
    pub(crate) fn push_within(&mut self, task: T) -> Result<usize, T> {
        let tail = self.tail();
        // Acquire: a thief's reads of the slots it stole happen-before our reuse of them.
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        let held = tail.wrapping_sub(steal);
        if held >= CAPACITY {
            // Full, or a thief is still copying a batch out (its slots free up when it
            // commits).
            return Err(task);
        }
        // SAFETY: we are the owner, and `tail - steal < CAPACITY` with `steal` loaded with Acquire
        // above (it only grows afterwards), so the slot for `tail` is free and no thief reads it.
        unsafe { self.inner.write(tail, task) };
        // Release: publishes the slot write to thieves that load `tail` with Acquire.
        self.inner.tail.store(tail.wrapping_add(1), Release);
        Ok(held as usize)
    }

    /// Pops the item at the front (oldest first). Returns `None` when the queue is empty.
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, _steal) = local();
    /// let inject = Inject::new();
    /// queue.push_back(1, &inject);
    /// queue.push_back(2, &inject);
    /// assert_eq!(queue.pop(), Some(1));
    /// assert_eq!(queue.pop(), Some(2));
    /// assert_eq!(queue.pop(), None);
    /// ```
    pub fn pop(&mut self) -> Option<T> {
        let mut head = self.inner.head.load(Acquire);
        let real = loop {
            let (steal, real) = unpack(head);
            if real == self.tail() {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // With no steal in flight both halves move together; otherwise the thief owns
            // `steal` and will set it to our new `real` when it commits.
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                debug_assert_ne!(steal, next_real);
                pack(steal, next_real)
            };
            // AcqRel: on success we take the slot (a thief's claim of other slots is ordered
            // with ours); on failure reload what the thief stored.
            match self
                .inner
                .head
                .compare_exchange(head, next, AcqRel, Acquire)
            {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: `real` was in `[real, tail)` (initialised, written by this thread) and our CAS
        // moved `real` past it, so no thief can claim it; we read it exactly once.
        Some(unsafe { self.inner.read(real) })
    }
}

/// The cold end of [`Local::push_back`], out of line so that the push it leaves stays small.
#[cold]
#[inline(never)]
fn overflow_one<T>(task: T, overflow: &Inject<T>) -> Pushed {
    overflow.push(task);
    Pushed::Overflow
}

impl<T> Drop for Local<T> {
    /// Drops every item still queued.
    fn drop(&mut self) {
        while let Some(task) = self.pop() {
            drop(task);
        }
    }
}

impl<T> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("len", &self.len())
            .field("remaining_slots", &self.remaining_slots())
            .finish()
    }
}

//! The owner's half of a local queue: push to the back, pop from the front, overflow to the
//! global queue.

use std::fmt;
use std::marker::PhantomData;

use weft_core::loom::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use weft_core::loom::sync::Arc;

use crate::inner::{pack, unpack, Inner, CAPACITY};
use crate::Inject;

/// How many queued items an overflow moves out of a full ring (plus the pushed item).
const OVERFLOW_BATCH: u32 = CAPACITY / 2;

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
    /// Never allocates while the ring has room. When it is full, the front half of the ring
    /// (claimed in one compare-and-swap) followed by `task` goes to `overflow` in one
    /// [`Inject::push_batch`], oldest first. If the ring is full only because a thief is still
    /// copying a batch out of it, those slots are about to be free, so just `task` goes to
    /// `overflow`.
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
    /// // The last push found the ring full: half of it plus the new item moved out.
    /// assert_eq!(inject.len(), LOCAL_QUEUE_CAPACITY / 2 + 1);
    /// assert_eq!(queue.len(), LOCAL_QUEUE_CAPACITY / 2);
    /// assert_eq!(inject.pop(), Some(0));
    /// assert_eq!(queue.pop(), Some(LOCAL_QUEUE_CAPACITY / 2));
    /// ```
    pub fn push_back(&mut self, mut task: T, overflow: &Inject<T>) -> Pushed {
        let tail = self.tail();
        let before = loop {
            // Acquire: a thief's reads of the slots it stole happen-before our reuse of them.
            let (steal, real) = unpack(self.inner.head.load(Acquire));
            let held = tail.wrapping_sub(steal);
            if held < CAPACITY {
                break held as usize;
            }
            if steal != real {
                // A thief is copying out a batch; its slots free up as soon as it commits.
                overflow.push(task);
                return Pushed::Overflow;
            }
            match self.push_overflow(task, real, tail, overflow) {
                Ok(()) => return Pushed::Overflow,
                // A thief claimed a batch between our load and our CAS: there may be room now.
                Err(back) => task = back,
            }
        };
        // SAFETY: we are the owner, and `tail - steal < CAPACITY` with `steal` loaded with Acquire
        // above (it only grows afterwards), so the slot for `tail` is free and no thief reads it.
        unsafe { self.inner.write(tail, task) };
        // Release: publishes the slot write to thieves that load `tail` with Acquire.
        self.inner.tail.store(tail.wrapping_add(1), Release);
        Pushed::Local { before }
    }

    /// Moves the front half of a full ring plus `task` to `overflow`. Fails, handing `task`
    /// back, if a thief moved `head` away from `(real, real)` first.
    #[cold]
    fn push_overflow(
        &mut self,
        task: T,
        real: u32,
        tail: u32,
        overflow: &Inject<T>,
    ) -> Result<(), T> {
        debug_assert_eq!(
            tail.wrapping_sub(real),
            CAPACITY,
            "overflow of a ring that is not full"
        );
        let end = real.wrapping_add(OVERFLOW_BATCH);
        // Claim `[real, end)` in one step. Release: a thief that loads this `head` (Acquire)
        // must also see every `tail` store before it, or it could pair the new `real` with an
        // older, smaller `tail` and compute a huge length. (The slots themselves were written by
        // this thread; a thief whose CAS loses to ours just reloads `head`.)
        if self
            .inner
            .head
            .compare_exchange(pack(real, real), pack(end, end), Release, Relaxed)
            .is_err()
        {
            return Err(task);
        }
        let batch = Claimed {
            inner: &self.inner,
            next: real,
            end,
        };
        overflow.push_batch(batch.chain(std::iter::once(task)));
        Ok(())
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

/// The positions `[next, end)` that `push_overflow` claimed, read out in order. Dropping it
/// drops the items not yet read, so a panic inside the overflow queue leaks nothing.
struct Claimed<'a, T> {
    inner: &'a Inner<T>,
    next: u32,
    end: u32,
}

impl<T> Iterator for Claimed<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return None;
        }
        let pos = self.next;
        self.next = pos.wrapping_add(1);
        // SAFETY: the owner's CAS moved both `steal` and `real` past `[next, end)`, so no thief
        // touches those slots, they were initialised by this thread, and the owner cannot reuse
        // them while it is busy in `push_back`; each position is read once as `next` advances.
        Some(unsafe { self.inner.read(pos) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.wrapping_sub(self.next) as usize;
        (n, Some(n))
    }
}

impl<T> Drop for Claimed<'_, T> {
    fn drop(&mut self) {
        self.for_each(drop);
    }
}

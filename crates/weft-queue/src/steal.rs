//! The thieves' half of a local queue: steal about half of it into another worker's queue.

use std::fmt;

use weft_core::loom::sync::atomic::Ordering::{AcqRel, Acquire, Release};
use weft_core::loom::sync::Arc;

use crate::inner::{pack, unpack, Inner, CAPACITY};
use crate::Local;

/// A handle other workers use to steal from one worker's local queue, from
/// [`local`](crate::local).
///
/// `Clone`, `Send` and `Sync` (for `T: Send`): the scheduler keeps one per worker where every
/// worker can reach it.
///
/// ```
/// use std::thread;
/// use weft_queue::{local, Inject};
///
/// let (mut busy, steal) = local();
/// let inject = Inject::new();
/// for i in 0..10 {
///     busy.push_back(i, &inject);
/// }
/// let stolen = thread::spawn(move || {
///     let (mut idle, _idle_steal) = local();
///     let first = steal.steal_into(&mut idle).expect("the queue had items");
///     let mut got = vec![first];
///     while let Some(i) = idle.pop() {
///         got.push(i);
///     }
///     got
/// })
/// .join()
/// .unwrap();
/// assert_eq!(stolen.len(), 5);
/// assert_eq!(busy.len(), 5);
/// ```
pub struct Steal<T> {
    pub(crate) inner: Arc<Inner<T>>,
}

impl<T> Steal<T> {
    pub(crate) fn new(inner: Arc<Inner<T>>) -> Self {
        Steal { inner }
    }

    /// Whether the queue looks empty (a snapshot: it may change at once).
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, steal) = local();
    /// assert!(steal.is_empty());
    /// queue.push_back(1, &Inject::new());
    /// assert!(!steal.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.len() == 0
    }

    /// How many items have left the queue so far, popped by its owner or stolen (a wrapping
    /// count, a snapshot): a thief that reads it twice can tell whether the owner is getting
    /// through its queue.
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, steal) = local();
    /// let inject = Inject::new();
    /// queue.push_back(1, &inject);
    /// queue.push_back(2, &inject);
    /// let before = steal.taken();
    /// queue.pop();
    /// assert_eq!(steal.taken().wrapping_sub(before), 1);
    /// ```
    pub fn taken(&self) -> u32 {
        self.inner.front()
    }

    /// How many items the queue holds (a snapshot: it may change at once).
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let (mut queue, steal) = local();
    /// queue.push_back(1, &Inject::new());
    /// assert_eq!(steal.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len() as usize
    }

    /// Steals about half of this queue (`ceil(len / 2)` items, oldest first) into `dst` in one
    /// batch, and returns the newest stolen item directly so the thief can run it at once; the
    /// rest land at the back of `dst`.
    ///
    /// Returns `None` without stealing when this queue is empty, when another thief is already
    /// stealing from it (one batch at a time; the caller moves on to another victim), or when
    /// `dst` has fewer than `LOCAL_QUEUE_CAPACITY / 2` free slots.
    ///
    /// `dst` must belong to a different queue: stealing into yourself is a bug (checked with a
    /// debug assertion).
    ///
    /// ```
    /// use weft_queue::{local, Inject};
    ///
    /// let inject = Inject::new();
    /// let (mut victim, steal) = local();
    /// let (mut thief, _) = local();
    /// for i in 0..4 {
    ///     victim.push_back(i, &inject);
    /// }
    /// assert_eq!(steal.steal_into(&mut thief), Some(1));
    /// assert_eq!(thief.pop(), Some(0));
    /// assert_eq!(victim.pop(), Some(2));
    /// assert_eq!(steal.steal_into(&mut thief), Some(3));
    /// assert_eq!(steal.steal_into(&mut thief), None);
    /// ```
    pub fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        debug_assert!(
            !std::ptr::eq::<Inner<T>>(&*self.inner, &*dst.inner),
            "steal_into: a queue cannot steal into itself"
        );
        let dst_tail = dst.tail();
        // Acquire: every read a thief of `dst` made of its slots happens-before our writes.
        // `dst`'s `steal` only grows after this load, so the room we see is a lower bound.
        let (dst_steal, _) = unpack(dst.inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > CAPACITY / 2 {
            return None;
        }
        let n = self.steal_batch(dst, dst_tail);
        if n == 0 {
            return None;
        }
        let last = dst_tail.wrapping_add(n - 1);
        // SAFETY: `steal_batch` initialised `[dst_tail, dst_tail + n)` of `dst` on this thread,
        // and `dst.tail` has not been advanced, so no other thread can see those slots; `last`
        // is read once and then left out of the published range.
        let ret = unsafe { dst.inner.read(last) };
        if n > 1 {
            // Release: publishes the other stolen items to `dst`'s thieves.
            dst.inner.tail.store(last, Release);
        }
        Some(ret)
    }

    /// Moves up to half of this queue to `dst` starting at `dst_tail`, without publishing them,
    /// and returns how many it moved.
    fn steal_batch(&self, dst: &mut Local<T>, dst_tail: u32) -> u32 {
        let src = &*self.inner;
        let mut head = src.head.load(Acquire);
        let (first, n) = loop {
            let (steal, real) = unpack(head);
            if steal != real {
                // Another thief is mid-steal; let it finish rather than wait.
                return 0;
            }
            // Acquire: pairs with the owner's Release store, so the slots up to `tail` are
            // initialised and visible. Loaded after `head`, whose Acquire pairs with the owner's
            // Release on `pop`, so this `tail` is never behind `real`.
            let tail = src.tail.load(Acquire);
            let len = tail.wrapping_sub(real);
            let n = len - len / 2;
            if n == 0 {
                return 0;
            }
            // Claim `[real, real + n)` by moving only `real`: until we set `steal = real` again
            // no other thief starts, and the owner will not write over these slots.
            let next = pack(steal, real.wrapping_add(n));
            match src.head.compare_exchange(head, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => head = actual,
            }
        };
        debug_assert!(
            n <= CAPACITY / 2,
            "stole {n} items, more than half the ring"
        );

        for i in 0..n {
            // SAFETY: `first + i` lies in the batch our CAS claimed: it is initialised (it was
            // below the `tail` we loaded with Acquire and `head` did not move since), nobody
            // else reads it while `steal` is held back, and it is read once.
            let task = unsafe { src.read(first.wrapping_add(i)) };
            // SAFETY: we hold `&mut dst`, so this thread is `dst`'s owner, and
            // `dst_tail - dst_steal <= CAPACITY / 2` with `n <= CAPACITY / 2`, so every written
            // position is below `dst_steal + CAPACITY`.
            unsafe { dst.inner.write(dst_tail.wrapping_add(i), task) };
        }

        // Commit: `steal = real`, releasing the slots to the owner. The owner may have popped
        // (moving `real`) meanwhile, so retry with whatever `real` is now.
        let mut head = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(head);
            // Release (in AcqRel): our reads of the slots happen-before the owner reuses them.
            match src
                .head
                .compare_exchange(head, pack(real, real), AcqRel, Acquire)
            {
                Ok(_) => return n,
                Err(actual) => {
                    debug_assert_ne!(unpack(actual).0, unpack(actual).1, "steal committed twice");
                    head = actual;
                }
            }
        }
    }
}

impl<T> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steal").field("len", &self.len()).finish()
    }
}

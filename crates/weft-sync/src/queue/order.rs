//! The order a queue hands its items out in: one small trait, [`Order`], over the three
//! storages, so that [`Queue`](super::Queue), [`LifoQueue`](super::LifoQueue) and
//! [`PriorityQueue`](super::PriorityQueue) share one implementation
//! ([`GenericQueue`](super::GenericQueue)) and differ only in where an item is pushed and
//! popped.
//!
//! | marker | storage | `get` returns | asyncio |
//! |---|---|---|---|
//! | [`Fifo`] | `VecDeque<T>` | the oldest item | `asyncio.Queue` |
//! | [`Lifo`] | `Vec<T>` | the newest item | `asyncio.LifoQueue` |
//! | [`Priority`] | `BinaryHeap<Reverse<T>>` | the smallest item | `asyncio.PriorityQueue` |

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

mod sealed {
    /// Keeps [`Order`](super::Order) closed: its methods are an implementation detail.
    #[allow(unreachable_pub)]
    pub trait Sealed {}
}

/// The order in which a [`GenericQueue`](super::GenericQueue) hands out its items:
/// [`Fifo`], [`Lifo`] or [`Priority`].
///
/// The trait is sealed: its storage and methods are an implementation detail. Name a queue
/// by its alias ([`Queue`](super::Queue), [`LifoQueue`](super::LifoQueue),
/// [`PriorityQueue`](super::PriorityQueue)) rather than through this trait.
///
/// ```
/// use weft::sync::queue::{Fifo, GenericQueue, Lifo};
///
/// // The same code for any order:
/// fn drain<T, O: weft::sync::queue::Order<T>>(q: &GenericQueue<T, O>) -> Vec<T> {
///     std::iter::from_fn(|| q.try_get().ok()).collect()
/// }
/// let fifo = GenericQueue::<u8, Fifo>::unbounded();
/// let lifo = GenericQueue::<u8, Lifo>::unbounded();
/// for n in 1..=3 {
///     fifo.try_put(n).unwrap();
///     lifo.try_put(n).unwrap();
/// }
/// assert_eq!(drain(&fifo), [1, 2, 3]);
/// assert_eq!(drain(&lifo), [3, 2, 1]);
/// ```
pub trait Order<T>: sealed::Sealed {
    /// The collection the items live in.
    #[doc(hidden)]
    type Storage: Default;
    /// Adds an item.
    #[doc(hidden)]
    fn push(storage: &mut Self::Storage, item: T);
    /// Takes the next item in this order.
    #[doc(hidden)]
    fn pop(storage: &mut Self::Storage) -> Option<T>;
    /// How many items are stored.
    #[doc(hidden)]
    fn len(storage: &Self::Storage) -> usize;
}

/// First in, first out, as `asyncio.Queue`: the order of [`Queue`](super::Queue).
///
/// ```
/// let q = weft::sync::Queue::unbounded();
/// q.try_put('a').unwrap();
/// q.try_put('b').unwrap();
/// assert_eq!(q.try_get(), Ok('a'));
/// ```
pub enum Fifo {}

/// Last in, first out, as `asyncio.LifoQueue`: the order of [`LifoQueue`](super::LifoQueue).
///
/// ```
/// let q = weft::sync::LifoQueue::unbounded();
/// q.try_put('a').unwrap();
/// q.try_put('b').unwrap();
/// assert_eq!(q.try_get(), Ok('b'));
/// ```
pub enum Lifo {}

/// Smallest first, as `asyncio.PriorityQueue` (a `heapq`): the order of
/// [`PriorityQueue`](super::PriorityQueue). Wrap items in [`std::cmp::Reverse`] for largest
/// first.
///
/// ```
/// let q = weft::sync::PriorityQueue::unbounded();
/// q.try_put(3).unwrap();
/// q.try_put(1).unwrap();
/// q.try_put(2).unwrap();
/// assert_eq!(q.try_get(), Ok(1));
/// ```
pub enum Priority {}

impl fmt::Debug for Fifo {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl fmt::Debug for Lifo {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl fmt::Debug for Priority {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl sealed::Sealed for Fifo {}
impl sealed::Sealed for Lifo {}
impl sealed::Sealed for Priority {}

impl<T> Order<T> for Fifo {
    type Storage = VecDeque<T>;

    #[inline]
    fn push(storage: &mut VecDeque<T>, item: T) {
        storage.push_back(item);
    }

    #[inline]
    fn pop(storage: &mut VecDeque<T>) -> Option<T> {
        storage.pop_front()
    }

    #[inline]
    fn len(storage: &VecDeque<T>) -> usize {
        storage.len()
    }
}

impl<T> Order<T> for Lifo {
    type Storage = Vec<T>;

    #[inline]
    fn push(storage: &mut Vec<T>, item: T) {
        storage.push(item);
    }

    #[inline]
    fn pop(storage: &mut Vec<T>) -> Option<T> {
        storage.pop()
    }

    #[inline]
    fn len(storage: &Vec<T>) -> usize {
        storage.len()
    }
}

impl<T: Ord> Order<T> for Priority {
    type Storage = BinaryHeap<Reverse<T>>;

    #[inline]
    fn push(storage: &mut BinaryHeap<Reverse<T>>, item: T) {
        storage.push(Reverse(item));
    }

    #[inline]
    fn pop(storage: &mut BinaryHeap<Reverse<T>>) -> Option<T> {
        storage.pop().map(|Reverse(item)| item)
    }

    #[inline]
    fn len(storage: &BinaryHeap<Reverse<T>>) -> usize {
        storage.len()
    }
}

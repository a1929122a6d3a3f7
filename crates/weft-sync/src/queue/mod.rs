//! asyncio's `Queue`, `LifoQueue` and `PriorityQueue`: a multi-producer, multi-consumer
//! queue of work items with asyncio's `task_done()` / `join()` bookkeeping, bounded or not,
//! and closable (asyncio 3.13's `shutdown()`).
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.Queue()`, `Queue(maxsize=n)` (n > 0) | [`Queue::unbounded()`](GenericQueue::unbounded), [`Queue::bounded(n)`](GenericQueue::bounded) |
//! | `Queue(maxsize=0)` or negative: no limit | [`Queue::unbounded()`](GenericQueue::unbounded) (`bounded(0)` panics) |
//! | `LifoQueue`, `PriorityQueue` | [`LifoQueue`], [`PriorityQueue`] (smallest first, as `heapq`) |
//! | `await q.put(x)`, `q.put_nowait(x)` | [`q.put(x).await`](GenericQueue::put), [`q.try_put(x)`](GenericQueue::try_put) |
//! | `await q.get()`, `q.get_nowait()` | [`q.get().await`](GenericQueue::get), [`q.try_get()`](GenericQueue::try_get) |
//! | `q.task_done()`, `await q.join()` | [`q.task_done()`](GenericQueue::task_done), [`q.join().await`](GenericQueue::join) |
//! | `q.shutdown()` (3.13), `QueueShutDown` | [`q.close()`](GenericQueue::close), [`PutError`] / [`GetError`] |
//! | `qsize()`, `maxsize`, `empty()`, `full()` | [`len`](GenericQueue::len), [`capacity`](GenericQueue::capacity), [`is_empty`](GenericQueue::is_empty), [`is_full`](GenericQueue::is_full) |
//! | `QueueFull`, `QueueEmpty` | [`TryPutError::Full`], [`TryGetError::Empty`] |
//!
//! A queue is a handle: [`Clone`] it for every task that puts or gets (all clones share one
//! queue). Dropping the handles does not close it; nothing here ever closes on its own.
//!
//! # The protocol
//!
//! One shim `Mutex` guards everything: the items (in the [`Order`]'s storage), the number of
//! items taken but not yet marked done, the closed flag and three `WaitList`s (the crate's
//! slab-backed waiter FIFO): getters (waiting for an item), putters (waiting for room) and
//! joiners (waiting for the count of unfinished items to reach zero). Every decision ("is there an item?", "then I wait") is
//! made in one critical section, and wakers are woken only after the lock is released.
//!
//! - **put**: closed -> error with the item back; room -> push the item and notify the
//!   *first* waiting getter (one item, one wake-up); full -> wait among the putters.
//! - **get**: an item -> pop it, count it taken, notify the first waiting putter (one slot
//!   freed, one wake-up); empty and closed -> error; empty -> wait among the getters.
//! - A waiter that was notified but finds nothing (another task took the item or the slot
//!   first, as asyncio allows) waits again at the *front* of its list, keeping its turn.
//! - A waiter dropped after it was notified passes the wake-up on to the next one if what it
//!   was woken for is still there (an item for a getter, room for a putter). So an item is
//!   never left in the queue while a getter sleeps, and a slot never stays free while a
//!   putter sleeps. A dropped `put` drops its item: it is never half-inserted.
//! - **task_done** decrements the taken count; when it and the queue's length are both zero
//!   it bumps an epoch and notifies every joiner registered in an older epoch. A joiner
//!   that was notified returns, even if new items were put since (asyncio's `join` behaves
//!   the same way); one that finds nothing unfinished returns at once without waiting.
//! - **close** sets the flag and notifies every getter and putter; no new waiter registers
//!   after it. Items already queued are still handed out, and `join` still waits for their
//!   `task_done` (asyncio's `shutdown(immediate=False)`).
//!
//! Each `get` and `put` spends one unit of the cooperative budget, so a consumer whose
//! queue never runs dry still yields to its neighbours.

mod error;
mod future;
mod order;

use std::fmt;
use std::task::Waker;

use weft_core::loom::sync::{Arc, Mutex, MutexGuard};

use crate::waiters::{WaitList, WakeList};

pub use error::{GetError, PutError, TryGetError, TryPutError};
pub use future::{Get, Join, Put};
pub use order::{Fifo, Lifo, Order, Priority};

/// asyncio's `Queue`: first in, first out.
///
/// All its methods are those of [`GenericQueue`], documented there.
///
/// ```
/// use weft::sync::Queue;
///
/// weft::run(async {
///     let queue = Queue::bounded(2);
///     let worker = weft::spawn({
///         let queue = queue.clone();
///         async move {
///             let mut seen = Vec::new();
///             while let Ok(job) = queue.get().await {
///                 seen.push(job);
///                 queue.task_done();
///             }
///             seen
///         }
///     });
///     for job in 1..=5 {
///         queue.put(job).await.unwrap(); // waits while 2 jobs are queued
///     }
///     queue.join().await; // every job taken and marked done
///     queue.close(); // the worker's next get() returns Err
///     assert_eq!(worker.await.unwrap(), [1, 2, 3, 4, 5]);
/// });
/// ```
pub type Queue<T> = GenericQueue<T, Fifo>;

/// asyncio's `LifoQueue`: last in, first out (a stack).
///
/// All its methods are those of [`GenericQueue`], documented there.
///
/// ```
/// let stack = weft::sync::LifoQueue::unbounded();
/// for n in 1..=3 {
///     stack.try_put(n).unwrap();
/// }
/// assert_eq!(stack.try_get(), Ok(3));
/// assert_eq!(stack.try_get(), Ok(2));
/// ```
pub type LifoQueue<T> = GenericQueue<T, Lifo>;

/// asyncio's `PriorityQueue`: the smallest item first, as Python's `heapq`.
///
/// For the largest first, put [`std::cmp::Reverse`]`(item)`. Items that compare equal come
/// out in no particular order; for first-in-first-out among equal priorities, put
/// `(priority, sequence_number, item)` tuples, as asyncio's documentation suggests.
///
/// All its methods are those of [`GenericQueue`], documented there.
///
/// ```
/// use std::cmp::Reverse;
/// use weft::sync::PriorityQueue;
///
/// let jobs = PriorityQueue::unbounded();
/// jobs.try_put((2, "write the report")).unwrap();
/// jobs.try_put((0, "fix the outage")).unwrap();
/// jobs.try_put((1, "answer email")).unwrap();
/// assert_eq!(jobs.try_get(), Ok((0, "fix the outage")));
///
/// let largest_first = PriorityQueue::unbounded();
/// for n in [3, 9, 1] {
///     largest_first.try_put(Reverse(n)).unwrap();
/// }
/// assert_eq!(largest_first.try_get(), Ok(Reverse(9)));
/// ```
pub type PriorityQueue<T> = GenericQueue<T, Priority>;

/// The one implementation behind [`Queue`], [`LifoQueue`] and [`PriorityQueue`]: a
/// multi-producer, multi-consumer queue that hands items out in the [`Order`] `O`. Use it
/// by those names; see the [module docs](self) for the protocol.
///
/// Cloning gives another handle on the same queue.
pub struct GenericQueue<T, O: Order<T>> {
    shared: Arc<Shared<T, O>>,
}

struct Shared<T, O: Order<T>> {
    state: Mutex<State<T, O>>,
    /// The most items the queue holds (`usize::MAX` when unbounded).
    limit: usize,
    capacity: Option<usize>,
}

struct State<T, O: Order<T>> {
    items: O::Storage,
    /// Items taken by a `get` and not yet marked done by `task_done`.
    taken: usize,
    closed: bool,
    /// How many times the count of unfinished items has dropped to zero; a joiner records
    /// the epoch it started waiting in.
    epoch: u64,
    getters: WaitList<()>,
    putters: WaitList<()>,
    joiners: WaitList<u64>,
}

impl<T, O: Order<T>> State<T, O> {
    #[inline]
    fn len(&self) -> usize {
        O::len(&self.items)
    }

    #[inline]
    fn unfinished(&self) -> usize {
        self.len() + self.taken
    }

    /// Pushes `item` if the queue is open and has room; returns the getter to wake.
    #[inline]
    fn try_put(&mut self, item: T, limit: usize) -> Result<Option<Waker>, TryPutError<T>> {
        if self.closed {
            Err(TryPutError::Closed(item))
        } else if self.len() >= limit {
            Err(TryPutError::Full(item))
        } else {
            O::push(&mut self.items, item);
            Ok(self.getters.notify_front())
        }
    }

    /// Pops the next item and counts it taken; returns it with the putter to wake.
    #[inline]
    fn try_get(&mut self) -> Result<(T, Option<Waker>), TryGetError> {
        match O::pop(&mut self.items) {
            Some(item) => {
                self.taken += 1;
                Ok((item, self.putters.notify_front()))
            }
            None if self.closed => Err(TryGetError::Closed),
            None => Err(TryGetError::Empty),
        }
    }
}

impl<T, O: Order<T>> Shared<T, O> {
    #[inline]
    fn lock(&self) -> MutexGuard<'_, State<T, O>> {
        self.state.lock()
    }
}

/// Wakes `waker`, if any (called with no lock held).
#[inline]
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T, O: Order<T>> GenericQueue<T, O> {
    fn with_limit(capacity: Option<usize>) -> Self {
        GenericQueue {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    items: O::Storage::default(),
                    taken: 0,
                    closed: false,
                    epoch: 0,
                    getters: WaitList::new(),
                    putters: WaitList::new(),
                    joiners: WaitList::new(),
                }),
                limit: capacity.unwrap_or(usize::MAX),
                capacity,
            }),
        }
    }

    /// A queue that holds at most `capacity` items: [`put`](Self::put) waits while it is
    /// full. asyncio's `Queue(maxsize=capacity)`.
    ///
    /// Storage grows as items arrive; nothing is allocated up front.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0. (asyncio reads `maxsize <= 0` as "no limit"; weft makes that
    /// explicit: use [`unbounded`](Self::unbounded).)
    ///
    /// ```
    /// let q = weft::sync::Queue::bounded(1);
    /// assert_eq!(q.capacity(), Some(1));
    /// q.try_put('a').unwrap();
    /// assert!(q.is_full());
    /// assert!(q.try_put('b').unwrap_err().is_full());
    /// ```
    #[track_caller]
    pub fn bounded(capacity: usize) -> Self {
        assert!(
            capacity > 0,
            "Queue::bounded(0): a queue needs room for at least one item; \
             use Queue::unbounded() for a queue without a limit (asyncio's maxsize <= 0)"
        );
        Self::with_limit(Some(capacity))
    }

    /// A queue without a limit: [`put`](Self::put) never waits. asyncio's `Queue()`
    /// (`maxsize=0`).
    ///
    /// ```
    /// let q = weft::sync::Queue::unbounded();
    /// assert_eq!(q.capacity(), None);
    /// for n in 0..10_000 {
    ///     q.try_put(n).unwrap();
    /// }
    /// assert!(!q.is_full());
    /// ```
    pub fn unbounded() -> Self {
        Self::with_limit(None)
    }

    /// Puts `item` in the queue, waiting while it is full. asyncio's `await q.put(item)`.
    ///
    /// Each item put adds one to [`unfinished_tasks`](Self::unfinished_tasks) until a
    /// [`task_done`](Self::task_done) marks it done. If the queue is
    /// [closed](Self::close), or closes while this waits, the item comes back in the
    /// [`PutError`].
    ///
    /// Cancellation safe: dropping the future before it completes puts nothing (the item
    /// is dropped with it) and leaves no waiter; a free slot it had been woken for goes to
    /// the next waiting `put`.
    ///
    /// ```
    /// weft::run(async {
    ///     let q = weft::sync::Queue::bounded(1);
    ///     q.put(1).await.unwrap();
    ///     let q2 = q.clone();
    ///     let getter = weft::spawn(async move { q2.get().await });
    ///     q.put(2).await.unwrap(); // waits until the task has taken 1
    ///     assert_eq!(getter.await.unwrap(), Ok(1));
    ///     assert_eq!(q.try_get(), Ok(2));
    /// });
    /// ```
    #[track_caller]
    pub fn put(&self, item: T) -> Put<'_, T, O> {
        Put::new(self, item)
    }

    /// Puts `item` if there is room now. asyncio's `q.put_nowait(item)`.
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] or [`TryPutError::Closed`], with the item.
    ///
    /// ```
    /// use weft::sync::queue::TryPutError;
    ///
    /// let q = weft::sync::Queue::bounded(1);
    /// assert_eq!(q.try_put(1), Ok(()));
    /// assert_eq!(q.try_put(2), Err(TryPutError::Full(2)));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let waker = self.shared.lock().try_put(item, self.shared.limit)?;
        wake(waker);
        Ok(())
    }

    /// Takes the next item, waiting while the queue is empty. asyncio's `await q.get()`.
    ///
    /// After [`close`](Self::close) the items still queued are handed out; once the queue
    /// is closed *and* empty this returns [`GetError`]. Call [`task_done`](Self::task_done)
    /// once the item has been processed if anyone [`join`](Self::join)s the queue.
    ///
    /// Cancellation safe: dropping the future before it completes takes nothing and leaves
    /// no waiter; an item it had been woken for goes to the next waiting `get`.
    ///
    /// ```
    /// weft::run(async {
    ///     let q = weft::sync::Queue::unbounded();
    ///     let q2 = q.clone();
    ///     let getter = weft::spawn(async move { q2.get().await });
    ///     q.put("hello").await.unwrap();
    ///     assert_eq!(getter.await.unwrap(), Ok("hello"));
    /// });
    /// ```
    #[track_caller]
    pub fn get(&self) -> Get<'_, T, O> {
        Get::new(self)
    }

    /// Takes the next item if there is one now. asyncio's `q.get_nowait()`.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if the queue is empty but open, [`TryGetError::Closed`] once
    /// it is closed and empty.
    ///
    /// ```
    /// use weft::sync::queue::TryGetError;
    ///
    /// let q = weft::sync::Queue::unbounded();
    /// q.try_put(5).unwrap();
    /// assert_eq!(q.try_get(), Ok(5));
    /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let (item, waker) = self.shared.lock().try_get()?;
        wake(waker);
        Ok(item)
    }

    /// Marks one item taken by a `get` as processed. asyncio's `q.task_done()`.
    ///
    /// [`join`](Self::join) returns once every item ever put has been marked done.
    ///
    /// # Panics
    ///
    /// With "task_done() called more times than there were items taken" when every item
    /// taken so far has already been marked done (asyncio raises `ValueError`). Unlike
    /// asyncio, an item still in the queue cannot be marked done before it is taken.
    ///
    /// ```
    /// weft::run(async {
    ///     let q = weft::sync::Queue::unbounded();
    ///     q.put(1).await.unwrap();
    ///     let item = q.get().await.unwrap();
    ///     assert_eq!(q.unfinished_tasks(), 1); // taken, not yet done
    ///     let _ = item; // ... process it ...
    ///     q.task_done();
    ///     assert_eq!(q.unfinished_tasks(), 0);
    ///     q.join().await; // returns at once
    /// });
    /// ```
    #[track_caller]
    pub fn task_done(&self) {
        let mut state = self.shared.lock();
        if state.taken == 0 {
            drop(state);
            panic!("task_done() called more times than there were items taken");
        }
        state.taken -= 1;
        if state.taken == 0 && state.len() == 0 {
            state.epoch += 1;
            self.wake_joiners(state);
        }
    }

    /// Notifies every joiner that started waiting before the current epoch, in rounds of at
    /// most [`WakeList::CAPACITY`] wakers, each woken after the lock is released.
    fn wake_joiners<'a>(&'a self, mut state: MutexGuard<'a, State<T, O>>) {
        let mut wakes = WakeList::new();
        loop {
            let epoch = state.epoch;
            let mut done = false;
            while !wakes.is_full() {
                match state.joiners.front() {
                    Some(&started) if started < epoch => {
                        wakes.push(state.joiners.notify_front().expect("front() was Some"))
                    }
                    _ => {
                        done = true;
                        break;
                    }
                }
            }
            drop(state);
            wakes.wake_all();
            if done {
                return;
            }
            state = self.shared.lock();
        }
    }

    /// Waits until every item ever put has been taken and marked done with
    /// [`task_done`](Self::task_done). asyncio's `await q.join()`.
    ///
    /// Ready at once when nothing is unfinished. Closing the queue does not end the wait:
    /// queued items still have to be taken and marked done (asyncio's
    /// `shutdown(immediate=False)`). Cancellation safe: dropping the future leaves no waiter.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// weft::run(async {
    ///     let q = weft::sync::Queue::unbounded();
    ///     let done = Arc::new(AtomicUsize::new(0));
    ///     for n in 0..10 {
    ///         q.put(n).await.unwrap();
    ///     }
    ///     let workers: Vec<_> = (0..2)
    ///         .map(|_| {
    ///             let (q, done) = (q.clone(), done.clone());
    ///             weft::spawn(async move {
    ///                 while q.get().await.is_ok() {
    ///                     done.fetch_add(1, Ordering::SeqCst);
    ///                     q.task_done();
    ///                 }
    ///             })
    ///         })
    ///         .collect();
    ///     q.join().await;
    ///     assert_eq!(done.load(Ordering::SeqCst), 10);
    ///     q.close(); // the workers' get() now fails: they return
    ///     for w in workers {
    ///         w.await.unwrap();
    ///     }
    /// });
    /// ```
    #[track_caller]
    pub fn join(&self) -> Join<'_, T, O> {
        Join::new(self)
    }

    /// Closes the queue (asyncio 3.13's `shutdown()`): every later or waiting `put` fails
    /// with its item back; `get` still hands out the queued items, then fails with
    /// [`GetError`]. Waiting putters and getters are woken. Closing twice does nothing.
    ///
    /// ```
    /// weft::run(async {
    ///     let q = weft::sync::Queue::unbounded();
    ///     let q2 = q.clone();
    ///     let consumer = weft::spawn(async move {
    ///         let mut n = 0;
    ///         while q2.get().await.is_ok() {
    ///             n += 1;
    ///         }
    ///         n // get() failed: closed and drained
    ///     });
    ///     for job in 0..3 {
    ///         q.put(job).await.unwrap();
    ///     }
    ///     q.close();
    ///     assert!(q.put(3).await.is_err());
    ///     assert_eq!(consumer.await.unwrap(), 3);
    /// });
    /// ```
    pub fn close(&self) {
        let mut state = self.shared.lock();
        if state.closed {
            return;
        }
        state.closed = true;
        let mut wakes = WakeList::new();
        loop {
            // No waiter registers after the flag is set, so these rounds end.
            let done =
                state.getters.notify_into(&mut wakes) && state.putters.notify_into(&mut wakes);
            drop(state);
            wakes.wake_all();
            if done {
                return;
            }
            state = self.shared.lock();
        }
    }

    /// Whether [`close`](Self::close) has been called.
    ///
    /// ```
    /// let q = weft::sync::Queue::<()>::unbounded();
    /// assert!(!q.is_closed());
    /// q.close();
    /// assert!(q.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// How many items are queued now. asyncio's `qsize()`.
    ///
    /// ```
    /// let q = weft::sync::Queue::unbounded();
    /// q.try_put(()).unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.lock().len()
    }

    /// Whether no item is queued now. asyncio's `empty()`.
    ///
    /// ```
    /// let q = weft::sync::Queue::unbounded();
    /// assert!(q.is_empty());
    /// q.try_put(()).unwrap();
    /// assert!(!q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a bounded queue holds [`capacity`](Self::capacity) items (never for an
    /// unbounded one). asyncio's `full()`.
    ///
    /// ```
    /// let q = weft::sync::Queue::bounded(1);
    /// assert!(!q.is_full());
    /// q.try_put(()).unwrap();
    /// assert!(q.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.len() >= self.shared.limit
    }

    /// The most items the queue holds: `Some(n)` for [`bounded(n)`](Self::bounded), `None`
    /// for [`unbounded()`](Self::unbounded). asyncio's `maxsize`.
    ///
    /// ```
    /// assert_eq!(weft::sync::Queue::<u8>::bounded(4).capacity(), Some(4));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.shared.capacity
    }

    /// Items put and not yet marked done: those queued plus those taken whose
    /// [`task_done`](Self::task_done) has not been called. [`join`](Self::join) waits for
    /// this to reach zero. (asyncio keeps it in `_unfinished_tasks`.)
    ///
    /// ```
    /// let q = weft::sync::Queue::unbounded();
    /// q.try_put('a').unwrap();
    /// q.try_put('b').unwrap();
    /// q.try_get().unwrap();
    /// assert_eq!(q.unfinished_tasks(), 2);
    /// q.task_done();
    /// assert_eq!(q.unfinished_tasks(), 1);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.shared.lock().unfinished()
    }

    /// [`put`](Self::put) for a thread outside any runtime: blocks the thread until there
    /// is room.
    ///
    /// # Errors
    ///
    /// [`PutError`] with the item, if the queue is or gets closed.
    ///
    /// # Panics
    ///
    /// If called on a thread inside a runtime, where blocking would stall a worker:
    /// `.await` [`put`](Self::put) there instead.
    ///
    /// ```
    /// let q = weft::sync::Queue::bounded(8);
    /// let producer = std::thread::spawn({
    ///     let q = q.clone();
    ///     move || {
    ///         for n in 0..100 {
    ///             q.blocking_put(n).unwrap();
    ///         }
    ///     }
    /// });
    /// let sum: u32 = (0..100).map(|_| q.blocking_get().unwrap()).sum();
    /// producer.join().unwrap();
    /// assert_eq!(sum, 4950);
    /// ```
    #[track_caller]
    pub fn blocking_put(&self, item: T) -> Result<(), PutError<T>> {
        crate::blocking::block_on("Queue::blocking_put", self.put(item))
    }

    /// [`get`](Self::get) for a thread outside any runtime: blocks the thread until there
    /// is an item.
    ///
    /// # Errors
    ///
    /// [`GetError`] once the queue is closed and empty.
    ///
    /// # Panics
    ///
    /// If called on a thread inside a runtime: `.await` [`get`](Self::get) there instead.
    ///
    /// ```
    /// let q = weft::sync::Queue::unbounded();
    /// let q2 = q.clone();
    /// std::thread::spawn(move || q2.blocking_put("from a thread").unwrap());
    /// assert_eq!(q.blocking_get(), Ok("from a thread"));
    /// ```
    #[track_caller]
    pub fn blocking_get(&self) -> Result<T, GetError> {
        crate::blocking::block_on("Queue::blocking_get", self.get())
    }
}

impl<T, O: Order<T>> Clone for GenericQueue<T, O> {
    /// Another handle on the same queue.
    fn clone(&self) -> Self {
        GenericQueue {
            shared: self.shared.clone(),
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for GenericQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Queue")
            .field("len", &state.len())
            .field("capacity", &self.shared.capacity)
            .field("unfinished_tasks", &state.unfinished())
            .field("closed", &state.closed)
            .field("getters", &state.getters.len())
            .field("putters", &state.putters.len())
            .field("joiners", &state.joiners.len())
            .finish()
    }
}

//! [`StreamExt`]: the combinators, most of them delegated to futures-util.

use std::future::Future;
use std::time::Duration;

use futures_core::stream::Stream;
use futures_util::stream::StreamExt as Fu;
use futures_util::stream::{
    Buffered, Chain, Chunks, Collect, Enumerate, Fold, ForEach, Map, Next, Skip, Take, Then, Zip,
};

use crate::adapters::{Filter, FilterMap, TakeWhile};
use crate::buffer::{BufferUnordered, ForEachConcurrent};
use crate::timeout::Timeout;

/// The combinators of a [`Stream`]: `next().await` (one step of `async for`), adapters, and
/// the futures that drain a stream.
///
/// The rule for closures: those that only compute are plain functions ([`map`], [`filter`],
/// [`filter_map`], [`take_while`], as in tokio-stream and futures-lite); those that do work
/// per item are async ([`then`], [`fold`], [`for_each`], [`for_each_concurrent`], as in
/// futures-util, which most of these methods delegate to: their adapter types are
/// futures-util's, re-exported).
///
/// If futures' own `StreamExt` is in scope too, method calls are ambiguous; import one of
/// them (or call through the trait: `weft::stream::StreamExt::next(&mut s)`).
///
/// [`map`]: StreamExt::map
/// [`filter`]: StreamExt::filter
/// [`filter_map`]: StreamExt::filter_map
/// [`take_while`]: StreamExt::take_while
/// [`then`]: StreamExt::then
/// [`fold`]: StreamExt::fold
/// [`for_each`]: StreamExt::for_each
/// [`for_each_concurrent`]: StreamExt::for_each_concurrent
///
/// ```
/// use weft::stream::{self, StreamExt};
///
/// weft::run(async {
///     // [x * x async for x in agen() if x % 2 == 0]
///     let squares: Vec<u32> = stream::iter(1..=6)
///         .filter(|x| x % 2 == 0)
///         .map(|x| x * x)
///         .collect()
///         .await;
///     assert_eq!(squares, [4, 16, 36]);
/// });
/// ```
pub trait StreamExt: Stream {
    /// The next item, or `None` once the stream has ended: one step of `async for`.
    ///
    /// Needs `Self: Unpin`; pin a stream that is not (`std::pin::pin!(s)`, or `Box::pin`).
    /// Cancel-safe: dropping the future before it completes loses no item.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let mut s = stream::iter([1, 2]);
    ///     assert_eq!(s.next().await, Some(1));
    ///     assert_eq!(s.next().await, Some(2));
    ///     assert_eq!(s.next().await, None);
    /// });
    /// ```
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin,
    {
        Fu::next(self)
    }

    /// Each item passed through `f`.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(1..=3).map(|x| x * 10);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [10, 20, 30]);
    /// });
    /// ```
    fn map<T, F>(self, f: F) -> Map<Self, F>
    where
        F: FnMut(Self::Item) -> T,
        Self: Sized,
    {
        Fu::map(self, f)
    }

    /// The items for which `f` returns `true` (a plain predicate, as in tokio-stream).
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(1..=6).filter(|x| x % 3 == 0);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [3, 6]);
    /// });
    /// ```
    fn filter<F>(self, f: F) -> Filter<Self, F>
    where
        F: FnMut(&Self::Item) -> bool,
        Self: Sized,
    {
        Filter::new(self, f)
    }

    /// The `Some` results of `f` on each item (a plain function).
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(["1", "x", "3"]).filter_map(|s| s.parse::<u8>().ok());
    ///     assert_eq!(s.collect::<Vec<_>>().await, [1, 3]);
    /// });
    /// ```
    fn filter_map<T, F>(self, f: F) -> FilterMap<Self, F>
    where
        F: FnMut(Self::Item) -> Option<T>,
        Self: Sized,
    {
        FilterMap::new(self, f)
    }

    /// Each item passed through the async function `f`, one at a time, in order.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(1..=3).then(|x| async move {
    ///         weft::task::yield_now().await;
    ///         x + 1
    ///     });
    ///     assert_eq!(s.collect::<Vec<_>>().await, [2, 3, 4]);
    /// });
    /// ```
    fn then<Fut, F>(self, f: F) -> Then<Self, Fut, F>
    where
        F: FnMut(Self::Item) -> Fut,
        Fut: Future,
        Self: Sized,
    {
        Fu::then(self, f)
    }

    /// The first `n` items.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::repeat_with(|| 7).take(2);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [7, 7]);
    /// });
    /// ```
    fn take(self, n: usize) -> Take<Self>
    where
        Self: Sized,
    {
        Fu::take(self, n)
    }

    /// The items up to (not including) the first for which `f` returns `false`; then the
    /// stream ends.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter([1, 2, 5, 1]).take_while(|x| *x < 3);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [1, 2]);
    /// });
    /// ```
    fn take_while<F>(self, f: F) -> TakeWhile<Self, F>
    where
        F: FnMut(&Self::Item) -> bool,
        Self: Sized,
    {
        TakeWhile::new(self, f)
    }

    /// All but the first `n` items.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(1..=4).skip(2);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [3, 4]);
    /// });
    /// ```
    fn skip(self, n: usize) -> Skip<Self>
    where
        Self: Sized,
    {
        Fu::skip(self, n)
    }

    /// This stream's items, then `other`'s.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter([1, 2]).chain(stream::iter([3]));
    ///     assert_eq!(s.collect::<Vec<_>>().await, [1, 2, 3]);
    /// });
    /// ```
    fn chain<U>(self, other: U) -> Chain<Self, U>
    where
        U: Stream<Item = Self::Item>,
        Self: Sized,
    {
        Fu::chain(self, other)
    }

    /// Pairs of items of this stream and `other`, ending when either ends.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter([1, 2, 3]).zip(stream::iter(["a", "b"]));
    ///     assert_eq!(s.collect::<Vec<_>>().await, [(1, "a"), (2, "b")]);
    /// });
    /// ```
    fn zip<U>(self, other: U) -> Zip<Self, U>
    where
        U: Stream,
        Self: Sized,
    {
        Fu::zip(self, other)
    }

    /// `(index, item)` pairs, counting from 0: Python's `enumerate`.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(["a", "b"]).enumerate();
    ///     assert_eq!(s.collect::<Vec<_>>().await, [(0, "a"), (1, "b")]);
    /// });
    /// ```
    fn enumerate(self) -> Enumerate<Self>
    where
        Self: Sized,
    {
        Fu::enumerate(self)
    }

    /// Every item, collected into `C` (a `Vec`, `String`, `HashMap`, ...): an async
    /// comprehension.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let word: String = stream::iter(['w', 'e', 'f', 't']).collect().await;
    ///     assert_eq!(word, "weft");
    /// });
    /// ```
    fn collect<C>(self) -> Collect<Self, C>
    where
        C: Default + Extend<Self::Item>,
        Self: Sized,
    {
        Fu::collect(self)
    }

    /// Folds every item into an accumulator with the async function `f`.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let sum = stream::iter(1..=4).fold(0, |acc, x| async move { acc + x }).await;
    ///     assert_eq!(sum, 10);
    /// });
    /// ```
    fn fold<T, Fut, F>(self, init: T, f: F) -> Fold<Self, Fut, T, F>
    where
        F: FnMut(T, Self::Item) -> Fut,
        Fut: Future<Output = T>,
        Self: Sized,
    {
        Fu::fold(self, init, f)
    }

    /// Runs the async function `f` on each item, one after the other: an `async for` loop
    /// whose body awaits.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let mut seen = vec![];
    ///     stream::iter(1..=3)
    ///         .for_each(|x| {
    ///             seen.push(x);
    ///             async {}
    ///         })
    ///         .await;
    ///     assert_eq!(seen, [1, 2, 3]);
    /// });
    /// ```
    fn for_each<Fut, F>(self, f: F) -> ForEach<Self, Fut, F>
    where
        F: FnMut(Self::Item) -> Fut,
        Fut: Future<Output = ()>,
        Self: Sized,
    {
        Fu::for_each(self, f)
    }

    /// Runs the async function `f` on each item, up to `limit` of them at a time,
    /// concurrently inside the awaiting task (not in parallel: spawn for that). `None`, or
    /// a limit of 0, means no limit. Polls only the futures that woke, and allocates
    /// nothing per future (weft's own, on the ready list that `join_all` uses: about 3x
    /// futures-util's on cheap futures).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let done = AtomicUsize::new(0);
    ///     stream::iter(0..10)
    ///         .for_each_concurrent(4, |_| async {
    ///             weft::task::yield_now().await;
    ///             done.fetch_add(1, Ordering::Relaxed);
    ///         })
    ///         .await;
    ///     assert_eq!(done.load(Ordering::Relaxed), 10);
    /// });
    /// ```
    fn for_each_concurrent<Fut, F>(
        self,
        limit: impl Into<Option<usize>>,
        f: F,
    ) -> ForEachConcurrent<Self, Fut, F>
    where
        F: FnMut(Self::Item) -> Fut,
        Fut: Future<Output = ()>,
        Self: Sized,
    {
        ForEachConcurrent::new(self, limit.into(), f)
    }

    /// For a stream of futures: runs up to `n` of them at once and yields their outputs in
    /// the order of the stream.
    ///
    /// # Panics
    ///
    /// If `n` is 0 ("`buffered`: n must be at least 1"; no future could ever run).
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(1..=3).map(|x| async move { x * 2 }).buffered(2);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [2, 4, 6]);
    /// });
    /// ```
    #[track_caller]
    fn buffered(self, n: usize) -> Buffered<Self>
    where
        Self::Item: Future,
        Self: Sized,
    {
        assert!(n > 0, "`buffered`: n must be at least 1");
        Fu::buffered(self, n)
    }

    /// For a stream of futures: runs up to `n` of them at once and yields their outputs as
    /// they complete (asyncio's `as_completed` over a bounded window).
    ///
    /// Polls only the futures that woke, and allocates nothing per future: weft's own, on the
    /// ready list that `join_all` uses (about 3x futures-util's `FuturesUnordered`-based one
    /// on cheap futures; ARCHITECTURE.md has the measurement).
    ///
    /// # Panics
    ///
    /// If `n` is 0 ("`buffer_unordered`: n must be at least 1"; no future could ever run).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft::stream::{self, StreamExt};
    ///
    /// let rt = weft::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let s = stream::iter([30u64, 10, 20])
    ///         .map(|ms| async move {
    ///             weft::time::sleep(Duration::from_millis(ms)).await;
    ///             ms
    ///         })
    ///         .buffer_unordered(3);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [10, 20, 30]);
    /// });
    /// ```
    #[track_caller]
    fn buffer_unordered(self, n: usize) -> BufferUnordered<Self>
    where
        Self::Item: Future,
        Self: Sized,
    {
        assert!(n > 0, "`buffer_unordered`: n must be at least 1");
        BufferUnordered::new(self, n)
    }

    /// The items in `Vec`s of `capacity` (the last one may be shorter).
    ///
    /// # Panics
    ///
    /// If `capacity` is 0.
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let s = stream::iter(1..=5).chunks(2);
    ///     assert_eq!(s.collect::<Vec<_>>().await, [vec![1, 2], vec![3, 4], vec![5]]);
    /// });
    /// ```
    #[track_caller]
    fn chunks(self, capacity: usize) -> Chunks<Self>
    where
        Self: Sized,
    {
        assert!(capacity > 0, "`chunks`: capacity must be at least 1");
        Fu::chunks(self, capacity)
    }

    /// A time limit per item: yields `Ok(item)`, or `Err(Elapsed)` when the next item takes
    /// longer than `duration`; the stream goes on after an `Elapsed` (the next item gets a
    /// full `duration` of its own) and ends when this one ends (tokio-stream's `timeout`).
    ///
    /// An item's time starts when the stream is first polled for it and has to wait; an
    /// item that is ready at once costs no timer. One timer entry serves the whole stream
    /// (reset per item, not allocated per item). With a zero `duration`, every item that
    /// is not ready at once gives an `Elapsed` first.
    ///
    /// # Panics
    ///
    /// When an item has to wait and the stream is polled outside a weft runtime with time
    /// enabled ("there is no timer: this code runs outside a weft runtime, or in one built
    /// with `Builder::disable_time()`"). Building the adapter needs no runtime.
    ///
    /// ```
    /// use std::time::Duration;
    /// use weft::stream::{self, StreamExt};
    ///
    /// // A paused clock: the sleeps take no real time, and the outcome does not depend on
    /// // the machine's load.
    /// let rt = weft::runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
    /// rt.block_on(async {
    ///     let slow = stream::iter([1u64, 30, 2]).then(|ms| async move {
    ///         weft::time::sleep(Duration::from_millis(ms)).await;
    ///         ms
    ///     });
    ///     let got: Vec<_> = slow.timeout(Duration::from_millis(20)).collect().await;
    ///     assert_eq!(got.len(), 4);
    ///     assert_eq!(got[0], Ok(1));
    ///     assert!(got[1].is_err()); // 30 ms is late ...
    ///     assert_eq!(got[2], Ok(30)); // ... but still comes
    ///     assert_eq!(got[3], Ok(2));
    /// });
    /// ```
    fn timeout(self, duration: Duration) -> Timeout<Self>
    where
        Self: Sized,
    {
        Timeout::new(self, duration)
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}

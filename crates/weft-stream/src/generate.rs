//! [`generate`] and [`try_generate`]: an async closure with a [`Yielder`] as a [`Stream`],
//! asyncio's async generator.
//!
//! # Protocol
//!
//! The stream owns the generator future and one small shared slot (`Arc<Shared<T>>`, the only
//! allocation per generator). `poll_next`:
//!
//! 1. marks the slot *active* for this thread, polls the generator future, marks it inactive;
//! 2. takes the item the generator left in the slot, if any: `Ready(Some(item))`;
//! 3. else returns what the future said (`Pending`, or `Ready(None)` once it completed).
//!
//! A [`Yielder::send`] future, at its first poll, puts its item in the slot and returns
//! `Pending` without a wake-up: the stream is about to take the item and hand it out, and the
//! generator is polled again only at the next `poll_next`, where the send finds its item
//! taken and completes. So the generator runs only while the consumer asks for an item (no
//! buffering, no task, no channel), and one item is in flight at a time. If a second send
//! polled in the same round finds the slot full, it waits for the next round.
//!
//! # Misuse
//!
//! A send polled while its stream is not polling the generator on this thread (the
//! `Yielder` or a send future was moved into another task, or the stream is gone) panics
//! with a message that says so: its item could go nowhere, and waiting would be forever.
//! The check is exact (the slot records the thread whose `poll_next` is running, under the
//! slot's lock), so this can neither corrupt the stream nor hang.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};

use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;

/// What a generator and its stream share.
struct Shared<T> {
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    /// The item a send left for the stream to take.
    item: Option<T>,
    /// The thread whose `poll_next` is polling the generator right now, if any.
    active: Option<ThreadId>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        // A panic while the lock is held leaves the slot consistent (an `Option` swap).
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The handle a generator yields items through: [`send(item).await`](Yielder::send) is
/// Python's `yield item`.
///
/// It belongs to the generator that [`generate`] or [`try_generate`] made it for: await its
/// sends inside that generator's future. `Yielder` is `Send` (so the generator can be), but
/// a send polled anywhere else panics (see [`Yielder::send`]).
///
/// ```
/// use weft::stream::{self, StreamExt};
///
/// weft::run(async {
///     let s = stream::generate(|mut y| async move {
///         for word in ["a", "b"] {
///             y.send(word).await;
///         }
///     });
///     assert_eq!(s.collect::<Vec<_>>().await, ["a", "b"]);
/// });
/// ```
pub struct Yielder<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Yielder<T> {
    /// Hands `item` to the consumer and waits until it has been taken: `yield item`.
    ///
    /// The generator is suspended here until the consumer asks for the next item (nothing
    /// is buffered). Dropping the returned future before its first poll drops `item`; after
    /// its first poll the item has been handed over and will be delivered.
    ///
    /// # Panics
    ///
    /// When polled anywhere but inside its own generator's future while the stream polls it:
    /// after the stream was dropped, or from another task (the `Yielder` was moved or sent
    /// there). The message says "`Yielder::send` polled outside its generator".
    ///
    /// ```
    /// use weft::stream::{self, StreamExt};
    ///
    /// weft::run(async {
    ///     let mut s = std::pin::pin!(stream::generate(|mut y| async move {
    ///         y.send(1).await;
    ///         y.send(2).await;
    ///     }));
    ///     assert_eq!(s.next().await, Some(1));
    ///     assert_eq!(s.next().await, Some(2));
    ///     assert_eq!(s.next().await, None);
    /// });
    /// ```
    pub fn send(&mut self, item: T) -> Yield<'_, T> {
        Yield {
            shared: &self.shared,
            item: Some(item),
        }
    }
}

impl<T> fmt::Debug for Yielder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yielder").finish_non_exhaustive()
    }
}

/// The future of [`Yielder::send`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Yield<'a, T> {
    shared: &'a Arc<Shared<T>>,
    /// `Some` until handed over.
    item: Option<T>,
}

// `Yield` holds no pinned data: `T` is only ever moved while in an `Option`.
impl<T> Unpin for Yield<'_, T> {}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.item.is_none() {
            // Handed over at the previous poll, and the stream takes the slot before it
            // polls the generator again: delivered.
            return Poll::Ready(());
        }
        let mut slot = this.shared.lock();
        let here = thread::current().id();
        if slot.active != Some(here) {
            drop(slot);
            panic!(
                "`Yielder::send` polled outside its generator: a Yielder must be used inside \
                 the future of the `generate`/`try_generate` closure it was given to, while the \
                 stream is alive (not moved to another task)"
            );
        }
        if slot.item.is_none() {
            slot.item = this.item.take();
        }
        // Either handed over (the stream takes it as soon as the generator's poll returns),
        // or the slot is full with another send's item this round: wait for the next one.
        // Either way the stream polls the generator again at its next `poll_next`, so no
        // wake-up is needed.
        Poll::Pending
    }
}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("handed_over", &self.item.is_none())
            .finish()
    }
}

pin_project! {
    /// The stream core shared by [`Generate`] and [`TryGenerate`].
    struct Core<T, Fut> {
        shared: Arc<Shared<T>>,
        // `None` once the generator completed; dropping the stream drops it (its destructors
        // run, as Python's `aclose()` runs a generator's `finally` blocks).
        #[pin]
        future: Option<Fut>,
    }
}

impl<T, Fut: Future> Core<T, Fut> {
    fn new<F: FnOnce(Yielder<T>) -> Fut>(f: F) -> Self {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                item: None,
                active: None,
            }),
        });
        let future = f(Yielder {
            shared: shared.clone(),
        });
        Core {
            shared,
            future: Some(future),
        }
    }

    /// One round: an item, or the generator's output once it completes.
    fn poll_round(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Round<T, Fut::Output>> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(Round::Ended);
        };
        this.shared.lock().active = Some(thread::current().id());
        let polled = {
            // Clears `active` when the poll is over, even if the generator panics, so that
            // no send elsewhere passes the check.
            let _inactive = Inactive(this.shared);
            future.poll(cx)
        };
        let item = this.shared.lock().item.take();
        match (item, polled) {
            (Some(item), Poll::Pending) => Poll::Ready(Round::Item(item)),
            (item, Poll::Ready(out)) => {
                this.future.set(None);
                Poll::Ready(Round::Done(item, out))
            }
            (None, Poll::Pending) => Poll::Pending,
        }
    }
}

/// Clears the slot's `active` mark on unwind.
struct Inactive<'a, T>(&'a Arc<Shared<T>>);

impl<T> Drop for Inactive<'_, T> {
    fn drop(&mut self) {
        self.0.lock().active = None;
    }
}

enum Round<T, O> {
    Item(T),
    /// The generator completed: an item it handed over in its last poll, and its output.
    Done(Option<T>, O),
    Ended,
}

pin_project! {
    /// The stream of [`generate`].
    #[must_use = "streams do nothing unless polled"]
    pub struct Generate<T, Fut> {
        #[pin]
        core: Core<T, Fut>,
    }
}

pin_project! {
    /// The stream of [`try_generate`].
    #[must_use = "streams do nothing unless polled"]
    pub struct TryGenerate<T, E, Fut> {
        #[pin]
        core: Core<T, Fut>,
        last: Option<Result<T, E>>,
        _error: PhantomData<fn() -> E>,
    }
}

/// Turns an async closure that yields items through its [`Yielder`] into a [`Stream`]:
/// asyncio's async generator (`async def` with `yield`), consumed with
/// [`StreamExt::next`](crate::StreamExt::next) in a `while let` loop (`async for`).
///
/// The closure is called at once; its future runs only while the stream is polled, from
/// one item to the next. The stream ends when the future completes. Dropping the stream
/// drops the future where it stands (its destructors run). One allocation per generator;
/// none per item.
///
/// ```
/// use std::time::Duration;
/// use weft::stream::{self, StreamExt};
///
/// // async def ticker(n):
/// //     for i in range(n):
/// //         yield i
/// //         await asyncio.sleep(0.001)
/// fn ticker(n: u32) -> impl weft::stream::Stream<Item = u32> {
///     stream::generate(move |mut y| async move {
///         for i in 0..n {
///             y.send(i).await;
///             weft::time::sleep(Duration::from_millis(1)).await;
///         }
///     })
/// }
///
/// weft::run(async {
///     // async for i in ticker(3): ...
///     let mut s = std::pin::pin!(ticker(3));
///     let mut seen = vec![];
///     while let Some(i) = s.next().await {
///         seen.push(i);
///     }
///     assert_eq!(seen, [0, 1, 2]);
/// });
/// ```
pub fn generate<T, F, Fut>(f: F) -> Generate<T, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    Generate { core: Core::new(f) }
}

/// Like [`generate`] for a generator that can fail (an async generator that raises): the
/// closure returns `Result<(), E>`, the stream yields `Ok(item)` for each item sent and,
/// if the closure returns `Err(e)`, one last `Err(e)`; then it ends.
///
/// ```
/// use weft::stream::{self, StreamExt};
///
/// weft::run(async {
///     let s = stream::try_generate(|mut y| async move {
///         for s in ["1", "2", "x", "4"] {
///             let n: u8 = s.parse()?; // raises at "x"
///             y.send(n).await;
///         }
///         Ok::<(), std::num::ParseIntError>(())
///     });
///     let items: Vec<_> = s.collect().await;
///     assert_eq!(items.len(), 3);
///     assert_eq!(items[..2], [Ok(1), Ok(2)]);
///     assert!(items[2].is_err());
/// });
/// ```
pub fn try_generate<T, E, F, Fut>(f: F) -> TryGenerate<T, E, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    TryGenerate {
        core: Core::new(f),
        last: None,
        _error: PhantomData,
    }
}

impl<T, Fut: Future<Output = ()>> Stream for Generate<T, Fut> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.project().core.poll_round(cx).map(|round| match round {
            Round::Item(item) => Some(item),
            Round::Done(item, ()) => item,
            Round::Ended => None,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.core.future {
            None => (0, Some(0)),
            Some(_) => (0, None),
        }
    }
}

impl<T, Fut: Future<Output = ()>> FusedStream for Generate<T, Fut> {
    fn is_terminated(&self) -> bool {
        self.core.future.is_none()
    }
}

impl<T, E, Fut: Future<Output = Result<(), E>>> Stream for TryGenerate<T, E, Fut> {
    type Item = Result<T, E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>> {
        let this = self.project();
        if let Some(last) = this.last.take() {
            return Poll::Ready(Some(last));
        }
        this.core.poll_round(cx).map(|round| match round {
            Round::Item(item) => Some(Ok(item)),
            Round::Done(item, out) => {
                let error = out.err().map(Err);
                match item {
                    Some(item) => {
                        *this.last = error;
                        Some(Ok(item))
                    }
                    None => error,
                }
            }
            Round::Ended => None,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let last = self.last.is_some() as usize;
        match &self.core.future {
            None => (last, Some(last)),
            Some(_) => (last, None),
        }
    }
}

impl<T, E, Fut: Future<Output = Result<(), E>>> FusedStream for TryGenerate<T, E, Fut> {
    fn is_terminated(&self) -> bool {
        self.core.future.is_none() && self.last.is_none()
    }
}

impl<T, Fut> fmt::Debug for Generate<T, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generate")
            .field("finished", &self.core.future.is_none())
            .finish_non_exhaustive()
    }
}

impl<T, E, Fut> fmt::Debug for TryGenerate<T, E, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGenerate")
            .field("finished", &self.core.future.is_none())
            .finish_non_exhaustive()
    }
}

//! The futures of [`GenericQueue::put`], [`GenericQueue::get`] and [`GenericQueue::join`]:
//! each holds at most one waiter [`Key`] and gives it back on completion or drop (see the
//! [protocol](super#the-protocol)).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use weft_core::coop;
use weft_core::introspect::{self, WaitKind};

use super::{wake, GenericQueue, GetError, Order, PutError};
use crate::waiters::{Cancelled, Key};

/// The future of [`GenericQueue::put`]: resolves once the item is in the queue, or with
/// the item back in a [`PutError`] if the queue is closed.
///
/// Dropping it before it resolves puts nothing: the item is dropped with it.
///
/// ```
/// weft::run(async {
///     let q = weft::sync::Queue::bounded(1);
///     let put: weft::sync::queue::Put<'_, u8, _> = q.put(1);
///     put.await.unwrap();
///     assert_eq!(q.len(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Put<'a, T, O: Order<T>> {
    queue: &'a GenericQueue<T, O>,
    item: Option<T>,
    key: Option<Key>,
    /// The `put()` call, for the task's wait record.
    location: &'static Location<'static>,
}

/// The future of [`GenericQueue::get`]: resolves with the next item, or with
/// [`GetError`] once the queue is closed and empty.
///
/// ```
/// weft::run(async {
///     let q = weft::sync::Queue::unbounded();
///     q.try_put(1).unwrap();
///     let get: weft::sync::queue::Get<'_, i32, _> = q.get();
///     assert_eq!(get.await, Ok(1));
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Get<'a, T, O: Order<T>> {
    queue: &'a GenericQueue<T, O>,
    key: Option<Key>,
    /// The `get()` call, for the task's wait record.
    location: &'static Location<'static>,
}

/// The future of [`GenericQueue::join`]: resolves once every item put has been marked
/// done.
///
/// ```
/// weft::run(async {
///     let q = weft::sync::Queue::<u8>::unbounded();
///     let join: weft::sync::queue::Join<'_, u8, _> = q.join();
///     join.await; // nothing unfinished: ready at once
/// });
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Join<'a, T, O: Order<T>> {
    queue: &'a GenericQueue<T, O>,
    key: Option<Key>,
    /// The `join()` call, for the task's wait record.
    location: &'static Location<'static>,
}

// None of them is ever pinned in place: the item and the key move freely.
impl<T, O: Order<T>> Unpin for Put<'_, T, O> {}
impl<T, O: Order<T>> Unpin for Get<'_, T, O> {}
impl<T, O: Order<T>> Unpin for Join<'_, T, O> {}

impl<'a, T, O: Order<T>> Put<'a, T, O> {
    #[track_caller]
    pub(super) fn new(queue: &'a GenericQueue<T, O>, item: T) -> Self {
        Put {
            queue,
            item: Some(item),
            key: None,
            location: Location::caller(),
        }
    }
}

impl<T, O: Order<T>> Future for Put<'_, T, O> {
    type Output = Result<(), PutError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let poll = this.poll_put(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::QueuePut, this.location, None, 0);
        }
        poll
    }
}

impl<T, O: Order<T>> Put<'_, T, O> {
    fn poll_put(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), PutError<T>>> {
        let this = self;
        let coop = ready!(coop::poll_proceed(cx));
        let shared = &this.queue.shared;
        let mut state = shared.lock();
        let mut notified = false;
        if let Some(key) = this.key.take() {
            match state.putters.poll(key, cx.waker()) {
                Ok(()) => notified = true,
                Err(key) => {
                    // Still waiting: nobody has freed a slot for this one yet.
                    this.key = Some(key);
                    return Poll::Pending;
                }
            }
        }
        let item = this.item.take().expect("`Put` polled after it completed");
        let result = if state.closed {
            Err(PutError(item))
        } else if state.len() < shared.limit {
            O::push(&mut state.items, item);
            let getter = state.getters.notify_front();
            drop(state);
            wake(getter);
            Ok(())
        } else {
            // Full. A putter woken for a slot that another put took first keeps its turn.
            this.item = Some(item);
            this.key = Some(if notified {
                state.putters.push_front(cx.waker(), ())
            } else {
                state.putters.push_back(cx.waker(), ())
            });
            return Poll::Pending;
        };
        coop.made_progress();
        Poll::Ready(result)
    }
}

impl<T, O: Order<T>> Drop for Put<'_, T, O> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let shared = &self.queue.shared;
        let mut state = shared.lock();
        let mut next = None;
        if let Cancelled::Notified(()) = state.putters.cancel(key) {
            // Woken for a free slot it will not use: pass the wake-up on.
            if !state.closed && state.len() < shared.limit {
                next = state.putters.notify_front();
            }
        }
        drop(state);
        wake(next);
    }
}

impl<'a, T, O: Order<T>> Get<'a, T, O> {
    #[track_caller]
    pub(super) fn new(queue: &'a GenericQueue<T, O>) -> Self {
        Get {
            queue,
            key: None,
            location: Location::caller(),
        }
    }
}

impl<T, O: Order<T>> Future for Get<'_, T, O> {
    type Output = Result<T, GetError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let poll = this.poll_get(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::QueueGet, this.location, None, 0);
        }
        poll
    }
}

impl<T, O: Order<T>> Get<'_, T, O> {
    fn poll_get(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, GetError>> {
        let this = self;
        let coop = ready!(coop::poll_proceed(cx));
        let mut state = this.queue.shared.lock();
        let mut notified = false;
        if let Some(key) = this.key.take() {
            match state.getters.poll(key, cx.waker()) {
                Ok(()) => notified = true,
                Err(key) => {
                    // Still waiting: every queued item has a notified getter of its own.
                    this.key = Some(key);
                    return Poll::Pending;
                }
            }
        }
        let result = match O::pop(&mut state.items) {
            Some(item) => {
                state.taken += 1;
                let putter = state.putters.notify_front();
                drop(state);
                wake(putter);
                Ok(item)
            }
            None if state.closed => Err(GetError),
            None => {
                // A getter woken for an item that another get took first keeps its turn.
                this.key = Some(if notified {
                    state.getters.push_front(cx.waker(), ())
                } else {
                    state.getters.push_back(cx.waker(), ())
                });
                return Poll::Pending;
            }
        };
        coop.made_progress();
        Poll::Ready(result)
    }
}

impl<T, O: Order<T>> Drop for Get<'_, T, O> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut state = self.queue.shared.lock();
        let mut next = None;
        if let Cancelled::Notified(()) = state.getters.cancel(key) {
            // Woken for an item it will not take: pass the wake-up on.
            if state.len() > 0 {
                next = state.getters.notify_front();
            }
        }
        drop(state);
        wake(next);
    }
}

impl<'a, T, O: Order<T>> Join<'a, T, O> {
    #[track_caller]
    pub(super) fn new(queue: &'a GenericQueue<T, O>) -> Self {
        Join {
            queue,
            key: None,
            location: Location::caller(),
        }
    }
}

impl<T, O: Order<T>> Future for Join<'_, T, O> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = this.poll_join(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::QueueJoin, this.location, None, 0);
        }
        poll
    }
}

impl<T, O: Order<T>> Join<'_, T, O> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        let mut state = this.queue.shared.lock();
        if let Some(key) = this.key.take() {
            return match state.joiners.poll(key, cx.waker()) {
                // Notified: the count reached zero after this joiner started waiting.
                Ok(_) => Poll::Ready(()),
                Err(key) => {
                    this.key = Some(key);
                    Poll::Pending
                }
            };
        }
        if state.unfinished() == 0 {
            return Poll::Ready(());
        }
        let epoch = state.epoch;
        this.key = Some(state.joiners.push_back(cx.waker(), epoch));
        Poll::Pending
    }
}

impl<T, O: Order<T>> Drop for Join<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Every joiner of an epoch is notified: a notified one owes nobody anything.
            let _ = self.queue.shared.lock().joiners.cancel(key);
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for Put<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("done", &self.item.is_none())
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl<T, O: Order<T>> fmt::Debug for Get<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

impl<T, O: Order<T>> fmt::Debug for Join<'_, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("waiting", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

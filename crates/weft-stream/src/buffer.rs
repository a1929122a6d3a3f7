//! [`BufferUnordered`] and [`ForEachConcurrent`] on weft-future's ready list.
//!
//! futures-util builds these on `FuturesUnordered` (one `Arc` per future, a run queue of
//! tasks). Here the in-flight futures sit unboxed in slots that never move (chunks of
//! [`CHUNK`] slots, each chunk one allocation, reused as futures complete), and a
//! `ReadySet` gives each slot its own waker, so a poll touches only the slots that woke and
//! no future costs an allocation. Measured 2.9-3.3x faster than futures-util on cheap
//! futures (see ARCHITECTURE.md, weft-stream, and `benches/buffer_unordered.rs`).

use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use weft_core::coop;
use weft_future::ReadySet;

/// Slots per allocation.
const CHUNK: usize = 64;

/// Futures in slots that never move, polled only when woken.
struct Slots<Fut> {
    /// Slot `i` is `chunks[i / CHUNK][i % CHUNK]`. A future is only ever dropped in place
    /// (the slot set to `None`, or the chunk dropped), never moved out: that is what makes
    /// pinning it sound. Growing `chunks` moves the boxes' pointers, not the slots.
    chunks: Vec<Box<[Option<Fut>]>>,
    /// Slots that are empty and can be reused.
    free: Vec<usize>,
    /// Which slots woke (entry `i` is slot `i`).
    ready: ReadySet,
    in_flight: usize,
}

impl<Fut: Future> Slots<Fut> {
    fn new() -> Self {
        Slots {
            chunks: Vec::new(),
            free: Vec::new(),
            ready: ReadySet::new(),
            in_flight: 0,
        }
    }

    fn slot(&mut self, index: usize) -> &mut Option<Fut> {
        &mut self.chunks[index / CHUNK][index % CHUNK]
    }

    fn push(&mut self, future: Fut) {
        let index = match self.free.pop() {
            Some(index) => {
                self.ready.mark_ready(index);
                index
            }
            None => {
                let index = self.ready.push();
                if index % CHUNK == 0 {
                    // Built in place on the heap (not on the stack first: futures can be big).
                    self.chunks.push((0..CHUNK).map(|_| None).collect());
                }
                index
            }
        };
        *self.slot(index) = Some(future);
        self.in_flight += 1;
    }

    /// The output of a future that completed, `Ready(None)` when none is in flight.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Fut::Output>> {
        if self.in_flight == 0 {
            return Poll::Ready(None);
        }
        let chunks = &mut self.chunks;
        let polled = self.ready.poll_next(Some(cx.waker()), |index, cx| {
            let Some(future) = chunks[index / CHUNK][index % CHUNK].as_mut() else {
                return Poll::Pending; // a stale wake-up of a slot now empty
            };
            // SAFETY: the future lives in a heap slot that is never moved or reallocated
            // (see `chunks`) and is dropped in place, so it stays pinned until dropped.
            let future = unsafe { Pin::new_unchecked(future) };
            future.poll(cx).map(|out| (index, out))
        });
        match polled {
            Poll::Ready((index, out)) => {
                *self.slot(index) = None;
                self.free.push(index);
                self.in_flight -= 1;
                Poll::Ready(Some(out))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

pin_project! {
    /// The stream of [`StreamExt::buffer_unordered`](crate::StreamExt::buffer_unordered).
    #[must_use = "streams do nothing unless polled"]
    pub struct BufferUnordered<S: Stream> {
        // `None` once it has ended.
        #[pin]
        stream: Option<S>,
        slots: Slots<S::Item>,
        limit: usize,
    }
}

impl<S: Stream> BufferUnordered<S>
where
    S::Item: Future,
{
    pub(crate) fn new(stream: S, limit: usize) -> Self {
        BufferUnordered {
            stream: Some(stream),
            slots: Slots::new(),
            limit,
        }
    }
}

impl<S: Stream> Stream for BufferUnordered<S>
where
    S::Item: Future,
{
    type Item = <S::Item as Future>::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        while this.slots.in_flight < *this.limit {
            let Some(stream) = this.stream.as_mut().as_pin_mut() else {
                break;
            };
            match stream.poll_next(cx) {
                Poll::Ready(Some(future)) => this.slots.push(future),
                Poll::Ready(None) => this.stream.set(None),
                Poll::Pending => break,
            }
        }
        match this.slots.poll_next(cx) {
            Poll::Ready(None) if this.stream.is_some() => Poll::Pending,
            polled => polled,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (lo, hi) = match &self.stream {
            Some(stream) => stream.size_hint(),
            None => (0, Some(0)),
        };
        let n = self.slots.in_flight;
        (lo.saturating_add(n), hi.and_then(|h| h.checked_add(n)))
    }
}

impl<S: Stream> FusedStream for BufferUnordered<S>
where
    S::Item: Future,
{
    fn is_terminated(&self) -> bool {
        self.stream.is_none() && self.slots.in_flight == 0
    }
}

impl<S: Stream + fmt::Debug> fmt::Debug for BufferUnordered<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferUnordered")
            .field("stream", &self.stream)
            .field("in_flight", &self.slots.in_flight)
            .field("limit", &self.limit)
            .finish()
    }
}

pin_project! {
    /// The future of [`StreamExt::for_each_concurrent`](crate::StreamExt::for_each_concurrent).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct ForEachConcurrent<S, Fut, F> {
        #[pin]
        stream: Option<S>,
        f: F,
        slots: Slots<Fut>,
        limit: Option<NonZeroUsize>,
    }
}

impl<S, Fut: Future, F> ForEachConcurrent<S, Fut, F> {
    pub(crate) fn new(stream: S, limit: Option<usize>, f: F) -> Self {
        ForEachConcurrent {
            stream: Some(stream),
            f,
            slots: Slots::new(),
            limit: limit.and_then(NonZeroUsize::new),
        }
    }
}

impl<S, Fut, F> Future for ForEachConcurrent<S, Fut, F>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future<Output = ()>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            while this.limit.is_none_or(|l| this.slots.in_flight < l.get()) {
                let Some(stream) = this.stream.as_mut().as_pin_mut() else {
                    break;
                };
                match stream.poll_next(cx) {
                    Poll::Ready(Some(item)) => this.slots.push((this.f)(item)),
                    Poll::Ready(None) => this.stream.set(None),
                    Poll::Pending => break,
                }
            }
            match this.slots.poll_next(cx) {
                Poll::Ready(Some(())) => {
                    // One done: refill and go on, unless the task has used its budget.
                    if !coop::has_budget_remaining() {
                        cx.waker().wake_by_ref();
                        return Poll::Pending;
                    }
                }
                Poll::Ready(None) if this.stream.is_none() => return Poll::Ready(()),
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S: fmt::Debug, Fut, F> fmt::Debug for ForEachConcurrent<S, Fut, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForEachConcurrent")
            .field("stream", &self.stream)
            .field("in_flight", &self.slots.in_flight)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

//! [`StreamExt::timeout`](crate::StreamExt::timeout): a time limit per item.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::stream::{FusedStream, Stream};
use pin_project_lite::pin_project;
use weft_timer::{Elapsed, Instant, Sleep};

pin_project! {
    /// The stream of [`StreamExt::timeout`](crate::StreamExt::timeout): yields `Ok(item)`,
    /// or `Err(Elapsed)` each time an item takes longer than the duration; ends when the
    /// inner stream ends.
    #[must_use = "streams do nothing unless polled"]
    pub struct Timeout<S> {
        #[pin]
        stream: S,
        duration: Duration,
        // Made at the first item that has to wait, then reset for each later one: one timer
        // entry for the stream's whole life.
        sleep: Option<Sleep>,
        // The sleep's deadline is for the item being waited for.
        armed: bool,
        done: bool,
    }
}

impl<S> Timeout<S> {
    pub(crate) fn new(stream: S, duration: Duration) -> Self {
        Timeout {
            stream,
            duration,
            sleep: None,
            armed: false,
            done: false,
        }
    }
}

impl<S: Stream> Stream for Timeout<S> {
    type Item = Result<S::Item, Elapsed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.done {
            return Poll::Ready(None);
        }
        match this.stream.poll_next(cx) {
            Poll::Ready(Some(item)) => {
                *this.armed = false;
                return Poll::Ready(Some(Ok(item)));
            }
            Poll::Ready(None) => {
                *this.done = true;
                // Unlinks the timer now rather than when the stream is dropped.
                *this.sleep = None;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        // The item has to wait: its time starts now (an item that is ready at once costs
        // no clock read and no timer).
        if !*this.armed {
            *this.armed = true;
            match this.sleep {
                Some(sleep) => match Instant::now().checked_add(*this.duration) {
                    Some(deadline) => sleep.reset(deadline),
                    // An absurd duration: `sleep` caps it (about 30 years).
                    None => *sleep = weft_timer::sleep(*this.duration),
                },
                None => *this.sleep = Some(weft_timer::sleep(*this.duration)),
            }
        }
        let sleep = this.sleep.as_mut().expect("armed above");
        match Pin::new(sleep).poll(cx) {
            Poll::Ready(()) => {
                // The next item gets a full duration of its own, from its first wait.
                *this.armed = false;
                Poll::Ready(Some(Err(Elapsed::new())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        // Each item may come with any number of `Elapsed` before it.
        (self.stream.size_hint().0, None)
    }
}

impl<S: Stream> FusedStream for Timeout<S> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<S: fmt::Debug> fmt::Debug for Timeout<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("stream", &self.stream)
            .field("duration", &self.duration)
            .field("sleep", &self.sleep)
            .finish()
    }
}

//! [`merge`]: many streams of one type as one, round-robin.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};

/// Merges `streams` into one stream that takes items from them in turn (fair round-robin:
/// after a stream gives an item, the next poll starts with the stream after it), and ends
/// when all of them have ended. For two streams of one type, [`select`](crate::select) does
/// the same without a `Vec`.
///
/// Each poll polls every unfinished stream at most once, so it costs O(number of
/// streams); for thousands of sources, spawn them and send into one channel instead.
/// The streams must be `Unpin` (use [`Box::pin`] for those that are not).
///
/// ```
/// use weft::stream::{self, StreamExt};
///
/// weft::run(async {
///     let merged = stream::merge(vec![
///         stream::iter(vec![1, 2, 3]),
///         stream::iter(vec![10, 20]),
///         stream::iter(vec![100]),
///     ]);
///     assert_eq!(merged.collect::<Vec<_>>().await, [1, 10, 100, 2, 20, 3]);
/// });
/// ```
pub fn merge<I>(streams: I) -> Merge<I::Item>
where
    I: IntoIterator,
    I::Item: Stream + Unpin,
{
    Merge {
        streams: streams.into_iter().collect(),
        next: 0,
    }
}

/// The stream of [`merge`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Merge<S> {
    /// The streams not yet ended, in their original order.
    streams: Vec<S>,
    /// Where the next poll starts.
    next: usize,
}

impl<S: Stream + Unpin> Stream for Merge<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        let mut left = this.streams.len();
        let mut i = this.next;
        while left > 0 {
            if i >= this.streams.len() {
                i = 0;
            }
            left -= 1;
            match Pin::new(&mut this.streams[i]).poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    this.next = i + 1;
                    return Poll::Ready(Some(item));
                }
                // Ended: the stream after it moves into index `i`.
                Poll::Ready(None) => drop(this.streams.remove(i)),
                Poll::Pending => i += 1,
            }
        }
        this.next = i;
        if this.streams.is_empty() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.streams.iter().fold((0, Some(0)), |(lo, hi), s| {
            let (l, h) = s.size_hint();
            (
                lo.saturating_add(l),
                hi.zip(h).and_then(|(a, b)| a.checked_add(b)),
            )
        })
    }
}

impl<S: Stream + Unpin> FusedStream for Merge<S> {
    fn is_terminated(&self) -> bool {
        self.streams.is_empty()
    }
}

//! [`as_completed`]: the outputs of many futures in the order they complete.

use std::fmt;
use std::future::{poll_fn, Future, IntoFuture};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::{FusedStream, Stream};

use weft_future::Join;

/// Runs `futures` concurrently and yields each one's output as soon as it completes:
/// Python's `asyncio.as_completed`.
///
/// The futures run inside the task that polls the [`AsCompleted`] (wrap them in
/// [`spawn`](crate::spawn) to run them on other workers: a `JoinHandle` is a future too).
/// Like [`join_all`](crate::future::join_all), only the futures that were woken are polled
/// again, so a large set costs in proportion to what happens, not to its size. Dropping the
/// `AsCompleted` drops the futures that have not completed (cancelling them).
///
/// ```
/// use std::time::Duration;
/// use weft::time::sleep;
///
/// async fn my_task(secs: u64) -> String {
///     sleep(Duration::from_millis(10 * secs)).await;
///     format!("Task completed in {secs} seconds")
/// }
///
/// weft::run(async {
///     let mut tasks = weft::task::as_completed([my_task(1), my_task(3), my_task(2)]);
///     let mut results = Vec::new();
///     while let Some(result) = tasks.next().await {
///         results.push(result);
///     }
///     assert_eq!(
///         results,
///         ["Task completed in 1 seconds", "Task completed in 2 seconds", "Task completed in 3 seconds"]
///     );
/// });
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    AsCompleted {
        inner: Join::new(futures.into_iter().map(IntoFuture::into_future)),
    }
}

/// The stream returned by [`as_completed`]: each future's output, in completion order.
///
/// A [`futures_core::Stream`]; [`next`](AsCompleted::next) awaits the next output without
/// a stream extension trait.
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<F: Future> {
    inner: Join<F>,
}

impl<F: Future> AsCompleted<F> {
    /// The next output to complete, or `None` once every output was handed out.
    ///
    /// ```
    /// # weft::run(async {
    /// let mut outputs = weft::task::as_completed([std::future::ready(1)]);
    /// assert_eq!(outputs.next().await, Some(1));
    /// assert_eq!(outputs.next().await, None);
    /// assert_eq!(outputs.next().await, None); // and so on
    /// # });
    /// ```
    pub async fn next(&mut self) -> Option<F::Output> {
        poll_fn(|cx| self.poll_next_output(cx)).await
    }

    /// How many outputs are still to come.
    ///
    /// ```
    /// # weft::run(async {
    /// let mut outputs = weft::task::as_completed([std::future::ready(1), std::future::ready(2)]);
    /// assert_eq!(outputs.len(), 2);
    /// outputs.next().await;
    /// assert_eq!(outputs.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        // Each child's output is handed out as it completes, so what is not done is to come.
        self.inner.remaining()
    }

    /// Whether every output was handed out.
    ///
    /// ```
    /// let outputs = weft::task::as_completed(Vec::<std::future::Ready<()>>::new());
    /// assert!(outputs.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn poll_next_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        if self.inner.is_finished() {
            return Poll::Ready(None);
        }
        let Some(index) = ready!(self.inner.poll(cx, |_| true)) else {
            return Poll::Ready(None);
        };
        let output = self.inner.take_output(index);
        Poll::Ready(Some(
            output.expect("a child that just completed holds its output"),
        ))
    }
}

impl<F: Future> Stream for AsCompleted<F> {
    type Item = F::Output;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        // `AsCompleted` is `Unpin`: its futures are pinned in a heap slice of their own.
        self.get_mut().poll_next_output(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<F: Future> FusedStream for AsCompleted<F> {
    fn is_terminated(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<F: Future> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("AsCompleted", f)
    }
}

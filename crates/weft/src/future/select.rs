use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One of two values: the output of [`select`], and the encoding [`select!`](crate::select)
/// uses internally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Either<A, B> {
    /// The first alternative.
    Left(A),
    /// The second alternative.
    Right(B),
}

/// Waits for the first of two futures to complete: asyncio's
/// `wait({a, b}, return_when=FIRST_COMPLETED)`.
///
/// Resolves to `Left((a_output, b))` or `Right((b_output, a))`, handing back the future that
/// did not finish so that it can be awaited later or dropped. `a` is polled first when both
/// are ready. Both must be [`Unpin`]; pin them with [`std::pin::pin!`] (or `Box::pin`)
/// first if they are not. For more branches, patterns and handlers, see
/// [`select!`](crate::select).
///
/// ```
/// use std::pin::pin;
/// use weft::future::{select, Either};
///
/// weft::run(async {
///     let slow = pin!(async {
///         for _ in 0..10 {
///             weft::task::yield_now().await;
///         }
///         "slow"
///     });
///     let fast = pin!(async { "fast" });
///     match select(slow, fast).await {
///         Either::Left(_) => unreachable!(),
///         Either::Right((winner, slow)) => {
///             assert_eq!(winner, "fast");
///             assert_eq!(slow.await, "slow"); // the loser can still be awaited
///         }
///     }
/// });
/// ```
pub fn select<A, B>(a: A, b: B) -> Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    Select {
        inner: Some((a, b)),
    }
}

/// The future returned by [`select`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Select<A, B> {
    inner: Option<(A, B)>,
}

impl<A, B> Future for Select<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    type Output = Either<(A::Output, B), (B::Output, A)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (a, b) = self
            .inner
            .as_mut()
            .expect("`Select` polled after it completed");
        if let Poll::Ready(out) = Pin::new(a).poll(cx) {
            let (_, b) = self.inner.take().expect("checked above");
            return Poll::Ready(Either::Left((out, b)));
        }
        if let Poll::Ready(out) = Pin::new(b).poll(cx) {
            let (a, _) = self.inner.take().expect("checked above");
            return Poll::Ready(Either::Right((out, a)));
        }
        Poll::Pending
    }
}

impl<A, B> fmt::Debug for Select<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("done", &self.inner.is_none())
            .finish()
    }
}

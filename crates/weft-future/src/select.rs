use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One of two values: the output of [`select`], and the encoding weft's `select!` macro uses
/// internally.
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
/// first if they are not. For more branches, patterns and handlers, see weft's `select!`.
///
/// ```
/// # // A minimal executor; inside weft, use `weft::run` or `Runtime::block_on`.
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::future::Future;
/// #     struct Unpark(std::thread::Thread);
/// #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
/// #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
/// #     let (mut f, mut cx) = (std::pin::pin!(f), std::task::Context::from_waker(&waker));
/// #     loop {
/// #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
/// #         std::thread::park();
/// #     }
/// # }
/// # // `Pending` once, waking itself: what `weft::task::yield_now` does.
/// # async fn yield_now() {
/// #     let mut yielded = false;
/// #     std::future::poll_fn(|cx| {
/// #         if std::mem::replace(&mut yielded, true) { return std::task::Poll::Ready(()); }
/// #         cx.waker().wake_by_ref();
/// #         std::task::Poll::Pending
/// #     })
/// #     .await
/// # }
/// use std::pin::pin;
/// use weft_future::{select, Either};
///
/// block_on(async {
///     let slow = pin!(async {
///         for _ in 0..10 {
///             yield_now().await;
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

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use weft_core::coop;

use crate::ready::ReadySet;
use crate::MaybeDone;

/// Up to this many children are simply all polled on every wake-up; above it, each child
/// gets its own waker and only the children that woke are polled.
const SMALL: usize = 16;

/// Waits for all the futures of `iter` and returns their outputs in input order:
/// asyncio's `gather(*aws)`.
///
/// The futures run concurrently inside the task that awaits the `JoinAll` (spawn them,
/// and join weft's `JoinHandle`s, to use several threads).
/// It scales: with more than a few futures, each child gets its own waker and a wake-up
/// polls only the children that woke, so joining 100,000 futures costs O(1) polls per
/// child wake-up, not a pass over all of them.
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
/// use weft_future::join_all;
///
/// block_on(async {
///     // Children finish in a different order than they were given; the outputs do not.
///     let outputs = join_all((0..5u32).map(|i| async move {
///         for _ in 0..(5 - i) {
///             yield_now().await;
///         }
///         i * 10
///     }))
///     .await;
///     assert_eq!(outputs, [0, 10, 20, 30, 40]);
/// });
/// ```
pub fn join_all<I>(iter: I) -> JoinAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    JoinAll {
        inner: Join::new(iter.into_iter().map(IntoFuture::into_future)),
    }
}

/// Waits for all the futures of `iter`, which return `Result`s: resolves to `Ok` with all
/// the values in input order, or to the first `Err` as soon as one appears, dropping the
/// futures still running.
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
/// use weft_future::try_join_all;
///
/// block_on(async {
///     let all_ok = try_join_all((1..=3).map(|i| async move { Ok::<_, String>(i) })).await;
///     assert_eq!(all_ok, Ok(vec![1, 2, 3]));
///
///     let failed = try_join_all((1..=3).map(|i| async move {
///         if i == 2 { Err(format!("{i} failed")) } else { Ok(i) }
///     }))
///     .await;
///     assert_eq!(failed, Err("2 failed".to_owned()));
/// });
/// ```
pub fn try_join_all<I, T, E>(iter: I) -> TryJoinAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture<Output = Result<T, E>>,
{
    TryJoinAll {
        inner: Join::new(iter.into_iter().map(IntoFuture::into_future)),
    }
}

/// The future returned by [`join_all`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct JoinAll<F: Future> {
    inner: Join<F>,
}

/// The future returned by [`try_join_all`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TryJoinAll<F: Future> {
    inner: Join<F>,
}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let inner = &mut self.get_mut().inner;
        match ready!(inner.poll(cx, |_| false)) {
            None => Poll::Ready(inner.take_outputs().collect()),
            Some(_) => unreachable!("join_all never stops early"),
        }
    }
}

impl<F, T, E> Future for TryJoinAll<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Vec<T>, E>> {
        let inner = &mut self.get_mut().inner;
        match ready!(inner.poll(cx, Result::is_err)) {
            None => Poll::Ready(Ok(inner
                .take_outputs()
                .map(|out| match out {
                    Ok(value) => value,
                    Err(_) => unreachable!("an Err would have stopped the join"),
                })
                .collect())),
            Some(index) => {
                let Some(Err(err)) = inner.take_output(index) else {
                    unreachable!("the join stops only on an Err");
                };
                // Drop the futures still running now, not when the `TryJoinAll` is dropped.
                inner.clear();
                inner.finished = true;
                Poll::Ready(Err(err))
            }
        }
    }
}

impl<F: Future> fmt::Debug for JoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("JoinAll", f)
    }
}

impl<F: Future> fmt::Debug for TryJoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("TryJoinAll", f)
    }
}

impl<F: Future> fmt::Debug for Join<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug("Join", f)
    }
}

/// The machinery behind [`JoinAll`], [`TryJoinAll`] and weft's `AsCompleted`.
pub struct Join<F: Future> {
    children: Pin<Box<[MaybeDone<F>]>>,
    /// `None` for at most [`SMALL`] children: then all are polled on every wake-up.
    ready: Option<ReadySet>,
    /// Children not done yet.
    remaining: usize,
    /// Set once the output was handed out.
    finished: bool,
}

impl<F: Future> Join<F> {
    /// The children of `iter`, all to be polled.
    pub fn new(iter: impl Iterator<Item = F>) -> Join<F> {
        let children: Box<[MaybeDone<F>]> = iter.map(MaybeDone::new).collect();
        let n = children.len();
        Join {
            children: Box::into_pin(children),
            ready: (n > SMALL).then(|| ReadySet::with_ready(n)),
            remaining: n,
            finished: false,
        }
    }

    /// Child `index`, pinned.
    fn child(children: &mut Pin<Box<[MaybeDone<F>]>>, index: usize) -> Pin<&mut MaybeDone<F>> {
        // The elements of a pinned slice are pinned too (structural pinning).
        // SAFETY: they are never moved out of the slice, only dropped with it.
        unsafe { children.as_mut().map_unchecked_mut(|c| &mut c[index]) }
    }

    /// Polls the children. `Ready(None)`: all are done (a last call; polling again panics).
    /// `Ready(Some(i))`: child `i` just completed with an output `stop` returns `true` for;
    /// the others may still run, and the next call goes on with them.
    pub fn poll(
        &mut self,
        cx: &mut Context<'_>,
        stop: impl Fn(&F::Output) -> bool,
    ) -> Poll<Option<usize>> {
        assert!(
            !self.finished,
            "`JoinAll`/`TryJoinAll` polled after it completed"
        );
        if self.remaining == 0 {
            self.finished = true;
            return Poll::Ready(None);
        }
        // One unit per poll: with the budget spent, polling children that would each yield
        // at once is wasted work (this wakes the task, to come back with a fresh budget).
        ready!(coop::poll_proceed(cx)).made_progress();

        let Join {
            children,
            ready,
            remaining,
            finished,
        } = self;
        let len = children.len();
        let mut poll_child = |index: usize, cx: &mut Context<'_>| {
            let mut child = Self::child(children, index);
            if child.is_done() || child.as_mut().poll(cx).is_pending() {
                // Pending, or a stale wake of a finished child.
                return Poll::Pending;
            }
            *remaining -= 1;
            if child.output().is_some_and(&stop) {
                Poll::Ready(Some(index))
            } else if *remaining == 0 {
                *finished = true;
                Poll::Ready(None)
            } else {
                Poll::Pending
            }
        };
        match ready {
            // Few children: poll each with the task's own waker.
            None => {
                for index in 0..len {
                    if let Poll::Ready(out) = poll_child(index, cx) {
                        return Poll::Ready(out);
                    }
                }
                Poll::Pending
            }
            Some(ready) => ready.poll_next(Some(cx.waker()), poll_child),
        }
    }

    /// The output of child `index`, if it completed and was not taken yet.
    pub fn take_output(&mut self, index: usize) -> Option<F::Output> {
        Self::child(&mut self.children, index).take_output()
    }

    /// All outputs, in order (all children must be done), and drops the children.
    fn take_outputs(&mut self) -> impl Iterator<Item = F::Output> + '_ {
        let mut children = std::mem::replace(&mut self.children, Self::empty());
        self.ready = None;
        (0..children.len()).map(move |index| {
            Self::child(&mut children, index)
                .take_output()
                .expect("every child of a completed join is done")
        })
    }

    fn empty() -> Pin<Box<[MaybeDone<F>]>> {
        let empty: Box<[MaybeDone<F>]> = Box::new([]);
        Box::into_pin(empty)
    }

    /// Drops all children now.
    fn clear(&mut self) {
        self.children = Self::empty();
        self.ready = None;
    }

    /// Children not done yet.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// Whether `poll` reported the end (`Ready(None)`); it must not be called again.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Formats the join as a struct called `name`.
    pub fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("len", &self.children.len())
            .field("remaining", &self.remaining)
            .finish()
    }
}

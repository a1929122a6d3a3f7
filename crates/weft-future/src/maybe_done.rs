use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A future that keeps its output once it completes: the building block of weft's `join!`
/// and `try_join!` macros and of [`join_all`](crate::join_all).
///
/// Polling it polls the inner future until that completes, then keeps returning
/// `Ready(())`; the output stays inside until [`take_output`](MaybeDone::take_output).
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
/// use std::pin::pin;
/// use weft_future::MaybeDone;
///
/// block_on(async {
///     let mut a = pin!(MaybeDone::new(async { 1 }));
///     let mut b = pin!(MaybeDone::new(async { "two" }));
///     // Poll both until both are done, like `join!` does.
///     std::future::poll_fn(|cx| {
///         let a_done = a.as_mut().poll(cx).is_ready();
///         let b_done = b.as_mut().poll(cx).is_ready();
///         if a_done && b_done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
///     })
///     .await;
///     assert_eq!(a.as_mut().take_output(), Some(1));
///     assert_eq!(b.as_mut().take_output(), Some("two"));
///     assert_eq!(b.as_mut().take_output(), None); // taken
/// });
/// # use std::future::Future;
/// ```
pub struct MaybeDone<F: Future> {
    state: State<F>,
}

enum State<F: Future> {
    /// Still running; structurally pinned.
    Future(F),
    /// Completed; the output is not pinned.
    Done(F::Output),
    /// The output was taken.
    Gone,
}

impl<F: Future> MaybeDone<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> MaybeDone<F> {
        MaybeDone {
            state: State::Future(future),
        }
    }

    /// `true` once the inner future has completed (whether or not its output was taken).
    pub fn is_done(&self) -> bool {
        !matches!(self.state, State::Future(_))
    }

    /// The output, if the future completed and the output was not taken yet.
    pub fn output(&self) -> Option<&F::Output> {
        match &self.state {
            State::Done(out) => Some(out),
            _ => None,
        }
    }

    /// The output, mutably, if the future completed and the output was not taken yet.
    pub fn output_mut(self: Pin<&mut Self>) -> Option<&mut F::Output> {
        // SAFETY: only the `Done` variant is handed out, and the output is not structurally
        // pinned; the future (the pinned part) is not touched.
        match unsafe { &mut self.get_unchecked_mut().state } {
            State::Done(out) => Some(out),
            _ => None,
        }
    }

    /// Takes the output out, if the future completed and the output was not taken yet.
    pub fn take_output(self: Pin<&mut Self>) -> Option<F::Output> {
        // SAFETY: we move out of the state only when it is `Done`, whose output is not
        // pinned; the pinned future was already dropped in place when the state became
        // `Done`, and `Gone` holds nothing.
        let this = unsafe { self.get_unchecked_mut() };
        match &this.state {
            State::Done(_) => {}
            State::Future(_) | State::Gone => return None,
        }
        match std::mem::replace(&mut this.state, State::Gone) {
            State::Done(out) => Some(out),
            _ => unreachable!("checked to be Done just above"),
        }
    }
}

impl<F: Future> Future for MaybeDone<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out of `this`; the future inside is re-pinned below.
        let this = unsafe { self.as_mut().get_unchecked_mut() };
        let State::Future(future) = &mut this.state else {
            return Poll::Ready(());
        };
        // SAFETY: the future is structurally pinned: it is only ever reached through this
        // projection of a pinned `MaybeDone`, and is never moved, only dropped in place
        // (by `set` below, or with the `MaybeDone`).
        let out = match unsafe { Pin::new_unchecked(future) }.poll(cx) {
            Poll::Ready(out) => out,
            Poll::Pending => return Poll::Pending,
        };
        // Drops the future in place (allowed for pinned data) and stores the output.
        self.set(MaybeDone {
            state: State::Done(out),
        });
        Poll::Ready(())
    }
}

impl<F: Future> fmt::Debug for MaybeDone<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Future(_) => "Future",
            State::Done(_) => "Done",
            State::Gone => "Gone",
        };
        f.debug_tuple("MaybeDone")
            .field(&format_args!("{state}"))
            .finish()
    }
}

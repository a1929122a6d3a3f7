//! Asynchronous signal handling: [`ctrl_c`] and, on Unix, [`unix::signal`].
//!
//! What asyncio's `loop.add_signal_handler(SIGINT, cb)` does, as a future or a stream:
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use weft_reactor::signal::{self, unix::{signal, SignalKind}};
//!
//! let mut terminate = signal(SignalKind::terminate())?;
//! let ctrl_c = signal::ctrl_c();
//! // ... race them against the server with `select!` ...
//! ctrl_c.await?;
//! println!("Ctrl-C: shutting down");
//! # terminate.recv().await;
//! # Ok(())
//! # }
//! ```
//!
//! Every listener sees every delivery made after it was created:
//!
//! ```
//! # use std::future::Future;
//! # use std::pin::pin;
//! # use std::sync::Arc;
//! # use std::task::{Context, Poll, Wake, Waker};
//! # struct Unpark(weft_reactor::ReactorHandle);
//! # impl Wake for Unpark { fn wake(self: Arc<Self>) { self.0.unpark() } }
//! # // A minimal executor; inside weft, use `weft::run` or `Runtime::block_on`.
//! # fn block_on<F: Future>(fut: F) -> F::Output {
//! #     let mut reactor = weft_reactor::Reactor::new().unwrap();
//! #     let _current = weft_reactor::context::set_current(Some(reactor.handle()));
//! #     let waker = Waker::from(Arc::new(Unpark(reactor.handle())));
//! #     let mut fut = pin!(fut);
//! #     loop {
//! #         if let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
//! #             return out;
//! #         }
//! #         reactor.park(None);
//! #     }
//! # }
//! use weft_reactor::signal::unix::{signal, SignalKind};
//!
//! block_on(async {
//!     let mut a = signal(SignalKind::user_defined1())?;
//!     let mut b = signal(SignalKind::user_defined1())?;
//!     // SAFETY: weft's handler is installed for SIGUSR1, so this does not kill us.
//!     unsafe { libc::raise(libc::SIGUSR1) };
//!     assert_eq!(a.recv().await, Some(()));
//!     assert_eq!(b.recv().await, Some(()));
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How it works, and what it costs
//!
//! The first listener of a signal installs a process-wide `sigaction` handler for it
//! (`SA_RESTART`). The handler only bumps a per-signal counter and writes one byte to a
//! non-blocking self-pipe; each listener registers the pipe with its reactor and compares
//! the counter with the last value it reported, and whichever listener drains the pipe
//! wakes the others whose signal arrived. Every listener therefore sees every delivery
//! made after it was created, and several deliveries between two polls are reported once.
//! A delivery costs one wake-up per listener of that signal, wherever its task runs.
//!
//! **weft owns the handler.** Installing it replaces whatever the process had for that
//! signal (a previous handler is not called), and it stays installed for the rest of the
//! process, even when no listener is left: once something listened for `SIGINT`, Ctrl-C no
//! longer kills the process by default. This is tokio's behaviour too; if you need the
//! default action back, exit yourself when the signal arrives. A [`unix::signal`] call
//! that fails (no reactor current, a forbidden signal) installs nothing.
//!
//! `SIGKILL` and `SIGSTOP` cannot be caught, and `SIGSEGV`, `SIGBUS`, `SIGFPE` and
//! `SIGILL` must not be (the faulting thread cannot resume): asking for them is an
//! `InvalidInput` error that names the signal.
//!
//! Child processes (`weft_reactor::process`) use `SIGCHLD` through the same machinery
//! where `pidfd` is not available, and the reaper of dropped children subscribes to
//! `SIGCHLD` in the registry like any listener.

mod handler;
mod listener;
mod registry;
pub mod unix;

use std::future::{poll_fn, Future};
use std::io;
use std::panic::Location;

use weft_core::introspect::{self, WaitKind};

/// Completes at the next Ctrl-C (`SIGINT`) delivered after this call.
///
/// The handler is installed when `ctrl_c()` is *called*, not when the future is first
/// polled, so a Ctrl-C that arrives in between is not lost (and does not kill the process).
/// The future registers with the reactor current where it is first polled.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// weft_reactor::signal::ctrl_c().await?;
/// println!("received Ctrl-C");
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// If the handler cannot be installed, or if no reactor is current where the future is
/// polled.
#[track_caller]
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> + Send + 'static {
    let location = Location::caller();
    let listener = listener::Listener::new(libc::SIGINT);
    async move {
        let mut listener = listener?;
        poll_fn(|cx| {
            let poll = listener.poll_recv(cx);
            if poll.is_pending() {
                let signum = u64::try_from(libc::SIGINT).unwrap_or(0);
                introspect::waiting_on(WaitKind::Signal, location, None, signum);
            }
            poll
        })
        .await
    }
}

/// For the process module (which subscribes to `SIGCHLD`, as any listener does) and the
/// loom models.
pub(crate) mod internal {
    pub(crate) use super::handler::{global, install};
    pub use super::listener::Listener;
    pub use super::registry::{Registry, Subscription, Wakeup, WakeupReader};
}

//! weft's I/O reactor: readiness-based registration of file descriptors over mio (the
//! default) or polling (feature `backend-polling`), and the TCP, UDP and Unix-domain socket
//! types that `weft::net` re-exports.
//!
//! It also holds [`io`], the async I/O helpers that `weft::io` re-exports (the extension
//! traits with `read_exact`, `write_all`, `read_line`; `BufReader`, `BufWriter`, `copy`,
//! `split`, `duplex`), so the sockets and what reads and writes them live in one crate.
//! `io` works on any futures-io stream and does not use the reactor.
//!
//! The crate stands alone: it knows nothing of the scheduler. A runtime creates a
//! [`Reactor`], makes its [`ReactorHandle`] current on its threads
//! ([`context::set_current`]), and parks in it where it would otherwise sleep.
//!
//! # The readiness model
//!
//! Every source (socket, pipe, signal or process descriptor) is a non-blocking file
//! descriptor with a [`Registration`]: one slot in the reactor's slab, registered with the
//! OS selector for edge-triggered notification under a token (slot index + generation, so
//! an event for a freed slot is ignored). The slot holds a readiness word (readable,
//! writable, read-closed, write-closed, plus a tick that counts events) and the wakers of
//! the tasks waiting on it: one slot per direction for the `poll_*` functions, so a
//! reading task and a writing task (the halves of a split stream) wait side by side, and
//! a list with one entry per future for the `async` operations that any number of tasks
//! may await on one socket (`accept`, `recv_from`, `readable`, ...), in which a cancelled
//! future strands no other (`waiters.rs`).
//!
//! An operation runs while its direction is known ready; when the system call says
//! `WouldBlock`, the task clears that readiness, *unless the tick moved* (an event arrived
//! meanwhile, which edge-triggering would never repeat), and waits for the next event.
//! New registrations start ready, so the first read or write is tried at once. A hang-up
//! or an error wakes both directions. Readiness polls spend the task's cooperative budget
//! ([`weft_core::coop::poll_proceed`]), as tokio's do. Dropping a registration wakes the
//! tasks still waiting on it; shutting the reactor down wakes every waiter with an error
//! "the weft runtime is shutting down".
//!
//! # The backends
//!
//! `sys/mod.rs` states the contract each backend meets (a selector with register,
//! reregister, deregister and `select(events, timeout)`, and a waker that interrupts
//! `select`). `sys/mio.rs` is the default; `sys/polling.rs` (feature `backend-polling`)
//! uses polling 3 in its edge mode where the OS has one (epoll, kqueue) and otherwise
//! re-arms its oneshot registrations after each event. The net types are std sockets set
//! non-blocking and registered by raw descriptor, so they are the same code on both, and
//! the test suite runs on both.
//!
//! # Park and unpark
//!
//! [`Reactor::park`]`(timeout)` waits in the selector, then sets the readiness of each
//! event and wakes its waiters after releasing every lock. [`Reactor::unpark`] (or
//! [`ReactorHandle::unpark`], from any thread) interrupts it; an unpark that comes before
//! the park makes that park return at once, and many unparks between two parks cost one
//! system call.
//!
//! # How the runtime wires it in
//!
//! The facade owns the `Reactor` next to the timer driver and parks through both:
//!
//! ```text
//! park(timeout):
//!     let t = timer.park_timeout(timeout); // min(timeout, next timer)
//!     reactor.park(t);                     // I/O events, or an unpark, or the time-out
//!     timer.process();                     // fire the timers that are due
//! unpark():
//!     reactor.unpark();                    // also the timer driver's unpark callback
//! ```
//!
//! and sets [`context::set_current`]`(Some(reactor.handle()))` on every thread of the
//! runtime. Without it, constructing a socket panics with a message saying so.
//!
//! # Example
//!
//! A reactor driven by hand, as a runtime would: poll the task, and park when it is
//! pending.
//!
//! ```
//! use std::future::{poll_fn, Future};
//! use std::pin::{pin, Pin};
//! use std::task::{Context, Poll};
//! # struct Noop; impl std::task::Wake for Noop { fn wake(self: std::sync::Arc<Self>) {} }
//! # let waker = std::task::Waker::from(std::sync::Arc::new(Noop)); // (`Waker::noop`: Rust 1.85)
//! use futures_io::{AsyncRead, AsyncWrite};
//! use weft_reactor::net::{TcpListener, TcpStream};
//! use weft_reactor::{context, Reactor};
//!
//! let mut reactor = Reactor::new()?;
//! let _ctx = context::set_current(Some(reactor.handle()));
//!
//! let mut task = pin!(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!     poll_fn(|cx| Pin::new(&mut &client).poll_write(cx, b"hello")).await?;
//!     let mut buf = [0; 5];
//!     let n = poll_fn(|cx| Pin::new(&mut &server).poll_read(cx, &mut buf)).await?;
//!     std::io::Result::Ok(buf[..n].to_vec())
//! });
//! let mut cx = Context::from_waker(&waker);
//! let received = loop {
//!     if let Poll::Ready(result) = task.as_mut().poll(&mut cx) {
//!         break result?;
//!     }
//!     reactor.park(None); // sleep until an I/O event
//! };
//! assert_eq!(received, b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```

#[cfg(doctest)]
mod compile_fail;
mod driver;
mod handle;
mod interest;
mod readiness;
mod registration;
mod scheduled_io;
mod sys;
mod waiters;

pub mod context;
pub mod io;
pub mod net;
pub mod process;
pub mod signal;

pub use driver::Reactor;
pub use handle::ReactorHandle;
pub use interest::Interest;
pub use readiness::{AsyncIo, Readiness};
pub use registration::Registration;

/// The concurrent protocols' own types, public only so that the loom models
/// (`tests/loom_*.rs`) drive the real code, with the OS behind seams they replace
/// ([`Wakeup`](protocol::Wakeup) for the self-pipe, [`Orphan`](protocol::Orphan) for
/// `waitpid`). Not part of the API.
#[doc(hidden)]
pub mod protocol {
    pub use crate::interest::Ready;
    pub use crate::process::reaper::{Orphan, Reaper, SigchldWait};
    pub use crate::readiness::{AsyncIo, Readiness};
    pub use crate::scheduled_io::{ReadyEvent, ScheduledIo};
    pub use crate::signal::internal::{Listener, Registry, Subscription, Wakeup, WakeupReader};
    pub use crate::waiters::Mode;
}

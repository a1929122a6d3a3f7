//! The futures that wait in a registration's waiter list: [`Readiness`] (behind
//! `readable()`/`writable()`) and [`AsyncIo`] (behind every `&self` async operation that
//! several tasks may await at once: `accept`, `recv_from`, `send_to`, ...).
//!
//! Each future owns one entry of the list (allocated at its first `Pending`, freed when it
//! completes or is dropped), so any number of tasks wait side by side and a cancelled one
//! takes only its own entry away. `Readiness` entries are all woken by each event;
//! `AsyncIo` entries take turns, oldest first, and a turn that ends with the direction
//! still ready, or whose future is dropped after its wake, passes to the next waiter
//! (`waiters.rs` has the rules). The `poll_*` functions of
//! [`Registration`](crate::Registration) keep their one slot per direction.

use std::future::Future;
use std::io;
use std::panic::Location;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use weft_core::coop;
use weft_core::introspect::{self, WaitKind};

use crate::interest::Ready;
use crate::scheduled_io::{ReadyEvent, ScheduledIo};
use crate::waiters::Mode;

/// Waits until a direction of a registration is ready, in an entry of its waiter list.
///
/// Resolves to the readiness observed (with its tick, for
/// [`ScheduledIo::clear_readiness`]); fails once the registration is closed or the reactor
/// shut down, or at once if the registration's interest lacks the direction. Spends one
/// unit of the task's cooperative budget when ready.
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct Readiness<'a> {
    io: &'a ScheduledIo,
    direction: Ready,
    mode: Mode,
    /// `false` when the registration's interest lacks `direction`.
    allowed: bool,
    /// The entry in the waiter list, once this future has waited.
    key: Option<usize>,
    /// For the task's wait record: the descriptor (0 if unknown) and the call that made
    /// this future.
    fd: u64,
    location: &'static Location<'static>,
}

impl<'a> Readiness<'a> {
    /// A wait for `direction` (`Ready::READABLE` or `Ready::WRITABLE`) on `io`, in an
    /// entry woken by every event; `allowed` says whether the registration's interest
    /// includes the direction.
    #[doc(hidden)]
    #[track_caller]
    pub fn new(io: &'a ScheduledIo, direction: Ready, allowed: bool) -> Readiness<'a> {
        Readiness::with_mode(io, direction, allowed, Mode::Every, 0, Location::caller())
    }

    /// [`Readiness::new`], naming the descriptor and the call that waits (for the task's
    /// wait record).
    pub(crate) fn at(
        io: &'a ScheduledIo,
        direction: Ready,
        allowed: bool,
        fd: u64,
        location: &'static Location<'static>,
    ) -> Readiness<'a> {
        Readiness::with_mode(io, direction, allowed, Mode::Every, fd, location)
    }

    fn with_mode(
        io: &'a ScheduledIo,
        direction: Ready,
        allowed: bool,
        mode: Mode,
        fd: u64,
        location: &'static Location<'static>,
    ) -> Self {
        Readiness {
            io,
            direction,
            mode,
            allowed,
            key: None,
            fd,
            location,
        }
    }

    /// [`Future::poll`] without the pin.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        if !self.allowed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "waiting for a direction the registration's interest does not include",
            )));
        }
        let coop = ready!(coop::poll_proceed(cx));
        let Poll::Ready(ev) =
            self.io
                .poll_ready_listed(cx, self.direction, self.mode, &mut self.key)
        else {
            introspect::waiting_on(wait_kind(self.direction), self.location, None, self.fd);
            return Poll::Pending;
        };
        coop.made_progress();
        Poll::Ready(ev)
    }

    /// Frees the entry (if any). `done`: the future completed (rather than being dropped).
    fn release(&mut self, done: bool) {
        if let Some(key) = self.key.take() {
            self.io.remove_listed(key, done);
        }
    }
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = ready!(this.poll_ready(cx));
        this.release(true);
        Poll::Ready(result)
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        self.release(false);
    }
}

/// Runs an I/O operation each time its direction is ready, until it does anything but
/// `WouldBlock` (which clears the readiness, unless an event came meanwhile, and waits
/// again); resolves to that result. Waits in an entry of the waiter list, taking turns
/// with the other `AsyncIo`s of its direction, so any number of tasks may run one on the
/// same registration.
///
/// Cancel-safe as long as `op` is (an `accept`, a `recv_from`: the system call either
/// completes inside one poll or leaves nothing behind).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct AsyncIo<'a, F> {
    wait: Readiness<'a>,
    op: F,
}

impl<'a, F> AsyncIo<'a, F> {
    /// Runs `op` whenever `direction` of `io` is ready; `allowed` as for
    /// [`Readiness::new`].
    #[doc(hidden)]
    #[track_caller]
    pub fn new(io: &'a ScheduledIo, direction: Ready, allowed: bool, op: F) -> AsyncIo<'a, F> {
        AsyncIo::at(io, direction, allowed, op, 0, Location::caller())
    }

    /// [`AsyncIo::new`], naming the descriptor and the call that waits.
    pub(crate) fn at(
        io: &'a ScheduledIo,
        direction: Ready,
        allowed: bool,
        op: F,
        fd: u64,
        location: &'static Location<'static>,
    ) -> AsyncIo<'a, F> {
        AsyncIo {
            wait: Readiness::with_mode(io, direction, allowed, Mode::Turn, fd, location),
            op,
        }
    }
}

/// What a task waiting for `direction` waits on.
pub(crate) fn wait_kind(direction: Ready) -> WaitKind {
    if direction == Ready::WRITABLE {
        WaitKind::Writable
    } else {
        WaitKind::Readable
    }
}

impl<R, F> Future for AsyncIo<'_, F>
where
    F: FnMut() -> io::Result<R> + Unpin,
{
    type Output = io::Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        loop {
            let ev = match ready!(this.wait.poll_ready(cx)) {
                Ok(ev) => ev,
                Err(e) => {
                    this.wait.release(true);
                    return Poll::Ready(Err(e));
                }
            };
            match (this.op)() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => this.wait.io.clear_readiness(ev),
                result => {
                    this.wait.release(true);
                    return Poll::Ready(result);
                }
            }
        }
    }
}

impl<F> std::fmt::Debug for AsyncIo<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncIo")
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

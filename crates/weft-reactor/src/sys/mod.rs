//! The OS backends, behind one contract.
//!
//! Exactly one backend is compiled: [`mio`](https://docs.rs/mio) (`sys/mio.rs`, the default)
//! or [`polling`](https://docs.rs/polling) (`sys/polling.rs`, with the cargo feature
//! `backend-polling`). The rest of the crate sees only the names below, so everything above
//! this module (readiness, registration, the net types) is shared by both.
//!
//! # What every backend provides
//!
//! - `Selector`: owned by the [`Reactor`](crate::Reactor), the only thing that waits.
//!   - `Selector::new() -> io::Result<Selector>`
//!   - `selector.registry() -> io::Result<Registry>`: the shared side (may be called once).
//!   - `selector.select(&mut self, events: &mut Events, timeout: Option<Duration>)
//!     -> io::Result<()>`: waits until at least one registered source is ready, the
//!     [`Waker`] is woken, or `timeout` passes (`None`: no limit; zero: do not block).
//!     `EINTR` is not an error: it returns `Ok` with whatever events it has. It wakes no
//!     later than the time-out allows: not rounded up to whole milliseconds where the OS
//!     can do better (the mio backend arms a timerfd on Linux, as polling does on
//!     its own).
//!     The events it leaves in `events` replace the previous ones.
//! - `Registry`: `Send + Sync`, shared by every [`ReactorHandle`](crate::ReactorHandle).
//!   - `register(&self, fd, token, interest)`, `reregister(&self, fd, token, interest)`,
//!     `deregister(&self, fd)`, all `io::Result<()>`; `fd` is a `BorrowedFd<'_>` of a
//!     non-blocking descriptor, which its `Registration` owns and keeps open until after
//!     `deregister`. `token` is never [`WAKE_TOKEN`].
//!   - `Registry::waker(&self) -> io::Result<Waker>` (called once per selector).
//! - `Waker`: `Send + Sync`; `wake(&self) -> io::Result<()>` makes the current `select`
//!   return, or, when no thread is selecting, the next one return at once.
//! - `Events`: `Events::with_capacity(n)`, and `events.iter()` yielding `(token, Ready)` for
//!   every readiness event of a registered source (never one of the waker's).
//!
//! # The readiness they must report
//!
//! Edge-triggered: an event is reported when a direction *becomes* ready, and not again
//! until the source has returned `WouldBlock` in that direction and become ready anew. The
//! `Ready` they report is normalised (see `interest.rs`): an error sets both directions
//! readable, a hang-up sets both closed bits, whatever the interest, so no waiter sleeps
//! through a dead socket. A peer's shutdown sets the read-closed bit where the backend can
//! tell (`REPORTS_READ_CLOSED`). mio is
//! edge-triggered natively; polling 3 registers in its edge mode where the OS supports it
//! (epoll, kqueue), and otherwise in its oneshot mode, re-arming the interest after each
//! event it delivers (which can only make the reactor see readiness more often, never less).

#[cfg(not(feature = "backend-polling"))]
mod mio;
#[cfg(not(feature = "backend-polling"))]
pub(crate) use self::mio::{Events, Registry, Selector, Waker};

#[cfg(feature = "backend-polling")]
mod polling;
#[cfg(feature = "backend-polling")]
pub(crate) use self::polling::{Events, Registry, Selector, Waker};

/// The token of the reactor's own waker; never given to a registration.
pub(crate) const WAKE_TOKEN: usize = usize::MAX;

/// The token of the mio backend's timerfd (Linux), which makes a wait's time-out exact;
/// never given to a registration.
#[cfg_attr(
    any(feature = "backend-polling", not(target_os = "linux")),
    allow(dead_code)
)]
pub(crate) const TIMER_TOKEN: usize = usize::MAX - 1;

/// Whether the backend reports a peer's shutdown of its write direction (`EPOLLRDHUP`) as
/// read-closed. mio does; polling does not ask for it.
pub(crate) const REPORTS_READ_CLOSED: bool = !cfg!(feature = "backend-polling");

/// The name of the compiled backend, for diagnostics.
pub(crate) const BACKEND: &str = if cfg!(feature = "backend-polling") {
    "polling"
} else {
    "mio"
};

//! Unix signals as streams: [`signal`] and [`SignalKind`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::os::raw::c_int;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use weft_core::introspect::{self, WaitKind};

use super::handler;
use super::listener::Listener;

/// Which signal to listen for: a thin wrapper around a signal number.
///
/// ```
/// use weft_reactor::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::terminate().as_raw_value(), libc::SIGTERM);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// Any signal, by number. [`signal`] rejects the ones weft cannot listen for.
    pub const fn from_raw(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }

    /// `SIGALRM`: a real-time timer (`alarm(2)`) expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up; daemons often take it as "reload configuration".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: interrupt from the keyboard (Ctrl-C).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: quit from the keyboard (Ctrl-\\).
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: a polite request to terminate (what `kill` sends by default).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`: for the application's own use.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: for the application's own use.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<c_int> for SignalKind {
    fn from(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }
}

impl From<SignalKind> for c_int {
    fn from(kind: SignalKind) -> c_int {
        kind.0
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match handler::name(self.0) {
            Some(name) => write!(f, "SignalKind({name})"),
            None => write!(f, "SignalKind({})", self.0),
        }
    }
}

/// Listens for `kind`, from now on: deliveries before this call are not reported.
///
/// The first listener of a signal installs weft's handler for it, process-wide and for
/// good (see the [module docs](super)), once nothing else can fail: an error leaves the
/// signal's disposition as it was. Must be called where a reactor is current (inside a
/// weft runtime).
///
/// # Errors
///
/// * `InvalidInput` for `SIGKILL`, `SIGSTOP` (they cannot be caught), `SIGSEGV`, `SIGBUS`,
///   `SIGFPE`, `SIGILL` (a faulting thread cannot resume) and numbers outside `1..=64`;
/// * the OS error if `sigaction` refuses the signal (glibc reserves 32 and 33);
/// * the reactor's error when no reactor is current.
///
/// # Examples
///
/// ```no_run
/// use weft_reactor::signal::unix::{signal, SignalKind};
///
/// # async fn serve() -> std::io::Result<()> {
/// let mut hangups = signal(SignalKind::hangup())?;
/// while hangups.recv().await.is_some() {
///     println!("SIGHUP: reloading the configuration");
/// }
/// # Ok(())
/// # }
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let location = Location::caller();
    handler::check(kind.0)?;
    let mut listener = Listener::new_in(handler::global()?.clone(), kind.0);
    // Everything that can fail for want of a reactor comes first: the handler is
    // process-wide and permanent, so a failed call must not have installed it.
    listener.register()?;
    handler::install(kind.0)?;
    Ok(Signal { listener, location })
}

/// A stream of deliveries of one signal, made by [`signal`].
///
/// Each `Signal` sees every delivery made after its creation, independently of the other
/// listeners of the same signal; deliveries that arrive between two polls are reported
/// once.
pub struct Signal {
    listener: Listener,
    /// The `signal()` call: where the wait record says a `poll_recv` caller waits.
    location: &'static Location<'static>,
}

impl Signal {
    /// Waits for the next delivery. `None` only if the reactor failed or shut down.
    ///
    /// Cancellation safe: a delivery that arrives while the future is dropped is reported
    /// by the next call.
    #[track_caller]
    pub fn recv(&mut self) -> impl Future<Output = Option<()>> + '_ {
        let location = Location::caller();
        poll_fn(move |cx| self.poll_recv_at(cx, location))
    }

    /// Polls for the next delivery: `Ready(Some(()))` once the signal was delivered since the
    /// last `Ready`, `Ready(None)` if the reactor failed or shut down.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.poll_recv_at(cx, self.location)
    }

    fn poll_recv_at(
        &mut self,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<Option<()>> {
        match self.listener.poll_recv(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Some(())),
            Poll::Ready(Err(_)) => Poll::Ready(None),
            Poll::Pending => {
                // Over the self-pipe's readiness: the signal is the wait.
                let signum = u64::try_from(self.listener.signum()).unwrap_or(0);
                introspect::waiting_on(WaitKind::Signal, location, None, signum);
                Poll::Pending
            }
        }
    }

    /// The signal this stream listens for.
    pub fn kind(&self) -> SignalKind {
        SignalKind(self.listener.signum())
    }
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind())
            .finish()
    }
}

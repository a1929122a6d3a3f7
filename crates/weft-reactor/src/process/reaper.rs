//! Knowing when a child exits, and reaping the children nobody waits for.
//!
//! # Waiting
//!
//! A [`Waiter`] is how one `Child` learns that it may have exited:
//!
//! * **pidfd** (Linux 5.3 and later): `pidfd_open(pid)` gives a descriptor that becomes
//!   readable when the process exits. It is registered with the reactor at the first wait,
//!   so waiting on a child wakes that child's task only, and no signal handler is needed.
//! * **`SIGCHLD`** (the fallback, where `pidfd_open` fails with `ENOSYS`, `EPERM`, ...): a
//!   `SIGCHLD` listener from the signal module. Its counter is read *before* the first
//!   `waitpid(pid, WNOHANG)`, so an exit between the check and the wait is not missed; each
//!   delivery wakes every waiting child, which tries `waitpid` again.
//!
//! Either way the exit status is collected by `waitpid(pid, WNOHANG)` (std's `try_wait`);
//! the readiness is only a hint to try again.
//!
//! # Orphans
//!
//! A `Child` dropped before its exit status was collected is queued on the global
//! [`Reaper`] (after `SIGKILL` if it was spawned with `kill_on_drop(true)`), which
//! subscribes to `SIGCHLD` in the signal registry, like any listener of it. The queue is
//! swept with `waitpid(pid, WNOHANG)`:
//!
//! * whenever `SIGCHLD` was delivered since the reaper's last sweep and some weft signal
//!   listener drains the self-pipe (its wake pass wakes the reaper's subscription, whose
//!   waker sweeps and re-arms it);
//! * right after each push, and whenever a new child is spawned or a child is waited for.
//!
//! The handshake, so that no exit is missed: the reaper subscribes (reading the `SIGCHLD`
//! counter) *before* a child is queued, and a push sweeps *after* queueing: an exit before
//! that sweep is reaped by it, one after it is counted and wakes the reaper. A woken reaper
//! reads the counter, sweeps, re-arms with the value it read, then reads the counter again
//! and sweeps once more if it moved (a delivery drained by someone else while it was not
//! armed would otherwise go unseen). `tests/loom_reaper.rs` models it.
//!
//! So zombies do not pile up in a process that keeps spawning or listening, though one
//! that drops a child and then does nothing process-related may keep that one zombie until
//! it does (tokio has the same limit).

use std::io;
use std::os::fd::OwnedFd;
use std::os::raw::c_int;
use std::process::{Child as StdChild, ExitStatus};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc as StdArc, OnceLock, Weak};
use std::task::{ready, Context, Poll, Wake, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::{Arc, Mutex};

use crate::registration::register_current;
use crate::signal::internal::{global as signals, install, Listener, Registry, Subscription};
use crate::{Interest, Registration};

/// Set once `pidfd_open` reported that it is not available here.
static PIDFD_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// How one child waits for its exit.
#[derive(Debug)]
pub(crate) enum Waiter {
    /// A pidfd (`fd`), moved into its registration with the reactor at the first wait;
    /// both `None` after a failed registration (the next wait falls back to `SIGCHLD`).
    Pidfd {
        fd: Option<OwnedFd>,
        registration: Option<Registration<OwnedFd>>,
    },
    /// A `SIGCHLD` listener, created at the first wait.
    Sigchld(SigchldWait),
}

impl Waiter {
    /// The waiter for the child `pid`: a pidfd where possible, unless `force_sigchld`.
    pub(crate) fn new(pid: u32, force_sigchld: bool) -> Waiter {
        if !force_sigchld {
            if let Some(fd) = pidfd_open(pid) {
                return Waiter::Pidfd {
                    fd: Some(fd),
                    registration: None,
                };
            }
        }
        Waiter::Sigchld(SigchldWait::default())
    }

    /// Whether this waiter uses a pidfd (for tests and `Debug`).
    pub(crate) fn is_pidfd(&self) -> bool {
        matches!(self, Waiter::Pidfd { .. })
    }

    /// Polls `try_wait` until it reports an exit, waiting for the exit hint in between.
    pub(crate) fn poll_exit(
        &mut self,
        cx: &mut Context<'_>,
        mut try_wait: impl FnMut() -> io::Result<Option<ExitStatus>>,
    ) -> Poll<io::Result<ExitStatus>> {
        if let Waiter::Pidfd {
            fd: None,
            registration: None,
        } = self
        {
            *self = Waiter::Sigchld(SigchldWait::default());
        }
        match self {
            Waiter::Pidfd { registration, fd } => loop {
                if let Some(status) = try_wait()? {
                    return Poll::Ready(Ok(status));
                }
                if let Some(pidfd) = fd {
                    // pidfds are always readable-or-not; O_NONBLOCK only matters for
                    // waitid, which we do not use on it, but the reactor wants it set.
                    super::fd::set_nonblocking(&*pidfd)?;
                    let pidfd = fd.take().expect("checked above");
                    *registration = Some(register_current(pidfd, Interest::READABLE)?);
                }
                let registration = registration.as_ref().expect("registered above");
                ready!(registration.poll_read_ready(cx))?;
                // Readable means exited: the next `try_wait` sees it. If it does not (a
                // spurious wake-up), wait for the next edge.
                if let Some(status) = try_wait()? {
                    return Poll::Ready(Ok(status));
                }
                registration.clear_read_ready();
            },
            Waiter::Sigchld(wait) => {
                // The handler first, so that the listener counts every SIGCHLD from here.
                install(libc::SIGCHLD)?;
                wait.poll_exit(signals()?, libc::SIGCHLD, cx, try_wait)
            }
        }
    }
}

/// Waiting for a child's exit through `SIGCHLD`: a listener of the signal, created at the
/// first wait *before* the first `try_wait`, so an exit between the two is counted.
#[derive(Debug, Default)]
pub struct SigchldWait {
    listener: Option<Listener>,
}

impl SigchldWait {
    /// Polls `try_wait` until it reports an exit, waiting for a delivery of `signum`
    /// (`SIGCHLD`) on `registry` in between.
    pub fn poll_exit<T>(
        &mut self,
        registry: &Arc<Registry>,
        signum: c_int,
        cx: &mut Context<'_>,
        mut try_wait: impl FnMut() -> io::Result<Option<T>>,
    ) -> Poll<io::Result<T>> {
        loop {
            let listener = self
                .listener
                .get_or_insert_with(|| Listener::new_in(registry.clone(), signum));
            if let Some(status) = try_wait()? {
                return Poll::Ready(Ok(status));
            }
            ready!(listener.poll_recv(cx))?;
        }
    }
}

/// `pidfd_open(pid, 0)`, or `None` where the kernel or a sandbox does not allow it.
#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    use std::os::fd::FromRawFd;

    if PIDFD_UNSUPPORTED.load(Ordering::Relaxed) {
        return None;
    }
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: pidfd_open takes a pid and a flags word and returns a new descriptor or -1;
    // it touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        let err = io::Error::last_os_error();
        if matches!(
            err.raw_os_error(),
            Some(libc::ENOSYS) | Some(libc::EPERM) | Some(libc::EACCES)
        ) {
            PIDFD_UNSUPPORTED.store(true, Ordering::Relaxed);
        }
        return None;
    }
    let fd = std::os::fd::RawFd::try_from(fd).ok()?;
    // SAFETY: `fd` was just returned by pidfd_open: open, and owned by nobody else.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: u32) -> Option<OwnedFd> {
    let _ = &PIDFD_UNSUPPORTED;
    None
}

/// A child the reaper may have to collect: the seam the loom model replaces.
pub trait Orphan: Send + 'static {
    /// `waitpid(pid, WNOHANG)`: `true` once the child is gone (its status collected, or an
    /// error such as `ECHILD` that says nobody ever will).
    fn try_reap(&mut self) -> bool;
}

impl Orphan for StdChild {
    fn try_reap(&mut self) -> bool {
        !matches!(self.try_wait(), Ok(None))
    }
}

/// The children dropped before they were reaped, and the `SIGCHLD` subscription that
/// sweeps them (see the module docs).
pub struct Reaper<C> {
    orphans: Mutex<Vec<C>>,
    /// `orphans.len()`, readable without the lock.
    count: AtomicUsize,
    /// The subscription to `SIGCHLD` (`None` until [`watch`](Self::watch)) and the
    /// waker it is armed with.
    watch: Mutex<Option<(Subscription, c_int, Waker)>>,
}

impl<C: Orphan> Reaper<C> {
    /// An empty reaper, watching nothing yet.
    pub fn new() -> StdArc<Reaper<C>> {
        StdArc::new(Reaper {
            orphans: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
            watch: Mutex::new(None),
        })
    }

    /// Subscribes to `signum` (`SIGCHLD`) in `registry`, once: from now on, every delivery
    /// that a listener's drain sees makes the reaper sweep.
    pub fn watch(self: &StdArc<Self>, registry: &Arc<Registry>, signum: c_int) {
        let mut watch = self.watch.lock();
        if watch.is_none() {
            let seen = registry.generation(signum);
            let subscription = Registry::subscribe(registry, signum, seen);
            let waker = Waker::from(StdArc::new(ReapOnWake(StdArc::downgrade(self))));
            subscription.arm(seen, &waker);
            *watch = Some((subscription, signum, waker));
        }
    }

    /// Queues `child`, then sweeps: an exit before the sweep is reaped by it, one after it
    /// is a delivery the subscription sees (once [`watch`](Self::watch)ed).
    pub fn push(&self, child: C) {
        let mut orphans = self.orphans.lock();
        orphans.push(child);
        self.sweep(&mut orphans);
    }

    /// Reaps every orphan that has exited, if any is queued: the cheap check of a spawn or
    /// a wait, which skips the lock when the queue looks empty.
    pub fn reap(&self) {
        if self.count.load(Ordering::Acquire) != 0 {
            self.sweep(&mut self.orphans.lock());
        }
    }

    /// `waitpid(pid, WNOHANG)` on each orphan, keeping those still running. Always under
    /// the lock when a delivery asks: an orphan queued just before may not show in the
    /// count yet, but the lock orders the push before this sweep or after the delivery.
    fn sweep(&self, orphans: &mut Vec<C>) {
        orphans.retain_mut(|child| !child.try_reap());
        self.count.store(orphans.len(), Ordering::Release);
    }

    /// The number of orphans not reaped yet.
    pub fn pending(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// The subscription's waker ran: a delivery came since it was armed. Sweep, re-arm
    /// with the counter read before the sweep, and sweep again while it moved meanwhile.
    fn on_delivery(&self) {
        let watch = self.watch.lock();
        let Some((subscription, signum, waker)) = watch.as_ref() else {
            return;
        };
        let registry = subscription.registry();
        loop {
            let seen = registry.generation(*signum);
            self.sweep(&mut self.orphans.lock());
            subscription.arm(seen, waker);
            if registry.generation(*signum) == seen {
                return;
            }
        }
    }
}

impl<C> std::fmt::Debug for Reaper<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reaper")
            .field("pending", &self.count.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

/// The reaper's subscription waker (weak: the registry's table holds it, and the reaper
/// holds the subscription).
struct ReapOnWake<C>(Weak<Reaper<C>>);

impl<C: Orphan> Wake for ReapOnWake<C> {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        if let Some(reaper) = self.0.upgrade() {
            reaper.on_delivery();
        }
    }
}

/// The process-wide reaper.
fn global() -> &'static StdArc<Reaper<StdChild>> {
    static GLOBAL: OnceLock<StdArc<Reaper<StdChild>>> = OnceLock::new();
    GLOBAL.get_or_init(Reaper::new)
}

/// Queues a child that was dropped before it was reaped.
pub(crate) fn push_orphan(child: StdChild) {
    let reaper = global();
    // Count SIGCHLD from now on, so that listeners wake the reaper. Without a self-pipe
    // (out of descriptors) the orphan is still swept at the next spawn or wait.
    if install(libc::SIGCHLD).is_ok() {
        if let Ok(registry) = signals() {
            reaper.watch(registry, libc::SIGCHLD);
        }
    }
    reaper.push(child);
}

/// Reaps every orphan that has exited.
pub(crate) fn reap_orphans() {
    global().reap();
}

/// The number of orphans not reaped yet (for tests).
pub(crate) fn orphan_count() -> usize {
    global().pending()
}

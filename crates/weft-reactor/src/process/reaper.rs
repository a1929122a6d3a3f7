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
//! A `Child` dropped before its exit status was collected is pushed on a global orphan
//! queue (after `SIGKILL` if it was spawned with `kill_on_drop(true)`), and `SIGCHLD`
//! handling is switched on. The queue is swept with `waitpid(pid, WNOHANG)`:
//!
//! * whenever any weft signal listener drains the self-pipe and sees that `SIGCHLD` was
//!   delivered since the last sweep;
//! * whenever a new child is spawned or a child is waited for.
//!
//! So zombies do not pile up in a process that keeps spawning or listening, though one
//! that drops a child and then does nothing process-related may keep that one zombie until
//! it does (tokio has the same limit).

use std::io;
use std::os::fd::OwnedFd;
use std::process::{Child as StdChild, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{ready, Context, Poll};

use crate::registration::register_current;
use crate::signal::internal::{generation, install, Listener};
use crate::{Interest, Registration};

/// Set once `pidfd_open` reported that it is not available here.
static PIDFD_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// Children dropped before they were reaped.
static ORPHANS: Mutex<Vec<StdChild>> = Mutex::new(Vec::new());

/// `ORPHANS.len()`, readable without the lock.
static ORPHAN_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The `SIGCHLD` counter at the last sweep triggered by a signal.
static LAST_SWEEP: AtomicUsize = AtomicUsize::new(0);

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
    Sigchld(Option<Listener>),
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
        Waiter::Sigchld(None)
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
            *self = Waiter::Sigchld(None);
        }
        match self {
            Waiter::Pidfd { registration, fd } => loop {
                if let Some(status) = try_wait()? {
                    return Poll::Ready(Ok(status));
                }
                if let Some(pidfd) = fd {
                    // pidfds are always readable-or-not; O_NONBLOCK only matters for
                    // waitid, which we do not use on it, but the reactor wants it set.
                    super::child::set_nonblocking(&*pidfd)?;
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
            Waiter::Sigchld(listener) => loop {
                if listener.is_none() {
                    // Interest first, then the check: a SIGCHLD after this line is counted.
                    *listener = Some(Listener::new(libc::SIGCHLD)?);
                }
                if let Some(status) = try_wait()? {
                    return Poll::Ready(Ok(status));
                }
                let listener = listener.as_mut().expect("created above");
                ready!(listener.poll_recv(cx))?;
            },
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

/// Queues a child that was dropped before it was reaped.
pub(crate) fn push_orphan(mut child: StdChild) {
    // Count SIGCHLD from now on, so that listeners sweep the queue. Then look once more:
    // an exit after this look is counted.
    let _ = install(libc::SIGCHLD);
    if let Ok(Some(_)) | Err(_) = child.try_wait() {
        return;
    }
    let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    orphans.push(child);
    ORPHAN_COUNT.store(orphans.len(), Ordering::Release);
}

/// Reaps every orphan that has exited (`waitpid(pid, WNOHANG)` each).
pub(crate) fn reap_orphans() {
    if ORPHAN_COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    // Keep only those still running; an error (ECHILD: someone else reaped it) drops it.
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    ORPHAN_COUNT.store(orphans.len(), Ordering::Release);
}

/// Called by the signal module after it drained the self-pipe: sweep the orphans if
/// `SIGCHLD` was delivered since the last sweep.
pub(crate) fn on_signal_delivery() {
    if ORPHAN_COUNT.load(Ordering::Acquire) == 0 {
        return;
    }
    let now = generation(libc::SIGCHLD);
    if LAST_SWEEP.swap(now, Ordering::AcqRel) != now {
        reap_orphans();
    }
}

/// The number of orphans not reaped yet (for tests).
pub(crate) fn orphan_count() -> usize {
    ORPHAN_COUNT.load(Ordering::Acquire)
}

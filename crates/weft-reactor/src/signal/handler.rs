//! The OS side of signals: installing weft's `sigaction` handler, the handler itself, and
//! the self-pipe through which it wakes the reactors (the process-wide [`Registry`]'s
//! [`Wakeup`]).
//!
//! * **Install** (once per signal, under [`INSTALL_LOCK`]): `sigaction(signum, handler,
//!   SA_RESTART)` replaces whatever disposition the signal had. weft owns the handler: the
//!   previous handler is not chained to, and the handler is never uninstalled (as in
//!   tokio), so after the first listener of `SIGINT` exists, Ctrl-C no longer kills the
//!   process even once every listener is gone. Callers install only once nothing else can
//!   fail (`unix::signal` registers with the reactor first), so a failed call leaves the
//!   signal's disposition as it was.
//! * **The handler** (async-signal-safe): [`Registry::deliver`] on the global registry,
//!   with `errno` saved and restored around it.
//! * **The self-pipe** (a non-blocking `UnixStream` pair, created with the global
//!   registry): the handler writes one byte to the write end (`EAGAIN` on a full pipe is
//!   ignored); each listener registers a duplicate of the read end with its reactor.

use std::io::{self, Read};
use std::os::fd::{IntoRawFd, RawFd};
use std::os::raw::c_int;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll};

use weft_core::loom::sync::Arc;

use super::registry::{Registry, Wakeup, WakeupReader, NSIG};
use crate::registration::register_current;
use crate::{Interest, Registration};

/// Whether weft's handler is installed for each signal.
static INSTALLED: [AtomicBool; NSIG] = [const { AtomicBool::new(false) }; NSIG];

/// Serializes `sigaction` calls.
static INSTALL_LOCK: Mutex<()> = Mutex::new(());

/// The process-wide registry, which the handler delivers to.
static GLOBAL: OnceLock<Arc<Registry>> = OnceLock::new();

/// The process-wide registry, created (with its self-pipe) on first use. Installs no
/// handler.
pub(crate) fn global() -> io::Result<&'static Arc<Registry>> {
    if let Some(registry) = GLOBAL.get() {
        return Ok(registry);
    }
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(registry) = GLOBAL.get() {
        return Ok(registry);
    }
    let (read, write) = UnixStream::pair()?;
    read.set_nonblocking(true)?;
    write.set_nonblocking(true)?;
    let pipe = SelfPipe {
        // The write end lives for the rest of the process: the handler may run at any time.
        write_fd: write.into_raw_fd(),
        read,
    };
    Ok(GLOBAL.get_or_init(|| Arc::new(Registry::new(Box::new(pipe)))))
}

/// The name of a signal number, for error messages (`"signal 42"` style names are not
/// static, so unknown numbers get `None`).
pub(crate) fn name(signum: c_int) -> Option<&'static str> {
    let name = match signum {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGSYS => "SIGSYS",
        _ => return None,
    };
    Some(name)
}

/// Checks that weft may install a handler for `signum`.
///
/// `SIGKILL` and `SIGSTOP` cannot be caught; `SIGSEGV`, `SIGBUS`, `SIGFPE` and `SIGILL`
/// mean the faulting thread cannot go on, and a handler that only sets a flag would make
/// it fault again forever.
pub(crate) fn check(signum: c_int) -> io::Result<()> {
    let forbidden = [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGFPE,
        libc::SIGILL,
    ];
    if forbidden.contains(&signum) {
        let name = name(signum).unwrap_or("signal");
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "weft cannot listen for {name} ({signum}): it cannot be caught, or it must not be"
            ),
        ));
    }
    if signum <= 0 || signum as usize >= NSIG {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{signum} is not a signal number weft can listen for (1..{NSIG})"),
        ));
    }
    Ok(())
}

/// Installs weft's handler for `signum` (once; later calls return at once). Creates the
/// global registry first, so the handler always has somewhere to deliver.
pub(crate) fn install(signum: c_int) -> io::Result<()> {
    check(signum)?;
    if INSTALLED[signum as usize].load(Ordering::Acquire) {
        return Ok(());
    }
    global()?;
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if INSTALLED[signum as usize].load(Ordering::Acquire) {
        return Ok(());
    }
    // SAFETY: `sigaction` is plain old data; all-zero is a valid (empty) value that we
    // fill in below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler as extern "C" fn(c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `sa_mask` is a valid, exclusively borrowed `sigset_t`.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: `action` is fully initialized, `handler` is async-signal-safe and lives for
    // the whole program, and a null `oldact` is allowed.
    if unsafe { libc::sigaction(signum, &action, std::ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    INSTALLED[signum as usize].store(true, Ordering::Release);
    Ok(())
}

/// The signal handler. Async-signal-safe: an atomic load (`OnceLock::get`), then
/// [`Registry::deliver`] (an atomic add and `write(2)`), and it leaves `errno` as it found
/// it.
extern "C" fn handler(signum: c_int) {
    let saved = errno::get();
    if let Some(registry) = GLOBAL.get() {
        registry.deliver(signum);
    }
    errno::set(saved);
}

/// The self-pipe: the production [`Wakeup`].
struct SelfPipe {
    /// The write end, never closed.
    write_fd: RawFd,
    /// The read end; each reader registers a duplicate of it.
    read: UnixStream,
}

impl Wakeup for SelfPipe {
    fn notify(&self) {
        let byte = 1u8;
        // SAFETY: `write_fd` is the pipe's write end, open for the rest of the process; the
        // buffer is one valid byte. The fd is non-blocking; EAGAIN (full pipe) is ignored
        // on purpose: a full pipe already wakes the readers.
        let _ = unsafe { libc::write(self.write_fd, (&byte as *const u8).cast(), 1) };
    }

    fn reader(&self) -> io::Result<Box<dyn WakeupReader>> {
        // A duplicate (F_DUPFD_CLOEXEC) shares the pipe and its O_NONBLOCK flag; each
        // reactor sees its own descriptor, with its own edge when a byte arrives.
        let stream = self.read.try_clone()?;
        Ok(Box::new(PipeReader {
            registration: register_current(stream, Interest::READABLE)?,
        }))
    }
}

/// A listener's duplicate of the read end, registered with its reactor.
#[derive(Debug)]
struct PipeReader {
    registration: Registration<UnixStream>,
}

impl WakeupReader for PipeReader {
    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let reg = &self.registration;
        reg.poll_read_io(cx, || drain(reg.get_ref()))
    }
}

/// Reads everything in the pipe. `Ok` if it read at least one byte, `WouldBlock` if the
/// pipe was empty.
fn drain(mut stream: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut read_any = false;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break, // cannot happen: the write end is never closed
            Ok(_) => read_any = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    if read_any {
        Ok(())
    } else {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Saving and restoring `errno` in the handler, so the interrupted code never sees the
/// handler's `write` errors.
mod errno {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn get() -> i32 {
        // SAFETY: the errno location is valid for the current thread.
        unsafe { *location() }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn set(value: i32) {
        // SAFETY: the errno location is valid and writable for the current thread.
        unsafe { *location() = value }
    }

    #[cfg(target_os = "linux")]
    fn location() -> *mut i32 {
        // SAFETY: always safe to call; it returns the thread's errno slot.
        unsafe { libc::__errno_location() }
    }

    #[cfg(target_os = "android")]
    fn location() -> *mut i32 {
        // SAFETY: always safe to call; it returns the thread's errno slot.
        unsafe { libc::__errno() }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(super) fn get() -> i32 {
        0
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(super) fn set(_value: i32) {}
}

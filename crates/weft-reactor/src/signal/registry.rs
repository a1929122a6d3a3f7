//! The process-global signal registry: one `sigaction` handler per signal number, a
//! generation counter per signal, and a self-pipe that wakes the reactors.
//!
//! # The protocol
//!
//! * **Install** (once per signal, under [`INSTALL_LOCK`]): the self-pipe (a non-blocking
//!   `UnixStream` pair) is created on first use, then `sigaction(signum, handler,
//!   SA_RESTART)` replaces whatever disposition the signal had. weft owns the handler: the
//!   previous handler is not chained to, and the handler is never uninstalled (as in tokio),
//!   so after the first listener of `SIGINT` exists, Ctrl-C no longer kills the process
//!   even once every listener is gone.
//! * **Deliver** (the handler, async-signal-safe: two atomic operations and one `write`):
//!   `GENERATIONS[signum] += 1`, then write one byte to the pipe's write end. A full pipe
//!   (`EAGAIN`) is ignored: the bytes only mean "look at the counters", and a full pipe
//!   already says so. `errno` is saved and restored around the `write`.
//! * **Listen** (`listener.rs`): a listener remembers the counter value it last reported,
//!   and drains the pipe through its own reactor registration; see there.
//!
//! Several deliveries between two polls are reported once (coalescing, as in tokio); every
//! listener of a signal sees every delivery that happens after it was created.

use std::io;
use std::os::fd::IntoRawFd;
use std::os::raw::c_int;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// One more than the largest signal number weft accepts (Linux's `SIGRTMAX` is 64).
pub(crate) const NSIG: usize = 65;

/// Per-signal delivery counters, bumped by the handler. `AtomicUsize` rather than
/// `AtomicU64`: it is lock-free on every target that has it, which a signal handler
/// needs, and listeners only compare counters for equality, so wrapping is harmless.
static GENERATIONS: [AtomicUsize; NSIG] = [const { AtomicUsize::new(0) }; NSIG];

/// Whether weft's handler is installed for each signal.
static INSTALLED: [AtomicBool; NSIG] = [const { AtomicBool::new(false) }; NSIG];

/// The self-pipe's write end (`-1` until created); never closed once set.
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

/// The self-pipe's read end; each listener registers a duplicate of it.
pub(super) static READ_END: OnceLock<UnixStream> = OnceLock::new();

/// Serializes pipe creation and `sigaction` calls.
static INSTALL_LOCK: Mutex<()> = Mutex::new(());

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

/// The number of deliveries of `signum` so far (wrapping). `signum` must have passed
/// [`check`].
pub(crate) fn generation(signum: c_int) -> usize {
    GENERATIONS[signum as usize].load(Ordering::Acquire)
}

/// Installs weft's handler for `signum` (once; later calls return at once).
pub(crate) fn install(signum: c_int) -> io::Result<()> {
    check(signum)?;
    if INSTALLED[signum as usize].load(Ordering::Acquire) {
        return Ok(());
    }
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if INSTALLED[signum as usize].load(Ordering::Acquire) {
        return Ok(());
    }
    if READ_END.get().is_none() {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        // The write end lives for the rest of the process: the handler may run at any time.
        WRITE_FD.store(write.into_raw_fd(), Ordering::Release);
        // Cannot fail: we hold the lock and checked that it is unset.
        let _ = READ_END.set(read);
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

/// The signal handler. Async-signal-safe: atomics and `write(2)` only, and it leaves
/// `errno` as it found it.
extern "C" fn handler(signum: c_int) {
    let saved = errno::get();
    if let Some(generation) = usize::try_from(signum)
        .ok()
        .and_then(|i| GENERATIONS.get(i))
    {
        generation.fetch_add(1, Ordering::AcqRel);
    }
    let fd = WRITE_FD.load(Ordering::Acquire);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: `fd` is the pipe's write end, open for the rest of the process; the
        // buffer is one valid byte. The fd is non-blocking; EAGAIN (full pipe) is ignored
        // on purpose: a full pipe already wakes the readers.
        let _ = unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
    errno::set(saved);
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

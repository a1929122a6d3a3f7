//! Asynchronous child processes: asyncio's `create_subprocess_exec`, as std's
//! [`Command`](std::process::Command) builder with `async` waiting and non-blocking pipes.
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
//! use weft_reactor::process::Command;
//!
//! block_on(async {
//!     let output = Command::new("echo").arg("hello").output().await?;
//!     assert!(output.status.success());
//!     assert_eq!(output.stdout, b"hello\n");
//!
//!     let status = Command::new("sh").args(["-c", "exit 3"]).status().await?;
//!     assert_eq!(status.code(), Some(3));
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Piped stdin, stdout and stderr are [`ChildStdin`], [`ChildStdout`] and [`ChildStderr`]:
//! non-blocking, registered with the reactor, and implementing futures-io's
//! [`AsyncWrite`](futures_io::AsyncWrite) / [`AsyncRead`](futures_io::AsyncRead).
//! [`Command::spawn`] must therefore run where a reactor is current (inside a weft
//! runtime); so must waiting.
//!
//! # Waiting
//!
//! On Linux 5.3 and later each child gets a `pidfd` that becomes readable when it exits,
//! so a wait wakes only its own task and needs no signal handler. Elsewhere (or where a
//! sandbox forbids `pidfd_open`) weft falls back to `SIGCHLD` through
//! [`signal`](crate::signal): each delivery wakes the waiting children, which try
//! `waitpid(pid, WNOHANG)` again. That installs weft's `SIGCHLD` handler for good (see the
//! signal module on what owning a handler means).
//!
//! # Orphans
//!
//! A [`Child`] dropped before its exit was collected keeps running (unless
//! [`Command::kill_on_drop`] was set: then it is killed first) and is queued for reaping;
//! the queue is swept with `waitpid(WNOHANG)` whenever a weft signal listener sees a
//! `SIGCHLD`, whenever a child is spawned and whenever a child is waited for. So no zombie
//! outlives the next process-related activity; a program that drops a child and then never
//! spawns, waits or listens for signals again may keep that one zombie until it exits, as
//! with tokio. Queuing an orphan switches weft's `SIGCHLD` handler on (for good), so that
//! listeners notice its exit.
//!
//! Do not call `waitpid(-1, ..)` (or anything that reaps every child) in a program that
//! uses this module: it would steal the exit statuses weft waits for (`wait` then fails
//! with `ECHILD`).

mod child;
mod fd;
pub(crate) mod reaper;

use std::ffi::OsStr;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::path::Path;

pub use std::process::{ExitStatus, Output, Stdio};

pub use self::child::{Child, ChildStderr, ChildStdin, ChildStdout};

/// A process builder: std's [`Command`](std::process::Command) (every method has the same
/// meaning) plus [`kill_on_drop`](Command::kill_on_drop), with `async` [`status`] and
/// [`output`].
///
/// [`status`]: Command::status
/// [`output`]: Command::output
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// use weft_reactor::process::{Command, Stdio};
///
/// let mut child = Command::new("cat")
///     .stdin(Stdio::piped())
///     .stdout(Stdio::piped())
///     .kill_on_drop(true)
///     .spawn()?;
/// let stdin = child.stdin.take().unwrap(); // an AsyncWrite
/// let stdout = child.stdout.take().unwrap(); // an AsyncRead
/// # drop((stdin, stdout));
/// let status = child.wait().await?;
/// # Ok(())
/// # }
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    force_sigchld: bool,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` if it has no `/`), with no
    /// arguments, the parent's environment and working directory, and inherited stdio.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets one environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds afterwards).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's stdin: inherited by default for `spawn` and `status`, null for
    /// `output`. [`Stdio::piped()`] gives a [`ChildStdin`].
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// The child's stdout: inherited by default for `spawn` and `status`, piped for
    /// `output`. [`Stdio::piped()`] gives a [`ChildStdout`].
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// The child's stderr: inherited by default for `spawn` and `status`, piped for
    /// `output`. [`Stdio::piped()`] gives a [`ChildStderr`].
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Whether dropping the [`Child`] before it was waited for sends it `SIGKILL`
    /// (default `false`: the child runs on and is reaped in the background).
    ///
    /// The child is killed only by the `Child`'s drop, not when the parent exits.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Uses `SIGCHLD` rather than a pidfd to wait for children spawned from now on. Only
    /// for weft's own tests of the fallback path.
    #[doc(hidden)]
    pub fn force_sigchld_wait(&mut self, force: bool) -> &mut Command {
        self.force_sigchld = force;
        self
    }

    /// The std command inside, for what this wrapper lacks (`uid`, `pre_exec`, ...).
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std command inside, mutably (`std::os::unix::process::CommandExt` works on it).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child. Its piped stdio is registered with the current reactor.
    ///
    /// # Errors
    ///
    /// `NotFound` if the program does not exist, std's other spawn errors, or the
    /// reactor's error when no reactor is current (the child is then killed).
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_at(Location::caller())
    }

    /// [`spawn`](Self::spawn), naming the call that made the child (for wait records).
    fn spawn_at(&mut self, location: &'static Location<'static>) -> io::Result<Child> {
        reaper::reap_orphans();
        let child = self.std.spawn()?;
        Child::new(child, self.kill_on_drop, self.force_sigchld, location)
    }

    /// Runs the child to completion with the stdio configured (inherited by default) and
    /// returns its exit status. Piped handles are closed before waiting.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use weft_reactor::process::Command;
    ///
    /// let status = Command::new("true").status().await?;
    /// assert!(status.success());
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        let location = Location::caller();
        async move { self.spawn_at(location)?.status_at(location).await }
    }

    /// Runs the child to completion, collecting stdout and stderr (piped unless set
    /// otherwise; stdin is null unless set otherwise, as with std).
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> + '_ {
        let location = Location::caller();
        async move {
            let child = self.spawn_for_output(location);
            child?.wait_with_output_at(location).await
        }
    }

    /// `spawn` with `output`'s defaults, restoring `spawn`'s defaults afterwards.
    fn spawn_for_output(&mut self, location: &'static Location<'static>) -> io::Result<Child> {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::piped());
        }
        let child = self.spawn_at(location);
        if !self.stdin_set {
            self.std.stdin(Stdio::inherit());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::inherit());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::inherit());
        }
        child
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            force_sigchld: false,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// The number of dropped children not reaped yet. For tests.
#[doc(hidden)]
pub fn orphans_pending() -> usize {
    reaper::orphan_count()
}

/// Whether the child waits through a pidfd. For tests.
#[doc(hidden)]
pub fn uses_pidfd(child: &Child) -> bool {
    child.uses_pidfd()
}

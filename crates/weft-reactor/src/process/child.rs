//! [`Child`] and its asynchronous pipes.

use std::fmt;
use std::fs::File;
use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::panic::Location;
use std::pin::Pin;
use std::process::{Child as StdChild, ExitStatus, Output};
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use weft_core::introspect::{self, WaitKind};

use super::fd::set_nonblocking;
use super::reaper::{self, Waiter};
use crate::registration::register_current_at;
use crate::{Interest, Registration};

/// A running (or finished) child process, made by [`Command::spawn`](super::Command::spawn).
///
/// Dropping a `Child` does not wait for it and, unless
/// [`kill_on_drop(true)`](super::Command::kill_on_drop) was set, does not kill it: the
/// process runs on and weft reaps it in the background once it exits (see the
/// [module docs](super#orphans)), so it never stays a zombie for long.
pub struct Child {
    /// The child's stdin, if it was set to [`Stdio::piped()`](std::process::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was set to [`Stdio::piped()`](std::process::Stdio::piped).
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was set to [`Stdio::piped()`](std::process::Stdio::piped).
    pub stderr: Option<ChildStderr>,
    /// `Some` until dropped (then it may go to the orphan queue).
    inner: Option<StdChild>,
    status: Option<ExitStatus>,
    waiter: Waiter,
    kill_on_drop: bool,
    /// The call that spawned it: where the wait record says a `poll_wait` caller waits.
    location: &'static Location<'static>,
}

impl Child {
    /// Wraps a freshly spawned std child: its pipes become non-blocking and are registered
    /// with the current reactor. On error the child is killed and reaped in the background.
    /// `location`: the call that spawned it (for the wait records).
    pub(crate) fn new(
        mut inner: StdChild,
        kill_on_drop: bool,
        force_sigchld: bool,
        location: &'static Location<'static>,
    ) -> io::Result<Child> {
        let pipes = (|| -> io::Result<_> {
            let stdin = inner.stdin.take();
            let stdin = stdin.map(|s| ChildStdin::new(s, location)).transpose()?;
            let stdout = inner.stdout.take();
            let stdout = stdout.map(|s| ChildStdout::new(s, location)).transpose()?;
            let stderr = inner.stderr.take();
            let stderr = stderr.map(|s| ChildStderr::new(s, location)).transpose()?;
            Ok((stdin, stdout, stderr))
        })();
        let (stdin, stdout, stderr) = match pipes {
            Ok(pipes) => pipes,
            Err(e) => {
                let _ = inner.kill();
                reaper::push_orphan(inner);
                return Err(e);
            }
        };
        let waiter = Waiter::new(inner.id(), force_sigchld);
        Ok(Child {
            stdin,
            stdout,
            stderr,
            inner: Some(inner),
            status: None,
            waiter,
            kill_on_drop,
            location,
        })
    }

    fn inner(&mut self) -> &mut StdChild {
        self.inner
            .as_mut()
            .expect("Child::inner is Some until drop")
    }

    /// The OS process id, or `None` once the exit status has been collected (the id may
    /// then belong to another process).
    pub fn id(&self) -> Option<u32> {
        match (&self.status, &self.inner) {
            (None, Some(inner)) => Some(inner.id()),
            _ => None,
        }
    }

    /// The exit status if the child has exited, without waiting (`waitpid` with `WNOHANG`).
    ///
    /// Unlike [`wait`](Child::wait), this does not close stdin.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = self.inner().try_wait()?;
        self.status = status;
        Ok(status)
    }

    /// Waits for the child to exit and returns its status.
    ///
    /// Closes the child's stdin first (if piped), so a child that reads its input to the
    /// end can finish, as tokio does. Cancellation safe: dropping the future loses
    /// nothing, and a later call (or `try_wait`) returns the status.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use weft_reactor::process::Command;
    ///
    /// let status = Command::new("sh").args(["-c", "exit 3"]).spawn()?.wait().await?;
    /// assert_eq!(status.code(), Some(3));
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn wait(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        self.wait_at(Location::caller())
    }

    /// [`wait`](Child::wait), naming the call that waits (for the wait record).
    fn wait_at(
        &mut self,
        location: &'static Location<'static>,
    ) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        self.stdin = None;
        poll_fn(move |cx| self.poll_wait_at(cx, location))
    }

    /// Polls for the child's exit. Does not close stdin (see [`wait`](Child::wait)).
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        self.poll_wait_at(cx, self.location)
    }

    fn poll_wait_at(
        &mut self,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        reaper::reap_orphans();
        let Child {
            inner,
            status,
            waiter,
            ..
        } = self;
        let inner = inner.as_mut().expect("Child::inner is Some until drop");
        let Poll::Ready(result) = waiter.poll_exit(cx, || inner.try_wait()) else {
            // Over what the pidfd or the SIGCHLD pipe recorded: the child is the wait.
            introspect::waiting_on(WaitKind::Child, location, None, u64::from(inner.id()));
            return Poll::Pending;
        };
        if let Ok(exit) = result {
            *status = Some(exit);
        }
        Poll::Ready(result)
    }

    /// Sends `SIGKILL` without waiting. `Ok` if the child has already exited.
    ///
    /// (tokio returns an `InvalidInput` error for an exited child; weft follows std's
    /// `Child::kill`, which treats it as success.)
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        self.inner().kill()
    }

    /// Sends `SIGKILL` and waits for the child to exit.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use std::os::unix::process::ExitStatusExt;
    /// use weft_reactor::process::Command;
    ///
    /// let mut child = Command::new("sleep").arg("10").spawn()?;
    /// child.kill().await?;
    /// assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn kill(&mut self) -> impl Future<Output = io::Result<()>> + '_ {
        let location = Location::caller();
        async move {
            self.start_kill()?;
            self.wait_at(location).await?;
            Ok(())
        }
    }

    /// Closes stdin, reads stdout and stderr to the end (each if piped) while waiting for
    /// the child, and returns all three.
    #[track_caller]
    pub fn wait_with_output(self) -> impl Future<Output = io::Result<Output>> {
        self.wait_with_output_at(Location::caller())
    }

    /// [`wait_with_output`](Child::wait_with_output), naming the call that waits.
    pub(crate) async fn wait_with_output_at(
        mut self,
        location: &'static Location<'static>,
    ) -> io::Result<Output> {
        self.stdin = None;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut out_pipe = self.stdout.take();
        let mut err_pipe = self.stderr.take();
        poll_fn(|cx| {
            let out = poll_drain(&mut out_pipe, &mut stdout, cx)?;
            let err = poll_drain(&mut err_pipe, &mut stderr, cx)?;
            if out.is_pending() || err.is_pending() {
                return Poll::Pending;
            }
            Poll::Ready(Ok::<(), io::Error>(()))
        })
        .await?;
        let status = self.wait_at(location).await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    /// Whether this child waits through a pidfd rather than `SIGCHLD`.
    pub(crate) fn uses_pidfd(&self) -> bool {
        self.waiter.is_pidfd()
    }

    /// [`wait`](Child::wait) for the child of `Command::status`, named by its call.
    pub(crate) async fn status_at(
        mut self,
        location: &'static Location<'static>,
    ) -> io::Result<ExitStatus> {
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        self.wait_at(location).await
    }
}

/// Reads `pipe` to its end into `buf`; takes the pipe (closing it) at the end.
fn poll_drain<R: AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    buf: &mut Vec<u8>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    let Some(reader) = pipe.as_mut() else {
        return Poll::Ready(Ok(()));
    };
    let mut chunk = [0u8; 8192];
    loop {
        match ready!(Pin::new(&mut *reader).poll_read(cx, &mut chunk))? {
            0 => {
                *pipe = None;
                return Poll::Ready(Ok(()));
            }
            n => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut inner) = self.inner.take() else {
            return;
        };
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = inner.kill();
        }
        reaper::push_orphan(inner);
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.inner.as_ref().map(StdChild::id))
            .field("status", &self.status)
            .field("pidfd", &self.uses_pidfd())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// One end of a pipe to the child, non-blocking, owned by its registration.
struct Pipe {
    registration: Registration<File>,
}

impl Pipe {
    fn new(
        fd: OwnedFd,
        interest: Interest,
        location: &'static Location<'static>,
    ) -> io::Result<Pipe> {
        set_nonblocking(&fd)?;
        Ok(Pipe {
            registration: register_current_at(File::from(fd), interest, location)?,
        })
    }

    fn file(&self) -> &File {
        self.registration.get_ref()
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.registration
            .poll_read_io(cx, || retry_interrupted(|| self.file().read(buf)))
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.registration
            .poll_write_io(cx, || retry_interrupted(|| self.file().write(buf)))
    }
}

fn retry_interrupted<R>(mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// The writing end of the child's stdin: [`AsyncWrite`].
///
/// [`poll_close`](AsyncWrite::poll_close) closes the pipe, so the child reads end-of-file;
/// dropping it does the same. Writes after that fail with `BrokenPipe`.
pub struct ChildStdin {
    pipe: Option<Pipe>,
}

/// The reading end of the child's stdout: [`AsyncRead`].
pub struct ChildStdout {
    pipe: Pipe,
}

/// The reading end of the child's stderr: [`AsyncRead`].
pub struct ChildStderr {
    pipe: Pipe,
}

impl ChildStdin {
    fn new(
        std: std::process::ChildStdin,
        location: &'static Location<'static>,
    ) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            pipe: Some(Pipe::new(OwnedFd::from(std), Interest::WRITABLE, location)?),
        })
    }

    fn closed() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
    }
}

impl ChildStdout {
    fn new(
        std: std::process::ChildStdout,
        location: &'static Location<'static>,
    ) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            pipe: Pipe::new(OwnedFd::from(std), Interest::READABLE, location)?,
        })
    }
}

impl ChildStderr {
    fn new(
        std: std::process::ChildStderr,
        location: &'static Location<'static>,
    ) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            pipe: Pipe::new(OwnedFd::from(std), Interest::READABLE, location)?,
        })
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &self.pipe {
            Some(pipe) => pipe.poll_write(cx, buf),
            None => Poll::Ready(Err(ChildStdin::closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the pipe: nothing is buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.pipe = None;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.pipe.poll_read(cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.pipe.poll_read(cx, buf)
    }
}

macro_rules! fd_impls {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("fd", &self.fd()).finish()
            }
        }
    )*};
}

impl ChildStdin {
    fn fd(&self) -> Option<RawFd> {
        self.pipe.as_ref().map(|p| p.file().as_raw_fd())
    }
}

impl ChildStdout {
    fn fd(&self) -> RawFd {
        self.pipe.file().as_raw_fd()
    }
}

impl ChildStderr {
    fn fd(&self) -> RawFd {
        self.pipe.file().as_raw_fd()
    }
}

fd_impls!(ChildStdin, ChildStdout, ChildStderr);

impl AsRawFd for ChildStdout {
    fn as_raw_fd(&self) -> RawFd {
        self.pipe.file().as_raw_fd()
    }
}

impl AsFd for ChildStdout {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pipe.file().as_fd()
    }
}

impl AsRawFd for ChildStderr {
    fn as_raw_fd(&self) -> RawFd {
        self.pipe.file().as_raw_fd()
    }
}

impl AsFd for ChildStderr {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.pipe.file().as_fd()
    }
}

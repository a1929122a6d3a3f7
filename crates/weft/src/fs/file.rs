//! [`File`]: an open file whose reads, writes and seeks run on the blocking pool, 64 KiB
//! per round trip.
//!
//! # The state machine
//!
//! A `File` is either `Idle(buf)` or `Busy(job)`, like tokio's. The job is a blocking-pool
//! closure that owns the buffer while it runs and hands it back with the outcome, as
//! `(Operation, Buf)`. In `Idle` the buffer holds one of:
//!
//! - nothing;
//! - read-ahead: bytes the OS has handed over and the caller has not read yet (reads fetch
//!   a whole 64 KiB chunk, however small the caller's buffer). The OS cursor is then ahead
//!   of the caller's position by `buf.len()`, so a seek from [`SeekFrom::Current`]
//!   subtracts it, and a write first moves the OS cursor back (in the same round trip as
//!   the write);
//! - pending writes: bytes accepted by `poll_write` and not yet sent. They go out in one
//!   blocking write when 64 KiB have gathered, on `flush`/`close`, before any read, seek,
//!   `set_len`, `sync_*` or `into_std`, and when the `File` is dropped.
//!
//! Only one job is in flight at a time, and every operation (read, write, seek, flush,
//! `set_len`, `sync_*`) first waits for it. So a failed background write is reported by
//! whichever operation comes next, never dropped silently (unless the `File` is dropped
//! or turned into a `std::fs::File`); the data of that write is lost, as with tokio.
//!
//! Writes are mandatory: a write job that the pool cancels before it runs (the runtime
//! shutting down) does its write when the cancelled job is dropped, so data accepted by
//! `poll_write` reaches the OS whenever the process keeps running long enough.

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::{poll_fn, Future};
use std::io::{self, Seek, SeekFrom};
use std::mem;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};
use weft_task::JoinHandle;

use super::file_buf::{Buf, Operation, WriteJob};
use super::{asyncify, join_error, spawn_blocking_io, OpenOptions};
use crate::runtime::Handle;

/// An open file, read and written asynchronously: what `aiofiles.open(..)` returns.
///
/// It implements [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]; use it through
/// [`AsyncReadExt`](crate::io::AsyncReadExt), [`AsyncWriteExt`](crate::io::AsyncWriteExt)
/// and [`AsyncSeekExt`](crate::io::AsyncSeekExt). Each blocking round trip moves up to
/// 64 KiB, so wrapping a `File` in a [`BufReader`](crate::io::BufReader) only helps for
/// [`lines`](crate::io::AsyncBufReadExt::lines) and friends.
///
/// **Flush to know your data is written.** A completed `write` means the `File` has taken
/// the bytes, not that the OS has: small writes gather in the `File` until 64 KiB, and a
/// full chunk is written in the background. [`flush`](crate::io::AsyncWriteExt::flush)
/// waits for all of it and reports a failure; [`sync_all`](File::sync_all) goes on to the
/// disk. Dropping a `File` still writes what it holds (in the background, as with tokio),
/// but nobody hears about an error then.
///
/// ```
/// use weft::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, SeekFrom};
///
/// weft::run(async {
///     let path = std::env::temp_dir().join(format!("weft-doc-file-{}", std::process::id()));
///     let mut file = weft::fs::OpenOptions::new()
///         .read(true).write(true).create(true).truncate(true)
///         .open(&path).await.unwrap();
///     file.write_all(b"hello world").await.unwrap();
///     file.seek(SeekFrom::Start(6)).await.unwrap();
///     let mut word = String::new();
///     file.read_to_string(&mut word).await.unwrap();
///     assert_eq!(word, "world");
///     weft::fs::remove_file(&path).await.unwrap();
/// });
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    state: State,
    /// The position given to the seek job in flight, if `poll_seek` started it.
    seeking: Option<SeekFrom>,
    /// Blocking round trips made by this file's reads, writes and seeks.
    #[cfg(test)]
    pub(super) round_trips: usize,
}

enum State {
    Idle(Buf),
    Busy(JoinHandle<(Operation, Buf)>),
}

impl File {
    /// Opens a file for reading: `aiofiles.open(p, 'rb')`.
    ///
    /// ```
    /// use weft::io::AsyncReadExt;
    ///
    /// weft::run(async {
    ///     let mut file = weft::fs::File::open("Cargo.toml").await.unwrap();
    ///     let mut text = String::new();
    ///     file.read_to_string(&mut text).await.unwrap();
    ///     assert!(text.contains("[package]"));
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// [`NotFound`](io::ErrorKind::NotFound), [`PermissionDenied`](io::ErrorKind::PermissionDenied), ...
    pub fn open(path: impl AsRef<Path>) -> impl Future<Output = io::Result<File>> + Send + 'static {
        OpenOptions::new().read(true).open(path)
    }

    /// Opens a file for writing, creating it or truncating it: `aiofiles.open(p, 'wb')`.
    ///
    /// ```
    /// use weft::io::AsyncWriteExt;
    ///
    /// weft::run(async {
    ///     let path = std::env::temp_dir().join(format!("weft-doc-create-{}", std::process::id()));
    ///     let mut file = weft::fs::File::create(&path).await.unwrap();
    ///     file.write_all(b"new").await.unwrap();
    ///     file.flush().await.unwrap();
    ///     assert_eq!(weft::fs::read(&path).await.unwrap(), b"new");
    ///     # weft::fs::remove_file(&path).await.unwrap();
    /// });
    /// ```
    pub fn create(
        path: impl AsRef<Path>,
    ) -> impl Future<Output = io::Result<File>> + Send + 'static {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    /// Creates a new file for writing, failing with
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it exists: `aiofiles.open(p, 'xb')`.
    ///
    /// ```
    /// weft::run(async {
    ///     let err = weft::fs::File::create_new("Cargo.toml").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    /// });
    /// ```
    pub fn create_new(
        path: impl AsRef<Path>,
    ) -> impl Future<Output = io::Result<File>> + Send + 'static {
        OpenOptions::new().write(true).create_new(true).open(path)
    }

    /// [`OpenOptions`] to open a file with: the `mode` of `aiofiles.open(p, mode)`.
    ///
    /// ```
    /// weft::run(async {
    ///     let file = weft::fs::File::options().read(true).open("Cargo.toml").await.unwrap();
    ///     # drop(file);
    /// });
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open `std::fs::File`. Needs no runtime (its operations do).
    ///
    /// ```
    /// let std = std::fs::File::open("Cargo.toml").unwrap();
    /// let file = weft::fs::File::from_std(std);
    /// # drop(file);
    /// ```
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            state: State::Idle(Buf::default()),
            seeking: None,
            #[cfg(test)]
            round_trips: 0,
        }
    }

    /// Waits for the operation in flight, writes what is pending and puts the OS cursor
    /// where the caller is, then gives back the `std::fs::File`.
    ///
    /// Errors of those last writes are not reported: [`flush`](crate::io::AsyncWriteExt::flush)
    /// first to see them.
    ///
    /// ```
    /// weft::run(async {
    ///     let file = weft::fs::File::open("Cargo.toml").await.unwrap();
    ///     let std: std::fs::File = file.into_std().await;
    ///     assert!(std.metadata().unwrap().is_file());
    /// });
    /// ```
    pub async fn into_std(mut self) -> std::fs::File {
        let _ = self.settle(true).await;
        self.take_std()
    }

    /// Gives back the `std::fs::File` at once, if nothing is in flight or pending.
    /// Read-ahead is discarded (the OS cursor moved back with one `lseek`).
    ///
    /// ```
    /// use weft::io::AsyncReadExt;
    ///
    /// weft::run(async {
    ///     let mut file = weft::fs::File::open("Cargo.toml").await.unwrap();
    ///     let mut first = [0u8; 1];
    ///     file.read_exact(&mut first).await.unwrap();
    ///     let mut std = file.try_into_std().expect("nothing in flight");
    ///     let mut rest = String::new();
    ///     std::io::Read::read_to_string(&mut std, &mut rest).unwrap(); // from byte 1 on
    ///     # assert!(rest.starts_with("package]"));
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// The `File` itself, if an operation is in flight (its outcome, a write error
    /// perhaps, is still to be reported) or writes are pending.
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        let State::Idle(buf) = &mut self.state else {
            return Err(self);
        };
        if buf.has_writes() {
            return Err(self);
        }
        if buf.has_read_ahead() {
            let back = -(buf.len() as i64);
            // `lseek` does no I/O, so doing it here does not block.
            if (&*self.std).seek(SeekFrom::Current(back)).is_err() {
                return Err(self);
            }
            buf.clear();
        }
        Ok(self.take_std())
    }

    fn take_std(mut self) -> std::fs::File {
        // Nothing is pending now, so `Drop` has nothing to do.
        self.state = State::Idle(Buf::default());
        let std = self.std.clone();
        drop(self);
        // No job is in flight, so this was the only reference; a clone of the descriptor
        // is the fallback should that ever not hold.
        Arc::try_unwrap(std).unwrap_or_else(|std| {
            std.try_clone()
                .expect("weft::fs::File::into_std: could not duplicate the file descriptor")
        })
    }

    /// The file's metadata, on the blocking pool: `aiofiles.os.stat` on an open file.
    ///
    /// Does not wait for pending writes (the length may not include them yet): flush first.
    ///
    /// ```
    /// weft::run(async {
    ///     let file = weft::fs::File::open("Cargo.toml").await.unwrap();
    ///     assert!(file.metadata().await.unwrap().len() > 0);
    /// });
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify("File::metadata", move || std.metadata()).await
    }

    /// A new `File` for the same open file (a duplicated descriptor, sharing the cursor):
    /// `os.dup(f.fileno())`. Each `File` buffers on its own: flush one before using the
    /// other.
    ///
    /// ```
    /// weft::run(async {
    ///     let file = weft::fs::File::open("Cargo.toml").await.unwrap();
    ///     let twin = file.try_clone().await.unwrap();
    ///     assert_eq!(twin.metadata().await.unwrap().len(), file.metadata().await.unwrap().len());
    /// });
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.std.clone();
        let clone = asyncify("File::try_clone", move || std.try_clone()).await?;
        Ok(File::from_std(clone))
    }

    /// Sets the file's permissions: `os.fchmod`.
    ///
    /// ```
    /// weft::run(async {
    ///     let path = std::env::temp_dir().join(format!("weft-doc-fchmod-{}", std::process::id()));
    ///     let file = weft::fs::File::create(&path).await.unwrap();
    ///     let mut perms = file.metadata().await.unwrap().permissions();
    ///     perms.set_readonly(true);
    ///     file.set_permissions(perms).await.unwrap();
    ///     assert!(file.metadata().await.unwrap().permissions().readonly());
    ///     # weft::fs::remove_file(&path).await.unwrap();
    /// });
    /// ```
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        let std = self.std.clone();
        asyncify("File::set_permissions", move || std.set_permissions(perm)).await
    }

    /// Truncates or extends the file to `size` bytes (`f.truncate(size)`), after writing
    /// what is pending. The cursor does not move.
    ///
    /// ```
    /// weft::run(async {
    ///     let path = std::env::temp_dir().join(format!("weft-doc-setlen-{}", std::process::id()));
    ///     let mut file = weft::fs::File::create(&path).await.unwrap();
    ///     file.set_len(1000).await.unwrap();
    ///     assert_eq!(file.metadata().await.unwrap().len(), 1000);
    ///     # weft::fs::remove_file(&path).await.unwrap();
    /// });
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.settle(true).await?;
        let std = self.std.clone();
        asyncify("File::set_len", move || std.set_len(size)).await
    }

    /// Writes what is pending, then flushes data and metadata to the disk (`os.fsync`).
    ///
    /// ```
    /// use weft::io::AsyncWriteExt;
    ///
    /// weft::run(async {
    ///     let path = std::env::temp_dir().join(format!("weft-doc-sync-{}", std::process::id()));
    ///     let mut file = weft::fs::File::create(&path).await.unwrap();
    ///     file.write_all(b"durable").await.unwrap();
    ///     file.sync_all().await.unwrap();
    ///     # weft::fs::remove_file(&path).await.unwrap();
    /// });
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.settle(false).await?;
        let std = self.std.clone();
        asyncify("File::sync_all", move || std.sync_all()).await
    }

    /// Like [`sync_all`](File::sync_all), without flushing metadata that reading the data
    /// back does not need: `os.fdatasync`.
    ///
    /// ```
    /// use weft::io::AsyncWriteExt;
    ///
    /// weft::run(async {
    ///     let path = std::env::temp_dir().join(format!("weft-doc-fdatasync-{}", std::process::id()));
    ///     let mut file = weft::fs::File::create(&path).await.unwrap();
    ///     file.write_all(b"data").await.unwrap();
    ///     file.sync_data().await.unwrap();
    ///     # weft::fs::remove_file(&path).await.unwrap();
    /// });
    /// ```
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.settle(false).await?;
        let std = self.std.clone();
        asyncify("File::sync_data", move || std.sync_data()).await
    }

    /// Brings the file to rest: the job in flight done, pending writes written (reporting
    /// their errors), and with `discard_read_ahead` the OS cursor moved back to the
    /// caller's position.
    async fn settle(&mut self, discard_read_ahead: bool) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_inner(cx)).await?;
        if let State::Idle(buf) = &mut self.state {
            if discard_read_ahead && buf.has_read_ahead() {
                let back = -(buf.len() as i64);
                buf.clear();
                let std = self.std.clone();
                asyncify("File", move || (&*std).seek(SeekFrom::Current(back))).await?;
            }
        }
        Ok(())
    }

    /// Starts `job` on the blocking pool; the file is `Busy` until it is done.
    fn spawn(&mut self, job: impl FnOnce() -> (Operation, Buf) + Send + 'static) {
        #[cfg(test)]
        {
            self.round_trips += 1;
        }
        self.state = State::Busy(spawn_blocking_io("File", job));
    }

    /// Sends the pending writes (the state must be `Idle`).
    fn dispatch_write(&mut self) {
        let State::Idle(buf) = &mut self.state else {
            unreachable!("dispatch_write while busy")
        };
        let job = WriteJob::new(self.std.clone(), mem::take(buf));
        self.spawn(move || job.run());
    }

    /// Waits for the job in flight; the file is `Idle` afterwards.
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Operation>> {
        let State::Busy(handle) = &mut self.state else {
            unreachable!("poll_job while idle")
        };
        let res = ready!(Pin::new(handle).poll(cx));
        self.seeking = None;
        Poll::Ready(match res {
            Ok((op, buf)) => {
                self.state = State::Idle(buf);
                Ok(op)
            }
            Err(e) => {
                self.state = State::Idle(Buf::default());
                Err(join_error(e))
            }
        })
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &self.state {
                State::Idle(buf) => {
                    if !buf.has_writes() {
                        return Poll::Ready(Ok(()));
                    }
                    self.dispatch_write();
                }
                State::Busy(_) => {
                    if let Operation::Write(Err(e)) = ready!(self.poll_job(cx))? {
                        return Poll::Ready(Err(e));
                    }
                }
            }
        }
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        loop {
            match &mut me.state {
                State::Idle(buf) => {
                    if buf.has_writes() {
                        me.dispatch_write();
                        continue;
                    }
                    if !buf.is_empty() {
                        return Poll::Ready(Ok(buf.copy_to(dst)));
                    }
                    if dst.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let mut buf = mem::take(buf);
                    let std = me.std.clone();
                    me.spawn(move || {
                        let res = buf.read_from(&std);
                        (Operation::Read(res), buf)
                    });
                }
                State::Busy(_) => match ready!(me.poll_job(cx))? {
                    // End of file.
                    Operation::Read(Ok(0)) => return Poll::Ready(Ok(0)),
                    // The data is read-ahead in the idle buffer now.
                    Operation::Read(Ok(_)) => {}
                    Operation::Read(Err(e)) | Operation::Write(Err(e)) => {
                        return Poll::Ready(Err(e))
                    }
                    Operation::Write(Ok(())) | Operation::Seek(_) => {}
                },
            }
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        loop {
            match &mut me.state {
                State::Idle(buf) => {
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    // Read-ahead is dropped: the OS cursor is ahead of ours, so the write
                    // job moves it back first.
                    buf.prepare_write();
                    if buf.is_full() {
                        me.dispatch_write();
                        continue;
                    }
                    let n = buf.push(src);
                    if buf.is_full() {
                        // A full chunk goes out now, overlapping with the caller's work.
                        me.dispatch_write();
                    }
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => match ready!(me.poll_job(cx))? {
                    Operation::Write(Err(e)) => return Poll::Ready(Err(e)),
                    // A read whose caller went away: its data is read-ahead now, handled
                    // above. Its error concerns nobody any more.
                    Operation::Read(_) | Operation::Write(Ok(())) | Operation::Seek(_) => {}
                },
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }

    /// The same as flushing: a file has no write side to shut.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_inner(cx)
    }
}

impl AsyncSeek for File {
    /// Writes what is pending, discards read-ahead and seeks, in the background.
    ///
    /// A seek whose future was dropped still moves the cursor; if the next `poll_seek`
    /// asks for the same position, it takes that seek's result instead of seeking again.
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        let me = self.get_mut();
        loop {
            match &mut me.state {
                State::Idle(buf) => {
                    if buf.has_writes() {
                        me.dispatch_write();
                        continue;
                    }
                    let os_pos = match pos {
                        SeekFrom::Current(n) if buf.has_read_ahead() => {
                            match n.checked_sub(buf.len() as i64) {
                                Some(n) => SeekFrom::Current(n),
                                None => {
                                    return Poll::Ready(Err(io::Error::new(
                                        io::ErrorKind::InvalidInput,
                                        "seek offset overflows once the read-ahead is counted",
                                    )))
                                }
                            }
                        }
                        pos => pos,
                    };
                    let mut buf = mem::take(buf);
                    buf.clear();
                    let std = me.std.clone();
                    me.seeking = Some(pos);
                    me.spawn(move || {
                        let res = (&*std).seek(os_pos);
                        (Operation::Seek(res), buf)
                    });
                }
                State::Busy(_) => {
                    let ours = me.seeking == Some(pos);
                    match ready!(me.poll_job(cx))? {
                        Operation::Seek(res) if ours => return Poll::Ready(res),
                        Operation::Write(Err(e)) => return Poll::Ready(Err(e)),
                        _ => {}
                    }
                }
            }
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // A job in flight runs to completion on its own (its handle is just dropped).
        // Pending writes still go out, in the background like a flush nobody waits for.
        if let State::Idle(buf) = &mut self.state {
            if buf.has_writes() {
                let job = WriteJob::new(self.std.clone(), mem::take(buf));
                match Handle::try_current() {
                    Some(handle) => drop(handle.spawn_blocking(move || job.run())),
                    // No runtime: write here (dropping the job writes).
                    None => drop(job),
                }
            }
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(buf) if buf.has_writes() => "pending writes",
            State::Idle(buf) if buf.has_read_ahead() => "read-ahead",
            State::Idle(_) => "idle",
            State::Busy(_) => "busy",
        };
        f.debug_struct("File")
            .field("std", &self.std)
            .field("state", &state)
            .finish()
    }
}

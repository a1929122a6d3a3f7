//! [`read_dir`]: a directory's entries, fetched in batches.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use weft_task::JoinHandle;

use super::{asyncify, join_error, spawn_blocking_io};

/// How many entries one round trip to the blocking pool fetches.
const BATCH: usize = 32;

/// The entries of a directory, as a [`ReadDir`]: `aiofiles.os.scandir(p)` (or `listdir`,
/// taking [`DirEntry::file_name`]).
///
/// Entries come in no particular order and never include `.` or `..`. Opening the
/// directory is one round trip to the blocking pool, and then every 32 entries are one
/// more.
///
/// ```
/// weft::run(async {
///     let mut entries = weft::fs::read_dir(".").await.unwrap();
///     let mut names = Vec::new();
///     while let Some(entry) = entries.next_entry().await.unwrap() {
///         names.push(entry.file_name());
///     }
///     assert!(names.iter().any(|n| n == "Cargo.toml"));
/// });
/// ```
///
/// # Errors
///
/// Opening fails like [`std::fs::read_dir`]: [`NotFound`](io::ErrorKind::NotFound), not a
/// directory, no permission.
pub fn read_dir(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<ReadDir>> + Send + 'static {
    let path = path.as_ref().to_owned();
    async move {
        let std = asyncify("read_dir", move || std::fs::read_dir(path)).await?;
        Ok(ReadDir {
            state: State::Idle(Some(Batch {
                entries: VecDeque::new(),
                std,
                done: false,
            })),
        })
    }
}

/// A directory being listed, from [`read_dir`]: call [`next_entry`](ReadDir::next_entry)
/// until `None`, or use it as a [`Stream`] of `io::Result<DirEntry>` (`async for entry in
/// await aiofiles.os.scandir(p)`).
///
/// Cancellation safe: a batch being fetched stays inside `ReadDir` when a `next_entry`
/// future is dropped, and no entry is lost.
pub struct ReadDir {
    state: State,
}

enum State {
    /// `None` once a blocking job failed (the listing then ends).
    Idle(Option<Batch>),
    Pending(JoinHandle<Batch>),
}

/// Entries fetched and not yet handed out, and the `std` iterator for the rest.
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    std: std::fs::ReadDir,
    done: bool,
}

impl Batch {
    /// Fetches up to [`BATCH`] entries (on the blocking pool).
    fn fill(&mut self) {
        for _ in 0..BATCH {
            match self.std.next() {
                Some(entry) => self.entries.push_back(entry.map(DirEntry::new)),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
    }
}

impl ReadDir {
    /// The next entry, or `None` once all have been listed. An error for one entry does
    /// not end the listing.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry; `Ready(Ok(None))` once all have been listed.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(slot) => {
                    let Some(batch) = slot else {
                        return Poll::Ready(Ok(None));
                    };
                    if let Some(entry) = batch.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if batch.done {
                        return Poll::Ready(Ok(None));
                    }
                    let mut batch = slot.take().expect("checked above");
                    self.state =
                        State::Pending(spawn_blocking_io("ReadDir::next_entry", move || {
                            batch.fill();
                            batch
                        }));
                }
                State::Pending(handle) => {
                    let res = ready!(Pin::new(handle).poll(cx));
                    match res {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(e) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Err(join_error(e)));
                        }
                    }
                }
            }
        }
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buffered = match &self.state {
            State::Idle(Some(batch)) => batch.entries.len(),
            _ => 0,
        };
        f.debug_struct("ReadDir")
            .field("buffered", &buffered)
            .field("fetching", &matches!(self.state, State::Pending(_)))
            .finish()
    }
}

/// One entry of a directory listing, from [`ReadDir`]: asyncio's `os.DirEntry` from
/// `scandir`.
///
/// The file type is read along with the entry where the platform gives it for free (on
/// Linux, most file systems do), so [`file_type`](DirEntry::file_type) usually needs no
/// round trip.
#[derive(Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    file_type: Option<FileType>,
}

impl DirEntry {
    fn new(std: std::fs::DirEntry) -> DirEntry {
        // On the blocking pool: cheap where the OS returned the type with the entry.
        let file_type = std.file_type().ok();
        DirEntry {
            std: Arc::new(std),
            file_type,
        }
    }

    /// The full path: the directory given to [`read_dir`] joined with the file name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The bare file name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata (not following a symbolic link), on the blocking pool:
    /// `entry.stat(follow_symlinks=False)`.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify("DirEntry::metadata", move || std.metadata()).await
    }

    /// The entry's file type (not following a symbolic link): `entry.is_dir()`,
    /// `entry.is_file()`, `entry.is_symlink()`.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(t) = self.file_type {
            return Ok(t);
        }
        let std = self.std.clone();
        asyncify("DirEntry::file_type", move || std.file_type()).await
    }

    /// The inode number (`entry.inode()`); Unix only.
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}

//! Files and directories without blocking the runtime: asyncio's `aiofiles`, on weft's
//! blocking pool.
//!
//! Operating systems offer no portable asynchronous file I/O, so, like `aiofiles`, tokio
//! and smol, every operation here runs the `std::fs` call on the
//! [blocking pool](crate::spawn_blocking) and awaits its result. Each free function is one
//! round trip to the pool; [`File`] buffers so that one round trip moves up to 64 KiB
//! (reading a 10 MB file with `read_to_end` takes about 160 of them, not thousands).
//! For many small operations on one file, doing them all inside a single
//! [`spawn_blocking`](crate::spawn_blocking) closure with `std::fs` is faster still.
//!
//! Paths and contents are copied when you call a function, so the futures are `'static`
//! and can be spawned or raced even when built from borrowed paths.
//!
//! ```
//! use weft::io::{AsyncReadExt, AsyncWriteExt};
//!
//! weft::run(async {
//!     let dir = std::env::temp_dir().join(format!("weft-fs-doc-{}", std::process::id()));
//!     weft::fs::create_dir_all(&dir).await.unwrap();
//!
//!     let path = dir.join("hello.txt");
//!     let mut file = weft::fs::File::create(&path).await.unwrap();
//!     file.write_all(b"hello, files").await.unwrap();
//!     file.flush().await.unwrap();
//!
//!     let mut text = String::new();
//!     weft::fs::File::open(&path).await.unwrap().read_to_string(&mut text).await.unwrap();
//!     assert_eq!(text, "hello, files");
//!     assert_eq!(weft::fs::read_to_string(&path).await.unwrap(), "hello, files");
//!
//!     weft::fs::remove_dir_all(&dir).await.unwrap();
//! });
//! ```
//!
//! # From aiofiles
//!
//! | aiofiles / asyncio | weft |
//! |---|---|
//! | `async with aiofiles.open(p, 'rb') as f: await f.read()` | [`read(p)`](read), or [`File::open`] + [`read_to_end`](crate::io::AsyncReadExt::read_to_end) |
//! | `aiofiles.open(p, 'w')`, `'a'`, `'x'` | [`File::create`], [`OpenOptions`] with [`append`](OpenOptions::append), [`create_new`](OpenOptions::create_new) |
//! | `await f.write(data)`, `await f.flush()` | [`write_all`](crate::io::AsyncWriteExt::write_all), [`flush`](crate::io::AsyncWriteExt::flush) |
//! | `await f.seek(n)`, `await f.tell()` | [`seek`](crate::io::AsyncSeekExt::seek), [`stream_position`](crate::io::AsyncSeekExt::stream_position) |
//! | `async for line in f` | [`BufReader::new(file).lines()`](crate::io::AsyncBufReadExt::lines) |
//! | `aiofiles.os.stat`, `aiofiles.os.path.exists` | [`metadata`], [`try_exists`] |
//! | `aiofiles.os.listdir`, `aiofiles.os.scandir` | [`read_dir`] |
//! | `aiofiles.os.mkdir`, `makedirs`, `rmdir`, `remove`, `rename`, `link`, `symlink`, `readlink` | [`create_dir`], [`create_dir_all`], [`remove_dir`], [`remove_file`], [`rename`], [`hard_link`], [`symlink`], [`read_link`] |
//! | `to_thread(shutil.copyfile)`, `to_thread(shutil.rmtree)`, `to_thread(os.path.realpath)` | [`copy`], [`remove_dir_all`], [`canonicalize`] |
//!
//! # Panics
//!
//! Every operation needs a weft runtime (it runs on its blocking pool): awaiting one
//! outside `weft::run`, `Runtime::block_on` or a task panics with a message saying so.

mod file;
mod file_buf;
mod open_options;
mod read_dir;

#[cfg(test)]
mod tests;

use std::fs::{Metadata, Permissions};
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};

use weft_task::{JoinError, JoinHandle};

use crate::runtime::context;

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

/// Runs `f` on the current runtime's blocking pool.
///
/// # Panics
///
/// Outside a runtime, naming `what`.
pub(crate) fn spawn_blocking_io<F, R>(what: &str, f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    context::with_current(|handle| match handle {
        Some(handle) => handle.spawn_blocking(f),
        None => panic!(
            "weft::fs::{what} needs a weft runtime (it runs on the runtime's blocking pool): \
             await it inside `weft::run`, `Runtime::block_on` or a task"
        ),
    })
}

/// A blocking job's failure as an I/O error: a panic is resumed (it is a bug, not an I/O
/// condition); cancellation (the runtime shutting down) becomes an error.
pub(crate) fn join_error(e: JoinError) -> io::Error {
    if e.is_panic() {
        std::panic::resume_unwind(e.into_panic());
    }
    io::Error::other("weft::fs: the blocking job was cancelled (the runtime is shutting down)")
}

/// Runs the blocking `f` on the pool and awaits it.
pub(crate) async fn asyncify<F, T>(what: &'static str, f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking_io(what, f).await.map_err(join_error)?
}

fn owned(path: impl AsRef<Path>) -> PathBuf {
    path.as_ref().to_owned()
}

/// Reads a whole file into a `Vec`: `async with aiofiles.open(p, 'rb') as f: await f.read()`.
///
/// One round trip to the blocking pool ([`std::fs::read`] there).
///
/// ```
/// weft::run(async {
///     let manifest = weft::fs::read("Cargo.toml").await.unwrap();
///     assert!(!manifest.is_empty());
/// });
/// ```
pub fn read(path: impl AsRef<Path>) -> impl Future<Output = io::Result<Vec<u8>>> + Send + 'static {
    let path = owned(path);
    asyncify("read", move || std::fs::read(path))
}

/// Reads a whole UTF-8 file into a `String`:
/// `async with aiofiles.open(p) as f: await f.read()`.
///
/// Fails with [`InvalidData`](io::ErrorKind::InvalidData) if the file is not UTF-8.
///
/// ```
/// weft::run(async {
///     let manifest = weft::fs::read_to_string("Cargo.toml").await.unwrap();
///     assert!(manifest.contains("[package]"));
/// });
/// ```
pub fn read_to_string(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<String>> + Send + 'static {
    let path = owned(path);
    asyncify("read_to_string", move || std::fs::read_to_string(path))
}

/// Writes `contents` as the whole file, creating it or replacing what was there:
/// `async with aiofiles.open(p, 'wb') as f: await f.write(data)`.
///
/// The contents are copied when called.
///
/// ```
/// weft::run(async {
///     let path = std::env::temp_dir().join(format!("weft-doc-write-{}", std::process::id()));
///     weft::fs::write(&path, "saved").await.unwrap();
///     assert_eq!(weft::fs::read_to_string(&path).await.unwrap(), "saved");
///     weft::fs::remove_file(&path).await.unwrap();
/// });
/// ```
pub fn write(
    path: impl AsRef<Path>,
    contents: impl AsRef<[u8]>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    let contents = contents.as_ref().to_owned();
    asyncify("write", move || std::fs::write(path, contents))
}

/// Creates one directory (its parent must exist): `aiofiles.os.mkdir(p)`.
///
/// ```
/// weft::run(async {
///     let dir = std::env::temp_dir().join(format!("weft-doc-mkdir-{}", std::process::id()));
///     weft::fs::create_dir(&dir).await.unwrap();
///     assert!(weft::fs::metadata(&dir).await.unwrap().is_dir());
///     weft::fs::remove_dir(&dir).await.unwrap();
/// });
/// ```
pub fn create_dir(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    asyncify("create_dir", move || std::fs::create_dir(path))
}

/// Creates a directory and any missing parents; succeeds if it exists already:
/// `aiofiles.os.makedirs(p, exist_ok=True)`.
///
/// ```
/// weft::run(async {
///     let top = std::env::temp_dir().join(format!("weft-doc-mkdirs-{}", std::process::id()));
///     weft::fs::create_dir_all(top.join("a/b/c")).await.unwrap();
///     weft::fs::create_dir_all(top.join("a/b/c")).await.unwrap(); // again: fine
///     weft::fs::remove_dir_all(&top).await.unwrap();
/// });
/// ```
pub fn create_dir_all(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    asyncify("create_dir_all", move || std::fs::create_dir_all(path))
}

/// Removes a file: `aiofiles.os.remove(p)`.
///
/// ```
/// weft::run(async {
///     let path = std::env::temp_dir().join(format!("weft-doc-rm-{}", std::process::id()));
///     weft::fs::write(&path, b"x").await.unwrap();
///     weft::fs::remove_file(&path).await.unwrap();
///     assert!(!weft::fs::try_exists(&path).await.unwrap());
/// });
/// ```
pub fn remove_file(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    asyncify("remove_file", move || std::fs::remove_file(path))
}

/// Removes an empty directory: `aiofiles.os.rmdir(p)`.
///
/// ```
/// weft::run(async {
///     let dir = std::env::temp_dir().join(format!("weft-doc-rmdir-{}", std::process::id()));
///     weft::fs::create_dir(&dir).await.unwrap();
///     weft::fs::remove_dir(&dir).await.unwrap();
/// });
/// ```
pub fn remove_dir(path: impl AsRef<Path>) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    asyncify("remove_dir", move || std::fs::remove_dir(path))
}

/// Removes a directory and everything in it: `await asyncio.to_thread(shutil.rmtree, p)`.
///
/// ```
/// weft::run(async {
///     let dir = std::env::temp_dir().join(format!("weft-doc-rmtree-{}", std::process::id()));
///     weft::fs::create_dir_all(dir.join("sub")).await.unwrap();
///     weft::fs::write(dir.join("sub/file"), b"x").await.unwrap();
///     weft::fs::remove_dir_all(&dir).await.unwrap();
///     assert!(!weft::fs::try_exists(&dir).await.unwrap());
/// });
/// ```
pub fn remove_dir_all(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    asyncify("remove_dir_all", move || std::fs::remove_dir_all(path))
}

/// Renames a file or directory, replacing `to` if it is a file: `aiofiles.os.replace(from, to)`.
///
/// ```
/// weft::run(async {
///     let dir = std::env::temp_dir();
///     let (a, b) = (dir.join(format!("weft-doc-mv-a-{}", std::process::id())),
///                   dir.join(format!("weft-doc-mv-b-{}", std::process::id())));
///     weft::fs::write(&a, b"moved").await.unwrap();
///     weft::fs::rename(&a, &b).await.unwrap();
///     assert_eq!(weft::fs::read(&b).await.unwrap(), b"moved");
///     weft::fs::remove_file(&b).await.unwrap();
/// });
/// ```
pub fn rename(
    from: impl AsRef<Path>,
    to: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let (from, to) = (owned(from), owned(to));
    asyncify("rename", move || std::fs::rename(from, to))
}

/// Copies a file's contents and permissions to `to` and returns the number of bytes
/// copied: `await asyncio.to_thread(shutil.copy, from, to)`.
///
/// ```
/// weft::run(async {
///     let dir = std::env::temp_dir();
///     let (a, b) = (dir.join(format!("weft-doc-cp-a-{}", std::process::id())),
///                   dir.join(format!("weft-doc-cp-b-{}", std::process::id())));
///     weft::fs::write(&a, b"twice").await.unwrap();
///     assert_eq!(weft::fs::copy(&a, &b).await.unwrap(), 5);
///     assert_eq!(weft::fs::read(&b).await.unwrap(), b"twice");
///     # weft::fs::remove_file(&a).await.unwrap();
///     # weft::fs::remove_file(&b).await.unwrap();
/// });
/// ```
pub fn copy(
    from: impl AsRef<Path>,
    to: impl AsRef<Path>,
) -> impl Future<Output = io::Result<u64>> + Send + 'static {
    let (from, to) = (owned(from), owned(to));
    asyncify("copy", move || std::fs::copy(from, to))
}

/// A file's metadata, following symbolic links: `aiofiles.os.stat(p)`.
///
/// ```
/// weft::run(async {
///     let meta = weft::fs::metadata("Cargo.toml").await.unwrap();
///     assert!(meta.is_file() && meta.len() > 0);
/// });
/// ```
pub fn metadata(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<Metadata>> + Send + 'static {
    let path = owned(path);
    asyncify("metadata", move || std::fs::metadata(path))
}

/// A file's metadata without following a final symbolic link: `aiofiles.os.lstat(p)`.
///
/// ```
/// weft::run(async {
///     let meta = weft::fs::symlink_metadata("Cargo.toml").await.unwrap();
///     assert!(!meta.file_type().is_symlink());
/// });
/// ```
pub fn symlink_metadata(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<Metadata>> + Send + 'static {
    let path = owned(path);
    asyncify("symlink_metadata", move || std::fs::symlink_metadata(path))
}

/// The absolute path with every symbolic link and `.`/`..` resolved:
/// `await asyncio.to_thread(os.path.realpath, p)` (but the file must exist).
///
/// ```
/// weft::run(async {
///     let abs = weft::fs::canonicalize(".").await.unwrap();
///     assert!(abs.is_absolute());
/// });
/// ```
pub fn canonicalize(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<PathBuf>> + Send + 'static {
    let path = owned(path);
    asyncify("canonicalize", move || std::fs::canonicalize(path))
}

/// Where a symbolic link points: `aiofiles.os.readlink(p)`.
///
/// ```
/// # #[cfg(unix)]
/// weft::run(async {
///     let link = std::env::temp_dir().join(format!("weft-doc-readlink-{}", std::process::id()));
///     weft::fs::symlink("/", &link).await.unwrap();
///     assert_eq!(weft::fs::read_link(&link).await.unwrap(), std::path::Path::new("/"));
///     weft::fs::remove_file(&link).await.unwrap();
/// });
/// ```
pub fn read_link(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<PathBuf>> + Send + 'static {
    let path = owned(path);
    asyncify("read_link", move || std::fs::read_link(path))
}

/// Makes `link` a new name for the file `original`: `aiofiles.os.link(original, link)`.
///
/// ```
/// weft::run(async {
///     let dir = std::env::temp_dir();
///     let (a, b) = (dir.join(format!("weft-doc-ln-a-{}", std::process::id())),
///                   dir.join(format!("weft-doc-ln-b-{}", std::process::id())));
///     weft::fs::write(&a, b"shared").await.unwrap();
///     weft::fs::hard_link(&a, &b).await.unwrap();
///     assert_eq!(weft::fs::read(&b).await.unwrap(), b"shared");
///     # weft::fs::remove_file(&a).await.unwrap();
///     # weft::fs::remove_file(&b).await.unwrap();
/// });
/// ```
pub fn hard_link(
    original: impl AsRef<Path>,
    link: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let (original, link) = (owned(original), owned(link));
    asyncify("hard_link", move || std::fs::hard_link(original, link))
}

/// Makes `link` a symbolic link to `original`: `aiofiles.os.symlink(original, link)`.
/// Unix only (Windows distinguishes file and directory links).
///
/// ```
/// weft::run(async {
///     let link = std::env::temp_dir().join(format!("weft-doc-symlink-{}", std::process::id()));
///     weft::fs::symlink("/", &link).await.unwrap();
///     assert!(weft::fs::symlink_metadata(&link).await.unwrap().file_type().is_symlink());
///     weft::fs::remove_file(&link).await.unwrap();
/// });
/// ```
#[cfg(unix)]
pub fn symlink(
    original: impl AsRef<Path>,
    link: impl AsRef<Path>,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let (original, link) = (owned(original), owned(link));
    asyncify("symlink", move || {
        std::os::unix::fs::symlink(original, link)
    })
}

/// Whether the path exists: `aiofiles.os.path.exists(p)`, except that a failure to find out
/// (no permission to look) is an error instead of `false`. A broken symbolic link gives
/// `Ok(false)`.
///
/// ```
/// weft::run(async {
///     assert!(weft::fs::try_exists("Cargo.toml").await.unwrap());
///     assert!(!weft::fs::try_exists("no/such/file").await.unwrap());
/// });
/// ```
pub fn try_exists(
    path: impl AsRef<Path>,
) -> impl Future<Output = io::Result<bool>> + Send + 'static {
    let path = owned(path);
    asyncify("try_exists", move || path.try_exists())
}

/// Sets a file's permissions: `await asyncio.to_thread(os.chmod, p, mode)`.
///
/// ```
/// weft::run(async {
///     let path = std::env::temp_dir().join(format!("weft-doc-chmod-{}", std::process::id()));
///     weft::fs::write(&path, b"x").await.unwrap();
///     let mut perms = weft::fs::metadata(&path).await.unwrap().permissions();
///     perms.set_readonly(true);
///     weft::fs::set_permissions(&path, perms).await.unwrap();
///     assert!(weft::fs::metadata(&path).await.unwrap().permissions().readonly());
///     weft::fs::remove_file(&path).await.unwrap();
/// });
/// ```
pub fn set_permissions(
    path: impl AsRef<Path>,
    perm: Permissions,
) -> impl Future<Output = io::Result<()>> + Send + 'static {
    let path = owned(path);
    asyncify("set_permissions", move || {
        std::fs::set_permissions(path, perm)
    })
}

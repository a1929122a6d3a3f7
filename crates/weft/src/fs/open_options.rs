//! [`OpenOptions`]: how to open a [`File`].

use std::future::Future;
use std::io;
use std::path::Path;

use super::{asyncify, File};

/// Options for opening a [`File`]: the `mode` string of `aiofiles.open(p, mode)`, spelled
/// out. A wrapper of [`std::fs::OpenOptions`] whose [`open`](OpenOptions::open) runs on the
/// blocking pool.
///
/// | aiofiles mode | weft |
/// |---|---|
/// | `'r'` | `OpenOptions::new().read(true)` ([`File::open`]) |
/// | `'w'` | `.write(true).create(true).truncate(true)` ([`File::create`]) |
/// | `'a'` | `.append(true).create(true)` |
/// | `'x'` | `.write(true).create_new(true)` ([`File::create_new`]) |
/// | `'r+'` | `.read(true).write(true)` |
///
/// ```
/// use weft::fs::OpenOptions;
/// use weft::io::AsyncWriteExt;
///
/// weft::run(async {
///     let path = std::env::temp_dir().join(format!("weft-doc-log-{}", std::process::id()));
///     # let _ = weft::fs::remove_file(&path).await;
///     for line in ["one\n", "two\n"] {
///         let mut log = OpenOptions::new().append(true).create(true).open(&path).await.unwrap();
///         log.write_all(line.as_bytes()).await.unwrap();
///         log.flush().await.unwrap();
///     }
///     assert_eq!(weft::fs::read_to_string(&path).await.unwrap(), "one\ntwo\n");
///     weft::fs::remove_file(&path).await.unwrap();
/// });
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with everything off (set at least one of read, write or append).
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing (from the start, overwriting, unless `append`).
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for writing at the end: every write goes after the current end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Cut an existing file to length 0 (needs write access).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs write or append).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it
    /// exists (atomically: `O_EXCL`). Overrides `create` and `truncate`.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits a new file is created with (before the umask); Unix only.
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags (`libc::O_*`); Unix only.
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }

    /// Opens `path` with these options, on the blocking pool.
    ///
    /// The options and the path are copied when called; the future is `'static`.
    ///
    /// # Errors
    ///
    /// What [`std::fs::OpenOptions::open`] reports: [`NotFound`](io::ErrorKind::NotFound),
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) with `create_new`,
    /// [`PermissionDenied`](io::ErrorKind::PermissionDenied), [`InvalidInput`](io::ErrorKind::InvalidInput)
    /// for contradictory options, ...
    pub fn open(
        &self,
        path: impl AsRef<Path>,
    ) -> impl Future<Output = io::Result<File>> + Send + 'static {
        let options = self.0.clone();
        let path = path.as_ref().to_owned();
        async move {
            let std = asyncify("OpenOptions::open", move || options.open(path)).await?;
            Ok(File::from_std(std))
        }
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}

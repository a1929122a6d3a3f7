//! Tests of `weft::fs`: the free functions, `ReadDir`, and `File`'s state machine
//! (batching, read-ahead, pending writes, errors, drop).

use std::collections::BTreeSet;
use std::future::Future;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_core::Stream;

use super::file_buf::MAX_BUF;
use super::*;
use crate::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader};
use crate::runtime::Builder;

/// A fresh directory under the system temp dir, removed (with its contents) on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "weft-fs-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `f` on a fresh multi-thread runtime.
fn run<F: Future>(f: F) -> F::Output {
    Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
        .collect()
}

#[test]
fn write_then_read_round_trip() {
    let dir = TempDir::new("round-trip");
    let path = dir.join("data.bin");
    run(async move {
        let data = pattern(200_000);
        write(&path, &data).await.unwrap();
        assert!(read(&path).await.unwrap() == data);
        write(&path, "replaced").await.unwrap();
        assert_eq!(read_to_string(&path).await.unwrap(), "replaced");
        assert_eq!(metadata(&path).await.unwrap().len(), 8);
    });
}

#[test]
fn read_to_string_rejects_invalid_utf8() {
    let dir = TempDir::new("utf8");
    let path = dir.join("bad.txt");
    run(async move {
        write(&path, b"\xff\xfe").await.unwrap();
        let err = read_to_string(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
    });
}

#[test]
fn read_dir_lists_exactly_the_created_files() {
    let dir = TempDir::new("read-dir");
    let root = dir.0.clone();
    run(async move {
        // More than two batches of 32.
        let mut want = BTreeSet::new();
        for i in 0..75 {
            let name = format!("file-{i:03}");
            write(root.join(&name), [i as u8]).await.unwrap();
            want.insert(name);
        }
        create_dir(root.join("sub")).await.unwrap();
        want.insert("sub".to_owned());

        let mut entries = read_dir(&root).await.unwrap();
        let mut got = BTreeSet::new();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            let name = entry.file_name().into_string().unwrap();
            let ty = entry.file_type().await.unwrap();
            assert_eq!(ty.is_dir(), name == "sub", "{name}");
            assert_eq!(entry.path(), root.join(&name));
            if ty.is_file() {
                assert_eq!(entry.metadata().await.unwrap().len(), 1);
            }
            assert!(got.insert(name), "listed twice");
        }
        assert_eq!(got, want);
        assert!(entries.next_entry().await.unwrap().is_none());

        // The same through the Stream impl.
        let mut stream = pin!(read_dir(&root).await.unwrap());
        let mut count = 0;
        while let Some(entry) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            entry.unwrap();
            count += 1;
        }
        assert_eq!(count, want.len());
    });
}

#[test]
fn missing_paths_are_not_found() {
    let dir = TempDir::new("missing");
    let nope = dir.join("nope");
    run(async move {
        let kinds = [
            File::open(&nope).await.map(drop).unwrap_err().kind(),
            read(&nope).await.map(drop).unwrap_err().kind(),
            read_to_string(&nope).await.map(drop).unwrap_err().kind(),
            metadata(&nope).await.map(drop).unwrap_err().kind(),
            remove_file(&nope).await.unwrap_err().kind(),
            remove_dir(&nope).await.unwrap_err().kind(),
            read_dir(&nope).await.map(drop).unwrap_err().kind(),
            canonicalize(&nope).await.map(drop).unwrap_err().kind(),
            rename(&nope, nope.with_extension("x"))
                .await
                .unwrap_err()
                .kind(),
            copy(&nope, nope.with_extension("x"))
                .await
                .map(drop)
                .unwrap_err()
                .kind(),
        ];
        assert!(kinds.iter().all(|k| *k == ErrorKind::NotFound), "{kinds:?}");
        assert!(!try_exists(&nope).await.unwrap());
    });
}

#[test]
fn path_functions() {
    let dir = TempDir::new("paths");
    let root = dir.0.clone();
    run(async move {
        let nested = root.join("a/b/c");
        create_dir_all(&nested).await.unwrap();
        create_dir_all(&nested).await.unwrap();
        assert_eq!(
            create_dir(&nested).await.unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        let f = nested.join("f");
        write(&f, b"content").await.unwrap();
        assert_eq!(copy(&f, root.join("copy")).await.unwrap(), 7);
        rename(root.join("copy"), root.join("moved")).await.unwrap();
        assert!(!try_exists(root.join("copy")).await.unwrap());
        hard_link(root.join("moved"), root.join("linked"))
            .await
            .unwrap();
        assert_eq!(read(root.join("linked")).await.unwrap(), b"content");
        #[cfg(unix)]
        {
            symlink(&f, root.join("sym")).await.unwrap();
            assert_eq!(read_link(root.join("sym")).await.unwrap(), f);
            assert!(symlink_metadata(root.join("sym"))
                .await
                .unwrap()
                .file_type()
                .is_symlink());
            assert!(metadata(root.join("sym")).await.unwrap().is_file());
            assert_eq!(
                canonicalize(root.join("sym")).await.unwrap(),
                canonicalize(&f).await.unwrap()
            );
        }
        let mut perms = metadata(&f).await.unwrap().permissions();
        perms.set_readonly(true);
        set_permissions(&f, perms).await.unwrap();
        assert!(metadata(&f).await.unwrap().permissions().readonly());
        assert_eq!(
            remove_dir(root.join("a")).await.unwrap_err().kind(),
            ErrorKind::DirectoryNotEmpty
        );
        remove_dir_all(root.join("a")).await.unwrap();
        assert!(!try_exists(root.join("a")).await.unwrap());
    });
}

#[test]
fn file_write_seek_read() {
    let dir = TempDir::new("seek");
    let path = dir.join("f");
    run(async move {
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .unwrap();
        f.write_all(b"hello world").await.unwrap();
        assert_eq!(f.seek(SeekFrom::Start(6)).await.unwrap(), 6);
        let mut s = String::new();
        f.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "world");
        assert_eq!(f.stream_position().await.unwrap(), 11);

        // Reads fetch a whole chunk; positions still count what the caller read.
        f.rewind().await.unwrap();
        let mut three = [0u8; 3];
        f.read_exact(&mut three).await.unwrap();
        assert_eq!(f.stream_position().await.unwrap(), 3);
        f.read_exact(&mut three).await.unwrap();
        assert_eq!(f.seek(SeekFrom::Current(-2)).await.unwrap(), 4);
        f.read_exact(&mut three).await.unwrap();
        assert_eq!(&three, b"o w");
        assert_eq!(f.seek(SeekFrom::End(-1)).await.unwrap(), 10);
    });
}

#[test]
fn a_write_after_read_ahead_lands_where_the_caller_is() {
    let dir = TempDir::new("read-then-write");
    let path = dir.join("f");
    run(async move {
        write(&path, b"0123456789").await.unwrap();
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .await
            .unwrap();
        let mut three = [0u8; 3];
        f.read_exact(&mut three).await.unwrap(); // the whole file is read-ahead now
        f.write_all(b"abc").await.unwrap();
        let mut rest = [0u8; 2];
        f.read_exact(&mut rest).await.unwrap(); // flushes the write first
        assert_eq!(&rest, b"67");
        f.flush().await.unwrap();
        assert_eq!(read(&path).await.unwrap(), b"012abc6789");

        // `into_std` puts the OS cursor where the caller is.
        let mut f = File::open(&path).await.unwrap();
        f.read_exact(&mut three).await.unwrap();
        let mut std = f.into_std().await;
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut std, &mut rest).unwrap();
        assert_eq!(rest, "abc6789");
    });
}

#[test]
fn ten_megabytes_in_about_one_round_trip_per_64k() {
    const LEN: usize = 10 << 20;
    let dir = TempDir::new("big");
    let path = dir.join("big.bin");
    let (writes, reads) = run(async move {
        let data = pattern(LEN);
        let mut f = File::create(&path).await.unwrap();
        f.write_all(&data).await.unwrap();
        f.flush().await.unwrap();
        let writes = f.round_trips;
        drop(f);

        let mut f = File::open(&path).await.unwrap();
        let mut back = Vec::new();
        assert_eq!(f.read_to_end(&mut back).await.unwrap(), LEN);
        assert!(back == data, "the bytes read back differ");
        (writes, f.round_trips)
    });
    // One write per full 64 KiB chunk; one read per chunk plus the one that finds the end.
    assert_eq!(LEN % MAX_BUF, 0);
    assert_eq!(writes, LEN / MAX_BUF, "writes");
    assert_eq!(reads, LEN / MAX_BUF + 1, "reads");
}

#[test]
fn append_mode_adds_to_the_end() {
    let dir = TempDir::new("append");
    let path = dir.join("log");
    run(async move {
        write(&path, b"start\n").await.unwrap();
        for line in ["one\n", "two\n"] {
            let mut f = OpenOptions::new().append(true).open(&path).await.unwrap();
            f.write_all(line.as_bytes()).await.unwrap();
            f.flush().await.unwrap();
        }
        assert_eq!(read_to_string(&path).await.unwrap(), "start\none\ntwo\n");
    });
}

#[test]
fn create_new_on_an_existing_file_is_already_exists() {
    let dir = TempDir::new("create-new");
    let path = dir.join("f");
    run(async move {
        let mut f = File::create_new(&path).await.unwrap();
        f.write_all(b"first").await.unwrap();
        f.flush().await.unwrap();
        let err = File::create_new(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let err = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert_eq!(read(&path).await.unwrap(), b"first");
    });
}

/// Waits (up to 10 s) until `path` holds `want`.
async fn eventually_holds(path: &Path, want: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if read(path).await.map(|got| got == want).unwrap_or(false) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the dropped File's data never arrived"
        );
        crate::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn dropping_a_file_with_pending_writes_still_writes() {
    let dir = TempDir::new("drop");
    let (small, big) = (dir.join("small"), dir.join("big"));
    run(async move {
        // Pending in the buffer only.
        let mut f = File::create(&small).await.unwrap();
        f.write_all(b"not flushed").await.unwrap();
        drop(f);
        eventually_holds(&small, b"not flushed").await;

        // One chunk in flight and the rest pending.
        let data = pattern(MAX_BUF + 1000);
        let mut f = File::create(&big).await.unwrap();
        f.write_all(&data).await.unwrap();
        drop(f);
        eventually_holds(&big, &data).await;
    });
}

#[test]
fn pending_writes_survive_runtime_shutdown() {
    let dir = TempDir::new("drop-shutdown");
    let path = dir.join("f");
    let rt = Builder::new_current_thread().build().unwrap();
    let p = path.clone();
    rt.block_on(async move {
        let mut f = File::create(&p).await.unwrap();
        f.write_all(b"written at shutdown").await.unwrap();
        drop(f); // the write job is queued; the runtime shuts down right after
    });
    drop(rt); // waits for running jobs; a cancelled write job writes as it is dropped
    assert_eq!(std::fs::read(&path).unwrap(), b"written at shutdown");

    // Dropped outside any runtime: written on the spot.
    let rt = Builder::new_current_thread().build().unwrap();
    let f = rt.block_on(async {
        let mut f = File::create(&path).await.unwrap();
        f.write_all(b"outside").await.unwrap();
        f
    });
    drop(f);
    assert_eq!(std::fs::read(&path).unwrap(), b"outside");
}

#[test]
fn a_failed_background_write_is_reported_by_the_next_operation() {
    let dir = TempDir::new("write-error");
    let path = dir.join("ro");
    run(async move {
        write(&path, b"read only").await.unwrap();
        // Small: accepted into the buffer, fails at flush.
        let mut f = File::open(&path).await.unwrap();
        f.write_all(b"x").await.unwrap();
        assert!(f.flush().await.is_err());
        f.flush().await.unwrap(); // reported once; nothing pending now

        // Large: the first chunk fails in the background; the next write reports it.
        let mut f = File::open(&path).await.unwrap();
        assert!(f.write_all(&pattern(3 * MAX_BUF)).await.is_err());

        // A read after a failed write reports it too.
        let mut f = File::open(&path).await.unwrap();
        f.write_all(&pattern(MAX_BUF)).await.unwrap(); // one full chunk: sent at once
        let mut buf = [0u8; 4];
        assert!(f.read(&mut buf).await.is_err());
        assert_eq!(read(&path).await.unwrap(), b"read only");
    });
}

#[test]
fn into_std_try_into_std_from_std() {
    let dir = TempDir::new("std");
    let path = dir.join("f");
    run(async move {
        let mut f = File::create(&path).await.unwrap();
        f.write_all(b"pending").await.unwrap();
        let mut f = f.try_into_std().expect_err("writes are pending");
        f.flush().await.unwrap();
        let std = f.try_into_std().expect("idle");
        let mut f = File::from_std(std);
        f.write_all(b" more").await.unwrap();
        let std = f.into_std().await; // writes what is pending
        drop(std);
        assert_eq!(read(&path).await.unwrap(), b"pending more");

        let mut f = File::open(&path).await.unwrap();
        let mut two = [0u8; 2];
        f.read_exact(&mut two).await.unwrap();
        let mut std = f.try_into_std().expect("read-ahead is given back");
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut std, &mut rest).unwrap();
        assert_eq!(rest, "nding more");
    });
}

#[test]
fn set_len_sync_metadata_try_clone() {
    let dir = TempDir::new("set-len");
    let path = dir.join("f");
    run(async move {
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .unwrap();
        f.write_all(b"0123456789").await.unwrap();
        f.set_len(4).await.unwrap(); // writes the pending data first
        assert_eq!(f.metadata().await.unwrap().len(), 4);
        f.sync_all().await.unwrap();
        f.sync_data().await.unwrap();
        f.rewind().await.unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "0123");
        let clone = f.try_clone().await.unwrap();
        assert_eq!(clone.metadata().await.unwrap().len(), 4);
        let perms = f.metadata().await.unwrap().permissions();
        f.set_permissions(perms).await.unwrap();
        assert!(format!("{f:?}").contains("File"));
    });
}

#[test]
fn buf_reader_over_a_file_lines_and_relative_seek() {
    let dir = TempDir::new("bufreader");
    let path = dir.join("f");
    run(async move {
        write(&path, b"alpha\nbeta\r\ngamma").await.unwrap();
        let mut r = BufReader::with_capacity(4, File::open(&path).await.unwrap());
        let mut two = [0u8; 2];
        r.read_exact(&mut two).await.unwrap();
        // Relative to what the caller has read, not to what either buffer holds.
        assert_eq!(r.seek(SeekFrom::Current(4)).await.unwrap(), 6);
        let mut lines = r.lines();
        let mut got = Vec::new();
        while let Some(l) = lines.next_line().await.unwrap() {
            got.push(l);
        }
        assert_eq!(got, ["beta", "gamma"]);
    });
}

#[test]
#[should_panic(expected = "needs a weft runtime")]
fn fs_outside_a_runtime_panics_with_a_clear_message() {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
    let mut fut = pin!(read("Cargo.toml"));
    let _ = fut
        .as_mut()
        .poll(&mut std::task::Context::from_waker(&waker));
}

#[test]
fn futures_are_static_and_send_and_types_are_send_sync() {
    fn static_send<T: Send + 'static>(_: T) {}
    fn send_sync<T: Send + Sync>() {}
    let borrowed = String::from("borrowed/path");
    // Built from a borrowed path, yet 'static: the path is copied at the call.
    static_send(read(&borrowed));
    static_send(write(&borrowed, borrowed.as_bytes()));
    static_send(read_dir(&borrowed));
    static_send(File::open(&borrowed));
    static_send(OpenOptions::new().read(true).open(&borrowed));
    send_sync::<File>();
    send_sync::<ReadDir>();
    send_sync::<DirEntry>();
    send_sync::<crate::io::DuplexStream>();
    send_sync::<crate::io::ReadHalf<crate::io::DuplexStream>>();
    send_sync::<crate::io::BufReader<File>>();
}

//! The buffer that travels between a `File` and its blocking jobs, and the
//! write job that cannot be lost.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

/// The most one blocking round trip reads or writes.
pub(crate) const MAX_BUF: usize = 64 * 1024;

/// What a job did.
pub(super) enum Operation {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
}

/// The buffer that travels between the `File` and its jobs.
#[derive(Default)]
pub(super) struct Buf {
    data: Vec<u8>,
    /// `data[pos..]` is still to be handed out (read-ahead) or written.
    pos: usize,
    /// `data[pos..]` is pending writes (else read-ahead).
    writing: bool,
    /// For pending writes: how far to move the OS cursor before writing them (back over
    /// read-ahead that was discarded).
    seek_first: i64,
}

impl Buf {
    pub(super) fn len(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn has_writes(&self) -> bool {
        self.writing && !self.is_empty()
    }

    pub(super) fn has_read_ahead(&self) -> bool {
        !self.writing && !self.is_empty()
    }

    /// Makes this a buffer of pending writes: read-ahead is dropped, and the OS cursor
    /// will be moved back over it before the writes go out.
    pub(super) fn prepare_write(&mut self) {
        if !self.writing {
            let back = -(self.len() as i64);
            self.clear();
            self.writing = true;
            self.seek_first = back;
        }
    }

    /// Appends what fits of `src` to the pending writes; returns how much.
    pub(super) fn push(&mut self, src: &[u8]) -> usize {
        debug_assert!(self.writing && self.pos == 0);
        let n = src.len().min(MAX_BUF.saturating_sub(self.len()));
        self.data.extend_from_slice(&src[..n]);
        n
    }

    /// Whether the pending writes fill a whole chunk.
    pub(super) fn is_full(&self) -> bool {
        self.len() >= MAX_BUF
    }

    pub(super) fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
        self.writing = false;
        self.seek_first = 0;
    }

    /// Hands read-ahead out to `dst`.
    pub(super) fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.len().min(dst.len());
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        n
    }

    /// Reads up to [`MAX_BUF`] bytes as read-ahead (on the blocking pool).
    pub(super) fn read_from(&mut self, file: &std::fs::File) -> io::Result<usize> {
        self.clear();
        self.data.resize(MAX_BUF, 0);
        let res = loop {
            match (&*file).read(&mut self.data) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => break res,
            }
        };
        self.data.truncate(*res.as_ref().unwrap_or(&0));
        res
    }

    /// Writes the pending data (on the blocking pool); the buffer is empty afterwards,
    /// whatever happened.
    pub(super) fn write_to(&mut self, file: &std::fs::File) -> io::Result<()> {
        let res = (|| {
            if self.seek_first != 0 {
                (&*file).seek(SeekFrom::Current(self.seek_first))?;
            }
            (&*file).write_all(&self.data[self.pos..])
        })();
        self.clear();
        res
    }
}

/// A write job. If the pool drops it without running it (shutdown), it writes on drop.
pub(super) struct WriteJob {
    std: Arc<std::fs::File>,
    buf: Option<Buf>,
}

impl WriteJob {
    pub(super) fn new(std: Arc<std::fs::File>, buf: Buf) -> WriteJob {
        WriteJob {
            std,
            buf: Some(buf),
        }
    }

    pub(super) fn run(mut self) -> (Operation, Buf) {
        let mut buf = self.buf.take().expect("a write job runs once");
        let res = buf.write_to(&self.std);
        (Operation::Write(res), buf)
    }
}

impl Drop for WriteJob {
    fn drop(&mut self) {
        if let Some(mut buf) = self.buf.take() {
            // Cancelled before it ran: the data was accepted, so it is written anyway
            // (nobody is left to hear about an error).
            let _ = buf.write_to(&self.std);
        }
    }
}

//! Asynchronous I/O helpers over the futures-io traits: the extension traits with `async`
//! methods (`read_exact`, `write_all`, `read_line`, ...), [`BufReader`] and [`BufWriter`],
//! [`copy`], [`split`], the in-memory [`duplex`] pipe, and [`empty`] / [`sink`] /
//! [`repeat`]. `weft::io` re-exports this module.
//!
//! It lives next to [`net`](crate::net) so that the sockets and what reads and writes them
//! are in one crate, but it does not use the reactor: everything here works on any
//! [`AsyncRead`] / [`AsyncWrite`] (weft's sockets and pipes, `weft::fs::File`, or another
//! runtime's types) and on any executor.
//!
//! ```
//! # // A minimal executor; inside weft, use `weft::run` or `Runtime::block_on`.
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     use std::future::Future;
//! #     struct Unpark(std::thread::Thread);
//! #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
//! #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
//! #     let (mut f, mut cx) = (std::pin::pin!(f), std::task::Context::from_waker(&waker));
//! #     loop {
//! #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) { return out; }
//! #         std::thread::park();
//! #     }
//! # }
//! use weft_reactor::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
//!
//! block_on(async {
//!     // An in-memory pipe: what one end writes, the other reads.
//!     let (mut client, server) = weft_reactor::io::duplex(64);
//!     client.write_all(b"hello\nworld\n").await?;
//!     client.close().await?; // the server sees end of file after the two lines
//!     let (reader, mut writer) = weft_reactor::io::split(server);
//!     let mut lines = BufReader::new(reader).lines();
//!     while let Some(line) = lines.next_line().await? {
//!         writer.write_all(format!("echo: {line}\n").as_bytes()).await?;
//!     }
//!     drop((lines, writer)); // both halves gone: the client sees end of file after the replies
//!     let mut replies = String::new();
//!     client.read_to_string(&mut replies).await?;
//!     assert_eq!(replies, "echo: hello\necho: world\n");
//!     std::io::Result::Ok(())
//! })?;
//! # std::io::Result::Ok(())
//! ```
//!
//! # What is where
//!
//! - `ext.rs`: the extension traits; each method returns a named future from `read.rs`,
//!   `write.rs` or `buf_read.rs`.
//! - `buf_reader.rs`, `buf_writer.rs`, `adapters.rs` (`Take`, `Chain`) and `Lines` (in
//!   `buf_read.rs`): wrappers, with structural pin projections to their inner stream. These
//!   and the lifetime extension in `FillBuf` (`buf_read.rs`) are the only unsafe code here,
//!   each with its `SAFETY:` line.
//! - `copy.rs`, `split.rs`, `duplex.rs`, `util.rs`: copying, splitting a stream into halves
//!   that two tasks own, the pipe, and the trivial streams.
//!
//! # Cancellation
//!
//! Dropping one of these futures before it completes is how `select!` and `timeout`
//! cancel it. The single-step operations ([`read`](AsyncReadExt::read),
//! [`write`](AsyncWriteExt::write), [`flush`](AsyncWriteExt::flush),
//! [`fill_buf`](AsyncBufReadExt::fill_buf), [`read_until`](AsyncBufReadExt::read_until),
//! [`Lines::next_line`], [`read_to_end`](AsyncReadExt::read_to_end)) lose nothing when
//! dropped: either nothing happened, or what was read is already in your buffer. The
//! multi-step ones say in their docs what is lost ([`read_exact`](AsyncReadExt::read_exact),
//! [`write_all`](AsyncWriteExt::write_all), [`read_line`](AsyncBufReadExt::read_line),
//! [`read_to_string`](AsyncReadExt::read_to_string), [`copy`]): exactly like tokio's.
//!
//! # Cooperative budget
//!
//! [`duplex`], [`empty`], [`sink`], [`repeat`] and [`copy`] spend the task's cooperative
//! budget ([`weft_core::coop`]), so a task that always finds them ready still yields to its
//! neighbours now and then. Outside a weft task the budget is unconstrained.

mod adapters;
mod buf_read;
mod buf_reader;
mod buf_writer;
mod copy;
mod duplex;
mod ext;
mod read;
mod split;
mod util;
mod write;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_streams;

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use std::io::{Error, ErrorKind, IoSlice, IoSliceMut, Result, SeekFrom};

pub use adapters::{Chain, Take};
pub use buf_read::{FillBuf, Lines, ReadLine, ReadUntil};
pub use buf_reader::BufReader;
pub use buf_writer::BufWriter;
pub use copy::{copy, copy_buf, Copy, CopyBuf};
pub use duplex::{duplex, DuplexStream};
pub use ext::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
pub use read::{Read, ReadExact, ReadToEnd, ReadToString, ReadVectored};
pub use split::{split, ReadHalf, ReuniteError, WriteHalf};
pub use util::{empty, repeat, sink, Empty, Repeat, Sink};
pub use write::{Close, Flush, Seek, Write, WriteAll, WriteVectored};

/// The default buffer size of [`BufReader`], [`BufWriter`] and [`copy`]: 8 KiB, like std's.
pub(crate) const DEFAULT_BUF_SIZE: usize = 8 * 1024;

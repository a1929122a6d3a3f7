//! Asynchronous I/O: the futures-io traits, the extension traits that give them `async`
//! methods, buffering, copying, splitting, and an in-memory pipe.
//!
//! weft speaks the [`futures-io`](https://docs.rs/futures-io) traits ([`AsyncRead`],
//! [`AsyncWrite`], [`AsyncBufRead`], [`AsyncSeek`]), the ones smol, async-std and the
//! `futures` crate use, so any type written against them works here and weft's types work
//! there. The traits only have `poll_*` methods; bring the extension traits into scope
//! (`use weft::io::{AsyncReadExt, AsyncWriteExt}`) for `read(..).await`, `write_all(..).await`
//! and the rest.
//!
//! ```
//! use weft::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
//!
//! weft::run(async {
//!     // An in-memory pipe: what one end writes, the other reads.
//!     let (mut client, server) = weft::io::duplex(64);
//!     let echo = weft::spawn(async move {
//!         let (reader, mut writer) = weft::io::split(server);
//!         let mut lines = BufReader::new(reader).lines();
//!         while let Some(line) = lines.next_line().await.unwrap() {
//!             writer.write_all(format!("echo: {line}\n").as_bytes()).await.unwrap();
//!         }
//!     });
//!     client.write_all(b"hello\nworld\n").await.unwrap();
//!     client.close().await.unwrap(); // the server sees end of file after the two lines
//!     let mut replies = String::new();
//!     client.read_to_string(&mut replies).await.unwrap();
//!     assert_eq!(replies, "echo: hello\necho: world\n");
//!     echo.await.unwrap();
//! });
//! ```
//!
//! # From asyncio
//!
//! | asyncio | weft |
//! |---|---|
//! | `StreamReader.read(n)` | [`AsyncReadExt::read`] |
//! | `StreamReader.readexactly(n)` (`IncompleteReadError`) | [`AsyncReadExt::read_exact`] (`ErrorKind::UnexpectedEof`) |
//! | `StreamReader.read()` / `read(-1)` | [`AsyncReadExt::read_to_end`], [`AsyncReadExt::read_to_string`] |
//! | `StreamReader.readline()`, `readuntil(sep)` | [`AsyncBufReadExt::read_line`], [`AsyncBufReadExt::read_until`] (on a [`BufReader`]) |
//! | `async for line in reader` | [`AsyncBufReadExt::lines`] (a [`Stream`](futures_core::Stream), or `next_line().await`) |
//! | `StreamWriter.write(data)` + `await drain()` | [`AsyncWriteExt::write_all`] (waits for room itself) |
//! | `StreamWriter.close()` + `wait_closed()` | [`AsyncWriteExt::close`] |
//! | (a socket pair for tests) | [`duplex`] |
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
//! budget, so a task that always finds them ready still yields to its neighbours now and
//! then.

pub use weft_reactor::io::*;

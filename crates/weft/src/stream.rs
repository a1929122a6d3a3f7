//! Streams: asyncio's async generators and `async for`.
//!
//! A [`Stream`] is an async iterator (futures-core's trait, so streams from any crate work
//! here): `while let Some(x) = s.next().await` is `async for x in s`, with [`StreamExt`]
//! in scope. [`generate`] turns an async closure that yields through a [`Yielder`] into a
//! stream: an async generator. Other sources: [`iter`], [`once`], [`empty`],
//! [`repeat_with`], [`unfold`], [`pending`]; [`task::as_completed`](crate::task::as_completed),
//! [`time::Interval`](crate::time::Interval) and the channel receivers are streams too.
//!
//! | asyncio | weft |
//! |---|---|
//! | `async def agen(): ... yield x` | [`stream::generate(|mut y| async move { y.send(x).await; })`](generate) |
//! | an async generator that raises | [`stream::try_generate`](try_generate): `Result` items, the error last |
//! | `async for x in agen(): ...` | `while let Some(x) = s.next().await { ... }`, or [`s.for_each(..)`](StreamExt::for_each) |
//! | `[f(x) async for x in s if p(x)]` | `s.filter(p).map(f).collect::<Vec<_>>().await` |
//! | `anext(s)` | [`s.next().await`](StreamExt::next) |
//! | `await agen.aclose()` | drop the stream (the generator's destructors run) |
//! | `as_completed` over a bounded window | [`s.buffer_unordered(n)`](StreamExt::buffer_unordered) |
//! | `wait_for` around each `__anext__` | [`s.timeout(d)`](StreamExt::timeout): `Err(Elapsed)` per late item |
//! | merging several async generators | [`select`] (two), [`merge`] (any number): round-robin |
//!
//! ```
//! use weft::stream::{self, StreamExt};
//!
//! weft::run(async {
//!     let agen = stream::generate(|mut y| async move {
//!         for i in 0..5 {
//!             y.send(i).await;
//!         }
//!     });
//!     let even: Vec<i32> = agen.filter(|i| i % 2 == 0).collect().await;
//!     assert_eq!(even, [0, 2, 4]);
//! });
//! ```

pub use weft_stream::*;

//! weft's streams: asyncio's async generators and `async for`, which `weft::stream`
//! re-exports.
//!
//! A [`Stream`] (futures-core's trait, so every Stream of the ecosystem works here and
//! these work everywhere) is an async iterator: `while let Some(x) = s.next().await` is
//! `async for x in s`. [`generate`] turns an async closure that yields through a
//! [`Yielder`] into one: an async generator.
//!
//! ```
//! use std::time::Duration;
//! use weft::stream::{self, StreamExt};
//!
//! // async def countdown(n):
//! //     while n > 0:
//! //         yield n
//! //         await asyncio.sleep(0.001)
//! //         n -= 1
//! fn countdown(mut n: u32) -> impl weft::stream::Stream<Item = u32> {
//!     stream::generate(move |mut y| async move {
//!         while n > 0 {
//!             y.send(n).await;
//!             weft::time::sleep(Duration::from_millis(1)).await;
//!             n -= 1;
//!         }
//!     })
//! }
//!
//! weft::run(async {
//!     // async for n in countdown(3): print(n)
//!     let mut s = std::pin::pin!(countdown(3));
//!     while let Some(n) = s.next().await {
//!         println!("{n}");
//!     }
//!     // [n async for n in countdown(5) if n % 2 == 1]
//!     let odd: Vec<u32> = countdown(5).filter(|n| n % 2 == 1).collect().await;
//!     assert_eq!(odd, [5, 3, 1]);
//! });
//! ```
//!
//! # What it owns
//!
//! - [`StreamExt`]: `next`, the adapters (`map`, `filter`, `then`, `take`, `zip`, `chunks`,
//!   `buffer_unordered`, ... and a per-item [`timeout`](StreamExt::timeout)) and the
//!   futures that drain a stream (`collect`, `fold`, `for_each`, `for_each_concurrent`).
//! - Sources: [`iter`], [`once`], [`empty`], [`repeat_with`], [`unfold`], [`pending`].
//! - Combining: [`select`] (two streams) and [`merge`] (any number), fair round-robin.
//! - [`generate`] and [`try_generate`]: async generators, the second for generators that
//!   raise (`Result` items, ending after the error).
//!
//! Where futures-util already does a combinator well, it is delegated to, not copied: those
//! adapter types are futures-util's, re-exported. weft's own are the adapters with plain
//! closures ([`Filter`], [`FilterMap`], [`TakeWhile`]), [`merge`], the generators, the
//! [`Timeout`] adapter, and [`BufferUnordered`] / [`ForEachConcurrent`]: on weft-future's
//! ready list, with the in-flight futures unboxed in reused slots, they measured about 3x
//! futures-util's `FuturesUnordered`-based ones on cheap futures (ARCHITECTURE.md).
//!
//! # What it needs
//!
//! Everything here runs on any executor, except [`StreamExt::timeout`], which uses weft's
//! timer and so needs a weft runtime with time enabled.
//!
//! | asyncio | weft |
//! |---|---|
//! | `async def agen(): ... yield x` | [`generate(|mut y| async move { y.send(x).await; })`](generate) |
//! | an async generator that raises | [`try_generate`]: `Result` items, the error last |
//! | `async for x in s: ...` | `while let Some(x) = s.next().await { ... }`, or [`s.for_each(..)`](StreamExt::for_each) |
//! | `[f(x) async for x in s if p(x)]` | `s.filter(p).map(f).collect::<Vec<_>>().await` |
//! | `await agen.aclose()` | drop the stream (the generator's destructors run) |
//! | `anext(s)` | [`s.next().await`](StreamExt::next) |
//! | `as_completed` over a bounded window | [`s.buffer_unordered(n)`](StreamExt::buffer_unordered) |
//! | `wait_for` around each `__anext__` | [`s.timeout(d)`](StreamExt::timeout) |

mod adapters;
mod buffer;
mod ext;
mod generate;
mod merge;
mod timeout;

pub use adapters::{Filter, FilterMap, TakeWhile};
pub use buffer::{BufferUnordered, ForEachConcurrent};
pub use ext::StreamExt;
pub use futures_core::stream::{FusedStream, Stream};
pub use generate::{generate, try_generate, Generate, TryGenerate, Yield, Yielder};
pub use merge::{merge, Merge};
pub use timeout::Timeout;
pub use weft_timer::Elapsed;

// Sources and the adapter types of futures-util, whose `StreamExt` the weft one delegates to.
pub use futures_util::stream::{
    empty, iter, once, pending, repeat_with, select, unfold, Buffered, Chain, Chunks, Collect,
    Empty, Enumerate, Fold, ForEach, Iter, Map, Next, Once, Pending, RepeatWith, Select, Skip,
    Take, Then, Unfold, Zip,
};

//! Combining futures: wait for all of them ([`join_all`], [`try_join_all`],
//! [`join!`](crate::join), [`try_join!`](crate::try_join)) or for the first one
//! ([`select`], [`select!`](crate::select)).
//!
//! These run their futures concurrently *inside the awaiting task*, on one thread; to run
//! work in parallel, [`spawn`](crate::spawn) it and join the handles (or use a
//! [`JoinSet`](crate::task::JoinSet)).
//!
//! | asyncio | weft |
//! |---|---|
//! | `await asyncio.gather(*aws)` | [`join_all(aws).await`](join_all), or [`join!(a, b, c)`](crate::join) for a fixed set of differently typed futures |
//! | `gather` that stops at the first exception | [`try_join_all`], [`try_join!`](crate::try_join) |
//! | `asyncio.wait(aws, return_when=FIRST_COMPLETED)` | [`select!`](crate::select), [`select`] |
//!
//! ```
//! weft::run(async {
//!     let (a, b) = weft::join!(async { 1 }, async { "two" });
//!     let all = weft::future::join_all((0..3).map(|i| async move { i })).await;
//!     assert_eq!((a, b, all), (1, "two", vec![0, 1, 2]));
//! });
//! ```

pub(crate) mod join_all;
mod maybe_done;
mod select;

#[cfg(test)]
mod tests;

pub use join_all::{join_all, try_join_all, JoinAll, TryJoinAll};
pub use maybe_done::MaybeDone;
pub use select::{select, Either, Select};
pub use std::future::{pending, poll_fn, ready, Future, IntoFuture};

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
//!
//!     // Spawned tasks run in parallel; join their handles.
//!     let handles: Vec<_> = (0..100u64).map(|i| weft::spawn(async move { i * i })).collect();
//!     let squares: Vec<u64> =
//!         weft::future::join_all(handles).await.into_iter().map(Result::unwrap).collect();
//!     assert_eq!(squares[9], 81);
//! });
//! ```

pub use std::future::{pending, poll_fn, ready, Future, IntoFuture};
pub use weft_future::{join_all, try_join_all, JoinAll, TryJoinAll};
pub use weft_future::{select, Either, MaybeDone, Select};

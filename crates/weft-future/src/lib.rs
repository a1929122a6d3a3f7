//! weft's runtime-agnostic future combinators: [`join_all`], [`try_join_all`], [`select`],
//! [`MaybeDone`] (the building block of `join!`), and the ready list that lets a future with
//! many children poll only the ones that woke. `weft::future` re-exports them.
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
//! use std::pin::pin;
//! use weft_future::{join_all, select, try_join_all, Either};
//!
//! block_on(async {
//!     let squares = join_all((1..=3u64).map(|n| async move { n * n })).await;
//!     assert_eq!(squares, [1, 4, 9]);
//!
//!     let parsed = try_join_all(["1", "x"].map(|s| async move { s.parse::<u8>() })).await;
//!     assert!(parsed.is_err());
//!
//!     let (fast, never) = (pin!(async { "a" }), pin!(std::future::pending::<u8>()));
//!     assert!(matches!(select(fast, never).await, Either::Left(("a", _))));
//! });
//! ```
//!
//! # What is here
//!
//! - `join_all.rs`: [`join_all`] / [`try_join_all`] (asyncio's `gather`) and the `Join`
//!   machinery they share with `weft::task::as_completed`. Up to 16 children are all polled
//!   on every wake-up; above that each child gets its own waker (through the ready list).
//! - `ready.rs`: the ready list, a lock-free stack of the children that woke with one waker
//!   per child, so that `join_all` over 100,000 futures and a `JoinSet` of 100,000 tasks
//!   cost O(1) polls per wake-up. Its protocol is written down at the top of the file and
//!   modelled under loom in `tests/loom_ready.rs`.
//! - `maybe_done.rs`: [`MaybeDone`], a future that keeps its output once complete.
//! - `select.rs`: [`select`] of two futures and its [`Either`] output.
//!
//! # What it needs
//!
//! No scheduler and no driver: these combinators run on any executor. They depend on
//! `weft-core` only, for the loom shim (every atomic and lock of the ready list comes from
//! `weft_core::loom`) and the cooperative budget ([`weft_core::coop`]): inside a weft task
//! a `join_all` stops polling children once the task's budget is spent; elsewhere the budget
//! is unconstrained.
//!
//! The `join!`, `try_join!` and `select!` macros live in the facade (`weft`), whose
//! `$crate::__private` names [`MaybeDone`] and [`Either`] from here.

mod join_all;
mod maybe_done;
mod ready;
mod select;

#[cfg(all(test, not(weft_loom)))]
mod tests;

pub use join_all::{join_all, try_join_all, JoinAll, TryJoinAll};
pub use maybe_done::MaybeDone;
pub use select::{select, Either, Select};

/// The machinery of [`JoinAll`] and [`TryJoinAll`], for `weft::task::as_completed`. Not
/// part of the API.
#[doc(hidden)]
pub use join_all::Join;
/// The ready list, for `weft::task::JoinSet`. Not part of the API.
#[doc(hidden)]
pub use ready::ReadySet;

//! weft: a multi-threaded, work-stealing async runtime, with a scheduler you can replace
//! and the toolkit asyncio users know (gather, as_completed, wait_for, task groups, to_thread).
//!
//! ```
//! fn main() {
//!     weft::run(async {
//!         let greet = weft::spawn(async { "hello from a task" });
//!         let squares = weft::future::join_all((1..=3u64).map(|n| async move { n * n })).await;
//!         let sum = weft::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
//!         println!("{} | {squares:?} | {sum}", greet.await.unwrap());
//!         assert_eq!(squares, [1, 4, 9]);
//!     });
//! }
//! ```
//!
//! # What is where
//!
//! - [`run`], [`spawn`], [`spawn_blocking`]: the everyday entry points.
//! - [`runtime`]: [`Runtime`], its [`Builder`](runtime::Builder) and [`Handle`](runtime::Handle).
//! - [`task`]: [`JoinHandle`](task::JoinHandle), [`JoinSet`](task::JoinSet),
//!   [`as_completed`](task::as_completed), [`yield_now`](task::yield_now), task ids and names.
//! - [`future`]: [`join_all`](future::join_all), [`try_join_all`](future::try_join_all);
//!   the macros [`join!`], [`try_join!`], [`select!`].
//! - [`time`]: `sleep`, `timeout`, `interval`, and a paused clock for tests.
//! - [`sync`]: asyncio's `Queue` (with `task_done`/`join`), `Mutex`, `RwLock`, `Semaphore`,
//!   `Event`, `Condition`, `Barrier`, `Notify`, `OnceCell`; the `oneshot`, `mpsc`,
//!   `broadcast` and `watch` channels.
//! - [`net`], [`io`], [`fs`], [`signal`], [`process`]: sockets, the async I/O traits and
//!   helpers, files on the blocking pool, signals, child processes.
//! - [`sched`]: the [`Scheduler`](sched::Scheduler) trait and the built-in schedulers, to
//!   plug your own in with [`Builder::scheduler`](runtime::Builder::scheduler).
//!
//! # From asyncio
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.run(main())` | [`weft::run(main())`](run), or [`Runtime::new()?.block_on(..)`](Runtime::block_on) |
//! | `asyncio.create_task(coro)` | [`weft::spawn(fut)`](spawn) returns a [`JoinHandle`](task::JoinHandle) |
//! | `await task`, `task.cancel()`, `task.done()` | `handle.await`, [`handle.abort()`](task::JoinHandle::abort), [`handle.is_finished()`](task::JoinHandle::is_finished) |
//! | `asyncio.gather(*aws)` | [`join!`], [`future::join_all`], [`future::try_join_all`] |
//! | `asyncio.wait(..., FIRST_COMPLETED)` | [`select!`] |
//! | `asyncio.as_completed(aws)` | [`task::as_completed`] (a stream of outputs in completion order) |
//! | `asyncio.TaskGroup` | [`task::JoinSet`] |
//! | `loop.run_in_executor`, `asyncio.to_thread` | [`spawn_blocking`] |
//! | `await asyncio.sleep(0)` | [`task::yield_now()`](task::yield_now) |
//! | `asyncio.current_task()` | [`task::id()`](task::id) |
//! | `asyncio.Queue`, `Lock`, `Semaphore`, `Event`, `Condition` | [`sync::Queue`], [`sync::Mutex`], [`sync::Semaphore`], [`sync::Event`], [`sync::Condition`] |
//! | "cannot be called from a running event loop" | [`Runtime::block_on`] inside a runtime thread panics and says to `.await` instead |

// The crate example above is the whole program a newcomer writes, `fn main` included.
#![allow(clippy::needless_doctest_main)]
#![forbid(unsafe_code)]

mod macros;

pub mod fs;
pub mod future;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod stream;
pub mod sync;
pub mod task;
pub mod time;

/// Schedulers: the [`Scheduler`](sched::Scheduler) trait and the built-in ones.
///
/// Plug one in with [`Builder::scheduler`](runtime::Builder::scheduler); see the trait's
/// docs for a complete single-queue scheduler.
pub mod sched {
    pub use weft_sched::{
        CurrentThread, Dispatch, Env, Hint, MultiThread, Park, Scheduler, ThreadPark,
    };
    pub use weft_task::Runnable;
}

/// Model-checking your own code that uses [`sync`] with [loom](https://docs.rs/loom): what a
/// model needs, present only when built with `RUSTFLAGS="--cfg weft_loom"` (then every
/// `weft::sync` type runs on loom's primitives). See `docs/loom-your-code.md`.
#[cfg(weft_loom)]
pub mod loom {
    /// Loom's `Arc`, atomics, `Mutex` and `Condvar`, for state the model shares.
    pub use weft_core::loom::sync;
    /// Loom's threads (at most 5 per model, the main one included).
    pub use weft_core::loom::thread;
    /// `model` runs a closure under every interleaving; `block_on` awaits a future on the
    /// calling loom thread (a wake-up that never comes is reported as a deadlock).
    pub use weft_core::test_support::{block_on, model};
}

#[doc(hidden)]
/// What the macros' expansions use; not public API.
pub mod __private {
    pub use crate::macros::support::*;
}

pub use runtime::Runtime;
pub use task::{spawn, spawn_blocking};

/// Runs `future` to completion on a new multi-thread runtime, then shuts the runtime down:
/// asyncio's `asyncio.run(main())`.
///
/// ```
/// let answer = weft::run(async {
///     let task = weft::spawn(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
///
/// # Panics
///
/// If the runtime cannot be built (the OS refuses threads), or if called from inside a
/// runtime (see [`Runtime::block_on`]).
#[track_caller]
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    Runtime::new()
        .expect("weft::run: could not build the runtime")
        .block_on(future)
}

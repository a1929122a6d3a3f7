//! weft: a multi-threaded, work-stealing async runtime, with a scheduler you can replace
//! and the toolkit asyncio users know (gather, as_completed, wait_for, task groups, to_thread).
//!
//! ```
//! use std::time::Duration;
//! use weft::time::{sleep, timeout};
//!
//! async fn brew(drink: &str, ms: u64) -> String {
//!     sleep(Duration::from_millis(ms)).await;
//!     format!("{drink} ready")
//! }
//!
//! #[weft::main]
//! async fn main() {
//!     let latte = weft::spawn(brew("latte", 200)); // asyncio.create_task
//!     let (espresso, tea) = weft::join!(brew("espresso", 100), brew("tea", 100)); // gather
//!     let cold_brew = timeout(Duration::from_millis(100), brew("cold brew", 60_000)).await; // wait_for
//!     println!("{espresso}, {tea}, {}, cold brew: {cold_brew:?}", latte.await.unwrap());
//! }
//! ```
//!
//! Without the attribute, `weft::run(async { .. })` is the same thing. The repository's
//! `docs/asyncio.md` ("weft for asyncio users") walks through every asyncio concept with its
//! weft counterpart; `cargo run --release --example tour` is a guided tour.
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
//! - `hyper` (cargo feature `hyper`): hyper 1.x on weft, a pooled HTTP client and an HTTP/1
//!   server in one call each.
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
#[cfg(feature = "hyper")]
pub mod hyper;
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
        CurrentThread, Deterministic, Dispatch, Env, Hint, MultiThread, Park, Scheduler,
        SchedulerMetrics, ThreadPark, WorkerMetrics,
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

/// The code blocks of `docs/introspection.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/introspection.md")]
pub struct IntrospectionGuide;

/// The code blocks of `docs/custom-scheduler.md` (writing a scheduler, step by step), run as
/// doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/custom-scheduler.md")]
pub struct CustomSchedulerGuide;

/// The code blocks of `README.md`, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct Readme;

/// The code blocks of `docs/asyncio.md` ("weft for asyncio users"), run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/asyncio.md")]
pub struct AsyncioGuide;

pub use task::{spawn, spawn_blocking};

/// Runs `async fn main` on a new runtime: asyncio's `asyncio.run(main())` as an attribute.
///
/// ```
/// #[weft::main]
/// async fn main() {
///     let task = weft::spawn(async { 6 * 7 });
///     assert_eq!(task.await.unwrap(), 42);
/// }
/// ```
///
/// The function becomes a plain `fn` that builds a runtime with
/// [`Builder`](runtime::Builder) (always with [`enable_all`](runtime::Builder::enable_all))
/// and [`block_on`](Runtime::block_on)s the body; what the body returns, `main` returns, so
/// `?` works with a `Result` return type:
///
/// ```
/// #[weft::main(flavor = "current_thread")]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let n: u64 = "42".parse()?;
///     weft::time::sleep(std::time::Duration::from_millis(n)).await;
///     Ok(())
/// }
/// ```
///
/// # Arguments
///
/// | argument | default | what it does |
/// |---|---|---|
/// | `flavor = "multi_thread"` or `"current_thread"` | `"multi_thread"` | [`Builder::new_multi_thread`](runtime::Builder::new_multi_thread) or [`new_current_thread`](runtime::Builder::new_current_thread) |
/// | `worker_threads = N` | one per CPU | [`Builder::worker_threads`](runtime::Builder::worker_threads); multi-thread only, `N >= 1` |
/// | `start_paused = true` | `false` | [`Builder::start_paused`](runtime::Builder::start_paused); current-thread only |
/// | `crate = "path"` | `"::weft"` | where the expansion finds weft, for a crate that renamed it |
///
/// Misuse is a compile error at the offending tokens: a function that is not `async`, an
/// item that is not a function, a `main` with arguments or generics, an unknown or repeated
/// argument, a value of the wrong type, `worker_threads = 0`, `worker_threads` on the
/// current-thread runtime, `start_paused` on the multi-thread one:
///
/// ```compile_fail
/// #[weft::main] // error: the `async` keyword is missing from the function declaration
/// fn main() {}
/// ```
///
/// ```compile_fail
/// #[weft::main] // error: #[weft::main] goes on an `async fn`, not on a struct
/// struct App;
/// fn main() {}
/// ```
///
/// ```compile_fail
/// #[weft::main(start_paused = true)] // error: `start_paused` needs the current-thread runtime
/// async fn main() {}
/// ```
///
/// # Panics
///
/// If the runtime cannot be built (the OS refuses threads), with the builder's error.
#[doc(inline)]
pub use weft_macros::main;

/// Runs an `async fn` test on a new current-thread runtime: `#[test]` for async code.
///
/// ```
/// use std::time::Duration;
/// use weft::time::Instant;
///
/// #[weft::test(start_paused = true)]
/// async fn an_hour_passes_at_once() {
///     let start = Instant::now();
///     weft::time::advance(Duration::from_secs(3600)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// }
///
/// #[weft::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), weft::task::JoinError> {
///     assert_eq!(weft::runtime::Handle::current().num_workers(), 2);
///     weft::spawn(async {}).await
/// }
/// # fn main() {}
/// ```
///
/// The arguments are [`main`]'s, except that the default flavor is `"current_thread"`: the
/// one a [paused clock](runtime::Builder::start_paused) needs, and the one where a test sees
/// its tasks run in a repeatable order. The attribute adds `#[test]`; other attributes stay
/// as written (`#[should_panic]`, `#[ignore]`), and so does the return type (a test may
/// return `Result<(), E>`). Each test builds its own runtime and shuts it down when the test
/// ends, so no task outlives its test.
///
/// ```compile_fail
/// #[weft::test(worker_threads = 2)] // error: `worker_threads` sets the size of the
/// async fn t() {}                   // multi-thread runtime; add `flavor = "multi_thread"`
/// # fn main() {}
/// ```
///
/// ```compile_fail
/// #[weft::test] // error: a second test attribute: #[weft::test] already adds `#[test]`
/// #[test]
/// async fn t() {}
/// # fn main() {}
/// ```
#[doc(inline)]
pub use weft_macros::test;

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

//! weft's schedulers: who runs which task, on which thread, and when.
//!
//! - [`Scheduler`]: the public trait every scheduler implements, the built-in ones
//!   included (there is no back door), so a user's scheduler is a first-class citizen.
//! - [`MultiThread`]: the default work-stealing scheduler (per-worker local queues and LIFO
//!   slot, a global injection queue, steal-half, a bounded number of searching workers,
//!   park/unpark that loses no wake-up).
//! - [`CurrentThread`]: runs every task on the thread that calls `block_on`.
//! - [`Deterministic`]: one thread too, but the next task is drawn from a seeded generator
//!   and the clock is paused, so a seed replays an interleaving exactly (for hunting
//!   ordering bugs; `docs/deterministic.md`).
//! - [`SchedulerMetrics`] / [`WorkerMetrics`]: what [`Scheduler::metrics`] reports (per-worker
//!   counters kept on each worker's own cache lines).
//! - [`Park`]: the seam to the runtime's driver. An idle worker parks in it; the driver
//!   behind it (I/O readiness, timers) is the facade's business, so a custom scheduler gets
//!   working sleeps and sockets without knowing how they are built.
//!
//! The cooperative budget lives in `weft_core::coop`; `weft_task::Runnable::run` grants it,
//! so every scheduler gets it for free.
//!
//! Running a task on a [`MultiThread`] scheduler by hand (the `weft` facade does all of this
//! for you):
//!
//! ```
//! use std::sync::Arc;
//! use weft_sched::{Env, MultiThread, Scheduler, ThreadPark};
//! use weft_task::Owner;
//!
//! // The owner keeps the task list and dispatches straight into the scheduler.
//! let owner = Arc::new(Owner::new(MultiThread::new(2)));
//! let env = Env::new(Arc::new(ThreadPark::new()));
//! owner.dispatcher().start(&env).unwrap();
//!
//! let handle = owner.spawn(async { 21 * 2 });
//! let mut handle = std::pin::pin!(handle);
//! let mut out = None;
//! owner
//!     .dispatcher()
//!     .block_on(&env, std::pin::pin!(async { out = Some(handle.as_mut().await) }));
//! assert_eq!(out.unwrap().unwrap(), 42);
//! owner.close_and_shutdown_all();
//! owner.dispatcher().shutdown();
//! //! ```

mod current_thread;
mod deterministic;
mod env;
mod every;
#[doc(hidden)]
pub mod metrics;
mod multi_thread;
mod park;
mod scheduler;

pub use current_thread::CurrentThread;
pub use deterministic::Deterministic;
pub use env::Env;
pub use metrics::{SchedulerMetrics, WorkerMetrics};
pub use multi_thread::MultiThread;
pub use park::{Park, ThreadPark};
pub use scheduler::Scheduler;
pub use weft_task::{Dispatch, Hint};

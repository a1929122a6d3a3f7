//! weft's schedulers: who runs which task, on which thread, and when.
//!
//! - [`Scheduler`]: the public trait every scheduler implements, the built-in ones
//!   included (there is no back door), so a user's scheduler is a first-class citizen.
//! - [`MultiThread`]: the default work-stealing scheduler (per-worker local queues and LIFO
//!   slot, a global injection queue, steal-half, a bounded number of searching workers,
//!   park/unpark that loses no wake-up).
//! - [`CurrentThread`]: runs every task on the thread that calls `block_on`.
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
//! use weft_sched::{Env, Hint, MultiThread, Scheduler, ThreadPark};
//! use weft_task::{Runnable, Schedule, Task};
//!
//! #[derive(Clone)]
//! struct Rt(Arc<MultiThread>);
//! impl Schedule for Rt {
//!     fn schedule(&self, task: Runnable) { self.0.schedule(task, Hint::Wake) }
//!     fn yield_now(&self, task: Runnable) { self.0.schedule(task, Hint::Yield) }
//!     fn release(&self, _: &Task) -> Option<Task> { None }
//! }
//!
//! let sched = Arc::new(MultiThread::new(2));
//! let env = Env::new(Arc::new(ThreadPark::new()));
//! sched.start(&env).unwrap();
//!
//! let (_task, runnable, handle) = weft_task::spawn(async { 21 * 2 }, Rt(sched.clone()), None);
//! sched.schedule(runnable, Hint::Spawn);
//! let mut handle = std::pin::pin!(handle);
//! let mut out = None;
//! sched.block_on(&env, std::pin::pin!(async { out = Some(handle.as_mut().await) }));
//! assert_eq!(out.unwrap().unwrap(), 42);
//! sched.shutdown();
//! ```

mod current_thread;
mod env;
mod multi_thread;
mod park;
mod scheduler;

pub use current_thread::CurrentThread;
pub use env::Env;
pub use multi_thread::MultiThread;
pub use park::{Park, ThreadPark};
pub use scheduler::{Hint, Scheduler};

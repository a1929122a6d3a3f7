//! weft's blocking pool: the threads behind `spawn_blocking`, for work that would stall a
//! scheduler's worker (blocking system calls, CPU-heavy loops, synchronous libraries).
//!
//! This crate owns [`BlockingPool`] (threads started on demand up to a limit, retired after a
//! keep-alive without work, jobs cancelled or waited for at shutdown) and [`Spawner`] (how it
//! starts its threads). It is not a scheduler: it runs each job once, to its end, on a thread
//! of its own. Jobs are `weft_task` tasks, so a job's [`JoinHandle`](weft_task::JoinHandle)
//! is awaited like any other task's.
//!
//! ```
//! use std::time::Duration;
//! use weft_blocking::{BlockingPool, Spawner};
//!
//! let pool = BlockingPool::new(Spawner::default(), 4, Duration::from_secs(10));
//! let job = pool.spawn(|| std::fs::metadata("/").is_ok());
//! # let _ = job;
//! pool.shutdown(None);
//! ```

mod job;
mod pool;
mod spawner;

pub use pool::{BlockingMetrics, BlockingPool};
pub use spawner::Spawner;

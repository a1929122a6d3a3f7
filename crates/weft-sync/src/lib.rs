//! weft's async synchronisation: locks, signals, channels and asyncio's `Queue`, for tasks
//! that share state or hand work to each other.
//!
//! Everything here is **runtime-agnostic**: it depends on no scheduler, timer or reactor, only
//! on `std::task::Waker`, so it works on weft, on any other executor, and under loom (its
//! atomics, locks and cells come from `weft_core::loom`). Users reach it as `weft::sync`.
//!
//! Every waiting operation is a future that is **cancellation-safe**: dropping it at any
//! point leaves no waiter behind and loses nothing. A permit, a lock, a notification or a
//! message that had already been handed to a future that is then dropped is passed on to the
//! next waiter. Waiting allocates nothing per wait: every primitive keeps its waiters in one
//! slab-backed FIFO inside its own lock (`src/waiters.rs`).
//!
//! # From asyncio
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.Lock` | [`Mutex`] (holds the data it protects) |
//! | `asyncio.Semaphore(n)` | [`Semaphore`] |
//! | `asyncio.Event` | [`Event`] |
//! | `asyncio.Condition` | [`Condition`] |
//! | `asyncio.Barrier` | [`Barrier`] |
//! | a `Future` several coroutines await | [`OnceCell`] (`set` once, `wait().await` many times) |
//! | `asyncio.Queue`, `LifoQueue`, `PriorityQueue` | [`Queue`], [`LifoQueue`], [`PriorityQueue`] |
//! | (no asyncio twin) | [`oneshot`], [`mpsc`], [`broadcast`], [`watch`], [`Notify`], [`RwLock`] |

mod blocking;
mod then;
mod waiters;

// ---- locks: semaphore.rs, mutex.rs, rwlock.rs, condition.rs --------------------------------
mod condition;
mod mutex;
mod rwlock;
mod semaphore;
pub use condition::Condition;
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use rwlock::{
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

// ---- signals: notify.rs, event.rs, barrier.rs, once_cell.rs ---------------------------------
mod barrier;
mod event;
mod notify;
mod once_cell;
pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use event::{Event, EventWait};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};

// ---- channels: oneshot.rs, mpsc/ --------------------------------------------------------------
pub mod mpsc;
pub mod oneshot;

// ---- channels: broadcast.rs, watch.rs ---------------------------------------------------------
pub mod broadcast;
pub mod watch;

// ---- asyncio's queues: queue/ -------------------------------------------------------------------
pub mod queue;
pub use queue::{LifoQueue, PriorityQueue, Queue};

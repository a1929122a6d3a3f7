//! The run queues of weft's multi-thread scheduler: a fixed per-worker work-stealing ring and the
//! global injection queue.
//!
//! # Design
//!
//! Each worker owns a **local queue** made by [`local`]: a [`Local`] handle that only its worker
//! uses (push to the back, pop from the front) and cloneable [`Steal`] handles through which
//! idle workers take work from it. All tasks that do not fit, and tasks spawned from outside the
//! runtime, go to the shared [`Inject`] queue.
//!
//! ## The ring
//!
//! A local queue is a ring of [`LOCAL_QUEUE_CAPACITY`] slots (`UnsafeCell<MaybeUninit<T>>`,
//! allocated once) plus two atomics:
//!
//! ```text
//!   head: AtomicU64 = (steal: u32) << 32 | (real: u32)        tail: AtomicU32
//!
//!   positions:  ... steal ........ real ................ tail ...
//!                     [ in flight to ][   queued items    ][ free ...
//!                     [   a thief    ]
//! ```
//!
//! Positions are `u32` counters that grow with wrapping arithmetic (a position's slot is
//! `pos % LOCAL_QUEUE_CAPACITY`), so wrap-around happens every 2³² operations and is handled.
//! `tail` is stored only by the owner. `real` is the front of the queue; `steal` trails it only
//! while a thief copies a batch out. The owner may reuse a slot only when
//! `tail - steal < LOCAL_QUEUE_CAPACITY`, so it never overwrites a slot a thief is reading.
//! A push never allocates and never takes a lock.
//!
//! ## Stealing
//!
//! [`Steal::steal_into`] runs a three-step protocol:
//!
//! 1. **Claim**: with `steal == real`, one compare-and-swap moves only `real` forward by
//!    `ceil(len / 2)`. The owner's pops now start after the batch, and any other thief sees
//!    `steal != real` and goes elsewhere (one steal at a time per queue).
//! 2. **Copy**: the batch moves, slot by slot, into the thief's own queue past its `tail`,
//!    unpublished.
//! 3. **Commit**: a compare-and-swap sets `steal = real` (retrying if the owner popped in the
//!    meantime), handing the slots back to the owner. The thief then publishes all but the
//!    newest stolen item with its own `tail` and returns that one to run at once.
//!
//! ## Overflow
//!
//! When [`Local::push_back`] finds the ring full (or full only because a thief is mid-steal),
//! the new task goes to the [`Inject`] queue and the ring keeps what it holds. A worker with a
//! full ring still shares its backlog: idle workers steal half of it.
//!
//! tokio's queue moves the front half of the ring to the global queue instead, and so did
//! this one. That sends a worker's *oldest* tasks behind the whole global backlog: in the
//! benchmark's `timers` row (100,000 tasks spawned at once, each registering a sleep at its
//! first poll) the timer wake-ups kept filling the rings, each overflow pushed 128 first polls
//! to the back of a global queue tens of thousands long, and about 65,000 timers had fired
//! before the last task got its first poll (smol: 11,000; keeping the ring: 21,000, counted
//! by a scratch driver). `cargo xtask bench --filter timers`, alternating the two builds:
//! weft/smol 1.24 before, 1.03 after; the spawn rows did not move beyond their noise.
//!
//! ## Loom
//!
//! Every atomic, cell and `Arc` comes from `weft_core::loom`, so building with
//! `RUSTFLAGS="--cfg weft_loom"` puts the whole queue under the loom model checker; the ring is
//! then 4 slots, and [`Inject`]'s mutex and length are loom's. The models are in
//! `tests/loom_queue.rs`:
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-queue --test loom_queue --target-dir target/loom
//! ```
//!
//! # Example
//!
//! A worker's search for work: its own queue first, then the global queue, then the others.
//!
//! ```
//! use weft_queue::{local, Inject, Local, Steal};
//!
//! fn find_task<T>(me: usize, mine: &mut Local<T>, inject: &Inject<T>, all: &[Steal<T>]) -> Option<T> {
//!     mine.pop()
//!         .or_else(|| inject.pop())
//!         .or_else(|| {
//!             let mut others = all.iter().enumerate().filter(|&(i, _)| i != me);
//!             others.find_map(|(_, victim)| victim.steal_into(mine))
//!         })
//! }
//!
//! let inject = Inject::new();
//! let (mut busy, busy_steal) = local();
//! let (mut idle, idle_steal) = local();
//! let all = [busy_steal, idle_steal];
//! for task in 0..6 {
//!     busy.push_back(task, &inject);
//! }
//!
//! // The idle worker (index 1) has nothing and the global queue is empty: it steals half.
//! assert_eq!(find_task(1, &mut idle, &inject, &all), Some(2));
//! assert_eq!(idle.len(), 2);
//! assert_eq!(busy.len(), 3);
//! assert_eq!(find_task(0, &mut busy, &inject, &all), Some(3));
//! ```

mod inject;
mod inner;
mod local;
mod steal;

#[cfg(all(test, not(weft_loom)))]
mod tests;

pub use inject::Inject;
pub use local::{Local, Pushed};
pub use steal::Steal;

use weft_core::loom::sync::Arc;

/// Capacity of a worker's local ring: 256 slots (4 when built for loom, to keep the model
/// checker's state space small). A power of two.
///
/// ```
/// use weft_queue::{local, Inject, LOCAL_QUEUE_CAPACITY};
///
/// let (mut queue, _steal) = local();
/// let inject = Inject::new();
/// for i in 0..LOCAL_QUEUE_CAPACITY {
///     queue.push_back(i, &inject);
/// }
/// assert_eq!(queue.remaining_slots(), 0);
/// assert!(inject.is_empty());
/// ```
#[cfg(not(weft_loom))]
pub const LOCAL_QUEUE_CAPACITY: usize = 256;

/// Capacity of a worker's local ring: 4 under loom (256 in a normal build).
#[cfg(weft_loom)]
pub const LOCAL_QUEUE_CAPACITY: usize = 4;

/// Creates a worker's local queue: the owner's [`Local`] half and the [`Steal`] half that other
/// workers clone and steal through.
///
/// ```
/// use weft_queue::{local, Inject};
///
/// let (mut owner, thief) = local();
/// owner.push_back(1, &Inject::new());
/// assert_eq!(thief.len(), 1);
/// assert_eq!(owner.pop(), Some(1));
/// assert!(thief.is_empty());
/// ```
pub fn local<T>() -> (Local<T>, Steal<T>) {
    local_starting_at(0)
}

/// [`local`] with every index starting at `start` (tests start close to `u32::MAX` to exercise
/// index wrap-around).
fn local_starting_at<T>(start: u32) -> (Local<T>, Steal<T>) {
    let inner = Arc::new(inner::Inner::new(start));
    (Local::new(Arc::clone(&inner)), Steal::new(inner))
}

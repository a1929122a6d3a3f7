//! [`Barrier`]: asyncio's `Barrier`, `n` tasks wait for each other, then all go on.
//!
//! # Protocol
//!
//! One shim [`Mutex`] guards the count of tasks that have arrived in the current
//! generation, the generation number and the [`WaitList`] (each waiter tagged with its
//! generation).
//!
//! - A waiter's first poll locks and counts itself in. The `n`-th is the *leader*: it
//!   resets the count, bumps the generation and notifies every waiter of the old
//!   generation (a prefix of the list, since tasks of the next generation are pushed at the
//!   back), in batches woken outside the lock. The others push themselves and wait.
//! - A waiter dropped before its generation completed takes itself out of the count, as if
//!   it had never arrived (tokio keeps it counted; we prefer that a cancelled task cannot
//!   release the others early). One dropped after being released changes nothing.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::Mutex;

use crate::waiters::{Cancelled, Key, WaitList, WakeList};

/// asyncio's `Barrier`: [`wait`](Barrier::wait) blocks until `n` tasks are waiting, then
/// releases them all; exactly one of them is told it is the leader. Reusable: the next `n`
/// waiters form the next generation.
///
/// ```
/// use std::sync::Arc;
/// use weft::sync::Barrier;
///
/// weft::run(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let barrier = barrier.clone();
///             weft::spawn(async move { barrier.wait().await.is_leader() })
///         })
///         .collect();
///     let mut leaders = 0;
///     for t in tasks {
///         leaders += t.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1);
/// });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

struct State {
    arrived: usize,
    generation: u64,
    waiters: WaitList<u64>,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .finish()
    }
}

impl Barrier {
    /// A barrier for `n` tasks. `n == 0` behaves as `1` (every waiter passes at once and
    /// leads), as in tokio.
    ///
    /// ```
    /// use weft::sync::Barrier;
    ///
    /// weft::run(async {
    ///     let barrier = Barrier::new(1);
    ///     assert!(barrier.wait().await.is_leader());
    /// });
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Waits until `n` tasks wait; the last to arrive is the leader.
    ///
    /// Cancellation: dropping the future before the barrier opens takes this task out of
    /// the count again.
    ///
    /// ```
    /// use weft::sync::Barrier;
    ///
    /// weft::run(async {
    ///     let barrier = Barrier::new(2);
    ///     let (a, b) = weft::join!(barrier.wait(), barrier.wait());
    ///     assert!(a.is_leader() != b.is_leader());
    /// });
    /// ```
    #[track_caller]
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
            location: Location::caller(),
        }
    }
}

/// The future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless polled"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<Key>,
    /// The `wait()` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("arrived", &self.key.is_some())
            .finish()
    }
}

/// What [`Barrier::wait`] returns: whether this task is the generation's leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// `true` for exactly one task of each generation (the last to arrive).
    ///
    /// ```
    /// use weft::sync::Barrier;
    ///
    /// weft::run(async {
    ///     assert!(Barrier::new(1).wait().await.is_leader());
    /// });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let poll = this.poll_wait(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::Barrier, this.location, None, 0);
        }
        poll
    }
}

impl BarrierWait<'_> {
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self;
        let barrier = this.barrier;
        let mut state = barrier.state.lock();
        if let Some(key) = this.key.take() {
            return match state.waiters.poll(key, cx.waker()) {
                Ok(_) => Poll::Ready(BarrierWaitResult(false)),
                Err(key) => {
                    this.key = Some(key);
                    Poll::Pending
                }
            };
        }
        state.arrived += 1;
        if state.arrived < barrier.n {
            let generation = state.generation;
            this.key = Some(state.waiters.push_back(cx.waker(), generation));
            return Poll::Pending;
        }
        // The leader: open the barrier for this generation.
        let generation = state.generation;
        state.arrived = 0;
        state.generation += 1;
        let mut wakes = WakeList::new();
        loop {
            if state.waiters.front().is_none_or(|&g| g > generation) {
                break;
            }
            while let Some(&g) = state.waiters.front() {
                if g > generation || wakes.is_full() {
                    break;
                }
                let waker = state.waiters.notify_front();
                wakes.push(waker.expect("a front entry exists"));
            }
            drop(state);
            wakes.wake_all();
            state = barrier.state.lock();
        }
        drop(state);
        Poll::Ready(BarrierWaitResult(true))
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut state = self.barrier.state.lock();
            if let Cancelled::Waiting(_) = state.waiters.cancel(key) {
                // Still in the generation it arrived in: un-arrive.
                state.arrived -= 1;
            }
        }
    }
}

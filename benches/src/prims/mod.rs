//! The synchronisation primitives the workloads use, behind one small trait per primitive,
//! and the implementations of those traits for every library the report compares.
//!
//! Two kinds of rows use them, and each row's note says which it is:
//!
//! - **Scheduler rows** (`channel`, `mutex`, `ping_pong`, and every workload's end-of-run
//!   signal, [`Latch`]) use the same runtime-agnostic crates on every runtime
//!   ([`AgnosticChannel`] = `async-channel`, [`AgnosticMutex`] = `async-lock`,
//!   [`AgnosticOneshot`] = `futures-channel`'s oneshot), named directly in the workload, so
//!   they measure the schedulers and nothing else.
//! - **Primitive rows** (`sync_*`) pair each runtime with its own primitives, named by the
//!   associated types of its [`Rt`](crate::rt::Rt) impl (`type Channel = ..;` and so on,
//!   one line each): weft with `weft::sync` ([`weft`]), tokio with `tokio::sync`
//!   ([`tokio`]), smol with `async-channel`, `async-lock` and `futures-channel`'s oneshot
//!   (smol's own choice of crates: it has no oneshot of its own). The channel rows add a
//!   fourth pairing, weft's runtime with [`flume`]'s channels, so that weft's channels are
//!   also compared with another channel on the same scheduler.
//!
//! Adding a library is an impl of the traits below for its types (a few lines each, see
//! [`tokio`]); switching a runtime to it is one line per primitive in its `rt/*.rs`.

pub mod flume;
pub mod tokio;
pub mod weft;

use std::future::Future;
use std::ops::DerefMut;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A bounded multi-producer channel.
pub trait Channel: 'static {
    /// The sending half (cloneable).
    type Tx<T: Send + 'static>: ChanTx<T>;
    /// The receiving half.
    type Rx<T: Send + 'static>: ChanRx<T>;
    /// A channel holding at most `cap` messages.
    fn bounded<T: Send + 'static>(cap: usize) -> (Self::Tx<T>, Self::Rx<T>);
}

/// The sending half of a [`Channel`].
pub trait ChanTx<T>: Clone + Send + Sync + 'static {
    /// Sends `value`, waiting for room; `false` if the receiver is gone.
    fn send(&self, value: T) -> impl Future<Output = bool> + Send + '_;
}

/// The receiving half of a [`Channel`] or an [`Unbounded`] channel.
pub trait ChanRx<T>: Send + 'static {
    /// The next message; `None` once every sender is gone and the channel is empty.
    fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_;
}

/// An unbounded multi-producer channel: sending never waits.
pub trait Unbounded: 'static {
    /// The sending half (cloneable).
    type Tx<T: Send + 'static>: UnboundedTx<T>;
    /// The receiving half.
    type Rx<T: Send + 'static>: ChanRx<T>;
    /// A new unbounded channel.
    fn unbounded<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>);
}

/// The sending half of an [`Unbounded`] channel.
pub trait UnboundedTx<T>: Clone + Send + Sync + 'static {
    /// Sends `value` at once; `false` if the receiver is gone.
    fn send(&self, value: T) -> bool;
}

/// An async mutex.
pub trait AsyncMutex<T: Send + 'static>: Send + Sync + 'static {
    /// What [`lock`](AsyncMutex::lock) hands out.
    type Guard<'a>: DerefMut<Target = T> + Send
    where
        Self: 'a;
    /// A mutex around `value`.
    fn new(value: T) -> Self;
    /// Waits for the lock.
    fn lock(&self) -> impl Future<Output = Self::Guard<'_>> + Send + '_;
}

/// An async counting semaphore.
pub trait AsyncSemaphore: Send + Sync + 'static {
    /// What [`acquire`](AsyncSemaphore::acquire) hands out: one permit, given back on drop.
    type Permit<'a>: Send
    where
        Self: 'a;
    /// A semaphore with `permits` permits.
    fn new(permits: usize) -> Self;
    /// Waits for one permit (panics if the semaphore was closed: no workload closes one).
    fn acquire(&self) -> impl Future<Output = Self::Permit<'_>> + Send + '_;
}

/// A one-shot channel: one value, sent once.
pub trait Oneshot: 'static {
    /// The sending half.
    type Tx<T: Send + 'static>: OneshotTx<T>;
    /// The receiving half: a future of the value (`None` if the sender was dropped).
    type Rx<T: Send + 'static>: Future<Output = Option<T>> + Send + 'static;
    /// A new one-shot channel.
    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>);
}

/// The sending half of a [`Oneshot`].
pub trait OneshotTx<T>: Send + 'static {
    /// Sends `value` (dropped if the receiver is gone).
    fn send(self, value: T);
}

/// A future that maps a `Result<T, E>` output to `Option<T>`: the receiving half of the
/// [`Oneshot`] impls whose receivers resolve to a `Result`.
#[derive(Debug)]
pub struct OkRx<F>(F);

impl<F> OkRx<F> {
    /// Wraps `rx`.
    pub fn new(rx: F) -> OkRx<F> {
        OkRx(rx)
    }
}

impl<T, E, F> Future for OkRx<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    type Output = Option<T>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

// ---- the runtime-agnostic implementations -------------------------------------------------

/// `async_channel::bounded`, the same for every runtime in the scheduler rows; smol's own
/// in the primitive rows.
#[derive(Debug)]
pub struct AgnosticChannel;

impl Channel for AgnosticChannel {
    type Tx<T: Send + 'static> = async_channel::Sender<T>;
    type Rx<T: Send + 'static> = async_channel::Receiver<T>;

    fn bounded<T: Send + 'static>(cap: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        async_channel::bounded(cap)
    }
}

impl<T: Send + 'static> ChanTx<T> for async_channel::Sender<T> {
    async fn send(&self, value: T) -> bool {
        async_channel::Sender::send(self, value).await.is_ok()
    }
}

impl<T: Send + 'static> ChanRx<T> for async_channel::Receiver<T> {
    async fn recv(&mut self) -> Option<T> {
        async_channel::Receiver::recv(self).await.ok()
    }
}

/// `async_channel::unbounded`.
#[derive(Debug)]
pub struct AgnosticUnbounded;

impl Unbounded for AgnosticUnbounded {
    type Tx<T: Send + 'static> = async_channel::Sender<T>;
    type Rx<T: Send + 'static> = async_channel::Receiver<T>;

    fn unbounded<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        async_channel::unbounded()
    }
}

impl<T: Send + 'static> UnboundedTx<T> for async_channel::Sender<T> {
    fn send(&self, value: T) -> bool {
        // An unbounded channel is never full: this fails only once the receiver is gone.
        async_channel::Sender::try_send(self, value).is_ok()
    }
}

/// `async_lock::Mutex`, the same for every runtime in the scheduler rows.
pub type AgnosticMutex<T> = async_lock::Mutex<T>;

impl<T: Send + 'static> AsyncMutex<T> for async_lock::Mutex<T> {
    type Guard<'a> = async_lock::MutexGuard<'a, T>;

    fn new(value: T) -> Self {
        async_lock::Mutex::new(value)
    }

    fn lock(&self) -> impl Future<Output = Self::Guard<'_>> + Send + '_ {
        async_lock::Mutex::lock(self)
    }
}

/// `async_lock::Semaphore`.
pub type AgnosticSemaphore = async_lock::Semaphore;

impl AsyncSemaphore for async_lock::Semaphore {
    type Permit<'a> = async_lock::SemaphoreGuard<'a>;

    fn new(permits: usize) -> Self {
        async_lock::Semaphore::new(permits)
    }

    fn acquire(&self) -> impl Future<Output = Self::Permit<'_>> + Send + '_ {
        async_lock::Semaphore::acquire(self)
    }
}

/// `futures_channel::oneshot`, the same for every runtime (and smol's in the primitive rows).
#[derive(Debug)]
pub struct AgnosticOneshot;

/// The receiving half of [`AgnosticOneshot`]: `None` when the sender was dropped.
pub type OneshotRx<T> = OkRx<futures_channel::oneshot::Receiver<T>>;

impl Oneshot for AgnosticOneshot {
    type Tx<T: Send + 'static> = futures_channel::oneshot::Sender<T>;
    type Rx<T: Send + 'static> = OneshotRx<T>;

    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        let (tx, rx) = futures_channel::oneshot::channel();
        (tx, OkRx(rx))
    }
}

impl<T: Send + 'static> OneshotTx<T> for futures_channel::oneshot::Sender<T> {
    fn send(self, value: T) {
        let _ = futures_channel::oneshot::Sender::send(self, value);
    }
}

// ---- the completion latch ----------------------------------------------------------------

/// Counts `n` completions down and fires a one-shot at zero: how a workload learns that its
/// last task has finished (tokio's benchmarks use the same counter-and-signal shape). The
/// one-shot is always [`AgnosticOneshot`], whatever the runtime, so the signal costs every
/// runtime the same.
pub struct Latch {
    left: AtomicUsize,
    done: Mutex<Option<futures_channel::oneshot::Sender<()>>>,
}

impl Latch {
    /// A latch for `n` completions (at least 1) and the future that resolves at zero.
    pub fn new(n: usize) -> (Arc<Latch>, OneshotRx<()>) {
        assert!(n > 0, "a latch needs at least one completion");
        let (tx, rx) = AgnosticOneshot::channel();
        let latch = Latch {
            left: AtomicUsize::new(n),
            done: Mutex::new(Some(tx)),
        };
        (Arc::new(latch), rx)
    }

    /// One completion; the last one fires the one-shot.
    pub fn count_down(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let tx = self.done.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(tx) = tx {
                OneshotTx::send(tx, ());
            }
        }
    }
}

impl std::fmt::Debug for Latch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latch")
            .field("left", &self.left.load(Ordering::Relaxed))
            .finish()
    }
}

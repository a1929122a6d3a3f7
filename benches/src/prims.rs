//! The synchronisation primitives the workloads use, behind one small trait per primitive.
//!
//! Each runtime names its primitives with one associated type per primitive in its
//! [`Rt`](crate::rt::Rt) impl (`type Channel = AgnosticChannel;` and so on). Today all three
//! runtimes use the same runtime-agnostic crates (`async-channel`, `async-lock`,
//! `futures-channel`'s oneshot), so the scheduler workloads measure the schedulers and nothing
//! else. When weft grows its own channels, switching weft to them is one line in
//! `src/rt/weft.rs` plus an impl of the trait below for weft's types, e.g.:
//!
//! ```ignore
//! pub struct WeftChannel;
//! impl Channel for WeftChannel {
//!     type Tx<T: Send + 'static> = weft::sync::mpsc::Sender<T>;
//!     type Rx<T: Send + 'static> = weft::sync::mpsc::Receiver<T>;
//!     fn bounded<T: Send + 'static>(cap: usize) -> (Self::Tx<T>, Self::Rx<T>) {
//!         weft::sync::mpsc::channel(cap)
//!     }
//! }
//! // + `impl ChanTx<T>` / `impl ChanRx<T>` for the two halves (two methods).
//! ```

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

/// The receiving half of a [`Channel`].
pub trait ChanRx<T>: Send + 'static {
    /// The next message; `None` once every sender is gone and the channel is empty.
    fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_;
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

/// A one-shot channel: one value, sent once.
pub trait Oneshot: 'static {
    /// The sending half.
    type Tx<T: Send + 'static>: OneshotTx<T>;
    /// The receiving half: a future of the value (`None` if the sender was dropped).
    type Rx<T: Send + 'static>: Future<Output = Option<T>> + Send + Unpin + 'static;
    /// A new one-shot channel.
    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>);
}

/// The sending half of a [`Oneshot`].
pub trait OneshotTx<T>: Send + 'static {
    /// Sends `value` (dropped if the receiver is gone).
    fn send(self, value: T);
}

// ---- the runtime-agnostic implementations -------------------------------------------------

/// `async_channel::bounded`, the same for every runtime.
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

/// `async_lock::Mutex`, the same for every runtime.
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

/// `futures_channel::oneshot`, the same for every runtime.
#[derive(Debug)]
pub struct AgnosticOneshot;

/// The receiving half of [`AgnosticOneshot`]: `None` when the sender was dropped.
#[derive(Debug)]
pub struct OneshotRx<T>(futures_channel::oneshot::Receiver<T>);

impl<T> Future for OneshotRx<T> {
    type Output = Option<T>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<T>> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(Result::ok)
    }
}

impl Oneshot for AgnosticOneshot {
    type Tx<T: Send + 'static> = futures_channel::oneshot::Sender<T>;
    type Rx<T: Send + 'static> = OneshotRx<T>;

    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        let (tx, rx) = futures_channel::oneshot::channel();
        (tx, OneshotRx(rx))
    }
}

impl<T: Send + 'static> OneshotTx<T> for futures_channel::oneshot::Sender<T> {
    fn send(self, value: T) {
        let _ = futures_channel::oneshot::Sender::send(self, value);
    }
}

// ---- the completion latch ----------------------------------------------------------------

/// Counts `n` completions down and fires a one-shot at zero: how a workload learns that its
/// last task has finished (tokio's benchmarks use the same counter-and-signal shape).
pub struct Latch<O: Oneshot> {
    left: AtomicUsize,
    done: Mutex<Option<O::Tx<()>>>,
}

impl<O: Oneshot> Latch<O> {
    /// A latch for `n` completions (at least 1) and the future that resolves at zero.
    pub fn new(n: usize) -> (Arc<Latch<O>>, O::Rx<()>) {
        assert!(n > 0, "a latch needs at least one completion");
        let (tx, rx) = O::channel();
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
                tx.send(());
            }
        }
    }
}

impl<O: Oneshot> std::fmt::Debug for Latch<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latch")
            .field("left", &self.left.load(Ordering::Relaxed))
            .finish()
    }
}

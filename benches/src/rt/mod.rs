//! The runtimes under test, behind one trait: every workload is written once, generic over
//! [`Rt`], and runs unchanged on weft, tokio and smol.
//!
//! | | weft | tokio | smol |
//! |---|---|---|---|
//! | scheduler | `weft::runtime::Builder::new_multi_thread()` | `tokio::runtime::Builder::new_multi_thread()` | one `async_executor::Executor` run by N threads (`async_io::block_on(ex.run(..))`) |
//! | workers | `worker_threads(N)` | `worker_threads(N)` | N threads |
//! | `block_on` | `Runtime::block_on` (caller's thread) | `Runtime::block_on` (caller's thread) | `futures_lite::future::block_on` (caller's thread; it does not drive the reactor) |
//! | timers | `weft::time` | `tokio::time` | `async_io::Timer` |
//! | TCP | `weft::net` | `tokio::net` | `async_io::Async<std::net::*>` |
//! | own primitives (`sync_*` rows) | `weft::sync` | `tokio::sync` | `async-channel`, `async-lock`, `futures-channel`'s oneshot |
//!
//! In every runtime the `block_on` thread is not a worker; the workloads that spawn "from a
//! task" first spawn one task and do their spawning inside it, so they spawn from a worker.
//!
//! Beside the three, [`TokioCurrent`] is tokio's current-thread runtime, where the
//! `block_on` thread is the only thread and runs every task: not a contestant, a reference
//! on one thread for the `channel` and `ping_pong` rows (their
//! [extra pairing](crate::workloads::Extra)).

mod smol;
mod tokio;
mod weft;

pub use self::smol::{Smol, SmolTcp};
pub use self::tokio::{Tokio, TokioCurrent, TokioTcp};
pub use self::weft::Weft;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::prims::{AsyncMutex, AsyncSemaphore, Channel, Oneshot, Unbounded};

/// A runtime under test: construction, spawning, timers, and its choice of primitives.
pub trait Rt: Sized + Send + Sync + 'static {
    /// The name in the report: `weft`, `tokio` or `smol`.
    const NAME: &'static str;
    /// How [`Rt::join_all`] joins (the report says it under `fan_out_fan_in`).
    const JOIN_ALL: &'static str;

    /// A join handle whose output is the task's output (a panic in a task panics here).
    type Join<T: Send + 'static>: Future<Output = T> + Send + 'static;
    /// The runtime's own primitives, in a few words for the report's notes, e.g.
    /// `tokio::sync`.
    const PRIMS: &'static str;
    /// The runtime's own bounded mpsc channel (the `sync_*` rows; the scheduler rows use
    /// [`AgnosticChannel`](crate::prims::AgnosticChannel) on every runtime, see
    /// [`prims`](crate::prims)).
    type Channel: Channel;
    /// The runtime's own unbounded mpsc channel.
    type Unbounded: Unbounded;
    /// The runtime's own async mutex.
    type Mutex<T: Send + 'static>: AsyncMutex<T>;
    /// The runtime's own semaphore.
    type Semaphore: AsyncSemaphore;
    /// The runtime's own one-shot channel.
    type Oneshot: Oneshot;
    /// TCP sockets.
    type Tcp: Tcp;

    /// A multi-thread runtime with `workers` worker threads and timers (and I/O) enabled.
    fn build(workers: usize) -> Self;

    /// Runs `future` to completion on the calling thread (not a worker).
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Runs `future` as a task of the runtime (so on a worker) and waits for it from the
    /// calling thread: what every "from a task" workload does.
    fn block_on_task<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.block_on(async move { Self::spawn(future).await })
    }

    /// Spawns from inside the runtime (a task or `block_on`).
    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns from inside the runtime and forgets the handle (the task runs on).
    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Spawns from a thread outside the runtime, through the runtime's handle.
    fn spawn_remote_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Yields to the scheduler once.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// Sleeps for `duration` on the runtime's own timers.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;

    /// `future` with a deadline of `duration` on the runtime's own timers; `None` on time-out.
    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
        F::Output: Send;

    /// Waits for every handle, outputs in order ([`Rt::JOIN_ALL`] says how).
    fn join_all<T: Send + 'static>(
        handles: Vec<Self::Join<T>>,
    ) -> impl Future<Output = Vec<T>> + Send;
}

/// TCP for the `tcp_echo` workload: just what an echo needs.
///
/// Adding weft is an impl of this trait for weft's socket types (a few lines, see
/// [`SmolTcp`], which wraps futures-io types as `weft::net` will) and one line in
/// `src/rt/weft.rs`: `type Tcp = WeftTcp;`.
pub trait Tcp: 'static {
    /// A listening socket.
    type Listener: Send + Sync + 'static;
    /// A connected stream (`TCP_NODELAY` set).
    type Stream: Send + 'static;
    /// Binds a listener (inside the runtime).
    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;
    /// The address the listener is bound to.
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;
    /// Accepts one connection.
    fn accept(
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send + '_;
    /// Connects to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;
    /// Reads some bytes (0 at end of stream).
    fn read<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;
    /// Fills `buf` exactly.
    fn read_exact<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;
    /// Writes all of `buf`.
    fn write_all<'a>(
        stream: &'a mut Self::Stream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;
}

/// Which runtime, for the harness's dispatch and the report's columns (in column order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// weft.
    Weft,
    /// tokio.
    Tokio,
    /// smol.
    Smol,
}

impl Which {
    /// The three, in the report's column order.
    pub const ALL: [Which; 3] = [Which::Weft, Which::Tokio, Which::Smol];

    /// The runtime's name.
    pub fn name(self) -> &'static str {
        match self {
            Which::Weft => Weft::NAME,
            Which::Tokio => Tokio::NAME,
            Which::Smol => Smol::NAME,
        }
    }

    /// The runtime called `name`.
    pub fn from_name(name: &str) -> Option<Which> {
        Which::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// One built runtime of each kind, alive for one workload's repetitions.
#[derive(Debug)]
pub struct Runtimes {
    /// weft.
    pub weft: Weft,
    /// tokio.
    pub tokio: Tokio,
    /// smol.
    pub smol: Smol,
    /// tokio's current-thread runtime, for the extra pairing of `channel` and `ping_pong`
    /// (no threads of its own: it costs nothing while the others run).
    pub tokio_current: TokioCurrent,
}

impl Runtimes {
    /// Builds all three with `workers` workers each, and tokio's current-thread runtime.
    pub fn build(workers: usize) -> Runtimes {
        Runtimes {
            weft: Weft::build(workers),
            tokio: Tokio::build(workers),
            smol: Smol::build(workers),
            tokio_current: TokioCurrent::build(1),
        }
    }
}

/// Calls a generic workload function on the runtime `which` of `rts`:
/// `on_runtime!(rts, which, workloads::spawn_many_local(&params))` expands to a `match` that
/// calls `workloads::spawn_many_local::<Weft>(&rts.weft, &params)` and so on.
#[macro_export]
macro_rules! on_runtime {
    ($rts:expr, $which:expr, $f:ident $(:: $path:ident)* ($($arg:expr),*)) => {
        match $which {
            $crate::rt::Which::Weft => $f $(:: $path)* (&$rts.weft $(, $arg)*),
            $crate::rt::Which::Tokio => $f $(:: $path)* (&$rts.tokio $(, $arg)*),
            $crate::rt::Which::Smol => $f $(:: $path)* (&$rts.smol $(, $arg)*),
        }
    };
}

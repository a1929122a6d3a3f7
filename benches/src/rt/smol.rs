//! smol: one `async_executor::Executor` run by N threads, `async-io` for timers and sockets —
//! the way smol's own docs build a multi-threaded executor.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use async_executor::{Executor, Task};
use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};

use super::{Rt, Tcp};
use crate::prims::{
    AgnosticChannel, AgnosticMutex, AgnosticOneshot, AgnosticSemaphore, AgnosticUnbounded,
};

thread_local! {
    /// The executor of the thread's runtime: set on its worker threads and inside
    /// `block_on`, so that `Smol::spawn` works from tasks as `tokio::spawn` does.
    static CURRENT: RefCell<Option<Arc<Executor<'static>>>> = const { RefCell::new(None) };
}

/// N threads running one shared `async_executor::Executor`.
#[derive(Debug)]
pub struct Smol {
    ex: Arc<Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Drop for Smol {
    fn drop(&mut self) {
        // Closing the channel ends every `ex.run(..)`.
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn with_current<R>(f: impl FnOnce(&Executor<'static>) -> R) -> R {
    CURRENT.with(|current| {
        let current = current.borrow();
        let ex = current
            .as_ref()
            .expect("Smol::spawn called outside the smol runtime");
        f(ex)
    })
}

/// Sets the thread's current executor until dropped.
struct Enter(Option<Arc<Executor<'static>>>);

impl Enter {
    fn new(ex: &Arc<Executor<'static>>) -> Enter {
        Enter(CURRENT.with(|c| c.borrow_mut().replace(Arc::clone(ex))))
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl Rt for Smol {
    const NAME: &'static str = "smol";
    const JOIN_ALL: &'static str = "`for h in handles { h.await }` (no futures-util)";

    type Join<T: Send + 'static> = Task<T>;
    // smol has no primitives of its own: the crates its ecosystem uses (and smol
    // re-exports, but for the oneshot: futures-channel's).
    const PRIMS: &'static str = "async-channel, async-lock, futures-channel oneshot";
    type Channel = AgnosticChannel;
    type Unbounded = AgnosticUnbounded;
    type Mutex<T: Send + 'static> = AgnosticMutex<T>;
    type Semaphore = AgnosticSemaphore;
    type Oneshot = AgnosticOneshot;
    type Tcp = SmolTcp;

    fn build(workers: usize) -> Smol {
        let ex = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let ex = Arc::clone(&ex);
                let stopped = stopped.clone();
                thread::Builder::new()
                    .name(format!("smol-worker-{i}"))
                    .spawn(move || {
                        let _enter = Enter::new(&ex);
                        async_io::block_on(ex.run(async move {
                            let _ = stopped.recv().await;
                        }));
                    })
                    .expect("starting a smol worker thread")
            })
            .collect();
        Smol {
            ex,
            stop: Some(stop),
            threads,
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = Enter::new(&self.ex);
        // futures-lite's `block_on` only waits, like tokio's and weft's `block_on` thread;
        // `async_io::block_on` would make this thread drive the reactor too, an extra
        // participant the other two runtimes do not get. The workers drive it.
        futures_lite::future::block_on(future)
    }

    fn spawn<F>(future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        with_current(|ex| ex.spawn(future))
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // A dropped smol `Task` cancels its task: detach instead.
        with_current(|ex| ex.spawn(future).detach());
    }

    fn spawn_remote_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.ex.spawn(future).detach();
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        futures_lite::future::yield_now()
    }

    async fn sleep(duration: Duration) {
        Timer::after(duration).await;
    }

    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
        F::Output: Send,
    {
        // smol's idiom (there is no `timeout` in async-io): race the future against a timer.
        // The timer is made here, so the deadline is fixed at the call, as in tokio and weft.
        let timer = Timer::after(duration);
        async move { Some(future.await) }.or(async move {
            timer.await;
            None
        })
    }

    async fn join_all<T: Send + 'static>(handles: Vec<Task<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(handles.len());
        for handle in handles {
            out.push(handle.await);
        }
        out
    }
}

/// `async_io::Async<std::net::{TcpListener, TcpStream}>` with futures-lite's I/O helpers.
#[derive(Debug)]
pub struct SmolTcp;

impl Tcp for SmolTcp {
    type Listener = Async<TcpListener>;
    type Stream = Async<TcpStream>;

    async fn bind(addr: SocketAddr) -> io::Result<Self::Listener> {
        Async::<TcpListener>::bind(addr)
    }
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.get_ref().local_addr()
    }
    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.get_ref().set_nodelay(true)?;
        Ok(stream)
    }
    async fn connect(addr: SocketAddr) -> io::Result<Self::Stream> {
        let stream = Async::<TcpStream>::connect(addr).await?;
        stream.get_ref().set_nodelay(true)?;
        Ok(stream)
    }
    async fn read<'a>(stream: &'a mut Self::Stream, buf: &'a mut [u8]) -> io::Result<usize> {
        stream.read(buf).await
    }
    async fn read_exact<'a>(stream: &'a mut Self::Stream, buf: &'a mut [u8]) -> io::Result<()> {
        stream.read_exact(buf).await
    }
    async fn write_all<'a>(stream: &'a mut Self::Stream, buf: &'a [u8]) -> io::Result<()> {
        stream.write_all(buf).await
    }
}

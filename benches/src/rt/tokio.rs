//! tokio: the multi-thread runtime with the same worker count, and its current-thread
//! runtime as a reference on one thread ([`TokioCurrent`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Rt, Tcp};
use crate::prims::tokio::{TokioChannel, TokioMutex, TokioOneshot, TokioSemaphore, TokioUnbounded};

/// tokio's multi-thread runtime with `worker_threads(N)` and `enable_all()`.
#[derive(Debug)]
pub struct Tokio(tokio::runtime::Runtime);

/// A tokio `JoinHandle` that unwraps the task's result.
#[derive(Debug)]
pub struct TokioJoin<T>(tokio::task::JoinHandle<T>);

impl<T> Future for TokioJoin<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("a tokio benchmark task failed"))
    }
}

impl Rt for Tokio {
    const NAME: &'static str = "tokio";
    const JOIN_ALL: &'static str = "`for h in handles { h.await }` (tokio has no join_all)";

    type Join<T: Send + 'static> = TokioJoin<T>;
    const PRIMS: &'static str = "tokio::sync";
    type Channel = TokioChannel;
    type Unbounded = TokioUnbounded;
    type Mutex<T: Send + 'static> = TokioMutex<T>;
    type Semaphore = TokioSemaphore;
    type Oneshot = TokioOneshot;
    type Tcp = TokioTcp;

    fn build(workers: usize) -> Tokio {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("building the tokio runtime");
        Tokio(rt)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F>(future: F) -> TokioJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoin(tokio::spawn(future))
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(tokio::spawn(future));
    }

    fn spawn_remote_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.0.spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    async fn timeout<F>(duration: Duration, future: F) -> Option<F::Output>
    where
        F: Future + Send,
        F::Output: Send,
    {
        tokio::time::timeout(duration, future).await.ok()
    }

    async fn join_all<T: Send + 'static>(handles: Vec<TokioJoin<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(handles.len());
        for handle in handles {
            out.push(handle.await);
        }
        out
    }
}

/// tokio's current-thread runtime (`Builder::new_current_thread().enable_all()`): the
/// reference on one thread that the `channel` and `ping_pong` rows run beside weft's
/// multi-thread runtime (issue 13 asks weft to be within 1.2x of it there).
///
/// There are no worker threads: every task runs on the thread in [`Rt::block_on`], and only
/// while it drives (so `block_on_task` spawns the task and drives it and everything it
/// spawns there; a task spawned through the handle from outside waits for the next
/// `block_on`). Nothing crosses a thread, so a wake-up is a push to a local queue: the cost
/// a multi-thread scheduler that keeps communicating tasks on one worker can come close to.
/// Spawning, timers, joins and primitives are [`Tokio`]'s.
#[derive(Debug)]
pub struct TokioCurrent(tokio::runtime::Runtime);

impl Rt for TokioCurrent {
    const NAME: &'static str = "tokio current-thread";
    const JOIN_ALL: &'static str = Tokio::JOIN_ALL;

    type Join<T: Send + 'static> = TokioJoin<T>;
    const PRIMS: &'static str = Tokio::PRIMS;
    type Channel = TokioChannel;
    type Unbounded = TokioUnbounded;
    type Mutex<T: Send + 'static> = TokioMutex<T>;
    type Semaphore = TokioSemaphore;
    type Oneshot = TokioOneshot;
    type Tcp = TokioTcp;

    /// The current-thread runtime, whatever `workers` says: its one thread is the caller of
    /// `block_on`.
    fn build(_workers: usize) -> TokioCurrent {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("building the tokio current-thread runtime");
        TokioCurrent(rt)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F>(future: F) -> TokioJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Tokio::spawn(future)
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Tokio::spawn_detached(future);
    }

    fn spawn_remote_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.0.spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        Tokio::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        Tokio::sleep(duration)
    }

    fn timeout<F>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
        F::Output: Send,
    {
        Tokio::timeout(duration, future)
    }

    fn join_all<T: Send + 'static>(
        handles: Vec<TokioJoin<T>>,
    ) -> impl Future<Output = Vec<T>> + Send {
        Tokio::join_all(handles)
    }
}

/// `tokio::net`.
#[derive(Debug)]
pub struct TokioTcp;

impl Tcp for TokioTcp {
    type Listener = tokio::net::TcpListener;
    type Stream = tokio::net::TcpStream;

    async fn bind(addr: SocketAddr) -> io::Result<Self::Listener> {
        tokio::net::TcpListener::bind(addr).await
    }
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }
    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
    async fn connect(addr: SocketAddr) -> io::Result<Self::Stream> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
    async fn read<'a>(stream: &'a mut Self::Stream, buf: &'a mut [u8]) -> io::Result<usize> {
        stream.read(buf).await
    }
    async fn read_exact<'a>(stream: &'a mut Self::Stream, buf: &'a mut [u8]) -> io::Result<()> {
        stream.read_exact(buf).await.map(drop)
    }
    async fn write_all<'a>(stream: &'a mut Self::Stream, buf: &'a [u8]) -> io::Result<()> {
        stream.write_all(buf).await
    }
}

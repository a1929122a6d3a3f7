//! weft: the multi-thread runtime from `weft::runtime::Builder`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::io;
use std::net::SocketAddr;

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};

use super::{Rt, Tcp};
use crate::prims::weft::{WeftChannel, WeftMutex, WeftOneshot, WeftSemaphore, WeftUnbounded};

/// weft's multi-thread runtime with `worker_threads(N)` and `enable_all()`.
#[derive(Debug)]
pub struct Weft(weft::Runtime);

/// A weft `JoinHandle` that unwraps the task's result.
#[derive(Debug)]
pub struct WeftJoin<T>(weft::task::JoinHandle<T>);

impl<T> Future for WeftJoin<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("a weft benchmark task failed"))
    }
}

impl Rt for Weft {
    const NAME: &'static str = "weft";
    const JOIN_ALL: &'static str = "weft::future::join_all(handles)";

    type Join<T: Send + 'static> = WeftJoin<T>;
    // weft's own primitives, one line each (`crate::prims::weft`).
    const PRIMS: &'static str = "weft::sync";
    type Channel = WeftChannel;
    type Unbounded = WeftUnbounded;
    type Mutex<T: Send + 'static> = WeftMutex<T>;
    type Semaphore = WeftSemaphore;
    type Oneshot = WeftOneshot;
    type Tcp = WeftTcp;

    fn build(workers: usize) -> Weft {
        let rt = weft::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("building the weft runtime");
        Weft(rt)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F>(future: F) -> WeftJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        WeftJoin(weft::spawn(future))
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(weft::spawn(future));
    }

    fn spawn_remote_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.0.spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        weft::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        weft::time::sleep(duration)
    }

    async fn timeout<F>(duration: Duration, future: F) -> Option<F::Output>
    where
        F: Future + Send,
        F::Output: Send,
    {
        weft::time::timeout(duration, future).await.ok()
    }

    async fn join_all<T: Send + 'static>(handles: Vec<WeftJoin<T>>) -> Vec<T> {
        weft::future::join_all(handles).await
    }
}

/// `weft::net::{TcpListener, TcpStream}` with `weft::io`'s extension traits.
#[derive(Debug)]
pub struct WeftTcp;

impl Tcp for WeftTcp {
    type Listener = TcpListener;
    type Stream = TcpStream;

    async fn bind(addr: SocketAddr) -> io::Result<Self::Listener> {
        TcpListener::bind(addr).await
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
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
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

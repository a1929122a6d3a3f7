//! `weft::sync`: weft's own channels, mutex, semaphore and oneshot, for the primitive rows.

use std::future::Future;

use super::{
    AsyncMutex, AsyncSemaphore, ChanRx, ChanTx, Channel, OkRx, Oneshot, OneshotTx, Unbounded,
    UnboundedTx,
};

/// `weft::sync::mpsc::channel`.
#[derive(Debug)]
pub struct WeftChannel;

impl Channel for WeftChannel {
    type Tx<T: Send + 'static> = weft::sync::mpsc::Sender<T>;
    type Rx<T: Send + 'static> = weft::sync::mpsc::Receiver<T>;

    fn bounded<T: Send + 'static>(cap: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        weft::sync::mpsc::channel(cap)
    }
}

impl<T: Send + 'static> ChanTx<T> for weft::sync::mpsc::Sender<T> {
    async fn send(&self, value: T) -> bool {
        weft::sync::mpsc::Sender::send(self, value).await.is_ok()
    }
}

impl<T: Send + 'static> ChanRx<T> for weft::sync::mpsc::Receiver<T> {
    fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_ {
        weft::sync::mpsc::Receiver::recv(self)
    }
}

/// `weft::sync::mpsc::unbounded_channel`.
#[derive(Debug)]
pub struct WeftUnbounded;

impl Unbounded for WeftUnbounded {
    type Tx<T: Send + 'static> = weft::sync::mpsc::UnboundedSender<T>;
    type Rx<T: Send + 'static> = weft::sync::mpsc::UnboundedReceiver<T>;

    fn unbounded<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        weft::sync::mpsc::unbounded_channel()
    }
}

impl<T: Send + 'static> UnboundedTx<T> for weft::sync::mpsc::UnboundedSender<T> {
    fn send(&self, value: T) -> bool {
        weft::sync::mpsc::UnboundedSender::send(self, value).is_ok()
    }
}

impl<T: Send + 'static> ChanRx<T> for weft::sync::mpsc::UnboundedReceiver<T> {
    fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_ {
        weft::sync::mpsc::UnboundedReceiver::recv(self)
    }
}

/// `weft::sync::Mutex`.
pub type WeftMutex<T> = weft::sync::Mutex<T>;

impl<T: Send + 'static> AsyncMutex<T> for weft::sync::Mutex<T> {
    type Guard<'a> = weft::sync::MutexGuard<'a, T>;

    fn new(value: T) -> Self {
        weft::sync::Mutex::new(value)
    }

    fn lock(&self) -> impl Future<Output = Self::Guard<'_>> + Send + '_ {
        weft::sync::Mutex::lock(self)
    }
}

/// `weft::sync::Semaphore`.
pub type WeftSemaphore = weft::sync::Semaphore;

impl AsyncSemaphore for weft::sync::Semaphore {
    type Permit<'a> = weft::sync::SemaphorePermit<'a>;

    fn new(permits: usize) -> Self {
        weft::sync::Semaphore::new(permits)
    }

    async fn acquire(&self) -> Self::Permit<'_> {
        weft::sync::Semaphore::acquire(self)
            .await
            .expect("weft semaphore closed")
    }
}

/// `weft::sync::oneshot`.
#[derive(Debug)]
pub struct WeftOneshot;

impl Oneshot for WeftOneshot {
    type Tx<T: Send + 'static> = weft::sync::oneshot::Sender<T>;
    type Rx<T: Send + 'static> = OkRx<weft::sync::oneshot::Receiver<T>>;

    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        let (tx, rx) = weft::sync::oneshot::channel();
        (tx, OkRx::new(rx))
    }
}

impl<T: Send + 'static> OneshotTx<T> for weft::sync::oneshot::Sender<T> {
    fn send(self, value: T) {
        let _ = weft::sync::oneshot::Sender::send(self, value);
    }
}

//! `tokio::sync`: tokio's own channels, mutex, semaphore and oneshot, for the primitive rows.

use std::future::Future;

use super::{
    AsyncMutex, AsyncSemaphore, ChanRx, ChanTx, Channel, OkRx, Oneshot, OneshotTx, Unbounded,
    UnboundedTx,
};

/// `tokio::sync::mpsc::channel`.
#[derive(Debug)]
pub struct TokioChannel;

impl Channel for TokioChannel {
    type Tx<T: Send + 'static> = tokio::sync::mpsc::Sender<T>;
    type Rx<T: Send + 'static> = tokio::sync::mpsc::Receiver<T>;

    fn bounded<T: Send + 'static>(cap: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        tokio::sync::mpsc::channel(cap)
    }
}

impl<T: Send + 'static> ChanTx<T> for tokio::sync::mpsc::Sender<T> {
    async fn send(&self, value: T) -> bool {
        tokio::sync::mpsc::Sender::send(self, value).await.is_ok()
    }
}

impl<T: Send + 'static> ChanRx<T> for tokio::sync::mpsc::Receiver<T> {
    fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_ {
        tokio::sync::mpsc::Receiver::recv(self)
    }
}

/// `tokio::sync::mpsc::unbounded_channel`.
#[derive(Debug)]
pub struct TokioUnbounded;

impl Unbounded for TokioUnbounded {
    type Tx<T: Send + 'static> = tokio::sync::mpsc::UnboundedSender<T>;
    type Rx<T: Send + 'static> = tokio::sync::mpsc::UnboundedReceiver<T>;

    fn unbounded<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        tokio::sync::mpsc::unbounded_channel()
    }
}

impl<T: Send + 'static> UnboundedTx<T> for tokio::sync::mpsc::UnboundedSender<T> {
    fn send(&self, value: T) -> bool {
        tokio::sync::mpsc::UnboundedSender::send(self, value).is_ok()
    }
}

impl<T: Send + 'static> ChanRx<T> for tokio::sync::mpsc::UnboundedReceiver<T> {
    fn recv(&mut self) -> impl Future<Output = Option<T>> + Send + '_ {
        tokio::sync::mpsc::UnboundedReceiver::recv(self)
    }
}

/// `tokio::sync::Mutex`.
pub type TokioMutex<T> = tokio::sync::Mutex<T>;

impl<T: Send + 'static> AsyncMutex<T> for tokio::sync::Mutex<T> {
    type Guard<'a> = tokio::sync::MutexGuard<'a, T>;

    fn new(value: T) -> Self {
        tokio::sync::Mutex::new(value)
    }

    fn lock(&self) -> impl Future<Output = Self::Guard<'_>> + Send + '_ {
        tokio::sync::Mutex::lock(self)
    }
}

/// `tokio::sync::Semaphore`.
pub type TokioSemaphore = tokio::sync::Semaphore;

impl AsyncSemaphore for tokio::sync::Semaphore {
    type Permit<'a> = tokio::sync::SemaphorePermit<'a>;

    fn new(permits: usize) -> Self {
        tokio::sync::Semaphore::new(permits)
    }

    async fn acquire(&self) -> Self::Permit<'_> {
        tokio::sync::Semaphore::acquire(self)
            .await
            .expect("tokio semaphore closed")
    }
}

/// `tokio::sync::oneshot`.
#[derive(Debug)]
pub struct TokioOneshot;

impl Oneshot for TokioOneshot {
    type Tx<T: Send + 'static> = tokio::sync::oneshot::Sender<T>;
    type Rx<T: Send + 'static> = OkRx<tokio::sync::oneshot::Receiver<T>>;

    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (tx, OkRx::new(rx))
    }
}

impl<T: Send + 'static> OneshotTx<T> for tokio::sync::oneshot::Sender<T> {
    fn send(self, value: T) {
        let _ = tokio::sync::oneshot::Sender::send(self, value);
    }
}

//! `flume`: the fourth pairing of the channel rows, weft's runtime with flume's channels.
//! flume has no oneshot: [`FlumeOneshot`] is a new `flume::bounded(1)` per value.

use super::{ChanRx, ChanTx, Channel, OkRx, Oneshot, OneshotTx, Unbounded, UnboundedTx};

/// `flume::bounded`.
#[derive(Debug)]
pub struct FlumeChannel;

impl Channel for FlumeChannel {
    type Tx<T: Send + 'static> = flume::Sender<T>;
    type Rx<T: Send + 'static> = flume::Receiver<T>;

    fn bounded<T: Send + 'static>(cap: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        flume::bounded(cap)
    }
}

impl<T: Send + 'static> ChanTx<T> for flume::Sender<T> {
    async fn send(&self, value: T) -> bool {
        flume::Sender::send_async(self, value).await.is_ok()
    }
}

impl<T: Send + 'static> ChanRx<T> for flume::Receiver<T> {
    async fn recv(&mut self) -> Option<T> {
        flume::Receiver::recv_async(self).await.ok()
    }
}

/// `flume::unbounded`.
#[derive(Debug)]
pub struct FlumeUnbounded;

impl Unbounded for FlumeUnbounded {
    type Tx<T: Send + 'static> = flume::Sender<T>;
    type Rx<T: Send + 'static> = flume::Receiver<T>;

    fn unbounded<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        flume::unbounded()
    }
}

impl<T: Send + 'static> UnboundedTx<T> for flume::Sender<T> {
    fn send(&self, value: T) -> bool {
        // Never blocks on an unbounded channel: fails only once the receiver is gone.
        flume::Sender::send(self, value).is_ok()
    }
}

/// A `flume::bounded(1)` used once, as a oneshot.
#[derive(Debug)]
pub struct FlumeOneshot;

/// The sending half of [`FlumeOneshot`].
#[derive(Debug)]
pub struct FlumeOneshotTx<T>(flume::Sender<T>);

impl Oneshot for FlumeOneshot {
    type Tx<T: Send + 'static> = FlumeOneshotTx<T>;
    type Rx<T: Send + 'static> = OkRx<flume::r#async::RecvFut<'static, T>>;

    fn channel<T: Send + 'static>() -> (Self::Tx<T>, Self::Rx<T>) {
        let (tx, rx) = flume::bounded(1);
        (FlumeOneshotTx(tx), OkRx::new(rx.into_recv_async()))
    }
}

impl<T: Send + 'static> OneshotTx<T> for FlumeOneshotTx<T> {
    fn send(self, value: T) {
        // The channel is new and holds one value: this never finds it full.
        let _ = self.0.try_send(value);
    }
}

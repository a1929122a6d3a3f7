//! The core both flavours share: the queue under one lock, the receiver's batch buffer, and
//! (bounded) the slot count; see the [module docs](super) for the protocol.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use weft_core::introspect::{self, WaitKind};
use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::{Arc, Mutex, MutexGuard};
use weft_core::CachePadded;

use crate::waiters::{Cancelled, Key, WaitList, WakeList};

/// In [`Chan::slots`]: some sender waits in `send_waiters` (set and cleared under the lock).
const WAITERS: usize = 1;
/// In [`Chan::slots`]: the receiver closed the channel; no slot can be taken any more.
const CLOSED: usize = 2;
/// In [`Chan::slots`]: one slot taken (the count lives above the two flag bits).
const ONE: usize = 4;

/// What the lock guards.
pub(super) struct Shared<T> {
    /// Messages sent and not yet taken by the receiver.
    queue: VecDeque<T>,
    /// The receiver's waker while it waits for a message.
    rx_waker: Option<Waker>,
    /// The receiver closed or was dropped: no new sends (bounded: no new slots).
    closed: bool,
    /// The receiver was dropped: even a granted slot cannot deliver any more.
    rx_dropped: bool,
    /// Every sender is gone.
    senders_gone: bool,
    /// Bounded senders waiting for a slot; the entry's `bool` is "granted a slot" (filled in
    /// by the notifier; `false` when woken by a close).
    send_waiters: WaitList<bool>,
    /// Futures of `Sender::closed`.
    closed_waiters: WaitList<()>,
}

/// One channel: the allocation every sender and the receiver share.
pub(super) struct Chan<T> {
    /// Slots taken (bounded: messages queued, in the receiver's buffer, or reserved by a
    /// permit) times [`ONE`], plus the [`WAITERS`] and [`CLOSED`] bits. `CLOSED` lives in
    /// the same word so that taking a slot and closing are ordered: no slot is taken after
    /// the close, and the receiver waits for the slots taken before it (permits). Padded: senders and the receiver
    /// write it once per message each; the lock below is written per send and per batch.
    slots: CachePadded<AtomicUsize>,
    shared: CachePadded<Mutex<Shared<T>>>,
    /// `None`: unbounded.
    cap: Option<usize>,
    /// Live senders (permits owned through `OwnedPermit` hold a sender too).
    senders: AtomicUsize,
}

impl<T> Chan<T> {
    pub(super) fn new(cap: Option<usize>) -> Arc<Chan<T>> {
        Arc::new(Chan {
            slots: CachePadded::new(AtomicUsize::new(0)),
            shared: CachePadded::new(Mutex::new(Shared {
                queue: VecDeque::new(),
                rx_waker: None,
                closed: false,
                rx_dropped: false,
                senders_gone: false,
                send_waiters: WaitList::new(),
                closed_waiters: WaitList::new(),
            })),
            cap,
            senders: AtomicUsize::new(1),
        })
    }

    #[inline]
    fn lock(&self) -> MutexGuard<'_, Shared<T>> {
        self.shared.lock()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.slots.load(Ordering::Acquire) & CLOSED != 0
    }

    pub(super) fn max_capacity(&self) -> usize {
        self.cap.unwrap_or(usize::MAX)
    }

    /// Free slots now (bounded).
    pub(super) fn capacity(&self) -> usize {
        let cap = self.max_capacity();
        cap.saturating_sub(self.slots.load(Ordering::Acquire) / ONE)
    }

    // ---- senders ----------------------------------------------------------------------

    pub(super) fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// A sender is gone; the last one tells the receiver.
    pub(super) fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let waker = {
            let mut shared = self.lock();
            shared.senders_gone = true;
            shared.rx_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Takes a slot without waiting: `Err(true)` full (or others are queued for one),
    /// `Err(false)` closed.
    pub(super) fn try_acquire(&self) -> Result<(), bool> {
        let Some(cap) = self.cap else {
            return if self.is_closed() { Err(false) } else { Ok(()) };
        };
        let mut state = self.slots.load(Ordering::Relaxed);
        loop {
            if state & CLOSED != 0 {
                return Err(false);
            }
            if state & WAITERS != 0 || state / ONE >= cap {
                return Err(true);
            }
            match self.slots.compare_exchange_weak(
                state,
                state + ONE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => state = actual,
            }
        }
    }

    /// Waits for a slot: `Err(())` if the channel is closed first.
    pub(super) fn acquire(&self, location: &'static Location<'static>) -> Acquire<'_, T> {
        Acquire {
            chan: self,
            key: None,
            location,
        }
    }

    /// Gives `n` slots back (bounded): the receiver took `n` messages, or a permit was
    /// dropped unused. Waiting senders get the freed slots in FIFO order.
    #[inline]
    pub(super) fn release(&self, n: usize) {
        if self.cap.is_none() || n == 0 {
            return;
        }
        let prev = self.slots.fetch_sub(n * ONE, Ordering::AcqRel);
        if prev & (WAITERS | CLOSED) != 0 {
            self.grant(self.lock());
        }
    }

    /// Hands free slots to waiting senders, front first, and wakes them after unlocking.
    /// Once closed, wakes the receiver instead: it may be waiting for the last permit.
    fn grant<'a>(&'a self, mut shared: MutexGuard<'a, Shared<T>>) {
        let cap = self.max_capacity();
        let mut wakes = WakeList::new();
        if shared.closed {
            if let Some(waker) = shared.rx_waker.take() {
                wakes.push(waker);
            }
        }
        loop {
            while !wakes.is_full() && shared.send_waiters.front().is_some() {
                let mut state = self.slots.load(Ordering::Relaxed);
                let got = loop {
                    if state / ONE >= cap {
                        break false;
                    }
                    match self.slots.compare_exchange_weak(
                        state,
                        state + ONE,
                        Ordering::AcqRel,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => break true,
                        Err(actual) => state = actual,
                    }
                };
                if !got {
                    break;
                }
                *shared.send_waiters.front_mut().expect("checked above") = true;
                wakes.push(shared.send_waiters.notify_front().expect("checked above"));
            }
            if shared.send_waiters.is_empty() {
                self.slots.fetch_and(!WAITERS, Ordering::AcqRel);
            }
            if !wakes.is_full() {
                break;
            }
            drop(shared);
            wakes.wake_all();
            shared = self.lock();
        }
        drop(shared);
        wakes.wake_all();
    }

    /// Queues a message that holds a slot (or any message, unbounded); gives it back if the
    /// receiver is gone (or, `unbounded`, closed). Wakes a waiting receiver.
    pub(super) fn push(&self, value: T, unbounded: bool) -> Result<(), T> {
        let mut shared = self.lock();
        if shared.rx_dropped || (unbounded && shared.closed) {
            drop(shared);
            self.release(1);
            return Err(value);
        }
        shared.queue.push_back(value);
        let waker = shared.rx_waker.take();
        drop(shared);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// For `Sender::closed`.
    pub(super) fn poll_closed(&self, key: &mut Option<Key>, cx: &mut Context<'_>) -> Poll<()> {
        if key.is_none() && self.is_closed() {
            return Poll::Ready(());
        }
        let mut shared = self.lock();
        match key.take() {
            Some(k) => match shared.closed_waiters.poll(k, cx.waker()) {
                Ok(()) => Poll::Ready(()),
                Err(k) => {
                    *key = Some(k);
                    Poll::Pending
                }
            },
            None if shared.closed => Poll::Ready(()),
            None => {
                *key = Some(shared.closed_waiters.push_back(cx.waker(), ()));
                Poll::Pending
            }
        }
    }

    pub(super) fn cancel_closed(&self, key: Key) {
        // A close wakes every waiter: a notified entry owes nobody anything.
        let _ = self.lock().closed_waiters.cancel(key);
    }

    // ---- the receiver -----------------------------------------------------------------

    /// Closes the channel: no new sends or slots; waiting senders fail, `closed()` resolves.
    pub(super) fn close(&self, rx_dropped: bool) {
        let mut shared = self.lock();
        shared.rx_dropped |= rx_dropped;
        shared.closed = true;
        // Also for the unbounded flavour: `is_closed` reads the bit.
        self.slots.fetch_or(CLOSED, Ordering::AcqRel);
        let mut wakes = WakeList::new();
        // Waiting senders are woken with `false` (not granted): their send fails.
        while !(shared.send_waiters.notify_into(&mut wakes)
            && shared.closed_waiters.notify_into(&mut wakes))
        {
            drop(shared);
            wakes.wake_all();
            shared = self.lock();
        }
        if self.cap.is_some() {
            self.slots.fetch_and(!WAITERS, Ordering::AcqRel);
        }
        drop(shared);
        wakes.wake_all();
    }

    /// Takes up to `limit` messages into `out` (the receiver's side of a batch hand-over):
    /// from `local` first, else swaps the whole shared queue into `local`. Returns how many;
    /// `Ready(0)` means closed and empty; `Pending` registers `waker` (if given).
    pub(super) fn take(
        &self,
        local: &mut VecDeque<T>,
        waker: Option<&Waker>,
        mut each: impl FnMut(T),
        limit: usize,
    ) -> Poll<usize> {
        if local.is_empty() {
            let mut shared = self.lock();
            std::mem::swap(&mut shared.queue, local);
            if local.is_empty() {
                // Closed: done once no permit taken before the close is still out (its
                // message may yet come; its release wakes this receiver, see `grant`).
                let permits_out =
                    self.cap.is_some() && self.slots.load(Ordering::Acquire) / ONE != 0;
                if shared.senders_gone || (shared.closed && !permits_out) {
                    return Poll::Ready(0);
                }
                if let Some(waker) = waker {
                    match &mut shared.rx_waker {
                        Some(w) if w.will_wake(waker) => {}
                        slot => *slot = Some(waker.clone()),
                    }
                }
                return Poll::Pending;
            }
        }
        let n = limit.min(local.len());
        for v in local.drain(..n) {
            each(v);
        }
        self.release(n);
        Poll::Ready(n)
    }

    /// Messages buffered: the receiver's batch plus the shared queue.
    pub(super) fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    /// Whether the receiver would find no more messages coming.
    pub(super) fn rx_is_closed(&self) -> bool {
        let shared = self.lock();
        shared.closed || shared.senders_gone
    }

    /// The receiver is dropped: close, then drop every buffered message outside the lock.
    pub(super) fn drop_receiver(&self) {
        self.close(true);
        let queue = std::mem::take(&mut self.lock().queue);
        drop(queue);
    }
}

/// The future of [`Chan::acquire`]: a slot, or `Err(())` once the channel is closed.
pub(super) struct Acquire<'a, T> {
    chan: &'a Chan<T>,
    key: Option<Key>,
    /// The `send` or `reserve` call, for the task's wait record.
    location: &'static Location<'static>,
}

impl<T> Future for Acquire<'_, T> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let poll = self.as_mut().poll_acquire(cx);
        if poll.is_pending() {
            introspect::waiting_on(WaitKind::MpscSend, self.location, None, 0);
        }
        poll
    }
}

impl<T> Acquire<'_, T> {
    fn poll_acquire(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let chan = self.chan;
        if let Some(key) = self.key.take() {
            let mut shared = chan.lock();
            return match shared.send_waiters.poll(key, cx.waker()) {
                Ok(true) => Poll::Ready(Ok(())),
                Ok(false) => Poll::Ready(Err(())),
                Err(key) => {
                    self.key = Some(key);
                    Poll::Pending
                }
            };
        }
        match chan.try_acquire() {
            Ok(()) => return Poll::Ready(Ok(())),
            Err(false) => return Poll::Ready(Err(())),
            Err(true) => {}
        }
        let cap = chan.max_capacity();
        let mut shared = chan.lock();
        if shared.closed {
            return Poll::Ready(Err(()));
        }
        // Under the lock, so no releaser can miss the WAITERS bit: either a slot was freed
        // before this CAS (take it), or the releaser's fetch_sub sees the bit and locks.
        let mut state = chan.slots.load(Ordering::Relaxed);
        loop {
            if state & CLOSED != 0 {
                return Poll::Ready(Err(()));
            }
            let next = if state & WAITERS == 0 && state / ONE < cap {
                state + ONE
            } else {
                state | WAITERS
            };
            match chan
                .slots
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) if next & WAITERS == 0 => return Poll::Ready(Ok(())),
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        self.key = Some(shared.send_waiters.push_back(cx.waker(), false));
        Poll::Pending
    }
}

impl<T> Drop for Acquire<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut shared = self.chan.lock();
        match shared.send_waiters.cancel(key) {
            Cancelled::Waiting(_) => {
                if shared.send_waiters.is_empty() {
                    self.chan.slots.fetch_and(!WAITERS, Ordering::AcqRel);
                }
            }
            // Granted a slot but dropped: pass it on.
            Cancelled::Notified(true) => {
                self.chan.slots.fetch_sub(ONE, Ordering::AcqRel);
                self.chan.grant(shared);
            }
            Cancelled::Notified(false) => {}
        }
    }
}

/// The receiver's half: the channel plus the batch it took from the shared queue.
pub(super) struct Rx<T> {
    pub(super) chan: Arc<Chan<T>>,
    pub(super) local: VecDeque<T>,
    /// The `channel()` call: the wait record's location for the `poll_*` paths.
    pub(super) location: &'static Location<'static>,
}

impl<T> Rx<T> {
    pub(super) fn new(chan: Arc<Chan<T>>, location: &'static Location<'static>) -> Rx<T> {
        Rx {
            chan,
            local: VecDeque::new(),
            location,
        }
    }

    /// Polls for one message; `location` is the call that waits (for the wait record).
    pub(super) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
        location: &'static Location<'static>,
    ) -> Poll<Option<T>> {
        let coop = std::task::ready!(weft_core::coop::poll_proceed(cx));
        let mut out = None;
        let Poll::Ready(got) =
            self.chan
                .take(&mut self.local, Some(cx.waker()), |v| out = Some(v), 1)
        else {
            introspect::waiting_on(WaitKind::MpscRecv, location, None, 0);
            return Poll::Pending;
        };
        coop.made_progress();
        debug_assert_eq!(got, usize::from(out.is_some()));
        Poll::Ready(out)
    }

    pub(super) fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<T>,
        limit: usize,
        location: &'static Location<'static>,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let coop = std::task::ready!(weft_core::coop::poll_proceed(cx));
        let Poll::Ready(n) =
            self.chan
                .take(&mut self.local, Some(cx.waker()), |v| buf.push(v), limit)
        else {
            introspect::waiting_on(WaitKind::MpscRecv, location, None, 0);
            return Poll::Pending;
        };
        coop.made_progress();
        Poll::Ready(n)
    }

    /// `Ok(Some)`: a message; `Ok(None)`: empty; `Err(())`: closed and empty.
    pub(super) fn try_recv(&mut self) -> Result<Option<T>, ()> {
        let mut out = None;
        match self.chan.take(&mut self.local, None, |v| out = Some(v), 1) {
            Poll::Ready(0) => Err(()),
            Poll::Ready(_) => Ok(out),
            Poll::Pending => Ok(None),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.local.len() + self.chan.queued()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.chan.rx_is_closed()
    }
}

// The receiver never pins its messages: they are moved in and out of the batch by value.
impl<T> Unpin for Rx<T> {}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

/// What the handles' `Debug` shows of the channel.
impl<T> std::fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chan")
            .field("max_capacity", &self.cap)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

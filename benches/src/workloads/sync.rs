//! The primitive workloads, each written once, generic over the runtime *and* the primitive,
//! so that one function serves two kinds of rows (see [`prims`](crate::prims)):
//!
//! - scheduler rows, `channel` and `mutex`: async-channel / async-lock on every runtime;
//! - primitive rows, `sync_*`: each runtime with its own primitives ([`Rt::Channel`],
//!   [`Rt::Unbounded`], [`Rt::Oneshot`], [`Rt::Mutex`], [`Rt::Semaphore`]), the `own_*`
//!   functions below, and weft's runtime with flume for the channel rows.
//!
//! Every workload checks, after its sample, that every message, reply or increment arrived.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::Params;
use crate::prims::{
    AgnosticChannel, AgnosticMutex, AsyncMutex, AsyncSemaphore, ChanRx, ChanTx, Channel, Latch,
    Oneshot, OneshotTx, Unbounded, UnboundedTx,
};
use crate::rt::Rt;
use crate::sample::{measure, Sample};

// ---- scheduler rows: the same primitives on every runtime ----------------------------------

/// `channel`: [`mpsc_bounded`] on async-channel, whatever the runtime.
pub fn channel<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    mpsc_bounded::<R, AgnosticChannel>(rt, p)
}

/// `mutex`: [`mutex_contended`] on async-lock, whatever the runtime.
pub fn mutex<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    mutex_contended::<R, AgnosticMutex<usize>>(rt, p)
}

// ---- primitive rows: each runtime with its own ---------------------------------------------

/// `sync_mpsc_bounded`: [`mpsc_bounded`] on the runtime's own channel.
pub fn own_mpsc_bounded<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    mpsc_bounded::<R, R::Channel>(rt, p)
}

/// `sync_mpsc_unbounded`: [`mpsc_unbounded`] on the runtime's own channel.
pub fn own_mpsc_unbounded<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    mpsc_unbounded::<R, R::Unbounded>(rt, p)
}

/// `sync_oneshot_ping_pong`: [`oneshot_ping_pong`] on the runtime's own oneshot.
pub fn own_oneshot_ping_pong<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    oneshot_ping_pong::<R, R::Oneshot>(rt, p)
}

/// `sync_mpsc_ping_pong`: [`mpsc_ping_pong`] on the runtime's own bounded channel.
pub fn own_mpsc_ping_pong<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    mpsc_ping_pong::<R, R::Channel>(rt, p)
}

/// `sync_mutex`: [`mutex_contended`] on the runtime's own mutex.
pub fn own_mutex<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    mutex_contended::<R, R::Mutex<usize>>(rt, p)
}

/// `sync_semaphore`: [`semaphore`] on the runtime's own semaphore.
pub fn own_semaphore<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    semaphore::<R, R::Semaphore>(rt, p)
}

// ---- the workloads -------------------------------------------------------------------------

/// `producers` tasks each send `0..messages` through one bounded channel of `channel_cap`;
/// one consumer task receives them all. Checked: the count and the sum of what arrived.
pub fn mpsc_bounded<R: Rt, C: Channel>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (producers, messages, cap) = (p.producers, p.messages, p.channel_cap);
    let (sample, received) = measure(|| {
        rt.block_on_task(async move {
            let (tx, rx) = C::bounded::<usize>(cap);
            let consumer = R::spawn(drain(rx));
            for _ in 0..producers {
                let tx = tx.clone();
                R::spawn_detached(async move {
                    for i in 0..messages {
                        assert!(tx.send(i).await, "mpsc: consumer gone");
                    }
                });
            }
            drop(tx);
            consumer.await
        })
    });
    check_drained(received, producers, messages);
    Ok(sample)
}

/// [`mpsc_bounded`] on an unbounded channel: the producers never wait.
pub fn mpsc_unbounded<R: Rt, U: Unbounded>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (producers, messages) = (p.producers, p.messages);
    let (sample, received) = measure(|| {
        rt.block_on_task(async move {
            let (tx, rx) = U::unbounded::<usize>();
            let consumer = R::spawn(drain(rx));
            for _ in 0..producers {
                let tx = tx.clone();
                R::spawn_detached(async move {
                    for i in 0..messages {
                        assert!(tx.send(i), "mpsc: consumer gone");
                    }
                });
            }
            drop(tx);
            consumer.await
        })
    });
    check_drained(received, producers, messages);
    Ok(sample)
}

/// Receives until every sender is gone: (messages, their sum).
async fn drain(mut rx: impl ChanRx<usize>) -> (usize, u64) {
    let (mut count, mut sum) = (0usize, 0u64);
    while let Some(v) = rx.recv().await {
        count += 1;
        sum += v as u64;
    }
    (count, sum)
}

fn check_drained((count, sum): (usize, u64), producers: usize, messages: usize) {
    assert_eq!(count, producers * messages, "mpsc: lost messages");
    let per_producer = (messages as u64) * (messages as u64).saturating_sub(1) / 2;
    assert_eq!(sum, producers as u64 * per_producer, "mpsc: wrong messages");
}

/// One ping of [`oneshot_ping_pong`]: the value, the one-shot for its reply, and the
/// one-shot the next ping will come on.
struct Ping<O: Oneshot> {
    value: usize,
    reply: O::Tx<usize>,
    next: O::Rx<Ping<O>>,
}

/// One pinger and one ponger task, `sync_rounds` round trips, every message on a new
/// one-shot: each ping carries the one-shot for its reply and the receiver of the next ping.
/// Checked: every reply is the value sent, and the ponger answered every ping.
pub fn oneshot_ping_pong<R: Rt, O: Oneshot>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let rounds = p.sync_rounds;
    let (sample, (pinged, ponged)) = measure(|| {
        rt.block_on_task(async move {
            let (first_tx, first_rx) = O::channel::<Ping<O>>();
            let ponger = R::spawn(async move {
                let (mut rx, mut answered) = (first_rx, 0usize);
                while let Some(Ping { value, reply, next }) = rx.await {
                    reply.send(value);
                    answered += 1;
                    rx = next;
                }
                answered
            });
            let pinger = R::spawn(async move {
                let mut tx = first_tx;
                for i in 0..rounds {
                    let (reply, back) = O::channel::<usize>();
                    let (next_tx, next) = O::channel::<Ping<O>>();
                    tx.send(Ping {
                        value: i,
                        reply,
                        next,
                    });
                    assert_eq!(back.await, Some(i), "oneshot ping-pong: wrong reply");
                    tx = next_tx;
                }
                // Dropping the last sender ends the ponger.
                rounds
            });
            (pinger.await, ponger.await)
        })
    });
    assert_eq!(pinged, rounds, "oneshot ping-pong: pinger stopped early");
    assert_eq!(ponged, rounds, "oneshot ping-pong: lost pings");
    Ok(sample)
}

/// One pinger and one ponger task, `sync_rounds` round trips over two bounded(1) channels.
/// Checked: every reply is the value sent, and the ponger answered every ping.
pub fn mpsc_ping_pong<R: Rt, C: Channel>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let rounds = p.sync_rounds;
    let (sample, (pinged, ponged)) = measure(|| {
        rt.block_on_task(async move {
            let (ping_tx, mut ping_rx) = C::bounded::<usize>(1);
            let (pong_tx, mut pong_rx) = C::bounded::<usize>(1);
            let ponger = R::spawn(async move {
                let mut answered = 0usize;
                while let Some(v) = ping_rx.recv().await {
                    assert!(pong_tx.send(v).await, "mpsc ping-pong: pinger gone");
                    answered += 1;
                }
                answered
            });
            let pinger = R::spawn(async move {
                for i in 0..rounds {
                    assert!(ping_tx.send(i).await, "mpsc ping-pong: ponger gone");
                    let back = pong_rx.recv().await;
                    assert_eq!(back, Some(i), "mpsc ping-pong: wrong reply");
                }
                rounds
            });
            (pinger.await, ponger.await)
        })
    });
    assert_eq!(pinged, rounds, "mpsc ping-pong: pinger stopped early");
    assert_eq!(ponged, rounds, "mpsc ping-pong: lost pings");
    Ok(sample)
}

/// `mutex_tasks` tasks each lock one shared mutex `mutex_locks` times and bump the counter
/// inside. Checked: the counter's final value.
pub fn mutex_contended<R: Rt, M: AsyncMutex<usize>>(
    rt: &R,
    p: &Params,
) -> Result<Sample, &'static str> {
    let (tasks, locks) = (p.mutex_tasks, p.mutex_locks);
    let (sample, total) = measure(|| {
        rt.block_on_task(async move {
            let counter = Arc::new(M::new(0));
            let (latch, done) = Latch::new(tasks);
            for _ in 0..tasks {
                let (counter, latch) = (counter.clone(), latch.clone());
                R::spawn_detached(async move {
                    for _ in 0..locks {
                        *counter.lock().await += 1;
                    }
                    latch.count_down();
                });
            }
            done.await.expect("mutex: latch dropped");
            let total = *counter.lock().await;
            total
        })
    });
    assert_eq!(total, tasks * locks, "mutex: lost increments");
    Ok(sample)
}

/// `sem_tasks` tasks each pass `sem_passes` times through one semaphore of `sem_permits`:
/// acquire, count itself in, yield once while holding the permit (so the others queue
/// up), count the pass, release. Checked: every pass counted, and never more holders at
/// once than permits.
pub fn semaphore<R: Rt, S: AsyncSemaphore>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (tasks, passes, permits) = (p.sem_tasks, p.sem_passes, p.sem_permits);
    let (sample, (passed, most_held)) = measure(|| {
        rt.block_on_task(async move {
            let sem = Arc::new(S::new(permits));
            let held = Arc::new(AtomicUsize::new(0));
            let most_held = Arc::new(AtomicUsize::new(0));
            let passed = Arc::new(AtomicUsize::new(0));
            let (latch, done) = Latch::new(tasks);
            for _ in 0..tasks {
                let (sem, latch) = (sem.clone(), latch.clone());
                let (held, most_held, passed) = (held.clone(), most_held.clone(), passed.clone());
                R::spawn_detached(async move {
                    for _ in 0..passes {
                        let permit = sem.acquire().await;
                        let now = held.fetch_add(1, Ordering::Relaxed) + 1;
                        most_held.fetch_max(now, Ordering::Relaxed);
                        R::yield_now().await;
                        passed.fetch_add(1, Ordering::Relaxed);
                        held.fetch_sub(1, Ordering::Relaxed);
                        drop(permit);
                    }
                    latch.count_down();
                });
            }
            done.await.expect("semaphore: latch dropped");
            (
                passed.load(Ordering::Relaxed),
                most_held.load(Ordering::Relaxed),
            )
        })
    });
    assert_eq!(passed, tasks * passes, "semaphore: lost passes");
    assert!(
        (1..=permits).contains(&most_held),
        "semaphore: {most_held} holders at once with {permits} permits"
    );
    Ok(sample)
}

// ---- waiting tasks, for the memory figures ------------------------------------------------

/// `future`, counting `latch` down the first time it returns `Pending` (so once it has
/// registered its waker and is parked), and panicking if it ever completes: a waiting task
/// of the memory probes ([`crate::memory`]).
pub async fn park_forever<F: Future>(future: F, latch: Arc<Latch>) {
    let mut future = pin!(future);
    let mut latch = Some(latch);
    std::future::poll_fn(move |cx| {
        if future.as_mut().poll(cx).is_ready() {
            panic!("a memory probe's waiting task was woken with something to do");
        }
        if let Some(latch) = latch.take() {
            latch.count_down();
        }
        std::task::Poll::<()>::Pending
    })
    .await;
}

/// Used by [`crate::memory`]: a task waiting on its own channel's `recv()`.
pub fn recv_waiter<C: Channel>(latch: Arc<Latch>) -> (C::Tx<u64>, impl Future<Output = ()> + Send) {
    let (tx, mut rx) = C::bounded::<u64>(1);
    let task = async move { park_forever(rx.recv(), latch).await };
    (tx, task)
}

/// Used by [`crate::memory`]: a task waiting on `sem.acquire()`.
pub async fn acquire_waiter<S: AsyncSemaphore>(sem: Arc<S>, latch: Arc<Latch>) {
    park_forever(sem.acquire(), latch).await;
}

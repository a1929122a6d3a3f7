//! The primitive workloads: a bounded mpsc channel and an async mutex under contention, on
//! [`Rt::Channel`] and [`Rt::Mutex`] (runtime-agnostic today, see `prims`).

use super::Params;
use crate::prims::{AsyncMutex, ChanRx, ChanTx, Channel, Latch};
use crate::rt::Rt;
use crate::sample::{measure, Sample};

/// `channel`: `producers` tasks each send `messages` numbers through one bounded channel of
/// `channel_cap`; one consumer task receives them all.
pub fn channel<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (producers, messages, cap) = (p.producers, p.messages, p.channel_cap);
    let (sample, received) = measure(|| {
        rt.block_on_task(async move {
            let (tx, mut rx) = R::Channel::bounded::<usize>(cap);
            let consumer = R::spawn(async move {
                let mut count = 0usize;
                while rx.recv().await.is_some() {
                    count += 1;
                }
                count
            });
            for _ in 0..producers {
                let tx = tx.clone();
                R::spawn_detached(async move {
                    for i in 0..messages {
                        assert!(tx.send(i).await, "channel: consumer gone");
                    }
                });
            }
            drop(tx);
            consumer.await
        })
    });
    assert_eq!(received, producers * messages, "channel: lost messages");
    Ok(sample)
}

/// `mutex`: `mutex_tasks` tasks each lock one shared mutex `mutex_locks` times and bump the
/// counter inside.
pub fn mutex<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &'static str> {
    let (tasks, locks) = (p.mutex_tasks, p.mutex_locks);
    let (sample, total) = measure(|| {
        rt.block_on_task(async move {
            let counter = std::sync::Arc::new(<R::Mutex<usize> as AsyncMutex<usize>>::new(0));
            let (latch, done) = Latch::<R::Oneshot>::new(tasks);
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

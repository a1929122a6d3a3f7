//! The source material's programs that coordinate tasks (`shared/seed/async-series.txt`:
//! queues between a parent and its children, `wait_for` around a queue operation, futures set
//! by callback code, `async with` a lock or a semaphore, events, conditions, `async for` over
//! an async iterator), each written the way an asyncio user would write it, with weft alone.
//! The clock is paused, so the sleeps take no time and the outcomes are exact.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use weft::runtime::{Builder, Runtime};
use weft::stream::{self, StreamExt};
use weft::sync::{Condition, Event, Mutex, OnceCell, Queue, Semaphore};
use weft::time::{sleep, timeout, Instant};

fn paused() -> Runtime {
    Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap()
}

/// "A parent task launches child tasks; a queue passes data to and fro": the parent puts
/// work on one queue, the children put their answers on another, and `join` tells the parent
/// that every job was handled.
#[test]
fn a_parent_and_its_children_talk_through_queues() {
    paused().block_on(async {
        let (jobs, answers) = (Queue::bounded(4), Queue::unbounded());
        let children: Vec<_> = (0..3)
            .map(|child| {
                let (jobs, answers) = (jobs.clone(), answers.clone());
                weft::spawn(async move {
                    while let Ok(n) = jobs.get().await {
                        sleep(Duration::from_millis(10)).await; // the "work"
                        answers.put((child, n * n)).await.unwrap();
                        jobs.task_done();
                    }
                })
            })
            .collect();
        for n in 1..=12u64 {
            jobs.put(n).await.unwrap();
        }
        jobs.join().await;
        assert_eq!(
            answers.len(),
            12,
            "join returned before every answer was in"
        );
        jobs.close();
        for child in children {
            child.await.unwrap();
        }
        let mut squares = Vec::new();
        while let Ok((_, sq)) = answers.try_get() {
            squares.push(sq);
        }
        squares.sort_unstable();
        assert_eq!(squares, (1..=12u64).map(|n| n * n).collect::<Vec<_>>());
    });
}

/// "Use asyncio.wait_for() with queue operations, since the queue's methods have no timeout
/// parameter": a `get` that times out is dropped mid-wait and loses nothing; a later put
/// reaches the next `get`.
#[test]
fn wait_for_around_a_queue_get() {
    paused().block_on(async {
        let q = Queue::<&str>::unbounded();
        let start = Instant::now();
        assert!(timeout(Duration::from_secs(2), q.get()).await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(2));

        let producer = {
            let q = q.clone();
            weft::spawn(async move {
                sleep(Duration::from_millis(500)).await;
                q.put("late but in time").await.unwrap();
            })
        };
        let got = timeout(Duration::from_secs(2), q.get()).await;
        assert_eq!(got.unwrap().unwrap(), "late but in time");
        producer.await.unwrap();
        assert!(q.is_empty());
    });
}

/// "Futures ... for interoperability between callback-based code and async/await": a
/// callback on another thread sets the result that several coroutines await
/// (`loop.create_future()`, `fut.set_result(x)`, `await fut`).
#[test]
fn a_future_set_by_a_callback_is_seen_by_every_awaiter() {
    weft::run(async {
        let fut = Arc::new(OnceCell::new());
        let awaiters: Vec<_> = (0..5)
            .map(|i| {
                let fut = fut.clone();
                weft::spawn(async move { format!("{i}: {}", fut.wait().await) })
            })
            .collect();
        let callback = {
            let fut = fut.clone();
            std::thread::spawn(move || fut.set("the result").unwrap())
        };
        callback.join().unwrap();
        for (i, a) in awaiters.into_iter().enumerate() {
            assert_eq!(a.await.unwrap(), format!("{i}: the result"));
        }
        assert!(fut.set("twice").is_err(), "a future's result is set once");
    });
}

/// `async with lock:` around a read-modify-write that awaits in the middle: without the lock
/// the updates would be lost; with it the total is exact.
#[test]
fn async_with_lock_keeps_a_read_modify_write_whole() {
    paused().block_on(async {
        let balance = Arc::new(Mutex::new(0u64));
        let deposits = (0..50).map(|_| {
            let balance = balance.clone();
            async move {
                let mut b = balance.lock().await; // async with lock:
                let read = *b;
                sleep(Duration::from_millis(1)).await; // other tasks run meanwhile
                *b = read + 10;
            }
        });
        weft::future::join_all(deposits).await;
        assert_eq!(*balance.lock().await, 500);
    });
}

/// `async with asyncio.Semaphore(3)` around a slow call, under `gather`: never more than
/// three at once, and the whole run takes ceil(10 / 3) rounds.
#[test]
fn a_semaphore_caps_gathered_coroutines() {
    paused().block_on(async {
        let sem = Semaphore::new(3);
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let start = Instant::now();
        let calls = (0..10).map(|i| {
            let (sem, now, peak) = (&sem, &now, &peak);
            async move {
                let _permit = sem.acquire().await.unwrap();
                peak.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
                sleep(Duration::from_millis(100)).await;
                now.fetch_sub(1, SeqCst);
                i
            }
        });
        let results = weft::future::join_all(calls).await;
        assert_eq!(results, (0..10).collect::<Vec<_>>());
        assert_eq!(peak.load(SeqCst), 3);
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    });
}

/// `event.wait()` in several workers, `event.set()` in main: nobody starts before the set,
/// everybody starts after it.
#[test]
fn workers_wait_for_an_event() {
    paused().block_on(async {
        let go = Arc::new(Event::new());
        let started = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (go, started) = (go.clone(), started.clone());
                weft::spawn(async move {
                    go.wait().await;
                    started.fetch_add(1, SeqCst);
                })
            })
            .collect();
        sleep(Duration::from_secs(1)).await;
        assert_eq!(started.load(SeqCst), 0);
        go.set();
        for w in workers {
            w.await.unwrap();
        }
        assert_eq!(started.load(SeqCst), 4);
        assert!(go.is_set());
    });
}

/// asyncio's Condition: consumers `wait_for` a predicate over shared state; the producer
/// changes the state under the lock and notifies.
#[test]
fn consumers_wait_on_a_condition() {
    paused().block_on(async {
        let stock = Arc::new(Mutex::new(Vec::<u32>::new()));
        let cond = Arc::new(Condition::new());
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (stock, cond) = (stock.clone(), cond.clone());
                weft::spawn(async move {
                    // async with cond: await cond.wait_for(lambda: stock); item = stock.pop()
                    let guard = stock.lock().await;
                    let mut guard = cond.wait_while(guard, |s| s.is_empty()).await;
                    guard.pop().unwrap()
                })
            })
            .collect();
        for item in [7, 8, 9] {
            sleep(Duration::from_millis(10)).await;
            stock.lock().await.push(item);
            cond.notify_one();
        }
        let mut got = Vec::new();
        for c in consumers {
            got.push(c.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, [7, 8, 9]);
        assert!(stock.lock().await.is_empty());
    });
}

/// `async for number in AsyncRange(0, 5)` with a sleep per step, and an async generator
/// delegating to another (`async for item in gen(): yield item`).
#[test]
fn async_for_over_an_async_iterator_and_a_delegating_generator() {
    paused().block_on(async {
        // class AsyncRange: __anext__ sleeps, then returns the next number.
        let async_range = |start: u32, end: u32| {
            stream::unfold(start, move |n| async move {
                if n >= end {
                    return None;
                }
                sleep(Duration::from_secs(1)).await;
                Some((n, n + 1))
            })
        };
        let t0 = Instant::now();
        let mut seen = Vec::new();
        let mut numbers = std::pin::pin!(async_range(0, 5));
        while let Some(n) = numbers.next().await {
            seen.push(n);
        }
        assert_eq!(seen, [0, 1, 2, 3, 4]);
        assert_eq!(t0.elapsed(), Duration::from_secs(5));

        // async def another(): async for item in my_gen(): yield item
        let another = stream::generate(move |mut y| async move {
            let mut inner = std::pin::pin!(async_range(10, 13));
            while let Some(item) = inner.next().await {
                y.send(item).await;
            }
        });
        assert_eq!(another.collect::<Vec<_>>().await, [10, 11, 12]);
    });
}

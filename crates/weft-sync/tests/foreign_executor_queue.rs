//! The queues need no weft runtime: producers and consumers on plain std threads, each
//! driving its futures with futures-lite's `block_on`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use futures_lite::future::block_on;
use weft::sync::queue::GetError;
use weft::sync::{PriorityQueue, Queue};

#[test]
fn producers_consumers_and_join_on_threads_with_futures_lite() {
    const ITEMS: usize = 2_000;
    let q = Queue::bounded(8);
    let done = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (q, done) = (q.clone(), done.clone());
            thread::spawn(move || {
                block_on(async {
                    let mut got = Vec::new();
                    while let Ok(item) = q.get().await {
                        got.push(item);
                        done.fetch_add(1, SeqCst);
                        q.task_done();
                    }
                    got
                })
            })
        })
        .collect();
    let producers: Vec<_> = (0..3)
        .map(|p| {
            let q = q.clone();
            thread::spawn(move || {
                block_on(async {
                    for item in (p..ITEMS).step_by(3) {
                        q.put(item).await.unwrap();
                    }
                })
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    block_on(q.join());
    assert_eq!(done.load(SeqCst), ITEMS);
    q.close();
    let mut all: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..ITEMS).collect::<Vec<_>>(),
        "every item exactly once"
    );
    assert_eq!(block_on(q.get()), Err(GetError));
}

#[test]
fn a_priority_queue_on_another_executor() {
    let q = PriorityQueue::bounded(2);
    let getter = {
        let q = q.clone();
        thread::spawn(move || block_on(async { [q.get().await, q.get().await, q.get().await] }))
    };
    block_on(async {
        q.put(3).await.unwrap();
        q.put(1).await.unwrap();
        q.put(2).await.unwrap();
    });
    let got = getter.join().unwrap();
    assert!(got.iter().all(|r| r.is_ok()));
    assert_eq!(q.len(), 0);
}

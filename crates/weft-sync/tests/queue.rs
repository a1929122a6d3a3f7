//! `Queue`, `LifoQueue` and `PriorityQueue`: order, waiting and wake order, close, the
//! task_done/join bookkeeping, futures dropped mid-wait, and a 4 x 4 producer/consumer race
//! on a multi-thread weft runtime.

use std::cmp::Reverse;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use weft::sync::queue::{GetError, PutError, TryGetError, TryPutError};
use weft::sync::{LifoQueue, PriorityQueue, Queue};

/// A waker that counts its wake-ups.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counter() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (count.clone(), Waker::from(count))
}

impl Count {
    fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

fn poll<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

fn drain<T>(q: &Queue<T>) -> Vec<T> {
    std::iter::from_fn(|| q.try_get().ok()).collect()
}

#[test]
fn fifo_hands_out_the_oldest_first() {
    let q = Queue::unbounded();
    for n in 0..5 {
        q.try_put(n).unwrap();
    }
    assert_eq!(drain(&q), [0, 1, 2, 3, 4]);
}

#[test]
fn lifo_hands_out_the_newest_first() {
    let q = LifoQueue::unbounded();
    for n in 0..5 {
        q.try_put(n).unwrap();
    }
    let out: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
    assert_eq!(out, [4, 3, 2, 1, 0]);
}

#[test]
fn priority_hands_out_the_smallest_first_and_reverse_flips_it() {
    let q = PriorityQueue::unbounded();
    for n in [5, 1, 4, 2, 3] {
        q.try_put(n).unwrap();
    }
    let out: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
    assert_eq!(out, [1, 2, 3, 4, 5]);

    let q = PriorityQueue::unbounded();
    for n in [5, 1, 4, 2, 3] {
        q.try_put(Reverse(n)).unwrap();
    }
    let out: Vec<_> = std::iter::from_fn(|| q.try_get().ok().map(|r| r.0)).collect();
    assert_eq!(out, [5, 4, 3, 2, 1]);
}

#[test]
fn counters_follow_puts_gets_and_task_done() {
    let q = Queue::bounded(2);
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (0, true, false));
    q.try_put('a').unwrap();
    q.try_put('b').unwrap();
    assert_eq!((q.len(), q.is_empty(), q.is_full()), (2, false, true));
    assert_eq!(q.try_put('c'), Err(TryPutError::Full('c')));
    assert_eq!(q.try_get(), Ok('a'));
    assert_eq!((q.len(), q.unfinished_tasks()), (1, 2));
    q.task_done();
    assert_eq!(q.unfinished_tasks(), 1);
    assert_eq!(q.capacity(), Some(2));
    assert_eq!(Queue::<u8>::unbounded().capacity(), None);
}

#[test]
#[should_panic(expected = "use Queue::unbounded()")]
fn bounded_zero_panics_and_points_to_unbounded() {
    let _ = Queue::<u8>::bounded(0);
}

#[test]
fn bounded_put_waits_and_putters_resume_in_fifo_order() {
    let q = Queue::bounded(1);
    q.try_put(0).unwrap();
    let wakers: Vec<_> = (0..3).map(|_| counter()).collect();
    let mut puts: Vec<_> = (1..=3).map(|n| q.put(n)).collect();
    for (put, (_, w)) in puts.iter_mut().zip(&wakers) {
        assert!(poll(put, w).is_pending(), "the queue is full");
    }
    for (n, expected) in (0..3).zip(0..) {
        // Each get frees one slot and wakes exactly the next putter in line.
        assert_eq!(q.try_get(), Ok(expected));
        let woken: Vec<usize> = wakers.iter().map(|(c, _)| c.get()).collect();
        let mut want = vec![0; 3];
        want[..=n].iter_mut().for_each(|w| *w = 1);
        assert_eq!(woken, want, "after get #{n}");
        assert_eq!(poll(&mut puts[n], &wakers[n].1), Poll::Ready(Ok(())));
    }
    assert_eq!(q.try_get(), Ok(3));
}

#[test]
fn each_put_wakes_exactly_one_getter_in_fifo_order() {
    let q = Queue::unbounded();
    let wakers: Vec<_> = (0..3).map(|_| counter()).collect();
    let mut gets: Vec<_> = (0..3).map(|_| q.get()).collect();
    for (get, (_, w)) in gets.iter_mut().zip(&wakers) {
        assert!(poll(get, w).is_pending());
    }
    q.try_put('x').unwrap();
    assert_eq!(
        wakers.iter().map(|(c, _)| c.get()).collect::<Vec<_>>(),
        [1, 0, 0]
    );
    q.try_put('y').unwrap();
    assert_eq!(
        wakers.iter().map(|(c, _)| c.get()).collect::<Vec<_>>(),
        [1, 1, 0]
    );
    assert_eq!(poll(&mut gets[0], &wakers[0].1), Poll::Ready(Ok('x')));
    assert_eq!(poll(&mut gets[1], &wakers[1].1), Poll::Ready(Ok('y')));
    assert!(poll(&mut gets[2], &wakers[2].1).is_pending());
}

#[test]
fn a_woken_getter_that_lost_its_item_keeps_its_turn() {
    let q = Queue::unbounded();
    let (a_count, a) = counter();
    let (b_count, b) = counter();
    let mut get_a = q.get();
    let mut get_b = q.get();
    assert!(poll(&mut get_a, &a).is_pending());
    assert!(poll(&mut get_b, &b).is_pending());
    q.try_put(1).unwrap(); // wakes A...
    assert_eq!(q.try_get(), Ok(1)); // ...but a try_get takes the item first
    assert!(
        poll(&mut get_a, &a).is_pending(),
        "nothing left: A waits again"
    );
    q.try_put(2).unwrap();
    assert_eq!(
        (a_count.get(), b_count.get()),
        (2, 0),
        "A is still first in line"
    );
    assert_eq!(poll(&mut get_a, &a), Poll::Ready(Ok(2)));
}

#[test]
fn join_waits_for_every_task_done() {
    let q = Queue::unbounded();
    let (_, w) = counter();
    assert_eq!(poll(&mut q.join(), &w), Poll::Ready(()), "nothing put yet");
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    let (joined, jw) = counter();
    let mut join = q.join();
    assert!(poll(&mut join, &jw).is_pending());
    q.try_get().unwrap();
    q.try_get().unwrap();
    q.task_done();
    assert_eq!(joined.get(), 0, "one item is still being processed");
    assert!(poll(&mut join, &jw).is_pending());
    q.task_done();
    assert_eq!(joined.get(), 1);
    // Woken for the count reaching zero, it returns even though a new item came since.
    q.try_put(3).unwrap();
    assert_eq!(poll(&mut join, &jw), Poll::Ready(()));
    // A new join waits for the new item.
    assert!(poll(&mut q.join(), &jw).is_pending());
}

#[test]
fn every_joiner_is_woken_even_more_than_a_wake_list_holds() {
    let q = Queue::unbounded();
    q.try_put(()).unwrap();
    let wakers: Vec<_> = (0..100).map(|_| counter()).collect();
    let mut joins: Vec<_> = (0..100).map(|_| q.join()).collect();
    for (j, (_, w)) in joins.iter_mut().zip(&wakers) {
        assert!(poll(j, w).is_pending());
    }
    q.try_get().unwrap();
    q.task_done();
    for (j, (c, w)) in joins.iter_mut().zip(&wakers) {
        assert_eq!(c.get(), 1);
        assert_eq!(poll(j, w), Poll::Ready(()));
    }
}

#[test]
#[should_panic(expected = "task_done() called more times than there were items taken")]
fn task_done_beyond_the_items_taken_panics() {
    let q = Queue::unbounded();
    q.try_put(1).unwrap();
    q.try_get().unwrap();
    q.task_done();
    q.task_done();
}

#[test]
#[should_panic(expected = "task_done() called more times than there were items taken")]
fn task_done_for_an_item_not_yet_taken_panics() {
    let q = Queue::unbounded();
    q.try_put(1).unwrap();
    q.task_done();
}

#[test]
fn close_drains_queued_items_then_errors() {
    let q = Queue::unbounded();
    q.try_put(1).unwrap();
    q.try_put(2).unwrap();
    q.close();
    assert!(q.is_closed());
    assert_eq!(q.try_put(3), Err(TryPutError::Closed(3)));
    let (_, w) = counter();
    assert_eq!(poll(&mut q.put(4), &w), Poll::Ready(Err(PutError(4))));
    assert_eq!(q.try_get(), Ok(1));
    assert_eq!(poll(&mut q.get(), &w), Poll::Ready(Ok(2)));
    assert_eq!(q.try_get(), Err(TryGetError::Closed));
    assert_eq!(poll(&mut q.get(), &w), Poll::Ready(Err(GetError)));
    // join still counts the drained items until they are marked done.
    assert!(poll(&mut q.join(), &w).is_pending());
    q.task_done();
    q.task_done();
    assert_eq!(poll(&mut q.join(), &w), Poll::Ready(()));
    q.close(); // twice: nothing happens
}

#[test]
fn close_wakes_every_waiting_getter_and_putter() {
    let empty = Queue::<u32>::unbounded();
    let gw: Vec<_> = (0..40).map(|_| counter()).collect();
    let mut gets: Vec<_> = (0..40).map(|_| empty.get()).collect();
    for (g, (_, w)) in gets.iter_mut().zip(&gw) {
        assert!(poll(g, w).is_pending());
    }
    let full = Queue::bounded(1);
    full.try_put(0).unwrap();
    let pw: Vec<_> = (0..40).map(|_| counter()).collect();
    let mut puts: Vec<_> = (1..=40).map(|n| full.put(n)).collect();
    for (p, (_, w)) in puts.iter_mut().zip(&pw) {
        assert!(poll(p, w).is_pending());
    }
    empty.close();
    full.close();
    for (g, (c, w)) in gets.iter_mut().zip(&gw) {
        assert_eq!(c.get(), 1);
        assert_eq!(poll(g, w), Poll::Ready(Err(GetError)));
    }
    for (n, (p, (c, w))) in (1..).zip(puts.iter_mut().zip(&pw)) {
        assert_eq!(c.get(), 1);
        assert_eq!(
            poll(p, w),
            Poll::Ready(Err(PutError(n))),
            "the item comes back"
        );
    }
    assert_eq!(
        full.try_get(),
        Ok(0),
        "queued before close: still handed out"
    );
}

#[test]
fn a_dropped_get_that_was_woken_passes_the_item_on() {
    let q = Queue::unbounded();
    let (a_count, a) = counter();
    let (b_count, b) = counter();
    let mut get_a = q.get();
    let mut get_b = q.get();
    assert!(poll(&mut get_a, &a).is_pending());
    assert!(poll(&mut get_b, &b).is_pending());
    q.try_put("item").unwrap();
    assert_eq!((a_count.get(), b_count.get()), (1, 0));
    drop(get_a);
    assert_eq!(b_count.get(), 1, "A's wake-up went to B");
    assert_eq!(poll(&mut get_b, &b), Poll::Ready(Ok("item")));
    assert!(format!("{q:?}").contains("getters: 0"));
}

#[test]
fn a_dropped_get_leaves_no_waiter() {
    let q = Queue::unbounded();
    let (_, w) = counter();
    let mut get = q.get();
    assert!(poll(&mut get, &w).is_pending());
    assert!(format!("{q:?}").contains("getters: 1"));
    drop(get);
    assert!(format!("{q:?}").contains("getters: 0"));
    q.try_put(1).unwrap();
    assert_eq!(
        q.try_get(),
        Ok(1),
        "the item was not handed to the dropped get"
    );
}

/// An item that counts its drops.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_dropped_put_that_was_woken_passes_the_slot_on_and_drops_its_item() {
    let drops = Arc::new(AtomicUsize::new(0));
    let q = Queue::bounded(1);
    q.try_put(Tracked(drops.clone())).unwrap();
    let (a_count, a) = counter();
    let (b_count, b) = counter();
    let mut put_a = q.put(Tracked(drops.clone()));
    let mut put_b = q.put(Tracked(drops.clone()));
    assert!(poll(&mut put_a, &a).is_pending());
    assert!(poll(&mut put_b, &b).is_pending());
    drop(q.try_get().unwrap()); // frees the slot: wakes A
    assert_eq!((a_count.get(), b_count.get()), (1, 0));
    assert_eq!(drops.load(SeqCst), 1);
    drop(put_a);
    assert_eq!(drops.load(SeqCst), 2, "A's item was dropped with it");
    assert_eq!(b_count.get(), 1, "A's slot went to B");
    assert!(poll(&mut put_b, &b).is_ready());
    assert_eq!(q.len(), 1, "only B's item is queued");
    assert!(format!("{q:?}").contains("putters: 0"));
}

#[test]
fn a_dropped_put_leaves_no_waiter() {
    let q = Queue::bounded(1);
    q.try_put(1).unwrap();
    let (_, w) = counter();
    let mut put = q.put(2);
    assert!(poll(&mut put, &w).is_pending());
    drop(put);
    assert!(format!("{q:?}").contains("putters: 0"));
    assert_eq!(q.try_get(), Ok(1));
    assert_eq!(q.try_get(), Err(TryGetError::Empty), "2 was never inserted");
}

#[test]
fn a_dropped_join_leaves_no_waiter() {
    let q = Queue::unbounded();
    q.try_put(1).unwrap();
    let (c, w) = counter();
    let mut join = q.join();
    assert!(poll(&mut join, &w).is_pending());
    assert!(format!("{q:?}").contains("joiners: 1"));
    drop(join);
    assert!(format!("{q:?}").contains("joiners: 0"));
    q.try_get().unwrap();
    q.task_done();
    assert_eq!(c.get(), 0);
}

fn producers_and_consumers(capacity: Option<usize>) {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const ITEMS: usize = 10_000;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async move {
        let q = match capacity {
            Some(n) => Queue::<usize>::bounded(n),
            None => Queue::unbounded(),
        };
        let seen: Arc<Vec<AtomicBool>> =
            Arc::new((0..ITEMS).map(|_| AtomicBool::new(false)).collect());
        let done = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let (q, seen, done) = (q.clone(), seen.clone(), done.clone());
                weft::spawn(async move {
                    let mut mine = 0;
                    while let Ok(item) = q.get().await {
                        assert!(!seen[item].swap(true, SeqCst), "item {item} received twice");
                        mine += 1;
                        done.fetch_add(1, SeqCst);
                        q.task_done();
                    }
                    mine
                })
            })
            .collect();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let q = q.clone();
                weft::spawn(async move {
                    for item in (p..ITEMS).step_by(PRODUCERS) {
                        q.put(item).await.unwrap();
                    }
                })
            })
            .collect();
        for p in producers {
            p.await.unwrap();
        }
        q.join().await;
        assert_eq!(
            done.load(SeqCst),
            ITEMS,
            "join returned before every task_done"
        );
        assert_eq!(q.unfinished_tasks(), 0);
        q.close();
        let mut total = 0;
        for c in consumers {
            total += c.await.unwrap();
        }
        assert_eq!(total, ITEMS);
        assert!(seen.iter().all(|s| s.load(SeqCst)), "an item was lost");
    });
}

#[test]
fn four_producers_four_consumers_ten_thousand_items_unbounded() {
    producers_and_consumers(None);
}

#[test]
fn four_producers_four_consumers_ten_thousand_items_bounded() {
    producers_and_consumers(Some(16));
}

#[test]
fn join_from_several_tasks_returns_after_the_last_task_done() {
    weft::run(async {
        let q = Queue::unbounded();
        let done = Arc::new(AtomicUsize::new(0));
        for n in 0..200 {
            q.put(n).await.unwrap();
        }
        let joiners: Vec<_> = (0..8)
            .map(|_| {
                let (q, done) = (q.clone(), done.clone());
                weft::spawn(async move {
                    q.join().await;
                    done.load(SeqCst)
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let (q, done) = (q.clone(), done.clone());
                weft::spawn(async move {
                    while q.get().await.is_ok() {
                        weft::task::yield_now().await;
                        done.fetch_add(1, SeqCst);
                        q.task_done();
                    }
                })
            })
            .collect();
        for j in joiners {
            assert_eq!(j.await.unwrap(), 200);
        }
        q.close();
        for c in consumers {
            c.await.unwrap();
        }
    });
}

/// Aborting a task parked in `get()` drops its `Get` (which borrows the task's own queue
/// handle) and must leave the queue working for the others. (This crashed until weft-task
/// dropped a cancelled future in place: the `Get`'s destructor read moved-from memory.)
#[test]
fn aborting_a_task_waiting_in_get_leaves_the_queue_usable() {
    weft::run(async {
        let q = Queue::unbounded();
        let waiting = {
            let q = q.clone();
            weft::spawn(async move { q.get().await })
        };
        while !format!("{q:?}").contains("getters: 1") {
            weft::task::yield_now().await;
        }
        waiting.abort();
        assert!(waiting.await.unwrap_err().is_cancelled());
        assert!(format!("{q:?}").contains("getters: 0"));
        q.put(1).await.unwrap();
        assert_eq!(q.get().await, Ok(1));
    });
}

#[test]
fn blocking_put_and_get_between_threads() {
    let q = Queue::bounded(4);
    let producers: Vec<_> = (0..2)
        .map(|p| {
            let q = q.clone();
            std::thread::spawn(move || {
                for n in 0..500 {
                    q.blocking_put(p * 1000 + n).unwrap();
                }
            })
        })
        .collect();
    let mut got: Vec<u32> = (0..1000).map(|_| q.blocking_get().unwrap()).collect();
    for p in producers {
        p.join().unwrap();
    }
    got.sort_unstable();
    let want: Vec<u32> = (0..500).chain(1000..1500).collect();
    assert_eq!(got, want);
    q.close();
    assert_eq!(q.blocking_get(), Err(GetError));
    assert_eq!(q.blocking_put(9), Err(PutError(9)));
}

#[test]
#[should_panic(expected = "`Queue::blocking_get` was called inside a runtime")]
fn blocking_get_inside_a_runtime_panics() {
    weft::run(async {
        let q = Queue::<u8>::unbounded();
        let _ = q.blocking_get();
    });
}

#[test]
fn queues_are_send_and_sync_and_futures_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let q = Queue::<String>::unbounded();
    send_sync(&q);
    send(&q.put(String::new()));
    send(&q.get());
    send(&q.join());
    send_sync(&PriorityQueue::<u8>::bounded(1));
    send_sync(&LifoQueue::<u8>::bounded(1));
}

//! `RwLock`: readers together, writers alone, FIFO between readers and writers (a waiting
//! writer stops later readers, so a stream of readers cannot starve it), dropped futures
//! giving back what they had collected, owned guards across tasks, exact counts.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft::sync::RwLock;

fn runtime() -> weft::Runtime {
    weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap()
}

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn readers_share_writers_exclude() {
    let lock = RwLock::new(1);
    let r1 = lock.try_read().unwrap();
    let r2 = lock.try_read().unwrap();
    assert_eq!(*r1 + *r2, 2);
    assert!(lock.try_write().is_err());
    drop((r1, r2));
    let mut w = lock.try_write().unwrap();
    *w = 5;
    assert!(lock.try_read().is_err());
    assert!(lock.try_write().is_err());
    drop(w);
    assert_eq!(*lock.try_read().unwrap(), 5);
}

#[test]
fn a_waiting_writer_stops_later_readers() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let mut writer = pin!(lock.write());
    assert!(poll_noop(writer.as_mut()).is_pending());
    // A new reader would overtake the writer: it must wait.
    assert!(lock.try_read().is_err());
    let mut reader = pin!(lock.read());
    assert!(poll_noop(reader.as_mut()).is_pending());
    drop(r1);
    assert!(poll_noop(reader.as_mut()).is_pending());
    let Poll::Ready(mut w) = poll_noop(writer.as_mut()) else {
        panic!("the writer did not get the lock")
    };
    *w += 1;
    drop(w);
    let Poll::Ready(r) = poll_noop(reader.as_mut()) else {
        panic!("the reader was not served after the writer")
    };
    assert_eq!(*r, 1);
}

#[test]
fn readers_and_writers_are_served_in_arrival_order() {
    let lock = RwLock::new(Vec::new());
    let held = lock.try_write().unwrap();
    let mut w1 = pin!(lock.write());
    let mut r1 = pin!(lock.read());
    let mut r2 = pin!(lock.read());
    let mut w2 = pin!(lock.write());
    for p in [
        poll_noop(w1.as_mut()).is_pending(),
        poll_noop(r1.as_mut()).is_pending(),
        poll_noop(r2.as_mut()).is_pending(),
        poll_noop(w2.as_mut()).is_pending(),
    ] {
        assert!(p);
    }
    drop(held);
    assert!(poll_noop(r1.as_mut()).is_pending());
    let Poll::Ready(mut g) = poll_noop(w1.as_mut()) else {
        panic!("w1 first")
    };
    g.push("w1");
    drop(g);
    // Both readers get in together; the second writer waits for both.
    let Poll::Ready(a) = poll_noop(r1.as_mut()) else {
        panic!("r1 after w1")
    };
    let Poll::Ready(b) = poll_noop(r2.as_mut()) else {
        panic!("r2 with r1")
    };
    assert!(poll_noop(w2.as_mut()).is_pending());
    assert_eq!((a.len(), b.len()), (1, 1));
    drop(a);
    assert!(poll_noop(w2.as_mut()).is_pending());
    drop(b);
    let Poll::Ready(mut g) = poll_noop(w2.as_mut()) else {
        panic!("w2 last")
    };
    g.push("w2");
    assert_eq!(*g, ["w1", "w2"]);
}

#[test]
fn a_dropped_writer_gives_back_what_it_collected() {
    let lock = RwLock::new(());
    let r1 = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    let mut reader = pin!(lock.read());
    assert!(poll_noop(writer.as_mut()).is_pending());
    assert!(poll_noop(reader.as_mut()).is_pending());
    drop(writer);
    assert!(poll_noop(reader.as_mut()).is_ready());
    drop(r1);
    assert!(lock.try_write().is_ok());
}

#[test]
fn a_dropped_granted_writer_passes_the_lock_on() {
    let lock = RwLock::new(());
    let r1 = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    let mut reader = pin!(lock.read());
    assert!(poll_noop(writer.as_mut()).is_pending());
    assert!(poll_noop(reader.as_mut()).is_pending());
    drop(r1); // the writer now holds the lock, unpolled
    drop(writer);
    assert!(poll_noop(reader.as_mut()).is_ready());
}

#[test]
fn a_stream_of_readers_does_not_starve_a_writer() {
    runtime().block_on(async {
        let lock = Arc::new(RwLock::new(0u64));
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..16)
            .map(|_| {
                let (lock, stop, reads) = (lock.clone(), stop.clone(), reads.clone());
                weft::spawn(async move {
                    while !stop.load(SeqCst) {
                        let r = lock.read().await;
                        reads.fetch_add(1, SeqCst);
                        weft::task::yield_now().await;
                        drop(r);
                    }
                })
            })
            .collect();
        while reads.load(SeqCst) < 100 {
            weft::task::yield_now().await;
        }
        // Readers hold the lock in overlapping turns the whole time; the writer still gets in.
        for _ in 0..10 {
            *lock.write().await += 1;
        }
        stop.store(true, SeqCst);
        for r in readers {
            r.await.unwrap();
        }
        assert_eq!(*lock.read().await, 10);
    });
}

#[test]
fn exact_counts_under_contention() {
    runtime().block_on(async {
        let lock = Arc::new(RwLock::new(0usize));
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let lock = lock.clone();
                weft::spawn(async move {
                    for _ in 0..100 {
                        if i % 4 == 0 {
                            let before = *lock.read().await;
                            assert!(before <= 7_500);
                        } else {
                            let mut w = lock.write().await;
                            let v = *w;
                            weft::task::yield_now().await;
                            *w = v + 1;
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock.read().await, 75 * 100);
    });
}

#[test]
fn owned_guards_move_across_tasks() {
    runtime().block_on(async {
        let lock = Arc::new(RwLock::new(1));
        let r = lock.clone().read_owned().await;
        let reader = weft::spawn(async move { *r * 10 });
        assert_eq!(reader.await.unwrap(), 10);
        let mut w = lock.clone().write_owned().await;
        let writer = weft::spawn(async move {
            *w += 1;
            format!("{w:?}")
        });
        assert_eq!(writer.await.unwrap(), "2");
        assert_eq!(*lock.read().await, 2);
    });
}

#[test]
fn blocking_read_and_write_from_plain_threads() {
    let lock = Arc::new(RwLock::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let lock = lock.clone();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    *lock.blocking_write() += 1;
                    assert!(*lock.blocking_read() > 0);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*lock.blocking_read(), 2_000);
}

#[test]
fn get_mut_into_inner_debug() {
    let mut lock = RwLock::new(1);
    *lock.get_mut() = 2;
    assert_eq!(format!("{lock:?}"), "RwLock { data: 2 }");
    let w = lock.try_write().unwrap();
    assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
    drop(w);
    assert_eq!(lock.into_inner(), 2);
}

//! The locks on a foreign executor: futures-lite's `block_on` on plain std threads, no weft
//! runtime anywhere, to show `Semaphore`, `Mutex`, `RwLock` and `Condition` need none.

use std::sync::Arc;
use std::thread;

use futures_lite::future::block_on;
use weft::sync::{Condition, Mutex, RwLock, Semaphore};

#[test]
fn semaphore_on_std_threads() {
    let sem = Arc::new(Semaphore::new(2));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let sem = sem.clone();
            thread::spawn(move || {
                for _ in 0..500 {
                    block_on(async {
                        let _p = sem.acquire().await.unwrap();
                        assert!(sem.available_permits() <= 1);
                    });
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn mutex_and_rwlock_on_std_threads() {
    let m = Arc::new(Mutex::new(0));
    let rw = Arc::new(RwLock::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (m, rw) = (m.clone(), rw.clone());
            thread::spawn(move || {
                block_on(async {
                    for _ in 0..1_000 {
                        *m.lock().await += 1;
                        *rw.write().await += 1;
                        let _r = rw.read().await;
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*block_on(m.lock()), 4_000);
    assert_eq!(*block_on(rw.read()), 4_000);
}

#[test]
fn condition_on_std_threads() {
    let shared = Arc::new((Mutex::new(0usize), Condition::new()));
    let s = shared.clone();
    let producer = thread::spawn(move || {
        for _ in 0..1_000 {
            block_on(async {
                *s.0.lock().await += 1;
                s.1.notify_all();
            });
        }
    });
    let seen = block_on(async {
        let g = shared
            .1
            .wait_while(shared.0.lock().await, |n| *n < 1_000)
            .await;
        *g
    });
    producer.join().unwrap();
    assert_eq!(seen, 1_000);
}

//! `OnceCell`: one initializer among many concurrent callers, a cancelled or panicking or
//! failing initializer handing over to the next, `set` errors, `wait`, `take`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft::sync::{OnceCell, SetError};

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn hundred_concurrent_get_or_init_run_one_initializer() {
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let (cell, runs) = (cell.clone(), runs.clone());
                weft::spawn(async move {
                    *cell
                        .get_or_init(|| async move {
                            runs.fetch_add(1, SeqCst);
                            // Stay in the initializer a while so others pile up.
                            for _ in 0..10 {
                                weft::task::yield_now().await;
                            }
                            i
                        })
                        .await
                })
            })
            .collect();
        let mut values = Vec::new();
        for t in tasks {
            values.push(t.await.unwrap());
        }
        assert_eq!(runs.load(SeqCst), 1);
        assert!(values.iter().all(|v| *v == values[0]));
        assert_eq!(cell.get(), Some(&values[0]));
    });
}

#[test]
fn cancelled_initializer_lets_the_next_run() {
    let cell = OnceCell::new();
    // The first caller starts initializing and never finishes.
    let mut first = Box::pin(cell.get_or_init(std::future::pending::<u32>));
    assert!(poll_noop(first.as_mut()).is_pending());
    // The second waits its turn.
    let mut second = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(poll_noop(second.as_mut()).is_pending());
    assert_eq!(
        cell.set(9),
        Err(SetError::InitializingError(9)),
        "set while initializing"
    );
    drop(first);
    match poll_noop(second.as_mut()) {
        Poll::Ready(v) => assert_eq!(*v, 2),
        Poll::Pending => panic!("the second initializer should have run"),
    }
    assert_eq!(cell.set(3), Err(SetError::AlreadyInitializedError(3)));
}

#[test]
fn failing_initializer_lets_the_next_run() {
    weft::run(async {
        let cell = OnceCell::<u8>::new();
        let r = cell.get_or_try_init(|| async { Err("no") }).await;
        assert_eq!(r, Err("no"));
        assert!(!cell.initialized());
        let r = cell.get_or_try_init(|| async { Ok::<_, ()>(4) }).await;
        assert_eq!(r, Ok(&4));
    });
}

#[test]
fn panicking_initializer_lets_the_next_run() {
    weft::run(async {
        let cell = Arc::new(OnceCell::new());
        let c = cell.clone();
        let panicked = weft::spawn(async move {
            *c.get_or_init(|| async { panic!("initializer fails") })
                .await
        });
        assert!(panicked.await.is_err());
        assert_eq!(*cell.get_or_init(|| async { 5 }).await, 5);
    });
}

#[test]
fn waiters_and_set() {
    let cell = OnceCell::new();
    let mut waits: Vec<_> = (0..40).map(|_| Box::pin(cell.wait())).collect();
    for w in &mut waits {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    // A `wait` never initializes: a dropped initializer wakes it, and it waits again.
    let mut init = Box::pin(cell.get_or_init(std::future::pending));
    assert!(poll_noop(init.as_mut()).is_pending());
    drop(init);
    for w in &mut waits {
        assert!(poll_noop(w.as_mut()).is_pending());
    }
    cell.set(String::from("v")).unwrap();
    for w in &mut waits {
        match poll_noop(w.as_mut()) {
            Poll::Ready(v) => assert_eq!(v, "v"),
            Poll::Pending => panic!("set wakes every waiter"),
        }
    }
}

#[test]
fn take_into_inner_and_drop() {
    let counter = Arc::new(());
    let mut cell = OnceCell::new();
    assert_eq!(cell.take(), None);
    cell.set(counter.clone()).unwrap();
    assert_eq!(Arc::strong_count(&counter), 2);
    assert!(cell.take().is_some());
    assert!(!cell.initialized());
    assert_eq!(Arc::strong_count(&counter), 1);
    cell.set(counter.clone()).unwrap();
    drop(cell);
    assert_eq!(Arc::strong_count(&counter), 1, "drop drops the value");
    let cell = OnceCell::from(counter.clone());
    assert!(cell.into_inner().is_some());
    assert_eq!(Arc::strong_count(&counter), 1);
}

//! `Barrier`: exactly one leader per generation, reuse across generations, `n == 0`, and a
//! waiter dropped before the barrier opens.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft::sync::Barrier;

fn poll_noop<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn zero_behaves_as_one() {
    weft::run(async {
        let barrier = Barrier::new(0);
        for _ in 0..3 {
            assert!(barrier.wait().await.is_leader());
        }
    });
}

#[test]
fn opens_only_at_n_and_the_last_leads() {
    let barrier = Barrier::new(3);
    let mut a = Box::pin(barrier.wait());
    let mut b = Box::pin(barrier.wait());
    assert!(poll_noop(a.as_mut()).is_pending());
    assert!(poll_noop(b.as_mut()).is_pending());
    assert!(poll_noop(a.as_mut()).is_pending());
    let mut c = Box::pin(barrier.wait());
    match poll_noop(c.as_mut()) {
        Poll::Ready(r) => assert!(r.is_leader()),
        Poll::Pending => panic!("the third waiter opens the barrier"),
    }
    for f in [&mut a, &mut b] {
        match poll_noop(f.as_mut()) {
            Poll::Ready(r) => assert!(!r.is_leader()),
            Poll::Pending => panic!("released"),
        }
    }
}

#[test]
fn dropped_waiter_does_not_count() {
    let barrier = Barrier::new(2);
    let mut a = Box::pin(barrier.wait());
    assert!(poll_noop(a.as_mut()).is_pending());
    drop(a); // un-arrives
    let mut b = Box::pin(barrier.wait());
    assert!(
        poll_noop(b.as_mut()).is_pending(),
        "b is alone at the barrier"
    );
    let mut c = Box::pin(barrier.wait());
    assert!(poll_noop(c.as_mut()).is_ready());
    assert!(poll_noop(b.as_mut()).is_ready());
}

#[test]
fn generations_have_exactly_one_leader_each_on_four_workers() {
    const N: usize = 40; // more than one wake batch
    const GENERATIONS: usize = 25;
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    rt.block_on(async {
        let barrier = Arc::new(Barrier::new(N));
        let leaders = Arc::new(AtomicUsize::new(0));
        let passed = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..N)
            .map(|_| {
                let (barrier, leaders, passed) = (barrier.clone(), leaders.clone(), passed.clone());
                weft::spawn(async move {
                    for generation in 0..GENERATIONS {
                        // Nobody runs ahead: everyone passed the generation before last.
                        assert!(passed.load(SeqCst) >= generation.saturating_sub(1) * N);
                        if barrier.wait().await.is_leader() {
                            leaders.fetch_add(1, SeqCst);
                        }
                        passed.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(leaders.load(SeqCst), GENERATIONS);
        assert_eq!(passed.load(SeqCst), GENERATIONS * N);
    });
}

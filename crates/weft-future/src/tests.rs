//! Tests of `join_all`, `try_join_all`, `select` and `MaybeDone` that need no runtime: they
//! run on a minimal executor. Those on weft's runtime (spawned children, the cooperative
//! budget of a task) and the tests of the `join!`, `try_join!` and `select!` macros are in
//! the facade's `tests/future_join.rs`.

use std::future::{pending, poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

use weft_core::test_support::block_on;

use super::{join_all, select, try_join_all, Either, MaybeDone};

/// Returns `Pending` once, waking itself (what `weft::task::yield_now` does).
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

async fn after_yields<T>(yields: usize, value: T) -> T {
    for _ in 0..yields {
        yield_now().await;
    }
    value
}

/// Increments its counter when dropped.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that never completes and counts its drop.
fn pending_with_drop<T>(drops: &Arc<AtomicUsize>) -> impl Future<Output = T> + Send + 'static {
    let guard = DropCount(drops.clone());
    async move {
        let _guard = guard;
        pending::<T>().await
    }
}

// ---------------------------------------------------------------- join_all / try_join_all

#[test]
fn join_all_keeps_input_order_when_children_finish_out_of_order() {
    for n in [1, 5, 16, 17, 100] {
        let outputs = block_on(join_all((0..n).map(|i| after_yields(n - i, i))));
        assert_eq!(outputs, (0..n).collect::<Vec<_>>(), "n = {n}");
    }
}

#[test]
fn join_all_of_nothing_is_empty() {
    let outputs = block_on(join_all(Vec::<std::future::Ready<u8>>::new()));
    assert!(outputs.is_empty());
    let result = block_on(try_join_all(
        Vec::<std::future::Ready<Result<u8, ()>>>::new(),
    ));
    assert_eq!(result, Ok(vec![]));
}

#[test]
fn try_join_all_gives_all_values_in_order() {
    for n in [3, 40] {
        let result =
            block_on(try_join_all((0..n).map(|i| async move {
                Ok::<_, ()>(after_yields(n - i, i).await)
            })));
        assert_eq!(result, Ok((0..n).collect::<Vec<_>>()));
    }
}

#[test]
fn try_join_all_returns_the_first_err_and_drops_the_rest_at_once() {
    for n in [5, 40] {
        let drops = Arc::new(AtomicUsize::new(0));
        let drops2 = drops.clone();
        let (result, drops_when_done) = block_on(async move {
            let children = (0..n).map(
                |i| -> Pin<Box<dyn Future<Output = Result<u32, String>> + Send>> {
                    if i == n / 2 {
                        Box::pin(async move { Err(after_yields(2, format!("child {i}")).await) })
                    } else {
                        Box::pin(pending_with_drop(&drops2))
                    }
                },
            );
            let mut all = pin!(try_join_all(children));
            let result = poll_fn(|cx| all.as_mut().poll(cx)).await;
            // The `TryJoinAll` is still alive here, its children are not.
            (result, drops2.load(Ordering::SeqCst))
        });
        assert_eq!(result, Err(format!("child {}", n / 2)));
        assert_eq!(drops_when_done, n as usize - 1);
        assert_eq!(drops.load(Ordering::SeqCst), n as usize - 1);
    }
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn join_all_polled_again_panics() {
    block_on(async {
        let mut all = pin!(join_all([async { 1 }]));
        assert_eq!(poll_fn(|cx| all.as_mut().poll(cx)).await, [1]);
        let _ = poll_fn(|cx| all.as_mut().poll(cx)).await;
    });
}

// ----------------------------------------------------------------------- select, MaybeDone

#[test]
fn select_fn_hands_back_the_loser() {
    block_on(async {
        let slow = pin!(after_yields(5, "slow"));
        let fast = pin!(after_yields(1, "fast"));
        match select(slow, fast).await {
            Either::Right((won, slow)) => {
                assert_eq!(won, "fast");
                assert_eq!(slow.await, "slow");
            }
            Either::Left(_) => panic!("the slow one won"),
        }
        // Both ready: the first wins.
        let (one, two) = (pin!(async { 1 }), pin!(async { 2 }));
        let out = select(one, two).await;
        assert!(matches!(out, Either::Left((1, _))));
    });
}

#[test]
fn maybe_done_keeps_the_output_until_taken() {
    block_on(async {
        let mut fut = pin!(MaybeDone::new(after_yields(2, 7)));
        assert!(!fut.is_done());
        assert_eq!(fut.output(), None);
        poll_fn(|cx| fut.as_mut().poll(cx)).await;
        assert!(fut.is_done());
        assert_eq!(fut.output(), Some(&7));
        *fut.as_mut().output_mut().unwrap() += 1;
        assert_eq!(fut.as_mut().take_output(), Some(8));
        assert_eq!(fut.as_mut().take_output(), None);
        assert!(fut.is_done());
        // Polling after completion stays ready.
        poll_fn(|cx| fut.as_mut().poll(cx)).await;
        assert_eq!(format!("{:?}", *fut), "MaybeDone(Gone)");
    });
}

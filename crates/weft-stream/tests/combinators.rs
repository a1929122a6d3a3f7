//! What each combinator of `StreamExt`, each source, `select` and `merge` yield.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use weft::stream::{self, Stream, StreamExt};

fn run<F: std::future::Future>(f: F) -> F::Output {
    weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

async fn all<S: Stream>(s: S) -> Vec<S::Item> {
    s.collect().await
}

#[test]
fn next_steps_through_then_stays_at_none() {
    run(async {
        let mut s = stream::iter([1, 2]);
        assert_eq!(s.next().await, Some(1));
        assert_eq!(s.next().await, Some(2));
        assert_eq!(s.next().await, None);
        assert_eq!(s.next().await, None);
    });
}

#[test]
fn map_filter_filter_map() {
    run(async {
        assert_eq!(all(stream::iter(1..=4).map(|x| x * 2)).await, [2, 4, 6, 8]);
        assert_eq!(
            all(stream::iter(1..=6).filter(|x| x % 2 == 1)).await,
            [1, 3, 5]
        );
        let parsed = stream::iter(["4", "-", "2"]).filter_map(|s| s.parse::<u8>().ok());
        assert_eq!(all(parsed).await, [4, 2]);
        assert_eq!(
            all(stream::iter(1..=3).filter(|_| false)).await,
            Vec::<i32>::new()
        );
    });
}

#[test]
fn then_runs_async_steps_in_order() {
    run(async {
        let s = stream::iter(1..=4).then(|x| async move {
            for _ in 0..(5 - x) {
                weft::task::yield_now().await;
            }
            x
        });
        assert_eq!(all(s).await, [1, 2, 3, 4]);
    });
}

#[test]
fn take_take_while_skip() {
    run(async {
        assert_eq!(all(stream::iter(1..).take(3)).await, [1, 2, 3]);
        assert_eq!(all(stream::iter(1..=3).take(0)).await, Vec::<i32>::new());
        let tw = stream::iter([1, 2, 9, 1, 2]).take_while(|x| *x < 5);
        assert_eq!(all(tw).await, [1, 2]);
        assert_eq!(all(stream::iter(1..=5).skip(3)).await, [4, 5]);
        assert_eq!(all(stream::iter(1..=2).skip(5)).await, Vec::<i32>::new());
    });
}

#[test]
fn take_while_stops_polling_the_stream_after_the_first_false() {
    run(async {
        let polled = AtomicUsize::new(0);
        let s = stream::iter(0..100)
            .map(|x| {
                polled.fetch_add(1, Ordering::Relaxed);
                x
            })
            .take_while(|x| *x < 3);
        let mut s = pin!(s);
        while s.next().await.is_some() {}
        assert_eq!(s.next().await, None);
        assert_eq!(polled.load(Ordering::Relaxed), 4); // 0, 1, 2 and the 3 that stopped it
    });
}

#[test]
fn chain_zip_enumerate() {
    run(async {
        let c = stream::iter([1, 2]).chain(stream::iter([3, 4]));
        assert_eq!(all(c).await, [1, 2, 3, 4]);
        let z = stream::iter(1..).zip(stream::iter(["a", "b", "c"]));
        assert_eq!(all(z).await, [(1, "a"), (2, "b"), (3, "c")]);
        let e = stream::iter(["x", "y"]).enumerate();
        assert_eq!(all(e).await, [(0, "x"), (1, "y")]);
    });
}

#[test]
fn collect_fold_for_each() {
    run(async {
        let s: String = stream::iter(["we", "ft"]).collect().await;
        assert_eq!(s, "weft");
        let set: std::collections::BTreeSet<i32> = stream::iter([3, 1, 3]).collect().await;
        assert_eq!(set.into_iter().collect::<Vec<_>>(), [1, 3]);
        let product = stream::iter(1..=5)
            .fold(1u64, |acc, x| async move { acc * x })
            .await;
        assert_eq!(product, 120);
        let mut seen = Vec::new();
        stream::iter(1..=3)
            .for_each(|x| {
                seen.push(x);
                async {}
            })
            .await;
        assert_eq!(seen, [1, 2, 3]);
    });
}

#[test]
fn chunks_splits_and_keeps_the_short_tail() {
    run(async {
        let c = stream::iter(1..=7).chunks(3);
        assert_eq!(all(c).await, [vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    });
}

#[test]
#[should_panic(expected = "`chunks`: capacity must be at least 1")]
fn chunks_of_zero_panics() {
    let _ = stream::iter(1..=3).chunks(0);
}

#[test]
#[should_panic(expected = "`buffer_unordered`: n must be at least 1")]
fn buffer_unordered_of_zero_panics() {
    let _ = stream::iter([std::future::ready(1)]).buffer_unordered(0);
}

#[test]
#[should_panic(expected = "`buffered`: n must be at least 1")]
fn buffered_of_zero_panics() {
    let _ = stream::iter([std::future::ready(1)]).buffered(0);
}

/// A future that counts itself in flight while it runs, and records the high-water mark.
async fn tracked(id: u32, yields: u32, now: Arc<AtomicUsize>, max: Arc<AtomicUsize>) -> u32 {
    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(n, Ordering::SeqCst);
    for _ in 0..yields {
        weft::task::yield_now().await;
    }
    now.fetch_sub(1, Ordering::SeqCst);
    id
}

#[test]
fn buffer_unordered_respects_its_limit_and_yields_in_completion_order() {
    run(async {
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (n2, m2) = (now.clone(), max.clone());
        // Early ids take longest, so completion order differs from stream order.
        let s = stream::iter(0..40u32)
            .map(move |i| tracked(i, 40 - i, n2.clone(), m2.clone()))
            .buffer_unordered(5);
        let out = all(s).await;
        assert_eq!(max.load(Ordering::SeqCst), 5);
        assert_eq!(now.load(Ordering::SeqCst), 0);
        assert_ne!(out, (0..40).collect::<Vec<_>>());
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, (0..40).collect::<Vec<_>>());
    });
}

#[test]
fn buffered_respects_its_limit_and_keeps_stream_order() {
    run(async {
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (n2, m2) = (now.clone(), max.clone());
        let s = stream::iter(0..30u32)
            .map(move |i| tracked(i, 30 - i, n2.clone(), m2.clone()))
            .buffered(4);
        assert_eq!(all(s).await, (0..30).collect::<Vec<_>>());
        assert_eq!(max.load(Ordering::SeqCst), 4);
    });
}

#[test]
fn for_each_concurrent_respects_its_limit() {
    run(async {
        let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let done = AtomicUsize::new(0);
        stream::iter(0..25u32)
            .for_each_concurrent(3, |i| {
                let (now, max, done) = (now.clone(), max.clone(), &done);
                async move {
                    tracked(i, 3, now, max).await;
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
            .await;
        assert_eq!(done.load(Ordering::SeqCst), 25);
        assert_eq!(max.load(Ordering::SeqCst), 3);
    });
}

#[test]
fn sources() {
    run(async {
        assert_eq!(all(stream::once(async { 5 })).await, [5]);
        assert_eq!(all(stream::empty::<u8>()).await, Vec::<u8>::new());
        let mut n = 0;
        let rw = stream::repeat_with(move || {
            n += 1;
            n
        });
        assert_eq!(all(rw.take(3)).await, [1, 2, 3]);
        let fib = stream::unfold((0u64, 1u64), |(a, b)| async move { Some((a, (b, a + b))) });
        assert_eq!(all(fib.take(7)).await, [0, 1, 1, 2, 3, 5, 8]);
        let countdown = stream::unfold(3, |n| async move { (n > 0).then(|| (n, n - 1)) });
        assert_eq!(all(countdown).await, [3, 2, 1]);
        // `pending` never yields: racing it against a ready stream gives the ready one's items.
        let p = stream::select(stream::pending::<i32>(), stream::iter([1, 2])).take(2);
        assert_eq!(all(p).await, [1, 2]);
    });
}

#[test]
fn select_alternates_and_ends_when_both_end() {
    run(async {
        let s = stream::select(stream::iter([1, 2, 3, 4]), stream::iter([10, 20]));
        assert_eq!(all(s).await, [1, 10, 2, 20, 3, 4]);
    });
}

#[test]
fn merge_is_round_robin_and_ends_when_all_end() {
    run(async {
        let m = stream::merge(vec![
            stream::iter(vec!["a1", "a2", "a3"]),
            stream::iter(vec!["b1"]),
            stream::iter(vec![]),
            stream::iter(vec!["d1", "d2"]),
        ]);
        assert_eq!(all(m).await, ["a1", "b1", "d1", "a2", "d2", "a3"]);
        assert_eq!(
            all(stream::merge(
                Vec::<stream::Iter<std::vec::IntoIter<u8>>>::new()
            ))
            .await,
            []
        );
    });
}

#[test]
fn merge_is_fair_between_streams_that_are_always_ready() {
    run(async {
        let endless = |tag: usize| stream::repeat_with(move || tag);
        let m = stream::merge(vec![endless(0), endless(1), endless(2)]);
        let mut counts = [0usize; 3];
        for tag in all(m.take(300)).await {
            counts[tag] += 1;
        }
        assert_eq!(counts, [100, 100, 100]);
    });
}

#[test]
fn merge_skips_streams_that_are_not_ready() {
    run(async {
        let slow = Box::pin(stream::iter(0..3).then(|x| async move {
            for _ in 0..10 {
                weft::task::yield_now().await;
            }
            100 + x
        })) as std::pin::Pin<Box<dyn Stream<Item = i32> + Send>>;
        let fast =
            Box::pin(stream::iter(0..3)) as std::pin::Pin<Box<dyn Stream<Item = i32> + Send>>;
        let out = all(stream::merge(vec![slow, fast])).await;
        // The fast stream is not held back by the slow one.
        assert_eq!(&out[..3], [0, 1, 2]);
        assert_eq!(&out[3..], [100, 101, 102]);
    });
}

#[test]
fn size_hints_are_sound() {
    let m = stream::merge(vec![stream::iter(vec![1, 2]), stream::iter(vec![3])]);
    assert_eq!(m.size_hint(), (3, Some(3)));
    let f = stream::iter([1, 2, 3]).filter(|_| true);
    assert_eq!(f.size_hint(), (0, Some(3)));
}

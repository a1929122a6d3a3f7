//! `task::as_completed` (asyncio's `as_completed`): outputs in completion order, few and
//! many futures, spawned tasks, cancellation on drop, and the end of the stream, on every
//! scheduler.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

use common::{for_each_runtime, in_task, yield_until, DropCounter, Flag};
use futures_core::{FusedStream, Stream};
use weft::task::{as_completed, yield_now};

async fn after(yields: usize) -> usize {
    for _ in 0..yields {
        yield_now().await;
    }
    yields
}

/// One `Stream::poll_next` with a waker that does nothing (the caller polls again;
/// `Waker::noop` needs Rust 1.85, the MSRV is 1.80).
fn poll_next_noop<S: Stream + Unpin>(stream: &mut S) -> Poll<Option<S::Item>> {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = std::task::Waker::from(Arc::new(Noop));
    Pin::new(stream).poll_next(&mut Context::from_waker(&waker))
}

#[test]
fn outputs_come_in_completion_order_not_argument_order() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            let mut stream = as_completed([after(5), after(1), after(3), after(0)]);
            let mut out = Vec::new();
            while let Some(v) = stream.next().await {
                out.push(v);
            }
            out
        });
        assert_eq!(out, [0, 1, 3, 5], "[{name}]");
    });
}

/// Above 16 futures `as_completed` keeps a ready list; the futures here complete one at a
/// time, in an order unrelated to their positions, set by another task that waits for each
/// output before releasing the next.
#[test]
fn many_futures_released_one_by_one_come_out_in_release_order() {
    for_each_runtime(|rt, name| {
        let n = 200;
        let flags: Vec<Flag> = (0..n).map(|_| Flag::new()).collect();
        // A permutation of 0..n.
        let order: Vec<usize> = (0..n).map(|i| (i * 37 + 11) % n).collect();
        let seen = Arc::new(AtomicUsize::new(0));

        let releaser = {
            let (flags, order, seen) = (flags.clone(), order.clone(), seen.clone());
            rt.spawn(async move {
                for (k, &i) in order.iter().enumerate() {
                    flags[i].set();
                    yield_until("the consumer took the released output", || {
                        seen.load(SeqCst) > k
                    })
                    .await;
                }
            })
        };
        let out = in_task(&rt, async move {
            let futures = flags.into_iter().enumerate().map(|(i, flag)| async move {
                flag.wait().await;
                i
            });
            let mut stream = as_completed(futures);
            assert_eq!(stream.len(), n);
            let mut out = Vec::new();
            while let Some(i) = stream.next().await {
                out.push(i);
                seen.fetch_add(1, SeqCst);
            }
            out
        });
        rt.block_on(releaser).unwrap();
        assert_eq!(out, order, "[{name}]");
    });
}

#[test]
fn spawned_tasks_are_yielded_as_they_finish() {
    for_each_runtime(|rt, name| {
        let out = in_task(&rt, async {
            let gates: Vec<Flag> = (0..3).map(|_| Flag::new()).collect();
            let handles: Vec<_> = gates
                .iter()
                .enumerate()
                .map(|(i, gate)| {
                    let wait = gate.wait();
                    weft::spawn(async move {
                        wait.await;
                        i
                    })
                })
                .collect();
            let mut stream = as_completed(handles);
            let mut out = Vec::new();
            for i in [2, 0, 1] {
                gates[i].set();
                out.push(stream.next().await.unwrap().unwrap());
            }
            assert_eq!(stream.next().await.map(|r| r.unwrap()), None);
            out
        });
        assert_eq!(out, [2, 0, 1], "[{name}]");
    });
}

#[test]
fn dropping_it_drops_the_futures_not_yet_complete() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let tokens = drops.clone();
        in_task(&rt, async move {
            let futures = (0..40).map(|i| {
                let token = tokens.token();
                async move {
                    if i == 7 {
                        return i;
                    }
                    std::future::pending::<()>().await;
                    drop(token);
                    unreachable!()
                }
            });
            let mut stream = as_completed(futures);
            assert_eq!(stream.next().await, Some(7));
            assert_eq!(stream.len(), 39);
            // The completed one's token went with it.
            assert_eq!(tokens.count(), 1);
            drop(stream);
        });
        assert_eq!(drops.count(), 40, "[{name}]");
    });
}

#[test]
fn the_stream_ends_once_and_stays_ended() {
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            let mut empty = as_completed(Vec::<std::future::Ready<u8>>::new());
            assert!(empty.is_empty());
            assert_eq!(empty.next().await, None);

            let mut stream = as_completed([after(2), after(1)]);
            assert_eq!(stream.size_hint(), (2, Some(2)));
            assert!(!stream.is_terminated());
            let mut outputs = Vec::new();
            // Driven through the `Stream` trait this time.
            loop {
                match poll_next_noop(&mut stream) {
                    Poll::Ready(Some(v)) => outputs.push(v),
                    Poll::Ready(None) => break,
                    Poll::Pending => yield_now().await,
                }
            }
            assert_eq!(outputs, [1, 2]);
            assert!(stream.is_terminated());
            assert_eq!(poll_next_noop(&mut stream), Poll::Ready(None));
            assert_eq!(stream.size_hint(), (0, Some(0)));
            name
        });
    });
}

#[test]
fn a_panicking_future_panics_the_consumer_with_its_message() {
    for_each_runtime(|rt, name| {
        let err = rt
            .block_on(rt.spawn(async {
                let futures: Vec<Pin<Box<dyn Future<Output = u8> + Send>>> = vec![
                    Box::pin(async {
                        after(3).await;
                        1
                    }),
                    Box::pin(async { panic!("child broke") }),
                ];
                let mut stream = as_completed(futures);
                stream.next().await
            }))
            .unwrap_err();
        assert!(err.is_panic(), "[{name}]");
        assert_eq!(common::join_panic_message(err), "child broke", "[{name}]");
    });
}

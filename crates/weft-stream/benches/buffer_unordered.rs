//! Should weft write its own `buffer_unordered` (and so `for_each_concurrent`) on weft-future's
//! ready list, or delegate to futures-util's (on `FuturesUnordered`)? This measures both.
//!
//! ```text
//! CARGO_TARGET_DIR=target/h-stream cargo bench -p weft-stream --bench buffer_unordered
//! ```
//!
//! Workloads, each a stream of 100,000 futures drained through `buffer_unordered(64)` inside
//! one weft task (multi-thread runtime, 2 workers):
//!
//! - `ready`: futures ready at their first poll;
//! - `yield`: futures that wake themselves once (`yield_now`), then complete;
//! - `spawned`: `JoinHandle`s of spawned tasks, so each wake-up comes from another task.
//!
//! Against weft's own (`weft::stream::StreamExt::buffer_unordered`, `src/buffer.rs`): the
//! in-flight futures unboxed in reused slots (no allocation per future), polled only when
//! their slot woke, through `weft_future::ReadySet` (a waker per slot). The last row is
//! `for_each_concurrent(64)` over the `yield` futures.

#![allow(missing_docs, missing_debug_implementations, unreachable_pub)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use weft::stream as ws;

const N: u64 = 100_000;
const LIMIT: usize = 64;
const RUNS: usize = 7;

fn time<F: Future<Output = u64> + Send + 'static>(
    rt: &weft::Runtime,
    mut make: impl FnMut() -> F,
) -> Duration {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let fut = make();
        let sum = rt.block_on(async move { weft::spawn(fut).await }).unwrap();
        times.push(start.elapsed());
        assert_eq!(sum, N * (N - 1) / 2);
    }
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let source = || futures_util::stream::iter(0..N);
    type Row = (&'static str, Duration, Duration);
    let mut rows: Vec<Row> = Vec::new();

    let fu = time(&rt, || async move {
        source()
            .map(|i| async move { i })
            .buffer_unordered(LIMIT)
            .fold(0, |a, b| async move { a + b })
            .await
    });
    let rs = time(&rt, || async move {
        ws::StreamExt::buffer_unordered(source().map(|i| async move { i }), LIMIT)
            .fold(0, |a, b| async move { a + b })
            .await
    });
    rows.push(("ready", fu, rs));

    let fu = time(&rt, || async move {
        source()
            .map(|i| async move {
                weft::task::yield_now().await;
                i
            })
            .buffer_unordered(LIMIT)
            .fold(0, |a, b| async move { a + b })
            .await
    });
    let rs = time(&rt, || async move {
        let s = source().map(|i| async move {
            weft::task::yield_now().await;
            i
        });
        ws::StreamExt::buffer_unordered(s, LIMIT)
            .fold(0, |a, b| async move { a + b })
            .await
    });
    rows.push(("yield", fu, rs));

    let fu = time(&rt, || async move {
        source()
            .map(|i| weft::spawn(async move { i }))
            .buffer_unordered(LIMIT)
            .fold(0, |a, b| async move { a + b.unwrap() })
            .await
    });
    let rs = time(&rt, || async move {
        ws::StreamExt::buffer_unordered(source().map(|i| weft::spawn(async move { i })), LIMIT)
            .fold(0, |a, b| async move { a + b.unwrap() })
            .await
    });
    rows.push(("spawned", fu, rs));

    let body = |sum: Arc<AtomicU64>| {
        move |i: u64| {
            let sum = sum.clone();
            async move {
                weft::task::yield_now().await;
                sum.fetch_add(i, Ordering::Relaxed);
            }
        }
    };
    let fu = time(&rt, || async move {
        let sum = Arc::new(AtomicU64::new(0));
        futures_util::StreamExt::for_each_concurrent(source(), LIMIT, body(sum.clone())).await;
        sum.load(Ordering::Relaxed)
    });
    let rs = time(&rt, || async move {
        let sum = Arc::new(AtomicU64::new(0));
        ws::StreamExt::for_each_concurrent(source(), LIMIT, body(sum.clone())).await;
        sum.load(Ordering::Relaxed)
    });
    rows.push(("for_each_concurrent", fu, rs));

    println!("buffer_unordered({LIMIT}) over {N} futures, median of {RUNS} runs");
    println!(
        "{:<20} {:>16} {:>16} {:>10}",
        "workload", "futures-util", "weft", "fu / weft"
    );
    for (name, fu, rs) in rows {
        println!(
            "{name:<20} {:>13.2} ms {:>13.2} ms {:>10.2}",
            fu.as_secs_f64() * 1e3,
            rs.as_secs_f64() * 1e3,
            fu.as_secs_f64() / rs.as_secs_f64()
        );
    }
}

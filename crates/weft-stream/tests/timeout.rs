//! `StreamExt::timeout` per item on the paused clock, and `Interval` as a stream.

use std::pin::pin;
use std::time::Duration;

use weft::stream::{self, StreamExt};
use weft::time::Instant;

fn paused<F: std::future::Future>(f: F) -> F::Output {
    weft::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(f)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Items that take `delays[i]` each (from when they are asked for).
fn slow(delays: Vec<u64>) -> impl weft::stream::Stream<Item = u64> {
    stream::iter(delays).then(|d| async move {
        weft::time::sleep(ms(d)).await;
        d
    })
}

#[test]
fn a_late_item_gives_elapsed_then_still_comes_and_the_stream_goes_on() {
    paused(async {
        let start = Instant::now();
        let s = slow(vec![5, 25, 5, 45]).timeout(ms(10));
        let mut s = pin!(s);
        let mut log = Vec::new();
        while let Some(item) = s.next().await {
            log.push((
                item.map_err(|_| "elapsed"),
                (Instant::now() - start).as_millis(),
            ));
        }
        assert_eq!(
            log,
            [
                (Ok(5), 5),
                // 25 ms from 5: late at 15 and, a full 10 ms later, at 25; comes at 30.
                (Err("elapsed"), 15),
                (Err("elapsed"), 25),
                (Ok(25), 30),
                (Ok(5), 35),
                (Err("elapsed"), 45),
                (Err("elapsed"), 55),
                (Err("elapsed"), 65),
                (Err("elapsed"), 75),
                (Ok(45), 80),
            ]
        );
    });
}

#[test]
fn items_that_are_ready_at_once_never_time_out_even_with_a_zero_duration() {
    paused(async {
        let got: Vec<_> = stream::iter(0..1000)
            .timeout(Duration::ZERO)
            .collect()
            .await;
        assert_eq!(got.len(), 1000);
        assert!(got.iter().all(Result::is_ok));
    });
}

#[test]
fn the_error_is_weft_time_elapsed() {
    paused(async {
        let mut s = pin!(stream::pending::<()>().timeout(ms(1)));
        let err: weft::time::Elapsed = s.next().await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "deadline has elapsed");
    });
}

#[test]
fn the_stream_ends_when_the_inner_stream_ends() {
    paused(async {
        let mut s = pin!(slow(vec![1]).timeout(ms(100)));
        assert_eq!(s.next().await, Some(Ok(1)));
        assert_eq!(s.next().await, None);
        assert_eq!(s.next().await, None);
    });
}

#[test]
#[should_panic(expected = "there is no timer")]
fn timeout_needs_a_runtime_with_time() {
    let rt = weft::runtime::Builder::new_current_thread()
        .disable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut s = pin!(stream::pending::<()>().timeout(ms(1)));
        let _ = s.next().await;
    });
}

#[test]
fn an_interval_is_a_stream_of_its_scheduled_ticks() {
    paused(async {
        let start = Instant::now();
        let ticks: Vec<_> = weft::time::interval(ms(10))
            .take(4)
            .map(|t| (t - start).as_millis())
            .collect()
            .await;
        assert_eq!(ticks, [0, 10, 20, 30]);
    });
}

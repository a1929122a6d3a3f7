//! `generate` and `try_generate`: order, laziness, early drop, errors, timers and channels
//! between yields, and what happens to a `Yielder` used where it does not belong.

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weft::stream::{self, FusedStream, Stream, StreamExt};

fn run<F: std::future::Future>(f: F) -> F::Output {
    weft::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn paused<F: std::future::Future>(f: F) -> F::Output {
    weft::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn items_come_in_order_and_the_stream_ends_with_the_generator() {
    run(async {
        let s = stream::generate(|mut y| async move {
            for i in 0..100 {
                y.send(i).await;
            }
        });
        let mut s = pin!(s);
        let mut seen = Vec::new();
        while let Some(i) = s.next().await {
            seen.push(i);
        }
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert!(s.is_terminated());
        assert_eq!(s.next().await, None);
        assert_eq!(s.size_hint(), (0, Some(0)));
    });
}

#[test]
fn the_generator_runs_only_as_far_as_the_consumer_asks() {
    run(async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let s = stream::generate(move |mut y| async move {
            for i in 0..3 {
                l.lock().unwrap().push(format!("before {i}"));
                y.send(i).await;
                l.lock().unwrap().push(format!("after {i}"));
            }
        });
        let mut s = pin!(s);
        assert!(
            log.lock().unwrap().is_empty(),
            "nothing runs before the first poll"
        );
        assert_eq!(s.next().await, Some(0));
        assert_eq!(*log.lock().unwrap(), ["before 0"]);
        assert_eq!(s.next().await, Some(1));
        assert_eq!(*log.lock().unwrap(), ["before 0", "after 0", "before 1"]);
    });
}

#[test]
fn an_empty_generator_is_an_empty_stream() {
    run(async {
        let s = stream::generate(|_y: stream::Yielder<u8>| async {});
        assert_eq!(s.collect::<Vec<_>>().await, Vec::<u8>::new());
    });
}

struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_the_stream_mid_generation_runs_the_generators_destructors() {
    run(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        let s = stream::generate(move |mut y| async move {
            let _guard = Guard(d);
            for i in 0.. {
                y.send(i).await;
            }
        });
        let mut s = Box::pin(s);
        assert_eq!(s.next().await, Some(0));
        assert_eq!(s.next().await, Some(1));
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
        drop(s);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn the_generator_future_is_dropped_as_soon_as_it_completes() {
    run(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        let s = stream::generate(move |mut y| async move {
            let _guard = Guard(d);
            y.send(1).await;
        });
        let mut s = pin!(s);
        assert_eq!(s.next().await, Some(1));
        assert_eq!(s.next().await, None);
        assert_eq!(dropped.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn try_generate_yields_ok_items_then_the_error_then_ends() {
    run(async {
        let s = stream::try_generate(|mut y| async move {
            y.send(1).await;
            y.send(2).await;
            Err::<(), _>("boom")?;
            y.send(3).await; // never reached
            Ok(())
        });
        let mut s = pin!(s);
        assert_eq!(s.next().await, Some(Ok(1)));
        assert_eq!(s.next().await, Some(Ok(2)));
        assert_eq!(s.next().await, Some(Err("boom")));
        assert!(s.is_terminated());
        assert_eq!(s.next().await, None);
        assert_eq!(s.next().await, None);
    });
}

#[test]
fn try_generate_that_succeeds_yields_only_ok_items() {
    run(async {
        let s = stream::try_generate(|mut y| async move {
            y.send('a').await;
            Ok::<(), std::io::Error>(())
        });
        let items: Vec<_> = s.collect().await;
        assert_eq!(items.len(), 1);
        assert_eq!(*items[0].as_ref().unwrap(), 'a');
    });
}

#[test]
fn a_generator_that_awaits_timers_and_channels_between_yields() {
    paused(async {
        let (tx, mut rx) = weft::sync::mpsc::channel::<u32>(1);
        let producer = weft::spawn(async move {
            for i in 0..5 {
                weft::time::sleep(Duration::from_millis(10)).await;
                tx.send(i).await.unwrap();
            }
        });
        let start = weft::time::Instant::now();
        let s = stream::generate(move |mut y| async move {
            while let Some(i) = rx.recv().await {
                weft::time::sleep(Duration::from_millis(1)).await;
                y.send((i, weft::time::Instant::now() - start)).await;
            }
        });
        let got: Vec<_> = s.collect().await;
        producer.await.unwrap();
        assert_eq!(
            got.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        // Each item waited for the producer's sleep and the generator's own.
        for (k, (_, at)) in got.iter().enumerate() {
            assert!(
                *at >= Duration::from_millis(10 * (k as u64 + 1) + 1),
                "{k}: {at:?}"
            );
        }
    });
}

#[test]
fn a_generator_stream_is_send_and_runs_in_a_spawned_task() {
    fn assert_send<T: Send>(t: T) -> T {
        t
    }
    let out = weft::run(async {
        let s = assert_send(stream::generate(|mut y| async move {
            for i in 0..10u64 {
                weft::task::yield_now().await;
                y.send(i).await;
            }
        }));
        weft::spawn(async move { s.fold(0, |a, b| async move { a + b }).await })
            .await
            .unwrap()
    });
    assert_eq!(out, 45);
}

#[test]
fn a_send_cancelled_after_its_first_poll_still_delivers_and_the_next_waits_its_turn() {
    run(async {
        let s = stream::generate(|mut y| async move {
            // Polled once (the item is handed over), then dropped, as a lost `select!` would.
            assert!(futures_lite::future::poll_once(y.send(1)).await.is_none());
            // The slot still holds 1 in this round: 2 waits for the next one.
            y.send(2).await;
            // Dropped before any poll: 3 is never handed over.
            drop(y.send(3));
            y.send(4).await;
        });
        assert_eq!(s.collect::<Vec<_>>().await, [1, 2, 4]);
    });
}

#[test]
fn a_yielder_moved_into_another_task_panics_there_and_the_stream_ends() {
    run(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let s = stream::generate(move |y: stream::Yielder<u32>| async move {
            tx.send(y).unwrap(); // smuggled out
        });
        let items: Vec<u32> = s.collect().await;
        assert!(items.is_empty());
        let mut y = rx.recv().unwrap();
        let misuse = weft::spawn(async move {
            y.send(7).await;
        })
        .await;
        let err = misuse.unwrap_err();
        assert!(err.is_panic());
        let msg = err.into_panic();
        let msg = msg
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| msg.downcast_ref::<&str>().copied())
            .unwrap();
        assert!(
            msg.contains("`Yielder::send` polled outside its generator"),
            "{msg}"
        );
    });
}

#[test]
fn a_yielder_sent_from_another_task_while_the_stream_is_alive_panics_there() {
    run(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let s = stream::generate(move |mut y: stream::Yielder<u32>| async move {
            y.send(1).await;
            tx.send(y).unwrap();
            std::future::pending::<()>().await; // stays alive, yields nothing more
        });
        let mut s = pin!(s);
        assert_eq!(s.next().await, Some(1));
        // The generator now hands its Yielder out and waits forever.
        let mut next = pin!(s.next());
        assert!(futures_lite::future::poll_once(&mut next).await.is_none());
        let mut y = rx.recv().unwrap();
        let misuse = weft::spawn(async move { y.send(2).await }).await;
        assert!(misuse.unwrap_err().is_panic());
        // The stream is unharmed: still waiting, no item appeared.
        assert!(futures_lite::future::poll_once(&mut next).await.is_none());
    });
}

#[test]
fn a_panicking_generator_leaves_no_yielder_usable_elsewhere() {
    run(async {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = weft::spawn(async move {
            let s = stream::generate(move |y: stream::Yielder<u8>| async move {
                tx.send(y).unwrap();
                panic!("generator failed");
            });
            s.collect::<Vec<_>>().await
        });
        assert!(handle.await.unwrap_err().is_panic());
        let mut y = rx.recv().unwrap();
        let misuse = weft::spawn(async move { y.send(1).await }).await;
        assert!(misuse.unwrap_err().is_panic());
    });
}

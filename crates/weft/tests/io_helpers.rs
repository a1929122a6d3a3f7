//! The io helpers on weft's runtime: `write_all` against a reader in the same task
//! (`join!`), and an always-ready `copy` yielding to other tasks (the cooperative budget of a
//! spawned task). The tests that need no runtime are weft-reactor's unit tests
//! (`crates/weft-reactor/src/io/tests.rs`).

use std::future::Future;
use std::sync::Arc;

use weft::io::{copy, duplex, repeat, sink, AsyncReadExt, AsyncWriteExt};
use weft::runtime::Builder;

/// Runs `f` on a fresh current-thread runtime.
fn block_on<F: Future>(f: F) -> F::Output {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Runs `f` as a task (with a cooperative budget) on a current-thread runtime.
fn run_task<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(rt.spawn(f)).unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn write_all_waits_for_room() {
    block_on(async {
        let (mut a, mut b) = duplex(3);
        let data = pattern(1000);
        let expected = data.clone();
        let writer = async move {
            a.write_all(&data).await.unwrap();
        };
        let reader = async move {
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = weft::join!(writer, reader);
        assert_eq!(got, expected);
    });
}

#[test]
fn always_ready_copy_yields_to_other_tasks() {
    // `repeat` -> `sink` is never `Pending` on its own; the budget makes it yield, so a
    // task spawned before the copy starts runs before the copy ends.
    let ran_before_end = run_task(async {
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let f = flag.clone();
        let _other = weft::spawn(async move { f.store(true, std::sync::atomic::Ordering::SeqCst) });
        copy(&mut repeat(0).take(64 << 20), &mut sink())
            .await
            .unwrap();
        flag.load(std::sync::atomic::Ordering::SeqCst)
    });
    assert!(ran_before_end);
}

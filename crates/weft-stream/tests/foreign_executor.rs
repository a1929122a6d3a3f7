//! Everything but `timeout` is runtime-agnostic: it runs on futures-lite's `block_on`, with
//! no weft runtime anywhere.

use futures_lite::future::block_on;
use weft::stream::{self, StreamExt};

#[test]
fn generators_and_combinators_run_on_a_foreign_executor() {
    block_on(async {
        let agen = stream::generate(|mut y| async move {
            for i in 0..10u32 {
                futures_lite::future::yield_now().await;
                y.send(i).await;
            }
        });
        let out: Vec<u32> = agen
            .filter(|i| i % 2 == 0)
            .map(|i| async move { i * 10 })
            .buffer_unordered(3)
            .collect()
            .await;
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, [0, 20, 40, 60, 80]);

        let failing = stream::try_generate(|mut y| async move {
            y.send(1).await;
            Err("bad")
        });
        assert_eq!(failing.collect::<Vec<_>>().await, [Ok(1), Err("bad")]);

        let merged = stream::merge(vec![stream::iter(0..2), stream::iter(10..12)]);
        assert_eq!(merged.collect::<Vec<_>>().await, [0, 10, 1, 11]);
    });
}

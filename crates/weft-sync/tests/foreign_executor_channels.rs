//! The channels need no weft runtime: oneshot and mpsc driven by `futures_lite`'s `block_on`
//! on plain std threads.

use futures_lite::future::block_on;
use weft::sync::{mpsc, oneshot};

#[test]
fn oneshot_between_std_threads() {
    for i in 0..200 {
        let (tx, rx) = oneshot::channel();
        let t = std::thread::spawn(move || block_on(rx));
        tx.send(i).unwrap();
        assert_eq!(t.join().unwrap(), Ok(i));
    }
}

#[test]
fn mpsc_bounded_and_unbounded_between_std_threads() {
    let (tx, mut rx) = mpsc::channel(3);
    let producers: Vec<_> = (0..4)
        .map(|s| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for i in 0..1_000 {
                        tx.send((s, i)).await.unwrap();
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let mut next = [0; 4];
    block_on(async {
        while let Some((s, i)) = rx.recv().await {
            assert_eq!(next[s], i);
            next[s] += 1;
        }
    });
    assert_eq!(next, [1_000; 4]);
    producers.into_iter().for_each(|p| p.join().unwrap());

    let (tx, mut rx) = mpsc::unbounded_channel();
    let t = std::thread::spawn(move || {
        for i in 0..1_000 {
            tx.send(i).unwrap();
        }
    });
    let got = block_on(async {
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    t.join().unwrap();
    assert_eq!(got, (0..1_000).collect::<Vec<_>>());
}

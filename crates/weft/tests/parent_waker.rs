//! The waker of a `join_all` / `JoinSet` / `as_completed` parent is replaced outside the
//! set's lock: dropping the old one may wake a child, which takes that lock.

use std::future::Future;
use std::pin::pin;
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// A waker that, when its last reference goes, wakes whatever waker is in `slot`.
struct WakesOnDrop {
    slot: Arc<Mutex<Option<Waker>>>,
}

impl Wake for WakesOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for WakesOnDrop {
    fn drop(&mut self) {
        if let Some(w) = self.slot.lock().unwrap().take() {
            w.wake();
        }
    }
}

/// With a slot: pending until woken once, keeping its waker in the slot. Without: ready.
fn child(slot: Option<Arc<Mutex<Option<Waker>>>>) -> impl Future<Output = u8> + Send {
    let mut polled = false;
    std::future::poll_fn(move |cx| {
        let Some(slot) = &slot else {
            return Poll::Ready(1);
        };
        if polled {
            return Poll::Ready(1);
        }
        polled = true;
        *slot.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    })
}

#[test]
fn dropping_the_old_parent_waker_may_wake_a_child() {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let slot = Arc::new(Mutex::new(None));
        // Enough children for join_all to use its ready list (small joins poll them all).
        let children = (0..64).map(|i| child((i == 0).then(|| slot.clone())));
        let mut all = pin!(weft::future::join_all(children));
        let first = Waker::from(Arc::new(WakesOnDrop { slot: slot.clone() }));
        assert!(all
            .as_mut()
            .poll(&mut Context::from_waker(&first))
            .is_pending());
        drop(first); // the set now holds the only reference
                     // A new parent waker: the set drops the old one, which wakes the child.
        let second = Waker::noop();
        let out = loop {
            if let Poll::Ready(out) = all.as_mut().poll(&mut Context::from_waker(second)) {
                break out;
            }
        };
        tx.send(out).unwrap();
    });
    let out = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("deadlock: the old parent waker was dropped under the set's lock");
    assert_eq!(out, vec![1; 64]);
}

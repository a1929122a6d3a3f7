//! Unit tests of the local ring and the injection queue (std build).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use crate::{local, local_starting_at, Inject, Local, Pushed, Steal, LOCAL_QUEUE_CAPACITY as CAP};

/// Pops everything left in `q`, in order.
fn drain<T>(q: &mut Local<T>) -> Vec<T> {
    std::iter::from_fn(|| q.pop()).collect()
}

/// Pops everything left in `inject`, in order.
fn drain_inject<T>(inject: &Inject<T>) -> Vec<T> {
    std::iter::from_fn(|| inject.pop()).collect()
}

/// An item that counts its drops in a shared counter.
struct Counted {
    id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn counted(id: usize, drops: &Arc<AtomicUsize>) -> Counted {
    Counted {
        id,
        drops: Arc::clone(drops),
    }
}

#[test]
fn push_then_pop_is_fifo() {
    let (mut q, _s) = local();
    let inject = Inject::new();
    for i in 0..10 {
        q.push_back(Box::new(i), &inject);
    }
    assert_eq!(
        drain(&mut q).into_iter().map(|b| *b).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    assert!(q.pop().is_none());
    assert!(inject.is_empty());
}

#[test]
fn interleaved_push_pop_keeps_order() {
    let (mut q, _s) = local();
    let inject = Inject::new();
    let mut next_in = 0;
    let mut next_out = 0;
    // Keep a backlog of half a ring and run many more operations than there are slots, so every
    // slot is reused many times without overflowing.
    for _ in 0..CAP / 2 {
        q.push_back(next_in, &inject);
        next_in += 1;
    }
    for round in 0..(CAP * 8) {
        let k = round % 5 + 1;
        for _ in 0..k {
            q.push_back(next_in, &inject);
            next_in += 1;
        }
        for _ in 0..k {
            assert_eq!(q.pop(), Some(next_out));
            next_out += 1;
        }
        assert_eq!(q.len(), CAP / 2);
    }
    assert_eq!(drain(&mut q), (next_out..next_in).collect::<Vec<_>>());
    assert!(inject.is_empty());
}

#[test]
fn len_and_remaining_slots_track_pushes_and_pops() {
    let (mut q, s) = local();
    let inject = Inject::new();
    assert_eq!((q.len(), q.remaining_slots(), q.is_empty()), (0, CAP, true));
    assert_eq!((s.len(), s.is_empty()), (0, true));
    for i in 1..=CAP {
        q.push_back(i, &inject);
        assert_eq!(q.len(), i);
        assert_eq!(s.len(), i);
        assert_eq!(q.remaining_slots(), CAP - i);
    }
    assert!(!q.is_empty() && !s.is_empty());
    q.pop();
    assert_eq!(
        (q.len(), q.remaining_slots(), s.len()),
        (CAP - 1, 1, CAP - 1)
    );
    assert!(inject.is_empty());
}

#[test]
fn full_ring_keeps_its_items_and_overflows_only_the_new_one() {
    let (mut q, _s) = local();
    let inject = Inject::new();
    for i in 0..CAP {
        q.push_back(i, &inject);
    }
    assert!(inject.is_empty());
    assert_eq!(q.remaining_slots(), 0);

    assert_eq!(q.push_back(CAP, &inject), Pushed::Overflow);
    assert_eq!(q.push_back(CAP + 1, &inject), Pushed::Overflow);
    // Only the pushed items went out, in order; the ring kept every item it held.
    assert_eq!(drain_inject(&inject), vec![CAP, CAP + 1]);
    assert_eq!(q.len(), CAP);
    // One pop makes room for exactly one more.
    assert_eq!(q.pop(), Some(0));
    assert_eq!(
        q.push_back(CAP + 2, &inject),
        Pushed::Local { before: CAP - 1 }
    );
    assert!(inject.is_empty());
    let expected: Vec<usize> = (1..CAP).chain([CAP + 2]).collect();
    assert_eq!(drain(&mut q), expected);
}

#[test]
fn steal_takes_half_and_returns_the_newest_stolen() {
    let inject = Inject::new();
    let (mut victim, steal) = local();
    let (mut thief, _thief_steal) = local();
    for i in 0..10 {
        victim.push_back(i, &inject);
    }
    assert_eq!(steal.steal_into(&mut thief), Some(4));
    assert_eq!(thief.len(), 4);
    assert_eq!(victim.len(), 5);
    assert_eq!(drain(&mut thief), vec![0, 1, 2, 3]);
    assert_eq!(drain(&mut victim), vec![5, 6, 7, 8, 9]);

    // An odd count rounds the stolen half up; a single item is stolen and returned directly.
    victim.push_back(10, &inject);
    assert_eq!(steal.steal_into(&mut thief), Some(10));
    assert!(thief.is_empty() && victim.is_empty());
}

#[test]
fn steal_of_a_full_ring_takes_exactly_half() {
    let inject = Inject::new();
    let (mut victim, steal) = local();
    let (mut thief, _) = local();
    for i in 0..CAP {
        victim.push_back(i, &inject);
    }
    assert_eq!(steal.steal_into(&mut thief), Some(CAP / 2 - 1));
    assert_eq!(thief.len(), CAP / 2 - 1);
    assert_eq!(victim.len(), CAP / 2);
    assert_eq!(victim.remaining_slots(), CAP / 2);
}

#[test]
fn steal_from_empty_steals_nothing() {
    let (_victim, steal) = local::<Box<u8>>();
    let (mut thief, _) = local();
    assert!(steal.steal_into(&mut thief).is_none());
    assert!(thief.is_empty());
    assert_eq!(thief.remaining_slots(), CAP);
}

#[test]
fn steal_refuses_a_destination_more_than_half_full() {
    let inject = Inject::new();
    let (mut victim, steal) = local();
    let (mut thief, _) = local();
    victim.push_back(0, &inject);
    for i in 0..=CAP / 2 {
        thief.push_back(100 + i, &inject);
    }
    assert_eq!(steal.steal_into(&mut thief), None);
    assert_eq!(victim.len(), 1);
    thief.pop();
    assert_eq!(steal.steal_into(&mut thief), Some(0));
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "cannot steal into itself")]
fn steal_into_self_is_caught() {
    let (mut q, s) = local();
    q.push_back(1, &Inject::new());
    s.steal_into(&mut q);
}

#[test]
fn dropping_local_drops_leftovers_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let inject = Inject::new();
    let (mut q, s) = local();
    for i in 0..10 {
        q.push_back(counted(i, &drops), &inject);
    }
    let first = q.pop().unwrap();
    assert_eq!(first.id, 0);
    drop(first);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // The Steal half outlives the Local: the leftovers still go when the Local does.
    drop(q);
    assert_eq!(drops.load(Ordering::SeqCst), 10);
    assert!(s.is_empty());
    drop(s);
    assert_eq!(drops.load(Ordering::SeqCst), 10);
}

#[test]
fn a_leaked_local_still_frees_its_items_with_the_last_handle() {
    let drops = Arc::new(AtomicUsize::new(0));
    let inject = Inject::new();
    let (mut q, s) = local_starting_at(u32::MAX - 2);
    for i in 0..5 {
        q.push_back(counted(i, &drops), &inject);
    }
    // Leaks the handle (and one Arc count); the Arc is rebuilt below so the ring can drop.
    let inner = Arc::into_raw(Arc::clone(&s.inner));
    std::mem::forget(q);
    drop(s);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    // SAFETY: `inner` came from `Arc::into_raw` above, and the forgotten `Local` still owns one
    // more count that it will never release, which this reclaims along with ours.
    unsafe {
        Arc::decrement_strong_count(inner);
        drop(Arc::from_raw(inner));
    }
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn dropping_inject_and_thief_queue_drops_everything_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let inject = Inject::new();
    let (mut q, s) = local();
    let (mut thief, _) = local();
    for i in 0..=CAP {
        q.push_back(counted(i, &drops), &inject);
    }
    let got = s.steal_into(&mut thief).unwrap();
    assert_eq!(inject.len(), 1);
    assert!(!thief.is_empty() && !q.is_empty());
    drop((got, thief, q, s, inject));
    assert_eq!(drops.load(Ordering::SeqCst), CAP + 1);
}

#[test]
fn indices_wrap_around_u32_max() {
    // Start a few pushes short of the wrap so pushes, pops, overflow and steals all cross it.
    let start = u32::MAX - (CAP as u32) / 2;
    let inject = Inject::new();
    let (mut q, s) = local_starting_at(start);
    let (mut thief, _) = local_starting_at(u32::MAX);
    for i in 0..CAP {
        q.push_back(i, &inject);
        assert_eq!(q.len(), i + 1);
    }
    assert_eq!((q.remaining_slots(), s.len()), (0, CAP));
    assert_eq!(q.pop(), Some(0));
    q.push_back(CAP, &inject);
    assert_eq!(q.remaining_slots(), 0);
    q.push_back(CAP + 1, &inject);
    assert_eq!(drain_inject(&inject), vec![CAP + 1]);
    assert_eq!(q.len(), CAP);

    // A steal across the wrap, into a thief whose own indices also wrap.
    thief.push_back(1000, &inject);
    assert_eq!(s.steal_into(&mut thief), Some(CAP / 2));
    assert_eq!(s.len(), CAP / 2);
    let mut stolen = drain(&mut thief);
    assert_eq!(stolen.remove(0), 1000);
    assert_eq!(stolen, (1..CAP / 2).collect::<Vec<_>>());
    assert_eq!(drain(&mut q), (CAP / 2 + 1..=CAP).collect::<Vec<_>>());
    assert!(inject.is_empty() && s.is_empty() && q.remaining_slots() == CAP);
}

#[test]
fn concurrent_steals_across_the_wrap_lose_and_duplicate_nothing() {
    const N: usize = 20_000;
    let inject = Inject::new();
    let (mut q, s) = local_starting_at(u32::MAX - 100);
    let thieves: Vec<_> = (0..2)
        .map(|_| {
            let s: Steal<usize> = s.clone();
            thread::spawn(move || {
                let (mut mine, _) = local_starting_at(u32::MAX - 7);
                let mut got = Vec::new();
                let mut idle = 0;
                while idle < 1_000 {
                    match s.steal_into(&mut mine) {
                        Some(v) => {
                            idle = 0;
                            got.push(v);
                            got.extend(drain(&mut mine));
                        }
                        None => {
                            idle += 1;
                            thread::yield_now();
                        }
                    }
                }
                got
            })
        })
        .collect();
    let mut seen = Vec::new();
    for i in 0..N {
        q.push_back(i, &inject);
        if i % 3 == 0 {
            seen.extend(q.pop());
        }
    }
    seen.extend(drain(&mut q));
    for t in thieves {
        seen.extend(t.join().unwrap());
    }
    seen.extend(drain_inject(&inject));
    seen.sort_unstable();
    assert_eq!(seen, (0..N).collect::<Vec<_>>());
}

#[test]
fn inject_is_fifo_and_counts() {
    let inject: Inject<usize> = Inject::default();
    assert!(inject.is_empty());
    inject.push(0);
    inject.push_batch(1..5);
    inject.push(5);
    assert_eq!(inject.len(), 6);
    assert_eq!(drain_inject(&inject), (0..6).collect::<Vec<_>>());
    assert_eq!(inject.pop(), None);
}

#[test]
fn a_batch_pop_stops_at_the_room_left_and_keeps_the_rest_in_order() {
    let inject = Inject::new();
    let (mut mine, _steal) = local();
    for i in 0..CAP - 2 {
        assert_eq!(
            mine.push_back(1000 + i, &inject),
            Pushed::Local { before: i }
        );
    }
    assert!(inject.is_empty());
    assert_eq!(inject.pop_batch_into(&mut mine, 9), None);
    inject.push_batch(0..10);
    // The first comes back; two more fit in the ring; the seven others stay, in order.
    assert_eq!(inject.pop_batch_into(&mut mine, 9), Some(0));
    assert_eq!(mine.len(), CAP);
    assert_eq!(inject.len(), 7);
    assert_eq!(drain(&mut mine)[CAP - 2..], [1, 2]);
    assert_eq!(drain_inject(&inject), (3..10).collect::<Vec<_>>());
    // `more` bounds the batch, and a short queue ends it early.
    inject.push_batch(0..3);
    assert_eq!(inject.pop_batch_into(&mut mine, 1), Some(0));
    assert_eq!((mine.len(), inject.len()), (1, 1));
    assert_eq!(inject.pop_batch_into(&mut mine, 8), Some(2));
    assert_eq!(drain(&mut mine), [1]);
    assert!(inject.is_empty());
}

#[test]
fn a_drained_burst_gives_its_room_back() {
    let inject = Inject::new();
    inject.push_batch(0..100_000);
    assert!(inject.capacity() >= 100_000);
    let (mut mine, _steal) = local();
    assert_eq!(inject.pop_batch_into(&mut mine, 64), Some(0));
    // Not while items are left...
    assert!(inject.capacity() >= 100_000);
    assert_eq!(drain_inject(&inject).len(), 100_000 - 65);
    // ...but once it has drained.
    assert!(inject.capacity() <= 1024, "kept {}", inject.capacity());
    // A small queue keeps what it grew.
    inject.push_batch(0..3000);
    assert_eq!(drain_inject(&inject).len(), 3000);
    assert!(inject.capacity() >= 3000);
}

#[test]
fn handles_are_send_and_sync_as_documented() {
    fn is_send<S: Send>() {}
    fn is_sync<S: Sync>() {}
    fn is_clone<S: Clone>() {}
    is_send::<Local<Box<u8>>>();
    is_send::<Steal<Box<u8>>>();
    is_sync::<Steal<Box<u8>>>();
    is_clone::<Steal<Box<u8>>>();
    is_send::<Inject<Box<u8>>>();
    is_sync::<Inject<Box<u8>>>();
}

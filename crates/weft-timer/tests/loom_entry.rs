//! Loom models of the timer entry's waker slot: the driver firing (or shutting down) an
//! entry while its owner registers a waker, re-registers a new one, or drops the entry.
//!
//! These drive the crate's real `Entry` and `AtomicWaker` (through the hidden
//! `weft_timer::entry_seam`, whose methods are the ones the driver and `Sleep` call), not a
//! `Sleep`: so no check of `Sleep`'s can hide a lost wake-up, and the slot's own contract (a
//! fire that finds a waker wakes one) is checked apart from the state word that usually
//! makes it redundant. Under every interleaving: a poll that returns `Pending` is woken, a
//! waker is woken at most once per registration, no waker is left behind once the entry is
//! gone, and the entry is freed (loom reports a leaked `Arc`, and a data race on the slot).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-timer --test loom_entry --target-dir target/loom
//! ```
//!
//! Seeded bugs these catch (each checked, then reverted): `AtomicWaker::register` not waking
//! the new waker when a take raced it (`fire_races_a_new_waker`, "a fire woke nobody"; the
//! `Sleep`-level models of `loom_timer.rs` miss it, since the poll then sees `FIRED` by
//! itself); `Entry::poll_state` not reading the state again after storing the waker
//! (`fire_races_the_first_register`, "lost wake-up"); `Entry::fire` taking the waker before
//! publishing `FIRED` (the same); `AtomicWaker::take`'s `fetch_or` or `fetch_and`, or the
//! end of `register`, without acquire/release (loom: concurrent writes to the slot). Making
//! the state word itself `Relaxed` is no bug: the slot's read-modify-writes order it.
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::sync::Arc as StdArc;
use std::task::{Poll, Wake, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::{Arc, Mutex};
use weft_core::loom::{model, thread};
use weft_timer::entry_seam::{EntryRef, Final};

#[cfg(not(debug_assertions))]
compile_error!(
    "run the loom models with `-C debug-assertions`: the slot's invariants are debug_asserts"
);

/// A waker that counts its wake-ups (with a loom atomic, so loom sees the wake's ordering).
struct Counter(AtomicUsize);

impl Counter {
    fn new() -> StdArc<Counter> {
        StdArc::new(Counter(AtomicUsize::new(0)))
    }
}

impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn waker(counter: &StdArc<Counter>) -> Waker {
    Waker::from(counter.clone())
}

fn wakes(counter: &StdArc<Counter>) -> usize {
    counter.0.load(SeqCst)
}

/// Asserts that no clone of `counter`'s waker is still held (by a slot, or a lost `Waker`).
fn assert_released(counter: &StdArc<Counter>) {
    assert_eq!(StdArc::strong_count(counter), 1, "a waker left behind");
}

/// Another thread ends `entry` with `end` (`EntryRef::fire` or `EntryRef::shut_down`) and
/// wakes what it took, as the driver does once it has released the wheel lock.
fn end_on_another_thread(
    entry: &EntryRef,
    end: fn(&EntryRef) -> Option<Waker>,
) -> thread::JoinHandle<()> {
    let entry = entry.clone();
    thread::spawn(move || {
        if let Some(waker) = end(&entry) {
            waker.wake();
        }
    })
}

/// The stand-in for the wheel: the list's reference while the entry is linked, behind the
/// wheel lock. Firing takes it out and fires under the lock (dropping the reference there,
/// as `Driver::process` does); a dropped `Sleep` takes it out to unlink.
type Wheel = Arc<Mutex<Option<EntryRef>>>;

fn link(entry: &EntryRef) -> Wheel {
    Arc::new(Mutex::new(Some(entry.clone())))
}

/// Another thread fires `entry` if it is still linked; returns whether it was.
fn fire_if_linked_on_another_thread(wheel: &Wheel) -> thread::JoinHandle<bool> {
    let wheel = wheel.clone();
    thread::spawn(move || {
        let taken = {
            let mut linked = wheel.lock();
            linked.take().map(|entry| entry.fire())
        };
        match taken {
            Some(waker) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
                true
            }
            None => false,
        }
    })
}

/// What a dropped `Sleep` does: unless final, unlink (the reference dropped after the lock).
fn drop_owner(entry: EntryRef, wheel: &Wheel) {
    entry.release(|| {
        let unlinked = wheel.lock().take();
        drop(unlinked);
    });
}

#[test]
fn fire_races_the_first_register() {
    model(|| {
        let entry = EntryRef::new();
        let a = Counter::new();

        let firing = end_on_another_thread(&entry, EntryRef::fire);
        let first = entry.poll(&waker(&a));
        firing.join().unwrap();

        assert!(wakes(&a) <= 1, "woken {} times", wakes(&a));
        if first.is_pending() {
            assert_eq!(wakes(&a), 1, "lost wake-up: Pending, and never woken");
        }
        assert_eq!(entry.poll(&waker(&a)), Poll::Ready(Final::Fired));
        drop(entry);
        assert_released(&a);
    });
}

/// A re-poll from another task (or after the task moved): the latest waker must be woken,
/// and the fire must wake one of them even though the poll then sees `FIRED` by itself.
fn end_races_a_new_waker(end: fn(&EntryRef) -> Option<Waker>, expect: Final) {
    model(move || {
        let entry = EntryRef::new();
        let (a, b) = (Counter::new(), Counter::new());
        assert!(entry.poll(&waker(&a)).is_pending());

        let ending = end_on_another_thread(&entry, end);
        let second = entry.poll(&waker(&b));
        ending.join().unwrap();

        assert!(wakes(&a) <= 1 && wakes(&b) <= 1, "a waker woken twice");
        match second {
            Poll::Pending => assert_eq!(wakes(&b), 1, "lost wake-up: the latest waker"),
            Poll::Ready(end) => assert_eq!(end, expect),
        }
        // The slot's own contract, whatever the poll saw: a take that finds a waker
        // registered wakes one (the old one, or the new one if it raced the registration).
        assert!(wakes(&a) + wakes(&b) >= 1, "a fire woke nobody");
        drop(entry);
        assert_released(&a);
        assert_released(&b);
    });
}

#[test]
fn fire_races_a_new_waker() {
    end_races_a_new_waker(EntryRef::fire, Final::Fired);
}

#[test]
fn shutdown_races_a_new_waker() {
    end_races_a_new_waker(EntryRef::shut_down, Final::Shutdown);
}

#[test]
fn fire_races_the_same_waker_registered_again() {
    model(|| {
        let entry = EntryRef::new();
        let a = Counter::new();
        assert!(entry.poll(&waker(&a)).is_pending());

        let firing = end_on_another_thread(&entry, EntryRef::fire);
        let again = entry.poll(&waker(&a));
        firing.join().unwrap();

        // Twice at most: once by the fire, once by a registration that met the take.
        assert!((1..=2).contains(&wakes(&a)), "woken {} times", wakes(&a));
        if again.is_pending() {
            assert_eq!(wakes(&a), 1);
        }
        drop(entry);
        assert_released(&a);
    });
}

#[test]
fn fire_races_the_entry_being_dropped() {
    model(|| {
        let entry = EntryRef::new();
        let a = Counter::new();
        assert!(entry.poll(&waker(&a)).is_pending());
        let wheel = link(&entry);

        let firing = fire_if_linked_on_another_thread(&wheel);
        drop_owner(entry, &wheel);
        let fired = firing.join().unwrap();

        // Fired first: woken once. Unlinked first: never fired, nobody to wake.
        assert_eq!(wakes(&a), usize::from(fired));
        assert!(wheel.lock().is_none(), "still linked");
        assert_released(&a);
    });
}

#[test]
fn fire_races_a_new_waker_then_the_drop() {
    model(|| {
        let entry = EntryRef::new();
        let (a, b) = (Counter::new(), Counter::new());
        assert!(entry.poll(&waker(&a)).is_pending());
        let wheel = link(&entry);

        let firing = fire_if_linked_on_another_thread(&wheel);
        let _ = entry.poll(&waker(&b));
        drop_owner(entry, &wheel);
        let fired = firing.join().unwrap();

        assert!(wakes(&a) <= 1 && wakes(&b) <= 1, "a waker woken twice");
        if fired {
            assert!(wakes(&a) + wakes(&b) >= 1, "a fire woke nobody");
        } else {
            assert_eq!(wakes(&a) + wakes(&b), 0, "woken, never fired");
        }
        assert!(wheel.lock().is_none(), "still linked");
        assert_released(&a);
        assert_released(&b);
    });
}

//! Loom models of the timer's cross-thread path: a `Sleep` registered, re-polled, reset or
//! dropped on one thread while another fires its slot (a paused clock advanced there), or
//! shuts the driver down. Under every interleaving: no wake-up is lost, a waker fires at
//! most once per registration, a sleep never completes before its deadline, and the entry
//! is freed (loom reports a leaked `Arc`).
//!
//! ```text
//! RUSTFLAGS="--cfg weft_loom -C debug-assertions" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p weft-timer --test loom_timer --target-dir target/loom
//! ```
// Cheap enough to search deeper on every run (cargo xtask loom reads this line):
// loom-preemptions: 3
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use weft_core::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::{Condvar, Mutex};
use weft_core::loom::{model, thread};
use weft_timer::{Clock, Driver, Sleep};

#[cfg(not(debug_assertions))]
compile_error!(
    "run the loom models with `-C debug-assertions`: the timer's invariants are debug_asserts"
);

/// Counts wake-ups (with a loom atomic, so loom sees the wake's ordering).
struct Counter(AtomicUsize);

impl Counter {
    fn new() -> StdArc<Counter> {
        StdArc::new(Counter(AtomicUsize::new(0)))
    }
    fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: StdArc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll(sleep: &mut Sleep, counter: &StdArc<Counter>) -> Poll<()> {
    let waker = Waker::from(counter.clone());
    Pin::new(sleep).poll(&mut Context::from_waker(&waker))
}

const TICK: Duration = Duration::from_millis(1);

/// A paused clock and its driver.
fn setup() -> (Clock, Driver) {
    let clock = Clock::paused();
    let driver = Driver::new(clock.clone(), StdArc::new(|| {}));
    (clock, driver)
}

/// A driver of `shards` shards on the real clock, and the count of its unparks.
fn counting_unparks(shards: usize) -> (Driver, StdArc<AtomicUsize>) {
    let unparks = StdArc::new(AtomicUsize::new(0));
    let u = unparks.clone();
    let unpark = StdArc::new(move || {
        u.fetch_add(1, SeqCst);
    });
    (Driver::with_shards(Clock::real(), unpark, shards), unparks)
}

/// The other thread: time moves on by `d`, firing what is due.
fn advance_on_another_thread(clock: &Clock, d: Duration) -> thread::JoinHandle<()> {
    let clock = clock.clone();
    thread::spawn(move || clock.advance(d))
}

#[test]
fn register_races_fire() {
    model(|| {
        let (clock, driver) = setup();
        let counter = Counter::new();
        let mut sleep = driver.handle().sleep(TICK);

        let firing = advance_on_another_thread(&clock, TICK);
        let first = poll(&mut sleep, &counter);
        firing.join().unwrap();

        // The deadline has passed now: a registration that returned Pending was fired and
        // woken; one that came after the fire saw it due.
        let wakes = counter.count();
        assert!(wakes <= 1, "woken {wakes} times");
        if first.is_pending() {
            assert_eq!(wakes, 1, "lost wake-up");
        }
        assert!(poll(&mut sleep, &counter).is_ready());
        drop(sleep);
        assert_eq!(driver.pending_timers(), 0);
    });
}

#[test]
fn drop_races_fire() {
    model(|| {
        let (clock, driver) = setup();
        let counter = Counter::new();
        let mut sleep = driver.handle().sleep(TICK);
        assert!(poll(&mut sleep, &counter).is_pending());

        let firing = advance_on_another_thread(&clock, TICK);
        drop(sleep);
        firing.join().unwrap();

        // Woken if the fire won, never twice; the entry is gone either way.
        assert!(counter.count() <= 1);
        assert_eq!(driver.pending_timers(), 0);
        assert_eq!(StdArc::strong_count(&counter), 1, "no waker left behind");
    });
}

#[test]
fn repoll_with_a_new_waker_races_fire() {
    model(|| {
        let (clock, driver) = setup();
        let (a, b) = (Counter::new(), Counter::new());
        let mut sleep = driver.handle().sleep(TICK);
        assert!(poll(&mut sleep, &a).is_pending());

        let firing = advance_on_another_thread(&clock, TICK);
        let second = poll(&mut sleep, &b);
        firing.join().unwrap();

        // Each waker at most once. (Both can be woken: a re-registration that meets the
        // fire's take in progress wakes the new waker itself, as futures' AtomicWaker does.)
        assert!(a.count() <= 1 && b.count() <= 1);
        if second.is_pending() {
            assert_eq!(b.count(), 1, "the latest waker must be woken");
        }
        drop(sleep);
        assert_eq!(driver.pending_timers(), 0);
    });
}

#[test]
fn reset_races_fire() {
    model(|| {
        let (clock, driver) = setup();
        let handle = driver.handle();
        let counter = Counter::new();
        let start = handle.now();
        let mut sleep = handle.sleep(TICK);
        assert!(poll(&mut sleep, &counter).is_pending());

        let firing = advance_on_another_thread(&clock, TICK);
        sleep.reset(start + 2 * TICK);
        let after_reset = poll(&mut sleep, &counter);
        firing.join().unwrap();

        // At 1 ms, a sleep reset to 2 ms is never complete (a fire of the old deadline may
        // have woken the task once: a spurious wake, not a completion).
        assert!(after_reset.is_pending(), "completed before its deadline");
        assert!(!sleep.is_elapsed());
        assert!(counter.count() <= 1);
        let before = counter.count();

        clock.advance(TICK);
        assert_eq!(counter.count(), before + 1, "woken at the new deadline");
        assert!(poll(&mut sleep, &counter).is_ready());
        drop(sleep);
        assert_eq!(driver.pending_timers(), 0);
    });
}

#[test]
fn shutdown_races_drop() {
    model(|| {
        let (_clock, driver) = setup();
        let counter = Counter::new();
        let mut sleep = driver.handle().sleep(TICK);
        assert!(poll(&mut sleep, &counter).is_pending());

        let driver = StdArc::new(driver);
        let d = driver.clone();
        let shutting = thread::spawn(move || {
            d.shutdown();
        });
        drop(sleep);
        shutting.join().unwrap();

        assert!(counter.count() <= 1);
        assert_eq!(driver.pending_timers(), 0);
    });
}

#[test]
fn register_races_park() {
    model(|| {
        let (driver, unparks) = counting_unparks(1);
        let handle = driver.handle();
        let registering = thread::spawn(move || {
            let mut sleep = handle.sleep(Duration::from_secs(3600));
            assert!(poll(&mut sleep, &Counter::new()).is_pending());
            sleep
        });
        // The driver's thread, about to park with no time-out of its own.
        let timeout = driver.park_timeout(None);
        let sleep = registering.join().unwrap();

        // Either the park saw the timer, or the registration unparked it: never both
        // missing, or the thread would sleep through the deadline.
        match timeout {
            Some(t) => assert!(t <= Duration::from_secs(3600)),
            None => assert_eq!(unparks.load(SeqCst), 1, "lost unpark"),
        }
        drop(sleep);
        assert_eq!(driver.pending_timers(), 0);
    });
}

#[test]
fn registers_in_two_shards_race_park() {
    // A sharded driver parks holding every shard's lock; each registering thread takes its
    // own shard (the first to register takes shard 0, the next shard 1). Whatever the
    // interleaving, the park sees both timers or is unparked for the ones it missed.
    model(|| {
        let (driver, unparks) = counting_unparks(2);
        let registering: Vec<_> = [3600, 7200]
            .map(|secs| {
                let handle = driver.handle();
                thread::spawn(move || {
                    let mut sleep = handle.sleep(Duration::from_secs(secs));
                    assert!(poll(&mut sleep, &Counter::new()).is_pending());
                    sleep
                })
            })
            .into_iter()
            .collect();
        let timeout = driver.park_timeout(None);
        let sleeps: Vec<_> = registering.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(driver.pending_timers(), 2);

        // The earliest timer (3600 s) must bound the park, or have unparked it.
        match timeout {
            Some(t) if t <= Duration::from_secs(3600) => {}
            _ => assert!(unparks.load(SeqCst) >= 1, "lost unpark: {timeout:?}"),
        }
        drop(sleeps);
        assert_eq!(driver.pending_timers(), 0);
    });
}

/// A parker with a token, as the runtime's (a zero time-out polls).
struct Parker {
    token: Mutex<bool>,
    condvar: Condvar,
}

impl Parker {
    fn park(&self, timeout: Option<Duration>) {
        let mut token = self.token.lock();
        if timeout != Some(Duration::ZERO) {
            // (Loom has no clock: a timed park is an untimed one, which is stricter.)
            while !*token {
                token = self.condvar.wait(token);
            }
        }
        *token = false;
    }

    fn unpark(&self) {
        *self.token.lock() = true;
        self.condvar.notify_one();
    }
}

/// Sets the flag and unparks the driver's thread, as waking a task would.
struct Done(AtomicBool, StdArc<Parker>);

impl Wake for Done {
    fn wake(self: StdArc<Self>) {
        self.0.store(true, SeqCst);
        self.1.unpark();
    }
}

#[test]
fn an_idle_runtime_jumps_to_a_timer_registered_elsewhere() {
    model(|| {
        let parker = StdArc::new(Parker {
            token: Mutex::new(false),
            condvar: Condvar::new(),
        });
        let p = parker.clone();
        let driver = Driver::new(Clock::paused(), StdArc::new(move || p.unpark()));
        let done = StdArc::new(Done(AtomicBool::new(false), parker.clone()));

        let handle = driver.handle();
        let waker = Waker::from(done.clone());
        let registering = thread::spawn(move || {
            let mut sleep = handle.sleep(TICK);
            let pending = Pin::new(&mut sleep)
                .poll(&mut Context::from_waker(&waker))
                .is_pending();
            assert!(pending);
            sleep
        });

        // The runtime's only thread, idle: it parks with no time-out of its own. It must
        // end up jumping to the timer and firing it, wherever the registration falls (a
        // lost unpark shows as a deadlock).
        while !done.0.load(SeqCst) {
            let t = driver.park_timeout(None);
            parker.park(t);
            driver.process();
        }
        let sleep = registering.join().unwrap();
        assert!(sleep.is_elapsed());
    });
}

//! Many timers at once: a million sleeps on a paused clock, and sleeps registered and
//! cancelled from several threads while a driver thread parks and fires them on the real
//! clock. Every timer fires exactly once (a cancelled one at most once), never early.
//!
//! ```text
//! cargo test --release -p weft-timer --test stress_timers
//! ```

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Wake, Waker};
use std::thread;
use std::time::Duration;

use common::{ms, poll, poll_noop};
use weft_timer::{Clock, Driver, Sleep};

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Counts wake-ups and notes one that came before the deadline.
struct Probe {
    wakes: AtomicUsize,
    deadline: std::time::Instant,
    early: AtomicBool,
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if std::time::Instant::now() < self.deadline {
            self.early.store(true, SeqCst);
        }
        self.wakes.fetch_add(1, SeqCst);
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "heavy: run in release")]
fn a_million_sleeps_on_a_paused_clock() {
    const N: usize = 1_000_000;
    let clock = Clock::paused();
    let driver = Driver::new(clock.clone(), Arc::new(|| {}));
    let handle = driver.handle();
    let start = clock.now();
    let mut rng = Rng(0x5EED);

    let wakes: Arc<Vec<AtomicUsize>> = Arc::new((0..N).map(|_| AtomicUsize::new(0)).collect());
    struct Slot(usize, Arc<Vec<AtomicUsize>>);
    impl Wake for Slot {
        fn wake(self: Arc<Self>) {
            self.1[self.0].fetch_add(1, SeqCst);
        }
    }

    let mut sleeps: Vec<Sleep> = Vec::with_capacity(N);
    for i in 0..N {
        // 1 to 50 ms, with a sub-millisecond part.
        let d = Duration::from_micros(1_000 + rng.below(49_000));
        let mut sleep = handle.sleep(d);
        let waker = Waker::from(Arc::new(Slot(i, wakes.clone())));
        assert!(poll(&mut sleep, &waker).is_pending());
        sleeps.push(sleep);
    }
    assert_eq!(driver.pending_timers(), N);

    let mut fired = 0;
    for t in 1..=50 {
        clock.advance(ms(1));
        let now = clock.now();
        assert_eq!(now - start, ms(t));
        // Exactly the sleeps due by now (rounded up to the tick) have fired.
        let due = sleeps.iter().filter(|s| s.deadline() <= now).count();
        fired = wakes.iter().filter(|w| w.load(SeqCst) > 0).count();
        assert_eq!(fired, due, "at {t} ms");
    }
    assert_eq!(fired, N);
    assert!(
        wakes.iter().all(|w| w.load(SeqCst) == 1),
        "each exactly once"
    );
    assert_eq!(driver.pending_timers(), 0);
    assert!(sleeps.iter_mut().all(|s| poll_noop(s).is_ready()));
}

/// A parker with a token, as the runtime's.
#[derive(Default)]
struct Parker {
    token: Mutex<bool>,
    condvar: Condvar,
}

impl Parker {
    fn park(&self, timeout: Option<Duration>) {
        let mut token = self.token.lock().unwrap();
        if !*token {
            match timeout {
                Some(d) => token = self.condvar.wait_timeout(token, d).unwrap().0,
                None => token = self.condvar.wait(token).unwrap(),
            }
        }
        *token = false;
    }

    fn unpark(&self) {
        *self.token.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

#[test]
fn sleeps_from_many_threads_fire_once_on_the_real_clock() {
    const THREADS: usize = 2;
    const PER_THREAD: usize = if cfg!(debug_assertions) {
        5_000
    } else {
        100_000
    };

    let parker = Arc::new(Parker::default());
    let p = parker.clone();
    let driver = Arc::new(Driver::new(Clock::real(), Arc::new(move || p.unpark())));
    let stop = Arc::new(AtomicBool::new(false));

    // The parked thread, composed as a runtime does.
    let driving = {
        let (driver, parker, stop) = (driver.clone(), parker.clone(), stop.clone());
        thread::spawn(move || {
            let mut fired = 0;
            while !stop.load(SeqCst) {
                let t = driver.park_timeout(None);
                parker.park(t);
                fired += driver.process();
            }
            fired
        })
    };

    let registering: Vec<_> = (0..THREADS)
        .map(|n| {
            let handle = driver.handle();
            thread::spawn(move || {
                let mut rng = Rng(0xC0FFEE + n as u64);
                let mut kept = Vec::new();
                let mut cancelled = Vec::new();
                for _ in 0..PER_THREAD {
                    let d = Duration::from_micros(1_000 + rng.below(49_000));
                    let mut sleep = handle.sleep(d);
                    let probe = Arc::new(Probe {
                        wakes: AtomicUsize::new(0),
                        deadline: sleep.deadline().into_std(),
                        early: AtomicBool::new(false),
                    });
                    if poll(&mut sleep, &Waker::from(probe.clone())).is_ready() {
                        continue; // due already (a slow machine): nothing to check
                    }
                    if rng.below(4) == 0 {
                        drop(sleep); // cancelled, maybe racing with its firing
                        cancelled.push(probe);
                    } else {
                        kept.push((sleep, probe));
                    }
                }
                (kept, cancelled)
            })
        })
        .collect();

    let mut kept = Vec::new();
    let mut cancelled = Vec::new();
    for t in registering {
        let (k, c) = t.join().unwrap();
        kept.extend(k);
        cancelled.extend(c);
    }

    // Everything is due within 50 ms; allow a slow machine plenty of time.
    let give_up = std::time::Instant::now() + Duration::from_secs(30);
    while kept.iter().any(|(_, p)| p.wakes.load(SeqCst) == 0) {
        assert!(std::time::Instant::now() < give_up, "timers were lost");
        thread::sleep(ms(5));
    }
    stop.store(true, SeqCst);
    parker.unpark();
    let fired = driving.join().unwrap();

    for (sleep, probe) in &mut kept {
        assert_eq!(probe.wakes.load(SeqCst), 1, "exactly once");
        assert!(!probe.early.load(SeqCst), "never early");
        assert!(poll_noop(sleep).is_ready());
    }
    for probe in &cancelled {
        assert!(probe.wakes.load(SeqCst) <= 1);
        assert!(!probe.early.load(SeqCst));
    }
    assert!(fired >= kept.len());
    assert_eq!(driver.pending_timers(), 0);
    // Only the probes' own references remain: the wheel kept no waker.
    drop(kept);
    assert!(cancelled.iter().all(|p| Arc::strong_count(p) == 1));
}

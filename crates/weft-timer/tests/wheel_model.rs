//! The wheel against a reference model (a `BTreeSet` of deadline ticks): seeded random
//! sequences of insert / cancel / reset / advance / idle jump, with deadlines from 0 to far
//! beyond the wheel's horizon and `Duration::MAX`. After every step the same timers have
//! fired as in the model, in deadline order, none early, none lost, none woken after being
//! cancelled; an idle jump lands exactly on the earliest deadline.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::time::Duration;

use common::poll;
use weft_timer::{Clock, Driver, Instant, Sleep, TimerHandle};

const SEEDS: u64 = 96;
const OPS: usize = 3000;
const YEAR: u64 = 86_400 * 365 * 1000; // ms
/// The last tick a clock shows: it saturates at `u64::MAX >> 2` nanoseconds after its origin
/// (about 146 years). Deadlines after that tick never fire.
const NEVER_AFTER: u64 = (u64::MAX >> 2) / 1_000_000;

/// xorshift64*: small, seeded, good enough to shuffle operations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Up to `max_ms` milliseconds, with a random sub-millisecond part.
    fn millis(&mut self, max_ms: u64) -> Duration {
        Duration::from_millis(self.below(max_ms + 1)) + Duration::from_nanos(self.below(1_000_000))
    }
}

/// A timer's duration, spread over every level of the wheel and beyond.
fn random_duration(rng: &mut Rng) -> Duration {
    match rng.below(100) {
        0..=29 => rng.millis(64),
        30..=49 => rng.millis(4_096),
        50..=64 => rng.millis(262_144),
        65..=74 => rng.millis(1 << 24),
        75..=82 => rng.millis(1 << 30),
        83..=88 => rng.millis(1 << 36),
        89..=93 => rng.millis(5 << 36), // beyond the horizon
        94..=95 => Duration::MAX,       // 30 years
        96..=97 => Duration::ZERO,
        // Exactly on a level boundary, give or take a tick.
        _ => {
            let level = rng.below(7) as u32;
            let edge = 64u64.pow(level);
            Duration::from_millis(edge + rng.below(3)).saturating_sub(Duration::from_millis(1))
        }
    }
}

/// How far the clock moves in one step: mostly little, now and then a lot.
fn random_step(rng: &mut Rng) -> Duration {
    match rng.below(100) {
        0..=9 => Duration::ZERO,
        10..=44 => rng.millis(3),
        45..=74 => rng.millis(100),
        75..=89 => rng.millis(10_000),
        90..=96 => rng.millis(3 * 3_600_000),
        97..=98 => rng.millis(20 * 86_400_000),
        _ => rng.millis(YEAR * 2),
    }
}

/// Logs its id when woken.
struct Log {
    id: usize,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Log {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

struct Timer {
    sleep: Sleep,
    waker: Waker,
    /// `Some(tick)` while pending in the model.
    tick: Option<u64>,
    /// The clock's tick when it was last registered.
    since: u64,
}

struct Model {
    driver: Driver,
    clock: Clock,
    handle: TimerHandle,
    origin: Instant,
    timers: HashMap<usize, Timer>,
    /// The keys of `timers`, to pick from.
    ids: Vec<usize>,
    /// (tick, id) of every pending timer that can fire.
    pending: BTreeSet<(u64, usize)>,
    /// Pending timers past the clock's end.
    never: usize,
    log: Arc<Mutex<Vec<usize>>>,
    cancelled: Vec<usize>,
    next_id: usize,
    /// Timers fired by the wheel, and of those, how many were beyond the horizon.
    fired: usize,
    fired_far: usize,
}

impl Model {
    fn new() -> Model {
        let clock = Clock::paused();
        let origin = clock.now(); // a paused clock starts at its origin: tick 0
        let driver = Driver::new(clock.clone(), Arc::new(|| {}));
        let handle = driver.handle();
        Model {
            driver,
            clock,
            handle,
            origin,
            timers: HashMap::new(),
            ids: Vec::new(),
            pending: BTreeSet::new(),
            never: 0,
            log: Arc::default(),
            cancelled: Vec::new(),
            next_id: 0,
            fired: 0,
            fired_far: 0,
        }
    }

    /// The wheel's tick of `deadline`: milliseconds since the origin, rounded up.
    fn tick(&self, deadline: Instant) -> u64 {
        let ns = (deadline - self.origin).as_nanos();
        ns.div_ceil(1_000_000) as u64
    }

    /// The tick the clock is in.
    fn now_tick(&self) -> u64 {
        ((self.clock.now() - self.origin).as_nanos() / 1_000_000) as u64
    }

    /// Polls timer `id` after a change; records it in the model.
    fn poll_and_record(&mut self, id: usize) {
        let now = self.clock.now();
        let t = self.timers.get_mut(&id).unwrap();
        match poll(&mut t.sleep, &t.waker) {
            Poll::Ready(()) => {
                assert!(t.sleep.deadline() <= now, "completed early");
                t.tick = None;
            }
            Poll::Pending => {
                let deadline = t.sleep.deadline();
                let (tick, since) = (self.tick(deadline), self.now_tick());
                let t = self.timers.get_mut(&id).unwrap();
                t.tick = Some(tick);
                t.since = since;
                if tick > NEVER_AFTER {
                    self.never += 1;
                } else {
                    self.pending.insert((tick, id));
                }
            }
        }
    }

    fn forget(&mut self, id: usize) {
        if let Some(tick) = self.timers[&id].tick {
            if tick > NEVER_AFTER {
                self.never -= 1;
            } else {
                assert!(self.pending.remove(&(tick, id)));
            }
        }
    }

    fn insert(&mut self, rng: &mut Rng) {
        let id = self.next_id;
        self.next_id += 1;
        let sleep = match rng.below(50) {
            0 => self
                .handle
                .sleep_until(self.origin + Duration::from_millis(100 * YEAR)),
            1 => self
                .handle
                .sleep_until(self.origin + Duration::from_millis(200 * YEAR)),
            _ => self.handle.sleep(random_duration(rng)),
        };
        let waker = Waker::from(Arc::new(Log {
            id,
            log: self.log.clone(),
        }));
        self.ids.push(id);
        self.timers.insert(
            id,
            Timer {
                sleep,
                waker,
                tick: None,
                since: 0,
            },
        );
        self.poll_and_record(id);
    }

    /// A random live timer: its index in `ids`, and its id.
    fn pick(&self, rng: &mut Rng) -> Option<(usize, usize)> {
        if self.ids.is_empty() {
            return None;
        }
        let i = rng.below(self.ids.len() as u64) as usize;
        Some((i, self.ids[i]))
    }

    fn cancel(&mut self, rng: &mut Rng) {
        let Some((i, id)) = self.pick(rng) else {
            return;
        };
        self.ids.swap_remove(i);
        self.forget(id);
        self.timers.remove(&id);
        self.cancelled.push(id);
    }

    fn reset(&mut self, rng: &mut Rng) {
        let Some((_, id)) = self.pick(rng) else {
            return;
        };
        self.forget(id);
        let now = self.clock.now();
        let deadline = match rng.below(10) {
            0 => now.checked_sub(rng.millis(5)).unwrap_or(self.origin),
            _ => now.checked_add(random_duration(rng)).unwrap_or(now),
        };
        self.timers.get_mut(&id).unwrap().sleep.reset(deadline);
        // A reset to a reached tick wakes the task at once; nothing else may have woken.
        let woken: Vec<usize> = std::mem::take(&mut *self.log.lock().unwrap());
        assert!(
            woken.iter().all(|&w| w == id),
            "{woken:?} woken by a reset of {id}"
        );
        self.poll_and_record(id);
        if !woken.is_empty() {
            assert_eq!(self.timers[&id].tick, None, "woken but not complete");
        }
    }

    /// Moves the clock (by `step`, or to the next deadline like an idle runtime) and checks
    /// that exactly the due timers fired, in order.
    fn advance(&mut self, step: Option<Duration>) {
        match step {
            Some(step) => self.clock.advance(step),
            None => {
                let earliest = self.pending.first().map(|&(tick, _)| tick);
                match self.driver.park_timeout(None) {
                    Some(t) => {
                        assert_eq!(t, Duration::ZERO);
                        assert_eq!(Some(self.now_tick()), earliest, "jumps onto the deadline");
                    }
                    None => assert_eq!(earliest, None, "idle with a timer pending"),
                }
                self.driver.process();
            }
        }
        let now_tick = self.now_tick();
        let due: Vec<(u64, usize)> = self
            .pending
            .range(..=(now_tick, usize::MAX))
            .copied()
            .collect();
        let fired = std::mem::take(&mut *self.log.lock().unwrap());

        let mut expected: Vec<usize> = due.iter().map(|&(_, id)| id).collect();
        let mut got = fired.clone();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected, "fired vs due at tick {now_tick}");

        let ticks: Vec<u64> = fired
            .iter()
            .map(|id| self.timers[id].tick.unwrap())
            .collect();
        assert!(
            ticks.windows(2).all(|w| w[0] <= w[1]),
            "out of order: {ticks:?}"
        );

        let now = self.clock.now();
        self.fired += due.len();
        for (tick, id) in due {
            self.pending.remove(&(tick, id));
            let t = self.timers.get_mut(&id).unwrap();
            if tick - t.since > 1 << 36 {
                self.fired_far += 1;
            }
            assert!(t.sleep.deadline() <= now, "fired early");
            assert!(t.sleep.is_elapsed());
            assert_eq!(poll(&mut t.sleep, &t.waker), Poll::Ready(()));
            t.tick = None;
        }
        assert_eq!(
            self.handle.pending_timers(),
            self.pending.len() + self.never,
            "the wheel holds exactly the pending timers"
        );
    }

    /// (fired, fired beyond the horizon).
    fn finish(mut self) -> (usize, usize) {
        self.clock.advance(Duration::MAX); // to the clock's end: all but the `never`s fire
        self.advance(Some(Duration::ZERO));
        assert!(self.pending.is_empty());
        assert_eq!(self.handle.pending_timers(), self.never);
        let log = self.log.clone();
        let cancelled = std::mem::take(&mut self.cancelled);
        self.timers.clear();
        assert_eq!(self.handle.pending_timers(), 0, "dropping leaves nothing");
        assert!(log.lock().unwrap().is_empty());
        // The ids of cancelled timers were never logged after their cancellation: every
        // advance compared the log with the model, which no longer had them.
        drop(cancelled);
        (self.fired, self.fired_far)
    }
}

fn run(seed: u64) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let mut model = Model::new();
    for _ in 0..OPS {
        match rng.below(100) {
            0..=39 => model.insert(&mut rng),
            40..=54 => model.cancel(&mut rng),
            55..=69 => model.reset(&mut rng),
            70..=74 => model.advance(None),
            _ => {
                let step = random_step(&mut rng);
                model.advance(Some(step));
            }
        }
    }
    model.finish()
}

#[test]
fn the_wheel_matches_the_model() {
    let (mut fired, mut far) = (0, 0);
    for seed in 0..SEEDS {
        let (f, ff) = run(seed);
        fired += f;
        far += ff;
    }
    // The sequences did exercise the wheel, up to beyond its horizon.
    assert!(fired > SEEDS as usize * OPS / 5, "{fired}");
    assert!(far > SEEDS as usize * 10, "{far}");
}

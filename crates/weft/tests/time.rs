//! `weft::time` on every scheduler: sleeps never end early, timeouts, intervals, the paused
//! clock, and the errors for misuse. Every test that runs on the current-thread scheduler
//! runs on the deterministic one too (its clock is always paused); where a test records the
//! order of events, the same seed must give the same record on every run.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{for_builders_replayed, for_each_named, join_panic_message, WITH_DETERMINISTIC};
use weft::runtime::Builder;
use weft::sched::Deterministic;
use weft::time::{interval, sleep, sleep_until, timeout, Instant, MissedTickBehavior};

#[test]
fn sleep_never_ends_before_its_deadline_on_every_scheduler() {
    for_builders_replayed(&WITH_DETERMINISTIC, |builder, name| {
        let rt = builder.enable_time().build().unwrap();
        rt.block_on(async {
            let handles: Vec<_> = (1..=20u64)
                .map(|ms| {
                    weft::spawn(async move {
                        let start = Instant::now();
                        sleep(Duration::from_millis(ms)).await;
                        start.elapsed()
                    })
                })
                .collect();
            for (ms, h) in (1..=20u64).zip(handles) {
                let waited = h.await.unwrap();
                assert!(
                    waited >= Duration::from_millis(ms),
                    "[{name}] a {ms} ms sleep ended after {waited:?}"
                );
            }
        });
    });
}

#[test]
fn timeout_is_wait_for() {
    for_builders_replayed(&WITH_DETERMINISTIC, |builder, name| {
        let rt = builder.enable_time().build().unwrap();
        rt.block_on(async {
            // A ready future never times out, even with a zero duration.
            assert_eq!(timeout(Duration::ZERO, async { 5 }).await.unwrap(), 5);
            // A slow one does, and the error says so.
            let start = Instant::now();
            let err = timeout(Duration::from_millis(15), std::future::pending::<()>())
                .await
                .unwrap_err();
            assert!(start.elapsed() >= Duration::from_millis(15), "[{name}]");
            assert_eq!(err.to_string(), "deadline has elapsed");
            // A task's JoinHandle under a timeout: the task itself goes on.
            let task = weft::spawn(async {
                sleep(Duration::from_millis(30)).await;
                "late"
            });
            let mut task = std::pin::pin!(task);
            assert!(timeout(Duration::from_millis(5), &mut task).await.is_err());
            assert_eq!(task.await.unwrap(), "late");
        });
    });
}

#[test]
fn a_periodic_task_ticks_without_drift() {
    for_builders_replayed(&WITH_DETERMINISTIC, |builder, name| {
        let rt = builder.enable_time().build().unwrap();
        rt.block_on(async {
            let start = Instant::now();
            let mut every = interval(Duration::from_millis(10));
            let first = every.tick().await;
            assert!(
                first - start < Duration::from_millis(10),
                "[{name}] first tick is at once"
            );
            let mut last = first;
            for n in 1..=4u32 {
                let t = every.tick().await;
                // Scheduled ticks: exactly one period apart, whenever they were observed.
                assert_eq!(t - last, Duration::from_millis(10), "[{name}]");
                assert!(
                    Instant::now() >= first + Duration::from_millis(10) * n,
                    "[{name}]"
                );
                last = t;
            }
        });
    });
}

/// The runtimes with a paused clock: current-thread with `start_paused`, and deterministic
/// ones (paused by themselves) with a few seeds.
const PAUSED: [&str; 4] = ["current_thread", "seed 0", "seed 1", "seed 77"];

/// A fresh runtime called `name` (one of [`PAUSED`]), and its deterministic scheduler if
/// it has one (a clone: the same scheduler, to read its fingerprint afterwards).
fn paused(name: &str) -> (weft::Runtime, Option<Deterministic>) {
    match name.strip_prefix("seed ") {
        Some(seed) => {
            let sched = Deterministic::new(seed.parse().unwrap());
            let builder = Builder::new_multi_thread().scheduler(sched.clone());
            (builder.build().unwrap(), Some(sched))
        }
        None => {
            let builder = Builder::new_current_thread().start_paused(true);
            (builder.build().unwrap(), None)
        }
    }
}

/// Runs `body` on a fresh paused runtime of each of [`PAUSED`]. On the deterministic ones it
/// runs three times, and every run must replay the first: the same choices in the same
/// order (`Deterministic::fingerprint`) and the same result (for a body that records the
/// order of events, the same record).
fn on_paused<T>(body: impl Fn(weft::Runtime, &'static str) -> T + Send + Sync + 'static)
where
    T: PartialEq + std::fmt::Debug,
{
    for_each_named(&PAUSED, move |name| {
        let run = || {
            let (rt, sched) = paused(name);
            let out = body(rt, name);
            (out, sched.map(|s| (s.fingerprint(), s.steps())))
        };
        let first = run();
        if name.starts_with("seed ") {
            for n in 1..3 {
                assert_eq!(run(), first, "[{name}] run {n} is not a replay of run 0");
            }
        }
    });
}

#[test]
fn an_hour_long_timeout_takes_no_time_on_a_paused_clock() {
    on_paused(|rt, name| {
        let wall = std::time::Instant::now();
        let virtual_elapsed = rt.block_on(async {
            let start = Instant::now();
            let r = timeout(Duration::from_secs(3600), std::future::pending::<()>()).await;
            assert!(r.is_err());
            start.elapsed()
        });
        assert!(virtual_elapsed >= Duration::from_secs(3600), "[{name}]");
        assert!(virtual_elapsed < Duration::from_secs(3601), "[{name}]");
        assert!(
            wall.elapsed() < Duration::from_secs(10),
            "[{name}] took {:?}",
            wall.elapsed()
        );
    });
}

#[test]
fn the_paused_clock_fires_timers_in_deadline_order() {
    on_paused(|rt, name| {
        let log = Arc::new(Mutex::new(Vec::new()));
        rt.block_on(async {
            let start = Instant::now();
            let handles: Vec<_> = [50u64, 10, 40, 20, 30]
                .into_iter()
                .map(|ms| {
                    let log = log.clone();
                    weft::spawn(async move {
                        // Which task registers first is the scheduler's choice...
                        log.lock().unwrap().push(format!("set {ms}"));
                        sleep_until(start + Duration::from_secs(ms)).await;
                        log.lock().unwrap().push(format!("fired {ms}"));
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        let log = log.lock().unwrap().clone();
        // ...but they fire in deadline order.
        let fired: Vec<&String> = log.iter().filter(|e| e.starts_with("fired")).collect();
        assert_eq!(
            fired,
            ["fired 10", "fired 20", "fired 30", "fired 40", "fired 50"],
            "[{name}]"
        );
        log
    });
}

#[test]
fn advance_fires_exactly_what_falls_due() {
    on_paused(|rt, name| {
        rt.block_on(async {
            let fired = Arc::new(AtomicBool::new(false));
            let sleeping = Arc::new(AtomicBool::new(false));
            let (f, s) = (fired.clone(), sleeping.clone());
            let task = weft::spawn(async move {
                s.store(true, SeqCst); // in the same poll as the sleep's registration
                sleep(Duration::from_secs(10)).await;
                f.store(true, SeqCst);
            });
            // Let it register (the deterministic scheduler may take a few turns to run it).
            common::yield_until("the task sleeps", || sleeping.load(SeqCst)).await;
            weft::time::advance(Duration::from_secs(9)).await;
            assert!(!fired.load(SeqCst), "[{name}] fired a second early");
            weft::time::advance(Duration::from_secs(1)).await;
            task.await.unwrap();
            assert!(fired.load(SeqCst));
        });
    });
}

#[test]
fn missed_ticks_follow_the_chosen_behaviour() {
    on_paused(|rt, name| {
        rt.block_on(async {
            let start = Instant::now();
            let ms = Duration::from_millis;
            let mut burst = interval(ms(10));
            burst.tick().await;
            weft::time::advance(ms(35)).await; // ticks at 10, 20, 30 were missed
                                               // Burst: the missed ticks come at once, then the schedule resumes.
            assert_eq!(burst.tick().await - start, ms(10), "[{name}]");
            assert_eq!(burst.tick().await - start, ms(20), "[{name}]");
            assert_eq!(burst.tick().await - start, ms(30), "[{name}]");

            let start = Instant::now();
            let mut skip = interval(ms(10));
            skip.set_missed_tick_behavior(MissedTickBehavior::Skip);
            skip.tick().await;
            weft::time::advance(ms(35)).await;
            skip.tick().await; // the late tick, at once
            let next = skip.tick().await;
            assert_eq!(
                next - start,
                ms(40),
                "[{name}] skip lands on the next multiple of the period"
            );
        });
    });
}

#[test]
fn a_running_blocking_job_holds_the_paused_clock() {
    on_paused(|rt, name| {
        rt.block_on(async {
            // The job takes 50 ms of real time; the paused clock must not jump past the 1 s
            // timeout meanwhile just because every task is idle.
            let job = weft::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(50));
                "done"
            });
            assert_eq!(
                timeout(Duration::from_secs(1), job).await.unwrap().unwrap(),
                "done",
                "[{name}]"
            );
        });
    });
}

#[test]
fn start_paused_needs_the_current_thread_scheduler() {
    let err = Builder::new_multi_thread()
        .worker_threads(2)
        .start_paused(true)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("current-thread"), "{err}");
}

#[test]
fn sleep_without_time_names_the_builder_option() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .disable_time()
        .build()
        .unwrap();
    let err = rt
        .block_on(rt.spawn(async { sleep(Duration::from_millis(1)).await }))
        .unwrap_err();
    let message = join_panic_message(err);
    assert!(message.contains("disable_time"), "{message}");
}

#[test]
fn pause_on_a_multi_thread_runtime_explains_why_not() {
    let rt = weft::Runtime::new().unwrap();
    let err = rt
        .block_on(rt.spawn(async { weft::time::pause() }))
        .unwrap_err();
    let message = join_panic_message(err);
    assert!(message.contains("current-thread"), "{message}");
}

#[test]
fn weft_run_has_time_enabled() {
    let waited = weft::run(async {
        let start = Instant::now();
        sleep(Duration::from_millis(5)).await;
        start.elapsed()
    });
    assert!(waited >= Duration::from_millis(5));
}

#[test]
fn the_asyncio_examples_behave_the_same() {
    // examples/asyncio_time.rs on a paused clock: the same order of events, the same
    // virtual durations, no waiting.
    on_paused(|rt, name| {
        let log = Arc::new(Mutex::new(Vec::new()));
        rt.block_on(async {
            let t0 = Instant::now();
            let at = move || t0.elapsed().as_secs();
            let task = |name: &'static str, secs: u64| {
                let log = log.clone();
                async move {
                    log.lock().unwrap().push(format!("{} start {name}", at()));
                    sleep(Duration::from_secs(secs)).await;
                    log.lock().unwrap().push(format!("{} finish {name}", at()));
                }
            };
            let one = weft::spawn(task("one", 3));
            let two = weft::spawn(task("two", 1));
            one.await.unwrap();
            two.await.unwrap();
            assert_eq!(at(), 3, "the tasks ran concurrently");

            let foo = async {
                sleep(Duration::from_secs(1)).await;
                "foo"
            };
            let bar = async {
                sleep(Duration::from_secs(2)).await;
                "bar"
            };
            assert_eq!(weft::join!(foo, bar), ("foo", "bar"));
            assert_eq!(at(), 5, "gather took as long as its slowest part");

            let slow = sleep(Duration::from_secs(5));
            assert!(timeout(Duration::from_secs(3), slow).await.is_err());
            assert_eq!(at(), 8, "wait_for gave up after its timeout");

            let my_task = |secs: u64| async move {
                sleep(Duration::from_secs(secs)).await;
                format!("Task completed in {secs} seconds")
            };
            let mut tasks = weft::task::as_completed([my_task(1), my_task(3), my_task(2)]);
            let mut finished = Vec::new();
            while let Some(result) = tasks.next().await {
                finished.push((at(), result));
            }
            let expected: Vec<(u64, String)> = (1..=3)
                .map(|s| (8 + s, format!("Task completed in {s} seconds")))
                .collect();
            assert_eq!(
                finished, expected,
                "as_completed yields each as it finishes"
            );
        });
        let log = log.lock().unwrap().clone();
        if name == "current_thread" {
            // asyncio's order: tasks start in the order they were created.
            assert_eq!(
                log,
                ["0 start one", "0 start two", "1 finish two", "3 finish one"]
            );
        } else {
            // The deterministic scheduler starts them in the seed's order; the clock decides
            // the rest.
            let mut starts = log[..2].to_vec();
            starts.sort();
            assert_eq!(starts, ["0 start one", "0 start two"], "[{name}]");
            assert_eq!(log[2..], ["1 finish two", "3 finish one"], "[{name}]");
        }
        log
    });
}

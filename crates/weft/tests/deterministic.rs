//! The deterministic scheduler (`weft::sched::Deterministic`): a seed replays an
//! interleaving exactly, other seeds explore others, the clock is paused, panics and
//! shutdown behave as on every scheduler, wake-ups from other OS threads get in, and the
//! seed is printed when `block_on` panics (checked in a child process).

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{join_panic_message, DropCounter, Flag};
use weft::runtime::Builder;
use weft::sched::Deterministic;
use weft::time::{sleep, Instant};
use weft::Runtime;

fn deterministic(seed: u64) -> Runtime {
    Builder::new_multi_thread()
        .scheduler(Deterministic::new(seed))
        .build()
        .unwrap()
}

/// A racy program: four workers and the main future append to one log across yields,
/// sleeps and channel sends, and bump a counter with a read, a yield and a write (an update
/// can be lost, depending on the order). Returns the log and the counter.
async fn racy_program() -> (Vec<String>, usize) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let counter = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = weft::sync::mpsc::channel::<String>(2);
    let collector = {
        let log = log.clone();
        weft::spawn(async move {
            while let Some(msg) = rx.recv().await {
                log.lock().unwrap().push(format!("got {msg}"));
            }
        })
    };
    let workers: Vec<_> = (0..4u64)
        .map(|w| {
            let (log, counter, tx) = (log.clone(), counter.clone(), tx.clone());
            weft::spawn(async move {
                for step in 0..3u64 {
                    log.lock().unwrap().push(format!("w{w} step {step}"));
                    let seen = counter.load(SeqCst);
                    match (w + step) % 3 {
                        0 => weft::task::yield_now().await,
                        1 => sleep(Duration::from_millis(1 + (w * step) % 3)).await,
                        _ => tx.send(format!("w{w}.{step}")).await.unwrap(),
                    }
                    counter.store(seen + 1, SeqCst); // racy on purpose
                }
            })
        })
        .collect();
    drop(tx);
    for i in 0..3 {
        log.lock().unwrap().push(format!("main {i}"));
        weft::task::yield_now().await;
    }
    for w in workers {
        w.await.unwrap();
    }
    collector.await.unwrap();
    let log = log.lock().unwrap().clone();
    (log, counter.load(SeqCst))
}

#[test]
fn a_seed_replays_its_interleaving_and_other_seeds_explore_others() {
    let mut distinct = HashSet::new();
    let mut counters = HashSet::new();
    for seed in 0..20 {
        let first = deterministic(seed).block_on(racy_program());
        for run in 1..5 {
            let again = deterministic(seed).block_on(racy_program());
            assert_eq!(
                again, first,
                "seed {seed}: run {run} is not a replay of run 0"
            );
        }
        assert_eq!(first.0.len(), 4 * 3 + 4 + 3, "seed {seed}: {:?}", first.0);
        counters.insert(first.1);
        distinct.insert(first.0);
    }
    assert!(
        distinct.len() >= 10,
        "only {} distinct interleavings in 20 seeds",
        distinct.len()
    );
    // The outcome itself (how many updates were lost) depends on the seed.
    assert!(
        counters.len() >= 2,
        "the counter ended at {counters:?} for every seed"
    );
}

#[test]
fn the_main_future_is_interleaved_with_the_tasks_at_seed_chosen_points() {
    let mut positions = HashSet::new();
    for seed in 0..20 {
        let log = deterministic(seed).block_on(async {
            let log = Arc::new(Mutex::new(Vec::new()));
            let tasks: Vec<_> = (0..3)
                .map(|i| {
                    let log = log.clone();
                    weft::spawn(async move { log.lock().unwrap().push(format!("task {i}")) })
                })
                .collect();
            weft::task::yield_now().await;
            log.lock().unwrap().push("main".to_owned());
            for t in tasks {
                t.await.unwrap();
            }
            let log = log.lock().unwrap().clone();
            log
        });
        positions.insert(log.iter().position(|e| e == "main").unwrap());
    }
    assert!(positions.len() >= 2, "main always ran at {positions:?}");
}

#[test]
fn the_clock_is_paused_so_an_hour_long_sleep_takes_no_time() {
    let rt = deterministic(3);
    let wall = std::time::Instant::now();
    let waited = rt.block_on(async {
        let start = Instant::now();
        let sleepers: Vec<_> = [3600u64, 60, 1800]
            .into_iter()
            .map(|s| weft::spawn(sleep(Duration::from_secs(s))))
            .collect();
        for s in sleepers {
            s.await.unwrap();
        }
        start.elapsed()
    });
    assert!(waited >= Duration::from_secs(3600), "{waited:?}");
    assert!(waited < Duration::from_secs(3601), "{waited:?}");
    assert!(
        wall.elapsed() < Duration::from_secs(10),
        "{:?}",
        wall.elapsed()
    );
    // `pause`/`advance` are allowed too, as on a current-thread runtime.
    rt.block_on(async {
        let start = Instant::now();
        weft::time::advance(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    });
}

#[test]
fn start_paused_is_accepted_and_changes_nothing() {
    let rt = Builder::new_multi_thread()
        .scheduler(Deterministic::new(9))
        .start_paused(true)
        .build()
        .unwrap();
    let waited = rt.block_on(async {
        let start = Instant::now();
        sleep(Duration::from_secs(90)).await;
        start.elapsed()
    });
    assert!(waited >= Duration::from_secs(90) && waited < Duration::from_secs(91));
}

#[test]
fn a_task_panic_reaches_its_join_handle() {
    for seed in 0..5 {
        let rt = deterministic(seed);
        let message = rt.block_on(async {
            let ok = weft::spawn(async { 7 });
            let bad = weft::spawn(async {
                weft::task::yield_now().await;
                panic!("boom in a task");
            });
            assert_eq!(ok.await.unwrap(), 7);
            join_panic_message(bad.await.unwrap_err())
        });
        assert_eq!(message, "boom in a task", "seed {seed}");
        // The runtime goes on after the panic.
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    }
}

#[test]
fn shutdown_with_pending_tasks_cancels_them() {
    let drops = DropCounter::new();
    let rt = deterministic(11);
    let handle = rt.handle().clone();
    // Idle ones (waiting for ever, on a flag or a day-long timer), and one spawned after
    // `block_on` returned, still queued when the runtime drops.
    let never = Flag::new();
    rt.block_on(async {
        for _ in 0..5 {
            let (token, never) = (drops.token(), never.clone());
            weft::spawn(async move {
                let _token = token;
                never.wait().await;
            });
        }
        let token = drops.token();
        weft::spawn(async move {
            let _token = token;
            sleep(Duration::from_secs(3600 * 24)).await;
        });
        weft::task::yield_now().await;
    });
    let token = drops.token();
    let queued = rt.spawn(async move {
        let _token = token;
    });
    drop(rt);
    assert_eq!(drops.count(), 7, "every task's future was dropped");
    let err = futures_lite_block_on(queued).unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    // A spawn after shutdown is cancelled at once.
    let late = handle.spawn(async { 1 });
    assert!(futures_lite_block_on(late).unwrap_err().is_cancelled());
}

/// Polls a finished `JoinHandle` outside any runtime.
fn futures_lite_block_on<T>(
    mut handle: weft::task::JoinHandle<T>,
) -> Result<T, weft::task::JoinError> {
    match common::poll_once(&mut handle) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("the handle is not finished"),
    }
}

#[test]
fn wakeups_from_other_threads_are_processed() {
    let rt = deterministic(5);
    let handle = rt.handle().clone();
    let out = rt.block_on(async move {
        // A weft::sync channel fed from a plain OS thread.
        let (tx, mut rx) = weft::sync::mpsc::unbounded_channel();
        let (done_tx, done_rx) = weft::sync::oneshot::channel();
        // A raw waker set from another thread.
        let flag = Flag::new();
        let (flag2, handle2) = (flag.clone(), handle.clone());
        let thread = std::thread::spawn(move || {
            for i in 0..10 {
                std::thread::sleep(Duration::from_millis(1));
                tx.send(i).unwrap();
            }
            std::thread::sleep(Duration::from_millis(5));
            flag2.set();
            // A spawn from outside the runtime.
            let task = handle2.spawn(async { "spawned from a thread" });
            done_tx.send(task).unwrap();
        });
        let summer = weft::spawn(async move {
            let mut sum = 0;
            while let Some(i) = rx.recv().await {
                sum += i;
            }
            sum
        });
        flag.wait().await;
        let task = done_rx.await.unwrap();
        let spawned = task.await.unwrap();
        let sum = summer.await.unwrap();
        thread.join().unwrap();
        (sum, spawned)
    });
    assert_eq!(out, (45, "spawned from a thread"));
}

#[test]
fn another_thread_can_block_on_the_same_runtime() {
    let rt = deterministic(8);
    let handle = rt.handle().clone();
    let gate = Flag::new();
    let g = gate.clone();
    let other = std::thread::spawn(move || {
        handle.block_on(async move {
            g.wait().await;
            "other"
        })
    });
    let main = rt.block_on(async move {
        sleep(Duration::from_millis(5)).await;
        gate.set();
        "main"
    });
    assert_eq!((main, other.join().unwrap()), ("main", "other"));
}

/// The child process of [`a_failed_run_prints_its_seed_and_the_seed_replays_it`]: runs the
/// racy program on `Deterministic::from_env()`, prints its log, then fails. Does nothing
/// unless run as that child.
#[test]
fn child_fails_on_a_seed_from_the_environment() {
    let Some(mode) = std::env::var_os("WEFT_DETERMINISTIC_CHILD") else {
        return;
    };
    let rt = Builder::new_multi_thread()
        .scheduler(Deterministic::from_env())
        .build()
        .unwrap();
    if mode == "after" {
        // A failure after `block_on`, with the runtime still alive.
        let (log, _) = rt.block_on(racy_program());
        assert!(log.is_empty(), "the check after block_on");
    }
    rt.block_on(async {
        let (log, _) = racy_program().await;
        println!("log: {log:?}");
        let bad = weft::spawn(async { panic!("the bug") });
        bad.await.unwrap(); // propagates the task's panic out of block_on
    });
}

/// Runs the child test with `seed` in `WEFT_SEED` (or none); returns its output.
fn run_child(seed: Option<&str>) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_fails_on_a_seed_from_the_environment",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("WEFT_DETERMINISTIC_CHILD", "1")
    .env("RUST_BACKTRACE", "0")
    .env_remove("WEFT_SEED");
    if let Some(seed) = seed {
        cmd.env("WEFT_SEED", seed);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "the child was meant to fail");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

fn printed_log(output: &str) -> &str {
    output
        .lines()
        .find_map(|l| l.split_once("log: ").map(|(_, log)| log))
        .unwrap_or_else(|| panic!("no log in {output}"))
}

fn printed_seed(output: &str) -> u64 {
    let prefix = "weft: Deterministic scheduler seed = ";
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no seed in {output}"));
    let (seed, rest) = line.split_once(' ').unwrap();
    assert_eq!(rest, format!("(rerun with WEFT_SEED={seed})"));
    seed.parse().unwrap()
}

#[test]
fn a_failed_run_prints_its_seed_and_the_seed_replays_it() {
    // A given seed is printed as given.
    let out = run_child(Some("1234"));
    assert_eq!(printed_seed(&out), 1234, "{out}");
    assert!(out.contains("the bug"), "{out}");
    // A random seed (no WEFT_SEED), printed; WEFT_SEED=it replays the run exactly.
    let explore = run_child(None);
    let seed = printed_seed(&explore);
    let replay = run_child(Some(&seed.to_string()));
    assert_eq!(printed_seed(&replay), seed);
    assert_eq!(printed_log(&replay), printed_log(&explore));
    // And the seed is printed once, not once per unwinding layer.
    assert_eq!(
        replay.matches("Deterministic scheduler seed").count(),
        1,
        "{replay}"
    );
}

#[test]
fn a_failure_after_block_on_prints_the_seed_when_the_runtime_drops() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_fails_on_a_seed_from_the_environment",
            "--nocapture",
        ])
        .env("WEFT_DETERMINISTIC_CHILD", "after")
        .env("WEFT_SEED", "0x10")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("the check after block_on"), "{text}");
    assert_eq!(printed_seed(&text), 16, "{text}");
}

#[test]
fn a_bad_weft_seed_is_refused() {
    // In a child: other tests of this process must not see the variable change.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_fails_on_a_seed_from_the_environment",
            "--nocapture",
        ])
        .env("WEFT_DETERMINISTIC_CHILD", "1")
        .env("WEFT_SEED", "twelve")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        text.contains("WEFT_SEED=\"twelve\" is not a seed"),
        "{text}"
    );
}

/// The scenario of `docs/deterministic.md`: two tasks do a read-modify-write across an
/// `.await`, so a withdrawal can be lost, depending on the order.
fn withdrawals(sched: Deterministic) {
    let rt = Builder::new_multi_thread()
        .scheduler(sched)
        .build()
        .unwrap();
    rt.block_on(async {
        let balance = Arc::new(Mutex::new(100));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let balance = balance.clone();
                weft::spawn(async move {
                    let seen = *balance.lock().unwrap();
                    weft::task::yield_now().await;
                    *balance.lock().unwrap() = seen - 10;
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*balance.lock().unwrap(), 80, "a withdrawal was lost");
    });
}

#[test]
fn the_documented_hunt_finds_a_failing_seed_and_replays_it() {
    let fails = |seed| std::panic::catch_unwind(|| withdrawals(Deterministic::new(seed))).is_err();
    let failing: Vec<u64> = (0..50).filter(|&seed| fails(seed)).collect();
    assert!(!failing.is_empty(), "no seed in 0..50 loses a withdrawal");
    assert!(failing.len() < 50, "every seed loses a withdrawal");
    for &seed in &failing {
        for _ in 0..3 {
            assert!(fails(seed), "seed {seed} failed once, then passed");
        }
    }
    let passing = (0..50).find(|seed| !failing.contains(seed)).unwrap();
    assert!(!fails(passing), "seed {passing} passed once, then failed");
}

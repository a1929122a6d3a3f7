//! `runtime::Builder`: worker count, thread names, start/stop hooks, argument checks,
//! global_queue_interval, stack size.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{expect_panic, for_each_builder, spin_until, Flag};
use weft::runtime::Builder;

#[test]
fn worker_threads_starts_exactly_n_worker_threads() {
    for n in 1..=4 {
        let started = Arc::new(AtomicUsize::new(0));
        let names = Arc::new(Mutex::new(HashSet::new()));
        let (s, ns) = (started.clone(), names.clone());
        let rt = Builder::new_multi_thread()
            .worker_threads(n)
            .on_thread_start(move || {
                s.fetch_add(1, SeqCst);
                ns.lock().unwrap().insert(thread::current().id());
            })
            .build()
            .unwrap();
        assert_eq!(rt.handle().num_workers(), n);
        // No blocking job has run, so every started thread is a worker.
        spin_until("the workers started", || started.load(SeqCst) >= n);
        thread::sleep(Duration::from_millis(20));
        assert_eq!(started.load(SeqCst), n, "worker_threads({n})");
        assert_eq!(names.lock().unwrap().len(), n);
        // Tasks run on those threads.
        let ran_on = rt.block_on(async {
            let handles: Vec<_> = (0..64)
                .map(|_| weft::spawn(async { thread::current().id() }))
                .collect();
            let mut ids = HashSet::new();
            for h in handles {
                ids.insert(h.await.unwrap());
            }
            ids
        });
        assert!(
            ran_on.is_subset(&names.lock().unwrap()),
            "tasks run on worker threads"
        );
    }
}

#[test]
fn the_default_worker_count_is_the_available_parallelism() {
    let rt = weft::Runtime::new().unwrap();
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(rt.handle().num_workers(), cpus);
}

#[test]
fn the_current_thread_runtime_starts_no_thread() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let rt = Builder::new_current_thread()
        .on_thread_start(move || {
            s.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    let me = thread::current().id();
    let ran_on =
        rt.block_on(async { weft::spawn(async { thread::current().id() }).await.unwrap() });
    assert_eq!(
        ran_on, me,
        "current-thread tasks run on the block_on thread"
    );
    assert_eq!(started.load(SeqCst), 0);
    assert_eq!(rt.handle().num_workers(), 1);
}

#[test]
fn the_custom_scheduler_starts_its_threads_through_env() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    let rt = Builder::new_multi_thread()
        .scheduler(common::Fifo::new(3))
        .thread_name("fifo-thread")
        .on_thread_start(move || {
            s.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    spin_until("the fifo threads started", || started.load(SeqCst) >= 3);
    assert_eq!(rt.handle().num_workers(), 3);
    let name = rt.block_on(async {
        weft::spawn(async { thread::current().name().map(str::to_owned) })
            .await
            .unwrap()
    });
    assert_eq!(
        name.as_deref(),
        Some("fifo-thread"),
        "Env::spawn_thread applies the name"
    );
    assert_eq!(started.load(SeqCst), 3);
}

#[test]
fn thread_name_is_visible_in_tasks_and_blocking_jobs() {
    for_each_builder(|builder, name| {
        let rt = builder.thread_name("tour-worker").build().unwrap();
        let (task_thread, job_thread) = rt.block_on(async {
            let t = weft::spawn(async { thread::current().name().map(str::to_owned) })
                .await
                .unwrap();
            let j = weft::spawn_blocking(|| thread::current().name().map(str::to_owned))
                .await
                .unwrap();
            (t, j)
        });
        assert_eq!(
            job_thread.as_deref(),
            Some("tour-worker"),
            "[{name}] blocking thread"
        );
        if !common::runs_tasks_on_caller(name) {
            assert_eq!(
                task_thread.as_deref(),
                Some("tour-worker"),
                "[{name}] worker thread"
            );
        }
    });
}

#[test]
fn thread_name_fn_is_called_for_each_thread() {
    let next = Arc::new(AtomicUsize::new(0));
    let names = Arc::new(Mutex::new(Vec::new()));
    let (n, ns) = (next.clone(), names.clone());
    let rt = Builder::new_multi_thread()
        .worker_threads(3)
        .thread_name_fn(move || format!("w-{}", n.fetch_add(1, SeqCst)))
        .on_thread_start(move || {
            ns.lock()
                .unwrap()
                .push(thread::current().name().unwrap().to_owned());
        })
        .build()
        .unwrap();
    spin_until("the workers started", || names.lock().unwrap().len() == 3);
    let mut seen = names.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, ["w-0", "w-1", "w-2"]);
    drop(rt);
}

#[test]
fn on_thread_stop_runs_for_every_thread_by_the_time_drop_returns() {
    for_each_builder(|builder, name| {
        let started = Arc::new(AtomicUsize::new(0));
        let stopped = Arc::new(AtomicUsize::new(0));
        let (s, t) = (started.clone(), stopped.clone());
        let rt = builder
            .on_thread_start(move || {
                s.fetch_add(1, SeqCst);
            })
            .on_thread_stop(move || {
                t.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        // Some blocking threads as well.
        rt.block_on(async {
            let jobs: Vec<_> = (0..4)
                .map(|_| weft::spawn_blocking(|| thread::sleep(Duration::from_millis(10))))
                .collect();
            for j in jobs {
                j.await.unwrap();
            }
        });
        let workers = match name {
            "multi_thread(1)" => 1,
            "multi_thread(2)" | "fifo(2)" => 2,
            "multi_thread(4)" => 4,
            _ => 0,
        };
        spin_until("the workers started", || started.load(SeqCst) > workers);
        drop(rt);
        let (started, stopped) = (started.load(SeqCst), stopped.load(SeqCst));
        assert!(
            started > workers,
            "[{name}] the blocking threads were counted"
        );
        assert_eq!(started, stopped, "[{name}] every started thread stopped");
    });
}

#[test]
fn zero_arguments_panic_with_clear_messages() {
    let m = expect_panic(|| Builder::new_multi_thread().worker_threads(0));
    assert!(m.contains("worker_threads must be at least 1"), "{m}");
    let m = expect_panic(|| Builder::new_multi_thread().max_blocking_threads(0));
    assert!(m.contains("max_blocking_threads must be at least 1"), "{m}");
    let m = expect_panic(|| Builder::new_multi_thread().global_queue_interval(0));
    assert!(
        m.contains("global_queue_interval must be at least 1"),
        "{m}"
    );
    let m = expect_panic(|| Builder::new_current_thread().event_interval(0));
    assert!(m.contains("event_interval must be at least 1"), "{m}");
}

#[test]
fn builder_debug_names_the_kind() {
    assert!(format!("{:?}", Builder::new_multi_thread()).contains("multi_thread"));
    assert!(format!("{:?}", Builder::new_current_thread()).contains("current_thread"));
    let custom = Builder::new_current_thread().scheduler(common::Fifo::new(1));
    assert!(format!("{custom:?}").contains("custom"));
    assert!(
        format!("{:?}", Builder::default().current_thread().multi_thread())
            .contains("multi_thread")
    );
}

/// Local tasks that keep yielding must not starve work that arrives through the global
/// queue (spawned from outside, or woken from a foreign thread): every
/// `global_queue_interval` ticks the worker looks there first.
fn remote_work_runs_while_local_tasks_yield(builder: Builder, name: &str) {
    let rt = builder.build().unwrap();
    const YIELDERS: usize = 4;
    /// A yielder gives up after this many yields: the remote work did not get through.
    const GIVE_UP: usize = 2_000_000;
    let stop = Arc::new(AtomicBool::new(false));
    let gave_up = Arc::new(AtomicBool::new(false));
    let handle = rt.handle().clone();
    let (st, gu) = (stop.clone(), gave_up.clone());
    rt.block_on(async move {
        // The yielders are spawned from a task, so they sit in the worker's local queue.
        let yielders = weft::spawn(async move {
            (0..YIELDERS)
                .map(|_| {
                    let (st, gu) = (st.clone(), gu.clone());
                    weft::spawn(async move {
                        let mut n = 0;
                        while !st.load(SeqCst) {
                            n += 1;
                            if n == GIVE_UP {
                                gu.store(true, SeqCst);
                                return;
                            }
                            weft::task::yield_now().await;
                        }
                    })
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        // Remote work: spawned from a foreign thread, then woken from a foreign thread.
        let woken = Flag::new();
        let w = woken.clone();
        let st = stop.clone();
        let remote = thread::spawn(move || {
            handle.spawn(async move {
                w.wait().await;
                st.store(true, SeqCst);
            })
        })
        .join()
        .unwrap();
        let waker_thread = thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            woken.set();
        });
        for y in yielders {
            y.await.unwrap();
        }
        remote.await.unwrap();
        waker_thread.join().unwrap();
    });
    assert!(
        !gave_up.load(SeqCst),
        "[{name}] the remote task never ran while local tasks yielded"
    );
}

#[test]
fn global_queue_interval_lets_remote_work_in_while_local_tasks_yield() {
    for interval in [1, 7, 61] {
        remote_work_runs_while_local_tasks_yield(
            Builder::new_multi_thread()
                .worker_threads(1)
                .global_queue_interval(interval),
            &format!("multi_thread(1), interval {interval}"),
        );
        remote_work_runs_while_local_tasks_yield(
            Builder::new_current_thread().global_queue_interval(interval),
            &format!("current_thread, interval {interval}"),
        );
    }
    // And with the defaults, on every scheduler.
    for name in common::SCHEDULERS {
        remote_work_runs_while_local_tasks_yield(common::builder(name), name);
    }
}

#[inline(never)]
fn use_stack(kib: usize) -> u8 {
    let mut buf = [0u8; 1024];
    buf[kib % 1024] = kib as u8;
    let below = if kib > 1 { use_stack(kib - 1) } else { 0 };
    std::hint::black_box(&buf)[kib % 1024].wrapping_add(below)
}

#[test]
fn thread_stack_size_applies_to_runtime_threads() {
    // 6 MiB of stack on threads of 16 MiB: more than a default (2 MiB) thread has.
    for_each_builder(|builder, name| {
        let rt = builder.thread_stack_size(16 << 20).build().unwrap();
        let job = rt.block_on(async { weft::spawn_blocking(|| use_stack(6 * 1024)).await });
        assert!(job.is_ok(), "[{name}]");
        // Tasks of the single-threaded schedulers run on the test's own thread.
        if !common::runs_tasks_on_caller(name) {
            let task = rt.block_on(async { weft::spawn(async { use_stack(6 * 1024) }).await });
            assert!(task.is_ok(), "[{name}]");
        }
    });
}

/// A builder given nothing but a worker count can sleep and open sockets: time and I/O are
/// on by default, as in asyncio and smol. (It panicked "there is no timer" before.)
#[test]
fn a_plain_builder_has_time_and_io() {
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let echoed = rt.block_on(async {
        weft::time::sleep(std::time::Duration::from_millis(1)).await;
        let listener = weft::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = weft::spawn(async move {
            use weft::io::AsyncWriteExt;
            let mut c = weft::net::TcpStream::connect(addr).await.unwrap();
            c.write_all(b"hi").await.unwrap();
        });
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        use weft::io::AsyncReadExt;
        conn.read_to_end(&mut buf).await.unwrap();
        client.await.unwrap();
        buf
    });
    assert_eq!(echoed, b"hi");
}

/// `rt.block_on(sleep(d))` with the sleep made outside the runtime: it binds to the timer of
/// the runtime that first polls it, and its time starts then. (It panicked "there is no
/// timer" at `sleep(d)` before.)
#[test]
fn timers_made_outside_bind_to_the_runtime_that_polls_them() {
    use std::time::Duration;
    use weft::time::{interval, sleep, timeout, Instant};
    let nap = sleep(Duration::from_millis(20));
    let late = timeout(Duration::from_millis(10), std::future::pending::<()>());
    let mut every = interval(Duration::from_millis(5));
    let rt = weft::runtime::Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        nap.await;
        assert_eq!(start.elapsed(), Duration::from_millis(20));
        assert!(late.await.is_err());
        assert_eq!(start.elapsed(), Duration::from_millis(30));
        let first = every.tick().await;
        assert_eq!(
            first,
            Instant::now(),
            "the first tick completes at the first poll"
        );
        assert_eq!(every.tick().await, first + Duration::from_millis(5));
    });
}

#[test]
fn start_paused_without_time_is_refused() {
    let err = weft::runtime::Builder::new_current_thread()
        .start_paused(true)
        .disable_time()
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("disable_time"), "{err}");
}

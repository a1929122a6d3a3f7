//! Introspection and debug mode (issue #11): `Handle::tasks()` / `dump()` with the states,
//! polls, ages and wait sites of tasks, the main task of `block_on`, `task::name()`, and the
//! three debug-mode reports (slow poll, a thread blocked in one poll, a panic never
//! retrieved), each asserted through `Builder::on_debug_report`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{for_each_builder, spin_until};
use weft::runtime::{Builder, DebugReport, Handle};
use weft::task::{TaskInfo, TaskState, WaitKind};

/// Collects debug reports.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<String>>>);

impl Reports {
    fn sink(&self) -> impl Fn(&DebugReport) + Send + Sync + 'static {
        let reports = self.0.clone();
        move |r| reports.lock().unwrap().push(r.to_string())
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn matching(&self, prefix: &str) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|r| r.starts_with(prefix))
            .collect()
    }
}

fn find<'a>(tasks: &'a [TaskInfo], name: &str) -> &'a TaskInfo {
    tasks
        .iter()
        .find(|t| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no task named {name:?} in {tasks:#?}"))
}

/// Waits (on the real clock, inside the runtime) until the named task is idle with a
/// recorded wait.
async fn idle_task(handle: &Handle, name: &str) -> TaskInfo {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = handle
            .tasks()
            .into_iter()
            .find(|t| t.name.as_deref() == Some(name))
            .filter(|t| t.state == TaskState::Idle && t.waiting_on.is_some());
        if let Some(t) = found {
            return t;
        }
        assert!(Instant::now() < deadline, "{name} never went idle");
        weft::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn tasks_lists_every_task_with_its_location_state_polls_and_wait_site() {
    for_each_builder(|builder, _| {
        let rt = builder.debug(false).build().unwrap();
        let handle = rt.handle().clone();
        rt.block_on(async move {
            let sleep_line = line!() + 3;
            let sleeper = weft::task::Builder::new()
                .name("sleeper")
                .spawn(weft::time::sleep(Duration::from_secs(30)));
            let spawn_line = line!() - 1;
            let info = idle_task(&handle, "sleeper").await;
            assert_eq!(info.location.line(), spawn_line, "the spawn call's line");
            assert_eq!(info.location.file(), file!());
            assert!(info.polls >= 1);
            assert_eq!(info.busy, None, "busy time is counted in debug mode only");
            assert!(!info.is_main);
            let wait = info.waiting_on.unwrap();
            assert_eq!(wait.kind, WaitKind::Sleep);
            assert_eq!(wait.arg, 0, "a deadline takes the argument's place");
            assert_eq!(wait.location.unwrap().line(), sleep_line);
            let left = wait.deadline.unwrap() - Instant::now();
            assert!(left > Duration::from_secs(20) && left <= Duration::from_millis(30_100));
            sleeper.abort();
            let deadline = Instant::now() + Duration::from_secs(20);
            while handle
                .tasks()
                .iter()
                .any(|t| t.name.as_deref() == Some("sleeper"))
            {
                assert!(Instant::now() < deadline, "the aborted task stays listed");
                weft::time::sleep(Duration::from_millis(1)).await;
            }
        });
    });
}

#[test]
fn a_task_waiting_on_its_child_shows_the_join_and_the_child_its_own_wait() {
    let rt = Builder::new_current_thread().debug(false).build().unwrap();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let child = weft::task::Builder::new()
            .name("child")
            .spawn(weft::time::sleep(Duration::from_secs(5)));
        let child_id = child.id();
        let parent = weft::task::Builder::new()
            .name("parent")
            .spawn(async move { child.await.unwrap() });
        weft::task::yield_now().await;
        weft::task::yield_now().await;
        let tasks = handle.tasks();
        let p = find(&tasks, "parent").waiting_on.expect("parent waits");
        assert_eq!(p.kind, WaitKind::Join);
        assert_eq!(p.arg, child_id.as_u64());
        let dump = handle.dump().to_string();
        assert!(
            dump.contains(&format!("waiting on JoinHandle of task {child_id}")),
            "{dump}"
        );
        assert!(dump.contains("waiting on sleep at "), "{dump}");
        assert!(dump.contains("s left"), "{dump}");
        parent.abort();
    });
}

#[test]
fn a_task_waiting_on_spawn_blocking_shows_a_blocking_wait_at_the_call() {
    let rt = Builder::new_current_thread().debug(false).build().unwrap();
    let handle = rt.handle().clone();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    rt.block_on(async move {
        let line = line!() + 2;
        let waiter = weft::task::Builder::new().name("waiter").spawn(async move {
            let job = weft::spawn_blocking(move || gate.recv().unwrap());
            job.await.unwrap()
        });
        weft::task::yield_now().await;
        weft::task::yield_now().await;
        let tasks = handle.tasks();
        let w = find(&tasks, "waiter").waiting_on.expect("waiter waits");
        assert_eq!(w.kind, WaitKind::Blocking, "recorded as {:?}", w.kind);
        assert_eq!(w.location.expect("located").line(), line);
        let dump = handle.dump().to_string();
        assert!(dump.contains("waiting on spawn_blocking at "), "{dump}");
        release.send(()).unwrap();
        waiter.await.unwrap();
    });
}

#[test]
fn the_main_future_is_a_task_named_main_with_an_id() {
    for_each_builder(|builder, _| {
        let rt = builder.debug(false).build().unwrap();
        let handle = rt.handle().clone();
        let outside = handle.tasks();
        assert!(outside.iter().all(|t| !t.is_main), "no block_on yet");
        let line = line!() + 2;
        let (id, name, tasks) =
            rt.block_on(async { (weft::task::id(), weft::task::name(), handle.tasks()) });
        assert_eq!(name.as_deref(), Some("main"));
        let main = tasks.iter().find(|t| t.is_main).expect("main listed");
        assert_eq!(main.id, id);
        assert_eq!(main.state, TaskState::Running, "it is the one asking");
        assert_eq!(main.location.line(), line);
        assert!(
            handle.tasks().iter().all(|t| !t.is_main),
            "gone after block_on"
        );
        assert_eq!(weft::task::try_id(), None);
    });
}

#[test]
fn the_dump_groups_tasks_by_spawn_location() {
    let rt = Builder::new_current_thread().debug(false).build().unwrap();
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let (tx, _rx) = weft::sync::oneshot::channel::<()>();
        let gate = Arc::new(weft::sync::Event::new());
        let mut handles = Vec::new();
        for _ in 0..12 {
            let gate = gate.clone();
            handles.push(weft::spawn(async move { gate.wait().await }));
        }
        let line = line!() - 2;
        handles.push(weft::spawn(async move {
            let _tx = tx;
            weft::time::sleep(Duration::from_secs(60)).await
        }));
        weft::task::yield_now().await;
        let dump = handle.dump();
        let text = dump.to_string();
        let group = format!("spawned at {}:{line}:", file!());
        assert!(text.contains(&group), "{text}");
        assert!(text.contains("(12 task(s)):"), "{text}");
        assert!(
            text.contains("... and 2 more"),
            "only 10 of a group: {text}"
        );
        assert_eq!(
            text.matches("waiting on Event::wait at ").count(),
            10,
            "{text}"
        );
        assert!(text.contains("main task (block_on at "), "{text}");
        let all = format!("{dump:#}");
        assert_eq!(
            all.matches("waiting on Event::wait at ").count(),
            12,
            "{all}"
        );
        assert!(text.starts_with("weft runtime: 14 tasks (1 running, 0 scheduled, 13 idle"));
        gate.set();
        for h in handles.drain(..12) {
            h.await.unwrap();
        }
    });
}

#[test]
fn task_names_are_read_back_inside_the_task() {
    for_each_builder(|builder, _| {
        let rt = builder.debug(false).build().unwrap();
        let names = rt.block_on(async {
            let a = weft::task::Builder::new()
                .name("alpha")
                .spawn(async { weft::task::name() });
            let b = weft::spawn(async { weft::task::name() });
            (a.await.unwrap(), b.await.unwrap())
        });
        assert_eq!(names, (Some("alpha".to_owned()), None));
    });
}

#[test]
fn debug_mode_reports_a_slow_poll_naming_the_task_and_where_it_was_spawned() {
    for_each_builder(|builder, _| {
        let reports = Reports::default();
        let rt = builder
            .slow_poll_threshold(Duration::from_millis(30))
            .on_debug_report(reports.sink())
            .build()
            .unwrap();
        assert!(rt.handle().is_debug());
        let line = line!() + 4;
        rt.block_on(async {
            weft::task::Builder::new()
                .name("slowpoke")
                .spawn(async {
                    std::thread::sleep(Duration::from_millis(60));
                })
                .await
                .unwrap();
            // A fast task is not reported.
            weft::spawn(async { weft::task::yield_now().await })
                .await
                .unwrap();
        });
        let slow = reports.matching("slow poll:");
        assert_eq!(slow.len(), 1, "{:?}", reports.all());
        assert!(slow[0].contains("(\"slowpoke\")"), "{}", slow[0]);
        assert!(
            slow[0].contains(&format!("spawned at {}:{line}:", file!())),
            "{}",
            slow[0]
        );
        let tasks_busy = rt.handle().tasks();
        assert!(
            tasks_busy.iter().all(|t| t.busy.is_some()),
            "debug mode counts busy time"
        );
    });
}

/// The watchdog looks at a runtime from its start. With no debug-mode runtime alive it
/// idles for 250 ms at a time; a runtime built during that sleep (the previous one just
/// dropped: a test that builds runtimes one after another) was not looked at until it
/// ended, and a thread stuck for less than that went unreported.
#[test]
fn a_runtime_built_while_the_watchdog_idles_is_watched_from_its_start() {
    let build = |sink: Box<dyn Fn(&DebugReport) + Send + Sync>| {
        Builder::new_current_thread()
            .slow_poll_threshold(Duration::from_millis(20))
            .on_debug_report(sink)
            .build()
            .unwrap()
    };
    // A first runtime starts the watchdog; once it is gone the watchdog has nothing to
    // look at, and idles.
    let first = build(Box::new(|_| {}));
    first.block_on(async {});
    drop(first);
    std::thread::sleep(Duration::from_millis(50));

    let seen = Arc::new(AtomicBool::new(false));
    let sink = {
        let seen = seen.clone();
        move |r: &DebugReport| {
            if r.to_string().starts_with("blocked:") {
                seen.store(true, SeqCst);
            }
        }
    };
    let rt = build(Box::new(sink));
    let stuck_for = rt.block_on(async move {
        let stuck = weft::spawn(async move {
            // Queued behind this poll on the one thread: the work that waits.
            let waiting: Vec<_> = (0..4).map(|_| weft::spawn(async {})).collect();
            let start = Instant::now();
            while !seen.load(SeqCst) && start.elapsed() < Duration::from_millis(150) {
                std::thread::sleep(Duration::from_millis(1));
            }
            (seen.load(SeqCst).then(|| start.elapsed()), waiting)
        });
        let (stuck_for, waiting) = stuck.await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        stuck_for
    });
    assert!(
        stuck_for.is_some(),
        "a thread stuck for 150 ms (threshold 20 ms) was not reported while it was stuck"
    );
}

/// The tasks of `handle` by state and each worker's queue, for a failure's message.
fn what_waits(handle: &Handle) -> String {
    let tasks = handle.tasks();
    let count = |state| tasks.iter().filter(|t| t.state == state).count();
    let queues: Vec<_> = handle
        .metrics()
        .workers
        .iter()
        .map(|w| (w.local_queue_depth, w.polls))
        .collect();
    format!(
        "{} tasks: {} scheduled, {} running, {} idle; (queue, polls) per worker {queues:?}",
        tasks.len(),
        count(TaskState::Scheduled),
        count(TaskState::Running),
        count(TaskState::Idle),
    )
}

#[test]
fn debug_mode_reports_a_blocked_thread_while_it_is_still_blocked() {
    for_each_builder(|builder, sched| {
        let reports = Reports::default();
        let seen = Arc::new(AtomicBool::new(false));
        let sink = {
            let reports = reports.clone();
            let seen = seen.clone();
            move |r: &DebugReport| {
                if r.to_string().starts_with("blocked:") {
                    seen.store(true, SeqCst);
                }
                reports.sink()(r)
            }
        };
        let rt = builder
            .slow_poll_threshold(Duration::from_millis(50))
            .on_debug_report(sink)
            .build()
            .unwrap();
        let workers = rt.handle().num_workers();
        rt.block_on(async {
            let seen_inside = seen.clone();
            // The work below waits for the stuck task to start: run before it (a worker
            // slow to take the stuck task, on a loaded machine), it could all be done by the
            // time the watchdog looks, and a stuck thread is reported only while others wait.
            let started = Arc::new(weft::sync::Event::new());
            let started_inside = started.clone();
            let stuck = weft::task::Builder::new().name("stuck").spawn(async move {
                started_inside.set();
                // Blocking code: it stays in this poll until the watchdog has said so.
                let start = Instant::now();
                let mut looked = None;
                while !seen_inside.load(SeqCst) && start.elapsed() < Duration::from_secs(20) {
                    std::thread::sleep(Duration::from_millis(5));
                    if looked.is_none() && start.elapsed() > Duration::from_secs(1) {
                        // No report yet: what the watchdog should have seen, for the message.
                        looked = Some(what_waits(&Handle::current()));
                    }
                }
                if seen_inside.load(SeqCst) {
                    Ok(())
                } else {
                    Err(looked.unwrap_or_default())
                }
            });
            // Work that waits behind it: more than the other workers get through before
            // the threshold (each piece below the threshold itself).
            let waiting: Vec<_> = (0..workers * 8)
                .map(|_| {
                    let started = started.clone();
                    weft::spawn(async move {
                        started.wait().await;
                        std::thread::sleep(Duration::from_millis(20));
                    })
                })
                .collect();
            if let Err(state) = stuck.await.unwrap() {
                panic!("{sched}: no report came while the task was stuck; 1 s in: {state}");
            }
            for w in waiting {
                w.await.unwrap();
            }
        });
        let blocked = reports.matching("blocked:");
        assert!(!blocked.is_empty(), "{sched}: {:?}", reports.all());
        assert!(blocked[0].contains("(\"stuck\")"), "{}", blocked[0]);
        assert!(blocked[0].contains("other task(s) wait"), "{}", blocked[0]);
    });
}

#[test]
fn debug_mode_reports_a_panic_whose_join_handle_was_dropped_unawaited() {
    for_each_builder(|builder, sched| {
        let reports = Reports::default();
        let rt = builder
            .debug(true)
            .on_debug_report(reports.sink())
            .build()
            .unwrap();
        rt.block_on(async {
            // The handle goes first, the panic later.
            let gate = Arc::new(weft::sync::Event::new());
            let g = gate.clone();
            drop(weft::task::Builder::new().name("orphan").spawn(async move {
                g.wait().await;
                panic!("nobody listens");
            }));
            gate.set();
            // The panic first, the handle dropped later without being awaited.
            let h = weft::spawn(async { panic!("too late") });
            common::yield_until("the task panics", || h.is_finished()).await;
            drop(h);
            // Awaited: retrieved, so not reported.
            assert!(weft::spawn(async { panic!("seen") }).await.is_err());
            // Cancelled: not a panic.
            drop(weft::spawn(std::future::pending::<()>()));
        });
        spin_until("both reports", || reports.matching("task").len() >= 2);
        let all = reports.all();
        let unretrieved: Vec<_> = all
            .iter()
            .filter(|r| r.contains("was never retrieved"))
            .collect();
        assert_eq!(unretrieved.len(), 2, "{sched}: {all:?}");
        assert!(all
            .iter()
            .any(|r| r.contains("(\"orphan\")") && r.ends_with("nobody listens")));
        assert!(all.iter().any(|r| r.ends_with("too late")));
        assert!(!all.iter().any(|r| r.contains("seen")), "{all:?}");
    });
}

#[test]
fn without_debug_mode_nothing_is_reported_and_busy_is_unknown() {
    let reports = Reports::default();
    let rt = Builder::new_current_thread()
        .debug(false)
        .on_debug_report(reports.sink())
        .build()
        .unwrap();
    assert!(!rt.handle().is_debug());
    rt.block_on(async {
        weft::spawn(async { std::thread::sleep(Duration::from_millis(150)) })
            .await
            .unwrap();
        drop(weft::spawn(async { panic!("quiet") }));
        weft::task::yield_now().await;
        let tasks = Handle::current().tasks();
        assert!(tasks.iter().all(|t| t.busy.is_none()));
    });
    assert!(reports.all().is_empty(), "{:?}", reports.all());
}

//! The owner list: membership follows the task's life, and `close_and_shutdown_all` cancels
//! and frees every task, even those nothing will ever wake.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use common::{ready, DropCount, Exec, Gate, Tracked};
use weft_task::{Runnable, Schedule, Task, TaskList};

#[test]
fn len_follows_spawns_and_completions() {
    let ex = Exec::new();
    assert!(ex.list.is_empty());
    let gates: Vec<Gate> = (0..3).map(|_| Gate::new()).collect();
    let handles: Vec<_> = gates.iter().map(|g| ex.spawn(g.wait())).collect();
    assert_eq!(ex.list.len(), 3);
    ex.run_until_idle();
    assert_eq!(ex.list.len(), 3, "pending tasks stay members");
    gates[1].open_and_wake();
    ex.run_until_idle();
    assert_eq!(ex.list.len(), 2, "a finished task is released");
    assert!(handles[1].is_finished());
    assert_eq!(ex.releases.load(SeqCst), 1);
    drop(handles);
    drop(gates);
    ex.shutdown_and_assert_freed();
}

/// An executor whose `release` removes the task twice from its list and records both
/// results.
#[derive(Clone, Default)]
struct RemoveTwice {
    ex: Exec,
    results: Arc<Mutex<Vec<(bool, bool)>>>,
}

impl Schedule for RemoveTwice {
    fn schedule(&self, task: Runnable) {
        self.ex.schedule(task)
    }
    fn release(&self, task: &Task) -> Option<Task> {
        let first = self.ex.list.remove(task);
        let second = self.ex.list.remove(task);
        self.results
            .lock()
            .unwrap()
            .push((first.is_some(), second.is_some()));
        if let Some(t) = &first {
            assert_eq!(t.id(), task.id());
        }
        first
    }
}

#[test]
fn remove_returns_the_list_reference_once() {
    let sched = RemoveTwice::default();
    let ex = sched.ex.clone();
    let gates: Vec<Gate> = (0..5).map(|_| Gate::new()).collect();
    let handles: Vec<_> = gates
        .iter()
        .map(|g| {
            let (h, r) = ex.list.spawn(g.wait(), sched.clone(), None);
            ex.queue.lock().unwrap().push_back(r.unwrap());
            h
        })
        .collect();
    ex.run_until_idle();
    // Unlink from the middle, the head (the newest) and the tail (the oldest).
    for i in [2, 4, 0, 3, 1] {
        gates[i].open_and_wake();
        ex.run_until_idle();
        let mut left = HashSet::new();
        ex.list.for_each(|t| {
            left.insert(t.id());
        });
        assert!(!left.contains(&handles[i].id()));
    }
    assert_eq!(*sched.results.lock().unwrap(), vec![(true, false); 5]);
    assert_eq!(ex.list.len(), 0);
    drop((handles, gates, sched));
    ex.shutdown_and_assert_freed();
}

#[test]
fn bind_by_hand_and_remove_from_another_list() {
    // `remove` on a list the task is not a member of finds nothing; the task stays bound to
    // its own list until that list lets it go.
    let ex = Exec::new();
    let own = TaskList::new(1);
    let (task, runnable, mut handle) = weft_task::spawn(async { 1 }, ex.clone(), None);
    own.bind(task).unwrap();
    assert_eq!(own.len(), 1);
    let mut found = None;
    own.for_each(|t| found = Some((t.id(), t.is_scheduled(), t.is_running(), t.is_finished())));
    assert_eq!(found, Some((handle.id(), true, false, false)));

    runnable.run(); // completes; `Exec::release` looks in `ex.list`, which finds nothing
    assert_eq!(ex.releases.load(SeqCst), 1);
    assert_eq!(own.len(), 1, "still bound to `own`");
    let mut finished = 0;
    own.for_each(|t| {
        assert!(t.is_finished());
        finished += 1;
    });
    assert_eq!(finished, 1);
    own.close_and_shutdown_all(); // drops the list's reference to the finished task
    assert_eq!(own.len(), 0);
    assert_eq!(
        ready(&mut handle).unwrap(),
        1,
        "shutting a finished task down keeps its output"
    );
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn close_and_shutdown_all_cancels_idle_tasks() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gates: Vec<Gate> = (0..8).map(|_| Gate::new()).collect();
    let mut handles: Vec<_> = gates
        .iter()
        .map(|g| ex.spawn(Tracked::new(g.wait(), &fut_drops)))
        .collect();
    ex.run_until_idle();
    gates[3].wake(); // one of them is queued at shutdown
    assert_eq!(ex.queued(), 1);

    ex.list.close_and_shutdown_all();
    assert!(ex.list.is_closed());
    assert_eq!(ex.list.len(), 0);
    assert_eq!(
        fut_drops.get(),
        8,
        "every future dropped on the closing thread"
    );
    for h in &mut handles {
        assert!(h.is_finished());
        assert!(ready(h).unwrap_err().is_cancelled());
    }
    // The queued Runnable finds its task already cancelled.
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(gates[3].polls(), 1);
    assert_eq!(fut_drops.get(), 8);
    drop(handles);
    drop(gates);
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_task_blocked_forever_is_freed_by_shutdown() {
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let handle = ex.spawn(Tracked::new(std::future::pending::<()>(), &fut_drops));
    drop(handle); // nobody will ever wake, await or abort it
    ex.run_until_idle();
    assert_eq!(ex.live_tasks(), 1);
    assert_eq!(fut_drops.get(), 0);
    ex.list.close_and_shutdown_all();
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(ex.live_tasks(), 0);
    ex.shutdown_and_assert_freed();
}

#[test]
fn spawn_after_close_is_cancelled_at_once() {
    let ex = Exec::new();
    ex.list.close_and_shutdown_all();
    let fut_drops = DropCount::new();
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    let (mut handle, runnable) = ex.list.spawn(
        Tracked::new(
            async move {
                p.fetch_add(1, SeqCst);
            },
            &fut_drops,
        ),
        ex.clone(),
        Some("late"),
    );
    assert!(runnable.is_none());
    assert_eq!(fut_drops.get(), 1);
    assert_eq!(polled.load(SeqCst), 0);
    assert!(handle.is_finished());
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(ex.list.len(), 0);
    assert_eq!(ex.queued(), 0);

    // bind refuses too, handing the task back.
    let (task, r, h) = weft_task::spawn(async {}, ex.clone(), None);
    let task = ex.list.bind(task).unwrap_err();
    drop((task, r, h));
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn for_each_visits_every_live_task() {
    let ex = Exec::new();
    let list = TaskList::new(3); // rounded up to 4 shards
    let mut want = HashSet::new();
    let mut handles = Vec::new();
    for _ in 0..50 {
        let (h, r) = list.spawn(std::future::pending::<()>(), ex.clone(), None);
        want.insert(h.id());
        drop(r.unwrap()); // cancels and completes the task...
        handles.push(h);
    }
    // ...and `Exec::release` looks in `ex.list`, so the tasks stay in `list`, finished.
    let mut seen = HashSet::new();
    list.for_each(|t| {
        assert!(t.is_finished());
        assert!(seen.insert(t.id()), "visited twice");
    });
    assert_eq!(seen, want);
    assert_eq!(list.len(), 50);
    drop(list); // dropping the list shuts it down
    drop(handles);

    let gates: Vec<Gate> = (0..20).map(|_| Gate::new()).collect();
    let handles: Vec<_> = gates.iter().map(|g| ex.spawn(g.wait())).collect();
    ex.run_until_idle();
    gates[0].open_and_wake();
    ex.run_until_idle();
    let mut seen = HashSet::new();
    ex.list.for_each(|t| {
        assert!(!t.is_finished() && !t.is_running() && !t.is_scheduled());
        seen.insert(t.id());
    });
    let want: HashSet<_> = handles[1..].iter().map(|h| h.id()).collect();
    assert_eq!(seen, want);
    assert!(format!("{:?}", ex.list).contains("len: 19"));
    drop(handles);
    drop(gates);
    ex.shutdown_and_assert_freed();
}

#[test]
fn shutdown_from_inside_a_running_task() {
    // The running task cannot be cancelled in place: it is marked cancelled, and cancelled
    // when its poll returns Pending; the idle ones are cancelled by the call itself.
    let ex = Exec::new();
    let fut_drops = DropCount::new();
    let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    let others: Vec<_> = gates
        .iter()
        .map(|g| ex.spawn(Tracked::new(g.wait(), &fut_drops)))
        .collect();
    ex.run_until_idle();
    let ex2 = ex.clone();
    let seen_inside = Arc::new(AtomicUsize::new(usize::MAX));
    let s = seen_inside.clone();
    let drops = fut_drops.clone();
    let mut handle = ex.spawn(Tracked::new(
        std::future::poll_fn(move |_| {
            ex2.list.close_and_shutdown_all();
            s.store(drops.get(), SeqCst);
            Poll::<()>::Pending
        }),
        &fut_drops,
    ));
    ex.run_until_idle();
    assert_eq!(
        seen_inside.load(SeqCst),
        4,
        "the idle tasks were cancelled during the call"
    );
    assert_eq!(fut_drops.get(), 5, "and the caller when its poll returned");
    assert!(ready(&mut handle).unwrap_err().is_cancelled());
    assert_eq!(ex.list.len(), 0);
    drop((handle, others, gates));
    ex.shutdown_and_assert_freed();
}

#[test]
fn a_task_completing_during_shutdown_keeps_its_output() {
    let ex = Exec::new();
    let ex2 = ex.clone();
    let mut handle = ex.spawn(async move {
        ex2.list.close_and_shutdown_all();
        "done anyway"
    });
    ex.run_until_idle();
    assert_eq!(ready(&mut handle).unwrap(), "done anyway");
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn many_shards_and_one() {
    for shards in [0, 1, 2, 5, 64] {
        let ex = Exec(Arc::new(common::Inner {
            list: TaskList::new(shards),
            ..Default::default()
        }));
        let handles: Vec<_> = (0..17)
            .map(|_| ex.spawn(std::future::pending::<()>()))
            .collect();
        ex.run_until_idle();
        assert_eq!(ex.list.len(), 17);
        ex.list.close_and_shutdown_all();
        assert!(handles.iter().all(|h| h.is_finished()));
        drop(handles);
        ex.shutdown_and_assert_freed();
    }
}

#[test]
fn remove_from_a_list_the_task_is_not_in_finds_nothing() {
    let ex = Exec::new();
    let one = TaskList::new(1);
    let two = TaskList::new(1);
    let (older, r1, h1) = weft_task::spawn(std::future::pending::<()>(), ex.clone(), None);
    let (newer, r2, h2) = weft_task::spawn(std::future::pending::<()>(), ex.clone(), None);
    one.bind(older).unwrap();
    one.bind(newer).unwrap(); // the new head: `older` now has a predecessor in `one`
    let mut removed = None;
    one.for_each(|t| {
        if t.id() == h1.id() {
            // `two` is a different list (another lock): no deadlock. `t` is not its member.
            removed = Some(two.remove(t).map(|t| t.id()));
        }
    });
    assert_eq!(removed, Some(None), "`two` handed out `one`'s reference");
    let mut members = 0;
    one.for_each(|_| members += 1);
    assert_eq!((members, one.len(), two.len()), (2, 2, 0));
    drop((r1, r2, h1, h2, one, two));
    ex.shutdown_and_assert_freed();
}

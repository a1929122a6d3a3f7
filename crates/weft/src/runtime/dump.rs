//! Seeing the tasks: [`Handle::tasks`] (a snapshot of every live task) and [`Handle::dump`]
//! (the same as a listing a person reads, grouped by spawn location, with what each idle
//! task waits on and where: asyncio's `all_tasks()` and `Task.get_stack()`).

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use weft_task::{TaskInfo, TaskState};

use super::Handle;

impl Handle {
    /// A snapshot of every live task of this runtime: the futures inside `block_on` calls
    /// (main tasks) first, then the spawned ones, each with its id, name, spawn location,
    /// state, polls, age, busy time (debug mode only) and what it waits on.
    ///
    /// Reading it takes each shard lock of the task list briefly; spawning and polling pay
    /// nothing for it (the figures live in each task's header, written with relaxed stores).
    ///
    /// ```
    /// use weft::task::TaskState;
    ///
    /// weft::run(async {
    ///     let _sleeper = weft::task::Builder::new()
    ///         .name("sleeper")
    ///         .spawn(weft::time::sleep(std::time::Duration::from_secs(60)));
    ///     weft::time::sleep(std::time::Duration::from_millis(10)).await;
    ///     let tasks = weft::runtime::Handle::current().tasks();
    ///     let main = tasks.iter().find(|t| t.is_main).unwrap();
    ///     assert_eq!(main.id, weft::task::id());
    ///     let sleeper = tasks.iter().find(|t| t.name.as_deref() == Some("sleeper")).unwrap();
    ///     assert_eq!(sleeper.state, TaskState::Idle);
    ///     assert_eq!(sleeper.waiting_on.unwrap().kind, weft::task::WaitKind::Sleep);
    /// });
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        self.shared.owner.tasks()
    }

    /// `true` if this runtime runs in debug mode (see
    /// [`Builder::slow_poll_threshold`](crate::runtime::Builder::slow_poll_threshold)).
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().debug(true).build().unwrap();
    /// assert!(rt.handle().is_debug());
    /// ```
    pub fn is_debug(&self) -> bool {
        self.shared.owner.monitor().is_some()
    }

    /// A listing of every live task, for a person: grouped by spawn location (the busiest
    /// location first), each task with its state, polls, age and, for an idle one, what it
    /// waits on and where, e.g. `waiting on sleep at src/main.rs:42, 3.2 s left`.
    /// `Display` it; `{:#}` lists every task of a group instead of the first 10.
    ///
    /// ```
    /// let rt = weft::runtime::Builder::new_current_thread().build().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = weft::sync::mpsc::channel::<u32>(1);
    ///     let consumer = weft::spawn(async move { rx.recv().await });
    ///     weft::task::yield_now().await; // the consumer runs and waits
    ///     let dump = weft::runtime::Handle::current().dump().to_string();
    ///     println!("{dump}");
    ///     assert!(dump.contains("waiting on mpsc::Receiver::recv at "), "{dump}");
    ///     drop(tx);
    ///     assert_eq!(consumer.await.unwrap(), None);
    /// });
    /// ```
    pub fn dump(&self) -> Dump {
        let now = Instant::now();
        // Deadlines are on the runtime's clock, which may be paused.
        let clock_now = self
            .shared
            .driver
            .clock()
            .map_or(now, |c| c.now().into_std());
        Dump {
            tasks: self.tasks(),
            workers: self.num_workers(),
            clock_now,
            debug: self.is_debug(),
        }
    }
}

/// A listing of a runtime's tasks: see [`Handle::dump`].
#[derive(Debug, Clone)]
pub struct Dump {
    tasks: Vec<TaskInfo>,
    workers: usize,
    clock_now: Instant,
    debug: bool,
}

impl Dump {
    /// The tasks listed.
    ///
    /// ```
    /// let rt = weft::Runtime::new().unwrap();
    /// assert!(rt.handle().dump().tasks().is_empty());
    /// ```
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{s:.1} s")
    }
}

fn write_task(f: &mut fmt::Formatter<'_>, t: &TaskInfo, now: Instant) -> fmt::Result {
    write!(f, "  task {}", t.id)?;
    if let Some(name) = &t.name {
        write!(f, " {name:?}")?;
    }
    write!(
        f,
        ": {}, {} polls, age {}",
        t.state.name(),
        t.polls,
        secs(t.age)
    )?;
    if let Some(busy) = t.busy {
        write!(f, ", busy {}", secs(busy))?;
    }
    match (&t.waiting_on, t.state) {
        (Some(wait), _) => write!(f, "\n      waiting on {}", wait.describe(now))?,
        (None, TaskState::Idle) if t.polls > 0 => {
            write!(f, "\n      waiting on something that is not weft's")?
        }
        _ => {}
    }
    writeln!(f)
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |s: TaskState| self.tasks.iter().filter(|t| t.state == s).count();
        writeln!(
            f,
            "weft runtime: {} tasks ({} running, {} scheduled, {} idle, {} finished), {} \
             worker(s){}",
            self.tasks.len(),
            count(TaskState::Running),
            count(TaskState::Scheduled),
            count(TaskState::Idle),
            count(TaskState::Finished),
            self.workers,
            if self.debug { ", debug mode" } else { "" }
        )?;
        for main in self.tasks.iter().filter(|t| t.is_main) {
            writeln!(f, "\nmain task (block_on at {}):", main.location)?;
            write_task(f, main, self.clock_now)?;
        }
        let mut groups: BTreeMap<String, Vec<&TaskInfo>> = BTreeMap::new();
        for t in self.tasks.iter().filter(|t| !t.is_main) {
            groups.entry(t.location.to_string()).or_default().push(t);
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        let limit = if f.alternate() { usize::MAX } else { 10 };
        for (location, mut tasks) in groups {
            tasks.sort_by_key(|t| t.id.as_u64());
            writeln!(f, "\nspawned at {location} ({} task(s)):", tasks.len())?;
            for t in tasks.iter().take(limit) {
                write_task(f, t, self.clock_now)?;
            }
            if tasks.len() > limit {
                writeln!(
                    f,
                    "  ... and {} more ({{:#}} lists all)",
                    tasks.len() - limit
                )?;
            }
        }
        Ok(())
    }
}

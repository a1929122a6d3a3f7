//! A priority scheduler written against the public `weft::sched::Scheduler` trait: the end
//! of the step-by-step tutorial in `docs/custom-scheduler.md`.
//!
//!     cargo run --release --example priority_scheduler
//!
//! A task's priority comes from its name, which a scheduler can read from every
//! `Runnable` (`Runnable::name`): spawn it with `weft::task::Builder::new().name("high:..")`
//! or `name("low:..")`; any other name, or none, is normal. When several tasks are ready, the
//! highest priority runs first, and tasks of one priority run in the order they became ready
//! (a task that yields goes behind the others of its priority). The scheduler runs tasks on
//! `threads` threads of its own; an idle one parks in the runtime's driver (one thread at a
//! time), and a busy one checks the driver every [`DRIVER_INTERVAL`] tasks, so timers and
//! sockets work as on the built-in schedulers.
//!
//! The program prints:
//! 1. the order nine ready tasks finish in, on the built-in current-thread scheduler (first
//!    in, first out) and on this one (by priority);
//! 2. a high-priority timer that fires while low-priority work keeps the only worker busy:
//!    it runs as soon as the driver has fired it, ahead of the queued work;
//! 3. the scheduler on two threads: many tasks, a sleep and a TCP echo.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};
use weft::runtime::Builder;
use weft::sched::{Dispatch, Env, Hint, Park, Runnable, Scheduler};
use weft::task::yield_now;

// ---------------------------------------------------------------------------------------
// The scheduler.
// ---------------------------------------------------------------------------------------

/// A task's priority, read from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Low,
    Normal,
    High,
}

impl Level {
    fn of(task: &Runnable) -> Level {
        match task.name() {
            Some(name) if name.starts_with("high:") => Level::High,
            Some(name) if name.starts_with("low:") => Level::Low,
            _ => Level::Normal,
        }
    }
}

/// A queued task: the heap's greatest entry has the highest level and, within it, the
/// smallest sequence number (the one ready first).
struct Entry {
    level: Level,
    seq: u64,
    task: Runnable,
}

impl Entry {
    fn key(&self) -> (Level, Reverse<u64>) {
        (self.level, Reverse(self.seq))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// How many tasks a busy thread runs between two looks at the driver (`MultiThread`'s
/// `event_interval` is the same idea, and the same number).
const DRIVER_INTERVAL: u32 = 61;

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Entry>,
    /// The next sequence number.
    seq: u64,
    /// A thread is inside `Park::park` (at most one may be).
    in_driver: bool,
    shut_down: bool,
}

struct Inner {
    threads: usize,
    queue: Mutex<Queue>,
    /// Idle threads that are not in the driver wait here.
    idle: Condvar,
    /// The runtime's driver, from `Env::driver` at `start`.
    driver: OnceLock<Arc<dyn Park>>,
    handles: Mutex<Vec<thread::JoinHandle<()>>>,
}

/// The priority scheduler: `Builder::new_multi_thread().scheduler(Priority::new(2))`.
#[derive(Clone)]
struct Priority(Arc<Inner>);

impl Priority {
    fn new(threads: usize) -> Priority {
        assert!(threads > 0, "a scheduler needs at least one thread");
        Priority(Arc::new(Inner {
            threads,
            queue: Mutex::new(Queue::default()),
            idle: Condvar::new(),
            driver: OnceLock::new(),
            handles: Mutex::new(Vec::new()),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.queue.lock().unwrap()
    }

    /// One worker thread: run the best task; with none, park in the driver if no other thread
    /// does, else wait on the condvar.
    fn worker(&self, driver: Arc<dyn Park>) {
        let mut runs = 0;
        let mut q = self.lock();
        loop {
            if q.shut_down {
                return;
            }
            if runs >= DRIVER_INTERVAL && !q.in_driver {
                // Busy for a while: let the driver fire due timers and ready sockets
                // without blocking, or a busy thread would starve them.
                runs = 0;
                q = self.drive(q, &driver, Some(Duration::ZERO));
            } else if let Some(entry) = q.heap.pop() {
                drop(q); // never run a task under our own lock: it may dispatch
                entry.task.run();
                runs += 1;
                q = self.lock();
            } else if q.in_driver {
                q = self.0.idle.wait(q).unwrap();
            } else {
                runs = 0;
                q = self.drive(q, &driver, None);
            }
        }
    }

    /// Parks in the driver with `q`'s lock released; returns the lock again.
    fn drive<'a>(
        &'a self,
        mut q: MutexGuard<'a, Queue>,
        driver: &Arc<dyn Park>,
        timeout: Option<Duration>,
    ) -> MutexGuard<'a, Queue> {
        q.in_driver = true;
        drop(q);
        // `unpark` is a token: a dispatch between the unlock and here makes this return.
        driver.park(timeout);
        let mut q = self.lock();
        q.in_driver = false;
        // This thread goes back to running tasks: an idle one may take the driver over.
        self.0.idle.notify_one();
        q
    }
}

impl Dispatch for Priority {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        // Every hint is queued the same way: a fresh sequence number puts a yielding task
        // (`Hint::Yield`) behind the others of its level.
        let level = Level::of(&task);
        let mut q = self.lock();
        if q.shut_down {
            drop(q);
            drop(task); // cancels the task (outside the lock: that runs its destructors)
            return;
        }
        q.seq += 1;
        let seq = q.seq;
        q.heap.push(Entry { level, seq, task });
        let in_driver = q.in_driver;
        drop(q);
        self.0.idle.notify_one();
        if in_driver {
            if let Some(driver) = self.0.driver.get() {
                driver.unpark();
            }
        }
    }
}

impl Scheduler for Priority {
    fn start(&self, env: &Env) -> io::Result<()> {
        let driver = self.0.driver.get_or_init(|| env.driver().clone()).clone();
        for _ in 0..self.0.threads {
            let (me, driver) = (self.clone(), driver.clone());
            let t = env.spawn_thread(Box::new(move || me.worker(driver)))?;
            self.0.handles.lock().unwrap().push(t);
        }
        Ok(())
    }

    fn shutdown(&self) {
        let leftover = {
            let mut q = self.lock();
            q.shut_down = true;
            std::mem::take(&mut q.heap)
        };
        self.0.idle.notify_all();
        if let Some(driver) = self.0.driver.get() {
            driver.unpark();
        }
        drop(leftover); // cancels what never ran
        let me = thread::current().id();
        for t in std::mem::take(&mut *self.0.handles.lock().unwrap()) {
            if t.thread().id() != me {
                t.join().expect("a scheduler thread panicked");
            }
        }
        // Anything dispatched while the threads finished their last poll.
        let leftover = std::mem::take(&mut self.lock().heap);
        drop(leftover);
    }

    fn num_workers(&self) -> usize {
        self.0.threads
    }
}

// ---------------------------------------------------------------------------------------
// The demonstrations.
// ---------------------------------------------------------------------------------------

/// Spawns nine tasks (low, normal and high, three of each, interleaved) from inside a task,
/// so that all nine are ready before any runs; returns the order they finished in.
fn finish_order(builder: Builder) -> Vec<String> {
    let rt = builder.build().expect("build the runtime");
    rt.block_on(async {
        let done = Arc::new(Mutex::new(Vec::new()));
        let d = done.clone();
        let launcher = weft::spawn(async move {
            let mut jobs = Vec::new();
            for i in 1..=3 {
                for level in ["low", "normal", "high"] {
                    let name = format!("{level}:{i}");
                    let d = d.clone();
                    let me = name.clone();
                    jobs.push(weft::task::Builder::new().name(&name).spawn(async move {
                        for _ in 0..3 {
                            yield_now().await; // three steps: each yields to the others
                        }
                        d.lock().unwrap().push(me);
                    }));
                }
            }
            jobs
        });
        for job in launcher.await.unwrap() {
            job.await.unwrap();
        }
        let order = done.lock().unwrap().clone();
        order
    })
}

/// A high-priority task sleeps 2 ms while four low-priority tasks keep the only worker
/// busy (100 steps of 50 µs each); returns how many low steps had run when it woke up.
fn alarm_under_load() -> (usize, usize) {
    const LOW_TASKS: usize = 4;
    const STEPS: usize = 100;
    let rt = Builder::new_multi_thread()
        .scheduler(Priority::new(1))
        .build()
        .expect("build the runtime");
    let steps = Arc::new(AtomicUsize::new(0));
    let s = steps.clone();
    let seen = rt.block_on(async move {
        let launcher = weft::spawn(async move {
            let alarm = {
                let s = s.clone();
                weft::task::Builder::new()
                    .name("high:alarm")
                    .spawn(async move {
                        weft::time::sleep(Duration::from_millis(2)).await;
                        s.load(SeqCst)
                    })
            };
            let workers: Vec<_> = (0..LOW_TASKS)
                .map(|i| {
                    let s = s.clone();
                    weft::task::Builder::new()
                        .name(&format!("low:worker-{i}"))
                        .spawn(async move {
                            for _ in 0..STEPS {
                                let t = Instant::now();
                                while t.elapsed() < Duration::from_micros(50) {
                                    std::hint::spin_loop(); // some work
                                }
                                s.fetch_add(1, SeqCst);
                                yield_now().await;
                            }
                        })
                })
                .collect();
            (alarm, workers)
        });
        let (alarm, workers) = launcher.await.unwrap();
        let seen = alarm.await.unwrap();
        for w in workers {
            w.await.unwrap();
        }
        seen
    });
    assert_eq!(steps.load(SeqCst), LOW_TASKS * STEPS);
    (seen, LOW_TASKS * STEPS)
}

/// The scheduler on two threads: spawns, a sleep and a TCP echo over loopback.
fn two_threads() -> io::Result<(usize, Vec<u8>)> {
    let rt = Builder::new_multi_thread()
        .scheduler(Priority::new(2))
        .build()?;
    rt.block_on(async {
        let tasks: Vec<_> = (0..1_000usize)
            .map(|i| {
                let name = if i % 2 == 0 { "high:even" } else { "low:odd" };
                weft::task::Builder::new().name(name).spawn(async move {
                    yield_now().await;
                    i
                })
            })
            .collect();
        let mut done = 0;
        for t in weft::future::join_all(tasks).await {
            t.expect("a task failed");
            done += 1;
        }
        weft::time::sleep(Duration::from_millis(5)).await;

        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = weft::task::Builder::new()
            .name("high:echo")
            .spawn(async move {
                let (mut socket, _) = listener.accept().await?;
                let mut buf = [0; 4];
                socket.read_exact(&mut buf).await?;
                socket.write_all(&buf).await?;
                io::Result::Ok(())
            });
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(b"ping").await?;
        let mut echoed = vec![0; 4];
        client.read_exact(&mut echoed).await?;
        server.await.expect("the echo task failed")?;
        Ok((done, echoed))
    })
}

fn main() {
    println!("1. nine ready tasks (three steps each), spawned low, normal, high, low, ...:");
    let fifo = finish_order(Builder::new_current_thread());
    println!("   current_thread finishes: {}", fifo.join(" "));
    let by_priority = finish_order(Builder::new_multi_thread().scheduler(Priority::new(1)));
    println!("   priority finishes:       {}", by_priority.join(" "));

    println!("\n2. a high-priority timer while low-priority work keeps the only worker busy:");
    let (seen, total) = alarm_under_load();
    println!("   the alarm ran after {seen} of {total} low-priority steps");
    println!(
        "   (it was due after about 40; a busy thread looks at the driver every \
         {DRIVER_INTERVAL} tasks, and without that look the alarm would wait for all {total})"
    );

    println!("\n3. the scheduler on two threads:");
    let t = Instant::now();
    let (done, echoed) = two_threads().expect("the two-thread run failed");
    println!(
        "   {done} tasks done, a sleep, and a TCP echo ({:?}) in {:.0?}",
        String::from_utf8_lossy(&echoed),
        t.elapsed()
    );
}

//! A tour of weft, one section per idea, each printing what happened.
//!
//!     cargo run --release --example tour
//!
//! Every section names its asyncio counterpart. Timings are shown where they tell something
//! (they are not benchmarks: see `cargo xtask bench` for those).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use weft::runtime::Builder;
use weft::sched::{Dispatch, Env, Hint, Runnable, Scheduler};
use weft::task::{yield_now, JoinSet};

fn main() {
    // asyncio: `loop = asyncio.new_event_loop()`; weft: a multi-thread runtime, one worker
    // per CPU. (`weft::run(fut)` is asyncio.run(fut): build, block_on, shut down.)
    let rt = weft::Runtime::new().expect("build the runtime");
    println!(
        "weft tour: a multi-thread runtime with {} workers\n",
        rt.handle().num_workers()
    );
    rt.block_on(async {
        spawn_and_await().await;
        join_macro().await;
        join_all_many().await;
        time().await;
        join_set_completion_order().await;
        select_first().await;
        queue_and_lock().await;
        async_generator().await;
        blocking_jobs().await;
        panicking_task().await;
        abort_task().await;
    });
    yield_interleaving();
    custom_scheduler();
    println!("\nend of the tour");
}

fn section(title: &str) {
    println!("== {title}");
}

/// Yields `n` times: some work that takes a few scheduler turns.
async fn work(n: usize) {
    for _ in 0..n {
        yield_now().await;
    }
}

/// asyncio: `task = asyncio.create_task(coro()); result = await task`
async fn spawn_and_await() {
    section("spawn + await          (asyncio.create_task / await task)");
    let t = Instant::now();
    let task = weft::spawn(async { "hello from a task" });
    let out = task.await.unwrap();
    println!("   the task returned {out:?} in {:?}", t.elapsed());
    let thread = weft::spawn(async { std::thread::current().name().map(str::to_owned) })
        .await
        .unwrap();
    println!("   tasks run on the runtime's workers: this one ran on {thread:?}\n");
}

/// asyncio: `a, b = await asyncio.gather(fetch_a(), fetch_b())`
async fn join_macro() {
    section("join!                  (asyncio.gather of a few awaitables)");
    let (user, count) = weft::join!(
        async {
            work(3).await;
            "ada"
        },
        async {
            work(1).await;
            42
        },
    );
    println!("   both done, outputs in argument order: ({user:?}, {count})\n");
}

/// asyncio: `results = await asyncio.gather(*(job(i) for i in range(10_000)))`
async fn join_all_many() {
    section("join_all of 10,000 tasks (asyncio.gather(*tasks))");
    let t = Instant::now();
    let handles: Vec<_> = (0..10_000u64)
        .map(|i| weft::spawn(async move { i * 2 }))
        .collect();
    let outputs = weft::future::join_all(handles).await;
    let sum: u64 = outputs.into_iter().map(Result::unwrap).sum();
    println!(
        "   spawned and joined 10,000 tasks in {:?}; sum of outputs = {sum}\n",
        t.elapsed()
    );
}

/// asyncio: `await asyncio.sleep(d)`, `await asyncio.wait_for(aw, timeout)`, and a periodic
/// task (`while True: ...; await asyncio.sleep(p)`, but without drift).
async fn time() {
    section("time                   (asyncio.sleep / asyncio.wait_for / a periodic task)");
    let t = Instant::now();
    weft::time::sleep(Duration::from_millis(20)).await;
    println!("   sleep(20 ms) returned after {:?}", t.elapsed());

    let slow = weft::time::sleep(Duration::from_secs(5));
    match weft::time::timeout(Duration::from_millis(10), slow).await {
        Ok(()) => println!("   the slow operation finished in time?!"),
        Err(e) => println!("   timeout(10 ms, a 5 s operation) gave: {e}"),
    }

    let t = Instant::now();
    let mut every = weft::time::interval(Duration::from_millis(10));
    let mut ticks = Vec::new();
    for _ in 0..4 {
        every.tick().await;
        ticks.push(format!("{} ms", t.elapsed().as_millis()));
    }
    println!("   interval(10 ms) ticked at {}\n", ticks.join(", "));
}

/// asyncio: `async with asyncio.TaskGroup() as tg: ...` / `for f in as_completed(aws)`
async fn join_set_completion_order() {
    section("JoinSet                (asyncio.TaskGroup / as_completed)");
    let t = Instant::now();
    let mut set = JoinSet::new();
    // Spawned in order a, b, c, d; each sleeps a bit less than the one before.
    for (name, ms) in [("a", 40), ("b", 30), ("c", 20), ("d", 10)] {
        set.spawn(async move {
            weft::time::sleep(Duration::from_millis(ms)).await;
            name
        });
    }
    let mut order = Vec::new();
    while let Some(done) = set.join_next().await {
        order.push(format!(
            "{} ({} ms)",
            done.unwrap(),
            t.elapsed().as_millis()
        ));
    }
    println!(
        "   spawned a, b, c, d; joined as they finished: {}\n",
        order.join(", ")
    );
}

/// asyncio: `done, pending = await asyncio.wait(aws, return_when=FIRST_COMPLETED)`
async fn select_first() {
    section("select!                (asyncio.wait(..., FIRST_COMPLETED))");
    let winner = weft::select! {
        v = async { weft::time::sleep(Duration::from_millis(50)).await; "slow" } => v,
        v = async { weft::time::sleep(Duration::from_millis(5)).await; "fast" } => v,
    };
    println!("   the first to finish wins: {winner:?} (the other one is dropped)\n");
}

/// asyncio: `q = asyncio.Queue(maxsize=4)`; workers `await q.get()` ... `q.task_done()`;
/// `await q.join()`; a shared total under `async with lock:`.
async fn queue_and_lock() {
    section("Queue + Lock           (asyncio.Queue with task_done/join, asyncio.Lock)");
    let queue = weft::sync::Queue::bounded(4);
    let total = std::sync::Arc::new(weft::sync::Mutex::new(0u64));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (queue, total) = (queue.clone(), total.clone());
            weft::spawn(async move {
                let mut handled = 0;
                while let Ok(n) = queue.get().await {
                    *total.lock().await += n;
                    handled += 1;
                    queue.task_done();
                }
                handled
            })
        })
        .collect();
    for n in 1..=100u64 {
        queue.put(n).await.unwrap(); // waits while 4 items are queued
    }
    queue.join().await; // every item taken and marked done
    queue.close(); // the workers' get() now ends their loops
    let mut handled = Vec::new();
    for w in workers {
        handled.push(w.await.unwrap());
    }
    println!(
        "   3 workers took 100 jobs from a bounded(4) queue ({handled:?} each); total {}\n",
        *total.lock().await
    );
}

/// asyncio: `async def ticks(): for i in range(3): await asyncio.sleep(..); yield i` and
/// `[x async for x in ticks()]`.
async fn async_generator() {
    section("stream::generate       (an async generator and `async for`)");
    use weft::stream::StreamExt;
    let ticks = weft::stream::generate(|mut y| async move {
        for i in 0..3u32 {
            weft::time::sleep(Duration::from_millis(2)).await;
            y.send(i).await;
        }
    });
    let squares: Vec<u32> = ticks.map(|i| i * i).collect().await;
    println!("   [i * i async for i in ticks()] = {squares:?}\n");
}

/// asyncio: `await loop.run_in_executor(None, blocking_fn)` / `asyncio.to_thread(fn)`
async fn blocking_jobs() {
    section("spawn_blocking         (loop.run_in_executor / asyncio.to_thread)");
    let t = Instant::now();
    let jobs: Vec<_> = (0..4)
        .map(|i| {
            weft::spawn_blocking(move || {
                // A blocking call (a sleep stands in for a synchronous library or a
                // syscall): it would stall a worker, so it goes to the blocking pool.
                std::thread::sleep(Duration::from_millis(50));
                i
            })
        })
        .collect();
    let done = weft::future::join_all(jobs).await.len();
    let took = t.elapsed();
    let verdict = if took < Duration::from_millis(150) {
        "they overlapped"
    } else {
        "they did not all overlap"
    };
    println!("   {done} jobs of 50 ms each took {took:?} in all: {verdict}\n");
}

/// asyncio: an exception in a task surfaces when the task is awaited.
async fn panicking_task() {
    section("a panicking task       (an exception raised in a task)");
    // Keep the default hook from printing the panic: this one is on purpose.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let err = weft::spawn(async { panic!("something broke") })
        .await
        .unwrap_err();
    std::panic::set_hook(hook);
    let message = err.into_panic().downcast_ref::<&str>().copied();
    println!("   awaiting it gave a JoinError (is_panic) with message {message:?}");
    let still = weft::spawn(async { "yes" }).await.unwrap();
    println!("   and the runtime still works: {still}\n");
}

/// asyncio: `task.cancel()`, then `await task` raises CancelledError.
async fn abort_task() {
    section("abort                  (task.cancel())");
    let forever = weft::spawn(std::future::pending::<()>());
    forever.abort();
    let err = forever.await.unwrap_err();
    println!(
        "   an aborted task resolves to a JoinError with is_cancelled() = {}",
        err.is_cancelled()
    );
    let finished = weft::spawn(async { 7 });
    while !finished.is_finished() {
        yield_now().await;
    }
    finished.abort();
    println!(
        "   aborting a finished task does nothing: {:?}\n",
        finished.await
    );
}

/// asyncio: `await asyncio.sleep(0)` lets the other tasks run.
fn yield_interleaving() {
    section("yield_now interleaving (await asyncio.sleep(0))");
    // One thread, so the interleaving is exact.
    let rt = Builder::new_current_thread().build().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let l = log.clone();
    rt.block_on(async move {
        let worker = |name: char| {
            let l = l.clone();
            weft::spawn(async move {
                for i in 0..4 {
                    l.lock().unwrap().push_str(&format!("{name}{i} "));
                    yield_now().await;
                }
            })
        };
        let (a, b) = (worker('a'), worker('b'));
        a.await.unwrap();
        b.await.unwrap();
    });
    println!(
        "   two tasks that yield after each step: {}\n",
        log.lock().unwrap().trim_end()
    );
}

// ---------------------------------------------------------------------------------------
// A custom scheduler: asyncio's event loop policies, but for the scheduler itself.
// ---------------------------------------------------------------------------------------

/// The tiniest useful scheduler: one FIFO queue and one thread of its own.
#[derive(Clone, Default)]
struct TinyFifo(Arc<FifoState>);

#[derive(Default)]
struct FifoState {
    queue: Mutex<(VecDeque<Runnable>, bool)>, // (tasks, shut down)
    ready: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Where a ready task goes: the back of the queue.
impl Dispatch for TinyFifo {
    fn dispatch(&self, task: Runnable, _hint: Hint) {
        let mut q = self.0.queue.lock().unwrap();
        if q.1 {
            drop(q);
            drop(task); // after shutdown: dropping a runnable cancels its task
            return;
        }
        q.0.push_back(task);
        self.0.ready.notify_one();
    }
}

/// What the runtime needs besides: start the thread, stop it.
impl Scheduler for TinyFifo {
    fn start(&self, env: &Env) -> std::io::Result<()> {
        let me = self.clone();
        let thread = env.spawn_thread(Box::new(move || loop {
            let mut q = me.0.queue.lock().unwrap();
            while q.0.is_empty() && !q.1 {
                q = me.0.ready.wait(q).unwrap();
            }
            let Some(task) = q.0.pop_front() else { return }; // shut down
            drop(q);
            task.run();
        }))?;
        *self.0.thread.lock().unwrap() = Some(thread);
        Ok(())
    }

    fn shutdown(&self) {
        let leftover = {
            let mut q = self.0.queue.lock().unwrap();
            q.1 = true;
            std::mem::take(&mut q.0)
        };
        self.0.ready.notify_all();
        drop(leftover);
        if let Some(t) = self.0.thread.lock().unwrap().take() {
            t.join().unwrap();
        }
    }
}

/// The same program, whatever the scheduler: 1,000 tasks that each yield 10 times and bump
/// a counter, plus a blocking job.
async fn same_program() -> usize {
    let counter = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..1_000)
        .map(|_| {
            let counter = counter.clone();
            weft::spawn(async move {
                work(10).await;
                counter.fetch_add(1, SeqCst);
            })
        })
        .collect();
    for t in weft::future::join_all(tasks).await {
        t.unwrap();
    }
    weft::spawn_blocking(|| ()).await.unwrap();
    counter.load(SeqCst)
}

fn custom_scheduler() {
    section("Builder::scheduler     (a custom event loop, for the scheduler itself)");
    let runtimes = [
        ("multi-thread (work-stealing)", Builder::new_multi_thread()),
        ("current-thread", Builder::new_current_thread()),
        (
            "TinyFifo (40 lines, above)",
            Builder::new_multi_thread().scheduler(TinyFifo::default()),
        ),
    ];
    for (name, builder) in runtimes {
        let rt = builder.build().unwrap();
        let t = Instant::now();
        let done = rt.block_on(same_program());
        println!(
            "   {name:<30} ran {done} tasks x 10 yields in {:?}",
            t.elapsed()
        );
    }
}

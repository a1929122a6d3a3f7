//! `top` for a weft runtime: a live view, redrawn once a second, of the runtime's metrics
//! (`Handle::metrics()`: per worker polls, steals, parks, queue depths, busy time; timers,
//! I/O events, the blocking pool) and its busiest tasks (`Handle::tasks()`: state, polls,
//! age and what each one waits on), over a demo workload: a pipeline of producers and
//! consumers over a bounded channel, a TCP echo pair, periodic tickers, a CPU-bound task,
//! blocking jobs, and a task stuck on a lock forever.
//!
//! Run: `cargo run --release --example top` (ctrl-c to stop), or
//! `cargo run --release --example top -- --secs 5 --workers 4`. When standard output is not
//! a terminal the frames are printed one after another instead of redrawn.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft::io::{AsyncReadExt, AsyncWriteExt};
use weft::net::{TcpListener, TcpStream};
use weft::runtime::{Handle, RuntimeMetrics};
use weft::sync::{mpsc, Mutex};
use weft::task::{self, TaskInfo};
use weft::time::{interval, sleep};

struct Args {
    secs: Option<u64>,
    workers: usize,
}

fn args() -> Args {
    let mut args = Args {
        secs: None,
        workers: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--secs" => args.secs = Some(value("--secs")),
            "--workers" => args.workers = value("--workers").max(1) as usize,
            other => panic!("unknown argument {other:?} (try --secs N, --workers N)"),
        }
    }
    args
}

fn main() {
    let args = args();
    let rt = weft::runtime::Builder::new_multi_thread()
        .worker_threads(args.workers)
        .thread_name("weft-top")
        .build()
        .expect("runtime");
    let handle = rt.handle().clone();
    rt.block_on(async move {
        let served = Arc::new(AtomicU64::new(0));
        start_workload(served.clone()).await;
        let started = Instant::now();
        let mut ctrl_c = std::pin::pin!(weft::signal::ctrl_c());
        let mut frames = interval(Duration::from_secs(1));
        let mut previous = Frame::default();
        loop {
            weft::select! {
                biased;
                _ = &mut ctrl_c => break,
                _ = frames.tick() => {
                    let frame = Frame::take(&handle);
                    draw(&frame, &previous, started.elapsed(), served.load(Relaxed));
                    previous = frame;
                    if args.secs.is_some_and(|s| started.elapsed() >= Duration::from_secs(s)) {
                        break;
                    }
                }
            }
        }
        println!(
            "weft-top: done after {:.1} s",
            started.elapsed().as_secs_f64()
        );
    });
    // Dropping the runtime cancels the workload's tasks.
}

/// How many tasks a frame lists (the busiest first).
const ROWS: usize = 24;

/// One sample of the runtime.
#[derive(Default)]
struct Frame {
    metrics: Option<RuntimeMetrics>,
    tasks: Vec<TaskInfo>,
}

impl Frame {
    fn take(handle: &Handle) -> Frame {
        Frame {
            metrics: Some(handle.metrics()),
            tasks: handle.tasks(),
        }
    }
}

fn draw(now: &Frame, before: &Frame, uptime: Duration, served: u64) {
    let m = now.metrics.as_ref().expect("a frame has metrics");
    let prev = before.metrics.as_ref();
    let per_sec = |now: u64, before: Option<u64>| now - before.unwrap_or(0);
    let mut out = String::new();
    if std::io::stdout().is_terminal() {
        out.push_str("\x1b[2J\x1b[H"); // clear the screen, cursor home
    } else {
        out.push_str("\n----\n");
    }
    out += &format!(
        "weft-top  up {:.0} s  tasks {}  workers {}  polls/s {}  timers/s {}  io events/s {}  \
         echoes served {}\n",
        uptime.as_secs_f64(),
        m.alive_tasks,
        m.workers.len(),
        per_sec(m.total_polls(), prev.map(RuntimeMetrics::total_polls)),
        per_sec(m.timers_fired, prev.map(|p| p.timers_fired)),
        per_sec(m.io_events, prev.map(|p| p.io_events)),
        served,
    );
    out += &format!(
        "global queue {}  blocking threads {} ({} busy, {} idle, {} queued)\n\n",
        m.global_queue_depth,
        m.blocking_threads,
        m.blocking_busy(),
        m.blocking_idle,
        m.blocking_queue_depth,
    );
    out += "worker     polls/s  steals  stolen   parks unparks  queue  overflow  forced  busy\n";
    for (i, w) in m.workers.iter().enumerate() {
        let p = prev.and_then(|p| p.workers.get(i));
        let busy = w.busy.saturating_sub(p.map_or(Duration::ZERO, |p| p.busy));
        out += &format!(
            "{i:>6} {:>11} {:>7} {:>7} {:>7} {:>7} {:>6} {:>9} {:>7} {:>4.0}%\n",
            w.polls - p.map_or(0, |p| p.polls),
            w.steals,
            w.stolen_tasks,
            w.parks,
            w.unparks,
            w.local_queue_depth,
            w.overflows,
            w.forced_yields,
            (busy.as_secs_f64() * 100.0).min(100.0),
        );
    }
    // The busiest tasks since the last frame.
    let before: HashMap<u64, u64> = before
        .tasks
        .iter()
        .map(|t| (t.id.as_u64(), t.polls))
        .collect();
    let mut tasks: Vec<(&TaskInfo, u64)> = now
        .tasks
        .iter()
        .map(|t| {
            (
                t,
                t.polls - before.get(&t.id.as_u64()).copied().unwrap_or(0),
            )
        })
        .collect();
    tasks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.id.as_u64().cmp(&b.0.id.as_u64())));
    out += "\n  task  name          state       polls/s   polls     age  waiting on\n";
    for (t, delta) in tasks.iter().take(ROWS) {
        let waiting = t.waiting_on.map_or(String::new(), |w| w.to_string());
        out += &format!(
            "{:>6}  {:<12}  {:<10} {:>8} {:>7} {:>6.0}s  {}\n",
            t.id,
            t.name.as_deref().unwrap_or("-"),
            t.state.name(),
            delta,
            t.polls,
            t.age.as_secs_f64(),
            waiting,
        );
    }
    if tasks.len() > ROWS {
        out += &format!("   ... and {} more\n", tasks.len() - ROWS);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// Starts the demo workload; returns once it is running.
async fn start_workload(served: Arc<AtomicU64>) {
    // A pipeline: 3 producers, 2 consumers, a bounded channel.
    let (tx, rx) = mpsc::channel::<u64>(64);
    let rx = Arc::new(Mutex::new(rx));
    for p in 0..3u64 {
        let tx = tx.clone();
        let name = format!("producer-{p}");
        task::Builder::new().name(&name).spawn(async move {
            let mut n = 0;
            loop {
                n += 1;
                if tx.send(n).await.is_err() {
                    return;
                }
                if n % 100 == 0 {
                    sleep(Duration::from_millis(10 + p * 5)).await;
                }
            }
        });
    }
    for c in 0..2 {
        let rx = rx.clone();
        task::Builder::new()
            .name(&format!("consumer-{c}"))
            .spawn(async move {
                let mut sum = 0u64;
                while let Some(v) = rx.lock().await.recv().await {
                    sum = sum.wrapping_add(v);
                }
                sum
            });
    }

    // A TCP echo server and a client that talks to it.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    task::Builder::new().name("echo-server").spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            task::Builder::new().name("echo-conn").spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    task::Builder::new().name("echo-client").spawn(async move {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            return;
        };
        let mut buf = [0u8; 5];
        loop {
            if stream.write_all(b"hello").await.is_err()
                || stream.read_exact(&mut buf).await.is_err()
            {
                return;
            }
            served.fetch_add(1, Relaxed);
            sleep(Duration::from_millis(2)).await;
        }
    });

    // Tickers.
    for (i, ms) in [50u64, 200, 1000].into_iter().enumerate() {
        task::Builder::new()
            .name(&format!("ticker-{i}"))
            .spawn(async move {
                let mut every = interval(Duration::from_millis(ms));
                loop {
                    every.tick().await;
                }
            });
    }

    // CPU-bound work that yields between chunks, and blocking jobs on the pool.
    task::Builder::new().name("cruncher").spawn(async {
        let mut x = 1u64;
        loop {
            for _ in 0..20_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            std::hint::black_box(x);
            task::yield_now().await;
        }
    });
    task::Builder::new().name("archiver").spawn(async {
        loop {
            let _ = weft::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300))).await;
            sleep(Duration::from_millis(200)).await;
        }
    });

    // A task stuck for good: the lock's guard is kept by a task that never finishes.
    let lock = Arc::new(Mutex::new(()));
    let guard = lock.clone().lock_owned().await;
    task::Builder::new().name("holder").spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    task::Builder::new().name("stuck").spawn(async move {
        let _never = lock.lock().await;
    });
}

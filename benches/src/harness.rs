//! Running the suite: every workload on all three runtimes in one process, alternating the
//! runtimes across repetitions, then the queue micro-benchmarks and the memory figures.
//!
//! Per workload: the three runtimes are built (each with the same worker count) and stay
//! up for that workload's samples; each runs the workload once untimed (warm-up: thread
//! start-up, lazily built queues and timer wheels, the allocator's first pages); then
//! repetition `r` runs the runtimes in the order rotated by `r` (weft-tokio-smol,
//! tokio-smol-weft, smol-weft-tokio, ...), so no runtime always goes first or always follows
//! the same one, and the floor, if the workload has one, runs after them. A workload with an
//! extra pairing (weft's runtime with flume in the `sync_*` channel rows, tokio's
//! current-thread runtime in `channel` and `ping_pong`) runs it as a fourth slot of the same
//! rotation. A workload that asks for its speed-up over one worker
//! ([`Workload::one_worker`]: `cpu_fan_out`, `mixed`) also gets a one-worker runtime of each
//! kind, built once beside the others and dropped with them, and their three runs are
//! further slots of the rotation. Idle runtimes park their threads, so they cost the one
//! being measured nothing.

use std::io::Write;
use std::time::Instant;

use crate::memory;
use crate::queue::{self, Queue};
use crate::rt::{Rt, Runtimes, Smol, Tokio, Weft, Which};
use crate::sample::Sample;
use crate::stats::fmt_ns;
use crate::workloads::{Params, Workload};

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct Config {
    /// Worker threads of every runtime.
    pub workers: usize,
    /// Timed repetitions per runtime per workload.
    pub reps: usize,
    /// `--quick`.
    pub quick: bool,
    /// The workload sizes.
    pub params: Params,
    /// Items per queue micro-benchmark sample.
    pub queue_ops: usize,
    /// Tasks for the memory figures.
    pub memory_tasks: usize,
    /// Tasks per figure for the bytes per waiting task (`sync_memory`).
    pub waiter_tasks: usize,
    /// Only workloads whose name contains one of these (all when empty).
    pub filter: Vec<String>,
}

impl Config {
    /// Whether `name` passes the filter.
    pub fn selects(&self, name: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| name.contains(f.as_str()))
    }
}

/// A workload's samples on each runtime.
#[derive(Debug, Clone)]
pub struct WorkloadResult {
    /// The workload.
    pub workload: Workload,
    /// Per runtime, in [`Which::ALL`] order: the samples, or why it could not run.
    pub samples: [Result<Vec<Sample>, &'static str>; 3],
    /// The floor's samples, if the workload has one.
    pub floor: Option<Vec<Sample>>,
    /// The [extra pairing](crate::workloads::Extra)'s samples (or why it could not run), if
    /// the workload has one.
    pub extra: Option<Result<Vec<Sample>, &'static str>>,
    /// Per runtime ([`Which::ALL`] order), its samples on a one-worker runtime of its kind,
    /// if the workload asks for them ([`Workload::one_worker`]); repetition `r` of these ran
    /// in the same rotation as repetition `r` of [`WorkloadResult::samples`].
    pub one_worker: Option<[Result<Vec<Sample>, &'static str>; 3]>,
}

/// One slot of a workload's rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A runtime with the configured worker count (index into [`Which::ALL`]).
    Runtime(usize),
    /// The extra pairing.
    Extra,
    /// A runtime with one worker (index into [`Which::ALL`]).
    OneWorker(usize),
}

/// One queue micro-benchmark.
#[derive(Debug, Clone)]
pub struct QueueResult {
    /// `push_pop` or `steal`.
    pub name: &'static str,
    /// What one sample does.
    pub size: String,
    /// Items per sample.
    pub ops: u64,
    /// Per queue, in [`Queue::ALL`] order.
    pub samples: [Vec<Sample>; 2],
}

/// The memory figures, per runtime in [`Which::ALL`] order.
#[derive(Debug, Clone, Default)]
pub struct MemoryResult {
    /// Tasks spawned for the figures.
    pub tasks: usize,
    /// Heap bytes per idle task, future excluded.
    pub bytes_per_task: [Option<f64>; 3],
    /// `spawn_many_local` in a child process: (RSS before, peak RSS), bytes.
    pub rss: [Option<(u64, u64)>; 3],
    /// Tasks per figure for [`MemoryResult::waiting`].
    pub waiter_tasks: usize,
    /// Heap bytes per task waiting on the runtime's own primitives (`sync_memory`).
    pub waiting: [Option<memory::WaitingBytes>; 3],
}

/// The name `--filter` selects the bytes per waiting task by (`sync` and `memory` select
/// it too).
pub const SYNC_MEMORY: &str = "sync_memory";

fn progress(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// One timed sample of runtime `i` of `rts` into its list, unless it could not run this.
fn run_into(
    w: &Workload,
    rts: &Runtimes,
    i: usize,
    p: &Params,
    lists: &mut [Result<Vec<Sample>, &'static str>; 3],
) {
    if let Ok(list) = &mut lists[i] {
        list.push((w.run)(rts, Which::ALL[i], p).expect("a runtime stopped running"));
    }
}

/// Runs one workload: warm-up, then `cfg.reps` rotated repetitions (of the three runtimes,
/// of the workload's extra pairing as a fourth where it has one, and of the three one-worker
/// runtimes where it asks for them).
pub fn run_workload(w: &Workload, cfg: &Config) -> WorkloadResult {
    let started = Instant::now();
    let p = &cfg.params;
    let rts = Runtimes::build(cfg.workers);
    // Built once for the workload's samples, dropped with `rts` below; parked in between.
    let one_rts = w.one_worker.then(|| Runtimes::build(1));
    // The untimed run of each runtime: an empty list to fill, or why it cannot run this.
    let warm_up = |rts: &Runtimes| -> [Result<Vec<Sample>, &'static str>; 3] {
        std::array::from_fn(|i| {
            (w.run)(rts, Which::ALL[i], p).map(|_| Vec::with_capacity(cfg.reps))
        })
    };
    let mut samples = warm_up(&rts);
    let mut extra = w
        .extra
        .map(|e| (e.run)(&rts, p).map(|_| Vec::with_capacity(cfg.reps)));
    let mut one_worker = one_rts.as_ref().map(warm_up);
    let mut floor = w.floor.map(|f| {
        (f.run)(p);
        Vec::with_capacity(cfg.reps)
    });
    let mut slots: Vec<Slot> = (0..3).map(Slot::Runtime).collect();
    if extra.is_some() {
        slots.push(Slot::Extra);
    }
    if one_rts.is_some() {
        slots.extend((0..3).map(Slot::OneWorker));
    }
    for rep in 0..cfg.reps {
        for k in 0..slots.len() {
            match slots[(rep + k) % slots.len()] {
                Slot::Runtime(i) => run_into(w, &rts, i, p, &mut samples),
                Slot::Extra => {
                    if let (Some(e), Some(Ok(list))) = (w.extra, extra.as_mut()) {
                        list.push((e.run)(&rts, p).expect("the extra pairing stopped running"));
                    }
                }
                Slot::OneWorker(i) => {
                    if let (Some(one), Some(lists)) = (&one_rts, one_worker.as_mut()) {
                        run_into(w, one, i, p, lists);
                    }
                }
            }
        }
        if let (Some(f), Some(list)) = (w.floor, floor.as_mut()) {
            list.push((f.run)(p));
        }
    }
    drop(one_rts);
    drop(rts);

    let ops = (w.ops)(p) as f64;
    let mut line = format!("{:<18}", w.name);
    for (which, s) in Which::ALL.iter().zip(&samples) {
        let cell = match s {
            Ok(list) => fmt_ns(median_wall_ns(list) / ops),
            Err(_) => "n/a".to_owned(),
        };
        line.push_str(&format!(" {}={cell:<10}", which.name()));
    }
    if let (Some(e), Some(result)) = (w.extra, &extra) {
        let cell = match result {
            Ok(list) => fmt_ns(median_wall_ns(list) / ops),
            Err(_) => "n/a".to_owned(),
        };
        // `weft+flume`, `tokio-current-thread`.
        let name = e.name.replace(" + ", "+").replace(' ', "-");
        line.push_str(&format!(" {name}={cell:<10}"));
    }
    if let Some(list) = &floor {
        line.push_str(&format!(" floor={}", fmt_ns(median_wall_ns(list) / ops)));
    }
    line.push_str(&format!(" per {}", w.per));
    if let Some(lists) = &one_worker {
        line.push_str(" speed-up over 1 worker:");
        for ((which, one), many) in Which::ALL.iter().zip(lists).zip(&samples) {
            let cell = match (one, many) {
                (Ok(one), Ok(many)) => {
                    format!("{:.2}x", median_wall_ns(one) / median_wall_ns(many))
                }
                _ => "n/a".to_owned(),
            };
            line.push_str(&format!(" {}={cell}", which.name()));
        }
    }
    line.push_str(&format!("  [{:.1}s]", started.elapsed().as_secs_f64()));
    progress(&line);
    WorkloadResult {
        workload: *w,
        samples,
        floor,
        extra,
        one_worker,
    }
}

fn median_wall_ns(samples: &[Sample]) -> f64 {
    let ns: Vec<f64> = samples.iter().map(|s| s.wall.as_nanos() as f64).collect();
    crate::stats::Summary::of(&ns).median
}

/// The queue micro-benchmarks, the two queues alternating.
pub fn run_queues(cfg: &Config) -> Vec<QueueResult> {
    let n = cfg.queue_ops;
    let mut out = Vec::new();
    if cfg.selects("queue_push_pop") {
        let mut samples: [Vec<Sample>; 2] = Default::default();
        for q in Queue::ALL {
            queue::push_pop(q, n); // warm-up
        }
        for rep in 0..cfg.reps {
            for k in 0..2 {
                let i = (rep + k) % 2;
                samples[i].push(queue::push_pop(Queue::ALL[i], n));
            }
        }
        out.push(QueueResult {
            name: "queue_push_pop",
            size: format!(
                "{} items, batches of 128, one thread",
                crate::workloads::thousands(n as u64)
            ),
            ops: n as u64,
            samples,
        });
    }
    if cfg.selects("queue_steal") {
        let mut samples: [Vec<Sample>; 2] = Default::default();
        for q in Queue::ALL {
            queue::steal(q, n);
        }
        for rep in 0..cfg.reps {
            for k in 0..2 {
                let i = (rep + k) % 2;
                samples[i].push(queue::steal(Queue::ALL[i], n));
            }
        }
        out.push(QueueResult {
            name: "queue_steal",
            size: format!(
                "{} items pushed by an owner, all stolen by a thief",
                crate::workloads::thousands(n as u64)
            ),
            ops: n as u64,
            samples,
        });
    }
    for r in &out {
        progress(&format!(
            "{:<18} weft_queue={:<10} crossbeam-deque={} per item",
            r.name,
            fmt_ns(median_wall_ns(&r.samples[0]) / r.ops as f64),
            fmt_ns(median_wall_ns(&r.samples[1]) / r.ops as f64),
        ));
    }
    out
}

/// The memory figures: bytes per idle task in this process (one runtime at a time), peak
/// RSS of `spawn_many_local` in a child process per runtime (`child_rss` is how to run one:
/// it gets the runtime's name and returns (RSS before, peak), or an error to report).
pub fn run_memory(
    cfg: &Config,
    child_rss: impl Fn(Which) -> Result<(u64, u64), String>,
) -> MemoryResult {
    let n = cfg.memory_tasks;
    let mut result = MemoryResult {
        tasks: n,
        waiter_tasks: cfg.waiter_tasks,
        ..MemoryResult::default()
    };
    if cfg.selects(SYNC_MEMORY) {
        let w = cfg.waiter_tasks;
        result.waiting = [
            Some(memory::bytes_per_waiting_task::<Weft>(cfg.workers, w)),
            Some(memory::bytes_per_waiting_task::<Tokio>(cfg.workers, w)),
            Some(memory::bytes_per_waiting_task::<Smol>(cfg.workers, w)),
        ];
        let cells: Vec<String> = Which::ALL
            .iter()
            .zip(&result.waiting)
            .filter_map(|(which, b)| b.map(|b| (which, b)))
            .map(|(which, b)| {
                format!(
                    "{}: idle={:.0} recv={:.0} acquire={:.0} B",
                    which.name(),
                    b.idle,
                    b.recv,
                    b.acquire
                )
            })
            .collect();
        progress(&format!(
            "{SYNC_MEMORY:<18} {} per waiting task",
            cells.join("  ")
        ));
    }
    if !cfg.selects("memory") {
        return result;
    }
    result.bytes_per_task = [
        Some(memory::bytes_per_idle_task::<Weft>(cfg.workers, n)),
        Some(memory::bytes_per_idle_task::<Tokio>(cfg.workers, n)),
        Some(memory::bytes_per_idle_task::<Smol>(cfg.workers, n)),
    ];
    for (i, which) in Which::ALL.into_iter().enumerate() {
        match child_rss(which) {
            Ok(rss) => result.rss[i] = Some(rss),
            Err(e) => progress(&format!("memory: peak RSS of {}: {e}", which.name())),
        }
    }
    let bytes: Vec<String> = Which::ALL
        .iter()
        .zip(&result.bytes_per_task)
        .map(|(w, b)| format!("{}={:.0} B", w.name(), b.unwrap_or(f64::NAN)))
        .collect();
    progress(&format!(
        "{:<18} {} per idle task",
        "memory",
        bytes.join(" ")
    ));
    result
}

/// The child side of the peak-RSS measurement: builds `which`'s runtime, warms it up, reads
/// `VmRSS`, runs `spawn_many_local` once and reads `VmHWM`.
pub fn child_rss(which: Which, workers: usize, tasks: usize) -> (u64, u64) {
    fn go<R: Rt>(workers: usize, tasks: usize) -> (u64, u64) {
        let rt = R::build(workers);
        memory::warm_up(&rt);
        let before = memory::proc_status_bytes("VmRSS").unwrap_or(0);
        let p = Params {
            spawn_tasks: tasks,
            ..Params::full()
        };
        crate::workloads::sched::spawn_many_local(&rt, &p).expect("spawn_many_local");
        let peak = memory::proc_status_bytes("VmHWM").unwrap_or(0);
        (before, peak)
    }
    match which {
        Which::Weft => go::<Weft>(workers, tasks),
        Which::Tokio => go::<Tokio>(workers, tasks),
        Which::Smol => go::<Smol>(workers, tasks),
    }
}

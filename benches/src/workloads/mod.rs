//! The workloads: each written once, generic over [`Rt`], and listed in
//! [`all`] with what the report needs to show it.

pub mod cpu;
pub mod http;
pub mod sched;
pub mod sync;
pub mod tcp;
pub mod time;

use crate::prims::flume::{FlumeChannel, FlumeOneshot, FlumeUnbounded};
use crate::rt::{Rt, Runtimes, Smol, Tokio, TokioCurrent, Weft, Which};
use crate::sample::Sample;
use crate::{floor, on_runtime};

/// The sizes of every workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// spawn_many_local / spawn_many_remote: tasks spawned.
    pub spawn_tasks: usize,
    /// yield_many: tasks.
    pub yield_tasks: usize,
    /// yield_many: yields per task.
    pub yields: usize,
    /// ping_pong: task pairs.
    pub ping_pairs: usize,
    /// ping_pong: round trips per pair.
    pub ping_rounds: usize,
    /// chained_spawn: chain length.
    pub chain_depth: usize,
    /// chained_spawn: chains per sample.
    pub chain_repeats: usize,
    /// timers: concurrent sleeps.
    pub sleeps: usize,
    /// timers: the longest sleep, ms (sleeps spread over 1..=this).
    pub sleep_max_ms: u64,
    /// timeout_ready: timeouts awaited.
    pub timeouts: usize,
    /// channel: producer tasks.
    pub producers: usize,
    /// channel: messages per producer.
    pub messages: usize,
    /// channel: capacity.
    pub channel_cap: usize,
    /// mutex: tasks.
    pub mutex_tasks: usize,
    /// mutex: lock/unlock pairs per task.
    pub mutex_locks: usize,
    /// sync_oneshot_ping_pong / sync_mpsc_ping_pong: round trips of the one pair.
    pub sync_rounds: usize,
    /// sync_semaphore: tasks.
    pub sem_tasks: usize,
    /// sync_semaphore: passes through the semaphore per task.
    pub sem_passes: usize,
    /// sync_semaphore: permits.
    pub sem_permits: usize,
    /// fan_out_fan_in: tasks joined.
    pub fan_out: usize,
    /// tcp_echo: connections.
    pub tcp_conns: usize,
    /// tcp_echo: round trips per connection.
    pub tcp_rounds: usize,
    /// tcp_echo: message size, bytes.
    pub tcp_msg: usize,
    /// cpu_fan_out: tasks spawned.
    pub cpu_tasks: usize,
    /// cpu_fan_out: xorshift steps per task, in one go (about 1 ms).
    pub cpu_steps: u64,
    /// mixed: CPU-bound tasks, one per worker: the binary sets it to `--workers` (the
    /// one-worker runtimes of the row run as many, so that they do the same work).
    pub mixed_cpu_tasks: usize,
    /// mixed: chunks per CPU-bound task, a yield after each.
    pub mixed_chunks: u64,
    /// mixed: xorshift steps per chunk.
    pub mixed_chunk_steps: u64,
    /// mixed: ping-pong pairs beside the CPU-bound tasks.
    pub mixed_pairs: usize,
    /// mixed: round trips per pair.
    pub mixed_rounds: usize,
}

impl Params {
    /// The full suite: the sizes the report's figures are quoted at.
    pub fn full() -> Params {
        Params {
            spawn_tasks: 100_000,
            yield_tasks: 200,
            yields: 1_000,
            ping_pairs: 1_000,
            ping_rounds: 10,
            chain_depth: 1_000,
            chain_repeats: 20,
            sleeps: 100_000,
            sleep_max_ms: 50,
            timeouts: 100_000,
            producers: 4,
            messages: 100_000,
            channel_cap: 1_024,
            mutex_tasks: 100,
            mutex_locks: 1_000,
            sync_rounds: 20_000,
            sem_tasks: 1_000,
            sem_passes: 10,
            sem_permits: 10,
            fan_out: 100_000,
            tcp_conns: 64,
            tcp_rounds: 2_000,
            tcp_msg: 64,
            cpu_tasks: 200,
            cpu_steps: 500_000,
            mixed_cpu_tasks: 2,
            mixed_chunks: 500,
            mixed_chunk_steps: 50_000,
            mixed_pairs: 100,
            mixed_rounds: 1_800,
        }
    }

    /// `--quick`: the same shapes, smaller where a sample would take long.
    pub fn quick() -> Params {
        Params {
            messages: 25_000,
            sync_rounds: 4_000,
            tcp_rounds: 300,
            cpu_tasks: 64,
            mixed_chunks: 200,
            mixed_rounds: 700,
            ..Params::full()
        }
    }
}

/// What a workload's floor runs: the same ops, with no runtime at all.
#[derive(Debug, Clone, Copy)]
pub struct Floor {
    /// What the floor is, for the report.
    pub what: &'static str,
    /// One sample of it.
    pub run: fn(&Params) -> Sample,
}

/// A workload as the harness runs and reports it.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The row's name.
    pub name: &'static str,
    /// What one sample does, e.g. `100,000 tasks`.
    pub size: fn(&Params) -> String,
    /// Operations per sample: the table shows time per operation.
    pub ops: fn(&Params) -> u64,
    /// What one operation is, e.g. `task`.
    pub per: &'static str,
    /// Also show a row of CPU time (all threads) for this workload.
    pub cpu_row: bool,
    /// One sample on one runtime; `Err(why)` where the runtime cannot run it.
    pub run: fn(&Runtimes, Which, &Params) -> Result<Sample, &'static str>,
    /// The floor shown beside it, if any.
    pub floor: Option<Floor>,
    /// A note for the report (how each runtime does it, where they differ; for the rows
    /// that use primitives, which kind of row it is).
    pub note: fn() -> String,
    /// A primitive row (`sync_*`): each runtime runs it with its own primitives, and the
    /// report shows it in its own table beside [`Workload::extra`]; otherwise a row of the
    /// side-by-side table.
    pub own_prims: bool,
    /// A fourth pairing run beside the three runtimes and compared with weft, if any.
    pub extra: Option<Extra>,
    /// Also time it on a one-worker runtime of each kind (built once for the workload, in
    /// the same rotation) and report each runtime's speed-up over its own one-worker time,
    /// t(1 worker) / t(N workers).
    pub one_worker: bool,
}

/// A fourth contestant of a workload, compared with weft: weft's runtime with another
/// library's primitives (flume's channels, [`FLUME`], in the `sync_*` channel rows), or
/// tokio's current-thread runtime ([`TOKIO_CURRENT`], in `channel` and `ping_pong`). It
/// runs in the rotation with the three runtimes.
#[derive(Debug, Clone, Copy)]
pub struct Extra {
    /// Its column in the report, e.g. `weft + flume`.
    pub name: &'static str,
    /// What it is, for the report.
    pub what: &'static str,
    /// One sample of it.
    pub run: fn(&Runtimes, &Params) -> Result<Sample, &'static str>,
}

/// The name of the flume pairing.
pub const FLUME: &str = "weft + flume";

/// What the flume pairing is.
const FLUME_WHAT: &str = "weft's runtime with flume's channels";

/// The name of the current-thread reference: [`TokioCurrent`].
pub const TOKIO_CURRENT: &str = TokioCurrent::NAME;

/// What the current-thread reference is.
const TOKIO_CURRENT_WHAT: &str = "tokio's current-thread runtime \
     (`Builder::new_current_thread().enable_all()`): every task runs on the block_on thread, \
     so no wake-up crosses a thread; issue 13 asks weft's multi-thread runtime to come \
     within 1.2x of it on channel and ping_pong (weft / it <= 1.20)";

/// The note of `channel` and `ping_pong`: the scheduler row's, and the reference beside it.
fn current_thread_row() -> String {
    format!(
        "{SCHEDULER_ROW}; also run on {TOKIO_CURRENT} as the reference on one thread (its own \
         table below)"
    )
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn no_note() -> String {
    String::new()
}

/// The note of the rows that compare schedulers with the same primitives everywhere.
const SCHEDULER_ROW: &str = "scheduler row: the same async-channel / async-lock on every \
                             runtime (the sync_* rows pair each runtime with its own)";

/// The note of a primitive row: which primitives each runtime uses, and `what` else.
fn own_row(what: &str) -> String {
    let mut note = format!(
        "primitive row, each runtime with its own: {} / {} / {}",
        Weft::PRIMS,
        Tokio::PRIMS,
        Smol::PRIMS
    );
    if !what.is_empty() {
        note.push_str("; ");
        note.push_str(what);
    }
    note
}

/// Every workload, in report order.
pub fn all() -> Vec<Workload> {
    vec![
        Workload {
            name: "spawn_many_local",
            size: |p| {
                format!(
                    "{} tasks spawned from a task",
                    thousands(p.spawn_tasks as u64)
                )
            },
            ops: |p| p.spawn_tasks as u64,
            per: "task",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sched::spawn_many_local(p)),
            floor: Some(Floor {
                what: "allocate + free a 64-byte task and 4 atomic RMWs, one thread",
                run: |p| floor::spawn_floor(p.spawn_tasks),
            }),
            note: || {
                "floor: the allocation, free and atomics a spawn cannot avoid, on one \
                      thread (no cross-core traffic), per task"
                    .to_owned()
            },
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "spawn_many_remote",
            size: |p| {
                format!(
                    "{} tasks spawned from outside",
                    thousands(p.spawn_tasks as u64)
                )
            },
            ops: |p| p.spawn_tasks as u64,
            per: "task",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sched::spawn_many_remote(p)),
            floor: None,
            note: no_note,
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "yield_many",
            size: |p| {
                format!(
                    "{} tasks x {} yields",
                    p.yield_tasks,
                    thousands(p.yields as u64)
                )
            },
            ops: |p| (p.yield_tasks * p.yields) as u64,
            per: "yield",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sched::yield_many(p)),
            floor: None,
            note: no_note,
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "ping_pong",
            size: |p| {
                format!(
                    "{} pairs x {} round trips, async-channel bounded(1)",
                    thousands(p.ping_pairs as u64),
                    p.ping_rounds
                )
            },
            ops: |p| (p.ping_pairs * p.ping_rounds) as u64,
            per: "round trip",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sched::ping_pong(p)),
            floor: None,
            note: current_thread_row,
            own_prims: false,
            extra: Some(Extra {
                name: TOKIO_CURRENT,
                what: TOKIO_CURRENT_WHAT,
                run: |rts, p| sched::ping_pong(&rts.tokio_current, p),
            }),
            one_worker: false,
        },
        Workload {
            name: "chained_spawn",
            size: |p| {
                format!(
                    "{} chains of depth {}",
                    p.chain_repeats,
                    thousands(p.chain_depth as u64)
                )
            },
            ops: |p| (p.chain_depth * p.chain_repeats) as u64,
            per: "spawn",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sched::chained_spawn(p)),
            floor: None,
            note: no_note,
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "timers",
            size: |p| {
                format!(
                    "{} concurrent sleeps of 1-{} ms",
                    thousands(p.sleeps as u64),
                    p.sleep_max_ms
                )
            },
            ops: |_| 1,
            per: "run",
            cpu_row: true,
            run: |rts, w, p| on_runtime!(rts, w, time::timers(p)),
            floor: None,
            note: || {
                "wall time is bounded below by the longest sleep; the (cpu) row is the CPU \
                 time of all threads over the run"
                    .to_owned()
            },
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "timeout_ready",
            size: |p| format!("{} x timeout(1 s, ready)", thousands(p.timeouts as u64)),
            ops: |p| p.timeouts as u64,
            per: "timeout",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, time::timeout_ready(p)),
            floor: None,
            note: || {
                "weft's timeout() starts its time at the first poll (as asyncio's wait_for \
                 starts when awaited), so a future ready at once costs no clock read; tokio's \
                 reads the clock at the call; smol has no timeout(): `future.or(timer)` with \
                 `async_io::Timer::after` made at the call"
                    .to_owned()
            },
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "channel",
            size: |p| {
                format!(
                    "{} producers x {} msgs, async-channel bounded({})",
                    p.producers,
                    thousands(p.messages as u64),
                    thousands(p.channel_cap as u64)
                )
            },
            ops: |p| (p.producers * p.messages) as u64,
            per: "message",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::channel(p)),
            floor: None,
            note: current_thread_row,
            own_prims: false,
            extra: Some(Extra {
                name: TOKIO_CURRENT,
                what: TOKIO_CURRENT_WHAT,
                run: |rts, p| sync::channel(&rts.tokio_current, p),
            }),
            one_worker: false,
        },
        Workload {
            name: "mutex",
            size: |p| {
                format!(
                    "{} tasks x {} lock/unlock, async-lock Mutex",
                    p.mutex_tasks,
                    thousands(p.mutex_locks as u64)
                )
            },
            ops: |p| (p.mutex_tasks * p.mutex_locks) as u64,
            per: "lock",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::mutex(p)),
            floor: None,
            note: || SCHEDULER_ROW.to_owned(),
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "fan_out_fan_in",
            size: |p| format!("join {} spawned tasks", thousands(p.fan_out as u64)),
            ops: |p| p.fan_out as u64,
            per: "task",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sched::fan_out_fan_in(p)),
            floor: None,
            note: || {
                format!(
                    "weft: {}; tokio: {}; smol: {}",
                    Weft::JOIN_ALL,
                    Tokio::JOIN_ALL,
                    Smol::JOIN_ALL
                )
            },
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "cpu_fan_out",
            size: |p| {
                format!(
                    "join {} spawned tasks x {} xorshift steps, no yield",
                    p.cpu_tasks,
                    thousands(p.cpu_steps)
                )
            },
            ops: |p| p.cpu_tasks as u64,
            per: "task",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, cpu::cpu_fan_out(p)),
            floor: None,
            note: || {
                "pure computation: each task is one poll of about 1 ms (xorshift64, no yield, \
                 checked against a reference), so the time is how well the work is spread over \
                 the workers; each runtime also runs it on a one-worker runtime of its own \
                 kind, and the speed-up table gives t(1 worker) / t(N workers) (N at best; \
                 issue 13 asks for at least 1.8 on 2 workers)"
                    .to_owned()
            },
            own_prims: false,
            extra: None,
            one_worker: true,
        },
        Workload {
            name: "mixed",
            size: |p| {
                format!(
                    "{} CPU tasks x {} chunks of {} steps, yield between; beside {} \
                     ping_pong pairs x {} round trips",
                    p.mixed_cpu_tasks,
                    p.mixed_chunks,
                    thousands(p.mixed_chunk_steps),
                    p.mixed_pairs,
                    thousands(p.mixed_rounds as u64)
                )
            },
            ops: |_| 1,
            per: "run",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, cpu::mixed(p)),
            floor: None,
            note: || {
                "message passing beside computation, the wall time until both are done: one \
                 CPU-bound task per worker (xorshift64 in chunks of about 0.1 ms, yield_now \
                 after each) and ping_pong's pairs on async-channel, all spawned by one task \
                 (the CPU tasks first); sized so that the round trips alone, on one worker, \
                 take about as long as one CPU task, W. On 2 workers the work spread well \
                 takes about 1.5 W; a scheduler that piles both CPU tasks onto one worker, or \
                 keeps the pairs on one worker and strands a CPU task behind them, takes \
                 about 2 W. The speed-up table says the same against one worker (everything \
                 one after the other, about 3 W): 2 at best, about 1.5 when work is stranded"
                    .to_owned()
            },
            own_prims: false,
            extra: None,
            one_worker: true,
        },
        Workload {
            name: "tcp_echo",
            size: |p| {
                format!(
                    "{} conns x {} round trips of {} B",
                    p.tcp_conns,
                    thousands(p.tcp_rounds as u64),
                    p.tcp_msg
                )
            },
            ops: |p| (p.tcp_conns * p.tcp_rounds) as u64,
            per: "round trip",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, tcp::tcp_echo(p)),
            floor: Some(Floor {
                what: "hand-written single-thread mio (epoll) loop, both ends",
                run: |p| tcp::mio_echo(p).expect("tcp_echo floor: mio loop failed"),
            }),
            note: || {
                "loopback, TCP_NODELAY; clients and echo servers are all tasks of the runtime; \
                 the floor runs both ends on one thread (a runtime with several workers can \
                 go below it)"
                    .to_owned()
            },
            own_prims: false,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "sync_mpsc_bounded",
            size: |p| {
                format!(
                    "{} producers x {} msgs, bounded({})",
                    p.producers,
                    thousands(p.messages as u64),
                    thousands(p.channel_cap as u64)
                )
            },
            ops: |p| (p.producers * p.messages) as u64,
            per: "message",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::own_mpsc_bounded(p)),
            floor: None,
            note: || own_row("weft + flume: flume::bounded on weft's runtime"),
            own_prims: true,
            extra: Some(Extra {
                name: FLUME,
                what: FLUME_WHAT,
                run: |rts, p| sync::mpsc_bounded::<Weft, FlumeChannel>(&rts.weft, p),
            }),
            one_worker: false,
        },
        Workload {
            name: "sync_mpsc_unbounded",
            size: |p| {
                format!(
                    "{} producers x {} msgs, unbounded",
                    p.producers,
                    thousands(p.messages as u64)
                )
            },
            ops: |p| (p.producers * p.messages) as u64,
            per: "message",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::own_mpsc_unbounded(p)),
            floor: None,
            note: || own_row("weft + flume: flume::unbounded on weft's runtime"),
            own_prims: true,
            extra: Some(Extra {
                name: FLUME,
                what: FLUME_WHAT,
                run: |rts, p| sync::mpsc_unbounded::<Weft, FlumeUnbounded>(&rts.weft, p),
            }),
            one_worker: false,
        },
        Workload {
            name: "sync_oneshot_ping_pong",
            size: |p| {
                format!(
                    "1 pair x {} round trips, 2 new oneshots each",
                    thousands(p.sync_rounds as u64)
                )
            },
            ops: |p| p.sync_rounds as u64,
            per: "round trip",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::own_oneshot_ping_pong(p)),
            floor: None,
            note: || {
                own_row(
                    "each ping carries the oneshot for its reply and the receiver of the next \
                     ping; smol has no oneshot: futures-channel's; flume has none either: \
                     weft + flume uses a new flume::bounded(1) per message",
                )
            },
            own_prims: true,
            extra: Some(Extra {
                name: FLUME,
                what: FLUME_WHAT,
                run: |rts, p| sync::oneshot_ping_pong::<Weft, FlumeOneshot>(&rts.weft, p),
            }),
            one_worker: false,
        },
        Workload {
            name: "sync_mpsc_ping_pong",
            size: |p| {
                format!(
                    "1 pair x {} round trips, two bounded(1)",
                    thousands(p.sync_rounds as u64)
                )
            },
            ops: |p| p.sync_rounds as u64,
            per: "round trip",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::own_mpsc_ping_pong(p)),
            floor: None,
            note: || own_row("weft + flume: flume::bounded(1) on weft's runtime"),
            own_prims: true,
            extra: Some(Extra {
                name: FLUME,
                what: FLUME_WHAT,
                run: |rts, p| sync::mpsc_ping_pong::<Weft, FlumeChannel>(&rts.weft, p),
            }),
            one_worker: false,
        },
        Workload {
            name: "sync_mutex",
            size: |p| {
                format!(
                    "{} tasks x {} lock/unlock",
                    p.mutex_tasks,
                    thousands(p.mutex_locks as u64)
                )
            },
            ops: |p| (p.mutex_tasks * p.mutex_locks) as u64,
            per: "lock",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::own_mutex(p)),
            floor: None,
            note: || own_row("flume has channels only"),
            own_prims: true,
            extra: None,
            one_worker: false,
        },
        Workload {
            name: "sync_semaphore",
            size: |p| {
                format!(
                    "{} tasks x {} passes through Semaphore({})",
                    thousands(p.sem_tasks as u64),
                    p.sem_passes,
                    p.sem_permits
                )
            },
            ops: |p| (p.sem_tasks * p.sem_passes) as u64,
            per: "acquire",
            cpu_row: false,
            run: |rts, w, p| on_runtime!(rts, w, sync::own_semaphore(p)),
            floor: None,
            note: || {
                own_row(
                    "a pass: acquire, yield_now once holding the permit, bump a counter, \
                     release; flume has channels only",
                )
            },
            own_prims: true,
            extra: None,
            one_worker: false,
        },
    ]
}

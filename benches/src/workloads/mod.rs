//! The workloads: each written once, generic over [`Rt`], and listed in
//! [`all`] with what the report needs to show it.

pub mod sched;
pub mod sync;
pub mod tcp;
pub mod time;

use crate::rt::{Rt, Runtimes, Smol, Tokio, Weft, Which};
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
    /// fan_out_fan_in: tasks joined.
    pub fan_out: usize,
    /// tcp_echo: connections.
    pub tcp_conns: usize,
    /// tcp_echo: round trips per connection.
    pub tcp_rounds: usize,
    /// tcp_echo: message size, bytes.
    pub tcp_msg: usize,
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
            fan_out: 100_000,
            tcp_conns: 64,
            tcp_rounds: 2_000,
            tcp_msg: 64,
        }
    }

    /// `--quick`: the same shapes, smaller where a sample would take long.
    pub fn quick() -> Params {
        Params {
            messages: 25_000,
            tcp_rounds: 300,
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
    /// A note for the report (how each runtime does it, where they differ).
    pub note: fn() -> String,
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
            note: no_note,
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
            note: no_note,
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
            note: no_note,
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
        },
    ]
}

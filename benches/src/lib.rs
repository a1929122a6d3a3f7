//! weft against tokio and smol, side by side: the workloads, the harness and the report
//! behind `cargo xtask bench`.
//!
//! Every workload is written once, generic over [`rt::Rt`], and runs on weft, tokio
//! (multi-thread, same worker count) and smol (one `async-executor` on the same number of
//! threads, `async-io` for timers and sockets) in one process, the runtimes alternating
//! across repetitions ([`harness`]). The report gives the median and spread of each, the
//! ratios weft/tokio and weft/smol (below 1: weft is faster; taken per repetition, in which
//! the runtimes run back to back, and given as the median with the 10th–90th percentile
//! band, [`stats::paired_ratios`]), floors that show what cannot
//! be avoided ([`floor`], [`workloads::tcp::mio_echo`]), weft beside tokio's current-thread
//! runtime on `channel` and `ping_pong` ([`rt::TokioCurrent`]), each runtime's speed-up over
//! its own one-worker runtime on the CPU-bound `cpu_fan_out` ([`workloads::cpu`]), weft's
//! local queue against crossbeam-deque ([`queue`]), and memory per task and peak RSS
//! ([`memory`]).
//!
//! ```text
//! cargo xtask bench [--quick] [--workers N[,N..]] [--filter NAME[,NAME..]]
//!   = cargo run --release -p weft-benches -- --out target/bench [--quick] [--workers N] ...
//! ```
//!
//! writes `target/bench/report.md`, `report.json` and `ratios.svg`; with several worker
//! counts (`--workers 2,4,8,16` on a many-core machine, to see how the schedulers scale), one
//! such report per count in `target/bench/workers-N/` and `target/bench/scaling.md`, the
//! counts side by side.
//!
//! # Adding things
//!
//! - A workload: a generic `fn name<R: Rt>(rt: &R, p: &Params) -> Result<Sample, &str>` in
//!   `workloads/`, and an entry in [`workloads::all`].
//! - A library's primitives: impls of the small traits of [`prims`] for its types
//!   (`src/prims/`); a runtime's own primitives are one line each in its `rt/*.rs`
//!   (`type Channel = ..`). The `sync_*` rows run on those, each runtime with its own.
//! - weft's TCP: an impl of [`rt::Tcp`] and `type Tcp = ..` in `rt/weft.rs`.

pub mod floor;
pub mod harness;
pub mod machine;
pub mod memory;
pub mod prims;
pub mod queue;
pub mod report;
pub mod rt;
pub mod sample;
pub mod stats;
pub mod workloads;

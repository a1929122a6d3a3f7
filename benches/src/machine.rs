//! The machine a run happened on, and the cross-core round-trip cost measured at its start,
//! so that runs on vCPUs that drift can be compared.

use std::hint::spin_loop;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use crate::stats::Summary;

/// What the report records about the machine.
#[derive(Debug, Clone)]
pub struct MachineInfo {
    /// `std::thread::available_parallelism`.
    pub cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// /proc/sys/kernel/osrelease.
    pub kernel: String,
    /// /proc/loadavg's first three fields, at the start of the run.
    pub load_avg: String,
    /// `rustc --version`, if rustc is on PATH.
    pub rustc: String,
    /// `git rev-parse --short HEAD`, `+dirty` when the tree has changes.
    pub git: String,
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl MachineInfo {
    /// Reads it all now (missing pieces read "?").
    pub fn collect() -> MachineInfo {
        let unknown = || "?".to_owned();
        let cpu_model = read_trimmed("/proc/cpuinfo")
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(unknown);
        let git = command_line("git", &["rev-parse", "--short", "HEAD"]).map(|rev| {
            let dirty = command_line("git", &["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{rev}+dirty")
            } else {
                rev
            }
        });
        MachineInfo {
            cpus: thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(unknown),
            load_avg: read_trimmed("/proc/loadavg")
                .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(unknown),
            rustc: command_line("rustc", &["--version"]).unwrap_or_else(unknown),
            git: git.unwrap_or_else(unknown),
        }
    }
}

/// The CPUs this process may run on (empty if the kernel will not say).
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a writable cpu_set_t of the size passed; pid 0 is this thread.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the set's capacity.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Pins the calling thread to `cpu` (best effort: a refusal leaves it unpinned).
fn pin_to(cpu: usize) {
    // SAFETY: an all-zero cpu_set_t is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` comes from `allowed_cpus`, so it is below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed; pid 0 is this thread.
    let _ = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
}

#[repr(align(128))]
struct Padded(AtomicU64);

/// One measurement: two threads, pinned to two different CPUs, bounce one atomic
/// `round_trips` times (each writes only when it sees the other's last write); nanoseconds
/// per round trip. `None` with fewer than two CPUs.
pub fn cross_core_round_trip_once(round_trips: u64) -> Option<f64> {
    let cpus = allowed_cpus();
    let (a, b) = match cpus.as_slice() {
        [a, b, ..] => (*a, *b),
        _ if thread::available_parallelism().map_or(1, |n| n.get()) >= 2 => {
            (usize::MAX, usize::MAX)
        }
        _ => return None,
    };
    let flag = Padded(AtomicU64::new(0));
    let start = Barrier::new(2);
    let ns = thread::scope(|s| {
        s.spawn(|| {
            if b != usize::MAX {
                pin_to(b);
            }
            start.wait();
            for i in 0..round_trips {
                while flag.0.load(Ordering::Acquire) != 2 * i + 1 {
                    spin_loop();
                }
                flag.0.store(2 * i + 2, Ordering::Release);
            }
        });
        // Both ends on threads of their own: the caller's affinity stays as it was.
        let ping = s.spawn(|| {
            if a != usize::MAX {
                pin_to(a);
            }
            start.wait();
            let t = Instant::now();
            for i in 0..round_trips {
                flag.0.store(2 * i + 1, Ordering::Release);
                while flag.0.load(Ordering::Acquire) != 2 * i + 2 {
                    spin_loop();
                }
            }
            t.elapsed().as_nanos() as f64 / round_trips as f64
        });
        ping.join().expect("cross-core ping thread panicked")
    });
    Some(ns)
}

/// `runs` measurements of [`cross_core_round_trip_once`] on a fresh pair of threads each
/// (the host may place them differently each time).
pub fn cross_core_round_trip(runs: usize, round_trips: u64) -> Option<Summary> {
    let samples: Option<Vec<f64>> = (0..runs)
        .map(|_| cross_core_round_trip_once(round_trips))
        .collect();
    samples.map(|s| Summary::of(&s))
}

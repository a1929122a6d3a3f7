//! One measurement: wall-clock time and the CPU time every thread of the process spent.

use std::time::{Duration, Instant};

/// One timed run of a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Wall-clock time.
    pub wall: Duration,
    /// CPU time of the whole process (all threads, user + system) over the same span.
    pub cpu: Duration,
}

/// The process's CPU time so far (every thread, user + system).
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_PROCESS_CPUTIME_ID is always
    // supported on Linux, and on failure `ts` stays zero.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A running stopwatch of wall and CPU time.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Stopwatch {
        Stopwatch {
            cpu: process_cpu_time(),
            wall: Instant::now(),
        }
    }

    /// The time since [`Stopwatch::start`].
    pub fn stop(self) -> Sample {
        let wall = self.wall.elapsed();
        Sample {
            wall,
            cpu: process_cpu_time().saturating_sub(self.cpu),
        }
    }
}

/// Times `f`.
pub fn measure<R>(f: impl FnOnce() -> R) -> (Sample, R) {
    let watch = Stopwatch::start();
    let r = f();
    (watch.stop(), r)
}

//! The report: one model of the results ([`Report`], [`Row`]) and three renderings of it,
//! Markdown (also what the harness prints), JSON and an SVG chart of the ratios.

mod json;
mod markdown;
mod svg;

pub use json::{to_json, Json};
pub use markdown::{to_markdown, to_scaling_markdown};
pub use svg::to_svg;

use std::time::Duration;

use crate::harness::{Config, MemoryResult, QueueResult, WorkloadResult};
use crate::machine::MachineInfo;
use crate::rt::Which;
use crate::sample::Sample;
use crate::stats::{paired_ratios, ratio, Summary};

/// Everything one run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// When the run started, seconds since the Unix epoch.
    pub started_unix: u64,
    /// How long the run took.
    pub took: Duration,
    /// The command that ran it, for the report.
    pub command: String,
    /// The configuration.
    pub config: Config,
    /// The machine.
    pub machine: MachineInfo,
    /// Cross-core round trip, ns, over several runs at the start.
    pub cross_core: Option<Summary>,
    /// The workloads.
    pub workloads: Vec<WorkloadResult>,
    /// The queue micro-benchmarks.
    pub queues: Vec<QueueResult>,
    /// The memory figures.
    pub memory: MemoryResult,
    /// The `http` row (hyper on weft vs on tokio, driven by wrk): `None` when the filter
    /// left it out, `Err(why)` when it was skipped.
    pub http: Option<Result<crate::workloads::http::HttpResult, String>>,
}

/// Which time a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Wall-clock time.
    Wall,
    /// CPU time of every thread of the process.
    Cpu,
}

/// One row of the side-by-side table: time per operation on each runtime.
#[derive(Debug, Clone)]
pub struct Row {
    /// `spawn_many_local`, `timers (cpu)`.
    pub name: String,
    /// What one sample does.
    pub size: String,
    /// What one operation is.
    pub per: &'static str,
    /// Which time.
    pub metric: Metric,
    /// Per runtime ([`Which::ALL`] order): ns per operation, or why there is none.
    pub cells: [Result<Summary, &'static str>; 3],
    /// Per runtime ([`Which::ALL`] order): weft's time over that runtime's, repetition by
    /// repetition (see [`paired_ratios`]); `None` for weft itself or a missing runtime.
    pub paired: [Option<Summary>; 3],
    /// The floor in ns per operation, if any.
    pub floor: Option<Summary>,
    /// What the floor is.
    pub floor_what: Option<&'static str>,
    /// The workload's note.
    pub note: String,
    /// A primitive row (each runtime with its own primitives, `sync_*`).
    pub own_prims: bool,
    /// The workload's extra pairing, if it has one.
    pub extra: Option<ExtraCell>,
    /// Per runtime ([`Which::ALL`] order), its speed-up over its own one-worker time, if the
    /// workload asks for it (wall-time rows only).
    pub speed_up: Option<[Result<SpeedUp, &'static str>; 3]>,
}

/// A runtime's speed-up over its own one-worker time on the same workload.
#[derive(Debug, Clone)]
pub struct SpeedUp {
    /// Wall time per operation on the one-worker runtime, ns.
    pub one_worker: Summary,
    /// t(1 worker) / t(N workers), repetition by repetition (both ran in the same rotation).
    pub paired: Option<Summary>,
    /// t(1 worker) / t(N workers) of the medians, where the samples do not pair up.
    pub of_medians: Option<f64>,
}

impl SpeedUp {
    /// The speed-up: the median of the per-repetition ratios, or the ratio of the medians.
    pub fn median(&self) -> Option<f64> {
        self.paired.as_ref().map(|s| s.median).or(self.of_medians)
    }
}

/// The speed-up of the samples `many` (N workers) over `one` (one worker of the same
/// runtime), in wall time; `Err(why)` where either has none.
pub fn speed_up(
    one: &Result<Vec<Sample>, &'static str>,
    many: &Result<Vec<Sample>, &'static str>,
    ops: u64,
) -> Result<SpeedUp, &'static str> {
    match (one, many) {
        (Ok(one), Ok(many)) if !one.is_empty() && !many.is_empty() => {
            let (one_ns, many_ns) = (
                ns_per_op(one, Metric::Wall, ops),
                ns_per_op(many, Metric::Wall, ops),
            );
            let one_worker = Summary::of(&one_ns);
            Ok(SpeedUp {
                one_worker,
                paired: paired_ratios(&one_ns, &many_ns),
                of_medians: ratio(Some(&one_worker), Some(&Summary::of(&many_ns))),
            })
        }
        (Err(why), _) | (_, Err(why)) => Err(*why),
        _ => Err("no samples"),
    }
}

/// The extra pairing of a [`Row`] (weft's runtime with flume, or tokio's current-thread
/// runtime).
#[derive(Debug, Clone)]
pub struct ExtraCell {
    /// Its name, e.g. `weft + flume`.
    pub name: &'static str,
    /// What it is.
    pub what: &'static str,
    /// ns per operation, or why there is none.
    pub cell: Result<Summary, &'static str>,
    /// weft's time over the extra pairing's, repetition by repetition.
    pub paired: Option<Summary>,
}

impl ExtraCell {
    /// weft over the extra pairing (< 1: weft is faster), as [`Row::ratio_to`].
    pub fn ratio(&self, weft: &Result<Summary, &'static str>) -> Option<f64> {
        match &self.paired {
            Some(band) => Some(band.median),
            None => ratio(weft.as_ref().ok(), self.cell.as_ref().ok()),
        }
    }
}

impl Row {
    /// weft over `other` (< 1: weft is faster): the median of the per-repetition ratios, or
    /// the ratio of the medians where the samples do not pair up.
    pub fn ratio_to(&self, other: Which) -> Option<f64> {
        let i = Which::ALL.iter().position(|w| *w == other)?;
        match &self.paired[i] {
            Some(band) => Some(band.median),
            None => ratio(self.cells[0].as_ref().ok(), self.cells[i].as_ref().ok()),
        }
    }

    /// The per-repetition ratios of weft over `other`, summarised.
    pub fn ratio_band_to(&self, other: Which) -> Option<&Summary> {
        let i = Which::ALL.iter().position(|w| *w == other)?;
        self.paired[i].as_ref()
    }
}

/// ns per op of each sample's `metric`, in repetition order.
pub fn ns_per_op(samples: &[Sample], metric: Metric, ops: u64) -> Vec<f64> {
    samples
        .iter()
        .map(|s| match metric {
            Metric::Wall => s.wall,
            Metric::Cpu => s.cpu,
        })
        .map(|d| d.as_nanos() as f64 / ops as f64)
        .collect()
}

/// ns per op of each sample's `metric`, summarised.
pub fn per_op(samples: &[Sample], metric: Metric, ops: u64) -> Summary {
    Summary::of(&ns_per_op(samples, metric, ops))
}

/// weft's samples over each runtime's, repetition by repetition ([`Which::ALL`] order;
/// `None` for weft itself and for a runtime without samples).
pub fn paired_to_weft(
    samples: &[Result<Vec<Sample>, &'static str>; 3],
    metric: Metric,
    ops: u64,
) -> [Option<Summary>; 3] {
    let ns = |i: usize| match &samples[i] {
        Ok(list) if !list.is_empty() => Some(ns_per_op(list, metric, ops)),
        _ => None,
    };
    let weft = ns(0);
    std::array::from_fn(|i| match (i, &weft) {
        (0, _) | (_, None) => None,
        (_, Some(w)) => paired_ratios(w, &ns(i)?),
    })
}

/// weft's samples over the extra pairing's, repetition by repetition (`None` where either
/// has none).
pub fn paired_to_extra(
    weft: &Result<Vec<Sample>, &'static str>,
    extra: &Result<Vec<Sample>, &'static str>,
    metric: Metric,
    ops: u64,
) -> Option<Summary> {
    match (weft, extra) {
        (Ok(w), Ok(e)) if !w.is_empty() => {
            paired_ratios(&ns_per_op(w, metric, ops), &ns_per_op(e, metric, ops))
        }
        _ => None,
    }
}

impl Report {
    /// The side-by-side rows, in workload order (a workload with a CPU row gets two).
    pub fn rows(&self) -> Vec<Row> {
        let p = &self.config.params;
        let mut rows = Vec::new();
        for result in &self.workloads {
            let w = &result.workload;
            let ops = (w.ops)(p);
            let metrics: &[Metric] = if w.cpu_row {
                &[Metric::Wall, Metric::Cpu]
            } else {
                &[Metric::Wall]
            };
            for &metric in metrics {
                let cells = std::array::from_fn(|i| match &result.samples[i] {
                    Ok(list) if !list.is_empty() => Ok(per_op(list, metric, ops)),
                    Ok(_) => Err("no samples"),
                    Err(why) => Err(*why),
                });
                let floor = match metric {
                    Metric::Wall => result.floor.as_deref().map(|f| per_op(f, metric, ops)),
                    Metric::Cpu => None,
                };
                let extra = match (w.extra, &result.extra) {
                    (Some(e), Some(samples)) => Some(ExtraCell {
                        name: e.name,
                        what: e.what,
                        cell: match samples {
                            Ok(list) if !list.is_empty() => Ok(per_op(list, metric, ops)),
                            Ok(_) => Err("no samples"),
                            Err(why) => Err(*why),
                        },
                        paired: paired_to_extra(&result.samples[0], samples, metric, ops),
                    }),
                    _ => None,
                };
                let speed_up = match (metric, &result.one_worker) {
                    (Metric::Wall, Some(one)) => Some(std::array::from_fn(|i| {
                        speed_up(&one[i], &result.samples[i], ops)
                    })),
                    _ => None,
                };
                rows.push(Row {
                    own_prims: w.own_prims,
                    extra,
                    speed_up,
                    paired: paired_to_weft(&result.samples, metric, ops),
                    name: match metric {
                        Metric::Wall => w.name.to_owned(),
                        Metric::Cpu => format!("{} (cpu)", w.name),
                    },
                    size: (w.size)(p),
                    per: w.per,
                    metric,
                    cells,
                    floor,
                    floor_what: w.floor.map(|f| f.what),
                    note: (w.note)(),
                });
            }
        }
        rows
    }

    /// The start time as `YYYY-MM-DD HH:MM UTC`.
    pub fn started_utc(&self) -> String {
        utc(self.started_unix)
    }
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM UTC` (days to civil date: H. Hinnant's
/// algorithm).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hh, mm) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn per_op_divides_by_ops() {
        let s = |ms| Sample {
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(2 * ms),
        };
        let samples = [s(10), s(20), s(30)];
        assert_eq!(per_op(&samples, Metric::Wall, 1000).median, 20_000.0);
        assert_eq!(per_op(&samples, Metric::Cpu, 1000).median, 40_000.0);
    }
}

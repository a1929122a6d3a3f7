//! The JSON report: every sample, in nanoseconds, with the summaries and ratios the tables
//! show. Written by hand (a small value type and its printer): no serde in the harness.

use std::fmt::Write as _;

use super::{paired_to_extra, paired_to_weft, per_op, speed_up, Metric, Report};
use crate::queue::Queue;
use crate::rt::Which;
use crate::sample::Sample;
use crate::stats::{ratio, Summary};
use crate::workloads::http::{HttpResult, SERVERS, WRK_CONNECTIONS, WRK_THREADS};

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number (non-finite numbers print as `null`).
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in insertion order.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// A string.
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// A number, or `null` for `None`.
    pub fn opt(x: Option<f64>) -> Json {
        x.map_or(Json::Null, Json::Num)
    }

    /// Pretty-printed with two-space indentation.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let pad = |out: &mut String, d: usize| out.push_str(&"  ".repeat(d));
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(x) if !x.is_finite() => out.push_str("null"),
            Json::Num(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                let _ = write!(out, "{}", *x as i64);
            }
            Json::Num(x) => {
                let _ = write!(out, "{x}");
            }
            Json::Str(s) => escape(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            // Arrays of plain numbers (the samples) stay on one line.
            Json::Arr(items) if items.iter().all(|i| matches!(i, Json::Num(_) | Json::Null)) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, depth);
                }
                out.push(']');
            }
            Json::Arr(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    pad(out, depth + 1);
                    item.write(out, depth + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, depth);
                out.push(']');
            }
            Json::Obj(pairs) if pairs.is_empty() => out.push_str("{}"),
            Json::Obj(pairs) => {
                out.push_str("{\n");
                for (i, (k, v)) in pairs.iter().enumerate() {
                    pad(out, depth + 1);
                    escape(out, k);
                    out.push_str(": ");
                    v.write(out, depth + 1);
                    out.push_str(if i + 1 < pairs.len() { ",\n" } else { "\n" });
                }
                pad(out, depth);
                out.push('}');
            }
        }
    }
}

fn escape(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn summary(s: &Summary) -> Json {
    Json::obj([
        ("median", Json::Num(s.median)),
        ("min", Json::Num(s.min)),
        ("max", Json::Num(s.max)),
        ("p10", Json::Num(s.p10)),
        ("p90", Json::Num(s.p90)),
        ("n", Json::Num(s.n as f64)),
    ])
}

fn samples(list: &[Sample]) -> Json {
    Json::obj([
        (
            "wall_ns",
            Json::Arr(
                list.iter()
                    .map(|s| Json::Num(s.wall.as_nanos() as f64))
                    .collect(),
            ),
        ),
        (
            "cpu_ns",
            Json::Arr(
                list.iter()
                    .map(|s| Json::Num(s.cpu.as_nanos() as f64))
                    .collect(),
            ),
        ),
    ])
}

/// The whole report as JSON.
pub fn to_json(r: &Report) -> String {
    let cfg = &r.config;
    let m = &r.machine;
    let p = &cfg.params;
    let workloads = r
        .workloads
        .iter()
        .map(|res| {
            let w = &res.workload;
            let ops = (w.ops)(p);
            let runtimes = Which::ALL
                .iter()
                .zip(&res.samples)
                .map(|(which, s)| {
                    let value = match s {
                        Ok(list) if !list.is_empty() => Json::obj([
                            ("samples", samples(list)),
                            ("wall_per_op_ns", summary(&per_op(list, Metric::Wall, ops))),
                            ("cpu_per_op_ns", summary(&per_op(list, Metric::Cpu, ops))),
                        ]),
                        Ok(_) => Json::obj([("skipped", Json::str("no samples"))]),
                        Err(why) => Json::obj([("skipped", Json::str(*why))]),
                    };
                    (which.name().to_owned(), value)
                })
                .collect();
            let paired = paired_to_weft(&res.samples, Metric::Wall, ops);
            let wall = |i: usize| match &res.samples[i] {
                Ok(list) if !list.is_empty() => Some(per_op(list, Metric::Wall, ops)),
                _ => None,
            };
            Json::obj([
                ("name", Json::str(w.name)),
                ("size", Json::str((w.size)(p))),
                ("ops", Json::Num(ops as f64)),
                ("per", Json::str(w.per)),
                ("note", Json::str((w.note)())),
                ("runtimes", Json::Obj(runtimes)),
                (
                    "ratio_weft_tokio",
                    Json::opt(ratio(wall(0).as_ref(), wall(1).as_ref())),
                ),
                (
                    "ratio_weft_smol",
                    Json::opt(ratio(wall(0).as_ref(), wall(2).as_ref())),
                ),
                (
                    "paired_ratio_weft_tokio",
                    paired[1].as_ref().map_or(Json::Null, summary),
                ),
                (
                    "paired_ratio_weft_smol",
                    paired[2].as_ref().map_or(Json::Null, summary),
                ),
                ("own_prims", Json::Bool(w.own_prims)),
                (
                    "extra",
                    match (&res.extra, w.extra) {
                        (Some(result), Some(e)) => {
                            let paired =
                                paired_to_extra(&res.samples[0], result, Metric::Wall, ops);
                            match result {
                                Ok(list) if !list.is_empty() => Json::obj([
                                    ("name", Json::str(e.name)),
                                    ("what", Json::str(e.what)),
                                    ("samples", samples(list)),
                                    ("wall_per_op_ns", summary(&per_op(list, Metric::Wall, ops))),
                                    ("cpu_per_op_ns", summary(&per_op(list, Metric::Cpu, ops))),
                                    (
                                        "ratio_weft_extra",
                                        Json::opt(ratio(
                                            wall(0).as_ref(),
                                            Some(&per_op(list, Metric::Wall, ops)),
                                        )),
                                    ),
                                    (
                                        "paired_ratio_weft_extra",
                                        paired.as_ref().map_or(Json::Null, summary),
                                    ),
                                ]),
                                Ok(_) => Json::obj([
                                    ("name", Json::str(e.name)),
                                    ("skipped", Json::str("no samples")),
                                ]),
                                Err(why) => Json::obj([
                                    ("name", Json::str(e.name)),
                                    ("skipped", Json::str(*why)),
                                ]),
                            }
                        }
                        _ => Json::Null,
                    },
                ),
                (
                    "one_worker",
                    res.one_worker
                        .as_ref()
                        .map_or(Json::Null, |one| one_worker(one, &res.samples, ops)),
                ),
                (
                    "floor",
                    match (&res.floor, w.floor) {
                        (Some(list), Some(f)) => Json::obj([
                            ("what", Json::str(f.what)),
                            ("samples", samples(list)),
                            ("wall_per_op_ns", summary(&per_op(list, Metric::Wall, ops))),
                        ]),
                        _ => Json::Null,
                    },
                ),
            ])
        })
        .collect();
    let queues = r
        .queues
        .iter()
        .map(|q| {
            let per: Vec<Summary> = q
                .samples
                .iter()
                .map(|l| per_op(l, Metric::Wall, q.ops))
                .collect();
            let impls = Queue::ALL
                .iter()
                .enumerate()
                .map(|(i, queue)| {
                    (
                        queue.name().to_owned(),
                        Json::obj([
                            ("samples", samples(&q.samples[i])),
                            ("wall_per_op_ns", summary(&per[i])),
                        ]),
                    )
                })
                .collect();
            Json::obj([
                ("name", Json::str(q.name)),
                ("size", Json::str(q.size.clone())),
                ("ops", Json::Num(q.ops as f64)),
                ("queues", Json::Obj(impls)),
                (
                    "ratio_weft_crossbeam",
                    Json::opt(ratio(Some(&per[0]), Some(&per[1]))),
                ),
            ])
        })
        .collect();
    let mem = &r.memory;
    let memory = Which::ALL
        .iter()
        .enumerate()
        .map(|(i, w)| {
            (
                w.name().to_owned(),
                Json::obj([
                    ("bytes_per_idle_task", Json::opt(mem.bytes_per_task[i])),
                    (
                        "rss_before_bytes",
                        Json::opt(mem.rss[i].map(|(before, _)| before as f64)),
                    ),
                    (
                        "peak_rss_bytes",
                        Json::opt(mem.rss[i].map(|(_, peak)| peak as f64)),
                    ),
                    (
                        "bytes_per_waiting_task",
                        mem.waiting[i].map_or(Json::Null, |b| {
                            Json::obj([
                                ("pending", Json::Num(b.idle)),
                                ("mpsc_recv", Json::Num(b.recv)),
                                ("semaphore_acquire", Json::Num(b.acquire)),
                            ])
                        }),
                    ),
                ]),
            )
        })
        .collect();
    Json::obj([
        ("started_unix", Json::Num(r.started_unix as f64)),
        ("started", Json::str(r.started_utc())),
        ("took_s", Json::Num(r.took.as_secs_f64())),
        ("command", Json::str(r.command.clone())),
        ("mode", Json::str(if cfg.quick { "quick" } else { "full" })),
        ("workers", Json::Num(cfg.workers as f64)),
        ("reps", Json::Num(cfg.reps as f64)),
        (
            "machine",
            Json::obj([
                ("cpus", Json::Num(m.cpus as f64)),
                ("cpu_model", Json::str(m.cpu_model.clone())),
                ("kernel", Json::str(m.kernel.clone())),
                ("load_avg", Json::str(m.load_avg.clone())),
                ("rustc", Json::str(m.rustc.clone())),
                ("git", Json::str(m.git.clone())),
            ]),
        ),
        (
            "cross_core_round_trip_ns",
            r.cross_core.as_ref().map_or(Json::Null, summary),
        ),
        ("workloads", Json::Arr(workloads)),
        ("queues", Json::Arr(queues)),
        (
            "memory",
            Json::obj([
                ("tasks", Json::Num(mem.tasks as f64)),
                ("waiter_tasks", Json::Num(mem.waiter_tasks as f64)),
                ("runtimes", Json::Obj(memory)),
            ]),
        ),
        ("http", r.http.as_ref().map_or(Json::Null, http)),
    ])
    .pretty()
}

/// Each runtime's samples on its one-worker runtime and its speed-up over them:
/// t(1 worker) / t(N workers), per repetition (`speed_up`) and of the medians.
fn one_worker(
    one: &[Result<Vec<Sample>, &'static str>; 3],
    many: &[Result<Vec<Sample>, &'static str>; 3],
    ops: u64,
) -> Json {
    let runtimes = Which::ALL
        .iter()
        .enumerate()
        .map(|(i, which)| {
            let value = match speed_up(&one[i], &many[i], ops) {
                Ok(s) => Json::obj([
                    (
                        "samples",
                        one[i].as_ref().map_or(Json::Null, |list| samples(list)),
                    ),
                    ("wall_per_op_ns", summary(&s.one_worker)),
                    ("speed_up", s.paired.as_ref().map_or(Json::Null, summary)),
                    ("speed_up_of_medians", Json::opt(s.of_medians)),
                ]),
                Err(why) => Json::obj([("skipped", Json::str(why))]),
            };
            (which.name().to_owned(), value)
        })
        .collect();
    Json::Obj(runtimes)
}

/// The `http` row: each server's wrk runs, their medians, and weft/tokio.
fn http(result: &Result<HttpResult, String>) -> Json {
    let r = match result {
        Ok(r) => r,
        Err(why) => return Json::obj([("skipped", Json::str(why.clone()))]),
    };
    let servers = SERVERS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let value = match &r.runs[i] {
                Ok(runs) => Json::obj([
                    (
                        "runs",
                        Json::Arr(
                            runs.iter()
                                .map(|w| {
                                    Json::obj([
                                        ("requests_per_sec", Json::Num(w.requests_per_sec)),
                                        ("p50_ns", Json::Num(w.p50_ns)),
                                        ("p99_ns", Json::Num(w.p99_ns)),
                                        ("requests", Json::Num(w.requests as f64)),
                                        ("errors", Json::Num(w.errors as f64)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    (
                        "median_requests_per_sec",
                        Json::opt(r.median(i, |w| w.requests_per_sec)),
                    ),
                    ("median_p99_ns", Json::opt(r.median(i, |w| w.p99_ns))),
                    ("errors", Json::Num(r.errors(i) as f64)),
                ]),
                Err(why) => Json::obj([("skipped", Json::str(why.clone()))]),
            };
            ((*name).to_owned(), value)
        })
        .collect();
    Json::obj([
        (
            "client",
            Json::str(format!(
                "wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{}s --latency",
                r.seconds
            )),
        ),
        ("rounds", Json::Num(r.rounds as f64)),
        ("workers", Json::Num(r.workers as f64)),
        ("servers", Json::Obj(servers)),
        (
            "ratio_requests_per_sec_weft_tokio",
            Json::opt(r.throughput_ratio()),
        ),
        ("ratio_p99_weft_tokio", Json::opt(r.p99_ratio())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_valid_json() {
        let v = Json::obj([
            ("s", Json::str("a \"q\"\n\\ µ\u{1}")),
            (
                "n",
                Json::Arr(vec![Json::Num(1.0), Json::Num(2.5), Json::Num(f64::NAN)]),
            ),
            ("o", Json::obj([("b", Json::Bool(true)), ("z", Json::Null)])),
            ("e", Json::Arr(vec![])),
        ]);
        assert_eq!(
            v.pretty(),
            "{\n  \"s\": \"a \\\"q\\\"\\n\\\\ µ\\u0001\",\n  \"n\": [1, 2.5, null],\n  \
             \"o\": {\n    \"b\": true,\n    \"z\": null\n  },\n  \"e\": []\n}\n"
        );
    }
}

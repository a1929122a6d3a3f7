//! The Markdown report (the harness prints it too: its tables are padded to line up).

use std::fmt::Write as _;

use super::{per_op, Metric, Report};
use crate::queue::Queue;
use crate::rt::{Rt, Smol, Tokio, Weft, Which};
use crate::stats::{fmt_bytes, fmt_ns, fmt_ratio, fmt_ratio_band, fmt_summary, ratio, Summary};
use crate::workloads::http::{HttpResult, WrkRun};

/// A Markdown table with every column padded to its widest cell.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::from("|");
        for (cell, w) in cells.zip(&widths) {
            let _ = write!(out, " {cell}{} |", " ".repeat(w - width(cell)));
        }
        out.push('\n');
        out
    };
    let mut out = line(&mut header.iter().copied());
    out.push('|');
    for w in &widths {
        let _ = write!(out, "{}|", "-".repeat(w + 2));
    }
    out.push('\n');
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// How the runtimes scale: one report per worker count (`--workers 2,4,8,16`), side by side.
/// Per row and worker count: weft's median time per operation, and the median
/// per-repetition ratios weft/tokio and weft/smol.
pub fn to_scaling_markdown(reports: &[Report]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# weft benchmarks: scaling with the worker count\n");
    if let Some(first) = reports.first() {
        let _ = writeln!(
            md,
            "{} · `{}` · {} mode · git {} · {} CPUs, {}\n",
            first.started_utc(),
            first.command,
            if first.config.quick { "quick" } else { "full" },
            first.machine.git,
            first.machine.cpus,
            first.machine.cpu_model,
        );
    }
    let _ = writeln!(
        md,
        "Each cell: weft's median time per operation · weft/tokio · weft/smol (medians of the \
         per-repetition ratios; below 1.00 weft is faster). The full report of each worker \
         count is in `workers-N/report.md`.\n"
    );
    let cross: Vec<String> = reports
        .iter()
        .map(|r| {
            let rt = r
                .cross_core
                .as_ref()
                .map_or("n/a".to_owned(), |s| fmt_ns(s.median));
            format!("{}: {rt}", workers(r.config.workers))
        })
        .collect();
    let _ = writeln!(
        md,
        "Cross-core round trip at the start of each: {}.\n",
        cross.join(", ")
    );

    let headers: Vec<String> = std::iter::once("workload".to_owned())
        .chain(reports.iter().map(|r| workers(r.config.workers)))
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let per_report: Vec<Vec<super::Row>> = reports.iter().map(Report::rows).collect();
    let names: Vec<String> = per_report
        .first()
        .map(|rows| rows.iter().map(|row| row.name.clone()).collect())
        .unwrap_or_default();
    let body: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            let mut cells = vec![name.clone()];
            for rows in &per_report {
                cells.push(match rows.iter().find(|row| &row.name == name) {
                    Some(row) => match &row.cells[0] {
                        Ok(weft) => format!(
                            "{} · {} · {}",
                            fmt_ns(weft.median),
                            fmt_ratio(row.ratio_to(Which::Tokio)),
                            fmt_ratio(row.ratio_to(Which::Smol))
                        ),
                        Err(why) => (*why).to_owned(),
                    },
                    None => "–".to_owned(),
                });
            }
            cells
        })
        .collect();
    md.push_str(&table(&header_refs, &body));
    md
}

/// `1 worker`, `16 workers`.
fn workers(n: usize) -> String {
    format!("{n} worker{}", if n == 1 { "" } else { "s" })
}

/// The primitive rows (`sync_*`): each runtime with its own primitives, and the extra
/// pairing (weft's runtime with flume) beside them, all as ratios to weft.
fn sync_table(md: &mut String, rows: &[super::Row]) {
    let own: Vec<&super::Row> = rows.iter().filter(|row| row.own_prims).collect();
    if own.is_empty() {
        return;
    }
    let extra_name = own
        .iter()
        .find_map(|row| row.extra.as_ref().map(|e| e.name))
        .unwrap_or("extra");
    let _ = writeln!(md, "## Sync primitives: each runtime with its own\n");
    let _ = writeln!(
        md,
        "weft with {}; tokio with {}; smol with {}; {extra_name}: weft's runtime with \
         flume's channels (the channel rows only). Time per operation as above; **ratios are \
         weft / other, below 1.00 weft is faster**, per repetition (the four run back to \
         back), median (10th–90th percentile).\n",
        Weft::PRIMS,
        Tokio::PRIMS,
        Smol::PRIMS,
    );
    let body: Vec<Vec<String>> = own
        .iter()
        .map(|row| {
            let mut cells = vec![row.name.clone(), row.size.clone(), row.per.to_owned()];
            for c in &row.cells {
                cells.push(match c {
                    Ok(s) => fmt_summary(s),
                    Err(why) => (*why).to_owned(),
                });
            }
            cells.push(match &row.extra {
                Some(e) => match &e.cell {
                    Ok(s) => fmt_summary(s),
                    Err(why) => (*why).to_owned(),
                },
                None => "–".to_owned(),
            });
            for other in [Which::Tokio, Which::Smol] {
                cells.push(match row.ratio_band_to(other) {
                    Some(band) => fmt_ratio_band(Some(band)),
                    None => fmt_ratio(row.ratio_to(other)),
                });
            }
            cells.push(match &row.extra {
                Some(e) => match &e.paired {
                    Some(band) => fmt_ratio_band(Some(band)),
                    None => fmt_ratio(e.ratio(&row.cells[0])),
                },
                None => "–".to_owned(),
            });
            cells
        })
        .collect();
    let extra_ratio = format!("weft/({extra_name})");
    md.push_str(&table(
        &[
            "workload",
            "size",
            "per",
            "weft",
            "tokio",
            "smol",
            extra_name,
            "weft/tokio",
            "weft/smol",
            &extra_ratio,
        ],
        &body,
    ));
    md.push('\n');
    for row in own.iter().filter(|row| row.metric == Metric::Wall) {
        if !row.note.is_empty() {
            let _ = writeln!(md, "- {}: {}", row.name, row.note);
        }
    }
    md.push('\n');
}

/// The side-by-side rows with an extra pairing (`channel` and `ping_pong` beside tokio's
/// current-thread runtime): weft, the pairing and weft / it, one table per pairing.
fn reference_tables(md: &mut String, rows: &[super::Row], workers: usize) {
    let with_extra: Vec<&super::Row> = rows
        .iter()
        .filter(|row| !row.own_prims && row.metric == Metric::Wall && row.extra.is_some())
        .collect();
    let mut names: Vec<(&str, &str)> = Vec::new();
    for e in with_extra.iter().filter_map(|row| row.extra.as_ref()) {
        if !names.iter().any(|(name, _)| *name == e.name) {
            names.push((e.name, e.what));
        }
    }
    for (name, what) in names {
        let _ = writeln!(md, "## weft on {workers} workers vs {name}\n");
        let _ = writeln!(
            md,
            "{name}: {what}. The same workload, the same primitives, in the same rotation as \
             the three runtimes above. Time per operation as above; **the ratio is weft / \
             {name}, below 1.00 weft is faster**, per repetition, median (10th–90th \
             percentile).\n"
        );
        let body: Vec<Vec<String>> = with_extra
            .iter()
            .filter_map(|row| {
                let e = row.extra.as_ref().filter(|e| e.name == name)?;
                Some(vec![
                    row.name.clone(),
                    row.size.clone(),
                    row.per.to_owned(),
                    match &row.cells[0] {
                        Ok(s) => fmt_summary(s),
                        Err(why) => (*why).to_owned(),
                    },
                    match &e.cell {
                        Ok(s) => fmt_summary(s),
                        Err(why) => (*why).to_owned(),
                    },
                    match &e.paired {
                        Some(band) => fmt_ratio_band(Some(band)),
                        None => fmt_ratio(e.ratio(&row.cells[0])),
                    },
                ])
            })
            .collect();
        let ratio = format!("weft/({name}) (<1: weft faster)");
        md.push_str(&table(
            &["workload", "size", "per", "weft", name, &ratio],
            &body,
        ));
        md.push('\n');
    }
}

/// The rows that ask for it (`cpu_fan_out`): each runtime's speed-up over its own
/// one-worker time.
fn speed_up_table(md: &mut String, rows: &[super::Row], workers: usize) {
    let body: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|row| {
            let speed_up = row.speed_up.as_ref()?;
            let mut cells = vec![row.name.clone(), row.size.clone()];
            for s in speed_up {
                cells.push(match s {
                    Ok(s) => {
                        let x = match &s.paired {
                            Some(band) => {
                                format!("{:.2}x ({:.2}–{:.2})", band.median, band.p10, band.p90)
                            }
                            None => s.median().map_or("–".to_owned(), |x| format!("{x:.2}x")),
                        };
                        format!("{x}; 1 worker: {}", fmt_ns(s.one_worker.median))
                    }
                    Err(why) => (*why).to_owned(),
                });
            }
            Some(cells)
        })
        .collect();
    if body.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Speed-up over one worker\n");
    let _ = writeln!(
        md,
        "Each runtime's wall time on a one-worker runtime of its own kind over its wall time \
         on {workers} workers, the same workload: built once beside the others, its runs are \
         slots of the same rotation, so the ratio is taken per repetition; median (10th–90th \
         percentile), then the one-worker time per operation. **{workers}.00x is the work \
         spread perfectly over {workers} workers**; issue 13 asks for at least 1.8x on 2 on \
         cpu_fan_out.\n"
    );
    md.push_str(&table(
        &[
            "workload",
            "size",
            "weft: speed-up",
            "tokio: speed-up",
            "smol: speed-up",
        ],
        &body,
    ));
    md.push('\n');
}

/// The `http` row: hyper on weft and on tokio under wrk, requests/s and latency.
fn http_table(md: &mut String, http: &Result<HttpResult, String>) {
    use crate::workloads::http::{SERVERS, WRK_CONNECTIONS, WRK_THREADS};

    let _ = writeln!(
        md,
        "## HTTP: hyper on weft vs hyper on tokio, driven by wrk\n"
    );
    let r = match http {
        Ok(r) => r,
        Err(why) => {
            let _ = writeln!(md, "Skipped: {why}.\n");
            return;
        }
    };
    let _ = writeln!(
        md,
        "`wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{}s --latency` on loopback against the \
         same hyper service (HTTP/1.1 keep-alive, `Hello, World!`), served by \
         `weft::hyper::serve` and by the same accept loop on tokio with hyper-util's \
         `TokioIo`/`TokioTimer`, each on its own runtime with {} worker threads; wrk shares \
         the machine with the server. {} round(s), each one run per server (order \
         alternating, after a 1 s warm-up run); medians over the rounds, min–max in \
         brackets. **Here the ratio of requests/s is weft / tokio, above 1.00 weft serves \
         more; the p99 ratio is weft / tokio, below 1.00 weft answers sooner.**\n",
        r.seconds, r.workers, r.rounds,
    );
    let body: Vec<Vec<String>> = SERVERS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            vec![
                (*name).to_owned(),
                spread(&r.runs[i], |w| w.requests_per_sec, |x| format!("{x:.0}")),
                spread(&r.runs[i], |w| w.p50_ns, fmt_ns),
                spread(&r.runs[i], |w| w.p99_ns, fmt_ns),
                r.errors(i).to_string(),
            ]
        })
        .collect();
    md.push_str(&table(
        &[
            "server",
            "requests/s",
            "p50 latency",
            "p99 latency",
            "errors",
        ],
        &body,
    ));
    let _ = writeln!(
        md,
        "\nweft/tokio: requests/s **{}** (>1: weft serves more), p99 latency **{}** (<1: \
         weft answers sooner).\n",
        fmt_ratio(r.throughput_ratio()),
        fmt_ratio(r.p99_ratio()),
    );
}

/// The median of `f` over `runs`, with its min–max, each written by `show`; or why there
/// are no runs.
fn spread(
    runs: &Result<Vec<WrkRun>, String>,
    f: fn(&WrkRun) -> f64,
    show: fn(f64) -> String,
) -> String {
    match runs {
        Ok(runs) if !runs.is_empty() => {
            let s = Summary::of(&runs.iter().map(f).collect::<Vec<_>>());
            format!("{} ({}–{})", show(s.median), show(s.min), show(s.max))
        }
        Ok(_) => "no runs".to_owned(),
        Err(e) => e.clone(),
    }
}

/// Heap bytes per waiting task (`sync_memory`), each runtime with its own primitives.
fn waiting_table(md: &mut String, mem: &crate::harness::MemoryResult) {
    let bytes = |b: f64| format!("{b:.0} B");
    let body: Vec<Vec<String>> = Which::ALL
        .iter()
        .zip(&mem.waiting)
        .map(|(w, waiting)| match waiting {
            Some(b) => vec![
                w.name().to_owned(),
                bytes(b.idle),
                bytes(b.recv),
                bytes(b.recv - b.idle),
                bytes(b.acquire),
                bytes(b.acquire - b.idle),
            ],
            None => {
                let mut cells = vec![w.name().to_owned()];
                cells.extend(std::iter::repeat_n("–".to_owned(), 5));
                cells
            }
        })
        .collect();
    md.push_str(&table(
        &[
            "runtime (own primitives)",
            "task parked on pending()",
            "task parked in recv(), own bounded(1) channel",
            "recv over pending",
            "task parked in acquire(), Semaphore(0)",
            "acquire over pending",
        ],
        &body,
    ));
    let _ = writeln!(
        md,
        "\nHeap per waiting task, everything counted: the same counting allocator, while one \
         task spawns {} tasks that each count themselves in once their wait has returned \
         Pending; the net growth divided by the count, the task and its future included (the \
         future is where tokio keeps a waiter), plus the channel (one per task, its sender \
         kept elsewhere) and any waiter node allocated beside them. \"over pending\" is what \
         the wait costs beyond a task that waits on nothing. weft with {}; tokio with {}; \
         smol with {}.\n",
        crate::workloads::thousands(mem.waiter_tasks as u64),
        Weft::PRIMS,
        Tokio::PRIMS,
        Smol::PRIMS,
    );
}

/// The whole report as Markdown.
pub fn to_markdown(r: &Report) -> String {
    let mut md = String::new();
    let cfg = &r.config;
    let m = &r.machine;
    let _ = writeln!(md, "# weft benchmarks: weft vs tokio vs smol\n");
    let _ = writeln!(
        md,
        "{} · `{}` · {} mode · {} worker threads per runtime · {} timed repetitions per runtime \
         (after one warm-up), runtimes alternating · git {} · took {:.0} s\n",
        r.started_utc(),
        r.command,
        if cfg.quick { "quick" } else { "full" },
        cfg.workers,
        cfg.reps,
        m.git,
        r.took.as_secs_f64(),
    );
    let _ = writeln!(
        md,
        "Machine: {} CPUs, {}, Linux {}, load average {} at the start, {}.\n",
        m.cpus, m.cpu_model, m.kernel, m.load_avg, m.rustc
    );
    match &r.cross_core {
        Some(s) => {
            let _ = writeln!(
                md,
                "**Cross-core round trip: {}** median (min {}, max {}, {} runs of two pinned \
                 threads bouncing one atomic between two CPUs). Compare runs by this first: \
                 it drifts as the host moves the vCPUs.\n",
                fmt_ns(s.median),
                fmt_ns(s.min),
                fmt_ns(s.max),
                s.n
            );
        }
        None => {
            let _ = writeln!(md, "Cross-core round trip: not measured (one CPU).\n");
        }
    }

    // ---- side by side ----
    let _ = writeln!(md, "## Side by side\n");
    let _ = writeln!(
        md,
        "Time per operation: median of the samples (min–max). Wall time unless the row says \
         (cpu). **Ratios are weft / other: below 1.00 means weft is faster.** Each repetition \
         runs the three runtimes back to back, so a ratio is taken per repetition (a slow spell \
         of the host then slows both sides of it) and shown as the median with the 10th–90th \
         percentile of those ratios in brackets: a band that straddles 1.00 is a tie on this \
         machine.\n"
    );
    let rows = r.rows();
    let body: Vec<Vec<String>> = rows
        .iter()
        .filter(|row| !row.own_prims)
        .map(|row| {
            let mut cells = vec![row.name.clone(), row.size.clone(), row.per.to_owned()];
            for c in &row.cells {
                cells.push(match c {
                    Ok(s) => fmt_summary(s),
                    Err(why) => (*why).to_owned(),
                });
            }
            for other in [Which::Tokio, Which::Smol] {
                cells.push(match row.ratio_band_to(other) {
                    Some(band) => fmt_ratio_band(Some(band)),
                    None => fmt_ratio(row.ratio_to(other)),
                });
            }
            cells.push(row.floor.as_ref().map_or_else(String::new, fmt_summary));
            cells
        })
        .collect();
    md.push_str(&table(
        &[
            "workload",
            "size",
            "per",
            "weft",
            "tokio",
            "smol",
            "weft/tokio (<1: weft faster)",
            "weft/smol (<1: weft faster)",
            "floor",
        ],
        &body,
    ));
    md.push('\n');
    for row in rows
        .iter()
        .filter(|row| row.metric == Metric::Wall && !row.own_prims)
    {
        if !row.note.is_empty() {
            let _ = writeln!(md, "- {}: {}", row.name, row.note);
        }
    }
    let _ = writeln!(
        md,
        "- channel, mutex, ping_pong and the end-of-workload signal use the same \
         runtime-agnostic async-channel, async-lock and futures-channel oneshot on every \
         runtime, so they compare the schedulers; timers and sockets are each runtime's own; \
         each runtime's own primitives are compared in their own table.\n"
    );

    // ---- against a reference on one thread; speed-up over one worker ----
    reference_tables(&mut md, &rows, cfg.workers);
    speed_up_table(&mut md, &rows, cfg.workers);

    // ---- primitives ----
    sync_table(&mut md, &rows);

    // ---- HTTP ----
    if let Some(http) = &r.http {
        http_table(&mut md, http);
    }

    // ---- floors ----
    let floors: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|row| {
            let floor = row.floor.as_ref()?;
            let mut cells = vec![
                row.name.clone(),
                row.floor_what.unwrap_or("").to_owned(),
                format!("{} per {}", fmt_ns(floor.median), row.per),
            ];
            for c in &row.cells {
                cells.push(match c {
                    Ok(s) => format!("{:.2}x", s.median / floor.median),
                    Err(_) => "n/a".to_owned(),
                });
            }
            Some(cells)
        })
        .collect();
    if !floors.is_empty() {
        let _ = writeln!(md, "## Floors\n");
        let _ = writeln!(
            md,
            "How close each runtime is to the cost that cannot be avoided: runtime time over \
             floor time, per operation (1.00x = at the floor).\n"
        );
        md.push_str(&table(
            &["workload", "floor", "floor time", "weft", "tokio", "smol"],
            &floors,
        ));
        md.push('\n');
    }

    // ---- queues ----
    if !r.queues.is_empty() {
        let _ = writeln!(md, "## Local run queue: weft_queue vs crossbeam-deque\n");
        let _ = writeln!(
            md,
            "`weft_queue::{{Local, Steal}}` (fixed 256-slot ring, batch steal of half) against \
             `crossbeam_deque::{{Worker, Stealer}}` (FIFO), `usize` items. push_pop: one thread, \
             batches of 128 pushes then 128 pops; time per item. queue_steal: the owner only \
             pushes (waiting while its queue is 3/4 full, so weft's ring never overflows) and a \
             thief steals batches into its own queue and pops them; time per item until the \
             thief has them all (steal throughput).\n"
        );
        let body: Vec<Vec<String>> = r
            .queues
            .iter()
            .map(|q| {
                let s: Vec<_> = q
                    .samples
                    .iter()
                    .map(|list| per_op(list, Metric::Wall, q.ops))
                    .collect();
                vec![
                    q.name.to_owned(),
                    q.size.clone(),
                    fmt_summary(&s[0]),
                    fmt_summary(&s[1]),
                    fmt_ratio(ratio(Some(&s[0]), Some(&s[1]))),
                ]
            })
            .collect();
        let names: Vec<&str> = Queue::ALL.iter().map(|q| q.name()).collect();
        md.push_str(&table(
            &[
                "bench",
                "size",
                names[0],
                names[1],
                "weft/crossbeam (<1: weft faster)",
            ],
            &body,
        ));
        md.push('\n');
    }

    // ---- memory ----
    let mem = &r.memory;
    let idle_figures =
        mem.bytes_per_task.iter().any(Option::is_some) || mem.rss.iter().any(Option::is_some);
    if idle_figures || mem.waiting.iter().any(Option::is_some) {
        let _ = writeln!(md, "## Memory\n");
    }
    if idle_figures {
        let body: Vec<Vec<String>> = Which::ALL
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let rss = mem.rss[i];
                vec![
                    w.name().to_owned(),
                    mem.bytes_per_task[i].map_or("–".to_owned(), |b| format!("{b:.0} B")),
                    rss.map_or("–".to_owned(), |(_, peak)| fmt_bytes(peak as f64)),
                    rss.map_or("–".to_owned(), |(before, _)| fmt_bytes(before as f64)),
                    rss.map_or("–".to_owned(), |(before, peak)| {
                        fmt_bytes(peak as f64 - before as f64)
                    }),
                ]
            })
            .collect();
        md.push_str(&table(
            &[
                "runtime",
                "heap per idle task (future excluded)",
                "peak RSS, spawn_many_local (VmHWM)",
                "RSS before",
                "growth",
            ],
            &body,
        ));
        let _ = writeln!(
            md,
            "\nHeap per idle task: a counting global allocator (on only for this) measures the \
             net heap growth while one task spawns {} tasks that each wait forever on \
             `std::future::pending()`, after all of them have been polled once; divided by \
             the count, minus the size of one task's future. It includes what the runtime \
             keeps per task besides the task itself (smol's executor slab of wakers).\n\n\
             Peak RSS: a child process per runtime (so runtimes do not share a heap) builds \
             the runtime, warms it up, reads VmRSS from /proc/self/status, runs \
             spawn_many_local ({} tasks) once and reads VmHWM, the peak resident set; growth \
             is the peak minus the RSS before.\n",
            crate::workloads::thousands(mem.tasks as u64),
            crate::workloads::thousands(r.config.params.spawn_tasks as u64),
        );
    }
    if mem.waiting.iter().any(Option::is_some) {
        waiting_table(&mut md, mem);
    }

    // ---- method ----
    let _ = writeln!(md, "## Method\n");
    let _ = writeln!(
        md,
        "- One process runs all three runtimes. Per workload, weft \
         (`runtime::Builder::new_multi_thread().worker_threads({w})`), tokio (the same on \
         tokio) and smol (one `async_executor::Executor` run by {w} threads, async-io for \
         timers and sockets) are built once; each runs the workload once untimed, then \
         repetition r runs them in an order rotated by r. Idle runtimes park their threads.\n\
         - Beside them, where a row has one: an extra pairing (weft + flume, tokio's \
         current-thread runtime), and a one-worker runtime of each kind for the speed-up \
         (cpu_fan_out, mixed), built once for the row and run as further slots of the same \
         rotation.\n\
         - Every workload is one generic function over the `Rt` trait (`benches/src/rt/`), so \
         the three run the same code; `block_on` runs on the main thread, which is not a \
         worker in any of them, and \"from a task\" workloads do their spawning in a spawned \
         task.\n\
         - A task's completion is counted with an atomic countdown that fires a \
         futures-channel oneshot (the same shape as tokio's own benchmarks).\n\
         - The per-operation time is the sample's wall time (or CPU time of all threads for \
         (cpu) rows) divided by the operation count: throughput, not latency.\n\
         - Files: report.md (this), report.json (every sample, in ns), ratios.svg (the \
         ratios at a glance).",
        w = cfg.workers
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of `workers` workers with one workload whose three runtimes took
    /// `ms[0..3]` ms per sample (two samples each).
    fn fake_report(workers: usize, ms: [u64; 3]) -> Report {
        use std::time::Duration;

        use crate::harness::{Config, MemoryResult, WorkloadResult};
        use crate::machine::MachineInfo;
        use crate::sample::Sample;
        use crate::workloads::{all, Params};

        let sample = |ms: u64| Sample {
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(ms),
        };
        let workload = *all()
            .iter()
            .find(|w| w.name == "yield_many")
            .expect("yield_many");
        Report {
            started_unix: 0,
            took: Duration::from_secs(1),
            command: "test".to_owned(),
            config: Config {
                workers,
                reps: 2,
                quick: true,
                params: Params::quick(),
                queue_ops: 1,
                memory_tasks: 1,
                waiter_tasks: 1,
                filter: Vec::new(),
            },
            machine: MachineInfo::collect(),
            cross_core: None,
            workloads: vec![WorkloadResult {
                workload,
                samples: ms.map(|ms| Ok(vec![sample(ms), sample(ms)])),
                floor: None,
                extra: None,
                one_worker: None,
            }],
            queues: Vec::new(),
            memory: MemoryResult {
                tasks: 0,
                bytes_per_task: [None; 3],
                rss: [None; 3],
                waiter_tasks: 0,
                waiting: [None; 3],
            },
            http: None,
        }
    }

    #[test]
    fn the_scaling_table_has_a_column_per_worker_count() {
        let md = to_scaling_markdown(&[fake_report(1, [10, 20, 40]), fake_report(16, [5, 20, 10])]);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
        assert!(
            rows[0].contains("1 worker ") && rows[0].contains("16 workers"),
            "{md}"
        );
        let yield_row = rows.iter().find(|r| r.contains("yield_many")).expect(&md);
        // weft/tokio and weft/smol per count: 0.50 and 0.25 with one worker, 0.25 and 0.50
        // with sixteen.
        assert!(yield_row.contains("· 0.50 · 0.25 |"), "{yield_row}");
        assert!(yield_row.contains("· 0.25 · 0.50 |"), "{yield_row}");
        assert!(md.contains("1 worker: n/a, 16 workers: n/a"), "{md}");
    }

    #[test]
    fn primitive_rows_get_their_own_table_with_the_extra_pairing() {
        use crate::sample::Sample;
        use crate::workloads::all;

        let mut report = fake_report(2, [10, 20, 40]);
        let sample = |ms: u64| Sample {
            wall: std::time::Duration::from_millis(ms),
            cpu: std::time::Duration::from_millis(ms),
        };
        let mut own = report.workloads[0].clone();
        own.workload = *all()
            .iter()
            .find(|w| w.name == "sync_mpsc_bounded")
            .expect("sync_mpsc_bounded");
        own.extra = Some(Ok(vec![sample(5), sample(5)]));
        report.workloads.push(own);
        let md = to_markdown(&report);
        let (side, sync) = md
            .split_once("## Sync primitives")
            .expect("a table of the primitive rows");
        assert!(
            side.contains("| yield_many") && !side.contains("sync_mpsc_bounded"),
            "{md}"
        );
        let row = sync
            .lines()
            .find(|l| l.starts_with("| sync_mpsc_bounded"))
            .expect(&md);
        // weft/tokio, weft/smol and weft/(weft + flume): 10/20, 10/40 and 10/5.
        assert!(
            row.contains("| 0.50 (0.50–0.50) | 0.25 (0.25–0.25) | 2.00 (2.00–2.00) "),
            "{row}"
        );
        assert!(sync.contains("weft/(weft + flume)"), "{sync}");
    }

    #[test]
    fn the_current_thread_reference_gets_its_own_table() {
        use crate::sample::Sample;
        use crate::workloads::{all, TOKIO_CURRENT};

        let mut report = fake_report(2, [10, 20, 40]);
        let sample = |ms: u64| Sample {
            wall: std::time::Duration::from_millis(ms),
            cpu: std::time::Duration::from_millis(ms),
        };
        let mut channel = report.workloads[0].clone();
        channel.workload = *all().iter().find(|w| w.name == "channel").expect("channel");
        assert_eq!(channel.workload.extra.map(|e| e.name), Some(TOKIO_CURRENT));
        channel.extra = Some(Ok(vec![sample(8), sample(8)]));
        report.workloads.push(channel);
        let md = to_markdown(&report);
        let (side, rest) = md
            .split_once("## weft on 2 workers vs tokio current-thread")
            .expect(&md);
        assert!(side.contains("| channel "), "{md}");
        let (reference, _) = rest.split_once("## ").unwrap_or((rest, ""));
        let row = reference
            .lines()
            .find(|l| l.starts_with("| channel"))
            .expect(reference);
        // weft / tokio current-thread: 10 / 8.
        assert!(row.contains("| 1.25 (1.25–1.25) "), "{row}");
        assert!(
            reference.contains("weft/(tokio current-thread)"),
            "{reference}"
        );
        assert!(!reference.contains("yield_many"), "{reference}");
        assert!(!md.contains("## Speed-up over one worker"), "{md}");
    }

    #[test]
    fn the_speed_up_table_gives_each_runtime_its_own_ratio() {
        use crate::sample::Sample;
        use crate::workloads::all;

        let mut report = fake_report(2, [10, 20, 40]);
        let sample = |ms: u64| Sample {
            wall: std::time::Duration::from_millis(ms),
            cpu: std::time::Duration::from_millis(ms),
        };
        let mut fan_out = report.workloads[0].clone();
        fan_out.workload = *all()
            .iter()
            .find(|w| w.name == "cpu_fan_out")
            .expect("cpu_fan_out");
        assert!(fan_out.workload.one_worker);
        fan_out.one_worker = Some([20, 30, 40].map(|ms| Ok(vec![sample(ms), sample(ms)])));
        report.workloads.push(fan_out);
        let md = to_markdown(&report);
        let (_, speed_up) = md.split_once("## Speed-up over one worker").expect(&md);
        let row = speed_up
            .lines()
            .find(|l| l.starts_with("| cpu_fan_out"))
            .expect(speed_up);
        // t(1 worker) / t(2 workers): 20/10, 30/20, 40/40.
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert!(
            cells[3].starts_with("2.00x (2.00–2.00); 1 worker: "),
            "{row}"
        );
        assert!(
            cells[4].starts_with("1.50x (1.50–1.50); 1 worker: "),
            "{row}"
        );
        assert!(
            cells[5].starts_with("1.00x (1.00–1.00); 1 worker: "),
            "{row}"
        );
        assert!(!speed_up.contains("| yield_many"), "{speed_up}");
        let json = crate::report::to_json(&report);
        assert!(json.contains("\"speed_up_of_medians\": 2\n"), "{json}");
    }

    #[test]
    fn the_http_row_gives_requests_per_second_p99_and_the_ratios() {
        use crate::workloads::http::{HttpResult, WrkRun};

        let run = |rps: f64, p99_ms: f64| WrkRun {
            requests_per_sec: rps,
            p50_ns: 500_000.0,
            p99_ns: p99_ms * 1e6,
            requests: 1000,
            errors: 0,
        };
        let mut report = fake_report(2, [10, 20, 40]);
        report.http = Some(Ok(HttpResult {
            seconds: 10,
            rounds: 1,
            workers: 2,
            runs: [Ok(vec![run(50_000.0, 2.0)]), Ok(vec![run(40_000.0, 4.0)])],
        }));
        let md = to_markdown(&report);
        let (_, http) = md.split_once("## HTTP").expect(&md);
        let weft = http.lines().find(|l| l.starts_with("| weft")).expect(http);
        assert!(weft.contains("| 50000 (50000–50000) |"), "{weft}");
        assert!(weft.contains("| 2.00 ms (2.00 ms–2.00 ms) |"), "{weft}");
        assert!(http.contains("requests/s **1.25**"), "{http}");
        assert!(http.contains("p99 latency **0.50**"), "{http}");

        report.http = Some(Err("wrk is not installed".to_owned()));
        assert!(to_markdown(&report).contains("Skipped: wrk is not installed."));
    }

    #[test]
    fn tables_line_up() {
        let t = table(
            &["a", "bee"],
            &[
                vec!["1.2 µs".into(), "x".into()],
                vec!["3".into(), "–".into()],
            ],
        );
        let widths: Vec<usize> = t.lines().map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{t}");
        assert!(t.starts_with("| a      | bee |\n|--------|-----|\n"), "{t}");
    }
}

//! The benchmark harness: `cargo xtask bench` runs it (see the crate docs of `weft_benches`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use weft_benches::harness::{self, Config};
use weft_benches::machine::{self, MachineInfo};
use weft_benches::memory::CountingAlloc;
use weft_benches::report::{self, Report};
use weft_benches::rt::Which;
use weft_benches::workloads::{self, Params};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const USAGE: &str = "\
usage: weft-benches [--quick] [--workers N[,N..]] [--reps N] [--filter NAME[,NAME..]] [--out DIR]

  --quick        fewer repetitions and smaller sizes (about a minute on 2 cores)
  --workers N    worker threads of every runtime (default 2); several (2,4,8,16) run the
                 suite once per count, into DIR/workers-N/, and write DIR/scaling.md
  --reps N       timed repetitions per runtime per workload (default 9 quick, 21 full)
  --filter ..    only the workloads whose names contain one of these (e.g. spawn,queue,memory)
  --out DIR      where report.md, report.json and ratios.svg go (default target/bench)

Run it through `cargo xtask bench`, which builds it in release first.";

struct Args {
    quick: bool,
    /// One suite per count.
    workers: Vec<usize>,
    reps: Option<usize>,
    filter: Vec<String>,
    out: PathBuf,
    /// Internal: be the peak-RSS child for this runtime.
    child_rss: Option<String>,
    tasks: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        quick: false,
        workers: vec![2],
        reps: None,
        filter: Vec::new(),
        out: PathBuf::from("target/bench"),
        child_rss: None,
        tasks: 100_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| -> Result<usize, String> {
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name} wants a positive number, got `{v}`")),
            }
        };
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--workers" => {
                args.workers = value("--workers")?
                    .split(',')
                    .map(|v| number("--workers", v.to_owned()))
                    .collect::<Result<_, _>>()?;
            }
            "--reps" => args.reps = Some(number("--reps", value("--reps")?)?),
            "--filter" => {
                args.filter = value("--filter")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--child-rss" => args.child_rss = Some(value("--child-rss")?),
            "--tasks" => args.tasks = number("--tasks", value("--tasks")?)?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

/// Runs this binary again as the peak-RSS child for `which`.
fn spawn_rss_child(which: Which, workers: usize, tasks: usize) -> Result<(u64, u64), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = Command::new(exe)
        .args(["--child-rss", which.name()])
        .args(["--workers", &workers.to_string()])
        .args(["--tasks", &tasks.to_string()])
        .output()
        .map_err(|e| format!("starting the child: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<u64> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
    };
    match (field("rss_before"), field("peak")) {
        (Some(before), Some(peak)) => Ok((before, peak)),
        _ => Err(format!("unexpected child output `{}`", text.trim())),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(name) = &args.child_rss {
        let Some(which) = Which::from_name(name) else {
            eprintln!("error: no runtime called `{name}`");
            return ExitCode::from(2);
        };
        let (before, peak) = harness::child_rss(which, args.workers[0], args.tasks);
        println!("rss_before={before} peak={peak}");
        return ExitCode::SUCCESS;
    }

    match run_and_write(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One suite per worker count; with one count its report goes to `--out`, with several each
/// goes to `--out/workers-N/` and `--out/scaling.md` sets them side by side.
fn run_and_write(args: &Args) -> Result<(), String> {
    if let [workers] = args.workers[..] {
        let report = run_suite(args, workers);
        println!("{}", report::to_markdown(&report));
        return write_report(&report, &args.out);
    }
    let mut reports = Vec::new();
    for &workers in &args.workers {
        let report = run_suite(args, workers);
        write_report(&report, &args.out.join(format!("workers-{workers}")))?;
        reports.push(report);
    }
    let md = report::to_scaling_markdown(&reports);
    println!("{md}");
    write_file(&args.out.join("scaling.md"), md)
}

fn write_file(path: &Path, text: String) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Runs every selected workload, the queues and the memory probes with `workers` worker
/// threads per runtime.
fn run_suite(args: &Args, workers: usize) -> Report {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let cfg = Config {
        workers,
        reps: args.reps.unwrap_or(if args.quick { 9 } else { 21 }),
        quick: args.quick,
        params: Params {
            // `mixed`: one CPU-bound task per worker.
            mixed_cpu_tasks: workers,
            ..if args.quick {
                Params::quick()
            } else {
                Params::full()
            }
        },
        queue_ops: if args.quick { 1_000_000 } else { 4_000_000 },
        memory_tasks: 100_000,
        waiter_tasks: 10_000,
        filter: args.filter.clone(),
    };
    let command = std::env::var("WEFT_BENCH_COMMAND").unwrap_or_else(|_| {
        let argv: Vec<String> = std::env::args().collect();
        argv.join(" ")
    });

    let machine = MachineInfo::collect();
    let cross_core = machine::cross_core_round_trip(5, if cfg.quick { 50_000 } else { 200_000 });
    eprintln!(
        "weft-benches: {} mode, {} workers, {} reps; cross-core round trip {}",
        if cfg.quick { "quick" } else { "full" },
        cfg.workers,
        cfg.reps,
        cross_core
            .as_ref()
            .map_or("n/a".to_owned(), |s| weft_benches::stats::fmt_ns(s.median))
    );

    let results: Vec<_> = workloads::all()
        .iter()
        .filter(|w| cfg.selects(w.name))
        .map(|w| harness::run_workload(w, &cfg))
        .collect();
    let http = cfg.selects(workloads::http::NAME).then(|| {
        let result = workloads::http::run(cfg.workers, cfg.quick);
        eprintln!("{}", workloads::http::progress_line(&result));
        result
    });
    let queues = harness::run_queues(&cfg);
    let memory = harness::run_memory(&cfg, |which| {
        spawn_rss_child(which, cfg.workers, cfg.params.spawn_tasks)
    });

    Report {
        started_unix,
        took: started.elapsed(),
        command,
        config: cfg,
        machine,
        cross_core,
        workloads: results,
        queues,
        memory,
        http,
    }
}

/// Writes report.md, report.json and ratios.svg into `dir`.
fn write_report(report: &Report, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    write_file(&dir.join("report.md"), report::to_markdown(report))?;
    write_file(&dir.join("report.json"), report::to_json(report))?;
    write_file(&dir.join("ratios.svg"), report::to_svg(report))
}

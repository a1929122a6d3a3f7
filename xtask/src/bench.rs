//! `cargo xtask bench [--quick] [--workers N[,N..]] [--reps N] [--filter NAME[,NAME..]]`: weft
//! against tokio and smol, side by side. Builds `weft-benches` in release, runs it,
//! and checks that it wrote the report: `target/bench/{report.md, report.json, ratios.svg}`,
//! or with several worker counts (`--workers 2,4,8,16`, for a many-core machine) one such
//! report per count in `target/bench/workers-N/` and `target/bench/scaling.md`.

use std::path::PathBuf;

use crate::cmd::{Cmd, Done, Result, Steps};

const PACKAGE: &str = "weft-benches";
const FILES: [&str; 3] = ["report.md", "report.json", "ratios.svg"];

/// What `cargo xtask bench` was asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    quick: bool,
    workers: Option<String>,
    reps: Option<String>,
    filter: Option<String>,
}

fn parse(args: &[&str]) -> Result<Options> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(&arg) = it.next() {
        let mut value = |name: &str| -> Result<String> {
            let v = it.next().ok_or(format!("`{name}` needs a value"))?;
            Ok((*v).to_owned())
        };
        let positive = |name: &str, v: String| -> Result<String> {
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(v),
                _ => Err(format!("`{name}` wants a positive number, got `{v}`")),
            }
        };
        match arg {
            "--quick" => opts.quick = true,
            "--workers" => {
                let list = value("--workers")?;
                for count in list.split(',') {
                    positive("--workers", count.to_owned())?;
                }
                opts.workers = Some(list);
            }
            "--reps" => opts.reps = Some(positive("--reps", value("--reps")?)?),
            "--filter" => opts.filter = Some(value("--filter")?),
            other => {
                return Err(format!(
                    "unexpected argument to `bench`: `{other}` \
                     (usage: cargo xtask bench [--quick] [--workers N[,N..]] [--reps N] \
                     [--filter NAME,..])"
                ))
            }
        }
    }
    Ok(opts)
}

/// The harness's arguments for `opts`, writing to `out`.
fn harness_args(opts: &Options, out: &str) -> Vec<String> {
    let mut args = vec!["--out".to_owned(), out.to_owned()];
    if opts.quick {
        args.push("--quick".to_owned());
    }
    // Default 2 workers: the size of the machines the numbers are meant for.
    args.push("--workers".to_owned());
    args.push(opts.workers.clone().unwrap_or_else(|| "2".to_owned()));
    for (flag, value) in [("--reps", &opts.reps), ("--filter", &opts.filter)] {
        if let Some(v) = value {
            args.push(flag.to_owned());
            args.push(v.clone());
        }
    }
    args
}

/// `$CARGO_TARGET_DIR`, or `target` under the workspace root (where every command runs).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("target"),
    }
}

pub(crate) fn run(steps: &mut Steps, args: &[&str]) -> Result {
    let opts = parse(args)?;
    let out = target_dir().join("bench");
    let out_str = out.to_string_lossy().into_owned();
    let shown = std::iter::once("cargo xtask bench")
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");

    if selects_http(&opts) {
        steps.step("wrk", |_| Ok(install_wrk()))?;
    }
    steps.run(
        "bench build",
        &Cmd::cargo().args(["build", "--release", "-p", PACKAGE]),
    )?;
    let run = Cmd::cargo()
        .args(["run", "--release", "-q", "-p", PACKAGE, "--"])
        .args(harness_args(&opts, &out_str))
        .env("WEFT_BENCH_COMMAND", shown);
    steps.run("bench run", &run)?;
    let expected = expected_files(&opts);
    steps.step("bench report", |root| {
        let dir = root.join(&out);
        for file in &expected {
            let path = dir.join(file);
            let len = std::fs::metadata(&path)
                .map_err(|e| format!("the harness did not write {}: {e}", path.display()))?
                .len();
            eprintln!("{} ({len} bytes)", path.display());
        }
        Ok(Done::Ran)
    })
}

/// Whether the run includes the `http` row (which drives its servers with wrk).
fn selects_http(opts: &Options) -> bool {
    opts.filter
        .as_deref()
        .is_none_or(|f| f.split(',').any(|name| "http".contains(name.trim())))
}

/// Makes sure wrk is there for the `http` row: installs it from Debian's packages when it is
/// missing. Never fails the run: without wrk the harness skips the row and says why.
fn install_wrk() -> Done {
    let has_wrk = || {
        std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok()
    };
    if has_wrk() {
        return Done::Skipped;
    }
    eprintln!(
        "wrk is not installed; trying `apt-get update && apt-get install -y wrk` for the http row"
    );
    let apt = |args: &[&str]| {
        std::process::Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = apt(&["update", "-q"]) && apt(&["install", "-y", "-q", "wrk"]);
    if !installed || !has_wrk() {
        eprintln!("could not install wrk: the http row will be skipped");
    }
    Done::Ran
}

/// The files the harness writes under the output directory for `opts`.
fn expected_files(opts: &Options) -> Vec<String> {
    let counts: Vec<&str> = opts
        .workers
        .as_deref()
        .map_or(vec!["2"], |w| w.split(',').collect());
    if let [_] = counts[..] {
        return FILES.iter().map(|f| (*f).to_owned()).collect();
    }
    counts
        .iter()
        .flat_map(|n| FILES.iter().map(move |f| format!("workers-{n}/{f}")))
        .chain(std::iter::once("scaling.md".to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        assert_eq!(parse(&[]).unwrap(), Options::default());
        let opts = parse(&["--quick", "--workers", "4", "--filter", "spawn,queue"]).unwrap();
        assert!(opts.quick);
        assert_eq!(
            harness_args(&opts, "target/bench"),
            [
                "--out",
                "target/bench",
                "--quick",
                "--workers",
                "4",
                "--filter",
                "spawn,queue"
            ]
        );
        assert!(parse(&["--workers", "0"]).is_err());
        assert!(parse(&["--workers", "2,0"]).is_err());
        assert!(parse(&["--workers", "2,x"]).is_err());
        assert!(parse(&["--workers"]).is_err());
        assert!(parse(&["--fast"]).is_err());
    }

    #[test]
    fn several_worker_counts_write_a_report_each_and_the_scaling_table() {
        let opts = parse(&["--workers", "2,16"]).unwrap();
        assert_eq!(
            harness_args(&opts, "o"),
            ["--out", "o", "--workers", "2,16"]
        );
        assert_eq!(
            expected_files(&opts),
            [
                "workers-2/report.md",
                "workers-2/report.json",
                "workers-2/ratios.svg",
                "workers-16/report.md",
                "workers-16/report.json",
                "workers-16/ratios.svg",
                "scaling.md"
            ]
        );
        assert_eq!(expected_files(&Options::default()), FILES);
    }

    #[test]
    fn the_http_row_is_selected_by_default_and_by_its_name() {
        assert!(selects_http(&Options::default()));
        assert!(selects_http(&parse(&["--filter", "spawn,http"]).unwrap()));
        assert!(!selects_http(&parse(&["--filter", "spawn,queue"]).unwrap()));
    }

    #[test]
    fn two_workers_by_default() {
        let args = harness_args(&Options::default(), "o");
        assert_eq!(args, ["--out", "o", "--workers", "2"]);
    }
}

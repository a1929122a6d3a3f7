//! weft's automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! std only, by design: this crate is compiled on every call, so it stays light.
//! Every command is echoed before it runs, the first failure stops the run with
//! a non-zero exit, and the last line says how long each step took.

mod bench;
mod cmd;
mod leak;
mod lint;
mod loom;
mod test;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use cmd::{Result, Steps};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test           cargo test --workspace --all-targets
                 cargo test --workspace --doc
                 cargo test -p weft-reactor -p weft --features weft/backend-polling,weft/tracing
                 cargo test --workspace --release --test 'stress*'
  loom [FILTER]  RUSTFLAGS='--cfg weft_loom -C debug-assertions' CARGO_PROFILE_RELEASE_LTO=false
                 LOOM_MAX_PREEMPTIONS=<the file's `// loom-preemptions: N` line, else 2> (unless set)
                   cargo build --workspace --exclude xtask --exclude weft-benches --release --target-dir target/loom
                     --lib --bins --test loom_<name>..   (every crates/<crate>/tests/loom_<name>.rs)
                   then each model's executable, one per CPU at a time, in its crate's directory:
                   target/loom/release/deps/loom_<name>-<hash> [FILTER]
                   (one by hand: cargo test -p <crate> --release --test loom_<name> --target-dir target/loom)
                 (other LOOM_* variables, e.g. LOOM_MAX_BRANCHES, pass through from the environment)
  lint           cargo fmt --all -- --check
                 cargo clippy --workspace --all-targets -- -D warnings   (incl. the MSRV check)
                 RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps --exclude xtask
  ci             lint, then test, then loom (what .ci/run calls)
  leak           cargo build --release -p weft --example leak_check, then
                 valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \\
                   target/release/examples/leak_check
                 fails if any bytes are definitely lost
  bench [--quick] [--workers N[,N..]] [--reps N] [--filter NAME,..]
                 cargo build --release -p weft-benches
                 cargo run --release -p weft-benches -- --out target/bench [--quick] --workers N (default 2)
                 weft vs tokio vs smol on the same workloads; prints the table and writes
                 target/bench/report.md, report.json and ratios.svg (--quick: about a minute);
                 several counts (--workers 2,4,8,16) write target/bench/workers-N/ each and
                 target/bench/scaling.md
  help           this text (also -h, --help)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (task, rest) = match args.split_first() {
        None => return usage_ok(),
        Some((&task, rest)) => (task, rest),
    };
    if matches!(task, "help" | "-h" | "--help") {
        return usage_ok();
    }

    let mut steps = Steps::new(workspace_root());
    let result = match (task, rest) {
        ("test", []) => test::run(&mut steps),
        ("loom", []) => loom::run(&mut steps, None),
        ("loom", [filter]) => loom::run(&mut steps, Some(filter)),
        ("lint", []) => lint::run(&mut steps),
        ("ci", []) => ci(&mut steps),
        ("leak", []) => leak::run(&mut steps),
        ("bench", rest) => bench::run(&mut steps, rest),
        ("test" | "loom" | "lint" | "ci" | "leak", _) => {
            eprintln!(
                "error: unexpected arguments to `{task}`: {}\n\n{USAGE}",
                rest.join(" ")
            );
            return ExitCode::from(2);
        }
        _ => {
            eprintln!("error: unknown command `{task}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    if let Err(message) = &result {
        eprintln!("\nerror: {message}");
    }
    if steps.has_steps() {
        eprintln!("\n{}", steps.summary(task));
    }
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn ci(steps: &mut Steps) -> Result {
    lint::run(steps)?;
    test::run(steps)?;
    loom::run(steps, None)
}

fn usage_ok() -> ExitCode {
    print!("{USAGE}");
    ExitCode::SUCCESS
}

/// The directory above `xtask/`. `cargo run` sets `CARGO_MANIFEST_DIR` for the
/// binary it runs; the compile-time value covers running the binary directly.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

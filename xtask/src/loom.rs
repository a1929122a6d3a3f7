//! `cargo xtask loom [FILTER]`: every loom model in the workspace.
//!
//! Models live in `crates/<crate>/tests/loom_<name>.rs`, each starting with
//! `#![cfg(weft_loom)]` so that plain `cargo test` compiles them to nothing.
//! They run in release (loom explores many interleavings) with debug
//! assertions back on, in their own target dir so switching cfg does not
//! throw away the normal build.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, Done, Result, Steps};
use crate::workspace;

const TARGET_DIR: &str = "target/loom";
const RUSTFLAGS: &str = "--cfg weft_loom -C debug-assertions";
const CFG_LINE: &str = "#![cfg(weft_loom)]";
/// Loom's own default is unbounded, which is too slow to run on every CI push.
const DEFAULT_PREEMPTIONS: &str = "2";

/// One loom test target.
#[derive(Debug)]
struct Model {
    package: String,
    name: String,
}

pub(crate) fn run(steps: &mut Steps, filter: Option<&str>) -> Result {
    let models = models(steps.root())?;
    // The same flags for the build and the tests, so the tests reuse the build.
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(theirs) if !theirs.trim().is_empty() => format!("{RUSTFLAGS} {theirs}"),
        _ => RUSTFLAGS.to_owned(),
    };
    let preemptions =
        std::env::var("LOOM_MAX_PREEMPTIONS").unwrap_or_else(|_| DEFAULT_PREEMPTIONS.to_owned());

    // First: does every library still compile with loom switched in?
    // xtask is not a library and ignores the cfg: skip building it again.
    let build = Cmd::cargo()
        .env("RUSTFLAGS", &rustflags)
        .args([
            "build",
            "--workspace",
            "--exclude",
            "xtask",
            "--exclude",
            "weft-benches",
            "--release",
        ])
        .args(["--target-dir", TARGET_DIR]);
    steps.run("loom build", &build)?;

    if models.is_empty() {
        return steps.step("loom models", |_| {
            eprintln!("note: no loom models yet (crates/*/tests/loom_*.rs), nothing to run");
            Ok(Done::Skipped)
        });
    }
    // One test target at a time, so the summary times each model file.
    for model in &models {
        let mut cmd = Cmd::cargo()
            .env("RUSTFLAGS", &rustflags)
            .env("LOOM_MAX_PREEMPTIONS", &preemptions)
            .args([
                "test",
                "-p",
                &model.package,
                "--release",
                "--test",
                &model.name,
            ])
            .args(["--target-dir", TARGET_DIR]);
        if let Some(filter) = filter {
            cmd = cmd.args(["--", filter]);
        }
        steps.run(&format!("{}/{}", model.package, model.name), &cmd)?;
    }
    Ok(())
}

/// Every `crates/*/tests/loom_*.rs` (or `tests/loom_*/main.rs`), in path order.
fn models(root: &Path) -> Result<Vec<Model>> {
    let mut models = Vec::new();
    for package in workspace::packages(root)? {
        for path in workspace::sorted_entries(&package.dir.join("tests"))? {
            let Some((name, source)) = loom_target(&path) else {
                continue;
            };
            let text = fs::read_to_string(&source)
                .map_err(|e| format!("reading {}: {e}", source.display()))?;
            if !text.lines().any(|line| line.trim() == CFG_LINE) {
                return Err(format!(
                    "{}: a loom model needs `{CFG_LINE}` (right after its `//!` docs), \
                     or plain `cargo test` builds it without loom",
                    source.display()
                ));
            }
            models.push(Model {
                package: package.name.clone(),
                name,
            });
        }
    }
    Ok(models)
}

/// The target name and source file if `path` is a loom test target.
fn loom_target(path: &Path) -> Option<(String, PathBuf)> {
    let file_name = path.file_name()?.to_str()?;
    if !file_name.starts_with("loom_") {
        return None;
    }
    if path.is_dir() {
        let main = path.join("main.rs");
        main.is_file().then(|| (file_name.to_owned(), main))
    } else {
        let name = file_name.strip_suffix(".rs")?;
        Some((name.to_owned(), path.to_owned()))
    }
}

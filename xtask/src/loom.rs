//! `cargo xtask loom [FILTER]`: every loom model in the workspace.
//!
//! Models live in `crates/<crate>/tests/loom_<name>.rs`, each starting with
//! `#![cfg(weft_loom)]` so that plain `cargo test` compiles them to nothing.
//! They run in release (loom explores many interleavings) with debug
//! assertions back on, in their own target dir so switching cfg does not
//! throw away the normal build.
//!
//! Each file runs at `LOOM_MAX_PREEMPTIONS=2` unless its header (the lines
//! up to `#![cfg(weft_loom)]`) has a `// loom-preemptions: N` line: models
//! cheap enough to search deeper say so where they are written. A
//! `LOOM_MAX_PREEMPTIONS` set by the caller overrides every file.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::{Cmd, Done, Result, Steps};
use crate::workspace;

const TARGET_DIR: &str = "target/loom";
const RUSTFLAGS: &str = "--cfg weft_loom -C debug-assertions";
const CFG_LINE: &str = "#![cfg(weft_loom)]";
/// Loom's own default is unbounded, which is too slow to run on every CI push.
const DEFAULT_PREEMPTIONS: u32 = 2;
/// A model file's own bound, in its header: `// loom-preemptions: 3`.
const PREEMPTIONS_MARKER: &str = "// loom-preemptions:";

/// One loom test target.
#[derive(Debug)]
struct Model {
    package: String,
    name: String,
    /// From the file's `// loom-preemptions: N` line, if it has one.
    preemptions: Option<u32>,
}

pub(crate) fn run(steps: &mut Steps, filter: Option<&str>) -> Result {
    let models = models(steps.root())?;
    // The same flags for the build and the tests, so the tests reuse the build.
    let rustflags = match std::env::var("RUSTFLAGS") {
        Ok(theirs) if !theirs.trim().is_empty() => format!("{RUSTFLAGS} {theirs}"),
        _ => RUSTFLAGS.to_owned(),
    };
    // The caller's bound, if any, wins over every file's own.
    let forced = std::env::var("LOOM_MAX_PREEMPTIONS")
        .ok()
        .filter(|v| !v.trim().is_empty());

    // The release profile's thin LTO costs ~15 s of linking per model file and buys the
    // models nothing measurable (their time is spent in loom's own scheduler, inlined into
    // each test crate anyway): 19 s -> 5 s to rebuild one model file.
    const NO_LTO: (&str, &str) = ("CARGO_PROFILE_RELEASE_LTO", "false");

    // First: does every library still compile with loom switched in?
    // xtask is not a library and ignores the cfg: skip building it again.
    let build = Cmd::cargo()
        .env("RUSTFLAGS", &rustflags)
        .env(NO_LTO.0, NO_LTO.1)
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
        let preemptions = forced
            .clone()
            .unwrap_or_else(|| model.preemptions.unwrap_or(DEFAULT_PREEMPTIONS).to_string());
        let mut cmd = Cmd::cargo()
            .env("RUSTFLAGS", &rustflags)
            .env(NO_LTO.0, NO_LTO.1)
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
        let step = format!(
            "{}/{} (preemptions {preemptions})",
            model.package, model.name
        );
        steps.run(&step, &cmd)?;
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
            let preemptions =
                preemptions_marker(&text).map_err(|e| format!("{}: {e}", source.display()))?;
            models.push(Model {
                package: package.name.clone(),
                name,
                preemptions,
            });
        }
    }
    Ok(models)
}

/// The bound a model file asks for in its header (the lines up to
/// `#![cfg(weft_loom)]`): `// loom-preemptions: N`.
fn preemptions_marker(text: &str) -> Result<Option<u32>> {
    for line in text.lines() {
        let line = line.trim();
        if line == CFG_LINE {
            break;
        }
        if let Some(value) = line.strip_prefix(PREEMPTIONS_MARKER) {
            return match value.trim().parse() {
                Ok(n) => Ok(Some(n)),
                Err(_) => Err(format!(
                    "`{line}`: expected `{PREEMPTIONS_MARKER} N` with N a small number"
                )),
            };
        }
    }
    Ok(None)
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

#[cfg(test)]
mod tests {
    use super::preemptions_marker;

    #[test]
    fn the_marker_is_read_from_the_header_only() {
        let marked = "//! A model.\n// loom-preemptions: 3\n#![cfg(weft_loom)]\n";
        assert_eq!(preemptions_marker(marked), Ok(Some(3)));
        let unmarked = "//! A model.\n#![cfg(weft_loom)]\n// loom-preemptions: 3\n";
        assert_eq!(preemptions_marker(unmarked), Ok(None));
        assert!(preemptions_marker("// loom-preemptions: lots\n#![cfg(weft_loom)]").is_err());
    }
}

//! `cargo xtask loom [FILTER]`: every loom model in the workspace.
//!
//! Models live in `crates/<crate>/tests/loom_<name>.rs`, each starting with
//! `#![cfg(weft_loom)]` so that plain `cargo test` compiles them to nothing.
//! They run in release (loom explores many interleavings) with debug
//! assertions back on, in their own target dir so switching cfg does not
//! throw away the normal build. One `cargo build` compiles every library and
//! every model file; then the model executables run side by side, one per CPU,
//! each timed as its own step.
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
    /// The package's directory, where the model runs (as under `cargo test`).
    dir: PathBuf,
    name: String,
    /// The target's source file, to find its executable in cargo's output.
    source: PathBuf,
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

    // One build: every library and binary (do they still compile with loom switched in?)
    // and every model, so cargo compiles the model files side by side. Its JSON names
    // each model's executable. xtask is not a library and ignores the cfg: skip it.
    let mut build = Cmd::cargo()
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
            "--lib",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .args(["--target-dir", TARGET_DIR]);
    for model in &models {
        build = build.args(["--test", &model.name]);
    }
    let mut artifacts = String::new();
    steps.step("loom build", |root| {
        artifacts = build.run_stdout(root)?;
        Ok(Done::Ran)
    })?;

    if models.is_empty() {
        return steps.step("loom models", |_| {
            eprintln!("note: no loom models yet (crates/*/tests/loom_*.rs), nothing to run");
            Ok(Done::Skipped)
        });
    }
    // The model files run side by side, one per CPU (loom is single-threaded; a file's
    // tests share the CPUs through the test harness as usual). Each is a step of its own,
    // so the summary times each model file.
    let mut jobs = Vec::new();
    for model in &models {
        let preemptions = forced
            .clone()
            .unwrap_or_else(|| model.preemptions.unwrap_or(DEFAULT_PREEMPTIONS).to_string());
        let executable = executable(&artifacts, &model.source)?;
        let mut cmd = Cmd::new(&executable).env("LOOM_MAX_PREEMPTIONS", &preemptions);
        if let Some(filter) = filter {
            cmd = cmd.arg(filter);
        }
        let step = format!(
            "{}/{} (preemptions {preemptions})",
            model.package, model.name
        );
        jobs.push((step, cmd, model.dir.clone()));
    }
    let width = std::thread::available_parallelism().map_or(1, usize::from);
    steps.run_parallel(jobs, width)
}

/// The executable cargo built for the test target whose source is `source`, from the
/// `compiler-artifact` lines of `cargo build --message-format=json`.
fn executable(artifacts: &str, source: &Path) -> Result<String> {
    let wanted = fs::canonicalize(source).unwrap_or_else(|_| source.to_owned());
    for line in artifacts.lines() {
        if !line.contains(r#""reason":"compiler-artifact""#) {
            continue;
        }
        let (Some(src), Some(exe)) = (json_str(line, "src_path"), json_str(line, "executable"))
        else {
            continue;
        };
        let built = fs::canonicalize(&src).unwrap_or_else(|_| PathBuf::from(&src));
        if built == wanted {
            return Ok(exe);
        }
    }
    Err(format!(
        "cargo built no executable for {}",
        source.display()
    ))
}

/// The string value of the first `"key":"..."` in one line of cargo's JSON (enough for
/// paths: only `\\` and `\"` are unescaped).
fn json_str(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
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
                dir: package.dir.clone(),
                name,
                source,
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
    use super::{json_str, preemptions_marker};

    #[test]
    fn reads_string_fields_of_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"loom_x","src_path":"/w/a \"q\"\\b.rs"},"executable":"/w/target/loom_x-1"}"#;
        assert_eq!(
            json_str(line, "src_path").as_deref(),
            Some(r#"/w/a "q"\b.rs"#)
        );
        assert_eq!(
            json_str(line, "executable").as_deref(),
            Some("/w/target/loom_x-1")
        );
        let lib = r#"{"reason":"compiler-artifact","executable":null}"#;
        assert_eq!(json_str(lib, "executable"), None);
        assert_eq!(json_str(r#"{"executable":"/cut"#, "executable"), None);
    }

    #[test]
    fn the_marker_is_read_from_the_header_only() {
        let marked = "//! A model.\n// loom-preemptions: 3\n#![cfg(weft_loom)]\n";
        assert_eq!(preemptions_marker(marked), Ok(Some(3)));
        let unmarked = "//! A model.\n#![cfg(weft_loom)]\n// loom-preemptions: 3\n";
        assert_eq!(preemptions_marker(unmarked), Ok(None));
        assert!(preemptions_marker("// loom-preemptions: lots\n#![cfg(weft_loom)]").is_err());
    }
}

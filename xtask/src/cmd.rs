//! Running commands: echo them, time them, stop at the first failure, and
//! summarise every step on one line at the end.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Errors are messages for a human; xtask never recovers from one.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

/// A command to run: a program, its arguments, and the environment
/// variables xtask sets on top of its own.
#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    program: OsString,
    /// What the echo shows instead of `program` (`cargo`, not the full `$CARGO` path).
    shown: String,
    args: Vec<OsString>,
    envs: Vec<(String, OsString)>,
    is_cargo: bool,
}

impl Cmd {
    pub(crate) fn new(program: &str) -> Cmd {
        Cmd {
            program: program.into(),
            shown: program.to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            is_cargo: false,
        }
    }

    /// Cargo as `$CARGO` (set by `cargo run`, so the same toolchain runs
    /// everything), falling back to `cargo` on `PATH`.
    pub(crate) fn cargo() -> Cmd {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Cmd {
            program,
            shown: "cargo".to_owned(),
            is_cargo: true,
            ..Cmd::new("cargo")
        }
    }

    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    pub(crate) fn args<I>(mut self, args: I) -> Cmd
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn env(mut self, key: &str, value: impl Into<OsString>) -> Cmd {
        self.envs.push((key.to_owned(), value.into()));
        self
    }

    /// Runs the command in `dir` with inherited stdio; an error unless it exits 0.
    pub(crate) fn run(&self, dir: &Path) -> Result {
        let status = self
            .command(dir)
            .status()
            .map_err(|e| self.spawn_error(&e))?;
        self.check(status)
    }

    /// Runs the command in `dir` with stderr inherited, returning its stdout; an error
    /// unless it exits 0.
    pub(crate) fn run_stdout(&self, dir: &Path) -> Result<String> {
        let output = self
            .command(dir)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| self.spawn_error(&e))?;
        self.check(output.status)?;
        String::from_utf8(output.stdout).map_err(|e| format!("`{self}` wrote non-UTF-8: {e}"))
    }

    /// Runs the command in `dir` with stdout and stderr captured, for callers that
    /// print them later (commands running side by side).
    fn output(&self, dir: &Path) -> Result<Output> {
        self.command(dir).output().map_err(|e| self.spawn_error(&e))
    }

    /// Runs the command in `dir`, copying its stderr through to ours as it
    /// comes and also returning it, for callers that must read what it said.
    pub(crate) fn run_tee_stderr(&self, dir: &Path) -> Result<(ExitStatus, String)> {
        let mut command = self.command(dir);
        command.stderr(Stdio::piped());
        // A pipe is not a terminal, so cargo would drop its colours; keep them
        // when ours is one and the user has not chosen.
        if self.is_cargo
            && io::stderr().is_terminal()
            && std::env::var_os("CARGO_TERM_COLOR").is_none()
        {
            command.env("CARGO_TERM_COLOR", "always");
        }
        let mut child = command.spawn().map_err(|e| self.spawn_error(&e))?;
        let mut pipe = child.stderr.take().ok_or("child stderr was not piped")?;
        let mut captured = Vec::new();
        let mut buf = [0u8; 8192];
        let mut stderr = io::stderr();
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("reading stderr of `{self}`: {e}")),
            };
            // Losing our own stderr must not lose the child's exit status.
            let _ = stderr.write_all(&buf[..n]);
            captured.extend_from_slice(&buf[..n]);
        }
        let status = child
            .wait()
            .map_err(|e| format!("waiting for `{self}`: {e}"))?;
        Ok((status, String::from_utf8_lossy(&captured).into_owned()))
    }

    /// An error naming the command unless `status` is success.
    pub(crate) fn check(&self, status: ExitStatus) -> Result {
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{self}` failed ({status})"))
        }
    }

    fn command(&self, dir: &Path) -> Command {
        eprintln!("$ {self}");
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(dir);
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    fn spawn_error(&self, e: &io::Error) -> String {
        format!("could not start `{self}`: {e}")
    }
}

/// The echo: `KEY=value ... program args`, quoted so it can be pasted into a shell.
impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (key, value) in &self.envs {
            write!(f, "{key}={} ", quote(&value.to_string_lossy()))?;
        }
        f.write_str(&self.shown)?;
        for arg in &self.args {
            write!(f, " {}", quote(&arg.to_string_lossy()))?;
        }
        Ok(())
    }
}

/// Single-quotes `s` for a POSIX shell when it holds anything but plain characters.
pub(crate) fn quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// How a step ended, for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    Ran,
    Skipped,
}

#[derive(Debug)]
struct Step {
    name: String,
    took: Duration,
    outcome: Option<Done>, // `None`: failed
}

/// The steps of one `cargo xtask` call, in order, with their timings.
#[derive(Debug)]
pub(crate) struct Steps {
    root: PathBuf,
    start: Instant,
    log: Vec<Step>,
}

impl Steps {
    pub(crate) fn new(root: PathBuf) -> Steps {
        Steps {
            root,
            start: Instant::now(),
            log: Vec::new(),
        }
    }

    /// The workspace root, where every command runs.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Runs `body` as the step `name`, timing it and recording how it ended.
    pub(crate) fn step(&mut self, name: &str, body: impl FnOnce(&Path) -> Result<Done>) -> Result {
        let start = Instant::now();
        let result = body(&self.root);
        let outcome = result.as_ref().ok().copied();
        self.log.push(Step {
            name: name.to_owned(),
            took: start.elapsed(),
            outcome,
        });
        result.map(drop)
    }

    /// The common step: run one command, fail if it fails.
    pub(crate) fn run(&mut self, name: &str, cmd: &Cmd) -> Result {
        self.step(name, |root| cmd.run(root).map(|()| Done::Ran))
    }

    /// Runs `jobs` (step name, command, directory) `width` at a time, each a step of its
    /// own. A job's output is printed when it ends, in one piece. After the first failure
    /// no new job starts; the ones running finish, then every failure is reported.
    pub(crate) fn run_parallel(
        &mut self,
        jobs: Vec<(String, Cmd, PathBuf)>,
        width: usize,
    ) -> Result {
        let queue = Mutex::new(jobs.into_iter());
        let failed = AtomicBool::new(false);
        let mut failures = Vec::new();
        thread::scope(|scope| {
            let (done_tx, done_rx) = mpsc::channel();
            for _ in 0..width.max(1) {
                let done_tx = done_tx.clone();
                let (queue, failed) = (&queue, &failed);
                scope.spawn(move || {
                    while !failed.load(Ordering::Relaxed) {
                        let next = queue.lock().map(|mut jobs| jobs.next());
                        let Ok(Some((name, cmd, dir))) = next else {
                            break;
                        };
                        let start = Instant::now();
                        let output = cmd.output(&dir);
                        let error = match &output {
                            Ok(out) => cmd.check(out.status).err(),
                            Err(e) => Some(e.clone()),
                        };
                        if error.is_some() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        // The receiver lives until every sender is gone.
                        let _ = done_tx.send((name, cmd, start.elapsed(), output.ok(), error));
                    }
                });
            }
            drop(done_tx);
            for (name, cmd, took, output, error) in done_rx {
                let verdict = if error.is_none() { "ok" } else { "FAILED" };
                eprintln!("---- {name}: {verdict} in {} (`{cmd}`)", fmt_duration(took));
                if let Some(out) = output {
                    let _ = io::stdout().write_all(&out.stdout);
                    let _ = io::stderr().write_all(&out.stderr);
                }
                self.log.push(Step {
                    name: name.clone(),
                    took,
                    outcome: error.is_none().then_some(Done::Ran),
                });
                if let Some(e) = error {
                    failures.push(format!("{name}: {e}"));
                }
            }
        });
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }

    pub(crate) fn has_steps(&self) -> bool {
        !self.log.is_empty()
    }

    /// One line: overall result, total time, then every step with its time.
    pub(crate) fn summary(&self, task: &str) -> String {
        let failed = self.log.iter().any(|s| s.outcome.is_none());
        let verdict = if failed { "FAILED" } else { "ok" };
        let mut line = format!(
            "xtask {task}: {verdict} in {}",
            fmt_duration(self.start.elapsed())
        );
        for (i, step) in self.log.iter().enumerate() {
            line.push_str(if i == 0 { ": " } else { ", " });
            let _ = match step.outcome {
                Some(Done::Ran) => write!(line, "{} {}", step.name, fmt_duration(step.took)),
                Some(Done::Skipped) => write!(line, "{} skipped", step.name),
                None => write!(
                    line,
                    "{} FAILED after {}",
                    step.name,
                    fmt_duration(step.took)
                ),
            };
        }
        line
    }
}

/// `0.4s`, `12.3s`, `3m05s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_is_pasteable() {
        let cmd = Cmd::new("cargo")
            .env("RUSTFLAGS", "--cfg weft_loom")
            .args(["test", "--test", "stress*", "--", "it's"]);
        assert_eq!(
            cmd.to_string(),
            "RUSTFLAGS='--cfg weft_loom' cargo test --test 'stress*' -- 'it'\\''s'"
        );
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(fmt_duration(Duration::from_secs(185)), "3m05s");
    }

    #[test]
    fn summary_names_every_step() {
        let mut steps = Steps::new(PathBuf::from("."));
        steps.step("a", |_| Ok(Done::Ran)).unwrap();
        steps.step("b", |_| Ok(Done::Skipped)).unwrap();
        assert!(steps.step("c", |_| Err("boom".into())).is_err());
        let line = steps.summary("t");
        assert!(line.starts_with("xtask t: FAILED in "), "{line}");
        assert!(
            line.contains(": a 0.0s, b skipped, c FAILED after 0.0s"),
            "{line}"
        );
    }
}

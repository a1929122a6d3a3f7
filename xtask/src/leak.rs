//! `cargo xtask leak`: shutdown must free every task. Runs the `weft`
//! example `leak_check` under valgrind and fails on any definitely lost byte.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::cmd::{Cmd, Done, Result, Steps};

const PACKAGE: &str = "weft";
const EXAMPLE: &str = "leak_check";

pub(crate) fn run(steps: &mut Steps) -> Result {
    valgrind_installed()?;

    let build = ["build", "--release", "-p", PACKAGE, "--example", EXAMPLE];
    steps.run("leak build", &Cmd::cargo().args(build))?;
    let exe = target_dir().join("release/examples").join(EXAMPLE);
    steps.step("valgrind", |root| {
        let cmd = Cmd::new("valgrind")
            .args([
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
                "--error-exitcode=1",
            ])
            .arg(exe);
        let (status, stderr) = cmd.run_tee_stderr(root)?;
        let lost = definitely_lost(&stderr);
        if lost > 0 {
            return Err(format!(
                "valgrind: {lost} bytes definitely lost by `{EXAMPLE}`"
            ));
        }
        cmd.check(status).map(|()| Done::Ran)
    })
}

fn valgrind_installed() -> Result {
    let probe = Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match probe {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(
            "valgrind is not installed; on Debian/Ubuntu: `apt-get install valgrind`".to_owned(),
        ),
        Err(e) => Err(format!("could not run valgrind: {e}")),
    }
}

/// `$CARGO_TARGET_DIR`, else `target`; relative paths are relative to the
/// workspace root, where cargo and valgrind both run.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("target"),
    }
}

/// The sum of every "definitely lost: N bytes in M blocks" line of a valgrind report.
fn definitely_lost(report: &str) -> u64 {
    report
        .lines()
        .filter_map(|line| line.split_once("definitely lost:"))
        .filter_map(|(_, rest)| rest.trim().split(' ').next())
        .filter_map(|bytes| bytes.replace(',', "").parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::definitely_lost;

    #[test]
    fn reads_valgrinds_leak_summary() {
        let report = "\
==7== LEAK SUMMARY:
==7==    definitely lost: 1,024 bytes in 2 blocks
==7==    indirectly lost: 48 bytes in 1 blocks
==7==      possibly lost: 0 bytes in 0 blocks
";
        assert_eq!(definitely_lost(report), 1024);
        assert_eq!(
            definitely_lost("==7== All heap blocks were freed -- no leaks are possible\n"),
            0
        );
    }
}

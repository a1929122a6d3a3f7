//! `cargo xtask lint`: formatting and clippy, warnings denied.

use crate::cmd::{Cmd, Result, Steps};

pub(crate) fn run(steps: &mut Steps) -> Result {
    steps.run("fmt", &Cmd::cargo().args(["fmt", "--all", "--", "--check"]))?;
    let clippy = [
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ];
    steps.run("clippy", &Cmd::cargo().args(clippy))
}

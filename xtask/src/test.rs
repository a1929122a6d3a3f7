//! `cargo xtask test`: the project's test command.

use crate::cmd::{Cmd, Result, Steps};

/// Integration test targets run in release as stress tests: `crates/*/tests/stress*.rs`.
const STRESS: &str = "stress*";

pub(crate) fn run(steps: &mut Steps) -> Result {
    steps.run(
        "test",
        &Cmd::cargo().args(["test", "--workspace", "--all-targets"]),
    )?;
    steps.run(
        "doctest",
        &Cmd::cargo().args(["test", "--workspace", "--doc"]),
    )?;
    // The reactor's second backend: the same suite over `polling` instead of mio, built
    // with the `tracing` feature too (one build for both; tests/tracing.rs runs only here).
    steps.run(
        "test (polling, tracing)",
        &Cmd::cargo().args([
            "test",
            "-p",
            "weft-reactor",
            "-p",
            "weft",
            "--features",
            "weft/backend-polling,weft/tracing",
        ]),
    )?;
    steps.run(
        "stress",
        &Cmd::cargo().args(["test", "--workspace", "--release", "--test", STRESS]),
    )
}

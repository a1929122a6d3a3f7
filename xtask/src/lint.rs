//! `cargo xtask lint`: formatting, clippy and the docs, warnings denied. Clippy also
//! holds the code to the MSRV in `Cargo.toml` (`rust-version`): its `incompatible_msrv`
//! lint refuses a std API newer than that, since the one toolchain these machines have is
//! newer than the MSRV.

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
    steps.run("clippy", &Cmd::cargo().args(clippy))?;
    // Broken intra-doc links and malformed docs fail the build.
    let doc = Cmd::cargo().env("RUSTDOCFLAGS", "-D warnings").args([
        "doc",
        "--workspace",
        "--no-deps",
        "--exclude",
        "xtask",
    ]);
    steps.run("doc", &doc)
}

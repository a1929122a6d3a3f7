//! `cargo xtask bench`: weft against tokio and smol, side by side (issue 5).

use crate::cmd::{Result, Steps};

pub(crate) fn run(_steps: &mut Steps) -> Result {
    println!("benches arrive with issue 5");
    Ok(())
}

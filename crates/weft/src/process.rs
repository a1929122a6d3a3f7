//! Child processes with async pipes: asyncio's `create_subprocess_exec`.
//!
//! ```
//! use weft::process::Command;
//!
//! weft::run(async {
//!     let out = Command::new("echo").arg("hello").output().await?;
//!     assert_eq!(out.stdout, b"hello\n");
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```
//!
//! Children are always reaped: a `Child` dropped without being waited for is collected in
//! the background (killed first with `kill_on_drop(true)`), so no zombie is left behind.

pub use weft_reactor::process::{
    Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio,
};

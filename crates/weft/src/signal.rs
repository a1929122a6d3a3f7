//! Signals: asyncio's `loop.add_signal_handler`, as futures and streams.
//!
//! ```no_run
//! weft::run(async {
//!     // Serve until ctrl-c, then shut down gracefully.
//!     weft::signal::ctrl_c().await.expect("listening for ctrl-c");
//!     println!("shutting down");
//! });
//! ```
//!
//! Several listeners of one signal each see every delivery (deliveries that arrive between
//! two polls may be reported once). weft installs its own handler for a signal the first
//! time it is listened to, for the rest of the process.

pub use weft_reactor::signal::ctrl_c;

/// Unix signals by kind: `terminate`, `hangup`, `user_defined1`, `child`, ...
///
/// ```no_run
/// use weft::signal::unix::{signal, SignalKind};
///
/// weft::run(async {
///     let mut term = signal(SignalKind::terminate())?;
///     term.recv().await;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub mod unix {
    pub use weft_reactor::signal::unix::{signal, Signal, SignalKind};
}

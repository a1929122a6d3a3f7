//! Async synchronisation: locks, events, semaphores, channels and asyncio's queues.
//!
//! This is the `weft-sync` crate, re-exported whole; it works on any executor.

pub use weft_sync::*;

//! The loom shim: every atomic, lock, cell and thread in weft comes from here.
//!
//! Built normally, these are thin wrappers over `std`. Built with `RUSTFLAGS="--cfg weft_loom"`
//! (as `cargo xtask loom` does), the same names come from [loom](https://docs.rs/loom), whose
//! model checker then explores every interleaving of the code above it. Both sides expose the
//! same API: loom's `UnsafeCell::with`/`with_mut`, and poison-free `Mutex::lock` /
//! `Condvar::wait`, so the code compiles unchanged either way.
//!
//! The cfg is namespaced (`weft_loom`, not `loom`) so that no third-party crate in the
//! dependency graph changes behaviour when the models are built.
//!
//! ```
//! use weft_core::loom::cell::UnsafeCell;
//! use weft_core::loom::sync::{Arc, Mutex};
//!
//! let cell = UnsafeCell::new(1);
//! // SAFETY: no other reference to the cell's contents exists.
//! cell.with_mut(|p| unsafe { *p += 1 });
//! // SAFETY: as above.
//! assert_eq!(cell.with(|p| unsafe { *p }), 2);
//!
//! let shared = Arc::new(Mutex::new(0));
//! *shared.lock() += 1;
//! assert_eq!(*shared.lock(), 1);
//! ```
#![allow(unreachable_pub, missing_docs)]

#[cfg(not(weft_loom))]
mod std_impl;
#[cfg(not(weft_loom))]
pub use std_impl::*;

#[cfg(weft_loom)]
mod mocked;
#[cfg(weft_loom)]
pub use mocked::*;

/// `true` when built for the loom model checker.
pub const IS_LOOM: bool = cfg!(weft_loom);

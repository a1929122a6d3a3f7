//! The shared base of weft: the one `loom` shim every crate imports its synchronisation from,
//! the one thread-local runtime context (`context`) every crate keeps its per-thread state in,
//! cache padding, a small fast random number generator, the cooperative budget, and the
//! records introspection and debug mode read (`introspect`; the per-task records themselves,
//! plain data that depends on nothing else here, are in `record.rs`, so that `context`
//! can hold one without depending on `introspect`).
//!
//! Nothing here is runtime-specific; the crates above it (`weft-queue`, `weft-task`,
//! `weft-sched`, `weft-sync`, ...) build on these pieces so that a single `--cfg weft_loom`
//! switches the whole workspace onto loom's model-checked primitives.
//!
//! ```
//! use weft_core::CachePadded;
//! use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
//!
//! let counter = CachePadded::new(AtomicUsize::new(0));
//! counter.fetch_add(1, Ordering::Relaxed);
//! assert_eq!(counter.load(Ordering::Relaxed), 1);
//! assert_eq!(std::mem::align_of_val(&counter), 128);
//! ```

pub mod context;
pub mod coop;
pub mod introspect;
pub mod loom;
#[doc(hidden)]
pub mod test_support;

mod padded;
mod rand;
mod record;

pub use padded::CachePadded;
pub use rand::FastRand;

//! A thread's current value for a scope: the runtime's timer, its reactor, ... Each driver
//! crate keeps one `thread_local!` slot and sets it through [`set`], which returns a guard
//! that restores the previous value, so nested and sibling runtimes each see their own.
//!
//! ```
//! use std::cell::RefCell;
//! use weft_core::scoped;
//!
//! thread_local! {
//!     static NAME: RefCell<Option<&'static str>> = const { RefCell::new(None) };
//! }
//!
//! let outer = scoped::set(&NAME, Some("outer"));
//! {
//!     let _inner = scoped::set(&NAME, Some("inner"));
//!     assert_eq!(scoped::get(&NAME), Some("inner"));
//! }
//! assert_eq!(scoped::get(&NAME), Some("outer"));
//! drop(outer);
//! assert_eq!(scoped::get(&NAME), None);
//! ```

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use crate::loom::thread::LocalKey;

/// The slot: a `thread_local!` of `RefCell<Option<T>>`.
pub type Slot<T> = LocalKey<RefCell<Option<T>>>;

/// Makes `value` current in `slot` until the guard drops, which restores the previous
/// value. Guards must be dropped in reverse order of creation (they are not `Send`).
pub fn set<T: 'static>(slot: &'static Slot<T>, value: Option<T>) -> ScopeGuard<T> {
    let prev = slot.with(|c| c.replace(value));
    ScopeGuard {
        slot,
        prev,
        _not_send: PhantomData,
    }
}

/// The current value of `slot`, if any (also `None` while the thread is being torn down).
pub fn get<T: Clone + 'static>(slot: &'static Slot<T>) -> Option<T> {
    slot.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Returned by [`set`]; restores the previous value on drop.
#[must_use = "the value is current only while the guard lives"]
pub struct ScopeGuard<T: 'static> {
    slot: &'static Slot<T>,
    prev: Option<T>,
    _not_send: PhantomData<*const ()>,
}

impl<T: 'static> Drop for ScopeGuard<T> {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = self.slot.try_with(|c| *c.borrow_mut() = prev);
    }
}

impl<T: 'static> fmt::Debug for ScopeGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeGuard").finish_non_exhaustive()
    }
}

//! The thread's current reactor: the [`ReactorHandle`] that [`Registration::new`] and the
//! net types register with.
//!
//! The runtime sets it wherever it enters its context (worker threads, `block_on`, blocking
//! threads) and restores the previous one when the guard drops, so nested and sibling
//! runtimes each see their own reactor.
//!
//! [`Registration::new`]: crate::Registration::new
//!
//! ```
//! use weft_reactor::{context, Reactor, ReactorHandle};
//!
//! let reactor = Reactor::new()?;
//! assert!(context::current().is_none());
//! {
//!     let _guard = context::set_current(Some(reactor.handle()));
//!     assert!(ReactorHandle::current().ptr_eq(&reactor.handle()));
//! }
//! assert!(context::current().is_none());
//! # Ok::<(), std::io::Error>(())
//! ```

use weft_core::context::{self, ScopeGuard, Slot};

use crate::ReactorHandle;

/// Makes `handle` the current reactor of this thread (`None`: no reactor) until the
/// returned guard drops, which restores the previous one. Guards must be dropped in the
/// reverse order of their creation (they are not `Send`).
///
/// ```
/// use weft_reactor::{context, Reactor};
///
/// let reactor = Reactor::new()?;
/// let guard = context::set_current(Some(reactor.handle()));
/// let inner = context::set_current(None);
/// assert!(context::current().is_none());
/// drop(inner);
/// assert!(context::current().is_some());
/// drop(guard);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn set_current(handle: Option<ReactorHandle>) -> CurrentGuard {
    context::set(Slot::Reactor, handle)
}

/// The current reactor of this thread, if any.
///
/// ```
/// assert!(weft_reactor::context::current().is_none());
/// ```
pub fn current() -> Option<ReactorHandle> {
    context::get(Slot::Reactor)
}

/// Returned by [`set_current`]; restores the previous reactor on drop (not `Send`).
pub type CurrentGuard = ScopeGuard;

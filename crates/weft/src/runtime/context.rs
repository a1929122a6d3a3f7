//! The thread-local runtime context: which runtime `weft::spawn` talks to on this thread,
//! and whether this thread is inside a runtime (where `block_on` would deadlock).

use std::cell::{Cell, RefCell};

use super::Handle;

thread_local! {
    /// The runtime `weft::spawn` and `Handle::current()` use on this thread.
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// `true` on a runtime's worker threads and inside `block_on`.
    static IN_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// Calls `f` with the current runtime's handle, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    match CURRENT.try_with(|c| {
        let c = c.borrow();
        // Clone out so that `f` may enter another context without a borrow conflict.
        c.clone()
    }) {
        Ok(h) => f(h.as_ref()),
        Err(_) => f(None),
    }
}

/// Makes `handle` current until the guard drops (restoring the previous one), and with it
/// the runtime's timer (for `weft::time`).
#[must_use = "the context is left when the guard drops"]
pub(crate) struct SetCurrent {
    prev: Option<Handle>,
    // Dropped after `prev` is restored; each restores the previous driver itself.
    _timer: weft_timer::context::CurrentGuard,
    _reactor: weft_reactor::context::CurrentGuard,
}

pub(crate) fn set_current(handle: &Handle) -> SetCurrent {
    let driver = &handle.shared.driver;
    SetCurrent {
        _timer: weft_timer::context::set_current(driver.timer_handle()),
        _reactor: weft_reactor::context::set_current(driver.reactor_handle()),
        prev: CURRENT.with(|c| c.replace(Some(handle.clone()))),
    }
}

impl Drop for SetCurrent {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// Marks this thread as running inside a runtime until the guard drops.
#[must_use = "the runtime is left when the guard drops"]
pub(crate) struct EnterRuntime(bool);

/// Enters the runtime on this thread.
///
/// # Panics
///
/// If the thread is already inside a runtime: `block_on` there would block the very thread
/// that has to make progress for the future to complete.
#[track_caller]
pub(crate) fn enter_runtime() -> EnterRuntime {
    if IN_RUNTIME.with(|c| c.replace(true)) {
        panic!(
            "Cannot block_on inside a weft runtime thread: blocking here would stall the \
             worker that has to drive the future. Inside async code, `.await` the future \
             instead (or `weft::spawn` it and `.await` the JoinHandle); for blocking work, \
             use `weft::spawn_blocking`."
        );
    }
    EnterRuntime(false)
}

/// Marks a runtime worker thread for its whole life.
pub(crate) fn enter_worker() -> EnterRuntime {
    EnterRuntime(IN_RUNTIME.with(|c| c.replace(true)))
}

impl Drop for EnterRuntime {
    fn drop(&mut self) {
        let prev = self.0;
        let _ = IN_RUNTIME.try_with(|c| c.set(prev));
    }
}

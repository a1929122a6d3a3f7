//! The runtime's entries in the thread's one runtime context (`weft_core::context`): which
//! runtime `weft::spawn` talks to on this thread (with its timer and reactor), and whether
//! this thread is inside a runtime (where `block_on` would deadlock).

use weft_core::context::{self, ScopeGuard, Slot};

use super::Handle;

/// Calls `f` with the current runtime's handle, if any (borrowed from the context: no
/// reference count is touched).
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    context::with(Slot::Runtime, f)
}

/// Makes `handle` current until the guard drops (restoring the previous one), and with it
/// the runtime's timer (for `weft::time`) and reactor (for `weft::net`).
///
/// # Panics
///
/// The guard panics if dropped while a guard made after it is still alive.
#[must_use = "the context is left when the guard drops"]
pub(crate) struct SetCurrent {
    /// (runtime, timer, reactor), made in that order; `None` once dropped.
    guards: Option<(ScopeGuard, ScopeGuard, ScopeGuard)>,
}

pub(crate) fn set_current(handle: &Handle) -> SetCurrent {
    let driver = &handle.shared.driver;
    let runtime = context::set(Slot::Runtime, Some(handle.clone()));
    let timer = weft_timer::context::set_current(driver.timer_handle());
    let reactor = weft_reactor::context::set_current(driver.reactor_handle());
    SetCurrent {
        guards: Some((runtime, timer, reactor)),
    }
}

impl Drop for SetCurrent {
    fn drop(&mut self) {
        let Some((runtime, timer, reactor)) = self.guards.take() else {
            return;
        };
        if runtime.is_in_order() || std::thread::panicking() {
            // The reverse of the order they were made in.
            drop(reactor);
            drop(timer);
            drop(runtime);
            return;
        }
        // A later runtime is still entered: leave every slot as it is (the later guards
        // restore what they replaced), rather than half-restore this one.
        std::mem::forget((runtime, timer, reactor));
        panic!(
            "weft: `EnterGuard`s dropped out of order: this runtime's guard was dropped while \
             a guard of a runtime entered after it is still alive, which would leave the wrong \
             runtime current; drop `EnterGuard`s in the reverse order of their creation"
        );
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
    if context::enter_runtime() {
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
    EnterRuntime(context::enter_runtime())
}

impl Drop for EnterRuntime {
    fn drop(&mut self) {
        context::leave_runtime(self.0);
    }
}

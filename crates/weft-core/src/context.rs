//! The runtime context: weft's one thread-local.
//!
//! Everything a thread knows about the runtime it is in lives in this one module, reached
//! only through it (tokio keeps a single `CONTEXT` for the same reason). It is two
//! thread-locals underneath: the plain cells read on every poll and dispatch, which need no
//! destructor, and the handle slots, which own their values:
//!
//! | field | owner | set by |
//! |---|---|---|
//! | cooperative budget | [`coop`](crate::coop) | `Runnable::run` (a fresh budget per poll) |
//! | current task id | `weft-task` | `Runnable::run`, task destructors |
//! | current worker | the scheduler running tasks on this thread | [`set_worker`] |
//! | in a runtime | the facade (`block_on` inside a runtime panics) | [`enter_runtime`] |
//! | runtime, timer and reactor handles | the facade, `weft-timer`, `weft-reactor` | [`set`] |
//!
//! Handles are kept type-erased, one [`Slot`] each, so that this crate needs to know none of
//! their types while each crate reads its own back with [`with`] (borrowed, no reference
//! count touched) or [`get`] (a clone). [`set`] is the one setter: it returns a guard that
//! restores the previous value, so nested and sibling runtimes each see their own, and it
//! panics when guards are dropped out of order (the wrong runtime would stay current).
//!
//! ```
//! use weft_core::context::{self, Slot};
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct Timer(&'static str);
//!
//! let outer = context::set(Slot::Timer, Some(Timer("outer")));
//! {
//!     let _inner = context::set(Slot::Timer, Some(Timer("inner")));
//!     assert_eq!(context::get::<Timer>(Slot::Timer), Some(Timer("inner")));
//! }
//! context::with(Slot::Timer, |t: Option<&Timer>| assert_eq!(t.unwrap().0, "outer"));
//! drop(outer);
//! assert_eq!(context::get::<Timer>(Slot::Timer), None);
//! ```

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::ptr;

use crate::introspect::{PollSlot, WaitRecord};
use crate::loom::thread_local_const;

/// A handle slot of the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Slot {
    /// The runtime `weft::spawn` and `Handle::current()` use.
    Runtime,
    /// The timer `sleep`, `timeout` and `Instant::now` use.
    Timer,
    /// The reactor sockets register with.
    Reactor,
}

const SLOTS: usize = 3;

type Value = Option<Box<dyn Any>>;

/// The fields read on every poll and every dispatch: plain cells, so the thread-local needs
/// no destructor and an access is a bare TLS load (a thread-local with a destructor checks
/// its state on each access).
pub(crate) struct Context {
    /// `None`: unconstrained; `Some(n)`: `n` units left in the current task poll.
    pub(crate) budget: Cell<Option<u8>>,
    /// The id of the task being polled (0: none).
    task: Cell<u64>,
    /// The current task's name (valid while the task is polled; see `set_current_task_name`).
    task_name: Cell<Option<ptr::NonNull<str>>>,
    /// The scheduler worker running on this thread: its tag and its state.
    worker: Cell<(*const WorkerTag, *const ())>,
    in_runtime: Cell<bool>,
    /// Where the task being polled records what it waits on (`introspect`).
    wait: Cell<*const WaitRecord>,
    /// This runtime thread's debug-mode poll slot (`introspect`); null when debug mode is off.
    poll_slot: Cell<*const PollSlot>,
}

/// The handle slots, which own their values (and so need a destructor).
struct Handles {
    slots: [RefCell<Value>; SLOTS],
    /// How many guards of each slot are alive, to catch out-of-order drops.
    depths: [Cell<u32>; SLOTS],
}

thread_local_const! {
    static CONTEXT: Context = Context {
        budget: Cell::new(None),
        task: Cell::new(0),
        task_name: Cell::new(None),
        worker: Cell::new((ptr::null(), ptr::null())),
        in_runtime: Cell::new(false),
        wait: Cell::new(ptr::null()),
        poll_slot: Cell::new(ptr::null()),
    };
}

thread_local_const! {
    static HANDLES: Handles = Handles {
        slots: [RefCell::new(None), RefCell::new(None), RefCell::new(None)],
        depths: [Cell::new(0), Cell::new(0), Cell::new(0)],
    };
}

fn try_with_handles<R>(f: impl FnOnce(&Handles) -> R) -> Option<R> {
    HANDLES.try_with(f).ok()
}

/// Calls `f` with this thread's context.
pub(crate) fn with_context<R>(f: impl FnOnce(&Context) -> R) -> R {
    CONTEXT.with(f)
}

/// Calls `f` with this thread's context; `None` while the thread is being torn down.
pub(crate) fn try_with<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
    CONTEXT.try_with(f).ok()
}

/// Calls `f` with the value in `slot` if it is a `T` (borrowed: nothing is cloned).
///
/// Do not call [`set`] for the same slot from inside `f` (it panics: the slot is borrowed).
pub fn with<T: Any, R>(slot: Slot, f: impl FnOnce(Option<&T>) -> R) -> R {
    let mut f = Some(f);
    let out = try_with_handles(|cx| {
        let value = cx.slots[slot as usize].borrow();
        let f = f.take().expect("called once");
        f(value.as_ref().and_then(|v| v.downcast_ref::<T>()))
    });
    match out {
        Some(out) => out,
        None => (f.take().expect("called once"))(None),
    }
}

/// A clone of the value in `slot`, if it holds a `T`.
pub fn get<T: Any + Clone>(slot: Slot) -> Option<T> {
    with(slot, |v: Option<&T>| v.cloned())
}

/// Makes `value` current in `slot` until the guard drops, which restores the previous one.
///
/// # Panics
///
/// The guard panics when dropped while a guard created after it is still alive (guards
/// must be dropped in the reverse order of their creation), unless the thread is already
/// panicking.
pub fn set<T: Any>(slot: Slot, value: Option<T>) -> ScopeGuard {
    let value: Value = value.map(|v| Box::new(v) as Box<dyn Any>);
    let (prev, depth) = HANDLES.with(|cx| {
        let depth = &cx.depths[slot as usize];
        depth.set(depth.get() + 1);
        (cx.slots[slot as usize].replace(value), depth.get())
    });
    ScopeGuard {
        slot,
        prev,
        depth,
        _not_send: PhantomData,
    }
}

/// Returned by [`set`]; restores the previous value on drop.
#[must_use = "the value is current only while the guard lives"]
pub struct ScopeGuard {
    slot: Slot,
    prev: Value,
    /// The number of live guards of this slot, this one included, when it was made.
    depth: u32,
    _not_send: PhantomData<*const ()>,
}

impl ScopeGuard {
    /// `true` if no guard of the same slot made after this one is still alive (dropping it
    /// now is in order).
    pub fn is_in_order(&self) -> bool {
        try_with_handles(|cx| cx.depths[self.slot as usize].get() == self.depth).unwrap_or(true)
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let slot = self.slot;
        let in_order = try_with_handles(|cx| {
            let depth = &cx.depths[slot as usize];
            let in_order = depth.get() == self.depth;
            if in_order || std::thread::panicking() {
                depth.set(depth.get().saturating_sub(1));
                let old = cx.slots[slot as usize].replace(self.prev.take());
                drop(old);
            }
            in_order
        });
        if in_order == Some(false) && !std::thread::panicking() {
            panic!(
                "weft: runtime context guards dropped out of order ({slot:?}): a guard from \
                 `Handle::enter` was dropped while one created after it is still alive, \
                 which would leave the wrong runtime current; drop `EnterGuard`s in the \
                 reverse order of their creation"
            );
        }
    }
}

impl fmt::Debug for ScopeGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

/// The id of the task being polled on this thread (0: none).
pub fn current_task() -> u64 {
    try_with(|cx| cx.task.get()).unwrap_or(0)
}

/// Sets the id of the task being polled on this thread, returning the previous one.
pub fn set_current_task(id: u64) -> u64 {
    try_with(|cx| cx.task.replace(id)).unwrap_or(0)
}

/// What [`enter_task`] replaced, for [`leave_task`] to put back.
#[derive(Debug, Clone, Copy)]
pub struct TaskSlots {
    task: u64,
    name: Option<ptr::NonNull<str>>,
    wait: *const WaitRecord,
}

/// The task runner's one visit to the context per poll: makes task `id` (with its name and
/// wait record) current, and returns what it replaced and this thread's debug-mode poll
/// slot (null when debug mode is off).
///
/// # Safety
///
/// `name` and `wait` must stay valid until [`leave_task`] restores the returned slots.
#[inline]
pub unsafe fn enter_task(
    id: u64,
    name: Option<&str>,
    wait: *const WaitRecord,
) -> (TaskSlots, *const PollSlot) {
    let name = name.map(ptr::NonNull::from);
    try_with(|cx| {
        let prev = TaskSlots {
            task: cx.task.replace(id),
            name: cx.task_name.replace(name),
            wait: cx.wait.replace(wait),
        };
        (prev, cx.poll_slot.get())
    })
    .unwrap_or((
        TaskSlots {
            task: 0,
            name: None,
            wait: ptr::null(),
        },
        ptr::null(),
    ))
}

/// Puts back what [`enter_task`] replaced.
#[inline]
pub fn leave_task(prev: TaskSlots) {
    try_with(|cx| {
        cx.task.set(prev.task);
        cx.task_name.set(prev.name);
        cx.wait.set(prev.wait);
    });
}

/// Identifies one kind of scheduler worker in the context's worker field: a scheduler
/// keeps one in a `static` and reads the worker back only when the tag is its own.
#[derive(Debug)]
pub struct WorkerTag(pub &'static str);

/// Records `worker` (the scheduler's state for this thread, tagged with `tag`) until the
/// guard drops.
pub fn set_worker(tag: &'static WorkerTag, worker: *const ()) -> WorkerGuard {
    let prev = CONTEXT.with(|cx| cx.worker.replace((tag, worker)));
    WorkerGuard {
        prev,
        _not_send: PhantomData,
    }
}

/// The worker recorded on this thread, if it carries `tag` (null otherwise).
pub fn worker(tag: &'static WorkerTag) -> *const () {
    try_with(|cx| {
        let (t, w) = cx.worker.get();
        if ptr::eq(t, tag) {
            w
        } else {
            ptr::null()
        }
    })
    .unwrap_or(ptr::null())
}

/// Returned by [`set_worker`]; restores the previous worker on drop.
#[must_use = "the worker is current only while the guard lives"]
#[derive(Debug)]
pub struct WorkerGuard {
    prev: (*const WorkerTag, *const ()),
    _not_send: PhantomData<*const ()>,
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let prev = self.prev;
        try_with(|cx| cx.worker.set(prev));
    }
}

/// Marks this thread as inside a runtime, returning whether it already was.
pub fn enter_runtime() -> bool {
    CONTEXT.with(|cx| cx.in_runtime.replace(true))
}

/// Whether this thread is inside a runtime (a worker, or a `block_on`): blocking calls such as
/// `weft::sync`'s `blocking_recv` refuse to run there, since they would stall the worker.
pub fn in_runtime() -> bool {
    try_with(|cx| cx.in_runtime.get()).unwrap_or(false)
}

/// Restores the in-runtime mark saved by [`enter_runtime`].
pub fn leave_runtime(was_inside: bool) {
    try_with(|cx| cx.in_runtime.set(was_inside));
}

/// Sets the current task's name, returning the previous one. The task runner sets it
/// around each poll and restores the previous value afterwards.
///
/// # Safety
///
/// `name` must stay valid until the previous value is restored.
pub unsafe fn set_current_task_name(name: Option<&str>) -> Option<ptr::NonNull<str>> {
    let name = name.map(ptr::NonNull::from);
    try_with(|cx| cx.task_name.replace(name)).unwrap_or(None)
}

/// Restores a name returned by [`set_current_task_name`].
pub fn restore_current_task_name(prev: Option<ptr::NonNull<str>>) {
    try_with(|cx| cx.task_name.set(prev));
}

/// Calls `f` with the name of the task being polled on this thread, if it has one.
pub fn with_current_task_name<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    let name = try_with(|cx| cx.task_name.get()).flatten();
    // SAFETY: a name is current only while the task it belongs to is being polled on this
    // thread (the contract of `set_current_task_name`), and `f` runs inside that poll.
    f(name.map(|n| unsafe { n.as_ref() }))
}

/// The wait record of the task being polled on this thread (null outside a task).
pub(crate) fn current_wait_record() -> *const WaitRecord {
    try_with(|cx| cx.wait.get()).unwrap_or(ptr::null())
}

/// Sets the current wait record, returning the previous one.
pub(crate) fn set_current_wait_record(record: *const WaitRecord) -> *const WaitRecord {
    try_with(|cx| cx.wait.replace(record)).unwrap_or(ptr::null())
}

/// This thread's debug-mode poll slot (null when debug mode is off).
pub(crate) fn poll_slot() -> *const PollSlot {
    try_with(|cx| cx.poll_slot.get()).unwrap_or(ptr::null())
}

/// Sets this thread's poll slot, returning the previous one.
pub(crate) fn set_poll_slot(slot: *const PollSlot) -> *const PollSlot {
    try_with(|cx| cx.poll_slot.replace(slot)).unwrap_or(ptr::null())
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_slot_holds_one_type_and_other_types_read_none() {
        let _g = set(Slot::Reactor, Some(5u32));
        assert_eq!(get::<u32>(Slot::Reactor), Some(5));
        assert_eq!(get::<u64>(Slot::Reactor), None);
        assert_eq!(get::<u32>(Slot::Timer), None);
    }

    #[test]
    fn guards_dropped_out_of_order_panic_and_change_nothing() {
        let a = set(Slot::Runtime, Some("a"));
        let b = set(Slot::Runtime, Some("b"));
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(a)));
        let msg = *res.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("out of order"), "{msg}");
        assert_eq!(get::<&str>(Slot::Runtime), Some("b"), "nothing was changed");
        drop(b);
        assert_eq!(
            get::<&str>(Slot::Runtime),
            Some("a"),
            "a's guard is gone, its value stays"
        );
    }

    #[test]
    fn workers_are_read_back_only_with_their_tag() {
        static A: WorkerTag = WorkerTag("a");
        static B: WorkerTag = WorkerTag("b");
        let x = 7u8;
        let g = set_worker(&A, (&x as *const u8).cast());
        assert!(!worker(&A).is_null());
        assert!(worker(&B).is_null());
        drop(g);
        assert!(worker(&A).is_null());
    }
}

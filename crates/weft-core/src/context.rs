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
//! | current task (id, name, wait record) | `weft-task` | `Runnable::run`, task destructors, `block_on`'s root task |
//! | current worker | the scheduler running tasks on this thread | [`set_worker`] |
//! | in a runtime | the facade (`block_on` inside a runtime panics) | [`enter_runtime`] |
//! | wakes deferred | `weft-task` reads it on each wake | [`defer_wakes`] (`weft-sync`'s semaphore) |
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
use std::task::Waker;

use crate::loom::thread_local_const;
use crate::record::WaitRecord;

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
    /// The task being polled (null: none): its id, name and wait record, in a `CurrentTask`
    /// that lives in the runner's frame for the poll (one word to swap per poll, not three).
    task: Cell<*const CurrentTask<'static>>,
    /// The scheduler worker running on this thread: its tag and its state.
    worker: Cell<(*const WorkerTag, *const ())>,
    in_runtime: Cell<bool>,
    /// This runtime thread's debug-mode poll slot (an `introspect::PollSlot`, untyped here:
    /// only `introspect` reads it); null when debug mode is off.
    poll_slot: Cell<*const ()>,
    /// Set while [`defer_wakes`] runs its closure.
    defer_wakes: Cell<bool>,
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
        task: Cell::new(ptr::null()),
        worker: Cell::new((ptr::null(), ptr::null())),
        in_runtime: Cell::new(false),
        poll_slot: Cell::new(ptr::null()),
        defer_wakes: Cell::new(false),
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

/// The task being polled on this thread, as its runner describes it: the id, the name and
/// where leaf futures record what it waits on ([`introspect::waiting_on`]). The runner keeps
/// it in its own frame and makes it current for the poll with [`enter_task`] (the task
/// runner) or [`with_task`]; the context holds one pointer to it.
///
/// [`introspect::waiting_on`]: crate::introspect::waiting_on
///
/// ```
/// use weft_core::context::{self, CurrentTask};
///
/// let task = CurrentTask::new(7, Some("worker"), None);
/// context::with_task(&task, || {
///     assert_eq!(context::current_task(), 7);
///     context::with_current_task_name(|name| assert_eq!(name, Some("worker")));
/// });
/// assert_eq!(context::current_task(), 0);
/// ```
#[derive(Debug)]
pub struct CurrentTask<'a> {
    id: u64,
    name: Option<&'a str>,
    wait: *const WaitRecord,
    /// The waker the runner polls the task with, if it takes yields ([`yield_current`]).
    waker: Option<&'a Waker>,
    /// Set by [`yield_current`]: the task asked to be polled again after this poll.
    yielded: Cell<bool>,
}

impl<'a> CurrentTask<'a> {
    /// Task `id`, named `name`, recording its waits in `wait` (none: leaf futures record
    /// nothing).
    #[inline]
    pub fn new(id: u64, name: Option<&'a str>, wait: Option<&'a WaitRecord>) -> CurrentTask<'a> {
        CurrentTask {
            id,
            name,
            wait: wait.map_or(ptr::null(), ptr::from_ref),
            waker: None,
            yielded: Cell::new(false),
        }
    }

    /// The same task, whose runner polls it with `waker` and, after a `Pending` poll, reads
    /// [`yielded`](CurrentTask::yielded) and polls it again as if `waker` had been woken.
    ///
    /// ```
    /// use std::task::Waker;
    /// use weft_core::context::{self, CurrentTask};
    ///
    /// let waker = Waker::noop();
    /// let task = CurrentTask::new(7, None, None).with_yield_waker(waker);
    /// context::with_task(&task, || assert!(context::yield_current(waker)));
    /// assert!(task.yielded());
    /// ```
    #[inline]
    pub fn with_yield_waker(self, waker: &'a Waker) -> CurrentTask<'a> {
        CurrentTask {
            waker: Some(waker),
            ..self
        }
    }

    /// Whether the task yielded through [`yield_current`] during the poll.
    #[inline]
    pub fn yielded(&self) -> bool {
        self.yielded.get()
    }

    /// The task's id.
    #[inline]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The task's name.
    #[inline]
    pub fn name(&self) -> Option<&'a str> {
        self.name
    }
}

/// Calls `f` with the current task, if any: the one place the context's pointer is read.
///
/// The lifetime is erased to `'static`: callers hand `f`'s borrow on only for the span of a
/// call (or, in `current_with_wait`, to a copy that is current inside that span only).
fn with_current<R>(f: impl FnOnce(Option<&CurrentTask<'static>>) -> R) -> R {
    let task = try_with(|cx| cx.task.get()).unwrap_or(ptr::null());
    // SAFETY: a non-null pointer was set by `enter_task`, `with_task` or `replace_task`,
    // whose callers keep the `CurrentTask` alive and in place until they put the previous
    // pointer back; `f` runs on this thread inside that span.
    f(unsafe { task.as_ref() })
}

/// The id of the task being polled on this thread (0: none).
pub fn current_task() -> u64 {
    with_current(|t| t.map_or(0, |t| t.id))
}

/// Calls `f` with the name of the task being polled on this thread, if it has one.
pub fn with_current_task_name<R>(f: impl FnOnce(Option<&str>) -> R) -> R {
    with_current(|t| f(t.and_then(|t| t.name)))
}

/// Asks for the task being polled on this thread to be polled again after this poll, as
/// `waker.wake_by_ref()` would, when `waker` is the one its runner polls it with and the
/// runner takes yields ([`CurrentTask::with_yield_waker`]): the runner then marks the task
/// notified in the state change it makes after the poll anyway, instead of the wake making
/// one of its own (one locked instruction less per `yield_now`). Returns `false`, having done
/// nothing, otherwise (another waker, another runner, no task): wake `waker` then.
///
/// ```
/// use std::task::Waker;
/// use weft_core::context;
///
/// // No task is being polled here.
/// assert!(!context::yield_current(Waker::noop()));
/// ```
#[inline]
pub fn yield_current(waker: &Waker) -> bool {
    with_current(|t| match t {
        Some(t) if t.waker.is_some_and(|own| own.will_wake(waker)) => {
            t.yielded.set(true);
            true
        }
        _ => false,
    })
}

/// The wait record of the task being polled on this thread (null outside a task).
pub(crate) fn current_wait_record() -> *const WaitRecord {
    with_current(|t| t.map_or(ptr::null(), |t| t.wait))
}

/// What [`enter_task`] replaced, for [`leave_task`] to put back.
#[derive(Debug, Clone, Copy)]
pub struct TaskSlots {
    task: *const CurrentTask<'static>,
    budget: Option<u8>,
}

/// The task runner's one visit to the context per poll: makes `task` current, sets the
/// cooperative budget to `budget` (a fresh [`coop::BUDGET`], as [`coop::budget`] does), and
/// returns what it replaced and this thread's debug-mode poll slot (null when debug mode is
/// off).
///
/// [`coop::BUDGET`]: crate::coop::BUDGET
/// [`coop::budget`]: crate::coop::budget
///
/// # Safety
///
/// `task` must stay alive and in place until [`leave_task`] restores the returned slots, on
/// this thread.
#[inline]
pub unsafe fn enter_task(task: &CurrentTask<'_>, budget: Option<u8>) -> (TaskSlots, *const ()) {
    let task = ptr::from_ref(task).cast::<CurrentTask<'static>>();
    try_with(|cx| {
        let prev = TaskSlots {
            task: cx.task.replace(task),
            budget: cx.budget.replace(budget),
        };
        (prev, cx.poll_slot.get())
    })
    .unwrap_or((
        TaskSlots {
            task: ptr::null(),
            budget: None,
        },
        ptr::null(),
    ))
}

/// Puts back what [`enter_task`] replaced.
#[inline]
pub fn leave_task(prev: TaskSlots) {
    try_with(|cx| {
        cx.task.set(prev.task);
        cx.budget.set(prev.budget);
    });
}

/// Runs `f` with `task` current (the budget untouched), restoring the previous task
/// afterwards, also when `f` panics: for a task's destructor, a root future's poll, tests.
pub fn with_task<R>(task: &CurrentTask<'_>, f: impl FnOnce() -> R) -> R {
    struct Restore(*const CurrentTask<'static>);
    impl Drop for Restore {
        fn drop(&mut self) {
            restore_task(self.0);
        }
    }
    let _restore = Restore(replace_task(
        ptr::from_ref(task).cast::<CurrentTask<'static>>(),
    ));
    f()
}

/// A copy of the current task (none: an anonymous one, id 0) with `wait` as its wait
/// record: what [`introspect::enter_record`](crate::introspect::enter_record) makes current.
/// The copy's name borrows from the outer task, which stays current (and so alive) for as
/// long as the copy is current inside it.
pub(crate) fn current_with_wait(wait: &WaitRecord) -> CurrentTask<'static> {
    let (id, name) = with_current(|t| t.map_or((0, None), |t| (t.id, t.name)));
    CurrentTask {
        id,
        name,
        wait: ptr::from_ref(wait),
        // No yield waker: a yield under this record's scope wakes its waker as usual.
        waker: None,
        yielded: Cell::new(false),
    }
}

/// Makes `task` current until the returned pointer is put back with [`restore_task`].
pub(crate) fn replace_task(task: *const CurrentTask<'static>) -> *const CurrentTask<'static> {
    try_with(|cx| cx.task.replace(task)).unwrap_or(ptr::null())
}

/// Puts back a task pointer returned by [`replace_task`].
pub(crate) fn restore_task(prev: *const CurrentTask<'static>) {
    try_with(|cx| cx.task.set(prev));
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

/// Runs `f` with the wake-ups it makes on this thread **deferred**: a task woken inside it is
/// queued behind the work already waiting (`weft_task::Hint::Deferred`), not run next (a
/// plain wake from a worker goes to its LIFO slot and runs as soon as the current poll
/// returns).
///
/// For a primitive that wakes a task to let it *compete*, not to hand it something: a
/// barging semaphore wakes its first waiter when a permit comes back, but the task that
/// released it may take it again at once. Run next, the woken task would always find the
/// permit gone and queue again, a wasted poll per pass; queued behind the others, it comes
/// back after the releasers have had their turns, and the releases meanwhile need no wake.
///
/// ```
/// use weft_core::context;
///
/// assert!(!context::wakes_deferred());
/// let inner = context::defer_wakes(|| context::wakes_deferred());
/// assert!(inner);
/// assert!(!context::wakes_deferred());
/// ```
pub fn defer_wakes<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the previous mark, also when `f` unwinds (a waker may panic).
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0;
            try_with(|cx| cx.defer_wakes.set(prev));
        }
    }
    let _restore = Restore(try_with(|cx| cx.defer_wakes.replace(true)).unwrap_or(false));
    f()
}

/// Whether wake-ups made now are deferred (inside [`defer_wakes`]).
///
/// ```
/// assert!(!weft_core::context::wakes_deferred());
/// ```
pub fn wakes_deferred() -> bool {
    try_with(|cx| cx.defer_wakes.get()).unwrap_or(false)
}

/// This thread's debug-mode poll slot (null when debug mode is off; `introspect` types it).
pub(crate) fn poll_slot() -> *const () {
    try_with(|cx| cx.poll_slot.get()).unwrap_or(ptr::null())
}

/// Sets this thread's poll slot, returning the previous one.
pub(crate) fn set_poll_slot(slot: *const ()) -> *const () {
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

//! The front of every task: the `Header` (state word with the poll count, vtable, id,
//! owner-list links, join waker, name and spawn location and time in one word, the wait
//! record in another) and the type-erased operations that need nothing else:
//! waking, aborting and dropping a reference. Everything that needs the future's type is in
//! `raw.rs`, reached through the `Vtable`.

use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use weft_core::introspect::{TaskRef, WaitKind, WaitRecord};

use crate::origin::Origin;

use weft_core::loom::cell::UnsafeCell;

use crate::state::{State, ToNotified};
use crate::Id;

/// The type-independent front of every task.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
    /// Links of the owner `TaskList`; only touched under that list's shard lock.
    pub(crate) list_prev: UnsafeCell<Option<NonNull<Header>>>,
    pub(crate) list_next: UnsafeCell<Option<NonNull<Header>>>,
    /// The `JoinHandle`'s waker; access is arbitrated by `JOIN_WAKER` (see `state`).
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    /// The spawn location and time and, for a named task, the name: one word (see
    /// `Origin`; the poll count is in the state word).
    pub(crate) origin: Origin,
    /// Where the task waits: one word, written only by whoever holds RUNNING (a relaxed
    /// store, no locked RMW), read by `Owner::tasks` from any thread; a std atomic, not the
    /// loom shim's: it orders nothing.
    pub(crate) wait: WaitRecord,
    /// The task's span, entered on each poll (feature `tracing`).
    #[cfg(feature = "tracing")]
    pub(crate) span: tracing::Span,
}

impl Header {
    /// The task's name, if it was given one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.origin.name()
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        self.origin.location()
    }

    /// The task as debug-mode reports name it.
    pub(crate) fn task_ref(&self) -> TaskRef {
        TaskRef {
            id: self.id.as_u64(),
            name: self.name().map(str::to_owned),
            location: Some(self.location()),
        }
    }
}

/// Operations that need the concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Runs the task (consumes a `Runnable`'s reference).
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Hands a new `Runnable` (whose reference the caller holds) to the scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst` (a `Poll<Result<T, JoinError>>`) if it is ready, else
    /// registers the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The slow path of dropping a `JoinHandle`.
    pub(crate) drop_join_handle_slow: unsafe fn(NonNull<Header>),
    /// Cancels the task if idle; consumes the caller's reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// What a task awaiting this one's `JoinHandle` records as its wait (`Schedule::JOINED_AS`).
    pub(crate) joined_as: WaitKind,
}

/// Wakes the task, consuming one reference.
///
/// # Safety
///
/// The caller holds a reference, which this call consumes.
pub(crate) unsafe fn wake_by_val(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    match header.state.transition_to_notified_by_val() {
        ToNotified::DoNothing => {}
        // SAFETY: the reference passes to the new `Runnable`.
        ToNotified::Submit => unsafe { (header.vtable.schedule)(ptr) },
        // SAFETY: that was the last reference.
        ToNotified::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
    }
}

/// Wakes the task without consuming a reference.
///
/// # Safety
///
/// The caller holds a reference for the duration of the call.
pub(crate) unsafe fn wake_by_ref(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_notified_by_ref() == ToNotified::Submit {
        // SAFETY: the transition took a new reference for the `Runnable`.
        unsafe { (header.vtable.schedule)(ptr) };
    }
}

/// Drops one reference.
///
/// # Safety
///
/// The caller holds a reference, which this call consumes.
pub(crate) unsafe fn drop_ref(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive until the decrement.
    let header = unsafe { ptr.as_ref() };
    let vtable = header.vtable;
    if header.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { (vtable.dealloc)(ptr) };
    }
}

/// Asks the task to cancel itself (abort).
///
/// # Safety
///
/// The caller holds a reference for the duration of the call.
pub(crate) unsafe fn remote_abort(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the header alive.
    let header = unsafe { ptr.as_ref() };
    #[cfg(feature = "tracing")]
    tracing::trace!(target: "weft::task", parent: &header.span, task_id = header.id.as_u64(), "abort");
    if header.state.transition_to_notified_and_cancel() {
        // SAFETY: the transition took a new reference for the `Runnable`.
        unsafe { (header.vtable.schedule)(ptr) };
    }
}

// Every word of the header is paid by every task: 72 bytes (state, vtable, id, two list
// links, the join waker's two words, origin, wait record). The memory row counts each one
// (heap per idle task), and spawn-heavy workloads notice one too: spawn_many_local's tasks
// once crossed into the next malloc size class with 16 more bytes, which doubled its time.
#[cfg(all(not(weft_loom), not(feature = "tracing"), target_pointer_width = "64"))]
const _: () = assert!(std::mem::size_of::<Header>() == 72);

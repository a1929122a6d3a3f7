//! The two parts of every task that do not depend on its type: the `Header` (state word
//! with the poll count, vtable, id, name and spawn location and time in one word, the wait
//! record in another), read or written on every poll, and just before it the `Links`
//! (owner-list links, join waker), touched only at spawn, completion and join. Also the
//! type-erased operations that need nothing else: waking, aborting and dropping a
//! reference. Everything that needs the future's type is in `raw.rs`, reached through the
//! `Vtable`.
//!
//! Why the links come first: tasks spawned one after another sit next to each other in the
//! heap, and often run on different workers. With the cold links between one task's future
//! (at the end of its allocation) and the next task's header, the bytes one task touches on
//! every poll are a cache line away from its neighbour's, so two workers polling neighbours
//! do not pass a line back and forth on every poll (false sharing). A task pointer points at
//! the header; the links are a fixed distance ([`LINKS_BEFORE_HEADER`]) before it.

use std::panic::Location;
use std::ptr::NonNull;
use std::task::Waker;

use weft_core::introspect::{TaskRef, WaitKind, WaitRecord};

use crate::origin::Origin;

use weft_core::loom::cell::UnsafeCell;

use crate::state::{State, ToNotified};
use crate::Id;

/// The type-independent front of every task: what a poll reads and writes.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: Id,
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

/// The type-independent start of every task, before its header: what only spawning,
/// completing and joining touch. Reached from a task pointer with [`Header::links`].
#[repr(C)]
pub(crate) struct Links {
    /// Links of the owner `TaskList`; only touched under that list's shard lock.
    pub(crate) list_prev: UnsafeCell<Option<NonNull<Header>>>,
    pub(crate) list_next: UnsafeCell<Option<NonNull<Header>>>,
    /// The `JoinHandle`'s waker; access is arbitrated by `JOIN_WAKER` (see `state`).
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
}

/// How far before a task's header its `Links` start: every task allocation is `Links`
/// then `Header` (`#[repr(C)]`, both 8-byte aligned), whatever its future.
pub(crate) const LINKS_BEFORE_HEADER: usize = std::mem::size_of::<Links>();

impl Links {
    pub(crate) fn new() -> Links {
        Links {
            list_prev: UnsafeCell::new(None),
            list_next: UnsafeCell::new(None),
            join_waker: UnsafeCell::new(None),
        }
    }
}

impl Header {
    /// The links of the task `ptr` points to.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live task, with the provenance of its whole allocation (a task
    /// pointer, not one made from a `&Header`), and the task outlives `'a`.
    pub(crate) unsafe fn links<'a>(ptr: NonNull<Header>) -> &'a Links {
        // SAFETY: the caller's contract; the links are the allocation's first field, the
        // header its second, `LINKS_BEFORE_HEADER` bytes further (checked in `raw.rs`).
        unsafe { ptr.byte_sub(LINKS_BEFORE_HEADER).cast::<Links>().as_ref() }
    }

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

// Every word of the links and header is paid by every task: 32 + 40 bytes (two list
// links, the join waker's two words; state, vtable, id, origin, wait record). The memory
// row counts each one (heap per idle task), and spawn-heavy workloads notice one too:
// spawn_many_local's tasks once crossed into the next malloc size class with 16 more
// bytes, which doubled its time. The links' 32 bytes are also what keeps one task's hot
// bytes a cache line from the next task's (see the module docs): shrink them with care.
#[cfg(all(not(weft_loom), not(feature = "tracing"), target_pointer_width = "64"))]
const _: () = assert!(std::mem::size_of::<Links>() == 32 && std::mem::size_of::<Header>() == 40);

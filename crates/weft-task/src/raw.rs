//! The task allocation and the operations that need its concrete types (behind the
//! header's `Vtable`).
//!
//! A task is one `Box<Cell<F, S>>`: the `Links` (owner-list links, join waker: the fields
//! a poll never touches, kept between the previous task's future and this task's header;
//! see `header.rs`), the `Header` (state word, vtable, id, name, wait record), the
//! scheduler handle `S`, then the `Stage` (the future, later its output). `#[repr(C)]` puts
//! the header at the same offset in every task, so a `NonNull<Header>` is all a `Runnable`,
//! `Waker` or `JoinHandle` carries; the vtable recovers the concrete types.

use std::any::Any;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, Waker};

use weft_core::context::CurrentTask;
use weft_core::introspect::{self, PollScope, WaitRecord};
use weft_core::loom::cell::UnsafeCell;

use crate::header::{Header, Links, Vtable, LINKS_BEFORE_HEADER};
use crate::id::with_id;
use crate::origin::Origin;
use crate::state::{State, ToIdle, ToRunning};
use crate::{waker, Hint, Id, JoinError, Runnable, Schedule};

/// The future, later its output, in the same bytes: which one is there is read from the
/// state word, so the stage carries no tag (8 bytes of every task):
///
/// - not `COMPLETE`: the future (only the holder of `RUNNING` touches it; between dropping
///   the future and storing the output, that holder alone sees the stage empty);
/// - `COMPLETE` with `JOIN_INTEREST`: the output, which belongs to the `JoinHandle`;
/// - `COMPLETE` without `JOIN_INTEREST`: nothing. Whoever clears `JOIN_INTEREST` after
///   completion takes the output with it: the `JoinHandle` that reads it (`try_read_output`)
///   or drops it (`drop_join_handle_slow`); the runner drops it at once if the handle was gone
///   before completion (`complete`).
pub(crate) union Stage<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<Result<F::Output, JoinError>>,
}

/// Drops the future *where it lies*, even if its destructor panics (the panic is returned).
/// The future is pinned: moving it out to drop it would run its destructor at another
/// address, while a future that borrows its own locals across an `.await` still points into
/// the old one.
///
/// # Safety
///
/// The caller has exclusive access to the stage, which holds the future; afterwards the
/// stage is empty until an output is written.
unsafe fn drop_future_in_place<F: Future>(stage: *mut Stage<F>) -> Result<(), Box<dyn Any + Send>> {
    // SAFETY: exclusive access to a stage holding the future (the caller's contract); if its
    // destructor unwinds, the drop glue still drops the remaining fields.
    panic::catch_unwind(AssertUnwindSafe(|| unsafe {
        ManuallyDrop::drop(&mut (*stage).future)
    }))
}

/// Moves the output out, leaving the stage empty.
///
/// # Safety
///
/// The caller has exclusive access to the stage, which holds the output, and treats it as
/// empty afterwards.
unsafe fn take_output<F: Future>(stage: *mut Stage<F>) -> Result<F::Output, JoinError> {
    // SAFETY: the caller's contract; the bytes are never read as an output again.
    unsafe { ManuallyDrop::take(&mut (*stage).output) }
}

#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    links: Links,
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
}

impl<F: Future, S> Cell<F, S> {
    /// Where the header is: `LINKS_BEFORE_HEADER` for every `F` and `S`, which
    /// `Header::links` relies on.
    const HEADER: usize = {
        let offset = std::mem::offset_of!(Cell<F, S>, header);
        assert!(offset == LINKS_BEFORE_HEADER);
        offset
    };
}

/// Allocates a task; the state starts with three references: the returned `Task`,
/// `Runnable` and the (caller-made) `JoinHandle`.
pub(crate) fn allocate<F, S>(
    future: F,
    scheduler: S,
    name: Option<Box<str>>,
    location: &'static Location<'static>,
) -> NonNull<Header>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let cell = Box::new(Cell {
        links: Links::new(),
        header: Header {
            state: State::new(),
            vtable: vtable::<F, S>(),
            id: Id::next(),
            origin: Origin::new(name, location),
            wait: WaitRecord::new(),
            #[cfg(feature = "tracing")]
            span: tracing::trace_span!(
                target: "weft::task",
                "task",
                task.id = tracing::field::Empty,
                task.name = tracing::field::Empty,
                loc.file = location.file(),
                loc.line = location.line(),
                loc.col = location.column(),
            ),
        },
        scheduler,
        stage: UnsafeCell::new(Stage {
            future: ManuallyDrop::new(future),
        }),
    });
    #[cfg(feature = "tracing")]
    {
        let h = &cell.header;
        h.span.record("task.id", h.id.as_u64());
        if let Some(name) = h.name() {
            h.span.record("task.name", name);
        }
        tracing::trace!(target: "weft::task", parent: &h.span, task_id = h.id.as_u64(), "spawn");
    }
    // Made from the allocation's pointer, not from a `&Header`: the task pointer reaches
    // the links before the header too (`Header::links`).
    let cell = NonNull::from(Box::leak(cell));
    // SAFETY: the header is `Cell::HEADER` bytes into the allocation.
    unsafe { cell.byte_add(Cell::<F, S>::HEADER).cast() }
}

fn vtable<F, S>() -> &'static Vtable
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    &Vtable {
        run: run::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle_slow: drop_join_handle_slow::<F, S>,
        shutdown: shutdown::<F, S>,
        joined_as: S::JOINED_AS,
    }
}

/// # Safety
///
/// `ptr` must point to a live `Cell<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the caller guarantees the cell is live; the header is `Cell::HEADER` bytes into
    // it (repr(C)), and task pointers carry the whole allocation's provenance (`allocate`).
    unsafe {
        ptr.byte_sub(Cell::<F, S>::HEADER)
            .cast::<Cell<F, S>>()
            .as_ref()
    }
}

unsafe fn run<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: a `Runnable`'s reference keeps the cell alive until we drop it below.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Success => {}
        ToRunning::Cancelled => return cell.cancel_and_complete(ptr),
        ToRunning::Failed => return,
        // SAFETY: that was the last reference.
        ToRunning::Dealloc => return unsafe { dealloc::<F, S>(ptr) },
    }

    // SAFETY: the waker shares our reference and does not outlive this call.
    let waker = unsafe { waker::borrowed(ptr) };
    let mut cx = Context::from_waker(&waker);
    let header = &cell.header;
    header.wait.clear();
    let (polled, yielded) = {
        // The id, name and wait record current, and in debug mode the poll timed (a slow
        // poll is reported when the scope ends).
        // The scope also grants the poll its cooperative budget. `yield_now` tells this
        // runner it yielded through `current` instead of waking `waker`.
        let current = CurrentTask::new(header.id.as_u64(), header.name(), Some(&header.wait))
            .with_yield_waker(&waker);
        let _poll = PollScope::enter(&current, || header.location());
        #[cfg(feature = "tracing")]
        let _span = header.span.enter();
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            cell.stage.with_mut(|stage| {
                // SAFETY: we hold RUNNING and the task is not COMPLETE, so the stage holds
                // the future and we have exclusive access; the future is never moved (it is
                // dropped in place), so it stays pinned inside the task allocation.
                unsafe { Pin::new_unchecked(&mut *(*stage).future) }.poll(&mut cx)
            })
        }));
        (polled, current.yielded())
    };

    let output = match polled {
        Ok(Poll::Pending) => {
            return match cell.header.state.transition_to_idle(yielded) {
                ToIdle::Ok => {}
                ToIdle::OkNotified => {
                    // SAFETY: we keep our reference; it becomes the new `Runnable`'s.
                    let task = unsafe { Runnable::from_raw(ptr) };
                    // A panicking dispatcher may not unwind out of `run`; the `Runnable`
                    // it was given is dropped by the unwinding, which cancels the task.
                    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| {
                        cell.scheduler.dispatch(task, Hint::Yield)
                    })) {
                        dispatch_panicked(cell.header.id, payload);
                    }
                }
                // SAFETY: that was the last reference.
                ToIdle::OkDealloc => unsafe { dealloc::<F, S>(ptr) },
                ToIdle::Cancelled => cell.cancel_and_complete(ptr),
            };
        }
        Ok(Poll::Ready(out)) => Ok(out),
        Err(payload) => Err(JoinError::panic(cell.header.id, payload)),
    };
    let output = match cell.drop_future() {
        Ok(()) => output,
        Err(payload) => Err(JoinError::panic(cell.header.id, payload)),
    };
    cell.store_output(output);
    cell.complete(ptr);
}

impl<F, S> Cell<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    /// Drops the future in place; a panic in its destructor is returned, not propagated.
    /// The caller holds RUNNING, and the task is not COMPLETE.
    fn drop_future(&self) -> Result<(), Box<dyn Any + Send>> {
        with_id(self.header.id, self.header.name(), None, || {
            // SAFETY: the caller holds RUNNING before COMPLETE: the stage holds the future,
            // and we have exclusive access.
            self.stage
                .with_mut(|stage| unsafe { drop_future_in_place(stage) })
        })
    }

    /// Writes the output into the stage the future has left empty (`drop_future`).
    fn store_output(&self, output: Result<F::Output, JoinError>) {
        // SAFETY: the caller holds RUNNING: exclusive access to the stage, now empty, so
        // nothing is overwritten without a drop.
        self.stage.with_mut(|stage| unsafe {
            ptr::write(
                stage,
                Stage {
                    output: ManuallyDrop::new(output),
                },
            )
        });
    }

    /// Drops the future and stores a cancellation (or its destructor's panic).
    fn cancel_and_complete(&self, ptr: NonNull<Header>) {
        let err = match self.drop_future() {
            Ok(()) => JoinError::cancelled(self.header.id),
            Err(payload) => JoinError::panic(self.header.id, payload),
        };
        self.store_output(Err(err));
        self.complete(ptr);
    }

    /// Debug mode: a panic whose `JoinHandle` is gone without having taken it is reported
    /// (asyncio's "Task exception was never retrieved").
    fn report_unretrieved_panic(&self, output: &Result<F::Output, JoinError>) {
        let Err(err) = output else {
            return;
        };
        let Some(monitor) = self.scheduler.monitor().filter(|_| err.is_panic()) else {
            return;
        };
        let message = err
            .panic_message()
            .unwrap_or_else(|| "(a payload that is not a string)".to_owned());
        monitor.report(&introspect::Report::PanicNotRetrieved {
            task: self.header.task_ref(),
            message,
        });
    }

    /// Publishes the stored output and drops the caller's reference (a `Runnable`'s, or the
    /// list `Task`'s on shutdown) and, if the list held one, the list's.
    fn complete(&self, ptr: NonNull<Header>) {
        #[cfg(feature = "tracing")]
        tracing::trace!(
            target: "weft::task",
            parent: &self.header.span,
            task_id = self.header.id.as_u64(),
            // SAFETY: the caller holds RUNNING (exclusive access to the stage) and has
            // stored the output; we only read.
            outcome = match self.stage.with(|s| unsafe { &*(*s).output }) {
                Ok(_) => "ok",
                Err(e) if e.is_panic() => "panic",
                Err(_) => "cancelled",
            },
            "complete"
        );
        if let Some(monitor) = self.scheduler.monitor() {
            monitor.forget(self.header.id.as_u64());
        }
        let snapshot = self.header.state.transition_to_complete();
        // Neither a panic in the output's destructor nor in a waker may escape into the
        // worker: the task must still be released below.
        if !snapshot.is_join_interested() {
            // SAFETY: COMPLETE without JOIN_INTEREST, and we cleared neither: no handle can
            // reach the output we just stored; it is ours to drop, and the stage is empty
            // from now on.
            let output = self.stage.with_mut(|stage| unsafe { take_output(stage) });
            self.report_unretrieved_panic(&output);
            let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(output)));
        } else if snapshot.is_join_waker_set() {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: JOIN_WAKER is set and COMPLETE now too: the handle can no longer
                // touch the slot, and we only read it.
                self.links.join_waker.with(|w| match unsafe { &*w } {
                    Some(w) => w.wake_by_ref(),
                    None => unreachable!("JOIN_WAKER set with an empty slot"),
                })
            }));
            let prev = self.header.state.unset_join_waker_after_complete();
            if !prev.is_join_interested() {
                // SAFETY: the handle went away meanwhile and left the waker to us.
                let waker = self.links.join_waker.with_mut(|w| unsafe { (*w).take() });
                let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(waker)));
            }
        }

        // The task leaves its owner's list itself: the list is the one the task was made
        // with, so the reference it gives up is this task's own.
        let count = match self.scheduler.list() {
            Some(list) if list.remove(ptr) => 2,
            _ => 1,
        };
        if self.header.state.transition_to_terminal(count) {
            // SAFETY: those were the last references.
            unsafe { dealloc::<F, S>(ptr) };
        }
    }
}

unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller holds a reference, which the new `Runnable` takes over.
    let (cell, task) = unsafe { (cell::<F, S>(ptr), Runnable::from_raw(ptr)) };
    let hint = if weft_core::context::wakes_deferred() {
        Hint::Deferred
    } else {
        Hint::Wake
    };
    cell.scheduler.dispatch(task, hint);
}

/// Reports a dispatcher that panicked while re-queueing a yielding task (the task was
/// cancelled by the unwinding). Nobody else would ever hear of it.
#[cold]
fn dispatch_panicked(id: Id, payload: Box<dyn Any + Send>) {
    use std::io::Write;
    // Its destructor may panic too: it may not unwind either.
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
    // `eprintln!` would panic on a failed write, and this may not unwind.
    let _ = writeln!(
        std::io::stderr(),
        "weft-task: the dispatcher panicked while re-queueing task {id}; the task was cancelled"
    );
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the reference count reached zero: nobody else can reach the allocation, which
    // `allocate` made with `Box::new`, `Cell::HEADER` bytes before the header.
    let cell = unsafe {
        let cell = ptr.byte_sub(Cell::<F, S>::HEADER).cast::<Cell<F, S>>();
        Box::from_raw(cell.as_ptr())
    };
    // A task freed before it finished (every handle and waker dropped) still holds its
    // future; its destructor runs here, with the task id set, and may not unwind into
    // whoever dropped the last reference (a worker, a waker's owner). A finished task's
    // stage is empty: the `JoinHandle`'s interest went (it is gone), and whoever cleared it
    // after completion took the output.
    if !cell.header.state.load().is_complete() {
        cell.stage.with_mut(|stage| {
            with_id(cell.header.id, cell.header.name(), None, || {
                // SAFETY: we own the allocation exclusively, and a task that never completed
                // holds its future (the runner between `drop_future` and `complete` holds a
                // reference, so it is not here); it is dropped where it was pinned.
                let _ = unsafe { drop_future_in_place(stage) };
            });
        });
    }
    drop(cell);
}

unsafe fn try_read_output<F, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the JoinHandle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if !can_read_output(&cell.header, &cell.links, waker) {
        return;
    }
    // SAFETY: COMPLETE and JOIN_INTEREST (`can_read_output` checked both): the output
    // belongs to the handle, which calls us with exclusive access (`&mut JoinHandle`). The
    // transition below clears JOIN_INTEREST, which says the stage is empty from now on.
    let output = cell.stage.with_mut(|stage| unsafe { take_output(stage) });
    // The handle keeps its reference (for `id` and `is_finished`), and gives up the output
    // and the join-waker slot here, as if it were dropped; its `drop` only releases the
    // reference.
    let (_, waker) = release_join_interest(&cell.header, &cell.links);
    let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
    // SAFETY: the handle passes a `Poll<Result<F::Output, JoinError>>` of this task's type.
    unsafe { *dst = Poll::Ready(output) };
    // Last: a panicking waker destructor cannot lose the output.
    drop(waker);
}

/// `true` if the task is complete; otherwise makes sure `waker` is the registered join
/// waker.
fn can_read_output(header: &Header, links: &Links, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    // Only the handle clears JOIN_INTEREST, and reading the output is one way it does.
    assert!(
        snapshot.is_join_interested(),
        "JoinHandle polled after it returned the task's output"
    );
    if snapshot.is_complete() {
        return true;
    }
    let res = if !snapshot.is_join_waker_set() {
        set_join_waker(header, links, waker)
    } else {
        // SAFETY: JOIN_WAKER set: the task may read the slot concurrently, so may we.
        let same = links
            .join_waker
            .with(|w| unsafe { (*w).as_ref() }.is_some_and(|w| w.will_wake(waker)));
        if same {
            return false;
        }
        header
            .state
            .unset_join_waker()
            .and_then(|_| set_join_waker(header, links, waker))
    };
    match res {
        Ok(_) => false,
        Err(snapshot) => {
            debug_assert!(snapshot.is_complete());
            true
        }
    }
}

fn set_join_waker(
    header: &Header,
    links: &Links,
    waker: &Waker,
) -> Result<crate::state::Snapshot, crate::state::Snapshot> {
    // SAFETY: JOIN_WAKER is unset, so the handle (our caller) owns the slot.
    links
        .join_waker
        .with_mut(|w| unsafe { *w = Some(waker.clone()) });
    let res = header.state.set_join_waker();
    if res.is_err() {
        // SAFETY: the task completed before seeing the waker: the slot is still ours.
        links.join_waker.with_mut(|w| unsafe { *w = None });
    }
    res
}

/// The `JoinHandle` gives up its interest, as it is dropped or as it reads the output:
/// clears `JOIN_INTEREST` and, unless the task still reads the join-waker slot, takes the
/// waker out of it. Returns whether the task is complete (its output is then the caller's
/// to take) and the waker, for the caller to drop last.
fn release_join_interest(header: &Header, links: &Links) -> (bool, Option<Waker>) {
    let (complete, slot_is_ours) = header.state.transition_to_join_handle_dropped();
    let waker = if slot_is_ours {
        // SAFETY: JOIN_WAKER is unset: the slot is ours.
        links.join_waker.with_mut(|w| unsafe { (*w).take() })
    } else {
        None
    };
    (complete, waker)
}

unsafe fn drop_join_handle_slow<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the JoinHandle's reference keeps the cell alive until the `ref_dec` below.
    let cell = unsafe { cell::<F, S>(ptr) };
    // A handle that read the output gave up its interest then (`try_read_output`); only the
    // handle clears JOIN_INTEREST, so this load cannot race with that.
    let (drop_output, waker) = if cell.header.state.load().is_join_interested() {
        release_join_interest(&cell.header, &cell.links)
    } else {
        (false, None)
    };
    if drop_output {
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the task completed while the handle was interested: the output is ours,
            // and the stage is empty from now on (JOIN_INTEREST is cleared).
            let output = cell.stage.with_mut(|stage| unsafe { take_output(stage) });
            cell.report_unretrieved_panic(&output);
            drop(output);
        }));
    }
    drop(waker);
    if cell.header.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // We hold RUNNING now; `complete` consumes the caller's reference.
        cell.cancel_and_complete(ptr);
    } else if cell.header.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

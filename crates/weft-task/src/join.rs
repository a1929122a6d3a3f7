use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use weft_core::coop;
use weft_core::introspect;

use crate::header::{self, Header};
use crate::{Id, JoinError};

/// An owned permission to await a task's output: `handle.await` gives
/// `Ok(output)`, or `Err(JoinError)` if the task panicked or was cancelled.
///
/// Dropping the handle detaches the task: it runs on, and its output is dropped when it
/// finishes. Use [`JoinHandle::abort`] to cancel it.
///
/// ```
/// weft::run(async {
///     let handle = weft::spawn(async { "done" });
///     assert_eq!(handle.await.unwrap(), "done");
///
///     let stuck = weft::spawn(std::future::pending::<()>());
///     stuck.abort();
///     assert!(stuck.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct JoinHandle<T> {
    ptr: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output (`T: Send`) out of the task, and the state machine
// serialises that with the task's own accesses.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reads atomics (`is_finished`, `id`) and requests an abort.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    ///
    /// The caller holds the task's join reference (JOIN_INTEREST) and `T` is the task's output.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle {
            ptr,
            _output: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle's reference keeps the header alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Cancels the task: its future is dropped at the next opportunity (at once if it is
    /// idle, when its current poll returns if it is running), and awaiting the handle then
    /// gives a cancelled [`JoinError`]. Aborting a finished task does nothing.
    pub fn abort(&self) {
        // SAFETY: the handle holds a reference.
        unsafe { header::remote_abort(self.ptr) }
    }

    /// `true` once the task has finished (completed, panicked or been cancelled), i.e. when
    /// awaiting the handle would not wait.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header().id
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.header().location()
    }

    /// A handle that can abort the task but not await it (it can be cloned and shared).
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { ptr: self.ptr }
    }

    /// This handle, aborting the task when dropped: the task belongs to whoever awaits it,
    /// so `timeout(d, handle.abort_on_drop())` cancels the task when the time runs out, as
    /// asyncio's `wait_for` cancels what it waits for. (A plain `JoinHandle` detaches its
    /// task when dropped.)
    ///
    /// ```
    /// use std::time::Duration;
    /// weft::run(async {
    ///     let slow = weft::spawn(weft::time::sleep(Duration::from_secs(60)));
    ///     let watch = slow.abort_handle();
    ///     let waited = weft::time::timeout(Duration::from_millis(5), slow.abort_on_drop()).await;
    ///     assert!(waited.is_err()); // timed out: the handle was dropped, the task aborted
    ///     while !watch.is_finished() {
    ///         weft::task::yield_now().await;
    ///     }
    /// });
    /// ```
    pub fn abort_on_drop(self) -> AbortOnDrop<T> {
        AbortOnDrop { handle: Some(self) }
    }
}

/// A [`JoinHandle`] that aborts its task when dropped, from [`JoinHandle::abort_on_drop`].
/// Awaiting it gives what awaiting the handle gives.
pub struct AbortOnDrop<T> {
    /// `None` only after [`into_inner`](AbortOnDrop::into_inner) took it.
    handle: Option<JoinHandle<T>>,
}

impl<T> AbortOnDrop<T> {
    fn handle(&self) -> &JoinHandle<T> {
        self.handle.as_ref().expect("taken only by into_inner")
    }

    /// Cancels the task now; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.handle().abort();
    }

    /// `true` once the task has finished; see [`JoinHandle::is_finished`].
    pub fn is_finished(&self) -> bool {
        self.handle().is_finished()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.handle().id()
    }

    /// The plain handle back: dropping it detaches the task again instead of aborting it.
    ///
    /// ```
    /// weft::run(async {
    ///     let guarded = weft::spawn(async { 7 }).abort_on_drop();
    ///     let plain = guarded.into_inner();
    ///     assert_eq!(plain.await.unwrap(), 7);
    /// });
    /// ```
    pub fn into_inner(mut self) -> JoinHandle<T> {
        self.handle.take().expect("taken only by into_inner")
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = self.handle.as_mut().expect("taken only by into_inner");
        Pin::new(handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for AbortOnDrop<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortOnDrop")
            .field("handle", &self.handle)
            .finish()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type; `&mut self` gives exclusive access to
        // the output.
        unsafe {
            (self.header().vtable.try_read_output)(
                self.ptr,
                &mut out as *mut Poll<Result<T, JoinError>> as *mut (),
                cx.waker(),
            )
        };
        if out.is_ready() {
            coop.made_progress();
        } else {
            // `poll` cannot be `#[track_caller]`: the awaited task is named by its id and its
            // spawn location.
            let header = self.header();
            let kind = header.vtable.joined_as;
            introspect::waiting_on(kind, header.location(), None, header.id.as_u64());
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.header().state.drop_join_handle_fast() {
            return;
        }
        // SAFETY: our reference passes to the slow path, which consumes it.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Cancels a task without owning its output; cloneable. Obtained from
/// [`JoinHandle::abort_handle`].
///
/// ```
/// weft::run(async {
///     let handle = weft::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle(); // cloneable, and it does not own the output
///     std::thread::spawn(move || abort.abort()).join().unwrap();
///     assert!(handle.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    ptr: NonNull<Header>,
}

// SAFETY: an `AbortHandle` only touches the atomic state and the immutable header fields.
unsafe impl Send for AbortHandle {}
// SAFETY: as above.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    fn header(&self) -> &Header {
        // SAFETY: the handle's reference keeps the header alive.
        unsafe { self.ptr.as_ref() }
    }

    /// Cancels the task; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        // SAFETY: the handle holds a reference.
        unsafe { header::remote_abort(self.ptr) }
    }

    /// `true` once the task has finished.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { ptr: self.ptr }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        // SAFETY: our reference is released exactly once.
        unsafe { header::drop_ref(self.ptr) }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}

//! The waker vtable: a waker is the task pointer itself; cloning it takes a reference, so a
//! wake-up never allocates.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::header::{self, Header};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker sharing the caller's reference (not dropped, so it takes none of its own).
///
/// # Safety
///
/// The caller must hold a reference to the task for as long as the waker is used.
pub(crate) unsafe fn borrowed(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    // SAFETY: `raw_waker` builds a RawWaker whose vtable upholds the `Waker` contract.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(ptr)) })
}

fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)
}

unsafe fn clone(data: *const ()) -> RawWaker {
    let ptr = NonNull::new(data as *mut Header).expect("null task waker");
    // SAFETY: the waker being cloned holds a reference, so the header is live.
    unsafe { ptr.as_ref() }.state.ref_inc();
    raw_waker(ptr)
}

unsafe fn wake(data: *const ()) {
    let ptr = NonNull::new(data as *mut Header).expect("null task waker");
    // SAFETY: the waker owns a reference, which `wake` consumes.
    unsafe { header::wake_by_val(ptr) }
}

unsafe fn wake_by_ref(data: *const ()) {
    let ptr = NonNull::new(data as *mut Header).expect("null task waker");
    // SAFETY: the waker holds a reference for the duration of the call.
    unsafe { header::wake_by_ref(ptr) }
}

unsafe fn drop_waker(data: *const ()) {
    let ptr = NonNull::new(data as *mut Header).expect("null task waker");
    // SAFETY: the waker owns a reference, which dropping it releases.
    unsafe { header::drop_ref(ptr) }
}

//! The owner list: every live task of a runtime, so that shutdown can cancel even the tasks
//! nobody will ever wake.
//!
//! An intrusive doubly linked list threaded through the task headers, split into shards
//! chosen by task id so that spawns and completions on different workers rarely meet on the
//! same lock. The list holds one reference (a [`Task`]) per member.

use std::fmt;
use std::ptr::NonNull;

use weft_core::loom::sync::atomic::{AtomicBool, Ordering};
use weft_core::loom::sync::Mutex;
use weft_core::CachePadded;

use crate::header::Header;
use crate::Task;

/// The set of live tasks of one runtime, kept by its [`Owner`](crate::Owner).
///
/// A task is added when it is spawned and removes itself when it finishes;
/// [`TaskList::close_and_shutdown_all`] refuses new tasks and cancels every remaining one.
pub(crate) struct TaskList {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    closed: AtomicBool,
}

struct Shard {
    head: Option<NonNull<Header>>,
    len: usize,
    closed: bool,
}

// SAFETY: the shard only stores pointers to tasks (which are `Send`), and every access to
// them happens under the shard's lock.
unsafe impl Send for Shard {}

impl Default for TaskList {
    fn default() -> TaskList {
        TaskList::new(4)
    }
}

impl TaskList {
    /// Creates a list with about `shards` shards (rounded up to a power of two, at least 1;
    /// four per worker thread keeps contention negligible).
    pub(crate) fn new(shards: usize) -> TaskList {
        let n = shards.clamp(1, 1 << 16).next_power_of_two();
        TaskList {
            shards: (0..n)
                .map(|_| {
                    CachePadded::new(Mutex::new(Shard {
                        head: None,
                        len: 0,
                        closed: false,
                    }))
                })
                .collect(),
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, header: &Header) -> &Mutex<Shard> {
        &self.shards[(header.id.as_u64() as usize) & (self.shards.len() - 1)]
    }

    /// Adds `task` to the list, or gives it back if the list is closed.
    pub(crate) fn bind(&self, task: Task) -> Result<(), Task> {
        let mut shard = self.shard(task.header()).lock();
        if shard.closed {
            return Err(task);
        }
        let ptr = task.into_raw();
        // SAFETY: under the shard lock we own every member's links; `ptr` is not a member
        // yet, and the reference we took over keeps it alive.
        unsafe {
            let links = Header::links(ptr);
            links.list_prev.with_mut(|p| *p = None);
            links.list_next.with_mut(|n| *n = shard.head);
            if let Some(head) = shard.head {
                Header::links(head).list_prev.with_mut(|p| *p = Some(ptr));
            }
        }
        shard.head = Some(ptr);
        shard.len += 1;
        Ok(())
    }

    /// Unlinks the task `ptr` points to if it is a member, returning whether it was: the
    /// list's reference then passes to the caller, who must release it. The caller holds a
    /// reference to the task.
    pub(crate) fn remove(&self, ptr: NonNull<Header>) -> bool {
        // SAFETY: the caller's reference keeps the task alive.
        let mut shard = self.shard(unsafe { ptr.as_ref() }).lock();
        // SAFETY: under the shard lock we own every member's links, and the task is bound to
        // this list, so its links are ours too; `ptr` comes from the allocation (the
        // caller's task pointer), as do the links.
        unsafe {
            let links = Header::links(ptr);
            let prev = links.list_prev.with(|p| *p);
            let next = links.list_next.with(|n| *n);
            match prev {
                Some(prev) => Header::links(prev).list_next.with_mut(|n| *n = next),
                None if shard.head == Some(ptr) => shard.head = next,
                None => return false,
            }
            if let Some(next) = next {
                Header::links(next).list_prev.with_mut(|p| *p = prev);
            }
            links.list_prev.with_mut(|p| *p = None);
            links.list_next.with_mut(|n| *n = None);
        }
        shard.len -= 1;
        true
    }

    /// Closes the list (later spawns are cancelled at once) and cancels every member: idle
    /// tasks have their future dropped here, on the calling thread; a task running elsewhere
    /// is marked cancelled and drops its future when that poll returns.
    pub(crate) fn close_and_shutdown_all(&self) {
        self.closed.store(true, Ordering::Release);
        for shard in self.shards.iter() {
            shard.lock().closed = true;
        }
        for shard in self.shards.iter() {
            loop {
                // Unlink under the lock, cancel outside it: cancelling drops the future,
                // which may finish other tasks that need this same lock.
                let task = {
                    let mut shard = shard.lock();
                    let Some(head) = shard.head else { break };
                    // SAFETY: under the lock the head's links are ours.
                    unsafe {
                        let links = Header::links(head);
                        let next = links.list_next.with(|n| *n);
                        if let Some(next) = next {
                            Header::links(next).list_prev.with_mut(|p| *p = None);
                        }
                        links.list_next.with_mut(|n| *n = None);
                        shard.head = next;
                        shard.len -= 1;
                        Task::from_raw(head)
                    }
                };
                task.shutdown();
            }
        }
    }

    /// `true` once [`TaskList::close_and_shutdown_all`] was called.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The number of live tasks.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }

    /// `true` if no task is alive.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with every live task (one shard locked at a time: do not spawn, abort or
    /// await from inside `f`).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Task)) {
        for shard in self.shards.iter() {
            let shard = shard.lock();
            let mut cur = shard.head;
            while let Some(ptr) = cur {
                // SAFETY: members are live (the list holds a reference) and their links are
                // ours under the lock; the borrowed `Task` is never dropped.
                let task = std::mem::ManuallyDrop::new(unsafe { Task::from_raw(ptr) });
                f(&task);
                // SAFETY: as above.
                cur = unsafe { Header::links(ptr).list_next.with(|n| *n) };
            }
        }
    }
}

impl Drop for TaskList {
    fn drop(&mut self) {
        self.close_and_shutdown_all();
    }
}

impl fmt::Debug for TaskList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskList")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

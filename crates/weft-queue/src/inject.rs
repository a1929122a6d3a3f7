//! The global injection queue: spawns from outside the runtime and local-queue overflow.
//!
//! Built normally it is `crossbeam_deque::Injector` (lock-free, unbounded). crossbeam is not
//! instrumented for loom, so under `--cfg weft_loom` a `Mutex<VecDeque<T>>` from the loom shim
//! stands in: same FIFO behaviour, and every access is visible to the model checker.

use std::fmt;

/// The global FIFO run queue shared by all workers: tasks spawned from outside the runtime, and
/// the tasks pushed to a full local queue.
///
/// `Send` and `Sync` for `T: Send`; unbounded; dropping it drops the items left in it.
///
/// ```
/// use weft_queue::Inject;
///
/// let inject = Inject::new();
/// inject.push(1);
/// inject.push_batch(2..4);
/// assert_eq!(inject.len(), 3);
/// assert_eq!(inject.pop(), Some(1));
/// assert_eq!(inject.pop(), Some(2));
/// assert_eq!(inject.pop(), Some(3));
/// assert!(inject.is_empty());
/// ```
pub struct Inject<T> {
    queue: imp::Queue<T>,
}

impl<T> Inject<T> {
    /// An empty queue.
    ///
    /// ```
    /// let inject = weft_queue::Inject::<u32>::new();
    /// assert!(inject.is_empty());
    /// ```
    pub fn new() -> Self {
        Inject {
            queue: imp::Queue::new(),
        }
    }

    /// Pushes `task` to the back.
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// inject.push("task");
    /// assert_eq!(inject.pop(), Some("task"));
    /// ```
    pub fn push(&self, task: T) {
        self.queue.push(task);
    }

    /// Pushes every item of `tasks` to the back, in order. Other pushers may interleave their
    /// items with the batch; each item's relative order within the batch is kept.
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// inject.push_batch(["a", "b"].into_iter());
    /// assert_eq!(inject.pop(), Some("a"));
    /// assert_eq!(inject.pop(), Some("b"));
    /// ```
    pub fn push_batch(&self, tasks: impl Iterator<Item = T>) {
        self.queue.push_batch(tasks);
    }

    /// Pops the item at the front, or `None` when the queue is empty.
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// assert_eq!(inject.pop(), None::<u8>);
    /// inject.push(1u8);
    /// assert_eq!(inject.pop(), Some(1));
    /// ```
    pub fn pop(&self) -> Option<T> {
        self.queue.pop()
    }

    /// Whether the queue is empty (a snapshot when other threads use it).
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// assert!(inject.is_empty());
    /// inject.push(());
    /// assert!(!inject.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many items the queue holds (a snapshot when other threads use it).
    ///
    /// ```
    /// let inject = weft_queue::Inject::new();
    /// inject.push_batch(0..3);
    /// assert_eq!(inject.len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.queue.len()
    }
}

impl<T> Default for Inject<T> {
    fn default() -> Self {
        Inject::new()
    }
}

impl<T> fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inject").field("len", &self.len()).finish()
    }
}

#[cfg(not(weft_loom))]
mod imp {
    use crossbeam_deque::{Injector, Steal};
    use weft_core::loom::hint::spin_loop;

    pub(super) struct Queue<T>(Injector<T>);

    impl<T> Queue<T> {
        pub(super) fn new() -> Self {
            Queue(Injector::new())
        }

        pub(super) fn push(&self, task: T) {
            self.0.push(task);
        }

        pub(super) fn push_batch(&self, tasks: impl Iterator<Item = T>) {
            // `Injector` has no batch push; each push is one lock-free append.
            tasks.for_each(|task| self.0.push(task));
        }

        pub(super) fn pop(&self) -> Option<T> {
            loop {
                match self.0.steal() {
                    Steal::Success(task) => return Some(task),
                    Steal::Empty => return None,
                    // Lost a race with another popper; the queue is not empty.
                    Steal::Retry => spin_loop(),
                }
            }
        }

        pub(super) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }

        pub(super) fn len(&self) -> usize {
            self.0.len()
        }
    }
}

#[cfg(weft_loom)]
mod imp {
    use std::collections::VecDeque;

    use weft_core::loom::sync::Mutex;

    pub(super) struct Queue<T>(Mutex<VecDeque<T>>);

    impl<T> Queue<T> {
        pub(super) fn new() -> Self {
            Queue(Mutex::new(VecDeque::new()))
        }

        pub(super) fn push(&self, task: T) {
            self.0.lock().push_back(task);
        }

        pub(super) fn push_batch(&self, tasks: impl Iterator<Item = T>) {
            self.0.lock().extend(tasks);
        }

        pub(super) fn pop(&self) -> Option<T> {
            self.0.lock().pop_front()
        }

        pub(super) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }

        pub(super) fn len(&self) -> usize {
            self.0.lock().len()
        }
    }
}

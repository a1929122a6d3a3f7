//! [`Spawner`]: how the pool starts its threads.

use std::fmt;
use std::io;
use std::sync::Arc;

use weft_core::loom::thread;

type SpawnFn = dyn Fn(Box<dyn FnOnce() + Send>) -> io::Result<thread::JoinHandle<()>> + Send + Sync;

/// The function a [`BlockingPool`](crate::BlockingPool) starts its threads with.
///
/// The runtime passes one that gives each thread the builder's name, stack size and
/// `on_thread_start` / `on_thread_stop` hooks and makes the runtime current on it (the same
/// settings its schedulers' threads get); [`Spawner::default`] starts plain threads named
/// `weft-blocking`.
///
/// The function is held in a plain `std::sync::Arc` (also under loom): it is shared for the
/// pool's whole life, not a protocol the models check.
///
/// ```
/// use weft_blocking::Spawner;
///
/// let spawner = Spawner::new(|f| std::thread::Builder::new().name("my-pool".into()).spawn(f));
/// let t = spawner
///     .spawn(Box::new(|| assert_eq!(std::thread::current().name(), Some("my-pool"))))
///     .unwrap();
/// t.join().unwrap();
/// ```
#[derive(Clone)]
pub struct Spawner {
    spawn: Arc<SpawnFn>,
}

impl Spawner {
    /// A spawner that starts each thread with `spawn`, which must run the closure it is given
    /// on a new thread and return that thread's handle.
    pub fn new(
        spawn: impl Fn(Box<dyn FnOnce() + Send>) -> io::Result<thread::JoinHandle<()>>
            + Send
            + Sync
            + 'static,
    ) -> Spawner {
        Spawner {
            spawn: Arc::new(spawn),
        }
    }

    /// Starts a thread running `f`.
    pub fn spawn(&self, f: Box<dyn FnOnce() + Send>) -> io::Result<thread::JoinHandle<()>> {
        (self.spawn)(f)
    }
}

impl Default for Spawner {
    /// Plain threads named `weft-blocking`.
    fn default() -> Spawner {
        Spawner::new(|f| thread::Builder::new().name("weft-blocking".into()).spawn(f))
    }
}

impl fmt::Debug for Spawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawner").finish_non_exhaustive()
    }
}

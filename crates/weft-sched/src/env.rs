use std::fmt;
use std::io;
use std::sync::Arc;

use weft_core::loom::thread;

use crate::park::Park;

type SpawnFn = dyn Fn(Box<dyn FnOnce() + Send>) -> io::Result<thread::JoinHandle<()>> + Send + Sync;

/// What the runtime lends a [`Scheduler`](crate::Scheduler) when it starts: a way to start
/// threads that carry the runtime's settings, and the driver to park in.
///
/// Threads started through [`Env::spawn_thread`] get the builder's thread name and
/// `on_thread_start` / `on_thread_stop` hooks, and run inside the runtime context (so
/// `weft::spawn` and `Handle::current()` work on them).
///
/// The driver is held in a plain `std::sync::Arc` (also under loom): it is a trait object
/// shared for the runtime's whole life, not a protocol the models check.
///
/// ```
/// use std::sync::Arc;
/// use weft_sched::{Env, Park, ThreadPark};
///
/// let env = Env::new(Arc::new(ThreadPark::new()));
/// let t = env.spawn_thread(Box::new(|| println!("hello from a runtime thread"))).unwrap();
/// t.join().unwrap();
/// env.driver().unpark();
/// ```
#[derive(Clone)]
pub struct Env {
    spawn: Arc<SpawnFn>,
    driver: Arc<dyn Park>,
}

impl Env {
    /// An environment whose threads are plain `std` threads named `weft-worker`.
    pub fn new(driver: Arc<dyn Park>) -> Env {
        Env::with_spawner(driver, |f| {
            thread::Builder::new().name("weft-worker".into()).spawn(f)
        })
    }

    /// An environment that starts threads with `spawn` (the runtime passes one that applies
    /// the builder's settings).
    pub fn with_spawner(
        driver: Arc<dyn Park>,
        spawn: impl Fn(Box<dyn FnOnce() + Send>) -> io::Result<thread::JoinHandle<()>>
            + Send
            + Sync
            + 'static,
    ) -> Env {
        Env {
            spawn: Arc::new(spawn),
            driver,
        }
    }

    /// Starts a runtime thread running `f`.
    pub fn spawn_thread(&self, f: Box<dyn FnOnce() + Send>) -> io::Result<thread::JoinHandle<()>> {
        (self.spawn)(f)
    }

    /// The runtime's driver: park in it when idle (one thread at a time), unpark it to wake
    /// that thread.
    pub fn driver(&self) -> &Arc<dyn Park> {
        &self.driver
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

//! What the loom models of `weft-reactor` share: `model` (counting interleavings), a
//! `block_on` that blocks the loom thread until its waker is woken (a lost wake-up is then
//! a deadlock, which loom reports), and an in-memory self-pipe for the signal registry.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::future::Future;
use std::io;
use std::pin::pin;
// Bookkeeping only (the interleaving count): not part of any protocol under test.
use std::sync::atomic::{AtomicUsize as StdUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;
use std::task::{ready, Context, Poll, Wake, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::{Arc, Condvar, Mutex};
use weft_reactor::protocol::{Ready, ScheduledIo, Wakeup, WakeupReader};

#[cfg(not(debug_assertions))]
compile_error!("run the loom models with `-C debug-assertions`");

/// `loom::model`, printing how many interleavings it explored (see them with
/// `-- --nocapture`).
pub fn model<F: Fn() + Send + Sync + 'static>(f: F) {
    let runs = StdArc::new(StdUsize::new(0));
    let r = runs.clone();
    weft_core::loom::model(move || {
        r.fetch_add(1, SeqCst);
        f()
    });
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!("{name}: {} interleavings", runs.load(SeqCst));
}

/// A waker with a token, on a loom mutex and condition variable (not `thread::park`:
/// loom aborts when an `unpark` reaches a thread blocked in `join`, loom issue #249, and a
/// late wake-up may well come while the woken thread joins another).
struct Parker {
    woken: Mutex<bool>,
    condvar: Condvar,
}

impl Wake for Parker {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        *self.woken.lock() = true;
        self.condvar.notify_one();
    }
}

/// Polls `fut` on this loom thread, blocking between polls until woken.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let parker = StdArc::new(Parker {
        woken: Mutex::new(false),
        condvar: Condvar::new(),
    });
    let waker = Waker::from(parker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        let mut woken = parker.woken.lock();
        while !*woken {
            woken = parker.condvar.wait(woken);
        }
        *woken = false;
    }
}

/// A waker that does nothing, for polls whose wake-ups the model does not wait for.
pub fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: StdArc<Self>) {}
    }
    Waker::from(StdArc::new(Noop))
}

/// Wakes every waker in `wakers`, as the reactor does after releasing its locks.
pub fn wake_all(wakers: Vec<Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

/// The self-pipe and the selector, in memory: a byte count, and one `ScheduledIo` per
/// reader (its reactor registration, the real readiness code). `notify` writes a byte,
/// then "harvests" each reader's edge as epoll does: only if a byte is still there (a
/// reader that drained it first makes the others' events vanish, the case the listener
/// protocol exists for).
pub struct ModelPipe {
    bytes: AtomicUsize,
    readers: Mutex<Vec<Arc<ScheduledIo>>>,
}

impl ModelPipe {
    pub fn new() -> Arc<ModelPipe> {
        Arc::new(ModelPipe {
            bytes: AtomicUsize::new(0),
            readers: Mutex::new(Vec::new()),
        })
    }
}

/// The registry's end of a [`ModelPipe`].
pub struct PipeWakeup(pub Arc<ModelPipe>);

impl Wakeup for PipeWakeup {
    fn notify(&self) {
        self.0.bytes.fetch_add(1, Ordering::Release);
        let readers = self.0.readers.lock().clone();
        for io in readers {
            if self.0.bytes.load(Ordering::Acquire) > 0 {
                let mut wakers = Vec::new();
                io.set_readiness(Ready::READABLE, &mut wakers);
                wake_all(wakers);
            }
        }
    }

    fn reader(&self) -> io::Result<Box<dyn WakeupReader>> {
        let io = Arc::new(ScheduledIo::new());
        self.0.readers.lock().push(io.clone());
        Ok(Box::new(PipeReader {
            pipe: self.0.clone(),
            io,
        }))
    }
}

/// One listener's reader: `poll_read_io` over the byte count, as `handler.rs` drains.
#[derive(Debug)]
struct PipeReader {
    pipe: Arc<ModelPipe>,
    io: Arc<ScheduledIo>,
}

impl std::fmt::Debug for ModelPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModelPipe")
    }
}

impl WakeupReader for PipeReader {
    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let ev = ready!(self.io.poll_ready(cx, Ready::READABLE))?;
            if self.pipe.bytes.swap(0, Ordering::AcqRel) > 0 {
                return Poll::Ready(Ok(()));
            }
            self.io.clear_readiness(ev); // WouldBlock
        }
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        self.pipe
            .readers
            .lock()
            .retain(|io| !Arc::ptr_eq(io, &self.io));
    }
}

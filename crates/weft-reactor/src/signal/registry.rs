//! The signal registry: a delivery counter per signal, the table of listeners, and the
//! self-pipe (behind the [`Wakeup`] seam) that wakes the reactors.
//!
//! # The protocol
//!
//! * **Deliver** ([`Registry::deliver`], the body of the signal handler: async-signal-safe,
//!   two atomic operations and one `write`): `generation[signum] += 1`, then
//!   [`Wakeup::notify`] (one byte into the self-pipe). A full pipe is fine: the bytes only
//!   mean "look at the counters", and a full pipe already says so.
//! * **Subscribe** ([`Registry::subscribe`]): an entry `(signum, seen, waker)` in the
//!   table, where `seen` is the counter value its owner last acted on. Listeners
//!   (`listener.rs`) subscribe, and so does the process reaper, for `SIGCHLD`.
//! * **Wait**: an owner *arms* its entry (stores `seen` and a waker), *then* compares the
//!   counter once more; a listener then drains the pipe through its own reactor
//!   registration (a [`WakeupReader`]).
//! * **Wake** ([`Registry::wake_changed`]): whoever reads bytes from the pipe wakes every
//!   armed entry whose signal's counter differs from its `seen`.
//!
//! A delivery bumps the counter before writing its byte. If a drainer's wake pass (under
//! the table lock) came before an owner armed its entry, the owner's later counter check
//! sees the bump; if it came after, the entry is woken. A byte nobody drained yet is still
//! in the pipe, so the next drain runs a wake pass. `tests/loom_signal.rs` and
//! `tests/loom_reaper.rs` model this with the real registry over an in-memory pipe.
//!
//! Installing the `sigaction` handler and the real self-pipe are in `handler.rs`.

use std::fmt;
use std::io;
use std::os::raw::c_int;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering};
use weft_core::loom::sync::{Arc, Mutex};

/// One more than the largest signal number weft accepts (Linux's `SIGRTMAX` is 64).
pub(crate) const NSIG: usize = 65;

/// What the protocol needs from the self-pipe: the OS seam the loom models replace.
pub trait Wakeup: Send + Sync {
    /// Says "a counter moved" to every reader (writes one byte). Called from the signal
    /// handler: it must be async-signal-safe.
    fn notify(&self);

    /// A reader for one listener, registered with the current reactor.
    ///
    /// # Errors
    ///
    /// When no reactor is current, or the OS refuses a descriptor.
    fn reader(&self) -> io::Result<Box<dyn WakeupReader>>;
}

/// One listener's end of the self-pipe.
pub trait WakeupReader: Send + Sync + fmt::Debug {
    /// Reads every pending byte: `Ready(Ok)` if there was at least one, `Pending` (the
    /// task woken at the next byte) if none.
    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// The delivery counters and the table of subscriptions.
pub struct Registry {
    /// Per-signal delivery counters, bumped by the handler. `AtomicUsize`: lock-free on
    /// every target that has it, which a signal handler needs; owners only compare
    /// counters for equality, so wrapping is harmless.
    generations: [AtomicUsize; NSIG],
    table: Mutex<Table>,
    wakeup: Box<dyn Wakeup>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
}

struct Entry {
    signum: c_int,
    seen: usize,
    waker: Option<Waker>,
}

impl Registry {
    /// A registry whose readers are woken through `wakeup`.
    pub fn new(wakeup: Box<dyn Wakeup>) -> Registry {
        Registry {
            generations: std::array::from_fn(|_| AtomicUsize::new(0)),
            table: Mutex::new(Table::default()),
            wakeup,
        }
    }

    /// Records a delivery of `signum` and wakes the readers. Async-signal-safe when the
    /// [`Wakeup`] is. Numbers outside `1..NSIG` are ignored.
    pub fn deliver(&self, signum: c_int) {
        if let Some(generation) = usize::try_from(signum)
            .ok()
            .and_then(|i| self.generations.get(i))
        {
            generation.fetch_add(1, Ordering::AcqRel);
        }
        self.wakeup.notify();
    }

    /// The number of deliveries of `signum` so far (wrapping); `signum` is in `1..NSIG`.
    pub fn generation(&self, signum: c_int) -> usize {
        self.generations[signum as usize].load(Ordering::Acquire)
    }

    /// A new reader of the self-pipe, for one listener.
    pub(crate) fn reader(&self) -> io::Result<Box<dyn WakeupReader>> {
        self.wakeup.reader()
    }

    /// A table entry for `signum`, not armed yet; `seen` is the counter value its owner
    /// has acted on.
    /// (An associated function: loom's `Arc` cannot be a `self` type.)
    pub fn subscribe(registry: &Arc<Registry>, signum: c_int, seen: usize) -> Subscription {
        let entry = Entry {
            signum,
            seen,
            waker: None,
        };
        let slot = {
            let mut table = registry.table.lock();
            match table.free.pop() {
                Some(slot) => {
                    table.slots[slot] = Some(entry);
                    slot
                }
                None => {
                    table.slots.push(Some(entry));
                    table.slots.len() - 1
                }
            }
        };
        Subscription {
            registry: registry.clone(),
            slot,
        }
    }

    /// Wakes every armed entry whose signal was delivered since its `seen`: called by
    /// whoever read bytes from the pipe.
    pub fn wake_changed(&self) {
        let mut woken = Vec::new();
        {
            let mut table = self.table.lock();
            for entry in table.slots.iter_mut().flatten() {
                if self.generation(entry.signum) != entry.seen {
                    woken.extend(entry.waker.take());
                }
            }
        }
        // Outside the lock: a waker may run arbitrary code (the reaper's sweeps and
        // re-arms its own entry).
        for waker in woken {
            waker.wake();
        }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

/// An entry in the registry's table; removed on drop.
pub struct Subscription {
    registry: Arc<Registry>,
    slot: usize,
}

impl Subscription {
    /// The registry this entry is in.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Arms the entry: `waker` is woken by the next wake pass that finds the signal's
    /// counter different from `seen`. The caller compares the counter with `seen` once
    /// more *after* this (see the module docs).
    pub fn arm(&self, seen: usize, waker: &Waker) {
        let mut table = self.registry.table.lock();
        let entry = table.slots[self.slot]
            .as_mut()
            .expect("a subscription owns its slot");
        entry.seen = seen;
        match &mut entry.waker {
            Some(w) if w.will_wake(waker) => {}
            w => *w = Some(waker.clone()),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut table = self.registry.table.lock();
        table.slots[self.slot] = None;
        table.free.push(self.slot);
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("slot", &self.slot)
            .finish()
    }
}

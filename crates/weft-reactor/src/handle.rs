//! [`ReactorHandle`]: the shared side of a [`Reactor`](crate::Reactor), through which
//! sources register and other threads unpark it.
//!
//! # Tokens
//!
//! Registrations live in a slab (`Vec` of slots plus a free list) behind one mutex. The
//! token given to the selector is the slot index in the low half of a `usize` and the slot's
//! generation in the high half; freeing a slot bumps its generation. An event still in
//! flight for a freed (or freed and reused) slot therefore carries a stale generation and
//! is ignored: it can never wake the wrong registration.

use std::fmt;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::AtomicU64 as StatU64;
use std::sync::Arc as StdArc;
use std::task::Waker;

use weft_core::loom::sync::atomic::{AtomicBool, Ordering::*};
use weft_core::loom::sync::{Arc, Mutex};

use crate::context;
use crate::interest::Ready;
use crate::scheduled_io::{shutdown_error, ScheduledIo};
use crate::sys;

const INDEX_BITS: u32 = usize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Slot indices stop two short of the mask, so no token is ever `sys::WAKE_TOKEN` or
/// `sys::TIMER_TOKEN`.
const MAX_SLOTS: usize = INDEX_MASK - 1;

/// A handle to a [`Reactor`](crate::Reactor): registers I/O sources on it and unparks it.
/// Cheap to clone (one `Arc`), `Send + Sync`.
///
/// [`Registration::new`](crate::Registration::new) and the net types use the thread's
/// current handle ([`ReactorHandle::current`]), which the runtime sets with
/// [`context::set_current`](crate::context::set_current).
///
/// ```
/// use weft_reactor::Reactor;
///
/// let reactor = Reactor::new()?;
/// let handle = reactor.handle();
/// assert!(handle.ptr_eq(&reactor.handle()));
/// handle.unpark(); // from any thread: the next park returns at once
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct ReactorHandle {
    pub(crate) shared: StdArc<Shared>,
}

/// Everything a reactor and its handles share.
pub(crate) struct Shared {
    pub(crate) registry: sys::Registry,
    waker: sys::Waker,
    /// Set by `unpark`, cleared by `park` after its select: coalesces the wake-ups of a
    /// busy runtime into one system call per park.
    notified: AtomicBool,
    /// Mirrors `slab.is_shutdown`, for `park` to read without the lock.
    is_shutdown: AtomicBool,
    pub(crate) slab: Mutex<Slab>,
    /// I/O events delivered to registrations so far (metrics). Written under the slab lock
    /// only (a load and a store), read without it. A plain `std` atomic also under loom: a
    /// statistic, not part of any protocol.
    events: StatU64,
}

/// The registrations, by token.
#[derive(Default)]
pub(crate) struct Slab {
    slots: Vec<Slot>,
    free: Vec<usize>,
    len: usize,
    pub(crate) is_shutdown: bool,
}

#[derive(Default)]
struct Slot {
    generation: usize,
    io: Option<Arc<ScheduledIo>>,
}

impl Slab {
    /// Stores `io`, returning its token.
    fn insert(&mut self, io: Arc<ScheduledIo>) -> io::Result<usize> {
        let index = match self.free.pop() {
            Some(i) => i,
            None if self.slots.len() < MAX_SLOTS => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    "the reactor has reached its maximum number of registrations",
                ))
            }
        };
        let slot = &mut self.slots[index];
        slot.io = Some(io);
        self.len += 1;
        Ok(index | (slot.generation << INDEX_BITS))
    }

    /// The registration of `token`, unless it was freed since.
    pub(crate) fn get(&self, token: usize) -> Option<&ScheduledIo> {
        let slot = self.slots.get(token & INDEX_MASK)?;
        if slot.generation != token >> INDEX_BITS {
            return None;
        }
        slot.io.as_deref()
    }

    /// Frees `token`'s slot (if still its own).
    fn remove(&mut self, token: usize) -> Option<Arc<ScheduledIo>> {
        let index = token & INDEX_MASK;
        let slot = self.slots.get_mut(index)?;
        if slot.generation != token >> INDEX_BITS {
            return None;
        }
        let io = slot.io.take()?;
        slot.generation = (slot.generation + 1) & (usize::MAX >> INDEX_BITS);
        self.free.push(index);
        self.len -= 1;
        Some(io)
    }

    /// Every live registration.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ScheduledIo> {
        self.slots.iter().filter_map(|s| s.io.as_deref())
    }
}

impl Shared {
    pub(crate) fn new(registry: sys::Registry) -> io::Result<Shared> {
        Ok(Shared {
            waker: registry.waker()?,
            registry,
            notified: AtomicBool::new(false),
            is_shutdown: AtomicBool::new(false),
            slab: Mutex::new(Slab::default()),
            events: StatU64::new(0),
        })
    }

    /// Called by `park` after its select returns: later `unpark`s must wake again.
    pub(crate) fn clear_notified(&self) {
        self.notified.swap(false, AcqRel);
    }

    /// Registers `fd` with `interest`: a slot first (so an event finds it), then the
    /// selector. The caller (a `Registration`) keeps `fd` open until it calls `remove`.
    pub(crate) fn add(
        &self,
        fd: BorrowedFd<'_>,
        interest: crate::Interest,
    ) -> io::Result<(usize, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new());
        let token = {
            let mut slab = self.slab.lock();
            if slab.is_shutdown {
                return Err(shutdown_error());
            }
            slab.insert(io.clone())?
        };
        if let Err(e) = self.registry.register(fd, token, interest) {
            self.slab.lock().remove(token);
            return Err(e);
        }
        Ok((token, io))
    }

    /// Deregisters `fd` and frees `token`, waking whoever still waits on it with an error.
    pub(crate) fn remove(&self, fd: BorrowedFd<'_>, token: usize) {
        // After a shutdown the selector may be gone; deregistering is then moot.
        let _ = self.registry.deregister(fd);
        let io = self.slab.lock().remove(token);
        if let Some(io) = io {
            let mut wakers = Vec::new();
            io.set_terminal(false, &mut wakers);
            wakers.into_iter().for_each(Waker::wake);
        }
    }

    /// Marks the reactor shut down and wakes every registration's waiters with the
    /// shutdown error. Returns whether this call did it.
    pub(crate) fn shutdown(&self) -> bool {
        let mut wakers = Vec::new();
        {
            let mut slab = self.slab.lock();
            if slab.is_shutdown {
                return false;
            }
            slab.is_shutdown = true;
            self.is_shutdown.store(true, Release);
            for io in slab.iter() {
                io.set_terminal(true, &mut wakers);
            }
        }
        wakers.into_iter().for_each(Waker::wake);
        self.unpark();
        true
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(Acquire)
    }

    pub(crate) fn unpark(&self) {
        if !self.notified.swap(true, AcqRel) {
            // An error here means the eventfd counter is saturated: a wake-up is pending.
            let _ = self.waker.wake();
        }
    }

    pub(crate) fn dispatch(
        &self,
        events: impl Iterator<Item = (usize, Ready)>,
        wakers: &mut Vec<Waker>,
    ) -> usize {
        let slab = self.slab.lock();
        let mut n = 0;
        for (token, ready) in events {
            if let Some(io) = slab.get(token) {
                io.set_readiness(ready, wakers);
                n += 1;
            }
        }
        if n > 0 {
            // Under the slab lock: the only writers hold it, so no locked RMW.
            let total = self.events.load(Relaxed) + n as u64;
            self.events.store(total, Relaxed);
        }
        n
    }
}

impl ReactorHandle {
    /// The thread's current reactor handle.
    ///
    /// # Panics
    ///
    /// Outside of a runtime with I/O enabled, with "there is no reactor: this code runs
    /// outside a weft runtime, or in one built with `Builder::disable_io()`".
    ///
    /// ```should_panic
    /// let _ = weft_reactor::ReactorHandle::current(); // no runtime here
    /// ```
    #[track_caller]
    pub fn current() -> ReactorHandle {
        match context::current() {
            Some(handle) => handle,
            None => panic!(
                "there is no reactor: this code runs outside a weft runtime, or in one built \
                 with `Builder::disable_io()`"
            ),
        }
    }

    /// The thread's current reactor handle, if any.
    ///
    /// ```
    /// assert!(weft_reactor::ReactorHandle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<ReactorHandle> {
        context::current()
    }

    /// Shuts the reactor down from any thread, without the `Reactor` itself: the same as
    /// [`Reactor::shutdown`](crate::Reactor::shutdown), and it wakes a thread parked in the
    /// reactor, which a shutdown through the `Reactor` (owned by that thread while it parks)
    /// could not reach. Idempotent.
    ///
    /// ```
    /// let reactor = weft_reactor::Reactor::new()?;
    /// let handle = reactor.handle();
    /// handle.shutdown();
    /// handle.shutdown(); // idempotent
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self) {
        self.shared.shutdown();
    }

    /// Makes the reactor's current [`park`](crate::Reactor::park) return, or, if it is not
    /// parked, its next one return at once. Callable from any thread; a burst of unparks
    /// between two parks costs one system call.
    pub fn unpark(&self) {
        self.shared.unpark();
    }

    /// Whether the reactor has shut down: registrations then fail with the shutdown error.
    ///
    /// ```
    /// let reactor = weft_reactor::Reactor::new()?;
    /// let handle = reactor.handle();
    /// drop(reactor);
    /// assert!(handle.is_shutdown());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shared.is_shutdown()
    }

    /// The number of live registrations.
    ///
    /// ```
    /// let reactor = weft_reactor::Reactor::new()?;
    /// assert_eq!(reactor.handle().registrations(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn registrations(&self) -> usize {
        self.shared.slab.lock().len
    }

    /// How many I/O events the reactor has delivered since it was created: readiness
    /// events for live registrations (the selector's own wake-ups, from
    /// [`unpark`](Self::unpark), and events for registrations freed meanwhile are not
    /// counted). For metrics.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::time::Duration;
    /// use weft_reactor::{Interest, Reactor, Registration};
    ///
    /// let mut reactor = Reactor::new()?;
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let _reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE)?;
    /// b.write_all(b"ping")?;
    /// while reactor.handle().io_events() == 0 {
    ///     reactor.park(Some(Duration::from_millis(100)));
    /// }
    /// assert!(reactor.handle().io_events() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn io_events(&self) -> u64 {
        self.shared.events.load(Relaxed)
    }

    /// Whether both handles are of the same reactor.
    pub fn ptr_eq(&self, other: &ReactorHandle) -> bool {
        StdArc::ptr_eq(&self.shared, &other.shared)
    }
}

impl fmt::Debug for ReactorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReactorHandle")
            .field("backend", &sys::BACKEND)
            .field("registrations", &self.registrations())
            .field("is_shutdown", &self.is_shutdown())
            .finish()
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_freed_token_goes_stale_when_its_slot_is_reused() {
        let mut slab = Slab::default();
        let a = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
        assert!(slab.get(a).is_some());
        assert!(slab.remove(a).is_some());
        assert!(slab.get(a).is_none(), "stale token after free");
        let b = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
        assert_eq!(a & INDEX_MASK, b & INDEX_MASK, "the slot is reused");
        assert_ne!(a, b, "with a new generation");
        assert!(
            slab.get(a).is_none(),
            "an event for the old token is ignored"
        );
        assert!(
            slab.remove(a).is_none(),
            "and cannot free the new registration"
        );
        assert!(slab.get(b).is_some());
        assert_eq!(slab.len, 1);
    }

    #[test]
    fn no_token_is_a_reserved_token() {
        let mut slab = Slab::default();
        for _ in 0..1000 {
            let t = slab.insert(Arc::new(ScheduledIo::new())).unwrap();
            assert!(t != sys::WAKE_TOKEN && t != sys::TIMER_TOKEN);
            slab.remove(t);
        }
        // The largest token possible: the last index with the last generation.
        let max = (MAX_SLOTS - 1) | ((usize::MAX >> INDEX_BITS) << INDEX_BITS);
        assert!(max < sys::TIMER_TOKEN && sys::TIMER_TOKEN < sys::WAKE_TOKEN);
    }
}

//! [`Listener`]: one listener of one signal, and how a delivery reaches every listener.
//!
//! # Why draining wakes the others
//!
//! Each listener registers its own duplicate of the self-pipe's read end with its reactor
//! (the reactor never sees one fd number twice, and each registration gets its own edge
//! when a byte arrives). But the duplicates share one pipe buffer, and epoll re-checks a
//! source's readiness when it hands out an event: if another listener drained the byte
//! first, this listener's event is silently dropped. So the byte alone cannot be trusted to
//! wake everyone. Instead (the protocol of `registry.rs`):
//!
//! 1. A waiting listener arms its subscription `(signum, seen, waker)` in the registry's
//!    table, *then* compares the counter once more, then drains the pipe through its
//!    registration.
//! 2. Whoever reads bytes from the pipe wakes every armed subscription whose signal's
//!    counter differs from its `seen`.
//!
//! A delivery bumps the counter before writing its byte. If the drainer's wake-up pass
//! (under the table lock) came before a listener armed its waker, that listener's second
//! counter check comes after, and sees the new count. If it came after, the waker is woken.
//! And a byte nobody has drained yet is still in the pipe, so every reactor that harvests
//! its event then reports it: some listener drains it and wakes the rest.

use std::fmt;
use std::io;
use std::os::raw::c_int;
use std::task::{Context, Poll};

use weft_core::loom::sync::Arc;

use super::handler;
use super::registry::{Registry, Subscription, WakeupReader};

/// One listener of one signal: the generation it last reported and, once it has polled,
/// its own reader of the self-pipe and its subscription in the registry.
pub struct Listener {
    registry: Arc<Registry>,
    signum: c_int,
    seen: usize,
    io: Option<Registered>,
}

struct Registered {
    // Dropped first: out of the table before the reader deregisters.
    subscription: Subscription,
    reader: Box<dyn WakeupReader>,
}

impl Listener {
    /// Installs the handler (process-global, no reactor needed) and starts counting from
    /// now: deliveries before this call are not reported.
    pub(crate) fn new(signum: c_int) -> io::Result<Listener> {
        handler::install(signum)?;
        Ok(Listener::new_in(handler::global()?.clone(), signum))
    }

    /// A listener of `signum` on `registry`, counting from now. Installs nothing.
    pub fn new_in(registry: Arc<Registry>, signum: c_int) -> Listener {
        Listener {
            seen: registry.generation(signum),
            registry,
            signum,
            io: None,
        }
    }

    /// The signal this listener counts.
    pub fn signum(&self) -> c_int {
        self.signum
    }

    /// Makes a reader (registered with the current reactor) and a subscription, unless
    /// already done.
    ///
    /// # Errors
    ///
    /// When no reactor is current, or the OS refuses a descriptor.
    pub fn register(&mut self) -> io::Result<()> {
        if self.io.is_some() {
            return Ok(());
        }
        let reader = self.registry.reader()?;
        let subscription = Registry::subscribe(&self.registry, self.signum, self.seen);
        self.io = Some(Registered {
            subscription,
            reader,
        });
        Ok(())
    }

    /// Ready once the signal was delivered since the last `Ready` (or since creation).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if let Poll::Ready(()) = self.take_delivery() {
                return Poll::Ready(Ok(()));
            }
            if let Err(e) = self.register() {
                return Poll::Ready(Err(e));
            }
            let io = self.io.as_ref().expect("registered above");
            // Arm, then look at the counter again (see the module docs).
            io.subscription.arm(self.seen, cx.waker());
            if let Poll::Ready(()) = self.take_delivery() {
                return Poll::Ready(Ok(()));
            }
            let io = self.io.as_ref().expect("registered above");
            match io.reader.poll_drain(cx) {
                // Bytes were read: others may be waiting for them.
                Poll::Ready(Ok(())) => self.registry.wake_changed(),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// `Ready` (and remembers it) if the counter moved since the last report.
    fn take_delivery(&mut self) -> Poll<()> {
        let now = self.registry.generation(self.signum);
        if now == self.seen {
            return Poll::Pending;
        }
        self.seen = now;
        Poll::Ready(())
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("signum", &self.signum)
            .field("seen", &self.seen)
            .field("registered", &self.io.is_some())
            .finish()
    }
}

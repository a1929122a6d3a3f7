//! [`Listener`]: one listener of one signal, and how a delivery reaches every listener.
//!
//! # Why draining wakes the others
//!
//! Each listener registers its own duplicate of the self-pipe's read end with its reactor
//! (the reactor never sees one fd number twice, and each registration gets its own edge
//! when a byte arrives). But the duplicates share one pipe buffer, and epoll re-checks a
//! source's readiness when it hands out an event: if another listener drained the byte
//! first, this listener's event is silently dropped. So the byte alone cannot be trusted to
//! wake everyone. Instead:
//!
//! 1. A waiting listener publishes `(signum, seen, waker)` in the global [`WAITERS`] table,
//!    *then* compares the counter once more, then drains the pipe through its registration.
//! 2. Whoever reads bytes from the pipe wakes every published waiter whose signal's counter
//!    differs from its `seen`.
//!
//! A delivery bumps the counter before writing its byte. If the drainer's wake-up pass
//! (under the table lock) came before a listener published its waker, that listener's
//! second counter check comes after, and sees the new count. If it came after, the waker
//! is woken. And a byte nobody has drained yet is still in the pipe, so every reactor that
//! harvests its event then reports it: some listener drains it and wakes the rest.

use std::io::{self, Read};
use std::os::raw::c_int;
use std::os::unix::net::UnixStream;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::registry::{generation, install, READ_END};
use crate::registration::register_current;
use crate::{Interest, Registration};

/// The wakers of waiting listeners, by slot.
static WAITERS: Mutex<Waiters> = Mutex::new(Waiters {
    slots: Vec::new(),
    free: Vec::new(),
});

struct Waiters {
    slots: Vec<Option<Waiter>>,
    free: Vec<usize>,
}

struct Waiter {
    signum: c_int,
    seen: usize,
    waker: Option<Waker>,
}

fn waiters() -> std::sync::MutexGuard<'static, Waiters> {
    // Nothing panics while holding the lock; recover anyway rather than spread a poison.
    WAITERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wakes every published waiter whose signal was delivered since it last looked.
fn wake_changed() {
    let mut woken = Vec::new();
    {
        let mut table = waiters();
        for waiter in table.slots.iter_mut().flatten() {
            if generation(waiter.signum) != waiter.seen {
                woken.extend(waiter.waker.take());
            }
        }
    }
    // Outside the lock: a waker may run arbitrary code.
    for waker in woken {
        waker.wake();
    }
}

/// One listener of one signal: the generation it last reported and, once it has polled,
/// its own registration of (a duplicate of) the self-pipe's read end and its slot in the
/// waiter table.
#[derive(Debug)]
pub(crate) struct Listener {
    signum: c_int,
    seen: usize,
    io: Option<PipeReader>,
}

#[derive(Debug)]
struct PipeReader {
    /// Owns the duplicate of the read end.
    registration: Registration<UnixStream>,
    slot: usize,
}

impl Listener {
    /// Installs the handler (process-global, no reactor needed) and starts counting from
    /// now: deliveries before this call are not reported.
    pub(crate) fn new(signum: c_int) -> io::Result<Listener> {
        install(signum)?;
        Ok(Listener {
            signum,
            seen: generation(signum),
            io: None,
        })
    }

    /// The signal this listener counts.
    pub(crate) fn signum(&self) -> c_int {
        self.signum
    }

    /// Registers with the current reactor unless already registered.
    pub(crate) fn register(&mut self) -> io::Result<()> {
        if self.io.is_some() {
            return Ok(());
        }
        let read_end = READ_END
            .get()
            .expect("weft signal: the self-pipe exists once a handler is installed");
        // A duplicate (F_DUPFD_CLOEXEC) shares the pipe and its O_NONBLOCK flag.
        let stream = read_end.try_clone()?;
        let registration = register_current(stream, Interest::READABLE)?;
        let slot = {
            let mut table = waiters();
            let waiter = Waiter {
                signum: self.signum,
                seen: self.seen,
                waker: None,
            };
            match table.free.pop() {
                Some(slot) => {
                    table.slots[slot] = Some(waiter);
                    slot
                }
                None => {
                    table.slots.push(Some(waiter));
                    table.slots.len() - 1
                }
            }
        };
        self.io = Some(PipeReader { registration, slot });
        Ok(())
    }

    /// Ready once the signal was delivered since the last `Ready` (or since creation).
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if let Poll::Ready(()) = self.take_delivery() {
                return Poll::Ready(Ok(()));
            }
            if let Err(e) = self.register() {
                return Poll::Ready(Err(e));
            }
            let io = self.io.as_ref().expect("registered above");
            // Publish the waker, then look at the counter again (see the module docs).
            {
                let mut table = waiters();
                let waiter = table.slots[io.slot].as_mut().expect("our slot");
                waiter.seen = self.seen;
                match &mut waiter.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    w => *w = Some(cx.waker().clone()),
                }
            }
            if let Poll::Ready(()) = self.take_delivery() {
                return Poll::Ready(Ok(()));
            }
            let io = self.io.as_ref().expect("registered above");
            let reg = &io.registration;
            match reg.poll_read_io(cx, || drain(reg.get_ref())) {
                // Bytes were read: others may be waiting for them.
                Poll::Ready(Ok(())) => wake_changed(),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// `Ready` (and remembers it) if the counter moved since the last report.
    fn take_delivery(&mut self) -> Poll<()> {
        let now = generation(self.signum);
        if now == self.seen {
            return Poll::Pending;
        }
        self.seen = now;
        Poll::Ready(())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(io) = &self.io {
            let mut table = waiters();
            table.slots[io.slot] = None;
            table.free.push(io.slot);
        }
    }
}

/// Reads everything in the pipe. `Ok` if it read at least one byte, `WouldBlock` if the
/// pipe was empty.
fn drain(mut stream: &UnixStream) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut read_any = false;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break, // cannot happen: the write end is never closed
            Ok(_) => read_any = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    if read_any {
        // Some signal arrived: give the process module a chance to reap orphans.
        crate::process::reaper::on_signal_delivery();
        Ok(())
    } else {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

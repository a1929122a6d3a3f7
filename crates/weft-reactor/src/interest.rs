//! [`Interest`] (what a registration waits for) and `Ready` (what the selector reported).

use std::fmt;
use std::ops::BitOr;

/// The directions a [`Registration`](crate::Registration) asks the reactor to watch.
///
/// ```
/// use weft_reactor::Interest;
///
/// let both = Interest::READABLE.add(Interest::WRITABLE);
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both, Interest::READABLE | Interest::WRITABLE);
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Readiness to read (or to accept, for a listener).
    pub const READABLE: Interest = Interest(READABLE);
    /// Readiness to write (or the end of a non-blocking connect).
    pub const WRITABLE: Interest = Interest(WRITABLE);

    /// Both `self` and `other`.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// Whether this interest includes [`Interest::READABLE`].
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether this interest includes [`Interest::WRITABLE`].
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// The readiness bits this interest waits for (closed bits included).
    pub(crate) const fn ready(self) -> Ready {
        let mut bits = 0;
        if self.is_readable() {
            bits |= Ready::mask(Ready::READABLE).0;
        }
        if self.is_writable() {
            bits |= Ready::mask(Ready::WRITABLE).0;
        }
        Ready(bits)
    }
}

impl BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(none)"),
        }
    }
}

const READABLE: u8 = 0b01;
const WRITABLE: u8 = 0b10;

/// Readiness reported by a backend, normalised to four bits: readable, writable, and the
/// "closed" bits of each direction (hang-up, peer shut down). An error sets both readable
/// bits, so that whichever direction a task waits on, it wakes and its next system call
/// reports the error; a hang-up sets both closed bits.
///
/// The closed bits survive the clearing a short read or write does (a drained socket at
/// end-of-file stays readable: the next read returns 0), and only a `WouldBlock` clears
/// them, so an operation can never spin on a stale one.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Ready(usize);

impl Ready {
    /// Readable (or, with an error, both directions).
    pub const READABLE: Ready = Ready(READABLE as usize);
    /// Writable.
    pub const WRITABLE: Ready = Ready(WRITABLE as usize);
    /// The read direction hung up (or the peer shut its writing down).
    pub const READ_CLOSED: Ready = Ready(0b0100);
    /// The write direction hung up.
    pub const WRITE_CLOSED: Ready = Ready(0b1000);
    /// Every bit.
    pub const ALL: Ready = Ready(0b1111);

    /// The readiness from a backend's flags.
    pub fn from_flags(
        readable: bool,
        writable: bool,
        read_closed: bool,
        write_closed: bool,
        error: bool,
    ) -> Ready {
        let mut bits = 0;
        if readable || error {
            bits |= Ready::READABLE.0;
        }
        if writable || error {
            bits |= Ready::WRITABLE.0;
        }
        if read_closed {
            bits |= Ready::READ_CLOSED.0;
        }
        if write_closed {
            bits |= Ready::WRITE_CLOSED.0;
        }
        Ready(bits)
    }

    /// Every bit that makes `direction` (`READABLE` or `WRITABLE`) ready.
    pub(crate) const fn mask(direction: Ready) -> Ready {
        if direction.0 == Ready::READABLE.0 {
            Ready(Ready::READABLE.0 | Ready::READ_CLOSED.0)
        } else {
            Ready(Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0)
        }
    }

    /// `self` without the closed bits.
    pub(crate) const fn without_closed(self) -> Ready {
        Ready(self.0 & (READABLE | WRITABLE) as usize)
    }

    pub(crate) const fn from_usize(bits: usize) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    pub(crate) const fn as_usize(self) -> usize {
        self.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) const fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    /// Whether `self` and `other` share a bit.
    pub const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }
}

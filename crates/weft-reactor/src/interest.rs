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

    /// The readiness bits this interest waits for.
    pub(crate) const fn ready(self) -> Ready {
        Ready(self.0 as usize)
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

/// Readiness reported by a backend, already normalised: a hang-up or an error sets both
/// bits, so that whichever direction a task waits on, it wakes and its next system call
/// reports what happened.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Ready(usize);

impl Ready {
    pub(crate) const EMPTY: Ready = Ready(0);
    pub(crate) const READABLE: Ready = Ready(READABLE as usize);
    pub(crate) const WRITABLE: Ready = Ready(WRITABLE as usize);
    pub(crate) const ALL: Ready = Ready((READABLE | WRITABLE) as usize);

    /// The readiness from a backend's flags.
    pub(crate) fn from_flags(readable: bool, writable: bool, hup_or_err: bool) -> Ready {
        let mut bits = 0;
        if readable || hup_or_err {
            bits |= READABLE as usize;
        }
        if writable || hup_or_err {
            bits |= WRITABLE as usize;
        }
        Ready(bits)
    }

    pub(crate) const fn from_usize(bits: usize) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    pub(crate) const fn as_usize(self) -> usize {
        self.0
    }

    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) const fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    pub(crate) const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }
}

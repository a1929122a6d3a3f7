use std::fmt;
use std::ops::{Deref, DerefMut};

/// Pads and aligns a value to 128 bytes, so that two values written by different threads
/// never share a cache line (128 covers the adjacent-line prefetcher on x86-64 and the
/// 128-byte lines of Apple silicon).
///
/// ```
/// use weft_core::CachePadded;
/// let a = [CachePadded::new(1u8), CachePadded::new(2u8)];
/// assert_eq!(std::mem::size_of_val(&a), 256);
/// assert_eq!(*a[1], 2);
/// ```
#[derive(Default, Clone, Copy, PartialEq, Eq)]
#[repr(align(128))]
pub struct CachePadded<T> {
    value: T,
}

impl<T> CachePadded<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        CachePadded { value }
    }

    /// Returns the inner value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for CachePadded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for CachePadded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

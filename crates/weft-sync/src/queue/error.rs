//! What a queue operation that cannot go ahead returns. The errors of `put` hand the item
//! back, as crossbeam's `SendError` does, so a closed queue never swallows a value.

use std::error::Error;
use std::fmt;

/// [`put`](super::GenericQueue::put) found the queue [closed](super::GenericQueue::close);
/// the item is handed back in the field. asyncio 3.13 raises `QueueShutDown`.
///
/// ```
/// weft::run(async {
///     let q = weft::sync::Queue::unbounded();
///     q.close();
///     let err = q.put("job").await.unwrap_err();
///     assert_eq!(err.into_inner(), "job");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PutError<T>(pub T);

impl<T> PutError<T> {
    /// The item that was not put.
    ///
    /// ```
    /// let err = weft::sync::queue::PutError(7);
    /// assert_eq!(err.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("put on a closed queue (the item is handed back)")
    }
}

impl<T> Error for PutError<T> {}

/// Why [`try_put`](super::GenericQueue::try_put) handed the item back: asyncio's
/// `put_nowait` raises `QueueFull` (or `QueueShutDown`).
///
/// ```
/// use weft::sync::queue::TryPutError;
///
/// let q = weft::sync::Queue::bounded(1);
/// q.try_put(1).unwrap();
/// assert_eq!(q.try_put(2), Err(TryPutError::Full(2)));
/// q.close();
/// assert_eq!(q.try_put(3), Err(TryPutError::Closed(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue holds [`capacity`](super::GenericQueue::capacity) items already.
    Full(T),
    /// The queue is [closed](super::GenericQueue::close).
    Closed(T),
}

impl<T> TryPutError<T> {
    /// The item that was not put.
    ///
    /// ```
    /// let err = weft::sync::queue::TryPutError::Full("job");
    /// assert_eq!(err.into_inner(), "job");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::Closed(item) => item,
        }
    }

    /// The queue was full.
    ///
    /// ```
    /// assert!(weft::sync::queue::TryPutError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// The queue was closed.
    ///
    /// ```
    /// assert!(weft::sync::queue::TryPutError::Closed(()).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryPutError::Closed(_))
    }
}

impl<T> From<PutError<T>> for TryPutError<T> {
    fn from(err: PutError<T>) -> Self {
        TryPutError::Closed(err.0)
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("put on a full queue (the item is handed back)"),
            TryPutError::Closed(_) => {
                f.write_str("put on a closed queue (the item is handed back)")
            }
        }
    }
}

impl<T> Error for TryPutError<T> {}

/// [`get`](super::GenericQueue::get) found the queue closed *and* empty: no item will ever
/// come. (Items put before [`close`](super::GenericQueue::close) are still handed out
/// first.) asyncio 3.13 raises `QueueShutDown`.
///
/// ```
/// weft::run(async {
///     let q = weft::sync::Queue::unbounded();
///     q.put(1).await.unwrap();
///     q.close();
///     assert_eq!(q.get().await, Ok(1)); // still drained
///     assert_eq!(q.get().await, Err(weft::sync::queue::GetError));
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GetError;

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("get on a closed and empty queue")
    }
}

impl Error for GetError {}

/// Why [`try_get`](super::GenericQueue::try_get) returned no item: asyncio's `get_nowait`
/// raises `QueueEmpty` (or `QueueShutDown`).
///
/// ```
/// use weft::sync::queue::TryGetError;
///
/// let q = weft::sync::Queue::<u8>::unbounded();
/// assert_eq!(q.try_get(), Err(TryGetError::Empty));
/// q.close();
/// assert_eq!(q.try_get(), Err(TryGetError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryGetError {
    /// No item now; one may come later.
    Empty,
    /// The queue is closed and empty: no item will ever come.
    Closed,
}

impl TryGetError {
    /// The queue was empty but open.
    ///
    /// ```
    /// assert!(weft::sync::queue::TryGetError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryGetError::Empty)
    }

    /// The queue was closed and empty.
    ///
    /// ```
    /// assert!(weft::sync::queue::TryGetError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryGetError::Closed)
    }
}

impl From<GetError> for TryGetError {
    fn from(_: GetError) -> Self {
        TryGetError::Closed
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("get on an empty queue"),
            TryGetError::Closed => f.write_str("get on a closed and empty queue"),
        }
    }
}

impl Error for TryGetError {}

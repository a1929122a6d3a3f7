//! [`GroupError`] and [`Failure`]: why a [`scope`](super::scope)(super::scope) failed, every failure kept
//! (asyncio's `ExceptionGroup`).

use std::fmt;
use std::panic;

use super::{Id, JoinError};

/// Why a [`scope`](super::scope) failed: every failure, in the order the scope saw them. The first one
/// stopped the group (asyncio's `ExceptionGroup`, which keeps them all too).
///
/// Failures after the first are children that failed before their cancellation took
/// effect, or whose cancellation failed (a destructor that panicked).
///
/// ```
/// use weft::task::Failure;
///
/// async fn parse(text: &'static str) -> Result<u32, String> {
///     Ok(text.parse().expect("not a number"))
/// }
///
/// weft::run(async {
///     let err = weft::task::scope(async |group| {
///         group.spawn(parse("12"));
///         group.spawn(parse("twelve")); // panics
///         Ok(())
///     })
///     .await
///     .unwrap_err();
///     assert!(err.first().is_panic());
///     assert_eq!(err.failures().len(), 1);
///     let Failure::Panic { error, .. } = err.into_failures().remove(0) else { unreachable!() };
///     let message = error.into_panic().downcast::<String>().unwrap();
///     assert!(message.starts_with("not a number"));
/// });
/// ```
pub struct GroupError<E> {
    /// Never empty.
    pub(super) failures: Vec<Failure<E>>,
}

impl<E> GroupError<E> {
    /// The failure that stopped the group.
    pub fn first(&self) -> &Failure<E> {
        &self.failures[0]
    }

    /// Every failure, the first one first.
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// Every failure, the first one first.
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }

    /// The `Err` value of the failure that stopped the group, treating a child's panic as a
    /// panic here: for code that handles errors, not panics, as [`JoinSet::join_all`](super::JoinSet::join_all)
    /// does. The failures after the first are dropped.
    ///
    /// ```
    /// weft::run(async {
    ///     let res = weft::task::scope(async |group| {
    ///         group.spawn(async { Err::<(), _>("no route to host") });
    ///         Ok(())
    ///     });
    ///     assert_eq!(res.await.map_err(|e| e.into_error()), Err("no route to host"));
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// If the first failure is a child's panic (resumed with
    /// [`std::panic::resume_unwind`]) or a cancellation (the runtime shut down).
    #[track_caller]
    pub fn into_error(self) -> E {
        match self.failures.into_iter().next() {
            Some(Failure::Err { error, .. } | Failure::Body(error)) => error,
            Some(Failure::Panic { error, .. }) => panic::resume_unwind(error.into_panic()),
            Some(Failure::Cancelled { id, .. }) => {
                panic!("task group child {id} was cancelled (its runtime shut down)")
            }
            None => unreachable!("a GroupError holds at least one failure"),
        }
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task group failed: {}", self.first())?;
        match self.failures.len() {
            1 => Ok(()),
            2 => write!(f, " (and 1 more failure)"),
            n => write!(f, " (and {} more failures)", n - 1),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("failures", &self.failures)
            .finish()
    }
}

impl<E: std::error::Error + 'static> std::error::Error for GroupError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.first() {
            Failure::Err { error, .. } | Failure::Body(error) => Some(error),
            Failure::Panic { error, .. } => Some(error),
            Failure::Cancelled { .. } => None,
        }
    }
}

/// One failure in a [`GroupError`]: which task failed, and how.
#[derive(Debug)]
pub enum Failure<E> {
    /// A child returned `Err(error)`.
    Err {
        /// The child's task id.
        id: Id,
        /// Its name, if spawned with [`TaskGroup::spawn_named`](super::TaskGroup::spawn_named).
        name: Option<Box<str>>,
        /// What it returned.
        error: E,
    },
    /// A child panicked; `error` carries the task id and the panic payload
    /// ([`JoinError::into_panic`]).
    Panic {
        /// Its name, if spawned with [`TaskGroup::spawn_named`](super::TaskGroup::spawn_named).
        name: Option<Box<str>>,
        /// The panic.
        error: JoinError,
    },
    /// A child was cancelled by something other than the group: its runtime shut down.
    Cancelled {
        /// The child's task id.
        id: Id,
        /// Its name, if spawned with [`TaskGroup::spawn_named`](super::TaskGroup::spawn_named).
        name: Option<Box<str>>,
    },
    /// The scope's body returned `Err(error)`.
    Body(E),
}

impl<E> Failure<E> {
    /// The id of the child that failed; `None` for the body.
    pub fn id(&self) -> Option<Id> {
        match self {
            Failure::Err { id, .. } | Failure::Cancelled { id, .. } => Some(*id),
            Failure::Panic { error, .. } => Some(error.id()),
            Failure::Body(_) => None,
        }
    }

    /// The name of the child that failed, if it was given one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Failure::Err { name, .. }
            | Failure::Panic { name, .. }
            | Failure::Cancelled { name, .. } => name.as_deref(),
            Failure::Body(_) => None,
        }
    }

    /// `true` if a child panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, Failure::Panic { .. })
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = self.id() {
            write!(f, "task {id}")?;
            if let Some(name) = self.name() {
                write!(f, " ({name:?})")?;
            }
        }
        match self {
            Failure::Err { error, .. } => write!(f, " failed: {error}"),
            // JoinError's text names the task itself: keep only what follows.
            Failure::Panic { error, .. } => match error.to_string().split_once(" panicked") {
                Some((_, rest)) => write!(f, " panicked{rest}"),
                None => write!(f, " panicked"),
            },
            Failure::Cancelled { .. } => write!(f, " was cancelled"),
            Failure::Body(error) => write!(f, "the scope's body failed: {error}"),
        }
    }
}

//! Internals shared by several parts of the facade.

pub(crate) mod ready;

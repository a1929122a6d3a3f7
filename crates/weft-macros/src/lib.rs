//! The `#[weft::main]` and `#[weft::test]` attributes. Use them through the `weft` crate
//! (`weft::main`, `weft::test`), whose docs list the arguments; this crate is an
//! implementation detail of it.
//!
//! ```
//! #[weft::main]
//! async fn main() {
//!     let task = weft::spawn(async { 6 * 7 });
//!     assert_eq!(task.await.unwrap(), 42);
//! }
//! ```
//!
//! # How it is built
//!
//! `expand::expand` does all the work on `proc_macro2` tokens, so the unit tests
//! (`src/tests.rs`) call it directly: every misuse is an error with a message and a span,
//! checked there without compiling anything. The expansion names only `::weft::...` paths
//! (or the `crate = "..."` path), never this crate.

// The example above is the whole program a user writes, `fn main` included.
#![allow(clippy::needless_doctest_main)]
#![forbid(unsafe_code)]

mod args;
mod expand;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

use args::Kind;

/// # What it expands to
///
/// (Written once, in `weft-macros`; the rest of this page is in `weft`.)
///
/// ```text
/// #[weft::main(worker_threads = 2)]
/// async fn main() -> R { BODY }
///
/// // becomes
/// fn main() -> R {
///     let body = async { BODY };
///     return ::weft::runtime::Builder::new_multi_thread() // or new_current_thread()
///         .worker_threads(2)                              // and start_paused(..), as asked
///         .enable_all()
///         .build()
///         .expect("#[weft::main]: could not build the weft runtime")
///         .block_on(body);
/// }
/// ```
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    entry(attr, item, Kind::Main)
}

/// # What it expands to
///
/// (Written once, in `weft-macros`; the rest of this page is in `weft`.)
///
/// ```text
/// #[weft::test(start_paused = true)]
/// #[should_panic]
/// async fn my_test() { BODY }
///
/// // becomes
/// #[::core::prelude::v1::test]
/// #[should_panic]
/// fn my_test() {
///     let body = async { BODY };
///     let body = ::core::pin::pin!(body);
///     // One `block_on` instance for all the tests of a crate, not one per test:
///     let body: Pin<&mut dyn Future<Output = ()>> = body;
///     return ::weft::runtime::Builder::new_current_thread() // or new_multi_thread()
///         .start_paused(true)                                // and worker_threads(..)
///         .enable_all()
///         .build()
///         .expect("#[weft::test]: could not build the weft runtime")
///         .block_on(body);
/// }
/// ```
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    entry(attr, item, Kind::Test)
}

fn entry(attr: TokenStream, item: TokenStream, kind: Kind) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match expand::expand(attr.into(), item.clone(), kind) {
        Ok(tokens) => tokens.into(),
        Err(e) => {
            let mut tokens = expand::fallback(item);
            tokens.extend(e.to_compile_error());
            tokens.into()
        }
    }
}

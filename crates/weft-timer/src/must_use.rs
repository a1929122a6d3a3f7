//! Compile-time checks, run as doctests only: forgetting to `.await` (or poll) one of the
//! crate's futures is an error under `#![deny(unused_must_use)]`. Each `compile_fail` case
//! has a twin that is the same code with the `.await` and must compile, so a case cannot
//! pass by failing for another reason.
//!
//! `sleep()`, through `Sleep`'s `#[must_use]`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! async fn f() {
//!     weft_timer::sleep(std::time::Duration::from_secs(1));
//! }
//! ```
//!
//! ```
//! #![deny(unused_must_use)]
//! async fn f() {
//!     weft_timer::sleep(std::time::Duration::from_secs(1)).await;
//! }
//! ```
//!
//! `sleep_until()` and `TimerHandle::sleep`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! async fn f(h: weft_timer::TimerHandle) {
//!     h.sleep(std::time::Duration::from_secs(1));
//! }
//! ```
//!
//! ```
//! #![deny(unused_must_use)]
//! async fn f(h: weft_timer::TimerHandle) {
//!     h.sleep(std::time::Duration::from_secs(1)).await;
//!     weft_timer::sleep_until(h.now()).await;
//! }
//! ```
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! async fn f(h: weft_timer::TimerHandle) {
//!     weft_timer::sleep_until(h.now());
//! }
//! ```
//!
//! `timeout()`, through `Timeout`'s `#[must_use]`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! async fn f() {
//!     weft_timer::timeout(std::time::Duration::from_secs(1), async {});
//! }
//! ```
//!
//! ```
//! #![deny(unused_must_use)]
//! async fn f() {
//!     let _ = weft_timer::timeout(std::time::Duration::from_secs(1), async {}).await;
//! }
//! ```
//!
//! `Interval::tick`, an `async fn`, through `Future`'s own `#[must_use]` (no attribute on
//! `tick` itself: on an `async fn` it would apply to the awaited `Instant`, which callers
//! usually ignore):
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! async fn f(mut every: weft_timer::Interval) {
//!     every.tick();
//! }
//! ```
//!
//! ```
//! #![deny(unused_must_use)]
//! async fn f(mut every: weft_timer::Interval) {
//!     every.tick().await;
//! }
//! ```

//! Which public types and futures are `Send`, `Sync` and `Unpin`: a table checked at compile
//! time (tokio keeps the same kind of table in `async_send_sync.rs`). A change that makes a
//! type lose `Send` (an `Rc` or a raw pointer slipped into it) fails to compile here, not in
//! a user's program.
//!
//! Each row reads `assert_value!(Type: Send & Sync & Unpin)`, with `!` for a trait the type
//! must NOT implement (checked through an impl that becomes ambiguous when it does).
#![allow(dead_code, clippy::diverging_sub_expression, unreachable_code)]

use std::future::Future;
use std::time::Duration;

use weft::io::{self, BufReader, BufWriter, DuplexStream};
use weft::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use weft::runtime::{Builder, EnterGuard, Handle};
use weft::sched::{CurrentThread, Env, MultiThread, Runnable, ThreadPark};
use weft::task::{AbortHandle, AsCompleted, Id, JoinError, JoinHandle, JoinSet};
use weft::time::{Elapsed, Instant, Interval, Sleep, Timeout};
use weft::Runtime;

type BoxFutureSend = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;
type BoxFutureSync = std::pin::Pin<Box<dyn Future<Output = ()> + Send + Sync>>;
type BoxFuture = std::pin::Pin<Box<dyn Future<Output = ()>>>;

/// Implemented for every `T`, and a second time for `T: Send`: naming `T::some_item` is
/// ambiguous exactly when `T` is `Send`.
trait AmbiguousIfSend<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

trait AmbiguousIfSync<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

trait AmbiguousIfUnpin<A> {
    fn some_item(&self) {}
}
impl<T: ?Sized> AmbiguousIfUnpin<()> for T {}
impl<T: ?Sized + Unpin> AmbiguousIfUnpin<u8> for T {}

fn require_send<T: Send>(_: &T) {}
fn require_sync<T: Sync>(_: &T) {}
fn require_unpin<T: Unpin>(_: &T) {}

macro_rules! into_todo {
    ($typ:ty) => {{
        let x: $typ = todo!();
        x
    }};
}

macro_rules! check {
    ($v:ident, Send) => {
        require_send(&$v)
    };
    ($v:ident, !Send) => {
        AmbiguousIfSend::some_item(&$v)
    };
    ($v:ident, Sync) => {
        require_sync(&$v)
    };
    ($v:ident, !Sync) => {
        AmbiguousIfSync::some_item(&$v)
    };
    ($v:ident, Unpin) => {
        require_unpin(&$v)
    };
    ($v:ident, !Unpin) => {
        AmbiguousIfUnpin::some_item(&$v)
    };
}

/// `assert_value!(Type: Send & Sync & Unpin)`; prefix a trait with `!` for "must not".
macro_rules! assert_value {
    ($type:ty: $($traits:tt)*) => {
        #[allow(unreachable_code, unused_variables)]
        const _: fn() = || {
            let v = into_todo!($type);
            check_all!(v; $($traits)*);
        };
    };
}

/// `async_assert_fn!(path(args): Send & Sync & Unpin)`: the future the call returns.
macro_rules! async_assert_fn {
    ($($f:ident)::+($($arg:ty),*): $($traits:tt)*) => {
        #[allow(unreachable_code, unused_variables)]
        const _: fn() = || {
            let f = $($f)::+($(into_todo!($arg)),*);
            check_all!(f; $($traits)*);
        };
    };
}

/// Checks each `Trait` / `!Trait` of an `&`-separated list.
macro_rules! check_all {
    ($v:ident;) => {};
    ($v:ident; ! $tr:ident $(& $($rest:tt)*)?) => {
        check!($v, !$tr);
        check_all!($v; $($($rest)*)?);
    };
    ($v:ident; $tr:ident $(& $($rest:tt)*)?) => {
        check!($v, $tr);
        check_all!($v; $($($rest)*)?);
    };
}

// The runtime.
assert_value!(Runtime: Send & Sync & Unpin);
assert_value!(Handle: Send & Sync & Unpin);
assert_value!(Builder: Send & Sync & Unpin);
assert_value!(EnterGuard<'static>: !Send & !Sync & Unpin);
assert_value!(MultiThread: Send & Sync & Unpin);
assert_value!(CurrentThread: Send & Sync & Unpin);
assert_value!(Env: Send & Sync & Unpin);
assert_value!(ThreadPark: Send & Sync & Unpin);
assert_value!(Runnable: Send & Sync & Unpin);

// Tasks.
assert_value!(JoinHandle<()>: Send & Sync & Unpin);
assert_value!(JoinHandle<std::cell::Cell<u8>>: Send & Sync & Unpin);
assert_value!(JoinHandle<std::rc::Rc<u8>>: !Send & !Sync & Unpin);
assert_value!(AbortHandle: Send & Sync & Unpin);
assert_value!(JoinError: Send & Sync & Unpin);
assert_value!(Id: Send & Sync & Unpin);
assert_value!(JoinSet<()>: Send & Sync & Unpin);
assert_value!(AsCompleted<BoxFutureSend>: Send & !Sync & Unpin);
assert_value!(AsCompleted<BoxFutureSync>: Send & Sync & Unpin);
assert_value!(AsCompleted<BoxFuture>: !Send & !Sync & Unpin);
async_assert_fn!(weft::task::yield_now(): Send & Sync & !Unpin);

// Time.
assert_value!(Sleep: Send & Sync & Unpin);
assert_value!(Timeout<BoxFutureSend>: Send & !Sync & Unpin);
assert_value!(Timeout<BoxFutureSync>: Send & Sync & Unpin);
assert_value!(Interval: Send & Sync & Unpin);
assert_value!(Instant: Send & Sync & Unpin);
assert_value!(Elapsed: Send & Sync & Unpin);
async_assert_fn!(weft::time::sleep(Duration): Send & Sync & Unpin);

// Sockets: every type, and the futures of their async methods, can move between workers.
assert_value!(TcpListener: Send & Sync & Unpin);
assert_value!(TcpStream: Send & Sync & Unpin);
assert_value!(UdpSocket: Send & Sync & Unpin);
assert_value!(UnixListener: Send & Sync & Unpin);
assert_value!(UnixStream: Send & Sync & Unpin);
assert_value!(UnixDatagram: Send & Sync & Unpin);
assert_value!(weft::net::tcp_split::OwnedReadHalf: Send & Sync & Unpin);
assert_value!(weft::net::tcp_split::OwnedWriteHalf: Send & Sync & Unpin);
async_assert_fn!(TcpStream::connect(std::net::SocketAddr): Send & Sync & !Unpin);
async_assert_fn!(TcpListener::bind(std::net::SocketAddr): Send & Sync & !Unpin);

// I/O helpers are as thread-safe as what they wrap.
assert_value!(BufReader<TcpStream>: Send & Sync & Unpin);
assert_value!(BufWriter<TcpStream>: Send & Sync & Unpin);
assert_value!(DuplexStream: Send & Sync & Unpin);
assert_value!(io::ReadHalf<TcpStream>: Send & Sync & Unpin);
assert_value!(io::WriteHalf<TcpStream>: Send & Sync & Unpin);

// Files, processes, signals.
assert_value!(weft::fs::File: Send & Sync & Unpin);
assert_value!(weft::fs::ReadDir: Send & Sync & Unpin);
assert_value!(weft::process::Command: Send & Sync & Unpin);
assert_value!(weft::process::Child: Send & Sync & Unpin);
assert_value!(weft::signal::unix::Signal: Send & Sync & Unpin);
async_assert_fn!(weft::signal::ctrl_c(): Send & Sync & !Unpin);

#[test]
fn the_table_compiles() {
    // The assertions above run at compile time; this test only makes the file a test
    // target that `cargo test` builds.
}

//! Code that must not compile (rayon's `compile_fail` doctests): every future this crate
//! returns is `#[must_use]`, so a forgotten `.await` is a warning, an error under
//! `#![deny(unused_must_use)]`.
//!
//! The named futures ([`Readiness`](crate::Readiness), [`AsyncIo`](crate::AsyncIo)) carry
//! `#[must_use = "futures do nothing unless you `.await` or poll them"]`; the `async fn`s
//! (`accept`, `connect`, `recv_from`, `Signal::recv`, `Child::wait`, ...) and
//! [`ctrl_c`](crate::signal::ctrl_c) return opaque futures, which the same attribute on the
//! `Future` trait covers (on an `async fn` itself, `#[must_use]` would apply to its
//! output instead).
//!
//! `Registration::read_io`, a named future:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! use std::io::Read;
//! fn f(reg: &weft_reactor::Registration<std::os::unix::net::UnixStream>) {
//!     let mut buf = [0; 8];
//!     reg.read_io(|| reg.get_ref().read(&mut buf));
//! }
//! ```
//!
//! `TcpListener::accept`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f(listener: &weft_reactor::net::TcpListener) {
//!     listener.accept();
//! }
//! ```
//!
//! `TcpStream::connect`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f() {
//!     weft_reactor::net::TcpStream::connect("127.0.0.1:80");
//! }
//! ```
//!
//! `UdpSocket::recv_from`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f(socket: &weft_reactor::net::UdpSocket) {
//!     let mut buf = [0; 8];
//!     socket.recv_from(&mut buf);
//! }
//! ```
//!
//! `Registration::readable`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f(reg: &weft_reactor::Registration<std::os::unix::net::UnixStream>) {
//!     reg.readable();
//! }
//! ```
//!
//! `Signal::recv`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f(signal: &mut weft_reactor::signal::unix::Signal) {
//!     signal.recv();
//! }
//! ```
//!
//! `ctrl_c`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f() {
//!     weft_reactor::signal::ctrl_c();
//! }
//! ```
//!
//! `Child::wait`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f(child: &mut weft_reactor::process::Child) {
//!     child.wait();
//! }
//! ```
//!
//! `Command::status`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! fn f(command: &mut weft_reactor::process::Command) {
//!     command.status();
//! }
//! ```

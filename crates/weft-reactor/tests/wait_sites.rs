//! Where a task waits: a readiness wait that returns `Pending` records `Readable` or
//! `Writable` with the descriptor and the line of the user's call (the `async` operation,
//! the `io` extension method, or, for the `poll_*` paths, where the socket was made);
//! signals and child processes record `Signal` and `Child`; a ready poll records nothing.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use futures_io::AsyncRead;
use weft_core::introspect::{enter_record, Wait, WaitKind, WaitRecord};
use weft_reactor::io::{AsyncReadExt, AsyncWriteExt};
use weft_reactor::net::{TcpListener, UdpSocket, UnixStream};
use weft_reactor::process::Command;
use weft_reactor::signal::unix::{signal, SignalKind};
use weft_reactor::{context, Interest, Reactor, Registration};

/// Polls `fut` once inside a fresh wait record and returns what it recorded.
fn wait_of<F: Future + ?Sized>(fut: Pin<&mut F>) -> (Poll<F::Output>, Option<Wait>) {
    let record = WaitRecord::new();
    let _scope = enter_record(&record);
    let poll = fut.poll(&mut Context::from_waker(Waker::noop()));
    (poll, record.get())
}

/// Asserts that one poll of `fut` is pending and records `kind` with `arg` at `line`.
#[track_caller]
fn assert_waits<F: Future + ?Sized>(fut: Pin<&mut F>, kind: WaitKind, arg: u64, line: u32) {
    let (poll, wait) = wait_of(fut);
    assert!(poll.is_pending(), "expected a pending poll");
    let wait = wait.expect("a pending poll records its wait");
    assert_eq!((wait.kind, wait.arg, wait.deadline), (kind, arg, None));
    let location = wait.location.expect("located");
    assert_eq!((location.file(), location.line()), (file!(), line));
}

fn fd(s: &impl AsRawFd) -> u64 {
    s.as_raw_fd() as u64
}

/// Fills `s`'s send buffer (through the registration, so its readiness is cleared too).
fn fill(s: &UnixStream) {
    let chunk = [0u8; 65536];
    loop {
        match s.try_write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn a_registration_names_its_creation_on_the_poll_path_and_the_call_otherwise() {
    let reactor = Reactor::new().unwrap();
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let raw = fd(&a);
    let line_made = line!() + 1;
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    let mut buf = [0u8; 8];

    let mut read = pin!(poll_fn(
        |cx| reg.poll_read_io(cx, || reg.get_ref().read(&mut buf))
    ));
    assert_waits(read.as_mut(), WaitKind::Readable, raw, line_made);

    let line = line!() + 1;
    let mut readable = pin!(reg.readable());
    assert_waits(readable.as_mut(), WaitKind::Readable, raw, line);

    b.write_all(b"x").unwrap();
    let mut reactor = reactor;
    reactor.park(Some(std::time::Duration::from_secs(5)));
    let (poll, wait) = wait_of(readable);
    assert!(matches!(poll, Poll::Ready(Ok(()))));
    assert_eq!(wait, None, "a ready poll records nothing");
}

#[test]
fn stream_reads_and_writes_name_the_user_call() {
    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    let line_made = line!() + 1;
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (fd_a, fd_b) = (fd(&a), fd(&b));
    let mut buf = [0u8; 8];

    // The `io` extension future names its own call over the socket's creation.
    {
        let line = line!() + 1;
        let read = pin!(a.read(&mut buf));
        assert_waits(read, WaitKind::Readable, fd_a, line);
    }
    {
        let line = line!() + 1;
        let exact = pin!(a.read_exact(&mut buf));
        assert_waits(exact, WaitKind::Readable, fd_a, line);
    }
    // The raw `AsyncRead` names where the stream was made.
    {
        let raw = pin!(poll_fn(|cx| Pin::new(&mut a).poll_read(cx, &mut buf)));
        assert_waits(raw, WaitKind::Readable, fd_a, line_made);
    }
    let line = line!() + 1;
    let readable = pin!(a.readable());
    assert_waits(readable, WaitKind::Readable, fd_a, line);

    fill(&b);
    {
        let line = line!() + 1;
        let writable = pin!(b.writable());
        assert_waits(writable, WaitKind::Writable, fd_b, line);
    }
    let line = line!() + 1;
    let write_all = pin!(b.write_all(&[1; 1024]));
    assert_waits(write_all, WaitKind::Writable, fd_b, line);
}

#[test]
fn datagrams_and_accept_name_the_user_call() {
    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
    let mut buf = [0u8; 8];
    let line = line!() + 1;
    let mut recv_from = pin!(socket.recv_from(&mut buf));
    assert_waits(recv_from.as_mut(), WaitKind::Readable, fd(&socket), line);

    let listener =
        TcpListener::from_std(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let line = line!() + 1;
    let mut accept = pin!(listener.accept());
    assert_waits(accept.as_mut(), WaitKind::Readable, fd(&listener), line);
}

#[test]
fn a_signal_records_its_number() {
    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    let line_made = line!() + 1;
    let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
    {
        let line = line!() + 1;
        let recv = pin!(usr1.recv());
        assert_waits(recv, WaitKind::Signal, libc::SIGUSR1 as u64, line);
    }
    let poll = pin!(poll_fn(|cx| usr1.poll_recv(cx)));
    assert_waits(poll, WaitKind::Signal, libc::SIGUSR1 as u64, line_made);
}

#[test]
fn a_child_wait_records_the_pid() {
    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    let mut child = Command::new("sleep").arg("10").spawn().unwrap();
    let pid = u64::from(child.id().unwrap());
    {
        let line = line!() + 1;
        let mut wait = pin!(child.wait());
        assert_waits(wait.as_mut(), WaitKind::Child, pid, line);
    }
    child.start_kill().unwrap();
}

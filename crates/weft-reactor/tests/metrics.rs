//! `ReactorHandle::io_events`: readiness events delivered to registrations are counted, the
//! selector's own wake-ups are not.
#![cfg(not(weft_loom))]

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use weft_reactor::{Interest, Reactor, Registration};

#[test]
fn delivered_events_are_counted_and_unparks_are_not() {
    let mut reactor = Reactor::new().unwrap();
    let handle = reactor.handle();
    // Wake-ups alone deliver nothing.
    for _ in 0..3 {
        handle.unpark();
        assert_eq!(reactor.park(None), 0);
    }
    assert_eq!(handle.io_events(), 0);

    let (a, mut b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let reg = Registration::with_handle(&handle, a, Interest::READABLE).unwrap();
    b.write_all(b"ping").unwrap();
    let mut delivered = 0;
    while delivered == 0 {
        delivered = reactor.park(Some(Duration::from_secs(5)));
    }
    assert_eq!(handle.io_events(), delivered as u64);

    // Another event adds to the count.
    drop(reg);
    let (c, mut d) = UnixStream::pair().unwrap();
    c.set_nonblocking(true).unwrap();
    let _reg = Registration::with_handle(&handle, c, Interest::READABLE).unwrap();
    d.write_all(b"pong").unwrap();
    let mut more = 0;
    while more == 0 {
        more = reactor.park(Some(Duration::from_secs(5)));
    }
    assert_eq!(handle.io_events(), (delivered + more) as u64);
}

//! The Registration API: readiness, clearing with ticks, per-direction waiters, many
//! waiters, the cooperative budget, park/unpark, the current-reactor context.

mod common;

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::poll_once;
use weft_core::coop;
use weft_reactor::{context, Interest, Reactor, ReactorHandle, Registration};

/// A waker counting its wake-ups.
#[derive(Default)]
struct Count(AtomicUsize);
impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
fn counter() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count::default());
    (c.clone(), Waker::from(c))
}
fn count(c: &Count) -> usize {
    c.0.load(Ordering::SeqCst)
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Fills `s`'s send buffer.
fn fill(mut s: &UnixStream) {
    let chunk = [0u8; 65536];
    loop {
        match s.write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn read_io_waits_for_data_and_is_woken() {
    let mut reactor = Reactor::new().unwrap();
    let (a, mut b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    let a = reg.get_ref();
    let (c, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0; 8];
    assert!(reg
        .poll_read_io(&mut cx, || (&*a).read(&mut buf))
        .is_pending());
    reactor.park(Some(Duration::ZERO));
    assert_eq!(count(&c), 0, "no data, no wake-up");
    b.write_all(b"data").unwrap();
    reactor.park(Some(Duration::from_secs(5)));
    assert_eq!(count(&c), 1);
    match reg.poll_read_io(&mut cx, || (&*a).read(&mut buf)) {
        Poll::Ready(Ok(4)) => assert_eq!(&buf[..4], b"data"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_clear_never_erases_a_newer_event() {
    let mut reactor = Reactor::new().unwrap();
    let (a, mut b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    let a = reg.get_ref();
    let (_c, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    // Drain the optimistic initial readiness.
    let mut buf = [0; 64];
    assert!(reg
        .poll_read_io(&mut cx, || (&*a).read(&mut buf))
        .is_pending());
    reactor.park(Some(Duration::ZERO));

    b.write_all(b"1").unwrap();
    reactor.park(Some(Duration::from_secs(5)));
    assert!(reg.poll_read_ready(&mut cx).is_ready()); // observed at tick t
                                                      // A newer event arrives before the task clears what it saw.
    b.write_all(b"2").unwrap();
    reactor.park(Some(Duration::from_secs(5)));
    reg.clear_read_ready(); // stale tick: must not clear
    assert!(
        reg.poll_read_ready(&mut cx).is_ready(),
        "the newer event was lost"
    );
    // With the current tick, the clear works.
    reg.clear_read_ready();
    assert!(reg.poll_read_ready(&mut cx).is_pending());
}

#[test]
fn a_reader_and_a_writer_wait_side_by_side() {
    let mut reactor = Reactor::new().unwrap();
    let (a, b) = pair();
    let reg = Registration::with_handle(
        &reactor.handle(),
        a,
        Interest::READABLE | Interest::WRITABLE,
    )
    .unwrap();
    let a = reg.get_ref();
    fill(a);
    let (rc, rw) = counter();
    let (wc, ww) = counter();
    let mut buf = [0; 16];
    assert!(reg
        .poll_read_io(&mut Context::from_waker(&rw), || (&*a).read(&mut buf))
        .is_pending());
    assert!(reg
        .poll_write_io(&mut Context::from_waker(&ww), || (&*a).write(b"x"))
        .is_pending());
    // The peer drains (a becomes writable) and answers (a becomes readable).
    let mut sink = vec![0; 1 << 20];
    while (&b).read(&mut sink).is_ok() {}
    (&b).write_all(b"reply").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while (count(&rc) == 0 || count(&wc) == 0) && Instant::now() < deadline {
        reactor.park(Some(Duration::from_millis(100)));
    }
    assert_eq!(count(&rc), 1, "reader woken once");
    assert_eq!(count(&wc), 1, "writer woken once");
}

#[test]
fn any_number_of_readable_waiters_are_woken_and_cancel_safe() {
    let mut reactor = Reactor::new().unwrap();
    let (a, mut b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    reg.clear_read_ready(); // forget the initial optimistic readiness
    let counters: Vec<_> = (0..8).map(|_| counter()).collect();
    let mut futs: Vec<_> = (0..8).map(|_| Box::pin(reg.readable())).collect();
    for (f, (_, w)) in futs.iter_mut().zip(&counters) {
        assert!(f.as_mut().poll(&mut Context::from_waker(w)).is_pending());
    }
    // Cancel two of them mid-wait.
    drop(futs.remove(7));
    drop(futs.remove(0));
    b.write_all(b"go").unwrap();
    reactor.park(Some(Duration::from_secs(5)));
    for (i, (c, _)) in counters.iter().enumerate() {
        let expected = usize::from((1..7).contains(&i));
        assert_eq!(count(c), expected, "waiter {i}");
    }
    for (f, (_, w)) in futs.iter_mut().zip(&counters[1..7]) {
        assert!(matches!(
            f.as_mut().poll(&mut Context::from_waker(w)),
            Poll::Ready(Ok(()))
        ));
    }
}

use std::future::Future;

#[test]
fn waiting_on_a_direction_outside_the_interest_is_an_error() {
    let reactor = Reactor::new().unwrap();
    let (a, _b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    let (_c, w) = counter();
    match reg.poll_write_ready(&mut Context::from_waker(&w)) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::InvalidInput),
        other => panic!("{other:?}"),
    }
}

#[test]
fn readiness_polls_spend_the_coop_budget() {
    let reactor = Reactor::new().unwrap();
    let (a, _b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::WRITABLE).unwrap();
    let (c, w) = counter();
    let mut cx = Context::from_waker(&w);
    coop::budget(|| {
        let mut ready = 0;
        while reg.poll_write_ready(&mut cx).is_ready() {
            ready += 1;
            assert!(ready <= usize::from(coop::BUDGET), "budget not enforced");
        }
        assert_eq!(ready, usize::from(coop::BUDGET));
        assert_eq!(
            count(&c),
            1,
            "a task out of budget is woken to run again later"
        );
    });
    // Outside of a task poll there is no limit.
    for _ in 0..1000 {
        assert!(reg.poll_write_ready(&mut cx).is_ready());
    }
}

#[test]
fn unpark_before_park_makes_park_return_at_once() {
    let mut reactor = Reactor::new().unwrap();
    reactor.unpark();
    reactor.unpark(); // coalesced
    let start = Instant::now();
    reactor.park(Some(Duration::from_secs(30)));
    assert!(start.elapsed() < Duration::from_secs(10));
    // The token is consumed: the next park waits for its time-out.
    let start = Instant::now();
    reactor.park(Some(Duration::from_millis(50)));
    assert!(start.elapsed() >= Duration::from_millis(40));
}

#[test]
fn unpark_from_another_thread_interrupts_a_parked_reactor() {
    let mut reactor = Reactor::new().unwrap();
    let handle = reactor.handle();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        handle.unpark();
    });
    let start = Instant::now();
    reactor.park(None);
    assert!(start.elapsed() < Duration::from_secs(20));
    t.join().unwrap();
}

#[test]
fn wakers_run_after_the_reactor_lock_is_released() {
    // A waker that registers a new source from inside `wake` would deadlock if woken under
    // the slab lock.
    struct Reentrant(ReactorHandle, AtomicUsize);
    impl Wake for Reentrant {
        fn wake(self: Arc<Self>) {
            let (x, _y) = pair();
            let r = Registration::with_handle(&self.0, x, Interest::READABLE);
            assert!(r.is_ok());
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut reactor = Reactor::new().unwrap();
    let (a, mut b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    reg.clear_read_ready();
    let w = Arc::new(Reentrant(reactor.handle(), AtomicUsize::new(0)));
    let waker = Waker::from(w.clone());
    assert!(reg
        .poll_read_ready(&mut Context::from_waker(&waker))
        .is_pending());
    b.write_all(b"!").unwrap();
    reactor.park(Some(Duration::from_secs(5)));
    assert_eq!(w.1.load(Ordering::SeqCst), 1);
}

#[test]
fn registrations_are_counted_and_freed() {
    let reactor = Reactor::new().unwrap();
    let h = reactor.handle();
    let socks: Vec<_> = (0..10).map(|_| pair()).collect();
    let regs: Vec<_> = socks
        .iter()
        .map(|(a, _)| {
            Registration::with_handle(&h, a.try_clone().unwrap(), Interest::READABLE).unwrap()
        })
        .collect();
    assert_eq!(h.registrations(), 10);
    drop(regs);
    assert_eq!(h.registrations(), 0);
    // Slots are reused.
    let source = socks[0].0.try_clone().unwrap();
    let fd = source.as_raw_fd();
    let r = Registration::with_handle(&h, source, Interest::READABLE).unwrap();
    assert_eq!(h.registrations(), 1);
    assert_eq!(r.as_fd().as_raw_fd(), fd);
    assert_eq!(r.get_ref().as_raw_fd(), fd);
    assert_eq!(r.interest(), Interest::READABLE);
    assert!(r.handle().ptr_eq(&h));
}

#[test]
fn a_regular_file_is_refused() {
    let reactor = Reactor::new().unwrap();
    let file = std::fs::File::open("/proc/self/exe").unwrap();
    let err = Registration::with_handle(&reactor.handle(), file, Interest::READABLE).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "{err}");
    assert_eq!(
        reactor.handle().registrations(),
        0,
        "the failed slot was freed"
    );
}

#[test]
fn reregister_changes_the_interest() {
    let mut reactor = Reactor::new().unwrap();
    let (a, mut b) = pair();
    let mut reg = Registration::with_handle(&reactor.handle(), a, Interest::WRITABLE).unwrap();
    reg.reregister(Interest::READABLE).unwrap();
    let a = reg.get_ref();
    assert_eq!(reg.interest(), Interest::READABLE);
    let (c, w) = counter();
    let mut buf = [0; 4];
    assert!(reg
        .poll_read_io(&mut Context::from_waker(&w), || (&*a).read(&mut buf))
        .is_pending());
    b.write_all(b"abcd").unwrap();
    reactor.park(Some(Duration::from_secs(5)));
    assert_eq!(count(&c), 1);
}

#[test]
fn the_current_reactor_comes_from_the_context() {
    assert!(ReactorHandle::try_current().is_none());
    let err = std::panic::catch_unwind(|| {
        let (a, _b) = pair();
        let _ = Registration::new(a, Interest::READABLE);
    })
    .unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("");
    assert_eq!(
        msg,
        "there is no reactor: this code runs outside a weft runtime, or in one built with \
         `Builder::disable_io()`"
    );

    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    let (a, _b) = pair();
    let reg = Registration::new(a, Interest::READABLE).unwrap();
    assert!(reg.handle().ptr_eq(&reactor.handle()));
    assert!(format!("{:?}", reactor.handle()).contains("registrations: 1"));
}

#[test]
fn readable_future_completes_through_the_park_loop() {
    let mut reactor = Reactor::new().unwrap();
    let (a, mut b) = pair();
    let reg = Registration::with_handle(&reactor.handle(), a, Interest::READABLE).unwrap();
    reg.clear_read_ready();
    let mut fut = pin!(reg.readable());
    assert!(poll_once(&mut fut).is_pending());
    b.write_all(b"z").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Poll::Ready(r) = poll_once(&mut fut) {
            r.unwrap();
            break;
        }
        assert!(Instant::now() < deadline);
        reactor.park(Some(Duration::from_millis(100)));
    }
}

#[test]
fn types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send::<Reactor>();
    send_sync::<ReactorHandle>();
    send_sync::<Registration<UnixStream>>();
    send_sync::<weft_reactor::net::TcpListener>();
    send_sync::<weft_reactor::net::TcpStream>();
    send_sync::<weft_reactor::net::tcp_split::OwnedReadHalf>();
    send_sync::<weft_reactor::net::tcp_split::OwnedWriteHalf>();
    send_sync::<weft_reactor::net::UdpSocket>();
    send_sync::<weft_reactor::net::UnixListener>();
    send_sync::<weft_reactor::net::UnixStream>();
    send_sync::<weft_reactor::net::UnixDatagram>();
    // The futures of the async methods can move between worker threads.
    fn send_future<F: Future + Send>(_: F) {}
    let reactor = Reactor::new().unwrap();
    let _ctx = context::set_current(Some(reactor.handle()));
    send_future(weft_reactor::net::TcpStream::connect("127.0.0.1:1"));
    send_future(weft_reactor::net::TcpListener::bind("127.0.0.1:0"));
    let (a, _b) = weft_reactor::net::UnixStream::pair().unwrap();
    send_future(a.readable());
}

/// A park's time-out is kept to the sub-millisecond (mio alone rounds it up to whole
/// milliseconds, so a 1.5 ms wait would never return before 2 ms), and never cut short. The
/// shortest of 20 waits is compared, so a slow spell of the machine cannot fail it.
#[test]
fn a_park_time_out_is_not_rounded_up_to_whole_milliseconds() {
    let mut reactor = Reactor::new().unwrap();
    let wait = Duration::from_micros(1_500);
    let mut shortest = Duration::MAX;
    for _ in 0..20 {
        let start = Instant::now();
        assert_eq!(reactor.park(Some(wait)), 0);
        let took = start.elapsed();
        assert!(took >= wait, "woke early: {took:?}");
        shortest = shortest.min(took);
    }
    assert!(
        shortest < Duration::from_micros(1_900),
        "shortest wait {shortest:?}"
    );
}

/// A wait that ended early, on an event, leaves no expiry behind to end a later wait early.
#[test]
fn an_armed_time_out_does_not_outlive_its_park() {
    let mut reactor = Reactor::new().unwrap();
    let handle = reactor.handle();
    // Ends at once (the unpark), with the exact timer armed for 3.5 ms.
    handle.unpark();
    reactor.park(Some(Duration::from_micros(3_500)));
    // A wait with no time-out must now last until it is unparked, well after 3.5 ms.
    let unparker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        handle.unpark();
    });
    let start = Instant::now();
    reactor.park(None);
    assert!(
        start.elapsed() >= Duration::from_millis(20),
        "a stale time-out ended the wait after {:?}",
        start.elapsed()
    );
    unparker.join().unwrap();
}

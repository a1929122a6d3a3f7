//! Where a task waits: every waiting operation records, when it returns `Pending`, what it
//! waits on and the line of the call that made the future in the task's wait record, and a
//! ready poll records nothing.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use weft_core::introspect::{enter_record, Wait, WaitKind, WaitRecord};
use weft_sync::{
    broadcast, mpsc, oneshot, watch, Barrier, Condition, Event, Mutex, Notify, OnceCell, Queue,
    RwLock, Semaphore,
};

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

/// Asserts that one poll of `fut` is ready and records nothing.
#[track_caller]
fn assert_ready<F: Future + ?Sized>(fut: Pin<&mut F>) -> F::Output {
    let (poll, wait) = wait_of(fut);
    assert_eq!(wait, None, "a ready poll records nothing");
    match poll {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("expected a ready poll"),
    }
}

#[test]
fn mutex_lock_and_lock_owned() {
    let m = Arc::new(Mutex::new(0));
    let guard = m.try_lock().unwrap();
    let line = line!() + 1;
    let mut lock = pin!(m.lock());
    assert_waits(lock.as_mut(), WaitKind::Mutex, 0, line);
    let line = line!() + 1;
    let mut owned = pin!(m.clone().lock_owned());
    assert_waits(owned.as_mut(), WaitKind::Mutex, 0, line);
    drop(guard);
    drop(assert_ready(lock));
    drop(assert_ready(owned));
}

#[test]
fn rwlock_read_and_write() {
    let lock = Arc::new(RwLock::new(0));
    let writer = lock.try_write().unwrap();
    let line = line!() + 1;
    let mut read = pin!(lock.read());
    assert_waits(read.as_mut(), WaitKind::RwLockRead, 0, line);
    let line = line!() + 1;
    let mut read_owned = pin!(lock.clone().read_owned());
    assert_waits(read_owned.as_mut(), WaitKind::RwLockRead, 0, line);
    drop(writer);
    let reader = assert_ready(read);
    drop(assert_ready(read_owned));

    let line = line!() + 1;
    let mut write = pin!(lock.write());
    assert_waits(write.as_mut(), WaitKind::RwLockWrite, 0, line);
    let line = line!() + 1;
    let mut write_owned = pin!(lock.clone().write_owned());
    assert_waits(write_owned.as_mut(), WaitKind::RwLockWrite, 0, line);
    drop(reader);
    drop(assert_ready(write));
    drop(assert_ready(write_owned));
}

#[test]
fn semaphore_acquires_record_the_permits_asked_for() {
    let sem = Arc::new(Semaphore::new(0));
    let line = line!() + 1;
    let mut one = pin!(sem.acquire());
    assert_waits(one.as_mut(), WaitKind::Semaphore, 1, line);
    let line = line!() + 1;
    let mut three = pin!(sem.acquire_many(3));
    assert_waits(three.as_mut(), WaitKind::Semaphore, 3, line);
    let line = line!() + 1;
    let mut owned = pin!(sem.clone().acquire_owned());
    assert_waits(owned.as_mut(), WaitKind::Semaphore, 1, line);
    let line = line!() + 1;
    let mut owned_two = pin!(sem.clone().acquire_many_owned(2));
    assert_waits(owned_two.as_mut(), WaitKind::Semaphore, 2, line);
    sem.add_permits(7);
    assert_ready(one).unwrap().forget();
    assert_ready(three).unwrap().forget();
    assert_ready(owned).unwrap().forget();
    assert_ready(owned_two).unwrap().forget();
}

#[test]
fn notify_event_and_barrier() {
    let notify = Notify::new();
    let line = line!() + 1;
    let mut notified = pin!(notify.notified());
    assert_waits(notified.as_mut(), WaitKind::Notify, 0, line);
    notify.notify_one();
    assert_ready(notified);

    let event = Event::new();
    let line = line!() + 1;
    let mut wait = pin!(event.wait());
    assert_waits(wait.as_mut(), WaitKind::Event, 0, line);
    assert_waits(wait.as_mut(), WaitKind::Event, 0, line); // again, registered
    event.set();
    assert_ready(wait);

    let barrier = Barrier::new(2);
    let line = line!() + 1;
    let mut first = pin!(barrier.wait());
    assert_waits(first.as_mut(), WaitKind::Barrier, 0, line);
    assert!(assert_ready(pin!(barrier.wait())).is_leader());
    assert!(!assert_ready(first).is_leader());
}

#[test]
fn condition_wait_records_the_wait_then_the_relock() {
    let mutex = Mutex::new(0);
    let cond = Condition::new();
    let guard = mutex.try_lock().unwrap();
    let line = line!() + 1;
    let mut wait = pin!(cond.wait(guard));
    assert_waits(wait.as_mut(), WaitKind::Condition, 0, line);
    // Notified while another task holds the lock: it waits for the lock, at the same call.
    let other = mutex.try_lock().unwrap();
    cond.notify_one();
    assert_waits(wait.as_mut(), WaitKind::Mutex, 0, line);
    drop(other);
    drop(assert_ready(wait));

    let guard = mutex.try_lock().unwrap();
    let line = line!() + 1;
    let mut wait_while = pin!(cond.wait_while(guard, |n| *n == 0));
    assert_waits(wait_while.as_mut(), WaitKind::Condition, 0, line);
}

#[test]
fn once_cell_wait_and_get_or_init() {
    let cell = OnceCell::new();
    let line = line!() + 1;
    let mut wait = pin!(cell.wait());
    assert_waits(wait.as_mut(), WaitKind::OnceCell, 0, line);

    // An initializer that does not finish yet; a second caller waits for its turn.
    let line = line!() + 1;
    let mut second = pin!(cell.get_or_init(|| async { 2 }));
    {
        let mut first = pin!(cell.get_or_init(std::future::pending));
        let (poll, _) = wait_of(first.as_mut());
        assert!(poll.is_pending());
        assert_waits(second.as_mut(), WaitKind::OnceCell, 0, line);
    }
    // The first initializer was dropped: the second runs its own.
    assert_eq!(*assert_ready(second), 2);
    assert_eq!(*assert_ready(wait), 2);
}

#[test]
fn oneshot_receiver_records_the_channel_call() {
    let line = line!() + 1;
    let (tx, rx) = oneshot::channel::<u8>();
    let mut rx = pin!(rx);
    assert_waits(rx.as_mut(), WaitKind::Oneshot, 0, line);
    tx.send(3).unwrap();
    assert_eq!(assert_ready(rx), Ok(3));
}

#[test]
fn mpsc_send_reserve_and_recv() {
    let line_channel = line!() + 1;
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    tx.try_send(0).unwrap(); // full
    let line = line!() + 1;
    let mut send = pin!(tx.send(1));
    assert_waits(send.as_mut(), WaitKind::MpscSend, 0, line);
    {
        // Dropped at the end of the block: they leave the queue.
        let line = line!() + 1;
        let reserve = pin!(tx.reserve());
        assert_waits(reserve, WaitKind::MpscSend, 0, line);
        let line = line!() + 1;
        let reserve_owned = pin!(tx.clone().reserve_owned());
        assert_waits(reserve_owned, WaitKind::MpscSend, 0, line);
    }

    assert_eq!(assert_ready(pin!(rx.recv())), Some(0));
    assert_eq!(assert_ready(send), Ok(()));
    assert_eq!(assert_ready(pin!(rx.recv())), Some(1));

    {
        let line = line!() + 1;
        let recv = pin!(rx.recv());
        assert_waits(recv, WaitKind::MpscRecv, 0, line);
    }
    {
        let mut buf = Vec::new();
        let line = line!() + 1;
        let many = pin!(rx.recv_many(&mut buf, 4));
        assert_waits(many, WaitKind::MpscRecv, 0, line);
    }
    // The poll and stream paths name the channel's creation.
    {
        let poll_recv = pin!(std::future::poll_fn(|cx| rx.poll_recv(cx)));
        assert_waits(poll_recv, WaitKind::MpscRecv, 0, line_channel);
    }
    let next = pin!(std::future::poll_fn(|cx| Pin::new(&mut rx).poll_next(cx)));
    assert_waits(next, WaitKind::MpscRecv, 0, line_channel);

    let (utx, mut urx) = mpsc::unbounded_channel::<u8>();
    let line = line!() + 1;
    let mut recv = pin!(urx.recv());
    assert_waits(recv.as_mut(), WaitKind::MpscRecv, 0, line);
    utx.send(5).unwrap();
    assert_eq!(assert_ready(recv), Some(5));
}

#[test]
fn broadcast_and_watch_receivers() {
    let line_channel = line!() + 1;
    let (tx, mut rx) = broadcast::channel::<u8>(4);
    {
        let line = line!() + 1;
        let mut recv = pin!(rx.recv());
        assert_waits(recv.as_mut(), WaitKind::Broadcast, 0, line);
        tx.send(1).unwrap();
        assert_eq!(assert_ready(recv), Ok(1));
    }
    let mut next = pin!(std::future::poll_fn(|cx| Pin::new(&mut rx).poll_next(cx)));
    assert_waits(next.as_mut(), WaitKind::Broadcast, 0, line_channel);

    let (wtx, mut wrx) = watch::channel(0);
    let line = line!() + 1;
    let mut changed = pin!(wrx.changed());
    assert_waits(changed.as_mut(), WaitKind::Watch, 0, line);
    wtx.send(1).unwrap();
    assert_eq!(assert_ready(changed), Ok(()));
}

#[test]
fn senders_waiting_for_the_receiver_to_close() {
    let (tx, rx) = mpsc::channel::<u8>(1);
    let line = line!() + 1;
    let mut bounded = pin!(tx.closed());
    assert_waits(bounded.as_mut(), WaitKind::Closed, 0, line);
    let (utx, urx) = mpsc::unbounded_channel::<u8>();
    let line = line!() + 1;
    let mut unbounded = pin!(utx.closed());
    assert_waits(unbounded.as_mut(), WaitKind::Closed, 0, line);
    let (mut otx, orx) = oneshot::channel::<u8>();
    let line = line!() + 1;
    let mut one = Box::pin(otx.closed());
    assert_waits(one.as_mut(), WaitKind::Closed, 0, line);
    let (wtx, wrx) = watch::channel(0u8);
    let line = line!() + 1;
    let mut watched = pin!(wtx.closed());
    assert_waits(watched.as_mut(), WaitKind::Closed, 0, line);
    drop((rx, urx, orx, wrx));
    assert_ready(bounded);
    assert_ready(unbounded);
    assert_ready(one.as_mut());
    assert_ready(watched);
    assert_eq!(WaitKind::Closed.name(), "Sender::closed");
}

#[test]
fn queue_put_get_and_join() {
    let q = Queue::bounded(1);
    let line = line!() + 1;
    let mut get = pin!(q.get());
    assert_waits(get.as_mut(), WaitKind::QueueGet, 0, line);
    assert_ready(pin!(q.put(1))).unwrap();
    let line = line!() + 1;
    let mut put = pin!(q.put(2));
    assert_waits(put.as_mut(), WaitKind::QueuePut, 0, line);
    assert_eq!(assert_ready(get), Ok(1));
    assert_ready(put).unwrap();

    let line = line!() + 1;
    let mut join = pin!(q.join());
    assert_waits(join.as_mut(), WaitKind::QueueJoin, 0, line);
    assert_eq!(q.try_get(), Ok(2));
    q.task_done();
    q.task_done();
    assert_ready(join);
}

//! Where a task waits: a pending `JoinHandle` (or `AbortOnDrop`) records, in the awaiting
//! task's wait record, that it waits on the other task (its id and spawn location), and a
//! ready poll records nothing.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use common::Exec;
use weft_core::introspect::{enter_record, Wait, WaitKind, WaitRecord};

/// Polls `fut` once inside a fresh wait record and returns what it recorded.
fn wait_of<F: Future + Unpin>(fut: &mut F) -> (Poll<F::Output>, Option<Wait>) {
    let record = WaitRecord::new();
    let _scope = enter_record(&record);
    let poll = Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()));
    (poll, record.get())
}

#[test]
fn a_pending_join_handle_names_the_awaited_task() {
    let ex = Exec::new();
    let line = line!() + 1;
    let mut handle = ex.spawn(async { 7 });

    let (poll, wait) = wait_of(&mut handle);
    assert!(poll.is_pending());
    let wait = wait.expect("recorded");
    assert_eq!(wait.kind, WaitKind::Join);
    assert_eq!(wait.arg, handle.id().as_u64());
    assert_eq!(wait.deadline, None);
    let location = wait.location.expect("located");
    assert_eq!((location.file(), location.line()), (file!(), line));
    assert_eq!(location, handle.location());

    ex.run_until_idle();
    let (poll, wait) = wait_of(&mut handle);
    assert!(matches!(poll, Poll::Ready(Ok(7))));
    assert_eq!(wait, None, "a ready poll records nothing");
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn abort_on_drop_records_as_its_handle() {
    let ex = Exec::new();
    let line = line!() + 1;
    let mut guarded = ex.spawn(async { 1 }).abort_on_drop();
    let (poll, wait) = wait_of(&mut guarded);
    assert!(poll.is_pending());
    let wait = wait.expect("recorded");
    assert_eq!(
        (wait.kind, wait.arg),
        (WaitKind::Join, guarded.id().as_u64())
    );
    assert_eq!(wait.location.unwrap().line(), line);

    ex.run_until_idle();
    let (poll, wait) = wait_of(&mut guarded);
    assert!(matches!(poll, Poll::Ready(Ok(1))));
    assert_eq!(wait, None);
    drop(guarded);
    ex.shutdown_and_assert_freed();
}

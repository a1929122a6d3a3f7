//! Where a task waits: each timer future records its wait (kind, deadline and the
//! line of the call that made it) in the task's wait record when it returns `Pending`, and
//! nothing when it is ready.

mod common;

use std::future::pending;
use std::time::Duration;

use common::{ms, paused, poll_noop};
use weft_core::introspect::{enter_record, Wait, WaitKind, WaitRecord};
use weft_timer::{interval, sleep, sleep_until, timeout, timeout_at, Instant};

/// The wait recorded by one poll of `fut` (the record cleared first, as the runner does).
fn wait_of<F: std::future::Future + Unpin>(record: &WaitRecord, fut: &mut F) -> Option<Wait> {
    record.clear();
    let _scope = enter_record(record);
    let _ = poll_noop(fut);
    record.get()
}

#[test]
fn a_pending_sleep_records_its_length_deadline_and_call() {
    let (_driver, clock, _ctx) = paused();
    let record = WaitRecord::new();
    let line = line!() + 1;
    let mut nap = sleep(ms(1500));
    let wait = wait_of(&record, &mut nap).expect("recorded");
    assert_eq!(wait.kind, WaitKind::Sleep);
    assert_eq!(wait.arg, 0, "the deadline takes the argument's place");
    assert_near(wait.deadline, nap.deadline().into_std());
    let location = wait.location.expect("located");
    assert_eq!((location.file(), location.line()), (file!(), line));

    clock.advance(ms(1500));
    assert_eq!(
        wait_of(&record, &mut nap),
        None,
        "a ready poll records nothing"
    );
}

#[test]
fn sleep_until_records_no_length() {
    let (_driver, _clock, _ctx) = paused();
    let record = WaitRecord::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    let line = line!() + 1;
    let mut nap = sleep_until(deadline);
    let wait = wait_of(&record, &mut nap).expect("recorded");
    assert_eq!(wait.kind, WaitKind::Sleep);
    assert_eq!(wait.arg, 0);
    assert_near(wait.deadline, deadline.into_std());
    assert_eq!(wait.location.unwrap().line(), line);
}

#[test]
fn a_timeout_keeps_the_inner_wait_and_records_its_own_otherwise() {
    let (_driver, clock, _ctx) = paused();
    let record = WaitRecord::new();

    // The inner future records nothing: the timeout records its deadline.
    let line = line!() + 1;
    let mut t = timeout(ms(250), pending::<()>());
    let wait = wait_of(&record, &mut t).expect("recorded");
    assert_eq!(wait.kind, WaitKind::Timeout);
    assert_eq!(wait.arg, 0);
    assert_near(wait.deadline, t.deadline().into_std());
    assert_eq!(wait.location.unwrap().line(), line);

    // The inner future records its own wait: that one is kept.
    let line = line!() + 1;
    let mut t = timeout(ms(250), sleep(ms(100)));
    let wait = wait_of(&record, &mut t).expect("recorded");
    assert_eq!(wait.kind, WaitKind::Sleep);
    assert_eq!(wait.arg, 0);
    assert_eq!(wait.location.unwrap().line(), line);

    // timeout_at has no length.
    let deadline = Instant::now() + ms(40);
    let mut t = timeout_at(deadline, pending::<()>());
    let wait = wait_of(&record, &mut t).expect("recorded");
    assert_eq!((wait.kind, wait.arg), (WaitKind::Timeout, 0));
    assert_near(wait.deadline, deadline.into_std());

    // Ready (timed out): nothing.
    clock.advance(ms(40));
    assert_eq!(wait_of(&record, &mut t), None);
}

#[test]
fn an_interval_records_its_period_between_ticks() {
    let (_driver, clock, _ctx) = paused();
    let record = WaitRecord::new();
    let line = line!() + 1;
    let mut every = interval(ms(20));
    let start = clock.now();

    let mut tick = Box::pin(every.tick());
    assert_eq!(wait_of(&record, &mut tick), None, "the first tick is ready");
    drop(tick);

    let mut tick = Box::pin(every.tick());
    let wait = wait_of(&record, &mut tick).expect("recorded");
    assert_eq!(wait.kind, WaitKind::Interval);
    assert_eq!(wait.arg, 0);
    assert_near(wait.deadline, (start + ms(20)).into_std());
    assert_eq!(wait.location.unwrap().line(), line);
    clock.advance(ms(20));
    assert_eq!(wait_of(&record, &mut tick), None);
}

#[test]
fn outside_a_record_scope_nothing_is_written() {
    let (_driver, _clock, _ctx) = paused();
    let record = WaitRecord::new();
    let mut nap = sleep(ms(5));
    assert!(poll_noop(&mut nap).is_pending());
    assert_eq!(record.get(), None);
}

/// Deadlines are kept to a tenth of a second, rounded up.
#[track_caller]
fn assert_near(recorded: Option<std::time::Instant>, expected: std::time::Instant) {
    let recorded = recorded.expect("a deadline");
    assert!(
        recorded >= expected && recorded - expected <= Duration::from_millis(100),
        "{recorded:?} vs {expected:?}"
    );
}

//! `task::wait` (asyncio's `wait`): each `Until`, panics and aborts for `FirstError`,
//! pending handles staying usable, time-outs, empty input; on every scheduler.

mod common;

use std::future::{pending, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{for_each_runtime, in_task, join_panic_message, yield_until, Flag};
use weft::task::{wait, wait_by, JoinHandle, Until, WaitHandles};

/// A task that returns `value` once `gate` is set.
fn gated<T: Send + 'static>(gate: &Flag, value: T) -> JoinHandle<T> {
    let gate = gate.wait();
    weft::spawn(async move {
        gate.await;
        value
    })
}

#[test]
fn empty_input_returns_at_once() {
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            for until in [
                Until::FirstCompleted,
                Until::FirstError,
                Until::AllCompleted,
            ] {
                let mut fut = pin!(wait(Vec::<JoinHandle<()>>::new(), until));
                let mut cx = Context::from_waker(Waker::noop());
                let Poll::Ready((done, pending)) = fut.as_mut().poll(&mut cx) else {
                    panic!("[{name}] {until:?}: an empty wait must be ready at once");
                };
                assert!(done.is_empty() && pending.is_empty(), "[{name}] {until:?}");
            }
            let (done, pending) =
                wait_by(Vec::<JoinHandle<u8>>::new(), Until::FirstError, |_| true)
                    .timeout(Duration::from_secs(60))
                    .await;
            assert!(done.is_empty() && pending.is_empty(), "[{name}]");
        });
    });
}

#[test]
fn first_completed_returns_the_first_and_the_rest_keep_running() {
    for_each_runtime(|rt, name| {
        let (first, rest) = in_task(&rt, async move {
            let gates: Vec<Flag> = (0..4).map(|_| Flag::new()).collect();
            let handles: Vec<_> = gates
                .iter()
                .enumerate()
                .map(|(i, gate)| gated(gate, Ok::<_, String>(i)))
                .collect();
            let ids: Vec<_> = handles.iter().map(JoinHandle::id).collect();
            gates[2].set();
            let (done, pending) = wait(handles, Until::FirstCompleted).await;
            assert_eq!(done.len(), 1, "[{name}]");
            assert_eq!(done[0].id(), ids[2], "[{name}]");
            // Pending handles: in the order given, still running, usable.
            let pending_ids: Vec<_> = pending.iter().map(JoinHandle::id).collect();
            assert_eq!(pending_ids, [ids[0], ids[1], ids[3]], "[{name}]");
            assert!(pending.iter().all(|h| !h.is_finished()), "[{name}]");
            let first = done.into_iter().next().unwrap().await.unwrap().unwrap();
            for gate in &gates {
                gate.set();
            }
            let mut rest = Vec::new();
            for handle in pending {
                rest.push(handle.await.unwrap().unwrap());
            }
            (first, rest)
        });
        assert_eq!(first, 2, "[{name}]");
        assert_eq!(rest, [0, 1, 3], "[{name}]");
    });
}

#[test]
fn first_completed_reports_every_task_already_done() {
    for_each_runtime(|rt, name| {
        let done = in_task(&rt, async move {
            let gate = Flag::new();
            let handles = vec![
                weft::spawn(async { Ok::<_, ()>(1) }),
                gated(&gate, Ok(2)),
                weft::spawn(async { Ok(3) }),
            ];
            yield_until("the quick tasks finish", || {
                handles[0].is_finished() && handles[2].is_finished()
            })
            .await;
            let (done, pending) = wait(handles, Until::FirstCompleted).await;
            assert_eq!(pending.len(), 1, "[{name}]");
            gate.set();
            for handle in pending {
                assert_eq!(handle.await.unwrap(), Ok(2));
            }
            let mut values: Vec<_> = done.into_iter().map(|d| d.into_result().unwrap()).collect();
            values.sort();
            values
        });
        assert_eq!(done, [Ok(1), Ok(3)], "[{name}]");
    });
}

#[test]
fn all_completed_waits_for_every_task_in_completion_order() {
    for_each_runtime(|rt, name| {
        let order = in_task(&rt, async move {
            let gates: Vec<Flag> = (0..5).map(|_| Flag::new()).collect();
            let handles: Vec<_> = gates.iter().enumerate().map(|(i, g)| gated(g, i)).collect();
            let watches: Vec<_> = handles.iter().map(JoinHandle::abort_handle).collect();
            let mut waiting = pin!(wait_by(handles, Until::AllCompleted, |_| false));
            let poll_once = |waiting: Pin<&mut WaitHandles<usize, _>>| {
                waiting
                    .poll(&mut Context::from_waker(Waker::noop()))
                    .is_pending()
            };
            assert!(poll_once(waiting.as_mut()), "[{name}]");
            // Release them one at a time in the order 3, 0, 4, 1, 2, polling the wait after
            // each one finished.
            for i in [3, 0, 4, 1] {
                gates[i].set();
                yield_until("the released task finishes", || watches[i].is_finished()).await;
                assert!(poll_once(waiting.as_mut()), "[{name}]");
            }
            gates[2].set();
            let (done, pending) = waiting.await;
            assert!(pending.is_empty(), "[{name}]");
            done.iter()
                .map(|d| *d.result().as_ref().unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(order, [3, 0, 4, 1, 2], "[{name}]");
    });
}

#[test]
fn all_completed_collects_many_tasks() {
    for_each_runtime(|rt, name| {
        let sum = in_task(&rt, async {
            let handles: Vec<_> = (0..2000u64)
                .map(|i| {
                    weft::spawn(async move {
                        if i % 2 == 0 {
                            weft::task::yield_now().await;
                        }
                        i
                    })
                })
                .collect();
            let (done, pending) = wait_by(handles, Until::AllCompleted, |_| false).await;
            assert!(pending.is_empty());
            done.into_iter()
                .map(|d| d.into_result().unwrap())
                .sum::<u64>()
        });
        assert_eq!(sum, 1999 * 2000 / 2, "[{name}]");
    });
}

#[test]
fn first_error_stops_at_a_panic() {
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            let gate = Flag::new();
            let ok = weft::spawn(async { 7u32 });
            yield_until("the ok task finishes", || ok.is_finished()).await;
            let boom = weft::spawn(async {
                weft::task::yield_now().await;
                panic!("wait saw this");
            });
            let boom_id = boom.id();
            let handles = vec![ok, gated(&gate, 1u32), gated(&gate, 2u32), boom];
            // Plain `u32` outputs: only a panic or an abort is a failure.
            let (done, pending) = wait_by(handles, Until::FirstError, |_| false).await;
            assert_eq!(
                pending.len(),
                2,
                "[{name}] the gated tasks are still running"
            );
            assert_eq!(done.len(), 2, "[{name}] the ok task and the panic");
            let mut done = done.into_iter();
            let (a, b) = (done.next().unwrap(), done.next().unwrap());
            let (ok, panicked) = if a.result().is_ok() { (a, b) } else { (b, a) };
            assert_eq!(ok.await.unwrap(), 7, "[{name}]");
            assert_eq!(panicked.id(), boom_id, "[{name}]");
            let message = join_panic_message(panicked.into_result().unwrap_err());
            assert_eq!(message, "wait saw this", "[{name}]");
            // The pending handles can be waited on again.
            gate.set();
            let (done, pending) = wait_by(pending, Until::FirstError, |_| false).await;
            assert!(pending.is_empty(), "[{name}]");
            let mut values: Vec<_> = done.into_iter().map(|d| d.into_result().unwrap()).collect();
            values.sort();
            assert_eq!(values, [1, 2], "[{name}]");
        });
    });
}

#[test]
fn first_error_stops_at_an_err_output_and_an_abort() {
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            let gate = Flag::new();
            let handles = vec![
                gated(&gate, Ok::<u32, String>(1)),
                weft::spawn(async {
                    weft::task::yield_now().await;
                    Err("bad input".to_owned())
                }),
            ];
            let (done, pending) = wait(handles, Until::FirstError).await;
            assert_eq!(done.len(), 1, "[{name}]");
            assert_eq!(
                done[0].result().as_ref().unwrap().as_ref().unwrap_err(),
                "bad input"
            );
            assert_eq!(pending.len(), 1, "[{name}]");

            // An aborted task stops it too.
            let mut pending = pending;
            pending.push(weft::spawn(pending_forever()));
            pending[1].abort();
            let (done, pending) = wait(pending, Until::FirstError).await;
            assert_eq!(done.len(), 1, "[{name}]");
            assert!(
                done[0].result().as_ref().unwrap_err().is_cancelled(),
                "[{name}]"
            );
            assert_eq!(pending.len(), 1, "[{name}]");

            // No failure at all: it waits for everything.
            gate.set();
            let (done, pending) = wait(pending, Until::FirstError).await;
            assert!(pending.is_empty(), "[{name}]");
            assert_eq!(done.into_iter().next().unwrap().await.unwrap(), Ok(1));
        });
    });
}

async fn pending_forever() -> Result<u32, String> {
    pending().await
}

#[test]
fn outputs_of_unit_and_custom_types_work_with_wait() {
    struct Status(u16);
    impl weft::task::Outcome for Status {
        fn is_failure(&self) -> bool {
            self.0 >= 500
        }
    }
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            let (done, _) = wait(vec![weft::spawn(async {})], Until::AllCompleted).await;
            assert!(done[0].result().is_ok(), "[{name}]");

            let gate = Flag::new();
            let handles = vec![
                gated(&gate, Status(200)),
                weft::spawn(async { Status(503) }),
            ];
            let (done, pending) = wait(handles, Until::FirstError).await;
            assert_eq!(done[0].result().as_ref().unwrap().0, 503, "[{name}]");
            assert_eq!(pending.len(), 1, "[{name}]");
            gate.set();
            assert_eq!(pending.into_iter().next().unwrap().await.unwrap().0, 200);
        });
    });
}

#[test]
fn a_timeout_returns_what_is_done_and_the_rest_keeps_running() {
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            let gate = Flag::new();
            let quick = weft::spawn(async { 1u32 });
            let slow = gated(&gate, 2u32);
            let (done, pending) = wait_by(vec![quick, slow], Until::AllCompleted, |_| false)
                .timeout(Duration::from_millis(20))
                .await;
            assert_eq!(done.len(), 1, "[{name}]");
            assert_eq!(pending.len(), 1, "[{name}]");
            assert!(
                !pending[0].is_finished(),
                "[{name}] not aborted by the time-out"
            );
            gate.set();
            let (done, pending) = wait_by(pending, Until::AllCompleted, |_| false)
                .timeout(Duration::from_secs(60))
                .await;
            assert!(pending.is_empty(), "[{name}]");
            assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 2);
        });
    });
}

#[test]
fn composing_with_time_timeout_gives_up_the_handles() {
    for_each_runtime(|rt, name| {
        in_task(&rt, async move {
            let gate = Flag::new();
            let slow = gated(&gate, ());
            let watch = slow.abort_handle();
            let timed_out = weft::time::timeout(
                Duration::from_millis(20),
                wait(vec![slow], Until::AllCompleted),
            )
            .await;
            assert!(timed_out.is_err(), "[{name}]");
            // Detached, not aborted: the task still finishes.
            assert!(!watch.is_finished(), "[{name}]");
            gate.set();
            yield_until("the detached task finishes", || watch.is_finished()).await;

            // In time, the result comes through.
            let quick = weft::spawn(async {});
            let (done, pending) = weft::time::timeout(
                Duration::from_secs(60),
                wait(vec![quick], Until::AllCompleted),
            )
            .await
            .unwrap();
            assert_eq!((done.len(), pending.len()), (1, 0), "[{name}]");
        });
    });
}

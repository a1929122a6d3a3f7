//! Every poll of a task runs inside a fresh cooperative budget.

mod common;

use std::sync::{Arc, Mutex};
use std::task::Poll;

use common::{ready, Exec};
use weft_core::coop;

#[test]
fn run_constrains_the_budget() {
    assert!(coop::has_budget_remaining(), "unconstrained outside a task");
    let ex = Exec::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let mut polls = 0;
    let mut handle = ex.spawn(std::future::poll_fn(move |cx| {
        polls += 1;
        let mut log = l.lock().unwrap();
        log.push(coop::has_budget_remaining());
        if polls == 1 {
            for _ in 0..coop::BUDGET {
                let Poll::Ready(g) = coop::poll_proceed(cx) else {
                    panic!("the budget ran out early");
                };
                g.made_progress();
            }
            log.push(coop::has_budget_remaining());
            // Out of budget: Pending, and the task is woken so that it runs again.
            log.push(coop::poll_proceed(cx).is_pending());
            return Poll::Pending;
        }
        Poll::Ready(polls)
    }));
    assert!(ex.run_one());
    assert_eq!(
        ex.yields(),
        1,
        "the spent budget woke the task during its poll"
    );
    assert!(
        coop::has_budget_remaining(),
        "the budget is not left behind on the worker"
    );
    assert_eq!(ex.run_until_idle(), 1);
    assert_eq!(ready(&mut handle).unwrap(), 2);
    assert_eq!(
        *log.lock().unwrap(),
        vec![true, false, true, true],
        "fresh budget, spent, pending; fresh again on the next run"
    );
    drop(handle);
    ex.shutdown_and_assert_freed();
}

#[test]
fn each_run_gets_its_own_budget() {
    // A task that spends its whole budget does not eat into the next task's.
    let ex = Exec::new();
    let spender = ex.spawn(std::future::poll_fn(|cx| {
        for _ in 0..coop::BUDGET {
            if let Poll::Ready(g) = coop::poll_proceed(cx) {
                g.made_progress();
            }
        }
        Poll::Ready(coop::has_budget_remaining())
    }));
    let mut next = ex.spawn(async { coop::has_budget_remaining() });
    ex.run_until_idle();
    let mut spender = spender;
    assert!(!ready(&mut spender).unwrap());
    assert!(ready(&mut next).unwrap());
    drop((spender, next));
    ex.shutdown_and_assert_freed();
}

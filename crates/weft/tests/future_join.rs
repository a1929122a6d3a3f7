//! `join_all` and `try_join_all` on weft's runtime (spawned children, the cooperative
//! budget of a task), and the `join!`, `try_join!` and `select!` macros. The tests that need
//! no runtime are weft-future's unit tests (`crates/weft-future/src/tests.rs`).

use std::future::{pending, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use weft::future::join_all;
use weft::runtime::Builder;
use weft::task::yield_now;
use weft_core::coop;

/// Runs `f` on a fresh current-thread runtime.
fn block_on<F: Future>(f: F) -> F::Output {
    Builder::new_current_thread().build().unwrap().block_on(f)
}

/// A current-thread runtime (`None`), or a multi-thread one with that many workers.
fn runtime(workers: Option<usize>) -> weft::Runtime {
    match workers {
        Some(n) => Builder::new_multi_thread().worker_threads(n).build(),
        None => Builder::new_current_thread().build(),
    }
    .unwrap()
}

/// Whether every output is `Ok` and equal to its index.
fn in_order<E>(outputs: Vec<Result<usize, E>>) -> bool {
    outputs
        .into_iter()
        .enumerate()
        .all(|(i, o)| o.is_ok_and(|o| o == i))
}

/// Runs `f` as a spawned task (so it has a cooperative budget) on a current-thread runtime.
fn run_task<F>(f: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(rt.spawn(f)).unwrap()
}

async fn after_yields<T>(yields: usize, value: T) -> T {
    for _ in 0..yields {
        yield_now().await;
    }
    value
}

/// Counts its polls in a shared counter.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.inner.as_mut().poll(cx)
    }
}

fn count_polls<F: Future>(polls: &Arc<AtomicUsize>, inner: F) -> CountPolls<F> {
    CountPolls {
        inner: Box::pin(inner),
        polls: polls.clone(),
    }
}

/// Increments its counter when dropped.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that never completes and counts its drop.
fn pending_with_drop<T>(drops: &Arc<AtomicUsize>) -> impl Future<Output = T> + Send + 'static {
    let guard = DropCount(drops.clone());
    async move {
        let _guard = guard;
        pending::<T>().await
    }
}

/// Completes after one unit of the task's cooperative budget (yielding, like a channel
/// receive, when the budget is spent).
struct NeedsBudget;

impl Future for NeedsBudget {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        std::task::ready!(coop::poll_proceed(cx)).made_progress();
        Poll::Ready(())
    }
}

// ---------------------------------------------------------------- join_all / try_join_all

#[test]
fn join_all_of_100_000_polls_each_child_a_constant_number_of_times() {
    let n = 100_000;
    let polls = Arc::new(AtomicUsize::new(0));
    let children: Vec<_> = (0..n)
        .map(|i| count_polls(&polls, after_yields(1 + i % 3, i)))
        .collect();
    let outputs = run_task(join_all(children));
    assert_eq!(outputs.len(), n);
    assert!(outputs.iter().enumerate().all(|(i, &o)| i == o));
    let polls = polls.load(Ordering::Relaxed);
    // Child i needs 2..=4 polls (one per yield, plus the last); mean 3.
    assert_eq!(polls, (0..n).map(|i| 2 + i % 3).sum::<usize>());
}

/// Runs the future `join(polls)` makes as a task on `runtime(workers)`, checks that the
/// outputs it joined come back in order, and returns what it counted in `polls`.
fn polls_joining<F>(workers: Option<usize>, join: impl FnOnce(Arc<AtomicUsize>) -> F) -> usize
where
    F: Future<Output = Vec<Result<usize, weft::task::JoinError>>> + Send + 'static,
{
    let rt = runtime(workers);
    let polls = Arc::new(AtomicUsize::new(0));
    let outputs = rt.block_on(rt.spawn(join(polls.clone()))).unwrap();
    assert!(in_order(outputs));
    polls.load(Ordering::Relaxed)
}

#[test]
fn join_all_of_join_handles_polls_each_handle_a_few_times() {
    for workers in [None, Some(4)] {
        let n = 20_000;
        let polls = polls_joining(workers, move |polls| async move {
            let handles: Vec<_> = (0..n)
                .map(|i| count_polls(&polls, weft::spawn(after_yields(i % 4, i))))
                .collect();
            join_all(handles).await
        });
        assert!(polls < 3 * n, "{polls} polls of {n} handles");
    }
}

/// A child that finishes wakes `join_all`'s task deferred, behind the work already queued:
/// it collects the children that finished meanwhile in one poll. Woken to run next (a
/// worker's LIFO slot), it polled once per child: 10,000 polls for 10,000 tasks on one
/// worker.
#[test]
fn join_all_of_join_handles_is_not_polled_once_per_child() {
    for workers in [None, Some(1)] {
        let n = 10_000;
        let polls = polls_joining(workers, move |polls| async move {
            let handles: Vec<_> = (0..n).map(|i| weft::spawn(async move { i })).collect();
            count_polls(&polls, join_all(handles)).await
        });
        assert!(
            polls < n / 10,
            "join_all polled {polls} times for {n} children (workers: {workers:?})"
        );
    }
}

#[test]
fn join_all_stops_when_the_budget_is_spent_instead_of_spinning() {
    for n in [10, 5_000] {
        let child_polls = Arc::new(AtomicUsize::new(0));
        let parent_polls = Arc::new(AtomicUsize::new(0));
        let children: Vec<_> = (0..n)
            .map(|_| count_polls(&child_polls, NeedsBudget))
            .collect();
        let all = count_polls(&parent_polls, join_all(children));
        assert_eq!(run_task(all).len(), n);
        let (child, parent) = (
            child_polls.load(Ordering::Relaxed),
            parent_polls.load(Ordering::Relaxed),
        );
        // Each parent poll completes ~127 children and re-polls at most one that found the
        // budget spent.
        assert!(
            child < n + 2 * parent,
            "{child} child polls, {parent} parent polls"
        );
        assert!(
            parent <= n / 100 + 2,
            "{parent} parent polls for {n} children"
        );
    }
}

#[test]
fn join_all_is_send_and_unpin_for_send_children() {
    fn check<T: Send + Unpin>(_: &T) {}
    let all = join_all((0..3).map(|i| async move { i }));
    check(&all);
    let handles = run_task(async { join_all((0..3).map(|i| weft::spawn(async move { i }))).await });
    assert_eq!(
        handles.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

// ------------------------------------------------------------------------- join!, try_join!

#[test]
fn join_macro_gives_the_tuple_of_outputs() {
    block_on(async {
        let (a, b, c) = weft::join!(after_yields(3, 1), after_yields(1, "two"), async { 3.0 });
        assert_eq!((a, b, c), (1, "two", 3.0));
        let (single,) = weft::join!(async { 1 });
        assert_eq!(single, 1);
        let () = weft::join!();
        // Trailing comma, and a non-`'static` borrow.
        let text = String::from("borrowed");
        let (len, upper) = weft::join!(async { text.len() }, async { text.to_uppercase() },);
        assert_eq!((len, upper.as_str()), (8, "BORROWED"));
    });
}

#[test]
fn join_macro_polls_concurrently() {
    // Two futures that each wait for the other's progress: sequential awaiting would hang.
    block_on(async {
        let flag_a = std::cell::Cell::new(false);
        let flag_b = std::cell::Cell::new(false);
        let a = async {
            flag_a.set(true);
            while !flag_b.get() {
                yield_now().await;
            }
            "a"
        };
        let b = async {
            flag_b.set(true);
            while !flag_a.get() {
                yield_now().await;
            }
            "b"
        };
        assert_eq!(weft::join!(a, b), ("a", "b"));
    });
}

#[test]
fn join_macro_takes_32_futures() {
    let out = block_on(async {
        weft::join!(
            after_yields(31, 0),
            after_yields(30, 1),
            after_yields(29, 2),
            after_yields(28, 3),
            after_yields(27, 4),
            after_yields(26, 5),
            after_yields(25, 6),
            after_yields(24, 7),
            after_yields(23, 8),
            after_yields(22, 9),
            after_yields(21, 10),
            after_yields(20, 11),
            after_yields(19, 12),
            after_yields(18, 13),
            after_yields(17, 14),
            after_yields(16, 15),
            after_yields(15, 16),
            after_yields(14, 17),
            after_yields(13, 18),
            after_yields(12, 19),
            after_yields(11, 20),
            after_yields(10, 21),
            after_yields(9, 22),
            after_yields(8, 23),
            after_yields(7, 24),
            after_yields(6, 25),
            after_yields(5, 26),
            after_yields(4, 27),
            after_yields(3, 28),
            after_yields(2, 29),
            after_yields(1, 30),
            async { "last" },
        )
    });
    assert_eq!(out.0, 0);
    assert_eq!(out.15, 15);
    assert_eq!(out.30, 30);
    assert_eq!(out.31, "last");
}

#[test]
fn join_macro_is_fair_under_the_budget() {
    // Both children need budget; polling always from the first would still finish, but
    // rotating the start must not lose any output.
    let (a, b) = run_task(async {
        let a = async {
            for _ in 0..1000 {
                NeedsBudget.await;
            }
            1
        };
        let b = async {
            for _ in 0..1000 {
                NeedsBudget.await;
            }
            2
        };
        weft::join!(a, b)
    });
    assert_eq!((a, b), (1, 2));
}

#[test]
fn try_join_macro_gives_ok_tuple() {
    let out = block_on(async {
        weft::try_join!(
            async { Ok::<_, String>(1) },
            async { Ok(after_yields(2, "two").await) },
            async { Ok(3u8) },
        )
    });
    assert_eq!(out, Ok((1, "two", 3u8)));
    let empty: Result<(), ()> = block_on(async { weft::try_join!() });
    assert_eq!(empty, Ok(()));
}

#[test]
fn try_join_macro_returns_the_first_err_at_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let out = block_on(async {
        weft::try_join!(
            pending_with_drop::<Result<u32, &str>>(&drops),
            async { Err::<u32, _>(after_yields(3, "late err").await) },
            async { Err::<u32, _>(after_yields(1, "early err").await) },
            async { Ok(after_yields(10, 4u32).await) },
        )
    });
    assert_eq!(out, Err("early err"));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn try_join_macro_with_question_mark() {
    async fn both() -> Result<u32, String> {
        let (a, b) = weft::try_join!(async { Ok::<u32, String>(1) }, async { Ok(2) })?;
        Ok(a + b)
    }
    assert_eq!(block_on(both()), Ok(3));
}

// ------------------------------------------------------------------------------ select!

#[test]
fn select_runs_the_handler_of_the_first_to_complete() {
    block_on(async {
        let out = weft::select! {
            v = after_yields(5, 1) => v,
            v = after_yields(1, 2) => { v * 10 }
            v = after_yields(3, 3) => v * 100,
        };
        assert_eq!(out, 20);
    });
}

#[test]
fn select_biased_polls_in_written_order() {
    block_on(async {
        for _ in 0..100 {
            let out = weft::select! {
                biased;
                a = async { 'a' } => a,
                b = async { 'b' } => b,
                c = async { 'c' } => c,
            };
            assert_eq!(out, 'a');
        }
    });
}

#[test]
fn select_unbiased_starts_at_a_random_branch() {
    block_on(async {
        let mut wins = [0u32; 3];
        for _ in 0..600 {
            let i = weft::select! {
                i = async { 0 } => i,
                i = async { 1 } => i,
                i = async { 2 } => i,
            };
            wins[i] += 1;
        }
        assert!(wins.iter().all(|&w| w > 50), "{wins:?}");
    });
}

#[test]
fn select_false_precondition_disables_the_branch_without_polling_it() {
    block_on(async {
        let evaluated = std::cell::Cell::new(0);
        let polls = Arc::new(AtomicUsize::new(0));
        let make = || {
            evaluated.set(evaluated.get() + 1);
            count_polls(&polls, async { "disabled" })
        };
        let enabled = false;
        let out = weft::select! {
            v = make(), if enabled => v,
            v = after_yields(2, "enabled"), if !enabled => v,
        };
        assert_eq!(out, "enabled");
        assert_eq!(evaluated.get(), 1, "the future expression is evaluated");
        assert_eq!(polls.load(Ordering::Relaxed), 0, "but never polled");
    });
}

#[test]
fn select_pattern_mismatch_disables_only_that_branch() {
    block_on(async {
        let out = weft::select! {
            biased;
            Some(v) = async { None::<u32> } => v,
            Ok(v) = async { Err::<u32, ()>(()) } => v,
            v = after_yields(3, 7u32) => v + 1,
        };
        assert_eq!(out, 8);
        // Or-patterns and refutable literal patterns.
        let out = weft::select! {
            1 | 2 = async { 3 } => "small",
            n = after_yields(1, 4) => if n == 4 { "four" } else { "other" },
        };
        assert_eq!(out, "four");
    });
}

#[test]
fn select_else_runs_when_every_branch_is_disabled() {
    block_on(async {
        let out = weft::select! {
            Some(v) = async { None::<u8> } => v,
            Some(v) = after_yields(2, None) => v,
            else => 0,
        };
        assert_eq!(out, 0);
        let out = weft::select! {
            v = async { 1 }, if false => v,
            else => { 2 }
        };
        assert_eq!(out, 2);
        let out = weft::select! { else => "only else" };
        assert_eq!(out, "only else");
    });
}

#[test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
fn select_without_else_panics_when_every_branch_is_disabled() {
    block_on(async {
        weft::select! {
            Some(v) = async { None::<u8> } => v,
            v = async { 1 }, if false => v,
        }
    });
}

#[test]
fn select_handlers_break_and_continue_the_enclosing_loop() {
    block_on(async {
        let mut stop = pin!(after_yields(10, "stop"));
        let mut ticks = 0;
        let reason = loop {
            weft::select! {
                biased;
                reason = &mut stop => break reason,
                _ = yield_now() => {
                    ticks += 1;
                    if ticks % 2 == 0 {
                        continue;
                    }
                }
            }
            assert_eq!(ticks % 2, 1);
        };
        assert_eq!(reason, "stop");
        assert!(ticks >= 5);
    });
}

#[test]
fn select_handlers_can_return_use_question_mark_and_await() {
    async fn first_number(inputs: [&'static str; 2]) -> Result<u32, std::num::ParseIntError> {
        let n: u32 = weft::select! {
            biased;
            s = async { inputs[0] } => s.parse()?,
            s = async { inputs[1] } => s.parse()?,
        };
        if n == 0 {
            weft::select! {
                _ = async {} => return Ok(after_yields(2, 1000).await),
            }
        }
        Ok(n)
    }
    block_on(async {
        assert_eq!(first_number(["12", "x"]).await, Ok(12));
        assert!(first_number(["x", "12"]).await.is_err());
        assert_eq!(first_number(["0", "1"]).await, Ok(1000));
    });
}

#[test]
fn select_drops_the_futures_before_the_handler_runs() {
    block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut data = vec![1];
        let out = weft::select! {
            _ = pending_with_drop::<()>(&drops) => unreachable!(),
            n = async { data.len() } => {
                // The losing future is gone, and the borrow of `data` has ended.
                assert_eq!(drops.load(Ordering::SeqCst), 1);
                data.push(2);
                n
            }
        };
        assert_eq!((out, data.len()), (1, 2));
    });
}

#[test]
fn select_with_twenty_branches() {
    block_on(async {
        let out = weft::select! {
            v = after_yields(40, 0) => v, v = after_yields(40, 1) => v,
            v = after_yields(40, 2) => v, v = after_yields(40, 3) => v,
            v = after_yields(40, 4) => v, v = after_yields(40, 5) => v,
            v = after_yields(40, 6) => v, v = after_yields(40, 7) => v,
            v = after_yields(40, 8) => v, v = after_yields(40, 9) => v,
            v = after_yields(40, 10) => v, v = after_yields(40, 11) => v,
            v = after_yields(40, 12) => v, v = after_yields(40, 13) => v,
            v = after_yields(40, 14) => v, v = after_yields(40, 15) => v,
            v = after_yields(40, 16) => v, v = after_yields(2, 17) => v,
            v = after_yields(40, 18) => v, v = after_yields(40, 19) => v,
        };
        assert_eq!(out, 17);
    });
}

#[test]
fn select_with_64_branches() {
    block_on(async {
        let out = weft::select! {
            v = after_yields(30, 0) => v, v = after_yields(30, 1) => v, v = after_yields(30, 2) => v, v = after_yields(30, 3) => v,
            v = after_yields(30, 4) => v, v = after_yields(30, 5) => v, v = after_yields(30, 6) => v, v = after_yields(30, 7) => v,
            v = after_yields(30, 8) => v, v = after_yields(30, 9) => v, v = after_yields(30, 10) => v, v = after_yields(30, 11) => v,
            v = after_yields(30, 12) => v, v = after_yields(30, 13) => v, v = after_yields(30, 14) => v, v = after_yields(30, 15) => v,
            v = after_yields(30, 16) => v, v = after_yields(30, 17) => v, v = after_yields(30, 18) => v, v = after_yields(30, 19) => v,
            v = after_yields(30, 20) => v, v = after_yields(30, 21) => v, v = after_yields(30, 22) => v, v = after_yields(30, 23) => v,
            v = after_yields(30, 24) => v, v = after_yields(30, 25) => v, v = after_yields(30, 26) => v, v = after_yields(30, 27) => v,
            v = after_yields(30, 28) => v, v = after_yields(30, 29) => v, v = after_yields(30, 30) => v, v = after_yields(30, 31) => v,
            v = after_yields(30, 32) => v, v = after_yields(30, 33) => v, v = after_yields(30, 34) => v, v = after_yields(30, 35) => v,
            v = after_yields(30, 36) => v, v = after_yields(30, 37) => v, v = after_yields(30, 38) => v, v = after_yields(30, 39) => v,
            v = after_yields(30, 40) => v, v = after_yields(30, 41) => v, v = after_yields(30, 42) => v, v = after_yields(30, 43) => v,
            v = after_yields(30, 44) => v, v = after_yields(2, 45) => v, v = after_yields(30, 46) => v, v = after_yields(30, 47) => v,
            v = after_yields(30, 48) => v, v = after_yields(30, 49) => v, v = after_yields(30, 50) => v, v = after_yields(30, 51) => v,
            v = after_yields(30, 52) => v, v = after_yields(30, 53) => v, v = after_yields(30, 54) => v, v = after_yields(30, 55) => v,
            v = after_yields(30, 56) => v, v = after_yields(30, 57) => v, v = after_yields(30, 58) => v, v = after_yields(30, 59) => v,
            v = after_yields(30, 60) => v, v = after_yields(30, 61) => v, v = after_yields(30, 62) => v, v = after_yields(30, 63) => v,
        };
        assert_eq!(out, 45);
    });
}

#[test]
fn select_nested_in_a_handler_and_in_a_future() {
    block_on(async {
        let out = weft::select! {
            a = async {
                weft::select! {
                    x = after_yields(3, 1) => x,
                    y = after_yields(1, 2) => y,
                }
            } => {
                weft::select! {
                    biased;
                    z = async { a * 10 } => z,
                    else => 0,
                }
            }
        };
        assert_eq!(out, 20);
    });
}

#[test]
fn select_keeps_a_future_alive_across_iterations_with_mut_ref() {
    block_on(async {
        let mut slow = pin!(after_yields(20, "done"));
        let mut rounds = 0;
        loop {
            weft::select! {
                v = slow.as_mut() => {
                    assert_eq!(v, "done");
                    break;
                }
                () = after_yields(1, ()) => rounds += 1,
            }
        }
        assert!(rounds >= 5, "{rounds}");
    });
}

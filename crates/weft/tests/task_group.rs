//! `task::scope` / `TaskGroup` (asyncio's TaskGroup): the first failure cancels the
//! siblings and is returned once all have stopped; outputs; nesting; a dropped scope; on
//! every scheduler.

mod common;

use std::future::{pending, Future};
use std::time::Duration;

use common::{for_each_runtime, in_task, payload_message, yield_until, DropCounter, Flag};
use weft::task::{scope, yield_now, Failure, GroupError};

/// A child that never finishes on its own, counted by `drops` when it is dropped.
fn stuck(drops: &DropCounter) -> impl std::future::Future<Output = Result<u32, String>> + Send {
    let token = drops.token();
    async move {
        let _token = token;
        pending().await
    }
}

/// A child that fails with `Err(msg)` after a few yields.
async fn fails_later(msg: &'static str) -> Result<u32, String> {
    for _ in 0..3 {
        yield_now().await;
    }
    Err(msg.to_owned())
}

#[test]
fn first_child_error_cancels_the_siblings_before_returning() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (err, failing_id, drops_at_return) = in_task(&rt, async move {
            let mut failing_id = None;
            let res = scope(async |group| {
                for _ in 0..5 {
                    group.spawn(stuck(&d));
                }
                failing_id = Some(group.spawn_named("lookup", fails_later("not found")).id());
                Ok(())
            })
            .await;
            // Read at once: the cancelled siblings must already be dropped.
            (res.unwrap_err(), failing_id.unwrap(), d.count())
        });
        assert_eq!(
            drops_at_return, 5,
            "[{name}] siblings dropped before scope returned"
        );
        assert_eq!(drops.count(), 5, "[{name}]");
        assert_eq!(
            err.failures().len(),
            1,
            "[{name}] cancellations are not failures"
        );
        match err.first() {
            Failure::Err { id, name: n, error } => {
                assert_eq!(*id, failing_id, "[{name}]");
                assert_eq!(n.as_deref(), Some("lookup"), "[{name}]");
                assert_eq!(error, "not found", "[{name}]");
            }
            other => panic!("[{name}] unexpected failure {other:?}"),
        }
        assert_eq!(err.first().id(), Some(failing_id));
        let text = err.to_string();
        assert!(
            text.contains("(\"lookup\") failed: not found"),
            "[{name}] {text}"
        );
    });
}

#[test]
fn a_child_panic_cancels_the_siblings_and_carries_the_payload() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (err, drops_at_return) = in_task(&rt, async move {
            let res = scope(async |group| {
                group.spawn(stuck(&d));
                group.spawn(async {
                    yield_now().await;
                    panic!("child blew up");
                    #[allow(unreachable_code)]
                    Ok(())
                });
                group.spawn(stuck(&d));
                Ok(())
            })
            .await;
            (res.unwrap_err(), d.count())
        });
        assert_eq!(drops_at_return, 2, "[{name}]");
        assert!(err.first().is_panic(), "[{name}] {err:?}");
        assert!(
            err.to_string()
                .contains("panicked with message \"child blew up\""),
            "[{name}] {err}"
        );
        let Failure::Panic { error, name: n } = err.into_failures().remove(0) else {
            unreachable!()
        };
        assert_eq!(n, None);
        assert_eq!(payload_message(&*error.into_panic()), "child blew up");
    });
}

#[test]
fn the_body_error_cancels_the_children() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (err, drops_at_return) = in_task(&rt, async move {
            let res: Result<(), GroupError<String>> = scope(async |group| {
                for _ in 0..3 {
                    group.spawn(stuck(&d));
                }
                yield_now().await;
                Err("body gave up".to_owned())
            })
            .await;
            (res.unwrap_err(), d.count())
        });
        assert_eq!(drops_at_return, 3, "[{name}]");
        assert!(
            matches!(err.first(), Failure::Body(e) if e == "body gave up"),
            "[{name}] {err:?}"
        );
        assert_eq!(err.first().id(), None);
        assert_eq!(err.into_error(), "body gave up");
    });
}

#[test]
fn a_body_panic_cancels_the_children_then_resumes() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let joined = rt.block_on(rt.spawn(async move {
            let _ = scope(async |group| {
                for _ in 0..3 {
                    group.spawn(stuck(&d));
                }
                yield_now().await;
                panic!("body blew up");
                #[allow(unreachable_code)]
                Ok::<(), String>(())
            })
            .await;
        }));
        // The panic reached the task only after the children were dropped.
        assert_eq!(drops.count(), 3, "[{name}]");
        let err = joined.unwrap_err();
        assert_eq!(common::join_panic_message(err), "body blew up", "[{name}]");
    });
}

#[test]
fn the_body_is_cancelled_when_a_child_fails() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let err = in_task(&rt, async move {
            scope(async |group| {
                let _token = d.token();
                group.spawn(fails_later("bad"));
                pending::<()>().await; // the body would wait forever
                Ok(())
            })
            .await
            .unwrap_err()
        });
        assert_eq!(drops.count(), 1, "[{name}] the body's future was dropped");
        assert_eq!(err.into_error(), "bad", "[{name}]");
    });
}

#[test]
fn a_child_failing_after_the_body_returned_fails_the_group() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (res, drops_at_return) = in_task(&rt, async move {
            let res = scope(async |group| {
                group.spawn(stuck(&d));
                group.spawn(fails_later("late"));
                Ok("body value")
            })
            .await;
            (res.map_err(GroupError::into_error), d.count())
        });
        assert_eq!(res, Err("late".to_owned()), "[{name}]");
        assert_eq!(drops_at_return, 1, "[{name}]");
    });
}

#[test]
fn outputs_are_readable_after_the_scope_and_inside_it() {
    for_each_runtime(|rt, name| {
        let (text, number, doubled, awaited) = in_task(&rt, async {
            let (text, number, doubled, awaited) = scope(async |group| {
                // Outputs of different types in one group.
                let text = group.spawn(async {
                    yield_now().await;
                    Ok::<_, String>("hello".to_owned())
                });
                let number = group.spawn(async { Ok(41u64) });
                // A child may await a sibling's handle.
                let base = group.spawn(async { Ok(21u32) });
                let doubled = group.spawn(async move { Ok(base.await * 2) });
                // The body may await a child.
                let awaited = group.spawn(async { Ok(vec![1, 2, 3]) }).await;
                Ok((text, number, doubled, awaited))
            })
            .await
            .unwrap();
            (
                text.output(),
                number.output() + 1,
                doubled.output(),
                awaited,
            )
        });
        assert_eq!(text, "hello", "[{name}]");
        assert_eq!(number, 42, "[{name}]");
        assert_eq!(doubled, 42, "[{name}]");
        assert_eq!(awaited, [1, 2, 3], "[{name}]");
    });
}

#[test]
fn many_children_all_finish() {
    for_each_runtime(|rt, name| {
        let sum = in_task(&rt, async {
            let handles = scope(async |group| {
                Ok::<_, ()>(
                    (0..1000u64)
                        .map(|i| {
                            group.spawn(async move {
                                if i % 3 == 0 {
                                    yield_now().await;
                                }
                                Ok(i)
                            })
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .await
            .unwrap();
            handles.into_iter().map(|h| h.output()).sum::<u64>()
        });
        assert_eq!(sum, 999 * 1000 / 2, "[{name}]");
    });
}

#[test]
fn named_children_carry_their_name_into_the_task_and_the_dump() {
    for_each_runtime(|rt, name| {
        let handle = rt.handle().clone();
        let names = in_task(&rt, async move {
            let release = std::sync::Arc::new(weft::sync::Event::new());
            let (inside, unnamed) = scope(async |group| {
                let inside = group.spawn_named("lookup", async { Ok::<_, ()>(weft::task::name()) });
                let unnamed = group.spawn(async { Ok(weft::task::name()) });
                // A named child still waiting when the dump is taken.
                let r = release.clone();
                group.spawn_named("waiter", async move {
                    r.wait().await;
                    Ok(())
                });
                yield_until("the dump names the waiting child", || {
                    handle.dump().to_string().contains("waiter")
                })
                .await;
                release.set();
                Ok((inside, unnamed))
            })
            .await
            .unwrap_or_else(|_| panic!("the scope failed"));
            (inside.output(), unnamed.output())
        });
        assert_eq!(names, (Some("lookup".to_owned()), None), "[{name}]");
    });
}

#[test]
fn a_scope_with_no_children_returns_the_body_value() {
    for_each_runtime(|rt, name| {
        let value = in_task(&rt, async { scope(async |_group| Ok::<_, ()>(7)).await });
        assert_eq!(value.unwrap(), 7, "[{name}]");
    });
}

#[test]
fn nested_groups_propagate_failures_outwards() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (inner_in_child, inner_in_body, ok) = in_task(&rt, async move {
            // A child running a group of its own, whose grandchild fails.
            let d2 = d.clone();
            let inner_in_child = scope(async |outer| {
                outer.spawn(stuck(&d));
                outer.spawn(async move {
                    scope(async |inner| {
                        inner.spawn(stuck(&d2));
                        inner.spawn(fails_later("grandchild"));
                        Ok(())
                    })
                    .await
                    .map_err(|e| format!("inner group: {}", e.into_error()))
                });
                Ok(())
            })
            .await
            .unwrap_err();
            // A group inside the body: its failure is the body's error.
            let inner_in_body = scope(async |outer| {
                outer.spawn(stuck(&d));
                scope(async |inner| {
                    inner.spawn(fails_later("nested in body"));
                    Ok(())
                })
                .await
                .map_err(GroupError::into_error)?;
                Ok(())
            })
            .await
            .unwrap_err();
            // Nested groups that succeed.
            let ok = scope(async |outer| {
                let a = outer.spawn(async {
                    let h = scope(async |inner| Ok::<_, ()>(inner.spawn(async { Ok(20) })))
                        .await
                        .map_err(|_| ())?;
                    Ok(h.output() + 1)
                });
                let b = scope(async |inner| Ok(inner.spawn(async { Ok::<_, ()>(21) }))).await;
                Ok::<_, ()>((a, b.map_err(|_| ())?))
            })
            .await
            .map(|(a, b)| a.output() + b.output())
            .map_err(|e| format!("{e:?}"));
            (inner_in_child, inner_in_body, ok)
        });
        assert_eq!(
            inner_in_child.into_error(),
            "inner group: grandchild",
            "[{name}]"
        );
        assert!(
            matches!(inner_in_body.first(), Failure::Body(e) if e == "nested in body"),
            "[{name}] {inner_in_body:?}"
        );
        assert_eq!(ok, Ok(42), "[{name}]");
        assert_eq!(drops.count(), 3, "[{name}]");
    });
}

#[test]
fn dropping_the_scope_future_aborts_the_children() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let started = Flag::new();
        let s = started.clone();
        in_task(&rt, async move {
            let mut scoped = Box::pin(scope(async |group| {
                for _ in 0..4 {
                    group.spawn(stuck(&d));
                }
                s.set();
                pending::<Result<(), String>>().await
            }));
            // Poll it until the children exist, then drop it mid-way.
            std::future::poll_fn(|cx| {
                let _ = scoped.as_mut().poll(cx);
                std::task::Poll::Ready(())
            })
            .await;
            assert!(s.is_set());
            drop(scoped);
            yield_until("the children are dropped", || d.count() == 4).await;
        });
        assert_eq!(drops.count(), 4, "[{name}]");
    });
}

#[test]
fn a_timeout_around_a_scope_cancels_it() {
    for_each_runtime(|rt, name| {
        let drops = DropCounter::new();
        let d = drops.clone();
        let (timed_out, finished_in_time) = in_task(&rt, async move {
            let timed_out = weft::time::timeout(
                Duration::from_millis(20),
                scope(async |group| {
                    for _ in 0..3 {
                        group.spawn(stuck(&d));
                    }
                    Ok(())
                }),
            )
            .await
            .is_err();
            yield_until("the children are dropped", || d.count() == 3).await;
            // A scope that finishes in time gives its value through the timeout.
            let finished_in_time = weft::time::timeout(
                Duration::from_secs(60),
                scope(async |group| {
                    let h = group.spawn(async {
                        weft::time::sleep(Duration::from_millis(1)).await;
                        Ok::<_, String>(5)
                    });
                    Ok(h)
                }),
            )
            .await
            .unwrap()
            .unwrap()
            .output();
            (timed_out, finished_in_time)
        });
        assert!(timed_out, "[{name}]");
        assert_eq!(finished_in_time, 5, "[{name}]");
        assert_eq!(drops.count(), 3, "[{name}]");
    });
}

#[test]
fn failures_after_the_first_are_kept() {
    for_each_runtime(|rt, name| {
        let err = in_task(&rt, async {
            scope(async |group| {
                // Two blocking children fail on the blocking pool; the body waits (blocking
                // its thread, so the group sees nothing meanwhile) until both are done.
                let a = group.spawn_blocking(|| Err::<(), _>("a failed".to_owned()));
                let b = group.spawn_blocking(|| Err::<(), _>("b failed".to_owned()));
                let deadline = std::time::Instant::now() + Duration::from_secs(20);
                while !(a.is_finished() && b.is_finished()) {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "blocking children hung"
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(())
            })
            .await
            .unwrap_err()
        });
        let mut errors: Vec<_> = err
            .failures()
            .iter()
            .map(|f| match f {
                Failure::Err { error, .. } => error.as_str(),
                other => panic!("[{name}] unexpected {other:?}"),
            })
            .collect();
        errors.sort_unstable();
        assert_eq!(errors, ["a failed", "b failed"], "[{name}]");
        assert!(
            err.to_string().ends_with("(and 1 more failure)"),
            "[{name}] {err}"
        );
    });
}

#[test]
fn group_errors_work_with_question_mark() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    for_each_runtime(|rt, name| {
        let res: Result<(), Box<dyn std::error::Error + Send + Sync>> = in_task(&rt, async {
            scope(async |group| {
                group.spawn(async { Err::<(), _>(std::io::Error::other("disk on fire")) });
                Ok(())
            })
            .await
            .inspect_err(assert_error)?;
            Ok(())
        });
        let err = res.unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "[{name}] {err}");
        assert!(err.source().is_some(), "[{name}]");
    });
}

#[test]
fn output_panics_when_the_child_did_not_finish() {
    for_each_runtime(|rt, name| {
        let msg = in_task(&rt, async {
            let mut leaked = None;
            let _ = scope(async |group| {
                leaked = Some(group.spawn(pending::<Result<(), ()>>()));
                Err::<(), _>(())
            })
            .await;
            let mut handle = leaked.unwrap();
            assert!(handle.is_finished());
            assert_eq!(handle.try_output(), None);
            common::expect_panic(move || handle.output())
        });
        assert!(msg.contains("has no output"), "[{name}] {msg}");
    });
}

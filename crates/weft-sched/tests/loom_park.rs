//! Loom models of the multi-thread scheduler's idle protocol: the real `MultiThread`, with
//! its real workers, parkers and idle bookkeeping, under every interleaving loom explores.
//! The property: a task made runnable from outside (a remote spawn, a wake from a foreign
//! thread) is always run, even when it races with every worker going to sleep; and
//! shutdown always ends the workers.
#![cfg(weft_loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::Mutex;
use weft_core::loom::{model, thread};
use weft_sched::{Env, Hint, MultiThread, Scheduler, ThreadPark};
use weft_task::{Runnable, Schedule, Task};

#[derive(Clone)]
struct Rt(Arc<MultiThread>);

impl Schedule for Rt {
    fn schedule(&self, task: Runnable) {
        self.0.schedule(task, Hint::Wake)
    }
    fn yield_now(&self, task: Runnable) {
        self.0.schedule(task, Hint::Yield)
    }
    fn release(&self, _: &Task) -> Option<Task> {
        None
    }
}

fn start(workers: usize) -> (Rt, Env) {
    let sched = Arc::new(MultiThread::new(workers));
    let env = Env::new(Arc::new(ThreadPark::new()));
    sched.start(&env).unwrap();
    (Rt(sched), env)
}

fn block_on<F: Future + Send>(rt: &Rt, env: &Env, fut: F) -> F::Output {
    let mut out = None;
    {
        let mut fut = std::pin::pin!(async { out = Some(fut.await) });
        rt.0.block_on(env, fut.as_mut());
    }
    out.unwrap()
}

/// Two workers, a task spawned from outside the runtime: it runs exactly once and its
/// handle completes, however the spawn interleaves with the workers parking.
#[test]
fn remote_spawn_is_never_lost() {
    model(|| {
        let (rt, env) = start(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let (task, runnable, handle) = weft_task::spawn(
            async move {
                r.fetch_add(1, SeqCst);
                7
            },
            rt.clone(),
            None,
        );
        drop(task);
        rt.0.schedule(runnable, Hint::Spawn);
        assert_eq!(block_on(&rt, &env, handle).unwrap(), 7);
        assert_eq!(runs.load(SeqCst), 1);
        rt.0.shutdown();
    });
}

/// A task parked on a waker that a foreign thread fires while the workers go idle: the
/// wake is never lost.
#[test]
fn foreign_wake_is_never_lost() {
    model(|| {
        let (rt, env) = start(2);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let fired = Arc::new(AtomicUsize::new(0));

        struct WaitFired(Arc<Mutex<Option<Waker>>>, Arc<AtomicUsize>);
        impl Future for WaitFired {
            type Output = ();
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                *self.0.lock() = Some(cx.waker().clone());
                if self.1.load(SeqCst) == 1 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }

        let (task, runnable, handle) =
            weft_task::spawn(WaitFired(slot.clone(), fired.clone()), rt.clone(), None);
        drop(task);
        rt.0.schedule(runnable, Hint::Spawn);

        let waker_thread = thread::spawn(move || {
            fired.store(1, SeqCst);
            let waker = slot.lock().take();
            if let Some(w) = waker {
                w.wake();
            }
        });
        block_on(&rt, &env, handle).unwrap();
        waker_thread.join().unwrap();
        rt.0.shutdown();
    });
}

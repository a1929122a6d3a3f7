//! [`JoinSet`]: a group of spawned tasks, joined in completion order.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use weft_core::coop;
use weft_future::ReadySet;

use super::{AbortHandle, Id, JoinError, JoinHandle};
use crate::runtime::Handle;

/// A set of spawned tasks that are awaited in the order they finish: asyncio's
/// `TaskGroup` (and `as_completed` over tasks).
///
/// All tasks return the same type `T`. [`join_next`](JoinSet::join_next) gives the output of
/// the next task to finish (`None` once the set is empty). Dropping the set **aborts** every
/// task still in it, so no task outlives its group by accident; call
/// [`detach_all`](JoinSet::detach_all) first to let them run on.
///
/// Joining is cheap however large the set: each task's handle gets its own waker, and
/// `join_next` polls only the handles of tasks that finished, never the whole set.
///
/// ```
/// use weft::task::JoinSet;
///
/// weft::run(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap(); // Err if the task panicked or was aborted
///     }
///     assert_eq!(sum, 285);
///
///     // Like a TaskGroup: wait for all, re-raising a task's panic.
///     let mut set: JoinSet<&str> = ["a", "b"].into_iter().map(|s| async move { s }).collect();
///     set.spawn_blocking(|| "c");
///     let mut outs = set.join_all().await;
///     outs.sort();
///     assert_eq!(outs, ["a", "b", "c"]);
/// });
/// ```
pub struct JoinSet<T> {
    /// The tasks; `None` marks a free slot (listed in `free`).
    slots: Vec<Option<JoinHandle<T>>>,
    free: Vec<usize>,
    len: usize,
    /// Slot `i` is child `i` of the ready set.
    ready: ReadySet,
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: ReadySet::new(),
        }
    }

    /// The number of tasks in the set (spawned and not yet joined, finished or not).
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Spawns `future` on the current runtime (see [`spawn`](crate::spawn)) and adds it to
    /// the set. The returned [`AbortHandle`] cancels that one task.
    ///
    /// # Panics
    ///
    /// Outside a runtime; use [`spawn_on`](JoinSet::spawn_on) there.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Spawns `future` on the runtime of `handle` and adds it to the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs `f` on the current runtime's blocking pool (see
    /// [`spawn_blocking`](crate::spawn_blocking)) and adds it to the set. Aborting cancels it
    /// only if it has not started.
    ///
    /// # Panics
    ///
    /// Outside a runtime; use [`spawn_blocking_on`](JoinSet::spawn_blocking_on) there.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of the runtime of `handle` and adds it to the set.
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }

    /// Adds a task spawned elsewhere (the task group's named children).
    pub(crate) fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        match self.free.pop() {
            Some(index) => {
                debug_assert!(self.slots[index].is_none());
                self.slots[index] = Some(handle);
                self.ready.mark_ready(index);
            }
            None => {
                let index = self.ready.push();
                debug_assert_eq!(index, self.slots.len());
                self.slots.push(Some(handle));
            }
        }
        self.len += 1;
        abort
    }

    /// Waits for the next task to finish and returns its output: `Ok(value)`, or a
    /// [`JoinError`] if it panicked or was aborted. `None` when the set is empty.
    ///
    /// Tasks come out in the order they finish. Cancel safe: if the returned future is
    /// dropped before it completes, no task output is lost.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Like [`join_next`](JoinSet::join_next), also giving the finished task's [`Id`]
    /// (a [`JoinError`] carries it in [`JoinError::id`]).
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Returns the output of a task that has already finished, if any, without waiting.
    /// `None` if no task in the set has finished (or the set is empty).
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|res| res.map(|(_, value)| value))
    }

    /// Like [`try_join_next`](JoinSet::try_join_next), also giving the task's [`Id`].
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        if self.len == 0 {
            return None;
        }
        // Unconstrained: a finished task must be reported even when the caller's budget is
        // spent, and the work is bounded by one pass over the tasks that woke.
        match coop::unconstrained(|| self.poll_ready(None)) {
            Poll::Ready(res) => Some(res),
            Poll::Pending => None,
        }
    }

    /// Polls for the next finished task: the poll form of [`join_next`](JoinSet::join_next)
    /// for hand-written futures. `Ready(None)` when the set is empty; `Pending` registers
    /// `cx`'s waker to be woken when a task finishes.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|res| res.map(|res| res.map(|(_, value)| value)))
    }

    /// Like [`poll_join_next`](JoinSet::poll_join_next), also giving the task's [`Id`].
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        // With the budget spent, every handle would answer `Pending` (and wake itself): come
        // back with a fresh budget instead of polling them. The unit is only checked here;
        // each handle that completes spends its own.
        drop(ready!(coop::poll_proceed(cx)));
        self.poll_ready(Some(cx)).map(Some)
    }

    /// Polls the handles of the tasks that woke until one is finished.
    fn poll_ready(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Result<(Id, T), JoinError>> {
        let JoinSet {
            slots,
            free,
            len,
            ready,
        } = self;
        ready.poll_next(cx.map(|cx| cx.waker()), |index, cx| {
            let Some(handle) = slots[index].as_mut() else {
                return Poll::Pending; // a stale wake of a joined task
            };
            let res = ready!(Pin::new(handle).poll(cx));
            let handle = slots[index].take().expect("checked just above");
            free.push(index);
            *len -= 1;
            Poll::Ready(res.map(|value| (handle.id(), value)))
        })
    }

    /// Waits for every task and returns their outputs, in the order they finished.
    ///
    /// # Panics
    ///
    /// If a task panicked, its panic is resumed here (with
    /// [`std::panic::resume_unwind`]); if a task was aborted, this panics saying so. The
    /// tasks still in the set are then aborted (the set is dropped). To handle failures
    /// yourself, loop over [`join_next`](JoinSet::join_next) instead.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len);
        while let Some(res) = self.join_next().await {
            match res {
                Ok(value) => outputs.push(value),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("JoinSet::join_all: {err} (aborted before it finished)"),
            }
        }
        outputs
    }

    /// Aborts every task in the set. They stay in the set: [`join_next`](JoinSet::join_next)
    /// then gives their outcome (a cancelled [`JoinError`], or the output of those that
    /// finished first).
    pub fn abort_all(&mut self) {
        for handle in self.slots.iter().flatten() {
            handle.abort();
        }
    }

    /// Removes every task from the set without aborting them: they run on, detached, and
    /// their outputs are dropped.
    pub fn detach_all(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.len = 0;
        // Wakers of the old handles may still fire; they go to the old set's queue.
        self.ready = ReadySet::new();
    }

    /// Aborts every task and waits until they have all stopped; the set is then empty.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}

/// Spawns every future on the current runtime into a new set.
///
/// # Panics
///
/// Outside a runtime.
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns every future on the current runtime into the set.
///
/// # Panics
///
/// Outside a runtime.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            self.spawn(future);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::{pending, Future};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::JoinSet;
    use crate::runtime::Builder;
    use crate::task::yield_now;

    fn current_thread<F: Future>(f: F) -> F::Output {
        Builder::new_current_thread().build().unwrap().block_on(f)
    }

    fn multi_thread<F: Future>(f: F) -> F::Output {
        Builder::new_multi_thread()
            .worker_threads(4)
            .build()
            .unwrap()
            .block_on(f)
    }

    async fn after_yields<T>(yields: usize, value: T) -> T {
        for _ in 0..yields {
            yield_now().await;
        }
        value
    }

    struct DropCount(Arc<AtomicUsize>);

    impl Drop for DropCount {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn pending_with_drop(drops: &Arc<AtomicUsize>) -> impl Future<Output = u32> + Send + 'static {
        let guard = DropCount(drops.clone());
        async move {
            let _guard = guard;
            pending().await
        }
    }

    /// Yields until `cond` holds (at most a generous number of times).
    async fn wait_until(mut cond: impl FnMut() -> bool) {
        for _ in 0..100_000 {
            if cond() {
                return;
            }
            yield_now().await;
        }
        panic!("condition never became true");
    }

    #[test]
    fn join_next_gives_outputs_in_completion_order() {
        current_thread(async {
            let mut set = JoinSet::new();
            set.spawn(after_yields(100, "slow"));
            set.spawn(after_yields(1, "fast"));
            set.spawn(after_yields(50, "middle"));
            let mut order = Vec::new();
            while let Some(res) = set.join_next().await {
                order.push(res.unwrap());
            }
            assert_eq!(order, ["fast", "middle", "slow"]);
            assert!(set.join_next().await.is_none());
        });
    }

    #[test]
    fn len_counts_tasks_until_they_are_joined() {
        current_thread(async {
            let mut set = JoinSet::new();
            assert!(set.is_empty());
            for i in 0..5 {
                set.spawn(after_yields(i, i));
            }
            assert_eq!(set.len(), 5);
            assert_eq!(format!("{set:?}"), "JoinSet { len: 5 }");
            set.join_next().await.unwrap().unwrap();
            assert_eq!(set.len(), 4);
            while set.join_next().await.is_some() {}
            assert_eq!(set.len(), 0);
            assert!(set.is_empty());
        });
    }

    #[test]
    fn join_next_with_id_names_the_task() {
        current_thread(async {
            let mut set = JoinSet::new();
            let abort = set.spawn(async { 5 });
            let (id, value) = set.join_next_with_id().await.unwrap().unwrap();
            assert_eq!((id, value), (abort.id(), 5));
        });
    }

    #[test]
    fn abort_all_gives_cancelled_errors() {
        multi_thread(async {
            let drops = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for _ in 0..10 {
                set.spawn(pending_with_drop(&drops));
            }
            set.abort_all();
            assert_eq!(set.len(), 10, "aborted tasks stay until joined");
            let mut cancelled = 0;
            while let Some(res) = set.join_next().await {
                assert!(res.unwrap_err().is_cancelled());
                cancelled += 1;
            }
            assert_eq!(cancelled, 10);
            assert_eq!(drops.load(Ordering::SeqCst), 10);
        });
    }

    #[test]
    fn an_abort_handle_cancels_one_task() {
        current_thread(async {
            let mut set = JoinSet::new();
            let doomed = set.spawn(pending::<u32>());
            set.spawn(async { 1 });
            doomed.abort();
            let mut outcomes = Vec::new();
            while let Some(res) = set.join_next().await {
                outcomes.push(res.map_err(|e| (e.is_cancelled(), e.id())));
            }
            outcomes.sort_by_key(|o| o.is_err());
            assert_eq!(outcomes, [Ok(1), Err((true, doomed.id()))]);
        });
    }

    #[test]
    fn dropping_the_set_aborts_its_tasks() {
        for run in [
            current_thread::<std::pin::Pin<Box<dyn Future<Output = ()>>>>,
            multi_thread,
        ] {
            let drops = Arc::new(AtomicUsize::new(0));
            let d = drops.clone();
            run(Box::pin(async move {
                let mut set = JoinSet::new();
                for _ in 0..20 {
                    set.spawn(pending_with_drop(&d));
                }
                yield_now().await; // let them start
                drop(set);
                wait_until(|| d.load(Ordering::SeqCst) == 20).await;
            }));
            assert_eq!(drops.load(Ordering::SeqCst), 20);
        }
    }

    #[test]
    fn a_panicking_task_is_a_panic_error_and_the_others_go_on() {
        multi_thread(async {
            let mut set = JoinSet::new();
            set.spawn(async { panic!("task blew up") });
            for i in 0..10 {
                set.spawn(after_yields(i, i));
            }
            let (mut panics, mut oks) = (0, 0);
            while let Some(res) = set.join_next().await {
                match res {
                    Ok(_) => oks += 1,
                    Err(e) => {
                        assert!(e.is_panic());
                        assert!(e.to_string().contains("task blew up"), "{e}");
                        panics += 1;
                    }
                }
            }
            assert_eq!((panics, oks), (1, 10));
        });
    }

    #[test]
    fn join_all_collects_every_output() {
        let mut outputs = multi_thread(async {
            let mut set = JoinSet::new();
            for i in 0..1000u32 {
                set.spawn(after_yields((i % 7) as usize, i));
            }
            set.join_all().await
        });
        outputs.sort_unstable();
        assert_eq!(outputs, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    #[should_panic(expected = "task blew up")]
    fn join_all_resumes_a_task_panic() {
        current_thread(async {
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            set.spawn(async { panic!("task blew up") });
            set.join_all().await
        });
    }

    #[test]
    #[should_panic(expected = "JoinSet::join_all: task")]
    fn join_all_panics_on_a_cancelled_task() {
        current_thread(async {
            let mut set = JoinSet::new();
            set.spawn(pending::<()>()).abort();
            set.join_all().await
        });
    }

    #[test]
    fn try_join_next_does_not_wait() {
        current_thread(async {
            let mut set = JoinSet::new();
            assert!(set.try_join_next().is_none());
            set.spawn(after_yields(3, 7));
            assert!(set.try_join_next().is_none(), "not finished yet");
            let mut got = None;
            wait_until(|| {
                got = set.try_join_next();
                got.is_some()
            })
            .await;
            assert_eq!(got.unwrap().unwrap(), 7);
            assert!(set.is_empty());
        });
    }

    #[test]
    fn shutdown_aborts_and_waits_for_every_task() {
        multi_thread(async {
            let drops = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for _ in 0..50 {
                set.spawn(pending_with_drop(&drops));
            }
            set.spawn_blocking(|| 1);
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(drops.load(Ordering::SeqCst), 50);
        });
    }

    #[test]
    fn detach_all_lets_the_tasks_run_on() {
        current_thread(async {
            let done = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for _ in 0..5 {
                let done = done.clone();
                set.spawn(async move {
                    after_yields(3, ()).await;
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
            set.detach_all();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            drop(set);
            wait_until(|| done.load(Ordering::SeqCst) == 5).await;
            // The set is usable again after detaching.
            let mut set = JoinSet::new();
            set.spawn(async { 1 });
            set.detach_all();
            set.spawn(async { 2 });
            assert_eq!(set.join_next().await.unwrap().unwrap(), 2);
        });
    }

    #[test]
    fn slots_are_reused_across_many_rounds() {
        multi_thread(async {
            let mut set = JoinSet::new();
            let mut total = 0u64;
            for round in 0..200u64 {
                for i in 0..8 {
                    set.spawn(after_yields((i % 3) as usize, round * 8 + i));
                }
                // Join half, leave half for the next round.
                for _ in 0..4 {
                    total += set.join_next().await.unwrap().unwrap();
                }
            }
            assert_eq!(set.len(), 800);
            while let Some(res) = set.join_next().await {
                total += res.unwrap();
            }
            assert_eq!(total, (0..1600).sum::<u64>());
        });
    }

    #[test]
    fn a_large_set_completes() {
        let n = 50_000u64;
        let sum = multi_thread(async move {
            let mut set: JoinSet<u64> = (0..n).map(|i| after_yields((i % 3) as usize, i)).collect();
            assert_eq!(set.len(), n as usize);
            let mut sum = 0;
            while let Some(res) = set.join_next().await {
                sum += res.unwrap();
            }
            sum
        });
        assert_eq!(sum, n * (n - 1) / 2);
    }

    #[test]
    fn spawn_on_spawn_blocking_and_extend() {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        // From outside the runtime, with a handle.
        let mut set = JoinSet::new();
        set.spawn_on(async { 1 }, &handle);
        set.spawn_blocking_on(|| 2, &handle);
        let mut outs = rt.block_on(async move {
            set.spawn_blocking(|| 3);
            set.extend((4..=5).map(|i| async move { i }));
            set.join_all().await
        });
        outs.sort_unstable();
        assert_eq!(outs, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn join_next_is_cancel_safe() {
        current_thread(async {
            let mut set = JoinSet::new();
            for i in 0..20 {
                set.spawn(after_yields(i * 2, i));
            }
            let mut got = Vec::new();
            while !set.is_empty() {
                // The timeout branch often wins and drops the join_next future.
                crate::select! {
                    biased;
                    _ = yield_now() => {}
                    Some(res) = set.join_next() => got.push(res.unwrap()),
                }
            }
            got.sort_unstable();
            assert_eq!(got, (0..20).collect::<Vec<_>>());
        });
    }
}

//! Coordinating tasks: locks, events, semaphores, channels and asyncio's queues.
//!
//! This is the `weft-sync` crate, re-exported whole. It is runtime-agnostic (its types work
//! on any executor, and on threads through the `blocking_*` methods), every waiting future is
//! cancellation-safe (dropped at any point, it loses no permit, message or wake-up), and its
//! protocols are model-checked with loom; your own code that uses them can be too, see
//! `docs/loom-your-code.md`.
//!
//! | asyncio | weft |
//! |---|---|
//! | `asyncio.Queue()`, `Queue(maxsize=n)` | [`Queue::unbounded()`](Queue::unbounded), [`Queue::bounded(n)`](Queue::bounded) |
//! | `await q.put(x)`, `await q.get()`, `q.put_nowait`, `q.get_nowait` | [`q.put(x).await`](Queue::put), [`q.get().await`](Queue::get), [`try_put`](Queue::try_put), [`try_get`](Queue::try_get) |
//! | `q.task_done()`, `await q.join()` | [`q.task_done()`](Queue::task_done), [`q.join().await`](Queue::join) |
//! | `LifoQueue`, `PriorityQueue` | [`LifoQueue`], [`PriorityQueue`] (lowest first, as `heapq`) |
//! | `async with lock:` | [`let guard = mutex.lock().await;`](Mutex::lock) (the lock holds the data; dropping the guard unlocks) |
//! | `async with sem:` | [`let _permit = sem.acquire().await?;`](Semaphore::acquire) |
//! | `event.set()`, `await event.wait()` | [`Event::set`], [`Event::wait`] |
//! | `async with cond: await cond.wait()`, `cond.notify(n)` | [`Condition::wait`] on a [`MutexGuard`], [`Condition::notify`] |
//! | `await barrier.wait()` | [`Barrier::wait`] |
//! | `fut = loop.create_future()`; `fut.set_result(x)`; `await fut` (several awaiters) | [`OnceCell`]: [`set`](OnceCell::set), [`wait().await`](OnceCell::wait); one awaiter: [`oneshot`] |
//! | (no asyncio twin) | [`mpsc`], [`broadcast`], [`watch`], [`Notify`], [`RwLock`] |
//!
//! ```
//! use std::sync::Arc;
//! use weft::sync::{Mutex, Queue, Semaphore};
//!
//! weft::run(async {
//!     // Producer/consumer with task_done/join, as asyncio's Queue.
//!     let queue = Queue::bounded(8);
//!     let total = Arc::new(Mutex::new(0u64));
//!     for _ in 0..3 {
//!         let (queue, total) = (queue.clone(), total.clone());
//!         weft::spawn(async move {
//!             while let Ok(n) = queue.get().await {
//!                 *total.lock().await += n;
//!                 queue.task_done();
//!             }
//!         });
//!     }
//!     for n in 1..=100u64 {
//!         queue.put(n).await.unwrap();
//!     }
//!     queue.join().await; // every item taken and marked done
//!     assert_eq!(*total.lock().await, 5050);
//!
//!     // At most two at a time, as `async with asyncio.Semaphore(2)`.
//!     let sem = Arc::new(Semaphore::new(2));
//!     let permit = sem.clone().acquire_owned().await.unwrap();
//!     assert_eq!(sem.available_permits(), 1);
//!     drop(permit);
//! });
//! ```

pub use weft_sync::*;

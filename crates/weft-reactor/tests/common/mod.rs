//! A tiny single-threaded test executor over a [`Reactor`], and async I/O helpers.
//!
//! [`Executor::new`] parks in the reactor itself when no task is ready;
//! [`Executor::with_reactor_thread`] instead runs the reactor on a second thread (parking
//! in a loop) while tasks are polled on the first, which sleeps on `thread::park`: every
//! wake-up then crosses threads.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread, ThreadId};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use weft_reactor::{context, Reactor, ReactorHandle};

type Task = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    static SPAWNED: RefCell<Option<Rc<RefCell<Vec<Task>>>>> = const { RefCell::new(None) };
}

enum Mode {
    /// The executor parks in its own reactor.
    Inline(Reactor),
    /// A second thread parks in the reactor; the executor sleeps on `thread::park`.
    Threaded {
        stop: Arc<AtomicBool>,
        thread: Option<thread::JoinHandle<()>>,
    },
}

struct Queue {
    ready: Mutex<VecDeque<usize>>,
    handle: ReactorHandle,
    owner: ThreadId,
    owner_thread: Thread,
    threaded: bool,
}

struct TaskWaker {
    id: usize,
    queued: AtomicBool,
    queue: Arc<Queue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        self.queue.ready.lock().unwrap().push_back(self.id);
        if self.queue.threaded {
            self.queue.owner_thread.unpark();
        } else if thread::current().id() != self.queue.owner {
            self.queue.handle.unpark();
        }
    }
}

/// The executor. Tasks are `!Send` futures; `spawn` works from inside tasks too.
pub struct Executor {
    mode: Mode,
    handle: ReactorHandle,
    queue: Arc<Queue>,
    tasks: Vec<Option<(Task, Arc<TaskWaker>)>>,
    spawned: Rc<RefCell<Vec<Task>>>,
    timeout: Duration,
    _ctx: context::CurrentGuard,
}

impl Executor {
    /// An executor parking in its own reactor.
    pub fn new() -> Executor {
        let reactor = Reactor::new().expect("reactor");
        let handle = reactor.handle();
        Executor::build(Mode::Inline(reactor), handle, false)
    }

    /// An executor whose reactor parks on a second thread.
    pub fn with_reactor_thread() -> Executor {
        let mut reactor = Reactor::new().expect("reactor");
        let handle = reactor.handle();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = thread::spawn(move || {
            while !stop2.load(Ordering::Acquire) {
                reactor.park(None);
            }
        });
        Executor::build(
            Mode::Threaded {
                stop,
                thread: Some(thread),
            },
            handle,
            true,
        )
    }

    fn build(mode: Mode, handle: ReactorHandle, threaded: bool) -> Executor {
        let spawned = Rc::new(RefCell::new(Vec::new()));
        SPAWNED.with(|s| *s.borrow_mut() = Some(spawned.clone()));
        Executor {
            _ctx: context::set_current(Some(handle.clone())),
            queue: Arc::new(Queue {
                ready: Mutex::new(VecDeque::new()),
                handle: handle.clone(),
                owner: thread::current().id(),
                owner_thread: thread::current(),
                threaded,
            }),
            handle,
            mode,
            tasks: Vec::new(),
            spawned,
            timeout: Duration::from_secs(120),
        }
    }

    /// Panics if `block_on` runs longer than this (default 120 s).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub fn handle(&self) -> ReactorHandle {
        self.handle.clone()
    }

    /// The reactor (inline mode only).
    pub fn reactor(&self) -> &Reactor {
        match &self.mode {
            Mode::Inline(r) => r,
            Mode::Threaded { .. } => panic!("the reactor runs on another thread"),
        }
    }

    /// Number of tasks not finished yet.
    pub fn live_tasks(&self) -> usize {
        self.tasks.iter().filter(|t| t.is_some()).count() + self.spawned.borrow().len()
    }

    fn adopt_spawned(&mut self) {
        let new: Vec<Task> = std::mem::take(&mut *self.spawned.borrow_mut());
        for task in new {
            let id = self.tasks.len();
            let waker = Arc::new(TaskWaker {
                id,
                queued: AtomicBool::new(true),
                queue: self.queue.clone(),
            });
            self.tasks.push(Some((task, waker)));
            self.queue.ready.lock().unwrap().push_back(id);
        }
    }

    /// Runs every task until `fut` completes; returns its output.
    pub fn block_on<T: 'static>(&mut self, fut: impl Future<Output = T> + 'static) -> T {
        let out = spawn(fut);
        let deadline = Instant::now() + self.timeout;
        let mut out = pin!(out);
        let main_waker = Waker::from(Arc::new(Flag));
        loop {
            self.adopt_spawned();
            if let Poll::Ready(v) = out.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                return v;
            }
            let next = self.queue.ready.lock().unwrap().pop_front();
            match next {
                Some(id) => self.poll_task(id),
                None => {
                    if !self.spawned.borrow().is_empty() {
                        continue;
                    }
                    let now = Instant::now();
                    assert!(now < deadline, "test executor: block_on timed out");
                    let wait = (deadline - now).min(Duration::from_millis(500));
                    match &mut self.mode {
                        Mode::Inline(reactor) => {
                            reactor.park(Some(wait));
                        }
                        Mode::Threaded { .. } => thread::park_timeout(wait),
                    }
                }
            }
        }
    }

    fn poll_task(&mut self, id: usize) {
        let Some(Some((task, waker))) = self.tasks.get_mut(id) else {
            return;
        };
        waker.queued.store(false, Ordering::Release);
        let w = Waker::from(waker.clone());
        if task.as_mut().poll(&mut Context::from_waker(&w)).is_ready() {
            self.tasks[id] = None;
        }
    }
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Drop the tasks (and their sockets) while the reactor is still current.
        self.tasks.clear();
        self.spawned.borrow_mut().clear();
        if let Mode::Threaded { stop, thread } = &mut self.mode {
            stop.store(true, Ordering::Release);
            self.handle.unpark();
            if let Some(t) = thread.take() {
                t.join().unwrap();
            }
        }
        SPAWNED.with(|s| *s.borrow_mut() = None);
    }
}

#[derive(Default)]
struct Flag;
impl Wake for Flag {
    fn wake(self: Arc<Self>) {}
}

/// The output of a spawned task.
pub struct JoinHandle<T> {
    slot: Rc<RefCell<(Option<T>, Option<Waker>)>>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.slot.borrow_mut();
        match slot.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Spawns `fut` on the thread's executor.
pub fn spawn<T: 'static>(fut: impl Future<Output = T> + 'static) -> JoinHandle<T> {
    let slot = Rc::new(RefCell::new((None, None::<Waker>)));
    let slot2 = slot.clone();
    let task: Task = Box::pin(async move {
        let v = fut.await;
        let waker = {
            let mut s = slot2.borrow_mut();
            s.0 = Some(v);
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    });
    SPAWNED.with(|s| {
        s.borrow()
            .as_ref()
            .expect("spawn outside the test executor")
            .borrow_mut()
            .push(task)
    });
    JoinHandle { slot }
}

/// Yields once to the executor.
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Sleeps `d` (a helper thread wakes the task: this crate has no timer).
pub async fn sleep(d: Duration) {
    let done = Arc::new(AtomicBool::new(false));
    let mut started = false;
    poll_fn(|cx| {
        if done.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if !started {
            started = true;
            let (done, waker) = (done.clone(), cx.waker().clone());
            thread::spawn(move || {
                thread::sleep(d);
                done.store(true, Ordering::Release);
                waker.wake();
            });
        }
        Poll::Pending
    })
    .await
}

pub async fn read<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, buf)).await
}

pub async fn read_exact<R: AsyncRead + Unpin>(r: &mut R, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = read(r, buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
    }
    Ok(())
}

pub async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = read(r, &mut buf).await?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

pub async fn write<W: AsyncWrite + Unpin>(w: &mut W, buf: &[u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf)).await
}

pub async fn write_all<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = write(w, buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

pub async fn close<W: AsyncWrite + Unpin>(w: &mut W) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *w).poll_close(cx)).await
}

/// Copies everything from `r` to `w` until end-of-file; returns the byte count.
pub async fn echo<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    r: &mut R,
    w: &mut W,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = read(r, &mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        write_all(w, &buf[..n]).await?;
        total += n as u64;
    }
}

/// `len` bytes of a pattern that depends on `seed`, so misplaced bytes are caught.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Polls `fut` once with a no-op waker.
pub fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(Flag));
    Pin::new(fut).poll(&mut Context::from_waker(&waker))
}

/// Sets the soft `RLIMIT_NOFILE` (returns the previous (soft, hard)).
#[allow(clippy::unnecessary_cast)] // `rlim_t` is not `u64` everywhere
pub fn set_nofile(soft: u64) -> io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a live rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let prev = (lim.rlim_cur as u64, lim.rlim_max as u64);
    let new = libc::rlimit {
        rlim_cur: soft.min(lim.rlim_max as u64) as libc::rlim_t,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: `new` is a live rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(prev)
}

/// Runs two futures concurrently.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(MaybeDone::Pending(a));
    let mut b = pin!(MaybeDone::Pending(b));
    poll_fn(|cx| {
        let ra = a.as_mut().poll_step(cx);
        let rb = b.as_mut().poll_step(cx);
        if ra && rb {
            Poll::Ready((a.as_mut().take(), b.as_mut().take()))
        } else {
            Poll::Pending
        }
    })
    .await
}

enum MaybeDone<F: Future> {
    Pending(F),
    Done(F::Output),
    Taken,
}

impl<F: Future> MaybeDone<F> {
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        // SAFETY: (test code) the future is never moved out while pinned; only the output is.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            MaybeDone::Pending(f) => {
                // SAFETY: `f` lives inside the pinned `self` and is not moved.
                match unsafe { Pin::new_unchecked(f) }.poll(cx) {
                    Poll::Ready(v) => {
                        *this = MaybeDone::Done(v);
                        true
                    }
                    Poll::Pending => false,
                }
            }
            _ => true,
        }
    }

    fn take(self: Pin<&mut Self>) -> F::Output {
        // SAFETY: only called when `Done`, which holds no pinned future.
        let this = unsafe { self.get_unchecked_mut() };
        match std::mem::replace(this, MaybeDone::Taken) {
            MaybeDone::Done(v) => v,
            _ => panic!("join: taken twice"),
        }
    }
}

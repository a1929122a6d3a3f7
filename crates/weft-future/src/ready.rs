//! [`ReadySet`]: which of many child futures woke since they were last polled.
//!
//! `join_all` over 100,000 futures and a `JoinSet` of 100,000 tasks must not poll every
//! child each time one of them wakes (that is quadratic). Instead each child gets its own
//! waker, an [`Entry`] that knows the child's index. Waking it pushes the entry onto a
//! lock-free stack shared with the owner and, when the stack was empty, wakes the owner's
//! (the parent task's) waker. The owner polls only the children it pops.
//!
//! # Protocol
//!
//! - `queued` dedupes: an entry is pushed only by the wake that flips it from `false` to
//!   `true`, so it is in the stack (or in the owner's snapshot) at most once. The owner
//!   flips it back to `false` just before polling the child, so that a wake during or after
//!   that poll queues it again.
//! - The stack is a Treiber stack that is only ever pushed by wakers and emptied as a whole
//!   (one `swap(null)`) by the owner, so ABA cannot happen: a push links to whatever the head
//!   currently is. The owner reads `next` of each popped node before clearing any `queued`
//!   flag, so no pusher can rewrite `next` while the owner walks the list.
//! - The waker of the parent is taken by the push that finds the stack empty. The owner
//!   registers its waker *before* it empties the stack, so a push after that finds the
//!   stack empty and sees (takes and wakes) that waker: no wake-up is lost. A poll that
//!   ends `Pending` has either emptied the stack after registering, or woken itself. That
//!   wake is deferred (`weft_core::context::defer_wakes`): the parent goes behind the
//!   work already queued, and collects what finished meanwhile in one poll.
//! - Entries live as long as the `ReadySet` (they are never removed, only reused), which
//!   is what keeps every node reachable from the stack alive while the owner walks it. A
//!   waker that outlives its `ReadySet` keeps its own entry (and the shared stack) alive and
//!   may still push to a stack nobody will read: harmless.
//! - Entries come [`CHUNK`] to an allocation (a [`Chunk`], reference-counted by the set and
//!   by every waker of one of its entries), not one each: `join_all` over 100,000 spawned
//!   tasks spent about a fifth of its instructions allocating and freeing per-child entries.
//! - Budget: one call of [`ReadySet::poll_next`] makes at most one pass over the snapshot it
//!   holds plus one refill, and stops early once the task's cooperative budget is spent
//!   (waking the parent): a child that returns `Pending` only because the budget is spent
//!   queues itself again, and polling on would spin.

use std::mem::{offset_of, ManuallyDrop};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use weft_core::coop;
// The protocol's atomics and lock come from the loom shim (`tests/loom_ready.rs` models
// it); the `Arc<Shared>` is std's, outside the protocol.
use weft_core::loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use weft_core::loom::sync::Mutex;

/// A set of children with per-child wakers and the queue of those that woke.
pub struct ReadySet {
    shared: Arc<Shared>,
    /// Entry `i` is `chunks[i / CHUNK].entries[i % CHUNK]`; the set holds one reference to
    /// each chunk.
    chunks: Vec<NonNull<Chunk>>,
    /// Entries in use.
    len: usize,
    /// The snapshot being worked through: indices from `pos` on are still to be polled.
    /// Their `queued` flag is still set.
    local: Vec<usize>,
    pos: usize,
}

/// Entries per allocation.
const CHUNK: usize = 64;

/// [`CHUNK`] entries in one allocation, freed when the set and every waker of its entries
/// are gone.
struct Chunk {
    /// One for the `ReadySet`, one per live `Waker` of one of the entries.
    refs: AtomicUsize,
    shared: Arc<Shared>,
    entries: [Entry; CHUNK],
}

struct Shared {
    /// Top of the stack of woken entries (null: empty).
    head: AtomicPtr<Entry>,
    /// The owner's waker; taken by the push that finds the stack empty.
    parent: Mutex<Option<Waker>>,
}

struct Entry {
    index: usize,
    /// `true` while the entry is in the stack or in the owner's unpolled snapshot.
    queued: AtomicBool,
    /// The node below this one in the stack; written only by the push that owns `queued`.
    next: AtomicPtr<Entry>,
}

/// The chunk that `entry` lives in.
///
/// # Safety
///
/// `entry` points to an entry of a live chunk and carries the provenance of the whole chunk
/// (it came from [`entry_ptr`], not from a `&Entry`).
unsafe fn chunk_of(entry: *const Entry) -> NonNull<Chunk> {
    // SAFETY: the entry is alive (see above).
    let slot = unsafe { (*entry).index } % CHUNK;
    let offset = offset_of!(Chunk, entries) + slot * std::mem::size_of::<Entry>();
    // Every `Entry` is element `index % CHUNK` of the `entries` array of a `Chunk` (entries
    // are only ever made in `Chunk::new` and never moved out).
    // SAFETY: so stepping back by its offset stays inside that allocation, on the chunk.
    unsafe { NonNull::new_unchecked(entry.cast::<u8>().sub(offset).cast::<Chunk>().cast_mut()) }
}

/// Entry `slot` of `chunk`, as a pointer that keeps the provenance of the whole chunk (so
/// that [`chunk_of`] may step back from it).
///
/// # Safety
///
/// `chunk` is live and `slot < CHUNK`.
unsafe fn entry_ptr(chunk: NonNull<Chunk>, slot: usize) -> *const Entry {
    // SAFETY: a place projection through the live chunk's pointer; no reference is made.
    unsafe { ptr::addr_of!((*chunk.as_ptr()).entries[slot]) }
}

/// Wakes `entry`: queues it for the owner unless it is queued already, and wakes the owner
/// if the stack was empty.
///
/// # Safety
///
/// As for [`chunk_of`].
unsafe fn wake_entry(entry: *const Entry) {
    // SAFETY: the entry is alive (the caller's waker holds a reference to its chunk).
    let this = unsafe { &*entry };
    if this.queued.swap(true, Ordering::AcqRel) {
        return; // already queued; the owner will poll it
    }
    // SAFETY: as the caller promised; the chunk is alive for the same reason.
    let shared = &unsafe { chunk_of(entry).as_ref() }.shared;
    let node = entry.cast_mut();
    let mut head = shared.head.load(Ordering::Relaxed);
    loop {
        this.next.store(head, Ordering::Relaxed);
        // Release: the owner's Acquire swap must see `next` (and whatever the child did
        // before waking).
        match shared
            .head
            .compare_exchange_weak(head, node, Ordering::Release, Ordering::Relaxed)
        {
            Ok(_) => break,
            Err(actual) => head = actual,
        }
    }
    if head.is_null() {
        let waker = shared.parent.lock().take();
        if let Some(waker) = waker {
            // Deferred: on a weft worker the parent is queued behind the work already
            // waiting instead of running next. Woken to collect, not handed anything
            // urgent, it then finds the children that finished meanwhile in one poll;
            // run next, it would poll once per child (`join_all` of 100,000 tasks on one
            // worker: a parent poll after every child).
            weft_core::context::defer_wakes(|| waker.wake());
        }
    }
}

impl Chunk {
    /// A chunk of entries `base..base + CHUNK`, none queued, with the caller's reference.
    fn new(shared: Arc<Shared>, base: usize) -> NonNull<Chunk> {
        let chunk = Box::new(Chunk {
            refs: AtomicUsize::new(1),
            shared,
            entries: std::array::from_fn(|slot| Entry {
                index: base + slot,
                queued: AtomicBool::new(false),
                next: AtomicPtr::new(ptr::null_mut()),
            }),
        });
        NonNull::from(Box::leak(chunk))
    }

    /// Drops one reference; the last frees the chunk.
    ///
    /// # Safety
    ///
    /// The caller owns a reference to the live chunk `this`, and gives it up.
    unsafe fn release(this: NonNull<Chunk>) {
        // SAFETY: the caller's reference keeps the chunk alive until this decrement.
        if unsafe { this.as_ref() }
            .refs
            .fetch_sub(1, Ordering::Release)
            != 1
        {
            return;
        }
        // Every other holder's uses happened before its decrement (Release); see them all.
        fence(Ordering::Acquire);
        // SAFETY: that was the last reference; the chunk came from `Box::leak` in `new`.
        drop(unsafe { Box::from_raw(this.as_ptr()) });
    }
}

/// The waker of an entry: its data is the entry's pointer (from [`entry_ptr`]), and it
/// holds one reference to the entry's chunk.
static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

// The four functions below are only called by `Waker` on a live waker of ours: `data` came
// from `entry_ptr` (through `ReadySet::borrowed_waker`, then clones), and the waker holds a
// reference to the entry's chunk, so the chunk is alive and `data` may step back to it.

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: see above.
    let chunk = unsafe { chunk_of(data.cast()) };
    // Relaxed, as for `Arc::clone`: the new reference is made from an existing one.
    // SAFETY: the chunk is alive (see above).
    unsafe { chunk.as_ref() }
        .refs
        .fetch_add(1, Ordering::Relaxed);
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: see above; this consumes the waker's reference.
    unsafe {
        waker_wake_by_ref(data);
        waker_drop(data);
    }
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: see above.
    unsafe { wake_entry(data.cast()) }
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: see above; this gives the waker's reference up.
    unsafe { Chunk::release(chunk_of(data.cast())) }
}

impl ReadySet {
    /// An empty set.
    pub fn new() -> ReadySet {
        ReadySet {
            shared: Arc::new(Shared {
                head: AtomicPtr::new(ptr::null_mut()),
                parent: Mutex::new(None),
            }),
            chunks: Vec::new(),
            len: 0,
            local: Vec::new(),
            pos: 0,
        }
    }

    /// A set of `n` children, all ready to be polled.
    pub fn with_ready(n: usize) -> ReadySet {
        let mut set = ReadySet::new();
        set.chunks.reserve_exact(n.div_ceil(CHUNK));
        set.local.reserve_exact(n);
        for _ in 0..n {
            set.push();
        }
        set
    }

    /// Adds a child, ready to be polled, and returns its index.
    pub fn push(&mut self) -> usize {
        let index = self.len;
        if index % CHUNK == 0 {
            self.chunks.push(Chunk::new(self.shared.clone(), index));
        }
        self.len += 1;
        // A new entry was never queued and has no waker yet: nobody else sees the flag.
        self.entry(index).queued.store(true, Ordering::Relaxed);
        self.local.push(index);
        index
    }

    /// Entry `index` (< `len`).
    fn entry(&self, index: usize) -> &Entry {
        // SAFETY: the set holds a reference to each of its chunks, so they are alive.
        let chunk = unsafe { self.chunks[index / CHUNK].as_ref() };
        &chunk.entries[index % CHUNK]
    }

    /// A waker of entry `index` borrowed from the set's own reference to its chunk (not to
    /// be dropped: `ManuallyDrop`); cloning it takes a reference of its own.
    fn borrowed_waker(&self, index: usize) -> ManuallyDrop<Waker> {
        // SAFETY: the set holds a reference to each of its chunks; `index < len`.
        let data = unsafe { entry_ptr(self.chunks[index / CHUNK], index % CHUNK) }.cast::<()>();
        // The vtable's functions treat `data` as an `Entry` of a live chunk, which it is for
        // as long as the set (which outlives the returned waker's every use in `poll_next`)
        // holds its reference; the `ManuallyDrop` never gives that reference up.
        // SAFETY: see above.
        ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &WAKER_VTABLE)) })
    }

    /// Marks child `index` ready to be polled (used when an index is reused for a new
    /// child).
    pub fn mark_ready(&mut self, index: usize) {
        if !self.entry(index).queued.swap(true, Ordering::AcqRel) {
            self.local.push(index);
        }
        // Otherwise it is queued already (by a stale wake) and will be polled.
    }

    /// Registers `waker` as the parent's waker (cloning it only if it changed).
    fn register(&self, waker: &Waker) {
        let old = {
            let mut parent = self.shared.parent.lock();
            if parent.as_ref().is_some_and(|w| w.will_wake(waker)) {
                return;
            }
            parent.replace(waker.clone())
        };
        // Outside the lock: dropping the old waker may run code that wakes a child of this
        // set, and that wake takes the same lock to wake the parent.
        drop(old);
    }

    /// Moves the whole stack of woken entries into `local` (oldest wake first).
    fn refill(&mut self) {
        self.local.clear();
        self.pos = 0;
        let mut node = self.shared.head.swap(ptr::null_mut(), Ordering::Acquire);
        while !node.is_null() {
            // SAFETY: only wakers of this set's entries push onto `self.shared`'s stack (a
            // chunk holds the `Arc<Shared>` it was made with), and `self.chunks` keeps every
            // entry alive as long as `self`. The Acquire swap synchronises with each
            // push's Release CAS (the pushes form one release sequence), so `next` and
            // `index` are visible; `next` cannot change under us because the entry's
            // `queued` flag stays set until this loop is over.
            let entry = unsafe { &*node };
            self.local.push(entry.index);
            node = entry.next.load(Ordering::Relaxed);
        }
        self.local.reverse();
    }

    /// Polls the children that woke, one at a time, through `poll_child(index, cx)` with
    /// each child's own waker in `cx`, until `poll_child` returns `Ready`.
    ///
    /// Returns `Pending` once the snapshot of woken children is worked through (at most one
    /// refill per call), or early when the cooperative budget is spent (after waking
    /// `parent`, since children are left). `parent` is registered to be woken when a child
    /// wakes; with `None` nothing is registered (for a one-off, non-blocking check).
    ///
    /// `poll_child` may be called with an index whose child is gone or finished (a stale
    /// wake); it should then return `Pending`.
    pub fn poll_next<R>(
        &mut self,
        parent: Option<&Waker>,
        mut poll_child: impl FnMut(usize, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        if let Some(waker) = parent {
            self.register(waker);
        }
        let mut refilled = false;
        loop {
            if self.pos == self.local.len() {
                if refilled {
                    return Poll::Pending;
                }
                self.refill();
                refilled = true;
                if self.local.is_empty() {
                    return Poll::Pending;
                }
            }
            let index = self.local[self.pos];
            self.pos += 1;
            // AcqRel: a wake that found the flag still set (and so did not push) happened
            // before this, and what the child did before that wake is visible to its poll.
            self.entry(index).queued.swap(false, Ordering::AcqRel);
            let waker = self.borrowed_waker(index);
            let mut cx = Context::from_waker(&waker);
            if let Poll::Ready(out) = poll_child(index, &mut cx) {
                return Poll::Ready(out);
            }
            if !coop::has_budget_remaining() {
                // The rest of the snapshot waits for the next poll; make sure there is one.
                if let Some(waker) = parent {
                    waker.wake_by_ref();
                }
                return Poll::Pending;
            }
        }
    }
}

impl Default for ReadySet {
    fn default() -> ReadySet {
        ReadySet::new()
    }
}

impl Drop for ReadySet {
    fn drop(&mut self) {
        for &chunk in &self.chunks {
            // SAFETY: the set's own reference to each of its chunks, given up once.
            unsafe { Chunk::release(chunk) };
        }
    }
}

// SAFETY: the set's chunk pointers are counted references, like `Arc<Chunk>`, and a
// `Chunk` is `Send + Sync` (atomics, plain integers and an `Arc<Shared>` of atomics and a
// mutex), so the set may move to and be shared with other threads as an `Arc` could.
unsafe impl Send for ReadySet {}
// SAFETY: as for `Send`: through `&ReadySet` only the chunks' atomics are read.
unsafe impl Sync for ReadySet {}

impl std::fmt::Debug for ReadySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadySet")
            .field("len", &self.len)
            .field("snapshot_left", &(self.local.len() - self.pos))
            .finish()
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct CountWake(AtomicUsize);
    impl Wake for CountWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn drain(set: &mut ReadySet, waker: &Waker) -> Vec<usize> {
        let mut seen = Vec::new();
        let _ = set.poll_next::<()>(Some(waker), |i, _| {
            seen.push(i);
            Poll::Pending
        });
        seen
    }

    #[test]
    fn initially_all_ready_then_only_woken_ones() {
        let count = Arc::new(CountWake(AtomicUsize::new(0)));
        let parent = Waker::from(count.clone());
        let mut set = ReadySet::with_ready(4);
        let mut wakers = Vec::new();
        let seen = {
            let mut seen = Vec::new();
            let _ = set.poll_next::<()>(Some(&parent), |i, cx| {
                seen.push(i);
                wakers.push(cx.waker().clone());
                Poll::Pending
            });
            seen
        };
        assert_eq!(seen, [0, 1, 2, 3]);
        assert!(drain(&mut set, &parent).is_empty());
        assert_eq!(count.0.load(Ordering::SeqCst), 0);

        wakers[2].wake_by_ref();
        wakers[2].wake_by_ref(); // deduped
        wakers[0].wake_by_ref();
        // Only the first push onto an empty stack wakes the parent.
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(drain(&mut set, &parent), [2, 0]);
        assert!(drain(&mut set, &parent).is_empty());
    }

    #[test]
    fn wake_from_other_threads_is_not_lost() {
        let count = Arc::new(CountWake(AtomicUsize::new(0)));
        let parent = Waker::from(count.clone());
        let n = 64;
        let mut set = ReadySet::with_ready(n);
        let mut wakers = Vec::new();
        let _ = set.poll_next::<()>(Some(&parent), |_, cx| {
            wakers.push(cx.waker().clone());
            Poll::Pending
        });
        let threads: Vec<_> = wakers
            .chunks(16)
            .map(|ws| {
                let ws = ws.to_vec();
                std::thread::spawn(move || ws.into_iter().for_each(Waker::wake))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let mut seen = drain(&mut set, &parent);
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        assert!(count.0.load(Ordering::SeqCst) >= 1);
    }

    #[test]
    fn entries_span_chunks_and_a_late_waker_keeps_only_its_chunk_alive() {
        let parent = Waker::from(Arc::new(CountWake(AtomicUsize::new(0))));
        let n = 2 * CHUNK + 5;
        let mut set = ReadySet::with_ready(n);
        let shared = set.shared.clone();
        // The set's `Arc`, one per chunk, and this test's.
        assert_eq!(Arc::strong_count(&shared), 1 + 3 + 1);
        let mut wakers = Vec::new();
        let _ = set.poll_next::<()>(Some(&parent), |_, cx| {
            wakers.push(cx.waker().clone());
            Poll::Pending
        });
        assert_eq!(wakers.len(), n);
        // Wake across the chunk boundaries, in a scrambled order.
        for i in [CHUNK * 2 + 4, 0, CHUNK, CHUNK - 1, CHUNK * 2] {
            wakers[i].wake_by_ref();
        }
        assert_eq!(
            drain(&mut set, &parent),
            [CHUNK * 2 + 4, 0, CHUNK, CHUNK - 1, CHUNK * 2]
        );

        // Keep one waker of the last chunk; drop the set and the others.
        let late = wakers.swap_remove(CHUNK * 2 + 1);
        drop(wakers);
        drop(set);
        assert_eq!(
            Arc::strong_count(&shared),
            1 + 1,
            "only the late waker's chunk is left"
        );
        late.wake_by_ref(); // onto a stack nobody reads: harmless
        let again = late.clone();
        drop(late);
        again.wake();
        assert_eq!(Arc::strong_count(&shared), 1, "every chunk was freed");
    }

    #[test]
    fn ready_stops_the_pass_and_keeps_the_rest() {
        let parent = Waker::from(Arc::new(CountWake(AtomicUsize::new(0))));
        let mut set = ReadySet::with_ready(5);
        let got = set.poll_next(Some(&parent), |i, _| {
            if i == 1 {
                Poll::Ready(i)
            } else {
                Poll::Pending
            }
        });
        assert_eq!(got, Poll::Ready(1));
        // 2, 3 and 4 were not polled yet: they are next.
        assert_eq!(drain(&mut set, &parent), [2, 3, 4]);
        let i = set.push();
        set.mark_ready(0);
        assert_eq!(drain(&mut set, &parent), [5, 0]);
        assert_eq!(i, 5);
    }
}

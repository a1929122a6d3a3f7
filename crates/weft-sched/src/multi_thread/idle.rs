//! Which workers are asleep, and how many are searching for work.
//!
//! The rules that make the idle protocol lose no wake-up (each is exercised by the loom
//! model `tests/loom_park.rs`):
//!
//! 1. A producer first makes its task visible (a local push or an inject push), then calls
//!    [`Idle::worker_to_notify`], which wakes a sleeper only if no worker is searching and
//!    some worker is asleep. Both sides use `SeqCst` on `state`, so either the producer sees
//!    the sleeper, or the sleeper's final check sees the task. (One exception, outside
//!    loom: a task a worker's own task woke into its short queue while another worker
//!    watches it with a timed park; see "Watching" in `mod.rs`.)
//! 2. While at least one worker is searching, producers wake nobody: the searchers will find
//!    the task. The last searcher to stop searching therefore either found work (and wakes
//!    one more worker to keep the search going: `transition_worker_from_searching`), or
//!    parks, and a parking last searcher re-checks every queue after it has been counted
//!    as parked (`transition_worker_to_parked` returns `true`).
//! 3. At most half of the workers search at once (no thundering herd of thieves).

use weft_core::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use weft_core::loom::sync::Mutex;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

pub(super) struct Idle {
    /// `num_unparked << 16 | num_searching`.
    state: AtomicUsize,
    num_workers: usize,
    /// Indices of parked workers.
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    pub(super) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    /// The worker to wake for new work, if one should be: it is removed from the sleepers and
    /// counted as unparked and searching.
    pub(super) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.notify_should_wakeup() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add(1 | (1 << UNPARK_SHIFT), SeqCst);
        Some(worker)
    }

    /// Counts `worker` as parked. Returns `true` if it was the last searching worker, which
    /// must then re-check every queue before sleeping.
    pub(super) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// Tries to become a searcher; refused while half the workers already search.
    pub(super) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * (state & SEARCH_MASK) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// Stops searching. Returns `true` if it was the last searcher.
    pub(super) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(prev & SEARCH_MASK > 0);
        prev & SEARCH_MASK == 1
    }

    /// Wakes `worker` for shutdown or because it has tasks of its own. Returns `false` if it
    /// was not asleep.
    pub(super) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
                true
            }
            None => false,
        }
    }

    /// `true` while `worker` is counted as asleep.
    pub(super) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }

    fn notify_should_wakeup(&self) -> bool {
        // A read-modify-write so that this load takes part in the SeqCst order with the
        // producer's preceding push.
        let state = self.state.fetch_add(0, SeqCst);
        state & SEARCH_MASK == 0 && (state >> UNPARK_SHIFT) < self.num_workers
    }
}

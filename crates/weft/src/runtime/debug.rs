//! Debug mode, asyncio's: the configuration (`Builder::slow_poll_threshold`, `debug`,
//! `on_debug_report`, the `WEFT_DEBUG` environment variable) and the watchdog, one thread
//! for the whole process that looks at every debug-mode runtime a few times per threshold
//! and reports a worker still stuck in one poll while other tasks wait. The slow polls
//! themselves are timed by the task runner (weft-task), which reads the thread's
//! `weft_core::introspect::PollSlot`.

use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use weft_core::introspect::{Monitor, Sink};
use weft_task::TaskState;

use super::handle::Shared;
use super::Handle;

/// The default slow-poll threshold (asyncio's is 100 ms too).
pub(crate) const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub(crate) struct DebugConfig {
    /// Set by the builder; `None`: the default (`WEFT_DEBUG`, else on in debug builds).
    pub(crate) enabled: Option<bool>,
    pub(crate) threshold: Duration,
    pub(crate) sink: Option<Sink>,
}

impl Default for DebugConfig {
    fn default() -> DebugConfig {
        DebugConfig {
            enabled: None,
            threshold: DEFAULT_THRESHOLD,
            sink: None,
        }
    }
}

impl DebugConfig {
    /// The monitor of a runtime built with this configuration, if debug mode is on.
    pub(crate) fn monitor(&self) -> Option<Arc<Monitor>> {
        let on = self
            .enabled
            .unwrap_or_else(|| default_from_env(std::env::var("WEFT_DEBUG").ok().as_deref()));
        on.then(|| Monitor::new(self.threshold, self.sink.clone()))
    }
}

/// `WEFT_DEBUG=1` / `0` (also `true`/`false`, `on`/`off`), else on in debug builds.
fn default_from_env(var: Option<&str>) -> bool {
    match var.map(str::trim) {
        Some("1" | "true" | "on" | "yes") => true,
        Some("0" | "false" | "off" | "no") => false,
        _ => cfg!(debug_assertions),
    }
}

struct Watched {
    monitor: Weak<Monitor>,
    runtime: Weak<Shared>,
}

/// The runtimes the watchdog looks at. `added` and the condvar cut its sleep short when one
/// is added: with nothing alive it idles for [`IDLE_PERIOD`], and a runtime built meanwhile
/// (the previous one just dropped) would otherwise go unwatched until that ended, longer
/// than a short stuck poll lasts.
struct Watchlist {
    state: Mutex<Watching>,
    added: Condvar,
}

struct Watching {
    runtimes: Vec<Watched>,
    /// A runtime was added since the watchdog last read `runtimes`.
    added: bool,
}

/// How long the watchdog sleeps between looks when no runtime asks for less (each asks for a
/// quarter of its threshold).
const IDLE_PERIOD: Duration = Duration::from_millis(250);

/// Puts a runtime under the process's watchdog (started on first use).
pub(crate) fn watch(monitor: &Arc<Monitor>, handle: &Handle) {
    static WATCHED: OnceLock<Watchlist> = OnceLock::new();
    let mut started = false;
    let list = WATCHED.get_or_init(|| {
        started = true;
        Watchlist {
            state: Mutex::new(Watching {
                runtimes: Vec::new(),
                added: false,
            }),
            added: Condvar::new(),
        }
    });
    {
        let mut state = list.state.lock().unwrap_or_else(|e| e.into_inner());
        state.runtimes.push(Watched {
            monitor: Arc::downgrade(monitor),
            runtime: Arc::downgrade(&handle.shared),
        });
        state.added = true;
    }
    list.added.notify_one();
    if started {
        let spawned = std::thread::Builder::new()
            .name("weft-watchdog".to_owned())
            .spawn(move || watchdog(list));
        if let Err(e) = spawned {
            eprintln!("weft: debug mode could not start its watchdog thread: {e}");
        }
    }
}

fn watchdog(list: &'static Watchlist) {
    loop {
        let mut period = IDLE_PERIOD;
        let live: Vec<(Arc<Monitor>, Arc<Shared>)> = {
            let mut state = list.state.lock().unwrap_or_else(|e| e.into_inner());
            state.added = false;
            state
                .runtimes
                .retain(|w| w.monitor.strong_count() > 0 && w.runtime.strong_count() > 0);
            state
                .runtimes
                .iter()
                .filter_map(|w| Some((w.monitor.upgrade()?, w.runtime.upgrade()?)))
                .collect()
        };
        for (monitor, shared) in live {
            period = period.min(monitor.threshold() / 4);
            let handle = Handle { shared };
            monitor.check_stuck(|| waiting_tasks(&handle));
        }
        // Sleep, unless a runtime was added since the list was read (then look at once).
        let state = list.state.lock().unwrap_or_else(|e| e.into_inner());
        let _ = list
            .added
            .wait_timeout_while(state, period.max(Duration::from_millis(5)), |s| !s.added);
    }
}

/// The tasks that would run if the stuck thread let them: those woken and queued, and the
/// idle ones whose timer is already due (a thread stuck in a poll does not fire timers, so
/// on a current-thread runtime they never get as far as the queue). Asked only once a thread
/// has been stuck past the threshold, so walking the task list is cheap enough.
fn waiting_tasks(handle: &Handle) -> usize {
    let now = handle
        .shared
        .driver
        .clock()
        .map_or_else(Instant::now, |c| c.now().into_std());
    handle
        .tasks()
        .iter()
        .filter(|t| match t.state {
            TaskState::Scheduled => true,
            TaskState::Idle => t
                .waiting_on
                .and_then(|w| w.deadline)
                .is_some_and(|d| d <= now),
            _ => false,
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::default_from_env;

    #[test]
    fn weft_debug_overrides_the_build_default() {
        assert!(default_from_env(Some("1")));
        assert!(default_from_env(Some(" true ")));
        assert!(!default_from_env(Some("0")));
        assert!(!default_from_env(Some("off")));
        assert_eq!(default_from_env(None), cfg!(debug_assertions));
        assert_eq!(default_from_env(Some("maybe")), cfg!(debug_assertions));
    }
}

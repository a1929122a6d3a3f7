//! What a task's header records about it, readable from any thread without a lock: where
//! it waits ([`WaitRecord`], written by leaf futures), where it was spawned
//! ([`LocationCode`]) and when ([`SpawnStamp`], on the [`coarse_now_ns`] clock). Plain data
//! with no tie to the thread's context; `introspect` re-exports it and writes the current
//! task's record through the context.

use std::fmt;
use std::num::NonZeroU32;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What kind of thing a task waits on. The names are what the dump prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum WaitKind {
    /// `time::sleep` / `sleep_until`.
    Sleep = 1,
    /// The deadline of `time::timeout` (the inner future records its own wait first).
    Timeout,
    /// The next tick of a `time::Interval`.
    Interval,
    /// A socket, pipe or other I/O source becoming readable.
    Readable,
    /// A socket, pipe or other I/O source becoming writable.
    Writable,
    /// A spawned task's `JoinHandle` (the argument is the task's id).
    Join,
    /// A `spawn_blocking` job's handle.
    Blocking,
    /// A signal.
    Signal,
    /// A child process to exit.
    Child,
    /// `Mutex::lock`.
    Mutex,
    /// `RwLock::read`.
    RwLockRead,
    /// `RwLock::write`.
    RwLockWrite,
    /// `Semaphore::acquire` (the argument is the number of permits asked for).
    Semaphore,
    /// `Notify::notified`.
    Notify,
    /// `Event::wait`.
    Event,
    /// `Condition::wait`.
    Condition,
    /// `Barrier::wait`.
    Barrier,
    /// `OnceCell::get_or_init` or `OnceCell::wait`.
    OnceCell,
    /// A `oneshot::Receiver`.
    Oneshot,
    /// Room in a bounded `mpsc` channel.
    MpscSend,
    /// A message on an `mpsc` channel.
    MpscRecv,
    /// A message on a `broadcast` channel.
    Broadcast,
    /// A change of a `watch` channel.
    Watch,
    /// Room in a `Queue`.
    QueuePut,
    /// An item in a `Queue`.
    QueueGet,
    /// `Queue::join`: every item marked done.
    QueueJoin,
    /// A set of futures or tasks (`JoinSet`, `join_all`, `as_completed`).
    Set,
    /// A sender waiting for its channel's receivers to go (`closed()` of `mpsc::Sender`,
    /// `mpsc::UnboundedSender`, `oneshot::Sender` and `watch::Sender`).
    Closed,
    /// Anything else.
    Other,
}

const KINDS: [WaitKind; 29] = [
    WaitKind::Sleep,
    WaitKind::Timeout,
    WaitKind::Interval,
    WaitKind::Readable,
    WaitKind::Writable,
    WaitKind::Join,
    WaitKind::Blocking,
    WaitKind::Signal,
    WaitKind::Child,
    WaitKind::Mutex,
    WaitKind::RwLockRead,
    WaitKind::RwLockWrite,
    WaitKind::Semaphore,
    WaitKind::Notify,
    WaitKind::Event,
    WaitKind::Condition,
    WaitKind::Barrier,
    WaitKind::OnceCell,
    WaitKind::Oneshot,
    WaitKind::MpscSend,
    WaitKind::MpscRecv,
    WaitKind::Broadcast,
    WaitKind::Watch,
    WaitKind::QueuePut,
    WaitKind::QueueGet,
    WaitKind::QueueJoin,
    WaitKind::Set,
    WaitKind::Closed,
    WaitKind::Other,
];

impl WaitKind {
    /// The name the dump prints, e.g. `"sleep"` or `"Mutex::lock"`.
    ///
    /// ```
    /// assert_eq!(weft_core::introspect::WaitKind::MpscRecv.name(), "mpsc::Receiver::recv");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            WaitKind::Sleep => "sleep",
            WaitKind::Timeout => "timeout",
            WaitKind::Interval => "interval tick",
            WaitKind::Readable => "readable",
            WaitKind::Writable => "writable",
            WaitKind::Join => "JoinHandle",
            WaitKind::Blocking => "spawn_blocking",
            WaitKind::Signal => "signal",
            WaitKind::Child => "child process",
            WaitKind::Mutex => "Mutex::lock",
            WaitKind::RwLockRead => "RwLock::read",
            WaitKind::RwLockWrite => "RwLock::write",
            WaitKind::Semaphore => "Semaphore::acquire",
            WaitKind::Notify => "Notify::notified",
            WaitKind::Event => "Event::wait",
            WaitKind::Condition => "Condition::wait",
            WaitKind::Barrier => "Barrier::wait",
            WaitKind::OnceCell => "OnceCell",
            WaitKind::Oneshot => "oneshot::Receiver",
            WaitKind::MpscSend => "mpsc::Sender::send",
            WaitKind::MpscRecv => "mpsc::Receiver::recv",
            WaitKind::Broadcast => "broadcast::Receiver::recv",
            WaitKind::Watch => "watch::Receiver::changed",
            WaitKind::QueuePut => "Queue::put",
            WaitKind::QueueGet => "Queue::get",
            WaitKind::QueueJoin => "Queue::join",
            WaitKind::Set => "a set of tasks",
            WaitKind::Closed => "Sender::closed",
            WaitKind::Other => "other",
        }
    }

    fn from_u8(v: u8) -> Option<WaitKind> {
        KINDS.get(usize::from(v).checked_sub(1)?).copied()
    }
}

/// One wait, as read back from a [`WaitRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// What is waited on.
    pub kind: WaitKind,
    /// The call that made the future that waits (`#[track_caller]`), if known.
    pub location: Option<&'static Location<'static>>,
    /// When the wait ends by itself (sleeps, time-outs, interval ticks).
    pub deadline: Option<Instant>,
    /// Kind-specific: the task id for `Join`, the file descriptor for readiness, the permits
    /// asked for from a semaphore, the sleep's length in milliseconds; 0 if unknown.
    pub arg: u64,
}

impl Wait {
    /// Describes the wait as seen at `now`, e.g. `sleep(5s) at src/main.rs:42, 3.2 s left`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use weft_core::introspect::{Wait, WaitKind};
    ///
    /// let now = Instant::now();
    /// let wait = Wait {
    ///     kind: WaitKind::Sleep,
    ///     location: None,
    ///     deadline: Some(now + Duration::from_millis(3200)),
    ///     arg: 5000,
    /// };
    /// assert_eq!(wait.describe(now).to_string(), "sleep(5s), 3.2 s left");
    /// ```
    pub fn describe(&self, now: Instant) -> impl fmt::Display + '_ {
        Describe { wait: self, now }
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(Instant::now()).fmt(f)
    }
}

struct Describe<'a> {
    wait: &'a Wait,
    now: Instant,
}

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.wait;
        f.write_str(w.kind.name())?;
        match w.kind {
            WaitKind::Sleep | WaitKind::Timeout | WaitKind::Interval if w.arg > 0 => {
                write!(f, "({:?})", Duration::from_millis(w.arg))?
            }
            WaitKind::Join if w.arg > 0 => write!(f, " of task {}", w.arg)?,
            WaitKind::Readable | WaitKind::Writable if w.arg > 0 => write!(f, " (fd {})", w.arg)?,
            WaitKind::Semaphore if w.arg > 1 => write!(f, "({} permits)", w.arg)?,
            _ => {}
        }
        if let Some(loc) = w.location {
            write!(f, " at {loc}")?;
        }
        if let Some(deadline) = w.deadline {
            match deadline.checked_duration_since(self.now) {
                Some(left) => write!(f, ", {:.1} s left", left.as_secs_f64())?,
                None => write!(f, ", due {:.1} s ago", (self.now - deadline).as_secs_f64())?,
            }
        }
        Ok(())
    }
}

/// The process's reference instant: deadlines are stored as nanoseconds after it.
pub(crate) fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Where one task waits, in one word (every byte of a task header counts): written by leaf
/// futures during the task's poll, read by the dump from any thread, with relaxed atomics
/// (one store, so a reader never sees two waits mixed).
///
/// The word holds the kind (low 7 bits), a flag saying whether the payload is a deadline
/// (bit 7), a 24-bit payload (bits 8-31) and the waiting call's location as a 32-bit offset
/// from a static of this crate (bits 32-63; 0: unknown). A deadline is kept in tenths of a
/// second, modulo 2^24 (19 days), and read back as the candidate nearest to now, so it is
/// exact to 0.1 s for deadlines within 9 days of the reading. Any other argument is kept if
/// it is below 2^24 (a task id above that reads as 0, unknown).
#[derive(Debug, Default)]
pub struct WaitRecord {
    word: AtomicU64,
}

const DEADLINE_FLAG: u64 = 0x80;
const PAYLOAD_BITS: u32 = 24;
const PAYLOAD_MASK: u64 = (1 << PAYLOAD_BITS) - 1;
const TICK: Duration = Duration::from_millis(100);

/// The reference the locations' offsets are taken from.
static ANCHOR: u8 = 0;

/// A `&'static Location` in 32 bits: its offset from a static of this crate (locations
/// live in the binary's read-only data, within 2 GiB of it). Only [`LocationCode::of`]
/// makes one, so every code decodes to the location it was made from.
///
/// ```
/// use std::panic::Location;
/// use weft_core::introspect::LocationCode;
///
/// let here = Location::caller();
/// let code = LocationCode::of(here).expect("within 2 GiB of weft-core's statics");
/// assert!(std::ptr::eq(code.location(), here));
/// // SAFETY: the bits come from `to_bits` of a code made in this process.
/// let again = unsafe { LocationCode::from_bits(code.to_bits()) };
/// assert!(std::ptr::eq(again.location(), here));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocationCode(NonZeroU32);

impl LocationCode {
    /// `location`'s code; `None` if it lies too far from this crate's statics (or on it).
    #[inline]
    pub fn of(location: &'static Location<'static>) -> Option<LocationCode> {
        let anchor = ptr::from_ref(&ANCHOR).addr() as i64;
        let at = ptr::from_ref(location).expose_provenance() as i64;
        let offset = i32::try_from(at - anchor).ok()?;
        NonZeroU32::new(offset as u32).map(LocationCode)
    }

    /// The location the code was made from.
    #[inline]
    pub fn location(self) -> &'static Location<'static> {
        let anchor = ptr::from_ref(&ANCHOR).addr() as i64;
        let at = (anchor + i64::from(self.0.get() as i32)) as usize;
        // SAFETY: the offset was taken in `of` from a `&'static Location` whose provenance
        // was exposed there (a code is made nowhere else, and `from_bits` takes only what
        // `to_bits` gave); the same address gives back the same location.
        unsafe { &*ptr::with_exposed_provenance::<Location<'static>>(at) }
    }

    /// The code as bits, to pack beside something else.
    #[inline]
    pub fn to_bits(self) -> NonZeroU32 {
        self.0
    }

    /// The code back from its bits.
    ///
    /// # Safety
    ///
    /// `bits` came from [`LocationCode::to_bits`] in this process.
    #[inline]
    pub unsafe fn from_bits(bits: NonZeroU32) -> LocationCode {
        LocationCode(bits)
    }
}

#[inline]
fn location_offset(location: &'static Location<'static>) -> u32 {
    LocationCode::of(location).map_or(0, |code| code.to_bits().get())
}

fn location_at(offset: u32) -> Option<&'static Location<'static>> {
    // SAFETY: the record's location bits are 0 or were written by `location_offset`, from
    // `to_bits`.
    NonZeroU32::new(offset).map(|bits| unsafe { LocationCode::from_bits(bits) }.location())
}

/// A deadline as the record keeps it: ticks since the epoch, modulo 2^24.
#[inline(never)]
fn deadline_payload(deadline: Instant) -> u64 {
    ticks_since_epoch(deadline) & PAYLOAD_MASK
}

fn ticks_since_epoch(at: Instant) -> u64 {
    let d = at.saturating_duration_since(epoch());
    (d.as_nanos().div_ceil(TICK.as_nanos())) as u64
}

impl WaitRecord {
    /// An empty record.
    pub const fn new() -> WaitRecord {
        WaitRecord {
            word: AtomicU64::new(0),
        }
    }

    /// Whether nothing is recorded (the kind byte is 0).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.word.load(Relaxed) as u8 == 0
    }

    /// Forgets the recorded wait (the runner calls it before each poll).
    #[inline]
    pub fn clear(&self) {
        self.word.store(0, Relaxed);
    }

    /// Records `wait` (a deadline takes the place of the argument).
    ///
    /// Inlined: every leaf future that returns `Pending` calls it, and a call kept out of
    /// line cost 4-5% of a one-worker oneshot ping-pong in its prologue alone; the deadline's
    /// arithmetic stays out of line (`deadline_payload`).
    #[inline]
    pub fn set(&self, wait: Wait) {
        let (flag, payload) = match wait.deadline {
            Some(deadline) => (DEADLINE_FLAG, deadline_payload(deadline)),
            // An argument too big for the payload is not kept at all (0: unknown).
            None => (0, if wait.arg > PAYLOAD_MASK { 0 } else { wait.arg }),
        };
        let location = wait.location.map_or(0, location_offset);
        let word = (u64::from(location) << 32) | (payload << 8) | flag | u64::from(wait.kind as u8);
        self.word.store(word, Relaxed);
    }

    /// The recorded wait, if any. A deadline comes back as `deadline` (with `arg` 0).
    pub fn get(&self) -> Option<Wait> {
        let word = self.word.load(Relaxed);
        let kind = WaitKind::from_u8((word & 0x7f) as u8)?;
        let payload = (word >> 8) & PAYLOAD_MASK;
        let (deadline, arg) = if word & DEADLINE_FLAG != 0 {
            // The candidate nearest to now among those equal to `payload` modulo 2^24.
            let now = ticks_since_epoch(Instant::now()) as i64;
            let delta = (payload as i64 - now).rem_euclid(1 << PAYLOAD_BITS);
            let delta = if delta >= 1 << (PAYLOAD_BITS - 1) {
                delta - (1 << PAYLOAD_BITS)
            } else {
                delta
            };
            let ticks = (now + delta).max(0) as u32;
            (Some(epoch() + TICK * ticks), 0)
        } else {
            (None, payload)
        };
        Some(Wait {
            kind,
            location: location_at((word >> 32) as u32),
            deadline,
            arg,
        })
    }

    /// Moves the recorded wait to `location` if it is one of `kinds` (see
    /// [`relocate_current_wait`](crate::introspect::relocate_current_wait)).
    #[inline]
    pub(crate) fn relocate(&self, location: &'static Location<'static>, kinds: &[WaitKind]) {
        let word = self.word.load(Relaxed);
        let kind = (word & 0x7f) as u8;
        if kinds.iter().any(|&k| k as u8 == kind) {
            let word = (word & u64::from(u32::MAX)) | (u64::from(location_offset(location)) << 32);
            self.word.store(word, Relaxed);
        }
    }
}

/// When a task was spawned, in 31 bits: the coarse clock in milliseconds, modulo 2^31 (ages
/// are exact, to the clock's few milliseconds, below 24 days). 31 bits, so that it packs
/// beside a [`LocationCode`] and a tag bit in one word of the task header.
///
/// ```
/// let stamp = weft_core::introspect::SpawnStamp::now();
/// assert!(stamp.age() < std::time::Duration::from_secs(1));
/// assert_eq!(weft_core::introspect::SpawnStamp::from_bits(stamp.to_bits()), stamp);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnStamp(u32);

const STAMP_MASK: u32 = (1 << 31) - 1;

impl SpawnStamp {
    /// The stamp of a task spawned now.
    #[inline]
    pub fn now() -> SpawnStamp {
        SpawnStamp((coarse_now_ns() / 1_000_000) as u32 & STAMP_MASK)
    }

    /// Time since the stamp was taken, to a few milliseconds.
    pub fn age(self) -> Duration {
        let age = SpawnStamp::now().0.wrapping_sub(self.0) & STAMP_MASK;
        Duration::from_millis(u64::from(age))
    }

    /// The stamp's 31 bits (the top bit is 0).
    #[inline]
    pub fn to_bits(self) -> u32 {
        self.0
    }

    /// A stamp from its bits (the top bit is ignored).
    #[inline]
    pub fn from_bits(bits: u32) -> SpawnStamp {
        SpawnStamp(bits & STAMP_MASK)
    }
}

/// A monotonic time in nanoseconds, cheap enough to stamp every spawn with (a few
/// milliseconds of resolution on Linux, where it reads `CLOCK_MONOTONIC_COARSE`: about 6 ns
/// against 30 for `Instant::now` on the 2-core development VM).
///
/// ```
/// let a = weft_core::introspect::coarse_now_ns();
/// assert!(weft_core::introspect::coarse_now_ns() >= a);
/// ```
#[inline]
pub fn coarse_now_ns() -> u64 {
    coarse::now_ns()
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod coarse {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }

    const CLOCK_MONOTONIC_COARSE: i32 = 6;

    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }

    #[inline]
    pub(super) fn now_ns() -> u64 {
        let mut ts = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec (two `long`s on 64-bit Linux); the
        // clock id is Linux's CLOCK_MONOTONIC_COARSE, which cannot fail.
        unsafe { clock_gettime(CLOCK_MONOTONIC_COARSE, &mut ts) };
        (ts.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(ts.tv_nsec as u64)
    }
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
mod coarse {
    #[inline]
    pub(super) fn now_ns() -> u64 {
        super::epoch().elapsed().as_nanos() as u64
    }
}

#[cfg(all(test, not(weft_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_every_field() {
        let record = WaitRecord::new();
        assert_eq!(record.get(), None);
        let deadline = Instant::now() + Duration::from_secs(3);
        let wait = Wait {
            kind: WaitKind::Sleep,
            location: Some(Location::caller()),
            deadline: Some(deadline),
            arg: 5000,
        };
        record.set(wait);
        let back = record.get().unwrap();
        assert_eq!(back.kind, WaitKind::Sleep);
        assert_eq!(back.arg, 0, "a deadline takes the argument's place");
        assert_eq!(back.location, wait.location);
        let diff = back.deadline.unwrap().max(deadline) - back.deadline.unwrap().min(deadline);
        assert!(diff <= TICK, "kept to a tenth of a second: {diff:?}");
        assert!(
            back.deadline.unwrap() >= deadline,
            "rounded up, never early"
        );
        record.set(Wait {
            kind: WaitKind::Semaphore,
            location: None,
            deadline: None,
            arg: 3,
        });
        assert_eq!(record.get().unwrap().arg, 3);
        assert_eq!(record.get().unwrap().location, None);
        // Far deadlines: the nearest candidate, exact within 9 days.
        let far = Instant::now() + Duration::from_secs(8 * 24 * 3600);
        record.set(Wait {
            kind: WaitKind::Sleep,
            location: None,
            deadline: Some(far),
            arg: 0,
        });
        let back = record.get().unwrap().deadline.unwrap();
        assert!(back >= far && back - far <= TICK);
        record.clear();
        assert_eq!(record.get(), None);
    }

    #[test]
    fn every_kind_survives_the_byte() {
        for kind in KINDS {
            assert_eq!(WaitKind::from_u8(kind as u8), Some(kind));
        }
        assert_eq!(WaitKind::from_u8(0), None);
        assert_eq!(WaitKind::from_u8(KINDS.len() as u8 + 1), None);
    }
}

//! [`Every`]: yes once every `interval` calls, for the schedulers' periodic checks (the
//! injection queue ahead of the local one, a poll of the driver).

/// Says yes once every `interval` calls of [`Every::tick`], counting down instead of taking
/// `tick % interval`: that was a `div` per check, two per task on a multi-thread worker
/// (10% of the run loop's samples in `yield_many`).
#[derive(Debug)]
pub(crate) struct Every {
    /// Calls left until the next yes; at least 1 between calls.
    left: u32,
    /// Calls from one yes to the next (at least 1). The schedulers' intervals are fixed
    /// when they are built.
    interval: u32,
}

impl Every {
    /// The first yes comes on the `interval`-th call, as `tick % interval == 0` with a tick
    /// counted from 1; 0 counts as 1.
    pub(crate) fn new(interval: u32) -> Every {
        let interval = interval.max(1);
        Every {
            left: interval,
            interval,
        }
    }

    /// Counts one call; `true` once every `interval` calls.
    #[inline]
    pub(crate) fn tick(&mut self) -> bool {
        self.left -= 1;
        if self.left == 0 {
            self.left = self.interval;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Every;

    #[test]
    fn yes_on_every_interval_th_call_as_the_modulo_was() {
        for interval in [1, 2, 3, 31, 61] {
            let mut every = Every::new(interval);
            for tick in 1..=10 * interval {
                assert_eq!(every.tick(), tick % interval == 0, "{interval}, {tick}");
            }
        }
    }

    #[test]
    fn zero_counts_as_one() {
        let mut every = Every::new(0);
        assert!(every.tick());
        assert!(every.tick());
    }
}

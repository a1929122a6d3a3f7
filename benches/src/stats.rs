//! Order statistics of a handful of samples, and how the report writes times and ratios.

/// The summary of a set of samples (any unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub n: usize,
    /// The median (the mean of the middle two for an even count).
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// The 10th percentile (linear interpolation between order statistics).
    pub p10: f64,
    /// The 90th percentile (linear interpolation between order statistics).
    pub p90: f64,
}

impl Summary {
    /// Summarises `samples`.
    ///
    /// # Panics
    ///
    /// If `samples` is empty or holds a NaN.
    pub fn of(samples: &[f64]) -> Summary {
        assert!(!samples.is_empty(), "no samples to summarise");
        let mut sorted = samples.to_vec();
        sorted.sort_by(|a, b| a.partial_cmp(b).expect("a NaN sample"));
        Summary {
            n: sorted.len(),
            median: percentile(&sorted, 0.5),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            p10: percentile(&sorted, 0.1),
            p90: percentile(&sorted, 0.9),
        }
    }

    /// Every statistic multiplied by `k` (unit changes, per-op scaling).
    pub fn scaled(self, k: f64) -> Summary {
        Summary {
            n: self.n,
            median: self.median * k,
            min: self.min * k,
            max: self.max * k,
            p10: self.p10 * k,
            p90: self.p90 * k,
        }
    }
}

/// The `q` quantile (0..=1) of sorted, non-empty data, interpolating linearly between the
/// two nearest order statistics (the median of an even count is the mean of the middle two).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// The ratio of two medians; `None` when either side is missing or zero.
pub fn ratio(a: Option<&Summary>, b: Option<&Summary>) -> Option<f64> {
    let (a, b) = (a?.median, b?.median);
    (a > 0.0 && b > 0.0).then_some(a / b)
}

/// The ratios `a[i] / b[i]` of samples taken side by side (repetition `i` ran every runtime
/// back to back, so a slow spell of the host hits both sides of a pair), summarised; `None`
/// when the lengths differ, either is empty, or a sample is zero.
pub fn paired_ratios(a: &[f64], b: &[f64]) -> Option<Summary> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let ratios: Option<Vec<f64>> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x > 0.0 && y > 0.0).then(|| x / y))
        .collect();
    Some(Summary::of(&ratios?))
}

/// A paired ratio as its median and 10th–90th percentile: `0.83 (0.78–0.91)`.
pub fn fmt_ratio_band(r: Option<&Summary>) -> String {
    match r {
        Some(s) => format!("{:.2} ({:.2}–{:.2})", s.median, s.p10, s.p90),
        None => "–".to_owned(),
    }
}

/// `x` with three significant digits (at least as many as its integer part).
fn sig3(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The unit that suits a time of `ns` nanoseconds, and its size in ns.
fn unit_for(ns: f64) -> (&'static str, f64) {
    if ns < 1e3 {
        ("ns", 1.0)
    } else if ns < 1e6 {
        ("µs", 1e3)
    } else if ns < 1e9 {
        ("ms", 1e6)
    } else {
        ("s", 1e9)
    }
}

/// A time: `12.3 ms`, `85.1 ns`.
pub fn fmt_ns(ns: f64) -> String {
    let (unit, scale) = unit_for(ns);
    format!("{} {unit}", sig3(ns / scale))
}

/// A summary of times in ns: `12.3 ms (11.9–13.0)`, the spread being min–max in the median's
/// unit.
pub fn fmt_summary(s: &Summary) -> String {
    let (unit, scale) = unit_for(s.median);
    format!(
        "{} {unit} ({}–{})",
        sig3(s.median / scale),
        sig3(s.min / scale),
        sig3(s.max / scale)
    )
}

/// A ratio with two decimals: `0.83`.
pub fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}"))
}

/// A byte count: `1.23 MiB`, `112 B`.
pub fn fmt_bytes(bytes: f64) -> String {
    const K: f64 = 1024.0;
    if bytes.abs() < K {
        format!("{} B", sig3(bytes))
    } else if bytes.abs() < K * K {
        format!("{} KiB", sig3(bytes / K))
    } else if bytes.abs() < K * K * K {
        format!("{} MiB", sig3(bytes / (K * K)))
    } else {
        format!("{} GiB", sig3(bytes / (K * K * K)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_and_even() {
        assert_eq!(Summary::of(&[3.0, 1.0, 2.0]).median, 2.0);
        assert_eq!(Summary::of(&[4.0, 1.0, 3.0, 2.0]).median, 2.5);
        assert_eq!(Summary::of(&[7.0]).median, 7.0);
    }

    #[test]
    fn spread_and_percentiles() {
        let s = Summary::of(&[10.0, 0.0, 5.0, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0]);
        assert_eq!((s.min, s.max, s.n), (0.0, 10.0, 11));
        assert!((s.p10 - 1.0).abs() < 1e-9, "{}", s.p10);
        assert!((s.p90 - 9.0).abs() < 1e-9, "{}", s.p90);
        // Interpolated between order statistics.
        assert!((percentile(&[0.0, 10.0], 0.25) - 2.5).abs() < 1e-9);
    }

    #[test]
    fn paired_ratios_pair_samples_by_repetition() {
        // The host slowed down for the second repetition: each pair still says 0.5.
        let band = paired_ratios(&[10.0, 40.0, 12.0], &[20.0, 80.0, 24.0]).unwrap();
        assert_eq!((band.median, band.p10, band.p90), (0.5, 0.5, 0.5));
        assert_eq!(fmt_ratio_band(Some(&band)), "0.50 (0.50–0.50)");
        assert!(paired_ratios(&[1.0], &[1.0, 2.0]).is_none());
        assert!(paired_ratios(&[1.0], &[0.0]).is_none());
        assert!(paired_ratios(&[], &[]).is_none());
        assert_eq!(fmt_ratio_band(None), "–");
    }

    #[test]
    fn ratios_are_medians_over_medians() {
        let weft = Summary::of(&[8.0, 8.0, 100.0]);
        let tokio = Summary::of(&[10.0, 10.0, 1.0]);
        assert_eq!(ratio(Some(&weft), Some(&tokio)), Some(0.8));
        assert_eq!(ratio(None, Some(&tokio)), None);
        assert_eq!(fmt_ratio(Some(0.8)), "0.80");
        assert_eq!(fmt_ratio(None), "–");
    }

    #[test]
    fn units() {
        assert_eq!(fmt_ns(85.14), "85.1 ns");
        assert_eq!(fmt_ns(1_234.0), "1.23 µs");
        assert_eq!(fmt_ns(12_345_678.0), "12.3 ms");
        assert_eq!(fmt_ns(2.5e9), "2.50 s");
        let s = Summary::of(&[11.9e6, 12.3e6, 13.0e6]);
        assert_eq!(fmt_summary(&s), "12.3 ms (11.9–13.0)");
        assert_eq!(fmt_bytes(112.0), "112 B");
        assert_eq!(fmt_bytes(1.5 * 1024.0 * 1024.0), "1.50 MiB");
    }
}

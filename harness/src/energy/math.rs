//! The arithmetic of energy measurement, free of any device: integrating power samples with the
//! trapezoid rule over a window, finding gaps in a sample series, and turning a cumulative energy
//! counter (which may wrap around, or be reset) into energy over a window.
//!
//! Times are nanoseconds on one monotonic clock; power is in watts; counters are in millijoules.

/// A stretch of a sample series with no sample for longer than allowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gap {
    /// Time of the sample before the gap.
    pub from_ns: u64,
    /// Time of the sample after the gap.
    pub to_ns: u64,
}

impl Gap {
    /// The gap's length in seconds.
    pub fn seconds(&self) -> f64 {
        ns_to_s(self.to_ns.saturating_sub(self.from_ns))
    }
}

/// Why a counter series cannot give the energy of a window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CounterProblem {
    /// The counter went backwards by more than a wrap-around can explain: the driver was
    /// reloaded (the counter restarts from zero) between the two samples.
    Reset {
        /// Time of the sample before the jump.
        at_ns: u64,
    },
    /// The samples do not cover the window (none at or before its start, or at or after its end).
    NotCovered,
}

/// Nanoseconds to seconds.
pub fn ns_to_s(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// Energy in joules under a power series, by the trapezoid rule: each pair of consecutive samples
/// contributes the mean of their power times the time between them. Fewer than two samples give
/// zero energy (no time elapsed).
pub fn trapezoid_j(points: &[(u64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|pair| match pair {
            [(t0, w0), (t1, w1)] => (w0 + w1) / 2.0 * ns_to_s(t1.saturating_sub(*t0)),
            _ => 0.0,
        })
        .sum()
}

/// The value of a series at `t_ns`, interpolated linearly between the samples around it; `None`
/// when `t_ns` lies outside the series.
pub fn interpolate(points: &[(u64, f64)], t_ns: u64) -> Option<f64> {
    let after = points.partition_point(|(t, _)| *t < t_ns);
    let (t1, v1) = *points.get(after)?;
    if t1 == t_ns {
        return Some(v1);
    }
    let (t0, v0) = *points.get(after.checked_sub(1)?)?;
    let span = t1.saturating_sub(t0);
    if span == 0 {
        return Some(v1);
    }
    let fraction = t_ns.saturating_sub(t0) as f64 / span as f64;
    Some(v0 + (v1 - v0) * fraction)
}

/// Energy in joules between `start_ns` and `end_ns` from a power series: the series is cut at
/// the window's edges (power interpolated linearly there) and integrated by the trapezoid rule.
/// `None` when the series does not cover the window.
pub fn window_energy_j(points: &[(u64, f64)], start_ns: u64, end_ns: u64) -> Option<f64> {
    if end_ns < start_ns {
        return None;
    }
    let first = interpolate(points, start_ns)?;
    let last = interpolate(points, end_ns)?;
    let mut clipped = vec![(start_ns, first)];
    clipped.extend(
        points
            .iter()
            .filter(|(t, _)| *t > start_ns && *t < end_ns)
            .copied(),
    );
    clipped.push((end_ns, last));
    Some(trapezoid_j(&clipped))
}

/// The gaps longer than twice `interval_ns` between consecutive sample times that overlap the
/// window `[start_ns, end_ns]`, in time order.
pub fn gaps(times: &[u64], interval_ns: u64, start_ns: u64, end_ns: u64) -> Vec<Gap> {
    let allowed = interval_ns.saturating_mul(2);
    times
        .windows(2)
        .filter_map(|pair| match pair {
            [from, to]
                if to.saturating_sub(*from) > allowed && *to > start_ns && *from < end_ns =>
            {
                Some(Gap {
                    from_ns: *from,
                    to_ns: *to,
                })
            }
            _ => None,
        })
        .collect()
}

/// Millijoules counted between two readings of a 64-bit counter that may have wrapped around
/// once in between (a later reading below an earlier one).
pub fn counter_delta_mj(earlier: u64, later: u64) -> u64 {
    later.wrapping_sub(earlier)
}

/// A cumulative counter series (millijoules) as joules since its first sample, with wrap-arounds
/// undone. A step that would mean an average power above `max_power_w` is taken for a reset of
/// the counter, not a wrap-around, and reported.
pub fn unwrap_counter(
    points: &[(u64, u64)],
    max_power_w: f64,
) -> Result<Vec<(u64, f64)>, CounterProblem> {
    let mut out = Vec::with_capacity(points.len());
    let mut total_j = 0.0;
    let mut previous: Option<(u64, u64)> = None;
    for &(t_ns, mj) in points {
        if let Some((t0, mj0)) = previous {
            let step_j = counter_delta_mj(mj0, mj) as f64 / 1000.0;
            // At least one millisecond, so that two readings in the same instant cannot imply an
            // infinite power.
            let seconds = ns_to_s(t_ns.saturating_sub(t0)).max(1e-3);
            if mj < mj0 && step_j / seconds > max_power_w {
                return Err(CounterProblem::Reset { at_ns: t0 });
            }
            total_j += step_j;
        }
        out.push((t_ns, total_j));
        previous = Some((t_ns, mj));
    }
    Ok(out)
}

/// Energy in joules between `start_ns` and `end_ns` from a cumulative counter series
/// (millijoules), with the counter interpolated linearly at the window's edges.
pub fn counter_window_energy_j(
    points: &[(u64, u64)],
    start_ns: u64,
    end_ns: u64,
    max_power_w: f64,
) -> Result<f64, CounterProblem> {
    let joules = unwrap_counter(points, max_power_w)?;
    let at_start = interpolate(&joules, start_ns).ok_or(CounterProblem::NotCovered)?;
    let at_end = interpolate(&joules, end_ns).ok_or(CounterProblem::NotCovered)?;
    if end_ns < start_ns {
        return Err(CounterProblem::NotCovered);
    }
    Ok(at_end - at_start)
}

/// The arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    /// A series recorded every 100 ms from an idle GPU ramping up under load and back:
    /// 60 W idle, a ramp to 300 W over 300 ms, 300 W for 400 ms, down to 60 W.
    fn ramp() -> Vec<(u64, f64)> {
        [
            60.0, 60.0, 140.0, 220.0, 300.0, 300.0, 300.0, 300.0, 300.0, 180.0, 60.0,
        ]
        .iter()
        .enumerate()
        .map(|(i, w)| (i as u64 * 100 * MS, *w))
        .collect()
    }

    #[test]
    fn trapezoid_of_a_recorded_ramp() {
        // Pairwise means (W) times 0.1 s: 60, 100, 180, 260, 300, 300, 300, 300, 240, 120.
        let expected = (60.0 + 100.0 + 180.0 + 260.0 + 300.0 * 4.0 + 240.0 + 120.0) * 0.1;
        assert!(close(trapezoid_j(&ramp()), expected));
    }

    #[test]
    fn trapezoid_of_constant_power_is_power_times_time() {
        let points: Vec<(u64, f64)> = (0..=50).map(|i| (i * 100 * MS, 250.0)).collect();
        assert!(close(trapezoid_j(&points), 250.0 * 5.0));
    }

    #[test]
    fn trapezoid_needs_two_samples() {
        assert_eq!(trapezoid_j(&[]), 0.0);
        assert_eq!(trapezoid_j(&[(0, 100.0)]), 0.0);
    }

    #[test]
    fn trapezoid_with_uneven_intervals() {
        // 100 W for 0.5 s, then a linear rise to 200 W over 0.25 s.
        let points = [(0, 100.0), (500 * MS, 100.0), (750 * MS, 200.0)];
        assert!(close(trapezoid_j(&points), 50.0 + 37.5));
    }

    #[test]
    fn window_is_cut_at_interpolated_edges() {
        // From 150 ms (100 W, halfway between 60 and 140) to 450 ms (300 W).
        let energy = window_energy_j(&ramp(), 150 * MS, 450 * MS).unwrap();
        let expected = (100.0 + 140.0) / 2.0 * 0.05
            + (140.0 + 220.0) / 2.0 * 0.1
            + (220.0 + 300.0) / 2.0 * 0.1
            + 300.0 * 0.05;
        assert!(close(energy, expected), "{energy} != {expected}");
    }

    #[test]
    fn window_on_sample_times_equals_plain_trapezoid() {
        let all = ramp();
        let energy = window_energy_j(&all, 200 * MS, 800 * MS).unwrap();
        assert!(close(energy, trapezoid_j(&all[2..=8])));
    }

    #[test]
    fn window_outside_the_series_is_not_covered() {
        assert_eq!(window_energy_j(&ramp(), 900 * MS, 1_100 * MS), None);
        assert_eq!(window_energy_j(&ramp()[1..], 50 * MS, 500 * MS), None);
        assert_eq!(window_energy_j(&ramp(), 500 * MS, 400 * MS), None);
    }

    #[test]
    fn empty_window_has_no_energy() {
        assert_eq!(window_energy_j(&ramp(), 300 * MS, 300 * MS), Some(0.0));
    }

    #[test]
    fn gaps_longer_than_twice_the_interval_are_found() {
        // Sampler stalled twice: 250 ms between 300 and 550 (reported), and exactly 200 ms
        // between 550 and 750 (not reported: not more than twice the interval).
        let times = [0, 100, 200, 300, 550, 750, 850, 1_300, 1_400].map(|t| t * MS);
        let found = gaps(&times, 100 * MS, 0, 1_400 * MS);
        assert_eq!(
            found,
            vec![
                Gap {
                    from_ns: 300 * MS,
                    to_ns: 550 * MS
                },
                Gap {
                    from_ns: 850 * MS,
                    to_ns: 1_300 * MS
                },
            ]
        );
        assert!(close(found[1].seconds(), 0.45));
    }

    #[test]
    fn gaps_outside_the_window_are_ignored() {
        let times = [0, 500, 600, 700, 1_200].map(|t| t * MS);
        assert_eq!(
            gaps(&times, 100 * MS, 550 * MS, 650 * MS),
            Vec::<Gap>::new()
        );
        // A gap that straddles the window's start counts.
        assert_eq!(gaps(&times, 100 * MS, 400 * MS, 650 * MS).len(), 1);
    }

    #[test]
    fn counter_delta_without_and_with_wrap() {
        assert_eq!(counter_delta_mj(1_000, 4_500), 3_500);
        // The counter wrapped: 100 mJ up to zero, then 400 mJ past it.
        assert_eq!(counter_delta_mj(u64::MAX - 99, 400), 500);
    }

    #[test]
    fn counter_series_energy_with_interpolated_edges() {
        // 250 W steady: 25,000 mJ every 100 ms, from an arbitrary starting value.
        let points: Vec<(u64, u64)> = (0..=10)
            .map(|i| (i * 100 * MS, 7_000_000 + i * 25_000))
            .collect();
        let energy = counter_window_energy_j(&points, 150 * MS, 650 * MS, 5_000.0).unwrap();
        assert!(close(energy, 125.0), "{energy}");
    }

    #[test]
    fn counter_series_across_a_wrap() {
        // 300 W (30,000 mJ per 100 ms), wrapping between the 3rd and 4th sample.
        let start = u64::MAX - 70_000 + 1;
        let points: Vec<(u64, u64)> = (0..6u64)
            .map(|i| (i * 100 * MS, start.wrapping_add(i * 30_000)))
            .collect();
        assert!(points[3].1 < points[2].1, "the series must wrap");
        let energy = counter_window_energy_j(&points, 0, 500 * MS, 5_000.0).unwrap();
        assert!(close(energy, 150.0), "{energy}");
    }

    #[test]
    fn counter_reset_is_reported_not_counted() {
        // The driver was reloaded between 200 and 300 ms: the counter restarts near zero.
        let points = [
            (0, 9_000_000),
            (100 * MS, 9_030_000),
            (200 * MS, 9_060_000),
            (300 * MS, 25_000),
        ];
        assert_eq!(
            counter_window_energy_j(&points, 0, 300 * MS, 5_000.0),
            Err(CounterProblem::Reset { at_ns: 200 * MS })
        );
    }

    #[test]
    fn counter_window_outside_the_series() {
        let points = [(100 * MS, 0), (200 * MS, 10_000)];
        assert_eq!(
            counter_window_energy_j(&points, 0, 150 * MS, 5_000.0),
            Err(CounterProblem::NotCovered)
        );
    }

    #[test]
    fn counter_and_power_agree_on_the_same_load() {
        // The same 300 W plateau seen both ways.
        let power: Vec<(u64, f64)> = (0..=20).map(|i| (i * 100 * MS, 300.0)).collect();
        let counter: Vec<(u64, u64)> = (0..=20).map(|i| (i * 100 * MS, i * 30_000)).collect();
        let from_power = window_energy_j(&power, 250 * MS, 1_750 * MS).unwrap();
        let from_counter =
            counter_window_energy_j(&counter, 250 * MS, 1_750 * MS, 5_000.0).unwrap();
        assert!(close(from_power, 450.0));
        assert!(close(from_counter, 450.0));
    }

    #[test]
    fn mean_of_values() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[50.0, 70.0, 60.0]), Some(60.0));
    }
}

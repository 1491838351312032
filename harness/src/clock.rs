//! Clocks: the monotonic clock shared with the worker, and wall-clock timestamps for results.

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds on `CLOCK_MONOTONIC`, the clock the worker stamps its events with (Python's
/// `time.monotonic_ns()`). Every process on the host's kernel, containers included, reads the
/// same clock, so worker events and energy samples can be compared directly.
pub fn monotonic_ns() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    let secs = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// A wall-clock instant, kept as microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WallTime {
    unix_us: i64,
}

impl WallTime {
    /// The current wall-clock time.
    pub fn now() -> Self {
        let unix_us = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_micros()).map_or(i64::MIN, |us| -us),
        };
        WallTime { unix_us }
    }

    /// The instant `unix_us` microseconds after the Unix epoch.
    pub fn from_unix_us(unix_us: i64) -> Self {
        WallTime { unix_us }
    }

    /// Microseconds since the Unix epoch.
    pub fn unix_us(self) -> i64 {
        self.unix_us
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn seconds_since(self, earlier: WallTime) -> f64 {
        (self.unix_us - earlier.unix_us) as f64 / 1e6
    }

    /// UTC in RFC 3339 with microseconds: `2026-12-03T07:39:00.123456Z`.
    pub fn rfc3339(self) -> String {
        let secs = self.unix_us.div_euclid(1_000_000);
        let micros = self.unix_us.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        )
    }
}

/// The proleptic Gregorian date of a day number counted from 1970-01-01, computed in 400-year
/// eras of 146,097 days (each era starts on a March 1st, so the leap day is the era's last day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(
            WallTime::from_unix_us(0).rfc3339(),
            "1970-01-01T00:00:00.000000Z"
        );
        // 2000-02-29 (a leap day in a century leap year) 12:34:56.789012
        assert_eq!(
            WallTime::from_unix_us(951_827_696_789_012).rfc3339(),
            "2000-02-29T12:34:56.789012Z"
        );
        // 2100-03-01: 2100 is not a leap year
        assert_eq!(
            WallTime::from_unix_us(4_107_542_400_000_000).rfc3339(),
            "2100-03-01T00:00:00.000000Z"
        );
        // one microsecond before the epoch
        assert_eq!(
            WallTime::from_unix_us(-1).rfc3339(),
            "1969-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn monotonic_clock_moves_forward() {
        let first = monotonic_ns();
        let second = monotonic_ns();
        assert!(first > 0);
        assert!(second >= first);
    }

    #[test]
    fn seconds_between_instants() {
        let a = WallTime::from_unix_us(1_000_000);
        let b = WallTime::from_unix_us(3_500_000);
        assert!((b.seconds_since(a) - 2.5).abs() < 1e-12);
    }
}

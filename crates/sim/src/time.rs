//! Virtual time: an integer count of microseconds since the start of a run.
//!
//! Integers, not floats, so that ordering and arithmetic are exact and identical on every
//! platform. Durations are plain `u64` microseconds named with a `_us` suffix.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in virtual time, in microseconds since the run started.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(u64);

impl Time {
    /// The start of every run.
    pub const ZERO: Time = Time(0);
    /// Later than any event a run can schedule.
    pub const MAX: Time = Time(u64::MAX);

    pub const fn from_us(us: u64) -> Time {
        Time(us)
    }

    pub const fn from_ms(ms: u64) -> Time {
        Time(ms.saturating_mul(1_000))
    }

    /// Converts fractional milliseconds (as scenario files write them), rounding to the
    /// nearest microsecond; negative and non-finite inputs clamp to the valid range, since
    /// scenario validation rejects them before they get here.
    pub fn from_ms_f64(ms: f64) -> Time {
        Time(ms_to_us(ms))
    }

    pub const fn as_us(self) -> u64 {
        self.0
    }

    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }

    #[must_use]
    pub const fn plus_us(self, us: u64) -> Time {
        Time(self.0.saturating_add(us))
    }

    /// Microseconds from `earlier` to `self`, zero when `earlier` is later.
    pub const fn since_us(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Seconds with microsecond precision, as the trace's text form writes them.
    pub fn precise(self) -> impl fmt::Display {
        Precise(self)
    }
}

/// Fractional milliseconds to whole microseconds, rounded; clamps instead of wrapping.
pub fn ms_to_us(ms: f64) -> u64 {
    if ms.is_nan() || ms <= 0.0 {
        0
    } else {
        let us = ms * 1_000.0;
        if us >= u64::MAX as f64 {
            u64::MAX
        } else {
            // Half away from zero, as `f64::round`, without its library call (x86-64's
            // baseline has no rounding instruction; every latency sample comes here). The
            // subtraction is exact: below 2^53 `whole` is exact, above it `us` is whole.
            let whole = us as u64;
            if us - whole as f64 >= 0.5 {
                whole + 1
            } else {
                whole
            }
        }
    }
}

/// Seconds with millisecond precision: `1.204 s`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms_total = self.0 / 1_000;
        write!(f, "{}.{:03} s", ms_total / 1_000, ms_total % 1_000)
    }
}

struct Precise(Time);

impl fmt::Display for Precise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0 .0;
        write!(f, "{}.{:06}", us / 1_000_000, us % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_seconds_with_milliseconds() {
        assert_eq!(Time::from_us(1_204_300).to_string(), "1.204 s");
        assert_eq!(Time::ZERO.to_string(), "0.000 s");
        assert_eq!(Time::from_us(1_204_300).precise().to_string(), "1.204300");
    }

    #[test]
    fn fractional_milliseconds_round_to_microseconds() {
        assert_eq!(Time::from_ms_f64(1.5), Time::from_us(1_500));
        assert_eq!(Time::from_ms_f64(0.0004), Time::ZERO);
        assert_eq!(Time::from_ms_f64(-3.0), Time::ZERO);
        assert_eq!(Time::from_ms_f64(f64::INFINITY), Time::MAX);
    }

    #[test]
    fn rounding_to_microseconds_agrees_with_the_standard_round_everywhere() {
        let mut rng = crate::rng::Rng::from_seed(3);
        let mut cases = vec![
            0.0005,
            0.0015,
            0.0025,
            2.4995,
            1e9,
            9.007_199_254_740_993e12,
        ];
        cases.extend((0..1_000).map(|half| half as f64 / 2_000.0));
        cases.extend((0..10_000).map(|_| rng.uniform(0.0, 1e6)));
        cases.extend((0..1_000).map(|_| rng.uniform(0.0, 1e16)));
        // Just under half a microsecond: adding 0.5 and flooring would give 1.
        cases.push(f64::from_bits(0.5f64.to_bits() - 1) / 1_000.0);
        for ms in cases {
            assert_eq!(ms_to_us(ms), (ms * 1_000.0).round() as u64, "{ms} ms");
        }
    }
}

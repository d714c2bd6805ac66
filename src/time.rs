//! Wall-clock helpers, and the window outside which an event's time is implausible.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Times more than this before now are implausible (a 1970 start from a corrupt duration).
/// Runs rarely last a day; a week is generous.
pub const PAST_MS: f64 = 7.0 * 24.0 * 3_600_000.0;
/// Times more than this after now are implausible (a host clock far ahead).
pub const FUTURE_MS: f64 = 3_600_000.0;

pub fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

/// Whether a Unix-millisecond time lies in [now - PAST_MS, now + FUTURE_MS].
pub fn plausible(ms: f64, now: f64) -> bool {
    ms >= now - PAST_MS && ms <= now + FUTURE_MS
}

pub fn from_unix_ms(ms: f64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros((ms * 1000.0).max(0.0) as u64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01: the inverse of `days_from_civil`.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_a_week_back_and_an_hour_ahead() {
        let now = 1_795_332_876_000.0;
        assert!(plausible(now, now));
        assert!(plausible(now - PAST_MS, now) && plausible(now + FUTURE_MS, now));
        assert!(!plausible(now - PAST_MS - 1.0, now) && !plausible(now + FUTURE_MS + 1.0, now));
        assert!(!plausible(0.0, now), "1970");
    }

    #[test]
    fn civil_dates_both_ways() {
        // Day counts from Python: (date(y, m, d) - date(1970, 1, 1)).days
        for (y, m, d, days) in [(1970, 1, 1, 0), (2000, 3, 1, 11_017), (2026, 12, 2, 20_789), (1969, 12, 31, -1), (2124, 2, 29, 56_306)] {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d));
        }
    }
}

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
}

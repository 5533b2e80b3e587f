//! Lambda runtime glue shared by the functions: how much time an invocation has left.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// The deadline of a Lambda invocation (`Lambda-Runtime-Deadline-Ms`) as an `Instant`.
pub fn deadline_from_epoch_ms(deadline_ms: u64) -> Instant {
    budget_until(deadline_ms, Utc::now())
        .map_or_else(Instant::now, |budget| Instant::now() + budget)
}

/// Time left until `deadline_ms`. Lambda sends epoch milliseconds; `cargo lambda watch` (the
/// local runtime of `make demo`) sends the timeout itself (e.g. `600000`), so a value too small
/// to be a date after 2001 is taken as a duration.
fn budget_until(deadline_ms: u64, now: DateTime<Utc>) -> Option<Duration> {
    const YEAR_2001_MS: u64 = 978_307_200_000;
    if deadline_ms < YEAR_2001_MS {
        return Some(Duration::from_millis(deadline_ms));
    }
    let now_ms = u64::try_from(now.timestamp_millis()).ok()?;
    Some(Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_epoch_ms_in_lambda_and_a_duration_in_cargo_lambda() {
        let now = DateTime::from_timestamp_millis(1_795_320_000_000).unwrap();
        assert_eq!(budget_until(1_795_320_300_000, now), Some(Duration::from_secs(300)));
        assert_eq!(budget_until(1_795_310_000_000, now), Some(Duration::ZERO), "already past");
        assert_eq!(budget_until(600_000, now), Some(Duration::from_secs(600)));
    }
}

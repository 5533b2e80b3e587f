//! Lambda runtime glue shared by the functions: how much time an invocation has left, and the
//! one way an error becomes the runtime's [`Diagnostic`].

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lambda_runtime::Diagnostic;

use crate::clients::ApiError;
use crate::store::StoreError;

/// An error as the Lambda runtime is told of it. Every error a function returns implements
/// this and maps to its [`Diagnostic`] with [`diagnostic`], so the `Retryable.`/`NonRetryable.`
/// prefix always agrees with the error's own [`is_retryable`](Failure::is_retryable).
pub trait Failure: std::fmt::Display {
    /// Whether a retry of the same input could succeed. Bad input, a failed validation and a
    /// corrupt record cannot.
    fn is_retryable(&self) -> bool;
    /// What failed, in one word (`StoreFailure`, `MalformedEvent`, …): the `error_type` after
    /// its prefix.
    fn kind(&self) -> &'static str;
}

/// The error's `Diagnostic`: `Retryable.<kind>` or `NonRetryable.<kind>`, and its message.
pub fn diagnostic<E: Failure + ?Sized>(error: &E) -> Diagnostic {
    let class = if error.is_retryable() { "Retryable" } else { "NonRetryable" };
    Diagnostic { error_type: format!("{class}.{}", error.kind()), error_message: error.to_string() }
}

/// A store failure: all but a corrupt record are worth retrying (as [`StoreError`] says).
// It belongs in store/error.rs; it is here so this change leaves the store, split in parallel,
// untouched.
impl Failure for StoreError {
    fn is_retryable(&self) -> bool {
        !matches!(self, StoreError::Corrupt { .. })
    }

    fn kind(&self) -> &'static str {
        match self {
            StoreError::Corrupt { .. } => "CorruptRecord",
            _ => "StoreFailure",
        }
    }
}

/// An AWS call that failed: worth retrying unless access was denied (IAM does not fix itself).
impl Failure for ApiError {
    fn is_retryable(&self) -> bool {
        !self.is_access_denied()
    }

    fn kind(&self) -> &'static str {
        if self.is_access_denied() { "AccessDenied" } else { "ApiFailure" }
    }
}

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

    #[derive(Debug, thiserror::Error)]
    #[error("boom")]
    struct Boom(bool);

    impl Failure for Boom {
        fn is_retryable(&self) -> bool {
            self.0
        }
        fn kind(&self) -> &'static str {
            "Boom"
        }
    }

    #[test]
    fn the_prefix_is_the_errors_own_retryability() {
        assert_eq!(diagnostic(&Boom(true)).error_type, "Retryable.Boom");
        assert_eq!(diagnostic(&Boom(false)).error_type, "NonRetryable.Boom");
        assert_eq!(diagnostic(&Boom(false)).error_message, "boom");
    }

    #[test]
    fn a_corrupt_record_and_a_denied_call_are_permanent() {
        let corrupt =
            StoreError::Corrupt { table: "t".into(), key: "k".into(), message: "m".into() };
        assert_eq!(diagnostic(&corrupt).error_type, "NonRetryable.CorruptRecord");
        let throttled = StoreError::Contention { resource: "r".into(), attempts: 3 };
        assert_eq!(diagnostic(&throttled).error_type, "Retryable.StoreFailure");
        let api = |code: &str| ApiError {
            operation: "GetSyncBlockerSummary",
            subject: "s".into(),
            code: Some(code.into()),
            message: "m".into(),
        };
        assert_eq!(
            diagnostic(&api("AccessDeniedException")).error_type,
            "NonRetryable.AccessDenied"
        );
        assert_eq!(diagnostic(&api("ThrottlingException")).error_type, "Retryable.ApiFailure");
    }

    #[test]
    fn the_deadline_is_epoch_ms_in_lambda_and_a_duration_in_cargo_lambda() {
        let now = DateTime::from_timestamp_millis(1_795_320_000_000).unwrap();
        assert_eq!(budget_until(1_795_320_300_000, now), Some(Duration::from_secs(300)));
        assert_eq!(budget_until(1_795_310_000_000, now), Some(Duration::ZERO), "already past");
        assert_eq!(budget_until(600_000, now), Some(Duration::from_secs(600)));
    }
}

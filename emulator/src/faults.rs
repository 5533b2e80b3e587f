//! Fault injection: latency, random throttling and internal errors on every protocol request,
//! forced modelled errors per operation, and a per-operation rate limit. Random draws come from
//! a seedable RNG so a test can replay the same sequence.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::{ApiError, modelled_errors};

/// Faults applied to every CodeConnections, CodePipeline and CloudFormation request (never to
/// the admin API). As JSON (`PUT /admin/faults`), every member is optional:
///
/// ```json
/// {"latency_ms": 25, "throttle_rate": 0.1, "error_rate": 0.05, "seed": 7,
///  "errors": {"GetSyncBlockerSummary": {"error": "AccessDeniedException", "rate": 1.0}},
///  "rate_limits": {"GetResourceSyncStatus": {"per_second": 5, "burst": 10}}}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay before answering; requests sleep concurrently.
    pub latency_ms: u64,
    /// Probability (0..=1) of answering `ThrottlingException`.
    pub throttle_rate: f64,
    /// Probability (0..=1) of answering an internal server error (when not throttled).
    pub error_rate: f64,
    /// Seed of the RNG; without one each run draws differently.
    pub seed: Option<u64>,
    /// A modelled error forced on an operation, by operation name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, ForcedError>,
    /// A token-bucket rate limit per operation, by operation name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub rate_limits: BTreeMap<String, RateLimit>,
}

/// One modelled error of an operation, answered with probability `rate`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForcedError {
    /// The error's shape name in the service's vocabulary (`AccessDeniedException`,
    /// `ResourceUnavailableException`, CloudFormation's `Throttling`, …).
    pub error: String,
    /// Probability (0..=1); 1 when absent.
    #[serde(default = "always")]
    pub rate: f64,
    /// The `Message`; a realistic default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

fn always() -> f64 {
    1.0
}

/// At most `burst` requests at once, refilled at `per_second`: AWS's per-account API quotas
/// behave this way, answering the excess with throttling rather than queueing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

/// A fault configuration the emulator cannot apply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultsError {
    #[error("{field} must be between 0 and 1, not {value}")]
    Rate { field: String, value: f64 },
    #[error("{0} is not an operation the emulator serves")]
    UnknownOperation(String),
    #[error("{error} is not a modelled error of {operation}; it has {}", modelled.join(", "))]
    NotModelled { operation: String, error: String, modelled: Vec<String> },
    #[error("rate_limits.{0}: per_second must be positive and burst at least 1")]
    Limit(String),
}

impl Faults {
    /// Checks rates, operation names and error names against the models.
    pub fn validate(&self) -> Result<(), FaultsError> {
        let rate = |field: String, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(FaultsError::Rate { field, value })
            }
        };
        rate("throttle_rate".into(), self.throttle_rate)?;
        rate("error_rate".into(), self.error_rate)?;
        for (operation, forced) in &self.errors {
            let modelled = modelled_errors(operation)
                .ok_or_else(|| FaultsError::UnknownOperation(operation.clone()))?;
            if !modelled.contains(&forced.error.as_str()) {
                return Err(FaultsError::NotModelled {
                    operation: operation.clone(),
                    error: forced.error.clone(),
                    modelled: modelled.iter().map(|e| (*e).to_owned()).collect(),
                });
            }
            rate(format!("errors.{operation}.rate"), forced.rate)?;
        }
        for (operation, limit) in &self.rate_limits {
            modelled_errors(operation)
                .ok_or_else(|| FaultsError::UnknownOperation(operation.clone()))?;
            if !(limit.per_second > 0.0 && limit.per_second.is_finite()) || limit.burst == 0 {
                return Err(FaultsError::Limit(operation.clone()));
            }
        }
        Ok(())
    }
}

/// What the fault injector decided for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FaultOutcome {
    Pass,
    Throttle,
    Internal,
    Forced { code: String, message: String },
}

impl FaultOutcome {
    /// The error to answer with, if any.
    pub(crate) fn into_error(self) -> Option<ApiError> {
        match self {
            FaultOutcome::Pass => None,
            FaultOutcome::Throttle => Some(ApiError::Throttling),
            FaultOutcome::Internal => Some(ApiError::Internal),
            FaultOutcome::Forced { code, message } => Some(ApiError::Injected { code, message }),
        }
    }
}

/// A token bucket: `tokens` left at `at`.
struct Bucket {
    tokens: f64,
    at: Instant,
}

struct InjectorState {
    faults: Faults,
    rng: fastrand::Rng,
    buckets: BTreeMap<String, Bucket>,
}

/// The configured faults plus the RNG and buckets they draw from.
pub(crate) struct FaultInjector {
    state: Mutex<InjectorState>,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> Self {
        FaultInjector { state: Mutex::new(InjectorState::new(faults)) }
    }

    /// Replaces the faults, reseeds the RNG and refills every bucket, so a seeded sequence
    /// starts over.
    pub(crate) fn set(&self, faults: Faults) {
        *crate::lock(&self.state) = InjectorState::new(faults);
    }

    pub(crate) fn get(&self) -> Faults {
        crate::lock(&self.state).faults.clone()
    }

    /// Draws the outcome of one request to `operation` (at arrival, so a seeded run does not
    /// depend on how concurrent sleeps interleave) and the latency to apply before answering.
    /// The rate limit comes first: a throttled request never reaches the service, so it
    /// cannot also fail there.
    pub(crate) fn draw(&self, operation: &str) -> (Duration, FaultOutcome) {
        let mut guard = crate::lock(&self.state);
        let InjectorState { faults, rng, buckets } = &mut *guard;
        let latency = Duration::from_millis(faults.latency_ms);
        if let Some(limit) = faults.rate_limits.get(operation) {
            let now = Instant::now();
            let burst = f64::from(limit.burst);
            let bucket =
                buckets.entry(operation.to_owned()).or_insert(Bucket { tokens: burst, at: now });
            let refill = now.duration_since(bucket.at).as_secs_f64() * limit.per_second;
            bucket.tokens = (bucket.tokens + refill).min(burst);
            bucket.at = now;
            if bucket.tokens < 1.0 {
                return (latency, FaultOutcome::Throttle);
            }
            bucket.tokens -= 1.0;
        }
        if let Some(forced) = faults.errors.get(operation)
            && forced.rate > 0.0
            && rng.f64() < forced.rate
        {
            let message =
                forced.message.clone().unwrap_or_else(|| default_message(operation, &forced.error));
            return (latency, FaultOutcome::Forced { code: forced.error.clone(), message });
        }
        let outcome = if faults.throttle_rate > 0.0 && rng.f64() < faults.throttle_rate {
            FaultOutcome::Throttle
        } else if faults.error_rate > 0.0 && rng.f64() < faults.error_rate {
            FaultOutcome::Internal
        } else {
            FaultOutcome::Pass
        };
        (latency, outcome)
    }

    /// Sleeps the configured latency, then tells which error to answer with, if any.
    pub(crate) async fn apply(&self, operation: &str) -> Option<ApiError> {
        let (latency, outcome) = self.draw(operation);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        outcome.into_error()
    }
}

impl InjectorState {
    fn new(faults: Faults) -> Self {
        let rng = match faults.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        InjectorState { faults, rng, buckets: BTreeMap::new() }
    }
}

/// The message AWS would send, as closely as the emulator knows it: an access denial names the
/// IAM action (what a person must grant), the rest say they were injected.
fn default_message(operation: &str, error: &str) -> String {
    if error.starts_with("AccessDenied") {
        let action = format!("{}:{operation}", iam_prefix(operation));
        format!(
            "User: arn:aws:sts::111122223333:assumed-role/syncwarden-emulator/session is not \
             authorized to perform: {action} because no identity-based policy allows the \
             {action} action"
        )
    } else {
        format!("{error} (injected by the emulator for {operation})")
    }
}

fn iam_prefix(operation: &str) -> &'static str {
    match operation {
        "ListPipelines"
        | "GetPipelineState"
        | "ListPipelineExecutions"
        | "GetPipelineExecution"
        | "ListActionExecutions" => "codepipeline",
        "DescribeStacks" => "cloudformation",
        _ => "codeconnections",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(inj: &FaultInjector, op: &str, n: usize) -> Vec<FaultOutcome> {
        (0..n).map(|_| inj.draw(op).1).collect()
    }

    #[test]
    fn certain_rates_always_fire_and_seeds_replay() {
        let inj = FaultInjector::new(Faults { throttle_rate: 1.0, ..Faults::default() });
        assert!(
            outcomes(&inj, "ListConnections", 100).iter().all(|o| *o == FaultOutcome::Throttle)
        );
        inj.set(Faults::default());
        assert!(outcomes(&inj, "ListConnections", 100).iter().all(|o| *o == FaultOutcome::Pass));

        let seeded =
            Faults { throttle_rate: 0.3, error_rate: 0.2, seed: Some(7), ..Faults::default() };
        inj.set(seeded.clone());
        let first = outcomes(&inj, "ListConnections", 50);
        inj.set(seeded);
        let second = outcomes(&inj, "ListConnections", 50);
        assert_eq!(first, second);
        assert!(first.contains(&FaultOutcome::Throttle));
        assert!(first.contains(&FaultOutcome::Pass));
    }

    #[test]
    fn a_forced_error_hits_only_its_operation_and_names_the_iam_action() {
        let forced =
            ForcedError { error: "AccessDeniedException".into(), rate: 1.0, message: None };
        let faults = Faults {
            errors: [("GetSyncBlockerSummary".to_owned(), forced)].into(),
            ..Faults::default()
        };
        faults.validate().unwrap();
        let inj = FaultInjector::new(faults);
        let FaultOutcome::Forced { code, message } = inj.draw("GetSyncBlockerSummary").1 else {
            panic!("not forced");
        };
        assert_eq!(code, "AccessDeniedException");
        assert!(message.contains("codeconnections:GetSyncBlockerSummary"), "{message}");
        assert_eq!(inj.draw("GetResourceSyncStatus").1, FaultOutcome::Pass);
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_allows_a_burst_then_the_refill_rate() {
        let limit = RateLimit { per_second: 2.0, burst: 3 };
        let faults = Faults {
            rate_limits: [("ListConnections".to_owned(), limit)].into(),
            ..Faults::default()
        };
        let inj = FaultInjector::new(faults);
        let burst = outcomes(&inj, "ListConnections", 4);
        assert_eq!(burst[..3], [FaultOutcome::Pass, FaultOutcome::Pass, FaultOutcome::Pass]);
        assert_eq!(burst[3], FaultOutcome::Throttle);
        assert_eq!(inj.draw("ListRepositoryLinks").1, FaultOutcome::Pass, "other operations");
        // Half a second refills one token at 2 per second.
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(
            outcomes(&inj, "ListConnections", 2),
            [FaultOutcome::Pass, FaultOutcome::Throttle]
        );
        // A long pause refills up to the burst, no further.
        tokio::time::advance(Duration::from_secs(60)).await;
        let after = outcomes(&inj, "ListConnections", 4);
        assert_eq!(after.iter().filter(|o| **o == FaultOutcome::Pass).count(), 3);
    }

    #[test]
    fn validation_names_what_is_wrong() {
        let with_error = |op: &str, error: &str| Faults {
            errors: [(
                op.to_owned(),
                ForcedError { error: error.into(), rate: 1.0, message: None },
            )]
            .into(),
            ..Faults::default()
        };
        let err = with_error("GetConnection", "AccessDeniedException").validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "AccessDeniedException is not a modelled error of GetConnection; it has \
             ResourceNotFoundException, ResourceUnavailableException"
        );
        assert!(with_error("GetConnection", "ResourceUnavailableException").validate().is_ok());
        assert!(matches!(
            with_error("DeleteEverything", "X").validate(),
            Err(FaultsError::UnknownOperation(_))
        ));
        let bad_rate = Faults { throttle_rate: 1.5, ..Faults::default() };
        assert!(matches!(bad_rate.validate(), Err(FaultsError::Rate { .. })));
        let limit = RateLimit { per_second: 0.0, burst: 1 };
        let bad_limit = Faults {
            rate_limits: [("ListPipelines".to_owned(), limit)].into(),
            ..Faults::default()
        };
        assert!(matches!(bad_limit.validate(), Err(FaultsError::Limit(_))));
    }
}

//! Fault injection: latency, throttling and internal errors on every protocol request, drawn
//! from a seedable RNG so a test can replay the same sequence.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Faults applied to every CodeConnections, CodePipeline and CloudFormation request (never to
/// the admin API).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Delay before answering; requests sleep concurrently.
    pub latency_ms: u64,
    /// Probability (0..=1) of answering `ThrottlingException`.
    pub throttle_rate: f64,
    /// Probability (0..=1) of answering an internal server error (when not throttled).
    pub error_rate: f64,
    /// Seed of the RNG; without one each run draws differently.
    pub seed: Option<u64>,
}

/// What the fault injector decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultOutcome {
    Pass,
    Throttle,
    Internal,
}

/// The configured faults plus the RNG they draw from.
pub(crate) struct FaultInjector {
    state: Mutex<(Faults, fastrand::Rng)>,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> Self {
        let rng = rng_for(&faults);
        FaultInjector { state: Mutex::new((faults, rng)) }
    }

    /// Replaces the faults and reseeds the RNG, so a seeded sequence starts over.
    pub(crate) fn set(&self, faults: Faults) {
        let rng = rng_for(&faults);
        *crate::lock(&self.state) = (faults, rng);
    }

    pub(crate) fn get(&self) -> Faults {
        crate::lock(&self.state).0.clone()
    }

    /// Draws the outcome of one request (at arrival, so a seeded run does not depend on how
    /// concurrent sleeps interleave) and the latency to apply before answering.
    pub(crate) fn draw(&self) -> (Duration, FaultOutcome) {
        let mut guard = crate::lock(&self.state);
        let (faults, rng) = &mut *guard;
        let latency = Duration::from_millis(faults.latency_ms);
        let outcome = if faults.throttle_rate > 0.0 && rng.f64() < faults.throttle_rate {
            FaultOutcome::Throttle
        } else if faults.error_rate > 0.0 && rng.f64() < faults.error_rate {
            FaultOutcome::Internal
        } else {
            FaultOutcome::Pass
        };
        (latency, outcome)
    }

    /// Sleeps the configured latency, then tells whether to answer normally.
    pub(crate) async fn apply(&self) -> FaultOutcome {
        let (latency, outcome) = self.draw();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        outcome
    }
}

fn rng_for(faults: &Faults) -> fastrand::Rng {
    match faults.seed {
        Some(seed) => fastrand::Rng::with_seed(seed),
        None => fastrand::Rng::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certain_rates_always_fire_and_seeds_replay() {
        let inj = FaultInjector::new(Faults { throttle_rate: 1.0, ..Faults::default() });
        assert!((0..100).all(|_| inj.draw().1 == FaultOutcome::Throttle));
        inj.set(Faults::default());
        assert!((0..100).all(|_| inj.draw().1 == FaultOutcome::Pass));

        let seeded =
            Faults { throttle_rate: 0.3, error_rate: 0.2, seed: Some(7), ..Faults::default() };
        inj.set(seeded.clone());
        let first: Vec<_> = (0..50).map(|_| inj.draw().1).collect();
        inj.set(seeded);
        let second: Vec<_> = (0..50).map(|_| inj.draw().1).collect();
        assert_eq!(first, second);
        assert!(first.contains(&FaultOutcome::Throttle));
        assert!(first.contains(&FaultOutcome::Pass));
    }
}
